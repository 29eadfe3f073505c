/* SPDX-License-Identifier: Apache-2.0 */
/* core/store_redis.c and its pieces, without a Redis server: URLs, keys,
 * slots, framing through hiredis, reply interpretation, and the timeout on
 * a refused or silent socket. Live servers: test_810_redis_store.py. */
#include <string.h>

#include <apr_network_io.h>
#include <hiredis/hiredis.h>

#include "core/store_redis.h"
#include "unit.h"

static aoidc_redis_conf_t *parse_ok(const char *url)
{
    aoidc_redis_conf_t *c = NULL;
    const char *err = aoidc_redis_parse(&c, url, tp);
    ck_assert_msg(err == NULL, "%s: %s", url, err);
    ck_assert_ptr_nonnull(c);
    return c;
}

static const char *parse_bad(const char *url)
{
    aoidc_redis_conf_t *c = (void *)1;
    const char *err = aoidc_redis_parse(&c, url, tp);
    ck_assert_msg(err != NULL, "%s accepted", url);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err, "expected redis"), "%s", err);
    return err;
}

START_TEST(url_forms)
{
    aoidc_redis_conf_t *c = parse_ok("redis://127.0.0.1:6379");
    ck_assert_int_eq(c->mode, AOIDC_REDIS_SINGLE);
    ck_assert(!c->tls && !c->user && !c->password && c->db == 0);
    ck_assert_str_eq(c->hosts[0].host, "127.0.0.1");
    ck_assert_int_eq(c->hosts[0].port, 6379);
    ck_assert_int_eq(c->timeout, AOIDC_REDIS_TIMEOUT);

    c = parse_ok("rediss://alice:s3cret@redis.example:6380/3");
    ck_assert(c->tls);
    ck_assert_str_eq(c->user, "alice");
    ck_assert_str_eq(c->password, "s3cret");
    ck_assert_int_eq(c->db, 3);
    ck_assert_str_eq(aoidc_redis_describe(c, tp),
                     "redis://redis.example:6380/3 (tls)");

    c = parse_ok("redis://:only@h:1/");
    ck_assert_ptr_null(c->user);
    ck_assert_str_eq(c->password, "only");

    c = parse_ok(
        "redis-sentinel://u:p@s1:26379,s2:26380,[::1]:26381/mymaster/2");
    ck_assert_int_eq(c->mode, AOIDC_REDIS_SENTINEL);
    ck_assert_int_eq(c->nhosts, 3);
    ck_assert_str_eq(c->hosts[2].host, "::1");
    ck_assert_str_eq(c->master, "mymaster");
    ck_assert_int_eq(c->db, 2);
    ck_assert_str_eq(aoidc_redis_describe(c, tp),
                     "redis-sentinel://s1:26379,s2:26380,[::1]:26381/"
                     "mymaster/2");

    c = parse_ok("redis-cluster://a:7000,b:7001");
    ck_assert_int_eq(c->mode, AOIDC_REDIS_CLUSTER);
    ck_assert_int_eq(c->nhosts, 2);
    c = parse_ok("REDISS-CLUSTER://a:7000/");
    ck_assert(c->tls && c->mode == AOIDC_REDIS_CLUSTER);
}
END_TEST

START_TEST(url_percent_decoding)
{
    aoidc_redis_conf_t *c =
        parse_ok("redis://us%40er:p%3Aa%40s%2Fs%25w@h:6379");
    ck_assert_str_eq(c->user, "us@er");
    ck_assert_str_eq(c->password, "p:a@s/s%w");
    /* an unencoded '@' in the password: the last '@' ends the userinfo */
    c = parse_ok("redis://u:p@ss@h:6379");
    ck_assert_str_eq(c->password, "p@ss");
    ck_assert_str_eq(aoidc_redis_describe(c, tp), "redis://h:6379");
}
END_TEST

