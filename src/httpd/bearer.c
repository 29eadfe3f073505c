/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthType bearer: the token taken from where the location accepts it
 * (RFC 6750 §2: header by default, form body or query when configured,
 * never more than one method), then one call to core/rs.c.
 */
#include <string.h>

#include "core/rs.h"
#include "core/seal.h"
#include "core/url.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/op.h"

#define MAX_FORM (64 * 1024)

/* access_token from a query string or form body: at most once, b64token. */
static apr_status_t param_token(const char **tok, const char *params,
                                request_rec *r, aoidc_err_t *err)
{
    int count;
    aoidc_url_find_param(tok, &count, params, "access_token", r->pool);
    if (count > 1
        || (count && (!*tok || !aoidc_bearer_token_syntax_ok(*tok)))) {
        return aoidc_err_set(err, AOIDC_REASON_BEARER_SYNTAX, r->pool,
                             "access_token parameter repeated or malformed");
    }
    return APR_SUCCESS;
}

static bool is_form(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    return r->method_number == M_POST && ct
           && !strncasecmp(ct, "application/x-www-form-urlencoded", 33)
           && (ct[33] == '\0' || ct[33] == ';' || ct[33] == ' ');
}

/* The token, from where this location accepts it; RFC 6750 §2: a request
 * using more than one method is malformed. */
static apr_status_t extract(const char **token, request_rec *r,
                            const aoidc_dir_conf_t *c, aoidc_err_t *err)
{
    int where = aoidc_conf_accept_in(c), methods = 0;
    const char *hdr, *qtok = NULL, *ftok = NULL, *body;
    const char *htok = NULL;
    apr_status_t rv;

    *token = NULL;
    if ((where & AOIDC_ACCEPT_QUERY) && r->args
        && (rv = param_token(&qtok, r->args, r, err)) != APR_SUCCESS) {
        return rv;
    }
    if ((where & AOIDC_ACCEPT_FORM) && is_form(r)) {
        if ((rv = aoidc_read_body(&body, r, MAX_FORM, err)) != APR_SUCCESS
            || (rv = param_token(&ftok, body, r, err)) != APR_SUCCESS) {
            return rv;
        }
    }
    hdr = (where & AOIDC_ACCEPT_HEADER)
              ? apr_table_get(r->headers_in, "Authorization")
              : NULL;
    if (hdr) {
        rv = aoidc_bearer_from_header(&htok, hdr, r->pool, err);
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
            return rv;
        }
    }
    methods = !!htok + !!qtok + !!ftok;
    if (methods > 1) {
        return aoidc_err_set(err, AOIDC_REASON_BEARER_SYNTAX, r->pool,
                             "token sent by more than one method");
    }
    *token = htok ? htok : qtok ? qtok : ftok;
    if (!*token) {
        aoidc_err_set(err, AOIDC_REASON_NO_CREDENTIALS, r->pool, "no token");
        return APR_NOTFOUND;
    }
    return APR_SUCCESS;
}

int aoidc_bearer(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_rs_out_t out;
    aoidc_rs_in_t in = {NULL, aoidc_op_flight()};
    apr_status_t rv = extract(&in.token, r, x->c, &err);

    if (rv == APR_SUCCESS) {
        rv = aoidc_rs_authenticate(&out, &x->rs, aoidc_op_env(x), &in, &err);
        if (rv != APR_SUCCESS) {
            err.detail =
                apr_psprintf(r->pool, "token %s: %s",
                             aoidc_fingerprint(in.token, r->pool), err.detail);
        }
    }
    if (rv != APR_SUCCESS) {
        return aoidc_fail(x, &err);
    }
    aoidc_set_user(x, out.user, out.claims);
    x->upstream_subject = in.token;
    return OK;
}
