/* SPDX-License-Identifier: Apache-2.0 */
/* core/rp_store.c: tickets, sealed entries in a session's key group,
 * locks, save/load with their checks, create and destroy. */
#include <string.h>

#include "flow_fixture.h"

#define ID_A  "AAAAAAAAAAAAAAAAAAAAAA"
#define ID_B  "BBBBBBBBBBBBBBBBBBBBBB"
#define SEC_A "sssssssssssssssssssss1"
#define SEC_B "sssssssssssssssssssss2"
#define TG    "tagTAG"

static aoidc_ticket_t ticket(const char *cookie)
{
    aoidc_ticket_t t;
    ck_assert(aoidc_ticket_parse(&t, cookie));
    return t;
}

START_TEST(ticket_shape)
{
    aoidc_ticket_t t;
    ck_assert(aoidc_ticket_parse(&t, TG "." ID_A "." SEC_A));
    ck_assert_str_eq(t.tag, TG);
    ck_assert_str_eq(t.id, ID_A);
    ck_assert_str_eq(t.secret, SEC_A);
    ck_assert(aoidc_ticket_parse(
        &t, "-_09az.0123456789abcdefABCD-_.zZ9-_zZ9-_zZ9-_zZ9-_zZ"));
    /* one ticket of a list */
    ck_assert(aoidc_ticket_parse(&t, TG "." ID_A "." SEC_A "~x"));
    ck_assert_str_eq(t.id, ID_A);
    static const char *const bad[] = {
        NULL,
        "",
        ID_A "." SEC_A,            /* the old shape: no tag */
        TG ID_A "." SEC_A "x",     /* no first dot */
        TG "." ID_A SEC_A "x",     /* no second dot */
        TG "." ID_A "." SEC_A "x", /* one character too many */
        TG "." ID_A "." SEC_A ".", /* and not a list separator */
        TG "." ID_A ".sssssssssssssssssssss",
        "tagTA." ID_A "." SEC_A "x", /* short tag */
        "tag=AG." ID_A "." SEC_A,
        TG ".AAAAAAAAAAAAAAAAAAAA+A." SEC_A,
        TG "." ID_A ".ssssssssssssssssssss.s",
        TG "." ID_A ".sssssssssssssssssss s1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!aoidc_ticket_parse(&t, bad[i]), "accepted %zu", i);
    }
}
END_TEST

START_TEST(tag_names_issuer_and_client)
{
    const char *a = aoidc_rp_tag(T_ISS, T_AUD, tp);
    ck_assert_uint_eq(strlen(a), AOIDC_TAG_LEN);
    ck_assert_str_eq(a, aoidc_rp_tag(T_ISS, T_AUD, tp));
    ck_assert_str_ne(a, aoidc_rp_tag(T_ISS, "client-2", tp));
    ck_assert_str_ne(a, aoidc_rp_tag("https://other.example", T_AUD, tp));
    /* the boundary between issuer and client is not ambiguous */
    ck_assert_str_ne(aoidc_rp_tag("ab", "c", tp), aoidc_rp_tag("a", "bc", tp));
}
END_TEST

#define T1 "tagON1." ID_A "." SEC_A
#define T2 "tagTW2." ID_B "." SEC_B
#define T3 "tagTH3." ID_A "." SEC_B
#define T4 "tagFO4." ID_B "." SEC_A

