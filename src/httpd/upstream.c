/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthOIDCUpstreamToken (upstream.h). Runs in fixups, after every auth
 * phase: the bearer flow has validated the client's token by then, and the
 * handler (mod_proxy) has not yet copied r->headers_in to the backend
 * request. The client's Authorization header is removed before anything
 * else, so that no failure below can let it through.
 */
#include "core/seal.h"
#include "core/upstream.h"
#include "httpd/answer.h"
#include "httpd/metrics.h"
#include "httpd/op.h"
#include "httpd/upstream.h"

static int config_error(aoidc_rctx_t *x, const char *what)
{
    aoidc_err_t err = {0};
    aoidc_err_set(&err, AOIDC_REASON_CONFIG, x->r->pool,
                  "AuthOIDCUpstreamToken needs %s here", what);
    return aoidc_fail(x, &err);
}

/* The token to exchange: set by this request's authentication, or by the
 * request it derives from: httpd skips authentication for a subrequest
 * (mod_dir's index.html) or an internal redirect within the same
 * configuration, so their context has none of their own. */
static const char *subject_of(request_rec *r)
{
    for (; r; r = r->main ? r->main : r->prev) {
        const aoidc_rctx_t *x =
            ap_get_module_config(r->request_config, &auth_oidc_module);
        if (x && x->upstream_subject) {
            return x->upstream_subject;
        }
    }
    return NULL;
}

int aoidc_upstream_fixups(request_rec *r)
{
    const aoidc_dir_conf_t *c =
        ap_get_module_config(r->per_dir_config, &auth_oidc_module);
    aoidc_upstream_conf_t uc;
    aoidc_upstream_out_t out = {0};
    aoidc_err_t err = {0};
    const char *missing;
    aoidc_rctx_t *x;
    apr_status_t rv;

    if (!c || c->upstream_mode == AOIDC_UNSET
        || c->upstream_mode == AOIDC_UPSTREAM_OFF) {
        return DECLINED;
    }
    apr_table_unset(r->headers_in, "Authorization");
    x = aoidc_rctx(r);
    if (!aoidc_conf_upstream(&uc, c, &missing)) {
        return missing ? config_error(x, missing) : DECLINED;
    }
    if (uc.mode == AOIDC_UPSTREAM_EXCHANGE && x->type != AOIDC_TYPE_OIDC
        && x->type != AOIDC_TYPE_BEARER) {
        return config_error(x, "AuthType oidc or bearer (a token to "
                               "exchange)");
    }
    aoidc_upstream_in_t in = {subject_of(r), aoidc_op_flight()};
    if (uc.mode == AOIDC_UPSTREAM_EXCHANGE && !in.subject_token
        && x->type == AOIDC_TYPE_OIDC
        && aoidc_conf_unauth_action(c) == AOIDC_UNAUTH_PASS) {
        /* AuthOIDCUnAuthAction pass: an anonymous visitor has nothing to
         * exchange, and the backend gets no Authorization at all */
        return OK;
    }
    rv = aoidc_upstream_token(&out, &uc, aoidc_op_env(x), &in, &err);
    if (!r->main) {
        aoidc_metrics_cache(AOIDC_CACHE_UPSTREAM, out.cache_hit);
    }
    if (rv != APR_SUCCESS) {
        return aoidc_fail(x, &err);
    }
    apr_table_setn(r->headers_in, "Authorization",
                   apr_pstrcat(r->pool, "Bearer ", out.token, NULL));
    if (APLOGrdebug(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      AOIDCLOGNO(00801) "backend token %s (%s)",
                      aoidc_fingerprint(out.token, r->pool),
                      out.cache_hit ? "cached" : "fetched");
    }
    return OK;
}
