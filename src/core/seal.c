/* SPDX-License-Identifier: Apache-2.0 */
/* AEAD sealing (AES-256-GCM) under HKDF-derived per-purpose keys. */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "core/b64url.h"
#include "core/rand.h"
#include "core/seal.h"

#define SEAL_V1 0x01

struct aoidc_seal_t {
    unsigned char key[32];
    EVP_CIPHER *cipher; /* fetched once: implicit fetches cost per call */
};

static apr_status_t seal_cleanup(void *data)
{
    aoidc_seal_t *k = data;
    OPENSSL_cleanse(k->key, sizeof(k->key));
    EVP_CIPHER_free(k->cipher);
    return APR_SUCCESS;
}

apr_status_t aoidc_seal_create(aoidc_seal_t **out, const char *secret,
                               apr_size_t secret_len, const char *purpose,
                               apr_pool_t *p)
{
    static const char salt[] = "mod_auth_oidc seal v1";
    aoidc_seal_t *k = apr_pcalloc(p, sizeof(*k));
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t klen = sizeof(k->key);
    int ok = kctx && EVP_PKEY_derive_init(kctx) > 0
             && EVP_PKEY_CTX_set_hkdf_md(kctx, EVP_sha256()) > 0
             && EVP_PKEY_CTX_set1_hkdf_salt(kctx, (const unsigned char *)salt,
                                            sizeof(salt) - 1)
                    > 0
             && EVP_PKEY_CTX_set1_hkdf_key(kctx, (const unsigned char *)secret,
                                           (int)secret_len)
                    > 0
             && EVP_PKEY_CTX_add1_hkdf_info(
                    kctx, (const unsigned char *)purpose, (int)strlen(purpose))
                    > 0
             && EVP_PKEY_derive(kctx, k->key, &klen) > 0;
    EVP_PKEY_CTX_free(kctx);
    k->cipher = ok ? EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL) : NULL;
    apr_pool_cleanup_register(p, k, seal_cleanup, apr_pool_cleanup_null);
    if (!k->cipher) {
        return APR_EGENERAL;
    }
    *out = k;
    return APR_SUCCESS;
}

apr_status_t aoidc_seal(unsigned char **out, apr_size_t *outlen,
                        const aoidc_seal_t *k, const unsigned char *in,
                        apr_size_t len, const void *aad, apr_size_t aad_len,
                        apr_pool_t *p)
{
    unsigned char *buf = apr_palloc(p, len + AOIDC_SEAL_OVERHEAD);
    unsigned char *nonce = buf + 2, *ct = buf + 14, *tag = ct + len;
    int n = 0, ok;
    buf[0] = SEAL_V1;
    buf[1] = 0;
    if (aoidc_rand_bytes(nonce, 12) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    ok = c && EVP_EncryptInit_ex2(c, k->cipher, k->key, nonce, NULL)
         && EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len)
         && EVP_EncryptUpdate(c, ct, &n, in, (int)len)
         && EVP_EncryptFinal_ex(c, ct + n, &n)
         && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        return APR_EGENERAL;
    }
    *out = buf;
    *outlen = len + AOIDC_SEAL_OVERHEAD;
    return APR_SUCCESS;
}

apr_status_t aoidc_unseal(unsigned char **out, apr_size_t *outlen,
                          const aoidc_seal_t *k, const unsigned char *in,
                          apr_size_t len, const void *aad, apr_size_t aad_len,
                          apr_pool_t *p, aoidc_err_t *err)
{
    if (len < AOIDC_SEAL_OVERHEAD || in[0] != SEAL_V1 || in[1] != 0) {
        return aoidc_err_set(err, AOIDC_REASON_COOKIE, p,
                             "sealed blob: bad version or length");
    }
    apr_size_t ctlen = len - AOIDC_SEAL_OVERHEAD;
    const unsigned char *nonce = in + 2, *ct = in + 14, *tag = ct + ctlen;
    unsigned char *pt = apr_palloc(p, ctlen + 1);
    int n = 0, ok;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    ok = c && EVP_DecryptInit_ex2(c, k->cipher, k->key, nonce, NULL)
         && EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len)
         && EVP_DecryptUpdate(c, pt, &n, ct, (int)ctlen)
         && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag)
         && EVP_DecryptFinal_ex(c, pt + n, &n) > 0;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        return aoidc_err_set(err, AOIDC_REASON_COOKIE, p,
                             "sealed blob: authentication failed");
    }
    pt[ctlen] = '\0';
    *out = pt;
    *outlen = ctlen;
    return APR_SUCCESS;
}

apr_status_t aoidc_seal_text(char **out, const aoidc_seal_t *k,
                             const unsigned char *in, apr_size_t len,
                             const void *aad, apr_size_t aad_len, apr_pool_t *p)
{
    unsigned char *bin;
    apr_size_t binlen;
    apr_status_t rv = aoidc_seal(&bin, &binlen, k, in, len, aad, aad_len, p);
    if (rv == APR_SUCCESS) {
        *out = aoidc_b64url_encode(bin, binlen, p);
    }
    return rv;
}

apr_status_t aoidc_unseal_text(unsigned char **out, apr_size_t *outlen,
                               const aoidc_seal_t *k, const char *in,
                               const void *aad, apr_size_t aad_len,
                               apr_pool_t *p, aoidc_err_t *err)
{
    unsigned char *bin;
    apr_size_t binlen;
    if (aoidc_b64url_decode(&bin, &binlen, in, strlen(in), p, err)
        != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_COOKIE, p,
                             "sealed text: not base64url");
    }
    return aoidc_unseal(out, outlen, k, bin, binlen, aad, aad_len, p, err);
}

/* SHA-256 is fetched once per process: OpenSSL 3's implicit fetch on every
 * EVP_sha256() digest would be a large share of a cache hit's cost. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void aoidc_sha256_2(unsigned char out[32], const void *a, apr_size_t alen,
                    const void *b, apr_size_t blen)
{
    unsigned int n = 32;
    EVP_MD_CTX *c;
    pthread_once(&sha256_once, sha256_fetch);
    c = EVP_MD_CTX_new();
    if (!c || !sha256_md || !EVP_DigestInit_ex2(c, sha256_md, NULL)
        || !EVP_DigestUpdate(c, a, alen)
        || (blen && !EVP_DigestUpdate(c, b, blen))
        || !EVP_DigestFinal_ex(c, out, &n)) {
        /* Only on allocation failure: never yields a usable digest. */
        memset(out, 0, 32);
        out[0] = 0xff;
    }
    EVP_MD_CTX_free(c);
}

void aoidc_sha256(unsigned char out[32], const void *data, apr_size_t len)
{
    aoidc_sha256_2(out, data, len, NULL, 0);
}

const char *aoidc_fingerprint(const char *s, apr_pool_t *p)
{
    unsigned char h[32];
    char *hex = apr_palloc(p, 17);
    aoidc_sha256(h, s, strlen(s));
    for (int i = 0; i < 8; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", h[i]);
    }
    return hex;
}
