/* SPDX-License-Identifier: Apache-2.0 */
/* The flow environment of a request (op.h). */
#include "httpd/op.h"
#include "httpd/store.h"

static aoidc_flight_t *flight;

void aoidc_op_child_init(apr_pool_t *pchild)
{
    flight = aoidc_flight_create(pchild);
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
        if (x->idp) { /* AuthOIDCProvider: the chosen one's (providers.c) */
            e->provider = x->idp->provider;
            e->guard = x->idp->guard;
            e->http = aoidc_conf_http_for(x->c, x->idp->issuer);
        }
        x->has_env = true;
    }
    return &x->env;
}
