/* SPDX-License-Identifier: Apache-2.0 */
/* core/dpop.c: DPoP proofs (RFC 9449 §4.3), thumbprints (RFC 7638, RFC
 * 8705), cnf. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "core/b64url.h"
#include "core/dpop.h"
#include "core/json.h"
#include "core/jws.h"
#include "core/seal.h"
#include "flow_fixture.h"
#include "unit.h"

#define URL   "https://api.example.com/orders/7"
#define TOKEN "the-access-token"

/* The public half of a test key, as a JSON object. */
static json_t *public_jwk(const char *name)
{
    apr_size_t len;
    json_error_t jerr;
    char *txt =
        aoidc_test_read(apr_psprintf(tp, "keys/%s.jwk.json", name), &len, tp);
    json_t *j = json_loadb(txt, len, 0, &jerr);
    ck_assert_ptr_nonnull(j);
    for (const char *const *m =
             (const char *const[]){"d", "p", "q", "dp", "dq", "qi", NULL};
         *m; m++) {
        json_object_del(j, *m);
    }
    return j;
}

static const char *ath(const char *token)
{
    unsigned char h[32];
    aoidc_sha256(h, token, strlen(token));
    return aoidc_b64url_encode(h, sizeof(h), tp);
}

static json_t *claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:s}", "htm", "GET", "htu", URL,
                     "jti", "jti-1", "iat", (json_int_t)T_NOW_SEC, "ath",
                     ath(TOKEN));
}

/* A proof by ec-p256 (ES256) over c, with hdr_jwk (default: its public
 * key) and typ. */
static const char *proof_of(json_t *c, json_t *hdr_jwk, const char *typ)
{
    return aoidc_test_sign_jwk(aoidc_test_key("ec-p256", tp), "ES256", typ,
                               hdr_jwk ? hdr_jwk : public_jwk("ec-p256"), c,
                               tp);
}

static aoidc_dpop_rules_t rules(void)
{
    aoidc_dpop_rules_t r = {
        "GET", URL, TOKEN, T_NOW, 300, 60, AOIDC_ALGS_ASYMMETRIC};
    return r;
}

static void refused(const char *proof, const aoidc_dpop_rules_t *r,
                    const char *why)
{
    aoidc_dpop_proof_t out;
    aoidc_err_t err = {0};
    ck_assert_msg(aoidc_dpop_check(&out, proof, r, tp, &err) != APR_SUCCESS,
                  "accepted: %s", why);
    ck_assert_int_eq(err.reason, AOIDC_REASON_DPOP_PROOF);
    ck_assert_msg(strstr(err.detail, why), "%s: %s", why, err.detail);
}

START_TEST(valid_proof)
{
    aoidc_dpop_rules_t r = rules();
    aoidc_dpop_proof_t out;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_dpop_check(&out, proof_of(claims(), NULL, "dpop+jwt"),
                                  &r, tp, &err),
                 err);
    ck_assert_str_eq(out.jti, "jti-1");
    ck_assert_str_eq(
        out.jkt,
        aoidc_jwk_thumbprint(aoidc_json_own(public_jwk("ec-p256"), tp), tp));
    ck_assert_int_eq(out.iat, apr_time_from_sec(T_NOW_SEC));
    /* RFC 3986 normalisation: scheme and host case, default port, query */
    r.url = "HTTPS://API.example.com:443/orders/7?x=1";
    ck_assert_ok(aoidc_dpop_check(&out, proof_of(claims(), NULL, "dpop+jwt"),
                                  &r, tp, &err),
                 err);
    /* an RSA key works too */
    const char *rsa =
        aoidc_test_sign_jwk(aoidc_test_key("rsa2048", tp), "PS256", "dpop+jwt",
                            public_jwk("rsa2048"), claims(), tp);
    r = rules();
    ck_assert_ok(aoidc_dpop_check(&out, rsa, &r, tp, &err), err);
}
END_TEST

