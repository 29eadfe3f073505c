/* SPDX-License-Identifier: Apache-2.0 */
/* The redirect URI's callback: core/rp_callback.c does the work. */
#include "core/rp.h"
#include "core/seal.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/metrics.h"
#include "httpd/op.h"

int aoidc_callback(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_callback_out_t out;
    aoidc_callback_in_t in = {r->args, aoidc_cookie_header(r),
                              aoidc_redirect_uri(x), aoidc_wants_redirect(r),
                              aoidc_location_root(x)};
    apr_status_t rv;

    if (r->method_number != M_GET) {
        aoidc_err_set(&err, AOIDC_REASON_MALFORMED, r->pool,
                      "callback: method %s", r->method);
        aoidc_metrics_login_failed(err.reason);
        return aoidc_fail(x, &err);
    }
    rv = aoidc_rp_callback(&out, &x->rp, aoidc_op_env(x), &in, &err);
    aoidc_apply_cookies(x, out.cookies); /* the state cookie goes, always */
    if (out.userinfo_err.reason) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00120) "userinfo claims discarded: "
                                        "reason=%s (%s)",
                      aoidc_reason_name(out.userinfo_err.reason),
                      out.userinfo_err.detail);
    }
    if (out.index_err.reason) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00123) "login: session not indexed by "
                                        "sid/sub, a logout from the OP will "
                                        "miss it: reason=%s (%s)",
                      aoidc_reason_name(out.index_err.reason),
                      out.index_err.detail);
    }
    if (out.claims_dropped) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00121) "login: %d claims left out of the "
                                        "session to keep it under %d bytes",
                      out.claims_dropped, AOIDC_SESSION_MAX);
    }
    if (rv != APR_SUCCESS) {
        aoidc_metrics_login_failed(err.reason); /* restarted or refused */
    }
    if (rv != APR_SUCCESS && out.restart_to) {
        /* the dispatcher starts the fresh login and logs the reason */
        x->login_return = out.restart_to;
        x->restart_err = err;
        x->retry_url = out.retry_to;
        x->restart_note = apr_psprintf(
            r->pool, "login restarted (%d/%d in %d s)", out.restarts,
            AOIDC_RESTART_MAX, (int)apr_time_sec(AOIDC_RESTART_WINDOW));
        return AOIDC_RESTART_LOGIN;
    }
    if (rv != APR_SUCCESS) {
        x->retry_url = out.retry_to;
        return aoidc_fail(x, &err);
    }
    if (out.resumed) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      AOIDCLOGNO(00520) "login: used callback replayed with "
                                        "a live session: back to the "
                                        "original URL (reason=%s)",
                      aoidc_reason_name(err.reason));
        return aoidc_redirect(r, out.location);
    }
    aoidc_metrics_inc(AOIDC_M_LOGIN_COMPLETED);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  AOIDCLOGNO(00122) "login: %s authenticated at %s",
                  aoidc_fingerprint(out.user, r->pool), x->rp.issuer);
    return aoidc_redirect(r, out.location);
}
