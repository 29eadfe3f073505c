/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Redis store: store.h operations as Redis commands (table in
 * store_redis.h), routed to the one server, the master Sentinel names, or
 * the cluster node that owns the key's slot. Each call has one deadline
 * (the configured timeout) shared by connect, TLS, AUTH, redirects and
 * replies, so "every call returns within the store's timeout" holds
 * however many steps it takes.
 */
#include <string.h>

#include <openssl/err.h>

#include "core/redis_topo.h"

/* ---- Sentinel ---------------------------------------------------------- */

static apr_status_t ask_sentinel(aoidc_redis_t *s, const aoidc_redis_addr_t *n,
                                 aoidc_redis_addr_t *m, apr_time_t deadline,
                                 apr_pool_t *p)
{
    const aoidc_redis_conf_t *cf = s->conf;
    aoidc_redis_conn_t *c;
    aoidc_redis_batch_t b;
    redisReply *rep[2];
    const char *argv[3] = {"SENTINEL", "get-master-addr-by-name", cf->master};
    const char *auth[3] = {"AUTH", cf->user ? cf->user : cf->password,
                           cf->password};
    apr_status_t rv = aoidc_redis_conn_get(s, n, false, &c, deadline, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    aoidc_redis_batch_init(&b, p);
    if (cf->password) {
        /* sentinels protected like the data nodes take the same AUTH; an
         * open one answers it with an error that changes nothing */
        aoidc_redis_batch_add(&b, cf->user ? 3 : 2, auth, NULL);
    }
    aoidc_redis_batch_add(&b, 3, argv, NULL);
    rv = aoidc_redis_conn_call(c, &b, rep, deadline);
    aoidc_redis_conn_close(c);
    if (rv == APR_SUCCESS) {
        /* an unknown master name is a configuration fault: down too */
        rv = aoidc_redis_parse_master_addr(m, rep[b.n - 1], p);
        rv = rv == APR_SUCCESS ? rv : APR_EGENERAL;
    }
    return rv;
}

/* The master's address in p: the one known, asked again of the sentinels
 * once it is AOIDC_REDIS_RECHECK old. A forced failover leaves the old
 * master writable until the sentinels demote it; re-asking bounds how long
 * pooled connections keep writing there. When no sentinel answers, the
 * known master stays in use. */
static apr_status_t sentinel_master(aoidc_redis_t *s, aoidc_redis_addr_t *m,
                                    apr_time_t deadline, apr_pool_t *p)
{
    apr_status_t rv = APR_EGENERAL;
    apr_time_t now = apr_time_now();
    aoidc_redis_addr_t known;
    apr_thread_mutex_lock(s->mu);
    bool have = s->have_master;
    bool fresh = have && now - s->master_at < AOIDC_REDIS_RECHECK;
    known.host = apr_pstrdup(p, s->master_host);
    known.port = s->master_port;
    apr_thread_mutex_unlock(s->mu);
    *m = known;
    for (int i = 0; !fresh && i < s->conf->nhosts; i++) {
        rv = ask_sentinel(s, &s->conf->hosts[i], m, deadline, p);
        if (rv != APR_SUCCESS || strlen(m->host) >= sizeof(s->master_host)) {
            continue;
        }
        if (have && (m->port != known.port || strcmp(m->host, known.host))) {
            aoidc_redis_invalidate(s); /* drops connections to the old one */
        }
        apr_thread_mutex_lock(s->mu);
        apr_cpystrn(s->master_host, m->host, sizeof(s->master_host));
        s->master_port = m->port;
        s->master_at = now;
        s->have_master = true;
        apr_thread_mutex_unlock(s->mu);
        return APR_SUCCESS;
    }
    if (!fresh && have) {
        *m = known;
    }
    return have ? APR_SUCCESS : rv;
}

/* The first error reply of a batch, or NULL. */
static const redisReply *first_error(redisReply **rep, int n)
{
    for (int i = 0; i < n; i++) {
        if (rep[i]->type == REDIS_REPLY_ERROR && rep[i]->str) {
            return rep[i];
        }
    }
    return NULL;
}

static apr_status_t run_sentinel(aoidc_redis_t *s, const aoidc_redis_batch_t *b,
                                 redisReply **rep, apr_time_t deadline,
                                 apr_pool_t *p)
{
    apr_status_t rv = APR_EGENERAL;
    /* a second try after a failover noticed on the way (READONLY from a
     * demoted master, ROLE saying replica, a connection cut by the
     * sentinels' CLIENT KILL) */
    for (int attempt = 0; attempt < 2; attempt++) {
        aoidc_redis_addr_t m;
        const redisReply *e;
        rv = sentinel_master(s, &m, deadline, p);
        if (rv == APR_SUCCESS) {
            rv = aoidc_redis_exec(s, &m, b, rep, false, deadline, p);
        }
        if (rv == APR_SUCCESS) {
            e = first_error(rep, b->n);
            if (!e || !aoidc_redis_error_is_failover(e->str, e->len)) {
                return APR_SUCCESS;
            }
            rv = APR_EGENERAL;
        }
        aoidc_redis_invalidate(s);
        if (APR_STATUS_IS_ETIMEDOUT(rv)) {
            break;
        }
    }
    return rv;
}

/* ---- Cluster ----------------------------------------------------------- */

/* 1 + the index of node n in the node table (added when new), 0 when the
 * table is full. Under mu. */
static int node_index(aoidc_redis_t *s, const aoidc_redis_addr_t *n)
{
    for (int i = 0; i < s->nnodes; i++) {
        if (s->nodes[i].port == n->port && !strcmp(s->nodes[i].host, n->host)) {
            return i + 1;
        }
    }
    if (s->nnodes == AOIDC_REDIS_MAX_NODES) {
        return 0;
    }
    s->nodes[s->nnodes].host = apr_pstrdup(s->pool, n->host);
    s->nodes[s->nnodes].port = n->port;
    return ++s->nnodes;
}

typedef struct {
    unsigned from, to;
    aoidc_redis_addr_t node;
} slot_range_t;

static void collect_range(void *baton, unsigned from, unsigned to,
                          const aoidc_redis_addr_t *m)
{
    apr_array_header_t *a = baton;
    slot_range_t *r = apr_array_push(a);
    r->from = from;
    r->to = to;
    r->node = *m;
}

/* CLUSTER SLOTS from the first seed that answers, into the slot map. */
static apr_status_t cluster_load(aoidc_redis_t *s, apr_time_t deadline,
                                 apr_pool_t *p)
{
    const char *argv[2] = {"CLUSTER", "SLOTS"};
    apr_status_t rv = APR_EGENERAL;
    aoidc_redis_batch_t b;
    aoidc_redis_batch_init(&b, p);
    aoidc_redis_batch_add(&b, 2, argv, NULL);
    for (int i = 0; i < s->conf->nhosts; i++) {
        const aoidc_redis_addr_t *seed = &s->conf->hosts[i];
        apr_array_header_t *ranges = apr_array_make(p, 8, sizeof(slot_range_t));
        redisReply *rep;
        rv = aoidc_redis_exec(s, seed, &b, &rep, false, deadline, p);
        if (rv != APR_SUCCESS) {
            continue;
        }
        if (aoidc_redis_parse_slots(rep, seed, collect_range, ranges, p) <= 0) {
            rv = APR_EGENERAL;
            continue;
        }
        apr_thread_mutex_lock(s->mu);
        memset(s->slot, 0, sizeof(s->slot));
        for (int k = 0; k < ranges->nelts; k++) {
            slot_range_t *r = &APR_ARRAY_IDX(ranges, k, slot_range_t);
            int idx = node_index(s, &r->node);
            memset(s->slot + r->from, idx, r->to - r->from + 1);
        }
        s->have_slots = true;
        apr_thread_mutex_unlock(s->mu);
        return APR_SUCCESS;
    }
    return rv;
}

/* The node for slot into *n (in p); a seed when the map does not know. */
static void cluster_node(aoidc_redis_t *s, unsigned slot, aoidc_redis_addr_t *n,
                         apr_time_t deadline, apr_pool_t *p)
{
    apr_thread_mutex_lock(s->mu);
    bool have = s->have_slots;
    apr_thread_mutex_unlock(s->mu);
    if (!have) {
        cluster_load(s, deadline, p);
    }
    *n = s->conf->hosts[0];
    apr_thread_mutex_lock(s->mu);
    if (s->slot[slot]) {
        n->host = apr_pstrdup(p, s->nodes[s->slot[slot] - 1].host);
        n->port = s->nodes[s->slot[slot] - 1].port;
    }
    apr_thread_mutex_unlock(s->mu);
}

static apr_status_t run_cluster(aoidc_redis_t *s, const char *key,
                                const aoidc_redis_batch_t *b, redisReply **rep,
                                apr_time_t deadline, apr_pool_t *p)
{
    aoidc_redis_addr_t n;
    bool asking = false;
    cluster_node(s, aoidc_redis_slot(key, AOIDC_REDIS_KEY_LEN), &n, deadline,
                 p);
    /* Cluster spec, "Redirection and resharding": MOVED moves the slot for
     * good (update the map, retry), ASK sends this one query elsewhere */
    for (int i = 0; i <= AOIDC_REDIS_MAX_REDIRECTS; i++) {
        apr_status_t rv = aoidc_redis_exec(s, &n, b, rep, asking, deadline, p);
        unsigned slot;
        if (rv != APR_SUCCESS) {
            /* a node failed: its slots may have moved to a replica */
            apr_thread_mutex_lock(s->mu);
            s->have_slots = false;
            apr_thread_mutex_unlock(s->mu);
            return rv;
        }
        const redisReply *e = first_error(rep, b->n);
        int kind = e ? aoidc_redis_redirect(e->str, e->len, &slot, &n, p) : 0;
        if (kind == 0) {
            return APR_SUCCESS;
        }
        if (kind == 1) {
            apr_thread_mutex_lock(s->mu);
            s->slot[slot] = (uint8_t)node_index(s, &n);
            apr_thread_mutex_unlock(s->mu);
        }
        asking = kind == 2;
    }
    return APR_EGENERAL; /* a redirect loop */
}

/* ---- Operations -------------------------------------------------------- */

static apr_status_t run(aoidc_store_t *st, const char *key,
                        const aoidc_redis_batch_t *b, redisReply **rep,
                        apr_pool_t *p)
{
    aoidc_redis_t *s = st->baton;
    apr_time_t deadline = apr_time_now() + s->conf->timeout;
    switch (s->conf->mode) {
    case AOIDC_REDIS_SENTINEL:
        return run_sentinel(s, b, rep, deadline, p);
    case AOIDC_REDIS_CLUSTER:
        return run_cluster(s, key, b, rep, deadline, p);
    default:
        return aoidc_redis_exec(s, &s->conf->hosts[0], b, rep, false, deadline,
                                p);
    }
}

/* One command: argv[0] the verb, argv[1] the key (filled in here). */
static apr_status_t run1(aoidc_store_t *st, const unsigned char *key, int argc,
                         const char **argv, size_t *lens, redisReply **rep,
                         apr_pool_t *p)
{
    aoidc_redis_batch_t b;
    char *k = apr_palloc(p, AOIDC_REDIS_KEY_LEN);
    aoidc_redis_key(k, key);
    argv[1] = k;
    lens[1] = AOIDC_REDIS_KEY_LEN;
    for (int i = 0; i < argc; i++) {
        lens[i] = i == 1 ? lens[i] : lens[i] ? lens[i] : strlen(argv[i]);
    }
    aoidc_redis_batch_init(&b, p);
    aoidc_redis_batch_add(&b, argc, argv, lens);
    return run(st, k, &b, rep, p);
}

static const char *px(apr_time_t expiry, apr_pool_t *p)
{
    apr_int64_t ms = (expiry - apr_time_now()) / 1000;
    return apr_psprintf(p, "%" APR_INT64_T_FMT, ms < 1 ? 1 : ms);
}

static apr_status_t r_get(aoidc_store_t *st, const unsigned char *key,
                          unsigned char **val, apr_size_t *len, apr_pool_t *p)
{
    const char *argv[2] = {"GET"};
    size_t lens[2] = {0};
    redisReply *r;
    apr_status_t rv = run1(st, key, 2, argv, lens, &r, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (r->type == REDIS_REPLY_NIL) {
        return APR_NOTFOUND;
    }
    if (r->type != REDIS_REPLY_STRING) {
        return APR_EGENERAL;
    }
    *val = apr_palloc(p, r->len + 1);
    memcpy(*val, r->str, r->len);
    (*val)[r->len] = '\0';
    *len = r->len;
    return APR_SUCCESS;
}

static apr_status_t put(aoidc_store_t *st, const unsigned char *key,
                        const unsigned char *val, apr_size_t len,
                        apr_time_t expiry, bool nx, apr_pool_t *p)
{
    const char *argv[6] = {"SET", NULL,          (const char *)val,
                           "PX",  px(expiry, p), "NX"};
    size_t lens[6] = {0, 0, len, 0, 0, 0};
    redisReply *r;
    if (len > AOIDC_REDIS_MAX_VALUE) {
        return APR_ENOSPC;
    }
    argv[2] = len ? argv[2] : "";
    apr_status_t rv = run1(st, key, nx ? 6 : 5, argv, lens, &r, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (nx && r->type == REDIS_REPLY_NIL) {
        return APR_EEXIST;
    }
    return r->type == REDIS_REPLY_STATUS ? APR_SUCCESS : APR_EGENERAL;
}

static apr_status_t r_set(aoidc_store_t *st, const unsigned char *key,
                          const unsigned char *val, apr_size_t len,
                          apr_time_t expiry, apr_pool_t *p)
{
    return put(st, key, val, len, expiry, false, p);
}

static apr_status_t r_add(aoidc_store_t *st, const unsigned char *key,
                          const unsigned char *val, apr_size_t len,
                          apr_time_t expiry, apr_pool_t *p)
{
    return put(st, key, val, len, expiry, true, p);
}

static apr_status_t r_remove(aoidc_store_t *st, const unsigned char *key,
                             apr_pool_t *p)
{
    const char *argv[2] = {"DEL"};
    size_t lens[2] = {0};
    redisReply *r;
    apr_status_t rv = run1(st, key, 2, argv, lens, &r, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return r->type == REDIS_REPLY_INTEGER ? APR_SUCCESS : APR_EGENERAL;
}

static apr_status_t r_sadd(aoidc_store_t *st, const unsigned char *key,
                           const unsigned char *m, apr_size_t mlen,
                           apr_time_t expiry, apr_pool_t *p)
{
    char *k = apr_palloc(p, AOIDC_REDIS_KEY_LEN);
    const char *ms = px(expiry, p);
    const char *multi[1] = {"MULTI"}, *exec[1] = {"EXEC"};
    const char *sadd[3] = {"SADD", k, mlen ? (const char *)m : ""};
    const char *gt[4] = {"PEXPIRE", k, ms, "GT"};
    const char *nx[4] = {"PEXPIRE", k, ms, "NX"};
    size_t klens[3] = {4, AOIDC_REDIS_KEY_LEN, mlen};
    size_t elens[4] = {7, AOIDC_REDIS_KEY_LEN, strlen(ms), 2};
    aoidc_redis_batch_t b;
    redisReply *rep[5];
    if (mlen > AOIDC_REDIS_MAX_VALUE) {
        return APR_ENOSPC;
    }
    aoidc_redis_key(k, key);
    aoidc_redis_batch_init(&b, p);
    aoidc_redis_batch_add(&b, 1, multi, NULL);
    aoidc_redis_batch_add(&b, 3, sadd, klens);
    aoidc_redis_batch_add(&b, 4, gt, elens);
    aoidc_redis_batch_add(&b, 4, nx, elens);
    aoidc_redis_batch_add(&b, 1, exec, NULL);
    apr_status_t rv = run(st, k, &b, rep, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* EXEC answers [added, gt-applied, nx-applied] */
    const redisReply *x = rep[4];
    return x->type == REDIS_REPLY_ARRAY && x->elements == 3
                   && x->element[0]->type == REDIS_REPLY_INTEGER
                   && x->element[1]->type == REDIS_REPLY_INTEGER
                   && x->element[2]->type == REDIS_REPLY_INTEGER
               ? APR_SUCCESS
               : APR_EGENERAL;
}

static apr_status_t r_smembers(aoidc_store_t *st, const unsigned char *key,
                               apr_array_header_t **members, apr_pool_t *p)
{
    const char *argv[2] = {"SMEMBERS"};
    size_t lens[2] = {0};
    redisReply *r;
    apr_status_t rv = run1(st, key, 2, argv, lens, &r, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (r->type != REDIS_REPLY_ARRAY) {
        return APR_EGENERAL;
    }
    apr_array_header_t *a =
        apr_array_make(p, (int)r->elements + 1, sizeof(aoidc_blob_t));
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING) {
            return APR_EGENERAL;
        }
        aoidc_blob_t *bl = apr_array_push(a);
        bl->data = apr_pmemdup(p, e->str ? e->str : "", e->len + 1);
        bl->len = e->len;
    }
    *members = a;
    return APR_SUCCESS;
}

static apr_status_t r_srem(aoidc_store_t *st, const unsigned char *key,
                           const unsigned char *m, apr_size_t mlen,
                           apr_pool_t *p)
{
    const char *argv[3] = {"SREM", NULL, mlen ? (const char *)m : ""};
    size_t lens[3] = {0, 0, mlen};
    redisReply *r;
    apr_status_t rv = run1(st, key, 3, argv, lens, &r, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return r->type == REDIS_REPLY_INTEGER ? APR_SUCCESS : APR_EGENERAL;
}

/* ---- Life cycle -------------------------------------------------------- */

static apr_status_t store_cleanup(void *baton)
{
    aoidc_redis_t *s = baton;
    aoidc_redis_conn_t *c = s->idle;
    while (c) {
        aoidc_redis_conn_t *next = c->next;
        aoidc_redis_conn_close(c);
        c = next;
    }
    s->idle = NULL;
    if (s->ctx) {
        SSL_CTX_free(s->ctx);
    }
    apr_pool_destroy(s->pool);
    return APR_SUCCESS;
}

static SSL_CTX *make_ctx(const aoidc_redis_conf_t *c)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if ((c->ca ? SSL_CTX_load_verify_locations(ctx, c->ca, NULL)
               : SSL_CTX_set_default_verify_paths(ctx))
            != 1
        || (c->cert
            && (SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1
                || SSL_CTX_use_PrivateKey_file(ctx, c->key, SSL_FILETYPE_PEM)
                       != 1
                || SSL_CTX_check_private_key(ctx) != 1))) {
        ERR_clear_error();
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

apr_status_t aoidc_redis_store_create(aoidc_store_t **out,
                                      const aoidc_redis_conf_t *c,
                                      apr_pool_t *p)
{
    aoidc_store_t *st = apr_pcalloc(p, sizeof(*st));
    aoidc_redis_t *s = apr_pcalloc(p, sizeof(*s));
    apr_status_t rv;
    *out = NULL;
    s->conf = c;
    if (c->tls && !(s->ctx = make_ctx(c))) {
        return APR_EGENERAL;
    }
    rv = apr_thread_mutex_create(&s->mu, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        rv = apr_pool_create_unmanaged_ex(&s->pool, NULL, NULL);
    }
    if (rv != APR_SUCCESS) {
        if (s->ctx) {
            SSL_CTX_free(s->ctx);
        }
        return rv;
    }
    apr_pool_cleanup_register(p, s, store_cleanup, apr_pool_cleanup_null);
    st->name = "redis";
    st->get = r_get;
    st->set = r_set;
    st->remove = r_remove;
    st->add = r_add;
    st->sadd = r_sadd;
    st->smembers = r_smembers;
    st->srem = r_srem;
    st->baton = s;
    *out = st;
    return APR_SUCCESS;
}
