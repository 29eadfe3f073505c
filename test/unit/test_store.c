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

START_TEST(key_grouped)
{
    unsigned char a[32], b[32], c[32], h[32];
    aoidc_store_key_grouped(a, "session", "id-1", 4);
    aoidc_store_key_grouped(b, "session-idt", "id-1", 4);
    aoidc_store_key_grouped(c, "session", "id-2", 4);
    /* one id: one group, an item per namespace */
    ck_assert_mem_eq(a, b, AOIDC_STORE_GROUP_LEN);
    ck_assert(memcmp(a + 16, b + 16, 16) != 0);
    /* another id: another group and item */
    ck_assert(memcmp(a, c, AOIDC_STORE_GROUP_LEN) != 0);
    ck_assert(memcmp(a + 16, c + 16, 16) != 0);
    /* the layout of store.h */
    aoidc_sha256(h, "group\0id-1", 10);
    ck_assert_mem_eq(a, h, 16);
    aoidc_sha256(h, "group\0id-1", 10);
    for (int i = 0; i < 7; i++) {
        h[16 + i] ^= (unsigned char)"session"[i];
    }
    ck_assert_mem_eq(a + 16, h + 16, 16);
    /* never the ungrouped key of the same item */
    aoidc_store_key(h, "session", "id-1", 4);
    ck_assert(memcmp(a, h, 32) != 0);
}
END_TEST

START_TEST(key_grouped_spreads_first_byte)
{
    int seen[256] = {0}, distinct = 0;
    for (int i = 0; i < 512; i++) {
        unsigned char k[32];
        char *id = apr_psprintf(tp, "id-%d", i);
        aoidc_store_key_grouped(k, "session", id, strlen(id));
        distinct += !seen[k[0]]++;
    }
    ck_assert_int_gt(distinct, 128);
}
END_TEST

static const aoidc_blob_t *member(const apr_array_header_t *a, int i)
{
    return &APR_ARRAY_IDX(a, i, aoidc_blob_t);
}

START_TEST(setval_add_remove_members)
{
    unsigned char *v, *w;
    apr_size_t n, m;
    apr_array_header_t *a;
    aoidc_store_setval_add(&v, &n, NULL, 0, (const unsigned char *)"one", 3,
                           tp);
    ck_assert_uint_eq(n, 7);
    aoidc_store_setval_add(&w, &m, v, n, (const unsigned char *)"two", 3, tp);
    aoidc_store_setval_add(&v, &n, w, m, (const unsigned char *)"", 0, tp);
    /* present already: unchanged */
    aoidc_store_setval_add(&w, &m, v, n, (const unsigned char *)"two", 3, tp);
    ck_assert_uint_eq(m, n);
    ck_assert_mem_eq(w, v, n);
    a = aoidc_store_setval_members(w, m, tp);
    ck_assert_int_eq(a->nelts, 3);
    ck_assert_uint_eq(member(a, 0)->len, 3);
    ck_assert_mem_eq(member(a, 0)->data, "one", 3);
    ck_assert_mem_eq(member(a, 1)->data, "two", 3);
    ck_assert_uint_eq(member(a, 2)->len, 0);
    /* members may hold any bytes */
    aoidc_store_setval_add(&v, &n, w, m, (const unsigned char *)"a\0b", 3, tp);
    a = aoidc_store_setval_members(v, n, tp);
    ck_assert_int_eq(a->nelts, 4);
    ck_assert_mem_eq(member(a, 3)->data, "a\0b", 3);

    aoidc_store_setval_remove(&w, &m, v, n, (const unsigned char *)"two", 3,
                              tp);
    a = aoidc_store_setval_members(w, m, tp);
    ck_assert_int_eq(a->nelts, 3);
    ck_assert_mem_eq(member(a, 1)->data, "", 0);
    ck_assert_uint_eq(member(a, 1)->len, 0);
    /* absent: unchanged */
    aoidc_store_setval_remove(&v, &n, w, m, (const unsigned char *)"zzz", 3,
                              tp);
    ck_assert_uint_eq(n, m);
    ck_assert_mem_eq(v, w, n);
    /* "tw" is not "two" */
    aoidc_store_setval_add(&v, &n, NULL, 0, (const unsigned char *)"two", 3,
                           tp);
    aoidc_store_setval_remove(&w, &m, v, n, (const unsigned char *)"tw", 2, tp);
    ck_assert_uint_eq(m, n);
    /* the last one out: empty */
    aoidc_store_setval_remove(&w, &m, v, n, (const unsigned char *)"two", 3,
                              tp);
    ck_assert_uint_eq(m, 0);
    ck_assert_int_eq(aoidc_store_setval_members(w, m, tp)->nelts, 0);
    ck_assert_int_eq(aoidc_store_setval_members(NULL, 0, tp)->nelts, 0);
}
END_TEST

