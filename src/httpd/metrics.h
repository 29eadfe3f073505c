/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Counters for Prometheus and mod_status, in one shared-memory segment so
 * that they cover every child process and survive graceful restarts (the
 * segment hangs off the process pool, which a restart keeps; a full stop
 * and start resets them). The hot path is a few atomic increments, no lock.
 * Before post_config (or when no AuthType oidc/bearer is configured) the
 * counters are a process-local zeroed block, so every call is always safe.
 */
#ifndef AOIDC_HTTPD_METRICS_H
#define AOIDC_HTTPD_METRICS_H

#include "httpd/request.h"

typedef enum {
    AOIDC_M_LOGIN_STARTED = 0,
    AOIDC_M_LOGIN_COMPLETED,
    AOIDC_M_REFRESH_OK,
    AOIDC_M_REFRESH_FAILED,
    AOIDC_M_BACKCHANNEL_OK,
    AOIDC_M_BACKCHANNEL_FAILED,
    AOIDC_M_FRONTCHANNEL_OK,
    AOIDC_M_FRONTCHANNEL_FAILED,
    AOIDC_M_LOGOUT_SESSIONS, /* sessions ended by either channel */
    AOIDC_M_JWKS_REFETCH_OK, /* kid-triggered JWKS refetches (per process) */
    AOIDC_M_JWKS_REFETCH_FAILED,
    AOIDC_M_JWKS_REFETCH_LIMITED, /* not made: within the refetch gap */
    AOIDC_M__COUNT
} aoidc_metric_t;

/** post_config: attach to (or create) the segment; used = the module is
 *  configured somewhere. Fails only when apr_shm_create fails. */
apr_status_t aoidc_metrics_post_config(apr_pool_t *pconf, server_rec *s,
                                       bool used);

void aoidc_metrics_inc(aoidc_metric_t m);
void aoidc_metrics_add(aoidc_metric_t m, apr_uint64_t n);

/** One authentication decision of a main request: outcome NONE = ok. */
void aoidc_metrics_request(aoidc_type_t type, aoidc_reason_t outcome);

/** A refusal logged by the answer unit (any flow, any reason). */
void aoidc_metrics_refusal(aoidc_reason_t reason);
apr_uint64_t aoidc_metrics_refusals(aoidc_reason_t reason);

/** A callback that did not end in a session. */
void aoidc_metrics_login_failed(aoidc_reason_t reason);

/** The HTTP client's observer (core/http.h): one OP call done. */
void aoidc_metrics_op_call(aoidc_http_endpoint_t ep, apr_status_t rv,
                           int status, apr_interval_time_t took);

/* Cache lookups, from the outcomes the flows return. */
typedef enum {
    AOIDC_CACHE_SESSIONS = 0,  /* a session ticket: its record found */
    AOIDC_CACHE_TOKENS,        /* a JWT access token: a cached verdict */
    AOIDC_CACHE_INTROSPECTION, /* an opaque token: a cached introspection */
    AOIDC_CACHE_UPSTREAM,      /* AuthOIDCUpstreamToken: a cached token */
    AOIDC_CACHE__COUNT
} aoidc_cache_t;
void aoidc_metrics_cache(aoidc_cache_t cache, bool hit);

/* Store calls, counted by the wrapper store_counted.c puts around every
 * store (kind: AOIDC_STORE_SHM/REDIS/MEMCACHE of core/parse.h; purpose:
 * AOIDC_STORE_SESSIONS/CACHE of httpd/store.h). */
typedef enum {
    AOIDC_SOP_GET = 0,
    AOIDC_SOP_SET,
    AOIDC_SOP_REMOVE,
    AOIDC_SOP_ADD,
    AOIDC_SOP_SADD,
    AOIDC_SOP_SMEMBERS,
    AOIDC_SOP_SREM,
    AOIDC_SOP__COUNT
} aoidc_store_op_t;
void aoidc_metrics_store_call(int kind, int purpose, aoidc_store_op_t op,
                              apr_status_t rv, apr_interval_time_t took);

/** Hooks: the auth-oidc-metrics handler; metrics_status.c: the
 *  mod_status section. */
void aoidc_metrics_register(apr_pool_t *p);
void aoidc_metrics_status_register(apr_pool_t *p);

#endif
