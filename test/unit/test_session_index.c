/* SPDX-License-Identifier: Apache-2.0 */
/* core/session_index.c over the in-memory store: sid/sub sets bound to
 * issuer and client, sealed members a store reader cannot turn into
 * cookies, pruning, and the logout jti replay cache. */
#include <string.h>

#include "core/session_index.h"
#include "unit.h"

#define ID_A  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ID_B  "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define ID_C  "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"
#define LATER (T_NOW + apr_time_from_sec(3600))

static aoidc_mem_store_t *ms;

static const aoidc_seal_t *seal_of(const char *pass)
{
    aoidc_seal_t *k;
    ck_assert_int_eq(
        aoidc_seal_create(&k, pass, strlen(pass), "session-index", tp),
        APR_SUCCESS);
    return k;
}

static aoidc_store_t *store;

/* A fresh store in each test's pool (a checked fixture after the pool's). */
static void fresh(void)
{
    store = aoidc_mem_store_create(&ms, tp);
    aoidc_mem_store_set_now(ms, T_NOW);
}

static aoidc_session_index_t ix_for(const char *iss, const char *client)
{
    aoidc_session_index_t ix = {store, seal_of("a passphrase"), iss, client};
    return ix;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add(const aoidc_session_index_t *ix, const char *sid,
                const char *sub, const char *id, apr_time_t expiry)
{
    aoidc_err_t err = {0};
    ck_assert_ok(
        aoidc_session_index_add(ix, sid, sub, id, expiry, T_NOW, tp, &err),
        err);
}

/* The ids a lookup finds, sorted and joined with ",". */
static const char *found(const aoidc_session_index_t *ix, const char *sid,
                         const char *sub)
{
    apr_array_header_t *refs;
    ck_assert_int_eq(aoidc_session_index_lookup(&refs, ix, sid, sub, T_NOW, tp),
                     APR_SUCCESS);
    apr_array_header_t *ids = apr_array_make(tp, 4, sizeof(char *));
    for (int i = 0; i < refs->nelts; i++) {
        APR_ARRAY_PUSH(ids, const char *) =
            APR_ARRAY_IDX(refs, i, aoidc_session_ref_t).session_id;
    }
    qsort(ids->elts, (size_t)ids->nelts, sizeof(char *), by_name);
    return apr_array_pstrcat(tp, ids, ',');
}

START_TEST(by_sid_and_by_sub)
{
    aoidc_session_index_t ix = ix_for(T_ISS, T_AUD);
    add(&ix, "sid-1", "alice", ID_A, LATER);
    add(&ix, "sid-2", "alice", ID_B, LATER);
    add(&ix, "sid-3", "bob", ID_C, LATER);
    ck_assert_str_eq(found(&ix, "sid-1", NULL), ID_A);
    ck_assert_str_eq(found(&ix, NULL, "alice"), ID_A "," ID_B);
    ck_assert_str_eq(found(&ix, NULL, "bob"), ID_C);
    /* sid and sub: the sid's sessions of that user only */
    ck_assert_str_eq(found(&ix, "sid-1", "alice"), ID_A);
    ck_assert_str_eq(found(&ix, "sid-1", "bob"), "");
    ck_assert_str_eq(found(&ix, "sid-9", NULL), "");
    ck_assert_str_eq(found(&ix, NULL, "carol"), "");
    ck_assert_str_eq(found(&ix, NULL, NULL), "");
    /* no sid from the OP: still found by sub */
    add(&ix, NULL, "dave", ID_A, LATER);
    ck_assert_str_eq(found(&ix, NULL, "dave"), ID_A);
}
END_TEST

/* One OP's logout can never reach another OP's (or client's) sessions. */
START_TEST(bound_to_issuer_and_client)
{
    aoidc_session_index_t ix = ix_for(T_ISS, T_AUD);
    aoidc_session_index_t other_op = ix_for("https://evil.example.com", T_AUD);
    aoidc_session_index_t other_client = ix_for(T_ISS, "client-2");
    add(&ix, "sid-1", "alice", ID_A, LATER);
    ck_assert_str_eq(found(&other_op, "sid-1", NULL), "");
    ck_assert_str_eq(found(&other_op, NULL, "alice"), "");
    ck_assert_str_eq(found(&other_client, "sid-1", NULL), "");
    ck_assert_str_eq(found(&ix, "sid-1", NULL), ID_A);
}
END_TEST

START_TEST(members_hide_the_id)
{
    aoidc_session_index_t ix = ix_for(T_ISS, T_AUD);
    unsigned char key[AOIDC_STORE_KEY_LEN], other[AOIDC_STORE_KEY_LEN];
    apr_array_header_t *m;
    add(&ix, "sid-1", "alice", ID_A, LATER);
    aoidc_store_key3(key, "sid-index", T_ISS, T_AUD, "sid-1", 5);
    ck_assert_int_eq(ix.store->smembers(ix.store, key, &m, tp), APR_SUCCESS);
    ck_assert_int_eq(m->nelts, 1);
    const aoidc_blob_t *b = &APR_ARRAY_IDX(m, 0, aoidc_blob_t);
    ck_assert_ptr_null(memmem(b->data, b->len, ID_A, 8));
    ck_assert_ptr_null(memmem(b->data, b->len, "alice", 5));
    /* a store writer moving the member into another sid's set gains
     * nothing: it is sealed to its own set */
    aoidc_store_key3(other, "sid-index", T_ISS, T_AUD, "sid-x", 5);
    ck_assert_int_eq(
        ix.store->sadd(ix.store, other, b->data, b->len, LATER, tp),
        APR_SUCCESS);
    ck_assert_str_eq(found(&ix, "sid-x", NULL), "");
    /* another passphrase opens nothing */
    aoidc_session_index_t ix2 = ix;
    ix2.seal = seal_of("another passphrase");
    ck_assert_str_eq(found(&ix2, "sid-1", NULL), "");
}
END_TEST

START_TEST(forget_and_remove)
{
    aoidc_session_index_t ix = ix_for(T_ISS, T_AUD);
    apr_array_header_t *refs;
    add(&ix, "sid-1", "alice", ID_A, LATER);
    add(&ix, "sid-1", "alice", ID_B, LATER);
    add(&ix, "sid-2", "alice", ID_C, LATER);
    ck_assert_int_eq(
        aoidc_session_index_lookup(&refs, &ix, "sid-1", NULL, T_NOW, tp),
        APR_SUCCESS);
    ck_assert_int_eq(refs->nelts, 2);
    /* a session added after the lookup is not forgotten with the others */
    add(&ix, "sid-1", "alice", "late-one", LATER);
    ck_assert_int_eq(aoidc_session_index_forget(&ix, refs, tp), APR_SUCCESS);
    ck_assert_int_eq(aoidc_session_index_forget(&ix, refs, tp), APR_SUCCESS);
    ck_assert_str_eq(found(&ix, "sid-1", NULL), "late-one");
    /* forget touched the sid set only; remove cleans both */
    ck_assert_str_eq(found(&ix, NULL, "alice"),
                     ID_A "," ID_B "," ID_C ",late-one");
    ck_assert_int_eq(
        aoidc_session_index_remove(&ix, "sid-2", "alice", ID_C, T_NOW, tp),
        APR_SUCCESS);
    ck_assert_str_eq(found(&ix, "sid-2", NULL), "");
    ck_assert_str_eq(found(&ix, NULL, "alice"), ID_A "," ID_B ",late-one");
}
END_TEST

START_TEST(expiry_and_pruning)
{
    aoidc_session_index_t ix = ix_for(T_ISS, T_AUD);
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_array_header_t *m;
    add(&ix, "sid-1", "alice", ID_A, T_NOW + apr_time_from_sec(10));
    add(&ix, "sid-2", "alice", ID_B, LATER);
    aoidc_store_key3(key, "sub-index", T_ISS, T_AUD, "alice", 5);
    /* ID_A ended by itself: skipped, then pruned by the next add */
    aoidc_mem_store_set_now(ms, T_NOW + apr_time_from_sec(11));
    apr_array_header_t *refs;
    ck_assert_int_eq(aoidc_session_index_lookup(&refs, &ix, NULL, "alice",
                                                T_NOW + apr_time_from_sec(11),
                                                tp),
                     APR_SUCCESS);
    ck_assert_int_eq(refs->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(refs, 0, aoidc_session_ref_t).session_id,
                     ID_B);
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_session_index_add(&ix, NULL, "alice", ID_C, LATER,
                                         T_NOW + apr_time_from_sec(11), tp,
                                         &err),
                 err);
    ck_assert_int_eq(ix.store->smembers(ix.store, key, &m, tp), APR_SUCCESS);
    ck_assert_int_eq(m->nelts, 2);
    /* adding an id again replaces its member */
    add(&ix, NULL, "alice", ID_C, LATER + 1);
    ck_assert_int_eq(ix.store->smembers(ix.store, key, &m, tp), APR_SUCCESS);
    ck_assert_int_eq(m->nelts, 2);
}
END_TEST

