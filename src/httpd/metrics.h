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

/** Hooks: the auth-oidc-metrics handler and the mod_status section. */
void aoidc_metrics_register(apr_pool_t *p);

#endif
