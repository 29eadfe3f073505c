/* SPDX-License-Identifier: Apache-2.0 */
/* core/url.c: form encoding, query parsing, loopback, endpoints, the
 * open-redirect guard. */
#include <string.h>

#include "core/url.h"
#include "unit.h"

START_TEST(encode)
{
    ck_assert_str_eq(aoidc_url_encode("", tp), "");
    ck_assert_str_eq(aoidc_url_encode("aZ09-._~", tp), "aZ09-._~");
    ck_assert_str_eq(aoidc_url_encode("a b+c/d?e&f=g#h%", tp),
                     "a%20b%2Bc%2Fd%3Fe%26f%3Dg%23h%25");
    ck_assert_str_eq(aoidc_url_encode("\xc3\xa9\n", tp), "%C3%A9%0A");
}
END_TEST

START_TEST(append_param)
{
    char *q = aoidc_url_append_param("", "a", "1", tp);
    ck_assert_str_eq(q, "a=1");
    q = aoidc_url_append_param(q, "redirect_uri", "https://rp/cb?x=1", tp);
    ck_assert_str_eq(q, "a=1&redirect_uri=https%3A%2F%2Frp%2Fcb%3Fx%3D1");
    ck_assert_str_eq(aoidc_url_append_param("x=1", "e", "", tp), "x=1&e=");
}
END_TEST

START_TEST(query_ok)
{
    apr_table_t *t;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_url_parse_query(
                     &t, "a=1&b=x+y&c=%41%2b%3d&d=&e&f=%C3%A9", 10, tp, &err),
                 err);
    ck_assert_str_eq(apr_table_get(t, "a"), "1");
    ck_assert_str_eq(apr_table_get(t, "b"), "x y");
    ck_assert_str_eq(apr_table_get(t, "c"), "A+=");
    ck_assert_str_eq(apr_table_get(t, "d"), "");
    ck_assert_str_eq(apr_table_get(t, "e"), "");
    ck_assert_str_eq(apr_table_get(t, "f"), "\xc3\xa9");
    ck_assert_int_eq(apr_table_elts(t)->nelts, 6);
}
END_TEST

START_TEST(param_exact_name)
{
    apr_table_t *t;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_url_parse_query(&t, "CODE=1&state=s", 10, tp, &err),
                 err);
    ck_assert_ptr_null(aoidc_url_param(t, "code"));
    ck_assert_str_eq(aoidc_url_param(t, "CODE"), "1");
    ck_assert_str_eq(aoidc_url_param(t, "state"), "s");
    ck_assert_ptr_null(aoidc_url_param(t, "State"));
}
END_TEST

START_TEST(query_empty_and_stray_ampersands)
{
    apr_table_t *t;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_url_parse_query(&t, NULL, 4, tp, &err), err);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 0);
    ck_assert_ok(aoidc_url_parse_query(&t, "", 4, tp, &err), err);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 0);
    ck_assert_ok(aoidc_url_parse_query(&t, "&&a=1&&b=2&", 2, tp, &err), err);
    ck_assert_int_eq(apr_table_elts(t)->nelts, 2);
    ck_assert_str_eq(apr_table_get(t, "b"), "2");
}
END_TEST

START_TEST(query_repeat_refused)
{
    apr_table_t *t;
    aoidc_err_t err = {0};
    ck_assert_reason(
        aoidc_url_parse_query(&t, "state=a&code=1&state=b", 10, tp, &err), err,
        AOIDC_REASON_MALFORMED);
    ck_assert_reason(aoidc_url_parse_query(&t, "a&a", 10, tp, &err), err,
                     AOIDC_REASON_MALFORMED);
    /* the same name spelled with an escape is the same name */
    ck_assert_reason(aoidc_url_parse_query(&t, "code=1&%63ode=2", 10, tp, &err),
                     err, AOIDC_REASON_MALFORMED);
}
END_TEST

START_TEST(query_bad_bytes_refused)
{
    static const char *const bad[] = {
        "a=%00",  "a%00=1", "a=x%0ay", "a=%0D%0A", "a=%7f", "a=%1F",
        "a=\x01", "a=b\tc", "a=%",     "a=%4",     "a=%zz", "a=%4g",
        "a=%%41", "=1",     "%=1",     "a=1&=2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        apr_table_t *t;
        aoidc_err_t err = {0};
        ck_assert_reason(aoidc_url_parse_query(&t, bad[i], 10, tp, &err), err,
                         AOIDC_REASON_MALFORMED);
    }
}
END_TEST