START_TEST(url_bad)
{
    parse_bad("redis://h");                /* missing port */
    parse_bad("redis://h:");               /* empty port */
    parse_bad("redis://h:0");              /* port 0 */
    parse_bad("redis://h:65536");          /* port too big */
    parse_bad("redis://h:6379/x");         /* bad db */
    parse_bad("redis://h:6379/10000");     /* db too big */
    parse_bad("redis://h:6379/-1");        /* negative db */
    parse_bad("redis://a:1,b:2");          /* several hosts, plain */
    parse_bad("redis-sentinel://s:1");     /* no master */
    parse_bad("redis-sentinel://s:1/");    /* empty master name */
    parse_bad("redis-sentinel://s:1//0");  /* empty master name */
    parse_bad("redis-sentinel://s:1/m m"); /* bad master name */
    parse_bad("redis-sentinel://s:1/m/x"); /* bad db */
    parse_bad("redis-cluster://a:1/0");    /* cluster has db 0 only */
    parse_bad("memcache://h:1");           /* unknown scheme */
    parse_bad("h:6379");                   /* no scheme */
    parse_bad("redis://:6379");            /* empty host */
    parse_bad("redis://[::1:6379");        /* bad IPv6 */
    parse_bad("redis://h:6379?db=1");      /* query */
    parse_bad("redis://user@h:6379");      /* user without password */
    parse_bad("redis://u:@h:6379");        /* empty password */
    parse_bad("redis://u:p%4@h:6379");     /* bad escape */
    parse_bad("redis://u:p%00@h:6379");    /* NUL */
    parse_bad("redis-cluster://a:1,,b:2"); /* empty host */
    char *many = apr_pstrdup(tp, "redis-cluster://h:1");
    for (int i = 2; i <= AOIDC_REDIS_MAX_HOSTS; i++) {
        many = apr_psprintf(tp, "%s,h:%d", many, i);
    }
    parse_ok(many);
    ck_assert(strstr(parse_bad(apr_pstrcat(tp, many, ",h:99", NULL)),
                     "more than 16 hosts"));
    aoidc_redis_conf_t *c;
    ck_assert_ptr_nonnull(aoidc_redis_parse(&c, NULL, tp));
}
END_TEST

START_TEST(url_errors_never_show_the_password)
{
    static const char *const urls[] = {
        "redis://u:Hunter2Secret@h",
        "redis://u:Hunter2Secret@h:x",
        "redis://u:Hunter2/Secret@h:1",
        "redis://u:Hunter2Secret@h:1/zz",
        "redis-sentinel://u:Hunter2Secret@h:1/",
        "redis://u:Hunter2%zSecret@h:1",
        "redis://u:Hunter2Secret@h:1?x",
        "foo://u:Hunter2Secret@h:1",
        "redis://u:Hunter2?Secret@h:1",
        "redis://Hunter2Secret@h:1",
    };
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        const char *err = parse_bad(urls[i]);
        ck_assert_msg(!strstr(err, "Hunter2") && !strstr(err, "Secret"),
                      "%s -> %s", urls[i], err);
    }
    aoidc_redis_conf_t *c = parse_ok("redis://u:Hunter2Secret@h:1");
    ck_assert(!strstr(aoidc_redis_describe(c, tp), "Hunter2"));
    aoidc_redis_set_password(c, "other");
    ck_assert_str_eq(c->password, "other");
    aoidc_redis_set_password(c, "");
    ck_assert_ptr_null(c->password);
}
END_TEST

START_TEST(tls_settings)
{
    aoidc_redis_conf_t *c = parse_ok("redis://h:1");
    const char *err =
        aoidc_redis_set_tls(c, "/nonexistent/ca.pem", NULL, NULL, NULL);
    ck_assert_ptr_nonnull(err);
    ck_assert(strstr(err, "/nonexistent/ca.pem"));
    ck_assert(!c->tls);
    ck_assert_ptr_nonnull(
        aoidc_redis_set_tls(c, NULL, "/etc/hostname", NULL, NULL));
    ck_assert_ptr_null(aoidc_redis_set_tls(c, NULL, NULL, NULL, "redis.lan"));
    ck_assert(c->tls);
    ck_assert_str_eq(c->servername, "redis.lan");
    ck_assert(strstr(aoidc_redis_describe(c, tp), "(tls)"));
    aoidc_redis_set_timeout(c, apr_time_from_msec(20));
    ck_assert_int_eq(c->timeout, apr_time_from_msec(20));
    aoidc_redis_set_timeout(c, 0);
    ck_assert_int_eq(c->timeout, AOIDC_REDIS_TIMEOUT);
}
END_TEST

