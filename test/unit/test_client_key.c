/* SPDX-License-Identifier: Apache-2.0 */
/* core/client_key.c and the private_key_jwt path of client.c: keys from
 * PEM, the published JWKS, the assertion's header, claims and signature,
 * and what goes on the wire for every client-authenticating call. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/b64url.h"
#include "core/client.h"
#include "core/client_key.h"
#include "core/json.h"
#include "core/jws.h"
#include "core/url.h"
#include "unit.h"

#define TOKEN_EP T_ISS "/token"
#define TOKEN_OK                                                               \
    "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"id_token\":"       \
    "\"h.p.s\",\"refresh_token\":\"rt-1\",\"expires_in\":300}"

static EVP_PKEY *gen(const char *what)
{
    EVP_PKEY *k = !strcmp(what, "rsa")
                      ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
                  : !strcmp(what, "rsa1024")
                      ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024)
                  : !strcmp(what, "ed25519")
                      ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
                      : EVP_PKEY_Q_keygen(NULL, NULL, "EC", what);
    ck_assert_ptr_nonnull(k);
    return k;
}

static char *pem_of(EVP_PKEY *k, bool priv)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *d;
    ck_assert_int_eq(
        priv ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)
             : PEM_write_bio_PUBKEY(b, k),
        1);
    long n = BIO_get_mem_data(b, &d);
    char *out = apr_pstrndup(tp, d, (apr_size_t)n);
    BIO_free(b);
    return out;
}

static aoidc_client_key_t *key(const char *what, const char *kid)
{
    aoidc_client_key_t *k;
    aoidc_err_t err = {0};
    EVP_PKEY *pk = gen(what);
    char *pem = pem_of(pk, true);
    EVP_PKEY_free(pk);
    ck_assert_ok(aoidc_client_key_parse(&k, pem, strlen(pem), kid, tp, &err),
                 err);
    return k;
}

static apr_array_header_t *keys_of(aoidc_client_key_t *a, aoidc_client_key_t *b)
{
    apr_array_header_t *ks = apr_array_make(tp, 2, sizeof(a));
    APR_ARRAY_PUSH(ks, aoidc_client_key_t *) = a;
    if (b) {
        APR_ARRAY_PUSH(ks, aoidc_client_key_t *) = b;
    }
    return ks;
}

static aoidc_jwks_t *jwks_of(const apr_array_header_t *ks)
{
    aoidc_jwks_t *j;
    aoidc_err_t err = {0};
    char *doc = aoidc_client_keys_jwks(ks, tp);
    ck_assert_ok(aoidc_jwks_parse(&j, doc, strlen(doc), tp, &err), err);
    ck_assert_int_eq(j->skipped->nelts, 0);
    return j;
}

/* an assertion made and checked: header, claims, signature by the JWKS */
static aoidc_jws_t *check(const aoidc_client_key_t *k, bool ps, const char *alg)
{
    char *a;
    aoidc_jws_t *jws;
    aoidc_err_t err = {0};
    ck_assert_ok(
        aoidc_client_assertion(&a, k, ps, "client-1", T_ISS, T_NOW, tp, &err),
        err);
    ck_assert_ok(aoidc_jws_parse(&jws, a, strlen(a), tp, &err), err);
    ck_assert_str_eq(jws->alg, alg);
    ck_assert_str_eq(jws->kid, aoidc_client_key_kid(k));
    ck_assert_str_eq(jws->typ, "JWT");
    json_t *c = jws->payload;
    ck_assert_str_eq(json_string_value(json_object_get(c, "iss")), "client-1");
    ck_assert_str_eq(json_string_value(json_object_get(c, "sub")), "client-1");
    ck_assert_str_eq(json_string_value(json_object_get(c, "aud")), T_ISS);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "iat")), T_NOW_SEC);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")),
                     T_NOW_SEC + AOIDC_ASSERTION_TTL_SEC);
    ck_assert_uint_ge(strlen(json_string_value(json_object_get(c, "jti"))), 22);
    return jws;
}

static void verifies(const aoidc_jws_t *jws, const apr_array_header_t *ks,
                     unsigned alg)
{
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_jws_verify(jws, jwks_of(ks), alg, NULL, tp, &err), err);
}

