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

/** Client authentication for a POST to an OP endpoint (one place for the
 *  token, refresh, PAR, introspection, revocation and the other grants):
 *  sets req->body (body plus the client's parameters) and
 *  req->authorization. c->method decides; AUTO is private_key_jwt when
 *  c has a key, else client_secret_basic unless methods (AOIDC_AUTH_* of
 *  the endpoint's metadata) offer only client_secret_post. private_key_jwt
 *  (RFC 7523 §2.2, OIDC Core §9) sends client_id, client_assertion_type
 *  and a fresh assertion (client_key.h) for aud = md->issuer signed by
 *  the first key, PS256 for RSA when the OP lists it. client_id is not
 *  repeated when body has it (a PAR body). tls_client_auth (RFC 8705
 *  §2.1; AUTO picks it for a client with a certificate and neither key
 *  nor secret) sends client_id only. A client with a certificate
 *  presents it (req->cert) whatever the method, and req->url becomes the
 *  endpoint's mtls_endpoint_aliases entry when the OP names one (§5).
 *  Reasons: AOIDC_REASON_CONFIG (private_key_jwt without a key,
 *  tls_client_auth without a certificate),
 *  AOIDC_REASON_INTERNAL (signing failed). */
AOIDC_API apr_status_t
aoidc_client_authenticate(aoidc_http_req_t *req, const char *body,
                          const aoidc_client_t *c, const aoidc_metadata_t *md,
                          unsigned methods, apr_pool_t *p, aoidc_err_t *err);

/** RFC 9126 §2: POST the authorization request's parameters (params, a
 *  form body) to md->par_endpoint with client authentication; *request_uri
 *  is the OP's answer (201 with request_uri). Reasons:
 *  AOIDC_REASON_OP_BAD_RESPONSE (no endpoint, another status, no or a
 *  malformed request_uri), those of aoidc_client_authenticate and the
 *  transport. */
AOIDC_API apr_status_t aoidc_client_par(const char **request_uri,
                                        const aoidc_http_t *http,
                                        const aoidc_metadata_t *md,
                                        const aoidc_client_t *c,
                                        const char *params, apr_pool_t *p,
                                        aoidc_err_t *err);

#define AOIDC_PAR_URI_MAX 2048

/** The PAR endpoint's answer (RFC 9126 §2.2): 201 with a JSON request_uri
 *  of 1 to AOIDC_PAR_URI_MAX characters from [A-Za-z0-9:-._~/%+=] (it
 *  goes into a URL and a Location header). Anything else is
 *  AOIDC_REASON_OP_BAD_RESPONSE (with the OP's error code, if any, in the
 *  detail). *request_uri lives in p. */
AOIDC_API apr_status_t aoidc_par_response_parse(const char **request_uri,
                                                int status, const char *body,
                                                apr_size_t len, apr_pool_t *p,
                                                aoidc_err_t *err);

/** POST the authorization code (with the PKCE verifier, may be NULL) and
 *  the exact redirect_uri; client auth as the metadata allows (basic
 *  preferred). */
AOIDC_API apr_status_t aoidc_client_code_exchange(
    aoidc_token_response_t *out, const aoidc_http_t *http,
    const aoidc_metadata_t *md, const aoidc_client_t *c, const char *code,
    const char *redirect_uri, const char *verifier, apr_pool_t *p,
    aoidc_err_t *err);

/** Resource owner password credentials grant (RFC 6749 §4.3), with scope;
 *  client auth as for the code exchange. The OP's refusal of the
 *  credentials is AOIDC_REASON_TOKEN_ENDPOINT with err->op_error
 *  "invalid_grant". */
AOIDC_API apr_status_t aoidc_client_password(
    aoidc_token_response_t *out, const aoidc_http_t *http,
    const aoidc_metadata_t *md, const aoidc_client_t *c, const char *user,
    const char *password, const char *scope, apr_pool_t *p, aoidc_err_t *err);

/** refresh_token grant (RFC 6749 §6). */
AOIDC_API apr_status_t aoidc_client_refresh(aoidc_token_response_t *out,
                                            const aoidc_http_t *http,
                                            const aoidc_metadata_t *md,
                                            const aoidc_client_t *c,
                                            const char *refresh_token,
                                            apr_pool_t *p, aoidc_err_t *err);