START_TEST(capped)
{
    aoidc_session_index_t ix = ix_for(T_ISS, T_AUD);
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_array_header_t *m;
    for (int i = 0; i < AOIDC_SESSION_INDEX_MAX + 6; i++) {
        add(&ix, NULL, "alice", apr_psprintf(tp, "id-%02d", i),
            LATER + apr_time_from_sec(i));
    }
    aoidc_store_key3(key, "sub-index", T_ISS, T_AUD, "alice", 5);
    ck_assert_int_eq(ix.store->smembers(ix.store, key, &m, tp), APR_SUCCESS);
    ck_assert_int_eq(m->nelts, AOIDC_SESSION_INDEX_MAX);
    /* the ones that end first went */
    apr_array_header_t *refs;
    ck_assert_int_eq(
        aoidc_session_index_lookup(&refs, &ix, NULL, "alice", T_NOW, tp),
        APR_SUCCESS);
    for (int i = 0; i < refs->nelts; i++) {
        const char *id = APR_ARRAY_IDX(refs, i, aoidc_session_ref_t).session_id;
        ck_assert_int_ge(atoi(id + 3), 6);
    }
}
END_TEST

START_TEST(bad_arguments)
{
    aoidc_session_index_t ix = ix_for(T_ISS, T_AUD);
    aoidc_err_t err = {0};
    ck_assert_reason(
        aoidc_session_index_add(&ix, "s", NULL, ID_A, LATER, T_NOW, tp, &err),
        err, AOIDC_REASON_INTERNAL);
    ck_assert_reason(
        aoidc_session_index_add(&ix, "", "a", ID_A, LATER, T_NOW, tp, &err),
        err, AOIDC_REASON_INTERNAL);
    ck_assert_reason(
        aoidc_session_index_add(&ix, "s", "a", "", LATER, T_NOW, tp, &err), err,
        AOIDC_REASON_INTERNAL);
}
END_TEST

