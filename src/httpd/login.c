/* SPDX-License-Identifier: Apache-2.0 */
/* Starting a login: core/rp_login.c does the work; this applies it. */
#include <string.h>

#include "core/auth_response.h"
#include "core/client_key.h"
#include "core/replay.h"
#include "core/rp.h"
#include "core/seal.h"
#include "core/url.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/metrics.h"
#include "httpd/op.h"
#include "httpd/providers.h"
#include "httpd/stepup.h"

/* A form submitted after the session ended: its body goes into the
 * state (core/replay.h), or the request gets the 401 it always got. */
static int form_body(const char **body, aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    if ((cl && apr_atoi64(cl) > AOIDC_POST_BODY_MAX)
        || aoidc_read_body(body, r, AOIDC_POST_BODY_MAX, &err) != APR_SUCCESS) {
        aoidc_err_set(&err, AOIDC_REASON_NO_CREDENTIALS, r->pool,
                      "no session; a form POST over %d bytes is not kept",
                      AOIDC_POST_BODY_MAX);
        return aoidc_fail(x, &err);
    }
    return OK;
}

int aoidc_login(aoidc_rctx_t *x)
{
    aoidc_err_t err = {0};
    aoidc_login_out_t out;
    aoidc_login_in_t in = {
        x->login_return ? x->login_return : x->r->unparsed_uri,
        aoidc_redirect_uri(x), aoidc_cookie_header(x->r), NULL, x->login_hint};
    int rc;
    if (x->r->method_number == M_POST && !x->login_return
        && (rc = form_body(&in.post_body, x)) != OK) {
        return rc;
    }
    /* a location with Require acr / AuthOIDCMaxAge asks for them on every
     * login, the first one included (stepup.c) */
    x->rp.extra_params = aoidc_stepup_login_params(x, x->rp.extra_params);
    if (aoidc_rp_login(&out, &x->rp, aoidc_op_env(x), &in, &err)
        != APR_SUCCESS) {
        if (err.reason == AOIDC_REASON_TOO_LARGE) {
            err.reason = AOIDC_REASON_NO_CREDENTIALS; /* 401, as before */
        }
        return aoidc_fail(x, &err);
    }
    aoidc_apply_cookies(x, out.cookies);
    aoidc_metrics_inc(AOIDC_M_LOGIN_STARTED);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, x->r,
                  AOIDCLOGNO(00110) "login: redirect to %s (state %s)",
                  x->rp.issuer, aoidc_fingerprint(out.state, x->r->pool));
    return aoidc_redirect(x->r, out.location);
}

/* OIDC Core §4: a login someone else (the OP, a portal) starts by sending
 * the browser here with ?iss=..; only for this location's issuer and to a
 * local target (core/auth_response.h). */
int aoidc_login_initiated(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_initiate_t in;
    const char *origin = aoidc_absolute(x, "/");
    origin = apr_pstrndup(r->pool, origin, strlen(origin) - 1);
    if (r->method_number != M_GET) {
        aoidc_err_set(&err, AOIDC_REASON_MALFORMED, r->pool,
                      "login initiation: method %s", r->method);
        return aoidc_fail(x, &err);
    }
    if (aoidc_idp_count(x) > 1) {
        /* AuthOIDCProvider: any of the location's issuers (the chooser's
         * links come here); another is judged by AuthOIDCIssuer's and
         * refused */
        apr_table_t *q;
        if (aoidc_url_parse_query(&q, r->args, 16, r->pool, NULL)
            == APR_SUCCESS) {
            aoidc_idp_use(x, aoidc_idp_of_issuer(x, aoidc_url_param(q, "iss")));
        }
    }
    if (aoidc_initiate_parse(&in, r->args, x->rp.issuer, origin, r->pool, &err)
        != APR_SUCCESS) {
        return aoidc_fail(x, &err);
    }
    x->login_return = in.target ? in.target : aoidc_location_root(x);
    x->login_hint = in.login_hint;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  AOIDCLOGNO(00821) "login initiated by a third party: to "
                                    "%s at %s%s",
                  x->login_return, x->rp.issuer,
                  in.login_hint ? " (with login_hint)" : "");
    return aoidc_login(x);
}

/* ?jwks at the redirect URI: the public halves of AuthOIDCClientKey for
 * the OP's jwks_uri (RFC 7591 §2). Public by nature, so unprotected and
 * cacheable; without a key there is nothing here. */
int aoidc_jwks(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    const aoidc_client_t *cl = x->rp.client;
    if (r->method_number != M_GET || !cl->keys || !cl->keys->nelts) {
        return HTTP_NOT_FOUND;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    return aoidc_answer_send(x, HTTP_OK, "application/jwk-set+json",
                             aoidc_client_keys_jwks(cl->keys, r->pool));
}
