/* SPDX-License-Identifier: Apache-2.0 */
/* The per-process L1 cache (l1.h). A direct-mapped table: a key has one
 * slot, a newer record evicts an older one. The keys are random ticket
 * ids, so FNV-1a spreads them well enough; a client choosing ids to
 * collide only evicts its own entries (a miss costs the store path).
 *
 * An entry is an immutable object made once, at put, in a pool of its
 * own (its own allocator: the threads of the child never share a pool).
 * Readers hold a reference until their request's pool is cleared, so a
 * put or forget that replaces an entry never frees what a request still
 * reads. */
#include <string.h>

#include <apr_thread_mutex.h>

#include "core/l1.h"

#define STRIPES 16 /* mutexes: slot i is guarded by stripe i % STRIPES */

typedef struct {
    apr_uint32_t refs; /* the slot's one, and one per reading request */
    apr_pool_t *pool;
    const void *owner;
    const char *key, *secret; /* in pool */
    apr_size_t klen, slen;
    apr_uint32_t gen;
    apr_time_t expires;
    const void *obj; /* made by the caller's make() in pool */
} entry_t;

struct aoidc_l1_t {
    apr_uint32_t *gens;
    apr_thread_mutex_t *mu[STRIPES];
    entry_t *slot[AOIDC_L1_SLOTS];
};

/* Over the key's last 32 bytes and its length: a ticket id whole, of a
 * token its signature's end (or an opaque token's random tail), so a long
 * token costs no more than a short one. */
static apr_uint32_t hash(const char *key, apr_size_t klen)
{
    apr_uint32_t h = 2166136261u ^ (apr_uint32_t)klen;
    for (apr_size_t i = klen > 32 ? klen - 32 : 0; i < klen; i++) {
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    }
    return h ^ (h >> 15);
}

/* 16 bytes as one value (GCC and clang vector extension: SSE2 on x86-64,
 * NEON on arm64, two words elsewhere) */
typedef apr_uint64_t ct_v16 __attribute__((vector_size(16)));

/* Equal, in time that depends on n only: keys are credentials (a token)
 * and secrets. 32 bytes a step, then eight, then one. */
static bool ct_equal(const char *a, const char *b, apr_size_t n)
{
    ct_v16 acc = {0, 0}, x0, x1, y0, y1;
    apr_uint64_t d, x, y;
    apr_size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        memcpy(&x0, a + i, 16);
        memcpy(&x1, a + i + 16, 16);
        memcpy(&y0, b + i, 16);
        memcpy(&y1, b + i + 16, 16);
        acc |= (x0 ^ y0) | (x1 ^ y1);
    }
    d = acc[0] | acc[1];
    for (; i + 8 <= n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d |= x ^ y;
    }
    for (; i < n; i++) {
        d |= (apr_uint64_t)(unsigned char)(a[i] ^ b[i]);
    }
    return d == 0;
}

static void release(entry_t *e)
{
    if (e && __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        apr_pool_destroy(e->pool); /* e lives in it; it owns its allocator */
    }
}

static apr_status_t release_cleanup(void *e)
{
    release(e);
    return APR_SUCCESS;
}

static apr_status_t free_slots(void *data)
{
    aoidc_l1_t *l = data;
    for (unsigned i = 0; i < AOIDC_L1_SLOTS; i++) {
        release(l->slot[i]);
        l->slot[i] = NULL;
    }
    return APR_SUCCESS;
}

aoidc_l1_t *aoidc_l1_create(apr_pool_t *p, apr_uint32_t *gens)
{
    aoidc_l1_t *l = apr_pcalloc(p, sizeof(*l));
    for (int i = 0; i < STRIPES; i++) {
        if (apr_thread_mutex_create(&l->mu[i], APR_THREAD_MUTEX_DEFAULT, p)
            != APR_SUCCESS) {
            return NULL;
        }
    }
    /* without shared counters the local ones still order this process's
     * own forgets against its readers */
    l->gens = gens ? gens : apr_pcalloc(p, AOIDC_L1_GENS * sizeof(*l->gens));
    apr_pool_cleanup_register(p, l, free_slots, apr_pool_cleanup_null);
    return l;
}

static apr_uint32_t gen_of(const aoidc_l1_t *l, apr_uint32_t h)
{
    return __atomic_load_n(&l->gens[h & (AOIDC_L1_GENS - 1)], __ATOMIC_ACQUIRE);
}

apr_uint32_t aoidc_l1_gen(const aoidc_l1_t *l, const char *key, apr_size_t klen)
{
    return gen_of(l, hash(key, klen));
}

