/* SPDX-License-Identifier: Apache-2.0 */
/* core/dpop_rp.c and the DPoP paths of client.c: the derived key, the
 * proof's header and claims (checked by the resource server's own
 * validator, dpop.c), the nonce challenge, and what goes on the wire for
 * the token request, its nonce retry and the userinfo call. */
#include <string.h>

#include "core/client.h"
#include "core/dpop.h"
#include "core/dpop_rp.h"
#include "core/json.h"
#include "core/jws.h"
#include "unit.h"

#define PASS     "correct horse battery staple"
#define TOKEN_EP T_ISS "/token"
#define UI_EP    T_ISS "/userinfo"
#define DPOP_OK                                                                \
    "{\"access_token\":\"at-1\",\"token_type\":\"DPoP\",\"id_token\":"         \
    "\"h.p.s\",\"expires_in\":300}"
#define BEARER_OK                                                              \
    "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"id_token\":"       \
    "\"h.p.s\",\"expires_in\":300}"

static aoidc_client_key_t *derive(const char *pass)
{
    aoidc_client_key_t *k;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_dpop_key_derive(&k, pass, strlen(pass), tp, &err), err);
    return k;
}

static aoidc_jws_t *parsed(const char *proof)
{
    aoidc_jws_t *j;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_jws_parse(&j, proof, strlen(proof), tp, &err), err);
    return j;
}

START_TEST(key_is_a_function_of_the_passphrase)
{
    aoidc_client_key_t *a = derive(PASS), *b = derive(PASS);
    aoidc_client_key_t *c = derive(PASS "!");
    /* the same on every process and node: same thumbprint, same key */
    ck_assert_str_eq(aoidc_dpop_key_jkt(a), aoidc_dpop_key_jkt(b));
    ck_assert_str_eq(aoidc_client_key_public_jwk(a, tp),
                     aoidc_client_key_public_jwk(b, tp));
    ck_assert_str_ne(aoidc_dpop_key_jkt(a), aoidc_dpop_key_jkt(c));
    ck_assert_str_eq(aoidc_client_key_alg(a, false), "ES256");
    ck_assert_int_eq(strlen(aoidc_dpop_key_jkt(a)), 43);
    /* not the key of any other purpose of the same passphrase */
    aoidc_client_key_t *o;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_client_key_derive_p256(&o, PASS, strlen(PASS), "session",
                                              tp, &err),
                 err);
    ck_assert_str_ne(aoidc_dpop_key_jkt(a), aoidc_dpop_key_jkt(o));
    /* a public JWK only */
    json_t *jwk = json_loads(aoidc_client_key_public_jwk(a, tp), 0, NULL);
    ck_assert_ptr_nonnull(jwk);
    ck_assert_str_eq(json_string_value(json_object_get(jwk, "crv")), "P-256");
    ck_assert_ptr_null(json_object_get(jwk, "d"));
    json_decref(jwk);
}
END_TEST

START_TEST(proof_claims_and_header)
{
    aoidc_client_key_t *k = derive(PASS);
    aoidc_err_t err = {0};
    char *p1, *p2;
    ck_assert_ok(aoidc_dpop_proof(&p1, k, "GET", T_ISS "/userinfo?x=1#f",
                                  "the-token", "n-1", T_NOW, tp, &err),
                 err);
    ck_assert_ok(
        aoidc_dpop_proof(&p2, k, "POST", TOKEN_EP, NULL, NULL, T_NOW, tp, &err),
        err);
    aoidc_jws_t *j = parsed(p1), *j2 = parsed(p2);
    ck_assert_str_eq(j->typ, "dpop+jwt");
    ck_assert_str_eq(j->alg, "ES256");
    ck_assert_ptr_null(j->kid);
    const json_t *jwk = json_object_get(j->header, "jwk");
    ck_assert_ptr_nonnull(jwk);
    ck_assert_ptr_null(json_object_get(jwk, "d"));
    ck_assert_str_eq(aoidc_jwk_thumbprint(jwk, tp), aoidc_dpop_key_jkt(k));
    ck_assert_str_eq(aoidc_json_str(j->payload, "htm"), "GET");
    ck_assert_str_eq(aoidc_json_str(j->payload, "htu"), T_ISS "/userinfo");
    ck_assert_str_eq(aoidc_json_str(j->payload, "nonce"), "n-1");
    apr_int64_t iat = 0;
    ck_assert(aoidc_json_int(j->payload, "iat", &iat));
    ck_assert_int_eq(iat, T_NOW_SEC);
    /* ath = base64url(SHA-256("the-token")) */
    ck_assert_str_eq(aoidc_json_str(j->payload, "ath"),
                     "wqc_z2HfvcrceaELozCy7162b8Cmc17Wm3lrs8l7l64");
    const char *jti = aoidc_json_str(j->payload, "jti");
    ck_assert_int_eq(strlen(jti), 22);
    ck_assert_str_ne(jti, aoidc_json_str(j2->payload, "jti"));
    ck_assert_ptr_null(json_object_get(j2->payload, "ath"));
    ck_assert_ptr_null(json_object_get(j2->payload, "nonce"));
    ck_assert_str_eq(aoidc_json_str(j2->payload, "htm"), "POST");

    /* and the resource server's validator (dpop.c) takes it */
    aoidc_dpop_rules_t r = {"GET", T_ISS "/userinfo",    "the-token", T_NOW, 60,
                            60,    AOIDC_ALGS_ASYMMETRIC};
    aoidc_dpop_proof_t out;
    ck_assert_ok(aoidc_dpop_check(&out, p1, &r, tp, &err), err);
    ck_assert_str_eq(out.jkt, aoidc_dpop_key_jkt(k));
    r.access_token = "another";
    ck_assert_int_ne(aoidc_dpop_check(&out, p1, &r, tp, &err), APR_SUCCESS);
}
END_TEST

