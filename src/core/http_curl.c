/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl behind http.h: TLS verified, no redirects, capped size and time. */
#include <string.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <apr_file_io.h>
#include <apr_strings.h>

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

/* The two answer headers the DPoP client reads (http.h); others are
 * ignored. libcurl hands over one header line at a time, also those of
 * any 1xx answer, so the last value wins. */
typedef struct {
    aoidc_http_resp_t *resp;
    apr_pool_t *p;
} hsink_t;

/* The value of line (n bytes, with its CRLF) when it is the header name,
 * trimmed, as a string in p; else NULL. */
static const char *header_value(const char *line, size_t n, const char *name,
                                apr_pool_t *p)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) || line[k] != ':') {
        return NULL;
    }
    line += k + 1;
    n -= k + 1;
    while (n && (*line == ' ' || *line == '\t')) {
        line++, n--;
    }
    while (n && line[n - 1] && strchr(" \t\r\n", line[n - 1])) {
        n--;
    }
    return n <= AOIDC_HTTP_HEADER_MAX ? apr_pstrmemdup(p, line, n) : NULL;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    hsink_t *h = ud;
    size_t n = size * nmemb;
    const char *v;
    if ((v = header_value(line, n, "DPoP-Nonce", h->p))) {
        h->resp->dpop_nonce = v;
    }
    else if ((v = header_value(line, n, "WWW-Authenticate", h->p))) {
        h->resp->www_authenticate = v;
    }
    return n;
}

/* The CA file and the proxy. Without a proxy "" keeps libcurl from
 * reading http_proxy and friends from httpd's environment: the default is
 * "none", not whatever envvars happen to say. With one, no_proxy is
 * ignored for the same reason. libcurl's error buffer holds host names
 * and TLS messages, never the proxy's credentials. */
static void set_transport(CURL *c, const aoidc_http_t *h, char *ebuf)
{
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    if (h->ca_pem) {
        struct curl_blob b = {(void *)h->ca_pem, h->ca_pem_len, CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
        curl_easy_setopt(c, CURLOPT_PROXY_CAINFO_BLOB, &b);
        curl_easy_setopt(c, CURLOPT_PROXY_CAPATH, NULL);
    }
    curl_easy_setopt(c, CURLOPT_PROXY, h->proxy ? h->proxy : "");
    if (h->proxy) {
        curl_easy_setopt(c, CURLOPT_NOPROXY, "");
    }
}

/* RFC 8705: the client certificate from memory, never a file (httpd has
 * dropped its privileges by now). libcurl copies the blobs; each request
 * has its own handle, so no connection made with one client's
 * certificate is reused for another's request. */
static void set_client_cert(CURL *c, const aoidc_http_cert_t *cert)
{
    if (!cert) {
        return;
    }
    struct curl_blob cb = {(void *)cert->cert_pem, cert->cert_len,
                           CURL_BLOB_COPY};
    struct curl_blob kb = {(void *)cert->key_pem, cert->key_len,
                           CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cb);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &kb);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
}

/* A certificate nobody here vouches for is no outage but a trust problem
 * (a missing AuthOIDCCABundle, or someone in the middle). */
static aoidc_reason_t failure_reason(CURLcode cc)
{
    switch (cc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return AOIDC_REASON_OP_INSECURE;
    default:
        return AOIDC_REASON_OP_UNREACHABLE;
    }
}

static apr_status_t curl_send(const aoidc_http_t *h,
                              const aoidc_http_req_t *req,
                              aoidc_http_resp_t *resp, apr_pool_t *p,
                              aoidc_err_t *err)
{
    sink_t s = {apr_palloc(p, 4096), 0, 4096, h->max_body, p, false};
    hsink_t hs = {resp, p};
    struct curl_slist *hdrs = NULL;
    long status = 0;
    long ms = (long)apr_time_as_msec(h->timeout);
    char ebuf[CURL_ERROR_SIZE] = "";
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
    if (req->dpop) {
        hdrs =
            curl_slist_append(hdrs, apr_pstrcat(p, "DPoP: ", req->dpop, NULL));
    }
    resp->dpop_nonce = resp->www_authenticate = NULL;
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
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hs);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
    }
    set_transport(c, h, ebuf);
    set_client_cert(c, req->cert);
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
        return aoidc_err_set(
            err, failure_reason(cc), p, "http: %.200s%s%.200s%s: %s", req->url,
            h->proxy ? " (via proxy " : "",
            h->proxy ? (h->proxy_shown ? h->proxy_shown : "***") : "",
            h->proxy ? ")" : "", *ebuf ? ebuf : curl_easy_strerror(cc));
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
    h->ca_pem = NULL;
    h->ca_pem_len = 0;
    h->proxy = NULL;
    h->proxy_shown = NULL;
}

/* How many certificates OpenSSL reads from pem (stops at the first
 * block that does not parse). */
static int count_certs(const char *pem, apr_size_t len)
{
    int n = 0;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x;
    while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        X509_free(x);
        n++;
    }
    BIO_free(b);
    return n;
}

apr_status_t aoidc_http_ca_load(const char **pem, apr_size_t *len,
                                const char *path, apr_pool_t *p,
                                aoidc_err_t *err)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf, msg[120];
    apr_status_t rv = apr_file_open(&f, path, APR_READ, 0, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    }
    if (rv != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "cannot read %.200s: %s", path,
                             apr_strerror(rv, msg, sizeof(msg)));
    }
    if (fi.size <= 0 || fi.size > 4 * 1024 * 1024) {
        apr_file_close(f);
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "%.200s must be 1 byte to 4 MiB", path);
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    rv = apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "cannot read %.200s", path);
    }
    buf[n] = '\0';
    if (count_certs(buf, n) < 1) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "%.200s holds no PEM certificate "
                             "(-----BEGIN CERTIFICATE-----)",
                             path);
    }
    *pem = buf;
    *len = n;
    return APR_SUCCESS;
}
