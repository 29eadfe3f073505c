/* SPDX-License-Identifier: Apache-2.0 */
/* core/logout_token.c: Back-Channel Logout 1.0 §2.6 on tokens signed here
 * with cjose (every refusal, and the valid shapes), the POST body (§2.5)
 * and the Front-Channel Logout query. */
#include <string.h>

#include "core/b64url.h"
#include "core/id_token.h"
#include "core/json.h"
#include "core/logout_token.h"
#include "unit.h"

#define SECRET "a-client-secret-of-32-bytes-long!"
#define SID    "08a5019c-17e1-4977-8f42-65a12843ea02"

/* The claims of a valid logout token at T_NOW, with both sub and sid. */
static json_t *claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:{s:{}}}", "iss",
                     T_ISS, "aud", T_AUD, "sub", "alice", "sid", SID, "iat",
                     (json_int_t)T_NOW_SEC - 5, "exp",
                     (json_int_t)T_NOW_SEC + 115, "jti", "bWJq", "events",
                     AOIDC_LOGOUT_EVENT);
}

static aoidc_logout_token_rules_t rules(void)
{
    aoidc_logout_token_rules_t r = {T_ISS, T_AUD, NULL, T_NOW, 60, 0};
    return r;
}

static char *rs256_typ(json_t *c, const char *typ)
{
    return aoidc_test_sign(aoidc_test_key("rsa2048", tp), "RS256", "rsa-1", typ,
                           c, tp);
}

static char *rs256(json_t *c)
{
    return rs256_typ(c, "logout+jwt");
}

static apr_status_t validate(aoidc_logout_token_t **out, const char *tok,
                             const aoidc_logout_token_rules_t *r,
                             aoidc_err_t *err)
{
    aoidc_logout_token_t *t = NULL;
    apr_status_t rv = aoidc_logout_token_validate(
        &t, tok, strlen(tok), aoidc_test_jwks(tp), r, tp, err);
    if (out) {
        *out = t;
    }
    return rv;
}

/* A token with claims c but the default rules: the reason it fails with. */
static void refused(json_t *c, aoidc_reason_t want)
{
    aoidc_logout_token_rules_t r = rules();
    aoidc_err_t err = {0};
    ck_assert_reason(validate(NULL, rs256(c), &r, &err), err, want);
}

static json_t *without(const char *name)
{
    json_t *c = claims();
    json_object_del(c, name);
    return c;
}

static json_t *with(const char *name, json_t *v)
{
    json_t *c = claims();
    json_object_set_new(c, name, v);
    return c;
}

START_TEST(valid_sid_and_sub)
{
    aoidc_logout_token_rules_t r = rules();
    aoidc_logout_token_t *t;
    aoidc_err_t err = {0};
    ck_assert_ok(validate(&t, rs256(claims()), &r, &err), err);
    ck_assert_str_eq(t->sub, "alice");
    ck_assert_str_eq(t->sid, SID);
    ck_assert_str_eq(t->jti, "bWJq");
    ck_assert_int_eq(t->iat, apr_time_from_sec(T_NOW_SEC - 5));
    /* remembered as long as it could be accepted: iat + 300 + 60, +1 */
    ck_assert_int_eq(t->replay_until,
                     apr_time_from_sec(T_NOW_SEC - 5 + 300 + 60 + 1));
}
END_TEST

START_TEST(valid_sid_only_sub_only)
{
    aoidc_logout_token_rules_t r = rules();
    aoidc_logout_token_t *t;
    aoidc_err_t err = {0};
    ck_assert_ok(validate(&t, rs256(without("sub")), &r, &err), err);
    ck_assert_ptr_null(t->sub);
    ck_assert_str_eq(t->sid, SID);
    ck_assert_ok(validate(&t, rs256(without("sid")), &r, &err), err);
    ck_assert_str_eq(t->sub, "alice");
    ck_assert_ptr_null(t->sid);
}
END_TEST

