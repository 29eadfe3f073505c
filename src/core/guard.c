/* SPDX-License-Identifier: Apache-2.0 */
/* The per-issuer guard (guard.h): two atomics, no lock. */
#include <apr_atomic.h>

#include "core/guard.h"

struct aoidc_guard_t {
    volatile apr_uint32_t inflight;
    apr_uint32_t max;
    volatile apr_uint64_t open_until; /* apr_time_t; 0: closed */
};

aoidc_guard_t *aoidc_guard_create(apr_uint32_t max_inflight, apr_pool_t *p)
{
    aoidc_guard_t *g = apr_pcalloc(p, sizeof(*g));
    g->max = max_inflight ? max_inflight : AOIDC_GUARD_MAX_INFLIGHT;
    return g;
}

apr_status_t aoidc_guard_enter(aoidc_guard_t *g, apr_pool_t *p,
                               aoidc_err_t *err)
{
    if (!g) {
        return APR_SUCCESS;
    }
    if (apr_atomic_inc32(&g->inflight) >= g->max) {
        apr_atomic_dec32(&g->inflight);
        return aoidc_err_set(err, AOIDC_REASON_OP_BUSY, p,
                             "%u calls to the OP in flight already", g->max);
    }
    return APR_SUCCESS;
}

void aoidc_guard_leave(aoidc_guard_t *g, apr_time_t now, bool upstream_failed)
{
    if (!g) {
        return;
    }
    apr_atomic_dec32(&g->inflight);
    apr_atomic_set64(
        &g->open_until,
        upstream_failed ? (apr_uint64_t)(now + AOIDC_GUARD_OPEN_FOR) : 0);
}

bool aoidc_guard_is_open(const aoidc_guard_t *g, apr_time_t now)
{
    return g
           && (apr_time_t)apr_atomic_read64(
                  (volatile apr_uint64_t *)&g->open_until)
                  > now;
}

apr_uint32_t aoidc_guard_inflight(const aoidc_guard_t *g)
{
    return g ? apr_atomic_read32((volatile apr_uint32_t *)&g->inflight) : 0;
}
