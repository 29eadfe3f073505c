/* SPDX-License-Identifier: Apache-2.0 */
/* DPoP proofs and certificate thumbprints (dpop.h). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "core/b64url.h"
#include "core/dpop.h"
#include "core/json.h"
#include "core/jwk.h"
#include "core/jws.h"
#include "core/seal.h"

static apr_status_t bad(aoidc_err_t *err, apr_pool_t *p, const char *why)
{
    return aoidc_err_set(err, AOIDC_REASON_DPOP_PROOF, p, "DPoP proof: %s",
                         why);
}

static bool b64url_chars(const char *s)
{
    if (!s || !*s) {
        return false;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

const char *aoidc_jwk_thumbprint(const json_t *jwk, apr_pool_t *p)
{
    static const char *const private[] = {"d",  "p",  "q",   "dp",
                                          "dq", "qi", "oth", "k"};
    const char *kty = aoidc_json_str(jwk, "kty"), *canon;
    unsigned char h[32];
    for (apr_size_t i = 0; i < sizeof(private) / sizeof(private[0]); i++) {
        if (json_object_get(jwk, private[i])) {
            return NULL;
        }
    }
    /* RFC 7638 §3.2: the required members only, in lexicographic order,
     * no whitespace; the values are base64url or a curve name, so none
     * needs JSON escaping */
    if (kty && !strcmp(kty, "RSA")) {
        const char *e = aoidc_json_str(jwk, "e"), *n = aoidc_json_str(jwk, "n");
        if (!b64url_chars(e) || !b64url_chars(n)) {
            return NULL;
        }
        canon = apr_psprintf(p, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
                             e, n);
    }
    else if (kty && !strcmp(kty, "EC")) {
        const char *crv = aoidc_json_str(jwk, "crv");
        const char *x = aoidc_json_str(jwk, "x"), *y = aoidc_json_str(jwk, "y");
        if (!crv
            || (strcmp(crv, "P-256") && strcmp(crv, "P-384")
                && strcmp(crv, "P-521"))
            || !b64url_chars(x) || !b64url_chars(y)) {
            return NULL;
        }
        canon = apr_psprintf(
            p, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", crv,
            x, y);
    }
    else {
        return NULL;
    }
    aoidc_sha256(h, canon, strlen(canon));
    return aoidc_b64url_encode(h, sizeof(h), p);
}

const char *aoidc_cert_thumbprint(const unsigned char *der, apr_size_t len,
                                  apr_pool_t *p)
{
    unsigned char h[32];
    aoidc_sha256(h, der, len);
    return aoidc_b64url_encode(h, sizeof(h), p);
}

