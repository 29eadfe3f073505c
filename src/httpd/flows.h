/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow units of the glue, one file each, called only by the dispatcher
 * (authn.c). Each gathers its inputs from the request, makes one call into
 * the core (core/rp.h, core/rs.h) and applies the outcome. They return an
 * HTTP status, OK, or DECLINED where documented.
 */
#ifndef AOIDC_HTTPD_FLOWS_H
#define AOIDC_HTTPD_FLOWS_H

#include "httpd/request.h"

/* login.c: a new login attempt (302 to the OP), returning to
 * x->login_return, or to this request's URL when that is NULL. */
int aoidc_login(aoidc_rctx_t *x);

/* login.c: GET redirect URI ?iss=..[&login_hint=..&target_link_uri=..]
 * (OIDC Core §4): a login to a local target, or 400. */
int aoidc_login_initiated(aoidc_rctx_t *x);

/* What aoidc_callback returns when the login attempt cannot finish but a
 * fresh one may (core/rp.h "Recovery"): x->login_return names the target,
 * x->restart_err the reason; the dispatcher starts the login (flows never
 * call each other). Not an HTTP status, nor OK, DECLINED or DONE. */
#define AOIDC_RESTART_LOGIN (-1000)

/* callback.c: the authorization response at the redirect URI. */
int aoidc_callback(aoidc_rctx_t *x);

/* session.c: OK with the user set, or DECLINED when there is no usable
 * session (the dispatcher then starts a login or answers 401). */
int aoidc_session_hit(aoidc_rctx_t *x);

/* session.c: ?info=json at the redirect URI (AuthOIDCInfo on): the
 * caller's own session as JSON, never a token; 401 without one. */
int aoidc_info(aoidc_rctx_t *x);

/* login.c: ?jwks at the redirect URI: the JWKS of AuthOIDCClientKey
 * (issue 12), unprotected; 404 without a key. */
int aoidc_jwks(aoidc_rctx_t *x);

/* logout.c: ?logout=target at the redirect URI. */
int aoidc_logout(aoidc_rctx_t *x, const char *target);

/* logout.c: POST ?logout=backchannel (OIDC Back-Channel Logout 1.0) and
 * GET ?logout=frontchannel (Front-Channel Logout 1.0); they answer
 * themselves (DONE). */
int aoidc_logout_backchannel(aoidc_rctx_t *x);
int aoidc_logout_frontchannel(aoidc_rctx_t *x);

/* bearer.c: AuthType bearer. */
int aoidc_bearer(aoidc_rctx_t *x);

/* basic.c: AuthType oidc-basic (the password grant for Basic clients). */
int aoidc_basic(aoidc_rctx_t *x);

#endif
