/* SPDX-License-Identifier: Apache-2.0 */
/* OP endpoint calls. */
#include <string.h>

#include "core/client.h"
#include "core/json.h"
#include "core/url.h"

static apr_status_t post_token(aoidc_token_response_t *out,
                               const aoidc_http_t *http,
                               const aoidc_metadata_t *md,
                               const aoidc_client_t *c0, const char *body,
                               apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_client_t c = *c0;
    aoidc_http_req_t req = {md->token_endpoint, NULL, NULL, NULL,
                            AOIDC_EP_TOKEN};
    aoidc_http_resp_t resp;
    apr_status_t rv;
    if (!md->token_endpoint) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "metadata has no token_endpoint");
    }
    /* basic is the RFC 6749 default; post only when basic is not offered */
    c.use_post = !(md->token_auth_methods & AOIDC_AUTH_BASIC)
                 && (md->token_auth_methods & AOIDC_AUTH_POST);
    req.body = aoidc_token_client_auth(&req.authorization, body, &c, p);
    rv = aoidc_http_send(http, &req, &resp, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return aoidc_token_response_parse(out, resp.status, resp.body, resp.len, p,
                                      err);
}

apr_status_t aoidc_client_password(aoidc_token_response_t *out,
                                   const aoidc_http_t *http,
                                   const aoidc_metadata_t *md,
                                   const aoidc_client_t *c, const char *user,
                                   const char *password, const char *scope,
                                   apr_pool_t *p, aoidc_err_t *err)
{
    char *b = "";
    b = aoidc_url_append_param(b, "grant_type", "password", p);
    b = aoidc_url_append_param(b, "username", user, p);
    b = aoidc_url_append_param(b, "password", password, p);
    b = aoidc_url_append_param(b, "scope", scope, p);
    return post_token(out, http, md, c, b, p, err);
}

apr_status_t
aoidc_client_code_exchange(aoidc_token_response_t *out,
                           const aoidc_http_t *http, const aoidc_metadata_t *md,
                           const aoidc_client_t *c, const char *code,
                           const char *redirect_uri, const char *verifier,
                           apr_pool_t *p, aoidc_err_t *err)
{
    char *b = "";
    b = aoidc_url_append_param(b, "grant_type", "authorization_code", p);
    b = aoidc_url_append_param(b, "code", code, p);
    b = aoidc_url_append_param(b, "redirect_uri", redirect_uri, p);
    if (verifier) {
        b = aoidc_url_append_param(b, "code_verifier", verifier, p);
    }
    apr_status_t rv = post_token(out, http, md, c, b, p, err);
    if (rv == APR_SUCCESS && !out->id_token) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "token endpoint: no id_token");
    }
    return rv;
}

apr_status_t
aoidc_client_refresh(aoidc_token_response_t *out, const aoidc_http_t *http,
                     const aoidc_metadata_t *md, const aoidc_client_t *c,
                     const char *refresh_token, apr_pool_t *p, aoidc_err_t *err)
{
    char *b = "";
    b = aoidc_url_append_param(b, "grant_type", "refresh_token", p);
    b = aoidc_url_append_param(b, "refresh_token", refresh_token, p);
    return post_token(out, http, md, c, b, p, err);
}

/* RFC 8707 §2: resource is an absolute URI; anything else is a logical
 * name, sent as audience (RFC 8693 §2.1, and what OPs such as Auth0 take
 * for client_credentials). */
static bool is_absolute_uri(const char *s)
{
    apr_size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    return n > 0 && s[n] == ':' && s[n + 1] && !strchr(s, '#');
}

apr_status_t aoidc_client_credentials(aoidc_token_response_t *out,
                                      const aoidc_http_t *http,
                                      const aoidc_metadata_t *md,
                                      const aoidc_client_t *c,
                                      const char *scope, const char *target,
                                      apr_pool_t *p, aoidc_err_t *err)
{
    char *b = "";
    b = aoidc_url_append_param(b, "grant_type", "client_credentials", p);
    if (scope) {
        b = aoidc_url_append_param(b, "scope", scope, p);
    }
    if (target) {
        b = aoidc_url_append_param(
            b, is_absolute_uri(target) ? "resource" : "audience", target, p);
    }
    return post_token(out, http, md, c, b, p, err);
}

