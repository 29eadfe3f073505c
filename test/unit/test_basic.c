/* SPDX-License-Identifier: Apache-2.0 */
/* core/basic.c and core/rs_basic.c: AuthType oidc-basic. */
#include <string.h>

#include "apr_base64.h"
#include "core/basic.h"
#include "core/id_token.h"
#include "flow_fixture.h"

static const char *b64(const char *s)
{
    char *out =
        apr_palloc(tp, (apr_size_t)apr_base64_encode_len((int)strlen(s)));
    apr_base64_encode(out, s, (int)strlen(s));
    return out;
}

static const char *hdr(const char *userpass)
{
    return apr_pstrcat(tp, "Basic ", b64(userpass), NULL);
}

START_TEST(parse_good)
{
    const char *u, *pw;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_basic_parse(&u, &pw, hdr("alice:wonder:land"), tp, &err),
                 err);
    ck_assert_str_eq(u, "alice");
    ck_assert_str_eq(pw, "wonder:land"); /* RFC 7617: the first colon splits */
    ck_assert_ok(aoidc_basic_parse(&u, &pw, "bAsIc   YTo=  ", tp, &err), err);
    ck_assert_str_eq(u, "a");
    ck_assert_str_eq(pw, "");
    /* UTF-8 passes as it is (RFC 7617 §2.1 charset="UTF-8") */
    ck_assert_ok(
        aoidc_basic_parse(&u, &pw, hdr("j\xc3\xb6rg:p\xc3\xa4ss"), tp, &err),
        err);
    ck_assert_str_eq(u, "j\xc3\xb6rg");
}
END_TEST

START_TEST(parse_not_basic)
{
    const char *u = NULL, *pw = NULL;
    aoidc_err_t err = {0};
    ck_assert_int_eq(aoidc_basic_parse(&u, &pw, "Bearer abc", tp, &err),
                     APR_NOTFOUND);
    ck_assert_int_eq(aoidc_basic_parse(&u, &pw, "Basicx YTo=", tp, &err),
                     APR_NOTFOUND);
    ck_assert_int_eq(aoidc_basic_parse(&u, &pw, "Basic", tp, &err),
                     APR_NOTFOUND);
    ck_assert_int_eq(err.reason, AOIDC_REASON_NONE);
}
END_TEST

static void refused(const char *h, aoidc_reason_t want)
{
    const char *u = NULL, *pw = NULL;
    aoidc_err_t err = {0};
    ck_assert_msg(aoidc_basic_parse(&u, &pw, h, tp, &err) != APR_SUCCESS, "%s",
                  h);
    ck_assert_msg(err.reason == want, "%s: %d", h, err.reason);
    ck_assert_ptr_null(u);
}

START_TEST(parse_bad)
{
    refused("Basic ", AOIDC_REASON_MALFORMED);
    refused("Basic YTo", AOIDC_REASON_MALFORMED);      /* no padding */
    refused("Basic YT=o", AOIDC_REASON_MALFORMED);     /* '=' inside */
    refused("Basic YTo=YTo=", AOIDC_REASON_MALFORMED); /* '=' inside */
    refused("Basic Y-o=", AOIDC_REASON_MALFORMED);     /* base64url */
    refused("Basic YTo= YTo=", AOIDC_REASON_MALFORMED);
    refused(hdr("alice"), AOIDC_REASON_MALFORMED);   /* no colon */
    refused(hdr(":secret"), AOIDC_REASON_MALFORMED); /* no user */
    refused(hdr("al\nice:x"), AOIDC_REASON_MALFORMED);
    refused(hdr("alice:x\r\nX-Evil: 1"), AOIDC_REASON_MALFORMED);
    refused("Basic YQBiOmM=", AOIDC_REASON_MALFORMED); /* "a\0b:c" */
    refused("Basic YTpiAGM=", AOIDC_REASON_MALFORMED); /* "a:b\0c" */
    char *user = apr_pcalloc(tp, AOIDC_BASIC_MAX_USER + 4);
    memset(user, 'u', AOIDC_BASIC_MAX_USER + 1);
    refused(hdr(apr_pstrcat(tp, user, ":x", NULL)), AOIDC_REASON_TOO_LARGE);
    char *big = apr_pcalloc(tp, 9000);
    memset(big, 'A', 8000);
    refused(apr_pstrcat(tp, "Basic ", big, NULL), AOIDC_REASON_TOO_LARGE);
}
END_TEST

