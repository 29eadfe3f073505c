/* SPDX-License-Identifier: Apache-2.0 */
/* core/rp_callback.c: the redirect URI from a state cookie made by
 * rp_login to a session in the store, and every way it refuses. */
#include <string.h>

#include "core/session.h"
#include "core/url.h"
#include "flow_fixture.h"

typedef struct {
    const char *hdr, *state, *nonce;
    bool navigation;  /* in.navigation of the next finish() */
    const char *root; /* in.location_root */
    aoidc_callback_out_t out;
    aoidc_err_t err;
    apr_status_t rv;
} cb_t;

static void start(ft_t *f, cb_t *cb, const char *ret)
{
    memset(cb, 0, sizeof(*cb));
    ft_login(f, ret, &cb->hdr, &cb->state, &cb->nonce);
}

static apr_status_t finish(ft_t *f, cb_t *cb, const char *query,
                           const char *hdr)
{
    aoidc_callback_in_t in = {query,          hdr,      FT_REDIRECT,
                              cb->navigation, cb->root, false};
    cb->err = (aoidc_err_t){0};
    cb->rv = aoidc_rp_callback(&cb->out, &f->rp, &f->env, &in, &cb->err);
    return cb->rv;
}

/* login, a token answer with an ID Token for the nonce (extra claims
 * merged), callback */
static apr_status_t run(ft_t *f, cb_t *cb, json_t *extra)
{
    start(f, cb, "/app?x=1");
    ft_token_answer(f, ft_id_token(f, cb->nonce, extra), "at-1", "rt-1", 300);
    return finish(f, cb, ft_callback_query(cb->state, "code-1"), cb->hdr);
}

static bool state_deleted(const cb_t *cb)
{
    const aoidc_cookie_op_t *op =
        ft_cookie(cb->out.cookies, aoidc_state_cookie_name(cb->state, tp));
    return op && op->kind == AOIDC_COOKIE_STATE && op->max_age == 0;
}

static bool marker_in(ft_store_t *s, const char *state)
{
    unsigned char key[AOIDC_STORE_KEY_LEN], *v;
    apr_size_t n;
    aoidc_store_key(key, "state-used", state, strlen(state));
    return s->inner->get(s->inner, key, &v, &n, tp) == APR_SUCCESS;
}

static aoidc_session_t *session_of(ft_t *f, const cb_t *cb)
{
    aoidc_session_out_t so;
    aoidc_err_t err = {0};
    const aoidc_cookie_op_t *op = ft_cookie(cb->out.cookies, f->rp.cookie_name);
    ck_assert_ptr_nonnull(op);
    ck_assert_ok(aoidc_rp_session(&so, &f->rp, &f->env, op->value, &err), err);
    return so.session;
}

START_TEST(success)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    ck_assert_ok(run(&f, &cb, NULL), cb.err);
    const aoidc_cookie_op_t *sc = ft_cookie(cb.out.cookies, f.rp.cookie_name);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(sc->kind, AOIDC_COOKIE_SESSION);
    ck_assert_int_lt(sc->max_age, 0);
    ck_assert_uint_eq(strlen(sc->value), AOIDC_TICKET_LEN);
    ck_assert_int_eq(strncmp(sc->value, f.rp.tag, AOIDC_TAG_LEN), 0);
    ck_assert_int_eq(sc->value[AOIDC_TAG_LEN], '.');
    ck_assert_int_eq(sc->value[AOIDC_TAG_LEN + 23], '.');
    ck_assert_str_eq(cb.out.location, "/app?x=1");
    ck_assert_str_eq(cb.out.user, "alice");
    ck_assert(state_deleted(&cb));
    ck_assert_int_eq(cb.out.userinfo_err.reason, AOIDC_REASON_NONE);
    ck_assert_int_eq(cb.out.claims_dropped, 0);
    ck_assert_uint_eq(cb.out.id_token_not_kept, 0);

    /* the single-use marker goes to the cache, never to the sessions */
    ck_assert(marker_in(&f.cache, cb.state));
    ck_assert(!marker_in(&f.sessions, cb.state));
    ck_assert_int_eq(aoidc_mem_store_count(f.cache.ms), 1);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 2);
    ck_assert(ft_has_entry(&f, sc->value, AOIDC_NS_SESSION));
    ck_assert(ft_has_entry(&f, sc->value, AOIDC_NS_ID_TOKEN));

    /* the code exchange: code, exact redirect_uri, PKCE verifier, basic */
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 1);
    const aoidc_http_req_t *req = aoidc_fake_http_last(f.fh);
    ck_assert_str_eq(req->url, FT_TOKEN);
    ck_assert_ptr_nonnull(strstr(req->body, "code=code-1"));
    ck_assert_ptr_nonnull(strstr(req->body, "code_verifier="));
    ck_assert_ptr_nonnull(strstr(
        req->body, apr_pstrcat(tp, "redirect_uri=",
                               aoidc_url_encode(FT_REDIRECT, tp), NULL)));
    ck_assert_ptr_nonnull(req->authorization);

    aoidc_session_t *s = session_of(&f, &cb);
    ck_assert_str_eq(s->sub, "alice");
    ck_assert_str_eq(s->access_token, "at-1");
    ck_assert_str_eq(s->refresh_token, "rt-1");
    ck_assert_int_eq(s->at_expires, T_NOW + apr_time_from_sec(300));
    ck_assert_str_eq(aoidc_claims_get(s->claims, "iss")->value, T_ISS);
}
END_TEST