START_TEST(ticket_list)
{
    aoidc_ticket_t t;
    ck_assert(aoidc_ticket_find(&t, T1 "~" T2, "tagTW2"));
    ck_assert_str_eq(t.id, ID_B);
    ck_assert_str_eq(t.secret, SEC_B); /* NUL-terminated: the last one */
    ck_assert(aoidc_ticket_find(&t, T1 "~" T2, "tagON1"));
    ck_assert_int_eq(strncmp(t.secret, SEC_A "~", 23), 0);
    ck_assert(!aoidc_ticket_find(&t, T1 "~" T2, "tagTH3"));
    ck_assert(!aoidc_ticket_find(&t, NULL, "tagON1"));
    /* malformed neighbours are passed over */
    ck_assert(aoidc_ticket_find(&t, "junk~" T1 "x~~" T2, "tagTW2"));
    ck_assert(!aoidc_ticket_find(&t, "junk~" T1 "x~~" T2, "tagON1"));

    /* replace: ours last, the others kept, a removed one gone */
    ck_assert_str_eq(aoidc_ticket_replace(T1 "~" T2, "tagON1", T3, tp),
                     T2 "~" T3);
    ck_assert_str_eq(aoidc_ticket_replace(T1 "~" T2, "tagON1", NULL, tp), T2);
    ck_assert_str_eq(aoidc_ticket_replace(T1, "tagON1", NULL, tp), "");
    ck_assert_str_eq(aoidc_ticket_replace(NULL, "tagON1", T1, tp), T1);
    ck_assert_str_eq(aoidc_ticket_replace("garbage", "tagON1", T1, tp), T1);
    /* at most AOIDC_TICKETS_MAX: the oldest others go */
    ck_assert_str_eq(aoidc_ticket_replace(T1 "~" T2 "~" T3 "~" T4, "tagXX5",
                                          "tagXX5." ID_A "." SEC_A, tp),
                     T2 "~" T3 "~" T4 "~tagXX5." ID_A "." SEC_A);
}
END_TEST

START_TEST(ticket_cookie_op)
{
    ft_t f;
    apr_array_header_t *ops = NULL;
    ft_setup(&f);
    const char *mine = apr_pstrcat(tp, f.rp.tag, ".", ID_A, ".", SEC_A, NULL);
    aoidc_ticket_cookie(&ops, &f.rp, T1, mine, tp);
    aoidc_ticket_cookie(&ops, &f.rp, mine, NULL, tp);
    aoidc_ticket_cookie(&ops, &f.rp, apr_pstrcat(tp, T1 "~", mine, NULL), NULL,
                        tp);
    ck_assert_int_eq(ops->nelts, 3);
    const aoidc_cookie_op_t *o = &APR_ARRAY_IDX(ops, 0, aoidc_cookie_op_t);
    ck_assert_int_eq(o->kind, AOIDC_COOKIE_SESSION);
    ck_assert_str_eq(o->name, f.rp.cookie_name);
    ck_assert_str_eq(o->value, apr_pstrcat(tp, T1 "~", mine, NULL));
    ck_assert_int_lt(o->max_age, 0);
    o = &APR_ARRAY_IDX(ops, 1, aoidc_cookie_op_t);
    ck_assert_int_eq(o->max_age, 0); /* nothing left: deleted */
    o = &APR_ARRAY_IDX(ops, 2, aoidc_cookie_op_t);
    ck_assert_str_eq(o->value, T1);
    ck_assert_int_lt(o->max_age, 0);
}
END_TEST

START_TEST(put_get_sealed_and_grouped)
{
    ft_t f;
    unsigned char *v;
    apr_size_t n;
    aoidc_err_t err = {0};
    ft_setup(&f);
    aoidc_ticket_t t = ticket(TG "." ID_A "." SEC_A);
    ck_assert_int_eq(aoidc_rp_put(&f.rp, &f.env, &t, "ns-1",
                                  (const unsigned char *)"hello", 5,
                                  T_NOW + apr_time_from_sec(60)),
                     APR_SUCCESS);
    ck_assert_int_eq(aoidc_rp_put(&f.rp, &f.env, &t, "ns-2",
                                  (const unsigned char *)"world", 5,
                                  T_NOW + apr_time_from_sec(60)),
                     APR_SUCCESS);
    ck_assert_ok(aoidc_rp_get(&v, &n, &f.rp, &f.env, &t, "ns-1", &err), err);
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq((char *)v, "hello");
    /* one group, two items; the key is the grouped one of the id */
    ck_assert_int_eq(f.sessions.keys->nelts, 2);
    unsigned char *k1 = APR_ARRAY_IDX(f.sessions.keys, 0, unsigned char *);
    unsigned char *k2 = APR_ARRAY_IDX(f.sessions.keys, 1, unsigned char *);
    ck_assert_mem_eq(k1, k2, AOIDC_STORE_GROUP_LEN);
    ck_assert(memcmp(k1 + 16, k2 + 16, 16) != 0);
    unsigned char want[AOIDC_STORE_KEY_LEN];
    aoidc_store_key_grouped(want, "ns-1", ID_A, 22);
    ck_assert_mem_eq(k1, want, AOIDC_STORE_KEY_LEN);
    /* the store holds neither the plaintext nor the secret */
    unsigned char *raw;
    ck_assert_int_eq(
        f.sessions.inner->get(f.sessions.inner, want, &raw, &n, tp),
        APR_SUCCESS);
    ck_assert_uint_eq(n, 5 + AOIDC_SEAL_OVERHEAD);
    ck_assert_ptr_null(memmem(raw, n, "hello", 5));
    ck_assert_ptr_null(memmem(raw, n, SEC_A, 22));
    /* expiry as given */
    aoidc_mem_store_set_now(f.sessions.ms, T_NOW + apr_time_from_sec(60));
    ck_assert_int_eq(aoidc_rp_get(&v, &n, &f.rp, &f.env, &t, "ns-1", &err),
                     APR_NOTFOUND);
}
END_TEST

