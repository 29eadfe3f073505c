/* SPDX-License-Identifier: Apache-2.0 */
/* memcache store: URL parsing, exptime rules, key shape. The store itself
 * runs against a real memcached in test/integration/test_820_multinode.py. */
#include <string.h>

#include "core/store_memcache.h"
#include "unit.h"

START_TEST(parse_ok)
{
    aoidc_memcache_conf_t *c;
    ck_assert_ptr_null(
        aoidc_memcache_parse(&c, "memcache://127.0.0.1:11211", tp));
    ck_assert_str_eq(aoidc_memcache_describe(c, tp),
                     "memcache://127.0.0.1:11211 (timeout 500 ms)");
    ck_assert_ptr_null(aoidc_memcache_parse(
        &c, "memcache://a.example:1,[::1]:2,b-c_d:65535", tp));
    aoidc_memcache_set_timeout(c, apr_time_from_msec(250));
    ck_assert_str_eq(aoidc_memcache_describe(c, tp),
                     "memcache://a.example:1,[::1]:2,b-c_d:65535 (timeout "
                     "250 ms)");
}
END_TEST

START_TEST(parse_bad)
{
    static const char *const bad[] = {
        "memcache://",      "memcache://h",        "memcache://h:",
        "memcache://:1",    "memcache://h:0",      "memcache://h:65536",
        "memcache://h:1,",  "memcache://h:1,,h:2", "memcache://u:p@h:1",
        "memcache://h:1/x", "memcache://h:1?x",    "memcache://[::1:1",
        "memcache://[]:1",  "memcache://h h:1",    "redis://h:1",
        "memcache://h:1x",  "memcache://h:+1",     "memcache://[::1]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        aoidc_memcache_conf_t *c = NULL;
        const char *e = aoidc_memcache_parse(&c, bad[i], tp);
        ck_assert_msg(e != NULL, "'%s' accepted", bad[i]);
        ck_assert_msg(strstr(e, "memcache://HOST:PORT") || strstr(e, "at most"),
                      "%s", e);
        ck_assert_msg(!strstr(e, "u:p"), "message echoes the input: %s", e);
    }
    /* 17 servers */
    const char *many = "memcache://h:1";
    for (int i = 0; i < AOIDC_MEMCACHE_MAX_SERVERS; i++) {
        many = apr_pstrcat(tp, many, ",h:1", NULL);
    }
    aoidc_memcache_conf_t *c;
    ck_assert_ptr_nonnull(aoidc_memcache_parse(&c, many, tp));
}
END_TEST

START_TEST(exptime_rules)
{
    apr_time_t now = apr_time_from_sec(1700000000);
    apr_uint32_t e;
    ck_assert(!aoidc_memcache_exptime(&e, now, now));
    ck_assert(!aoidc_memcache_exptime(&e, now - 1, now));
    ck_assert(aoidc_memcache_exptime(&e, now + 1, now)); /* rounded up */
    ck_assert_uint_eq(e, 1);
    ck_assert(aoidc_memcache_exptime(&e, now + apr_time_from_sec(300), now));
    ck_assert_uint_eq(e, 300);
    ck_assert(aoidc_memcache_exptime(
        &e, now + apr_time_from_sec(AOIDC_MEMCACHE_RELATIVE_MAX), now));
    ck_assert_uint_eq(e, AOIDC_MEMCACHE_RELATIVE_MAX);
    /* beyond 30 days: an absolute Unix time */
    ck_assert(aoidc_memcache_exptime(
        &e, now + apr_time_from_sec(AOIDC_MEMCACHE_RELATIVE_MAX + 1), now));
    ck_assert_uint_eq(e, 1700000000u + AOIDC_MEMCACHE_RELATIVE_MAX + 1);
}
END_TEST

START_TEST(key_shape)
{
    unsigned char k[AOIDC_STORE_KEY_LEN];
    memset(k, 0xab, sizeof(k));
    k[0] = 0x01;
    const char *s = aoidc_memcache_key(k, NULL, tp);
    ck_assert_uint_eq(strlen(s), 6 + 64);
    ck_assert(!strncmp(s, "aoidc:01abab", 12));
    ck_assert_uint_le(strlen(aoidc_memcache_key(k, ":32", tp)), 250);
    ck_assert_str_eq(aoidc_memcache_key(k, ":n", tp) + 70, ":n");
}
END_TEST

TCase *aoidc_store_memcache_tcase(void)
{
    TCase *tc = aoidc_test_tcase("store_memcache");
    tcase_add_test(tc, parse_ok);
    tcase_add_test(tc, parse_bad);
    tcase_add_test(tc, exptime_rules);
    tcase_add_test(tc, key_shape);
    return tc;
}
