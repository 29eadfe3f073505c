/* SPDX-License-Identifier: Apache-2.0 */
/* core/store.c: key derivation; and the in-memory store tests lean on. */
#include <string.h>

#include "core/seal.h"
#include "core/store.h"
#include "unit.h"

START_TEST(key_is_sha256_ns_nul_data)
{
    unsigned char k[AOIDC_STORE_KEY_LEN], want[32];
    aoidc_store_key(k, "session", "abc", 3);
    aoidc_sha256(want, "session\0abc", 11);
    ck_assert_mem_eq(k, want, 32);
    aoidc_store_key(k, "jti", "", 0);
    aoidc_sha256(want, "jti", 4); /* includes the NUL */
    ck_assert_mem_eq(k, want, 32);
}
END_TEST

START_TEST(key_separates)
{
    unsigned char a[32], b[32];
    /* namespaces differ */
    aoidc_store_key(a, "session", "x", 1);
    aoidc_store_key(b, "state", "x", 1);
    ck_assert(memcmp(a, b, 32) != 0);
    /* the boundary between namespace and data is not ambiguous */
    aoidc_store_key(a, "ab", "c", 1);
    aoidc_store_key(b, "a", "bc", 2);
    ck_assert(memcmp(a, b, 32) != 0);
    /* binary data with NULs counts by length */
    aoidc_store_key(a, "n", "x\0y", 3);
    aoidc_store_key(b, "n", "x\0z", 3);
    ck_assert(memcmp(a, b, 32) != 0);
    /* deterministic */
    aoidc_store_key(a, "n", "v", 1);
    aoidc_store_key(b, "n", "v", 1);
    ck_assert_mem_eq(a, b, 32);
}
END_TEST

START_TEST(key_spreads_first_byte)
{
    /* shmcb picks a subcache by the first byte: ids must spread */
    int seen[256] = {0}, distinct = 0;
    for (int i = 0; i < 512; i++) {
        unsigned char k[32];
        char *id = apr_psprintf(tp, "session-%d", i);
        aoidc_store_key(k, "session", id, strlen(id));
        distinct += !seen[k[0]]++;
    }
    ck_assert_int_gt(distinct, 128);
}
END_TEST

START_TEST(mem_store)
{
    aoidc_mem_store_t *ms;
    aoidc_store_t *s = aoidc_mem_store_create(&ms, tp);
    unsigned char k1[32], k2[32], *v;
    apr_size_t n;
    aoidc_store_key(k1, "t", "1", 1);
    aoidc_store_key(k2, "t", "2", 1);
    aoidc_mem_store_set_now(ms, T_NOW);
    ck_assert_int_eq(s->get(s, k1, &v, &n, tp), APR_NOTFOUND);
    ck_assert_int_eq(s->set(s, k1, (const unsigned char *)"abc", 3,
                            T_NOW + apr_time_from_sec(10), tp),
                     APR_SUCCESS);
    ck_assert_int_eq(s->get(s, k1, &v, &n, tp), APR_SUCCESS);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(v, "abc", 3);
    ck_assert_int_eq(aoidc_mem_store_count(ms), 1);
    /* add only when absent */
    ck_assert_int_eq(s->add(s, k1, (const unsigned char *)"x", 1,
                            T_NOW + apr_time_from_sec(10), tp),
                     APR_EEXIST);
    ck_assert_int_eq(s->add(s, k2, (const unsigned char *)"x", 1,
                            T_NOW + apr_time_from_sec(5), tp),
                     APR_SUCCESS);
    ck_assert_int_eq(aoidc_mem_store_count(ms), 2);
    /* expiry is absolute */
    aoidc_mem_store_set_now(ms, T_NOW + apr_time_from_sec(5));
    ck_assert_int_eq(s->get(s, k2, &v, &n, tp), APR_NOTFOUND);
    ck_assert_int_eq(s->add(s, k2, (const unsigned char *)"y", 1,
                            T_NOW + apr_time_from_sec(50), tp),
                     APR_SUCCESS);
    ck_assert_int_eq(s->remove(s, k1, tp), APR_SUCCESS);
    ck_assert_int_eq(s->get(s, k1, &v, &n, tp), APR_NOTFOUND);
    ck_assert_int_eq(s->remove(s, k1, tp), APR_SUCCESS);
    ck_assert_int_eq(aoidc_mem_store_count(ms), 1);
}
END_TEST

TCase *aoidc_store_tcase(void)
{
    TCase *tc = aoidc_test_tcase("store");
    tcase_add_test(tc, key_is_sha256_ns_nul_data);
    tcase_add_test(tc, key_separates);
    tcase_add_test(tc, key_spreads_first_byte);
    tcase_add_test(tc, mem_store);
    return tc;
}
