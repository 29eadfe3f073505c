/* SPDX-License-Identifier: Apache-2.0 */
/* core/guard.c: the in-flight cap and the circuit. */
#include "core/guard.h"
#include "unit.h"

START_TEST(cap_and_leave)
{
    aoidc_err_t err = {0};
    aoidc_guard_t *g = aoidc_guard_create(3, tp);
    for (int i = 0; i < 3; i++) {
        ck_assert_ok(aoidc_guard_enter(g, tp, &err), err);
    }
    ck_assert_uint_eq(aoidc_guard_inflight(g), 3);
    ck_assert_reason(aoidc_guard_enter(g, tp, &err), err, AOIDC_REASON_OP_BUSY);
    /* a refused enter takes no slot */
    ck_assert_uint_eq(aoidc_guard_inflight(g), 3);
    aoidc_guard_leave(g, T_NOW, false);
    ck_assert_uint_eq(aoidc_guard_inflight(g), 2);
    err.reason = AOIDC_REASON_NONE;
    ck_assert_ok(aoidc_guard_enter(g, tp, &err), err);
    ck_assert_reason(aoidc_guard_enter(g, tp, &err), err, AOIDC_REASON_OP_BUSY);
    for (int i = 0; i < 3; i++) {
        aoidc_guard_leave(g, T_NOW, false);
    }
    ck_assert_uint_eq(aoidc_guard_inflight(g), 0);
}
END_TEST

START_TEST(default_cap)
{
    aoidc_err_t err = {0};
    aoidc_guard_t *g = aoidc_guard_create(0, tp);
    for (int i = 0; i < AOIDC_GUARD_MAX_INFLIGHT; i++) {
        ck_assert_ok(aoidc_guard_enter(g, tp, &err), err);
    }
    ck_assert_reason(aoidc_guard_enter(g, tp, &err), err, AOIDC_REASON_OP_BUSY);
    ck_assert_uint_eq(aoidc_guard_inflight(g), AOIDC_GUARD_MAX_INFLIGHT);
}
END_TEST

START_TEST(circuit)
{
    aoidc_err_t err = {0};
    aoidc_guard_t *g = aoidc_guard_create(2, tp);
    ck_assert(!aoidc_guard_is_open(g, T_NOW));
    ck_assert_ok(aoidc_guard_enter(g, tp, &err), err);
    aoidc_guard_leave(g, T_NOW, true);
    ck_assert(aoidc_guard_is_open(g, T_NOW));
    ck_assert(aoidc_guard_is_open(g, T_NOW + AOIDC_GUARD_OPEN_FOR - 1));
    ck_assert(!aoidc_guard_is_open(g, T_NOW + AOIDC_GUARD_OPEN_FOR));
    /* the circuit is advice for optional calls: enter still works */
    ck_assert_ok(aoidc_guard_enter(g, tp, &err), err);
    aoidc_guard_leave(g, T_NOW + 1, true);
    ck_assert(aoidc_guard_is_open(g, T_NOW + AOIDC_GUARD_OPEN_FOR));
    /* a success closes it at once */
    ck_assert_ok(aoidc_guard_enter(g, tp, &err), err);
    aoidc_guard_leave(g, T_NOW + 2, false);
    ck_assert(!aoidc_guard_is_open(g, T_NOW + 2));
    ck_assert_uint_eq(aoidc_guard_inflight(g), 0);
}
END_TEST

START_TEST(null_guard)
{
    aoidc_err_t err = {0};
    for (int i = 0; i < 100; i++) {
        ck_assert_ok(aoidc_guard_enter(NULL, tp, &err), err);
    }
    aoidc_guard_leave(NULL, T_NOW, true);
    ck_assert(!aoidc_guard_is_open(NULL, T_NOW));
    ck_assert_uint_eq(aoidc_guard_inflight(NULL), 0);
    ck_assert_int_eq(err.reason, AOIDC_REASON_NONE);
}
END_TEST

TCase *aoidc_guard_tcase(void)
{
    TCase *tc = aoidc_test_tcase("guard");
    tcase_add_test(tc, cap_and_leave);
    tcase_add_test(tc, default_cap);
    tcase_add_test(tc, circuit);
    tcase_add_test(tc, null_guard);
    return tc;
}
