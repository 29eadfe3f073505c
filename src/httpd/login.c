/* SPDX-License-Identifier: Apache-2.0 */
/* Starting a login: core/rp_login.c does the work; this applies it. */
#include "core/rp.h"
#include "core/seal.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/metrics.h"
#include "httpd/op.h"

int aoidc_login(aoidc_rctx_t *x)
{
    aoidc_err_t err = {0};
    aoidc_login_out_t out;
    aoidc_login_in_t in = {x->login_return ? x->login_return
                                           : x->r->unparsed_uri,
                           aoidc_redirect_uri(x), aoidc_cookie_header(x->r)};
    if (aoidc_rp_login(&out, &x->rp, aoidc_op_env(x), &in, &err)
        != APR_SUCCESS) {
        return aoidc_fail(x, &err);
    }
    aoidc_apply_cookies(x, out.cookies);
    aoidc_metrics_inc(AOIDC_M_LOGIN_STARTED);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, x->r,
                  AOIDCLOGNO(00110) "login: redirect to %s (state %s)",
                  x->rp.issuer, aoidc_fingerprint(out.state, x->r->pool));
    return aoidc_redirect(x->r, out.location);
}
