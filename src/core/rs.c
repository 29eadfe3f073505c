/* SPDX-License-Identifier: Apache-2.0 */
/* The resource-server flow (rs.h). */
#include <string.h>

#include "core/client.h"
#include "core/json.h"
#include "core/l1.h"
#include "core/rs.h"

void aoidc_rs_cache_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                        const aoidc_rs_conf_t *c, const char *token)
{
    /* The typ rule changes the verdict, so it is part of the namespace: a
     * token accepted at a lax location is never a hit at a strict one. */
    aoidc_store_key3(key, c->require_typ ? "bearer/at+jwt" : "bearer",
                     c->issuer, c->audience, token, strlen(token));
}

static apr_status_t validate_jwt(json_t **claims, const aoidc_flow_env_t *env,
                                 aoidc_snapshot_t *snap, const char *token,
                                 const aoidc_at_rules_t *rules,
                                 aoidc_err_t *err)
{
    aoidc_jws_t *jws;
    const aoidc_jwks_t *keys;
    apr_status_t rv =
        aoidc_jws_parse(&jws, token, strlen(token), env->pool, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = aoidc_bearer_validate_jwt(jws, snap->jwks, rules, env->pool, err);
    /* rotation: one rate-limited refetch per issuer, never per token */
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_KEY_UNKNOWN
        && aoidc_jws_alg_bit(jws->alg) & AOIDC_ALGS_ASYMMETRIC
        && (keys = aoidc_flow_rotated_keys(env))) {
        rv = aoidc_bearer_validate_jwt(jws, keys, rules, env->pool, err);
    }
    *claims = jws->payload;
    return rv;
}

static apr_status_t introspect(json_t **claims, const aoidc_rs_conf_t *c,
                               const aoidc_flow_env_t *env,
                               aoidc_snapshot_t *snap, const char *token,
                               const aoidc_at_rules_t *rules, aoidc_err_t *err)
{
    aoidc_http_resp_t resp;
    apr_status_t rv;
    if (!snap->md.introspection_endpoint || !c->client
        || !c->client->client_id) {
        return aoidc_err_set(err, AOIDC_REASON_NO_INTROSPECTION, env->pool,
                             "opaque token and no introspection here");
    }
    if ((rv = aoidc_guard_enter(env->guard, env->pool, err)) != APR_SUCCESS) {
        return rv;
    }
    rv = aoidc_client_introspect(&resp, env->http, &snap->md, c->client, token,
                                 env->pool, err);
    aoidc_guard_leave(env->guard, env->now,
                      rv != APR_SUCCESS
                          && err->reason == AOIDC_REASON_OP_UNREACHABLE);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return aoidc_bearer_introspection_parse(claims, resp.status, resp.body,
                                            resp.len, rules, env->pool, err);
}

static void remember(const aoidc_flow_env_t *env, const unsigned char *key,
                     apr_time_t until, bool active,
                     const apr_array_header_t *claims)
{
    unsigned char *entry;
    apr_size_t len;
    aoidc_bearer_entry_encode(&entry, &len, until, active, claims, env->pool);
    /* a failed cache write costs the next request a validation, nothing
     * more: the verdict itself stands */
    env->cache->set(env->cache, key, entry, len, until, env->pool);
}

