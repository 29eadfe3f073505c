/* SPDX-License-Identifier: Apache-2.0 */
/* JWS parse and verify; the alg and key checks happen here, before OpenSSL
 * or cjose sees a signature. */
#include <string.h>

#include <openssl/evp.h>

#include "core/b64url.h"
#include "core/json.h"
#include "core/jws.h"

static const struct {
    const char *name;
    unsigned bit;
} algs[] = {
    {"RS256", AOIDC_ALG_RS256}, {"RS384", AOIDC_ALG_RS384},
    {"RS512", AOIDC_ALG_RS512}, {"PS256", AOIDC_ALG_PS256},
    {"PS384", AOIDC_ALG_PS384}, {"PS512", AOIDC_ALG_PS512},
    {"ES256", AOIDC_ALG_ES256}, {"ES384", AOIDC_ALG_ES384},
    {"ES512", AOIDC_ALG_ES512}, {"HS256", AOIDC_ALG_HS256},
    {"HS384", AOIDC_ALG_HS384}, {"HS512", AOIDC_ALG_HS512},
};

unsigned aoidc_jws_alg_bit(const char *alg)
{
    for (size_t i = 0; alg && i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (!strcmp(alg, algs[i].name)) {
            return algs[i].bit;
        }
    }
    return 0;
}

/* A part's JSON object into *out, or into *members when members is not
 * NULL and the part can be read so (then *out stays NULL). */
static apr_status_t decode_part(json_t **out, aoidc_json_members_t *members,
                                const char *s, apr_size_t n, apr_pool_t *p,
                                aoidc_err_t *err)
{
    unsigned char *raw;
    apr_size_t rawlen;
    apr_status_t rv = aoidc_b64url_decode(&raw, &rawlen, s, n, p, err);
    if (rv == APR_SUCCESS && members
        && aoidc_json_fast_members(members, (const char *)raw, rawlen, p)) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS
        || aoidc_json_parse(out, (const char *)raw, rawlen,
                            AOIDC_MAX_OP_TOKEN_LEN, false, p, err)
               != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_JWS_MALFORMED, p, "jws: bad %s",
                             err ? err->detail : "part");
    }
    return APR_SUCCESS;
}

static bool opt_string(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return !v || json_is_string(v);
}

/* The header's alg, kid, typ and crit into j (and the header itself unless
 * lean and it can be read in place: json.h, aoidc_json_fast_jose). */
static apr_status_t header(aoidc_jws_t *j, bool *bad, bool *crit, const char *s,
                           apr_size_t n, bool lean, apr_pool_t *p,
                           aoidc_err_t *err)
{
    unsigned char *raw;
    apr_size_t rawlen;
    aoidc_json_jose_t h;
    if (lean && aoidc_b64url_decode(&raw, &rawlen, s, n, p, NULL) == APR_SUCCESS
        && aoidc_json_fast_jose(&h, (const char *)raw, rawlen, p)) {
        j->alg = h.alg;
        j->kid = h.kid;
        j->typ = h.typ;
        *bad = h.kid_other || h.typ_other;
        *crit = h.crit;
        return APR_SUCCESS;
    }
    if (decode_part(&j->header, NULL, s, n, p, err) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    j->alg = aoidc_json_str(j->header, "alg");
    j->kid = aoidc_json_str(j->header, "kid");
    j->typ = aoidc_json_str(j->header, "typ");
    *bad = !opt_string(j->header, "kid") || !opt_string(j->header, "typ");
    *crit = json_object_get(j->header, "crit") != NULL;
    return APR_SUCCESS;
}

static apr_status_t parse(aoidc_jws_t **out, const char *compact,
                          apr_size_t len, bool lean, apr_pool_t *p,
                          aoidc_err_t *err)
{
    const char *d1, *d2;
    bool bad, crit;
    if (len > AOIDC_MAX_OP_TOKEN_LEN || memchr(compact, '\0', len)) {
        return aoidc_err_set(err, AOIDC_REASON_JWS_MALFORMED, p,
                             "jws: too long");
    }
    d1 = memchr(compact, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', len - (apr_size_t)(d1 + 1 - compact)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (apr_size_t)(d2 + 1 - compact))
        || d2 + 1 == compact + len) {
        return aoidc_err_set(err, AOIDC_REASON_JWS_MALFORMED, p,
                             "jws: not three non-empty parts");
    }
    /* The signature goes to cjose, whose base64url decoder asserts (aborts
     * the process) on some malformed input: check it strictly first. */
    unsigned char *sig;
    apr_size_t siglen;
    if (aoidc_b64url_decode(&sig, &siglen, d2 + 1,
                            len - (apr_size_t)(d2 + 1 - compact), p, err)
        != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_JWS_MALFORMED, p,
                             "jws: bad signature encoding");
    }
    aoidc_jws_t *j = apr_pcalloc(p, sizeof(*j));
    /* the lean caller's token outlives the result (jws.h) */
    j->compact = lean ? compact : apr_pstrmemdup(p, compact, len);
    j->len = len;
    j->sig = sig;
    j->siglen = siglen;
    j->signed_len = (apr_size_t)(d2 - compact);
    if (header(j, &bad, &crit, compact, (apr_size_t)(d1 - compact), lean, p,
               err)
            != APR_SUCCESS
        || decode_part(&j->payload, lean ? &j->members : NULL, d1 + 1,
                       (apr_size_t)(d2 - d1 - 1), p, err)
               != APR_SUCCESS) {
        return APR_EINVAL;
    }
    if (!j->alg || bad) {
        return aoidc_err_set(err, AOIDC_REASON_JWS_MALFORMED, p,
                             "jws: alg missing or kid/typ not strings");
    }
    if (crit) {
        return aoidc_err_set(err, AOIDC_REASON_CRIT, p,
                             "jws: crit header not supported");
    }
    *out = j;
    return APR_SUCCESS;
}

