/* SPDX-License-Identifier: Apache-2.0 */
/* core/upstream.c: the backend's token, client credentials and exchange,
 * through the sealed cache, one fetch at a time. */
#include <string.h>

#include "core/upstream.h"
#include "flow_fixture.h"

#define TARGET "https://api.example/"

typedef struct {
    ft_t f;
    aoidc_http_t http; /* the fake, with a short timeout */
    aoidc_upstream_conf_t c;
} ut_t;

static void setup(ut_t *u, aoidc_upstream_mode_t mode)
{
    aoidc_seal_t *k;
    ft_setup(&u->f);
    u->http = *u->f.env.http;
    u->http.timeout = apr_time_from_msec(200);
    u->f.env.http = &u->http;
    ck_assert_int_eq(
        aoidc_seal_create(&k, "test passphrase", 15, "upstream", tp),
        APR_SUCCESS);
    u->c.mode = mode;
    u->c.issuer = T_ISS;
    u->c.client = &u->f.client;
    u->c.scope = "read write";
    u->c.target = TARGET;
    u->c.seal = k;
}

static void answer(ut_t *u, const char *token, int expires_in)
{
    aoidc_fake_http_route(
        u->f.fh, FT_TOKEN, 200,
        apr_psprintf(tp,
                     "{\"access_token\":\"%s\",\"token_type\":\"Bearer\","
                     "\"expires_in\":%d}",
                     token, expires_in));
}

static apr_status_t get(ut_t *u, const char *subject, aoidc_upstream_out_t *out,
                        aoidc_err_t *err)
{
    aoidc_upstream_in_t in = {subject, NULL};
    *err = (aoidc_err_t){0};
    return aoidc_upstream_token(out, &u->c, &u->f.env, &in, err);
}

static int token_calls(ut_t *u)
{
    return aoidc_fake_http_calls(u->f.fh, FT_TOKEN);
}

START_TEST(cc_request_parameters)
{
    ut_t u;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    answer(&u, "up-1", 300);
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    ck_assert_str_eq(out.token, "up-1");
    ck_assert(out.fetched && !out.cache_hit);
    const aoidc_http_req_t *req = aoidc_fake_http_last(u.f.fh);
    ck_assert_str_eq(req->url, FT_TOKEN);
    ck_assert_ptr_nonnull(strstr(req->body, "grant_type=client_credentials"));
    ck_assert_ptr_nonnull(strstr(req->body, "scope=read%20write"));
    ck_assert_ptr_nonnull(
        strstr(req->body, "resource=https%3A%2F%2Fapi.example%2F"));
    ck_assert_ptr_null(strstr(req->body, "audience="));
    /* client authentication as for the code exchange: basic */
    ck_assert_ptr_nonnull(req->authorization);
    ck_assert_int_eq(strncmp(req->authorization, "Basic ", 6), 0);
    ck_assert_ptr_null(strstr(req->body, "client_secret"));

    /* a logical name is an audience, no scope when none is set */
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    u.c.target = "orders-api";
    u.c.scope = NULL;
    answer(&u, "up-2", 300);
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    req = aoidc_fake_http_last(u.f.fh);
    ck_assert_ptr_nonnull(strstr(req->body, "audience=orders-api"));
    ck_assert_ptr_null(strstr(req->body, "resource="));
    ck_assert_ptr_null(strstr(req->body, "scope="));
}
END_TEST

START_TEST(cc_cached_sealed_then_hit)
{
    ut_t u;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    unsigned char key[AOIDC_STORE_KEY_LEN], *v;
    apr_size_t n;
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    answer(&u, "secret-upstream-token", 300);
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    for (int i = 0; i < 50; i++) {
        ck_assert_ok(get(&u, NULL, &out, &err), err);
        ck_assert(out.cache_hit && !out.fetched);
        ck_assert_str_eq(out.token, "secret-upstream-token");
    }
    ck_assert_int_eq(token_calls(&u), 1);
    /* the store holds it sealed, under the key of the tuple, and the
     * fetch lock is gone */
    aoidc_upstream_cache_key(key, &u.c, NULL, tp);
    ck_assert_int_eq(u.f.cache.inner->get(u.f.cache.inner, key, &v, &n, tp),
                     APR_SUCCESS);
    ck_assert_ptr_null(memmem(v, n, "secret-upstream", 15));
    ck_assert_int_eq(aoidc_mem_store_count(u.f.cache.ms), 1);
    ck_assert_int_eq(u.f.cache.adds, 1);
    ck_assert_int_eq(u.f.cache.removes, 1);
}
END_TEST

