/* SPDX-License-Identifier: Apache-2.0 */
/* Client signing keys and private_key_jwt assertions (client_key.h). */
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "core/b64url.h"
#include "core/client_key.h"
#include "core/jwk.h"
#include "core/json.h"
#include "core/rand.h"
#include "core/seal.h"

typedef enum { KT_RSA, KT_EC256, KT_EC384, KT_ED25519 } kt_t;

struct aoidc_client_key_st {
    EVP_PKEY *pkey;
    kt_t type;
    const char *kid;
    const char *jwk; /* the public JWK members, canonical order (RFC 7638) */
};

static apr_status_t free_key(void *k)
{
    EVP_PKEY_free(k);
    return APR_SUCCESS;
}

static char *bn_b64(EVP_PKEY *k, const char *name, apr_pool_t *p)
{
    BIGNUM *bn = NULL;
    char *out = NULL;
    if (EVP_PKEY_get_bn_param(k, name, &bn) == 1) {
        int n = BN_num_bytes(bn);
        unsigned char *buf = apr_palloc(p, n ? n : 1);
        BN_bn2bin(bn, buf);
        out = aoidc_b64url_encode(buf, (apr_size_t)n, p);
    }
    BN_free(bn);
    return out;
}

/* The required public members in lexicographic order: both the RFC 7638
 * thumbprint input and the body of the published JWK. */
static const char *public_members(aoidc_client_key_t *k, apr_pool_t *p)
{
    unsigned char pt[1 + 2 * 48];
    size_t n = 0, c;
    if (k->type == KT_RSA) {
        char *e = bn_b64(k->pkey, OSSL_PKEY_PARAM_RSA_E, p);
        char *m = bn_b64(k->pkey, OSSL_PKEY_PARAM_RSA_N, p);
        return e && m ? apr_psprintf(
                   p, "\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"", e, m)
                      : NULL;
    }
    if (k->type == KT_ED25519) {
        n = 32;
        if (EVP_PKEY_get_raw_public_key(k->pkey, pt, &n) != 1) {
            return NULL;
        }
        return apr_psprintf(p,
                            "\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"",
                            aoidc_b64url_encode(pt, n, p));
    }
    c = k->type == KT_EC256 ? 32 : 48;
    if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                        sizeof(pt), &n)
            != 1
        || n != 1 + 2 * c || pt[0] != 4) {
        return NULL; /* not an uncompressed point */
    }
    return apr_psprintf(
        p, "\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"",
        k->type == KT_EC256 ? "P-256" : "P-384",
        aoidc_b64url_encode(pt + 1, c, p),
        aoidc_b64url_encode(pt + 1 + c, c, p));
}

static const char *key_type(kt_t *t, EVP_PKEY *k)
{
    char grp[32] = "";
    size_t n;
    if (EVP_PKEY_is_a(k, "RSA")) {
        *t = KT_RSA;
        return EVP_PKEY_get_bits(k) < AOIDC_JWK_RSA_MIN_BITS
                   ? "RSA key below 2048 bits"
                   : NULL;
    }
    if (EVP_PKEY_is_a(k, "ED25519")) {
        *t = KT_ED25519;
        return NULL;
    }
    if (!EVP_PKEY_is_a(k, "EC")
        || EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, grp,
                                          sizeof(grp), &n)
               != 1) {
        return "not an RSA, EC or Ed25519 key";
    }
    if (!strcmp(grp, "prime256v1") || !strcmp(grp, "P-256")) {
        *t = KT_EC256;
        return NULL;
    }
    if (!strcmp(grp, "secp384r1") || !strcmp(grp, "P-384")) {
        *t = KT_EC384;
        return NULL;
    }
    return "EC curve is not P-256 or P-384";
}

/* k->pkey set: its type, public members and kid (given, or the RFC 7638
 * thumbprint). */
