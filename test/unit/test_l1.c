/* SPDX-License-Identifier: Apache-2.0 */
/* core/l1.c, and the session hit in front of it (rp_store.c, rp_session.c):
 * found only with key and secret, owner-bound, bounded in time, dropped by
 * a forget here or in another process sharing the generation counters,
 * never filled from a read older than a forget; readers keep what they
 * hold past a forget. Sessions come from a real login (ft_session). */
#include <string.h>

#include "core/l1.h"
#include "flow_fixture.h"

static const void *make_copy(apr_pool_t *p, unsigned char *val, apr_size_t len,
                             const void *arg)
{
    (void)arg;
    return apr_pstrndup(p, (const char *)val, len);
}

static const void *make_none(apr_pool_t *p, unsigned char *val, apr_size_t len,
                             const void *arg)
{
    (void)p, (void)val, (void)len, (void)arg;
    return NULL;
}

static void put(aoidc_l1_t *l, const void *owner, const char *key,
                const char *secret, apr_uint32_t gen, apr_time_t exp,
                const char *val)
{
    aoidc_l1_put(l, owner, key, strlen(key), secret, strlen(secret), gen, exp,
                 (const unsigned char *)val, strlen(val), make_copy, NULL,
                 NULL);
}

static const char *get(aoidc_l1_t *l, const void *owner, const char *key,
                       const char *secret, apr_time_t now)
{
    return aoidc_l1_get(l, owner, key, strlen(key), secret, strlen(secret), now,
                        tp);
}

static int owner_a, owner_b;

/* With a request pool, put hands back what it made, held for that
 * request: a forget or a replacement that frees the slot's reference does
 * not free it (ASan), nor does a put the generation refuses. */
START_TEST(put_hands_back_the_object)
{
    int owner;
    apr_pool_t *rp;
    aoidc_l1_t *l = aoidc_l1_create(tp, NULL);
    apr_uint32_t gen = aoidc_l1_gen(l, "k", 1);
    apr_pool_create(&rp, tp);
    const char *v =
        aoidc_l1_put(l, &owner, "k", 1, "s", 1, gen, 100,
                     (const unsigned char *)"v1", 2, make_copy, NULL, rp);
    ck_assert_str_eq(v, "v1");
    ck_assert_str_eq(get(l, &owner, "k", "s", 50), "v1");
    aoidc_l1_forget(l, "k", 1);
    ck_assert_ptr_null(get(l, &owner, "k", "s", 50));
    ck_assert_str_eq(v, "v1"); /* still held by rp */
    /* a stale generation: made and handed back, not kept */
    v = aoidc_l1_put(l, &owner, "k", 1, "s", 1, gen, 100,
                     (const unsigned char *)"v2", 2, make_copy, NULL, rp);
    ck_assert_str_eq(v, "v2");
    ck_assert_ptr_null(get(l, &owner, "k", "s", 50));
    ck_assert_ptr_null(
        aoidc_l1_put(l, &owner, "k", 1, "s", 1, aoidc_l1_gen(l, "k", 1), 100,
                     (const unsigned char *)"v3", 2, make_copy, NULL, NULL));
    ck_assert_str_eq(get(l, &owner, "k", "s", 50), "v3");
    apr_pool_destroy(rp);
    ck_assert_str_eq(get(l, &owner, "k", "s", 50), "v3");
}
END_TEST

START_TEST(found_only_with_key_secret_and_owner)
{
    aoidc_l1_t *l = aoidc_l1_create(tp, NULL);
    ck_assert_ptr_nonnull(l);
    put(l, &owner_a, "id-1", "secret-1", aoidc_l1_gen(l, "id-1", 4), 100,
        "record-1");
    ck_assert_str_eq(get(l, &owner_a, "id-1", "secret-1", 50), "record-1");
    ck_assert_ptr_null(get(l, &owner_a, "id-1", "secret-2", 50));
    ck_assert_ptr_null(get(l, &owner_a, "id-1", "secret-", 50));
    ck_assert_ptr_null(get(l, &owner_b, "id-1", "secret-1", 50));
    ck_assert_ptr_null(get(l, &owner_a, "id-2", "secret-1", 50));
    /* bounded in time */
    ck_assert_ptr_null(get(l, &owner_a, "id-1", "secret-1", 100));
    /* a newer record replaces it */
    put(l, &owner_a, "id-1", "secret-1", aoidc_l1_gen(l, "id-1", 4), 200,
        "record-2");
    ck_assert_str_eq(get(l, &owner_a, "id-1", "secret-1", 150), "record-2");
}
END_TEST

/* a long key (a token) differing in one byte anywhere: in the 32-byte
 * steps of the compare, in its 8-byte steps, in its last bytes; the slot
 * is chosen from the last 32 bytes, so all but the last land on it */
