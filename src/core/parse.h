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
    AOIDC_STORE_REDIS,
    AOIDC_STORE_MEMCACHE,
    AOIDC_STORE_COOKIE,
} aoidc_store_kind_t;

/** "shm" | "redis://HOST:PORT[/DB]" | "memcache://HOST:PORT" | "cookie".
 *  *hostport gets HOST:PORT for the network stores. */
AOIDC_API const char *aoidc_parse_store(aoidc_store_kind_t *kind,
                                        const char **hostport, const char *arg,
                                        apr_pool_t *p);

#endif