START_TEST(key_layout)
{
    unsigned char k[AOIDC_STORE_KEY_LEN];
    char rk[AOIDC_REDIS_KEY_LEN + 1];
    for (int i = 0; i < AOIDC_STORE_KEY_LEN; i++) {
        k[i] = (unsigned char)(i * 17);
    }
    aoidc_redis_key(rk, k);
    rk[AOIDC_REDIS_KEY_LEN] = '\0';
    ck_assert_str_eq(rk, "aoidc:{00112233445566778899aabbccddeeff}"
                         "102132435465768798a9bacbdcedfe0f");
    /* the slot is the group's: the hash tag is the first half in hex */
    ck_assert_uint_eq(aoidc_redis_slot(rk, AOIDC_REDIS_KEY_LEN),
                      aoidc_redis_crc16("00112233445566778899aabbccddeeff", 32)
                          & 16383);
    unsigned char a[32], b[32];
    char ra[AOIDC_REDIS_KEY_LEN], rb[AOIDC_REDIS_KEY_LEN];
    aoidc_store_key_grouped(a, "session", "sid-1", 5);
    aoidc_store_key_grouped(b, "index", "sid-1", 5);
    aoidc_redis_key(ra, a);
    aoidc_redis_key(rb, b);
    ck_assert(memcmp(ra, rb, AOIDC_REDIS_KEY_LEN) != 0);
    ck_assert_uint_eq(aoidc_redis_slot(ra, sizeof(ra)),
                      aoidc_redis_slot(rb, sizeof(rb)));
}
END_TEST

START_TEST(crc16_and_slots)
{
    /* Redis Cluster specification, appendix A: the reference vector */
    ck_assert_uint_eq(aoidc_redis_crc16("123456789", 9), 0x31C3);
    ck_assert_uint_eq(aoidc_redis_crc16("", 0), 0);
    /* hash tags, the spec's examples */
    ck_assert_uint_eq(aoidc_redis_slot("{user1000}.following", 20),
                      aoidc_redis_slot("user1000", 8));
    ck_assert_uint_eq(aoidc_redis_slot("foo{}{bar}", 10),
                      aoidc_redis_crc16("foo{}{bar}", 10) & 16383);
    ck_assert_uint_eq(aoidc_redis_slot("foo{{bar}}zap", 13),
                      aoidc_redis_slot("{bar", 4));
    ck_assert_uint_eq(aoidc_redis_slot("foo{bar}{zap}", 13),
                      aoidc_redis_slot("bar", 3));
    /* values redis-cli CLUSTER KEYSLOT gives */
    ck_assert_uint_eq(aoidc_redis_slot("foo", 3), 12182);
    ck_assert_uint_eq(aoidc_redis_slot("bar", 3), 5061);
}
END_TEST

/* Format with hiredis, parse back with hiredis' reader. */
START_TEST(framing_round_trip)
{
    const char *argv[3] = {"SET", "k\r\n", "v\0w"};
    size_t lens[3] = {3, 3, 3};
    char *cmd;
    int n = redisFormatCommandArgv(&cmd, 3, argv, lens);
    ck_assert_int_eq(n, (int)strlen("*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$3\r\n")
                            + 5);
    ck_assert(!memcmp(cmd, "*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$3\r\nv\0w\r\n",
                      (size_t)n));
    redisReader *r = redisReaderCreate();
    void *rep = NULL;
    /* the command is itself RESP: an array of bulk strings */
    ck_assert_int_eq(redisReaderFeed(r, cmd, (size_t)n - 3), REDIS_OK);
    ck_assert_int_eq(redisReaderGetReply(r, &rep), REDIS_OK);
    ck_assert_ptr_null(rep); /* incomplete */
    ck_assert_int_eq(redisReaderFeed(r, cmd + n - 3, 3), REDIS_OK);
    ck_assert_int_eq(redisReaderGetReply(r, &rep), REDIS_OK);
    redisReply *x = rep;
    ck_assert_int_eq(x->type, REDIS_REPLY_ARRAY);
    ck_assert_int_eq(x->elements, 3);
    ck_assert_int_eq(x->element[2]->len, 3);
    ck_assert(!memcmp(x->element[2]->str, "v\0w", 3));
    freeReplyObject(rep);
    redisFreeCommand(cmd);
    /* garbage is an error, not a crash */
    ck_assert_int_eq(redisReaderFeed(r, "!x\r\n", 4), REDIS_OK);
    ck_assert_int_eq(redisReaderGetReply(r, &rep), REDIS_ERR);
    redisReaderFree(r);
}
END_TEST

static redisReply *reply_of(const char *resp)
{
    redisReader *r = redisReaderCreate();
    void *rep = NULL;
    ck_assert_int_eq(redisReaderFeed(r, resp, strlen(resp)), REDIS_OK);
    ck_assert_int_eq(redisReaderGetReply(r, &rep), REDIS_OK);
    ck_assert_ptr_nonnull(rep);
    redisReaderFree(r);
    return rep;
}

