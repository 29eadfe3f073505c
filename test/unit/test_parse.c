/* SPDX-License-Identifier: Apache-2.0 */
/* core/parse.c: configuration value parsers. */
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>

#include "core/parse.h"
#include "unit.h"

START_TEST(seconds_ok)
{
    apr_int64_t v = -1;
    ck_assert_ptr_null(aoidc_parse_seconds(&v, "0", 100, tp));
    ck_assert_int_eq(v, 0);
    ck_assert_ptr_null(aoidc_parse_seconds(&v, "60", 100, tp));
    ck_assert_int_eq(v, 60);
    ck_assert_ptr_null(aoidc_parse_seconds(&v, "100", 100, tp));
    ck_assert_int_eq(v, 100);
    ck_assert_ptr_null(aoidc_parse_seconds(&v, "007", 100, tp));
    ck_assert_int_eq(v, 7);
}
END_TEST

START_TEST(seconds_bad)
{
    static const char *const bad[] = {
        "101",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1s",
        "",
        "abc",
        "1.5",
        "0x10",
        "99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        apr_int64_t v = 42;
        const char *msg = aoidc_parse_seconds(&v, bad[i], 100, tp);
        ck_assert_msg(msg != NULL, "'%s' accepted", bad[i]);
        ck_assert_ptr_nonnull(strstr(msg, "100")); /* names the bound */
        ck_assert_int_eq(v, 42);
    }
}
END_TEST

START_TEST(secret_literal_and_env)
{
    const char *s = NULL;
    ck_assert_ptr_null(aoidc_parse_secret(&s, "lit3ral", tp));
    ck_assert_str_eq(s, "lit3ral");
    setenv("AOIDC_TEST_SECRET", "from-env", 1);
    ck_assert_ptr_null(aoidc_parse_secret(&s, "env:AOIDC_TEST_SECRET", tp));
    ck_assert_str_eq(s, "from-env");
    unsetenv("AOIDC_TEST_SECRET");
    ck_assert_ptr_nonnull(aoidc_parse_secret(&s, "env:AOIDC_TEST_SECRET", tp));
    setenv("AOIDC_TEST_SECRET", "", 1);
    ck_assert_ptr_nonnull(aoidc_parse_secret(&s, "env:AOIDC_TEST_SECRET", tp));
    unsetenv("AOIDC_TEST_SECRET");
}
END_TEST

static const char *write_tmp(const char *content)
{
    apr_file_t *f;
    const char *dir;
    char *path;
    apr_size_t n = strlen(content);
    ck_assert_int_eq(apr_temp_dir_get(&dir, tp), APR_SUCCESS);
    path = apr_pstrcat(tp, dir, "/aoidc-secret-XXXXXX", NULL);
    ck_assert_int_eq(apr_file_mktemp(&f, path,
                                     APR_FOPEN_CREATE | APR_FOPEN_READ
                                         | APR_FOPEN_WRITE | APR_FOPEN_EXCL,
                                     tp),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_file_write_full(f, content, n, NULL), APR_SUCCESS);
    apr_file_close(f);
    return path;
}

START_TEST(secret_file)
{
    const char *s = NULL;
    const char *p1 = write_tmp("s3cret\nsecond line\n");
    const char *p2 = write_tmp("crlf\r\n");
    const char *p3 = write_tmp("no-newline");
    const char *p4 = write_tmp("");
    const char *p5 = write_tmp("\nafter empty line");
    ck_assert_ptr_null(
        aoidc_parse_secret(&s, apr_pstrcat(tp, "file:", p1, NULL), tp));
    ck_assert_str_eq(s, "s3cret");
    ck_assert_ptr_null(
        aoidc_parse_secret(&s, apr_pstrcat(tp, "file:", p2, NULL), tp));
    ck_assert_str_eq(s, "crlf");
    ck_assert_ptr_null(
        aoidc_parse_secret(&s, apr_pstrcat(tp, "file:", p3, NULL), tp));
    ck_assert_str_eq(s, "no-newline");
    ck_assert_ptr_nonnull(
        aoidc_parse_secret(&s, apr_pstrcat(tp, "file:", p4, NULL), tp));
    ck_assert_ptr_nonnull(
        aoidc_parse_secret(&s, apr_pstrcat(tp, "file:", p5, NULL), tp));
    ck_assert_ptr_nonnull(
        aoidc_parse_secret(&s, "file:/nonexistent/aoidc/secret", tp));
    apr_file_remove(p1, tp);
    apr_file_remove(p2, tp);
    apr_file_remove(p3, tp);
    apr_file_remove(p4, tp);
    apr_file_remove(p5, tp);
}
END_TEST