START_TEST(valid_shapes)
{
    aoidc_logout_token_rules_t r = rules();
    aoidc_err_t err = {0};
    json_t *c;
    /* aud as an array holding us; no exp; ES256; typ absent or the long
     * media type in any case; other events alongside ours */
    c = with("aud", json_pack("[s,s]", "other", T_AUD));
    ck_assert_ok(validate(NULL, rs256(c), &r, &err), err);
    ck_assert_ok(validate(NULL, rs256(without("exp")), &r, &err), err);
    ck_assert_ok(validate(NULL,
                          aoidc_test_sign(aoidc_test_key("ec-p256", tp),
                                          "ES256", "ec-1", NULL, claims(), tp),
                          &r, &err),
                 err);
    ck_assert_ok(
        validate(NULL, rs256_typ(claims(), "Application/Logout+JWT"), &r, &err),
        err);
    ck_assert_ok(validate(NULL, rs256_typ(claims(), "LOGOUT+jwt"), &r, &err),
                 err);
    c = with("events", json_pack("{s:{}, s:{s:s}}", "urn:other:event",
                                 AOIDC_LOGOUT_EVENT, "x", "y"));
    ck_assert_ok(validate(NULL, rs256(c), &r, &err), err);
}
END_TEST

static char *b64json(const char *json)
{
    return aoidc_b64url_encode((const unsigned char *)json, strlen(json), tp);
}

START_TEST(alg_none_refused)
{
    aoidc_logout_token_rules_t r = rules();
    aoidc_err_t err = {0};
    json_t *c = claims();
    char *body = b64json(aoidc_json_dump(c, tp));
    json_decref(c);
    const char *h = b64json("{\"alg\":\"none\",\"typ\":\"logout+jwt\"}");
    /* unsigned: no third part at all */
    ck_assert_reason(
        validate(NULL, apr_pstrcat(tp, h, ".", body, ".", NULL), &r, &err), err,
        AOIDC_REASON_JWS_MALFORMED);
    /* alg none with something in the signature slot */
    ck_assert_reason(
        validate(NULL, apr_pstrcat(tp, h, ".", body, ".c2ln", NULL), &r, &err),
        err, AOIDC_REASON_ALG);
    /* with a secret configured, none stays refused */
    r.client_secret = SECRET;
    ck_assert_reason(
        validate(NULL, apr_pstrcat(tp, h, ".", body, ".c2ln", NULL), &r, &err),
        err, AOIDC_REASON_ALG);
}
END_TEST

/* The OP signs RS256; an attacker who knows the client secret (or an OP
 * that was never meant to use it) signs HS256 with it. Exactly the ID
 * Token policy decides, so both validators must answer the same. */
START_TEST(hs256_follows_id_token_policy)
{
    aoidc_logout_token_rules_t r = rules();
    aoidc_id_token_rules_t idr = {.issuer = T_ISS,
                                  .client_id = T_AUD,
                                  .nonce = "n",
                                  .now = T_NOW,
                                  .leeway = 60};
    aoidc_err_t err = {0}, iderr = {0};
    json_t *idc = aoidc_test_claims(), *out;
    json_object_set_new(idc, "nonce", json_string("n"));
    char *lt = aoidc_test_sign_hmac(SECRET, "HS256", claims(), tp);
    char *it = aoidc_test_sign_hmac(SECRET, "HS256", idc, tp);

    /* no client secret in the rules: both refuse HS256 */
    ck_assert_reason(validate(NULL, lt, &r, &err), err, AOIDC_REASON_ALG);
    ck_assert_reason(aoidc_id_token_validate(&out, it, aoidc_test_jwks(tp),
                                             &idr, tp, &iderr),
                     iderr, AOIDC_REASON_ALG);
    /* the policy is one function: it says the same for both */
    ck_assert_uint_eq(aoidc_id_token_algs(&idr) & AOIDC_ALGS_HMAC, 0);

    /* a secret configured (the ID Token policy then allows HS with it as
     * the only key): both accept, and a wrong secret is a bad signature */
    r.client_secret = idr.client_secret = SECRET;
    ck_assert_ok(validate(NULL, lt, &r, &err), err);
    ck_assert_ok(aoidc_id_token_validate(&out, it, aoidc_test_jwks(tp), &idr,
                                         tp, &iderr),
                 iderr);
    r.client_secret = "another-secret-of-32-bytes-long!!";
    ck_assert_reason(validate(NULL, lt, &r, &err), err, AOIDC_REASON_SIGNATURE);
    /* and RS256 from the JWKS still works with a secret set */
    ck_assert_ok(validate(NULL, rs256(claims()), &r, &err), err);
}
END_TEST