START_TEST(rsa_rs256_and_ps256)
{
    aoidc_client_key_t *k = key("rsa", "k1");
    apr_array_header_t *ks = keys_of(k, NULL);
    verifies(check(k, false, "RS256"), ks, AOIDC_ALG_RS256);
    verifies(check(k, true, "PS256"), ks, AOIDC_ALG_PS256);
    /* RS256 bytes are not a PS256 signature: same claims and signature,
     * header relabelled */
    aoidc_jws_t *rs = check(k, false, "RS256"), *re;
    aoidc_err_t err = {0};
    const char *h = "{\"alg\":\"PS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}";
    char *forged = apr_pstrcat(
        tp, aoidc_b64url_encode((const unsigned char *)h, strlen(h), tp),
        strchr(rs->compact, '.'), NULL);
    ck_assert_ok(aoidc_jws_parse(&re, forged, strlen(forged), tp, &err), err);
    ck_assert_str_eq(re->alg, "PS256");
    ck_assert_reason(
        aoidc_jws_verify(re, jwks_of(ks), AOIDC_ALG_PS256, NULL, tp, &err), err,
        AOIDC_REASON_SIGNATURE);
}
END_TEST

START_TEST(ec_es256_es384)
{
    aoidc_client_key_t *k256 = key("P-256", NULL), *k384 = key("P-384", NULL);
    verifies(check(k256, true, "ES256"), keys_of(k256, NULL), AOIDC_ALG_ES256);
    verifies(check(k384, true, "ES384"), keys_of(k384, NULL), AOIDC_ALG_ES384);
    /* the raw r||s form of RFC 7518 §3.4: 64 and 96 bytes */
    const char *sig = strrchr(check(k256, false, "ES256")->compact, '.') + 1;
    ck_assert_uint_eq(strlen(sig), 86);
    sig = strrchr(check(k384, false, "ES384")->compact, '.') + 1;
    ck_assert_uint_eq(strlen(sig), 128);
}
END_TEST

START_TEST(ed25519_eddsa)
{
    aoidc_client_key_t *k = key("ed25519", "ed");
    aoidc_jws_t *jws = check(k, true, "EdDSA");
    char *doc = aoidc_client_keys_jwks(keys_of(k, NULL), tp);
    ck_assert_ptr_nonnull(strstr(doc, "\"kty\":\"OKP\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"crv\":\"Ed25519\""));
    /* jwk.c takes no OKP keys: verify with OpenSSL from the published x */
    json_t *j;
    aoidc_err_t err = {0};
    unsigned char *x, *sig;
    apr_size_t xn, sn;
    ck_assert_ok(aoidc_json_parse(&j, doc, strlen(doc), 4096, false, tp, &err),
                 err);
    const char *xs =
        aoidc_json_str(json_array_get(json_object_get(j, "keys"), 0), "x");
    ck_assert_ok(aoidc_b64url_decode(&x, &xn, xs, strlen(xs), tp, &err), err);
    const char *dot = strrchr(jws->compact, '.');
    ck_assert_ok(
        aoidc_b64url_decode(&sig, &sn, dot + 1, strlen(dot + 1), tp, &err),
        err);
    EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xn);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub), 1);
    ck_assert_int_eq(EVP_DigestVerify(ctx, sig, sn,
                                      (const unsigned char *)jws->compact,
                                      (size_t)(dot - jws->compact)),
                     1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pub);
}
END_TEST

START_TEST(fresh_jti)
{
    aoidc_client_key_t *k = key("P-256", NULL);
    const char *a = json_string_value(
        json_object_get(check(k, false, "ES256")->payload, "jti"));
    const char *b = json_string_value(
        json_object_get(check(k, false, "ES256")->payload, "jti"));
    ck_assert_str_ne(a, b);
}
END_TEST

/* RFC 7638 §3: SHA-256 of the required members in lexicographic order */
START_TEST(kid_defaults_to_thumbprint)
{
    aoidc_client_key_t *k = key("P-256", NULL);
    json_t *jwks, *j;
    aoidc_err_t err = {0};
    unsigned char h[32];
    char *doc = aoidc_client_keys_jwks(keys_of(k, NULL), tp);
    ck_assert_ok(
        aoidc_json_parse(&jwks, doc, strlen(doc), 4096, false, tp, &err), err);
    j = json_array_get(json_object_get(jwks, "keys"), 0);
    const char *in = apr_psprintf(
        tp, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
        aoidc_json_str(j, "x"), aoidc_json_str(j, "y"));
    EVP_Digest(in, strlen(in), h, NULL, EVP_sha256(), NULL);
    ck_assert_str_eq(aoidc_client_key_kid(k), aoidc_b64url_encode(h, 32, tp));
    ck_assert_str_eq(aoidc_json_str(j, "kid"), aoidc_client_key_kid(k));
    ck_assert_str_eq(aoidc_json_str(j, "use"), "sig");
    ck_assert_str_eq(aoidc_json_str(j, "alg"), "ES256");
    ck_assert_ptr_null(json_object_get(j, "d")); /* public members only */
}
END_TEST

