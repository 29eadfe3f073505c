/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Store registry (contract in store.h). A section's store directives fill
 * one binding (aoidc_store_ref_t, the dir config's `store`); merging
 * passes the binding down as a whole, so AuthOIDCStorePassword, ...TLS and
 * ...Timeout apply to the AuthOIDCSessionStore of their own section. In
 * post_config each binding is resolved to a backend, one per distinct spec
 * and options; network backends connect per child in child_init.
 */
#include <stdlib.h>
#include <string.h>

#include "ap_mpm.h"
#include "apr_file_info.h"
#include "apr_lib.h"
#include "util_cfgtree.h"

#include "core/parse.h"
#include "core/store_memcache.h"
#include "httpd/mod_auth_oidc.h"
#include "httpd/store.h"

#if defined(__has_include)
#if __has_include("core/store_redis.h")
#include "core/store_redis.h"
#define HAVE_REDIS 1
#endif
#endif

#define DEFAULT_TIMEOUT_MS 500
#define MAX_TIMEOUT_MS     60000

typedef struct backend_t backend_t;
struct backend_t {
    const char *identity; /* spec and options: equal identity, one backend */
    const char *describe; /* for logs, never a password */
    aoidc_store_kind_t kind;
    aoidc_shm_t *shm[2]; /* [0] sessions, [1] cache */
    aoidc_memcache_conf_t *mc;
#ifdef HAVE_REDIS
    aoidc_redis_conf_t *redis;
#endif
    aoidc_store_t *store;      /* network kinds: made in child_init */
    aoidc_store_t *counted[2]; /* the same, counted (child_init) */
    backend_t *next;
};

struct aoidc_store_ref_t {
    const char *spec; /* NULL: options only (warned about) */
    const char *where;
    aoidc_store_kind_t kind;
    apr_size_t shm_size;
    const char *password;
    const char *ca, *cert, *key, *servername;
    apr_int64_t timeout_ms;
    backend_t *backend;
    aoidc_store_ref_t *next;
};

static aoidc_store_ref_t *refs;
static backend_t *backends, *default_backend;

/* --- a store that is always down (a backend that could not be made) ---- */

static apr_status_t down_get(aoidc_store_t *s, const unsigned char *k,
                             unsigned char **v, apr_size_t *l, apr_pool_t *p)
{
    return APR_ECONNREFUSED;
}
static apr_status_t down_set(aoidc_store_t *s, const unsigned char *k,
                             const unsigned char *v, apr_size_t l, apr_time_t e,
                             apr_pool_t *p)
{
    return APR_ECONNREFUSED;
}
static apr_status_t down_remove(aoidc_store_t *s, const unsigned char *k,
                                apr_pool_t *p)
{
    return APR_ECONNREFUSED;
}
static apr_status_t down_smembers(aoidc_store_t *s, const unsigned char *k,
                                  apr_array_header_t **m, apr_pool_t *p)
{
    return APR_ECONNREFUSED;
}
static apr_status_t down_srem(aoidc_store_t *s, const unsigned char *k,
                              const unsigned char *m, apr_size_t l,
                              apr_pool_t *p)
{
    return APR_ECONNREFUSED;
}
static aoidc_store_t down_store = {"down",        down_get,  down_set,
                                   down_remove,   down_set,  down_set,
                                   down_smembers, down_srem, NULL};

/* --- setters ------------------------------------------------------------- */

/* The section's binding, made by its first store directive. */
static aoidc_store_ref_t *binding_at(cmd_parms *cmd, aoidc_store_ref_t **slot)
{
    if (!*slot) {
        *slot = apr_pcalloc(cmd->pool, sizeof(**slot));
        (*slot)->timeout_ms = AOIDC_UNSET;
        (*slot)->next = refs;
        refs = *slot;
    }
    return *slot;
}

static aoidc_store_ref_t *binding(cmd_parms *cmd, void *dc)
{
    return binding_at(cmd, &((aoidc_dir_conf_t *)dc)->store);
}

static const char *where(cmd_parms *cmd)
{
    return cmd->directive
               ? apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                              cmd->directive->line_num)
               : "?";
}