static apr_status_t adopt(aoidc_client_key_t *k, const char *kid, apr_pool_t *p,
                          aoidc_err_t *err)
{
    const char *why;
    apr_pool_cleanup_register(p, k->pkey, free_key, apr_pool_cleanup_null);
    if ((why = key_type(&k->type, k->pkey))) {
        return aoidc_err_set(err, AOIDC_REASON_CONFIG, p, "%s", why);
    }
    if (!(k->jwk = public_members(k, p))) {
        return aoidc_err_set(err, AOIDC_REASON_CONFIG, p,
                             "the public key could not be exported");
    }
    if (kid) {
        k->kid = apr_pstrdup(p, kid);
    }
    else {
        unsigned char h[32];
        const char *in = apr_pstrcat(p, "{", k->jwk, "}", NULL);
        EVP_Digest(in, strlen(in), h, NULL, EVP_sha256(), NULL);
        k->kid = aoidc_b64url_encode(h, sizeof(h), p);
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_client_key_parse(aoidc_client_key_t **out, const char *pem,
                                    apr_size_t len, const char *kid,
                                    apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_client_key_t *k = apr_pcalloc(p, sizeof(*k));
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    /* no passphrase callback: an encrypted key fails here, not at a prompt */
    k->pkey = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
    BIO_free(b);
    if (!k->pkey) {
        return aoidc_err_set(
            err, AOIDC_REASON_CONFIG, p,
            "not a PEM private key (or one with a passphrase)");
    }
    if (adopt(k, kid, p, err) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    *out = k;
    return APR_SUCCESS;
}

/* The P-256 key pair of the private scalar d (big-endian, 0 < d < n):
 * the public point d*G computed here, since OpenSSL's fromdata takes it
 * as given. */
static EVP_PKEY *p256_from_scalar(const unsigned char d[32])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
    BIGNUM *bn = BN_bin2bn(d, 32, NULL);
    unsigned char pub[65];
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *k = NULL;
    if (!pt || !bn || BN_is_zero(bn) || BN_cmp(bn, EC_GROUP_get0_order(g)) >= 0
        || EC_POINT_mul(g, pt, bn, NULL, NULL, NULL) != 1
        || EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub,
                              sizeof(pub), NULL)
               != sizeof(pub)
        || !(bld = OSSL_PARAM_BLD_new())
        || OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                           "P-256", 0)
               != 1
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) != 1
        || OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
                                            sizeof(pub))
               != 1
        || !(params = OSSL_PARAM_BLD_to_param(bld))
        || !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL))
        || EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params) != 1) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bn);
    EC_POINT_free(pt);
    EC_GROUP_free(g);
    return k;
}

apr_status_t aoidc_client_key_derive_p256(aoidc_client_key_t **out,
                                          const char *secret, apr_size_t len,
                                          const char *purpose, apr_pool_t *p,
                                          aoidc_err_t *err)
{
    aoidc_client_key_t *k = apr_pcalloc(p, sizeof(*k));
    unsigned char d[32];
    /* a scalar >= n (odds about 2^-32) moves on to the next counter: the
     * result is still a function of secret and purpose alone */
    for (int i = 0; i < 8 && !k->pkey; i++) {
        const char *info = i ? apr_psprintf(p, "%s/%d", purpose, i) : purpose;
        if (aoidc_seal_hkdf(d, sizeof(d), secret, len, info) == APR_SUCCESS) {
            k->pkey = p256_from_scalar(d);
        }
    }
    OPENSSL_cleanse(d, sizeof(d));
    if (!k->pkey) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                             "key derivation failed");
    }
    if (adopt(k, NULL, p, err) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    *out = k;
    return APR_SUCCESS;
}

const char *aoidc_client_key_kid(const aoidc_client_key_t *k)
{
    return k->kid;
}

char *aoidc_client_key_public_jwk(const aoidc_client_key_t *k, apr_pool_t *p)
{
    return apr_pstrcat(p, "{", k->jwk, "}", NULL);
}

const char *aoidc_client_key_alg(const aoidc_client_key_t *k, bool ps256)
{
    return k->type == KT_RSA     ? (ps256 ? "PS256" : "RS256")
           : k->type == KT_EC256 ? "ES256"
           : k->type == KT_EC384 ? "ES384"
                                 : "EdDSA";
}

