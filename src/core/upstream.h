/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tokens for the backend's own calls (AuthOIDCUpstreamToken): the access
 * token the module puts on the request it passes to an OAuth-protected
 * backend, obtained with the client credentials grant (RFC 6749 §4.4) for
 * the location's own client, or by RFC 8693 token exchange of the user's
 * (or the bearer caller's) access token. Scope and target (RFC 8707
 * resource, or audience) are the location's.
 *
 * The token is cached in the cache store until shortly before it expires,
 * sealed (the store never holds it in clear) under a key bound to issuer,
 * client, scope, target and, for an exchange, the subject token. One fetch
 * at a time per key: the process's single flight for threads, and an add
 * (NX) lock in the store for the other processes and nodes sharing it; a
 * waiter reads the cache again. The token never appears in err.
 *
 * Flows layer: uses client (token endpoint calls), store, seal, flight.
 */
#ifndef AOIDC_CORE_UPSTREAM_H
#define AOIDC_CORE_UPSTREAM_H

#include "core/flight.h"
#include "core/flow.h"
#include "core/seal.h"
#include "core/token.h"

/* A token is refetched this long before it expires (at most half its
 * lifetime), so a backend never receives one that expires in flight. */
#define AOIDC_UPSTREAM_MARGIN apr_time_from_sec(30)
/* How long a token whose answer had no expires_in is used. */
#define AOIDC_UPSTREAM_DEFAULT_TTL apr_time_from_sec(60)
/* How often a waiter for another node's fetch looks at the cache. */
#define AOIDC_UPSTREAM_POLL apr_time_from_msec(20)

typedef enum {
    AOIDC_UPSTREAM_OFF = 0,
    AOIDC_UPSTREAM_CLIENT_CREDENTIALS,
    AOIDC_UPSTREAM_EXCHANGE,
} aoidc_upstream_mode_t;

typedef struct {
    aoidc_upstream_mode_t mode;
    const char *issuer;
    const aoidc_client_t *client; /* client_id required */
    const char *scope;            /* AuthOIDCUpstreamScope, may be NULL */
    const char *target;           /* AuthOIDCUpstreamAudience, may be NULL */
    const aoidc_seal_t *seal;     /* seals the cached token */
} aoidc_upstream_conf_t;

typedef struct {
    const char *subject_token; /* exchange: the user's / caller's token */
    aoidc_flight_t *flight;    /* the process's single-flight table or NULL */
} aoidc_upstream_in_t;

typedef struct {
    const char *token; /* the access token for the backend, in env->pool */
    bool cache_hit;
    bool fetched; /* this call asked the OP */
} aoidc_upstream_out_t;

/** The backend's token for c. Reasons: AOIDC_REASON_UPSTREAM_TOKEN for
 *  every failure to obtain one (OP unreachable or refusing, bad answer,
 *  no metadata, exchange without a subject token: the detail names the
 *  cause, never a token, and op_error carries the OP's error code),
 *  AOIDC_REASON_OP_BUSY when the issuer's guard is full,
 *  AOIDC_REASON_STORE_UNAVAILABLE when the cache store is down. */
AOIDC_API apr_status_t aoidc_upstream_token(aoidc_upstream_out_t *out,
                                            const aoidc_upstream_conf_t *c,
                                            const aoidc_flow_env_t *env,
                                            const aoidc_upstream_in_t *in,
                                            aoidc_err_t *err);

/** The cache key of c's token (subject_token for an exchange, else
 *  ignored; scratch space from p); exposed for tests. */
AOIDC_API void aoidc_upstream_cache_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                                        const aoidc_upstream_conf_t *c,
                                        const char *subject_token,
                                        apr_pool_t *p);

/** Until when a token answered at now is used: expiry minus
 *  min(AOIDC_UPSTREAM_MARGIN, lifetime / 2); now +
 *  AOIDC_UPSTREAM_DEFAULT_TTL without expires_in. */
AOIDC_API apr_time_t aoidc_upstream_until(const aoidc_token_response_t *tr,
                                          apr_time_t now);

#endif