START_TEST(query_max_params)
{
    apr_table_t *t;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_url_parse_query(&t, "a=1&b=2&c=3", 3, tp, &err), err);
    ck_assert_reason(aoidc_url_parse_query(&t, "a=1&b=2&c=3&d=4", 3, tp, &err),
                     err, AOIDC_REASON_TOO_LARGE);
    ck_assert_reason(aoidc_url_parse_query(&t, "a=1", 0, tp, &err), err,
                     AOIDC_REASON_TOO_LARGE);
}
END_TEST

START_TEST(find_param)
{
    const char *v = "x";
    int n = -1;
    aoidc_url_find_param(&v, &n, "a=1&access_token=tok%2Bx&b=2", "access_token",
                         tp);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(v, "tok+x");
    /* other parameters are not judged: repeats, bad escapes, controls */
    aoidc_url_find_param(&v, &n, "f=1&f=2&g=%zz&h=%00&access_token=t",
                         "access_token", tp);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(v, "t");
    /* the parameter itself may repeat: counted, first value kept */
    aoidc_url_find_param(&v, &n, "access_token=a&access_token=b",
                         "access_token", tp);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(v, "a");
    /* empty value */
    aoidc_url_find_param(&v, &n, "access_token=", "access_token", tp);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(v, "");
    /* a value that does not decode: counted, NULL */
    aoidc_url_find_param(&v, &n, "access_token=%0a", "access_token", tp);
    ck_assert_int_eq(n, 1);
    ck_assert_ptr_null(v);
    aoidc_url_find_param(&v, &n, "access_token=%z", "access_token", tp);
    ck_assert_int_eq(n, 1);
    ck_assert_ptr_null(v);
}
END_TEST

START_TEST(find_param_absent)
{
    static const char *const q[] = {
        "",
        "a=1",
        "access_token",       /* no '=' */
        "access_tokens=x",    /* longer name */
        "xaccess_token=x",    /* suffix */
        "access_toke=x",      /* prefix */
        "ACCESS_TOKEN=x",     /* names are case-sensitive */
        "a=access_token%3Dx", /* inside a value */
    };
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        const char *v = "x";
        int n = -1;
        aoidc_url_find_param(&v, &n, q[i], "access_token", tp);
        ck_assert_msg(n == 0 && v == NULL, "%s", q[i]);
    }
    const char *v = "x";
    int n = -1;
    aoidc_url_find_param(&v, &n, NULL, "access_token", tp);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(v);
}
END_TEST

START_TEST(loopback)
{
    static const char *const yes[] = {
        "127.0.0.1",       "127.1.2.3", "127.255.255.255", "127.0.0.0", "::1",
        "0:0:0:0:0:0:0:1", "localhost", "LOCALHOST",       "LocalHost",
    };
    static const char *const no[] = {
        "128.0.0.1",
        "126.255.255.255",
        "10.0.0.1",
        "0.0.0.0",
        "::",
        "::2",
        "::ffff:127.0.0.1",
        "localhost.",
        "localhost.example.com",
        "127.0.0.1.nip.io",
        "evil127.0.0.1",
        "127.1",
        "0x7f000001",
        "2130706433",
        "127.0.0.1 ",
        "",
        "[::1]",
        "op.example.com",
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        ck_assert_msg(aoidc_url_is_loopback(yes[i]), "%s", yes[i]);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        ck_assert_msg(!aoidc_url_is_loopback(no[i]), "%s", no[i]);
    }
    ck_assert(!aoidc_url_is_loopback(NULL));
}
END_TEST

START_TEST(endpoint_ok)
{
    static const char *const ok[] = {
        "https://op.example.com",
        "https://op.example.com/authorize?x=1",
        "HTTPS://op.example.com:8443/a",
        "http://127.0.0.1:8080/token",
        "http://127.9.9.9/",
        "http://localhost/jwks",
        "http://[::1]:9000/x",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        apr_uri_t u;
        aoidc_err_t err = {0};
        ck_assert_ok(aoidc_url_check_endpoint(&u, ok[i], tp, &err), err);
        ck_assert_ptr_nonnull(u.hostname);
    }
    apr_uri_t u;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_url_check_endpoint(&u, "https://op.example.com:8443/p?q",
                                          tp, &err),
                 err);
    ck_assert_str_eq(u.hostname, "op.example.com");
    ck_assert_int_eq(u.port, 8443);
    ck_assert_str_eq(u.path, "/p");
    ck_assert_ok(aoidc_url_check_endpoint(NULL, ok[0], tp, &err), err);
}
END_TEST

