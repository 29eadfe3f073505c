/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every request flow (core/rp_*.c, core/rs.c) gets from the glue: the
 * request's pool and time, the HTTP client for the OP, the provider, the
 * per-issuer guard, and the two stores. The glue builds it once per request
 * from the directory configuration; a flow is then one call with an inputs
 * struct and an outcome struct, and everything it decides is reachable from
 * unit tests with the in-memory store and the fake HTTP client.
 *
 * Flows layer: uses services (provider, client, store) and protocol units.
 */
#ifndef AOIDC_CORE_FLOW_H
#define AOIDC_CORE_FLOW_H

#include "core/claims.h"
#include "core/guard.h"
#include "core/provider.h"
#include "core/store.h"

/* What a flow did that the glue counts (metrics); the core never logs or
 * counts for itself. */
typedef struct {
    unsigned jwks_refetch_ok;      /* an unknown kid made us refetch keys */
    unsigned jwks_refetch_failed;  /* ... and the refetch failed */
    unsigned jwks_refetch_limited; /* none made: one was made recently */
} aoidc_flow_counts_t;

typedef struct {
    apr_pool_t *pool; /* the request's: every result lives here */
    apr_time_t now;
    const aoidc_http_t *http;
    aoidc_provider_t *provider;
    aoidc_guard_t *guard;        /* per issuer; may be NULL (no limits) */
    aoidc_store_t *sessions;     /* sessions, their indexes, refresh locks */
    aoidc_store_t *cache;        /* anything an unauthenticated client can make
                                  * us write: single-use markers, token cache */
    apr_array_header_t *notes;   /* of const char *: facts for the glue to log
                                  * at warn once the flow is done (the core
                                  * never logs), e.g. JWKS keys skipped;
                                  * may be NULL */
    aoidc_flow_counts_t *counts; /* may be NULL */
    struct aoidc_l1_t *l1;       /* this process's L1 of sessions (l1.h);
                                  * NULL: every request asks the store */
    apr_interval_time_t l1_ttl;  /* how long an L1 entry may be served */
} aoidc_flow_env_t;

/* A cookie the glue must set (max_age > 0 or < 0 for a session cookie) or
 * delete (max_age == 0). The glue picks the attributes by kind. */
typedef enum {
    AOIDC_COOKIE_SESSION = 1,
    AOIDC_COOKIE_STATE,
} aoidc_cookie_kind_t;

typedef struct {
    aoidc_cookie_kind_t kind;
    const char *name;
    const char *value;
    apr_int64_t max_age; /* seconds */
} aoidc_cookie_op_t;

/** Append a cookie operation to *ops (created in p when NULL). */
AOIDC_API void aoidc_cookie_op(apr_array_header_t **ops,
                               aoidc_cookie_kind_t kind, const char *name,
                               const char *value, apr_int64_t max_age,
                               apr_pool_t *p);

/** The provider's current snapshot (metadata + keys) for env. */
AOIDC_API apr_status_t aoidc_flow_snapshot(aoidc_snapshot_t **out,
                                           const aoidc_flow_env_t *env,
                                           aoidc_err_t *err);

/** After a token named a kid the snapshot lacks: the refetched keys, or
 *  NULL when the provider allowed no refetch (rate limited) or it failed. */
AOIDC_API const aoidc_jwks_t *
aoidc_flow_rotated_keys(const aoidc_flow_env_t *env);

/** The user name of a request: claim name's value, or sub's when the list
 *  has no claim name; NULL when that is absent, empty, or an array or
 *  object (aoidc_claims_user; such a request is never authenticated). */
AOIDC_API const char *aoidc_flow_user(const apr_array_header_t *claims,
                                      const char *name);

#endif
