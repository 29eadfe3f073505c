/* SPDX-License-Identifier: Apache-2.0 */
/* core/cookie_session.c: sealing into chunks and reassembling them, with
 * every way a browser can send them back wrong. */
#include <string.h>

#include "core/cookie_session.h"
#include "unit.h"

#define TAG  "tagAAA"
#define NAME "sess"

static aoidc_seal_t *key(void)
{
    aoidc_seal_t *k;
    ck_assert_int_eq(aoidc_seal_create(&k, "passphrase", 10, "cs", tp),
                     APR_SUCCESS);
    return k;
}

static unsigned char *record(apr_size_t n)
{
    unsigned char *r = apr_palloc(tp, n);
    for (apr_size_t i = 0; i < n; i++) {
        r[i] = (unsigned char)(i * 7 + 3);
    }
    return r;
}

/* The Cookie header a browser would send after ops (sets only). */
static const char *header_of(const apr_array_header_t *ops, const char *extra)
{
    char *h = extra ? apr_pstrdup(tp, extra) : "";
    for (int i = 0; ops && i < ops->nelts; i++) {
        const aoidc_cookie_op_t *op = &APR_ARRAY_IDX(ops, i, aoidc_cookie_op_t);
        if (op->max_age) {
            h = apr_pstrcat(tp, h, *h ? "; " : "", op->name, "=", op->value,
                            NULL);
        }
    }
    return h;
}

static int sets(const apr_array_header_t *ops)
{
    int n = 0;
    for (int i = 0; ops && i < ops->nelts; i++) {
        n += APR_ARRAY_IDX(ops, i, aoidc_cookie_op_t).max_age != 0;
    }
    return n;
}

static const char *seal_n(apr_size_t len, unsigned present,
                          apr_array_header_t **ops)
{
    aoidc_err_t err = {0};
    *ops = NULL;
    ck_assert_ok(aoidc_cs_seal(ops, key(), TAG, NAME, record(len), len, present,
                               tp, &err),
                 err);
    return header_of(*ops, "other=1");
}

static apr_status_t open_h(const char *h, apr_size_t *len, aoidc_err_t *err)
{
    unsigned char *rec;
    *err = (aoidc_err_t){0};
    return aoidc_cs_open(&rec, len, key(), TAG, h, NAME, tp, err);
}

START_TEST(round_trip_one_and_many_chunks)
{
    apr_array_header_t *ops;
    apr_size_t len;
    aoidc_err_t err;
    const char *h = seal_n(100, 0, &ops);
    ck_assert_int_eq(sets(ops), 1);
    ck_assert_ok(open_h(h, &len, &err), err);
    ck_assert_uint_eq(len, 100);
    h = seal_n(4000, 0, &ops);
    ck_assert_int_eq(sets(ops), 2);
    ck_assert_str_eq(APR_ARRAY_IDX(ops, 1, aoidc_cookie_op_t).name, NAME "_1");
    ck_assert_ok(open_h(h, &len, &err), err);
    ck_assert_uint_eq(len, 4000);
    for (int i = 0; i < ops->nelts; i++) {
        ck_assert_uint_le(
            strlen(APR_ARRAY_IDX(ops, i, aoidc_cookie_op_t).value),
            AOIDC_CS_CHUNK_MAX);
    }
}
END_TEST

START_TEST(sealed_len_predicts)
{
    apr_array_header_t *ops;
    for (apr_size_t n = 1; n < 4500; n += 997) {
        const char *h = seal_n(n, 0, &ops);
        (void)h;
        apr_size_t total = 0;
        for (int i = 0; i < ops->nelts; i++) {
            total += strlen(APR_ARRAY_IDX(ops, i, aoidc_cookie_op_t).value);
        }
        ck_assert_uint_eq(total, aoidc_cs_sealed_len(TAG, n));
    }
}
END_TEST

START_TEST(too_large_refused_at_seal)
{
    apr_array_header_t *ops = NULL;
    aoidc_err_t err = {0};
    ck_assert_reason(
        aoidc_cs_seal(&ops, key(), TAG, NAME, record(5000), 5000, 0, tp, &err),
        err, AOIDC_REASON_TOO_LARGE);
    ck_assert_ptr_null(ops);
}
END_TEST

START_TEST(shrinking_deletes_stale_chunks)
{
    apr_array_header_t *ops;
    const char *h = seal_n(4000, 0, &ops);
    unsigned present = aoidc_cs_present(h, NAME, tp);
    ck_assert_uint_eq(present, 3u);
    seal_n(50, present, &ops);
    ck_assert_int_eq(ops->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(ops, 1, aoidc_cookie_op_t).name, NAME "_1");
    ck_assert_int_eq(APR_ARRAY_IDX(ops, 1, aoidc_cookie_op_t).max_age, 0);
    ops = NULL;
    aoidc_cs_clear(&ops, NAME, present, tp);
    ck_assert_int_eq(ops->nelts, 2);
}
END_TEST

