/* SPDX-License-Identifier: Apache-2.0 */
/* Local and RP-initiated logout at ?logout=: core/rp_session.c. */
#include "core/cookie.h"
#include "core/rp.h"
#include "core/url.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/op.h"

int aoidc_logout(aoidc_rctx_t *x, const char *target)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_logout_out_t out;
    aoidc_logout_in_t in;

    target = aoidc_same_origin_path(x, *target ? target : "/");
    if (!aoidc_url_is_local_path(target)) {
        aoidc_err_set(&err, AOIDC_REASON_RETURN_URL, r->pool,
                      "logout target is not a local path");
        return aoidc_fail(x, &err);
    }
    in.cookie =
        aoidc_cookie_get(aoidc_cookie_header(r), x->rp.cookie_name, r->pool);
    in.target = target;
    in.post_logout_uri = aoidc_absolute(x, target);
    aoidc_rp_logout(&out, &x->rp, aoidc_op_env(x), &in, &err);
    aoidc_apply_cookies(x, out.cookies);
    if (out.id_token_missing) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00140) "logout: the session's ID Token "
                                        "entry is gone; the OP is asked "
                                        "without id_token_hint");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  AOIDCLOGNO(00141) "logout: session %s",
                  out.had_session ? "ended" : "absent");
    /* relative when local: never a host taken from the Host header */
    return aoidc_redirect(r, out.location);
}