const char *aoidc_store_spec(aoidc_store_ref_t **out, cmd_parms *cmd,
                             const char *arg)
{
    aoidc_store_ref_t *ref;
    aoidc_store_kind_t kind;
    apr_size_t size;
    /* the message never repeats arg: a URL may carry a password */
    const char *e = aoidc_parse_store(&kind, &size, arg, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s %s", cmd->cmd->name, e);
    }
    if (kind == AOIDC_STORE_COOKIE) {
        /* config.c's setter takes "cookie" itself (no store: the RP flows
         * keep the session in cookies); nothing else names it */
        return apr_psprintf(cmd->pool, "%s cookie: not a store here",
                            cmd->cmd->name);
    }
    if (kind == AOIDC_STORE_MEMCACHE) {
        aoidc_memcache_conf_t *mc;
        e = aoidc_memcache_parse(&mc, arg, cmd->pool);
    }
#ifdef HAVE_REDIS
    else if (kind == AOIDC_STORE_REDIS) {
        aoidc_redis_conf_t *rc;
        e = aoidc_redis_parse(&rc, arg, cmd->pool);
    }
#else
    else if (kind == AOIDC_STORE_REDIS) {
        e = "redis stores are not part of this build yet";
    }
#endif
    if (e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e);
    }
    ref = binding_at(cmd, out);
    ref->spec = apr_pstrdup(cmd->pool, arg);
    ref->kind = kind;
    ref->shm_size = size;
    ref->where = where(cmd);
    return NULL;
}

const char *aoidc_store_set_password(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *v, *e = aoidc_parse_secret(&v, arg, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e);
    }
    if (!*v) {
        return apr_psprintf(cmd->pool, "%s: the password is empty",
                            cmd->cmd->name);
    }
    binding(cmd, dc)->password = v;
    return NULL;
}

static const char *readable(cmd_parms *cmd, const char *what, const char *path,
                            const char **out)
{
    apr_finfo_t fi;
    const char *abs = ap_server_root_relative(cmd->pool, path);
    if (!abs || apr_stat(&fi, abs, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS
        || fi.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "%s: %s=%s is not a readable file",
                            cmd->cmd->name, what, path);
    }
    *out = abs;
    return NULL;
}

/* ITERATE: one call per word of ca=FILE [cert=FILE key=FILE]
 * [servername=NAME]. */
const char *aoidc_store_set_tls(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_store_ref_t *ref = binding(cmd, dc);
    if (!strncmp(arg, "ca=", 3)) {
        return readable(cmd, "ca", arg + 3, &ref->ca);
    }
    if (!strncmp(arg, "cert=", 5)) {
        return readable(cmd, "cert", arg + 5, &ref->cert);
    }
    if (!strncmp(arg, "key=", 4)) {
        return readable(cmd, "key", arg + 4, &ref->key);
    }
    if (!strncmp(arg, "servername=", 11) && arg[11]) {
        ref->servername = arg + 11;
        return NULL;
    }
    return apr_psprintf(cmd->pool,
                        "%s: expects ca=FILE [cert=FILE key=FILE] "
                        "[servername=NAME], not '%s'",
                        cmd->cmd->name, arg);
}

const char *aoidc_store_set_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (!apr_isdigit(*arg) || *end || v < 1 || v > MAX_TIMEOUT_MS) {
        return apr_psprintf(cmd->pool,
                            "%s: expects milliseconds from 1 to %d, not "
                            "'%s'",
                            cmd->cmd->name, MAX_TIMEOUT_MS, arg);
    }
    binding(cmd, dc)->timeout_ms = v;
    return NULL;
}

/* --- resolving bindings to backends (post_config) ------------------------ */

static const char *identity(const aoidc_store_ref_t *r, apr_pool_t *p)
{
    /* NUL-free fields joined by newlines; the password is part of the
     * identity but never of a log line */
    return apr_pstrcat(p, r->spec, "\n", r->password ? r->password : "", "\n",
                       r->ca ? r->ca : "", "\n", r->cert ? r->cert : "", "\n",
                       r->key ? r->key : "", "\n",
                       r->servername ? r->servername : "", "\n",
                       apr_ltoa(p, (long)r->timeout_ms), NULL);
}

static apr_interval_time_t timeout_of(const aoidc_store_ref_t *r)
{
    return apr_time_from_msec(
        r->timeout_ms != AOIDC_UNSET ? r->timeout_ms : DEFAULT_TIMEOUT_MS);
}

