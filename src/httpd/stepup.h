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

/** unauthorized(): the step-up parameters (acr_values, max_age) the new
 *  login asks for when a step-up check refused; extra unchanged
 *  otherwise. A new array in p. */
apr_array_header_t *aoidc_stepup_login_params(const aoidc_rctx_t *x,
                                              apr_array_header_t *extra);

/** The RFC 9470 §3 challenge parameters for a refused step-up, "" when the
 *  refusal was no step-up; then `, resource_metadata="..."` when
 *  AuthOIDCResourceMetadata is on here. */
const char *aoidc_stepup_challenge_params(aoidc_rctx_t *x);

/** post_config: the locations with AuthOIDCResourceMetadata on. */
int aoidc_stepup_post_config(apr_pool_t *pconf, server_rec *s);

/** quick_handler: GET /.well-known/oauth-protected-resource<path>. */
int aoidc_stepup_metadata_handler(request_rec *r, int lookup);

#endif
