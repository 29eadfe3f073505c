/* SPDX-License-Identifier: Apache-2.0 */
/* memcached store over apr_memcache (layout and limits in the header). */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_memcache.h>

#include "core/store_memcache.h"

#define DEFAULT_TIMEOUT   apr_time_from_msec(500)
#define DEFAULT_MAX_CONNS 64
/* idle connections are closed after this (mod_socache_memcache's default) */
#define CONN_TTL   apr_time_from_sec(15)
#define KEY_PREFIX "aoidc:"

typedef struct {
    const char *host;
    apr_port_t port;
} server_t;

struct aoidc_memcache_conf_t {
    server_t servers[AOIDC_MEMCACHE_MAX_SERVERS];
    int nservers;
    int max_conns;
    apr_interval_time_t timeout;
};

typedef struct {
    aoidc_store_t iface;
    apr_memcache_t *mc;
} mc_store_t;

/* --- configuration ------------------------------------------------------- */

static const char *parse_server(server_t *sv, const char *s, apr_size_t n,
                                apr_pool_t *p)
{
    const char *colon, *port;
    char *end;
    long v;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb || rb == s + 1 || (apr_size_t)(rb - s) + 1 >= n
            || rb[1] != ':') {
            return "an IPv6 address is written [ADDR]:PORT";
        }
        sv->host = apr_pstrmemdup(p, s + 1, (apr_size_t)(rb - s) - 1);
        colon = rb + 1;
    }
    else {
        colon = memchr(s, ':', n);
        if (!colon || colon == s) {
            return "each server is HOST:PORT";
        }
        sv->host = apr_pstrmemdup(p, s, (apr_size_t)(colon - s));
        for (const char *h = sv->host; *h; h++) {
            if (!apr_isalnum(*h) && *h != '.' && *h != '-' && *h != '_') {
                return "a host name has letters, digits, '.', '-' or '_'";
            }
        }
    }
    port = apr_pstrmemdup(p, colon + 1, (apr_size_t)(s + n - colon - 1));
    v = apr_isdigit(*port) ? strtol(port, &end, 10) : 0;
    if (!apr_isdigit(*port) || *end || v < 1 || v > 65535) {
        return "PORT is a number from 1 to 65535";
    }
    sv->port = (apr_port_t)v;
    return NULL;
}

const char *aoidc_memcache_parse(aoidc_memcache_conf_t **out, const char *url,
                                 apr_pool_t *p)
{
    static const char form[] = "memcache://HOST:PORT[,HOST:PORT...]";
    aoidc_memcache_conf_t *c = apr_pcalloc(p, sizeof(*c));
    const char *s;
    if (strncmp(url, "memcache://", 11)) {
        return apr_psprintf(p, "expects %s", form);
    }
    s = url + 11;
    c->timeout = DEFAULT_TIMEOUT;
    c->max_conns = DEFAULT_MAX_CONNS;
    while (*s) {
        apr_size_t n = strcspn(s, ",");
        const char *e;
        if (c->nservers == AOIDC_MEMCACHE_MAX_SERVERS) {
            return apr_psprintf(p, "at most %d servers",
                                AOIDC_MEMCACHE_MAX_SERVERS);
        }
        if (strcspn(s, "@/?#") < n) {
            return apr_psprintf(p,
                                "expects %s (memcached has no user, "
                                "password or path)",
                                form);
        }
        e = parse_server(&c->servers[c->nservers], s, n, p);
        if (e) {
            return apr_psprintf(p, "expects %s: %s", form, e);
        }
        c->nservers++;
        s += n;
        if (*s == ',' && !*++s) {
            return apr_psprintf(p, "expects %s: empty server after ','", form);
        }
    }
    if (!c->nservers) {
        return apr_psprintf(p, "expects %s", form);
    }
    *out = c;
    return NULL;
}

void aoidc_memcache_set_timeout(aoidc_memcache_conf_t *c,
                                apr_interval_time_t timeout)
{
    c->timeout = timeout > 0 ? timeout : DEFAULT_TIMEOUT;
}

void aoidc_memcache_set_max_conns(aoidc_memcache_conf_t *c, int max)
{
    c->max_conns = max > 0 ? max : DEFAULT_MAX_CONNS;
}

