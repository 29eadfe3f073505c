/* SPDX-License-Identifier: Apache-2.0 */
/* core/cookie.c: Cookie header tokenizing and Set-Cookie assembly. */
#include <string.h>

#include "core/cookie.h"
#include "unit.h"

#define CK(arr, i) (&APR_ARRAY_IDX((arr), (i), aoidc_cookie_t))

START_TEST(parse_pairs)
{
    apr_array_header_t *a = aoidc_cookie_parse(
        "a=1; b=2;c=3 ;  d = 4 ;\te=\"quoted\"; f=x=y; g=", 20, tp);
    ck_assert_int_eq(a->nelts, 7);
    ck_assert_str_eq(CK(a, 0)->name, "a");
    ck_assert_str_eq(CK(a, 0)->value, "1");
    ck_assert_str_eq(CK(a, 1)->name, "b");
    ck_assert_str_eq(CK(a, 2)->name, "c");
    ck_assert_str_eq(CK(a, 2)->value, "3");
    ck_assert_str_eq(CK(a, 3)->name, "d");
    ck_assert_str_eq(CK(a, 4)->name, "e");
    ck_assert_str_eq(CK(a, 4)->value, "quoted");
    ck_assert_str_eq(CK(a, 5)->value, "x=y");
    ck_assert_str_eq(CK(a, 6)->name, "g");
    ck_assert_str_eq(CK(a, 6)->value, "");
}
END_TEST

START_TEST(parse_skips_like_browsers)
{
    apr_array_header_t *a =
        aoidc_cookie_parse("flag; =nameless; a=1; ;;  ; =; b=2", 20, tp);
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(CK(a, 0)->name, "a");
    ck_assert_str_eq(CK(a, 1)->name, "b");
    ck_assert_int_eq(aoidc_cookie_parse(NULL, 5, tp)->nelts, 0);
    ck_assert_int_eq(aoidc_cookie_parse("", 5, tp)->nelts, 0);
    ck_assert_int_eq(aoidc_cookie_parse("   ", 5, tp)->nelts, 0);
}
END_TEST

START_TEST(parse_max)
{
    apr_array_header_t *a = aoidc_cookie_parse("a=1; b=2; c=3; d=4", 2, tp);
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(CK(a, 1)->name, "b");
    ck_assert_int_eq(aoidc_cookie_parse("a=1", 0, tp)->nelts, 0);
}
END_TEST

START_TEST(get_exact_name)
{
    const char *h =
        "aoidc_session_x=bad; Aoidc_session=bad2; aoidc_session=good;"
        " aoidc_session=second";
    ck_assert_str_eq(aoidc_cookie_get(h, "aoidc_session", tp), "good");
    ck_assert_str_eq(aoidc_cookie_get(h, "aoidc_session_x", tp), "bad");
    ck_assert_ptr_null(aoidc_cookie_get(h, "aoidc_sess", tp));
    ck_assert_ptr_null(aoidc_cookie_get(h, "AOIDC_SESSION", tp));
    ck_assert_ptr_null(aoidc_cookie_get(NULL, "a", tp));
    ck_assert_ptr_null(aoidc_cookie_get("flag", "flag", tp));
    ck_assert_str_eq(aoidc_cookie_get("x=\"v\"", "x", tp), "v");
}
END_TEST

START_TEST(get_value_cap)
{
    char *v = apr_palloc(tp, AOIDC_COOKIE_MAX_VALUE + 2);
    memset(v, 'v', AOIDC_COOKIE_MAX_VALUE + 1);
    v[AOIDC_COOKIE_MAX_VALUE] = '\0';
    const char *got = aoidc_cookie_get(apr_pstrcat(tp, "a=", v, NULL), "a", tp);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(strlen(got), AOIDC_COOKIE_MAX_VALUE);
    v[AOIDC_COOKIE_MAX_VALUE] = 'v';
    v[AOIDC_COOKIE_MAX_VALUE + 1] = '\0';
    ck_assert_ptr_null(
        aoidc_cookie_get(apr_pstrcat(tp, "a=", v, NULL), "a", tp));
}
END_TEST

START_TEST(build)
{
    aoidc_cookie_attrs_t a = {NULL, NULL, false, -1, NULL};
    ck_assert_str_eq(aoidc_cookie_build("n", "v", &a, tp),
                     "n=v; Path=/; HttpOnly; SameSite=Lax");
    aoidc_cookie_attrs_t b = {"/app", "None", true, 3600, NULL};
    ck_assert_str_eq(aoidc_cookie_build("n", "v", &b, tp),
                     "n=v; Path=/app; HttpOnly; Secure; SameSite=None; "
                     "Max-Age=3600");
    aoidc_cookie_attrs_t d = {"/", "Lax", true, -1, "example.org"};
    ck_assert_str_eq(aoidc_cookie_build("n", "v", &d, tp),
                     "n=v; Path=/; HttpOnly; Secure; SameSite=Lax; "
                     "Domain=example.org");
    aoidc_cookie_attrs_t del = {NULL, "Strict", true, 0, NULL};
    ck_assert_str_eq(aoidc_cookie_build("n", "", &del, tp),
                     "n=; Path=/; HttpOnly; Secure; SameSite=Strict; "
                     "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
}
END_TEST

START_TEST(strip_keeps_the_rest_verbatim)
{
    const char *h = "a=\"x y\"; aoidc_session=T.1.s;flag;  b=1=2 ;"
                    "aoidc_state_k=v; c=; aoidc_sessionx=1";
    ck_assert_str_eq(aoidc_cookie_strip(h, "aoidc_session", "aoidc_state_", tp),
                     "a=\"x y\"; flag; b=1=2; c=; aoidc_sessionx=1");
    /* nothing ours: the header itself */
    h = "a=1;b=2";
    ck_assert_ptr_eq(aoidc_cookie_strip(h, "aoidc_session", "aoidc_state_", tp),
                     h);
    /* only ours: nothing left */
    ck_assert_ptr_null(aoidc_cookie_strip(" aoidc_session = x ;aoidc_state_a=b",
                                          "aoidc_session", "aoidc_state_", tp));
    ck_assert_ptr_null(aoidc_cookie_strip(NULL, "n", NULL, tp));
    /* a nameless piece is never ours, even when it looks like our name */
    ck_assert_str_eq(aoidc_cookie_strip("aoidc_session; n=1", "n", NULL, tp),
                     "aoidc_session");
}
END_TEST

TCase *aoidc_cookie_tcase(void)
{
    TCase *tc = aoidc_test_tcase("cookie");
    tcase_add_test(tc, parse_pairs);
    tcase_add_test(tc, parse_skips_like_browsers);
    tcase_add_test(tc, parse_max);
    tcase_add_test(tc, get_exact_name);
    tcase_add_test(tc, get_value_cap);
    tcase_add_test(tc, build);
    tcase_add_test(tc, strip_keeps_the_rest_verbatim);
    return tc;
}