START_TEST(joins_shared_cookie)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    const char *other = "tagOTH.AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB";
    const char *stale = apr_pstrcat(
        tp, f.rp.tag, ".CCCCCCCCCCCCCCCCCCCCCC.DDDDDDDDDDDDDDDDDDDDDD", NULL);
    start(&f, &cb, "/");
    ft_token_answer(&f, ft_id_token(&f, cb.nonce, NULL), "at-1", NULL, 300);
    const char *hdr = apr_pstrcat(tp, cb.hdr, "; " AOIDC_SESSION_COOKIE "=",
                                  other, "~", stale, NULL);
    ck_assert_ok(finish(&f, &cb, ft_callback_query(cb.state, "c"), hdr),
                 cb.err);
    const aoidc_cookie_op_t *sc = ft_cookie(cb.out.cookies, f.rp.cookie_name);
    /* the other identity's ticket stays, ours (a new one) replaces the
     * old one of ours */
    ck_assert_uint_eq(strlen(sc->value), 2 * AOIDC_TICKET_LEN + 1);
    ck_assert_int_eq(strncmp(sc->value, other, AOIDC_TICKET_LEN), 0);
    ck_assert_int_eq(sc->value[AOIDC_TICKET_LEN], '~');
    ck_assert_str_ne(sc->value + AOIDC_TICKET_LEN + 1, stale);
    ck_assert(ft_has_entry(&f, sc->value, AOIDC_NS_SESSION));
}
END_TEST

START_TEST(replay)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    ck_assert_ok(run(&f, &cb, NULL), cb.err);
    /* the same URL with the same cookie (say, from another node) */
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr), cb.err,
        AOIDC_REASON_STATE_REPLAY);
    ck_assert(state_deleted(&cb));
    ck_assert_ptr_null(ft_cookie(cb.out.cookies, f.rp.cookie_name));
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 1);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 2);
}
END_TEST

START_TEST(state_missing)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/");
    const char *q = ft_callback_query(cb.state, "code-1");
    ck_assert_reason(finish(&f, &cb, q, NULL), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    ck_assert_reason(finish(&f, &cb, q, "other=1; aoidc_session=x"), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    /* no state parameter at all */
    ck_assert_reason(finish(&f, &cb, "code=x", cb.hdr), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    /* the cookie of another attempt does not open for this state */
    cb_t other;
    start(&f, &other, "/");
    const char *swapped = apr_pstrcat(tp, aoidc_state_cookie_name(cb.state, tp),
                                      strchr(other.hdr, '='), NULL);
    ck_assert_reason(finish(&f, &cb, q, swapped), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
    ck_assert_int_eq(aoidc_mem_store_count(f.cache.ms), 0);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
}
END_TEST

START_TEST(state_expired)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/");
    ft_at(&f, apr_time_sec(AOIDC_STATE_TTL) + 1);
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr), cb.err,
        AOIDC_REASON_STATE_EXPIRED);
    ck_assert(state_deleted(&cb));
}
END_TEST