START_TEST(jwks_publishes_both_keys_public_only)
{
    aoidc_client_key_t *a = key("rsa", "old"), *b = key("P-384", "new");
    char *doc = aoidc_client_keys_jwks(keys_of(a, b), tp);
    aoidc_jwks_t *j = jwks_of(keys_of(a, b));
    ck_assert_int_eq(j->keys->nelts, 2);
    ck_assert_ptr_nonnull(aoidc_jwks_find(j, "old", "RS256"));
    ck_assert_ptr_nonnull(aoidc_jwks_find(j, "new", "ES384"));
    for (const char *m = "\"d\":"; m; m = NULL) {
        ck_assert_ptr_null(strstr(doc, m));
    }
    ck_assert_ptr_null(strstr(doc, "\"p\":"));
    ck_assert_ptr_null(strstr(doc, "\"dp\":"));
}
END_TEST

START_TEST(bad_keys_refused)
{
    aoidc_client_key_t *k;
    aoidc_err_t err = {0};
    EVP_PKEY *pk = gen("rsa1024");
    char *pem = pem_of(pk, true);
    EVP_PKEY_free(pk);
    ck_assert_reason(
        aoidc_client_key_parse(&k, pem, strlen(pem), NULL, tp, &err), err,
        AOIDC_REASON_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.detail, "2048"));
    pk = gen("P-521");
    pem = pem_of(pk, true);
    ck_assert_reason(
        aoidc_client_key_parse(&k, pem, strlen(pem), NULL, tp, &err), err,
        AOIDC_REASON_CONFIG);
    /* a public key is not a client key */
    pem = pem_of(pk, false);
    EVP_PKEY_free(pk);
    ck_assert_reason(
        aoidc_client_key_parse(&k, pem, strlen(pem), NULL, tp, &err), err,
        AOIDC_REASON_CONFIG);
    ck_assert_reason(aoidc_client_key_parse(&k, "garbage", 7, NULL, tp, &err),
                     err, AOIDC_REASON_CONFIG);
    ck_assert_ptr_null(strstr(err.detail, "garbage")); /* never quoted */
}
END_TEST

/* --- the one client-auth path (client.c) -------------------------------- */

static aoidc_metadata_t md(void)
{
    aoidc_metadata_t m = {0};
    m.issuer = T_ISS;
    m.token_endpoint = TOKEN_EP;
    m.introspection_endpoint = T_ISS "/introspect";
    m.revocation_endpoint = T_ISS "/revoke";
    m.token_auth_methods = AOIDC_AUTH_BASIC | AOIDC_AUTH_PRIVATE_KEY_JWT;
    m.introspection_auth_methods = m.token_auth_methods;
    m.revocation_auth_methods = m.token_auth_methods;
    return m;
}

/* the last request carried a valid assertion of the first key and no
 * other credential */
