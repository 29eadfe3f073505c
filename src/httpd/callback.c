/* SPDX-License-Identifier: Apache-2.0 */
/* The redirect URI's callback: core/rp_callback.c does the work. */
#include "core/auth_response.h"
#include "core/cookie_session.h"
#include "core/rand.h"
#include "core/replay.h"
#include "core/rp.h"
#include "core/seal.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/metrics.h"
#include "httpd/op.h"
#include "httpd/providers.h"

/* The form that was submitted while the session had ended goes to its
 * URL again, from a page the browser submits (core/replay.h). */
static int replay(aoidc_rctx_t *x, const aoidc_callback_out_t *out)
{
    request_rec *r = x->r;
    char *nonce, *page = NULL;
    if (aoidc_rand_token(&nonce, 16, r->pool) == APR_SUCCESS) {
        page = aoidc_replay_page(out->location, out->post_body, nonce, r->pool);
    }
    if (!page) {
        return aoidc_redirect(r, out->location); /* the login stands */
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  AOIDCLOGNO(00551) "login: the form POST to %s is replayed",
                  out->location);
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   aoidc_replay_csp(nonce, r->pool));
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Referrer-Policy", "no-referrer");
    return aoidc_answer_send(x, HTTP_OK, "text/html; charset=utf-8", page);
}

/* The response's parameters: the query, or in form_post mode the POSTed
 * form (bounded). Which way it must come is the core's check; a POST is
 * read only where form_post expects one. */
static apr_status_t response_input(aoidc_callback_in_t *in, aoidc_rctx_t *x,
                                   aoidc_err_t *err)
{
    request_rec *r = x->r;
    if (r->method_number != M_GET && r->method_number != M_POST) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, r->pool,
                             "callback: method %s", r->method);
    }
    in->post = r->method_number == M_POST;
    if (!in->post || x->rp.response_mode != AOIDC_RM_FORM_POST) {
        return APR_SUCCESS;
    }
    if (!aoidc_is_form(r)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, r->pool,
                             "callback: a POST that is not a form");
    }
    in->navigation = aoidc_is_form_navigation(r);
    return aoidc_read_body(&in->query, r, AOIDC_AUTH_RESPONSE_MAX, err);
}

int aoidc_callback(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_callback_out_t out;
    aoidc_callback_in_t in = {r->args,
                              aoidc_cookie_header(r),
                              aoidc_redirect_uri(x),
                              aoidc_wants_redirect(r),
                              aoidc_location_root(x),
                              false};
    apr_status_t rv;

    if (response_input(&in, x, &err) != APR_SUCCESS) {
        aoidc_metrics_login_failed(err.reason);
        return aoidc_fail(x, &err);
    }
    /* AuthOIDCProvider: the provider this login was started for */
    aoidc_idp_by_state(x, in.query, in.cookie_header);
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
    if (out.id_token_not_kept) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      AOIDCLOGNO(00762) "login: the ID Token (%" APR_SIZE_T_FMT
                                        " bytes) is over %d: its claims are "
                                        "kept, the token is not (a logout "
                                        "asks the OP without id_token_hint)",
                      out.id_token_not_kept, AOIDC_MAX_TOKEN_LEN);
    }
    if (out.claims_dropped) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00121) "login: %d claims left out of the "
                                        "session to keep it under %d bytes",
                      out.claims_dropped, AOIDC_SESSION_MAX);
    }
    if (out.fit.id_token || out.fit.claims || out.fit.refresh_token
        || out.fit.access_token) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00550) "login: the session did not fit its "
                                        "cookies (AuthOIDCSessionStore "
                                        "cookie, %d bytes): left out%s, %d "
                                        "claim(s)%s%s",
                      AOIDC_CS_BYTES_MAX,
                      out.fit.id_token ? " the ID Token" : "", out.fit.claims,
                      out.fit.refresh_token ? ", the refresh token" : "",
                      out.fit.access_token ? ", the access token" : "");
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
    if (out.post_body) {
        return replay(x, &out);
    }
    return aoidc_redirect(r, out.location);
}