apr_status_t aoidc_client_token_exchange(aoidc_token_response_t *out,
                                         const aoidc_http_t *http,
                                         const aoidc_metadata_t *md,
                                         const aoidc_client_t *c,
                                         const char *subject_token,
                                         const char *scope, const char *target,
                                         apr_pool_t *p, aoidc_err_t *err)
{
    char *b = "";
    b = aoidc_url_append_param(
        b, "grant_type", "urn:ietf:params:oauth:grant-type:token-exchange", p);
    b = aoidc_url_append_param(b, "subject_token", subject_token, p);
    b = aoidc_url_append_param(b, "subject_token_type",
                               "urn:ietf:params:oauth:token-type:access_token",
                               p);
    b = aoidc_url_append_param(b, "requested_token_type",
                               "urn:ietf:params:oauth:token-type:access_token",
                               p);
    if (target) {
        b = aoidc_url_append_param(b, "audience", target, p);
        if (is_absolute_uri(target)) {
            b = aoidc_url_append_param(b, "resource", target, p);
        }
    }
    if (scope) {
        b = aoidc_url_append_param(b, "scope", scope, p);
    }
    return post_token(out, http, md, c, b, p, err);
}

apr_status_t aoidc_client_userinfo(json_t **out, const aoidc_http_t *http,
                                   const aoidc_metadata_t *md,
                                   const char *access_token, const char *sub,
                                   apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_http_req_t req = {md->userinfo_endpoint, NULL,
                            apr_pstrcat(p, "Bearer ", access_token, NULL), NULL,
                            AOIDC_EP_USERINFO};
    aoidc_http_resp_t resp;
    json_t *j;
    apr_status_t rv = aoidc_http_send(http, &req, &resp, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (resp.status != 200
        || aoidc_json_parse(&j, resp.body, resp.len, AOIDC_MAX_JSON_LEN, false,
                            p, err)
               != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "userinfo: status %d or not a JSON object",
                             resp.status);
    }
    const char *usub = aoidc_json_str(j, "sub");
    if (!usub || strcmp(usub, sub)) {
        return aoidc_err_set(err, AOIDC_REASON_USERINFO_SUB, p,
                             "userinfo: sub differs from the ID Token's");
    }
    *out = j;
    return APR_SUCCESS;
}

apr_status_t
aoidc_client_introspect(aoidc_http_resp_t *resp, const aoidc_http_t *http,
                        const aoidc_metadata_t *md, const aoidc_client_t *c0,
                        const char *token, apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_client_t c = *c0;
    aoidc_http_req_t req = {md->introspection_endpoint, NULL, NULL, NULL,
                            AOIDC_EP_INTROSPECTION};
    char *b = "";
    b = aoidc_url_append_param(b, "token", token, p);
    b = aoidc_url_append_param(b, "token_type_hint", "access_token", p);
    c.use_post = !(md->introspection_auth_methods & AOIDC_AUTH_BASIC)
                 && (md->introspection_auth_methods & AOIDC_AUTH_POST);
    req.body = aoidc_token_client_auth(&req.authorization, b, &c, p);
    return aoidc_http_send(http, &req, resp, p, err);
}

apr_status_t aoidc_client_revoke(const aoidc_http_t *http,
                                 const aoidc_metadata_t *md,
                                 const aoidc_client_t *c0, const char *token,
                                 const char *token_type_hint, apr_pool_t *p,
                                 aoidc_err_t *err)
{
    aoidc_client_t c = *c0;
    aoidc_http_req_t req = {md->revocation_endpoint, NULL, NULL, NULL,
                            AOIDC_EP_REVOCATION};
    aoidc_http_resp_t resp;
    json_t *j;
    char *b = "";
    if (!md->revocation_endpoint) {
        return APR_ENOTIMPL;
    }
    b = aoidc_url_append_param(b, "token", token, p);
    if (token_type_hint) {
        b = aoidc_url_append_param(b, "token_type_hint", token_type_hint, p);
    }
    c.use_post = !(md->revocation_auth_methods & AOIDC_AUTH_BASIC)
                 && (md->revocation_auth_methods & AOIDC_AUTH_POST);
    req.body = aoidc_token_client_auth(&req.authorization, b, &c, p);
    apr_status_t rv = aoidc_http_send(http, &req, &resp, p, err);
    if (rv != APR_SUCCESS || resp.status == 200) {
        return rv; /* §2.2: the body of a 200 carries nothing we need */
    }
    if ((resp.status == 400 || resp.status == 401)
        && aoidc_json_parse(&j, resp.body, resp.len, AOIDC_MAX_JSON_LEN, false,
                            p, NULL)
               == APR_SUCCESS
        && aoidc_json_str(j, "error")) {
        return aoidc_err_set(err, AOIDC_REASON_TOKEN_ENDPOINT, p,
                             "revocation endpoint: error %.64s",
                             aoidc_json_str(j, "error"));
    }
    return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                         "revocation endpoint: status %d", resp.status);
}