/** client_credentials grant (RFC 6749 §4.4.2) for the client itself, with
 *  scope (may be NULL) and the target: an absolute URI goes as the RFC
 *  8707 resource, any other value as audience (the form several OPs use
 *  for this grant); target may be NULL. Client auth as for the code
 *  exchange. Reasons: those of a token endpoint answer (token.h) and of
 *  the transport. */
AOIDC_API apr_status_t aoidc_client_credentials(
    aoidc_token_response_t *out, const aoidc_http_t *http,
    const aoidc_metadata_t *md, const aoidc_client_t *c, const char *scope,
    const char *target, apr_pool_t *p, aoidc_err_t *err);

/** RFC 8693 §2.1 token exchange: subject_token as an access token
 *  (subject_token_type urn:ietf:params:oauth:token-type:access_token),
 *  for a token of the target (audience, plus resource when it is an
 *  absolute URI; may be NULL) and scope (may be NULL). The answer must be
 *  a Bearer access token (§2.2.1 token_type), parsed as any token
 *  endpoint answer. Reasons as aoidc_client_credentials. */
AOIDC_API apr_status_t aoidc_client_token_exchange(
    aoidc_token_response_t *out, const aoidc_http_t *http,
    const aoidc_metadata_t *md, const aoidc_client_t *c,
    const char *subject_token, const char *scope, const char *target,
    apr_pool_t *p, aoidc_err_t *err);

/** GET userinfo with the access token; *out is the JSON object. Its sub
 *  must equal sub (OIDC Core 5.3.2): AOIDC_REASON_USERINFO_SUB. With a
 *  client (may be NULL) that has a certificate, the request presents it
 *  at the userinfo mTLS alias (RFC 8705 §3, §5: the token may be bound
 *  to it). A token
 *  of token_type DPoP, when c (may be NULL) has a DPoP key, goes as
 *  "Authorization: DPoP" with a proof carrying ath (RFC 9449 §7.1), and
 *  a 401 use_dpop_nonce challenge is answered once with the nonce (§9). */
AOIDC_API apr_status_t aoidc_client_userinfo(
    json_t **out, const aoidc_http_t *http, const aoidc_metadata_t *md,
    const aoidc_client_t *c, const char *access_token, const char *token_type,
    const char *sub, apr_pool_t *p, aoidc_err_t *err);

/** c with DPoP (RFC 9449): a copy in *tmp whose token requests carry
 *  proofs by key, and whose answers must be DPoP tokens when required;
 *  c itself when key is NULL. Every token request (code, refresh, the
 *  other grants) of a client with a DPoP key sends a proof, retried once
 *  with the nonce of an OP's use_dpop_nonce answer (§8); a DPoP token
 *  answered to a client without a key is AOIDC_REASON_OP_BAD_RESPONSE. */
AOIDC_API const aoidc_client_t *
aoidc_client_dpop(aoidc_client_t *tmp, const aoidc_client_t *c,
                  const struct aoidc_client_key_st *key, bool required);

/** POST token to the introspection endpoint (RFC 7662 §2.1); the answer's
 *  status and body come back unjudged. */
AOIDC_API apr_status_t aoidc_client_introspect(aoidc_http_resp_t *resp,
                                               const aoidc_http_t *http,
                                               const aoidc_metadata_t *md,
                                               const aoidc_client_t *c,
                                               const char *token, apr_pool_t *p,
                                               aoidc_err_t *err);

/** RFC 7009 §2.1: ask the OP to revoke token (a refresh or access token)
 *  at the metadata's revocation_endpoint, with token_type_hint (may be
 *  NULL; "refresh_token" or "access_token") and client authentication as
 *  for the token endpoint (basic preferred; the methods named by
 *  revocation_endpoint_auth_methods_supported when the OP lists them).
 *  APR_SUCCESS on 200 (§2.2: also for a token the OP did not know).
 *  APR_ENOTIMPL (err untouched) when the OP has no revocation endpoint.
 *  Reasons: AOIDC_REASON_TOKEN_ENDPOINT (400/401 with an error, such as
 *  unsupported_token_type, §2.2.1), AOIDC_REASON_OP_BAD_RESPONSE (any
 *  other status, including 503: the caller does not retry at logout), and
 *  the transport reasons of aoidc_http_send. */
AOIDC_API apr_status_t aoidc_client_revoke(const aoidc_http_t *http,
                                           const aoidc_metadata_t *md,
                                           const aoidc_client_t *c,
                                           const char *token,
                                           const char *token_type_hint,
                                           apr_pool_t *p, aoidc_err_t *err);

#endif
