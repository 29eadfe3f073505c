/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/provider.c under concurrent requests (security review finding 11):
 * after a restart every request finds no snapshot; those arriving while the
 * first discovery fetch is in flight must wait for it, not fail. Real
 * threads over the (thread-safe, delaying) fake HTTP client.
 */
#include <pthread.h>
#include <string.h>

#include <apr_thread_mutex.h>

#include "core/provider.h"
#include "unit.h"

#define WK       T_ISS "/.well-known/openid-configuration"
#define JWKS_URI T_ISS "/jwks"

static const char *metadata(void)
{
    return apr_psprintf(
        tp,
        "{\"issuer\":\"%s\",\"authorization_endpoint\":\"%s/authorize\","
        "\"token_endpoint\":\"%s/token\",\"jwks_uri\":\"%s\"}",
        T_ISS, T_ISS, T_ISS, JWKS_URI);
}

typedef struct {
    aoidc_fake_http_t *f;
    aoidc_http_t *h;
    aoidc_provider_t *pv;
    apr_pool_t *pchild;
} fixture_t;

static aoidc_snapshot_t *get_ok(fixture_t *x, apr_time_t now, apr_pool_t *p)
{
    aoidc_snapshot_t *s = NULL;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_provider_get(&s, x->pv, x->h, now, p, &err), err);
    return s;
}

#define BURST 20

typedef struct {
    fixture_t *x;
    const aoidc_http_t *h; /* NULL: x->h */
    apr_pool_t *p;
    apr_time_t now;
    apr_status_t rv;
    aoidc_err_t err;
    aoidc_snapshot_t *s;
    apr_interval_time_t took;
} caller_t;

static void *call_get(void *arg)
{
    caller_t *c = arg;
    apr_time_t t0 = apr_time_now();
    c->rv = aoidc_provider_get(&c->s, c->x->pv, c->h ? c->h : c->x->h, c->now,
                               c->p, &c->err);
    c->took = apr_time_now() - t0;
    return NULL;
}

/* Pools the threads may use at once: each on an allocator of its own (APR
 * pools and allocators are not thread-safe), created before any thread. */
static apr_pool_t *own_pool(void)
{
    apr_allocator_t *a;
    apr_thread_mutex_t *m;
    apr_pool_t *p;
    ck_assert_int_eq(apr_allocator_create(&a), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create_ex(&p, tp, NULL, a), APR_SUCCESS);
    apr_allocator_owner_set(a, p);
    apr_thread_mutex_create(&m, APR_THREAD_MUTEX_DEFAULT, p);
    apr_allocator_mutex_set(a, m);
    return p;
}

static fixture_t threaded_setup(const char *wk)
{
    fixture_t x;
    x.h = aoidc_fake_http_create(&x.f, tp);
    x.pchild = own_pool();
    x.pv = aoidc_provider_create(T_ISS, tp);
    ck_assert_int_eq(aoidc_provider_child_init(x.pv, x.pchild), APR_SUCCESS);
    if (wk) {
        char *jwks = aoidc_test_read("keys/jwks.json", NULL, tp);
        ck_assert_ptr_nonnull(jwks);
        aoidc_fake_http_route(x.f, wk, 200, metadata());
        aoidc_fake_http_route(x.f, JWKS_URI, 200, jwks);
    }
    return x;
}

static void burst(caller_t *c, int n)
{
    pthread_t t[BURST];
    ck_assert_int_le(n, BURST);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, call_get, &c[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
    }
}

START_TEST(concurrent_first_requests_wait)
{
    /* After a restart every request finds no snapshot. While the first
     * fetch was in flight, the others read its start time as a failure and
     * got 503 "recent failure": now they wait for it and share it. */
    fixture_t x = threaded_setup(WK);
    caller_t c[BURST];
    aoidc_fake_http_delay(x.f, WK, apr_time_from_msec(300));
    for (int i = 0; i < BURST; i++) {
        c[i] = (caller_t){&x, NULL, own_pool(), T_NOW, 0, {0}, NULL, 0};
    }
    burst(c, BURST);
    for (int i = 0; i < BURST; i++) {
        ck_assert_msg(c[i].rv == APR_SUCCESS, "caller %d: %s (%s)", i,
                      aoidc_reason_name(c[i].err.reason),
                      c[i].err.detail ? c[i].err.detail : "");
        ck_assert_ptr_eq(c[i].s, c[0].s);
    }
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 1);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, JWKS_URI), 1);
    for (int i = 0; i < BURST; i++) {
        apr_pool_destroy(c[i].p);
    }
}
END_TEST