static bool challenged(int status, const char *body, const char *nonce,
                       const char *www)
{
    aoidc_http_resp_t r = {status, body, body ? strlen(body) : 0, nonce, www};
    const char *n = NULL;
    bool yes = aoidc_dpop_nonce_challenge(&n, &r, tp);
    ck_assert(yes == (n != NULL));
    return yes;
}

START_TEST(nonce_challenge_table)
{
    const char *e = "{\"error\":\"use_dpop_nonce\"}";
    ck_assert(challenged(400, e, "abc", NULL));
    ck_assert(!challenged(400, e, NULL, NULL));   /* no nonce given */
    ck_assert(!challenged(400, e, "", NULL));     /* empty */
    ck_assert(!challenged(400, e, "a b", NULL));  /* not NQCHAR */
    ck_assert(!challenged(400, e, "a\"b", NULL)); /* quote */
    ck_assert(!challenged(400, "{\"error\":\"invalid_grant\"}", "abc", NULL));
    ck_assert(!challenged(400, "not json", "abc", NULL));
    ck_assert(!challenged(200, e, "abc", NULL));
    ck_assert(!challenged(401, e, "abc", NULL)); /* 401 speaks by header */
    ck_assert(challenged(401, NULL, "abc",
                         "DPoP error=\"use_dpop_nonce\", "
                         "error_description=\"x\""));
    ck_assert(challenged(401, NULL, "abc",
                         "Bearer realm=\"x\", DPoP algs=\"ES256\", "
                         "error=\"use_dpop_nonce\""));
    ck_assert(challenged(401, NULL, "abc", "dpop error=use_dpop_nonce"));
    ck_assert(!challenged(401, NULL, "abc", "DPoP error=\"invalid_token\""));
    ck_assert(!challenged(401, NULL, "abc", "Bearer error=\"invalid_token\""));
    ck_assert(!challenged(401, NULL, "abc", "DPoPx error=\"use_dpop_nonce\""));
    ck_assert(!challenged(401, NULL, "abc", "DPoP error=use_dpop_noncex"));
    char *big = apr_palloc(tp, AOIDC_DPOP_NONCE_MAX + 2);
    memset(big, 'a', AOIDC_DPOP_NONCE_MAX + 1);
    big[AOIDC_DPOP_NONCE_MAX + 1] = '\0';
    ck_assert(!challenged(400, e, big, NULL));
    big[AOIDC_DPOP_NONCE_MAX] = '\0';
    ck_assert(challenged(400, e, big, NULL));
}
END_TEST

static aoidc_metadata_t md(void)
{
    aoidc_metadata_t m = {0};
    m.issuer = T_ISS;
    m.token_endpoint = TOKEN_EP;
    m.userinfo_endpoint = UI_EP;
    m.token_auth_methods = AOIDC_AUTH_BASIC;
    return m;
}

static aoidc_jws_t *last_proof(aoidc_fake_http_t *f)
{
    const aoidc_http_req_t *r = aoidc_fake_http_last(f);
    ck_assert_ptr_nonnull(r->dpop);
    return parsed(r->dpop);
}

