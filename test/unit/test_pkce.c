/* SPDX-License-Identifier: Apache-2.0 */
/* core/pkce.c: RFC 7636 S256. */
#include <string.h>

#include "core/pkce.h"
#include "unit.h"

START_TEST(rfc7636_appendix_b)
{
    ck_assert_str_eq(aoidc_pkce_challenge_s256(
                         "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", tp),
                     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}
END_TEST

START_TEST(challenge_differs_per_verifier)
{
    ck_assert_str_ne(aoidc_pkce_challenge_s256("a", tp),
                     aoidc_pkce_challenge_s256("b", tp));
    ck_assert_uint_eq(strlen(aoidc_pkce_challenge_s256("", tp)), 43);
}
END_TEST

START_TEST(verifier_shape)
{
    char *a = NULL, *b = NULL;
    ck_assert_int_eq(aoidc_pkce_verifier(&a, tp), APR_SUCCESS);
    ck_assert_int_eq(aoidc_pkce_verifier(&b, tp), APR_SUCCESS);
    /* RFC 7636 §4.1: 43..128 unreserved characters; ours are base64url */
    ck_assert_uint_eq(strlen(a), 43);
    ck_assert_uint_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                                "tuvwxyz0123456789-_"),
                      43);
    ck_assert_str_ne(a, b);
}
END_TEST

TCase *aoidc_pkce_tcase(void)
{
    TCase *tc = aoidc_test_tcase("pkce");
    tcase_add_test(tc, rfc7636_appendix_b);
    tcase_add_test(tc, challenge_differs_per_verifier);
    tcase_add_test(tc, verifier_shape);
    return tc;
}
