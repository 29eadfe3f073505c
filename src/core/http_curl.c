/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl behind http.h: TLS verified, no redirects, capped size and time. */
#include <string.h>

#include <curl/curl.h>

#include "core/http.h"

apr_status_t aoidc_http_send(const aoidc_http_t *h, const aoidc_http_req_t *req,
                             aoidc_http_resp_t *resp, apr_pool_t *p,
                             aoidc_err_t *err)
{
    apr_time_t t0;
    apr_status_t rv;
    if (!h->observe) {
        return h->send(h, req, resp, p, err);
    }
    t0 = apr_time_now();
    rv = h->send(h, req, resp, p, err);
    h->observe(req->endpoint, rv, rv == APR_SUCCESS ? resp->status : 0,
               apr_time_now() - t0);
    return rv;
}

typedef struct {
    char *buf;
    apr_size_t len, cap, max;
    apr_pool_t *p;
    bool overflow;
} sink_t;

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
    sink_t *s = ud;
    size_t n = size * nmemb;
    if (s->len + n > s->max) {
        s->overflow = true;
        return 0; /* aborts the transfer */
    }
    if (s->len + n + 1 > s->cap) {
        apr_size_t cap = (s->len + n + 1) * 2;
        char *nb = apr_palloc(s->p, cap);
        memcpy(nb, s->buf, s->len);
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return n;
}

static apr_status_t curl_send(const aoidc_http_t *h,
                              const aoidc_http_req_t *req,
                              aoidc_http_resp_t *resp, apr_pool_t *p,
                              aoidc_err_t *err)
{
    sink_t s = {apr_palloc(p, 4096), 0, 4096, h->max_body, p, false};
    struct curl_slist *hdrs = NULL;
    long status = 0;
    long ms = (long)apr_time_as_msec(h->timeout);
    CURL *c = curl_easy_init();
    if (!c) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p, "curl init");
    }
    hdrs = curl_slist_append(
        hdrs, apr_pstrcat(
                  p, "Accept: ", req->accept ? req->accept : "application/json",
                  NULL));
    if (req->authorization) {
        hdrs = curl_slist_append(
            hdrs, apr_pstrcat(p, "Authorization: ", req->authorization, NULL));
    }
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 5000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 5000L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mod_auth_oidc/" AOIDC_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
    }
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    if (s.overflow || cc == CURLE_FILESIZE_EXCEEDED) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "http: response from %.200s over %" APR_SIZE_T_FMT
                             " bytes",
                             req->url, h->max_body);
    }
    if (cc != CURLE_OK) {
        return aoidc_err_set(err, AOIDC_REASON_OP_UNREACHABLE, p,
                             "http: %.200s: %s", req->url,
                             curl_easy_strerror(cc));
    }
    s.buf[s.len] = '\0';
    resp->status = (int)status;
    resp->body = s.buf;
    resp->len = s.len;
    return APR_SUCCESS;
}

void aoidc_http_curl_init(aoidc_http_t *h, apr_interval_time_t timeout)
{
    h->send = curl_send;
    h->baton = NULL;
    h->timeout = timeout;
    h->max_body = AOIDC_MAX_JWKS_LEN;
    h->observe = NULL; /* the glue sets its metrics observer */
}