START_TEST(token_request_carries_a_proof)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md();
    aoidc_client_t c0 = {.client_id = T_AUD, .client_secret = "s3cret"}, tmp;
    aoidc_client_key_t *k = derive(PASS);
    const aoidc_client_t *c = aoidc_client_dpop(&tmp, &c0, k, false);
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    ck_assert_ptr_eq(aoidc_client_dpop(&tmp, &c0, NULL, true), &c0);
    aoidc_fake_http_route(f, TOKEN_EP, 200, DPOP_OK);
    ck_assert_ok(aoidc_client_refresh(&t, h, &m, c, "rt-1", tp, &err), err);
    ck_assert_str_eq(t.token_type, "DPoP");
    aoidc_jws_t *j = last_proof(f);
    ck_assert_str_eq(aoidc_json_str(j->payload, "htm"), "POST");
    ck_assert_str_eq(aoidc_json_str(j->payload, "htu"), TOKEN_EP);
    ck_assert_ptr_null(json_object_get(j->payload, "ath"));
    /* a Bearer answer: fine unless a bound token is required */
    aoidc_fake_http_route(f, TOKEN_EP, 200, BEARER_OK);
    ck_assert_ok(aoidc_client_refresh(&t, h, &m, c, "rt-1", tp, &err), err);
    c = aoidc_client_dpop(&tmp, &c0, k, true);
    ck_assert_reason(aoidc_client_refresh(&t, h, &m, c, "rt-1", tp, &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    /* a DPoP token for a client that sent no proof */
    aoidc_fake_http_route(f, TOKEN_EP, 200, DPOP_OK);
    ck_assert_reason(aoidc_client_refresh(&t, h, &m, &c0, "rt-1", tp, &err),
                     err, AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_ptr_null(aoidc_fake_http_last(f)->dpop);
}
END_TEST

/* RFC 9449 §8: one retry with the OP's nonce, never more */
START_TEST(token_request_retries_once_with_the_nonce)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md();
    aoidc_client_t c0 = {.client_id = T_AUD, .client_secret = "s3cret"}, tmp;
    const aoidc_client_t *c = aoidc_client_dpop(&tmp, &c0, derive(PASS), true);
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(f, TOKEN_EP, 400, "{\"error\":\"use_dpop_nonce\"}");
    aoidc_fake_http_headers(f, TOKEN_EP, "srv-nonce-1", NULL);
    ck_assert_reason(aoidc_client_refresh(&t, h, &m, c, "rt-1", tp, &err), err,
                     AOIDC_REASON_TOKEN_ENDPOINT);
    ck_assert_str_eq(err.op_error, "use_dpop_nonce");
    ck_assert_int_eq(aoidc_fake_http_calls(f, TOKEN_EP), 2);
    ck_assert_str_eq(aoidc_json_str(last_proof(f)->payload, "nonce"),
                     "srv-nonce-1");
    /* no retry without DPoP, or for another error */
    ck_assert_reason(aoidc_client_refresh(&t, h, &m, &c0, "rt-1", tp, &err),
                     err, AOIDC_REASON_TOKEN_ENDPOINT);
    ck_assert_int_eq(aoidc_fake_http_calls(f, TOKEN_EP), 3);
    aoidc_fake_http_route(f, TOKEN_EP, 400, "{\"error\":\"invalid_grant\"}");
    ck_assert_reason(aoidc_client_refresh(&t, h, &m, c, "rt-1", tp, &err), err,
                     AOIDC_REASON_TOKEN_ENDPOINT);
    ck_assert_int_eq(aoidc_fake_http_calls(f, TOKEN_EP), 4);
}
END_TEST

START_TEST(userinfo_with_a_dpop_token)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md();
    aoidc_client_t c0 = {.client_id = T_AUD}, tmp;
    const aoidc_client_t *c = aoidc_client_dpop(&tmp, &c0, derive(PASS), true);
    aoidc_err_t err = {0};
    json_t *ui;
    aoidc_fake_http_route(f, UI_EP, 200, "{\"sub\":\"alice\"}");
    ck_assert_ok(aoidc_client_userinfo(&ui, h, &m, c, "the-token", "DPoP",
                                       "alice", tp, &err),
                 err);
    ck_assert_str_eq(aoidc_fake_http_last(f)->authorization, "DPoP the-token");
    aoidc_jws_t *j = last_proof(f);
    ck_assert_str_eq(aoidc_json_str(j->payload, "htm"), "GET");
    ck_assert_str_eq(aoidc_json_str(j->payload, "htu"), UI_EP);
    ck_assert_str_eq(aoidc_json_str(j->payload, "ath"),
                     "wqc_z2HfvcrceaELozCy7162b8Cmc17Wm3lrs8l7l64");
    /* a Bearer token stays Bearer, without a proof */
    ck_assert_ok(aoidc_client_userinfo(&ui, h, &m, c, "the-token", "bearer",
                                       "alice", tp, &err),
                 err);
    ck_assert_str_eq(aoidc_fake_http_last(f)->authorization,
                     "Bearer the-token");
    ck_assert_ptr_null(aoidc_fake_http_last(f)->dpop);
    /* §9: a 401 use_dpop_nonce is answered once with the nonce */
    aoidc_fake_http_route(f, UI_EP, 401, "");
    aoidc_fake_http_headers(f, UI_EP, "rs-nonce",
                            "DPoP error=\"use_dpop_nonce\"");
    ck_assert_reason(aoidc_client_userinfo(&ui, h, &m, c, "the-token", "DPoP",
                                           "alice", tp, &err),
                     err, AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_int_eq(aoidc_fake_http_calls(f, UI_EP), 4);
    ck_assert_str_eq(aoidc_json_str(last_proof(f)->payload, "nonce"),
                     "rs-nonce");
}
END_TEST

TCase *aoidc_dpop_rp_tcase(void)
{
    TCase *tc = aoidc_test_tcase("dpop_rp");
    tcase_add_test(tc, key_is_a_function_of_the_passphrase);
    tcase_add_test(tc, proof_claims_and_header);
    tcase_add_test(tc, nonce_challenge_table);
    tcase_add_test(tc, token_request_carries_a_proof);
    tcase_add_test(tc, token_request_retries_once_with_the_nonce);
    tcase_add_test(tc, userinfo_with_a_dpop_token);
    return tc;
}
