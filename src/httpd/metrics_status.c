/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "auth_oidc" section of mod_status' server-status page (and ?auto):
 * the headline counters, the providers (this process's view), the stores.
 */
#include "mod_status.h"

#include "core/parse.h"
#include "httpd/metrics_int.h"
#include "httpd/store.h"

#define seg aoidc_metrics_seg
#define rd  aoidc_rd

static apr_uint64_t sum(volatile apr_uint64_t *a, unsigned n)
{
    apr_uint64_t t = 0;
    for (unsigned i = 0; i < n; i++) {
        t += rd(&a[i]);
    }
    return t;
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

/* One line per store kind in use: calls and errors (all processes), the
 * last error's age; for shm, what shmcb says of its segments. */
static void stores(request_rec *r, int flags)
{
    unsigned kinds = aoidc_store_kinds();
    aoidc_shm_health_t h[2] = {{-1, -1, -1}, {-1, -1, -1}};
    bool brief = flags & AP_STATUS_SHORT;
    if (!brief) {
        ap_rputs("<table border=\"0\"><tr><th>store</th><th>calls</th>"
                 "<th>errors</th><th>last error (s ago)</th><th>entries "
                 "(sessions/cache)</th><th>fullest segment (%)</th>"
                 "<th>evicted</th></tr>\n",
                 r);
    }
    if (kinds & (1u << AOIDC_STORE_SHM)) {
        aoidc_shm_health(h, r);
    }
    for (unsigned k = 0; k < NK; k++) {
        const char *extra = "";
        apr_uint64_t calls, errors;
        if (!(kinds & (1u << (k + 1)))) {
            continue;
        }
        calls = sum(&seg->store_calls[k][0][0], 2 * AOIDC_SOP__COUNT);
        errors = sum(&seg->store_errors[k][0][0], 2 * AOIDC_SOP__COUNT);
        if (k + 1 == AOIDC_STORE_SHM) {
            extra =
                apr_psprintf(r->pool,
                             brief ? " entries=%ld/%ld usage=%ld evicted=%ld"
                                   : "<td>%ld/%ld</td><td>%ld</td><td>%ld</td>",
                             h[0].entries, h[1].entries,
                             h[0].usage > h[1].usage ? h[0].usage : h[1].usage,
                             (h[0].discarded < 0 ? 0 : h[0].discarded)
                                 + (h[1].discarded < 0 ? 0 : h[1].discarded));
        }
        ap_rprintf(r,
                   brief ? "AuthOIDCStore%s: calls=%" APR_UINT64_T_FMT
                           " errors=%" APR_UINT64_T_FMT " last_error_age=%s%s\n"
                         : "<tr><td>%s</td><td>%" APR_UINT64_T_FMT
                           "</td><td>%" APR_UINT64_T_FMT
                           "</td><td>%s</td>%s</tr>\n",
                   kind_names[k], calls, errors,
                   age(r, (apr_time_t)rd(&seg->store_last_error[k])), extra);
    }
    if (!brief) {
        ap_rputs("</table>\n", r);
    }
}

static int status_hook(request_rec *r, int flags)
{
    const char *n[] = {
        "RequestsOIDC",     "RequestsBearer",     "Refusals",
        "LoginsStarted",    "LoginsCompleted",    "LoginFailures",
        "RefreshesOK",      "RefreshesFailed",    "Logouts",
        "SessionCacheHits", "SessionCacheMisses", "TokenCacheHits",
        "TokenCacheMisses", "JWKSRefetches"};
    enum { N = sizeof(n) / sizeof(n[0]) };
    apr_uint64_t v[N];
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
    v[9] = rd(&seg->cache[AOIDC_CACHE_SESSIONS][0]);
    v[10] = rd(&seg->cache[AOIDC_CACHE_SESSIONS][1]);
    /* validated tokens: JWT verdicts and introspections alike */
    v[11] = rd(&seg->cache[AOIDC_CACHE_TOKENS][0])
            + rd(&seg->cache[AOIDC_CACHE_INTROSPECTION][0]);
    v[12] = rd(&seg->cache[AOIDC_CACHE_TOKENS][1])
            + rd(&seg->cache[AOIDC_CACHE_INTROSPECTION][1]);
    v[13] = rd(&seg->simple[AOIDC_M_JWKS_REFETCH_OK])
            + rd(&seg->simple[AOIDC_M_JWKS_REFETCH_FAILED]);
    if (flags & AP_STATUS_SHORT) {
        for (int i = 0; i < N; i++) {
            ap_rprintf(r, "AuthOIDC%s: %" APR_UINT64_T_FMT "\n", n[i], v[i]);
        }
        providers(r, flags);
        stores(r, flags);
        return OK;
    }
    ap_rputs("<hr />\n<h2>auth_oidc</h2>\n<table border=\"0\">\n", r);
    for (int i = 0; i < N; i++) {
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
    stores(r, flags);
    return OK;
}

void aoidc_metrics_status_register(apr_pool_t *p)
{
    (void)p;
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
