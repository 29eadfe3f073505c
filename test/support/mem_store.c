/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An in-memory aoidc_store_t for tests and fuzzers: a hash of 32-byte keys
 * with absolute expiry. Single-threaded; memory lives in the store's pool.
 */
#include <string.h>

#include <apr_hash.h>

#include "testutil.h"

struct aoidc_mem_store_t {
    aoidc_store_t store;
    apr_pool_t *pool;
    apr_hash_t *map;
    apr_time_t now; /* 0: use the clock */
};

typedef struct {
    unsigned char *val;
    apr_size_t len;
    apr_time_t expiry;
} entry_t;

static apr_time_t now_of(aoidc_mem_store_t *ms)
{
    return ms->now ? ms->now : apr_time_now();
}

static entry_t *lookup(aoidc_mem_store_t *ms, const unsigned char *key)
{
    entry_t *e = apr_hash_get(ms->map, key, AOIDC_STORE_KEY_LEN);
    if (e && e->expiry <= now_of(ms)) {
        apr_hash_set(ms->map, key, AOIDC_STORE_KEY_LEN, NULL);
        return NULL;
    }
    return e;
}

static apr_status_t ms_get(aoidc_store_t *s, const unsigned char *key,
                           unsigned char **val, apr_size_t *len, apr_pool_t *p)
{
    entry_t *e = lookup(s->baton, key);
    if (!e) {
        return APR_NOTFOUND;
    }
    *val = apr_pmemdup(p, e->val, e->len + 1);
    *len = e->len;
    return APR_SUCCESS;
}

static apr_status_t ms_set(aoidc_store_t *s, const unsigned char *key,
                           const unsigned char *val, apr_size_t len,
                           apr_time_t expiry, apr_pool_t *p)
{
    aoidc_mem_store_t *ms = s->baton;
    entry_t *e = apr_palloc(ms->pool, sizeof(*e));
    e->val = apr_palloc(ms->pool, len + 1);
    memcpy(e->val, val, len);
    e->val[len] = '\0';
    e->len = len;
    e->expiry = expiry;
    apr_hash_set(ms->map, apr_pmemdup(ms->pool, key, AOIDC_STORE_KEY_LEN),
                 AOIDC_STORE_KEY_LEN, e);
    return APR_SUCCESS;
}

static apr_status_t ms_remove(aoidc_store_t *s, const unsigned char *key,
                              apr_pool_t *p)
{
    aoidc_mem_store_t *ms = s->baton;
    apr_hash_set(ms->map, key, AOIDC_STORE_KEY_LEN, NULL);
    return APR_SUCCESS;
}

static apr_status_t ms_add(aoidc_store_t *s, const unsigned char *key,
                           const unsigned char *val, apr_size_t len,
                           apr_time_t expiry, apr_pool_t *p)
{
    if (lookup(s->baton, key)) {
        return APR_EEXIST;
    }
    return ms_set(s, key, val, len, expiry, p);
}

/* Sets use the shared set-value codec of core/store.c. */
static apr_status_t ms_sadd(aoidc_store_t *s, const unsigned char *key,
                            const unsigned char *member, apr_size_t mlen,
                            apr_time_t expiry, apr_pool_t *p)
{
    entry_t *e = lookup(s->baton, key);
    unsigned char *v;
    apr_size_t n;
    aoidc_store_setval_add(&v, &n, e ? e->val : NULL, e ? e->len : 0, member,
                           mlen, p);
    return ms_set(s, key, v, n, e && e->expiry > expiry ? e->expiry : expiry,
                  p);
}

static apr_status_t ms_smembers(aoidc_store_t *s, const unsigned char *key,
                                apr_array_header_t **out, apr_pool_t *p)
{
    entry_t *e = lookup(s->baton, key);
    *out = aoidc_store_setval_members(e ? apr_pmemdup(p, e->val, e->len) : NULL,
                                      e ? e->len : 0, p);
    return APR_SUCCESS;
}

static apr_status_t ms_srem(aoidc_store_t *s, const unsigned char *key,
                            const unsigned char *member, apr_size_t mlen,
                            apr_pool_t *p)
{
    entry_t *e = lookup(s->baton, key);
    unsigned char *v;
    apr_size_t n;
    if (!e) {
        return APR_SUCCESS;
    }
    aoidc_store_setval_remove(&v, &n, e->val, e->len, member, mlen, p);
    return n ? ms_set(s, key, v, n, e->expiry, p) : ms_remove(s, key, p);
}

aoidc_store_t *aoidc_mem_store_create(aoidc_mem_store_t **out, apr_pool_t *p)
{
    aoidc_mem_store_t *ms = apr_pcalloc(p, sizeof(*ms));
    ms->pool = p;
    ms->map = apr_hash_make(p);
    ms->store.get = ms_get;
    ms->store.set = ms_set;
    ms->store.remove = ms_remove;
    ms->store.add = ms_add;
    ms->store.sadd = ms_sadd;
    ms->store.smembers = ms_smembers;
    ms->store.srem = ms_srem;
    ms->store.name = "mem";
    ms->store.baton = ms;
    if (out) {
        *out = ms;
    }
    return &ms->store;
}

void aoidc_mem_store_set_now(aoidc_mem_store_t *ms, apr_time_t now)
{
    ms->now = now;
}

int aoidc_mem_store_count(aoidc_mem_store_t *ms)
{
    int n = 0;
    apr_time_t now = now_of(ms);
    for (apr_hash_index_t *hi = apr_hash_first(NULL, ms->map); hi;
         hi = apr_hash_next(hi)) {
        entry_t *e = apr_hash_this_val(hi);
        n += e->expiry > now;
    }
    return n;
}