START_TEST(op_error)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/");
    const char *q =
        apr_pstrcat(tp,
                    "error=access_denied&error_description=no"
                    "&state=",
                    cb.state, "&iss=", aoidc_url_encode(T_ISS, tp), NULL);
    ck_assert_reason(finish(&f, &cb, q, cb.hdr), cb.err, AOIDC_REASON_OP_ERROR);
    ck_assert_ptr_nonnull(cb.err.op_error);
    ck_assert_str_eq(cb.err.op_error, "access_denied");
    ck_assert(state_deleted(&cb));
    /* nothing written: not even the marker */
    ck_assert(!marker_in(&f.cache, cb.state));
    ck_assert_int_eq(f.cache.sets + f.cache.adds, 0);
    ck_assert_int_eq(f.sessions.sets + f.sessions.adds, 0);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
}
END_TEST

START_TEST(iss_param)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/");
    const char *q = apr_pstrcat(tp, "code=c&state=", cb.state,
                                "&iss=https%3A%2F%2Fevil.example", NULL);
    ck_assert_reason(finish(&f, &cb, q, cb.hdr), cb.err,
                     AOIDC_REASON_ISS_PARAM);
    /* the OP announces iss: it must be there */
    q = apr_pstrcat(tp, "code=c&state=", cb.state, NULL);
    ck_assert_reason(finish(&f, &cb, q, cb.hdr), cb.err,
                     AOIDC_REASON_ISS_PARAM);
    ck_assert(!marker_in(&f.cache, cb.state));
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
}
END_TEST

/* AuthOIDCProfile fapi2 (rp->iss_required): iss is required even of an
 * OP that does not announce it; without the profile such an OP's answer
 * without iss is taken */
START_TEST(iss_required_by_the_profile)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    aoidc_fake_http_route(
        f.fh, FT_WK, 200,
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"" FT_AUTHORIZE
        "\",\"token_endpoint\":\"" FT_TOKEN "\",\"jwks_uri\":\"" FT_JWKS "\"}");
    f.rp.iss_required = true;
    start(&f, &cb, "/");
    const char *q = apr_pstrcat(tp, "code=c&state=", cb.state, NULL);
    ck_assert_reason(finish(&f, &cb, q, cb.hdr), cb.err,
                     AOIDC_REASON_ISS_PARAM);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
    f.rp.iss_required = false;
    start(&f, &cb, "/");
    q = apr_pstrcat(tp, "code=c&state=", cb.state, NULL);
    finish(&f, &cb, q, cb.hdr);
    ck_assert_int_ne(cb.err.reason, AOIDC_REASON_ISS_PARAM);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 1);
}
END_TEST

START_TEST(state_of_other_issuer)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    f.rp.issuer = "https://other.example";
    start(&f, &cb, "/");
    f.rp.issuer = T_ISS;
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr), cb.err,
        AOIDC_REASON_STATE_MISSING);
    ck_assert(state_deleted(&cb));
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
}
END_TEST

START_TEST(bad_nonce)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/");
    ft_token_answer(&f, ft_id_token(&f, "another-nonce", NULL), "at", NULL, 60);
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr), cb.err,
        AOIDC_REASON_NONCE);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
    ck_assert_ptr_null(ft_cookie(cb.out.cookies, f.rp.cookie_name));
    /* the state is spent all the same */
    ck_assert(marker_in(&f.cache, cb.state));

    start(&f, &cb, "/");
    ft_token_answer(&f, ft_id_token(&f, NULL, NULL), "at", NULL, 60);
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr), cb.err,
        AOIDC_REASON_NONCE);
}
END_TEST

START_TEST(token_endpoint_refuses)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/");
    aoidc_fake_http_route(f.fh, FT_TOKEN, 400, "{\"error\":\"invalid_grant\"}");
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr), cb.err,
        AOIDC_REASON_TOKEN_ENDPOINT);
    ck_assert(state_deleted(&cb));
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
}
END_TEST