START_TEST(jti_replay)
{
    aoidc_session_index_t ix = ix_for(T_ISS, T_AUD);
    aoidc_logout_token_t t = {"alice", "sid-1", "jti-1", T_NOW,
                              T_NOW + apr_time_from_sec(361)};
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_logout_jti_use(ix.store, T_ISS, T_AUD, &t, tp, &err),
                 err);
    ck_assert_reason(aoidc_logout_jti_use(ix.store, T_ISS, T_AUD, &t, tp, &err),
                     err, AOIDC_REASON_LOGOUT_REPLAY);
    /* jti values are per issuer and client */
    ck_assert_ok(aoidc_logout_jti_use(ix.store, "https://other.example.com",
                                      T_AUD, &t, tp, &err),
                 err);
    ck_assert_ok(
        aoidc_logout_jti_use(ix.store, T_ISS, "client-2", &t, tp, &err), err);
    /* remembered exactly as long as the token could pass */
    aoidc_mem_store_set_now(ms, t.replay_until);
    ck_assert_ok(aoidc_logout_jti_use(ix.store, T_ISS, T_AUD, &t, tp, &err),
                 err);
}
END_TEST

TCase *aoidc_session_index_tcase(void)
{
    TCase *tc = aoidc_test_tcase("session_index");
    tcase_add_checked_fixture(tc, fresh, NULL);
    tcase_add_test(tc, by_sid_and_by_sub);
    tcase_add_test(tc, bound_to_issuer_and_client);
    tcase_add_test(tc, members_hide_the_id);
    tcase_add_test(tc, forget_and_remove);
    tcase_add_test(tc, expiry_and_pruning);
    tcase_add_test(tc, capped);
    tcase_add_test(tc, bad_arguments);
    tcase_add_test(tc, jti_replay);
    return tc;
}
