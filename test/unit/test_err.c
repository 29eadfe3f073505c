/* SPDX-License-Identifier: Apache-2.0 */
/* core/err.c: reason names and the status an error carries. */
#include <string.h>

#include <apr_atomic.h>
#include <apr_thread_proc.h>

#include "unit.h"

START_TEST(names_unique_and_stable)
{
    for (int i = 0; i < AOIDC_REASON__COUNT; i++) {
        const char *n = aoidc_reason_name((aoidc_reason_t)i);
        ck_assert_msg(strcmp(n, "unknown") != 0, "reason %d has no name", i);
        ck_assert_uint_eq(strspn(n, "abcdefghijklmnopqrstuvwxyz_"), strlen(n));
        for (int j = 0; j < i; j++) {
            ck_assert_str_ne(n, aoidc_reason_name((aoidc_reason_t)j));
        }
        ck_assert_int_eq(aoidc_test_reason_from_name(n), i);
    }
    ck_assert_str_eq(aoidc_reason_name(AOIDC_REASON_EXPIRED), "expired");
    ck_assert_str_eq(aoidc_reason_name(AOIDC_REASON_SIGNATURE), "signature");
}
END_TEST

START_TEST(name_out_of_range)
{
    ck_assert_str_eq(aoidc_reason_name(AOIDC_REASON__COUNT), "unknown");
    ck_assert_str_eq(aoidc_reason_name((aoidc_reason_t)-1), "unknown");
    ck_assert_str_eq(aoidc_reason_name((aoidc_reason_t)9999), "unknown");
}
END_TEST

START_TEST(set_fills_and_classifies)
{
    aoidc_err_t err = {0};
    ck_assert_int_eq(
        aoidc_err_set(&err, AOIDC_REASON_AUDIENCE, tp, "aud %s %d", "x", 7),
        APR_EINVAL);
    ck_assert_int_eq(err.reason, AOIDC_REASON_AUDIENCE);
    ck_assert_str_eq(err.detail, "aud x 7");
    /* rejections of input are EINVAL, upstream and local trouble is
     * EGENERAL: decided by the table's fault column, not enum order */
    for (int r = AOIDC_REASON_MALFORMED; r < AOIDC_REASON__COUNT; r++) {
        bool client =
            aoidc_reason_info((aoidc_reason_t)r)->fault == AOIDC_FAULT_CLIENT;
        ck_assert_int_eq(aoidc_err_set(&err, (aoidc_reason_t)r, tp, "-"),
                         client ? APR_EINVAL : APR_EGENERAL);
        ck_assert_int_eq(err.reason, r);
    }
}
END_TEST

/* Every row is complete and consistent: a client fault never answers 5xx,
 * only upstream faults answer 502/503, a bearer error code only comes with
 * 400/401/403, and every message is short and ends in a full stop. */
START_TEST(table_walk)
{
    for (int i = 0; i < AOIDC_REASON__COUNT; i++) {
        const aoidc_reason_info_t *ri = aoidc_reason_info((aoidc_reason_t)i);
        ck_assert_ptr_nonnull(ri->name);
        ck_assert_ptr_nonnull(ri->message);
        ck_assert_ptr_nonnull(ri->metric);
        ck_assert_msg(ri->status >= 400 && ri->status <= 503, "%s: %d",
                      ri->name, ri->status);
        ck_assert_uint_lt(strlen(ri->message), 80);
        ck_assert_int_eq(ri->message[strlen(ri->message) - 1], '.');
        ck_assert_msg(ri->level >= AOIDC_LOG_DEBUG
                          && ri->level <= AOIDC_LOG_ERROR,
                      "%s: level", ri->name);
        if (ri->fault == AOIDC_FAULT_CLIENT) {
            ck_assert_msg(ri->status < 500, "%s: client fault with %d",
                          ri->name, ri->status);
            ck_assert_msg(ri->level <= AOIDC_LOG_INFO,
                          "%s: client faults log at info at most", ri->name);
        }
        if (ri->status == 502 || ri->status == 503) {
            ck_assert_int_eq(ri->fault, AOIDC_FAULT_UPSTREAM);
        }
        if (ri->bearer_error) {
            ck_assert_msg(ri->status == 400 || ri->status == 401
                              || ri->status == 403,
                          "%s", ri->name);
        }
        if (i == AOIDC_REASON_NONE) {
            continue;
        }
        ck_assert_str_eq(ri->name, aoidc_reason_name((aoidc_reason_t)i));
    }
    ck_assert_str_eq(aoidc_reason_info(AOIDC_REASON__COUNT)->name, "internal");
    ck_assert_int_eq(aoidc_reason_info(AOIDC_REASON_STORE_UNAVAILABLE)->status,
                     503);
    ck_assert_str_eq(aoidc_reason_info(AOIDC_REASON_SCOPE)->bearer_error,
                     "insufficient_scope");
}
END_TEST