START_TEST(redirects)
{
    unsigned slot = 0;
    aoidc_redis_addr_t n;
    const char *m = "MOVED 3999 127.0.0.1:6381";
    ck_assert_int_eq(aoidc_redis_redirect(m, strlen(m), &slot, &n, tp), 1);
    ck_assert_uint_eq(slot, 3999);
    ck_assert_str_eq(n.host, "127.0.0.1");
    ck_assert_int_eq(n.port, 6381);
    m = "ASK 16383 ::1:7000";
    ck_assert_int_eq(aoidc_redis_redirect(m, strlen(m), &slot, &n, tp), 2);
    ck_assert_str_eq(n.host, "::1");
    static const char *const bad[] = {
        "MOVED",        "MOVED 16384 h:1",  "MOVED x h:1",   "MOVED 1 h",
        "MOVED 1 :1",   "MOVED 1 h:0",      "ASK 1 h:99999", "ERR x",
        "MOVED 1 h:1x", "MOVED 123456 h:1", "MOVED 1  h:1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(
            aoidc_redis_redirect(bad[i], strlen(bad[i]), &slot, &n, tp) == 0,
            "%s", bad[i]);
    }
}
END_TEST

static int nranges;
static void count_range(void *baton, unsigned from, unsigned to,
                        const aoidc_redis_addr_t *m)
{
    apr_pool_t *p = baton;
    ck_assert(from <= to && to < 16384 && m->port && p);
    if (nranges == 0) {
        ck_assert_uint_eq(from, 0);
        ck_assert_uint_eq(to, 5460);
        ck_assert_str_eq(m->host, "127.0.0.1");
        ck_assert_int_eq(m->port, 30001);
    }
    if (nranges == 1) {
        ck_assert_str_eq(m->host, "seed"); /* empty host: the one asked */
    }
    nranges++;
}

START_TEST(cluster_slots_reply)
{
    aoidc_redis_addr_t seed = {"seed", 7000};
    redisReply *r = reply_of(
        "*4\r\n"
        "*4\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:30001\r\n$2\r\nid\r\n"
        "*3\r\n$9\r\n127.0.0.1\r\n:30004\r\n$2\r\nid\r\n"
        "*3\r\n:5461\r\n:10922\r\n*2\r\n$0\r\n\r\n:30002\r\n"
        "*3\r\n:10923\r\n:99999\r\n*2\r\n$1\r\nh\r\n:1\r\n" /* bad range */
        "*3\r\n:1\r\n:2\r\n:3\r\n");                        /* bad node */
    nranges = 0;
    ck_assert_int_eq(aoidc_redis_parse_slots(r, &seed, count_range, tp, tp), 2);
    ck_assert_int_eq(nranges, 2);
    freeReplyObject(r);
    r = reply_of("-ERR This instance has cluster support disabled\r\n");
    ck_assert_int_eq(aoidc_redis_parse_slots(r, &seed, count_range, tp, tp),
                     -1);
    freeReplyObject(r);
}
END_TEST