const char *aoidc_memcache_describe(const aoidc_memcache_conf_t *c,
                                    apr_pool_t *p)
{
    const char *s = "memcache://";
    for (int i = 0; i < c->nservers; i++) {
        const server_t *sv = &c->servers[i];
        s = apr_psprintf(p, strchr(sv->host, ':') ? "%s%s[%s]:%u" : "%s%s%s:%u",
                         s, i ? "," : "", sv->host, (unsigned)sv->port);
    }
    return apr_psprintf(p, "%s (timeout %" APR_TIME_T_FMT " ms)", s,
                        apr_time_as_msec(c->timeout));
}

/* --- keys and times ------------------------------------------------------ */

const char *aoidc_memcache_key(const unsigned char key[AOIDC_STORE_KEY_LEN],
                               const char *suffix, apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t pre = sizeof(KEY_PREFIX) - 1, sl = suffix ? strlen(suffix) : 0;
    char *k = apr_palloc(p, pre + 2 * AOIDC_STORE_KEY_LEN + sl + 1), *o;
    memcpy(k, KEY_PREFIX, pre);
    o = k + pre;
    for (int i = 0; i < AOIDC_STORE_KEY_LEN; i++) {
        *o++ = hex[key[i] >> 4];
        *o++ = hex[key[i] & 15];
    }
    memcpy(o, suffix ? suffix : "", sl + 1);
    return k;
}

bool aoidc_memcache_exptime(apr_uint32_t *out, apr_time_t expiry,
                            apr_time_t now)
{
    apr_time_t secs;
    if (expiry <= now) {
        return false;
    }
    secs = (expiry - now + APR_USEC_PER_SEC - 1) / APR_USEC_PER_SEC;
    if (secs <= AOIDC_MEMCACHE_RELATIVE_MAX) {
        *out = (apr_uint32_t)secs;
    }
    else {
        /* memcached would read this as a Unix time: send one */
        apr_time_t abs = apr_time_sec(expiry);
        *out = abs > (apr_time_t)UINT32_MAX ? UINT32_MAX : (apr_uint32_t)abs;
    }
    return true;
}

/* --- calls ---------------------------------------------------------------- */

/*
 * apr_memcache answers APR_NOTFOUND both for a miss and for "no live
 * server". Each call therefore runs on a copy of the shared client whose
 * server selector records the server it picked; the copy shares the
 * servers (and their connection pools) and is safe across threads.
 */
typedef struct {
    apr_memcache_t mc;
    apr_memcache_server_t *ms;
} call_t;

static apr_memcache_server_t *pick(void *baton, apr_memcache_t *mc,
                                   const apr_uint32_t hash)
{
    call_t *call = baton;
    call->ms = apr_memcache_find_server_hash_default(NULL, mc, hash);
    return call->ms;
}

static void call_init(call_t *call, const mc_store_t *st)
{
    call->mc = *st->mc;
    call->ms = NULL;
    call->mc.server_baton = call;
    call->mc.server_func = pick;
}

/* A call that failed on a connection (not on connecting) may have used a
 * pooled connection that died while idle: worth one more try. */
static bool retry_after(call_t *call, apr_status_t rv, int *tries)
{
    if (!call->ms || rv == APR_SUCCESS || rv == APR_NOTFOUND || rv == APR_EEXIST
        || APR_STATUS_IS_ECONNREFUSED(rv) || APR_STATUS_IS_TIMEUP(rv)
        || APR_STATUS_IS_ETIMEDOUT(rv) || APR_STATUS_IS_EHOSTUNREACH(rv)
        || APR_STATUS_IS_ENETUNREACH(rv) || ++*tries > 2) {
        return false;
    }
    apr_memcache_enable_server(&call->mc, call->ms);
    return true;
}

/* The status of a finished call as core/store.h wants it. */
static apr_status_t result(const call_t *call, apr_status_t rv)
{
    if (!call->ms) {
        return APR_ECONNREFUSED; /* no live server: down, not a miss */
    }
    return rv;
}

static apr_status_t get_key(mc_store_t *st, const char *k, unsigned char **val,
                            apr_size_t *len, apr_pool_t *p)
{
    call_t call;
    char *v;
    apr_size_t n = 0;
    apr_status_t rv;
    int tries = 0;
    do {
        call_init(&call, st);
        rv = apr_memcache_getp(&call.mc, p, k, &v, &n, NULL);
    } while (retry_after(&call, rv, &tries));
    rv = result(&call, rv);
    if (rv == APR_SUCCESS) {
        *val = (unsigned char *)v; /* NUL-terminated by apr_memcache */
        *len = n;
    }
    return rv;
}

