/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Several providers in one location (AuthOIDCProvider, issue 11). The core
 * flows stay single-identity: the glue picks, per request, which of the
 * location's identities (0: AuthOIDCIssuer with AuthOIDCClientID and its
 * secret; 1..n: the AuthOIDCProvider lines in order) the request belongs
 * to, and rebuilds x->rp and x->env for it:
 *
 *   - a session hit, logout and ?info=json: by the session cookie's ticket
 *     (its TAG names the issuer and client, core/rp.h), or for
 *     AuthOIDCSessionStore cookie by the identity whose session opens;
 *   - the callback: by the issuer sealed in the state cookie the response
 *     names (core/state.h), so the core then accepts only that issuer's
 *     iss (RFC 9207) and ID Token, and exchanges the code at that
 *     provider's token endpoint with that provider's client and secret;
 *   - a login at the redirect URI with ?iss= (the chooser's links, or a
 *     third party): by that issuer.
 *
 * An issuer the location does not list is never chosen: its state, its
 * iss or its session are judged by identity 0, which refuses them.
 */
#ifndef AOIDC_HTTPD_PROVIDERS_H
#define AOIDC_HTTPD_PROVIDERS_H

#include "httpd/request.h"

/** The location's identities: 1 + its AuthOIDCProvider lines. */
int aoidc_idp_count(const aoidc_rctx_t *x);

/** Make identity i the request's (x->rp, x->env, x->idp); false when the
 *  location has no identity i. x->rp must hold identity 0's (the
 *  dispatcher's aoidc_conf_rp) before the first call. */
bool aoidc_idp_use(aoidc_rctx_t *x, int i);

/** The identity of issuer iss, or -1. */
int aoidc_idp_of_issuer(const aoidc_rctx_t *x, const char *iss);

/** Use the identity whose ticket the session cookie carries (the first,
 *  in configuration order), or with AuthOIDCSessionStore cookie the one
 *  whose chunks open (a read: each is opened once more by the flow);
 *  none: identity 0 stays. */
void aoidc_idp_by_session(aoidc_rctx_t *x);

/** Use the identity whose issuer the state cookie of this authorization
 *  response (its query or POSTed body) names; none, or a state cookie
 *  that does not open: identity 0 stays (and the core refuses it). */
void aoidc_idp_by_state(aoidc_rctx_t *x, const char *response,
                        const char *cookie_header);

/** Use the identity whose issuer the back-channel logout_token of this
 *  POST body names (read unverified, only to choose: the core validates
 *  it in full for that identity); none: identity 0 stays. */
void aoidc_idp_by_logout_token(aoidc_rctx_t *x, const char *body,
                               apr_size_t len);

/** The chooser page (200, no-store): one link per identity, each a
 *  third-party-initiated login (AuthOIDCRedirectURI?iss=..&
 *  target_link_uri=THIS) back to this request's URL. Returns DONE. */
int aoidc_choose(aoidc_rctx_t *x);

#endif
