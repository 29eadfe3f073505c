/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check_authn for AuthType oidc and bearer, the Bearer challenge, and the
 * one table that turns a core reason into an HTTP answer and a log level.
 * A local validation failure can never become a 5xx here: only upstream
 * (502/503) and configuration/internal (500) reasons do.
 */
#include <string.h>

#include "httpd/mod_auth_oidc.h"

typedef struct {
    int status;         /* for AuthType oidc */
    const char *bearer; /* RFC 6750 error code, NULL = none */
    int bearer_status;
    int level;
    const char *message; /* short, non-leaking, for the client */
} answer_t;

#define BAD(msg)                                                               \
    {                                                                          \
        HTTP_BAD_REQUEST, "invalid_request", 400, APLOG_INFO, msg              \
    }
#define TOKEN(msg)                                                             \
    {                                                                          \
        HTTP_UNAUTHORIZED, "invalid_token", 401, APLOG_INFO, msg               \
    }
#define UPSTREAM(st, msg)                                                      \
    {                                                                          \
        st, NULL, st, APLOG_ERR, msg                                           \
    }

static const answer_t table[AOIDC_REASON__COUNT] = {
    [AOIDC_REASON_NONE] = {HTTP_INTERNAL_SERVER_ERROR, NULL, 500, APLOG_ERR,
                           "Internal error."},
    [AOIDC_REASON_MALFORMED] = BAD("Malformed request."),
    [AOIDC_REASON_TOO_LARGE] = BAD("Request too large."),
    [AOIDC_REASON_COOKIE] = BAD("Login state is invalid; please retry."),
    [AOIDC_REASON_STATE_MISSING] = BAD("Unknown login attempt; please retry."),
    [AOIDC_REASON_STATE_EXPIRED] = BAD("Login attempt expired; please retry."),
    [AOIDC_REASON_STATE_REPLAY] = BAD("Login attempt already used."),
    [AOIDC_REASON_OP_ERROR] = {HTTP_FORBIDDEN, NULL, 403, APLOG_INFO,
                               "The identity provider refused the login."},
    [AOIDC_REASON_ISS_PARAM] = BAD("Login response from the wrong issuer."),
    [AOIDC_REASON_RETURN_URL] = BAD("Invalid return address."),
    [AOIDC_REASON_JWS_MALFORMED] = TOKEN("Invalid token."),
    [AOIDC_REASON_ALG] = TOKEN("Invalid token."),
    [AOIDC_REASON_KEY_UNKNOWN] = TOKEN("Invalid token."),
    [AOIDC_REASON_CRIT] = TOKEN("Invalid token."),
    [AOIDC_REASON_SIGNATURE] = TOKEN("Invalid token."),
    [AOIDC_REASON_TYP] = TOKEN("Invalid token."),
    [AOIDC_REASON_ISSUER] = TOKEN("Invalid token."),
    [AOIDC_REASON_AUDIENCE] = TOKEN("Invalid token."),
    [AOIDC_REASON_AZP] = TOKEN("Invalid token."),
    [AOIDC_REASON_EXPIRED] = TOKEN("Token expired."),
    [AOIDC_REASON_NOT_YET_VALID] = TOKEN("Invalid token."),
    [AOIDC_REASON_IAT] = TOKEN("Invalid token."),
    [AOIDC_REASON_NONCE] = TOKEN("Invalid token."),
    [AOIDC_REASON_SUB] = TOKEN("Invalid token."),
    [AOIDC_REASON_AT_HASH] = TOKEN("Invalid token."),
    [AOIDC_REASON_ID_TOKEN_AS_AT] = TOKEN("Invalid token."),
    [AOIDC_REASON_INACTIVE] = TOKEN("Invalid token."),
    [AOIDC_REASON_NO_INTROSPECTION] = TOKEN("Invalid token."),
    [AOIDC_REASON_NO_CREDENTIALS] = {HTTP_UNAUTHORIZED, NULL, 401, APLOG_DEBUG,
                                     "Authentication required."},
    [AOIDC_REASON_BEARER_SYNTAX] = BAD("Malformed Authorization header."),
    [AOIDC_REASON_SCOPE] = {HTTP_FORBIDDEN, "insufficient_scope", 403,
                            APLOG_INFO, "Insufficient scope."},
    [AOIDC_REASON_SESSION_EXPIRED] = {HTTP_UNAUTHORIZED, NULL, 401, APLOG_INFO,
                                      "Session expired."},
    [AOIDC_REASON_SESSION_INVALID] = {HTTP_UNAUTHORIZED, NULL, 401, APLOG_INFO,
                                      "Invalid session."},
    [AOIDC_REASON_REFRESH] = {HTTP_UNAUTHORIZED, NULL, 401, APLOG_INFO,
                              "Session ended."},
    [AOIDC_REASON_USERINFO_SUB] = TOKEN("Invalid user information."),
    [AOIDC_REASON_OP_UNREACHABLE] = UPSTREAM(
        HTTP_SERVICE_UNAVAILABLE, "The identity provider is unavailable."),
    [AOIDC_REASON_OP_BAD_RESPONSE] =
        UPSTREAM(HTTP_BAD_GATEWAY, "The identity provider answered badly."),
    [AOIDC_REASON_OP_INSECURE] =
        UPSTREAM(HTTP_BAD_GATEWAY, "The identity provider is misconfigured."),
    [AOIDC_REASON_OP_ISSUER] =
        UPSTREAM(HTTP_BAD_GATEWAY, "The identity provider is misconfigured."),
    [AOIDC_REASON_TOKEN_ENDPOINT] = {HTTP_UNAUTHORIZED, "invalid_token", 401,
                                     APLOG_INFO,
                                     "The login could not be completed."},
    [AOIDC_REASON_STORE_UNAVAILABLE] =
        UPSTREAM(HTTP_SERVICE_UNAVAILABLE, "The session store is unavailable."),
    [AOIDC_REASON_CONFIG] = {HTTP_INTERNAL_SERVER_ERROR, NULL, 500, APLOG_ERR,
                             "Server misconfigured."},
    [AOIDC_REASON_INTERNAL] = {HTTP_INTERNAL_SERVER_ERROR, NULL, 500, APLOG_ERR,
                               "Internal error."},
};