START_TEST(signature_and_key)
{
    aoidc_logout_token_rules_t r = rules();
    aoidc_err_t err = {0};
    /* a key the JWKS does not hold under that kid */
    char *tok = aoidc_test_sign(aoidc_test_key("rsa2048-other", tp), "RS256",
                                "rsa-1", NULL, claims(), tp);
    ck_assert_reason(validate(NULL, tok, &r, &err), err,
                     AOIDC_REASON_SIGNATURE);
    tok = aoidc_test_sign(aoidc_test_key("rsa2048", tp), "RS256", "rsa-9", NULL,
                          claims(), tp);
    ck_assert_reason(validate(NULL, tok, &r, &err), err,
                     AOIDC_REASON_KEY_UNKNOWN);
    ck_assert_reason(validate(NULL, "a.b", &r, &err), err,
                     AOIDC_REASON_JWS_MALFORMED);
}
END_TEST

START_TEST(wrong_iss_aud)
{
    refused(with("iss", json_string(T_ISS "/")), AOIDC_REASON_ISSUER);
    refused(without("iss"), AOIDC_REASON_ISSUER);
    refused(with("aud", json_string("client-2")), AOIDC_REASON_AUDIENCE);
    refused(with("aud", json_pack("[s]", "client-2")), AOIDC_REASON_AUDIENCE);
    refused(without("aud"), AOIDC_REASON_AUDIENCE);
}
END_TEST

START_TEST(events_rules)
{
    refused(without("events"), AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("events", json_string(AOIDC_LOGOUT_EVENT)),
            AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("events", json_pack("[s]", AOIDC_LOGOUT_EVENT)),
            AOIDC_REASON_LOGOUT_TOKEN);
    /* the wrong member (a front-channel or RISC event, a near miss) */
    refused(
        with("events", json_pack("{s:{}}", "http://schemas.openid.net/event/"
                                           "backchannel-logout/")),
        AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("events", json_pack("{s:{}}", "urn:other:event")),
            AOIDC_REASON_LOGOUT_TOKEN);
    /* the member's value is not an object */
    refused(with("events", json_pack("{s:b}", AOIDC_LOGOUT_EVENT, 1)),
            AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("events", json_pack("{s:s}", AOIDC_LOGOUT_EVENT, "{}")),
            AOIDC_REASON_LOGOUT_TOKEN);
}
END_TEST

START_TEST(nonce_jti_sid_sub)
{
    json_t *c;
    refused(with("nonce", json_string("n-0S6_WzA2Mj")),
            AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("nonce", json_null()), AOIDC_REASON_LOGOUT_TOKEN);
    refused(without("jti"), AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("jti", json_string("")), AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("jti", json_integer(7)), AOIDC_REASON_LOGOUT_TOKEN);
    c = without("sid");
    json_object_del(c, "sub");
    refused(c, AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("sid", json_string("")), AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("sid", json_integer(1)), AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("sub", json_string("")), AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("sub", json_pack("[s]", "alice")), AOIDC_REASON_LOGOUT_TOKEN);
    refused(with("sid", json_string("a b")), AOIDC_REASON_LOGOUT_TOKEN);
}
END_TEST

static json_t *at(const char *name, apr_int64_t sec)
{
    return with(name, json_integer((json_int_t)sec));
}

