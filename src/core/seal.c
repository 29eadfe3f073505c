/* SPDX-License-Identifier: Apache-2.0 */
/* AEAD sealing (AES-256-GCM) under HKDF-derived per-purpose keys. */
#include <pthread.h>
#include <stdlib.h>
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
    EVP_CIPHER *cipher;    /* fetched once: implicit fetches cost per call */
    unsigned char kdf[32]; /* AES-256 key of aoidc_seal_derive */
    unsigned char mac[32]; /* HMAC-SHA256 key of aoidc_seal_mac */
    apr_uint64_t id;       /* process-unique: names the key in thread caches */
    const aoidc_seal_t *prev; /* the passphrase being rotated out: opens only */
    bool derived;             /* a per-session key (aoidc_seal_derive) */
};

/* The id a thread context carries while keyed with a derived key: such
 * keys are compared by their bytes (below), not by id. */
#define DERIVED_ID UINT64_MAX

/*
 * Per-thread crypto contexts. Allocating and keying an EVP context costs
 * more than opening a session record, so each thread keeps one cipher
 * context per direction, keyed to the seal it last used (by id, never by
 * address: a key freed at a restart may share an address with a new one),
 * and one digest context. Re-initialising a keyed context with only a new
 * nonce skips the key schedule.
 */
typedef struct {
    EVP_CIPHER_CTX *enc, *dec, *kdf;
    apr_uint64_t enc_id, dec_id, kdf_id;
    unsigned char enc_key[32], dec_key[32]; /* of a derived key, see below */
    EVP_MD_CTX *md;
} tls_t;

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;
static EVP_CIPHER *aes_ecb;
static apr_uint64_t next_id;

static void tls_free(void *data)
{
    tls_t *t = data;
    EVP_CIPHER_CTX_free(t->enc);
    EVP_CIPHER_CTX_free(t->dec);
    EVP_CIPHER_CTX_free(t->kdf);
    EVP_MD_CTX_free(t->md);
    OPENSSL_cleanse(t->enc_key, sizeof(t->enc_key));
    OPENSSL_cleanse(t->dec_key, sizeof(t->dec_key));
    free(t);
}

static void tls_init(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    aes_ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
    pthread_key_create(&tls_key, tls_free);
}

static tls_t *tls(void)
{
    tls_t *t;
    pthread_once(&tls_once, tls_init);
    t = pthread_getspecific(tls_key);
    if (!t) {
        t = calloc(1, sizeof(*t));
        if (!t || pthread_setspecific(tls_key, t)) {
            free(t);
            return NULL;
        }
    }
    return t;
}

static apr_status_t wipe_key(void *data)
{
    OPENSSL_cleanse(data, 32);
    return APR_SUCCESS;
}

static apr_status_t seal_cleanup(void *data)
{
    aoidc_seal_t *k = data;
    OPENSSL_cleanse(k->key, sizeof(k->key));
    OPENSSL_cleanse(k->kdf, sizeof(k->kdf));
    OPENSSL_cleanse(k->mac, sizeof(k->mac));
    EVP_CIPHER_free(k->cipher);
    return APR_SUCCESS;
}

apr_status_t aoidc_seal_hkdf(unsigned char *out, apr_size_t n,
                             const char *secret, apr_size_t secret_len,
                             const char *purpose)
{
    static const char salt[] = "mod_auth_oidc seal v1";
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t klen = n;
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
             && EVP_PKEY_derive(kctx, out, &klen) > 0 && klen == n;
    EVP_PKEY_CTX_free(kctx);
    return ok ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t aoidc_seal_create(aoidc_seal_t **out, const char *secret,
                               apr_size_t secret_len, const char *purpose,
                               apr_pool_t *p)
{
    aoidc_seal_t *k = apr_pcalloc(p, sizeof(*k));
    int ok =
        aoidc_seal_hkdf(k->key, sizeof(k->key), secret, secret_len, purpose)
        == APR_SUCCESS;
    k->cipher = ok ? EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL) : NULL;
    if (ok) {
        aoidc_sha256_2(k->kdf, k->key, sizeof(k->key), "kdf", 3);
        aoidc_sha256_2(k->mac, k->key, sizeof(k->key), "mac", 3);
    }
    k->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
    apr_pool_cleanup_register(p, k, seal_cleanup, apr_pool_cleanup_null);
    if (!k->cipher) {
        return APR_EGENERAL;
    }
    *out = k;
    return APR_SUCCESS;
}

