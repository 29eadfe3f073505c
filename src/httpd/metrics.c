/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The counters (see metrics.h) and the auth-oidc-metrics handler
 * (Prometheus text format 0.0.4); metrics_status.c is the other reader.
 * Label values come from the reason table only.
 */
#include <string.h>

#include "apr_atomic.h"
#include "apr_shm.h"

#include "core/parse.h"
#include "httpd/metrics_int.h"
#include "httpd/store.h"

#define SHM_KEY "aoidc_metrics_shm"
#define MAGIC   0x414f4d34u /* "AOM4": bump when the layout changes */

/* until post_config attaches the segment, and when the module is unused */
static seg_t local;
seg_t *aoidc_metrics_seg = &local;
#define seg aoidc_metrics_seg

static unsigned idx(aoidc_reason_t r)
{
    return (unsigned)r < AOIDC_REASON__COUNT ? (unsigned)r
                                             : AOIDC_REASON_INTERNAL;
}

/* The segment lives in the process pool so that a graceful restart (which
 * clears pconf only) keeps it; children inherit the anonymous mapping at
 * fork, so child_init has nothing to attach. */
apr_status_t aoidc_metrics_post_config(apr_pool_t *pconf, server_rec *s,
                                       bool used)
{
    apr_pool_t *pp = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_status_t rv;
    seg_t *m;
    (void)pconf;
    apr_pool_userdata_get((void **)&shm, SHM_KEY, pp);
    if (shm && apr_shm_size_get(shm) >= sizeof(seg_t)
        && ((seg_t *)apr_shm_baseaddr_get(shm))->magic == MAGIC
        && ((seg_t *)apr_shm_baseaddr_get(shm))->size == sizeof(seg_t)) {
        seg = apr_shm_baseaddr_get(shm);
        return APR_SUCCESS;
    }
    if (!used) {
        seg = &local;
        return APR_SUCCESS;
    }
    /* first use, or a new module binary with another layout: start over
     * (the old segment, if any, is released with the process) */
    if ((rv = apr_shm_create(&shm, sizeof(seg_t), NULL, pp)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     AOIDCLOGNO(00580) "cannot create the metrics segment "
                                       "(%" APR_SIZE_T_FMT " bytes)",
                     sizeof(seg_t));
        return rv;
    }
    m = apr_shm_baseaddr_get(shm);
    memset(m, 0, sizeof(*m));
    m->magic = MAGIC;
    m->size = sizeof(seg_t);
    m->created = apr_time_now();
    apr_pool_userdata_set(shm, SHM_KEY, apr_pool_cleanup_null, pp);
    seg = m;
    return APR_SUCCESS;
}

void aoidc_metrics_inc(aoidc_metric_t m)
{
    apr_atomic_inc64(&seg->simple[m]);
}

void aoidc_metrics_add(aoidc_metric_t m, apr_uint64_t n)
{
    apr_atomic_add64(&seg->simple[m], n);
}

void aoidc_metrics_request(aoidc_type_t type, aoidc_reason_t outcome)
{
    apr_atomic_inc64(
        &seg->requests[type == AOIDC_TYPE_BEARER  ? 1
                       : type == AOIDC_TYPE_BASIC ? 2
                                                  : 0][idx(outcome)]);
}

void aoidc_metrics_refusal(aoidc_reason_t reason)
{
    apr_atomic_inc64(&seg->refusals[idx(reason)]);
}

apr_uint64_t aoidc_metrics_refusals(aoidc_reason_t reason)
{
    return apr_atomic_read64(&seg->refusals[idx(reason)]);
}

void aoidc_metrics_login_failed(aoidc_reason_t reason)
{
    apr_atomic_inc64(&seg->login_failed[idx(reason)]);
}

/* ok: an answer with a 2xx status; anything else (no answer, an error
 * status) is an error. Three increments per call, no lock. */
void aoidc_metrics_op_call(aoidc_http_endpoint_t ep, apr_status_t rv,
                           int status, apr_interval_time_t took)
{
    unsigned e = (unsigned)ep < AOIDC_EP__COUNT ? (unsigned)ep : 0, b = 0;
    bool ok = rv == APR_SUCCESS && status >= 200 && status < 300;
    while (b < NB - 1 && took > bounds[b]) {
        b++;
    }
    apr_atomic_inc64(&seg->op_calls[e][!ok]);
    apr_atomic_inc64(&seg->op_bucket[e][b]);
    apr_atomic_add64(&seg->op_us[e], took > 0 ? (apr_uint64_t)took : 0);
}