START_TEST(long_key_compared_whole)
{
    aoidc_l1_t *l = aoidc_l1_create(tp, NULL);
    char key[110], secret[45];
    const size_t at[] = {0, 15, 16, 31, 32, 63, 64, 95, 96, 103, 104, 108};
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    memset(secret, 's', sizeof(secret) - 1);
    secret[sizeof(secret) - 1] = '\0';
    put(l, &owner_a, key, secret, aoidc_l1_gen(l, key, strlen(key)), 100, "v");
    ck_assert_str_eq(get(l, &owner_a, key, secret, 50), "v");
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        key[at[i]] ^= 0x20;
        ck_assert_msg(!get(l, &owner_a, key, secret, 50), "key byte %zu",
                      at[i]);
        key[at[i]] ^= 0x20;
        if (at[i] < strlen(secret)) {
            secret[at[i]] ^= 0x20;
            ck_assert_msg(!get(l, &owner_a, key, secret, 50), "secret byte %zu",
                          at[i]);
            secret[at[i]] ^= 0x20;
        }
    }
    ck_assert_str_eq(get(l, &owner_a, key, secret, 50), "v");
}
END_TEST

START_TEST(not_kept)
{
    aoidc_l1_t *l = aoidc_l1_create(tp, NULL);
    char big[AOIDC_L1_MAX_VALUE + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    put(l, &owner_a, "id-1", "s", aoidc_l1_gen(l, "id-1", 4), 100, big);
    ck_assert_ptr_null(get(l, &owner_a, "id-1", "s", 50));
    aoidc_l1_put(l, &owner_a, "id-1", 4, "s", 1, aoidc_l1_gen(l, "id-1", 4),
                 100, (const unsigned char *)"v", 1, make_none, NULL, tp);
    ck_assert_ptr_null(get(l, &owner_a, "id-1", "s", 50));
    char key[AOIDC_L1_MAX_KEY + 2];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    put(l, &owner_a, key, "s", aoidc_l1_gen(l, key, strlen(key)), 100, "v");
    ck_assert_ptr_null(get(l, &owner_a, key, "s", 50));
}
END_TEST

/* Two children of one httpd: shared counters, separate tables. */
START_TEST(forget_reaches_other_processes)
{
    apr_uint32_t *gens = apr_pcalloc(tp, AOIDC_L1_GENS * sizeof(*gens));
    aoidc_l1_t *a = aoidc_l1_create(tp, gens), *b = aoidc_l1_create(tp, gens);
    put(a, &owner_a, "id-1", "s", aoidc_l1_gen(a, "id-1", 4), 100, "rec");
    put(b, &owner_a, "id-1", "s", aoidc_l1_gen(b, "id-1", 4), 100, "rec");
    put(b, &owner_a, "id-9", "s", aoidc_l1_gen(b, "id-9", 4), 100, "other");
    ck_assert_ptr_nonnull(get(b, &owner_a, "id-1", "s", 50));
    apr_uint32_t g9 = aoidc_l1_gen(b, "id-9", 4);
    aoidc_l1_forget(a, "id-1", 4);
    ck_assert_ptr_null(get(a, &owner_a, "id-1", "s", 50));
    ck_assert_ptr_null(get(b, &owner_a, "id-1", "s", 50));
    /* another bucket (these two ids hash apart) is untouched */
    ck_assert_uint_eq(aoidc_l1_gen(b, "id-9", 4), g9);
    ck_assert_str_eq(get(b, &owner_a, "id-9", "s", 50), "other");
    /* without shared counters, only the own process sees it */
    aoidc_l1_t *c = aoidc_l1_create(tp, NULL), *d = aoidc_l1_create(tp, NULL);
    put(d, &owner_a, "id-1", "s", aoidc_l1_gen(d, "id-1", 4), 100, "rec");
    aoidc_l1_forget(c, "id-1", 4);
    ck_assert_ptr_nonnull(get(d, &owner_a, "id-1", "s", 50));
}
END_TEST

/* A read that began before a forget (the store answered with the old
 * record) must not fill the table afterwards. */
START_TEST(stale_read_not_kept)
{
    aoidc_l1_t *l = aoidc_l1_create(tp, NULL);
    apr_uint32_t g = aoidc_l1_gen(l, "id-1", 4);
    aoidc_l1_forget(l, "id-1", 4); /* another request logs out meanwhile */
    put(l, &owner_a, "id-1", "s", g, 100, "old");
    ck_assert_ptr_null(get(l, &owner_a, "id-1", "s", 50));
    put(l, &owner_a, "id-1", "s", aoidc_l1_gen(l, "id-1", 4), 100, "new");
    ck_assert_str_eq(get(l, &owner_a, "id-1", "s", 50), "new");
}
END_TEST

/* A reader keeps its object past a forget and a replacement (ASan would
 * see a use after free). */
START_TEST(reader_outlives_forget)
{
    aoidc_l1_t *l = aoidc_l1_create(tp, NULL);
    apr_pool_t *rp;
    apr_pool_create(&rp, tp);
    put(l, &owner_a, "id-1", "s", aoidc_l1_gen(l, "id-1", 4), 100, "first");
    const char *held = aoidc_l1_get(l, &owner_a, "id-1", 4, "s", 1, 50, rp);
    ck_assert_ptr_nonnull(held);
    aoidc_l1_forget(l, "id-1", 4);
    put(l, &owner_a, "id-1", "s", aoidc_l1_gen(l, "id-1", 4), 100, "second");
    ck_assert_str_eq(held, "first");
    apr_pool_destroy(rp);
    ck_assert_str_eq(get(l, &owner_a, "id-1", "s", 50), "second");
}
END_TEST

/* --- the session hit in front of the L1 ------------------------------- */

static apr_status_t hit(ft_t *f, const char *cookie, aoidc_session_out_t *out)
{
    aoidc_err_t err = {0};
    return aoidc_rp_session(out, &f->rp, &f->env, cookie, &err);
}

static void l1_on(ft_t *f, apr_uint32_t *gens)
{
    f->env.l1 = aoidc_l1_create(tp, gens);
    f->env.l1_ttl = apr_time_from_sec(1);
    f->rp.claim_prefix = "OIDC_CLAIM_";
}

/* view: made for prefix, the pass table's names and values in claims order */
static void check_view(const aoidc_claims_view_t *v,
                       const apr_array_header_t *claims, const char *prefix)
{
    const apr_array_header_t *t;
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v->prefix, prefix);
    t = apr_table_elts(v->pass);
    ck_assert_int_eq(t->nelts, claims->nelts);
    ck_assert_int_gt(claims->nelts, 0);
    for (int i = 0; i < claims->nelts; i++) {
        const aoidc_claim_t *c = &APR_ARRAY_IDX(claims, i, aoidc_claim_t);
        const char *want = apr_pstrcat(tp, prefix, c->name, NULL);
        ck_assert_str_eq(APR_ARRAY_IDX(t, i, apr_table_entry_t).key, want);
        ck_assert_str_eq(APR_ARRAY_IDX(t, i, apr_table_entry_t).val, c->value);
    }
}