/*
 * A per-session key: two AES-256 blocks under the master's KDF key (itself
 * SHA-256(master key || "kdf"), so the AEAD key is never used in another
 * mode), over the first and the last 16 bytes of the secret (the second
 * block's last byte flipped, so they differ even for a 16-byte secret):
 *
 *   key = E_kdf(secret[0,16)) || E_kdf(secret[n-16,n) ^ 0x..01)
 *
 * AES is a PRF here, keyed with a per-thread ECB context that keeps its key
 * schedule, so a derivation costs two block encryptions instead of a
 * SHA-256 compression (which dominated the hot path under valgrind's
 * SHA-NI-less CPU). Fresh id: the thread's GCM contexts rekey for it.
 */
apr_status_t aoidc_seal_derive(aoidc_seal_t **out, const aoidc_seal_t *master,
                               const void *secret, apr_size_t len,
                               apr_pool_t *p)
{
    aoidc_seal_t *k = apr_palloc(p, sizeof(*k));
    unsigned char in[32];
    tls_t *t = tls();
    int n = 0, ok;
    if (len < 16 || !t || !aes_ecb
        || (!t->kdf && !(t->kdf = EVP_CIPHER_CTX_new()))) {
        return APR_EGENERAL;
    }
    memcpy(in, secret, 16);
    memcpy(in + 16, (const unsigned char *)secret + len - 16, 16);
    in[31] ^= 0x01;
    /* ECB without padding keeps no state between updates: once keyed, the
     * context is only ever updated (no re-init, which costs more than the
     * two blocks) */
    ok = t->kdf_id == master->id
         || (EVP_EncryptInit_ex2(t->kdf, aes_ecb, master->kdf, NULL, NULL)
             && EVP_CIPHER_CTX_set_padding(t->kdf, 0));
    ok = ok && EVP_EncryptUpdate(t->kdf, k->key, &n, in, 32) && n == 32;
    t->kdf_id = ok ? master->id : 0;
    OPENSSL_cleanse(in, sizeof(in));
    if (!ok) {
        return APR_EGENERAL;
    }
    k->cipher = master->cipher;
    k->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
    k->prev = NULL;
    k->derived = true;
    apr_pool_cleanup_register(p, k->key, wipe_key, apr_pool_cleanup_null);
    if (master->prev) {
        aoidc_seal_t *old;
        if (aoidc_seal_derive(&old, master->prev, secret, len, p)
            == APR_SUCCESS) {
            k->prev = old;
        }
    }
    *out = k;
    return APR_SUCCESS;
}

void aoidc_seal_set_previous(aoidc_seal_t *k, const aoidc_seal_t *prev)
{
    k->prev = prev;
}

/* A cipher context of this thread, keyed with k, set to nonce. */
static EVP_CIPHER_CTX *cipher_ctx(const aoidc_seal_t *k,
                                  const unsigned char *nonce, bool enc)
{
    tls_t *t = tls();
    EVP_CIPHER_CTX **c;
    apr_uint64_t *id;
    unsigned char *last;
    int ok;
    if (!t) {
        return NULL;
    }
    c = enc ? &t->enc : &t->dec;
    id = enc ? &t->enc_id : &t->dec_id;
    last = enc ? t->enc_key : t->dec_key;
    if (!*c && !(*c = EVP_CIPHER_CTX_new())) {
        return NULL;
    }
    /* A per-session key is new for every request, but the requests of one
     * page load (the page and its assets) often reach the same thread one
     * after the other: compared by its bytes, the last such key keeps its
     * key schedule. */
    if (k->derived ? *id == DERIVED_ID && !CRYPTO_memcmp(last, k->key, 32)
                   : *id == k->id) {
        ok = enc ? EVP_EncryptInit_ex2(*c, NULL, NULL, nonce, NULL)
                 : EVP_DecryptInit_ex2(*c, NULL, NULL, nonce, NULL);
    }
    else {
        ok = enc ? EVP_EncryptInit_ex2(*c, k->cipher, k->key, nonce, NULL)
                 : EVP_DecryptInit_ex2(*c, k->cipher, k->key, nonce, NULL);
    }
    /* on any failure the next use starts from scratch */
    *id = !ok ? 0 : k->derived ? DERIVED_ID : k->id;
    if (ok && k->derived) {
        memcpy(last, k->key, 32);
    }
    return ok ? *c : NULL;
}

