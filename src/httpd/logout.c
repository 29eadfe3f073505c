/* SPDX-License-Identifier: Apache-2.0 */
/* Logout at the redirect URI: local and RP-initiated (?logout=PATH,
 * core/rp_session.c), and from the OP, back-channel and front-channel
 * (core/rp_channel.c). */
#include <string.h>

#include "core/cookie.h"
#include "core/logout_token.h"
#include "core/rp.h"
#include "core/url.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/metrics.h"
#include "httpd/op.h"
#include "httpd/providers.h"

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
    aoidc_idp_by_session(x); /* its OP's end_session, with its client */
    in.cookie =
        aoidc_cookie_get(aoidc_cookie_header(r), x->rp.cookie_name, r->pool);
    in.target = target;
    in.post_logout_uri = aoidc_absolute(x, target);
    in.cookie_header = aoidc_cookie_header(r);
    aoidc_rp_logout(&out, &x->rp, aoidc_op_env(x), &in, &err);
    aoidc_apply_cookies(x, out.cookies);
    if (out.revoke_err.reason) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00142) "logout: token revocation failed: "
                                        "reason=%s (%s)",
                      aoidc_reason_name(out.revoke_err.reason),
                      out.revoke_err.detail);
    }
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

/* AuthOIDCProvider: the logout_token's issuer picks the identity first */
static apr_status_t backchannel(aoidc_channel_out_t *out, aoidc_rctx_t *x,
                                const char *body, aoidc_err_t *err)
{
    aoidc_idp_by_logout_token(x, body, strlen(body));
    return aoidc_rp_backchannel(out, &x->rp, aoidc_op_env(x), body,
                                strlen(body), err);
}

int aoidc_logout_backchannel(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_channel_out_t out = {0, "invalid_request"};
    const char *body = "";
    const char *ct = apr_table_get(r->headers_in, "Content-Type");

    /* §2.5: a form POST; anything else is refused before the body is read */
    if (r->method_number != M_POST || !ct
        || strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
        aoidc_err_set(&err, AOIDC_REASON_MALFORMED, r->pool,
                      "back-channel logout: not a form POST");
    }
    else if (aoidc_read_body(&body, r, AOIDC_LOGOUT_BODY_MAX, &err)
                 == APR_SUCCESS
             && backchannel(&out, x, body, &err) == APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      AOIDCLOGNO(00143) "back-channel logout: %d "
                                        "session(s) ended",
                      out.ended);
        aoidc_metrics_inc(AOIDC_M_BACKCHANNEL_OK);
        aoidc_metrics_add(AOIDC_M_LOGOUT_SESSIONS, (apr_uint64_t)out.ended);
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        return aoidc_answer_send(x, HTTP_OK, "application/json", "{}\n");
    }
    aoidc_metrics_inc(AOIDC_M_BACKCHANNEL_FAILED);
    return aoidc_answer_json_error(x, &err, out.error_code);
}

int aoidc_logout_frontchannel(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_channel_out_t out;
    apr_table_setn(r->headers_out, "Cache-Control", "no-cache, no-store");
    if (aoidc_idp_count(x) > 1) {
        apr_table_t *q; /* AuthOIDCProvider: the identity of its iss */
        if (aoidc_url_parse_query(&q, r->args, 16, r->pool, NULL)
            == APR_SUCCESS) {
            aoidc_idp_use(x, aoidc_idp_of_issuer(x, aoidc_url_param(q, "iss")));
        }
    }
    if (aoidc_rp_frontchannel(&out, &x->rp, aoidc_op_env(x), r->args, &err)
        != APR_SUCCESS) {
        const aoidc_reason_info_t *ri = aoidc_reason_info(err.reason);
        aoidc_metrics_inc(AOIDC_M_FRONTCHANNEL_FAILED);
        if (ri->fault != AOIDC_FAULT_CLIENT) {
            return aoidc_fail(x, &err);
        }
        /* a wrong iss or sid is a bad request, whatever the reason's
         * usual answer (a token reason would say 401) */
        aoidc_answer_log(x, &err, NULL);
        return aoidc_answer_send(x, HTTP_BAD_REQUEST,
                                 "text/plain; charset=utf-8", "Bad request.\n");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  AOIDCLOGNO(00144) "front-channel logout: %d session(s) "
                                    "ended",
                  out.ended);
    aoidc_metrics_inc(AOIDC_M_FRONTCHANNEL_OK);
    aoidc_metrics_add(AOIDC_M_LOGOUT_SESSIONS, (apr_uint64_t)out.ended);
    return aoidc_answer_send(x, HTTP_OK, "text/html; charset=utf-8",
                             "<!DOCTYPE html><title>Logged out</title>\n");
}
