/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dispatcher: the hooks that see every request, and the one place that
 * decides which flow a request takes. The redirect URI (callback,
 * ?logout=) is dispatched here, not from inside another flow; a flow that
 * finds no session hands back, and the dispatcher starts the login.
 */
#include <string.h>

#include "core/auth_response.h"
#include "core/authz_request.h"
#include "core/dpop.h"
#include "core/session.h"
#include "core/url.h"
#include "httpd/answer.h"
#include "httpd/authn.h"
#include "httpd/flows.h"
#include "httpd/metrics.h"
#include "httpd/providers.h"
#include "httpd/stepup.h"

/* An internal redirect (mod_dir's DirectoryIndex, mod_rewrite, a CGI's
 * local Location:) or a subrequest of a request we authenticated: it
 * starts with that request's headers, our claims in them and our session
 * cookie stripped. It authenticates again under its own configuration
 * (another location may name another issuer), so it gets the Cookie
 * header back as the client sent it; when httpd skips authentication
 * because the configuration is the same, it gets the claims back. */
static void continued(request_rec *r, request_rec *from)
{
    const aoidc_rctx_t *px =
        ap_get_module_config(from->request_config, &auth_oidc_module);
    const aoidc_dir_conf_t *c =
        ap_get_module_config(r->per_dir_config, &auth_oidc_module);
    aoidc_rctx_t *x;
    aoidc_scrub_headers(r, c, px && px->claims);
    if (!px) {
        return;
    }
    if (px->client_cookie) {
        apr_table_setn(r->headers_in, "Cookie", px->client_cookie);
    }
    if (from->per_dir_config != r->per_dir_config) {
        return; /* check_authn runs (and strips the cookie again) */
    }
    x = aoidc_rctx(r);
    if (px->claims && from->user && from == r->prev) {
        /* (a subrequest keeps a copy of the main request's variables) */
        aoidc_set_user(x, from->user, px->claims);
    }
    if (px->client_cookie) {
        aoidc_strip_own_cookies(x, aoidc_conf_cookie_name(x->c));
    }
}

/* Runs for every request once its per-directory configuration is known,
 * subrequests included (an SSI include into our location must not carry
 * the client's own OIDC_CLAIM_* headers next to the real claims). */
int aoidc_post_perdir_config(request_rec *r)
{
    request_rec *from = r->prev ? r->prev : r->main;
    if (aoidc_request_type(r) == AOIDC_TYPE_NONE) {
        return DECLINED;
    }
    if (from) {
        continued(r, from);
        return DECLINED;
    }
    aoidc_scrub_headers(
        r, ap_get_module_config(r->per_dir_config, &auth_oidc_module), false);
    return DECLINED;
}

static int config_error(aoidc_rctx_t *x, const char *missing)
{
    aoidc_err_t err = {0};
    aoidc_err_set(&err, AOIDC_REASON_CONFIG, x->r->pool,
                  "AuthType %s needs %s here", ap_auth_type(x->r), missing);
    return aoidc_fail(x, &err);
}

/* The authorization response; a login attempt that cannot finish may ask
 * for a fresh one (AOIDC_RESTART_LOGIN). A state failure never answers
 * 5xx: when the fresh login cannot start (the OP is down), the page of the
 * state failure is the answer, with its "sign in again" link. */
static int callback(aoidc_rctx_t *x)
{
    int rc = aoidc_callback(x);
    if (rc != AOIDC_RESTART_LOGIN) {
        return rc;
    }
    rc = aoidc_login(x);
    if (ap_is_HTTP_SERVER_ERROR(rc)) {
        apr_table_unset(x->r->err_headers_out, "Retry-After");
        apr_table_unset(x->r->err_headers_out, "Location");
        return aoidc_fail(x, &x->restart_err);
    }
    aoidc_answer_log(x, &x->restart_err, x->restart_note);
    return rc;
}