/* Validate on a cache miss and remember the verdict (until *until). */
static apr_status_t validate(apr_array_header_t **claims, apr_time_t *until,
                             const aoidc_rs_conf_t *c,
                             const aoidc_flow_env_t *env, const char *token,
                             const unsigned char *key, aoidc_err_t *err)
{
    aoidc_at_rules_t rules = {c->issuer, c->audience, env->now, c->leeway,
                              c->require_typ};
    aoidc_snapshot_t *snap;
    json_t *j = NULL;
    bool jwt = aoidc_bearer_is_jwt(token);
    apr_status_t rv = aoidc_flow_snapshot(&snap, env, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = jwt ? validate_jwt(&j, env, snap, token, &rules, err)
             : introspect(&j, c, env, snap, token, &rules, err);
    if (rv != APR_SUCCESS) {
        if (!jwt && err->reason == AOIDC_REASON_INACTIVE) {
            remember(env, key, env->now + AOIDC_RS_NEGATIVE_TTL, false, NULL);
        }
        return rv;
    }
    /* cnf survives the claim cap: without it a bound token would pass as
     * an unbound one */
    const char *keep[] = {c->remote_user_claim, "cnf", NULL};
    *claims = aoidc_claims_add_json_keep(NULL, j, keep, env->pool);
    *until = aoidc_bearer_cache_until(j, env->now, c->cache_ttl);
    remember(env, key, *until, true, *claims);
    return APR_SUCCESS;
}

/* The cached verdict for key: APR_SUCCESS with claims, APR_EINVAL for a
 * cached refusal, APR_NOTFOUND on a miss. */
static apr_status_t cached(apr_array_header_t **claims, apr_time_t *until,
                           const aoidc_flow_env_t *env,
                           const unsigned char *key, aoidc_err_t *err)
{
    unsigned char *entry;
    apr_size_t len;
    bool active;
    if (env->cache->get(env->cache, key, &entry, &len, env->pool) != APR_SUCCESS
        || aoidc_bearer_entry_decode(until, &active, claims, entry, len,
                                     env->pool, err)
               != APR_SUCCESS
        || *until <= env->now) {
        return APR_NOTFOUND;
    }
    if (!active) {
        return aoidc_err_set(err, AOIDC_REASON_INACTIVE, env->pool,
                             "refused recently (cached)");
    }
    return APR_SUCCESS;
}

/* --- the L1 (l1.h): a positive verdict on this very token under these
 * rules (the store key's namespace: typ rule, issuer, audience), kept by
 * this process until the verdict's own end. Nothing ends a verdict
 * earlier in the store either, so the L1 adds no staleness. -------------- */

typedef struct {
    apr_array_header_t *claims;
    const aoidc_claims_view_t *view; /* for the prefix it was made with */
    const char *cnf;                 /* the cnf claim's value, or NULL */
} l1_verdict_t;

static const char *l1_rules(const aoidc_rs_conf_t *c, apr_pool_t *p)
{
    return apr_pstrcat(p, c->require_typ ? "1" : "0", c->issuer, "\n",
                       c->audience, NULL);
}

static const void *l1_make(apr_pool_t *p, unsigned char *val, apr_size_t len,
                           const void *arg)
{
    l1_verdict_t *v = apr_pcalloc(p, sizeof(*v));
    const aoidc_claim_t *cnf;
    apr_time_t until;
    bool active;
    aoidc_err_t err = {0};
    if (aoidc_bearer_entry_decode(&until, &active, &v->claims, val, len, p,
                                  &err)
            != APR_SUCCESS
        || !active) {
        return NULL;
    }
    v->view = aoidc_claims_view_make(v->claims, arg, p);
    v->cnf = (cnf = aoidc_claims_get(v->claims, "cnf")) ? cnf->value : NULL;
    return v;
}

static bool l1_hit(aoidc_rs_out_t *out, const char **cnf,
                   const aoidc_rs_conf_t *c, const aoidc_flow_env_t *env,
                   const char *token, apr_size_t tlen, const char *rules)
{
    const l1_verdict_t *v;
    if (!env->l1 || !c->claim_prefix
        || !(v = aoidc_l1_get(env->l1, env->cache, token, tlen, rules,
                              strlen(rules), env->now, env->pool))) {
        return false;
    }
    out->claims = v->claims;
    /* another location with the same rules may use another prefix */
    out->claim_view = aoidc_claims_view_for(v->view, c->claim_prefix);
    *cnf = v->cnf;
    return true;
}

static void l1_keep(const aoidc_rs_conf_t *c, const aoidc_flow_env_t *env,
                    const char *token, apr_size_t tlen, const char *rules,
                    apr_uint32_t gen, apr_time_t until,
                    const apr_array_header_t *claims)
{
    unsigned char *entry;
    apr_size_t len;
    if (env->l1 && c->claim_prefix) {
        aoidc_bearer_entry_encode(&entry, &len, until, true, claims, env->pool);
        aoidc_l1_put(env->l1, env->cache, token, tlen, rules, strlen(rules),
                     gen, until, entry, len, l1_make, c->claim_prefix);
    }
}

/* The verdict: from the L1, else the cache store, else validation. */
static apr_status_t verdict(aoidc_rs_out_t *out, const char **cnf,
                            const aoidc_rs_conf_t *c,
                            const aoidc_flow_env_t *env,
                            const aoidc_rs_in_t *in, aoidc_err_t *err)
{
    const aoidc_claim_t *cl;
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_array_header_t *claims = NULL;
    apr_time_t until = 0;
    const char *rules = l1_rules(c, env->pool);
    apr_size_t tlen = strlen(in->token);
    apr_uint32_t gen;
    apr_status_t rv;
    if (l1_hit(out, cnf, c, env, in->token, tlen, rules)) {
        /* these very bytes passed the check below on their way in */
        out->cache_hit = true;
        return APR_SUCCESS;
    }
    if (!aoidc_bearer_token_syntax_ok(in->token)) { /* RFC 6750 §2.1 */
        return aoidc_err_set(err, AOIDC_REASON_BEARER_SYNTAX, env->pool,
                             "Bearer credentials are not one b64token");
    }
    gen = env->l1 ? aoidc_l1_gen(env->l1, in->token, tlen) : 0;
    aoidc_rs_cache_key(key, c, in->token);
    rv = cached(&claims, &until, env, key, err);
    if (rv == APR_NOTFOUND && !aoidc_bearer_is_jwt(in->token)
        && !aoidc_flight_enter(in->flight, key, env->http->timeout,
                               env->pool)) {
        rv = cached(&claims, &until, env, key, err);
    }
    out->cache_hit = rv != APR_NOTFOUND;
    if (rv == APR_NOTFOUND) {
        rv = validate(&claims, &until, c, env, in->token, key, err);
    }
    out->claims = claims;
    if (rv == APR_SUCCESS) {
        *cnf = (cl = aoidc_claims_get(claims, "cnf")) ? cl->value : NULL;
        l1_keep(c, env, in->token, tlen, rules, gen, until, claims);
    }
    return rv;
}

apr_status_t aoidc_rs_authenticate(aoidc_rs_out_t *out,
                                   const aoidc_rs_conf_t *c,
                                   const aoidc_flow_env_t *env,
                                   const aoidc_rs_in_t *in, aoidc_err_t *err)
{
    const char *cnf = NULL;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    rv = verdict(out, &cnf, c, env, in, err);
    if (rv != APR_SUCCESS
        || (rv = aoidc_rs_binding_cnf(&out->dpop_nonce, cnf, c, env, in, err))
               != APR_SUCCESS) {
        return rv;
    }
    /* never an authenticated request without a user */
    out->user = aoidc_flow_user(out->claims, c->remote_user_claim);
    if (!out->user) {
        return aoidc_err_set(err, AOIDC_REASON_NO_USER, env->pool,
                             "token has no usable %s or sub claim",
                             c->remote_user_claim);
    }
    return APR_SUCCESS;
}