apr_status_t aoidc_seal(unsigned char **out, apr_size_t *outlen,
                        const aoidc_seal_t *k, const unsigned char *in,
                        apr_size_t len, const void *aad, apr_size_t aad_len,
                        apr_pool_t *p)
{
    unsigned char *buf = apr_palloc(p, len + AOIDC_SEAL_OVERHEAD);
    unsigned char *nonce = buf + 2, *ct = buf + 14, *tag = ct + len;
    int n = 0, ok;
    EVP_CIPHER_CTX *c;
    buf[0] = SEAL_V1;
    buf[1] = 0;
    /* a fresh random 96-bit nonce for every seal */
    if (aoidc_rand_bytes(nonce, 12) != APR_SUCCESS
        || !(c = cipher_ctx(k, nonce, true))) {
        return APR_EGENERAL;
    }
    ok = EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len)
         && EVP_EncryptUpdate(c, ct, &n, in, (int)len)
         && EVP_EncryptFinal_ex(c, ct + n, &n)
         && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    if (!ok) {
        tls()->enc_id = 0;
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
    EVP_CIPHER_CTX *c = cipher_ctx(k, nonce, false);
    ok = c && EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len)
         && EVP_DecryptUpdate(c, pt, &n, ct, (int)ctlen)
         && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag)
         && EVP_DecryptFinal_ex(c, pt + n, &n) > 0;
    if (!ok) {
        if (c) {
            tls()->dec_id = 0;
        }
        /* AuthOIDCPassphrase NEW OLD: what OLD sealed still opens */
        if (k->prev) {
            return aoidc_unseal(out, outlen, k->prev, in, len, aad, aad_len, p,
                                err);
        }
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

void aoidc_sha256_v(unsigned char out[32], int n, const void *const *parts,
                    const apr_size_t *lens)
{
    unsigned int len = 32;
    tls_t *t = tls();
    bool ok = t && sha256_md && (t->md || (t->md = EVP_MD_CTX_new()))
              && EVP_DigestInit_ex2(t->md, sha256_md, NULL);
    /* SHA-256 is fetched once per process (tls_init): OpenSSL 3's implicit
     * fetch on every EVP_sha256() digest would dominate a cache hit. */
    for (int i = 0; ok && i < n; i++) {
        ok = !lens[i] || EVP_DigestUpdate(t->md, parts[i], lens[i]);
    }
    if (!ok || !EVP_DigestFinal_ex(t->md, out, &len)) {
        /* Only on allocation failure. Never a constant: two inputs must
         * not share a store key. A digest unique to this call matches
         * nothing, so the lookup misses and the entry is never found. */
        static apr_uint64_t failures;
        apr_uint64_t u = __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
        if (aoidc_rand_bytes(out, 32) != APR_SUCCESS) {
            memset(out, 0xa5, 32);
        }
        memcpy(out, &u, sizeof(u));
    }
}

void aoidc_hmac_sha256(unsigned char out[32], const unsigned char *key,
                       apr_size_t key_len, int n, const void *const *parts,
                       const apr_size_t *lens)
{
    /* RFC 2104 over the per-thread SHA-256 context: no EVP_MAC fetch and
     * context per call (~20k instructions each under callgrind) */
    unsigned char ipad[64], opad[64], inner[32];
    const void *ip[AOIDC_HMAC_MAX_PARTS + 1];
    apr_size_t il[AOIDC_HMAC_MAX_PARTS + 1];
    if (key_len > sizeof(ipad)) {
        key_len = sizeof(ipad); /* callers pass 32-byte keys */
    }
    memset(ipad, 0x36, sizeof(ipad));
    memset(opad, 0x5c, sizeof(opad));
    for (apr_size_t i = 0; i < key_len; i++) {
        ipad[i] ^= key[i];
        opad[i] ^= key[i];
    }
    ip[0] = ipad;
    il[0] = sizeof(ipad);
    for (int i = 0; i < n && i < AOIDC_HMAC_MAX_PARTS; i++) {
        ip[i + 1] = parts[i];
        il[i + 1] = lens[i];
    }
    aoidc_sha256_v(inner,
                   1 + (n < AOIDC_HMAC_MAX_PARTS ? n : AOIDC_HMAC_MAX_PARTS),
                   ip, il);
    const void *op[2] = {opad, inner};
    apr_size_t ol[2] = {sizeof(opad), sizeof(inner)};
    aoidc_sha256_v(out, 2, op, ol);
    OPENSSL_cleanse(ipad, sizeof(ipad));
    OPENSSL_cleanse(opad, sizeof(opad));
}

apr_status_t aoidc_seal_mac(unsigned char out[32], const aoidc_seal_t *k, int n,
                            const void *const *parts, const apr_size_t *lens)
{
    if (n > AOIDC_HMAC_MAX_PARTS) {
        return APR_EGENERAL;
    }
    aoidc_hmac_sha256(out, k->mac, sizeof(k->mac), n, parts, lens);
    return APR_SUCCESS;
}

void aoidc_sha256_2(unsigned char out[32], const void *a, apr_size_t alen,
                    const void *b, apr_size_t blen)
{
    const void *parts[2] = {a, b};
    apr_size_t lens[2] = {alen, blen};
    aoidc_sha256_v(out, 2, parts, lens);
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
