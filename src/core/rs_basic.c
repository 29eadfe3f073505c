/* SPDX-License-Identifier: Apache-2.0 */
/* The oidc-basic flow (basic.h): cache, throttle, password grant. */
#include <string.h>

#include "core/basic.h"
#include "core/bearer.h"
#include "core/client.h"
#include "core/codec.h"
#include "core/id_token.h"
#include "core/json.h"

/* Keyed hashes: the store sees neither user names, addresses nor
 * passwords, and without the passphrase cannot even test a guess. */
static apr_status_t credentials_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                                    const aoidc_basic_conf_t *c,
                                    const aoidc_basic_in_t *in)
{
    const void *parts[5] = {"basic/ok", c->issuer, c->client->client_id,
                            in->user, in->password};
    apr_size_t lens[5] = {9, strlen(c->issuer) + 1,
                          strlen(c->client->client_id) + 1,
                          strlen(in->user) + 1, strlen(in->password)};
    return aoidc_seal_mac(key, c->seal, 5, parts, lens);
}

static apr_status_t failures_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                                 const aoidc_basic_conf_t *c, const char *what,
                                 const char *value)
{
    const void *parts[3] = {what, c->issuer, value};
    apr_size_t lens[3] = {strlen(what) + 1, strlen(c->issuer) + 1,
                          strlen(value)};
    return aoidc_seal_mac(key, c->seal, 3, parts, lens);
}

typedef struct {
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_uint64_t count;
    apr_time_t until; /* the window's end */
} counter_t;

/* A failure counter: u64 count, u64 window end. Absent or unreadable:
 * zero (a counter is a limit, never a grant). */
static apr_status_t counter_read(counter_t *k, const aoidc_flow_env_t *env)
{
    unsigned char *v;
    apr_size_t len;
    aoidc_rbuf_t r;
    apr_status_t rv = env->cache->get(env->cache, k->key, &v, &len, env->pool);
    k->count = 0;
    k->until = 0;
    if (rv == APR_NOTFOUND) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    aoidc_codec_reader(&r, v, len);
    k->count = aoidc_codec_get_u64(&r);
    k->until = (apr_time_t)aoidc_codec_get_u64(&r);
    if (r.bad || k->until <= env->now) {
        k->count = 0;
        k->until = 0;
    }
    return APR_SUCCESS;
}

/* Not atomic across nodes: two nodes failing at once may count one
 * failure; the limit holds within one more attempt per node. */
static void counter_bump(counter_t *k, const aoidc_basic_conf_t *c,
                         const aoidc_flow_env_t *env)
{
    aoidc_wbuf_t w;
    if (!k->until) {
        k->until = env->now + c->failure_window;
    }
    aoidc_codec_init(&w, 16, env->pool);
    aoidc_codec_put_u64(&w, k->count + 1);
    aoidc_codec_put_u64(&w, (apr_uint64_t)k->until);
    env->cache->set(env->cache, k->key, w.buf, w.len, k->until, env->pool);
}

static apr_status_t store_down(apr_status_t rv, const aoidc_flow_env_t *env,
                               aoidc_err_t *err)
{
    return aoidc_err_set(err, AOIDC_REASON_STORE_UNAVAILABLE, env->pool,
                         "%s store: get failed (%d)", env->cache->name, rv);
}

static apr_status_t throttled(aoidc_basic_out_t *out, const counter_t *k,
                              const char *who, const aoidc_flow_env_t *env,
                              aoidc_err_t *err)
{
    out->retry_after = k->until - env->now;
    return aoidc_err_set(err, AOIDC_REASON_THROTTLED, env->pool,
                         "%s: %llu failed attempts, refused for %llds", who,
                         (unsigned long long)k->count,
                         (long long)apr_time_sec(out->retry_after) + 1);
}

static apr_status_t cached(aoidc_basic_out_t *out, const aoidc_basic_conf_t *c,
                           const aoidc_flow_env_t *env,
                           const unsigned char *key, aoidc_err_t *err)
{
    unsigned char *sealed, *plain;
    apr_size_t slen, plen;
    apr_time_t until;
    bool active;
    aoidc_err_t ignored = {0};
    apr_status_t rv =
        env->cache->get(env->cache, key, &sealed, &slen, env->pool);
    if (rv != APR_SUCCESS) {
        return rv == APR_NOTFOUND ? rv : store_down(rv, env, err);
    }
    if (aoidc_unseal(&plain, &plen, c->seal, sealed, slen, key,
                     AOIDC_STORE_KEY_LEN, env->pool, &ignored)
            != APR_SUCCESS
        || aoidc_bearer_entry_decode(&until, &active, &out->claims, plain, plen,
                                     env->pool, &ignored)
               != APR_SUCCESS
        || !active || until <= env->now) {
        return APR_NOTFOUND;
    }
    return APR_SUCCESS;
}

static void remember(const aoidc_basic_conf_t *c, const aoidc_flow_env_t *env,
                     const unsigned char *key, apr_time_t until,
                     const apr_array_header_t *claims)
{
    unsigned char *entry, *sealed;
    apr_size_t len, slen;
    aoidc_bearer_entry_encode(&entry, &len, until, true, claims, env->pool);
    if (aoidc_seal(&sealed, &slen, c->seal, entry, len, key,
                   AOIDC_STORE_KEY_LEN, env->pool)
        == APR_SUCCESS) {
        env->cache->set(env->cache, key, sealed, slen, until, env->pool);
    }
}

