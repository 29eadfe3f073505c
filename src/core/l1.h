/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The per-process L1 cache (issues 14 and 15): a small table, in each httpd
 * child, of records recently read from the shared store, so that a burst
 * of requests of one session costs one store round trip and one AEAD open,
 * not one each.
 *
 * What keeps it correct:
 * - An entry is found only by its exact key AND its secret (compared in
 *   constant time): a ticket whose public half matches but whose secret
 *   does not is a miss, and the store path refuses it as before.
 * - Every write or removal of a record calls aoidc_l1_forget, which drops
 *   the entry here and bumps a generation counter in memory shared by all
 *   the children of this httpd (one counter per bucket of keys). A reader
 *   takes the counter before it reads the store and the entry carries it;
 *   an entry whose bucket moved on is a miss. So on one node a logout, a
 *   refresh or a touch made by any process is seen by every process at
 *   once.
 * - Another node's writes are not seen: an entry lives at most ttl (the
 *   AuthOIDCSessionCacheTTL, default 1 s), which bounds how long a logout
 *   received by another node takes to reach this one.
 * Records larger than AOIDC_L1_MAX_VALUE are not kept.
 */
#ifndef AOIDC_CORE_L1_H
#define AOIDC_CORE_L1_H

#include "core/aoidc.h"

#define AOIDC_L1_SLOTS     512
#define AOIDC_L1_GENS      4096 /* shared counters: a power of two */
#define AOIDC_L1_MAX_VALUE (16 * 1024)
#define AOIDC_L1_MAX_KEY   (8 * 1024) /* a bearer token is a key */

typedef struct aoidc_l1_t aoidc_l1_t;

/** A table in p (a child's pool). gens: AOIDC_L1_GENS counters in memory
 *  shared by the children (zeroed by the parent), or NULL (then writes by
 *  other processes are seen only through ttl). NULL when no mutex could
 *  be made (callers then never cache). */
AOIDC_API aoidc_l1_t *aoidc_l1_create(apr_pool_t *p, apr_uint32_t *gens);

/** The generation of key's bucket: take it BEFORE reading the store, and
 *  give it to aoidc_l1_put with what was read. */
AOIDC_API apr_uint32_t aoidc_l1_gen(const aoidc_l1_t *l, const char *key,
                                    apr_size_t klen);

/** Makes the object an entry holds from val (a copy in p, which lives as
 *  long as the entry): NULL when val does not make one (nothing is kept).
 *  The object is shared by threads and must never be modified. */
typedef const void *(*aoidc_l1_make_fn)(apr_pool_t *p, unsigned char *val,
                                        apr_size_t len, const void *arg);

/** Keep make(val) for key and secret until expires, for owner (an opaque
 *  pointer the lookup must match, e.g. the store the record came from),
 *  provided no forget happened since gen was taken. Silently nothing when
 *  the key or value are too large. With rp: returns the object made (held
 *  until rp is cleared, read only, kept or not), so that the request that
 *  made it uses it as a later hit would; NULL when none was made or rp is
 *  NULL. */
AOIDC_API const void *
aoidc_l1_put(aoidc_l1_t *l, const void *owner, const char *key, apr_size_t klen,
             const char *secret, apr_size_t slen, apr_uint32_t gen,
             apr_time_t expires, const unsigned char *val, apr_size_t len,
             aoidc_l1_make_fn make, const void *arg, apr_pool_t *rp);

/** The object kept for (owner, key, secret), held until rp is cleared
 *  (read only); NULL when there is none, it expired (now), or its
 *  bucket's generation moved. */
AOIDC_API const void *aoidc_l1_get(aoidc_l1_t *l, const void *owner,
                                   const char *key, apr_size_t klen,
                                   const char *secret, apr_size_t slen,
                                   apr_time_t now, apr_pool_t *rp);

/** key's record changed or went in the store: drop it here and make every
 *  process sharing gens drop theirs. Call it AFTER the store write. */
AOIDC_API void aoidc_l1_forget(aoidc_l1_t *l, const char *key, apr_size_t klen);

#endif