START_TEST(sentinel_and_role_replies)
{
    aoidc_redis_addr_t a;
    redisReply *r = reply_of("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n");
    ck_assert_int_eq(aoidc_redis_parse_master_addr(&a, r, tp), APR_SUCCESS);
    ck_assert_str_eq(a.host, "127.0.0.1");
    ck_assert_int_eq(a.port, 6380);
    freeReplyObject(r);
    r = reply_of("*-1\r\n");
    ck_assert_int_eq(aoidc_redis_parse_master_addr(&a, r, tp), APR_NOTFOUND);
    freeReplyObject(r);
    static const char *const bad[] = {
        "*1\r\n$1\r\nh\r\n",
        "*2\r\n$1\r\nh\r\n$1\r\nx\r\n",
        "*2\r\n$0\r\n\r\n$1\r\n1\r\n",
        "*2\r\n$1\r\nh\r\n:6379\r\n",
        "-ERR no\r\n",
        "*2\r\n$1\r\nh\r\n$5\r\n99999\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = reply_of(bad[i]);
        ck_assert_int_eq(aoidc_redis_parse_master_addr(&a, r, tp),
                         APR_EGENERAL);
        freeReplyObject(r);
    }
    r = reply_of("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    ck_assert(aoidc_redis_role_is_master(r));
    freeReplyObject(r);
    r = reply_of("*5\r\n$5\r\nslave\r\n$1\r\nh\r\n:1\r\n$9\r\nconnected\r\n"
                 ":0\r\n");
    ck_assert(!aoidc_redis_role_is_master(r));
    freeReplyObject(r);
    ck_assert(!aoidc_redis_role_is_master(NULL));
    ck_assert(aoidc_redis_error_is_failover("READONLY You can't write", 24));
    ck_assert(aoidc_redis_error_is_failover("ERR not master", 14));
    ck_assert(!aoidc_redis_error_is_failover("WRONGTYPE Op", 12));
    ck_assert(!aoidc_redis_error_is_failover("READ", 4));
}
END_TEST

/* A port nobody listens on: down, at once. */
START_TEST(refused_is_down)
{
    apr_socket_t *s;
    apr_sockaddr_t *sa;
    aoidc_redis_conf_t *c;
    aoidc_store_t *st;
    unsigned char k[32] = {0}, *v;
    apr_size_t vl;
    /* take a free port, then close it */
    ck_assert_int_eq(
        apr_sockaddr_info_get(&sa, "127.0.0.1", APR_INET, 0, 0, tp),
        APR_SUCCESS);
    apr_socket_create(&s, APR_INET, SOCK_STREAM, APR_PROTO_TCP, tp);
    ck_assert_int_eq(apr_socket_bind(s, sa), APR_SUCCESS);
    apr_socket_addr_get(&sa, APR_LOCAL, s);
    apr_port_t port = sa->port;
    apr_socket_close(s);
    ck_assert_ptr_null(aoidc_redis_parse(
        &c, apr_psprintf(tp, "redis://127.0.0.1:%u", port), tp));
    ck_assert_int_eq(aoidc_redis_store_create(&st, c, tp), APR_SUCCESS);
    ck_assert_str_eq(st->name, "redis");
    apr_status_t rv = st->get(st, k, &v, &vl, tp);
    ck_assert(AOIDC_STORE_IS_DOWN(rv));
    /* in backoff now: fails at once, still down */
    rv = st->set(st, k, (const unsigned char *)"v", 1, apr_time_now(), tp);
    ck_assert(AOIDC_STORE_IS_DOWN(rv));
    /* too large is decided before any I/O */
    static unsigned char big[AOIDC_REDIS_MAX_VALUE + 1];
    ck_assert_int_eq(st->add(st, k, big, sizeof(big), apr_time_now(), tp),
                     APR_ENOSPC);
}
END_TEST

/* A listener that never answers (connect succeeds through the backlog):
 * the call ends at the timeout, not later. */
START_TEST(silent_server_times_out)
{
    apr_socket_t *l;
    apr_sockaddr_t *sa;
    aoidc_redis_conf_t *c;
    aoidc_store_t *st;
    unsigned char k[32] = {1}, *v;
    apr_size_t vl;
    apr_sockaddr_info_get(&sa, "127.0.0.1", APR_INET, 0, 0, tp);
    apr_socket_create(&l, APR_INET, SOCK_STREAM, APR_PROTO_TCP, tp);
    ck_assert_int_eq(apr_socket_bind(l, sa), APR_SUCCESS);
    ck_assert_int_eq(apr_socket_listen(l, 8), APR_SUCCESS);
    apr_socket_addr_get(&sa, APR_LOCAL, l);
    for (int tls = 0; tls < 2; tls++) {
        ck_assert_ptr_null(
            aoidc_redis_parse(&c,
                              apr_psprintf(tp, "%s://127.0.0.1:%u",
                                           tls ? "rediss" : "redis", sa->port),
                              tp));
        aoidc_redis_set_timeout(c, apr_time_from_msec(200));
        ck_assert_int_eq(aoidc_redis_store_create(&st, c, tp), APR_SUCCESS);
        apr_time_t t0 = apr_time_now();
        apr_status_t rv = st->get(st, k, &v, &vl, tp);
        apr_interval_time_t took = apr_time_now() - t0;
        ck_assert_int_eq(rv, APR_ETIMEDOUT);
        ck_assert(AOIDC_STORE_IS_DOWN(rv));
        ck_assert_msg(took >= apr_time_from_msec(190)
                          && took < apr_time_from_msec(400),
                      "took %" APR_TIME_T_FMT " us", took);
    }
}
END_TEST

TCase *aoidc_store_redis_tcase(void)
{
    TCase *tc = aoidc_test_tcase("store_redis");
    tcase_add_test(tc, url_forms);
    tcase_add_test(tc, url_percent_decoding);
    tcase_add_test(tc, url_bad);
    tcase_add_test(tc, url_errors_never_show_the_password);
    tcase_add_test(tc, tls_settings);
    tcase_add_test(tc, key_layout);
    tcase_add_test(tc, crc16_and_slots);
    tcase_add_test(tc, framing_round_trip);
    tcase_add_test(tc, redirects);
    tcase_add_test(tc, cluster_slots_reply);
    tcase_add_test(tc, sentinel_and_role_replies);
    tcase_add_test(tc, refused_is_down);
    tcase_add_test(tc, silent_server_times_out);
    return tc;
}