START_TEST(userinfo_merged_or_dropped)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    f.rp.userinfo = true;
    aoidc_fake_http_route(f.fh, FT_USERINFO, 200,
                          "{\"sub\":\"alice\",\"email\":\"a@x\"}");
    ck_assert_ok(run(&f, &cb, NULL), cb.err);
    ck_assert_int_eq(cb.out.userinfo_err.reason, AOIDC_REASON_NONE);
    ck_assert_str_eq(aoidc_fake_http_last(f.fh)->authorization, "Bearer at-1");
    ck_assert_str_eq(
        aoidc_claims_get(session_of(&f, &cb)->claims, "email")->value, "a@x");

    /* another sub: the claims are dropped, the login stands */
    aoidc_fake_http_route(f.fh, FT_USERINFO, 200,
                          "{\"sub\":\"mallory\",\"email\":\"m@x\"}");
    ck_assert_ok(run(&f, &cb, NULL), cb.err);
    ck_assert_int_eq(cb.out.userinfo_err.reason, AOIDC_REASON_USERINFO_SUB);
    ck_assert_str_eq(cb.out.user, "alice");
    ck_assert_ptr_null(aoidc_claims_get(session_of(&f, &cb)->claims, "email"));

    /* userinfo down: the same */
    aoidc_fake_http_fail(f.fh, FT_USERINFO, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_ok(run(&f, &cb, NULL), cb.err);
    ck_assert_int_eq(cb.out.userinfo_err.reason, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_str_eq(cb.out.user, "alice");
}
END_TEST

START_TEST(huge_claims_trimmed)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    f.rp.userinfo = true;
    f.rp.remote_user_claim = "big0";
    char *big = apr_palloc(tp, 4001);
    memset(big, 'b', 4000);
    big[4000] = '\0';
    json_t *ui = json_pack("{s:s}", "sub", "alice");
    for (int i = 0; i < 8; i++) {
        json_object_set_new(ui, apr_psprintf(tp, "big%d", i), json_string(big));
    }
    char *body = json_dumps(ui, JSON_COMPACT);
    aoidc_fake_http_route(f.fh, FT_USERINFO, 200, body);
    free(body);
    json_decref(ui);

    ck_assert_ok(run(&f, &cb, NULL), cb.err);
    ck_assert_int_eq(cb.out.userinfo_err.reason, AOIDC_REASON_NONE);
    ck_assert_int_gt(cb.out.claims_dropped, 0);
    ck_assert_str_eq(cb.out.user, big);
    aoidc_session_t *s = session_of(&f, &cb);
    ck_assert_str_eq(aoidc_claims_get(s->claims, "sub")->value, "alice");
    ck_assert_ptr_nonnull(aoidc_claims_get(s->claims, "big0"));
    ck_assert_ptr_nonnull(aoidc_claims_get(s->claims, "iss"));
    unsigned char *enc;
    apr_size_t n;
    aoidc_session_encode(&enc, &n, s, tp);
    ck_assert_uint_le(n, AOIDC_SESSION_MAX);
    /* no more dropped than needed: one more big claim would not fit */
    int bigs = 0;
    for (int i = 0; i < 8; i++) {
        bigs +=
            aoidc_claims_get(s->claims, apr_psprintf(tp, "big%d", i)) != NULL;
    }
    ck_assert_int_eq(bigs + cb.out.claims_dropped, 8);
    ck_assert_uint_gt(n + 4100, AOIDC_SESSION_MAX);
}
END_TEST

/* A 12 KB groups claim in the ID Token (a 17 KB token): the claims are
 * kept, the token itself is not (too long for the store entry bound and
 * for an id_token_hint), and a logout says nothing about a missing entry */