static const char *make_shm(backend_t *b, apr_size_t size, int index,
                            apr_pool_t *pconf, apr_pool_t *ptemp)
{
    apr_size_t cache = size / 4;
    const char *e;
    cache = cache < AOIDC_SHM_MIN_SIZE    ? AOIDC_SHM_MIN_SIZE
            : cache > AOIDC_SHM_CACHE_MAX ? AOIDC_SHM_CACHE_MAX
                                          : cache;
    e = aoidc_shm_create(&b->shm[0], apr_psprintf(pconf, "sessions.%d", index),
                         size, AOIDC_STORE_SESSIONS, pconf, ptemp);
    if (!e) {
        e = aoidc_shm_create(&b->shm[1], apr_psprintf(pconf, "cache.%d", index),
                             cache, AOIDC_STORE_CACHE, pconf, ptemp);
    }
    b->describe = apr_psprintf(
        pconf, "shm:%" APR_SIZE_T_FMT "M (+%" APR_SIZE_T_FMT "M cache)",
        size >> 20, cache >> 20);
    return e;
}

static const char *make_network(backend_t *b, const aoidc_store_ref_t *r,
                                apr_pool_t *pconf)
{
    int threads = 0;
    if (b->kind == AOIDC_STORE_MEMCACHE) {
        const char *e = aoidc_memcache_parse(&b->mc, r->spec, pconf);
        if (e) {
            return e;
        }
        if (r->password) {
            return "AuthOIDCStorePassword: memcached has no authentication";
        }
        if (r->ca || r->cert || r->key || r->servername) {
            return "AuthOIDCStoreTLS: memcached has no TLS here";
        }
        aoidc_memcache_set_timeout(b->mc, timeout_of(r));
        if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) == APR_SUCCESS) {
            aoidc_memcache_set_max_conns(b->mc, threads);
        }
        b->describe = aoidc_memcache_describe(b->mc, pconf);
        return NULL;
    }
#ifdef HAVE_REDIS
    {
        const char *e = aoidc_redis_parse(&b->redis, r->spec, pconf);
        if (!e && r->password) {
            aoidc_redis_set_password(b->redis, r->password);
        }
        if (!e && (r->ca || r->cert || r->key || r->servername)) {
            if (strncmp(r->spec, "rediss", 6)) {
                return "AuthOIDCStoreTLS applies to rediss://, "
                       "rediss-sentinel:// and rediss-cluster:// stores";
            }
            if (!r->cert != !r->key) {
                return "AuthOIDCStoreTLS: cert=FILE and key=FILE go together";
            }
            e = aoidc_redis_set_tls(b->redis, r->ca, r->cert, r->key,
                                    r->servername);
        }
        if (e) {
            return e;
        }
        aoidc_redis_set_timeout(b->redis, timeout_of(r));
        b->describe = aoidc_redis_describe(b->redis, pconf);
        return NULL;
    }
#else
    return "redis stores are not part of this build yet";
#endif
}

static const char *resolve(backend_t **out, const aoidc_store_ref_t *r,
                           apr_pool_t *pconf, apr_pool_t *ptemp)
{
    const char *id = identity(r, ptemp), *e;
    backend_t *b;
    int n = 0;
    for (b = backends; b; b = b->next, n++) {
        if (!strcmp(b->identity, id)) {
            *out = b;
            return NULL;
        }
    }
    b = apr_pcalloc(pconf, sizeof(*b));
    b->identity = apr_pstrdup(pconf, id);
    b->kind = r->kind;
    e = b->kind == AOIDC_STORE_SHM
            ? make_shm(b, r->shm_size ? r->shm_size : AOIDC_SHM_DEFAULT_SIZE, n,
                       pconf, ptemp)
            : make_network(b, r, pconf);
    if (e) {
        return e;
    }
    b->next = backends;
    backends = b;
    *out = b;
    return NULL;
}

/* Is AuthType oidc or bearer (or AuthOIDCUpstreamToken) used anywhere?
 * Without it, no segment. */
