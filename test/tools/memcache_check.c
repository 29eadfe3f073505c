/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memcache_check: the store.h contract against a live memcached, through
 * core/store_memcache.c alone (no httpd). Driven by test_820_08.
 *
 *   memcache_check memcache://HOST:PORT DEAD_PORT
 *
 * Prints TAP; DEAD_PORT is a loopback port nothing listens on (the "down"
 * checks). Exit 0 when every check passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_thread_proc.h>

#include "core/store_memcache.h"

static aoidc_store_t *st;
static int tap_n, tap_fail;

static void ok(bool cond, const char *what)
{
    printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, what);
    tap_fail += !cond;
    fflush(stdout);
}

static void key(unsigned char k[AOIDC_STORE_KEY_LEN], const char *name)
{
    static char run[32];
    if (!*run) {
        /* a fresh key space per run: memcached outlives the test */
        snprintf(run, sizeof(run), "%" APR_TIME_T_FMT, apr_time_now());
    }
    aoidc_store_key3(k, "memcache_check", run, "", name, strlen(name));
}

static apr_time_t in_ms(long ms)
{
    return apr_time_now() + apr_time_from_msec(ms);
}

static apr_status_t put(const char *name, const char *v, long ms, bool add,
                        apr_pool_t *p)
{
    unsigned char k[AOIDC_STORE_KEY_LEN];
    key(k, name);
    return (add ? st->add : st->set)(st, k, (const unsigned char *)v, strlen(v),
                                     in_ms(ms), p);
}

static bool has(const char *name, const char *want, apr_pool_t *p)
{
    unsigned char k[AOIDC_STORE_KEY_LEN], *v;
    apr_size_t n;
    key(k, name);
    if (st->get(st, k, &v, &n, p) != APR_SUCCESS) {
        return false;
    }
    return n == strlen(want) && !memcmp(v, want, n) && v[n] == '\0';
}

static apr_status_t get_rv(const char *name, apr_pool_t *p)
{
    unsigned char k[AOIDC_STORE_KEY_LEN], *v;
    apr_size_t n;
    key(k, name);
    return st->get(st, k, &v, &n, p);
}

static void values(apr_pool_t *p)
{
    unsigned char k[AOIDC_STORE_KEY_LEN];
    static unsigned char big[AOIDC_MEMCACHE_MAX_VALUE + 1];
    ok(get_rv("absent", p) == APR_NOTFOUND, "get absent: NOTFOUND");
    ok(put("a", "va", 60000, false, p) == APR_SUCCESS && has("a", "va", p),
       "set then get, NUL-terminated");
    ok(put("a", "vb", 60000, true, p) == APR_EEXIST && has("a", "va", p),
       "add present: EEXIST, nothing written");
    ok(put("b", "vb", 60000, true, p) == APR_SUCCESS && has("b", "vb", p),
       "add absent: SUCCESS");
    key(k, "a");
    ok(st->remove(st, k, p) == APR_SUCCESS && get_rv("a", p) == APR_NOTFOUND,
       "remove");
    ok(st->remove(st, k, p) == APR_SUCCESS, "remove absent: SUCCESS");
    put("c", "vc", 60000, false, p);
    ok(put("c", "vd", -1000, false, p) == APR_SUCCESS
           && get_rv("c", p) == APR_NOTFOUND,
       "set with a past expiry removes the key");
    ok(put("d", "vd", 40L * 86400 * 1000, false, p) == APR_SUCCESS
           && has("d", "vd", p),
       "expiry beyond 30 days (sent as a Unix time) is not 'expired'");
    ok(put("e", "ve", 1000, false, p) == APR_SUCCESS && has("e", "ve", p),
       "1 s entry present");
    apr_sleep(apr_time_from_msec(2100));
    ok(get_rv("e", p) == APR_NOTFOUND, "1 s entry gone after 2.1 s");
    key(k, "big");
    ok(st->set(st, k, big, sizeof(big), in_ms(60000), p) == APR_ENOSPC,
       "oversize value: ENOSPC");
}

static bool members_are(const char *name, const char *a, const char *b,
                        apr_pool_t *p)
{
    unsigned char k[AOIDC_STORE_KEY_LEN];
    apr_array_header_t *m;
    int found = 0, want = (a != NULL) + (b != NULL);
    key(k, name);
    if (st->smembers(st, k, &m, p) != APR_SUCCESS) {
        return false;
    }
    for (int i = 0; i < m->nelts; i++) {
        const aoidc_blob_t *x = &APR_ARRAY_IDX(m, i, aoidc_blob_t);
        found += (a && x->len == strlen(a) && !memcmp(x->data, a, x->len))
                 || (b && x->len == strlen(b) && !memcmp(x->data, b, x->len));
    }
    return m->nelts == want && found == want;
}