START_TEST(session_served_from_l1)
{
    ft_t f;
    aoidc_session_out_t out;
    ft_setup(&f);
    l1_on(&f, NULL);
    const char *c = ft_session(&f);
    ft_at(&f, 10);
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    int gets = f.sessions.gets;
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    ck_assert_int_eq(f.sessions.gets, gets); /* no store read */
    ck_assert_str_eq(out.user, "alice");
    ck_assert_str_eq(out.session->access_token, "at-1");
    check_view(out.session->claim_view, out.session->claims, "OIDC_CLAIM_");
    /* another location's prefix: names made there, not these */
    f.rp.claim_prefix = "X_";
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    ck_assert_ptr_null(out.session->claim_view);
    /* past the TTL: the store again */
    ft_at(&f, 12);
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    ck_assert_int_eq(f.sessions.gets, gets + 1);
    /* TTL 0: every request reads the store */
    f.env.l1_ttl = 0;
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    ck_assert_int_eq(f.sessions.gets, gets + 2);
}
END_TEST

START_TEST(session_l1_wrong_secret)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err = {0};
    ft_setup(&f);
    l1_on(&f, NULL);
    const char *c = ft_session(&f);
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    /* the public half right, the secret half another */
    char *forged = apr_pstrdup(tp, c);
    apr_size_t n = strlen(forged);
    forged[n - 1] = forged[n - 1] == 'A' ? 'B' : 'A';
    int gets = f.sessions.gets;
    ck_assert_int_ne(aoidc_rp_session(&out, &f.rp, &f.env, forged, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(f.sessions.gets, gets + 1); /* the store path refused */
    ck_assert(out.clear_cookie);
}
END_TEST

/* A logout in one process (a back-channel logout, say) ends the session
 * at once in another process of the same httpd. */
START_TEST(session_logout_reaches_other_process)
{
    ft_t f;
    aoidc_session_out_t out;
    apr_uint32_t *gens = apr_pcalloc(tp, AOIDC_L1_GENS * sizeof(*gens));
    ft_setup(&f);
    l1_on(&f, gens);
    aoidc_l1_t *other = aoidc_l1_create(tp, gens);
    const char *c = ft_session(&f);
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    int gets = f.sessions.gets;
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    ck_assert_int_eq(f.sessions.gets, gets);
    aoidc_l1_t *mine = f.env.l1;
    aoidc_ticket_t t;
    ck_assert(aoidc_ticket_find(&t, c, f.rp.tag));
    f.env.l1 = other;
    aoidc_rp_destroy(&f.env, &t);
    f.env.l1 = mine;
    ck_assert_int_ne(hit(&f, c, &out), APR_SUCCESS);
    ck_assert_int_eq(f.sessions.gets, gets + 1);
}
END_TEST

/* Nothing due is served from the L1; a touch that is due is done from the
 * store, as without it. */
START_TEST(session_l1_touch_still_written)
{
    ft_t f;
    aoidc_session_out_t out;
    ft_setup(&f);
    l1_on(&f, NULL);
    f.env.l1_ttl = apr_time_from_sec(600);
    const char *c = ft_session(&f);
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    int sets = f.sessions.sets;
    ft_at(&f, 61);
    ck_assert_int_eq(hit(&f, c, &out), APR_SUCCESS);
    ck_assert_int_eq(f.sessions.sets, sets + 1);
}
END_TEST

/* --- bearer verdicts in front of the cache store ---------------------- */

static apr_status_t auth(ft_t *f, const char *token, aoidc_rs_out_t *out)
{
    aoidc_rs_in_t in = {.token = token};
    aoidc_err_t err = {0};
    return aoidc_rs_authenticate(out, &f->rs, &f->env, &in, &err);
}

START_TEST(bearer_served_from_l1)
{
    ft_t f;
    aoidc_rs_out_t out;
    ft_setup(&f);
    l1_on(&f, NULL);
    f.rs.claim_prefix = "OIDC_CLAIM_";
    const char *tok = ft_access_token(&f, "at+jwt", NULL);
    ck_assert_int_eq(auth(&f, tok, &out), APR_SUCCESS);
    ck_assert(!out.cache_hit);
    int gets = f.cache.gets;
    ck_assert_int_eq(auth(&f, tok, &out), APR_SUCCESS);
    ck_assert(out.cache_hit);
    ck_assert_int_eq(f.cache.gets, gets); /* not even the cache store */
    ck_assert_str_eq(out.user, "alice");
    check_view(out.claim_view, out.claims, "OIDC_CLAIM_");
    /* the same rules at a location with another prefix: still a hit,
     * with no view made for the other prefix */
    f.rs.claim_prefix = "X_";
    ck_assert_int_eq(auth(&f, tok, &out), APR_SUCCESS);
    ck_assert(out.cache_hit);
    ck_assert_ptr_null(out.claim_view);
    f.rs.claim_prefix = "OIDC_CLAIM_";
    /* not a b64token: refused before any cache (no store read) */
    int g0 = f.cache.gets;
    aoidc_rs_in_t bad = {.token = "a b"};
    aoidc_err_t e2 = {0};
    ck_assert_reason(aoidc_rs_authenticate(&out, &f.rs, &f.env, &bad, &e2), e2,
                     AOIDC_REASON_BEARER_SYNTAX);
    ck_assert_int_eq(f.cache.gets, g0);
    /* the same bytes but one: not this verdict */
    char *other = apr_pstrdup(tp, tok);
    other[strlen(other) - 1] ^= 1;
    ck_assert_int_ne(auth(&f, other, &out), APR_SUCCESS);
    /* another audience's rules: its own verdict, from the store path */
    f.rs.audience = "api-2";
    ck_assert_int_ne(auth(&f, tok, &out), APR_SUCCESS);
    f.rs.audience = FT_AUDIENCE;
    /* the typ rule is part of the verdict too */
    const char *plain = ft_access_token(&f, "JWT", NULL);
    ck_assert_int_eq(auth(&f, plain, &out), APR_SUCCESS);
    ck_assert_int_eq(auth(&f, plain, &out), APR_SUCCESS);
    f.rs.require_typ = true;
    ck_assert_int_ne(auth(&f, plain, &out), APR_SUCCESS);
    f.rs.require_typ = false;
    /* never past the verdict's end (the token's exp) */
    ft_at(&f, 3700);
    ck_assert_int_ne(auth(&f, tok, &out), APR_SUCCESS);
}
END_TEST

TCase *aoidc_l1_tcase(void)
{
    TCase *tc = aoidc_test_tcase("l1");
    tcase_add_test(tc, found_only_with_key_secret_and_owner);
    tcase_add_test(tc, not_kept);
    tcase_add_test(tc, put_hands_back_the_object);
    tcase_add_test(tc, long_key_compared_whole);
    tcase_add_test(tc, forget_reaches_other_processes);
    tcase_add_test(tc, stale_read_not_kept);
    tcase_add_test(tc, reader_outlives_forget);
    tcase_add_test(tc, session_served_from_l1);
    tcase_add_test(tc, session_l1_wrong_secret);
    tcase_add_test(tc, session_logout_reaches_other_process);
    tcase_add_test(tc, session_l1_touch_still_written);
    tcase_add_test(tc, bearer_served_from_l1);
    return tc;
}
