/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-issuer protection of the workers from a slow or dead OP: a cap on the
 * calls in flight (a burst of random opaque tokens against a slow
 * introspection endpoint must not take every worker of the server), and a
 * circuit that opens after an upstream failure so that optional calls (a
 * token refresh, which can be postponed) are skipped for a while instead of
 * costing every request the full timeout. Process-wide, lock-free (APR
 * atomics), one per issuer, made at configuration time.
 */
#ifndef AOIDC_CORE_GUARD_H
#define AOIDC_CORE_GUARD_H

#include "core/err.h"

#define AOIDC_GUARD_MAX_INFLIGHT 16
#define AOIDC_GUARD_OPEN_FOR     apr_time_from_sec(30)

typedef struct aoidc_guard_t aoidc_guard_t;

/** A guard allowing max_inflight concurrent calls (0: the default). */
AOIDC_API aoidc_guard_t *aoidc_guard_create(apr_uint32_t max_inflight,
                                            apr_pool_t *p);

/** Enter a call: APR_SUCCESS (then aoidc_guard_leave), or AOIDC_REASON_OP_BUSY
 *  when max_inflight calls are under way. g may be NULL (always allowed). */
AOIDC_API apr_status_t aoidc_guard_enter(aoidc_guard_t *g, apr_pool_t *p,
                                         aoidc_err_t *err);

/** Leave a call; upstream_failed opens the circuit for
 *  AOIDC_GUARD_OPEN_FOR from now, success closes it. */
AOIDC_API void aoidc_guard_leave(aoidc_guard_t *g, apr_time_t now,
                                 bool upstream_failed);

/** True while the circuit is open (optional calls should be skipped). */
AOIDC_API bool aoidc_guard_is_open(const aoidc_guard_t *g, apr_time_t now);

/** Calls in flight now (for tests and status). */
AOIDC_API apr_uint32_t aoidc_guard_inflight(const aoidc_guard_t *g);

#endif