START_TEST(header_refusals)
{
    aoidc_dpop_rules_t r = rules();
    refused("not.a.jws", &r, "not a JWS");
    refused(proof_of(claims(), NULL, NULL), &r, "typ");
    refused(proof_of(claims(), NULL, "JWT"), &r, "typ");
    /* a private key in the header */
    json_t *priv = public_jwk("ec-p256");
    json_object_set_new(
        priv, "d", json_string("OkXpB5-T4GMt_hBwLa4NxotrGFBGDgD56wQ6VC_qzDA"));
    refused(proof_of(claims(), priv, "dpop+jwt"), &r, "jwk");
    /* another key in the header than the one that signed */
    refused(proof_of(claims(), public_jwk("ec-p384"), "dpop+jwt"), &r,
            "signature");
    /* a symmetric algorithm, and one off the allow-list */
    refused(aoidc_test_sign_hmac("a-secret-of-32-bytes-0123456789ab", "HS256",
                                 claims(), tp),
            &r, "typ");
    r.algs = AOIDC_ALG_RS256;
    refused(proof_of(claims(), NULL, "dpop+jwt"), &r, "alg");
    /* a small RSA key is refused as it is in a JWKS */
    r = rules();
    refused(aoidc_test_sign_jwk(aoidc_test_key("rsa1024", tp), "RS256",
                                "dpop+jwt", public_jwk("rsa1024"), claims(),
                                tp),
            &r, "jwk not a usable");
}
END_TEST

START_TEST(claim_refusals)
{
    aoidc_dpop_rules_t r = rules();
    json_t *c;
    c = claims();
    json_object_set_new(c, "htm", json_string("POST"));
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "htm");
    c = claims();
    json_object_set_new(c, "htu", json_string("https://api.example.com/other"));
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "htu");
    c = claims();
    json_object_set_new(c, "htu", json_string("https://evil.example/orders/7"));
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "htu");
    c = claims();
    json_object_set_new(c, "htu",
                        json_string("http://api.example.com/orders/7"));
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "htu");
    c = claims();
    json_object_set_new(c, "iat", json_integer(T_NOW_SEC - 301));
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "iat");
    c = claims();
    json_object_set_new(c, "iat", json_integer(T_NOW_SEC + 61));
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "iat");
    c = claims();
    json_object_del(c, "iat");
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "iat");
    c = claims();
    json_object_del(c, "jti");
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "jti");
    c = claims();
    json_object_set_new(c, "ath", json_string(ath("another-token")));
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "ath");
    c = claims();
    json_object_del(c, "ath");
    refused(proof_of(c, NULL, "dpop+jwt"), &r, "ath");
    /* a tampered signature */
    char *p = apr_pstrdup(tp, proof_of(claims(), NULL, "dpop+jwt"));
    p[strlen(p) - 3] = p[strlen(p) - 3] == 'A' ? 'B' : 'A';
    refused(p, &r, "signature");
}
END_TEST

/* RFC 7638 §3.1's example key and thumbprint. */
START_TEST(thumbprint_rfc7638)
{
    json_t *k = aoidc_json_own(
        json_pack(
            "{s:s, s:s, s:s, s:s}", "kty", "RSA", "n",
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu"
            "1RK7"
            "aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-"
            "5JsGY4Hc5n9yBXA"
            "rwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
            "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7"
            "d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
            "bFTWhAI4vMQFh6WeZu0fM4lF"
            "d2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e", "AQAB", "alg", "RS256"),
        tp);
    ck_assert_str_eq(aoidc_jwk_thumbprint(k, tp),
                     "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    json_object_set_new(k, "d", json_string("x"));
    ck_assert_ptr_null(aoidc_jwk_thumbprint(k, tp));
    ck_assert_ptr_null(aoidc_jwk_thumbprint(
        aoidc_json_own(json_pack("{s:s}", "kty", "oct"), tp), tp));
    ck_assert_ptr_null(aoidc_jwk_thumbprint(
        aoidc_json_own(json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv",
                                 "P-256", "x", "a\"b", "y", "c"),
                       tp),
        tp));
}
END_TEST

