/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The backend's token (upstream.h). A cache entry, sealed with the key as
 * associated data (an entry copied under another key does not open):
 *
 *   +----------------------+-------------------------+
 *   | until (8, big endian)| access token (n)        |
 *   +----------------------+-------------------------+
 */
#include <string.h>

#include "core/client.h"
#include "core/upstream.h"

#define UNTIL_LEN 8

void aoidc_upstream_cache_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                              const aoidc_upstream_conf_t *c,
                              const char *subject_token, apr_pool_t *p)
{
    bool ex = c->mode == AOIDC_UPSTREAM_EXCHANGE;
    const char *sub = ex && subject_token ? subject_token : "";
    const char *scope = c->scope ? c->scope : "";
    const char *target = c->target ? c->target : "";
    const char *cid =
        c->client && c->client->client_id ? c->client->client_id : "";
    apr_size_t ns = strlen(scope), nt = strlen(target), nsub = strlen(sub);
    /* one SHA-256 per request (a cached token's whole cost is a few of
     * these): issuer and client id as the context strings, then scope,
     * target and subject NUL-separated; none of them holds a NUL, so two
     * different tuples never hash the same bytes */
    char *d = apr_palloc(p, ns + nt + nsub + 2);
    memcpy(d, scope, ns);
    d[ns] = '\0';
    memcpy(d + ns + 1, target, nt);
    d[ns + 1 + nt] = '\0';
    memcpy(d + ns + nt + 2, sub, nsub);
    aoidc_store_key3(key, ex ? "upstream/exchange" : "upstream/cc", c->issuer,
                     cid, d, ns + nt + nsub + 2);
}

apr_time_t aoidc_upstream_until(const aoidc_token_response_t *tr,
                                apr_time_t now)
{
    apr_time_t exp = aoidc_token_expiry(tr, now);
    apr_interval_time_t margin;
    if (!exp) {
        return now + AOIDC_UPSTREAM_DEFAULT_TTL;
    }
    margin = (exp - now) / 2;
    return exp
           - (margin < AOIDC_UPSTREAM_MARGIN ? margin : AOIDC_UPSTREAM_MARGIN);
}

/* The cached token: APR_SUCCESS, APR_NOTFOUND (absent, expired, or an
 * entry that does not open: refetched and overwritten), or the store's
 * failure. */