static bool module_used(const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "AuthType") && d->args) {
            const char *a = d->args + (d->args[0] == '"');
            if (!strncasecmp(a, "oidc", 4) || !strncasecmp(a, "bearer", 6)) {
                return true;
            }
        }
        /* a proxying location without an AuthType caches the backend's
         * token (AuthOIDCUpstreamToken) */
        if (!strcasecmp(d->directive, "AuthOIDCUpstreamToken") && d->args
            && strcasecmp(d->args, "off")) {
            return true;
        }
        if (module_used(d->first_child)) {
            return true;
        }
    }
    return false;
}

bool aoidc_module_used(void)
{
    return module_used(ap_conftree);
}

void aoidc_store_pre_config(apr_pool_t *pconf)
{
    refs = NULL;
    backends = default_backend = NULL;
    aoidc_shm_pre_config(pconf);
}

apr_status_t aoidc_store_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                     server_rec *s)
{
    aoidc_store_ref_t deflt = {0};
    const char *e;
    deflt.spec = "shm";
    deflt.where = "(default)";
    deflt.kind = AOIDC_STORE_SHM;
    deflt.timeout_ms = AOIDC_UNSET;
    if (!aoidc_module_used()) {
        return APR_SUCCESS;
    }
    for (aoidc_store_ref_t *r = refs; r; r = r->next) {
        if (!r->spec) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         AOIDCLOGNO(00310) "AuthOIDCStorePassword, "
                                           "AuthOIDCStoreTLS and "
                                           "AuthOIDCStoreTimeout apply to "
                                           "the AuthOIDCSessionStore of "
                                           "their own section; a section "
                                           "has them without it");
            r->spec = "shm";
            r->kind = AOIDC_STORE_SHM;
            r->password = r->ca = r->cert = r->key = r->servername = NULL;
            r->timeout_ms = AOIDC_UNSET;
        }
        if ((e = resolve(&r->backend, r, pconf, ptemp))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         AOIDCLOGNO(00311) "%s: AuthOIDCSessionStore: %s",
                         r->where ? r->where : "?", e);
            return APR_EGENERAL;
        }
    }
    if ((e = resolve(&default_backend, &deflt, pconf, ptemp))) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     AOIDCLOGNO(00312) "default session store: %s", e);
        return APR_EGENERAL;
    }
    return aoidc_shm_post_config(pconf, s);
}

void aoidc_store_child_init(apr_pool_t *pchild, server_rec *s)
{
    aoidc_shm_child_init(pchild, s);
    for (backend_t *b = backends; b; b = b->next) {
        apr_status_t rv = APR_SUCCESS;
        if (b->kind == AOIDC_STORE_MEMCACHE) {
            rv = aoidc_memcache_store_create(&b->store, b->mc, pchild);
        }
#ifdef HAVE_REDIS
        else if (b->kind == AOIDC_STORE_REDIS) {
            rv = aoidc_redis_store_create(&b->store, b->redis, pchild);
        }
#endif
        if (rv != APR_SUCCESS) {
            b->store = NULL; /* every call answers "down" (503) */
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         AOIDCLOGNO(00313) "cannot set up the store %s",
                         b->describe);
        }
        for (int i = 0; i < 2; i++) {
            aoidc_store_t *st = b->kind == AOIDC_STORE_SHM
                                    ? aoidc_shm_store(b->shm[i])
                                : b->store ? b->store
                                           : &down_store;
            b->counted[i] = aoidc_store_counted(
                st, b->kind, i ? AOIDC_STORE_CACHE : AOIDC_STORE_SESSIONS,
                pchild);
        }
    }
}

unsigned aoidc_store_kinds(void)
{
    unsigned kinds = 0;
    for (const backend_t *b = backends; b; b = b->next) {
        kinds |= 1u << b->kind;
    }
    return kinds;
}

/* --- the accessor ----------------------------------------------------------
 */

aoidc_store_t *aoidc_store_for(const aoidc_dir_conf_t *c, int purpose)
{
    const backend_t *b =
        c->store && c->store->backend ? c->store->backend : default_backend;
    if (!b) {
        return &down_store;
    }
    if (b->counted[purpose == AOIDC_STORE_CACHE]) {
        return b->counted[purpose == AOIDC_STORE_CACHE];
    }
    if (b->kind == AOIDC_STORE_SHM) {
        return aoidc_shm_store(b->shm[purpose == AOIDC_STORE_CACHE]);
    }
    return b->store ? b->store : &down_store;
}
