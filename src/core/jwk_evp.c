/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenSSL verifiers of JWKS keys (jwk.h), made once per JWKS fetch so that
 * a signature check costs a digest, a copy of a prepared context and the
 * public-key operation. Creating an EVP_PKEY_CTX and running verify_init
 * (the provider fetches) costs ~30k instructions, as much as the whole
 * rest of a first-sight bearer token; EVP_PKEY_CTX_dup of a prepared one
 * costs ~1k, and each thread keeps its last copy (work_t) for the next
 * token of the same key. The templates are never used directly, only
 * duplicated (a read of a const object): the snapshot holding them is
 * shared by threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "core/b64url.h"
#include "core/json.h"
#include "core/jwk.h"

#define MAX_VERIFIERS 6

typedef struct {
    const char *alg;    /* "RS256", ... (static) */
    EVP_PKEY_CTX *tmpl; /* verify_init done, padding and digest set */
    EVP_MD *md;         /* fetched once */
    apr_size_t ec_len;  /* ES*: size of r and of s; 0 for RSA */
} verifier_t;

struct aoidc_jwk_evp_s {
    EVP_PKEY *pkey;
    int n;
    verifier_t v[MAX_VERIFIERS];
};

/* A thread's working copy of the verifier it used last, so that a
 * first-sight token whose key and alg are the previous one's costs no
 * context copy and free (~1k instructions). The copy holds a reference to
 * its key (EVP_PKEY_CTX_dup takes one), so while it is kept no other key
 * can live at that key's address: the key's address and the alg name say
 * which verifier it is a copy of, even after the JWKS holding the key is
 * gone. An EVP_PKEY_CTX after verify_init serves any number of verify
 * calls; threads never share one. */
typedef struct {
    const EVP_PKEY *pkey;
    const char *alg; /* a verifier's (static) name */
    EVP_PKEY_CTX *c;
} work_t;

static pthread_key_t work_key;
static pthread_once_t work_once = PTHREAD_ONCE_INIT;
static bool work_ok;

static void work_free(void *data)
{
    work_t *w = data;
    EVP_PKEY_CTX_free(w->c);
    free(w);
}

static void work_init(void)
{
    work_ok = pthread_key_create(&work_key, work_free) == 0;
}

/* v's context for this thread; NULL when none can be made */
static EVP_PKEY_CTX *work_ctx(const aoidc_jwk_evp_t *e, const verifier_t *v)
{
    work_t *w;
    pthread_once(&work_once, work_init);
    if (!work_ok) {
        return NULL;
    }
    if (!(w = pthread_getspecific(work_key))) {
        if (!(w = calloc(1, sizeof(*w)))) {
            return NULL;
        }
        if (pthread_setspecific(work_key, w)) {
            free(w);
            return NULL;
        }
    }
    if (w->c && w->pkey == e->pkey && !strcmp(w->alg, v->alg)) {
        return w->c;
    }
    EVP_PKEY_CTX_free(w->c);
    w->c = EVP_PKEY_CTX_dup(v->tmpl);
    w->pkey = w->c ? e->pkey : NULL;
    w->alg = v->alg;
    return w->c;
}

static apr_status_t evp_cleanup(void *data)
{
    aoidc_jwk_evp_t *e = data;
    for (int i = 0; i < e->n; i++) {
        EVP_PKEY_CTX_free(e->v[i].tmpl);
        EVP_MD_free(e->v[i].md);
    }
    EVP_PKEY_free(e->pkey);
    return APR_SUCCESS;
}

static BIGNUM *member_bn(const json_t *j, const char *name, apr_pool_t *p)
{
    unsigned char *raw;
    apr_size_t n;
    if (!aoidc_jwk_member(&raw, &n, j, name, p) || !n) {
        return NULL;
    }
    return BN_bin2bn(raw, (int)n, NULL);
}

