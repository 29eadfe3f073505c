/* SPDX-License-Identifier: Apache-2.0 */
/* OP endpoint calls. */
#include <string.h>

#include "core/client.h"
#include "core/client_key.h"
#include "core/dpop_rp.h"
#include "core/json.h"
#include "core/url.h"

/* body (a form we built) names client_id already: a PAR body does */
static bool has_client_id(const char *body)
{
    return !strncmp(body, "client_id=", 10) || strstr(body, "&client_id=");
}

/* RFC 8705 §5: the alias of url for a client presenting a certificate,
 * or url itself when the OP names none. */
static const char *mtls_alias(const aoidc_metadata_t *md, const char *url)
{
    const char *plain[] = {md->token_endpoint, md->par_endpoint,
                           md->introspection_endpoint, md->revocation_endpoint,
                           md->userinfo_endpoint};
    const char *alias[] = {md->mtls.token, md->mtls.par, md->mtls.introspection,
                           md->mtls.revocation, md->mtls.userinfo};
    for (int i = 0; url && i < 5; i++) {
        if (plain[i] && alias[i] && !strcmp(url, plain[i])) {
            return alias[i];
        }
    }
    return url;
}

/* tls_client_auth (RFC 8705 §2.1): the TLS handshake authenticates;
 * the body names the client and carries no secret. */
static apr_status_t tls_client_auth(aoidc_http_req_t *req, const char *body,
                                    const aoidc_client_t *c, apr_pool_t *p,
                                    aoidc_err_t *err)
{
    if (!c->cert) {
        return aoidc_err_set(err, AOIDC_REASON_CONFIG, p,
                             "tls_client_auth without AuthOIDCClientCert");
    }
    req->authorization = NULL;
    req->body = has_client_id(body) ? body
                                    : aoidc_url_append_param(body, "client_id",
                                                             c->client_id, p);
    return APR_SUCCESS;
}

#define ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

apr_status_t aoidc_client_authenticate(aoidc_http_req_t *req, const char *body,
                                       const aoidc_client_t *c0,
                                       const aoidc_metadata_t *md,
                                       unsigned methods, apr_pool_t *p,
                                       aoidc_err_t *err)
{
    aoidc_client_t c = *c0;
    bool has_key = c.keys && c.keys->nelts > 0;
    char *a;
    if (c.cert) {
        /* RFC 8705 §3: a certificate goes with every call, whatever
         * authenticates, so that the OP can bind the tokens to it */
        req->cert = c.cert;
        req->url = mtls_alias(md, req->url);
    }
    if (c.method == AOIDC_CLIENT_AUTH_TLS
        || (c.method == AOIDC_CLIENT_AUTH_AUTO && c.cert && !has_key
            && !c.client_secret)) {
        return tls_client_auth(req, body, &c, p, err);
    }
    if (c.method == AOIDC_CLIENT_AUTH_PRIVATE_KEY_JWT
        || (c.method == AOIDC_CLIENT_AUTH_AUTO && has_key)) {
        if (!has_key) {
            return aoidc_err_set(err, AOIDC_REASON_CONFIG, p,
                                 "private_key_jwt without AuthOIDCClientKey");
        }
        /* OIDC Core §9: aud is the OP; oidc-provider, Keycloak and FAPI 2.0
         * take the issuer, which is also the same for every endpoint */
        apr_status_t rv = aoidc_client_assertion(
            &a, APR_ARRAY_IDX(c.keys, 0, const aoidc_client_key_t *),
            md->assertion_ps256, c.client_id, md->issuer, apr_time_now(), p,
            err);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (!has_client_id(body)) {
            body = aoidc_url_append_param(body, "client_id", c.client_id, p);
        }
        body = aoidc_url_append_param(body, "client_assertion_type",
                                      ASSERTION_TYPE, p);
        req->body = aoidc_url_append_param(body, "client_assertion", a, p);
        req->authorization = NULL;
        return APR_SUCCESS;
    }
    /* basic is the RFC 6749 default; post only when basic is not offered */
    c.use_post =
        c.method == AOIDC_CLIENT_AUTH_POST
        || (c.method == AOIDC_CLIENT_AUTH_AUTO && !(methods & AOIDC_AUTH_BASIC)
            && (methods & AOIDC_AUTH_POST));
    if (has_client_id(body) && (!c.client_secret || c.use_post)) {
        /* a pushed authorization request carries client_id already, and
         * a repeated parameter is refused (RFC 9126 §2.1, RFC 6749 §3.1) */
        req->authorization = NULL;
        req->body = c.client_secret ? aoidc_url_append_param(
                        body, "client_secret", c.client_secret, p)
                                    : body;
        return APR_SUCCESS;
    }
    req->body = aoidc_token_client_auth(&req->authorization, body, &c, p);
    return APR_SUCCESS;
}