static apr_status_t mc_get(aoidc_store_t *s, const unsigned char *key,
                           unsigned char **val, apr_size_t *len, apr_pool_t *p)
{
    return get_key(s->baton, aoidc_memcache_key(key, NULL, p), val, len, p);
}

/* set or add of one memcached key. */
static apr_status_t store_cmd(mc_store_t *st, bool add, const char *k,
                              const unsigned char *val, apr_size_t len,
                              apr_uint32_t exptime)
{
    call_t call;
    apr_status_t rv;
    int tries = 0;
    do {
        call_init(&call, st);
        rv = add ? apr_memcache_add(&call.mc, k, (char *)val, len, exptime, 0)
                 : apr_memcache_set(&call.mc, k, (char *)val, len, exptime, 0);
    } while (retry_after(&call, rv, &tries));
    return result(&call, rv);
}

static apr_status_t delete_key(mc_store_t *st, const char *k)
{
    call_t call;
    apr_status_t rv;
    int tries = 0;
    do {
        call_init(&call, st);
        rv = apr_memcache_delete(&call.mc, k, 0);
    } while (retry_after(&call, rv, &tries));
    rv = result(&call, rv);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

static apr_status_t write_value(aoidc_store_t *s, bool add,
                                const unsigned char *key,
                                const unsigned char *val, apr_size_t len,
                                apr_time_t expiry, apr_pool_t *p)
{
    apr_uint32_t exptime;
    const char *k = aoidc_memcache_key(key, NULL, p);
    if (len > AOIDC_MEMCACHE_MAX_VALUE) {
        return APR_ENOSPC;
    }
    if (!aoidc_memcache_exptime(&exptime, expiry, apr_time_now())) {
        /* already expired: what set leaves behind must not be visible */
        return add ? APR_SUCCESS : delete_key(s->baton, k);
    }
    return store_cmd(s->baton, add, k, val, len, exptime);
}

static apr_status_t mc_set(aoidc_store_t *s, const unsigned char *key,
                           const unsigned char *val, apr_size_t len,
                           apr_time_t expiry, apr_pool_t *p)
{
    return write_value(s, false, key, val, len, expiry, p);
}

static apr_status_t mc_add(aoidc_store_t *s, const unsigned char *key,
                           const unsigned char *val, apr_size_t len,
                           apr_time_t expiry, apr_pool_t *p)
{
    return write_value(s, true, key, val, len, expiry, p);
}

static apr_status_t mc_remove(aoidc_store_t *s, const unsigned char *key,
                              apr_pool_t *p)
{
    return delete_key(s->baton, aoidc_memcache_key(key, NULL, p));
}

/* --- sets (layout in the header) ------------------------------------------ */

static const char *slot_key(const unsigned char *key, unsigned slot,
                            apr_pool_t *p)
{
    return aoidc_memcache_key(key, apr_psprintf(p, ":%u", slot), p);
}

/* The next slot number from the set's counter, creating the counter when
 * absent (two creators race harmlessly: add lets one win, both incr). */
static apr_status_t next_slot(mc_store_t *st, const char *ck,
                              apr_uint32_t exptime, apr_uint32_t *slot)
{
    for (int i = 0; i < 2; i++) {
        call_t call;
        apr_status_t rv;
        int tries = 0;
        do {
            call_init(&call, st);
            rv = apr_memcache_incr(&call.mc, ck, 1, slot);
        } while (retry_after(&call, rv, &tries));
        rv = result(&call, rv);
        if (rv != APR_NOTFOUND) {
            return rv;
        }
        rv = store_cmd(st, true, ck, (const unsigned char *)"0", 1, exptime);
        if (rv != APR_SUCCESS && rv != APR_EEXIST) {
            return rv;
        }
    }
    return APR_EGENERAL;
}

static apr_status_t mc_sadd(aoidc_store_t *s, const unsigned char *key,
                            const unsigned char *member, apr_size_t mlen,
                            apr_time_t expiry, apr_pool_t *p)
{
    mc_store_t *st = s->baton;
    const char *ck = aoidc_memcache_key(key, ":n", p);
    apr_uint32_t exptime, n;
    if (mlen > AOIDC_MEMCACHE_MAX_VALUE) {
        return APR_ENOSPC;
    }
    if (!aoidc_memcache_exptime(&exptime, expiry, apr_time_now())) {
        return APR_SUCCESS;
    }
    for (int i = 0; i < AOIDC_MEMCACHE_SET_SLOTS; i++) {
        apr_status_t rv = next_slot(st, ck, exptime, &n);
        if (rv == APR_SUCCESS) {
            unsigned slot = (unsigned)((n - 1) % AOIDC_MEMCACHE_SET_SLOTS) + 1;
            rv = store_cmd(st, true, slot_key(key, slot, p), member, mlen,
                           exptime);
        }
        if (rv != APR_EEXIST) {
            return rv; /* stored, or the store failed */
        }
    }
    return APR_ENOSPC; /* every slot holds a live member */
}

/* Every slot's value into vals[0..SLOTS) (data NULL where empty). */
static apr_status_t read_slots(mc_store_t *st, const unsigned char *key,
                               aoidc_blob_t *vals, apr_pool_t *p)
{
    for (unsigned i = 0; i < AOIDC_MEMCACHE_SET_SLOTS; i++) {
        unsigned char *v;
        apr_size_t n;
        apr_status_t rv = get_key(st, slot_key(key, i + 1, p), &v, &n, p);
        vals[i].data = rv == APR_SUCCESS ? v : NULL;
        vals[i].len = rv == APR_SUCCESS ? n : 0;
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
            return rv; /* down: never report a partial set as the set */
        }
    }
    return APR_SUCCESS;
}