START_TEST(cnf)
{
    const char *jkt, *x5t;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_cnf_parse(&jkt, &x5t, NULL, tp, &err), err);
    ck_assert_ptr_null(jkt);
    ck_assert_ok(aoidc_cnf_parse(&jkt, &x5t, "{\"jkt\":\"abc\"}", tp, &err),
                 err);
    ck_assert_str_eq(jkt, "abc");
    ck_assert_ptr_null(x5t);
    ck_assert_ok(
        aoidc_cnf_parse(&jkt, &x5t, "{\"x5t#S256\":\"def\"}", tp, &err), err);
    ck_assert_str_eq(x5t, "def");
    ck_assert_int_ne(aoidc_cnf_parse(&jkt, &x5t, "[1]", tp, &err), APR_SUCCESS);
    ck_assert_int_ne(aoidc_cnf_parse(&jkt, &x5t, "{\"jkt\":1}", tp, &err),
                     APR_SUCCESS);
    /* RFC 8705: SHA-256 of the DER, base64url */
    ck_assert_str_eq(aoidc_cert_thumbprint((const unsigned char *)"abc", 3, tp),
                     "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}
END_TEST

/* --- core/rs_bind.c: the binding of an authenticated token ------------- */

static apr_array_header_t *with_cnf(const char *cnf_json)
{
    apr_array_header_t *l = apr_array_make(tp, 2, sizeof(aoidc_claim_t));
    aoidc_claim_t *c = apr_array_push(l);
    c->name = "sub";
    c->value = "alice";
    c->is_json = false;
    if (cnf_json) {
        c = apr_array_push(l);
        c->name = "cnf";
        c->value = cnf_json;
        c->is_json = true;
    }
    return l;
}

static const char *cert_a(void *baton, apr_pool_t *p)
{
    (void)baton;
    return aoidc_cert_thumbprint((const unsigned char *)"cert-a", 6, p);
}

/* what aoidc_rs_authenticate hands aoidc_rs_binding: the cnf claim's value */
static const char *cnf_of(const apr_array_header_t *claims)
{
    const aoidc_claim_t *c = aoidc_claims_get(claims, "cnf");
    return c ? c->value : NULL;
}

static apr_status_t bind_check(ft_t *f, const apr_array_header_t *claims,
                               const aoidc_rs_in_t *in, aoidc_err_t *err)
{
    const char *nonce;
    *err = (aoidc_err_t){0};
    return aoidc_rs_binding(&nonce, cnf_of(claims), &f->rs, &f->env, in, err);
}

START_TEST(binding_dpop)
{
    ft_t f;
    aoidc_err_t err;
    ft_setup(&f);
    f.rs.dpop_max_age = 300;
    f.rs.leeway = 60;
    const char *jkt =
        aoidc_jwk_thumbprint(aoidc_json_own(public_jwk("ec-p256"), tp), tp);
    apr_array_header_t *bound =
        with_cnf(apr_psprintf(tp, "{\"jkt\":\"%s\"}", jkt));
    aoidc_rs_in_t in = {.token = TOKEN,
                        .dpop_scheme = true,
                        .dpop_proof = proof_of(claims(), NULL, "dpop+jwt"),
                        .method = "GET",
                        .url = URL};
    ck_assert_ok(bind_check(&f, bound, &in, &err), err);
    /* the same proof again: its jti is spent */
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_DPOP_PROOF);
    /* as Bearer */
    in.dpop_scheme = false;
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_BINDING);
    /* a proof by another key than cnf.jkt */
    in.dpop_scheme = true;
    json_t *c = claims();
    json_object_set_new(c, "jti", json_string("jti-2"));
    in.dpop_proof =
        aoidc_test_sign_jwk(aoidc_test_key("ec-p384", tp), "ES384", "dpop+jwt",
                            public_jwk("ec-p384"), c, tp);
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_DPOP_PROOF);
    /* no proof */
    in.dpop_proof = NULL;
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_DPOP_PROOF);
    /* an unbound token sent as DPoP */
    ck_assert_reason(bind_check(&f, with_cnf(NULL), &in, &err), err,
                     AOIDC_REASON_BINDING);
    /* the jti cache down: 503, not a pass */
    c = claims();
    json_object_set_new(c, "jti", json_string("jti-3"));
    in.dpop_proof = proof_of(c, NULL, "dpop+jwt");
    f.cache.down_add = true;
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_STORE_UNAVAILABLE);
}
END_TEST