/* --- the flow --------------------------------------------------------- */

typedef struct {
    ft_t f;
    aoidc_basic_conf_t c;
} bt_t;

static void bt_setup(bt_t *b)
{
    ft_setup(&b->f);
    b->c.issuer = T_ISS;
    b->c.client = &b->f.client;
    b->c.scope = "openid";
    ck_assert_int_eq(aoidc_seal_create((aoidc_seal_t **)&b->c.seal,
                                       "a passphrase of some length", 27,
                                       "basic", tp),
                     APR_SUCCESS);
    b->c.leeway = 60;
    b->c.cache_ttl = apr_time_from_sec(60);
    b->c.remote_user_claim = "sub";
    b->c.max_failures = 3;
    b->c.max_failures_addr = 5;
    b->c.failure_window = apr_time_from_sec(300);
}

static apr_status_t login(bt_t *b, const char *user, const char *pw,
                          const char *addr, aoidc_basic_out_t *out,
                          aoidc_err_t *err)
{
    aoidc_basic_in_t in = {user, pw, addr};
    *err = (aoidc_err_t){0};
    return aoidc_basic_authenticate(out, &b->c, &b->f.env, &in, err);
}

static void op_accepts(bt_t *b, json_t *extra)
{
    ft_token_answer(&b->f, ft_id_token(&b->f, NULL, extra), "at-1", NULL, 300);
}

static void op_refuses(bt_t *b)
{
    aoidc_fake_http_route(b->f.fh, FT_TOKEN, 400,
                          "{\"error\":\"invalid_grant\"}");
}

