/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthType bearer: the token taken from where the location accepts it
 * (RFC 6750 §2: header by default, form body or query when configured,
 * never more than one method), then one call to core/rs.c.
 */
#include <string.h>

#include "mod_ssl.h"

#include "core/bearer.h"
#include "core/dpop.h"
#include "core/rs.h"
#include "core/seal.h"
#include "core/url.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/metrics.h"
#include "httpd/tls_peer.h"
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
static apr_status_t extract(const char **token, bool *dpop, request_rec *r,
                            const aoidc_dir_conf_t *c, aoidc_err_t *err)
{
    int where = aoidc_conf_accept_in(c), methods = 0;
    *dpop = false;
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
        /* the b64token check is aoidc_rs_authenticate's, skipped for a
         * token its L1 holds */
        rv = aoidc_token_from_header_unchecked(&htok, dpop, hdr, r->pool, err);
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

static int count_header(void *n, const char *key, const char *value)
{
    (void)key;
    (void)value;
    ++*(int *)n;
    return 1;
}

/* The last certificate's thumbprint on this connection: a keep-alive
 * client sends the same certificate with every request, and decoding and
 * hashing it cost twice the rest of the binding check. Keyed by the whole
 * PEM, so a renegotiated certificate is hashed anew. */
typedef struct {
    const char *pem;
    const char *x5t;
} x5t_memo_t;

#define X5T_MEMO "aoidc_x5t"

/* RFC 8705 §3: the TLS client certificate mod_ssl verified (or, with
 * SSLVerifyClient optional_no_ca, took), if any. Asked on every request:
 * only mod_ssl knows whether a renegotiation changed it. From its SSL
 * object where we have it (tls_peer.c), else from SSL_CLIENT_CERT. */
static const char *client_cert_x5t(void *baton, apr_pool_t *p)
{
    static APR_OPTIONAL_FN_TYPE(ssl_var_lookup) * lookup;
    request_rec *r = baton;
    conn_rec *c = r->connection;
    x5t_memo_t *m = NULL;
    const char *pem, *x5t;
    bool known;
    x5t = aoidc_tls_peer_x5t(c, &known);
    if (known) {
        return x5t;
    }
    if (!lookup) {
        lookup = APR_RETRIEVE_OPTIONAL_FN(ssl_var_lookup); /* idempotent */
    }
    pem = lookup ? lookup(p, r->server, c, r, (char *)"SSL_CLIENT_CERT") : NULL;
    if (!pem || !*pem) {
        return NULL;
    }
    apr_pool_userdata_get((void **)&m, X5T_MEMO, c->pool);
    if (m && !strcmp(m->pem, pem)) {
        return m->x5t;
    }
    if (!(x5t = aoidc_cert_thumbprint_pem(pem, strlen(pem), c->pool))) {
        return NULL;
    }
    if (!m) {
        m = apr_palloc(c->pool, sizeof(*m));
        apr_pool_userdata_setn(m, X5T_MEMO, NULL, c->pool);
    }
    m->pem = apr_pstrdup(c->pool, pem);
    m->x5t = x5t;
    return x5t;
}

/* RFC 9449 §4.3 1, 9: exactly one DPoP header; htu is this request's URL
 * as the client addressed it (our origin, the path it sent). */
static apr_status_t sender(aoidc_rs_in_t *in, aoidc_rctx_t *x, aoidc_err_t *err)
{
    request_rec *r = x->r;
    int n = 0;
    in->cert_x5t = client_cert_x5t;
    in->cert_baton = r;
    if (!in->dpop_scheme) {
        /* a proof matters only with the DPoP scheme: a DPoP-bound token
         * sent as Bearer is refused before any proof is looked at */
        return APR_SUCCESS;
    }
    apr_table_do(count_header, &n, r->headers_in, "DPoP", NULL);
    if (n > 1) {
        return aoidc_err_set(err, AOIDC_REASON_DPOP_PROOF, r->pool,
                             "DPoP proof: %d DPoP headers", n);
    }
    in->dpop_proof = apr_table_get(r->headers_in, "DPoP");
    in->method = r->method;
    const char *path = r->unparsed_uri ? r->unparsed_uri : r->uri;
    in->url =
        apr_pstrcat(r->pool, aoidc_origin(x),
                    apr_pstrmemdup(r->pool, path, strcspn(path, "?#")), NULL);
    return APR_SUCCESS;
}

int aoidc_bearer(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_rs_out_t out;
    aoidc_rs_in_t in = {.flight = aoidc_op_flight()};
    apr_status_t rv = extract(&in.token, &in.dpop_scheme, r, x->c, &err);
    x->dpop_used = in.dpop_scheme;
    if (rv == APR_SUCCESS) {
        rv = sender(&in, x, &err);
    }

    if (rv == APR_SUCCESS) {
        rv = aoidc_rs_authenticate(&out, &x->rs, aoidc_op_env(x), &in, &err);
        aoidc_metrics_cache(out.jws ? AOIDC_CACHE_TOKENS
                                    : AOIDC_CACHE_INTROSPECTION,
                            out.cache_hit);
        if (rv != APR_SUCCESS) {
            err.detail =
                apr_psprintf(r->pool, "token %s: %s",
                             aoidc_fingerprint(in.token, r->pool), err.detail);
        }
    }
    if (rv != APR_SUCCESS) {
        return aoidc_fail(x, &err);
    }
    if (out.dpop_nonce) {
        /* RFC 9449 §8: the window turned; err_headers_out so it survives
         * whatever the handler (or a proxied backend) answers */
        apr_table_setn(r->err_headers_out, "DPoP-Nonce", out.dpop_nonce);
    }
    aoidc_set_user_named(x, out.user, out.claims, out.claim_view);
    x->upstream_subject = in.token;
    return OK;
}