static char *lower(const char *s, apr_size_t n, apr_pool_t *p)
{
    char *out = apr_pstrmemdup(p, s, n);
    for (char *c = out; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return out;
}

/* The thumbprint is of the DER, which is the base64 between the armour
 * lines: decoding it is all there is to do. Parsing the certificate
 * (d2i_X509) would cost about 1.5 M instructions per request under
 * OpenSSL 3, twenty times the rest of a bound request, for nothing: this
 * is mod_ssl's own encoding of the handshake's certificate, and a
 * malformed one only fails to match any token's cnf. */
#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END   "-----END CERTIFICATE-----"

static const char *find(const char *s, apr_size_t n, const char *w,
                        apr_size_t wn)
{
    for (apr_size_t i = 0; i + wn <= n; i++) {
        if (s[i] == w[0] && !memcmp(s + i, w, wn)) {
            return s + i;
        }
    }
    return NULL;
}

const char *aoidc_cert_thumbprint_pem(const char *pem, apr_size_t len,
                                      apr_pool_t *p)
{
    const char *body, *end;
    unsigned char *der;
    int n = 0, tail = 0;
    EVP_ENCODE_CTX *ctx;
    while (len && apr_isspace(*pem)) {
        pem++, len--;
    }
    if (len < sizeof(PEM_BEGIN) || memcmp(pem, PEM_BEGIN, sizeof(PEM_BEGIN) - 1)
        || len > AOIDC_CERT_PEM_MAX) {
        return NULL;
    }
    body = pem + sizeof(PEM_BEGIN) - 1;
    end = find(body, len - (apr_size_t)(body - pem), PEM_END,
               sizeof(PEM_END) - 1);
    if (!end || !(ctx = EVP_ENCODE_CTX_new())) {
        return NULL;
    }
    der = apr_palloc(p, (apr_size_t)(end - body) * 3 / 4 + 3);
    EVP_DecodeInit(ctx);
    if (EVP_DecodeUpdate(ctx, der, &n, (const unsigned char *)body,
                         (int)(end - body))
            < 0
        || EVP_DecodeFinal(ctx, der + n, &tail) != 1) {
        n = -1;
    }
    EVP_ENCODE_CTX_free(ctx);
    n += tail;
    /* the smallest DER certificate is far above 64 bytes */
    return n > 64 ? aoidc_cert_thumbprint(der, (apr_size_t)n, p) : NULL;
}

/* scheme://host[:port]/path, lower-cased scheme and host, the scheme's
 * default port dropped, "/" for an empty path; NULL when it has no scheme
 * or host, or has userinfo. Query and fragment are cut (RFC 9449 §4.3 9). */
static char *normal_url(const char *u, apr_pool_t *p)
{
    const char *s = strstr(u, "://"), *host, *path;
    char *out;
    apr_size_t hlen;
    if (!s || s == u) {
        return NULL;
    }
    char *scheme = lower(u, (apr_size_t)(s - u), p);
    host = s + 3;
    path = host + strcspn(host, "/?#");
    hlen = (apr_size_t)(path - host);
    if (!hlen || memchr(host, '@', hlen)) {
        return NULL;
    }
    char *h = lower(host, hlen, p);
    apr_size_t hl = strlen(h);
    if ((!strcmp(scheme, "https") && hl > 4 && !strcmp(h + hl - 4, ":443"))
        || (!strcmp(scheme, "http") && hl > 3 && !strcmp(h + hl - 3, ":80"))) {
        h[hl - (scheme[4] == 's' ? 4 : 3)] = '\0';
    }
    apr_size_t plen = strcspn(path, "?#");
    out = apr_pstrcat(p, scheme, "://", h,
                      plen ? apr_pstrmemdup(p, path, plen) : "/", NULL);
    return out;
}

static apr_status_t check_claims(aoidc_dpop_proof_t *out, const json_t *c,
                                 const aoidc_dpop_rules_t *r, apr_pool_t *p,
                                 aoidc_err_t *err)
{
    const char *htm = aoidc_json_str(c, "htm"), *htu = aoidc_json_str(c, "htu");
    const char *jti = aoidc_json_str(c, "jti"), *ath = aoidc_json_str(c, "ath");
    const char *want, *got;
    apr_int64_t iat, now = apr_time_sec(r->now);
    if (!htm || strcmp(htm, r->method)) {
        return bad(err, p, "htm is not this request's method");
    }
    if (!htu || !(got = normal_url(htu, p)) || !(want = normal_url(r->url, p))
        || strcmp(got, want)) {
        return bad(err, p, "htu is not this request's URL");
    }
    if (!aoidc_json_int(c, "iat", &iat) || iat < now - r->max_age
        || iat > now + r->leeway) {
        return bad(err, p, "iat missing or outside the window");
    }
    if (!jti || !*jti || strlen(jti) > AOIDC_DPOP_MAX_JTI) {
        return bad(err, p, "jti missing or too long");
    }
    if (r->access_token) {
        unsigned char h[32];
        aoidc_sha256(h, r->access_token, strlen(r->access_token));
        if (!ath || strcmp(ath, aoidc_b64url_encode(h, sizeof(h), p))) {
            return bad(err, p, "ath does not match the access token");
        }
    }
    out->jti = jti;
    out->iat = apr_time_from_sec(iat);
    out->nonce = aoidc_json_str(c, "nonce");
    return APR_SUCCESS;
}

apr_status_t aoidc_dpop_check(aoidc_dpop_proof_t *out, const char *proof,
                              const aoidc_dpop_rules_t *r, apr_pool_t *p,
                              aoidc_err_t *err)
{
    aoidc_jws_t *jws, one;
    const aoidc_jwks_t *keys = NULL;
    const json_t *jwk;
    aoidc_err_t why = {0};
    apr_size_t len = strlen(proof);
    unsigned bit;
    memset(out, 0, sizeof(*out));
    if (len > AOIDC_DPOP_MAX_PROOF) {
        return bad(err, p, "too large");
    }
    if (aoidc_jws_parse(&jws, proof, len, p, &why) != APR_SUCCESS) {
        return bad(err, p, "not a JWS");
    }
    if (!jws->typ || strcmp(jws->typ, "dpop+jwt")) {
        return bad(err, p, "typ is not dpop+jwt");
    }
    bit = aoidc_jws_alg_bit(jws->alg);
    if (!(bit & r->algs & AOIDC_ALGS_ASYMMETRIC)) {
        return bad(err, p, "alg not allowed");
    }
    jwk = json_object_get(jws->header, "jwk");
    if (!json_is_object(jwk) || !(out->jkt = aoidc_jwk_thumbprint(jwk, p))) {
        return bad(err, p, "jwk missing, private or unsupported");
    }
    if (aoidc_dpop_proof_key(&keys, jwk, out->jkt, p) != APR_SUCCESS) {
        return bad(err, p, "jwk not a usable public key");
    }
    one = *jws;
    one.kid = NULL; /* the key is the header's own, whatever kid says */
    if (aoidc_jws_verify(&one, keys, bit, NULL, p, &why) != APR_SUCCESS) {
        return bad(err, p, "signature");
    }
    return check_claims(out, jws->payload, r, p, err);
}

/* The MAC part of window w's nonce, base64url (43 characters), in p. */
static const char *nonce_mac(const aoidc_seal_t *k, apr_int64_t w,
                             apr_pool_t *p)
{
    unsigned char be[8], mac[32];
    const void *parts[1] = {be};
    apr_size_t lens[1] = {sizeof(be)};
    for (int i = 0; i < 8; i++) {
        be[i] = (unsigned char)((apr_uint64_t)w >> (56 - 8 * i));
    }
    /* one part: aoidc_seal_mac cannot fail */
    (void)aoidc_seal_mac(mac, k, 1, parts, lens);
    return aoidc_b64url_encode(mac, sizeof(mac), p);
}

const char *aoidc_dpop_nonce(const aoidc_seal_t *k, apr_time_t now,
                             apr_pool_t *p)
{
    apr_int64_t w = apr_time_sec(now) / AOIDC_DPOP_NONCE_WINDOW;
    return apr_psprintf(p, "%" APR_INT64_T_FMT ".%s", w, nonce_mac(k, w, p));
}

aoidc_dpop_nonce_t aoidc_dpop_nonce_check(const aoidc_seal_t *k,
                                          const char *nonce, apr_time_t now,
                                          apr_pool_t *p)
{
    apr_int64_t w = 0, cur = apr_time_sec(now) / AOIDC_DPOP_NONCE_WINDOW;
    const char *s = nonce, *mac;
    if (!nonce) {
        return AOIDC_DPOP_NONCE_BAD;
    }
    /* decimal digits only, no sign or leading zero: one spelling per
     * window; 18 digits cannot overflow */
    for (; *s >= '0' && *s <= '9' && s - nonce < 18; s++) {
        w = w * 10 + (*s - '0');
    }
    if (s == nonce || *s != '.' || (nonce[0] == '0' && s - nonce > 1)
        || (w != cur && w != cur - 1)) {
        return AOIDC_DPOP_NONCE_BAD;
    }
    mac = nonce_mac(k, w, p);
    if (strlen(s + 1) != 43 || CRYPTO_memcmp(s + 1, mac, 43)) {
        return AOIDC_DPOP_NONCE_BAD;
    }
    return w == cur ? AOIDC_DPOP_NONCE_CURRENT : AOIDC_DPOP_NONCE_STALE;
}

/* The one-member forms OPs send, as the claim list keeps them (compact
 * JSON), read without jansson: a bound token is checked on every request,
 * and the parser costs more than the rest of the check. The value is
 * base64url only, so no escape can hide in it; anything else (another
 * member, spaces, other characters) takes the full parser below. */
static bool cnf_fast(const char **jkt, const char **x5t, const char *s,
                     apr_pool_t *p)
{
    static const char *const keys[] = {"{\"x5t#S256\":\"", "{\"jkt\":\""};
    for (int i = 0; i < 2; i++) {
        apr_size_t kl = strlen(keys[i]), n;
        if (strncmp(s, keys[i], kl)) {
            continue;
        }
        n = strspn(s + kl,
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789-_");
        if (!n || n > 128 || strcmp(s + kl + n, "\"}")) {
            return false;
        }
        *(i ? jkt : x5t) = apr_pstrmemdup(p, s + kl, n);
        return true;
    }
    return false;
}

apr_status_t aoidc_cnf_parse(const char **jkt, const char **x5t,
                             const char *cnf_json, apr_pool_t *p,
                             aoidc_err_t *err)
{
    json_t *cnf;
    const json_t *a, *b;
    *jkt = *x5t = NULL;
    if (!cnf_json || cnf_fast(jkt, x5t, cnf_json, p)) {
        return APR_SUCCESS;
    }
    if (aoidc_json_parse(&cnf, cnf_json, strlen(cnf_json), 4096, false, p, err)
            != APR_SUCCESS
        || !json_is_object(cnf)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "cnf is not an object");
    }
    a = json_object_get(cnf, "jkt");
    b = json_object_get(cnf, "x5t#S256");
    if ((a && !json_is_string(a)) || (b && !json_is_string(b))) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "cnf member is not a string");
    }
    *jkt = a ? json_string_value(a) : NULL;
    *x5t = b ? json_string_value(b) : NULL;
    return APR_SUCCESS;
}