void aoidc_metrics_cache(aoidc_cache_t cache, bool hit)
{
    if ((unsigned)cache < AOIDC_CACHE__COUNT) {
        apr_atomic_inc64(&seg->cache[cache][!hit]);
    }
}

/* Three increments a call (four on an error), no lock: absent, exists and
 * too large are answers, not errors (core/store.h). */
void aoidc_metrics_store_call(int kind, int purpose, aoidc_store_op_t op,
                              apr_status_t rv, apr_interval_time_t took)
{
    unsigned k = (unsigned)kind - 1, b = 0, u = purpose == AOIDC_STORE_CACHE;
    if (k >= NK || (unsigned)op >= AOIDC_SOP__COUNT) {
        return;
    }
    while (b < SNB - 1 && took > sbounds[b]) {
        b++;
    }
    apr_atomic_inc64(&seg->store_calls[k][u][op]);
    apr_atomic_inc64(&seg->store_bucket[k][b]);
    apr_atomic_add64(&seg->store_us[k], took > 0 ? (apr_uint64_t)took : 0);
    if (AOIDC_STORE_IS_DOWN(rv)) {
        apr_atomic_inc64(&seg->store_errors[k][u][op]);
        apr_atomic_set64(&seg->store_last_error[k],
                         (apr_uint64_t)apr_time_now());
    }
}

#define rd aoidc_rd

/* --- Prometheus text exposition format 0.0.4 ------------------------------
 */

