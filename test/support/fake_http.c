/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake http.h client: canned answers by exact URL, a call counter per
 * URL, and a copy of the last request so tests can look at client
 * authentication and bodies. Unrouted URLs fail like an unreachable host.
 * Safe to share between threads (one mutex; a route's delay is slept
 * outside it, so concurrent requests overlap as they would on the wire).
 */
#include <string.h>

#include <apr_hash.h>
#include <apr_thread_mutex.h>

#include "testutil.h"

typedef struct {
    int status;
    const char *body; /* NULL: transport failure with reason */
    apr_size_t len;
    aoidc_reason_t reason;
    int calls;
    apr_interval_time_t delay;
    const char *dpop_nonce, *www_authenticate; /* answer headers */
} route_t;

struct aoidc_fake_http_t {
    aoidc_http_t http;
    apr_pool_t *pool;
    apr_hash_t *routes;
    apr_hash_t *unrouted_calls; /* url -> int* */
    int total;
    aoidc_http_req_t last;
    bool has_last;
    apr_thread_mutex_t *mutex;
};

/* Caller holds f->mutex. */
static apr_status_t send_locked(aoidc_fake_http_t *f,
                                const aoidc_http_req_t *req,
                                aoidc_http_resp_t *resp, apr_pool_t *p,
                                aoidc_err_t *err)
{
    const char *url = req->url ? req->url : "(null)";
    route_t *r = apr_hash_get(f->routes, url, APR_HASH_KEY_STRING);
    f->total++;
    f->last.url = apr_pstrdup(f->pool, url);
    f->last.body = req->body ? apr_pstrdup(f->pool, req->body) : NULL;
    f->last.authorization =
        req->authorization ? apr_pstrdup(f->pool, req->authorization) : NULL;
    f->last.accept = req->accept ? apr_pstrdup(f->pool, req->accept) : NULL;
    f->last.dpop = req->dpop ? apr_pstrdup(f->pool, req->dpop) : NULL;
    resp->dpop_nonce = resp->www_authenticate = NULL;
    f->last.cert = req->cert; /* config-lifetime, not copied */
    f->has_last = true;
    if (!r) {
        int *n = apr_hash_get(f->unrouted_calls, url, APR_HASH_KEY_STRING);
        if (!n) {
            n = apr_pcalloc(f->pool, sizeof(*n));
            apr_hash_set(f->unrouted_calls, apr_pstrdup(f->pool, url),
                         APR_HASH_KEY_STRING, n);
        }
        (*n)++;
        return aoidc_err_set(err, AOIDC_REASON_OP_UNREACHABLE, p,
                             "fake http: no route for %s", url);
    }
    r->calls++;
    if (!r->body) {
        return aoidc_err_set(err, r->reason, p, "fake http: %s fails", url);
    }
    resp->status = r->status;
    resp->body = apr_pmemdup(p, r->body, r->len + 1);
    resp->len = r->len;
    resp->dpop_nonce = r->dpop_nonce;
    resp->www_authenticate = r->www_authenticate;
    return APR_SUCCESS;
}

static apr_status_t fake_send(const aoidc_http_t *h,
                              const aoidc_http_req_t *req,
                              aoidc_http_resp_t *resp, apr_pool_t *p,
                              aoidc_err_t *err)
{
    aoidc_fake_http_t *f = h->baton;
    apr_interval_time_t delay = 0;
    apr_status_t rv;
    apr_thread_mutex_lock(f->mutex);
    route_t *r = req->url
                     ? apr_hash_get(f->routes, req->url, APR_HASH_KEY_STRING)
                     : NULL;
    if (r) {
        delay = r->delay;
    }
    apr_thread_mutex_unlock(f->mutex);
    if (delay > 0) {
        apr_sleep(delay);
    }
    apr_thread_mutex_lock(f->mutex);
    rv = send_locked(f, req, resp, p, err);
    apr_thread_mutex_unlock(f->mutex);
    return rv;
}

aoidc_http_t *aoidc_fake_http_create(aoidc_fake_http_t **out, apr_pool_t *p)
{
    aoidc_fake_http_t *f = apr_pcalloc(p, sizeof(*f));
    f->pool = p;
    f->routes = apr_hash_make(p);
    f->unrouted_calls = apr_hash_make(p);
    f->http.send = fake_send;
    f->http.baton = f;
    f->http.timeout = apr_time_from_sec(5);
    f->http.max_body = AOIDC_MAX_JWKS_LEN;
    apr_thread_mutex_create(&f->mutex, APR_THREAD_MUTEX_DEFAULT, p);
    *out = f;
    return &f->http;
}

static route_t *route_of(aoidc_fake_http_t *f, const char *url)
{
    route_t *r = apr_hash_get(f->routes, url, APR_HASH_KEY_STRING);
    if (!r) {
        r = apr_pcalloc(f->pool, sizeof(*r));
        apr_hash_set(f->routes, apr_pstrdup(f->pool, url), APR_HASH_KEY_STRING,
                     r);
    }
    return r;
}

void aoidc_fake_http_route(aoidc_fake_http_t *f, const char *url, int status,
                           const char *body)
{
    route_t *r = route_of(f, url);
    r->status = status;
    r->body = apr_pstrdup(f->pool, body ? body : "");
    r->len = strlen(r->body);
}

void aoidc_fake_http_headers(aoidc_fake_http_t *f, const char *url,
                             const char *dpop_nonce,
                             const char *www_authenticate)
{
    route_t *r = route_of(f, url);
    r->dpop_nonce = dpop_nonce ? apr_pstrdup(f->pool, dpop_nonce) : NULL;
    r->www_authenticate =
        www_authenticate ? apr_pstrdup(f->pool, www_authenticate) : NULL;
}

void aoidc_fake_http_delay(aoidc_fake_http_t *f, const char *url,
                           apr_interval_time_t delay)
{
    route_of(f, url)->delay = delay;
}

void aoidc_fake_http_fail(aoidc_fake_http_t *f, const char *url,
                          aoidc_reason_t reason)
{
    route_t *r = route_of(f, url);
    r->body = NULL;
    r->reason = reason;
}

int aoidc_fake_http_calls(aoidc_fake_http_t *f, const char *url)
{
    if (!url) {
        return f->total;
    }
    route_t *r = apr_hash_get(f->routes, url, APR_HASH_KEY_STRING);
    int *n = apr_hash_get(f->unrouted_calls, url, APR_HASH_KEY_STRING);
    return (r ? r->calls : 0) + (n ? *n : 0);
}

const aoidc_http_req_t *aoidc_fake_http_last(aoidc_fake_http_t *f)
{
    return f->has_last ? &f->last : NULL;
}
