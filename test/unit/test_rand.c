/* SPDX-License-Identifier: Apache-2.0 */
/* core/rand.c: CSPRNG bytes and base64url tokens. */
#include <string.h>

#include "core/b64url.h"
#include "core/rand.h"
#include "unit.h"

START_TEST(bytes_fill_and_differ)
{
    unsigned char a[32], b[32], zero[32] = {0};
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    ck_assert_int_eq(aoidc_rand_bytes(a, sizeof(a)), APR_SUCCESS);
    ck_assert_int_eq(aoidc_rand_bytes(b, sizeof(b)), APR_SUCCESS);
    ck_assert(memcmp(a, zero, 32) != 0);
    ck_assert(memcmp(a, b, 32) != 0);
    ck_assert_int_eq(aoidc_rand_bytes(a, 0), APR_SUCCESS);
}
END_TEST

START_TEST(token_lengths)
{
    static const struct {
        apr_size_t nbytes, chars;
    } t[] = {{16, 22}, {32, 43}, {64, 86}, {1, 2}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        char *tok = NULL;
        unsigned char *raw;
        apr_size_t n;
        aoidc_err_t err = {0};
        ck_assert_int_eq(aoidc_rand_token(&tok, t[i].nbytes, tp), APR_SUCCESS);
        ck_assert_uint_eq(strlen(tok), t[i].chars);
        ck_assert_ok(aoidc_b64url_decode(&raw, &n, tok, strlen(tok), tp, &err),
                     err);
        ck_assert_uint_eq(n, t[i].nbytes);
    }
}
END_TEST

START_TEST(token_distinct)
{
    char *a, *b;
    ck_assert_int_eq(aoidc_rand_token(&a, 32, tp), APR_SUCCESS);
    ck_assert_int_eq(aoidc_rand_token(&b, 32, tp), APR_SUCCESS);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(token_too_long_refused)
{
    char *tok = NULL;
    ck_assert_int_eq(aoidc_rand_token(&tok, 65, tp), APR_EGENERAL);
    ck_assert_ptr_null(tok);
}
END_TEST

TCase *aoidc_rand_tcase(void)
{
    TCase *tc = aoidc_test_tcase("rand");
    tcase_add_test(tc, bytes_fill_and_differ);
    tcase_add_test(tc, token_lengths);
    tcase_add_test(tc, token_distinct);
    tcase_add_test(tc, token_too_long_refused);
    return tc;
}