apr_status_t aoidc_jws_parse(aoidc_jws_t **out, const char *compact,
                             apr_size_t len, apr_pool_t *p, aoidc_err_t *err)
{
    return parse(out, compact, len, false, p, err);
}

apr_status_t aoidc_jws_parse_lean(aoidc_jws_t **out, const char *compact,
                                  apr_size_t len, apr_pool_t *p,
                                  aoidc_err_t *err)
{
    return parse(out, compact, len, true, p, err);
}

static apr_status_t cjose_verify(const aoidc_jws_t *jws, cjose_jwk_t *key,
                                 apr_pool_t *p, aoidc_err_t *err)
{
    cjose_err cerr;
    cjose_jws_t *cj = cjose_jws_import(jws->compact, jws->len, &cerr);
    bool ok = cj && cjose_jws_verify(cj, key, &cerr);
    if (cj) {
        cjose_jws_release(cj);
    }
    if (!ok) {
        return aoidc_err_set(err, AOIDC_REASON_SIGNATURE, p,
                             "jws: signature check failed (%s)",
                             cerr.message ? cerr.message : "?");
    }
    return APR_SUCCESS;
}

/* With the key's prepared OpenSSL verifier, over what parse decoded. */
static apr_status_t evp_verify(const aoidc_jws_t *jws, const aoidc_jwk_t *k,
                               apr_pool_t *p, aoidc_err_t *err)
{
    const unsigned char *sig = jws->sig;
    apr_size_t siglen = jws->siglen, signed_len = jws->signed_len;
    if (!sig) {
        const char *d2 = jws->compact + jws->len;
        unsigned char *raw;
        while (d2 > jws->compact && d2[-1] != '.') {
            d2--;
        }
        d2 = d2 > jws->compact ? d2 - 1 : NULL;
        if (!d2
            || aoidc_b64url_decode(
                   &raw, &siglen, d2 + 1,
                   jws->len - (apr_size_t)(d2 + 1 - jws->compact), p, NULL)
                   != APR_SUCCESS) {
            return aoidc_err_set(err, AOIDC_REASON_SIGNATURE, p,
                                 "jws: bad signature encoding");
        }
        sig = raw;
        signed_len = (apr_size_t)(d2 - jws->compact);
    }
    int ok = aoidc_jwk_evp_verify_sha256(
        k->evp, jws->alg, (const unsigned char *)jws->compact, signed_len,
        jws->sig ? jws->sha256 : NULL, sig, siglen);
    if (ok < 0) {
        return cjose_verify(jws, k->key, p, err);
    }
    if (!ok) {
        return aoidc_err_set(err, AOIDC_REASON_SIGNATURE, p,
                             "jws: signature check failed");
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_jws_verify(const aoidc_jws_t *jws, const aoidc_jwks_t *jwks,
                              unsigned allowed, const char *hmac_secret,
                              apr_pool_t *p, aoidc_err_t *err)
{
    unsigned bit = aoidc_jws_alg_bit(jws->alg);
    if (!bit || !(bit & allowed)) {
        return aoidc_err_set(err, AOIDC_REASON_ALG, p,
                             "jws: alg %.16s not allowed", jws->alg);
    }
    if (bit & AOIDC_ALGS_HMAC) {
        cjose_err cerr;
        apr_status_t rv;
        if (!hmac_secret || !*hmac_secret) {
            return aoidc_err_set(err, AOIDC_REASON_ALG, p,
                                 "jws: %s needs a client secret", jws->alg);
        }
        cjose_jwk_t *k = cjose_jwk_create_oct_spec((const uint8_t *)hmac_secret,
                                                   strlen(hmac_secret), &cerr);
        if (!k) {
            return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                                 "jws: cannot make HMAC key");
        }
        rv = cjose_verify(jws, k, p, err);
        cjose_jwk_release(k);
        return rv;
    }
    const aoidc_jwk_t *k = aoidc_jwks_find(jwks, jws->kid, jws->alg);
    if (!k) {
        return aoidc_err_set(err, AOIDC_REASON_KEY_UNKNOWN, p,
                             "jws: no %s key for kid %.64s", jws->alg,
                             jws->kid ? jws->kid : "(none)");
    }
    return k->evp ? evp_verify(jws, k, p, err)
                  : cjose_verify(jws, k->key, p, err);
}

const char *aoidc_jws_half_hash(const char *alg, const char *s, apr_pool_t *p)
{
    const EVP_MD *md;
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!alg || strlen(alg) != 5) {
        return NULL;
    }
    if (!strcmp(alg + 2, "256")) {
        md = EVP_sha256();
    }
    else if (!strcmp(alg + 2, "384")) {
        md = EVP_sha384();
    }
    else if (!strcmp(alg + 2, "512")) {
        md = EVP_sha512();
    }
    else {
        return NULL;
    }
    if (!EVP_Digest(s, strlen(s), h, &n, md, NULL)) {
        return NULL;
    }
    return aoidc_b64url_encode(h, n / 2, p);
}
