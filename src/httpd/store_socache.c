/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aoidc_store_t over httpd's socache providers, with the life cycle of
 * mod_authn_socache: provider lookup and create at directive time, global
 * mutex and init in post_config, mutex child_init in child_init. The lock is
 * taken only for providers that are not multi-process safe (shmcb), and is
 * held across retrieve+store for add() so single-use markers are atomic.
 *
 * One instance per distinct store spec, found through a registry.
 */
#include <string.h>

#include "ap_socache.h"
#include "apr_global_mutex.h"
#include "util_mutex.h"

#include "core/parse.h"
#include "httpd/mod_auth_oidc.h"
#include "httpd/store.h"

#define MUTEX_TYPE "auth-oidc"
#define MAX_VALUE  (32 * 1024)
#define SHM_SIZE   "(8388608)"

struct aoidc_store_ref_t {
    const char *spec;
    aoidc_store_kind_t kind;
    ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    aoidc_store_t iface;
    server_rec *s;
    int index;
};

static apr_array_header_t *registry; /* of aoidc_store_ref_t * */
static apr_global_mutex_t *mutex;
static aoidc_store_ref_t *default_ref;

static bool need_lock(const aoidc_store_ref_t *ref)
{
    return (ref->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) && mutex;
}

static void lock(const aoidc_store_ref_t *ref)
{
    if (need_lock(ref)) {
        apr_global_mutex_lock(mutex);
    }
}

static void unlock(const aoidc_store_ref_t *ref)
{
    if (need_lock(ref)) {
        apr_global_mutex_unlock(mutex);
    }
}

static apr_status_t retrieve(aoidc_store_ref_t *ref, const unsigned char *key,
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
    aoidc_store_ref_t *ref = st->baton;
    lock(ref);
    apr_status_t rv = retrieve(ref, key, val, len, p);
    unlock(ref);
    return rv == APR_SUCCESS ? rv : APR_NOTFOUND;
}