START_TEST(endpoint_insecure)
{
    static const char *const bad[] = {
        "http://op.example.com/token",   "http://128.0.0.1/",
        "http://localhost.example.com/", "http://10.0.0.1/",
        "HTTP://op.example.com/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aoidc_err_t err = {0};
        ck_assert_reason(aoidc_url_check_endpoint(NULL, bad[i], tp, &err), err,
                         AOIDC_REASON_OP_INSECURE);
    }
}
END_TEST

START_TEST(op_endpoint_http_needs_http_loopback_issuer)
{
    /* security review finding 13: an https issuer's metadata could point
     * the token endpoint at a plain-http loopback service, which then got
     * the client secret in clear */
    static const char *const loop[] = {
        "http://127.0.0.1:8080/token",
        "http://localhost/jwks",
        "http://[::1]:9000/x",
        "HTTP://127.0.0.1/",
    };
    static const char *const https_issuers[] = {
        "https://op.example.com",
        "https://127.0.0.1:8443",
        "HTTPS://localhost",
        "https://[::1]/realm",
        NULL,
        "not a url",
        "http://op.example.com",
        "http://10.0.0.1",
        "ftp://127.0.0.1",
    };
    for (size_t i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
        for (size_t k = 0; k < sizeof(https_issuers) / sizeof(*https_issuers);
             k++) {
            aoidc_err_t err = {0};
            apr_status_t rv = aoidc_url_check_op_endpoint(
                NULL, loop[i], https_issuers[k], tp, &err);
            ck_assert_msg(rv != APR_SUCCESS
                              && err.reason == AOIDC_REASON_OP_INSECURE,
                          "%s under %s: %s", loop[i],
                          https_issuers[k] ? https_issuers[k] : "(null)",
                          aoidc_reason_name(err.reason));
        }
        /* a local test OP on loopback http may use loopback http */
        aoidc_err_t err = {0};
        apr_uri_t u;
        ck_assert_ok(aoidc_url_check_op_endpoint(
                         &u, loop[i], "http://127.0.0.1:9000", tp, &err),
                     err);
        ck_assert_ptr_nonnull(u.hostname);
        ck_assert_ok(aoidc_url_check_op_endpoint(
                         NULL, loop[i], "http://localhost/realm", tp, &err),
                     err);
    }
    /* https endpoints are fine under any issuer; the usual rules apply */
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_url_check_op_endpoint(NULL, "https://a.example/t",
                                             "https://op.example.com", tp,
                                             &err),
                 err);
    ck_assert_ok(aoidc_url_check_op_endpoint(NULL, "https://a.example/t",
                                             "http://127.0.0.1", tp, &err),
                 err);
    ck_assert_reason(aoidc_url_check_op_endpoint(NULL, "http://a.example/t",
                                                 "http://127.0.0.1", tp, &err),
                     err, AOIDC_REASON_OP_INSECURE);
    ck_assert_reason(aoidc_url_check_op_endpoint(NULL, "https://u@a.example/",
                                                 "https://op.example.com", tp,
                                                 &err),
                     err, AOIDC_REASON_MALFORMED);
}
END_TEST

START_TEST(endpoint_malformed)
{
    static const char *const bad[] = {
        "op.example.com/token",
        "/token",
        "ftp://op.example.com/",
        "file:///etc/passwd",
        "https://user:pw@op.example.com/",
        "https://user@op.example.com/",
        "https://op.example.com/#frag",
        "https:///path",
        "https://",
        "https://op.example.com/a b",
        "https://op.example.com/a\\b",
        "https://op.example.com/\r\nX: y",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aoidc_err_t err = {0};
        ck_assert_reason(aoidc_url_check_endpoint(NULL, bad[i], tp, &err), err,
                         AOIDC_REASON_MALFORMED);
    }
    aoidc_err_t err = {0};
    ck_assert_reason(aoidc_url_check_endpoint(NULL, NULL, tp, &err), err,
                     AOIDC_REASON_MALFORMED);
}
END_TEST

