/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shm store: aoidc_store_t over httpd's shmcb socache provider, with
 * the life cycle of mod_authn_socache (mutex registered in pre_config,
 * segment created and initialised in post_config, mutex child_init in
 * child_init). shmcb is not multi-process safe, so every call runs under
 * our global mutex, held across retrieve+store for add() and the sets.
 * The registry of specs and purposes is in store.c.
 *
 * Sizing. shmcb splits its segment into N subcaches (picked by the key's
 * first byte) and gives each a fixed number of index slots, computed from
 * the hints: slots = size / (avg_obj_size + avg_id_len). An entry larger
 * than one subcache's data area is refused; when a subcache is full, its
 * oldest entries are dropped ("scrolled out") without a word to the
 * caller. See docs/architecture.md for the numbers and what is counted.
 */
#include <stddef.h>
#include <string.h>

#include "ap_socache.h"
#include "apr_global_mutex.h"
#include "apr_shm.h"
#include "mod_status.h"
#include "util_filter.h"
#include "util_mutex.h"

#include "httpd/mod_auth_oidc.h"
#include "httpd/store.h"

#define MUTEX_TYPE "auth-oidc"
#define MAX_VALUE  (32 * 1024)

/* Entry sizes. Measured (test_820_06, before session indexes): the sealed
 * hot record and the ID Token entry together take about 1.4 KB (~710
 * bytes each with the 32-byte key). Since the logout work a session also
 * has a sid index entry and a share of its user's sub index (a few hundred
 * bytes together, estimated), so four entries of ~420 bytes on average;
 * below that the index slots, above it the data area, would run out first.
 * Markers, locks and negative cache entries are a few dozen bytes,
 * positive token cache entries a few hundred. */
#define AVG_ID_LEN      AOIDC_STORE_KEY_LEN
#define AVG_SESSION_OBJ 420
#define AVG_CACHE_OBJ   256

struct aoidc_shm_t {
    const char *name; /* for logs */
    ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    aoidc_store_t iface;
    server_rec *s;
    apr_size_t size;
    apr_size_t avg_obj;
    apr_size_t max_entry; /* what one subcache's data area holds */
    apr_uint32_t refused; /* oversize entries (per process) */
    int index;            /* into the shared stats */
    int purpose;          /* AOIDC_STORE_SESSIONS or _CACHE */
    aoidc_shm_t *next;
};

/* Kept in one small anonymous segment of our own, shared by the children,
 * so that one process logs what shmcb dropped, once per interval. */
typedef struct {
    apr_time_t next_check;
    unsigned long discarded[AOIDC_SHM_MAX_SEGMENTS];
} shm_stats_t;

#define STATS_INTERVAL apr_time_from_sec(15)

static aoidc_shm_t *all; /* every segment of this config cycle */
static int nsegments;
static apr_global_mutex_t *mutex;
static apr_shm_t *stats_shm;
static shm_stats_t *stats;
static volatile apr_time_t next_check; /* per process: skip the lock */

static bool need_lock(const aoidc_shm_t *ref)
{
    return mutex != NULL;
}

static void lock(const aoidc_shm_t *ref)
{
    if (need_lock(ref)) {
        apr_global_mutex_lock(mutex);
    }
}

static void unlock(const aoidc_shm_t *ref)
{
    if (need_lock(ref)) {
        apr_global_mutex_unlock(mutex);
    }
}

static apr_status_t retrieve(aoidc_shm_t *ref, const unsigned char *key,
                             unsigned char **val, apr_size_t *len,
                             apr_pool_t *p)
{
    unsigned char buf[MAX_VALUE];
    unsigned int n = sizeof(buf);
    apr_status_t rv = ref->provider->retrieve(ref->instance, ref->s, key,
                                              AOIDC_STORE_KEY_LEN, buf, &n, p);
    if (rv == APR_SUCCESS) {
        *val = apr_pmemdup(p, buf, n);
        *len = n;
    }
    return rv;
}