/* A DPoP proof for req when c has a DPoP key (RFC 9449 §5; §7.1 with the
 * token when the call presents one). */
static apr_status_t add_proof(aoidc_http_req_t *req, const aoidc_client_t *c,
                              const char *token, const char *nonce,
                              apr_pool_t *p, aoidc_err_t *err)
{
    char *proof;
    apr_status_t rv;
    if (!c->dpop_key) {
        return APR_SUCCESS;
    }
    rv = aoidc_dpop_proof(&proof, c->dpop_key, req->body ? "POST" : "GET",
                          req->url, token, nonce, apr_time_now(), p, err);
    req->dpop = rv == APR_SUCCESS ? proof : NULL;
    return rv;
}

/* RFC 9449 §5: a DPoP token only when a proof went with the request, and
 * (AuthOIDCProfile fapi2) nothing but one when it must be bound. */
static apr_status_t check_binding(const aoidc_token_response_t *out,
                                  const aoidc_client_t *c, apr_pool_t *p,
                                  aoidc_err_t *err)
{
    bool dpop = !strcasecmp(out->token_type, "DPoP");
    if (dpop && !c->dpop_key) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "token endpoint: a DPoP token without a proof");
    }
    if (!dpop && c->dpop_required) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "token endpoint: a %.16s token where a DPoP-bound "
                             "one is required (AuthOIDCProfile fapi2)",
                             out->token_type);
    }
    return APR_SUCCESS;
}

static apr_status_t post_token(aoidc_token_response_t *out,
                               const aoidc_http_t *http,
                               const aoidc_metadata_t *md,
                               const aoidc_client_t *c0, const char *body,
                               apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_http_req_t req = {md->token_endpoint, NULL, NULL, NULL,
                            AOIDC_EP_TOKEN,     NULL, NULL};
    aoidc_http_resp_t resp;
    const char *nonce = NULL;
    apr_status_t rv;
    if (!md->token_endpoint) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "metadata has no token_endpoint");
    }
    /* RFC 9449 §8: at most one retry, with the nonce the OP demanded; the
     * client authentication is made afresh (an assertion's jti is single
     * use at the OP) */
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((rv = aoidc_client_authenticate(&req, body, c0, md,
                                            md->token_auth_methods, p, err))
                != APR_SUCCESS
            || (rv = add_proof(&req, c0, NULL, nonce, p, err)) != APR_SUCCESS
            || (rv = aoidc_http_send(http, &req, &resp, p, err))
                   != APR_SUCCESS) {
            return rv;
        }
        if (!c0->dpop_key || attempt
            || !aoidc_dpop_nonce_challenge(&nonce, &resp, p)) {
            break;
        }
    }
    rv = aoidc_token_response_parse(out, resp.status, resp.body, resp.len, p,
                                    err);
    return rv == APR_SUCCESS ? check_binding(out, c0, p, err) : rv;
}