START_TEST(local_path)
{
    static const char *const ok[] = {
        "/",    "/ok",         "/ok?q=1", "/a/b/c?x=%2F&y=1",
        "/a;b", "/%2F%2Fevil", "/~user/", "/a//b",
    };
    static const char *const bad[] = {
        "//evil",
        "//evil.example/x",
        "/\\evil",
        "/\\/evil",
        "\\/evil",
        "http://x",
        "https://evil.example/",
        "evil",
        "",
        "./x",
        "?x=1",
        "/a b",
        "/a\tb",
        "/a\r\nSet-Cookie:x=1",
        "/a#frag",
        "/#",
        "/a\\b",
        "/\x7f",
        "/\x01",
        "/caf\xc3\xa9",
        "javascript:alert(1)",
        " /x",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(aoidc_url_is_local_path(ok[i]), "%s", ok[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!aoidc_url_is_local_path(bad[i]), "%s", bad[i]);
    }
    ck_assert(!aoidc_url_is_local_path(NULL));
}
END_TEST

START_TEST(proxy_ok)
{
    const char *shown;
    aoidc_err_t err = {0};
    ck_assert_ok(
        aoidc_url_check_proxy(&shown, "http://proxy.corp:3128", tp, &err), err);
    ck_assert_str_eq(shown, "http://proxy.corp:3128");
    ck_assert_ok(
        aoidc_url_check_proxy(&shown, "https://10.0.0.1:8443/", tp, &err), err);
    ck_assert_str_eq(shown, "https://10.0.0.1:8443");
    ck_assert_ok(aoidc_url_check_proxy(
                     &shown, "http://svc:pa%40ss@proxy.corp:3128", tp, &err),
                 err);
    ck_assert_str_eq(shown, "http://svc:***@proxy.corp:3128");
    ck_assert_ok(
        aoidc_url_check_proxy(&shown, "http://svc@[::1]:3128", tp, &err), err);
    ck_assert_str_eq(shown, "http://svc@[::1]:3128");
    ck_assert_ok(aoidc_url_check_proxy(NULL, "HTTP://p:1", tp, &err), err);
}
END_TEST

START_TEST(proxy_refused)
{
    static const char *const bad[] = {
        "proxy.corp:3128",          /* no scheme */
        "socks5://proxy.corp:1080", /* not http(s) */
        "http://proxy.corp",        /* no port */
        "http://proxy.corp:0",
        "http://proxy.corp:65536",
        "http://proxy.corp:31x8",
        "http://:3128",
        "http://proxy.corp:3128/path",
        "http://proxy.corp:3128?q=1",
        "http://proxy.corp:3128#f",
        "http://u:s3cret@proxy corp:3128",
        "http://u:s3cret@proxy.corp:3128\n",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aoidc_err_t err = {0};
        const char *shown = "untouched";
        ck_assert_msg(aoidc_url_check_proxy(&shown, bad[i], tp, &err)
                          != APR_SUCCESS,
                      "accepted %s", bad[i]);
        ck_assert_int_eq(err.reason, AOIDC_REASON_MALFORMED);
        ck_assert_ptr_null(strstr(err.detail, "s3cret"));
        ck_assert_str_eq(shown, "untouched");
    }
    ck_assert_int_ne(aoidc_url_check_proxy(NULL, NULL, tp, NULL), APR_SUCCESS);
}
END_TEST

TCase *aoidc_url_tcase(void)
{
    TCase *tc = aoidc_test_tcase("url");
    tcase_add_test(tc, encode);
    tcase_add_test(tc, append_param);
    tcase_add_test(tc, query_ok);
    tcase_add_test(tc, param_exact_name);
    tcase_add_test(tc, query_empty_and_stray_ampersands);
    tcase_add_test(tc, query_repeat_refused);
    tcase_add_test(tc, query_bad_bytes_refused);
    tcase_add_test(tc, query_max_params);
    tcase_add_test(tc, find_param);
    tcase_add_test(tc, find_param_absent);
    tcase_add_test(tc, loopback);
    tcase_add_test(tc, endpoint_ok);
    tcase_add_test(tc, endpoint_insecure);
    tcase_add_test(tc, endpoint_malformed);
    tcase_add_test(tc, op_endpoint_http_needs_http_loopback_issuer);
    tcase_add_test(tc, local_path);
    tcase_add_test(tc, proxy_ok);
    tcase_add_test(tc, proxy_refused);
    return tc;
}