START_TEST(get_needs_secret_and_id)
{
    ft_t f;
    unsigned char *v, *raw, key[AOIDC_STORE_KEY_LEN];
    apr_size_t n;
    aoidc_err_t err = {0};
    ft_setup(&f);
    aoidc_ticket_t a = ticket(TG "." ID_A "." SEC_A);
    ck_assert_int_eq(aoidc_rp_put(&f.rp, &f.env, &a, AOIDC_NS_SESSION,
                                  (const unsigned char *)"x", 1,
                                  T_NOW + apr_time_from_sec(60)),
                     APR_SUCCESS);
    /* the id alone (a store dump plus the passphrase) opens nothing */
    aoidc_ticket_t a2 = ticket(TG "." ID_A "." SEC_B);
    ck_assert_reason(
        aoidc_rp_get(&v, &n, &f.rp, &f.env, &a2, AOIDC_NS_SESSION, &err), err,
        AOIDC_REASON_COOKIE);
    /* an entry moved to another id's key does not open there */
    aoidc_store_key_grouped(key, AOIDC_NS_SESSION, ID_A, 22);
    ck_assert_int_eq(f.sessions.inner->get(f.sessions.inner, key, &raw, &n, tp),
                     APR_SUCCESS);
    aoidc_store_key_grouped(key, AOIDC_NS_SESSION, ID_B, 22);
    f.sessions.inner->set(f.sessions.inner, key, raw, n,
                          T_NOW + apr_time_from_sec(60), tp);
    aoidc_ticket_t b = ticket(TG "." ID_B "." SEC_A);
    err.reason = AOIDC_REASON_NONE;
    ck_assert_reason(
        aoidc_rp_get(&v, &n, &f.rp, &f.env, &b, AOIDC_NS_SESSION, &err), err,
        AOIDC_REASON_COOKIE);
    /* nor under another namespace of the same id */
    ck_assert_int_eq(
        aoidc_rp_get(&v, &n, &f.rp, &f.env, &a, AOIDC_NS_ID_TOKEN, &err),
        APR_NOTFOUND);
}
END_TEST

START_TEST(get_absent_and_down)
{
    ft_t f;
    unsigned char *v;
    apr_size_t n;
    aoidc_err_t err = {0};
    ft_setup(&f);
    aoidc_ticket_t t = ticket(TG "." ID_A "." SEC_A);
    ck_assert_int_eq(aoidc_rp_get(&v, &n, &f.rp, &f.env, &t, "ns", &err),
                     APR_NOTFOUND);
    ck_assert_int_eq(err.reason, AOIDC_REASON_NONE);
    f.sessions.down_get = true;
    ck_assert_reason(aoidc_rp_get(&v, &n, &f.rp, &f.env, &t, "ns", &err), err,
                     AOIDC_REASON_STORE_UNAVAILABLE);
    f.sessions.down_set = true;
    ck_assert(AOIDC_STORE_IS_DOWN(aoidc_rp_put(
        &f.rp, &f.env, &t, "ns", (const unsigned char *)"x", 1, T_NOW + 1)));
}
END_TEST

