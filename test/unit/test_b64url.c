/* SPDX-License-Identifier: Apache-2.0 */
/* core/b64url.c: RFC 4648 §5 without padding, canonical only. */
#include <string.h>

#include "core/b64url.h"
#include "core/rand.h"
#include "unit.h"

static const struct {
    const char *raw, *enc;
} rfc4648[] = {
    {"", ""},
    {"f", "Zg"},
    {"fo", "Zm8"},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg"},
    {"fooba", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy"},
};

START_TEST(rfc4648_vectors)
{
    for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
        unsigned char *out;
        apr_size_t n;
        aoidc_err_t err = {0};
        const char *enc = aoidc_b64url_encode(
            (const unsigned char *)rfc4648[i].raw, strlen(rfc4648[i].raw), tp);
        ck_assert_str_eq(enc, rfc4648[i].enc);
        ck_assert_ok(aoidc_b64url_decode(&out, &n, enc, strlen(enc), tp, &err),
                     err);
        ck_assert_uint_eq(n, strlen(rfc4648[i].raw));
        ck_assert_mem_eq(out, rfc4648[i].raw, n);
        ck_assert_int_eq(out[n], '\0');
    }
}
END_TEST

START_TEST(url_alphabet)
{
    static const unsigned char raw[] = {0xfb, 0xff, 0xbf};
    unsigned char *out;
    apr_size_t n;
    aoidc_err_t err = {0};
    const char *enc = aoidc_b64url_encode(raw, sizeof(raw), tp);
    ck_assert_str_eq(enc, "-_-_"); /* standard base64 would be "+/+/" */
    ck_assert_ok(aoidc_b64url_decode(&out, &n, enc, 4, tp, &err), err);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(out, raw, 3);
}
END_TEST

START_TEST(roundtrip_lengths)
{
    unsigned char buf[200];
    ck_assert_int_eq(aoidc_rand_bytes(buf, sizeof(buf)), APR_SUCCESS);
    for (apr_size_t len = 0; len <= sizeof(buf); len++) {
        unsigned char *out;
        apr_size_t n;
        aoidc_err_t err = {0};
        const char *enc = aoidc_b64url_encode(buf, len, tp);
        ck_assert_uint_eq(strlen(enc), (len * 4 + 2) / 3);
        ck_assert_ptr_null(strpbrk(enc, "=+/"));
        ck_assert_ok(aoidc_b64url_decode(&out, &n, enc, strlen(enc), tp, &err),
                     err);
        ck_assert_uint_eq(n, len);
        ck_assert(len == 0 || memcmp(out, buf, len) == 0);
    }
}
END_TEST

START_TEST(decode_honours_len)
{
    unsigned char *out;
    apr_size_t n;
    aoidc_err_t err = {0};
    /* only the first 4 characters count, the rest is not looked at */
    ck_assert_ok(aoidc_b64url_decode(&out, &n, "Zm9v!!!!", 4, tp, &err), err);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq((char *)out, "foo");
}
END_TEST

static const char *const bad[] = {
    "Zg==",       /* padding */
    "Zg=",        /* padding */
    "Zm9v=",      /* padding */
    "Zm 9v",      /* space */
    "Zm9v\n",     /* newline */
    "\tZm9v",     /* tab */
    "Zm+v",       /* standard alphabet */
    "Zm/v",       /* standard alphabet */
    "Z",          /* 1 mod 4 */
    "Zm9vY",      /* 1 mod 4 */
    "Zh",         /* non-canonical: low 4 bits set */
    "Zm9",        /* non-canonical: low 2 bits set */
    "Zm9vYh",     /* non-canonical */
    "Zm.v",       /* dot */
    "\xc3\xa9Zm", /* non-ASCII */
};

START_TEST(decode_refuses)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned char *out = NULL;
        apr_size_t n = 0;
        aoidc_err_t err = {0};
        ck_assert_reason(
            aoidc_b64url_decode(&out, &n, bad[i], strlen(bad[i]), tp, &err),
            err, AOIDC_REASON_MALFORMED);
    }
}
END_TEST

START_TEST(decode_refuses_nul)
{
    unsigned char *out;
    apr_size_t n;
    aoidc_err_t err = {0};
    ck_assert_reason(aoidc_b64url_decode(&out, &n, "Zm\0v", 4, tp, &err), err,
                     AOIDC_REASON_MALFORMED);
}
END_TEST

START_TEST(decode_canonical_tails_ok)
{
    /* the canonical neighbours of the refused tails above */
    const char *ok[] = {"Zg", "Zm8", "Zm9vYg", "AA", "AAA", "____", "-_8"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        unsigned char *out;
        apr_size_t n;
        aoidc_err_t err = {0};
        ck_assert_ok(
            aoidc_b64url_decode(&out, &n, ok[i], strlen(ok[i]), tp, &err), err);
    }
}
END_TEST

TCase *aoidc_b64url_tcase(void)
{
    TCase *tc = aoidc_test_tcase("b64url");
    tcase_add_test(tc, rfc4648_vectors);
    tcase_add_test(tc, url_alphabet);
    tcase_add_test(tc, roundtrip_lengths);
    tcase_add_test(tc, decode_honours_len);
    tcase_add_test(tc, decode_refuses);
    tcase_add_test(tc, decode_refuses_nul);
    tcase_add_test(tc, decode_canonical_tails_ok);
    return tc;
}