START_TEST(concurrent_first_requests_share_a_failure)
{
    fixture_t x = threaded_setup(NULL);
    caller_t c[BURST];
    aoidc_fake_http_route(x.f, WK, 200, "<html>not json</html>");
    aoidc_fake_http_delay(x.f, WK, apr_time_from_msec(300));
    for (int i = 0; i < BURST; i++) {
        c[i] = (caller_t){&x, NULL, own_pool(), T_NOW, 0, {0}, NULL, 0};
    }
    burst(c, BURST);
    for (int i = 0; i < BURST; i++) {
        ck_assert_int_ne(c[i].rv, APR_SUCCESS);
        ck_assert_msg(c[i].err.reason == AOIDC_REASON_OP_BAD_RESPONSE,
                      "caller %d: %s (%s)", i,
                      aoidc_reason_name(c[i].err.reason), c[i].err.detail);
    }
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 1);
    /* the failure (not the attempt) then makes requests fail fast */
    aoidc_snapshot_t *s;
    aoidc_err_t err = {0};
    ck_assert_reason(aoidc_provider_get(&s, x.pv, x.h,
                                        T_NOW + apr_time_from_sec(1), c[0].p,
                                        &err),
                     err, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 1);
    for (int i = 0; i < BURST; i++) {
        apr_pool_destroy(c[i].p);
    }
}
END_TEST

START_TEST(concurrent_wait_is_bounded)
{
    /* a waiter gives up after twice its own HTTP timeout */
    fixture_t x = threaded_setup(WK);
    aoidc_fake_http_t *f2;
    aoidc_http_t *h2 = aoidc_fake_http_create(&f2, tp);
    caller_t c[2];
    h2->timeout = apr_time_from_msec(100);
    aoidc_fake_http_delay(x.f, WK, apr_time_from_msec(1500));
    c[0] = (caller_t){&x, NULL, own_pool(), T_NOW, 0, {0}, NULL, 0};
    c[1] = (caller_t){&x, h2, own_pool(), T_NOW, 0, {0}, NULL, 0};
    pthread_t t0, t1;
    ck_assert_int_eq(pthread_create(&t0, NULL, call_get, &c[0]), 0);
    apr_sleep(apr_time_from_msec(200)); /* c[0] is fetching */
    ck_assert_int_eq(pthread_create(&t1, NULL, call_get, &c[1]), 0);
    pthread_join(t1, NULL);
    pthread_join(t0, NULL);
    ck_assert_int_eq(c[0].rv, APR_SUCCESS);
    ck_assert_int_ne(c[1].rv, APR_SUCCESS);
    ck_assert_int_eq(c[1].err.reason, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_int_lt(c[1].took, apr_time_from_msec(1000));
    ck_assert_int_eq(aoidc_fake_http_calls(f2, NULL), 0);
    apr_pool_destroy(c[0].p);
    apr_pool_destroy(c[1].p);
}
END_TEST

START_TEST(stale_refresh_by_one_request)
{
    /* a stale snapshot is refreshed by one request; the others keep using
     * the stale one instead of queueing or fetching too */
    fixture_t x = threaded_setup(WK);
    caller_t c[BURST];
    apr_pool_t *p0 = own_pool();
    aoidc_snapshot_t *old = get_ok(&x, T_NOW, p0);
    aoidc_fake_http_delay(x.f, WK, apr_time_from_msec(300));
    for (int i = 0; i < BURST; i++) {
        c[i] = (caller_t){&x, NULL, own_pool(), T_NOW + AOIDC_PROVIDER_TTL + 1,
                          0,  {0},  NULL,       0};
    }
    burst(c, BURST);
    int fresh = 0;
    for (int i = 0; i < BURST; i++) {
        ck_assert_int_eq(c[i].rv, APR_SUCCESS);
        fresh += c[i].s != old;
    }
    ck_assert_int_ge(fresh, 1);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 2);
    for (int i = 0; i < BURST; i++) {
        apr_pool_destroy(c[i].p);
    }
    apr_pool_destroy(p0);
}
END_TEST

TCase *aoidc_provider_threads_tcase(void)
{
    TCase *tc = aoidc_test_tcase("provider_threads");
    tcase_add_test(tc, concurrent_first_requests_wait);
    tcase_add_test(tc, concurrent_first_requests_share_a_failure);
    tcase_add_test(tc, concurrent_wait_is_bounded);
    tcase_add_test(tc, stale_refresh_by_one_request);
    return tc;
}
