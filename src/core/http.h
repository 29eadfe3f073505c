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

typedef struct {
    const char *url;
    const char *body;          /* NULL: GET; else POST form body */
    const char *authorization; /* full header value, or NULL */
    const char *accept;        /* default application/json */
} aoidc_http_req_t;

typedef struct {
    int status;
    const char *body; /* NUL-terminated */
    apr_size_t len;
} aoidc_http_resp_t;

typedef struct aoidc_http_t aoidc_http_t;
typedef apr_status_t (*aoidc_http_send_cb)(const aoidc_http_t *h,
                                           const aoidc_http_req_t *req,
                                           aoidc_http_resp_t *resp,
                                           apr_pool_t *p, aoidc_err_t *err);
struct aoidc_http_t {
    aoidc_http_send_cb send;
    void *baton;
    apr_interval_time_t timeout; /* whole request */
    apr_size_t max_body;
};

/** Send req. On transport failure (connect, TLS, timeout, too big) fail
 *  with AOIDC_REASON_OP_UNREACHABLE or AOIDC_REASON_OP_BAD_RESPONSE. Any
 *  HTTP status is a success at this level; callers judge it. The URL must
 *  already have passed aoidc_url_check_endpoint. */
AOIDC_API apr_status_t aoidc_http_send(const aoidc_http_t *h,
                                       const aoidc_http_req_t *req,
                                       aoidc_http_resp_t *resp, apr_pool_t *p,
                                       aoidc_err_t *err);

/** The libcurl implementation. Call curl_global_init once per process
 *  before first use (the glue does, in post_config). */
AOIDC_API void aoidc_http_curl_init(aoidc_http_t *h,
                                    apr_interval_time_t timeout);

#endif