START_TEST(lock_and_mark)
{
    ft_t f;
    ft_setup(&f);
    aoidc_ticket_t t = ticket(TG "." ID_A "." SEC_A),
                   u = ticket(TG "." ID_B "." SEC_A);
    apr_interval_time_t ttl = apr_time_from_sec(30);
    ck_assert_int_eq(aoidc_rp_lock(&f.env, &t, "lk", ttl), APR_SUCCESS);
    ck_assert_int_eq(aoidc_rp_lock(&f.env, &t, "lk", ttl), APR_EEXIST);
    /* per session */
    ck_assert_int_eq(aoidc_rp_lock(&f.env, &u, "lk", ttl), APR_SUCCESS);
    /* a mark overwrites (a lock becomes a back-off) and is a lock too */
    ck_assert_int_eq(aoidc_rp_mark(&f.env, &t, "lk", apr_time_from_sec(100)),
                     APR_SUCCESS);
    ft_at(&f, 50);
    ck_assert_int_eq(aoidc_rp_lock(&f.env, &t, "lk", ttl), APR_EEXIST);
    ft_at(&f, 100);
    ck_assert_int_eq(aoidc_rp_lock(&f.env, &t, "lk", ttl), APR_SUCCESS);
    ck_assert_int_eq(aoidc_rp_remove(&f.env, &t, "lk"), APR_SUCCESS);
    ck_assert_int_eq(aoidc_rp_lock(&f.env, &t, "lk", ttl), APR_SUCCESS);
    ck_assert_int_eq(aoidc_rp_mark(&f.env, &u, "other", ttl), APR_SUCCESS);
}
END_TEST

static aoidc_session_t *a_session(ft_t *f)
{
    aoidc_session_t *s = apr_pcalloc(tp, sizeof(*s));
    s->created = s->last_seen = f->env.now;
    s->at_expires = f->env.now + apr_time_from_sec(300);
    s->issuer = T_ISS;
    s->client_id = T_AUD;
    s->sub = "alice";
    s->id_token = "id.token.here";
    s->access_token = "at-1";
    s->refresh_token = "rt-1";
    json_t *j = json_pack("{s:s, s:s}", "sub", "alice", "email", "a@x");
    s->claims = aoidc_claims_add_json(NULL, j, tp);
    json_decref(j);
    return s;
}

START_TEST(create_save_load_destroy)
{
    ft_t f;
    const char *c1, *c2;
    aoidc_session_t *s, *got;
    aoidc_err_t err = {0};
    ft_setup(&f);
    s = a_session(&f);
    ck_assert_int_eq(aoidc_rp_session_create(&c1, &f.rp, &f.env, s),
                     APR_SUCCESS);
    ck_assert_int_eq(aoidc_rp_session_create(&c2, &f.rp, &f.env, s),
                     APR_SUCCESS);
    ck_assert_uint_eq(strlen(c1), AOIDC_TICKET_LEN);
    ck_assert_str_ne(c1, c2);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 4);
    ck_assert(ft_has_entry(&f, c1, AOIDC_NS_SESSION));
    ck_assert(ft_has_entry(&f, c1, AOIDC_NS_ID_TOKEN));

    aoidc_ticket_t t = ticket(c1);
    ck_assert_ok(aoidc_rp_load(&got, &f.rp, &f.env, &t, &err), err);
    ck_assert_str_eq(got->sub, "alice");
    ck_assert_str_eq(got->access_token, "at-1");
    ck_assert_str_eq(got->refresh_token, "rt-1");
    ck_assert_ptr_null(got->id_token); /* not in the hot record */
    ck_assert_str_eq(aoidc_claims_get(got->claims, "email")->value, "a@x");
    unsigned char *idt;
    apr_size_t n;
    ck_assert_ok(
        aoidc_rp_get(&idt, &n, &f.rp, &f.env, &t, AOIDC_NS_ID_TOKEN, &err),
        err);
    ck_assert_str_eq((char *)idt, "id.token.here");

    got->access_token = "at-2";
    ck_assert_int_eq(aoidc_rp_save(&f.rp, &f.env, &t, got), APR_SUCCESS);
    ck_assert_ok(aoidc_rp_load(&got, &f.rp, &f.env, &t, &err), err);
    ck_assert_str_eq(got->access_token, "at-2");

    aoidc_rp_destroy(&f.env, &t);
    ck_assert(!ft_has_entry(&f, c1, AOIDC_NS_SESSION));
    ck_assert(!ft_has_entry(&f, c1, AOIDC_NS_ID_TOKEN));
    ck_assert(ft_has_entry(&f, c2, AOIDC_NS_SESSION));
    ck_assert_reason(aoidc_rp_load(&got, &f.rp, &f.env, &t, &err), err,
                     AOIDC_REASON_SESSION_EXPIRED);

    /* no ID Token: no entry for it */
    s->id_token = NULL;
    ck_assert_int_eq(aoidc_rp_session_create(&c1, &f.rp, &f.env, s),
                     APR_SUCCESS);
    ck_assert(ft_has_entry(&f, c1, AOIDC_NS_SESSION));
    ck_assert(!ft_has_entry(&f, c1, AOIDC_NS_ID_TOKEN));
}
END_TEST