/* The redirect URI: ?logout=... or the authorization response. */
static int redirect_uri(aoidc_rctx_t *x)
{
    apr_table_t *q;
    const char *target;
    if (!x->r->args
        || aoidc_url_parse_query(&q, x->r->args, 16, x->r->pool, NULL)
               != APR_SUCCESS) {
        return callback(x); /* which refuses a malformed query */
    }
    if (aoidc_url_param(q, "info") && aoidc_conf_info(x->c)) {
        return aoidc_info(x);
    }
    if (aoidc_url_param(q, "jwks")) {
        return aoidc_jwks(x);
    }
    if ((target = aoidc_url_param(q, "logout"))) {
        return !strcmp(target, "backchannel")    ? aoidc_logout_backchannel(x)
               : !strcmp(target, "frontchannel") ? aoidc_logout_frontchannel(x)
                                                 : aoidc_logout(x, target);
    }
    if (aoidc_initiate_is(q)) {
        return aoidc_login_initiated(x); /* third party (OIDC Core §4) */
    }
    return callback(x);
}

/* No usable session: AuthOIDCUnAuthAction. */
static int unauthenticated(aoidc_rctx_t *x)
{
    aoidc_err_t err = {AOIDC_REASON_NO_CREDENTIALS, "no session", NULL};
    switch (aoidc_conf_unauth_action(x->c)) {
    case AOIDC_UNAUTH_PASS:
        /* served without claims: an empty user so that Require valid-user
         * lets the page through (it shows a "log in" link); the claim
         * headers are absent and our scrub removed look-alikes */
        x->r->user = "";
        aoidc_strip_own_cookies(x, x->rp.cookie_name);
        return OK;
    case AOIDC_UNAUTH_410:
        aoidc_answer_log(x, &err, NULL);
        return HTTP_GONE;
    case AOIDC_UNAUTH_401:
        return aoidc_fail(x, &err);
    default:
        if (aoidc_is_form_navigation(x->r)) {
            return aoidc_login(x); /* the form is kept, or 401 */
        }
        if (!aoidc_wants_redirect(x->r)) {
            /* scripts and non-GET requests: a redirect would only loop */
            return aoidc_fail(x, &err);
        }
        if (!x->outcome) {
            x->outcome = AOIDC_REASON_NO_CREDENTIALS; /* for the metrics */
        }
        if (aoidc_idp_count(x) > 1) {
            return aoidc_choose(x); /* AuthOIDCProvider: the user picks */
        }
        return aoidc_login(x);
    }
}

static int oidc(aoidc_rctx_t *x)
{
    const char *missing;
    int rc;
    if (!aoidc_conf_rp(&x->rp, x->c, &missing)) {
        return config_error(x, missing);
    }
    if (aoidc_is_redirect_uri(x)) {
        return redirect_uri(x);
    }
    if ((rc = aoidc_session_hit(x)) != DECLINED) {
        return rc;
    }
    return unauthenticated(x);
}

static int basic(aoidc_rctx_t *x)
{
    const char *missing;
    if (!aoidc_conf_basic(&x->basic, x->c, &missing)) {
        return config_error(x, missing);
    }
    return aoidc_basic(x);
}

static int bearer(aoidc_rctx_t *x)
{
    const char *missing;
    if (!aoidc_conf_rs(&x->rs, x->c, &missing)) {
        return config_error(x, missing);
    }
    return aoidc_bearer(x);
}