static apr_status_t sop(bool add, const char *name, const char *m,
                        apr_pool_t *p)
{
    unsigned char k[AOIDC_STORE_KEY_LEN];
    key(k, name);
    return add ? st->sadd(st, k, (const unsigned char *)m, strlen(m),
                          in_ms(60000), p)
               : st->srem(st, k, (const unsigned char *)m, strlen(m), p);
}

static void sets(apr_pool_t *p)
{
    apr_status_t rv = APR_SUCCESS;
    ok(members_are("s0", NULL, NULL, p), "smembers of an absent set: empty");
    ok(sop(true, "s", "m1", p) == APR_SUCCESS
           && sop(true, "s", "m2", p) == APR_SUCCESS
           && sop(true, "s", "m1", p) == APR_SUCCESS,
       "sadd m1 m2 m1");
    ok(members_are("s", "m1", "m2", p), "smembers: m1 m2, each once");
    ok(sop(false, "s", "m1", p) == APR_SUCCESS
           && members_are("s", "m2", NULL, p),
       "srem m1 removes every slot holding it");
    ok(sop(false, "s", "zz", p) == APR_SUCCESS, "srem absent member: SUCCESS");
    for (int i = 0; i < AOIDC_MEMCACHE_SET_SLOTS && rv == APR_SUCCESS; i++) {
        rv = sop(true, "full", apr_psprintf(p, "m%d", i), p);
    }
    ok(rv == APR_SUCCESS, "32 live members fit");
    ok(sop(true, "full", "one-more", p) == APR_ENOSPC,
       "a 33rd live member: ENOSPC");
    ok(sop(false, "full", "m7", p) == APR_SUCCESS
           && sop(true, "full", "one-more", p) == APR_SUCCESS,
       "a freed slot is reused");
}

typedef struct {
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_status_t rv;
} racer_t;

static void *APR_THREAD_FUNC racer(apr_thread_t *t, void *baton)
{
    racer_t *r = baton;
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    r->rv = st->add(st, r->key, (const unsigned char *)"w", 1, in_ms(60000), p);
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static void race(apr_pool_t *p)
{
    apr_thread_t *th[16];
    racer_t r[16];
    int wins = 0, others = 0;
    for (int i = 0; i < 16; i++) {
        key(r[i].key, "race");
        apr_thread_create(&th[i], NULL, racer, &r[i], p);
    }
    for (int i = 0; i < 16; i++) {
        apr_status_t trv;
        apr_thread_join(&trv, th[i]);
        wins += r[i].rv == APR_SUCCESS;
        others += r[i].rv != APR_SUCCESS && r[i].rv != APR_EEXIST;
    }
    ok(wins == 1 && others == 0, "16 threads add one key: exactly one wins");
}

static void down(const char *dead_port, apr_pool_t *p)
{
    aoidc_memcache_conf_t *c;
    unsigned char k[AOIDC_STORE_KEY_LEN];
    apr_array_header_t *m;
    aoidc_memcache_parse(
        &c, apr_pstrcat(p, "memcache://127.0.0.1:", dead_port, NULL), p);
    aoidc_memcache_store_create(&st, c, p);
    key(k, "a");
    for (int i = 0; i < 2; i++) {
        /* first: connection refused; second: apr_memcache's "no live
         * server", which it reports as NOTFOUND and we must not */
        apr_status_t rv = get_rv("a", p);
        ok(AOIDC_STORE_IS_DOWN(rv), i ? "get, server marked dead: DOWN"
                                      : "get, connection refused: DOWN");
    }
    ok(AOIDC_STORE_IS_DOWN(st->smembers(st, k, &m, p)), "smembers: DOWN");
    ok(AOIDC_STORE_IS_DOWN(put("a", "v", 60000, true, p)), "add: DOWN");
    ok(AOIDC_STORE_IS_DOWN(st->remove(st, k, p)), "remove: DOWN");
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    aoidc_memcache_conf_t *c;
    const char *e;
    apr_app_initialize(&argc, (const char *const **)&argv, NULL);
    apr_pool_create(&p, NULL);
    if (argc != 3) {
        fprintf(stderr, "usage: memcache_check memcache://H:P DEAD_PORT\n");
        return 2;
    }
    if ((e = aoidc_memcache_parse(&c, argv[1], p))
        || aoidc_memcache_store_create(&st, c, p) != APR_SUCCESS) {
        fprintf(stderr, "memcache_check: %s\n", e ? e : "cannot create");
        return 2;
    }
    values(p);
    sets(p);
    race(p);
    down(argv[2], p);
    printf("1..%d\n", tap_n);
    return tap_fail ? 1 : 0;
}