START_TEST(entry_expiry_follows_limits)
{
    ft_t f;
    const char *c;
    ft_setup(&f);
    aoidc_session_t *s = a_session(&f);
    ck_assert_int_eq(aoidc_rp_session_create(&c, &f.rp, &f.env, s),
                     APR_SUCCESS);
    /* the hot record lives until idle end, the ID Token to max age */
    ft_at(&f, 3599);
    ck_assert(ft_has_entry(&f, c, AOIDC_NS_SESSION));
    ft_at(&f, 3600);
    ck_assert(!ft_has_entry(&f, c, AOIDC_NS_SESSION));
    ck_assert(ft_has_entry(&f, c, AOIDC_NS_ID_TOKEN));
    ft_at(&f, 28800);
    ck_assert(!ft_has_entry(&f, c, AOIDC_NS_ID_TOKEN));
}
END_TEST

START_TEST(load_checks)
{
    ft_t f;
    const char *c;
    aoidc_session_t *got;
    aoidc_err_t err = {0};
    ft_setup(&f);
    ck_assert_int_eq(aoidc_rp_session_create(&c, &f.rp, &f.env, a_session(&f)),
                     APR_SUCCESS);
    aoidc_ticket_t t = ticket(c);
    aoidc_rp_conf_t other = f.rp;
    aoidc_client_t oc = {
        .client_id = "client-2", .client_secret = "s", .use_post = false};
    other.client = &oc;
    ck_assert_reason(aoidc_rp_load(&got, &other, &f.env, &t, &err), err,
                     AOIDC_REASON_SESSION_INVALID);
    other = f.rp;
    other.issuer = "https://other.example";
    ck_assert_reason(aoidc_rp_load(&got, &other, &f.env, &t, &err), err,
                     AOIDC_REASON_SESSION_INVALID);
    /* past the limits (the store entry still there) */
    f.env.now = T_NOW + apr_time_from_sec(3601);
    ck_assert_reason(aoidc_rp_load(&got, &f.rp, &f.env, &t, &err), err,
                     AOIDC_REASON_SESSION_EXPIRED);
    f.env.now = T_NOW;
    /* an entry that opens but is no session record */
    ck_assert_int_eq(aoidc_rp_put(&f.rp, &f.env, &t, AOIDC_NS_SESSION,
                                  (const unsigned char *)"garbage", 7,
                                  T_NOW + apr_time_from_sec(60)),
                     APR_SUCCESS);
    ck_assert_reason(aoidc_rp_load(&got, &f.rp, &f.env, &t, &err), err,
                     AOIDC_REASON_SESSION_INVALID);
    /* one that does not open */
    aoidc_ticket_t wrong =
        ticket(apr_pstrcat(tp, t.tag, ".", t.id, ".", SEC_B, NULL));
    ck_assert_reason(aoidc_rp_load(&got, &f.rp, &f.env, &wrong, &err), err,
                     AOIDC_REASON_SESSION_INVALID);
    f.sessions.down_get = true;
    ck_assert_reason(aoidc_rp_load(&got, &f.rp, &f.env, &t, &err), err,
                     AOIDC_REASON_STORE_UNAVAILABLE);
}
END_TEST

TCase *aoidc_rp_store_tcase(void)
{
    TCase *tc = aoidc_test_tcase("rp_store");
    tcase_add_test(tc, ticket_shape);
    tcase_add_test(tc, tag_names_issuer_and_client);
    tcase_add_test(tc, ticket_list);
    tcase_add_test(tc, ticket_cookie_op);
    tcase_add_test(tc, put_get_sealed_and_grouped);
    tcase_add_test(tc, get_needs_secret_and_id);
    tcase_add_test(tc, get_absent_and_down);
    tcase_add_test(tc, lock_and_mark);
    tcase_add_test(tc, create_save_load_destroy);
    tcase_add_test(tc, entry_expiry_follows_limits);
    tcase_add_test(tc, load_checks);
    return tc;
}
