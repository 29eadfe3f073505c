/* SPDX-License-Identifier: Apache-2.0 */
/* The flow environment of a request (op.h). */
#include <string.h>

#include "apr_shm.h"

#include "core/l1.h"
#include "httpd/op.h"
#include "httpd/store.h"

#define L1_GENS_KEY "aoidc_l1_gens"

static aoidc_flight_t *flight;
static apr_uint32_t *l1_gens; /* shared by the children (l1.h) */
static aoidc_l1_t *l1;

/* The L1's generation counters, in memory the children share, made once
 * per httpd (kept across restarts, like the metrics segment, so children
 * of two generations still see each other's forgets). Without it each
 * process only sees its own, and other processes' within the TTL. */
void aoidc_op_post_config(server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_size_t size = AOIDC_L1_GENS * sizeof(apr_uint32_t);
    apr_pool_userdata_get((void **)&shm, L1_GENS_KEY, pp);
    if (!shm) {
        if (apr_shm_create(&shm, size, NULL, pp) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         AOIDCLOGNO(01060) "no shared memory for the session "
                                           "L1: each process sees only its "
                                           "own logouts at once");
            return;
        }
        memset(apr_shm_baseaddr_get(shm), 0, size);
        apr_pool_userdata_set(shm, L1_GENS_KEY, apr_pool_cleanup_null, pp);
    }
    l1_gens = apr_shm_baseaddr_get(shm);
}

void aoidc_op_child_init(apr_pool_t *pchild)
{
    flight = aoidc_flight_create(pchild);
    l1 = aoidc_l1_create(pchild, l1_gens);
}

aoidc_flight_t *aoidc_op_flight(void)
{
    return flight;
}

const aoidc_flow_env_t *aoidc_op_env(aoidc_rctx_t *x)
{
    if (!x->has_env) {
        aoidc_flow_env_t *e = &x->env;
        e->pool = x->r->pool;
        e->now = x->now;
        e->http = aoidc_conf_http(x->c);
        e->provider = x->c->provider;
        e->guard = x->c->guard;
        e->sessions = aoidc_store_for(x->c, AOIDC_STORE_SESSIONS);
        e->cache = aoidc_store_for(x->c, AOIDC_STORE_CACHE);
        e->notes = apr_array_make(x->r->pool, 1, sizeof(const char *));
        e->counts = &x->counts;
        e->l1 = l1; /* forgets always; serves only where the TTL is > 0 */
        e->l1_ttl = AOIDC_OR(x->c->session_cache_ttl, apr_time_from_sec(1));
        if (x->idp) { /* AuthOIDCProvider: the chosen one's (providers.c) */
            e->provider = x->idp->provider;
            e->guard = x->idp->guard;
            e->http = aoidc_conf_http_for(x->c, x->idp->issuer);
        }
        x->has_env = true;
    }
    return &x->env;
}