START_TEST(large_id_token_claims_kept)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    json_t *groups = json_array(), *extra = json_object();
    for (int i = 0; i < 950; i++) {
        json_array_append_new(groups,
                              json_string(apr_psprintf(tp, "group-%04d", i)));
    }
    json_object_set_new(extra, "groups", groups);
    ck_assert_ok(run(&f, &cb, extra), cb.err);
    ck_assert_uint_gt(cb.out.id_token_not_kept, AOIDC_MAX_TOKEN_LEN);
    ck_assert_int_eq(cb.out.claims_dropped, 0);
    aoidc_session_t *s = session_of(&f, &cb);
    const aoidc_claim_t *g = aoidc_claims_get(s->claims, "groups");
    ck_assert_ptr_nonnull(g);
    ck_assert(g->is_json);
    ck_assert_uint_gt(strlen(g->value), 12000);
    ck_assert_ptr_nonnull(strstr(g->value, "\"group-0949\"]"));

    const aoidc_cookie_op_t *sc = ft_cookie(cb.out.cookies, f.rp.cookie_name);
    aoidc_logout_out_t lo;
    aoidc_err_t err = {0};
    aoidc_logout_in_t in = {sc->value, "/bye", "https://rp.example/bye", NULL};
    ck_assert_ok(aoidc_rp_logout(&lo, &f.rp, &f.env, &in, &err), err);
    ck_assert(lo.had_session);
    ck_assert(!lo.id_token_missing);
    ck_assert_ptr_null(ft_url_param(lo.location, "id_token_hint"));
    ck_assert_str_eq(ft_url_param(lo.location, "client_id"), T_AUD);
}
END_TEST

START_TEST(no_user)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    f.rp.remote_user_claim = "email";
    ck_assert_reason(run(&f, &cb, json_pack("{s:s}", "email", "")), cb.err,
                     AOIDC_REASON_NO_USER);
    ck_assert_ptr_null(ft_cookie(cb.out.cookies, f.rp.cookie_name));
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
    /* an ID Token without sub never gets that far */
    f.rp.remote_user_claim = "sub";
    start(&f, &cb, "/");
    json_t *c = aoidc_test_claims();
    json_object_del(c, "sub");
    json_object_set_new(c, "nonce", json_string(cb.nonce));
    ft_token_answer(&f, aoidc_test_sign(f.key, "RS256", "rsa-1", NULL, c, tp),
                    "at", NULL, 60);
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr), cb.err,
        AOIDC_REASON_SUB);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
}
END_TEST

START_TEST(sessions_store_down)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    f.sessions.down_set = true;
    ck_assert_reason(run(&f, &cb, NULL), cb.err,
                     AOIDC_REASON_STORE_UNAVAILABLE);
    ck_assert_ptr_null(ft_cookie(cb.out.cookies, f.rp.cookie_name));
    ck_assert(state_deleted(&cb));
    /* a cache that is down refuses before the code is spent */
    ft_setup(&f);
    f.cache.down_add = true;
    ck_assert_reason(run(&f, &cb, NULL), cb.err,
                     AOIDC_REASON_STORE_UNAVAILABLE);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
}
END_TEST

/* The OP's JWKS with rsa2048-other added as kid rsa-2. */
static const char *rotated_jwks(void)
{
    json_error_t je;
    char *txt = aoidc_test_read("keys/rsa2048-other.jwk.json", NULL, tp);
    json_t *k = json_loads(txt, 0, &je), *all;
    ck_assert_ptr_nonnull(k);
    static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi"};
    for (size_t i = 0; i < 6; i++) {
        json_object_del(k, priv[i]);
    }
    json_object_set_new(k, "kid", json_string("rsa-2"));
    all = json_loads(aoidc_test_read("keys/jwks.json", NULL, tp), 0, &je);
    ck_assert_ptr_nonnull(all);
    json_array_append_new(json_object_get(all, "keys"), k);
    char *s = json_dumps(all, JSON_COMPACT);
    const char *out = apr_pstrdup(tp, s);
    free(s);
    json_decref(all);
    return out;
}

START_TEST(key_rotation)
{
    ft_t f;
    cb_t cb;
    aoidc_snapshot_t *snap;
    aoidc_err_t err = {0};
    ft_setup(&f);
    ft_at(&f, -400); /* keys fetched a while ago */
    ck_assert_ok(aoidc_flow_snapshot(&snap, &f.env, &err), err);
    ft_at(&f, 0);
    aoidc_fake_http_route(f.fh, FT_JWKS, 200, rotated_jwks());
    start(&f, &cb, "/");
    json_t *c = aoidc_test_claims();
    json_object_set_new(c, "nonce", json_string(cb.nonce));
    ft_token_answer(&f,
                    aoidc_test_sign(aoidc_test_key("rsa2048-other", tp),
                                    "RS256", "rsa-2", NULL, c, tp),
                    "at", NULL, 60);
    ck_assert_ok(finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr),
                 cb.err);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_JWKS), 2);
}
END_TEST