/* The EC public point, uncompressed (SEC 1 §2.3.3): 04 || x || y. */
static unsigned char *ec_point(apr_size_t *len, const json_t *j, apr_size_t n,
                               apr_pool_t *p)
{
    unsigned char *x, *y, *pt;
    apr_size_t xl, yl;
    json_t *mx = json_object_get(j, "x"), *my = json_object_get(j, "y");
    if (!json_is_string(mx) || !json_is_string(my)
        || aoidc_b64url_decode(&x, &xl, json_string_value(mx),
                               json_string_length(mx), p, NULL)
               != APR_SUCCESS
        || aoidc_b64url_decode(&y, &yl, json_string_value(my),
                               json_string_length(my), p, NULL)
               != APR_SUCCESS
        || xl != n || yl != n) {
        return NULL;
    }
    pt = apr_palloc(p, 1 + 2 * n);
    pt[0] = 0x04;
    memcpy(pt + 1, x, n);
    memcpy(pt + 1 + n, y, n);
    *len = 1 + 2 * n;
    return pt;
}

static EVP_PKEY *make_pkey(const aoidc_jwk_t *k, const json_t *j,
                           apr_size_t ec_len, apr_pool_t *p)
{
    EVP_PKEY *pk = NULL;
    OSSL_PARAM *params = NULL;
    BIGNUM *n = NULL, *e = NULL;
    bool rsa = !strcmp(k->kty, "RSA");
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    EVP_PKEY_CTX *c =
        EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC", NULL);
    bool ok = b && c;
    if (ok && rsa) {
        ok = (n = member_bn(j, "n", p)) && (e = member_bn(j, "e", p))
             && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n)
             && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e);
    }
    else if (ok) {
        apr_size_t len = 0;
        unsigned char *pt = ec_point(&len, j, ec_len, p);
        ok = pt
             && OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
                                                k->crv, 0)
             && OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                                 len);
    }
    ok = ok && (params = OSSL_PARAM_BLD_to_param(b))
         && EVP_PKEY_fromdata_init(c) == 1
         && EVP_PKEY_fromdata(c, &pk, EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(c);
    BN_free(n);
    BN_free(e);
    if (!ok) {
        EVP_PKEY_free(pk);
        return NULL;
    }
    return pk;
}

/* RFC 7518 §3.3 (RSASSA-PKCS1-v1_5), §3.5 (RSASSA-PSS: MGF1 with the same
 * hash, salt as long as the hash), §3.4 (ECDSA). */
static bool add_verifier(aoidc_jwk_evp_t *e, const char *alg, apr_size_t ec_len)
{
    verifier_t *v = &e->v[e->n];
    const char *mdname = !strcmp(alg + 2, "256")   ? "SHA256"
                         : !strcmp(alg + 2, "384") ? "SHA384"
                                                   : "SHA512";
    bool ok = (v->md = EVP_MD_fetch(NULL, mdname, NULL))
              && (v->tmpl = EVP_PKEY_CTX_new_from_pkey(NULL, e->pkey, NULL))
              && EVP_PKEY_verify_init(v->tmpl) == 1;
    if (ok && alg[0] != 'E') {
        ok = EVP_PKEY_CTX_set_rsa_padding(v->tmpl, alg[0] == 'P'
                                                       ? RSA_PKCS1_PSS_PADDING
                                                       : RSA_PKCS1_PADDING)
             == 1;
    }
    ok = ok && EVP_PKEY_CTX_set_signature_md(v->tmpl, v->md) == 1;
    if (ok && alg[0] == 'P') {
        ok =
            EVP_PKEY_CTX_set_rsa_mgf1_md(v->tmpl, v->md) == 1
            && EVP_PKEY_CTX_set_rsa_pss_saltlen(v->tmpl, RSA_PSS_SALTLEN_DIGEST)
                   == 1;
    }
    v->alg = alg;
    v->ec_len = ec_len;
    e->n++; /* freed by the cleanup whether ok or not */
    return ok;
}

