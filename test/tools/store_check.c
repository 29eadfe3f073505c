/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_check: the store.h contract against a live Redis/Valkey, through
 * core/store_redis.c alone (no httpd). Driven by test_810_redis_store.py.
 *
 *   store_check URL [--password P] [--tls-ca F] [--tls-cert F --tls-key F]
 *               [--servername N] [--timeout-ms N] CMD...
 *   CMD: contract                  the whole contract, TAP
 *        race N NAME [AT_MS]       N threads add NAME at once (at epoch ms
 *                                  AT_MS); prints "wins W of N", TAP
 *        stress N SECS             N threads, own keys, every answer
 *                                  checked; TAP
 *        describe                  aoidc_redis_describe()
 *        repl                      one command per stdin line, one answer
 *                                  per line, one store object throughout
 *        get NAME | set NAME V [TTL_MS] | add NAME V [TTL_MS] | del NAME |
 *        sadd NAME M [TTL_MS] | smembers NAME | srem NAME M | key NAME
 *   A command prints "STATUS ELAPSED_MS [VALUE...]", STATUS one of SUCCESS
 *   NOTFOUND EEXIST ENOSPC DOWN(rv). NAME "g/GROUP/N" is a key grouped
 *   under GROUP. Exit: 0 all well (a lone command: SUCCESS), 1 a contract
 *   failure or another status, 2 a usage or configuration error.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_thread_proc.h>

#include "core/store_redis.h"

static aoidc_store_t *st;
static int tap_n, tap_fail;

static void ok(bool cond, const char *what)
{
    printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, what);
    tap_fail += !cond;
    fflush(stdout);
}

static void key_of(unsigned char k[AOIDC_STORE_KEY_LEN], const char *name)
{
    if (!strncmp(name, "g/", 2) && strchr(name + 2, '/')) {
        const char *g = name + 2, *e = strchr(g, '/');
        aoidc_store_key_grouped(k, e + 1, g, (apr_size_t)(e - g));
    }
    else {
        aoidc_store_key(k, "store_check", name, strlen(name));
    }
}