START_TEST(absent_and_foreign)
{
    apr_size_t len;
    aoidc_err_t err;
    ck_assert_int_eq(open_h(NULL, &len, &err), APR_NOTFOUND);
    ck_assert_int_eq(open_h("a=b; sess=x", &len, &err), APR_NOTFOUND);
    ck_assert_int_eq(open_h("sess_0=tagBBB.AAAA", &len, &err), APR_NOTFOUND);
    ck_assert_int_eq(err.reason, AOIDC_REASON_NONE);
}
END_TEST

START_TEST(tampered_missing_too_many_oversize)
{
    apr_array_header_t *ops;
    apr_size_t len;
    aoidc_err_t err;
    const char *h = seal_n(4000, 0, &ops);
    const char *c0 = APR_ARRAY_IDX(ops, 0, aoidc_cookie_op_t).value;
    const char *c1 = APR_ARRAY_IDX(ops, 1, aoidc_cookie_op_t).value;
    char *t = apr_pstrdup(tp, c1);
    t[10] = t[10] == 'A' ? 'B' : 'A';
    /* tampered */
    ck_assert_reason(
        open_h(apr_pstrcat(tp, "sess_0=", c0, "; sess_1=", t, NULL), &len,
               &err),
        err, AOIDC_REASON_SESSION_INVALID);
    /* missing: only the first, or a gap */
    ck_assert_reason(open_h(apr_pstrcat(tp, "sess_0=", c0, NULL), &len, &err),
                     err, AOIDC_REASON_SESSION_INVALID);
    ck_assert_reason(
        open_h(apr_pstrcat(tp, "sess_0=", c0, "; sess_2=", c1, NULL), &len,
               &err),
        err, AOIDC_REASON_SESSION_INVALID);
    ck_assert_ptr_nonnull(strstr(err.detail, "missing"));
    /* reordered */
    ck_assert_reason(
        open_h(apr_pstrcat(tp, "sess_0=", c1, "; sess_1=", c0, NULL), &len,
               &err),
        err, AOIDC_REASON_SESSION_INVALID);
    /* too many: a chunk at the cap's index, whatever else */
    ck_assert_reason(open_h(apr_pstrcat(tp, h, "; sess_8=x", NULL), &len, &err),
                     err, AOIDC_REASON_SESSION_INVALID);
    ck_assert_ptr_nonnull(strstr(err.detail, "too many"));
    /* oversize: chunks that add up past the total */
    char *big = apr_palloc(tp, 3801);
    memset(big, 'A', 3800);
    big[3800] = '\0';
    ck_assert_reason(open_h(apr_pstrcat(tp, "sess_0=" TAG ".", big + 7,
                                        "; sess_1=", big, NULL),
                            &len, &err),
                     err, AOIDC_REASON_SESSION_INVALID);
    ck_assert_ptr_nonnull(strstr(err.detail, "too large"));
    big[3799] = '\0';
    /* one chunk past its own cap */
    ck_assert_reason(
        open_h(apr_pstrcat(tp, "sess_0=" TAG ".", big, "AAAAA", NULL), &len,
               &err),
        err, AOIDC_REASON_SESSION_INVALID);
    /* an empty chunk, another passphrase's seal */
    ck_assert_reason(open_h("sess_0=", &len, &err), err,
                     AOIDC_REASON_SESSION_INVALID);
    ck_assert_reason(open_h("sess_0=" TAG
                            ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                            &len, &err),
                     err, AOIDC_REASON_SESSION_INVALID);
    /* not ours to look at: sess_9 and beyond, sessx_0 */
    ck_assert_ok(
        open_h(apr_pstrcat(tp, h, "; sess_9=x; sessx_0=y", NULL), &len, &err),
        err);
}
END_TEST

TCase *aoidc_cookie_session_tcase(void)
{
    TCase *tc = aoidc_test_tcase("cookie_session");
    tcase_add_test(tc, round_trip_one_and_many_chunks);
    tcase_add_test(tc, sealed_len_predicts);
    tcase_add_test(tc, too_large_refused_at_seal);
    tcase_add_test(tc, shrinking_deletes_stale_chunks);
    tcase_add_test(tc, absent_and_foreign);
    tcase_add_test(tc, tampered_missing_too_many_oversize);
    return tc;
}
