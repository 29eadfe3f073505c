/* SPDX-License-Identifier: Apache-2.0 */
/* Single flight (flight.h): a hash of keys in flight under one mutex, and a
 * condition the leaders broadcast when they leave. */
#include <string.h>

#include <apr_hash.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "core/flight.h"

struct aoidc_flight_t {
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *cond;
    apr_hash_t *inflight; /* key -> leader's pool */
};

typedef struct {
    aoidc_flight_t *f;
    unsigned char key[AOIDC_STORE_KEY_LEN];
} leader_t;

aoidc_flight_t *aoidc_flight_create(apr_pool_t *p)
{
    aoidc_flight_t *f = apr_pcalloc(p, sizeof(*f));
    f->inflight = apr_hash_make(p);
    if (apr_thread_mutex_create(&f->mutex, APR_THREAD_MUTEX_DEFAULT, p)
            != APR_SUCCESS
        || apr_thread_cond_create(&f->cond, p) != APR_SUCCESS) {
        return NULL;
    }
    return f;
}

static apr_status_t leave(void *data)
{
    leader_t *l = data;
    apr_thread_mutex_lock(l->f->mutex);
    apr_hash_set(l->f->inflight, l->key, AOIDC_STORE_KEY_LEN, NULL);
    apr_thread_cond_broadcast(l->f->cond);
    apr_thread_mutex_unlock(l->f->mutex);
    return APR_SUCCESS;
}

bool aoidc_flight_enter(aoidc_flight_t *f,
                        const unsigned char key[AOIDC_STORE_KEY_LEN],
                        apr_interval_time_t wait, apr_pool_t *rp)
{
    bool lead = false;
    apr_time_t until = apr_time_now() + wait;
    if (!f) {
        return true;
    }
    apr_thread_mutex_lock(f->mutex);
    if (apr_hash_get(f->inflight, key, AOIDC_STORE_KEY_LEN) == rp) {
        /* this request leads already (an internal redirect keeps its
         * pool): waiting would be waiting for itself */
        lead = true;
    }
    else if (!apr_hash_get(f->inflight, key, AOIDC_STORE_KEY_LEN)) {
        leader_t *l = apr_palloc(rp, sizeof(*l));
        l->f = f;
        memcpy(l->key, key, AOIDC_STORE_KEY_LEN);
        apr_hash_set(f->inflight, l->key, AOIDC_STORE_KEY_LEN, rp);
        apr_pool_cleanup_register(rp, l, leave, apr_pool_cleanup_null);
        lead = true;
    }
    else {
        while (apr_hash_get(f->inflight, key, AOIDC_STORE_KEY_LEN)
               && apr_time_now() < until) {
            apr_thread_cond_timedwait(f->cond, f->mutex,
                                      until - apr_time_now());
        }
    }
    apr_thread_mutex_unlock(f->mutex);
    return lead;
}