START_TEST(grant_then_cached)
{
    bt_t b;
    aoidc_basic_out_t out;
    aoidc_err_t err;
    bt_setup(&b);
    op_accepts(&b, NULL);
    ck_assert_ok(login(&b, "alice", "s3cret-pw", "192.0.2.1", &out, &err), err);
    ck_assert_str_eq(out.user, "alice");
    ck_assert(!out.cache_hit);
    const aoidc_http_req_t *req = aoidc_fake_http_last(b.f.fh);
    ck_assert_str_eq(req->url, FT_TOKEN);
    ck_assert_ptr_nonnull(strstr(req->body, "grant_type=password"));
    ck_assert_ptr_nonnull(strstr(req->body, "username=alice"));
    ck_assert_ptr_nonnull(strstr(req->body, "password=s3cret-pw"));
    ck_assert_ptr_nonnull(strstr(req->body, "scope=openid"));
    ck_assert_ptr_nonnull(req->authorization); /* client_secret_basic */
    /* the store holds no password, user name or token in clear */
    for (int i = 0; i < b.f.cache.keys->nelts; i++) {
        const unsigned char *k =
            (const unsigned char *)b.f.cache.keys->elts + i * 32;
        unsigned char *v;
        apr_size_t n;
        if (b.f.cache.inner->get(b.f.cache.inner, k, &v, &n, tp)
            == APR_SUCCESS) {
            ck_assert_ptr_null(memmem(v, n, "s3cret", 6));
            ck_assert_ptr_null(memmem(v, n, "alice", 5));
        }
    }
    int calls = aoidc_fake_http_calls(b.f.fh, FT_TOKEN);
    ft_at(&b.f, 30);
    ck_assert_ok(login(&b, "alice", "s3cret-pw", "192.0.2.1", &out, &err), err);
    ck_assert(out.cache_hit);
    ck_assert_str_eq(out.user, "alice");
    ck_assert_int_eq(aoidc_fake_http_calls(b.f.fh, FT_TOKEN), calls);
    /* another password is another key: the OP is asked */
    op_refuses(&b);
    ck_assert_int_ne(login(&b, "alice", "s3cret-pX", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_BASIC_REFUSED);
    ck_assert_int_eq(aoidc_fake_http_calls(b.f.fh, FT_TOKEN), calls + 1);
    /* past the cache TTL the OP is asked again */
    op_accepts(&b, NULL);
    ft_at(&b.f, 61);
    ck_assert_ok(login(&b, "alice", "s3cret-pw", "192.0.2.1", &out, &err), err);
    ck_assert(!out.cache_hit);
}
END_TEST

START_TEST(wrong_password_never_cached)
{
    bt_t b;
    aoidc_basic_out_t out;
    aoidc_err_t err;
    bt_setup(&b);
    op_refuses(&b);
    ck_assert_int_ne(login(&b, "alice", "guess", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_BASIC_REFUSED);
    ck_assert_int_ne(login(&b, "alice", "guess", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_BASIC_REFUSED);
    ck_assert_int_eq(aoidc_fake_http_calls(b.f.fh, FT_TOKEN), 2);
}
END_TEST

START_TEST(throttled_per_user_then_window_ends)
{
    bt_t b;
    aoidc_basic_out_t out;
    aoidc_err_t err;
    bt_setup(&b);
    op_refuses(&b);
    for (int i = 0; i < 3; i++) {
        const char *addr = apr_psprintf(tp, "192.0.2.%d", i + 1);
        ck_assert_int_ne(login(&b, "alice", "guess", addr, &out, &err),
                         APR_SUCCESS);
        ck_assert_int_eq(err.reason, AOIDC_REASON_BASIC_REFUSED);
    }
    /* the 4th attempt, from yet another address: refused, OP not asked */
    op_accepts(&b, NULL);
    ck_assert_int_ne(login(&b, "alice", "right", "192.0.2.9", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_THROTTLED);
    ck_assert_int_eq(aoidc_fake_http_calls(b.f.fh, FT_TOKEN), 3);
    ck_assert(out.retry_after > 0 && out.retry_after <= apr_time_from_sec(300));
    /* another user is not throttled */
    ck_assert_ok(login(&b, "bob", "right", "192.0.2.9", &out, &err), err);
    /* the window ends */
    ft_at(&b.f, 301);
    ck_assert_ok(login(&b, "alice", "right", "192.0.2.9", &out, &err), err);
}
END_TEST

START_TEST(throttled_per_address)
{
    bt_t b;
    aoidc_basic_out_t out;
    aoidc_err_t err;
    bt_setup(&b);
    op_refuses(&b);
    for (int i = 0; i < 5; i++) {
        const char *user = apr_psprintf(tp, "user%d", i);
        ck_assert_int_ne(login(&b, user, "guess", "192.0.2.1", &out, &err),
                         APR_SUCCESS);
        ck_assert_int_eq(err.reason, AOIDC_REASON_BASIC_REFUSED);
    }
    ck_assert_int_ne(login(&b, "carol", "guess", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_THROTTLED);
    /* another address goes on */
    ck_assert_int_ne(login(&b, "carol", "guess", "192.0.2.2", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_BASIC_REFUSED);
}
END_TEST

START_TEST(cached_success_outlives_a_strangers_failures)
{
    bt_t b;
    aoidc_basic_out_t out;
    aoidc_err_t err;
    bt_setup(&b);
    op_accepts(&b, NULL);
    ck_assert_ok(login(&b, "alice", "right", "192.0.2.1", &out, &err), err);
    op_refuses(&b);
    for (int i = 0; i < 4; i++) {
        login(&b, "alice", "guess", "198.51.100.7", &out, &err);
    }
    ck_assert_int_eq(err.reason, AOIDC_REASON_THROTTLED);
    ck_assert_ok(login(&b, "alice", "right", "192.0.2.1", &out, &err), err);
    ck_assert(out.cache_hit);
}
END_TEST

START_TEST(id_token_checked)
{
    bt_t b;
    aoidc_basic_out_t out;
    aoidc_err_t err;
    bt_setup(&b);
    /* a nonce where none was sent */
    op_accepts(&b, json_pack("{s:s}", "nonce", "n-1"));
    ck_assert_int_ne(login(&b, "alice", "right", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_NONCE);
    /* another audience */
    op_accepts(&b, json_pack("{s:s}", "aud", "someone-else"));
    ck_assert_int_ne(login(&b, "alice", "right", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_AUDIENCE);
    /* no ID Token at all */
    ft_token_answer(&b.f, NULL, "at-1", NULL, 300);
    ck_assert_int_ne(login(&b, "alice", "right", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_OP_BAD_RESPONSE);
    /* none of these was cached, none counted as the user's failure */
    op_accepts(&b, NULL);
    ck_assert_ok(login(&b, "alice", "right", "192.0.2.1", &out, &err), err);
    ck_assert(!out.cache_hit);
}
END_TEST

START_TEST(op_and_store_failures)
{
    bt_t b;
    aoidc_basic_out_t out;
    aoidc_err_t err;
    bt_setup(&b);
    aoidc_fake_http_fail(b.f.fh, FT_TOKEN, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_int_ne(login(&b, "alice", "right", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_OP_UNREACHABLE);
    /* the client is refused (invalid_client): the operator's problem */
    aoidc_fake_http_route(b.f.fh, FT_TOKEN, 401,
                          "{\"error\":\"invalid_client\"}");
    ck_assert_int_ne(login(&b, "alice", "right", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_TOKEN_ENDPOINT);
    /* a cache store that is down: 503, never a grant without throttling */
    op_accepts(&b, NULL);
    b.f.cache.down_get = true;
    int calls = aoidc_fake_http_calls(b.f.fh, FT_TOKEN);
    ck_assert_int_ne(login(&b, "alice", "right", "192.0.2.1", &out, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_STORE_UNAVAILABLE);
    ck_assert_int_eq(aoidc_fake_http_calls(b.f.fh, FT_TOKEN), calls);
}
END_TEST

START_TEST(keys_need_the_passphrase)
{
    bt_t a, b;
    aoidc_basic_out_t out;
    aoidc_err_t err;
    bt_setup(&a);
    bt_setup(&b);
    ck_assert_int_eq(aoidc_seal_create((aoidc_seal_t **)&b.c.seal,
                                       "another passphrase, same length", 31,
                                       "basic", tp),
                     APR_SUCCESS);
    op_accepts(&a, NULL);
    op_accepts(&b, NULL);
    ck_assert_ok(login(&a, "alice", "right", "192.0.2.1", &out, &err), err);
    ck_assert_ok(login(&b, "alice", "right", "192.0.2.1", &out, &err), err);
    ck_assert_int_eq(a.f.cache.keys->nelts, 1);
    ck_assert_int_eq(b.f.cache.keys->nelts, 1);
    ck_assert(memcmp(a.f.cache.keys->elts, b.f.cache.keys->elts, 32));
}
END_TEST

TCase *aoidc_basic_tcase(void)
{
    TCase *tc = aoidc_test_tcase("basic");
    tcase_add_test(tc, parse_good);
    tcase_add_test(tc, parse_not_basic);
    tcase_add_test(tc, parse_bad);
    tcase_add_test(tc, grant_then_cached);
    tcase_add_test(tc, wrong_password_never_cached);
    tcase_add_test(tc, throttled_per_user_then_window_ends);
    tcase_add_test(tc, throttled_per_address);
    tcase_add_test(tc, cached_success_outlives_a_strangers_failures);
    tcase_add_test(tc, id_token_checked);
    tcase_add_test(tc, op_and_store_failures);
    tcase_add_test(tc, keys_need_the_passphrase);
    return tc;
}
