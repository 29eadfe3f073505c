/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/http_curl.c against a one-shot HTTP server on 127.0.0.1 in a thread:
 * statuses pass through, redirects are not followed, the size cap and the
 * timeout hold, only http/https are spoken. No network beyond loopback.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "unit.h"

typedef struct {
    int lfd;
    int port;
    const char *response; /* sent verbatim; NULL: hold the line, send nothing */
    apr_size_t response_len;
    unsigned hold_ms;
    char request[8192];
    pthread_t thread;
} server_t;

static void *serve(void *arg)
{
    server_t *s = arg;
    int fd = accept(s->lfd, NULL, NULL);
    apr_size_t got = 0;
    if (fd < 0) {
        return NULL;
    }
    /* read headers, then a body as long as Content-Length says */
    for (;;) {
        ssize_t n = read(fd, s->request + got, sizeof(s->request) - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (apr_size_t)n;
        s->request[got] = '\0';
        char *end = strstr(s->request, "\r\n\r\n");
        if (end) {
            char *cl = strcasestr(s->request, "Content-Length:");
            apr_size_t want = cl && cl < end ? (apr_size_t)atoi(cl + 15) : 0;
            if (got >= (apr_size_t)(end + 4 - s->request) + want) {
                break;
            }
        }
    }
    if (s->response) {
        apr_size_t off = 0;
        while (off < s->response_len) {
            ssize_t n = write(fd, s->response + off, s->response_len - off);
            if (n <= 0) {
                break;
            }
            off += (apr_size_t)n;
        }
    }
    else {
        usleep(s->hold_ms * 1000);
    }
    close(fd);
    return NULL;
}

static server_t *start(const char *response, apr_size_t len)
{
    server_t *s = apr_pcalloc(tp, sizeof(*s));
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof(a);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s->lfd, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(s->lfd, 4), 0);
    ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    s->response = response;
    s->response_len = len;
    s->hold_ms = 1500;
    ck_assert_int_eq(pthread_create(&s->thread, NULL, serve, s), 0);
    return s;
}

static void stop(server_t *s)
{
    pthread_join(s->thread, NULL);
    close(s->lfd);
}

static const char *url(server_t *s, const char *path)
{
    return apr_psprintf(tp, "http://127.0.0.1:%d%s", s->port, path);
}

static aoidc_http_t client(apr_interval_time_t timeout)
{
    aoidc_http_t h;
    aoidc_http_curl_init(&h, timeout);
    return h;
}

START_TEST(init_defaults)
{
    aoidc_http_t h = client(apr_time_from_sec(7));
    ck_assert_ptr_nonnull(h.send);
    ck_assert_int_eq(h.timeout, apr_time_from_sec(7));
    ck_assert_uint_eq(h.max_body, AOIDC_MAX_JWKS_LEN);
}
END_TEST

START_TEST(get_ok)
{
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n"
                    "Connection: close\r\n\r\n{\"a\":\"b\"}\r\n";
    server_t *s = start(r, strlen(r));
    aoidc_http_t h = client(apr_time_from_sec(5));
    aoidc_http_req_t req = {url(s, "/.well-known/openid-configuration"),
                            NULL,
                            NULL,
                            NULL,
                            AOIDC_EP_OTHER,
                            NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_http_send(&h, &req, &resp, tp, &err), err);
    stop(s);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_uint_eq(resp.len, 11);
    ck_assert_str_eq(resp.body, "{\"a\":\"b\"}\r\n");
    ck_assert_msg(strncmp(s->request,
                          "GET /.well-known/openid-configuration "
                          "HTTP/1.1\r\n",
                          48)
                      == 0,
                  "%s", s->request);
    ck_assert_ptr_nonnull(
        strstr(s->request, "\r\nAccept: application/json\r\n"));
    ck_assert_ptr_nonnull(strstr(s->request, "\r\nUser-Agent: mod_auth_oidc/"));
    ck_assert_ptr_null(strcasestr(s->request, "Authorization:"));
}
END_TEST