static const char *status(apr_status_t rv, apr_pool_t *p)
{
    char buf[120];
    switch (rv) {
    case APR_SUCCESS:
        return "SUCCESS";
    case APR_NOTFOUND:
        return "NOTFOUND";
    case APR_EEXIST:
        return "EEXIST";
    case APR_ENOSPC:
        return "ENOSPC";
    default:
        return apr_psprintf(p, "DOWN(%d) %s", rv,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
}

static apr_time_t ttl(const char *s)
{
    return apr_time_now() + apr_time_from_msec(s ? atol(s) : 60000);
}

/* One command; prints its answer line and returns its status. */
static apr_status_t command(int argc, char **argv, apr_pool_t *p)
{
    unsigned char k[AOIDC_STORE_KEY_LEN];
    unsigned char *v = NULL;
    apr_size_t vl = 0;
    apr_array_header_t *m = NULL;
    apr_status_t rv;
    const char *c = argv[0], *extra = "";
    if (argc < 2) {
        printf("USAGE 0\n");
        return APR_EINVAL;
    }
    key_of(k, argv[1]);
    const char *a2 = argc > 2 ? argv[2] : "";
    apr_time_t t0 = apr_time_now();
    if (!strcmp(c, "get")) {
        rv = st->get(st, k, &v, &vl, p);
        extra = rv == APR_SUCCESS ? (const char *)v : "";
    }
    else if (!strcmp(c, "set") || !strcmp(c, "add")) {
        rv = (c[0] == 's' ? st->set : st->add)(
            st, k, (const unsigned char *)a2, strlen(a2),
            ttl(argc > 3 ? argv[3] : NULL), p);
    }
    else if (!strcmp(c, "del")) {
        rv = st->remove(st, k, p);
    }
    else if (!strcmp(c, "sadd")) {
        rv = st->sadd(st, k, (const unsigned char *)a2, strlen(a2),
                      ttl(argc > 3 ? argv[3] : NULL), p);
    }
    else if (!strcmp(c, "srem")) {
        rv = st->srem(st, k, (const unsigned char *)a2, strlen(a2), p);
    }
    else if (!strcmp(c, "smembers")) {
        rv = st->smembers(st, k, &m, p);
        for (int i = 0; rv == APR_SUCCESS && i < m->nelts; i++) {
            aoidc_blob_t *b = &APR_ARRAY_IDX(m, i, aoidc_blob_t);
            extra = apr_pstrcat(
                p, extra, i ? " " : "",
                apr_pstrmemdup(p, (const char *)b->data, b->len), NULL);
        }
    }
    else if (!strcmp(c, "key")) {
        char rk[AOIDC_REDIS_KEY_LEN];
        aoidc_redis_key(rk, k);
        rv = APR_SUCCESS;
        extra = apr_psprintf(p, "%.*s %u", AOIDC_REDIS_KEY_LEN, rk,
                             aoidc_redis_slot(rk, AOIDC_REDIS_KEY_LEN));
    }
    else {
        printf("USAGE 0\n");
        return APR_EINVAL;
    }
    /* "STATUS MS REST": a DOWN's reason text goes after the time */
    const char *st_ = status(rv, p), *sp = strchr(st_, ' ');
    if (sp) {
        extra = sp + 1;
        st_ = apr_pstrmemdup(p, st_, (apr_size_t)(sp - st_));
    }
    printf("%s %ld %s\n", st_, (long)apr_time_as_msec(apr_time_now() - t0),
           extra);
    fflush(stdout);
    return rv;
}

static int repl(apr_pool_t *p)
{
    char line[4096];
    while (fgets(line, sizeof(line), stdin)) {
        char *argv[8], *save = NULL, *tok;
        int argc = 0;
        apr_pool_t *sub;
        for (tok = apr_strtok(line, " \t\r\n", &save); tok && argc < 8;
             tok = apr_strtok(NULL, " \t\r\n", &save)) {
            argv[argc++] = tok;
        }
        if (!argc) {
            continue;
        }
        if (!strcmp(argv[0], "sleep") && argc == 2) {
            apr_sleep(apr_time_from_msec(atol(argv[1])));
            printf("SUCCESS 0\n");
            fflush(stdout);
            continue;
        }
        apr_pool_create(&sub, p);
        command(argc, argv, sub);
        apr_pool_destroy(sub);
    }
    return 0;
}

typedef struct {
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_time_t at;
    apr_status_t rv;
} racer_t;

static void *APR_THREAD_FUNC racer(apr_thread_t *t, void *baton)
{
    racer_t *r = baton;
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    while (apr_time_now() < r->at) {
        /* spin: the point is to arrive together */
    }
    r->rv = st->add(st, r->key, (const unsigned char *)"w", 1,
                    apr_time_now() + apr_time_from_sec(60), p);
    apr_pool_destroy(p);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

static int race(int n, const char *name, apr_time_t at, apr_pool_t *p)
{
    apr_thread_t *th[64];
    racer_t r[64];
    int wins = 0, others = 0;
    n = n < 1 ? 1 : n > 64 ? 64 : n;
    for (int i = 0; i < n; i++) {
        key_of(r[i].key, name);
        r[i].at = at;
        apr_thread_create(&th[i], NULL, racer, &r[i], p);
    }
    for (int i = 0; i < n; i++) {
        apr_status_t trv;
        apr_thread_join(&trv, th[i]);
        wins += r[i].rv == APR_SUCCESS;
        others += r[i].rv != APR_SUCCESS && r[i].rv != APR_EEXIST;
    }
    printf("wins %d of %d\n", wins, n);
    ok(others == 0, "every racer got SUCCESS or EEXIST");
    return wins;
}

typedef struct {
    int id;
    apr_time_t until;
    long ops, errors;
} stresser_t;

/* One thread's loop: its own keys, every answer checked. */
static void *APR_THREAD_FUNC stresser(apr_thread_t *t, void *baton)
{
    stresser_t *w = baton;
    for (long i = 0; apr_time_now() < w->until; i++) {
        apr_pool_t *p;
        unsigned char k[AOIDC_STORE_KEY_LEN], *v;
        apr_size_t vl;
        apr_pool_create(&p, NULL);
        char *name =
            apr_psprintf(p, "stress-%d-%ld-%d", w->id, i % 50, (int)getpid());
        char *val = apr_psprintf(p, "value-%d-%ld", w->id, i);
        apr_time_t exp = apr_time_now() + apr_time_from_sec(30);
        key_of(k, name);
        w->errors +=
            st->set(st, k, (const unsigned char *)val, strlen(val), exp, p)
            != APR_SUCCESS;
        w->errors += st->get(st, k, &v, &vl, p) != APR_SUCCESS
                     || vl != strlen(val) || memcmp(v, val, vl);
        w->errors +=
            st->add(st, k, (const unsigned char *)"x", 1, exp, p) != APR_EEXIST;
        w->errors += st->remove(st, k, p) != APR_SUCCESS;
        w->errors += st->get(st, k, &v, &vl, p) != APR_NOTFOUND;
        w->ops += 5;
        apr_pool_destroy(p);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* n threads share the store for secs seconds: the free list, backoff and
 * slot map under contention. */
static void stress(int n, int secs, apr_pool_t *p)
{
    apr_thread_t *th[64];
    stresser_t w[64];
    long ops = 0, errors = 0;
    n = n < 1 ? 1 : n > 64 ? 64 : n;
    for (int i = 0; i < n; i++) {
        w[i] = (stresser_t){i, apr_time_now() + apr_time_from_sec(secs), 0, 0};
        apr_thread_create(&th[i], NULL, stresser, &w[i], p);
    }
    for (int i = 0; i < n; i++) {
        apr_status_t trv;
        apr_thread_join(&trv, th[i]);
        ops += w[i].ops;
        errors += w[i].errors;
    }
    printf("stress ops %ld errors %ld\n", ops, errors);
    ok(errors == 0 && ops > 0, "every answer right under contention");
}

#include "store_check_contract.inc"

static int usage(void)
{
    fprintf(stderr, "usage: store_check URL [--password P] [--tls-ca F] "
                    "[--tls-cert F --tls-key F] [--servername N] "
                    "[--timeout-ms N] CMD...\n");
    return 2;
}

int main(int argc, char **argv)
{
    apr_pool_t *p;
    aoidc_redis_conf_t *conf;
    const char *ca = NULL, *cert = NULL, *key = NULL, *sn = NULL, *err;
    int i;
    apr_app_initialize(&argc, (const char *const **)&argv, NULL);
    signal(SIGPIPE, SIG_IGN); /* as httpd does: see store_redis.h */
    /* destroys the store's pool at exit: connections closed, replies
     * freed, so LeakSanitizer sees a clean exit */
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    if (argc < 3) {
        return usage();
    }
    if ((err = aoidc_redis_parse(&conf, argv[1], p))) {
        fprintf(stderr, "store_check: %s\n", err);
        return 2;
    }
    for (i = 2; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        const char *o = argv[i] + 2, *v = argv[i + 1];
        if (!strcmp(o, "password")) {
            aoidc_redis_set_password(conf, v);
        }
        else if (!strcmp(o, "timeout-ms")) {
            aoidc_redis_set_timeout(conf, apr_time_from_msec(atol(v)));
        }
        else if (!strcmp(o, "tls-ca") || !strcmp(o, "tls-cert")
                 || !strcmp(o, "tls-key") || !strcmp(o, "servername")) {
            *(o[4] == 'c' && o[5] == 'a' ? &ca
              : !strcmp(o, "tls-cert")   ? &cert
              : !strcmp(o, "tls-key")    ? &key
                                         : &sn) = v;
        }
        else {
            return usage();
        }
    }
    if ((ca || cert || key || sn)
        && (err = aoidc_redis_set_tls(conf, ca, cert, key, sn))) {
        fprintf(stderr, "store_check: %s\n", err);
        return 2;
    }
    if (i >= argc) {
        return usage();
    }
    if (aoidc_redis_store_create(&st, conf, p) != APR_SUCCESS) {
        fprintf(stderr, "store_check: cannot create the store (TLS)\n");
        return 2;
    }
    const char *cmd = argv[i];
    if (!strcmp(cmd, "describe")) {
        printf("%s\n", aoidc_redis_describe(conf, p));
        return 0;
    }
    if (!strcmp(cmd, "repl")) {
        return repl(p);
    }
    if (!strcmp(cmd, "contract")) {
        contract(p);
        printf("1..%d\n", tap_n);
        return tap_fail ? 1 : 0;
    }
    if (!strcmp(cmd, "stress") && i + 2 < argc) {
        stress(atoi(argv[i + 1]), atoi(argv[i + 2]), p);
        printf("1..%d\n", tap_n);
        return tap_fail ? 1 : 0;
    }
    if (!strcmp(cmd, "race") && i + 2 < argc) {
        apr_time_t at = i + 3 < argc ? apr_time_from_msec(atoll(argv[i + 3]))
                                     : apr_time_now() + apr_time_from_msec(200);
        race(atoi(argv[i + 1]), argv[i + 2], at, p);
        printf("1..%d\n", tap_n);
        return tap_fail ? 1 : 0;
    }
    apr_status_t rv = command(argc - i, argv + i, p);
    return rv == APR_SUCCESS ? 0 : rv == APR_EINVAL ? 2 : 1;
}
