/* SPDX-License-Identifier: Apache-2.0 */
/* core/err.c: reason names and the status an error carries. */
#include <string.h>

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
    /* rejections of input are EINVAL ... */
    for (int r = AOIDC_REASON_MALFORMED; r < AOIDC_REASON_OP_UNREACHABLE; r++) {
        ck_assert_int_eq(aoidc_err_set(&err, (aoidc_reason_t)r, tp, "-"),
                         APR_EINVAL);
    }
    /* ... upstream and local trouble is EGENERAL */
    for (int r = AOIDC_REASON_OP_UNREACHABLE; r < AOIDC_REASON__COUNT; r++) {
        ck_assert_int_eq(aoidc_err_set(&err, (aoidc_reason_t)r, tp, "-"),
                         APR_EGENERAL);
        ck_assert_int_eq(err.reason, r);
    }
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
    tcase_add_test(tc, set_without_err);
    return tc;
}