START_TEST(expiry_refetch_before_exp)
{
    ut_t u;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    answer(&u, "up-1", 300);
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    /* refetched 30 s before exp */
    ft_at(&u.f, 269);
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    ck_assert(out.cache_hit);
    ck_assert_int_eq(token_calls(&u), 1);
    answer(&u, "up-2", 300);
    ft_at(&u.f, 270);
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    ck_assert(out.fetched);
    ck_assert_str_eq(out.token, "up-2");
    ck_assert_int_eq(token_calls(&u), 2);
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    ck_assert(out.cache_hit);
    ck_assert_int_eq(token_calls(&u), 2);
}
END_TEST

START_TEST(until_margin)
{
    aoidc_token_response_t tr = {0};
    tr.expires_in = 300;
    ck_assert(aoidc_upstream_until(&tr, T_NOW)
              == T_NOW + apr_time_from_sec(270));
    tr.expires_in = 10; /* short-lived: half its life */
    ck_assert(aoidc_upstream_until(&tr, T_NOW) == T_NOW + apr_time_from_sec(5));
    tr.expires_in = -1;
    ck_assert(aoidc_upstream_until(&tr, T_NOW)
              == T_NOW + AOIDC_UPSTREAM_DEFAULT_TTL);
}
END_TEST

START_TEST(key_binds_the_tuple)
{
    ut_t u;
    unsigned char k0[32], k1[32];
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    aoidc_upstream_cache_key(k0, &u.c, NULL, tp);
    aoidc_upstream_cache_key(k1, &u.c, "ignored for cc", tp);
    ck_assert_mem_eq(k0, k1, 32);
    const char *saved = u.c.scope;
    u.c.scope = "read";
    aoidc_upstream_cache_key(k1, &u.c, NULL, tp);
    ck_assert(memcmp(k0, k1, 32));
    u.c.scope = saved;
    u.c.target = "https://api.example/other";
    aoidc_upstream_cache_key(k1, &u.c, NULL, tp);
    ck_assert(memcmp(k0, k1, 32));
    u.c.target = TARGET;
    aoidc_client_t other = u.f.client;
    other.client_id = "another-client";
    u.c.client = &other;
    aoidc_upstream_cache_key(k1, &u.c, NULL, tp);
    ck_assert(memcmp(k0, k1, 32));
    u.c.client = &u.f.client;
    u.c.issuer = "https://op2.example.com";
    aoidc_upstream_cache_key(k1, &u.c, NULL, tp);
    ck_assert(memcmp(k0, k1, 32));
    /* "a" + "bc" never meets "ab" + "c" */
    u.c.issuer = T_ISS;
    u.c.scope = "a";
    u.c.target = "bc";
    aoidc_upstream_cache_key(k0, &u.c, NULL, tp);
    u.c.scope = "ab";
    u.c.target = "c";
    aoidc_upstream_cache_key(k1, &u.c, NULL, tp);
    ck_assert(memcmp(k0, k1, 32));
}
END_TEST

/* The entry a node sharing the store wrote while this one waited. */
typedef struct {
    unsigned char key[AOIDC_STORE_KEY_LEN], lock[AOIDC_STORE_KEY_LEN];
    unsigned char *entry;
    apr_size_t len;
    bool write_entry;
} other_node_t;

static void other_node(ft_store_t *s, void *baton)
{
    other_node_t *o = baton;
    ck_assert_int_eq(s->inner->add(s->inner, o->lock,
                                   (const unsigned char *)"1", 1,
                                   T_NOW + apr_time_from_sec(60), tp),
                     APR_SUCCESS);
    if (o->write_entry) {
        ck_assert_int_eq(s->inner->set(s->inner, o->key, o->entry, o->len,
                                       T_NOW + apr_time_from_sec(60), tp),
                         APR_SUCCESS);
    }
}

static void prepare_other(ut_t *u, other_node_t *o, bool write_entry)
{
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    unsigned char *v;
    answer(u, "from-other-node", 300);
    ck_assert_ok(get(u, NULL, &out, &err), err);
    aoidc_upstream_cache_key(o->key, &u->c, NULL, tp);
    aoidc_store_key(o->lock, "upstream/lock", o->key, AOIDC_STORE_KEY_LEN);
    ck_assert_int_eq(
        u->f.cache.inner->get(u->f.cache.inner, o->key, &v, &o->len, tp),
        APR_SUCCESS);
    o->entry = apr_pmemdup(tp, v, o->len);
    u->f.cache.inner->remove(u->f.cache.inner, o->key, tp);
    o->write_entry = write_entry;
    u->f.cache.on_add = other_node;
    u->f.cache.on_add_baton = o;
    answer(u, "mine", 300);
}