START_TEST(binding_mtls_and_modes)
{
    ft_t f;
    aoidc_err_t err;
    ft_setup(&f);
    const char *a = cert_a(NULL, tp);
    apr_array_header_t *bound =
        with_cnf(apr_psprintf(tp, "{\"x5t#S256\":\"%s\"}", a));
    aoidc_rs_in_t in = {.token = TOKEN};
    /* no certificate */
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_BINDING);
    /* its certificate */
    in.cert_x5t = cert_a;
    ck_assert_ok(bind_check(&f, bound, &in, &err), err);
    /* another certificate */
    ck_assert_reason(
        bind_check(&f, with_cnf("{\"x5t#S256\":\"other\"}"), &in, &err), err,
        AOIDC_REASON_BINDING);
    /* the location's demand */
    ck_assert_ok(bind_check(&f, with_cnf(NULL), &in, &err), err); /* off */
    f.rs.binding = AOIDC_BIND_MTLS;
    ck_assert_reason(bind_check(&f, with_cnf(NULL), &in, &err), err,
                     AOIDC_REASON_BINDING);
    ck_assert_ok(bind_check(&f, bound, &in, &err), err);
    f.rs.binding = AOIDC_BIND_DPOP;
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_BINDING);
    f.rs.binding = AOIDC_BIND_ANY;
    ck_assert_ok(bind_check(&f, bound, &in, &err), err);
    /* a cnf that is not an object */
    f.rs.binding = AOIDC_BIND_OFF;
    ck_assert_reason(bind_check(&f, with_cnf("\"jkt\""), &in, &err), err,
                     AOIDC_REASON_BINDING);
}
END_TEST

/* --- the per-thread proof key cache (dpop_keys.c) ---------------------- */

/* A fresh P-256 public key as a JWK object. */
static json_t *fresh_ec_jwk(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    BIGNUM *x = NULL, *y = NULL;
    unsigned char bx[32], by[32];
    ck_assert_ptr_nonnull(k);
    ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x));
    ck_assert(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y));
    ck_assert_int_eq(BN_bn2binpad(x, bx, 32), 32);
    ck_assert_int_eq(BN_bn2binpad(y, by, 32), 32);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256",
                          "x", aoidc_b64url_encode(bx, 32, tp), "y",
                          aoidc_b64url_encode(by, 32, tp));
    BN_free(x);
    BN_free(y);
    EVP_PKEY_free(k);
    return j;
}

START_TEST(key_cache)
{
    aoidc_dpop_rules_t r = rules();
    aoidc_dpop_proof_t out;
    aoidc_err_t err = {0};
    const aoidc_jwks_t *keys;
    /* twice: imported, then from the cache */
    for (int i = 0; i < 2; i++) {
        ck_assert_ok(aoidc_dpop_check(&out,
                                      proof_of(claims(), NULL, "dpop+jwt"), &r,
                                      tp, &err),
                     err);
    }
    /* the cached key still answers to the rules outside the thumbprint:
     * a "use" other than sig, an "alg" other than the proof's */
    json_t *j = public_jwk("ec-p256");
    json_object_set_new(j, "use", json_string("enc"));
    refused(proof_of(claims(), j, "dpop+jwt"), &r, "jwk not a usable");
    j = public_jwk("ec-p256");
    json_object_set_new(j, "alg", json_string("ES384"));
    refused(proof_of(claims(), j, "dpop+jwt"), &r, "signature");
    /* and the signature is checked on a hit: the cached key named in the
     * header, another key signing */
    refused(aoidc_test_sign_jwk(aoidc_test_key("ec-p384", tp), "ES384",
                                "dpop+jwt", public_jwk("ec-p256"), claims(),
                                tp),
            &r, "signature");
    /* a refused key is never cached: refused again */
    for (int i = 0; i < 2; i++) {
        refused(aoidc_test_sign_jwk(aoidc_test_key("rsa1024", tp), "RS256",
                                    "dpop+jwt", public_jwk("rsa1024"), claims(),
                                    tp),
                &r, "jwk not a usable");
    }
    /* more keys than slots: evicted ones are imported again */
    for (int i = 0; i < 20; i++) {
        json_t *f = aoidc_json_own(fresh_ec_jwk(), tp);
        const char *jkt = aoidc_jwk_thumbprint(f, tp);
        ck_assert_int_eq(aoidc_dpop_proof_key(&keys, f, jkt, tp), APR_SUCCESS);
        ck_assert_int_eq(keys->keys->nelts, 1);
        ck_assert_int_eq(aoidc_dpop_proof_key(&keys, f, jkt, tp), APR_SUCCESS);
    }
    ck_assert_ok(aoidc_dpop_check(&out, proof_of(claims(), NULL, "dpop+jwt"),
                                  &r, tp, &err),
                 err);
}
END_TEST

/* --- server nonces (RFC 9449 §8, §9) ------------------------------------ */

static aoidc_seal_t *nonce_key(const char *passphrase)
{
    aoidc_seal_t *k;
    ck_assert_int_eq(
        aoidc_seal_create(&k, passphrase, strlen(passphrase), "dpop-nonce", tp),
        APR_SUCCESS);
    return k;
}