int aoidc_check_authn(request_rec *r)
{
    const char *auth_type = ap_auth_type(r);
    aoidc_type_t type = aoidc_auth_type_of(auth_type);
    aoidc_rctx_t *x;
    int rc;
    if (type == AOIDC_TYPE_NONE) {
        return DECLINED;
    }
    r->ap_auth_type = (char *)auth_type;
    x = aoidc_rctx(r);
    rc = type == AOIDC_TYPE_OIDC    ? oidc(x)
         : type == AOIDC_TYPE_BASIC ? basic(x)
                                    : bearer(x);
    if (rc == OK && r->user && *r->user) {
        rc = aoidc_stepup_max_age(x); /* AuthOIDCMaxAge (stepup.c) */
    }
    if (!r->main) {
        /* once per request: OK is ok whatever was logged on the way (a
         * refresh postponed); otherwise the last reason, or ok for the
         * answers that are not refusals (callback, logout redirects) */
        aoidc_metrics_request(type, rc == OK ? AOIDC_REASON_NONE : x->outcome);
    }
    if (x->counts.jwks_refetch_ok) {
        aoidc_metrics_add(AOIDC_M_JWKS_REFETCH_OK, x->counts.jwks_refetch_ok);
    }
    if (x->counts.jwks_refetch_failed) {
        aoidc_metrics_add(AOIDC_M_JWKS_REFETCH_FAILED,
                          x->counts.jwks_refetch_failed);
    }
    if (x->counts.jwks_refetch_limited) {
        aoidc_metrics_add(AOIDC_M_JWKS_REFETCH_LIMITED,
                          x->counts.jwks_refetch_limited);
    }
    for (int i = 0; x->has_env && i < x->env.notes->nelts; i++) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, AOIDCLOGNO(00151) "%s",
                      APR_ARRAY_IDX(x->env.notes, i, const char *));
    }
    return rc;
}

/* AuthOIDCUnAutzAction auth. mod_authz_core calls the auth-failure hook
 * just before it answers 401 to a user a Require refused (so once per
 * request, whatever the number of providers that said no): a browser
 * navigation then starts a new login back to this URL, with prompt=login
 * unless AuthOIDCAuthRequestParams names a prompt, as an unauthenticated
 * one would (AuthOIDCUnAuthAction's rule: scripts and non-GET requests get
 * no redirect). The login URL becomes the 401's custom response, which
 * httpd turns into the 302 itself (ap_die); otherwise the error filter
 * makes the 401 the usual 403. */
static void unauthorized(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    const char *loc;
    if (x->unautz_done || x->type != AOIDC_TYPE_OIDC
        || aoidc_conf_unautz_action(x->c) != AOIDC_UNAUTZ_AUTH
        || !aoidc_wants_redirect(r)) {
        return;
    }
    x->unautz_done = true;
    if (x->session_created) {
        aoidc_session_t s = {.created = x->session_created};
        if (aoidc_session_just_created(&s, x->now)) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          AOIDCLOGNO(00760) "oidc %s: AuthOIDCUnAutzAction "
                                            "auth: 403, no new login: the "
                                            "session's login is under %ds "
                                            "old (loop protection)",
                          r->uri, (int)apr_time_sec(AOIDC_UNAUTZ_LOOP_WINDOW));
            return;
        }
        x->rp.extra_params = aoidc_authz_params_default(
            x->rp.extra_params, "prompt", "login", r->pool);
    }
    if (aoidc_login(x) != HTTP_MOVED_TEMPORARILY
        || !(loc = apr_table_get(r->err_headers_out, "Location"))) {
        /* the OP is unreachable (logged): the 403 stands */
        apr_table_unset(r->err_headers_out, "Retry-After");
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  AOIDCLOGNO(00761) "oidc %s: AuthOIDCUnAutzAction auth: "
                                    "new login",
                  r->uri);
    ap_custom_response(r, HTTP_UNAUTHORIZED, loc);
}

/* RFC 6750 §3 and RFC 9449 §7.1: a Bearer challenge unless only DPoP is
 * taken, a DPoP one where DPoP is taken or was used; the error goes to
 * the scheme the client used (invalid_dpop_proof and use_dpop_nonce always to
 * DPoP). */
