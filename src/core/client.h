/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Calls to the OP on behalf of a request: code exchange, refresh, userinfo
 * and introspection. Services layer: uses http.h, token.h and provider
 * metadata; holds no state.
 */
#ifndef AOIDC_CORE_CLIENT_H
#define AOIDC_CORE_CLIENT_H

#include "core/provider.h"
#include "core/token.h"

/** POST the authorization code (with the PKCE verifier, may be NULL) and
 *  the exact redirect_uri; client auth as the metadata allows (basic
 *  preferred). */
AOIDC_API apr_status_t aoidc_client_code_exchange(
    aoidc_token_response_t *out, const aoidc_http_t *http,
    const aoidc_metadata_t *md, const aoidc_client_t *c, const char *code,
    const char *redirect_uri, const char *verifier, apr_pool_t *p,
    aoidc_err_t *err);

/** refresh_token grant (RFC 6749 §6). */
AOIDC_API apr_status_t aoidc_client_refresh(aoidc_token_response_t *out,
                                            const aoidc_http_t *http,
                                            const aoidc_metadata_t *md,
                                            const aoidc_client_t *c,
                                            const char *refresh_token,
                                            apr_pool_t *p, aoidc_err_t *err);

/** GET userinfo with the access token; *out is the JSON object. Its sub
 *  must equal sub (OIDC Core 5.3.2): AOIDC_REASON_USERINFO_SUB. */
AOIDC_API apr_status_t aoidc_client_userinfo(
    json_t **out, const aoidc_http_t *http, const aoidc_metadata_t *md,
    const char *access_token, const char *sub, apr_pool_t *p, aoidc_err_t *err);

/** POST token to the introspection endpoint (RFC 7662 §2.1); the answer's
 *  status and body come back unjudged. */
AOIDC_API apr_status_t aoidc_client_introspect(aoidc_http_resp_t *resp,
                                               const aoidc_http_t *http,
                                               const aoidc_metadata_t *md,
                                               const aoidc_client_t *c,
                                               const char *token, apr_pool_t *p,
                                               aoidc_err_t *err);

#endif
