/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a command goes: connections from the free list (or new ones, with
 * AUTH, SELECT and, behind Sentinel, ROLE), per-node backoff, the Sentinel
 * master and the Cluster slot map with MOVED and ASK. The mutex guards
 * only memory; every network wait happens without it.
 */
#include <string.h>

#include "core/redis_topo.h"

static bool same_node(const char *host, apr_port_t port,
                      const aoidc_redis_addr_t *n)
{
    return port == n->port && !strcmp(host, n->host);
}

static aoidc_redis_backoff_t *
backoff_find(aoidc_redis_t *s, const aoidc_redis_addr_t *n, bool make)
{
    aoidc_redis_backoff_t *free_slot = NULL;
    for (int i = 0; i < AOIDC_REDIS_MAX_BACKOFF; i++) {
        aoidc_redis_backoff_t *b = &s->back[i];
        if (b->wait && same_node(b->host, b->port, n)) {
            return b;
        }
        if (!b->wait && !free_slot) {
            free_slot = b;
        }
    }
    if (!make || strlen(n->host) >= sizeof(free_slot->host)) {
        return NULL;
    }
    /* all taken: reuse the first (a node that failed long ago) */
    free_slot = free_slot ? free_slot : &s->back[0];
    apr_cpystrn(free_slot->host, n->host, sizeof(free_slot->host));
    free_slot->port = n->port;
    free_slot->wait = 0;
    return free_slot;
}

/* APR_SUCCESS, or the error that started a backoff still running. */
static apr_status_t backoff_check(aoidc_redis_t *s, const aoidc_redis_addr_t *n)
{
    apr_status_t rv = APR_SUCCESS;
    apr_thread_mutex_lock(s->mu);
    aoidc_redis_backoff_t *b = backoff_find(s, n, false);
    if (b && b->until > apr_time_now()) {
        rv = b->rv;
    }
    apr_thread_mutex_unlock(s->mu);
    return rv;
}

static void backoff_note(aoidc_redis_t *s, const aoidc_redis_addr_t *n,
                         apr_status_t rv)
{
    apr_thread_mutex_lock(s->mu);
    aoidc_redis_backoff_t *b = backoff_find(s, n, rv != APR_SUCCESS);
    if (b && rv == APR_SUCCESS) {
        b->wait = 0;
        b->until = 0;
    }
    else if (b) {
        b->wait = b->wait ? b->wait * 2 : apr_time_from_msec(25);
        if (b->wait > apr_time_from_sec(1)) {
            b->wait = apr_time_from_sec(1);
        }
        b->until = apr_time_now() + b->wait;
        b->rv = rv;
    }
    apr_thread_mutex_unlock(s->mu);
}

/* The idle list without those of an older topology, detached under the
 * lock and closed after it. */
static void close_list(aoidc_redis_conn_t *c)
{
    while (c) {
        aoidc_redis_conn_t *next = c->next;
        aoidc_redis_conn_close(c);
        c = next;
    }
}

void aoidc_redis_invalidate(aoidc_redis_t *s)
{
    apr_thread_mutex_lock(s->mu);
    aoidc_redis_conn_t *list = s->idle;
    s->idle = NULL;
    s->nidle = 0;
    s->gen++;
    s->have_master = false;
    s->have_slots = false;
    apr_thread_mutex_unlock(s->mu);
    close_list(list);
}

static aoidc_redis_conn_t *idle_take(aoidc_redis_t *s,
                                     const aoidc_redis_addr_t *n)
{
    aoidc_redis_conn_t **pp, *c = NULL;
    apr_thread_mutex_lock(s->mu);
    for (pp = &s->idle; *pp; pp = &(*pp)->next) {
        if ((*pp)->gen == s->gen
            && same_node((*pp)->node.host, (*pp)->node.port, n)) {
            c = *pp;
            *pp = c->next;
            s->nidle--;
            break;
        }
    }
    apr_thread_mutex_unlock(s->mu);
    return c;
}

static void idle_put(aoidc_redis_t *s, aoidc_redis_conn_t *c)
{
    apr_thread_mutex_lock(s->mu);
    if (c->gen == s->gen && s->nidle < AOIDC_REDIS_MAX_IDLE) {
        c->next = s->idle;
        s->idle = c;
        s->nidle++;
        c = NULL;
    }
    apr_thread_mutex_unlock(s->mu);
    aoidc_redis_conn_close(c);
}