static apr_status_t st_get(aoidc_store_t *st, const unsigned char *key,
                           unsigned char **val, apr_size_t *len, apr_pool_t *p)
{
    aoidc_shm_t *ref = st->baton;
    lock(ref);
    apr_status_t rv = retrieve(ref, key, val, len, p);
    unlock(ref);
    return rv == APR_SUCCESS ? rv : APR_NOTFOUND;
}

static apr_status_t put(aoidc_shm_t *ref, const unsigned char *key,
                        const unsigned char *val, apr_size_t len,
                        apr_time_t expiry, apr_pool_t *p)
{
    if (len > MAX_VALUE || len + AOIDC_STORE_KEY_LEN > ref->max_entry) {
        if (ref->refused++ % 1000 == 0) {
            ap_log_error(
                APLOG_MARK, APLOG_WARNING, 0, ref->s,
                AOIDCLOGNO(00300) "shm store %s: refused an entry "
                                  "of %" APR_SIZE_T_FMT
                                  " bytes (one subcache holds %" APR_SIZE_T_FMT
                                  "; %u refused "
                                  "so far); use a larger shm:SIZE",
                ref->name, len, ref->max_entry, (unsigned)ref->refused);
        }
        return APR_ENOSPC;
    }
    return ref->provider->store(ref->instance, ref->s, key, AOIDC_STORE_KEY_LEN,
                                expiry, (unsigned char *)val, (unsigned int)len,
                                p);
}

static apr_status_t st_set(aoidc_store_t *st, const unsigned char *key,
                           const unsigned char *val, apr_size_t len,
                           apr_time_t expiry, apr_pool_t *p)
{
    aoidc_shm_t *ref = st->baton;
    lock(ref);
    apr_status_t rv = put(ref, key, val, len, expiry, p);
    unlock(ref);
    return rv;
}

static apr_status_t st_remove(aoidc_store_t *st, const unsigned char *key,
                              apr_pool_t *p)
{
    aoidc_shm_t *ref = st->baton;
    lock(ref);
    apr_status_t rv = ref->provider->remove(ref->instance, ref->s, key,
                                            AOIDC_STORE_KEY_LEN, p);
    unlock(ref);
    return rv;
}

static apr_status_t st_add(aoidc_store_t *st, const unsigned char *key,
                           const unsigned char *val, apr_size_t len,
                           apr_time_t expiry, apr_pool_t *p)
{
    aoidc_shm_t *ref = st->baton;
    unsigned char *old;
    apr_size_t oldlen;
    apr_status_t rv;
    lock(ref);
    rv = retrieve(ref, key, &old, &oldlen, p);
    rv = rv == APR_SUCCESS ? APR_EEXIST : put(ref, key, val, len, expiry, p);
    unlock(ref);
    return rv;
}

/* Sets: the whole set value rewritten under the lock (core/store.h),
 * behind 8 bytes holding the set's expiry (shmcb cannot tell it). */
static apr_time_t set_expiry(const unsigned char *v, apr_size_t len)
{
    apr_time_t t = 0;
    if (v && len >= sizeof(t)) {
        memcpy(&t, v, sizeof(t));
    }
    return t;
}

static apr_status_t set_put(aoidc_shm_t *ref, const unsigned char *key,
                            const unsigned char *setval, apr_size_t len,
                            apr_time_t expiry, apr_pool_t *p)
{
    unsigned char *buf;
    if (!len) {
        return ref->provider->remove(ref->instance, ref->s, key,
                                     AOIDC_STORE_KEY_LEN, p);
    }
    buf = apr_palloc(p, sizeof(expiry) + len);
    memcpy(buf, &expiry, sizeof(expiry));
    memcpy(buf + sizeof(expiry), setval, len);
    return put(ref, key, buf, sizeof(expiry) + len, expiry, p);
}

static void set_get(aoidc_shm_t *ref, const unsigned char *key,
                    const unsigned char **setval, apr_size_t *len,
                    apr_time_t *expiry, apr_pool_t *p)
{
    unsigned char *v;
    apr_size_t n;
    *setval = NULL;
    *len = 0;
    *expiry = 0;
    if (retrieve(ref, key, &v, &n, p) == APR_SUCCESS && n >= sizeof(*expiry)) {
        *expiry = set_expiry(v, n);
        *setval = v + sizeof(*expiry);
        *len = n - sizeof(*expiry);
    }
}