static apr_status_t validate(json_t **idc, const aoidc_basic_conf_t *c,
                             const aoidc_flow_env_t *env,
                             aoidc_snapshot_t *snap,
                             const aoidc_token_response_t *tr, aoidc_err_t *err)
{
    /* no nonce was sent: the ID Token must carry none (basic.h) */
    aoidc_id_token_rules_t rules = {.issuer = c->issuer,
                                    .client_id = c->client->client_id,
                                    .client_secret = c->client->client_secret,
                                    .access_token = tr->access_token,
                                    .now = env->now,
                                    .leeway = c->leeway,
                                    .no_nonce = true};
    const aoidc_jwks_t *keys;
    if (!tr->id_token) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, env->pool,
                             "token endpoint: no id_token");
    }
    apr_status_t rv = aoidc_id_token_validate(idc, tr->id_token, snap->jwks,
                                              &rules, env->pool, err);
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_KEY_UNKNOWN
        && (keys = aoidc_flow_rotated_keys(env))) {
        rv = aoidc_id_token_validate(idc, tr->id_token, keys, &rules, env->pool,
                                     err);
    }
    return rv;
}

/* The password grant; a refusal of the credentials is counted. */
static apr_status_t grant(aoidc_basic_out_t *out, const aoidc_basic_conf_t *c,
                          const aoidc_flow_env_t *env,
                          const aoidc_basic_in_t *in, counter_t fails[2],
                          const unsigned char *key, aoidc_err_t *err)
{
    aoidc_snapshot_t *snap;
    aoidc_token_response_t tr;
    json_t *idc;
    apr_status_t rv = aoidc_flow_snapshot(&snap, env, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if ((rv = aoidc_guard_enter(env->guard, env->pool, err)) != APR_SUCCESS) {
        return rv;
    }
    rv = aoidc_client_password(&tr, env->http, &snap->md, c->client, in->user,
                               in->password, c->scope, env->pool, err);
    aoidc_guard_leave(env->guard, env->now,
                      rv != APR_SUCCESS
                          && err->reason == AOIDC_REASON_OP_UNREACHABLE);
    if (rv != APR_SUCCESS) {
        if (err->reason == AOIDC_REASON_TOKEN_ENDPOINT && err->op_error
            && !strcmp(err->op_error, "invalid_grant")) {
            counter_bump(&fails[0], c, env);
            counter_bump(&fails[1], c, env);
            return aoidc_err_set(err, AOIDC_REASON_BASIC_REFUSED, env->pool,
                                 "the OP refused the credentials of user %s",
                                 aoidc_fingerprint(in->user, env->pool));
        }
        return rv;
    }
    if ((rv = validate(&idc, c, env, snap, &tr, err)) != APR_SUCCESS) {
        return rv;
    }
    const char *keep[] = {c->remote_user_claim, NULL};
    out->claims = aoidc_claims_add_json_keep(NULL, idc, keep, env->pool);
    apr_time_t until = aoidc_bearer_cache_until(idc, env->now, c->cache_ttl);
    apr_time_t at_until = aoidc_token_expiry(&tr, env->now);
    if (at_until && at_until < until) {
        until = at_until;
    }
    if (aoidc_flow_user(out->claims, c->remote_user_claim)) {
        remember(c, env, key, until, out->claims);
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_basic_authenticate(aoidc_basic_out_t *out,
                                      const aoidc_basic_conf_t *c,
                                      const aoidc_flow_env_t *env,
                                      const aoidc_basic_in_t *in,
                                      aoidc_err_t *err)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    counter_t fails[2];
    apr_status_t rv;
    memset(out, 0, sizeof(*out));
    if (credentials_key(key, c, in) != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, env->pool,
                             "HMAC-SHA256 failed");
    }
    rv = cached(out, c, env, key, err);
    if (rv == APR_SUCCESS) {
        out->cache_hit = true;
    }
    else if (rv != APR_NOTFOUND) {
        return rv;
    }
    else {
        /* the counters only on a miss: a cached success reads none */
        if (failures_key(fails[0].key, c, "basic/fail-user", in->user)
                != APR_SUCCESS
            || failures_key(fails[1].key, c, "basic/fail-addr",
                            in->client_addr ? in->client_addr : "-")
                   != APR_SUCCESS) {
            return aoidc_err_set(err, AOIDC_REASON_INTERNAL, env->pool,
                                 "HMAC-SHA256 failed");
        }
        for (int i = 0; i < 2; i++) {
            if ((rv = counter_read(&fails[i], env)) != APR_SUCCESS) {
                return store_down(rv, env, err);
            }
        }
        if (fails[0].count >= c->max_failures) {
            return throttled(out, &fails[0], "user", env, err);
        }
        if (fails[1].count >= c->max_failures_addr) {
            return throttled(out, &fails[1], "client address", env, err);
        }
        if ((rv = grant(out, c, env, in, fails, key, err)) != APR_SUCCESS) {
            return rv;
        }
    }
    out->user = aoidc_flow_user(out->claims, c->remote_user_claim);
    if (!out->user) {
        return aoidc_err_set(err, AOIDC_REASON_NO_USER, env->pool,
                             "no usable %s claim", c->remote_user_claim);
    }
    return APR_SUCCESS;
}