START_TEST(lock_held_waiter_rereads)
{
    ut_t u;
    other_node_t o;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    prepare_other(&u, &o, true);
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    ck_assert(out.cache_hit && !out.fetched);
    ck_assert_str_eq(out.token, "from-other-node");
    ck_assert_int_eq(token_calls(&u), 1); /* the first, the other node's */
}
END_TEST

START_TEST(lock_held_too_long_fetches_itself)
{
    ut_t u;
    other_node_t o;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    apr_time_t t0;
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    prepare_other(&u, &o, false);
    t0 = apr_time_now();
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    /* waited about one HTTP timeout, then asked the OP */
    ck_assert(apr_time_now() - t0 >= apr_time_from_msec(180));
    ck_assert(out.fetched);
    ck_assert_str_eq(out.token, "mine");
    ck_assert_int_eq(token_calls(&u), 2);
}
END_TEST

/* Single flight in the process: a thread that did not lead reads the
 * cache again and does not fetch. */
START_TEST(single_flight_follower_reads_cache)
{
    ut_t u;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_pool_t *rp;
    aoidc_flight_t *fl = aoidc_flight_create(tp);
    aoidc_upstream_in_t in = {NULL, fl};
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    answer(&u, "up-1", 300);
    /* another request leads for the key (and holds it until its pool
     * goes): this one waits its timeout, then reads the cache, finds
     * nothing, and fetches once itself */
    aoidc_upstream_cache_key(key, &u.c, NULL, tp);
    ck_assert_int_eq(apr_pool_create(&rp, tp), APR_SUCCESS);
    ck_assert(aoidc_flight_enter(fl, key, apr_time_from_sec(1), rp));
    ck_assert_ok(aoidc_upstream_token(&out, &u.c, &u.f.env, &in, &err), err);
    ck_assert(out.fetched);
    ck_assert_int_eq(token_calls(&u), 1);
    apr_pool_destroy(rp);
    ck_assert_ok(aoidc_upstream_token(&out, &u.c, &u.f.env, &in, &err), err);
    ck_assert(out.cache_hit);
    ck_assert_int_eq(token_calls(&u), 1);
}
END_TEST