static apr_status_t st_sadd(aoidc_store_t *st, const unsigned char *key,
                            const unsigned char *member, apr_size_t mlen,
                            apr_time_t expiry, apr_pool_t *p)
{
    aoidc_shm_t *ref = st->baton;
    const unsigned char *old;
    unsigned char *val;
    apr_size_t oldlen, len;
    apr_time_t oldexp;
    apr_status_t rv;
    lock(ref);
    set_get(ref, key, &old, &oldlen, &oldexp, p);
    aoidc_store_setval_add(&val, &len, old, oldlen, member, mlen, p);
    rv = set_put(ref, key, val, len, oldexp > expiry ? oldexp : expiry, p);
    unlock(ref);
    return rv;
}

static apr_status_t st_smembers(aoidc_store_t *st, const unsigned char *key,
                                apr_array_header_t **out, apr_pool_t *p)
{
    aoidc_shm_t *ref = st->baton;
    const unsigned char *val;
    apr_size_t len;
    apr_time_t exp;
    lock(ref);
    set_get(ref, key, &val, &len, &exp, p);
    unlock(ref);
    *out = aoidc_store_setval_members(val, len, p);
    return APR_SUCCESS;
}

static apr_status_t st_srem(aoidc_store_t *st, const unsigned char *key,
                            const unsigned char *member, apr_size_t mlen,
                            apr_pool_t *p)
{
    aoidc_shm_t *ref = st->baton;
    const unsigned char *old;
    unsigned char *val;
    apr_size_t oldlen, len;
    apr_time_t exp;
    apr_status_t rv = APR_SUCCESS;
    lock(ref);
    set_get(ref, key, &old, &oldlen, &exp, p);
    if (old) {
        aoidc_store_setval_remove(&val, &len, old, oldlen, member, mlen, p);
        rv = set_put(ref, key, val, len, exp, p);
    }
    unlock(ref);
    return rv;
}

/* --- life cycle ---------------------------------------------------------- */

/* shmcb's own arithmetic (mod_socache_shmcb.c socache_shmcb_init, 2.4),
 * so the capacity can be logged and oversize entries refused before shmcb
 * logs an error of its own for each. Sizes of its structures on LP64:
 * header 88 bytes, subcache header 16, index entry 24. */
#define SHMCB_HEADER   88
#define SHMCB_SUBCACHE 16
#define SHMCB_INDEX    24

static void capacity(const aoidc_shm_t *m, unsigned *subcaches, unsigned *slots,
                     apr_size_t *data)
{
    apr_size_t seg = m->size - SHMCB_HEADER, sub;
    apr_size_t num_idx = seg / (m->avg_obj + AVG_ID_LEN);
    unsigned n = 256;
    while ((num_idx / n) < (2 * n)) {
        n /= 2;
    }
    *subcaches = n;
    *slots = (unsigned)(num_idx / n);
    sub = (seg / n) & ~(apr_size_t)7;
    *data = sub - SHMCB_SUBCACHE - (apr_size_t)*slots * SHMCB_INDEX;
}

const char *aoidc_shm_create(aoidc_shm_t **out, const char *name,
                             apr_size_t size, int purpose, apr_pool_t *pconf,
                             apr_pool_t *ptemp)
{
    aoidc_shm_t *m = apr_pcalloc(pconf, sizeof(*m));
    const char *arg, *e;
    unsigned n, slots;
    if (nsegments == AOIDC_SHM_MAX_SEGMENTS) {
        return apr_psprintf(pconf, "at most %d distinct shm stores",
                            AOIDC_SHM_MAX_SEGMENTS / 2);
    }
    m->index = nsegments++;
    m->name = name;
    m->size = size;
    m->avg_obj = purpose == AOIDC_STORE_CACHE ? AVG_CACHE_OBJ : AVG_SESSION_OBJ;
    m->purpose = purpose;
    capacity(m, &n, &slots, &m->max_entry);
    m->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, "shmcb",
                                     AP_SOCACHE_PROVIDER_VERSION);
    if (!m->provider) {
        return "the shm store needs mod_socache_shmcb (LoadModule "
               "socache_shmcb_module modules/mod_socache_shmcb.so)";
    }
    /* shmcb uses an anonymous segment where it can; the name is its
     * fallback, in the runtime dir as mod_ssl's session cache */
    arg = apr_psprintf(pconf, "%s(%" APR_SIZE_T_FMT ")",
                       ap_runtime_dir_relative(
                           pconf, apr_pstrcat(pconf, "auth_oidc_", name, NULL)),
                       size);
    e = m->provider->create(&m->instance, arg, ptemp, pconf);
    if (e) {
        return e;
    }
    m->iface.get = st_get;
    m->iface.set = st_set;
    m->iface.remove = st_remove;
    m->iface.add = st_add;
    m->iface.sadd = st_sadd;
    m->iface.smembers = st_smembers;
    m->iface.srem = st_srem;
    m->iface.name = "shm";
    m->iface.baton = m;
    m->next = all;
    all = m;
    *out = m;
    return NULL;
}

