/* SPDX-License-Identifier: Apache-2.0 */
/* The authorization request URL (OIDC Core 3.1.2.1, RFC 7636 §4.3). */
#ifndef AOIDC_CORE_AUTHZ_REQUEST_H
#define AOIDC_CORE_AUTHZ_REQUEST_H

#include "core/state.h"

typedef struct {
    const char *name;
    const char *value;
} aoidc_param_t;

/** Parse "k=v&k2=v2" (form-encoded) into aoidc_param_t pairs for
 *  AuthOIDCAuthRequestParams; NULL or an error naming the problem. The
 *  parameters the protocol itself sets (response_type, client_id,
 *  redirect_uri, scope, state, nonce, code_challenge, code_challenge_method,
 *  request, request_uri) are refused: they cannot be overridden. */
AOIDC_API const char *aoidc_authz_params_parse(apr_array_header_t **out,
                                               const char *arg, apr_pool_t *p);

/** extra with name=value appended, unless extra already has a parameter
 *  called name: the operator's AuthOIDCAuthRequestParams win over a
 *  default the module adds (prompt=login of AuthOIDCUnAutzAction auth).
 *  A new array in p (extra, which may be NULL, is not changed). */
AOIDC_API apr_array_header_t *
aoidc_authz_params_default(const apr_array_header_t *extra, const char *name,
                           const char *value, apr_pool_t *p);

/** scope with "openid" added in front when it lacks it (OIDC Core 3.1.2.1
 *  requires it); *added tells whether it was. */
AOIDC_API const char *aoidc_authz_scope(const char *scope, bool *added,
                                        apr_pool_t *p);

typedef struct {
    const char *endpoint; /* authorization_endpoint, already checked */
    const char *client_id;
    const char *redirect_uri;        /* absolute */
    const char *scope;               /* must contain "openid" */
    const apr_array_header_t *extra; /* of aoidc_param_t, or NULL:
                                      * AuthOIDCAuthRequestParams */
} aoidc_authz_params_t;

/** endpoint?response_type=code&client_id=..&redirect_uri=..&scope=..
 *  &state=..&nonce=..[&code_challenge=..&code_challenge_method=S256],
 *  in p. Parameters already in the endpoint's query are kept. */
AOIDC_API char *aoidc_authz_request_url(const aoidc_authz_params_t *a,
                                        const aoidc_state_t *st, apr_pool_t *p);

#endif