START_TEST(post_with_auth)
{
    const char *r = "HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n"
                    "Connection: close\r\n\r\n{}";
    server_t *s = start(r, strlen(r));
    aoidc_http_t h = client(apr_time_from_sec(5));
    aoidc_http_req_t req = {
        url(s, "/token"),  "grant_type=x&code=y", "Basic Y2xpZW50OnNlY3JldA==",
        "application/jwt", AOIDC_EP_OTHER,        NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_http_send(&h, &req, &resp, tp, &err), err);
    stop(s);
    /* any status is a success at this level */
    ck_assert_int_eq(resp.status, 400);
    ck_assert_str_eq(resp.body, "{}");
    ck_assert(strncmp(s->request, "POST /token HTTP/1.1\r\n", 22) == 0);
    ck_assert_ptr_nonnull(strstr(
        s->request, "\r\nAuthorization: Basic Y2xpZW50OnNlY3JldA==\r\n"));
    ck_assert_ptr_nonnull(
        strstr(s->request, "\r\nAccept: application/jwt\r\n"));
    ck_assert_ptr_nonnull(strstr(s->request, "\r\n\r\ngrant_type=x&code=y"));
}
END_TEST

/* RFC 9449: the DPoP request header goes out; DPoP-Nonce and
 * WWW-Authenticate come back (any case, trimmed); others are not kept */
START_TEST(dpop_headers)
{
    const char *r = "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n"
                    "dpop-nonce:   n-1.x_Y  \r\n"
                    "WWW-Authenticate: DPoP error=\"use_dpop_nonce\"\r\n"
                    "Connection: close\r\n\r\n{}";
    server_t *s = start(r, strlen(r));
    aoidc_http_t h = client(apr_time_from_sec(5));
    aoidc_http_req_t req = {url(s, "/me"), NULL,           "DPoP at-1",
                            NULL,          AOIDC_EP_OTHER, "h.p.s", NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_http_send(&h, &req, &resp, tp, &err), err);
    stop(s);
    ck_assert_int_eq(resp.status, 401);
    ck_assert_str_eq(resp.dpop_nonce, "n-1.x_Y");
    ck_assert_str_eq(resp.www_authenticate, "DPoP error=\"use_dpop_nonce\"");
    ck_assert_ptr_nonnull(strstr(s->request, "\r\nDPoP: h.p.s\r\n"));
    ck_assert_ptr_nonnull(
        strstr(s->request, "\r\nAuthorization: DPoP at-1\r\n"));
    /* none of them: NULL */
    r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    s = start(r, strlen(r));
    req.url = url(s, "/me");
    req.dpop = NULL;
    ck_assert_ok(aoidc_http_send(&h, &req, &resp, tp, &err), err);
    stop(s);
    ck_assert_ptr_null(resp.dpop_nonce);
    ck_assert_ptr_null(resp.www_authenticate);
    ck_assert_ptr_null(strcasestr(s->request, "\r\nDPoP:"));
}
END_TEST

START_TEST(no_redirects)
{
    server_t *s = start(NULL, 0);
    const char *r =
        apr_psprintf(tp,
                     "HTTP/1.1 302 Found\r\nLocation: "
                     "http://127.0.0.1:%d/elsewhere\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n",
                     s->port);
    s->response = r;
    s->response_len = strlen(r);
    aoidc_http_t h = client(apr_time_from_sec(5));
    aoidc_http_req_t req = {url(s, "/jwks"), NULL, NULL, NULL,
                            AOIDC_EP_OTHER,  NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_http_send(&h, &req, &resp, tp, &err), err);
    stop(s);
    ck_assert_int_eq(resp.status, 302);
    ck_assert_uint_eq(resp.len, 0);
}
END_TEST

static char *big_response(apr_size_t n, bool with_length)
{
    char *body = apr_palloc(tp, n + 1);
    memset(body, 'x', n);
    body[n] = '\0';
    return apr_psprintf(tp, "HTTP/1.1 200 OK\r\n%sConnection: close\r\n\r\n%s",
                        with_length ? apr_psprintf(
                            tp, "Content-Length: %" APR_SIZE_T_FMT "\r\n", n)
                                    : "",
                        body);
}