START_TEST(setval_truncated)
{
    unsigned char *v, *w;
    apr_size_t n, m;
    aoidc_store_setval_add(&w, &m, NULL, 0, (const unsigned char *)"one", 3,
                           tp);
    aoidc_store_setval_add(&v, &n, w, m, (const unsigned char *)"second", 6,
                           tp);
    /* every cut of the second record leaves exactly the first */
    for (apr_size_t cut = 7; cut < n; cut++) {
        apr_array_header_t *a = aoidc_store_setval_members(v, cut, tp);
        ck_assert_int_eq(a->nelts, 1);
        ck_assert_mem_eq(member(a, 0)->data, "one", 3);
    }
    for (apr_size_t cut = 0; cut < 7; cut++) {
        ck_assert_int_eq(aoidc_store_setval_members(v, cut, tp)->nelts, 0);
    }
    /* a length beyond the value (garbage from a store) */
    unsigned char bad[8] = {0xff, 0xff, 0xff, 0xff, 'a', 'b', 'c', 'd'};
    ck_assert_int_eq(aoidc_store_setval_members(bad, sizeof(bad), tp)->nelts,
                     0);
    /* adding to a truncated value keeps the whole records only */
    aoidc_store_setval_add(&w, &m, v, n - 1, (const unsigned char *)"x", 1, tp);
    apr_array_header_t *a = aoidc_store_setval_members(w, m, tp);
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_mem_eq(member(a, 0)->data, "one", 3);
    ck_assert_mem_eq(member(a, 1)->data, "x", 1);
    ck_assert_uint_eq(m, 7 + 5);
    aoidc_store_setval_remove(&w, &m, v, n - 1, (const unsigned char *)"zz", 2,
                              tp);
    ck_assert_uint_eq(m, 7);
}
END_TEST

START_TEST(mem_store_sets)
{
    aoidc_mem_store_t *ms;
    aoidc_store_t *s = aoidc_mem_store_create(&ms, tp);
    unsigned char k[32];
    apr_array_header_t *a;
    aoidc_store_key(k, "idx", "alice", 5);
    aoidc_mem_store_set_now(ms, T_NOW);
    ck_assert_int_eq(s->smembers(s, k, &a, tp), APR_SUCCESS);
    ck_assert_int_eq(a->nelts, 0);
    ck_assert_int_eq(s->sadd(s, k, (const unsigned char *)"s1", 2,
                             T_NOW + apr_time_from_sec(10), tp),
                     APR_SUCCESS);
    ck_assert_int_eq(s->sadd(s, k, (const unsigned char *)"s2", 2,
                             T_NOW + apr_time_from_sec(5), tp),
                     APR_SUCCESS);
    ck_assert_int_eq(s->smembers(s, k, &a, tp), APR_SUCCESS);
    ck_assert_int_eq(a->nelts, 2);
    /* an earlier expiry never shortens the set */
    aoidc_mem_store_set_now(ms, T_NOW + apr_time_from_sec(9));
    ck_assert_int_eq(s->smembers(s, k, &a, tp), APR_SUCCESS);
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_int_eq(s->srem(s, k, (const unsigned char *)"s1", 2, tp),
                     APR_SUCCESS);
    ck_assert_int_eq(s->smembers(s, k, &a, tp), APR_SUCCESS);
    ck_assert_int_eq(a->nelts, 1);
    ck_assert_mem_eq(member(a, 0)->data, "s2", 2);
    ck_assert_int_eq(s->srem(s, k, (const unsigned char *)"s2", 2, tp),
                     APR_SUCCESS);
    ck_assert_int_eq(aoidc_mem_store_count(ms), 0);
    ck_assert_int_eq(s->srem(s, k, (const unsigned char *)"s2", 2, tp),
                     APR_SUCCESS);
}
END_TEST

TCase *aoidc_store_tcase(void)
{
    TCase *tc = aoidc_test_tcase("store");
    tcase_add_test(tc, key_is_sha256_ns_nul_data);
    tcase_add_test(tc, key_separates);
    tcase_add_test(tc, key_spreads_first_byte);
    tcase_add_test(tc, mem_store);
    tcase_add_test(tc, key_grouped);
    tcase_add_test(tc, key_grouped_spreads_first_byte);
    tcase_add_test(tc, setval_add_remove_members);
    tcase_add_test(tc, setval_truncated);
    tcase_add_test(tc, mem_store_sets);
    return tc;
}