#define WIN apr_time_from_sec(AOIDC_DPOP_NONCE_WINDOW)

START_TEST(nonce_windows)
{
    aoidc_seal_t *k = nonce_key("a passphrase of the nodes");
    const char *n = aoidc_dpop_nonce(k, T_NOW, tp);
    /* RFC 9449 §8.1: NQCHAR only */
    for (const char *c = n; *c; c++) {
        ck_assert(*c >= 0x21 && *c <= 0x7e && *c != '"' && *c != '\\');
    }
    /* valid: this window; another node with the passphrase agrees */
    ck_assert_int_eq(aoidc_dpop_nonce_check(k, n, T_NOW, tp),
                     AOIDC_DPOP_NONCE_CURRENT);
    ck_assert_int_eq(aoidc_dpop_nonce_check(nonce_key("a passphrase of the "
                                                      "nodes"),
                                            n, T_NOW, tp),
                     AOIDC_DPOP_NONCE_CURRENT);
    ck_assert_str_eq(aoidc_dpop_nonce(k, T_NOW, tp), n); /* stateless */
    /* the next window: still taken, but stale (a fresh one is sent) */
    ck_assert_int_eq(aoidc_dpop_nonce_check(k, n, T_NOW + WIN, tp),
                     AOIDC_DPOP_NONCE_STALE);
    ck_assert_str_ne(aoidc_dpop_nonce(k, T_NOW + WIN, tp), n);
    /* two windows on: too old */
    ck_assert_int_eq(aoidc_dpop_nonce_check(k, n, T_NOW + 2 * WIN, tp),
                     AOIDC_DPOP_NONCE_BAD);
    /* from the future (a next window's nonce now) */
    ck_assert_int_eq(aoidc_dpop_nonce_check(
                         k, aoidc_dpop_nonce(k, T_NOW + WIN, tp), T_NOW, tp),
                     AOIDC_DPOP_NONCE_BAD);
    /* missing */
    ck_assert_int_eq(aoidc_dpop_nonce_check(k, NULL, T_NOW, tp),
                     AOIDC_DPOP_NONCE_BAD);
    ck_assert_int_eq(aoidc_dpop_nonce_check(k, "", T_NOW, tp),
                     AOIDC_DPOP_NONCE_BAD);
}
END_TEST

START_TEST(nonce_forged)
{
    aoidc_seal_t *k = nonce_key("a passphrase of the nodes");
    const char *n = aoidc_dpop_nonce(k, T_NOW, tp);
    const char *dot = strchr(n, '.');
    apr_size_t wl = (apr_size_t)(dot - n);
    char *flip = apr_pstrdup(tp, n);
    ck_assert_ptr_nonnull(dot);
    /* another passphrase's nonce */
    ck_assert_int_eq(
        aoidc_dpop_nonce_check(
            k, aoidc_dpop_nonce(nonce_key("another passphrase!!"), T_NOW, tp),
            T_NOW, tp),
        AOIDC_DPOP_NONCE_BAD);
    /* one MAC character changed, the MAC cut, one character added */
    flip[strlen(flip) - 2] = flip[strlen(flip) - 2] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(aoidc_dpop_nonce_check(k, flip, T_NOW, tp),
                     AOIDC_DPOP_NONCE_BAD);
    ck_assert_int_eq(aoidc_dpop_nonce_check(
                         k, apr_pstrmemdup(tp, n, strlen(n) - 1), T_NOW, tp),
                     AOIDC_DPOP_NONCE_BAD);
    ck_assert_int_eq(
        aoidc_dpop_nonce_check(k, apr_pstrcat(tp, n, "A", NULL), T_NOW, tp),
        AOIDC_DPOP_NONCE_BAD);
    /* the MAC of this window under another window number; a second
     * spelling of the number; no window; no dot */
    ck_assert_int_eq(
        aoidc_dpop_nonce_check(
            k,
            apr_psprintf(tp, "%" APR_INT64_T_FMT "%s",
                         apr_time_sec(T_NOW) / AOIDC_DPOP_NONCE_WINDOW - 1,
                         dot),
            T_NOW, tp),
        AOIDC_DPOP_NONCE_BAD);
    ck_assert_int_eq(
        aoidc_dpop_nonce_check(k, apr_pstrcat(tp, "0", n, NULL), T_NOW, tp),
        AOIDC_DPOP_NONCE_BAD);
    ck_assert_int_eq(aoidc_dpop_nonce_check(k, dot, T_NOW, tp),
                     AOIDC_DPOP_NONCE_BAD);
    ck_assert_int_eq(
        aoidc_dpop_nonce_check(k, apr_pstrmemdup(tp, n, wl), T_NOW, tp),
        AOIDC_DPOP_NONCE_BAD);
}
END_TEST