static bool same(const aoidc_blob_t *b, const unsigned char *m, apr_size_t n)
{
    return b->data && b->len == n && !memcmp(b->data, m, n);
}

static apr_status_t mc_smembers(aoidc_store_t *s, const unsigned char *key,
                                apr_array_header_t **members, apr_pool_t *p)
{
    aoidc_blob_t vals[AOIDC_MEMCACHE_SET_SLOTS];
    apr_status_t rv = read_slots(s->baton, key, vals, p);
    *members = apr_array_make(p, 2, sizeof(aoidc_blob_t));
    for (int i = 0; rv == APR_SUCCESS && i < AOIDC_MEMCACHE_SET_SLOTS; i++) {
        bool dup = false;
        for (int j = 0; j < i && !dup; j++) {
            dup = same(&vals[j], vals[i].data, vals[i].len);
        }
        if (vals[i].data && !dup) {
            *(aoidc_blob_t *)apr_array_push(*members) = vals[i];
        }
    }
    return rv;
}

static apr_status_t mc_srem(aoidc_store_t *s, const unsigned char *key,
                            const unsigned char *member, apr_size_t mlen,
                            apr_pool_t *p)
{
    aoidc_blob_t vals[AOIDC_MEMCACHE_SET_SLOTS];
    apr_status_t rv = read_slots(s->baton, key, vals, p);
    for (unsigned i = 0; rv == APR_SUCCESS && i < AOIDC_MEMCACHE_SET_SLOTS;
         i++) {
        if (same(&vals[i], member, mlen)) {
            rv = delete_key(s->baton, slot_key(key, i + 1, p));
        }
    }
    return rv;
}

apr_status_t aoidc_memcache_store_create(aoidc_store_t **out,
                                         const aoidc_memcache_conf_t *c,
                                         apr_pool_t *pchild)
{
    mc_store_t *st = apr_pcalloc(pchild, sizeof(*st));
    apr_status_t rv =
        apr_memcache_create(pchild, (apr_uint16_t)c->nservers, 0, &st->mc);
    for (int i = 0; rv == APR_SUCCESS && i < c->nservers; i++) {
        apr_memcache_server_t *ms;
        /* min 0: nothing connects now, so a server down at start is no
         * error; smax 1 keeps one idle connection per server */
        rv = apr_memcache_server_create(
            pchild, c->servers[i].host, c->servers[i].port, 0, 1,
            (apr_uint32_t)c->max_conns, (apr_uint32_t)CONN_TTL, &ms);
        if (rv == APR_SUCCESS) {
#if APR_HAS_THREADS
            apr_reslist_timeout_set(ms->conns, c->timeout);
#endif
            rv = apr_memcache_add_server(st->mc, ms);
        }
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    st->iface.name = "memcache";
    st->iface.get = mc_get;
    st->iface.set = mc_set;
    st->iface.remove = mc_remove;
    st->iface.add = mc_add;
    st->iface.sadd = mc_sadd;
    st->iface.smembers = mc_smembers;
    st->iface.srem = mc_srem;
    st->iface.baton = st;
    *out = &st->iface;
    return APR_SUCCESS;
}
