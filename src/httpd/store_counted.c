/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The counting store: a wrapper around every store the flows get
 * (store.c's aoidc_store_for), so that store calls, errors and their
 * latency are counted in one place, for every backend alike, without the
 * core knowing. Made once per child and purpose (no allocation per call);
 * each call costs two clock reads and three atomic increments.
 */
#include "httpd/metrics.h"
#include "httpd/store.h"

typedef struct {
    aoidc_store_t iface; /* first: the flows see this */
    aoidc_store_t *inner;
    int kind, purpose;
} counted_t;

#define INNER(s) (((counted_t *)(s))->inner)

static void done(aoidc_store_t *s, aoidc_store_op_t op, apr_status_t rv,
                 apr_time_t t0)
{
    counted_t *c = (counted_t *)s;
    aoidc_metrics_store_call(c->kind, c->purpose, op, rv, apr_time_now() - t0);
}

static apr_status_t c_get(aoidc_store_t *s, const unsigned char *k,
                          unsigned char **v, apr_size_t *n, apr_pool_t *p)
{
    apr_time_t t0 = apr_time_now();
    apr_status_t rv = INNER(s)->get(INNER(s), k, v, n, p);
    done(s, AOIDC_SOP_GET, rv, t0);
    return rv;
}

static apr_status_t c_set(aoidc_store_t *s, const unsigned char *k,
                          const unsigned char *v, apr_size_t n, apr_time_t e,
                          apr_pool_t *p)
{
    apr_time_t t0 = apr_time_now();
    apr_status_t rv = INNER(s)->set(INNER(s), k, v, n, e, p);
    done(s, AOIDC_SOP_SET, rv, t0);
    return rv;
}

static apr_status_t c_remove(aoidc_store_t *s, const unsigned char *k,
                             apr_pool_t *p)
{
    apr_time_t t0 = apr_time_now();
    apr_status_t rv = INNER(s)->remove(INNER(s), k, p);
    done(s, AOIDC_SOP_REMOVE, rv, t0);
    return rv;
}

static apr_status_t c_add(aoidc_store_t *s, const unsigned char *k,
                          const unsigned char *v, apr_size_t n, apr_time_t e,
                          apr_pool_t *p)
{
    apr_time_t t0 = apr_time_now();
    apr_status_t rv = INNER(s)->add(INNER(s), k, v, n, e, p);
    done(s, AOIDC_SOP_ADD, rv, t0);
    return rv;
}

static apr_status_t c_sadd(aoidc_store_t *s, const unsigned char *k,
                           const unsigned char *m, apr_size_t n, apr_time_t e,
                           apr_pool_t *p)
{
    apr_time_t t0 = apr_time_now();
    apr_status_t rv = INNER(s)->sadd(INNER(s), k, m, n, e, p);
    done(s, AOIDC_SOP_SADD, rv, t0);
    return rv;
}

static apr_status_t c_smembers(aoidc_store_t *s, const unsigned char *k,
                               apr_array_header_t **out, apr_pool_t *p)
{
    apr_time_t t0 = apr_time_now();
    apr_status_t rv = INNER(s)->smembers(INNER(s), k, out, p);
    done(s, AOIDC_SOP_SMEMBERS, rv, t0);
    return rv;
}

static apr_status_t c_srem(aoidc_store_t *s, const unsigned char *k,
                           const unsigned char *m, apr_size_t n, apr_pool_t *p)
{
    apr_time_t t0 = apr_time_now();
    apr_status_t rv = INNER(s)->srem(INNER(s), k, m, n, p);
    done(s, AOIDC_SOP_SREM, rv, t0);
    return rv;
}

aoidc_store_t *aoidc_store_counted(aoidc_store_t *inner, int kind, int purpose,
                                   apr_pool_t *p)
{
    counted_t *c = apr_pcalloc(p, sizeof(*c));
    c->iface.name = inner->name;
    c->iface.get = c_get;
    c->iface.set = c_set;
    c->iface.remove = c_remove;
    c->iface.add = c_add;
    c->iface.sadd = c_sadd;
    c->iface.smembers = c_smembers;
    c->iface.srem = c_srem;
    c->iface.baton = inner->baton;
    c->inner = inner;
    c->kind = kind;
    c->purpose = purpose;
    return &c->iface;
}
