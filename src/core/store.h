/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key/value store seam for sessions, single-use markers, locks, session
 * indexes and the validated-token cache. Keys are 32-byte digests: the first
 * 16 bytes name a *group* (all keys of one session share it), the last 16
 * the item. aoidc_store_key() makes an ungrouped key (the group half is the
 * item's own hash); aoidc_store_key_grouped() binds a key to a group, so a
 * Redis Cluster store can hash-tag every key of a session to one slot while
 * shmcb still spreads keys over its subcaches by the (random) first byte.
 * No store ever sees a token or a session id in clear; values are opaque
 * (sealed by the caller where they hold secrets).
 *
 * Implementations: shmcb through socache in the glue (sets under the global
 * mutex), Redis/Valkey (core/store_redis.c), memcached (core/
 * store_memcache.c), and an in-memory map in test/support.
 *
 * Status contract, the same for every implementation and every operation:
 *   APR_SUCCESS    done
 *   APR_NOTFOUND   absent or expired (get); a normal path, never an error
 *   APR_EEXIST     add: the key exists (nothing written)
 *   APR_ENOSPC     the value is larger than the store takes (nothing written)
 *   anything else  the store is unavailable (down, slow, refused, garbage):
 *                  AOIDC_STORE_IS_DOWN(rv); callers answer 503, never 500,
 *                  and never treat it as "absent"
 * Every call returns within the store's timeout.
 */
#ifndef AOIDC_CORE_STORE_H
#define AOIDC_CORE_STORE_H

#include "core/err.h"

#define AOIDC_STORE_KEY_LEN   32
#define AOIDC_STORE_GROUP_LEN 16

#define AOIDC_STORE_IS_DOWN(rv)                                                \
    ((rv) != APR_SUCCESS && (rv) != APR_NOTFOUND && (rv) != APR_EEXIST         \
     && (rv) != APR_ENOSPC)

typedef struct {
    const unsigned char *data;
    apr_size_t len;
} aoidc_blob_t;

typedef struct aoidc_store_t aoidc_store_t;
struct aoidc_store_t {
    /** Short name for logs and metrics: "shm", "redis", "memcache", ... */
    const char *name;
    /** APR_NOTFOUND when absent or expired; the value is copied into p and
     *  NUL-terminated (the NUL not counted in *len). */
    apr_status_t (*get)(aoidc_store_t *s, const unsigned char *key,
                        unsigned char **val, apr_size_t *len, apr_pool_t *p);
    /** Store until expiry (absolute time). */
    apr_status_t (*set)(aoidc_store_t *s, const unsigned char *key,
                        const unsigned char *val, apr_size_t len,
                        apr_time_t expiry, apr_pool_t *p);
    /** Remove; removing an absent key is APR_SUCCESS. */
    apr_status_t (*remove)(aoidc_store_t *s, const unsigned char *key,
                           apr_pool_t *p);
    /** Store only if absent, atomically across every process and node that
     *  shares the store (Redis SET NX PX, memcached add, shm under the
     *  global mutex); APR_EEXIST when present. Single-use markers, jti
     *  replay caches and locks rely on it. */
    apr_status_t (*add)(aoidc_store_t *s, const unsigned char *key,
                        const unsigned char *val, apr_size_t len,
                        apr_time_t expiry, apr_pool_t *p);
    /** Add member to the small set at key (created when absent); the set
     *  lives at least until expiry (a later expiry extends it, an earlier
     *  one never shortens it). Atomic like add. Session indexes by sid and
     *  sub use it. */
    apr_status_t (*sadd)(aoidc_store_t *s, const unsigned char *key,
                         const unsigned char *member, apr_size_t mlen,
                         apr_time_t expiry, apr_pool_t *p);
    /** The members of the set at key as an array of aoidc_blob_t in p (an
     *  empty array, APR_SUCCESS, when the set is absent). */
    apr_status_t (*smembers)(aoidc_store_t *s, const unsigned char *key,
                             apr_array_header_t **members, apr_pool_t *p);
    /** Remove member from the set at key (absent: APR_SUCCESS). */
    apr_status_t (*srem)(aoidc_store_t *s, const unsigned char *key,
                         const unsigned char *member, apr_size_t mlen,
                         apr_pool_t *p);
    void *baton;
};

/** An ungrouped key: key = SHA-256(ns || 0x00 || data); its group is its
 *  own first half, so unrelated keys spread over slots and subcaches. */
AOIDC_API void aoidc_store_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                               const char *ns, const void *data,
                               apr_size_t len);

/** key = SHA-256(ns || 0x00 || s1 || 0x00 || s2 || 0x00 || data): a key
 *  bound to two context strings (issuer and audience, say), hashed without
 *  copying data. s1 and s2 must not contain NUL. Ungrouped. */
AOIDC_API void aoidc_store_key3(unsigned char key[AOIDC_STORE_KEY_LEN],
                                const char *ns, const char *s1, const char *s2,
                                const void *data, apr_size_t len);

/** A key in the group of gid (a session id, say): H = SHA-256("group" ||
 *  0x00 || gid); bytes [0,16) are H's, bytes [16,32) are H's XOR the first
 *  16 bytes of ns (namespaces of one group must differ within those).
 *  Keys of one group share a Redis Cluster slot. One hash per key. */
AOIDC_API void aoidc_store_key_grouped(unsigned char key[AOIDC_STORE_KEY_LEN],
                                       const char *ns, const void *gid,
                                       apr_size_t len);

/*
 * Sets for stores without a native set type (shm, memcached, the test
 * store): the set is one value, a list of (4-byte length, member) records,
 * rewritten whole under the store's own atomicity (the global mutex for
 * shm). Sets are small (the sessions of one user), so this stays cheap.
 */

/** value with member added (a copy in p; unchanged copy when present). */
AOIDC_API void aoidc_store_setval_add(unsigned char **out, apr_size_t *outlen,
                                      const unsigned char *val, apr_size_t len,
                                      const unsigned char *member,
                                      apr_size_t mlen, apr_pool_t *p);

/** value without member (a copy in p; *outlen 0 when it became empty). */
AOIDC_API void aoidc_store_setval_remove(unsigned char **out,
                                         apr_size_t *outlen,
                                         const unsigned char *val,
                                         apr_size_t len,
                                         const unsigned char *member,
                                         apr_size_t mlen, apr_pool_t *p);

/** The members of a set value as aoidc_blob_t pointing into val; a
 *  truncated record ends the list. */
AOIDC_API apr_array_header_t *
aoidc_store_setval_members(const unsigned char *val, apr_size_t len,
                           apr_pool_t *p);

#endif