START_TEST(op_down_is_502_and_opens_circuit)
{
    ut_t u;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    /* no route for the token endpoint: a dead host */
    ck_assert_int_ne(get(&u, NULL, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_UPSTREAM_TOKEN);
    ck_assert_int_eq(aoidc_reason_info(err.reason)->status, 502);
    ck_assert_ptr_nonnull(strstr(err.detail, "op_unreachable"));
    ck_assert_ptr_null(out.token);
    ck_assert(aoidc_guard_is_open(u.f.env.guard, u.f.env.now));
    ck_assert_int_eq(aoidc_guard_inflight(u.f.env.guard), 0);
    /* nothing cached, the lock released: the next request asks again */
    ck_assert_int_eq(aoidc_mem_store_count(u.f.cache.ms), 0);
}
END_TEST

START_TEST(op_refusal_and_garbage)
{
    ut_t u;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    aoidc_fake_http_route(u.f.fh, FT_TOKEN, 401,
                          "{\"error\":\"invalid_client\"}");
    ck_assert_int_ne(get(&u, NULL, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_UPSTREAM_TOKEN);
    ck_assert_ptr_nonnull(err.op_error);
    ck_assert_str_eq(err.op_error, "invalid_client");
    ck_assert_ptr_nonnull(strstr(err.detail, "client_credentials grant"));

    aoidc_fake_http_route(
        u.f.fh, FT_TOKEN, 200,
        "{\"access_token\":\"a b\",\"token_type\":\"Bearer\"}");
    ck_assert_int_ne(get(&u, NULL, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_UPSTREAM_TOKEN);
    aoidc_fake_http_route(u.f.fh, FT_TOKEN, 200,
                          "{\"access_token\":\"ab\",\"token_type\":\"mac\"}");
    ck_assert_int_ne(get(&u, NULL, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_UPSTREAM_TOKEN);
    ck_assert_int_eq(aoidc_mem_store_count(u.f.cache.ms), 0);

    /* discovery down too: still the backend's 502 */
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    aoidc_fake_http_fail(u.f.fh, FT_WK, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_int_ne(get(&u, NULL, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_UPSTREAM_TOKEN);
}
END_TEST

START_TEST(store_down_and_busy)
{
    ut_t u;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    answer(&u, "up-1", 300);
    u.f.cache.down_get = true;
    ck_assert_int_ne(get(&u, NULL, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_STORE_UNAVAILABLE);
    ck_assert_int_eq(token_calls(&u), 0);
    /* a store that takes no writes: the token is used, fetched again next
     * time */
    u.f.cache.down_get = false;
    u.f.cache.down_set = u.f.cache.down_add = true;
    ck_assert_ok(get(&u, NULL, &out, &err), err);
    ck_assert_str_eq(out.token, "up-1");
    /* the guard full: its own 503 */
    setup(&u, AOIDC_UPSTREAM_CLIENT_CREDENTIALS);
    answer(&u, "up-1", 300);
    u.f.env.guard = aoidc_guard_create(1, tp);
    ck_assert_int_eq(aoidc_guard_enter(u.f.env.guard, tp, &err), APR_SUCCESS);
    ck_assert_int_ne(get(&u, NULL, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_OP_BUSY);
}
END_TEST

START_TEST(exchange_parameters_and_cache_per_subject)
{
    ut_t u;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    setup(&u, AOIDC_UPSTREAM_EXCHANGE);
    answer(&u, "exchanged-1", 300);
    ck_assert_ok(get(&u, "user-token-A", &out, &err), err);
    ck_assert_str_eq(out.token, "exchanged-1");
    const aoidc_http_req_t *req = aoidc_fake_http_last(u.f.fh);
    ck_assert_ptr_nonnull(strstr(
        req->body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3A"
                   "token-exchange"));
    ck_assert_ptr_nonnull(strstr(req->body, "subject_token=user-token-A"));
    ck_assert_ptr_nonnull(strstr(req->body,
                                 "subject_token_type=urn%3Aietf%3Aparams%3A"
                                 "oauth%3Atoken-type%3Aaccess_token"));
    ck_assert_ptr_nonnull(
        strstr(req->body, "audience=https%3A%2F%2Fapi.example%2F"));
    ck_assert_ptr_nonnull(
        strstr(req->body, "resource=https%3A%2F%2Fapi.example%2F"));
    ck_assert_ptr_nonnull(strstr(req->body, "scope=read%20write"));
    ck_assert_ptr_nonnull(req->authorization);
    /* the same subject: cached; another: its own exchange */
    ck_assert_ok(get(&u, "user-token-A", &out, &err), err);
    ck_assert(out.cache_hit);
    answer(&u, "exchanged-2", 300);
    ck_assert_ok(get(&u, "user-token-B", &out, &err), err);
    ck_assert_str_eq(out.token, "exchanged-2");
    ck_assert_int_eq(token_calls(&u), 2);
    ck_assert_ok(get(&u, "user-token-A", &out, &err), err);
    ck_assert_str_eq(out.token, "exchanged-1");
    ck_assert_int_eq(token_calls(&u), 2);
}
END_TEST

START_TEST(exchange_errors)
{
    ut_t u;
    aoidc_upstream_out_t out;
    aoidc_err_t err;
    setup(&u, AOIDC_UPSTREAM_EXCHANGE);
    ck_assert_int_ne(get(&u, NULL, &out, &err), APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_UPSTREAM_TOKEN);
    ck_assert_int_ne(get(&u, "", &out, &err), APR_SUCCESS);
    ck_assert_int_eq(token_calls(&u), 0);
    aoidc_fake_http_route(u.f.fh, FT_TOKEN, 400,
                          "{\"error\":\"invalid_target\","
                          "\"error_description\":\"no\"}");
    ck_assert_int_ne(get(&u, "user-token-secret", &out, &err), APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_UPSTREAM_TOKEN);
    ck_assert_str_eq(err.op_error, "invalid_target");
    ck_assert_ptr_nonnull(strstr(err.detail, "token exchange"));
    ck_assert_ptr_null(strstr(err.detail, "user-token-secret"));
}
END_TEST

TCase *aoidc_upstream_tcase(void)
{
    TCase *tc = aoidc_test_tcase("upstream");
    tcase_add_test(tc, cc_request_parameters);
    tcase_add_test(tc, cc_cached_sealed_then_hit);
    tcase_add_test(tc, expiry_refetch_before_exp);
    tcase_add_test(tc, until_margin);
    tcase_add_test(tc, key_binds_the_tuple);
    tcase_add_test(tc, lock_held_waiter_rereads);
    tcase_add_test(tc, lock_held_too_long_fetches_itself);
    tcase_add_test(tc, single_flight_follower_reads_cache);
    tcase_add_test(tc, op_down_is_502_and_opens_circuit);
    tcase_add_test(tc, op_refusal_and_garbage);
    tcase_add_test(tc, store_down_and_busy);
    tcase_add_test(tc, exchange_parameters_and_cache_per_subject);
    tcase_add_test(tc, exchange_errors);
    return tc;
}
