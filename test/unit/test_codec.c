/* SPDX-License-Identifier: Apache-2.0 */
/* core/codec.c: length-prefixed records, zero-copy reads, sticky errors. */
#include <string.h>

#include "core/codec.h"
#include "unit.h"

START_TEST(layout)
{
    aoidc_wbuf_t w;
    static const unsigned char want[] = {
        0x07,                                           /* u8 */
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* u64 BE */
        0x00, 0x00, 0x00, 0x02, 'a',  'b',  0x00,       /* "ab" */
        0x00, 0x00, 0x00, 0x00, 0x00,                   /* "" */
        0xff, 0xff, 0xff, 0xff,                         /* NULL */
    };
    aoidc_codec_init(&w, 4, tp);
    aoidc_codec_put_u8(&w, 7);
    aoidc_codec_put_u64(&w, 0x0102030405060708ULL);
    aoidc_codec_put_str(&w, "ab");
    aoidc_codec_put_str(&w, "");
    aoidc_codec_put_str(&w, NULL);
    ck_assert_uint_eq(w.len, sizeof(want));
    ck_assert_mem_eq(w.buf, want, sizeof(want));
}
END_TEST

START_TEST(roundtrip_and_growth)
{
    aoidc_wbuf_t w;
    aoidc_rbuf_t r;
    aoidc_codec_init(&w, 0, tp); /* default capacity */
    for (int i = 0; i < 500; i++) {
        aoidc_codec_put_u64(&w, (apr_uint64_t)i * 0x0101010101ULL);
        aoidc_codec_put_str(&w, i % 3 ? apr_psprintf(tp, "value-%d", i) : NULL);
        aoidc_codec_put_u8(&w, (unsigned)i);
    }
    aoidc_codec_put_u64(&w, UINT64_MAX);
    aoidc_codec_reader(&r, w.buf, w.len);
    for (int i = 0; i < 500; i++) {
        ck_assert_uint_eq(aoidc_codec_get_u64(&r),
                          (apr_uint64_t)i * 0x0101010101ULL);
        const char *s = aoidc_codec_get_str(&r);
        if (i % 3) {
            ck_assert_str_eq(s, apr_psprintf(tp, "value-%d", i));
            /* zero-copy: the string lies inside the buffer */
            ck_assert((const unsigned char *)s > w.buf
                      && (const unsigned char *)s < w.buf + w.len);
        }
        else {
            ck_assert_ptr_null(s);
        }
        ck_assert_uint_eq(aoidc_codec_get_u8(&r), (unsigned)i & 0xff);
    }
    ck_assert_uint_eq(aoidc_codec_get_u64(&r), UINT64_MAX);
    ck_assert(!r.bad);
    ck_assert_uint_eq(r.left, 0);
}
END_TEST

START_TEST(short_reads_are_sticky)
{
    aoidc_rbuf_t r;
    static const unsigned char buf[] = {1, 2, 3, 4, 5, 6, 7};
    aoidc_codec_reader(&r, buf, sizeof(buf));
    ck_assert_uint_eq(aoidc_codec_get_u64(&r), 0);
    ck_assert(r.bad);
    /* once bad, even a read that would fit fails */
    ck_assert_uint_eq(aoidc_codec_get_u8(&r), 0);
    ck_assert_ptr_null(aoidc_codec_get_str(&r));
    ck_assert(r.bad);
    aoidc_codec_reader(&r, buf, 0);
    ck_assert_uint_eq(aoidc_codec_get_u8(&r), 0);
    ck_assert(r.bad);
}
END_TEST

static bool str_bad(const unsigned char *b, apr_size_t n)
{
    aoidc_rbuf_t r;
    unsigned char *copy = apr_pmemdup(tp, b, n); /* exact size for ASan */
    aoidc_codec_reader(&r, copy, n);
    const char *s = aoidc_codec_get_str(&r);
    return s == NULL && r.bad;
}

START_TEST(bad_strings)
{
    static const unsigned char no_nul[] = {0, 0, 0, 2, 'a', 'b', 'c'};
    static const unsigned char too_long[] = {0, 0, 0, 9, 'a', 'b', 0};
    static const unsigned char huge[] = {0xff, 0xff, 0xff, 0xfe, 'a', 0};
    static const unsigned char short_len[] = {0, 0, 0};
    static const unsigned char exact[] = {0, 0, 0, 2, 'a', 'b'};
    ck_assert(str_bad(no_nul, sizeof(no_nul)));
    ck_assert(str_bad(too_long, sizeof(too_long)));
    ck_assert(str_bad(huge, sizeof(huge)));
    ck_assert(str_bad(short_len, sizeof(short_len)));
    ck_assert(str_bad(exact, sizeof(exact))); /* the NUL is missing */
}
END_TEST

/* An inner NUL is a shorter string, never a read past the field: put_str
 * cannot write one (codec.c says why it is not scanned for). */
START_TEST(inner_nul_is_a_shorter_string)
{
    static const unsigned char inner_nul[] = {0, 0, 0, 2, 'a', 0, 0, 7};
    aoidc_rbuf_t r;
    unsigned char *copy = apr_pmemdup(tp, inner_nul, sizeof(inner_nul));
    aoidc_codec_reader(&r, copy, sizeof(inner_nul));
    const char *s = aoidc_codec_get_str(&r);
    ck_assert_str_eq(s, "a");
    ck_assert(!r.bad);
    ck_assert_uint_eq(aoidc_codec_get_u8(&r), 7);
}
END_TEST

START_TEST(null_string_is_not_an_error)
{
    aoidc_rbuf_t r;
    static const unsigned char b[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0};
    aoidc_codec_reader(&r, b, sizeof(b));
    ck_assert_ptr_null(aoidc_codec_get_str(&r));
    ck_assert(!r.bad);
    ck_assert_str_eq(aoidc_codec_get_str(&r), "");
    ck_assert(!r.bad);
    ck_assert_uint_eq(r.left, 0);
}
END_TEST

TCase *aoidc_codec_tcase(void)
{
    TCase *tc = aoidc_test_tcase("codec");
    tcase_add_test(tc, layout);
    tcase_add_test(tc, roundtrip_and_growth);
    tcase_add_test(tc, short_reads_are_sticky);
    tcase_add_test(tc, bad_strings);
    tcase_add_test(tc, null_string_is_not_an_error);
    tcase_add_test(tc, inner_nul_is_a_shorter_string);
    return tc;
}
