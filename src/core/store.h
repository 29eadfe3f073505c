/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key/value store seam for sessions, single-use markers and the validated-
 * token cache. Keys are 32-byte SHA-256 digests of namespace and logical
 * key (aoidc_store_key), so shmcb spreads them over its subcaches by the
 * first byte and no store ever sees a token or session id in clear.
 * Values are opaque (sealed by the caller where they hold secrets).
 * Implementations: socache in the glue (shmcb; redis/memcache later),
 * an in-memory map in test/support.
 */
#ifndef AOIDC_CORE_STORE_H
#define AOIDC_CORE_STORE_H

#include "core/err.h"

#define AOIDC_STORE_KEY_LEN 32

typedef struct aoidc_store_t aoidc_store_t;
struct aoidc_store_t {
    /** APR_NOTFOUND when absent or expired; value copied into p. */
    apr_status_t (*get)(aoidc_store_t *s, const unsigned char *key,
                        unsigned char **val, apr_size_t *len, apr_pool_t *p);
    /** Store until expiry (absolute). */
    apr_status_t (*set)(aoidc_store_t *s, const unsigned char *key,
                        const unsigned char *val, apr_size_t len,
                        apr_time_t expiry, apr_pool_t *p);
    apr_status_t (*remove)(aoidc_store_t *s, const unsigned char *key,
                           apr_pool_t *p);
    /** Store only if absent (atomically where the backend allows);
     *  APR_EEXIST when present. Used for single-use markers and locks. */
    apr_status_t (*add)(aoidc_store_t *s, const unsigned char *key,
                        const unsigned char *val, apr_size_t len,
                        apr_time_t expiry, apr_pool_t *p);
    void *baton;
};

/** key = SHA-256(ns || 0x00 || data). */
AOIDC_API void aoidc_store_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                               const char *ns, const void *data,
                               apr_size_t len);

/** key = SHA-256(ns || 0x00 || s1 || 0x00 || s2 || 0x00 || data): a key
 *  bound to two context strings (issuer and audience, say), hashed without
 *  copying data. s1 and s2 must not contain NUL. */
AOIDC_API void aoidc_store_key3(unsigned char key[AOIDC_STORE_KEY_LEN],
                                const char *ns, const char *s1, const char *s2,
                                const void *data, apr_size_t len);

#endif