START_TEST(store_ok)
{
    aoidc_store_kind_t k = 0;
    apr_size_t n = 7;
    ck_assert_ptr_null(aoidc_parse_store(&k, &n, "shm", tp));
    ck_assert_int_eq(k, AOIDC_STORE_SHM);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(aoidc_parse_store(&k, &n, "shm:64M", tp));
    ck_assert_uint_eq(n, 64 * 1024 * 1024);
    ck_assert_ptr_null(aoidc_parse_store(&k, &n, "shm:2048k", tp));
    ck_assert_uint_eq(n, 2048 * 1024);
    ck_assert_ptr_null(aoidc_parse_store(&k, &n, "cookie", tp));
    ck_assert_int_eq(k, AOIDC_STORE_COOKIE);
    static const char *const redis[] = {"redis://r:6379", "rediss://u:p@r:1/2",
                                        "redis-sentinel://h:1/m",
                                        "redis-cluster://h:1,h:2"};
    for (size_t i = 0; i < sizeof(redis) / sizeof(*redis); i++) {
        ck_assert_ptr_null(aoidc_parse_store(&k, &n, redis[i], tp));
        ck_assert_int_eq(k, AOIDC_STORE_REDIS);
    }
    ck_assert_ptr_null(aoidc_parse_store(&k, &n, "memcache://m:11211", tp));
    ck_assert_int_eq(k, AOIDC_STORE_MEMCACHE);
}
END_TEST

START_TEST(store_bad)
{
    static const char *const bad[] = {
        "",           "SHM",      "shm ",       "file",   "redis:/h:1",
        "http://h:1", "shm:",     "shm:64X",    "shm:12", "shm:-1M",
        "shm:5000G",  "shm:64MB", "memcache:/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aoidc_store_kind_t k = 0;
        apr_size_t n;
        const char *msg = aoidc_parse_store(&k, &n, bad[i], tp);
        ck_assert_msg(msg != NULL, "'%s' accepted", bad[i]);
        ck_assert_msg(strstr(msg, "expects"), "%s", msg);
    }
}
END_TEST

START_TEST(size_units)
{
    apr_size_t n;
    ck_assert_ptr_null(aoidc_parse_size(&n, "1048576", 1, 1 << 30, tp));
    ck_assert_uint_eq(n, 1048576);
    ck_assert_ptr_null(aoidc_parse_size(&n, "1g", 1, (apr_size_t)1 << 31, tp));
    ck_assert_uint_eq(n, 1024 * 1024 * 1024);
    ck_assert_ptr_nonnull(aoidc_parse_size(&n, "2G", 1, 1 << 30, tp));
    ck_assert_ptr_nonnull(
        aoidc_parse_size(&n, "99999999999999999999", 1, 1 << 30, tp));
    ck_assert_ptr_nonnull(aoidc_parse_size(&n, "1K", 4096, 1 << 30, tp));
    ck_assert_ptr_nonnull(aoidc_parse_size(&n, " 1M", 1, 1 << 30, tp));
}
END_TEST

TCase *aoidc_parse_tcase(void)
{
    TCase *tc = aoidc_test_tcase("parse");
    tcase_add_test(tc, seconds_ok);
    tcase_add_test(tc, seconds_bad);
    tcase_add_test(tc, secret_literal_and_env);
    tcase_add_test(tc, secret_file);
    tcase_add_test(tc, store_ok);
    tcase_add_test(tc, store_bad);
    tcase_add_test(tc, size_units);
    return tc;
}