/* A proof with claim nonce (NULL: none) and jti. */
static const char *proof_nonce(const char *nonce, const char *jti)
{
    json_t *c = claims();
    json_object_set_new(c, "jti", json_string(jti));
    if (nonce) {
        json_object_set_new(c, "nonce", json_string(nonce));
    }
    return proof_of(c, NULL, "dpop+jwt");
}

START_TEST(binding_nonce)
{
    ft_t f;
    aoidc_err_t err;
    const char *fresh = "unset";
    ft_setup(&f);
    f.rs.dpop_max_age = 300;
    f.rs.leeway = 60;
    f.rs.dpop_nonce = nonce_key("a passphrase of the nodes");
    const char *jkt =
        aoidc_jwk_thumbprint(aoidc_json_own(public_jwk("ec-p256"), tp), tp);
    apr_array_header_t *bound =
        with_cnf(apr_psprintf(tp, "{\"jkt\":\"%s\"}", jkt));
    aoidc_rs_in_t in = {.token = TOKEN,
                        .dpop_scheme = true,
                        .dpop_proof = proof_nonce(NULL, "n-1"),
                        .method = "GET",
                        .url = URL};
    /* missing: use_dpop_nonce, and the jti is not spent by it */
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_DPOP_NONCE);
    /* forged (another passphrase's) */
    in.dpop_proof = proof_nonce(
        aoidc_dpop_nonce(nonce_key("another passphrase!!"), T_NOW, tp), "n-1");
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_DPOP_NONCE);
    /* valid: nothing to send */
    in.dpop_proof =
        proof_nonce(aoidc_dpop_nonce(f.rs.dpop_nonce, T_NOW, tp), "n-1");
    ck_assert_ok(
        aoidc_rs_binding(&fresh, cnf_of(bound), &f.rs, &f.env, &in, &err), err);
    ck_assert_ptr_null(fresh);
    /* stale (the previous window's): taken, and a fresh one to send */
    in.dpop_proof =
        proof_nonce(aoidc_dpop_nonce(f.rs.dpop_nonce, T_NOW - WIN, tp), "n-2");
    ck_assert_ok(
        aoidc_rs_binding(&fresh, cnf_of(bound), &f.rs, &f.env, &in, &err), err);
    ck_assert_ptr_nonnull(fresh);
    ck_assert_str_eq(fresh, aoidc_dpop_nonce(f.rs.dpop_nonce, T_NOW, tp));
    /* expired (two windows back) */
    in.dpop_proof = proof_nonce(
        aoidc_dpop_nonce(f.rs.dpop_nonce, T_NOW - 2 * WIN, tp), "n-3");
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_DPOP_NONCE);
    /* a bad proof is invalid_dpop_proof whatever its nonce */
    in.dpop_proof = proof_nonce(NULL, "n-5");
    in.url = "https://api.example.com/other";
    ck_assert_reason(bind_check(&f, bound, &in, &err), err,
                     AOIDC_REASON_DPOP_PROOF);
    /* nonces off: a nonce-less proof passes */
    in.url = URL;
    f.rs.dpop_nonce = NULL;
    in.dpop_proof = proof_nonce(NULL, "n-4");
    ck_assert_ok(bind_check(&f, bound, &in, &err), err);
}
END_TEST

TCase *aoidc_dpop_tcase(void)
{
    TCase *tc = aoidc_test_tcase("dpop");
    tcase_add_test(tc, valid_proof);
    tcase_add_test(tc, header_refusals);
    tcase_add_test(tc, claim_refusals);
    tcase_add_test(tc, thumbprint_rfc7638);
    tcase_add_test(tc, cnf);
    tcase_add_test(tc, binding_dpop);
    tcase_add_test(tc, binding_mtls_and_modes);
    tcase_add_test(tc, key_cache);
    tcase_add_test(tc, nonce_windows);
    tcase_add_test(tc, nonce_forged);
    tcase_add_test(tc, binding_nonce);
    return tc;
}