static bool is_client_fault(aoidc_reason_t reason)
{
    return reason < AOIDC_REASON_OP_UNREACHABLE;
}

int aoidc_fail(request_rec *r, const aoidc_err_t *err, apr_status_t rv)
{
    aoidc_reason_t reason = err->reason;
    if ((unsigned)reason >= AOIDC_REASON__COUNT || !table[reason].status) {
        reason = AOIDC_REASON_INTERNAL;
    }
    const answer_t *a = &table[reason];
    aoidc_req_ctx_t *ctx = aoidc_req_ctx(r);
    int status = ctx->is_bearer ? a->bearer_status : a->status;

    ap_log_rerror(APLOG_MARK, a->level, is_client_fault(reason) ? 0 : rv, r,
                  AOIDCLOGNO(00020) "%s %s: reason=%s (%s)",
                  ctx->is_bearer ? "bearer" : "oidc", r->uri,
                  aoidc_reason_name(reason), err->detail ? err->detail : "-");
    if (ctx->is_bearer) {
        ctx->bearer_error = a->bearer;
        ctx->bearer_description = a->bearer ? a->message : NULL;
        if (status == HTTP_UNAUTHORIZED || a->bearer) {
            ap_note_auth_failure(r);
        }
    }
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", "10");
    }
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_custom_response(r, status, a->message);
    return status;
}

/* --- hooks -------------------------------------------------------------- */

static int our_type(request_rec *r)
{
    const char *t = ap_auth_type(r);
    if (!t) {
        return 0;
    }
    return !strcasecmp(t, "oidc") ? 1 : !strcasecmp(t, "bearer") ? 2 : 0;
}

/* Runs for every request in a location of ours, whether or not authn will
 * run: client-sent claim look-alikes never reach the backend. */
int aoidc_header_parser(request_rec *r)
{
    if (our_type(r)) {
        aoidc_scrub_headers(
            r, ap_get_module_config(r->per_dir_config, &auth_oidc_module));
    }
    return DECLINED;
}

int aoidc_check_authn(request_rec *r)
{
    const aoidc_dir_conf_t *c =
        ap_get_module_config(r->per_dir_config, &auth_oidc_module);
    int type = our_type(r);
    if (type) {
        r->ap_auth_type = (char *)ap_auth_type(r);
    }
    switch (type) {
    case 1:
        return aoidc_session_authn(r, c);
    case 2:
        aoidc_req_ctx(r)->is_bearer = true;
        return aoidc_bearer_authn(r, c);
    default:
        return DECLINED;
    }
}

/* RFC 6750 §3 challenge; only for AuthType bearer. */
int aoidc_note_auth_failure(request_rec *r, const char *type)
{
    if (strcasecmp(type, "bearer")) {
        return strcasecmp(type, "oidc") ? DECLINED : OK;
    }
    aoidc_req_ctx_t *ctx = aoidc_req_ctx(r);
    const char *err = ctx->bearer_error, *desc = ctx->bearer_description;
    if (ctx->denied_by_authz) {
        err = ctx->required_scope ? "insufficient_scope" : NULL;
        desc = NULL;
    }
    apr_table_setn(
        r->err_headers_out, "WWW-Authenticate",
        aoidc_bearer_challenge_for(
            r, err, desc, ctx->denied_by_authz ? ctx->required_scope : NULL));
    return OK;
}

/* mod_authz_core answers 401 when a provider denies an authenticated user;
 * for a user we did authenticate that is a 403 (RFC 6750 §3.1 for bearer,
 * and plain HTTP semantics for sessions). */
void aoidc_insert_error_filter(request_rec *r)
{
    aoidc_req_ctx_t *ctx =
        ap_get_module_config(r->request_config, &auth_oidc_module);
    if (ctx && ctx->denied_by_authz && r->status == HTTP_UNAUTHORIZED) {
        r->status = HTTP_FORBIDDEN;
        r->status_line = NULL;
    }
}