const aoidc_client_t *aoidc_client_dpop(aoidc_client_t *tmp,
                                        const aoidc_client_t *c,
                                        const aoidc_client_key_t *key,
                                        bool required)
{
    if (!key || !c) {
        return c;
    }
    *tmp = *c;
    tmp->dpop_key = key;
    tmp->dpop_required = required;
    return tmp;
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
                                   const aoidc_client_t *c,
                                   const char *access_token,
                                   const char *token_type, const char *sub,
                                   apr_pool_t *p, aoidc_err_t *err)
{
    bool dpop =
        c && c->dpop_key && token_type && !strcasecmp(token_type, "DPoP");
    /* RFC 9449 §7.1: a DPoP-bound token goes with its scheme and a proof */
    aoidc_http_req_t req = {
        md->userinfo_endpoint,
        NULL,
        apr_pstrcat(p, dpop ? "DPoP " : "Bearer ", access_token, NULL),
        NULL,
        AOIDC_EP_USERINFO,
        NULL,
        NULL};
    aoidc_http_resp_t resp;
    const char *nonce = NULL;
    json_t *j;
    apr_status_t rv;
    if (c && c->cert) {
        /* RFC 8705 §3: a certificate-bound token goes with its certificate */
        req.cert = c->cert;
        req.url = mtls_alias(md, req.url);
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((dpop
             && (rv = add_proof(&req, c, access_token, nonce, p, err))
                    != APR_SUCCESS)
            || (rv = aoidc_http_send(http, &req, &resp, p, err))
                   != APR_SUCCESS) {
            return rv;
        }
        if (!dpop || attempt || !aoidc_dpop_nonce_challenge(&nonce, &resp, p)) {
            break;
        }
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
    aoidc_http_req_t req = {md->introspection_endpoint, NULL, NULL, NULL,
                            AOIDC_EP_INTROSPECTION,     NULL, NULL};
    char *b = "";
    apr_status_t rv;
    b = aoidc_url_append_param(b, "token", token, p);
    b = aoidc_url_append_param(b, "token_type_hint", "access_token", p);
    rv = aoidc_client_authenticate(&req, b, c0, md,
                                   md->introspection_auth_methods, p, err);
    return rv != APR_SUCCESS ? rv : aoidc_http_send(http, &req, resp, p, err);
}

apr_status_t aoidc_client_revoke(const aoidc_http_t *http,
                                 const aoidc_metadata_t *md,
                                 const aoidc_client_t *c0, const char *token,
                                 const char *token_type_hint, apr_pool_t *p,
                                 aoidc_err_t *err)
{
    aoidc_http_req_t req = {md->revocation_endpoint, NULL, NULL, NULL,
                            AOIDC_EP_REVOCATION,     NULL, NULL};
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
    apr_status_t rv = aoidc_client_authenticate(
        &req, b, c0, md, md->revocation_auth_methods, p, err);
    if (rv == APR_SUCCESS) {
        rv = aoidc_http_send(http, &req, &resp, p, err);
    }
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

apr_status_t aoidc_client_par(const char **request_uri,
                              const aoidc_http_t *http,
                              const aoidc_metadata_t *md,
                              const aoidc_client_t *c, const char *params,
                              apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_http_req_t req = {md->par_endpoint, NULL, NULL, NULL,
                            AOIDC_EP_OTHER,   NULL, NULL};
    aoidc_http_resp_t resp;
    apr_status_t rv;
    if (!md->par_endpoint) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "PAR needed (AuthOIDCPAR on, or the OP sets "
                             "require_pushed_authorization_requests) but the "
                             "OP has no pushed_authorization_request_endpoint");
    }
    /* the token endpoint's methods: RFC 9126 §2 authenticates as there */
    if ((rv = aoidc_client_authenticate(&req, params, c, md,
                                        md->token_auth_methods, p, err))
            != APR_SUCCESS
        || (rv = aoidc_http_send(http, &req, &resp, p, err)) != APR_SUCCESS) {
        return rv;
    }
    return aoidc_par_response_parse(request_uri, resp.status, resp.body,
                                    resp.len, p, err);
}

apr_status_t aoidc_par_response_parse(const char **request_uri, int status,
                                      const char *body, apr_size_t len,
                                      apr_pool_t *p, aoidc_err_t *err)
{
    json_t *j = NULL;
    const char *u, *e;
    aoidc_json_parse(&j, body, len, AOIDC_MAX_JSON_LEN, false, p, NULL);
    u = j ? aoidc_json_str(j, "request_uri") : NULL;
    if (status != 201 || !u) {
        e = j ? aoidc_json_str(j, "error") : NULL;
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "PAR endpoint: status %d, error %.64s", status,
                             e ? e : "-");
    }
    /* RFC 9126 §2.2: it goes into the browser's URL as one parameter */
    if (!*u || strlen(u) > AOIDC_PAR_URI_MAX
        || strspn(u, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                     ":-._~/%+=")
               != strlen(u)) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "PAR endpoint: malformed request_uri");
    }
    *request_uri = u;
    return APR_SUCCESS;
}
