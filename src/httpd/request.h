/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The request context and request_rec in and out. The context is built
 * once in check_authn (or by the first glue unit that needs it) and kept in
 * r->request_config, so the authz providers and the auth-failure hook see
 * what authentication established.
 */
#ifndef AOIDC_HTTPD_REQUEST_H
#define AOIDC_HTTPD_REQUEST_H

#include "core/basic.h"
#include "core/flow.h"
#include "httpd/config.h"
#include "httpd/mod_auth_oidc.h"

typedef enum {
    AOIDC_TYPE_NONE = 0,
    AOIDC_TYPE_OIDC,
    AOIDC_TYPE_BEARER,
    AOIDC_TYPE_BASIC, /* oidc-basic */
} aoidc_type_t;

typedef struct {
    request_rec *r;
    const aoidc_dir_conf_t *c;
    aoidc_type_t type;
    apr_time_t now;
    aoidc_flow_env_t env;       /* filled by aoidc_op_env() */
    aoidc_flow_counts_t counts; /* env.counts: for the metrics */
    bool has_env;
    const char *origin;       /* scheme://host[:port] as the browser sees it */
    aoidc_rp_conf_t rp;       /* AuthType oidc: filled by the dispatcher */
    aoidc_rs_conf_t rs;       /* AuthType bearer: likewise */
    aoidc_basic_conf_t basic; /* AuthType oidc-basic: likewise */
    /* what authentication established, for authz and the challenge */
    const apr_array_header_t *claims; /* of aoidc_claim_t */
    bool denied_by_authz;
    bool unautz_done;           /* AuthOIDCUnAutzAction decided once */
    apr_time_t session_created; /* its login's time; 0: no session */
    const char *required_scope;
    const char *bearer_error;       /* RFC 6750 error for the challenge */
    const char *bearer_description; /* short, leaks nothing */
    bool dpop_used;                 /* Authorization: DPoP (challenge) */
    /* login robustness (issue 10) */
    const char *login_return; /* aoidc_login's return URL; NULL: this one */
    const char *retry_url;    /* the error page's "sign in again" link */
    aoidc_err_t restart_err;  /* why the callback asked for a restart */
    const char *restart_note; /* "restart n/N" for the log line */
    const char *request_id;   /* UNIQUE_ID or a short random id */
    aoidc_reason_t outcome;   /* the last reason logged; NONE: ok (metrics) */
    /* the Cookie header as the client sent it, before
     * aoidc_strip_own_cookies: an internal redirect or a subrequest of
     * this request authenticates again and needs the session cookie */
    const char *client_cookie;
    const char *login_hint; /* third-party initiated login (issue 11) */
    /* AuthOIDCUpstreamToken exchange: the session's access token or the
     * bearer caller's token, set by the flow that authenticated */
    const char *upstream_subject;
    /* AuthOIDCProvider (httpd/providers.h): the identity in x->rp; NULL:
     * AuthOIDCIssuer's (identity 0), kept in base_rp once another is
     * chosen */
    const aoidc_idp_t *idp;
    const aoidc_rp_conf_t *base_rp;
    /* step-up (stepup.c): what a refused Require acr / AuthOIDCMaxAge
     * asks the next login or token for */
    const apr_array_header_t *stepup_acr; /* of const char *, or NULL */
    bool stepup_max_age;
} aoidc_rctx_t;

/** The context of r, created on first use. */
aoidc_rctx_t *aoidc_rctx(request_rec *r);

/** Which of our AuthTypes r is under. */
aoidc_type_t aoidc_request_type(request_rec *r);
/** The same for an AuthType value (NULL: none). */
aoidc_type_t aoidc_auth_type_of(const char *auth_type);

/** The absolute redirect URI for r (a relative one is resolved against the
 *  request's own scheme, host and port). */
const char *aoidc_redirect_uri(const aoidc_rctx_t *x);
/** scheme://host[:port] as the client sees us (AuthOIDCTrustedProxy). */
const char *aoidc_origin(aoidc_rctx_t *x);
/** A local path made absolute on the redirect URI's origin. */
const char *aoidc_absolute(const aoidc_rctx_t *x, const char *path);
/** Where a login goes when the original URL is not known: the redirect
 *  URI's directory ("/app/" for /app/redirect_uri), a local path. */
const char *aoidc_location_root(const aoidc_rctx_t *x);
/** True when r is the redirect URI of its configuration. */
bool aoidc_is_redirect_uri(const aoidc_rctx_t *x);
/** An absolute URL on our own origin becomes its path; anything else is
 *  returned as it is. */
const char *aoidc_same_origin_path(const aoidc_rctx_t *x, const char *target);

const char *aoidc_cookie_header(request_rec *r);
/** Set-Cookie for each operation, with the attributes of its kind. */
void aoidc_apply_cookies(const aoidc_rctx_t *x, const apr_array_header_t *ops);
/** 302 to location (no-store). */
int aoidc_redirect(request_rec *r, const char *location);
/** True for a browser navigation (a redirect to the OP makes sense). */
bool aoidc_wants_redirect(request_rec *r);
/** A POST with an application/x-www-form-urlencoded body. */
bool aoidc_is_form(request_rec *r);
/** A browser's form submit (POST, application/x-www-form-urlencoded, a
 *  navigation): one whose body a login can keep and replay. */
bool aoidc_is_form_navigation(request_rec *r);

/** Remove client headers that look like ours (claims, REMOTE_USER).
 *  quiet: they are the claims of the request this one continues (an
 *  internal redirect, a subrequest), not the client's: no log line. */
void aoidc_scrub_headers(request_rec *r, const aoidc_dir_conf_t *c, bool quiet);
/** REMOTE_USER, claim headers and variables for the backend. */
void aoidc_set_user(aoidc_rctx_t *x, const char *user,
                    const apr_array_header_t *claims);
/** The same with the claims' view made already for this location's prefix
 *  (NULL: the names are made here). */
void aoidc_set_user_named(aoidc_rctx_t *x, const char *user,
                          const apr_array_header_t *claims,
                          const aoidc_claims_view_t *view);

/** Remove the session cookie and our state cookies from the Cookie header
 *  the backend sees. */
void aoidc_strip_own_cookies(aoidc_rctx_t *x, const char *session_cookie);

void aoidc_request_register_filters(void);
/** Read the whole request body (at most max bytes) and arrange for the
 *  handler to see it again. */
apr_status_t aoidc_read_body(const char **out, request_rec *r, apr_size_t max,
                             aoidc_err_t *err);

#endif