/* AUTH, SELECT and (behind Sentinel) ROLE on a new connection. */
static apr_status_t handshake(aoidc_redis_t *s, aoidc_redis_conn_t *c,
                              apr_time_t deadline, apr_pool_t *p)
{
    const aoidc_redis_conf_t *cf = s->conf;
    aoidc_redis_batch_t b;
    redisReply *rep[3];
    char db[16];
    int auth = -1, sel = -1, role = -1;
    aoidc_redis_batch_init(&b, p);
    if (cf->password) {
        const char *argv[3] = {"AUTH", cf->user, cf->password};
        if (!cf->user) {
            argv[1] = cf->password;
        }
        auth = b.n;
        aoidc_redis_batch_add(&b, cf->user ? 3 : 2, argv, NULL);
    }
    if (cf->db && cf->mode != AOIDC_REDIS_CLUSTER) {
        const char *argv[2] = {"SELECT", db};
        apr_snprintf(db, sizeof(db), "%d", cf->db);
        sel = b.n;
        aoidc_redis_batch_add(&b, 2, argv, NULL);
    }
    if (cf->mode == AOIDC_REDIS_SENTINEL) {
        const char *argv[1] = {"ROLE"};
        role = b.n;
        aoidc_redis_batch_add(&b, 1, argv, NULL);
    }
    if (b.n == 0) {
        return APR_SUCCESS;
    }
    apr_status_t rv = aoidc_redis_conn_call(c, &b, rep, deadline);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (auth >= 0 && rep[auth]->type == REDIS_REPLY_ERROR) {
        return APR_EACCES; /* wrong password or user: the store is down */
    }
    if (sel >= 0 && rep[sel]->type == REDIS_REPLY_ERROR) {
        return APR_EGENERAL;
    }
    if (role >= 0 && !aoidc_redis_role_is_master(rep[role])) {
        aoidc_redis_invalidate(s); /* Sentinel's answer is out of date */
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_redis_conn_get(aoidc_redis_t *s, const aoidc_redis_addr_t *n,
                                  bool data, aoidc_redis_conn_t **out,
                                  apr_time_t deadline, apr_pool_t *p)
{
    aoidc_redis_conn_t *c;
    apr_status_t rv;
    unsigned gen;
    while (data && (c = idle_take(s, n)) != NULL) {
        if (!aoidc_redis_conn_is_stale(c)) {
            *out = c;
            return APR_SUCCESS;
        }
        aoidc_redis_conn_close(c);
    }
    if ((rv = backoff_check(s, n)) != APR_SUCCESS) {
        return rv;
    }
    apr_thread_mutex_lock(s->mu);
    gen = s->gen;
    apr_thread_mutex_unlock(s->mu);
    rv = aoidc_redis_conn_open(&c, n, s->ctx, s->conf->servername, deadline);
    if (rv == APR_SUCCESS && data) {
        rv = handshake(s, c, deadline, p);
        if (rv != APR_SUCCESS) {
            aoidc_redis_conn_close(c);
        }
    }
    backoff_note(s, n, rv);
    if (rv == APR_SUCCESS) {
        c->gen = gen;
        *out = c;
    }
    return rv;
}

apr_status_t aoidc_redis_exec(aoidc_redis_t *s, const aoidc_redis_addr_t *n,
                              const aoidc_redis_batch_t *b, redisReply **rep,
                              bool asking, apr_time_t deadline, apr_pool_t *p)
{
    aoidc_redis_conn_t *c;
    aoidc_redis_batch_t ab;
    redisReply *all[AOIDC_REDIS_MAX_BATCH + 1];
    apr_status_t rv = aoidc_redis_conn_get(s, n, true, &c, deadline, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (asking) {
        /* ASKING holds for the next command (and for a whole MULTI) */
        const char *argv[1] = {"ASKING"};
        aoidc_redis_batch_init(&ab, p);
        aoidc_redis_batch_add(&ab, 1, argv, NULL);
        char *buf = apr_palloc(p, ab.len + b->len);
        memcpy(buf, ab.buf, ab.len);
        memcpy(buf + ab.len, b->buf, b->len);
        ab.buf = buf;
        ab.len += b->len;
        ab.n += b->n;
        rv = aoidc_redis_conn_call(c, &ab, all, deadline);
        for (int i = 0; rv == APR_SUCCESS && i < b->n; i++) {
            rep[i] = all[i + 1];
        }
    }
    else {
        rv = aoidc_redis_conn_call(c, b, rep, deadline);
    }
    if (rv == APR_SUCCESS) {
        idle_put(s, c);
    }
    else {
        aoidc_redis_conn_close(c);
        backoff_note(s, n, rv);
    }
    return rv;
}
