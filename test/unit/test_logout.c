/* SPDX-License-Identifier: Apache-2.0 */
/* core/logout.c: the back- and front-channel flows over the in-memory
 * store: which sessions an OP request ends, and when a jti is spent. */
#include <string.h>

#include "core/logout.h"
#include "core/url.h"
#include "unit.h"

#define SID  "sid-1"
#define ID_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ID_B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

static aoidc_session_index_t ix;

static void setup(void)
{
    aoidc_mem_store_t *ms;
    aoidc_seal_t *k;
    aoidc_err_t err = {0};
    aoidc_store_t *st = aoidc_mem_store_create(&ms, tp);
    aoidc_mem_store_set_now(ms, T_NOW);
    ck_assert_int_eq(aoidc_seal_create(&k, "pass", 4, "session-index", tp),
                     APR_SUCCESS);
    ix.store = st;
    ix.seal = k;
    ix.issuer = T_ISS;
    ix.client_id = T_AUD;
    ck_assert_ok(aoidc_session_index_add(&ix, SID, "alice", ID_A,
                                         T_NOW + apr_time_from_sec(3600), T_NOW,
                                         tp, &err),
                 err);
    ck_assert_ok(aoidc_session_index_add(&ix, "sid-2", "alice", ID_B,
                                         T_NOW + apr_time_from_sec(3600), T_NOW,
                                         tp, &err),
                 err);
}

static json_t *claims(const char *sid, const char *sub, const char *jti)
{
    json_t *c =
        json_pack("{s:s, s:s, s:I, s:s, s:{s:{}}}", "iss", T_ISS, "aud", T_AUD,
                  "iat", (json_int_t)T_NOW_SEC - 5, "jti", jti, "events",
                  "http://schemas.openid.net/event/backchannel-logout");
    if (sid) {
        json_object_set_new(c, "sid", json_string(sid));
    }
    if (sub) {
        json_object_set_new(c, "sub", json_string(sub));
    }
    return c;
}

static const char *body_for(json_t *c, const char *kid)
{
    char *tok = aoidc_test_sign(aoidc_test_key("rsa2048", tp), "RS256", kid,
                                "logout+jwt", c, tp);
    return aoidc_url_append_param("", "logout_token", tok, tp);
}

static apr_status_t run(aoidc_backchannel_out_t *out, const char *body,
                        aoidc_err_t *err)
{
    aoidc_backchannel_in_t in = {body,
                                 strlen(body),
                                 aoidc_test_jwks(tp),
                                 {T_ISS, T_AUD, NULL, T_NOW, 60, 0},
                                 &ix};
    return aoidc_backchannel_logout(out, &in, tp, err);
}

static const char *first_id(const apr_array_header_t *refs)
{
    ck_assert_int_eq(refs->nelts, 1);
    return APR_ARRAY_IDX(refs, 0, aoidc_session_ref_t).session_id;
}

START_TEST(backchannel_by_sid_then_replay)
{
    aoidc_backchannel_out_t out;
    aoidc_err_t err = {0};
    const char *body = body_for(claims(SID, NULL, "j-1"), "rsa-1");
    ck_assert_ok(run(&out, body, &err), err);
    ck_assert_str_eq(out.token->sid, SID);
    ck_assert_str_eq(first_id(out.refs), ID_A);
    ck_assert_int_eq(aoidc_session_index_forget(&ix, out.refs, tp),
                     APR_SUCCESS);
    ck_assert_reason(run(&out, body, &err), err, AOIDC_REASON_LOGOUT_REPLAY);
    ck_assert_ptr_null(out.refs);
}
END_TEST

START_TEST(backchannel_by_sub)
{
    aoidc_backchannel_out_t out;
    aoidc_err_t err = {0};
    ck_assert_ok(
        run(&out, body_for(claims(NULL, "alice", "j-2"), "rsa-1"), &err), err);
    ck_assert_int_eq(out.refs->nelts, 2);
    ck_assert_ok(run(&out, body_for(claims(NULL, "bob", "j-3"), "rsa-1"), &err),
                 err);
    ck_assert_int_eq(out.refs->nelts, 0);
}
END_TEST

/* A refused token never spends its jti: a forgery (or a kid the JWKS does
 * not hold yet) cannot block the OP's real token with the same jti. */
START_TEST(refused_token_spends_no_jti)
{
    aoidc_backchannel_out_t out;
    aoidc_err_t err = {0};
    json_t *bad = claims(SID, NULL, "j-4");
    json_object_set_new(bad, "nonce", json_string("n"));
    ck_assert_reason(run(&out, body_for(bad, "rsa-1"), &err), err,
                     AOIDC_REASON_LOGOUT_TOKEN);
    ck_assert_ptr_null(out.token);
    ck_assert_reason(
        run(&out, body_for(claims(SID, NULL, "j-4"), "new-kid"), &err), err,
        AOIDC_REASON_KEY_UNKNOWN);
    ck_assert_ok(run(&out, body_for(claims(SID, NULL, "j-4"), "rsa-1"), &err),
                 err);
    ck_assert_str_eq(first_id(out.refs), ID_A);
    ck_assert_reason(run(&out, "logout_token=", &err), err,
                     AOIDC_REASON_MALFORMED);
}
END_TEST

START_TEST(frontchannel)
{
    apr_array_header_t *refs;
    aoidc_err_t err = {0};
    const char *q =
        apr_pstrcat(tp, "logout=frontchannel&iss=", aoidc_url_encode(T_ISS, tp),
                    "&sid=sid-2", NULL);
    ck_assert_ok(aoidc_frontchannel_logout(&refs, q, &ix, T_NOW, tp, &err),
                 err);
    ck_assert_str_eq(first_id(refs), ID_B);
    ck_assert_ok(aoidc_frontchannel_logout(
                     &refs,
                     apr_pstrcat(tp, "iss=", aoidc_url_encode(T_ISS, tp),
                                 "&sid=unknown", NULL),
                     &ix, T_NOW, tp, &err),
                 err);
    ck_assert_int_eq(refs->nelts, 0);
    ck_assert_reason(
        aoidc_frontchannel_logout(&refs, "iss=https%3A%2F%2Fevil&sid=sid-2",
                                  &ix, T_NOW, tp, &err),
        err, AOIDC_REASON_ISSUER);
    ck_assert_ptr_null(refs);
}
END_TEST

TCase *aoidc_logout_tcase(void)
{
    TCase *tc = aoidc_test_tcase("logout");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, backchannel_by_sid_then_replay);
    tcase_add_test(tc, backchannel_by_sub);
    tcase_add_test(tc, refused_token_spends_no_jti);
    tcase_add_test(tc, frontchannel);
    return tc;
}