aoidc_store_t *aoidc_shm_store(aoidc_shm_t *m)
{
    return &m->iface;
}

void aoidc_shm_pre_config(apr_pool_t *pconf)
{
    all = NULL;
    nsegments = 0;
    mutex = NULL;
    stats_shm = NULL;
    stats = NULL;
    next_check = 0;
    ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static apr_status_t destroy_all(void *data)
{
    server_rec *s = data;
    for (aoidc_shm_t *m = all; m; m = m->next) {
        if (m->instance) {
            m->provider->destroy(m->instance, s);
            m->instance = NULL;
        }
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_shm_post_config(apr_pool_t *pconf, server_rec *s)
{
    apr_status_t rv;
    int i = 0;
    if (!all) {
        return APR_SUCCESS; /* no segment, no mutex */
    }
    rv = ap_global_mutex_create(&mutex, NULL, MUTEX_TYPE, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     AOIDCLOGNO(00301) "cannot create the store mutex");
        return rv;
    }
    apr_pool_cleanup_register(pconf, s, destroy_all, apr_pool_cleanup_null);
    if (apr_shm_create(&stats_shm, sizeof(*stats), NULL, pconf)
        == APR_SUCCESS) {
        stats = apr_shm_baseaddr_get(stats_shm);
        memset(stats, 0, sizeof(*stats));
    }
    for (aoidc_shm_t *m = all; m; m = m->next, i++) {
        struct ap_socache_hints hints = {AVG_ID_LEN, m->avg_obj,
                                         apr_time_from_sec(30)};
        unsigned n, slots;
        apr_size_t data;
        m->s = s;
        rv = m->provider->init(m->instance,
                               apr_psprintf(pconf, "auth-oidc-%d", i), &hints,
                               s, pconf);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         AOIDCLOGNO(00302) "cannot create the shm store %s "
                                           "of %" APR_SIZE_T_FMT " bytes",
                         m->name, m->size);
            return rv;
        }
        capacity(m, &n, &slots, &data);
        ap_log_error(
            APLOG_MARK, APLOG_INFO, 0, s,
            AOIDCLOGNO(00303) "shm store %s: %" APR_SIZE_T_FMT
                              " bytes, %u subcaches of %u entries "
                              "(%u in all), entries up to %" APR_SIZE_T_FMT
                              " bytes",
            m->name, m->size, n, slots, n * slots, data);
    }
    return APR_SUCCESS;
}

void aoidc_shm_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (mutex) {
        apr_status_t rv = apr_global_mutex_child_init(
            &mutex, apr_global_mutex_lockfile(mutex), pchild);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         AOIDCLOGNO(00304) "cannot attach the store mutex");
        }
    }
}

/* --- what shmcb dropped ----------------------------------------------------
 */

/*
 * shmcb drops the oldest entries of a full subcache silently; the only
 * place its counters ("CacheDiscardCount") leave the module is the
 * socache status callback, which prints into a request. So, once per
 * interval, after some request has been logged, that callback runs on a
 * copy of the request whose output goes into a buffer instead of the
 * network, and the counter is read from the text.
 */
