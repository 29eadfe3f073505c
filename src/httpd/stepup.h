/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Step-up authentication (RFC 9470, OIDC Core max_age/acr_values) and
 * RFC 9728 protected resource metadata (stepup.c).
 */
#ifndef AOIDC_HTTPD_STEPUP_H
#define AOIDC_HTTPD_STEPUP_H

#include "httpd/mod_auth_oidc.h"

/** check_authn, once the user is authenticated (session or token):
 *  AuthOIDCMaxAge. OK when it holds or is unset; otherwise the refusal
 *  (logged): a new login with max_age (and the section's acr_values) under
 *  AuthOIDCUnAutzAction auth, 403 for a browser otherwise, and RFC 9470
 *  401 insufficient_user_authentication for a bearer request. */
int aoidc_stepup_max_age(aoidc_rctx_t *x);

/** aoidc_login: extra with the step-up parameters of this location:
 *  acr_values (a refused Require acr's values, else the section's Require
 *  acr words) and max_age (AuthOIDCMaxAge), replacing the operator's own
 *  acr_values/max_age; extra itself when the location has neither. A new
 *  array in r->pool otherwise. */
const apr_array_header_t *
aoidc_stepup_login_params(const aoidc_rctx_t *x,
                          const apr_array_header_t *extra);

/** What to append to one challenge: the RFC 9470 §3 parameters of a
 *  refused step-up when this challenge carries the error (with_error; ""
 *  when the refusal was no step-up), then `, resource_metadata="..."`
 *  (RFC 9728 §5.1) when AuthOIDCResourceMetadata is on here. In r->pool. */
const char *aoidc_stepup_challenge_params(aoidc_rctx_t *x, bool with_error);

/** post_config: the locations with AuthOIDCResourceMetadata on. */
int aoidc_stepup_post_config(apr_pool_t *pconf, server_rec *s);

/** quick_handler: GET /.well-known/oauth-protected-resource<path>. */
int aoidc_stepup_metadata_handler(request_rec *r, int lookup);

#endif