aoidc_jwk_evp_t *aoidc_jwk_evp_make(const aoidc_jwk_t *k, const json_t *j,
                                    apr_pool_t *p)
{
    static const char *const rsa[] = {"RS256", "RS384", "RS512",
                                      "PS256", "PS384", "PS512"};
    static const struct {
        const char *crv, *alg;
        apr_size_t len;
    } ec[] = {
        {"P-256", "ES256", 32}, {"P-384", "ES384", 48}, {"P-521", "ES512", 66}};
    aoidc_jwk_evp_t *e = apr_pcalloc(p, sizeof(*e));
    apr_size_t ec_len = 0;
    const char *ec_alg = NULL;
    bool ok = true;
    for (size_t i = 0; k->crv && i < sizeof(ec) / sizeof(ec[0]); i++) {
        if (!strcmp(k->crv, ec[i].crv)) {
            ec_len = ec[i].len;
            ec_alg = ec[i].alg;
        }
    }
    if (strcmp(k->kty, "RSA") && !ec_alg) {
        return NULL;
    }
    if (!(e->pkey = make_pkey(k, j, ec_len, p))) {
        ERR_clear_error();
        return NULL;
    }
    apr_pool_cleanup_register(p, e, evp_cleanup, apr_pool_cleanup_null);
    if (ec_alg) {
        ok = !k->alg || !strcmp(k->alg, ec_alg)
                 ? add_verifier(e, ec_alg, ec_len)
                 : true;
    }
    for (size_t i = 0; !ec_alg && ok && i < sizeof(rsa) / sizeof(rsa[0]); i++) {
        if (!k->alg || !strcmp(k->alg, rsa[i])) {
            ok = add_verifier(e, rsa[i], 0);
        }
    }
    if (!ok) {
        ERR_clear_error();
        return NULL; /* the cleanup frees what was made */
    }
    return e;
}

/* JOSE's ECDSA signature is r || s, each exactly ec_len bytes (RFC 7518
 * §3.4); OpenSSL wants the DER SEQUENCE of two INTEGERs. */
static int ec_der(unsigned char *der, apr_size_t cap, const unsigned char *sig,
                  apr_size_t siglen, apr_size_t ec_len)
{
    ECDSA_SIG *es;
    BIGNUM *r, *s;
    int n = -1;
    if (siglen != 2 * ec_len || !(es = ECDSA_SIG_new())) {
        return -1;
    }
    r = BN_bin2bn(sig, (int)ec_len, NULL);
    s = BN_bin2bn(sig + ec_len, (int)ec_len, NULL);
    if (r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL; /* es owns them */
        if (i2d_ECDSA_SIG(es, NULL) <= (int)cap) {
            n = i2d_ECDSA_SIG(es, &der);
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return n;
}

int aoidc_jwk_evp_verify(const aoidc_jwk_evp_t *e, const char *alg,
                         const unsigned char *in, apr_size_t inlen,
                         const unsigned char *sig, apr_size_t siglen)
{
    return aoidc_jwk_evp_verify_sha256(e, alg, in, inlen, NULL, sig, siglen);
}

int aoidc_jwk_evp_verify_sha256(const aoidc_jwk_evp_t *e, const char *alg,
                                const unsigned char *in, apr_size_t inlen,
                                const unsigned char *sha256,
                                const unsigned char *sig, apr_size_t siglen)
{
    const verifier_t *v = NULL;
    unsigned char h[EVP_MAX_MD_SIZE], der[2 * 66 + 16];
    unsigned int hl = 0;
    int ok = 0;
    for (int i = 0; e && i < e->n; i++) {
        if (!strcmp(e->v[i].alg, alg)) {
            v = &e->v[i];
        }
    }
    if (!v) {
        return -1;
    }
    if (v->ec_len) {
        int n = ec_der(der, sizeof(der), sig, siglen, v->ec_len);
        if (n <= 0) {
            return 0;
        }
        sig = der;
        siglen = (apr_size_t)n;
    }
    EVP_PKEY_CTX *c = NULL;
    if (sha256 && !strcmp(v->alg + 2, "256")) { /* v->md is SHA-256 */
        /* the caller's digest of in (rs.c keys its cache with it) */
        memcpy(h, sha256, 32);
        hl = 32;
    }
    /* EVP_Digest with the fetched md: SHA256() fetches on every call */
    else if (!EVP_Digest(in, inlen, h, &hl, v->md, NULL)) {
        ERR_clear_error();
        return 0;
    }
    ok = (c = work_ctx(e, v)) && EVP_PKEY_verify(c, sig, siglen, h, hl) == 1;
    if (!ok) {
        ERR_clear_error(); /* a bad signature is an answer, not an error */
    }
    return ok;
}
