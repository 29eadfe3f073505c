/* SPDX-License-Identifier: Apache-2.0 */
/* The session hit: core/rp_session.c does the work; this applies it. */
#include "core/cookie.h"
#include "core/rp.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/metrics.h"
#include "httpd/op.h"
#include "httpd/providers.h"

/* The one core call: the ticket's session in the store, or the session
 * sealed in the chunk cookies (AuthOIDCSessionStore cookie). */
static apr_status_t load(aoidc_session_out_t *out, aoidc_rctx_t *x,
                         aoidc_err_t *err)
{
    const char *hdr = aoidc_cookie_header(x->r);
    aoidc_idp_by_session(x); /* AuthOIDCProvider: the session's identity */
    if (x->rp.cookie_store) {
        return aoidc_rp_cookie_session(out, &x->rp, aoidc_op_env(x), hdr, err);
    }
    return aoidc_rp_session(
        out, &x->rp, aoidc_op_env(x),
        aoidc_cookie_get(hdr, x->rp.cookie_name, x->r->pool), err);
}

int aoidc_session_hit(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_session_out_t out;
    apr_status_t rv = load(&out, x, &err);

    if (!x->rp.cookie_store && rv != APR_NOTFOUND
        && err.reason != AOIDC_REASON_STORE_UNAVAILABLE) {
        /* a ticket: its record found (or not: expired, evicted, forged) */
        aoidc_metrics_cache(AOIDC_CACHE_SESSIONS, rv == APR_SUCCESS);
    }
    if (out.refreshed) {
        aoidc_metrics_inc(AOIDC_M_REFRESH_OK);
    }
    if (out.refresh_err.reason || err.reason == AOIDC_REASON_REFRESH) {
        aoidc_metrics_inc(AOIDC_M_REFRESH_FAILED);
    }
    if (out.refresh_err.reason) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00130) "refresh postponed: reason=%s (%s)",
                      aoidc_reason_name(out.refresh_err.reason),
                      out.refresh_err.detail);
    }
    if (rv == APR_SUCCESS) {
        aoidc_apply_cookies(x, out.cookies); /* cookie store: rewritten */
        aoidc_set_user_named(x, out.user, out.session->claims,
                             out.session->claim_view);
        x->session_created = out.session->created;
        aoidc_strip_own_cookies(x, x->rp.cookie_name);
        x->upstream_subject = out.session->access_token;
        if (aoidc_conf_pass_access_token(x->c)) {
            apr_table_setn(r->headers_in, "OIDC_access_token",
                           out.session->access_token);
            apr_table_setn(r->subprocess_env, "OIDC_access_token",
                           out.session->access_token);
        }
        return OK;
    }
    if (rv == APR_NOTFOUND) {
        return DECLINED;
    }
    if (err.reason == AOIDC_REASON_STORE_UNAVAILABLE) {
        return aoidc_fail(x, &err); /* 503; the cookie stays */
    }
    /* an unusable session: say why once, drop the cookie, log in afresh */
    aoidc_answer_log(x, &err, NULL);
    aoidc_apply_cookies(x, out.cookies);
    return DECLINED;
}

int aoidc_info(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_session_out_t out;
    apr_status_t rv = load(&out, x, &err);
    aoidc_apply_cookies(x, out.cookies);
    if (rv != APR_SUCCESS) {
        if (rv == APR_NOTFOUND) {
            aoidc_err_set(&err, AOIDC_REASON_NO_CREDENTIALS, r->pool,
                          "info: no session");
        }
        return aoidc_fail(x, &err);
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    return aoidc_answer_send(x, HTTP_OK, "application/json",
                             aoidc_rp_info_json(out.session, &x->rp, r->pool));
}