START_TEST(size_cap)
{
    for (int with_length = 0; with_length < 2; with_length++) {
        char *r = big_response(5000, with_length);
        server_t *s = start(r, strlen(r));
        aoidc_http_t h = client(apr_time_from_sec(5));
        aoidc_http_req_t req = {url(s, "/big"), NULL,           NULL,
                                NULL,           AOIDC_EP_OTHER, NULL, NULL};
        aoidc_http_resp_t resp;
        aoidc_err_t err = {0};
        h.max_body = 4096;
        ck_assert_reason(aoidc_http_send(&h, &req, &resp, tp, &err), err,
                         AOIDC_REASON_OP_BAD_RESPONSE);
        stop(s);
    }
    /* exactly at the cap is fine */
    char *r = big_response(4096, true);
    server_t *s = start(r, strlen(r));
    aoidc_http_t h = client(apr_time_from_sec(5));
    aoidc_http_req_t req = {url(s, "/big"), NULL,           NULL,
                            NULL,           AOIDC_EP_OTHER, NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    h.max_body = 4096;
    ck_assert_ok(aoidc_http_send(&h, &req, &resp, tp, &err), err);
    stop(s);
    ck_assert_uint_eq(resp.len, 4096);
    ck_assert_int_eq(resp.body[4096], '\0');
}
END_TEST

START_TEST(timeout)
{
    server_t *s = start(NULL, 0); /* accepts, never answers */
    aoidc_http_t h = client(apr_time_from_msec(300));
    aoidc_http_req_t req = {url(s, "/slow"), NULL, NULL, NULL,
                            AOIDC_EP_OTHER,  NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    apr_time_t t0 = apr_time_now();
    ck_assert_reason(aoidc_http_send(&h, &req, &resp, tp, &err), err,
                     AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_int_lt(apr_time_now() - t0, apr_time_from_msec(1400));
    stop(s);
}
END_TEST

START_TEST(unreachable)
{
    /* a port that was just free: connection refused */
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    aoidc_http_t h = client(apr_time_from_sec(2));
    aoidc_http_req_t req = {
        apr_psprintf(tp, "http://127.0.0.1:%d/", ntohs(a.sin_port)),
        NULL,
        NULL,
        NULL,
        AOIDC_EP_OTHER,
        NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    ck_assert_reason(aoidc_http_send(&h, &req, &resp, tp, &err), err,
                     AOIDC_REASON_OP_UNREACHABLE);
}
END_TEST

START_TEST(other_schemes_refused)
{
    static const char *const urls[] = {"file:///etc/passwd", "ftp://127.0.0.1/",
                                       "gopher://127.0.0.1/",
                                       "dict://127.0.0.1/"};
    aoidc_http_t h = client(apr_time_from_sec(2));
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        aoidc_http_req_t req = {urls[i], NULL,           NULL,
                                NULL,    AOIDC_EP_OTHER, NULL, NULL};
        aoidc_http_resp_t resp = {0};
        aoidc_err_t err = {0};
        ck_assert_reason(aoidc_http_send(&h, &req, &resp, tp, &err), err,
                         AOIDC_REASON_OP_UNREACHABLE);
        ck_assert_ptr_null(resp.body);
    }
}
END_TEST

START_TEST(send_dispatches)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_http_req_t req = {
        "https://op.example.com/x", NULL, NULL, NULL, AOIDC_EP_OTHER, NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(f, req.url, 204, "");
    ck_assert_ok(aoidc_http_send(h, &req, &resp, tp, &err), err);
    ck_assert_int_eq(resp.status, 204);
    ck_assert_int_eq(aoidc_fake_http_calls(f, req.url), 1);
}
END_TEST

/* --- the outgoing proxy and the CA bundle ---------------------------- */

START_TEST(via_proxy)
{
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                    "Connection: close\r\n\r\n{}";
    server_t *s = start(r, strlen(r)); /* plays the proxy */
    aoidc_http_t h = client(apr_time_from_sec(5));
    aoidc_http_req_t req = {
        "http://op.invalid/jwks", NULL, NULL, NULL, AOIDC_EP_JWKS, NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    h.proxy = apr_psprintf(tp, "http://u:s3cret@127.0.0.1:%d", s->port);
    ck_assert_ok(aoidc_http_send(&h, &req, &resp, tp, &err), err);
    stop(s);
    ck_assert_int_eq(resp.status, 200);
    /* absolute form to the proxy, with the URL's credentials */
    ck_assert_msg(
        !strncmp(s->request, "GET http://op.invalid/jwks HTTP/1.1\r\n", 37),
        "%s", s->request);
    ck_assert_ptr_nonnull(
        strstr(s->request, "\r\nProxy-Authorization: Basic dTpzM2NyZXQ=\r\n"));
}
END_TEST

START_TEST(no_proxy_ignores_environment)
{
    const char *r = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    server_t *s = start(r, strlen(r));
    aoidc_http_t h = client(apr_time_from_sec(5));
    aoidc_http_req_t req = {url(s, "/x"), NULL,           NULL,
                            NULL,         AOIDC_EP_OTHER, NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    /* a proxy nobody listens on: used, the request would fail */
    setenv("http_proxy", "http://127.0.0.1:9", 1);
    setenv("HTTP_PROXY", "http://127.0.0.1:9", 1);
    apr_status_t rv = aoidc_http_send(&h, &req, &resp, tp, &err);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    ck_assert_ok(rv, err);
    stop(s);
    ck_assert_int_eq(resp.status, 204);
}
END_TEST

START_TEST(proxy_down_hides_password)
{
    aoidc_http_t h = client(apr_time_from_sec(2));
    aoidc_http_req_t req = {"http://op.invalid/", NULL, NULL, NULL,
                            AOIDC_EP_DISCOVERY,   NULL, NULL};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    h.proxy = "http://u:s3cret@127.0.0.1:9";
    h.proxy_shown = "http://u:***@127.0.0.1:9";
    ck_assert_reason(aoidc_http_send(&h, &req, &resp, tp, &err), err,
                     AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_ptr_nonnull(strstr(err.detail, "via proxy http://u:***@"));
    ck_assert_ptr_null(strstr(err.detail, "s3cret"));
}
END_TEST

static const char unit_ca[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBhjCCAS2gAwIBAgIUd13xFEiWuTzAVrh9T3vE+vyr3BIwCgYIKoZIzj0EAwIw\n"
    "GDEWMBQGA1UEAwwNYW9pZGMtdW5pdC1jYTAgFw0yNjEyMDExMzA4NDdaGA8yMTI2\n"
    "MTEwNzEzMDg0N1owGDEWMBQGA1UEAwwNYW9pZGMtdW5pdC1jYTBZMBMGByqGSM49\n"
    "AgEGCCqGSM49AwEHA0IABFgHeL0KYLRVY78Nqz5TxdErAGk0nfBYiaB9lOoSOsKd\n"
    "lJBhAhUS3AwYb42lVlOYFLt60dlm1ZDN2lUh1lUwnvqjUzBRMB0GA1UdDgQWBBRb\n"
    "XjWwNczRxRvuDVvos8x5xTvgxDAfBgNVHSMEGDAWgBRbXjWwNczRxRvuDVvos8x5\n"
    "xTvgxDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIEFnUCyDL5Vv\n"
    "vKja9QHb88B2iEys6xIoD0CNNyIHZfqVAiABOtfEA2zjJxsKV8lj0xU/ikMihEJG\n"
    "WMvlGuvMmO9lxQ==\n"
    "-----END CERTIFICATE-----\n";

static const char *write_file(const char *data)
{
    char *path = apr_pstrdup(tp, "/tmp/aoidc-unit-ca-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
    close(fd);
    return path;
}

START_TEST(ca_load)
{
    const char *pem, *path;
    apr_size_t len;
    aoidc_err_t err = {0};
    path = write_file(unit_ca);
    ck_assert_ok(aoidc_http_ca_load(&pem, &len, path, tp, &err), err);
    ck_assert_uint_eq(len, strlen(unit_ca));
    ck_assert_str_eq(pem, unit_ca);
    unlink(path);
    /* missing, empty, and not a certificate: refused, saying why */
    ck_assert_reason(
        aoidc_http_ca_load(&pem, &len, "/nonexistent/ca.pem", tp, &err), err,
        AOIDC_REASON_MALFORMED);
    ck_assert_ptr_nonnull(strstr(err.detail, "cannot read /nonexistent"));
    path = write_file("");
    ck_assert_reason(aoidc_http_ca_load(&pem, &len, path, tp, &err), err,
                     AOIDC_REASON_MALFORMED);
    unlink(path);
    path = write_file("-----BEGIN CERTIFICATE-----\nnot base64\n"
                      "-----END CERTIFICATE-----\n");
    ck_assert_reason(aoidc_http_ca_load(&pem, &len, path, tp, &err), err,
                     AOIDC_REASON_MALFORMED);
    ck_assert_ptr_nonnull(strstr(err.detail, "holds no PEM certificate"));
    unlink(path);
}
END_TEST

TCase *aoidc_http_tcase(void)
{
    TCase *tc = aoidc_test_tcase("http");
    tcase_add_test(tc, init_defaults);
    tcase_add_test(tc, get_ok);
    tcase_add_test(tc, post_with_auth);
    tcase_add_test(tc, dpop_headers);
    tcase_add_test(tc, no_redirects);
    tcase_add_test(tc, size_cap);
    tcase_add_test(tc, timeout);
    tcase_add_test(tc, unreachable);
    tcase_add_test(tc, other_schemes_refused);
    tcase_add_test(tc, send_dispatches);
    tcase_add_test(tc, via_proxy);
    tcase_add_test(tc, no_proxy_ignores_environment);
    tcase_add_test(tc, proxy_down_hides_password);
    tcase_add_test(tc, ca_load);
    return tc;
}
