/* SPDX-License-Identifier: Apache-2.0 */
/* The authorization request URL (OIDC Core 3.1.2.1, RFC 7636 §4.3). */
#ifndef AOIDC_CORE_AUTHZ_REQUEST_H
#define AOIDC_CORE_AUTHZ_REQUEST_H

#include "core/state.h"

typedef struct {
    const char *name;
    const char *value;
} aoidc_param_t;

/* AuthOIDCResponseType: what the authorization endpoint returns (OIDC Core
 * 3.1 code, 3.3 hybrid "code id_token", 3.2 implicit "id_token"). */
typedef enum {
    AOIDC_RT_CODE = 0,
    AOIDC_RT_CODE_ID_TOKEN,
    AOIDC_RT_ID_TOKEN,
} aoidc_response_type_t;

/* AuthOIDCResponseMode: how it returns it (OAuth 2.0 Multiple Response
 * Types §2.1 query; OAuth 2.0 Form Post Response Mode). */
typedef enum {
    AOIDC_RM_QUERY = 0,
    AOIDC_RM_FORM_POST,
} aoidc_response_mode_t;

/** The response_type parameter's value: "code", "code id_token" or
 *  "id_token". */
AOIDC_API const char *aoidc_response_type_name(aoidc_response_type_t rt);

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
    const char *redirect_uri;            /* absolute */
    const char *scope;                   /* must contain "openid" */
    const apr_array_header_t *extra;     /* of aoidc_param_t, or NULL:
                                          * AuthOIDCAuthRequestParams */
    aoidc_response_type_t response_type; /* default AOIDC_RT_CODE */
    aoidc_response_mode_t response_mode; /* default AOIDC_RM_QUERY */
    const char *login_hint;              /* OIDC Core 3.1.2.1, or NULL */
} aoidc_authz_params_t;

/** endpoint?response_type=code&client_id=..&redirect_uri=..&scope=..
 *  &state=..&nonce=..[&code_challenge=..&code_challenge_method=S256]
 *  [&response_mode=form_post][&login_hint=..], in p; response_type is that
 *  of a->response_type, and the PKCE pair is sent only when st has a
 *  verifier. Parameters already in the endpoint's query are kept. */
AOIDC_API char *aoidc_authz_request_url(const aoidc_authz_params_t *a,
                                        const aoidc_state_t *st, apr_pool_t *p);

/** The query of aoidc_authz_request_url alone (no endpoint, no '?'): the
 *  form body of a pushed authorization request (RFC 9126 §2.1). */
AOIDC_API char *aoidc_authz_request_params(const aoidc_authz_params_t *a,
                                           const aoidc_state_t *st,
                                           apr_pool_t *p);

/** RFC 9126 §4: endpoint?client_id=..&request_uri=.., in p (parameters in
 *  the endpoint's query kept). */
AOIDC_API char *aoidc_authz_par_url(const char *endpoint, const char *client_id,
                                    const char *request_uri, apr_pool_t *p);

/* AuthOIDCPAR: AUTO pushes when the OP has a
 * pushed_authorization_request_endpoint, ON always (an OP without one is
 * an error at login), OFF never. */
typedef enum {
    AOIDC_PAR_AUTO = 0,
    AOIDC_PAR_OFF,
    AOIDC_PAR_ON,
} aoidc_par_mode_t;

#endif