static void sent_assertion(aoidc_fake_http_t *fh, const apr_array_header_t *ks)
{
    const aoidc_http_req_t *r = aoidc_fake_http_last(fh);
    apr_table_t *t;
    aoidc_jws_t *jws;
    aoidc_err_t err = {0};
    ck_assert_ptr_null(r->authorization);
    ck_assert_ok(aoidc_url_parse_query(&t, r->body, 20, tp, &err), err);
    ck_assert_str_eq(aoidc_url_param(t, "client_id"), "client-1");
    ck_assert_str_eq(aoidc_url_param(t, "client_assertion_type"),
                     "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    ck_assert_ptr_null(aoidc_url_param(t, "client_secret"));
    const char *a = aoidc_url_param(t, "client_assertion");
    ck_assert_ok(aoidc_jws_parse(&jws, a, strlen(a), tp, &err), err);
    ck_assert_str_eq(jws->kid, aoidc_client_key_kid(
                                   APR_ARRAY_IDX(ks, 0, aoidc_client_key_t *)));
    ck_assert_ok(aoidc_jws_verify(jws, jwks_of(ks), AOIDC_ALGS_ASYMMETRIC, NULL,
                                  tp, &err),
                 err);
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_int64_t iat = json_integer_value(json_object_get(jws->payload, "iat"));
    ck_assert_int_le(iat, now);
    ck_assert_int_ge(iat, now - 5);
}

START_TEST(every_call_signs_with_the_first_key)
{
    aoidc_fake_http_t *fh;
    const aoidc_http_t *h = aoidc_fake_http_create(&fh, tp);
    apr_array_header_t *ks = keys_of(key("P-256", "new"), key("rsa", "old"));
    aoidc_client_t c = {.client_id = "client-1",
                        .client_secret = "also-a-secret",
                        .method = AOIDC_CLIENT_AUTH_AUTO,
                        .keys = ks};
    aoidc_metadata_t m = md();
    aoidc_token_response_t tr;
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(fh, TOKEN_EP, 200, TOKEN_OK);
    aoidc_fake_http_route(fh, T_ISS "/introspect", 200, "{\"active\":false}");
    aoidc_fake_http_route(fh, T_ISS "/revoke", 200, "");
    ck_assert_ok(aoidc_client_code_exchange(&tr, h, &m, &c, "code",
                                            "https://rp/cb", NULL, tp, &err),
                 err);
    sent_assertion(fh, ks);
    ck_assert_ok(aoidc_client_refresh(&tr, h, &m, &c, "rt-1", tp, &err), err);
    sent_assertion(fh, ks);
    ck_assert_ok(aoidc_client_credentials(&tr, h, &m, &c, "s", NULL, tp, &err),
                 err);
    sent_assertion(fh, ks);
    ck_assert_ok(
        aoidc_client_token_exchange(&tr, h, &m, &c, "at", NULL, NULL, tp, &err),
        err);
    sent_assertion(fh, ks);
    ck_assert_ok(
        aoidc_client_password(&tr, h, &m, &c, "u", "p", "openid", tp, &err),
        err);
    sent_assertion(fh, ks);
    ck_assert_ok(aoidc_client_introspect(&resp, h, &m, &c, "at", tp, &err),
                 err);
    sent_assertion(fh, ks);
    ck_assert_ok(aoidc_client_revoke(h, &m, &c, "rt", NULL, tp, &err), err);
    sent_assertion(fh, ks);
}
END_TEST

START_TEST(method_forced_and_missing_key)
{
    aoidc_fake_http_t *fh;
    const aoidc_http_t *h = aoidc_fake_http_create(&fh, tp);
    apr_array_header_t *ks = keys_of(key("P-256", NULL), NULL);
    aoidc_client_t c = {.client_id = "client-1",
                        .client_secret = "s3cret",
                        .method = AOIDC_CLIENT_AUTH_POST,
                        .keys = ks};
    aoidc_metadata_t m = md();
    aoidc_token_response_t tr;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(fh, TOKEN_EP, 200, TOKEN_OK);
    /* post although the OP prefers basic, and no assertion with a key */
    ck_assert_ok(aoidc_client_refresh(&tr, h, &m, &c, "rt-1", tp, &err), err);
    const aoidc_http_req_t *r = aoidc_fake_http_last(fh);
    ck_assert_ptr_null(r->authorization);
    ck_assert_ptr_nonnull(strstr(r->body, "client_secret=s3cret"));
    ck_assert_ptr_null(strstr(r->body, "client_assertion"));
    c.method = AOIDC_CLIENT_AUTH_BASIC;
    ck_assert_ok(aoidc_client_refresh(&tr, h, &m, &c, "rt-1", tp, &err), err);
    ck_assert_ptr_nonnull(aoidc_fake_http_last(fh)->authorization);
    c.method = AOIDC_CLIENT_AUTH_PRIVATE_KEY_JWT;
    c.keys = NULL;
    ck_assert_reason(aoidc_client_refresh(&tr, h, &m, &c, "rt-1", tp, &err),
                     err, AOIDC_REASON_CONFIG);
    ck_assert_int_eq(aoidc_fake_http_calls(fh, TOKEN_EP), 2); /* not sent */
}
END_TEST

TCase *aoidc_client_key_tcase(void)
{
    TCase *tc = aoidc_test_tcase("client_key");
    tcase_set_timeout(tc, 30); /* RSA key generation */
    tcase_add_test(tc, rsa_rs256_and_ps256);
    tcase_add_test(tc, ec_es256_es384);
    tcase_add_test(tc, ed25519_eddsa);
    tcase_add_test(tc, fresh_jti);
    tcase_add_test(tc, kid_defaults_to_thumbprint);
    tcase_add_test(tc, jwks_publishes_both_keys_public_only);
    tcase_add_test(tc, bad_keys_refused);
    tcase_add_test(tc, every_call_signs_with_the_first_key);
    tcase_add_test(tc, method_forced_and_missing_key);
    return tc;
}
