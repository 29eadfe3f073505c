/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The counters' layout in the shared segment, for metrics.c (the counters
 * and the Prometheus exposition) and metrics_status.c (mod_status). Not
 * for any other unit: they call the functions of metrics.h.
 */
#ifndef AOIDC_HTTPD_METRICS_INT_H
#define AOIDC_HTTPD_METRICS_INT_H

#include "apr_atomic.h"

#include "httpd/metrics.h"

/* latency buckets (upper bounds, microseconds); the last is +Inf */
static const apr_int64_t bounds[] = {5000,    10000,   25000,   50000,
                                     100000,  250000,  500000,  1000000,
                                     2500000, 5000000, 10000000};
#define NB (sizeof(bounds) / sizeof(bounds[0]) + 1)
/* store calls are local or one round trip: finer buckets (microseconds) */
static const apr_int64_t sbounds[] = {100,    250,    500,    1000,  2500,
                                      5000,   10000,  25000,  50000, 100000,
                                      250000, 500000, 1000000};
#define SNB (sizeof(sbounds) / sizeof(sbounds[0]) + 1)
#define NK  3 /* store kinds: AOIDC_STORE_SHM, _REDIS, _MEMCACHE (1..3) */
static const char *const kind_names[NK] = {"shm", "redis", "memcache"};
static const char *const purpose_names[2] = {"sessions", "cache"};
static const char *const sop_names[AOIDC_SOP__COUNT] = {
    "get", "set", "remove", "add", "sadd", "smembers", "srem"};
static const char *const cache_names[AOIDC_CACHE__COUNT] = {
    "sessions", "tokens", "introspection", "upstream"};
static const char *const ep_names[AOIDC_EP__COUNT] = {
    "other",    "discovery",     "jwks",      "token",
    "userinfo", "introspection", "revocation"};

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t size;
    apr_time_t created;
    /* oidc, bearer, oidc-basic */
    volatile apr_uint64_t requests[3][AOIDC_REASON__COUNT];
    volatile apr_uint64_t refusals[AOIDC_REASON__COUNT];
    volatile apr_uint64_t login_failed[AOIDC_REASON__COUNT];
    volatile apr_uint64_t simple[AOIDC_M__COUNT];
    volatile apr_uint64_t op_calls[AOIDC_EP__COUNT][2];   /* ok, error */
    volatile apr_uint64_t op_bucket[AOIDC_EP__COUNT][NB]; /* not cumulative */
    volatile apr_uint64_t op_us[AOIDC_EP__COUNT];
    volatile apr_uint64_t cache[AOIDC_CACHE__COUNT][2]; /* hit, miss */
    volatile apr_uint64_t store_calls[NK][2][AOIDC_SOP__COUNT];
    volatile apr_uint64_t store_errors[NK][2][AOIDC_SOP__COUNT];
    volatile apr_uint64_t store_bucket[NK][SNB]; /* not cumulative */
    volatile apr_uint64_t store_us[NK];
    volatile apr_uint64_t store_last_error[NK]; /* apr_time_t; 0: none */
} seg_t;

extern seg_t *aoidc_metrics_seg;

static inline apr_uint64_t aoidc_rd(volatile apr_uint64_t *p)
{
    return apr_atomic_read64(p);
}

#endif