/* --- recovery (rp.h "Recovery") ---------------------------------------- */

/* A header with the cookies the callback set (the restart counter) and
 * the given extra pairs. */
static const char *jar(const cb_t *cb, const char *extra)
{
    const aoidc_cookie_op_t *op =
        ft_cookie(cb->out.cookies, AOIDC_RESTART_COOKIE);
    if (!op) {
        return extra;
    }
    return apr_pstrcat(tp, AOIDC_RESTART_COOKIE "=", op->value,
                       extra ? "; " : "", extra, NULL);
}

START_TEST(expired_restarts_to_original_url)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/app/deep?x=1");
    ft_at(&f, apr_time_sec(AOIDC_STATE_TTL) + 1);
    cb.navigation = true;
    cb.root = "/app/";
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr), cb.err,
        AOIDC_REASON_STATE_EXPIRED);
    ck_assert_str_eq(cb.out.restart_to, "/app/deep?x=1");
    ck_assert_str_eq(cb.out.retry_to, "/app/deep?x=1");
    ck_assert_int_eq(cb.out.restarts, 1);
    ck_assert(state_deleted(&cb));
    const aoidc_cookie_op_t *rc =
        ft_cookie(cb.out.cookies, AOIDC_RESTART_COOKIE);
    ck_assert_ptr_nonnull(rc);
    ck_assert_int_eq(rc->kind, AOIDC_COOKIE_STATE);
    ck_assert_int_eq(rc->max_age, apr_time_sec(AOIDC_RESTART_WINDOW));
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
    ck_assert_int_eq(f.cache.sets + f.cache.adds, 0);

    /* not a navigation (XHR): the error only, with the page's link */
    cb.navigation = false;
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), cb.hdr), cb.err,
        AOIDC_REASON_STATE_EXPIRED);
    ck_assert_ptr_null(cb.out.restart_to);
    ck_assert_str_eq(cb.out.retry_to, "/app/deep?x=1");
    ck_assert_ptr_null(ft_cookie(cb.out.cookies, AOIDC_RESTART_COOKIE));
}
END_TEST