START_TEST(times)
{
    aoidc_logout_token_rules_t r = rules();
    aoidc_err_t err = {0};
    refused(without("iat"), AOIDC_REASON_IAT);
    refused(with("iat", json_string("1700000000")), AOIDC_REASON_IAT);
    /* stale: older than 300 s + 60 s leeway; just inside still passes */
    refused(at("iat", T_NOW_SEC - 361), AOIDC_REASON_IAT);
    ck_assert_ok(validate(NULL, rs256(at("iat", T_NOW_SEC - 360)), &r, &err),
                 err);
    /* future beyond the leeway */
    refused(at("iat", T_NOW_SEC + 61), AOIDC_REASON_NOT_YET_VALID);
    ck_assert_ok(validate(NULL, rs256(at("iat", T_NOW_SEC + 60)), &r, &err),
                 err);
    refused(at("exp", T_NOW_SEC - 61), AOIDC_REASON_EXPIRED);
    refused(with("exp", json_string("x")), AOIDC_REASON_EXPIRED);
    refused(at("nbf", T_NOW_SEC + 61), AOIDC_REASON_NOT_YET_VALID);
    /* hostile numbers do not overflow */
    refused(at("iat", INT64_MIN), AOIDC_REASON_IAT);
    refused(at("iat", INT64_MAX), AOIDC_REASON_NOT_YET_VALID);
    refused(at("exp", INT64_MIN), AOIDC_REASON_EXPIRED);
    ck_assert_ok(validate(NULL, rs256(at("exp", INT64_MAX)), &r, &err), err);
    /* a configured max age */
    r.max_age = 10;
    ck_assert_reason(validate(NULL, rs256(at("iat", T_NOW_SEC - 71)), &r, &err),
                     err, AOIDC_REASON_IAT);
}
END_TEST

START_TEST(typ_rules)
{
    aoidc_logout_token_rules_t r = rules();
    aoidc_err_t err = {0};
    const char *bad[] = {"JWT",
                         "at+jwt",
                         "application/jwt",
                         "logout+jwt ",
                         "application/logout+jwt+x",
                         ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_reason(validate(NULL, rs256_typ(claims(), bad[i]), &r, &err),
                         err, AOIDC_REASON_TYP);
    }
}
END_TEST

/* An ID Token from the same OP must never pass as a logout token. */
START_TEST(id_token_is_not_logout_token)
{
    json_t *c = aoidc_test_claims();
    json_object_set_new(c, "nonce", json_string("n"));
    json_object_set_new(c, "sid", json_string(SID));
    aoidc_logout_token_rules_t r = rules();
    aoidc_err_t err = {0};
    ck_assert_reason(validate(NULL, rs256_typ(c, NULL), &r, &err), err,
                     AOIDC_REASON_LOGOUT_TOKEN);
}
END_TEST

START_TEST(body_parse)
{
    const char *tok;
    aoidc_err_t err = {0};
    const char *b = "logout_token=a.b.c";
    ck_assert_ok(aoidc_logout_body_parse(&tok, b, strlen(b), tp, &err), err);
    ck_assert_str_eq(tok, "a.b.c");
    /* not NUL-terminated: only len bytes count */
    ck_assert_ok(aoidc_logout_body_parse(&tok, "logout_token=x.y.zGARBAGE", 18,
                                         tp, &err),
                 err);
    ck_assert_str_eq(tok, "x.y.z");
    b = "foo=1&logout_token=a%2Eb.c";
    ck_assert_ok(aoidc_logout_body_parse(&tok, b, strlen(b), tp, &err), err);
    ck_assert_str_eq(tok, "a.b.c");

    const char *bad[] = {"",
                         "logout_token=",
                         "token=a.b.c",
                         "logout_token=a&logout_token=b",
                         "logout_token=%zz",
                         "Logout_Token=a.b.c",
                         "logout_token=a%00b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_reason(
            aoidc_logout_body_parse(&tok, bad[i], strlen(bad[i]), tp, &err),
            err, AOIDC_REASON_MALFORMED);
        ck_assert_ptr_null(tok);
    }
    ck_assert_reason(
        aoidc_logout_body_parse(&tok, "logout_token=a\0b", 16, tp, &err), err,
        AOIDC_REASON_MALFORMED);

    /* size caps: the body, then the token */
    apr_size_t n = AOIDC_LOGOUT_BODY_MAX + 1;
    char *big = apr_palloc(tp, n + 1);
    memset(big, 'a', n);
    memcpy(big, "logout_token=", 13);
    big[n] = '\0';
    ck_assert_reason(aoidc_logout_body_parse(&tok, big, n, tp, &err), err,
                     AOIDC_REASON_TOO_LARGE);
    ck_assert_reason(aoidc_logout_body_parse(&tok, big, 13 + 20000, tp, &err),
                     err, AOIDC_REASON_TOO_LARGE);
}
END_TEST

