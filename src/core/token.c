/* SPDX-License-Identifier: Apache-2.0 */
/* Token endpoint request assembly and response parsing. */
#include <string.h>

#include <apr_lib.h>
#include <openssl/evp.h>

#include "core/json.h"
#include "core/token.h"
#include "core/url.h"

const char *aoidc_token_client_auth(const char **authorization,
                                    const char *body, const aoidc_client_t *c,
                                    apr_pool_t *p)
{
    *authorization = NULL;
    if (!c->client_secret || c->use_post) {
        body = aoidc_url_append_param(body, "client_id", c->client_id, p);
        if (c->client_secret) {
            body = aoidc_url_append_param(body, "client_secret",
                                          c->client_secret, p);
        }
        return body;
    }
    const char *pair = apr_pstrcat(p, aoidc_url_encode(c->client_id, p), ":",
                                   aoidc_url_encode(c->client_secret, p), NULL);
    apr_size_t n = strlen(pair);
    char *b64 = apr_palloc(p, 4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)pair, (int)n);
    *authorization = apr_pstrcat(p, "Basic ", b64, NULL);
    return body;
}

/* RFC 6750 §2.1 b64token: what an access token must look like, since it
 * goes verbatim into "Authorization: Bearer ..." towards the userinfo
 * endpoint and, with AuthOIDCPassAccessToken, into a request header. */
static bool is_b64token(const char *t)
{
    const char *s = t;
    while (apr_isalnum(*s) || (*s && strchr("-._~+/", *s))) {
        s++;
    }
    if (s == t) {
        return false;
    }
    while (*s == '=') {
        s++;
    }
    return *s == '\0';
}

/* RFC 6749 Appendix A.17 (refresh-token = 1*VSCHAR) without the space:
 * visible ASCII only, so no CR/LF, no NUL, nothing that can split a header
 * or a form body. ID Tokens (compact JWS) satisfy it too. */
static bool is_vschar(const char *t)
{
    if (!*t) {
        return false;
    }
    for (const unsigned char *c = (const unsigned char *)t; *c; c++) {
        if (*c < 0x21 || *c > 0x7e) {
            return false;
        }
    }
    return true;
}

/* RFC 6749 §3.3 scope: scope-tokens of NQCHAR separated by spaces; we only
 * insist on printable ASCII (no control characters). */
static bool is_printable(const char *t)
{
    for (const unsigned char *c = (const unsigned char *)t; *c; c++) {
        if (*c < 0x20 || *c > 0x7e) {
            return false;
        }
    }
    return true;
}

static apr_status_t check_tokens(const aoidc_token_response_t *out,
                                 apr_pool_t *p, aoidc_err_t *err)
{
    const char *bad = NULL;
    if (!is_b64token(out->access_token)) {
        bad = "access_token is not a b64token";
    }
    else if (out->refresh_token
             && (!is_vschar(out->refresh_token)
                 || strlen(out->refresh_token) > AOIDC_MAX_TOKEN_LEN)) {
        bad = "refresh_token has characters outside VSCHAR or is too long";
    }
    else if (out->id_token
             && (!is_vschar(out->id_token)
                 || strlen(out->id_token) > AOIDC_MAX_OP_TOKEN_LEN)) {
        bad = "id_token has characters outside VSCHAR or is too long";
    }
    else if (out->scope && !is_printable(out->scope)) {
        bad = "scope has control characters";
    }
    if (bad) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "token endpoint: %s", bad);
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_token_response_parse(aoidc_token_response_t *out, int status,
                                        const char *body, apr_size_t len,
                                        apr_pool_t *p, aoidc_err_t *err)
{
    json_t *j;
    apr_int64_t n;
    memset(out, 0, sizeof(*out));
    out->expires_in = -1;
    if (aoidc_json_parse(&j, body, len, AOIDC_MAX_JSON_LEN, false, p, err)
        != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "token endpoint: status %d, %s", status,
                             err ? err->detail : "not JSON");
    }
    if (status != 200) {
        const char *e = aoidc_json_str(j, "error");
        if ((status == 400 || status == 401) && e) {
            const char *d = aoidc_json_str(j, "error_description");
            apr_status_t rv = aoidc_err_set(
                err, AOIDC_REASON_TOKEN_ENDPOINT, p,
                "token endpoint: error %.64s (%.200s)", e, d ? d : "-");
            if (err) {
                /* the refresh flow tells invalid_grant (the session ends)
                 * from everything else (try again later) by this */
                err->op_error = apr_pstrndup(p, e, 64);
            }
            return rv;
        }
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "token endpoint: status %d", status);
    }
    out->access_token = aoidc_json_str(j, "access_token");
    out->token_type = aoidc_json_str(j, "token_type");
    out->id_token = aoidc_json_str(j, "id_token");
    out->refresh_token = aoidc_json_str(j, "refresh_token");
    out->scope = aoidc_json_str(j, "scope");
    if (aoidc_json_int(j, "expires_in", &n) && n >= 0) {
        /* clamped: whoever turns it into apr_time_t cannot overflow */
        out->expires_in = n > AOIDC_TIME_MAX_SEC ? AOIDC_TIME_MAX_SEC : n;
    }
    if (!out->access_token || !*out->access_token || !out->token_type
        || (strcasecmp(out->token_type, "Bearer")
            && strcasecmp(out->token_type, "DPoP"))
        || strlen(out->access_token) > AOIDC_MAX_TOKEN_LEN) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "token endpoint: no usable access_token");
    }
    return check_tokens(out, p, err);
}

apr_time_t aoidc_token_expiry(const aoidc_token_response_t *tr, apr_time_t now)
{
    return tr->expires_in > 0 ? aoidc_time_after(now, tr->expires_in) : 0;
}