static apr_status_t put(aoidc_store_ref_t *ref, const unsigned char *key,
                        const unsigned char *val, apr_size_t len,
                        apr_time_t expiry, apr_pool_t *p)
{
    if (len > MAX_VALUE) {
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
    aoidc_store_ref_t *ref = st->baton;
    lock(ref);
    apr_status_t rv = put(ref, key, val, len, expiry, p);
    unlock(ref);
    return rv;
}

static apr_status_t st_remove(aoidc_store_t *st, const unsigned char *key,
                              apr_pool_t *p)
{
    aoidc_store_ref_t *ref = st->baton;
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
    aoidc_store_ref_t *ref = st->baton;
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

static apr_status_t set_put(aoidc_store_ref_t *ref, const unsigned char *key,
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

static void set_get(aoidc_store_ref_t *ref, const unsigned char *key,
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
    aoidc_store_ref_t *ref = st->baton;
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
    aoidc_store_ref_t *ref = st->baton;
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
    aoidc_store_ref_t *ref = st->baton;
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

static const char *provider_name(aoidc_store_kind_t kind)
{
    return kind == AOIDC_STORE_REDIS      ? "redis"
           : kind == AOIDC_STORE_MEMCACHE ? "memcache"
                                          : "shmcb";
}

static const char *make_ref(aoidc_store_ref_t **out, apr_pool_t *p,
                            apr_pool_t *ptemp, const char *spec,
                            aoidc_store_kind_t kind, const char *hostport)
{
    aoidc_store_ref_t *ref = apr_pcalloc(p, sizeof(*ref));
    const char *name = provider_name(kind), *arg = hostport, *e;
    ref->spec = apr_pstrdup(p, spec);
    ref->kind = kind;
    ref->index = registry->nelts;
    ref->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                       AP_SOCACHE_PROVIDER_VERSION);
    if (!ref->provider) {
        return apr_psprintf(p,
                            "the '%s' session store needs the socache "
                            "provider '%s' (Maybe you need to load "
                            "mod_socache_%s?)",
                            spec, name, name);
    }
    if (kind == AOIDC_STORE_SHM) {
        /* a named segment in the runtime dir, as mod_ssl's session cache */
        arg =
            apr_pstrcat(p,
                        ap_runtime_dir_relative(
                            p, apr_psprintf(p, "auth_oidc_shm.%d", ref->index)),
                        SHM_SIZE, NULL);
    }
    e = ref->provider->create(&ref->instance, arg, ptemp, p);
    if (e) {
        return apr_psprintf(p, "session store '%s': %s", spec, e);
    }
    ref->iface.get = st_get;
    ref->iface.set = st_set;
    ref->iface.remove = st_remove;
    ref->iface.add = st_add;
    ref->iface.sadd = st_sadd;
    ref->iface.smembers = st_smembers;
    ref->iface.srem = st_srem;
    ref->iface.name = kind == AOIDC_STORE_SHM ? "shm" : name;
    ref->iface.baton = ref;
    *(aoidc_store_ref_t **)apr_array_push(registry) = ref;
    *out = ref;
    return NULL;
}

const char *aoidc_store_spec(aoidc_store_ref_t **out, cmd_parms *cmd,
                             const char *arg)
{
    aoidc_store_kind_t kind;
    const char *hostport, *e;
    e = aoidc_parse_store(&kind, &hostport, arg, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s %s", cmd->cmd->name, e);
    }
    if (kind == AOIDC_STORE_REDIS && strchr(arg + 8, '/')) {
        /* never silently ignore /DB: mod_socache_redis cannot SELECT */
        return apr_psprintf(cmd->pool,
                            "%s %s: database selection is not supported by "
                            "mod_socache_redis; drop the /DB part",
                            cmd->cmd->name, arg);
    }
    for (int i = 0; i < registry->nelts; i++) {
        aoidc_store_ref_t *ref =
            APR_ARRAY_IDX(registry, i, aoidc_store_ref_t *);
        if (!strcmp(ref->spec, arg)) {
            *out = ref;
            return NULL;
        }
    }
    e = make_ref(out, cmd->pool, cmd->temp_pool, arg, kind, hostport);
    return e ? apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e) : NULL;
}

aoidc_store_t *aoidc_store_for(const aoidc_dir_conf_t *c, int purpose)
{
    aoidc_store_ref_t *ref = c->store ? c->store : default_ref;
    return ref ? &ref->iface : NULL;
}

void aoidc_store_pre_config(apr_pool_t *pconf)
{
    registry = apr_array_make(pconf, 4, sizeof(aoidc_store_ref_t *));
    default_ref = NULL;
    mutex = NULL;
    ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static apr_status_t destroy_all(void *data)
{
    server_rec *s = data;
    for (int i = 0; registry && i < registry->nelts; i++) {
        aoidc_store_ref_t *ref =
            APR_ARRAY_IDX(registry, i, aoidc_store_ref_t *);
        if (ref->instance) {
            ref->provider->destroy(ref->instance, s);
            ref->instance = NULL;
        }
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_store_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                     server_rec *s)
{
    struct ap_socache_hints hints = {64, 2048, apr_time_from_sec(30)};
    apr_status_t rv;
    if (!default_ref) {
        const char *e;
        for (int i = 0; i < registry->nelts && !default_ref; i++) {
            aoidc_store_ref_t *r =
                APR_ARRAY_IDX(registry, i, aoidc_store_ref_t *);
            if (!strcmp(r->spec, "shm")) {
                default_ref = r;
            }
        }
        if (!default_ref
            && (e = make_ref(&default_ref, pconf, ptemp, "shm", AOIDC_STORE_SHM,
                             NULL))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         AOIDCLOGNO(00002) "default session store: %s", e);
            return APR_EGENERAL;
        }
    }
    rv = ap_global_mutex_create(&mutex, NULL, MUTEX_TYPE, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     AOIDCLOGNO(00003) "cannot create the store mutex");
        return rv;
    }
    for (int i = 0; i < registry->nelts; i++) {
        aoidc_store_ref_t *ref =
            APR_ARRAY_IDX(registry, i, aoidc_store_ref_t *);
        const char *cname = apr_psprintf(pconf, "auth-oidc-%d", i);
        ref->s = s;
        if (i == 0) {
            apr_pool_cleanup_register(pconf, s, destroy_all,
                                      apr_pool_cleanup_null);
        }
        rv = ref->provider->init(ref->instance, cname, &hints, s, pconf);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         AOIDCLOGNO(00004) "cannot initialise session store "
                                           "'%s'",
                         ref->spec);
            return rv;
        }
    }
    return APR_SUCCESS;
}

void aoidc_store_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (mutex) {
        apr_status_t rv = apr_global_mutex_child_init(
            &mutex, apr_global_mutex_lockfile(mutex), pchild);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         AOIDCLOGNO(00005) "cannot attach the store mutex");
        }
    }
}