typedef struct {
    char buf[2048];
    apr_size_t n;
} capture_t;

static apr_status_t capture(ap_filter_t *f, apr_bucket_brigade *bb)
{
    capture_t *cap = f->ctx;
    for (apr_bucket *b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        const char *d;
        apr_size_t n;
        if (!APR_BUCKET_IS_METADATA(b)
            && apr_bucket_read(b, &d, &n, APR_BLOCK_READ) == APR_SUCCESS) {
            n = n < sizeof(cap->buf) - 1 - cap->n
                    ? n
                    : sizeof(cap->buf) - 1 - cap->n;
            memcpy(cap->buf + cap->n, d, n);
            cap->n += n;
        }
    }
    cap->buf[cap->n] = '\0';
    apr_brigade_cleanup(bb);
    return APR_SUCCESS;
}

static ap_filter_rec_t capture_rec = {
    .name = "AUTH_OIDC_STATUS",
    .filter_func = {.out_func = capture},
    .ftype = AP_FTYPE_NETWORK,
};

static long field(const char *text, const char *name)
{
    const char *p = strstr(text, name);
    return p ? atol(p + strlen(name)) : -1;
}

/* Under the mutex. */
static void read_status(aoidc_shm_t *m, request_rec *r, long *discarded,
                        long *entries, long *usage)
{
    request_rec fr = *r;
    conn_rec fc = *r->connection;
    capture_t cap = {{0}, 0};
    ap_filter_t capf = {&capture_rec, &cap, NULL, NULL, &fc};
    fc.output_filters = &capf;
    fc.aborted = 0;
    fr.connection = &fc;
    fr.output_filters = fr.proto_output_filters = &capf;
    m->provider->status(m->instance, &fr, AP_STATUS_SHORT);
    ap_rflush(&fr);
    *discarded = field(cap.buf, "CacheDiscardCount: ");
    *entries = field(cap.buf, "CacheCurrentEntries: ");
    *usage = field(cap.buf, "CacheUsage: ");
}

int aoidc_shm_log_transaction(request_rec *r)
{
    apr_time_t now = apr_time_now();
    if (!stats || !mutex || now < next_check) {
        return DECLINED;
    }
    next_check = now + STATS_INTERVAL; /* a racing thread checks twice */
    if (apr_global_mutex_lock(mutex) != APR_SUCCESS) {
        return DECLINED;
    }
    if (now >= stats->next_check) {
        stats->next_check = now + STATS_INTERVAL;
        for (aoidc_shm_t *m = all; m; m = m->next) {
            long d, entries, usage;
            read_status(m, r, &d, &entries, &usage);
            if (d > (long)stats->discarded[m->index]) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, r->server,
                             AOIDCLOGNO(00305) "shm store %s is full: %lu "
                                               "entries dropped before "
                                               "they expired since the last "
                                               "check (%ld live, %ld%% of "
                                               "the data area used); use a "
                                               "larger shm:SIZE or redis",
                             m->name,
                             (unsigned long)d - stats->discarded[m->index],
                             entries, usage);
            }
            if (d >= 0) {
                stats->discarded[m->index] = (unsigned long)d;
            }
        }
    }
    apr_global_mutex_unlock(mutex);
    return DECLINED;
}

/* -1 is "unknown": a known value replaces it, later ones add up */
static void acc(long *to, long v)
{
    if (v >= 0) {
        *to = (*to < 0 ? 0 : *to) + v;
    }
}

void aoidc_shm_health(aoidc_shm_health_t out[2], request_rec *r)
{
    out[0] = out[1] = (aoidc_shm_health_t){-1, -1, -1};
    if (!mutex || apr_global_mutex_lock(mutex) != APR_SUCCESS) {
        return;
    }
    for (aoidc_shm_t *m = all; m; m = m->next) {
        aoidc_shm_health_t *h = &out[m->purpose == AOIDC_STORE_CACHE];
        long d, entries, usage;
        read_status(m, r, &d, &entries, &usage);
        acc(&h->discarded, d);
        acc(&h->entries, entries);
        h->usage = usage > h->usage ? usage : h->usage;
    }
    apr_global_mutex_unlock(mutex);
}
