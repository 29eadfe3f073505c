/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The glue's store registry: AuthOIDCSessionStore and its options, one
 * backend per distinct spec (+ options) made at config time, network
 * connections made per child, and the accessor the flows use.
 *
 * Two purposes, so that writes an unauthenticated client can cause never
 * evict sessions: AOIDC_STORE_SESSIONS (session records, written only
 * after a login) and AOIDC_STORE_CACHE (single-use login-state markers,
 * the validated-token cache, jti replay caches, refresh locks, throttles).
 * For shm they are two separate shmcb segments; redis and memcached serve
 * both from the same server (their own memory policy applies).
 */
#ifndef AOIDC_HTTPD_STORE_H
#define AOIDC_HTTPD_STORE_H

#include "httpd.h"
#include "http_config.h"

#include "core/store.h"
#include "httpd/config.h"

enum {
    AOIDC_STORE_SESSIONS = 1,
    AOIDC_STORE_CACHE = 2,
};

/* Default sizes of the two shm segments (docs/directives.md gives the
 * capacity: about 17 000 sessions in the default). */
#define AOIDC_SHM_DEFAULT_SIZE (32 * 1024 * 1024)
/* The cache segment is SIZE/4 up to this: 64M holds ~233k entries, i.e.
 * 300 s of login-state markers at ~770 logins/s (8M held 29k: ~97/s). */
#define AOIDC_SHM_CACHE_MAX (64 * 1024 * 1024)

/** The store for purpose in this directory's configuration; never NULL
 *  (a store that could not be made answers "down" to every call). */
aoidc_store_t *aoidc_store_for(const aoidc_dir_conf_t *c, int purpose);

/* Directive setters (the command table is in config.c). */
const char *aoidc_store_spec(aoidc_store_ref_t **out, cmd_parms *cmd,
                             const char *arg);
const char *aoidc_store_set_password(cmd_parms *cmd, void *dc, const char *arg);
const char *aoidc_store_set_tls(cmd_parms *cmd, void *dc, const char *arg);
const char *aoidc_store_set_timeout(cmd_parms *cmd, void *dc, const char *arg);

/* Life cycle (mod_auth_oidc.c). */
void aoidc_store_pre_config(apr_pool_t *pconf);
/** Is AuthType oidc or bearer, or AuthOIDCUpstreamToken, used anywhere in
 *  the configuration? */
bool aoidc_module_used(void);

apr_status_t aoidc_store_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                     server_rec *s);
void aoidc_store_child_init(apr_pool_t *pchild, server_rec *s);

/** Bit (1 << kind) for every store kind (AOIDC_STORE_SHM, ...) in use. */
unsigned aoidc_store_kinds(void);

/* store_counted.c: inner, with every call counted (httpd/metrics.h). */
aoidc_store_t *aoidc_store_counted(aoidc_store_t *inner, int kind, int purpose,
                                   apr_pool_t *p);

/* store_socache.c: the shm backend (one shmcb segment per instance). */
typedef struct aoidc_shm_t aoidc_shm_t;
const char *aoidc_shm_create(aoidc_shm_t **out, const char *name,
                             apr_size_t size, int purpose, apr_pool_t *pconf,
                             apr_pool_t *ptemp);
aoidc_store_t *aoidc_shm_store(aoidc_shm_t *m);
#define AOIDC_SHM_MAX_SEGMENTS 16
/* log_transaction hook: logs, once per interval and server, how many
 * entries shmcb dropped before their expiry (store full). */
int aoidc_shm_log_transaction(request_rec *r);
/* What shmcb says of the segments of one purpose, summed (-1: unknown);
 * takes the global mutex (for the metrics and status pages only). */
typedef struct {
    long discarded; /* entries dropped before their expiry */
    long entries;
    long usage; /* percent of the data area, the fullest segment */
} aoidc_shm_health_t;
void aoidc_shm_health(aoidc_shm_health_t out[2], request_rec *r);
void aoidc_shm_pre_config(apr_pool_t *pconf);
apr_status_t aoidc_shm_post_config(apr_pool_t *pconf, server_rec *s);
void aoidc_shm_child_init(apr_pool_t *pchild, server_rec *s);

#endif