START_TEST(frontchannel)
{
    const char *sid;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_logout_frontchannel_check(T_ISS, SID, T_ISS, tp, &err),
                 err);
    ck_assert_reason(
        aoidc_logout_frontchannel_check(T_ISS "/", SID, T_ISS, tp, &err), err,
        AOIDC_REASON_ISSUER);
    ck_assert_reason(
        aoidc_logout_frontchannel_check(NULL, SID, T_ISS, tp, &err), err,
        AOIDC_REASON_MALFORMED);
    ck_assert_reason(
        aoidc_logout_frontchannel_check(T_ISS, NULL, T_ISS, tp, &err), err,
        AOIDC_REASON_MALFORMED);
    ck_assert_reason(
        aoidc_logout_frontchannel_check(T_ISS, "<script>", T_ISS, tp, &err),
        err, AOIDC_REASON_MALFORMED);

    ck_assert_ok(aoidc_logout_frontchannel_parse(
                     &sid,
                     "logout=frontchannel&iss=https%3A%2F%2Fop.example.com"
                     "&sid=" SID,
                     T_ISS, tp, &err),
                 err);
    ck_assert_str_eq(sid, SID);
    ck_assert_reason(
        aoidc_logout_frontchannel_parse(
            &sid, "logout=frontchannel&iss=x&sid=" SID, T_ISS, tp, &err),
        err, AOIDC_REASON_ISSUER);
    ck_assert_ptr_null(sid);
    ck_assert_reason(aoidc_logout_frontchannel_parse(
                         &sid, "sid=a&sid=b&iss=" T_ISS, T_ISS, tp, &err),
                     err, AOIDC_REASON_MALFORMED);
}
END_TEST

START_TEST(sid_syntax)
{
    char *s = apr_palloc(tp, AOIDC_LOGOUT_SID_MAX + 2);
    memset(s, 'a', AOIDC_LOGOUT_SID_MAX + 1);
    s[AOIDC_LOGOUT_SID_MAX + 1] = '\0';
    ck_assert(!aoidc_logout_sid_ok(s));
    s[AOIDC_LOGOUT_SID_MAX] = '\0';
    ck_assert(aoidc_logout_sid_ok(s));
    ck_assert(aoidc_logout_sid_ok("Az09-._~+/=:@"));
    ck_assert(!aoidc_logout_sid_ok(""));
    ck_assert(!aoidc_logout_sid_ok(NULL));
    ck_assert(!aoidc_logout_sid_ok("a\r\nb"));
    ck_assert(!aoidc_logout_sid_ok("a\"b"));
    ck_assert(!aoidc_logout_sid_ok("caf\xc3\xa9"));
}
END_TEST

TCase *aoidc_logout_token_tcase(void)
{
    TCase *tc = aoidc_test_tcase("logout_token");
    tcase_add_test(tc, valid_sid_and_sub);
    tcase_add_test(tc, valid_sid_only_sub_only);
    tcase_add_test(tc, valid_shapes);
    tcase_add_test(tc, alg_none_refused);
    tcase_add_test(tc, hs256_follows_id_token_policy);
    tcase_add_test(tc, signature_and_key);
    tcase_add_test(tc, wrong_iss_aud);
    tcase_add_test(tc, events_rules);
    tcase_add_test(tc, nonce_jti_sid_sub);
    tcase_add_test(tc, times);
    tcase_add_test(tc, typ_rules);
    tcase_add_test(tc, id_token_is_not_logout_token);
    tcase_add_test(tc, body_parse);
    tcase_add_test(tc, frontchannel);
    tcase_add_test(tc, sid_syntax);
    return tc;
}