static entry_t *entry_make(const char *key, apr_size_t klen, const char *secret,
                           apr_size_t slen, const unsigned char *val,
                           apr_size_t len, aoidc_l1_make_fn make,
                           const void *arg)
{
    apr_allocator_t *a;
    apr_pool_t *p;
    entry_t *e;
    if (apr_allocator_create(&a) != APR_SUCCESS) {
        return NULL;
    }
    /* unmanaged: no parent, so no other pool's lock is taken, and the
     * pool is only ever destroyed by the last reference */
    if (apr_pool_create_unmanaged_ex(&p, NULL, a) != APR_SUCCESS) {
        apr_allocator_destroy(a);
        return NULL;
    }
    apr_allocator_owner_set(a, p);
    e = apr_pcalloc(p, sizeof(*e));
    e->pool = p;
    e->refs = 1;
    e->key = apr_pmemdup(p, key, klen);
    e->secret = apr_pmemdup(p, secret, slen);
    e->klen = klen;
    e->slen = slen;
    if (!(e->obj = make(p, apr_pmemdup(p, val, len), len, arg))) {
        apr_pool_destroy(p); /* owns a */
        return NULL;
    }
    return e;
}

const void *aoidc_l1_put(aoidc_l1_t *l, const void *owner, const char *key,
                         apr_size_t klen, const char *secret, apr_size_t slen,
                         apr_uint32_t gen, apr_time_t expires,
                         const unsigned char *val, apr_size_t len,
                         aoidc_l1_make_fn make, const void *arg, apr_pool_t *rp)
{
    apr_uint32_t h = hash(key, klen);
    unsigned i = h & (AOIDC_L1_SLOTS - 1);
    entry_t *e, *old = NULL;
    const void *obj = NULL;
    if (klen > AOIDC_L1_MAX_KEY || slen > AOIDC_L1_MAX_KEY
        || klen + len > AOIDC_L1_MAX_VALUE || !len
        || !(e = entry_make(key, klen, secret, slen, val, len, make, arg))) {
        return NULL;
    }
    if (rp) { /* the caller's reference, as aoidc_l1_get gives one */
        e->refs++;
        apr_pool_cleanup_register(rp, e, release_cleanup,
                                  apr_pool_cleanup_null);
        obj = e->obj;
    }
    e->owner = owner;
    e->gen = gen;
    e->expires = expires;
    apr_thread_mutex_lock(l->mu[i % STRIPES]);
    if (gen_of(l, h) == gen) { /* else a forget came after our read */
        old = l->slot[i];
        l->slot[i] = e;
        e = NULL;
    }
    apr_thread_mutex_unlock(l->mu[i % STRIPES]);
    release(old);
    release(e);
    return obj;
}

const void *aoidc_l1_get(aoidc_l1_t *l, const void *owner, const char *key,
                         apr_size_t klen, const char *secret, apr_size_t slen,
                         apr_time_t now, apr_pool_t *rp)
{
    apr_uint32_t h = hash(key, klen);
    unsigned i = h & (AOIDC_L1_SLOTS - 1);
    entry_t *e;
    apr_thread_mutex_lock(l->mu[i % STRIPES]);
    e = l->slot[i];
    if (e && e->owner == owner && e->klen == klen && e->slen == slen
        && now < e->expires && e->gen == gen_of(l, h)
        && ct_equal(e->key, key, klen) && ct_equal(e->secret, secret, slen)) {
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
    }
    else {
        e = NULL;
    }
    apr_thread_mutex_unlock(l->mu[i % STRIPES]);
    if (!e) {
        return NULL;
    }
    apr_pool_cleanup_register(rp, e, release_cleanup, apr_pool_cleanup_null);
    return e->obj;
}

void aoidc_l1_forget(aoidc_l1_t *l, const char *key, apr_size_t klen)
{
    apr_uint32_t h = hash(key, klen);
    unsigned i = h & (AOIDC_L1_SLOTS - 1);
    entry_t *old = NULL;
    apr_thread_mutex_lock(l->mu[i % STRIPES]);
    __atomic_add_fetch(&l->gens[h & (AOIDC_L1_GENS - 1)], 1, __ATOMIC_RELEASE);
    if (l->slot[i] && l->slot[i]->klen == klen
        && !memcmp(l->slot[i]->key, key, klen)) {
        old = l->slot[i];
        l->slot[i] = NULL;
    }
    apr_thread_mutex_unlock(l->mu[i % STRIPES]);
    release(old);
}