START_TEST(missing_restarts_to_location_root)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/app/x");
    cb.navigation = true;
    cb.root = "/app/";
    const char *q = ft_callback_query(cb.state, "code-1");
    ck_assert_reason(finish(&f, &cb, q, NULL), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    ck_assert_str_eq(cb.out.restart_to, "/app/");
    /* no location root known: no restart, no link */
    cb.root = NULL;
    ck_assert_reason(finish(&f, &cb, q, NULL), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    ck_assert_ptr_null(cb.out.restart_to);
    ck_assert_ptr_null(cb.out.retry_to);
    /* a response that does not parse is nothing to recover */
    cb.root = "/app/";
    ck_assert_reason(finish(&f, &cb, "code=x", NULL), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    ck_assert_ptr_null(cb.out.restart_to);
    ck_assert_ptr_null(cb.out.retry_to);
    /* other failures are not restarted either (the OP said no) */
    const char *err_q = apr_pstrcat(tp, "error=access_denied&state=", cb.state,
                                    "&iss=", aoidc_url_encode(T_ISS, tp), NULL);
    ck_assert_reason(finish(&f, &cb, err_q, cb.hdr), cb.err,
                     AOIDC_REASON_OP_ERROR);
    ck_assert_ptr_null(cb.out.restart_to);
    /* nothing written to any store by a callback that does not finish */
    ck_assert_int_eq(f.cache.sets + f.cache.adds, 0);
    ck_assert_int_eq(f.sessions.sets + f.sessions.adds, 0);
}
END_TEST

START_TEST(restarts_bounded)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/app/x");
    cb.navigation = true;
    cb.root = "/app/";
    const char *q = ft_callback_query(cb.state, "code-1");
    const char *hdr = NULL;
    for (int i = 1; i <= AOIDC_RESTART_MAX; i++) {
        ft_at(&f, i);
        ck_assert_reason(finish(&f, &cb, q, hdr), cb.err,
                         AOIDC_REASON_STATE_MISSING);
        ck_assert_ptr_nonnull(cb.out.restart_to);
        ck_assert_int_eq(cb.out.restarts, i);
        hdr = jar(&cb, "other=1");
    }
    /* the 4th within the window: the page */
    ft_at(&f, 30);
    ck_assert_reason(finish(&f, &cb, q, hdr), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    ck_assert_ptr_null(cb.out.restart_to);
    ck_assert_str_eq(cb.out.retry_to, "/app/");
    ck_assert_int_eq(cb.out.restarts, AOIDC_RESTART_MAX);
    ck_assert_ptr_null(ft_cookie(cb.out.cookies, AOIDC_RESTART_COOKIE));
    /* the window is counted from the first restart: a minute later the
     * counter starts again */
    ft_at(&f, 1 + apr_time_sec(AOIDC_RESTART_WINDOW));
    ck_assert_reason(finish(&f, &cb, q, hdr), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    ck_assert_ptr_nonnull(cb.out.restart_to);
    ck_assert_int_eq(cb.out.restarts, 1);
}
END_TEST

START_TEST(restart_counter_not_trusted)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/app/x");
    cb.navigation = true;
    cb.root = "/app/";
    const char *q = ft_callback_query(cb.state, "code-1");
    /* garbage counts as none */
    ck_assert_reason(finish(&f, &cb, q, AOIDC_RESTART_COOKIE "=AAAA"), cb.err,
                     AOIDC_REASON_STATE_MISSING);
    ck_assert_int_eq(cb.out.restarts, 1);
    /* a counter sealed under another seal (another passphrase) as well */
    aoidc_seal_t *other;
    char *sealed;
    ck_assert_int_eq(
        aoidc_seal_create(&other, "another passphrase!!", 20, "state", tp),
        APR_SUCCESS);
    ck_assert_int_eq(aoidc_seal_text(&sealed, other,
                                     (const unsigned char *)"0:0", 3, "restart",
                                     7, tp),
                     APR_SUCCESS);
    ck_assert_reason(
        finish(&f, &cb, q,
               apr_pstrcat(tp, AOIDC_RESTART_COOKIE "=", sealed, NULL)),
        cb.err, AOIDC_REASON_STATE_MISSING);
    ck_assert_int_eq(cb.out.restarts, 1);
    /* a huge count sealed by us is capped at the bound: the page */
    const char *big = apr_psprintf(tp, "99999:%" APR_INT64_T_FMT,
                                   (apr_int64_t)apr_time_sec(f.env.now));
    ck_assert_int_eq(aoidc_seal_text(&sealed, f.rp.seal_state,
                                     (const unsigned char *)big, strlen(big),
                                     "restart", 7, tp),
                     APR_SUCCESS);
    ck_assert_reason(
        finish(&f, &cb, q,
               apr_pstrcat(tp, AOIDC_RESTART_COOKIE "=", sealed, NULL)),
        cb.err, AOIDC_REASON_STATE_MISSING);
    ck_assert_ptr_null(cb.out.restart_to);
    ck_assert_int_eq(cb.out.restarts, AOIDC_RESTART_MAX);
    /* a state cookie's seal never opens as a counter (other associated
     * data): the state cookie value sent as the counter counts as none */
    ck_assert_reason(finish(&f, &cb, q,
                            apr_pstrcat(tp, AOIDC_RESTART_COOKIE,
                                        strchr(cb.hdr, '='), NULL)),
                     cb.err, AOIDC_REASON_STATE_MISSING);
    ck_assert_int_eq(cb.out.restarts, 1);
}
END_TEST

START_TEST(replay_without_cookie_is_known)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/app/deep?x=1");
    ft_token_answer(&f, ft_id_token(&f, cb.nonce, NULL), "at-1", "rt-1", 300);
    const char *q = ft_callback_query(cb.state, "code-1");
    ck_assert_ok(finish(&f, &cb, q, cb.hdr), cb.err);
    const char *session =
        apr_pstrdup(tp, ft_cookie(cb.out.cookies, f.rp.cookie_name)->value);

    /* the back button: the same URL, the state cookie is gone, the session
     * is alive: back to the original URL, no error, no new session */
    cb.navigation = true;
    cb.root = "/app/";
    const char *with_session =
        apr_pstrcat(tp, AOIDC_SESSION_COOKIE "=", session, NULL);
    ck_assert_ok(finish(&f, &cb, q, with_session), cb.err);
    ck_assert(cb.out.resumed);
    ck_assert_str_eq(cb.out.location, "/app/deep?x=1");
    ck_assert_ptr_null(cb.out.user);
    ck_assert_ptr_null(ft_cookie(cb.out.cookies, f.rp.cookie_name));
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 1);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 2);

    /* the same with the state cookie re-sent (another node's copy) */
    ck_assert_ok(
        finish(&f, &cb, q, apr_pstrcat(tp, cb.hdr, "; ", with_session, NULL)),
        cb.err);
    ck_assert(cb.out.resumed);

    /* without a session: a replay, restarted to the original URL */
    ck_assert_reason(finish(&f, &cb, q, NULL), cb.err,
                     AOIDC_REASON_STATE_REPLAY);
    ck_assert_str_eq(cb.out.restart_to, "/app/deep?x=1");
    /* with a dead session (a ticket of ours the store does not know, say
     * logged out meanwhile): the same */
    const char *dead =
        apr_pstrcat(tp, AOIDC_SESSION_COOKIE "=", f.rp.tag,
                    ".CCCCCCCCCCCCCCCCCCCCCC.DDDDDDDDDDDDDDDDDDDDDD", NULL);
    ck_assert_reason(finish(&f, &cb, q, dead), cb.err,
                     AOIDC_REASON_STATE_REPLAY);
    ck_assert_ptr_nonnull(cb.out.restart_to);
    ck_assert(!cb.out.resumed);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 1);

    /* the marker keeps the return URL sealed: it is not in the store as
     * it is */
    unsigned char key[AOIDC_STORE_KEY_LEN], *v;
    apr_size_t n;
    aoidc_store_key(key, "state-used", cb.state, strlen(cb.state));
    ck_assert_int_eq(f.cache.inner->get(f.cache.inner, key, &v, &n, tp),
                     APR_SUCCESS);
    ck_assert_ptr_null(strstr(apr_pstrmemdup(tp, (char *)v, n), "deep"));
}
END_TEST

