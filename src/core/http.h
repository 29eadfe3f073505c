/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Outbound HTTP seam: the core asks for one request and gets one response.
 * Production uses libcurl (http_curl.c); unit tests and fuzzers pass a fake.
 * Implementations must verify TLS, follow no redirects, cap the response
 * size and give up after the timeout.
 */
#ifndef AOIDC_CORE_HTTP_H
#define AOIDC_CORE_HTTP_H

#include "core/err.h"

/* Which OP endpoint a request calls: for the observer (metrics) only. */
typedef enum {
    AOIDC_EP_OTHER = 0,
    AOIDC_EP_DISCOVERY, /* .well-known/openid-configuration */
    AOIDC_EP_JWKS,      /* jwks_uri: first fetches and refetches */
    AOIDC_EP_TOKEN,
    AOIDC_EP_USERINFO,
    AOIDC_EP_INTROSPECTION,
    AOIDC_EP_REVOCATION,
    AOIDC_EP__COUNT
} aoidc_http_endpoint_t;

/* A TLS client certificate (RFC 8705) to present, from
 * aoidc_client_cert_parse (client_cert.h): PEM texts, NUL-terminated. */
typedef struct {
    const char *cert_pem; /* the certificate, then its chain */
    apr_size_t cert_len;
    const char *key_pem; /* its private key (secret: never logged) */
    apr_size_t key_len;
    const char *x5t_s256; /* base64url SHA-256 of the certificate's DER */
} aoidc_http_cert_t;

typedef struct {
    const char *url;
    const char *body;          /* NULL: GET; else POST form body */
    const char *authorization; /* full header value, or NULL */
    const char *accept;        /* default application/json */
    aoidc_http_endpoint_t endpoint;
    const char *dpop; /* RFC 9449 DPoP header value (a proof), or NULL */
    /* presented in the TLS handshake of an https URL; NULL: none */
    const aoidc_http_cert_t *cert;
} aoidc_http_req_t;

typedef struct {
    int status;
    const char *body; /* NUL-terminated */
    apr_size_t len;
    /* RFC 9449 §8/§9: the answer's DPoP-Nonce and WWW-Authenticate header
     * values (the last of each, at most AOIDC_HTTP_HEADER_MAX bytes, else
     * NULL); implementations set both (NULL when absent) */
    const char *dpop_nonce;
    const char *www_authenticate;
} aoidc_http_resp_t;

#define AOIDC_HTTP_HEADER_MAX 1024

typedef struct aoidc_http_t aoidc_http_t;
typedef apr_status_t (*aoidc_http_send_cb)(const aoidc_http_t *h,
                                           const aoidc_http_req_t *req,
                                           aoidc_http_resp_t *resp,
                                           apr_pool_t *p, aoidc_err_t *err);
/* Told about every request once it is done: the endpoint, the transport
 * result, the HTTP status (0 without an answer) and how long it took.
 * Called from any thread; it never sees a URL, body or header. */
typedef void (*aoidc_http_observe_cb)(aoidc_http_endpoint_t endpoint,
                                      apr_status_t rv, int status,
                                      apr_interval_time_t took);
struct aoidc_http_t {
    aoidc_http_send_cb send;
    void *baton;
    apr_interval_time_t timeout; /* whole request */
    apr_size_t max_body;
    aoidc_http_observe_cb observe; /* may be NULL */
    /* PEM text of the CAs trusted for https (the OP's, and an https
     * proxy's), from aoidc_http_ca_load; replaces the system store.
     * NULL: the system store. */
    const char *ca_pem;
    apr_size_t ca_pem_len;
    /* http(s)://[user:pass@]host:port every request goes through (https
     * URLs by CONNECT), checked by aoidc_url_check_proxy. NULL: direct,
     * whatever http_proxy/https_proxy/no_proxy say in the environment. */
    const char *proxy;
    const char *proxy_shown; /* proxy without its password, for details */
};

/** Send req. On transport failure (connect, TLS, timeout, too big) fail
 *  with AOIDC_REASON_OP_UNREACHABLE or AOIDC_REASON_OP_BAD_RESPONSE. Any
 *  HTTP status is a success at this level; callers judge it. The URL must
 *  already have passed aoidc_url_check_endpoint. */
AOIDC_API apr_status_t aoidc_http_send(const aoidc_http_t *h,
                                       const aoidc_http_req_t *req,
                                       aoidc_http_resp_t *resp, apr_pool_t *p,
                                       aoidc_err_t *err);

/** The libcurl implementation (ca_file and proxy NULL). Call
 *  curl_global_init once per process before first use (the glue does, in
 *  post_config). A certificate the CAs do not vouch for fails with
 *  AOIDC_REASON_OP_INSECURE; the detail never holds the proxy URL. */
AOIDC_API void aoidc_http_curl_init(aoidc_http_t *h,
                                    apr_interval_time_t timeout);

/** Read the PEM CA bundle at path (at most 4 MiB) into *pem / *len (in
 *  p, NUL-terminated), so that no request opens a file after httpd drops
 *  its privileges. Fails with AOIDC_REASON_MALFORMED when the file cannot
 *  be read, is too big, or holds no X.509 certificate OpenSSL can parse;
 *  the detail says which. */
AOIDC_API apr_status_t aoidc_http_ca_load(const char **pem, apr_size_t *len,
                                          const char *path, apr_pool_t *p,
                                          aoidc_err_t *err);

#endif
