/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The counters (see metrics.h) and their two readers: the
 * auth-oidc-metrics handler (Prometheus text format 0.0.4) and the
 * mod_status section. Label values come from the reason table only.
 */
#include <string.h>

#include "apr_atomic.h"
#include "apr_shm.h"
#include "mod_status.h"

#include "httpd/metrics.h"

#define SHM_KEY "aoidc_metrics_shm"
#define MAGIC   0x414f4d32u /* "AOM2": bump when the layout changes */

/* latency buckets (upper bounds, microseconds); the last is +Inf */
static const apr_int64_t bounds[] = {5000,    10000,   25000,   50000,
                                     100000,  250000,  500000,  1000000,
                                     2500000, 5000000, 10000000};
#define NB (sizeof(bounds) / sizeof(bounds[0]) + 1)
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
} seg_t;

/* until post_config attaches the segment, and when the module is unused */
static seg_t local;
static seg_t *seg = &local;

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

static apr_uint64_t rd(volatile apr_uint64_t *p)
{
    return apr_atomic_read64(p);
}

static apr_uint64_t sum(volatile apr_uint64_t *a, unsigned n)
{
    apr_uint64_t t = 0;
    for (unsigned i = 0; i < n; i++) {
        t += rd(&a[i]);
    }
    return t;
}

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

/* --- mod_status ------------------------------------------------------------
 */

static const char *age(request_rec *r, apr_time_t t)
{
    return t ? apr_psprintf(r->pool, "%" APR_TIME_T_FMT,
                            apr_time_sec(apr_time_now() - t))
             : "-";
}

/* Per process: each child fetches metadata and keys for itself, so these
 * are the numbers of the child that answers this request. */
static void providers(request_rec *r, int flags)
{
    apr_hash_t *h = aoidc_config_providers();
    int i = 0;
    if (!h) {
        return;
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("<table border=\"0\"><tr><th>issuer</th><th>metadata age "
                 "(s)</th><th>last JWKS refetch (s ago)</th><th>last fetch "
                 "error</th></tr>\n",
                 r);
    }
    for (apr_hash_index_t *hi = apr_hash_first(r->pool, h); hi;
         hi = apr_hash_next(hi), i++) {
        aoidc_provider_t *pv = apr_hash_this_val(hi);
        aoidc_provider_state_t st;
        const char *why;
        aoidc_provider_state(&st, pv);
        why = st.last_reason ? apr_psprintf(r->pool, "%s (%s s ago)",
                                            aoidc_reason_name(st.last_reason),
                                            age(r, st.last_failure))
                             : "-";
        if (flags & AP_STATUS_SHORT) {
            ap_rprintf(r,
                       "AuthOIDCProvider%d: %s metadata_age=%s "
                       "jwks_refetch_age=%s error=%s\n",
                       i, aoidc_provider_issuer(pv), age(r, st.fetched),
                       age(r, st.last_refetch),
                       st.last_reason ? aoidc_reason_name(st.last_reason)
                                      : "-");
        }
        else {
            ap_rprintf(r,
                       "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                       "\n",
                       ap_escape_html(r->pool, aoidc_provider_issuer(pv)),
                       age(r, st.fetched), age(r, st.last_refetch), why);
        }
    }
    if (!(flags & AP_STATUS_SHORT)) {
        ap_rputs("</table>\n", r);
    }
}

static int status_hook(request_rec *r, int flags)
{
    const char *n[] = {"RequestsOIDC",  "RequestsBearer",  "Refusals",
                       "LoginsStarted", "LoginsCompleted", "LoginFailures",
                       "RefreshesOK",   "RefreshesFailed", "Logouts"};
    apr_uint64_t v[9];
    v[0] = sum(seg->requests[0], AOIDC_REASON__COUNT);
    v[1] = sum(seg->requests[1], AOIDC_REASON__COUNT);
    v[2] = sum(seg->refusals, AOIDC_REASON__COUNT);
    v[3] = rd(&seg->simple[AOIDC_M_LOGIN_STARTED]);
    v[4] = rd(&seg->simple[AOIDC_M_LOGIN_COMPLETED]);
    v[5] = sum(seg->login_failed, AOIDC_REASON__COUNT);
    v[6] = rd(&seg->simple[AOIDC_M_REFRESH_OK]);
    v[7] = rd(&seg->simple[AOIDC_M_REFRESH_FAILED]);
    v[8] = rd(&seg->simple[AOIDC_M_BACKCHANNEL_OK])
           + rd(&seg->simple[AOIDC_M_FRONTCHANNEL_OK]);
    if (flags & AP_STATUS_SHORT) {
        for (int i = 0; i < 9; i++) {
            ap_rprintf(r, "AuthOIDC%s: %" APR_UINT64_T_FMT "\n", n[i], v[i]);
        }
        providers(r, flags);
        return OK;
    }
    ap_rputs("<hr />\n<h2>auth_oidc</h2>\n<table border=\"0\">\n", r);
    for (int i = 0; i < 9; i++) {
        ap_rprintf(r,
                   "<tr><th align=\"left\">%s</th><td>%" APR_UINT64_T_FMT
                   "</td></tr>\n",
                   n[i], v[i]);
    }
    ap_rprintf(r,
               "</table>\n<p>Counters since %s (all processes; see "
               "<code>SetHandler auth-oidc-metrics</code> for every "
               "reason).</p>\n",
               ap_ht_time(r->pool, seg->created, "%Y-%m-%d %H:%M:%S %Z", 1));
    providers(r, flags);
    return OK;
}

void aoidc_metrics_register(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