START_TEST(cache_down_leaves_attempt_unknown)
{
    ft_t f;
    cb_t cb;
    ft_setup(&f);
    start(&f, &cb, "/app/x");
    f.cache.down_get = true;
    cb.navigation = true;
    cb.root = "/app/";
    ck_assert_reason(
        finish(&f, &cb, ft_callback_query(cb.state, "code-1"), NULL), cb.err,
        AOIDC_REASON_STATE_MISSING);
    ck_assert_str_eq(cb.out.restart_to, "/app/");
}
END_TEST

TCase *aoidc_rp_callback_tcase(void)
{
    TCase *tc = aoidc_test_tcase("rp_callback");
    tcase_add_test(tc, success);
    tcase_add_test(tc, joins_shared_cookie);
    tcase_add_test(tc, replay);
    tcase_add_test(tc, state_missing);
    tcase_add_test(tc, state_expired);
    tcase_add_test(tc, op_error);
    tcase_add_test(tc, iss_param);
    tcase_add_test(tc, iss_required_by_the_profile);
    tcase_add_test(tc, state_of_other_issuer);
    tcase_add_test(tc, bad_nonce);
    tcase_add_test(tc, token_endpoint_refuses);
    tcase_add_test(tc, userinfo_merged_or_dropped);
    tcase_add_test(tc, huge_claims_trimmed);
    tcase_add_test(tc, large_id_token_claims_kept);
    tcase_add_test(tc, no_user);
    tcase_add_test(tc, sessions_store_down);
    tcase_add_test(tc, key_rotation);
    tcase_add_test(tc, expired_restarts_to_original_url);
    tcase_add_test(tc, missing_restarts_to_location_root);
    tcase_add_test(tc, restarts_bounded);
    tcase_add_test(tc, restart_counter_not_trusted);
    tcase_add_test(tc, replay_without_cookie_is_known);
    tcase_add_test(tc, cache_down_leaves_attempt_unknown);
    return tc;
}