static void challenge(aoidc_rctx_t *x, const char *err, const char *desc)
{
    request_rec *r = x->r;
    bool proof_err = err
                     && (!strcmp(err, "invalid_dpop_proof")
                         || !strcmp(err, "use_dpop_nonce"));
    bool to_dpop = x->dpop_used || proof_err;
    bool dpop = to_dpop || (x->rs.binding & AOIDC_BIND_DPOP);
    bool bearer = x->rs.binding != AOIDC_BIND_DPOP;
    /* RFC 9470 acr_values/max_age beside the error, RFC 9728
     * resource_metadata in each challenge (stepup.c) */
    if (bearer) {
        apr_table_setn(
            r->err_headers_out, "WWW-Authenticate",
            apr_pstrcat(r->pool,
                        aoidc_bearer_challenge_for(
                            r, to_dpop ? NULL : err, to_dpop ? NULL : desc,
                            x->denied_by_authz ? x->required_scope : NULL),
                        aoidc_stepup_challenge_params(x, !to_dpop), NULL));
    }
    if (dpop) {
        bool here = to_dpop || !bearer;
        apr_table_addn(
            r->err_headers_out, "WWW-Authenticate",
            apr_pstrcat(r->pool,
                        aoidc_dpop_challenge(ap_auth_name(r), here ? err : NULL,
                                             here ? desc : NULL, r->pool),
                        aoidc_stepup_challenge_params(x, here), NULL));
        /* RFC 9449 §8, §9: the nonce with every DPoP challenge (required
         * with use_dpop_nonce), so a client's next proof can carry it */
        if (x->rs.dpop_nonce) {
            apr_table_setn(
                r->err_headers_out, "DPoP-Nonce",
                aoidc_dpop_nonce(x->rs.dpop_nonce, apr_time_now(), r->pool));
        }
    }
}

/* RFC 6750 §3 challenge for AuthType bearer; AuthOIDCUnAutzAction for
 * AuthType oidc. */
int aoidc_note_auth_failure(request_rec *r, const char *type)
{
    aoidc_rctx_t *x;
    const char *err, *desc;
    if (!strcasecmp(type, "oidc-basic")) {
        /* RFC 7617 §2, §2.1; none on a 403 for an authenticated user */
        const char *realm = ap_auth_name(r);
        if (aoidc_rctx(r)->denied_by_authz) {
            return OK;
        }
        apr_table_setn(
            r->err_headers_out, "WWW-Authenticate",
            apr_psprintf(r->pool, "Basic realm=\"%s\", charset=\"UTF-8\"",
                         ap_escape_quotes(r->pool, realm ? realm : "")));
        return OK;
    }
    if (strcasecmp(type, "bearer")) {
        if (strcasecmp(type, "oidc")) {
            return DECLINED;
        }
        x = ap_get_module_config(r->request_config, &auth_oidc_module);
        if (x && x->denied_by_authz) {
            unauthorized(x);
        }
        return OK;
    }
    x = aoidc_rctx(r);
    err = x->bearer_error;
    desc = x->bearer_description;
    if (x->denied_by_authz) {
        err = x->required_scope ? "insufficient_scope" : NULL;
        desc = NULL;
    }
    if (x->denied_by_authz && (x->stepup_acr || x->stepup_max_age)) {
        /* RFC 9470 §3 (stepup.c adds acr_values/max_age) */
        err = "insufficient_user_authentication";
        desc = x->stepup_acr ? "A different authentication level is required"
                             : "More recent authentication is required";
    }
    challenge(x, err, desc);
    return OK;
}

/* mod_authz_core answers 401 when a provider denies an authenticated user;
 * for a user we did authenticate that is a 403 (RFC 6750 §3.1 for bearer,
 * and plain HTTP semantics for sessions). */
void aoidc_insert_error_filter(request_rec *r)
{
    aoidc_rctx_t *x =
        ap_get_module_config(r->request_config, &auth_oidc_module);
    if (x && x->denied_by_authz && r->status == HTTP_UNAUTHORIZED
        && !(x->type == AOIDC_TYPE_BEARER
             && (x->stepup_acr || x->stepup_max_age))) {
        /* (a bearer step-up keeps its 401: RFC 9470 §3) */
        r->status = HTTP_FORBIDDEN;
        r->status_line = NULL;
    }
}