/* The store-outage line: the first call is due, calls within the interval
 * are not, the first one at or after it is (and restarts the interval). */
START_TEST(log_due_once_per_interval)
{
    apr_uint32_t last = 0;
    apr_time_t t0 = apr_time_from_sec(1700000000);
    ck_assert(aoidc_log_due(&last, t0, 10));
    ck_assert(!aoidc_log_due(&last, t0, 10));
    ck_assert(!aoidc_log_due(&last, t0 + apr_time_from_sec(9), 10));
    ck_assert(aoidc_log_due(&last, t0 + apr_time_from_sec(10), 10));
    ck_assert(!aoidc_log_due(&last, t0 + apr_time_from_sec(19), 10));
    ck_assert(aoidc_log_due(&last, t0 + apr_time_from_sec(45), 10));
    /* a clock stepped back: one line too many rather than a silence as
     * long as the step, and quiet again from there */
    ck_assert(aoidc_log_due(&last, t0 + apr_time_from_sec(40), 10));
    ck_assert(!aoidc_log_due(&last, t0 + apr_time_from_sec(41), 10));
    /* second 0 is not "never logged" */
    last = 0;
    ck_assert(aoidc_log_due(&last, 0, 10));
    ck_assert(!aoidc_log_due(&last, apr_time_from_sec(5), 10));
}
END_TEST

/* 8 threads x 1000 calls at one instant: exactly one line is due. */
static apr_uint32_t race_last;
static apr_uint32_t race_wins;

static void *APR_THREAD_FUNC race(apr_thread_t *t, void *arg)
{
    (void)t;
    for (int i = 0; i < 1000; i++) {
        if (aoidc_log_due(&race_last, *(apr_time_t *)arg, 10)) {
            apr_atomic_inc32(&race_wins);
        }
    }
    return NULL;
}

START_TEST(log_due_one_winner)
{
    apr_thread_t *th[8];
    apr_time_t now = apr_time_now();
    apr_status_t rv;
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(apr_thread_create(&th[i], NULL, race, &now, tp),
                         APR_SUCCESS);
    }
    for (int i = 0; i < 8; i++) {
        apr_thread_join(&rv, th[i]);
    }
    ck_assert_uint_eq(apr_atomic_read32(&race_wins), 1);
}
END_TEST

START_TEST(set_without_err)
{
    ck_assert_int_eq(aoidc_err_set(NULL, AOIDC_REASON_NONCE, tp, "x"),
                     APR_EINVAL);
    ck_assert_int_eq(aoidc_err_set(NULL, AOIDC_REASON_INTERNAL, tp, "x"),
                     APR_EGENERAL);
}
END_TEST

TCase *aoidc_err_tcase(void)
{
    TCase *tc = aoidc_test_tcase("err");
    tcase_add_test(tc, names_unique_and_stable);
    tcase_add_test(tc, name_out_of_range);
    tcase_add_test(tc, set_fills_and_classifies);
    tcase_add_test(tc, table_walk);
    tcase_add_test(tc, set_without_err);
    tcase_add_test(tc, log_due_once_per_interval);
    tcase_add_test(tc, log_due_one_winner);
    return tc;
}
