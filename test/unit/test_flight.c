/* SPDX-License-Identifier: Apache-2.0 */
/* core/flight.c: one leader per key, followers wait (bounded) until the
 * leader's request pool goes. Real threads. */
#include <string.h>

#include <apr_atomic.h>
#include <apr_thread_proc.h>

#include "core/flight.h"
#include "unit.h"

typedef struct {
    aoidc_flight_t *f;
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_interval_time_t wait;
    volatile apr_uint32_t started;
    volatile apr_uint32_t *destroyed; /* the leader's pool is gone */
    bool led;
    apr_uint32_t destroyed_at_return;
    apr_interval_time_t took;
} follower_t;

static void *APR_THREAD_FUNC follow(apr_thread_t *th, void *data)
{
    follower_t *fo = data;
    apr_pool_t *p;
    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    apr_atomic_set32(&fo->started, 1);
    apr_time_t t0 = apr_time_now();
    fo->led = aoidc_flight_enter(fo->f, fo->key, fo->wait, p);
    fo->took = apr_time_now() - t0;
    fo->destroyed_at_return = apr_atomic_read32(fo->destroyed);
    apr_pool_destroy(p);
    apr_thread_exit(th, APR_SUCCESS);
    return NULL;
}

static apr_status_t mark_destroyed(void *data)
{
    apr_atomic_set32(data, 1);
    return APR_SUCCESS;
}

static apr_thread_t *start(follower_t *fo)
{
    apr_thread_t *th;
    ck_assert_int_eq(apr_thread_create(&th, NULL, follow, fo, tp), APR_SUCCESS);
    while (!apr_atomic_read32(&fo->started)) {
        apr_sleep(1000);
    }
    return th;
}

static void leader(follower_t *fo, apr_pool_t **lp, apr_interval_time_t wait)
{
    static volatile apr_uint32_t destroyed;
    memset(fo, 0, sizeof(*fo));
    fo->f = aoidc_flight_create(tp);
    ck_assert_ptr_nonnull(fo->f);
    aoidc_store_key(fo->key, "t", "token", 5);
    fo->wait = wait;
    destroyed = 0;
    fo->destroyed = &destroyed;
    ck_assert_int_eq(apr_pool_create_unmanaged_ex(lp, NULL, NULL), APR_SUCCESS);
    ck_assert(aoidc_flight_enter(fo->f, fo->key, wait, *lp));
    /* registered after the flight's own cleanup, so it runs before it */
    apr_pool_cleanup_register(*lp, (void *)fo->destroyed, mark_destroyed,
                              apr_pool_cleanup_null);
}

START_TEST(follower_waits_for_leader)
{
    follower_t fo;
    apr_pool_t *lp;
    apr_status_t trv;
    leader(&fo, &lp, apr_time_from_sec(10));
    apr_thread_t *th = start(&fo);
    apr_sleep(apr_time_from_msec(300));
    apr_pool_destroy(lp);
    apr_thread_join(&trv, th);
    ck_assert(!fo.led);
    ck_assert_uint_eq(fo.destroyed_at_return, 1);
    ck_assert_int_lt(fo.took, apr_time_from_sec(10));
}
END_TEST

START_TEST(follower_wait_is_bounded)
{
    follower_t fo;
    apr_pool_t *lp;
    apr_status_t trv;
    leader(&fo, &lp, apr_time_from_msec(100));
    apr_thread_t *th = start(&fo);
    apr_thread_join(&trv, th);
    ck_assert(!fo.led);
    ck_assert_uint_eq(fo.destroyed_at_return, 0);
    ck_assert_int_ge(fo.took, apr_time_from_msec(90));
    ck_assert_int_lt(fo.took, apr_time_from_sec(5));
    apr_pool_destroy(lp);
}
END_TEST

START_TEST(next_leader_after_leave)
{
    aoidc_flight_t *f = aoidc_flight_create(tp);
    unsigned char k1[AOIDC_STORE_KEY_LEN], k2[AOIDC_STORE_KEY_LEN];
    apr_pool_t *p1, *p2;
    aoidc_store_key(k1, "t", "a", 1);
    aoidc_store_key(k2, "t", "b", 1);
    apr_pool_create(&p1, tp);
    apr_pool_create(&p2, tp);
    apr_time_t t0 = apr_time_now();
    ck_assert(aoidc_flight_enter(f, k1, apr_time_from_sec(5), p1));
    /* another key is not held up by k1 */
    ck_assert(aoidc_flight_enter(f, k2, apr_time_from_sec(5), p2));
    apr_pool_destroy(p1);
    apr_pool_create(&p1, tp);
    ck_assert(aoidc_flight_enter(f, k1, apr_time_from_sec(5), p1));
    ck_assert_int_lt(apr_time_now() - t0, apr_time_from_sec(1));
    apr_pool_destroy(p1);
    apr_pool_destroy(p2);
}
END_TEST

START_TEST(same_pool_leads_again)
{
    /* an internal redirect keeps the request's pool: a second look at the
     * same token must not wait for itself */
    aoidc_flight_t *f = aoidc_flight_create(tp);
    unsigned char k[AOIDC_STORE_KEY_LEN];
    apr_pool_t *p;
    aoidc_store_key(k, "t", "a", 1);
    apr_pool_create(&p, tp);
    ck_assert(aoidc_flight_enter(f, k, apr_time_from_sec(5), p));
    apr_time_t t0 = apr_time_now();
    ck_assert(aoidc_flight_enter(f, k, apr_time_from_sec(5), p));
    ck_assert_int_lt(apr_time_now() - t0, apr_time_from_sec(1));
    apr_pool_destroy(p);
    apr_pool_create(&p, tp);
    ck_assert(aoidc_flight_enter(f, k, apr_time_from_msec(10), p));
    apr_pool_destroy(p);
}
END_TEST

START_TEST(null_table_leads)
{
    unsigned char k[AOIDC_STORE_KEY_LEN] = {0};
    ck_assert(aoidc_flight_enter(NULL, k, apr_time_from_sec(5), tp));
    ck_assert(aoidc_flight_enter(NULL, k, apr_time_from_sec(5), tp));
}
END_TEST

TCase *aoidc_flight_tcase(void)
{
    TCase *tc = aoidc_test_tcase("flight");
    tcase_add_test(tc, follower_waits_for_leader);
    tcase_add_test(tc, follower_wait_is_bounded);
    tcase_add_test(tc, next_leader_after_leave);
    tcase_add_test(tc, same_pool_leads_again);
    tcase_add_test(tc, null_table_leads);
    return tc;
}