char *aoidc_client_keys_jwks(const apr_array_header_t *keys, apr_pool_t *p)
{
    char *s = "{\"keys\":[";
    for (int i = 0; keys && i < keys->nelts; i++) {
        const aoidc_client_key_t *k =
            APR_ARRAY_IDX(keys, i, const aoidc_client_key_t *);
        json_t *kid = json_string(k->kid);
        char *q = kid ? json_dumps(kid, JSON_ENCODE_ANY) : NULL;
        /* no alg for RSA: the same key signs RS256 or PS256 */
        s = apr_psprintf(
            p, "%s%s{%s,\"kid\":%s,\"use\":\"sig\"%s%s%s}", s, i ? "," : "",
            k->jwk, q ? q : "\"\"", k->type == KT_RSA ? "" : ",\"alg\":\"",
            k->type == KT_RSA ? "" : aoidc_client_key_alg(k, false),
            k->type == KT_RSA ? "" : "\"");
        free(q);
        json_decref(kid);
    }
    return apr_pstrcat(p, s, "]}", NULL);
}

/* JOSE wants ECDSA signatures as r || s, each padded to the curve size
 * (RFC 7518 §3.4), not OpenSSL's DER. */
static bool der_to_jose(unsigned char *out, size_t c, const unsigned char *der,
                        size_t len)
{
    const unsigned char *d = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &d, (long)len);
    const BIGNUM *r, *s;
    bool ok = false;
    if (sig) {
        ECDSA_SIG_get0(sig, &r, &s);
        ok = BN_bn2binpad(r, out, (int)c) == (int)c
             && BN_bn2binpad(s, out + c, (int)c) == (int)c;
        ECDSA_SIG_free(sig);
    }
    return ok;
}

static char *sign(const aoidc_client_key_t *k, bool ps256, const char *in,
                  apr_pool_t *p)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    const EVP_MD *md = k->type == KT_EC384     ? EVP_sha384()
                       : k->type == KT_ED25519 ? NULL
                                               : EVP_sha256();
    size_t n = 0;
    unsigned char *sig = NULL;
    char *out = NULL;
    if (!ctx || EVP_DigestSignInit(ctx, &pc, md, NULL, k->pkey) != 1
        || (k->type == KT_RSA && ps256
            && (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1
                || EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST)
                       != 1))
        || EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)in, strlen(in))
               != 1) {
        goto done;
    }
    sig = apr_palloc(p, n);
    if (EVP_DigestSign(ctx, sig, &n, (const unsigned char *)in, strlen(in))
        != 1) {
        goto done;
    }
    if (k->type == KT_EC256 || k->type == KT_EC384) {
        size_t c = k->type == KT_EC256 ? 32 : 48;
        unsigned char *raw = apr_palloc(p, 2 * c);
        if (!der_to_jose(raw, c, sig, n)) {
            goto done;
        }
        sig = raw;
        n = 2 * c;
    }
    out = aoidc_b64url_encode(sig, n, p);
done:
    EVP_MD_CTX_free(ctx);
    return out;
}

static char *b64_json(json_t *j, apr_pool_t *p)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    char *out =
        s ? aoidc_b64url_encode((unsigned char *)s, strlen(s), p) : NULL;
    free(s);
    json_decref(j);
    return out;
}

char *aoidc_client_key_jws(const aoidc_client_key_t *k, bool ps256,
                           json_t *header, json_t *claims, apr_pool_t *p)
{
    char *h, *c, *sig = NULL;
    if (header
        && json_object_set_new(header, "alg",
                               json_string(aoidc_client_key_alg(k, ps256)))) {
        json_decref(header);
        header = NULL;
    }
    h = b64_json(header, p);
    c = b64_json(claims, p);
    if (h && c) {
        sig = sign(k, ps256, apr_pstrcat(p, h, ".", c, NULL), p);
    }
    return sig ? apr_pstrcat(p, h, ".", c, ".", sig, NULL) : NULL;
}

apr_status_t aoidc_client_assertion(char **out, const aoidc_client_key_t *k,
                                    bool ps256, const char *client_id,
                                    const char *aud, apr_time_t now,
                                    apr_pool_t *p, aoidc_err_t *err)
{
    char *jti;
    json_int_t t = (json_int_t)apr_time_sec(now);
    if (aoidc_rand_token(&jti, 16, p) != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                             "client assertion: no random jti");
    }
    *out = aoidc_client_key_jws(
        k, ps256, json_pack("{s:s, s:s}", "kid", k->kid, "typ", "JWT"),
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", client_id, "sub",
                  client_id, "aud", aud, "jti", jti, "iat", t, "exp",
                  t + AOIDC_ASSERTION_TTL_SEC),
        p);
    if (!*out) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                             "client assertion: signing failed");
    }
    return APR_SUCCESS;
}
