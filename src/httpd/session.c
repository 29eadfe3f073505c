/* SPDX-License-Identifier: Apache-2.0 */
/* The session hit: core/rp_session.c does the work; this applies it. */
#include "core/cookie.h"
#include "core/rp.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/op.h"

int aoidc_session(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_session_out_t out;
    const char *cookie =
        aoidc_cookie_get(aoidc_cookie_header(r), x->rp.cookie_name, r->pool);
    apr_status_t rv =
        aoidc_rp_session(&out, &x->rp, aoidc_op_env(x), cookie, &err);

    if (out.refresh_err.reason) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00130) "refresh postponed: reason=%s (%s)",
                      aoidc_reason_name(out.refresh_err.reason),
                      out.refresh_err.detail);
    }
    if (rv == APR_SUCCESS) {
        aoidc_set_user(x, out.user, out.session->claims);
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