static void family(request_rec *r, const char *name, const char *type,
                   const char *help)
{
    ap_rprintf(r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void simple(request_rec *r, const char *name, const char *labels,
                   aoidc_metric_t m)
{
    ap_rprintf(r, "%s{%s} %" APR_UINT64_T_FMT "\n", name, labels,
               rd(&seg->simple[m]));
}

static void by_reason(request_rec *r, const char *name, const char *prefix,
                      volatile apr_uint64_t *a, bool with_ok)
{
    for (unsigned i = 0; i < AOIDC_REASON__COUNT; i++) {
        const aoidc_reason_info_t *ri = aoidc_reason_info((aoidc_reason_t)i);
        const char *label = i == AOIDC_REASON_NONE ? "ok" : ri->name;
        if (i == AOIDC_REASON_NONE && !with_ok) {
            continue;
        }
        ap_rprintf(r, "%s{%s%s=\"%s\"%s%s%s} %" APR_UINT64_T_FMT "\n", name,
                   prefix ? prefix : "", with_ok ? "outcome" : "reason", label,
                   with_ok ? "" : ",family=\"", with_ok ? "" : ri->metric,
                   with_ok ? "" : "\"", rd(&a[i]));
    }
}

static void op_bucket(request_rec *r, unsigned e, const char *le,
                      apr_uint64_t cum)
{
    ap_rprintf(r,
               "aoidc_op_request_duration_seconds_bucket{endpoint=\"%s\","
               "le=\"%s\"} %" APR_UINT64_T_FMT "\n",
               ep_names[e], le, cum);
}

static void op_families(request_rec *r)
{
    family(r, "aoidc_op_requests_total", "counter",
           "Calls to the OP by endpoint and result (ok: a 2xx answer).");
    for (unsigned e = 1; e < AOIDC_EP__COUNT; e++) {
        for (int k = 0; k < 2; k++) {
            ap_rprintf(r,
                       "aoidc_op_requests_total{endpoint=\"%s\",result=\"%s\"}"
                       " %" APR_UINT64_T_FMT "\n",
                       ep_names[e], k ? "error" : "ok",
                       rd(&seg->op_calls[e][k]));
        }
    }
    family(r, "aoidc_op_request_duration_seconds", "histogram",
           "Duration of calls to the OP by endpoint.");
    for (unsigned e = 1; e < AOIDC_EP__COUNT; e++) {
        apr_uint64_t cum = 0;
        for (unsigned b = 0; b < NB; b++) {
            cum += rd(&seg->op_bucket[e][b]);
            op_bucket(r, e,
                      b < NB - 1
                          ? apr_psprintf(r->pool, "%g", (double)bounds[b] / 1e6)
                          : "+Inf",
                      cum);
        }
        ap_rprintf(r,
                   "aoidc_op_request_duration_seconds_sum{endpoint=\"%s\"} "
                   "%.6f\n",
                   ep_names[e], (double)rd(&seg->op_us[e]) / 1e6);
        ap_rprintf(r,
                   "aoidc_op_request_duration_seconds_count{endpoint=\"%s\"} "
                   "%" APR_UINT64_T_FMT "\n",
                   ep_names[e], cum);
    }
}

static void cache_families(request_rec *r)
{
    family(r, "aoidc_cache_requests_total", "counter",
           "Cache lookups by cache (sessions: a ticket's record; tokens: a "
           "JWT's cached verdict; introspection: an opaque token's) and "
           "result.");
    for (unsigned c = 0; c < AOIDC_CACHE__COUNT; c++) {
        for (int h = 0; h < 2; h++) {
            ap_rprintf(r,
                       "aoidc_cache_requests_total{cache=\"%s\",result=\"%s\"}"
                       " %" APR_UINT64_T_FMT "\n",
                       cache_names[c], h ? "miss" : "hit",
                       rd(&seg->cache[c][h]));
        }
    }
    family(r, "aoidc_jwks_refetches_total", "counter",
           "JWKS refetches because a token named an unknown kid (each "
           "process for itself), by result (limited: not made, one was "
           "made within 5 minutes).");
    simple(r, "aoidc_jwks_refetches_total", "result=\"ok\"",
           AOIDC_M_JWKS_REFETCH_OK);
    simple(r, "aoidc_jwks_refetches_total", "result=\"failed\"",
           AOIDC_M_JWKS_REFETCH_FAILED);
    simple(r, "aoidc_jwks_refetches_total", "result=\"limited\"",
           AOIDC_M_JWKS_REFETCH_LIMITED);
}

static void store_counts(request_rec *r, const char *name,
                         volatile apr_uint64_t (*a)[2][AOIDC_SOP__COUNT])
{
    for (unsigned k = 0; k < NK; k++) {
        for (unsigned u = 0; u < 2; u++) {
            for (unsigned o = 0; o < AOIDC_SOP__COUNT; o++) {
                ap_rprintf(r,
                           "%s{store=\"%s\",purpose=\"%s\",op=\"%s\"} "
                           "%" APR_UINT64_T_FMT "\n",
                           name, kind_names[k], purpose_names[u], sop_names[o],
                           rd(&a[k][u][o]));
            }
        }
    }
}

static void store_histogram(request_rec *r)
{
    family(r, "aoidc_store_call_duration_seconds", "histogram",
           "Duration of store calls by store kind.");
    for (unsigned k = 0; k < NK; k++) {
        apr_uint64_t cum = 0;
        for (unsigned b = 0; b < SNB; b++) {
            cum += rd(&seg->store_bucket[k][b]);
            ap_rprintf(r,
                       "aoidc_store_call_duration_seconds_bucket{store=\"%s\","
                       "le=\"%s\"} %" APR_UINT64_T_FMT "\n",
                       kind_names[k],
                       b < SNB - 1 ? apr_psprintf(r->pool, "%g",
                                                  (double)sbounds[b] / 1e6)
                                   : "+Inf",
                       cum);
        }
        ap_rprintf(r,
                   "aoidc_store_call_duration_seconds_sum{store=\"%s\"} "
                   "%.6f\n",
                   kind_names[k], (double)rd(&seg->store_us[k]) / 1e6);
        ap_rprintf(r,
                   "aoidc_store_call_duration_seconds_count{store=\"%s\"} "
                   "%" APR_UINT64_T_FMT "\n",
                   kind_names[k], cum);
    }
}

/* Evictions are what shmcb reports for its segments (read under the
 * mutex at scrape time, not counted on the hot path); redis and memcached
 * report their own (INFO stats evicted_keys, stats evictions). */
static void store_families(request_rec *r)
{
    aoidc_shm_health_t h[2];
    family(r, "aoidc_store_calls_total", "counter",
           "Store calls by store kind, purpose and operation.");
    store_counts(r, "aoidc_store_calls_total", seg->store_calls);
    family(r, "aoidc_store_errors_total", "counter",
           "Store calls that failed (the store down, slow or refusing; "
           "absent and exists are answers, not errors).");
    store_counts(r, "aoidc_store_errors_total", seg->store_errors);
    store_histogram(r);
    aoidc_shm_health(h, r);
    family(r, "aoidc_store_evictions_total", "counter",
           "Entries the shm store dropped before their expiry (it was "
           "full), since the last restart of any kind.");
    for (unsigned u = 0; u < 2; u++) {
        ap_rprintf(r,
                   "aoidc_store_evictions_total{store=\"shm\",purpose=\"%s\"}"
                   " %ld\n",
                   purpose_names[u], h[u].discarded < 0 ? 0 : h[u].discarded);
    }
    family(r, "aoidc_store_entries", "gauge", "Entries in the shm store now.");
    for (unsigned u = 0; u < 2; u++) {
        ap_rprintf(r, "aoidc_store_entries{store=\"shm\",purpose=\"%s\"} %ld\n",
                   purpose_names[u], h[u].entries < 0 ? 0 : h[u].entries);
    }
}

static void exposition(request_rec *r)
{
    family(r, "aoidc_requests_total", "counter",
           "Authentication decisions of main requests, by AuthType and "
           "outcome (ok or the reason name).");
    by_reason(r, "aoidc_requests_total", "authtype=\"oidc\",", seg->requests[0],
              true);
    by_reason(r, "aoidc_requests_total", "authtype=\"bearer\",",
              seg->requests[1], true);
    by_reason(r, "aoidc_requests_total", "authtype=\"oidc-basic\",",
              seg->requests[2], true);
    family(r, "aoidc_refusals_total", "counter",
           "Refusals logged, by reason and counter family of the reason "
           "table.");
    by_reason(r, "aoidc_refusals_total", NULL, seg->refusals, false);
    family(r, "aoidc_logins_total", "counter",
           "Logins started (redirects to the OP) and completed (sessions "
           "made).");
    simple(r, "aoidc_logins_total", "result=\"started\"",
           AOIDC_M_LOGIN_STARTED);
    simple(r, "aoidc_logins_total", "result=\"completed\"",
           AOIDC_M_LOGIN_COMPLETED);
    family(r, "aoidc_login_failures_total", "counter",
           "Authorization responses that did not end in a session, by "
           "reason.");
    by_reason(r, "aoidc_login_failures_total", NULL, seg->login_failed, false);
    family(r, "aoidc_refreshes_total", "counter",
           "Access token refreshes, by result (failed: postponed or the "
           "session ended).");
    simple(r, "aoidc_refreshes_total", "result=\"ok\"", AOIDC_M_REFRESH_OK);
    simple(r, "aoidc_refreshes_total", "result=\"failed\"",
           AOIDC_M_REFRESH_FAILED);
    family(r, "aoidc_logouts_total", "counter",
           "Logout requests from the OP, by channel and result.");
    simple(r, "aoidc_logouts_total", "channel=\"backchannel\",result=\"ok\"",
           AOIDC_M_BACKCHANNEL_OK);
    simple(r, "aoidc_logouts_total",
           "channel=\"backchannel\",result=\"failed\"",
           AOIDC_M_BACKCHANNEL_FAILED);
    simple(r, "aoidc_logouts_total", "channel=\"frontchannel\",result=\"ok\"",
           AOIDC_M_FRONTCHANNEL_OK);
    simple(r, "aoidc_logouts_total",
           "channel=\"frontchannel\",result=\"failed\"",
           AOIDC_M_FRONTCHANNEL_FAILED);
    family(r, "aoidc_logout_sessions_ended_total", "counter",
           "Sessions ended by back- and front-channel logouts.");
    ap_rprintf(r, "aoidc_logout_sessions_ended_total %" APR_UINT64_T_FMT "\n",
               rd(&seg->simple[AOIDC_M_LOGOUT_SESSIONS]));
    op_families(r);
    cache_families(r);
    store_families(r);
    family(r, "aoidc_metrics_start_time_seconds", "gauge",
           "When the counters were last reset (a full restart).");
    ap_rprintf(r, "aoidc_metrics_start_time_seconds %" APR_TIME_T_FMT "\n",
               apr_time_sec(seg->created));
}

static int handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "auth-oidc-metrics")) {
        return DECLINED;
    }
    r->allowed |= AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        exposition(r);
    }
    return OK;
}

void aoidc_metrics_register(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
}
