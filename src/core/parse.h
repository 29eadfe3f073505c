/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure parsers for configuration values, called once at config time by the
 * directive setters; requests never parse configuration strings. Each
 * returns NULL on success or an error message naming the expected form.
 */
#ifndef AOIDC_CORE_PARSE_H
#define AOIDC_CORE_PARSE_H

#include "core/err.h"

/** Non-negative whole seconds, at most max. */
AOIDC_API const char *aoidc_parse_seconds(apr_int64_t *out, const char *arg,
                                          apr_int64_t max, apr_pool_t *p);

/** A secret given literally, as "file:/path" (first line, trimmed) or as
 *  "env:NAME". */
AOIDC_API const char *aoidc_parse_secret(const char **out, const char *arg,
                                         apr_pool_t *p);

typedef enum {
    AOIDC_STORE_SHM = 1,
    AOIDC_STORE_REDIS, /* redis://, rediss://, redis-sentinel://, -cluster:// */
    AOIDC_STORE_MEMCACHE,
    AOIDC_STORE_COOKIE,
} aoidc_store_kind_t;

/** A size in bytes: digits with an optional K, M or G suffix (powers of
 *  1024, either case), from min to max. */
AOIDC_API const char *aoidc_parse_size(apr_size_t *out, const char *arg,
                                       apr_size_t min, apr_size_t max,
                                       apr_pool_t *p);

/* shm:SIZE bounds: shmcb needs room for its subcaches; 4 GiB is the most
 * shmcb addresses (it keeps offsets in unsigned int). */
#define AOIDC_SHM_MIN_SIZE (64 * 1024)
#define AOIDC_SHM_MAX_SIZE ((apr_size_t)4095 * 1024 * 1024)

/** The kind of an AuthOIDCSessionStore value: "shm", "shm:SIZE", "cookie",
 *  or a URL whose scheme is redis, rediss, redis-sentinel, redis-cluster
 *  or memcache. The URL itself is checked by the store's own parser
 *  (core/store_redis.h, core/store_memcache.h); here only the scheme.
 *  *shm_size gets SIZE for "shm:SIZE", 0 otherwise. */
AOIDC_API const char *aoidc_parse_store(aoidc_store_kind_t *kind,
                                        apr_size_t *shm_size, const char *arg,
                                        apr_pool_t *p);

#endif