static apr_status_t cached(const char **token, const aoidc_upstream_conf_t *c,
                           const aoidc_flow_env_t *env,
                           const unsigned char *key)
{
    unsigned char *blob, *v;
    apr_size_t blen, vlen;
    apr_time_t until = 0;
    apr_status_t rv = env->cache->get(env->cache, key, &blob, &blen, env->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (aoidc_unseal(&v, &vlen, c->seal, blob, blen, key, AOIDC_STORE_KEY_LEN,
                     env->pool, NULL)
            != APR_SUCCESS
        || vlen <= UNTIL_LEN) {
        return APR_NOTFOUND;
    }
    for (int i = 0; i < UNTIL_LEN; i++) {
        until = (until << 8) | v[i];
    }
    if (until <= env->now) {
        return APR_NOTFOUND;
    }
    *token = (const char *)v + UNTIL_LEN;
    return APR_SUCCESS;
}

static void remember(const aoidc_upstream_conf_t *c,
                     const aoidc_flow_env_t *env, const unsigned char *key,
                     const char *token, apr_time_t until)
{
    apr_size_t n = strlen(token);
    unsigned char *v = apr_palloc(env->pool, UNTIL_LEN + n), *sealed;
    apr_size_t slen;
    for (int i = 0; i < UNTIL_LEN; i++) {
        v[i] = (unsigned char)((apr_uint64_t)until >> (8 * (7 - i)));
    }
    memcpy(v + UNTIL_LEN, token, n);
    /* a failed write costs the next request a fetch, nothing more */
    if (aoidc_seal(&sealed, &slen, c->seal, v, UNTIL_LEN + n, key,
                   AOIDC_STORE_KEY_LEN, env->pool)
        == APR_SUCCESS) {
        env->cache->set(env->cache, key, sealed, slen, until, env->pool);
    }
    memset(v, 0, UNTIL_LEN + n);
}

/* Ask the OP, under the issuer's guard. */
static apr_status_t fetch(aoidc_token_response_t *tr,
                          const aoidc_upstream_conf_t *c,
                          const aoidc_flow_env_t *env, const char *subject,
                          aoidc_err_t *err)
{
    aoidc_snapshot_t *snap;
    apr_status_t rv = aoidc_flow_snapshot(&snap, env, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if ((rv = aoidc_guard_enter(env->guard, env->pool, err)) != APR_SUCCESS) {
        return rv;
    }
    rv = c->mode == AOIDC_UPSTREAM_EXCHANGE
             ? aoidc_client_token_exchange(tr, env->http, &snap->md, c->client,
                                           subject, c->scope, c->target,
                                           env->pool, err)
             : aoidc_client_credentials(tr, env->http, &snap->md, c->client,
                                        c->scope, c->target, env->pool, err);
    aoidc_guard_leave(env->guard, env->now,
                      rv != APR_SUCCESS
                          && err->reason == AOIDC_REASON_OP_UNREACHABLE);
    return rv;
}

/* Another process or node holds the fetch lock: read the cache until its
 * token is there or the lock holder's time (one HTTP timeout) is up. */
static apr_status_t wait_other(const char **token,
                               const aoidc_upstream_conf_t *c,
                               const aoidc_flow_env_t *env,
                               const unsigned char *key)
{
    apr_status_t rv = APR_NOTFOUND;
    for (apr_interval_time_t w = 0;
         rv == APR_NOTFOUND && w < env->http->timeout;
         w += AOIDC_UPSTREAM_POLL) {
        apr_sleep(AOIDC_UPSTREAM_POLL);
        rv = cached(token, c, env, key);
    }
    return rv;
}

/* The miss path: lock across nodes, fetch, remember, unlock. */
static apr_status_t obtain(aoidc_upstream_out_t *out,
                           const aoidc_upstream_conf_t *c,
                           const aoidc_flow_env_t *env, const char *subject,
                           const unsigned char *key, aoidc_err_t *err)
{
    unsigned char lock[AOIDC_STORE_KEY_LEN];
    aoidc_token_response_t tr;
    apr_status_t rv;
    aoidc_store_key(lock, "upstream/lock", key, AOIDC_STORE_KEY_LEN);
    rv = env->cache->add(env->cache, lock, (const unsigned char *)"1", 1,
                         env->now + env->http->timeout + apr_time_from_sec(1),
                         env->pool);
    if (rv == APR_EEXIST
        && wait_other(&out->token, c, env, key) == APR_SUCCESS) {
        out->cache_hit = true;
        return APR_SUCCESS;
    }
    /* a lock that could not be taken (store trouble, or a holder that
     * never finished) does not stop this request: it fetches itself */
    rv = fetch(&tr, c, env, subject, err);
    out->fetched = true;
    if (rv == APR_SUCCESS) {
        remember(c, env, key, tr.access_token,
                 aoidc_upstream_until(&tr, env->now));
        out->token = tr.access_token;
    }
    env->cache->remove(env->cache, lock, env->pool);
    return rv;
}

/* Every failure to get a token is the backend's 502, the cause in the
 * detail; a full guard and a dead store keep their own (retry) answers. */
static apr_status_t failed(const aoidc_upstream_conf_t *c,
                           const aoidc_flow_env_t *env, apr_status_t rv,
                           aoidc_err_t *err)
{
    const char *grant = c->mode == AOIDC_UPSTREAM_EXCHANGE
                            ? "token exchange"
                            : "client_credentials grant";
    if (err->reason == AOIDC_REASON_OP_BUSY
        || err->reason == AOIDC_REASON_STORE_UNAVAILABLE) {
        return rv;
    }
    const char *op_error = err->op_error;
    aoidc_err_set(err, AOIDC_REASON_UPSTREAM_TOKEN, env->pool, "%s: %s: %s",
                  grant, aoidc_reason_name(err->reason),
                  err->detail ? err->detail : "-");
    err->op_error = op_error;
    return APR_EGENERAL;
}

apr_status_t aoidc_upstream_token(aoidc_upstream_out_t *out,
                                  const aoidc_upstream_conf_t *c,
                                  const aoidc_flow_env_t *env,
                                  const aoidc_upstream_in_t *in,
                                  aoidc_err_t *err)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    const char *subject = in->subject_token;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    if (c->mode == AOIDC_UPSTREAM_EXCHANGE && (!subject || !*subject)) {
        return aoidc_err_set(err, AOIDC_REASON_UPSTREAM_TOKEN, env->pool,
                             "token exchange: the request has no access "
                             "token to exchange");
    }
    aoidc_upstream_cache_key(key, c, subject, env->pool);
    rv = cached(&out->token, c, env, key);
    if (rv == APR_NOTFOUND
        && !aoidc_flight_enter(in->flight, key, env->http->timeout,
                               env->pool)) {
        rv = cached(&out->token, c, env, key); /* another thread fetched */
    }
    if (rv == APR_SUCCESS) {
        out->cache_hit = true;
        return APR_SUCCESS;
    }
    if (rv != APR_NOTFOUND) {
        return aoidc_err_set(err, AOIDC_REASON_STORE_UNAVAILABLE, env->pool,
                             "cache store %s: %d", env->cache->name, rv);
    }
    rv = obtain(out, c, env, subject, key, err);
    return rv == APR_SUCCESS ? rv : failed(c, env, rv, err);
}
