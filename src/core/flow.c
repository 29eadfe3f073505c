/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers every flow shares. */
#include "core/flow.h"

void aoidc_cookie_op(apr_array_header_t **ops, aoidc_cookie_kind_t kind,
                     const char *name, const char *value, apr_int64_t max_age,
                     apr_pool_t *p)
{
    aoidc_cookie_op_t *op;
    if (!*ops) {
        *ops = apr_array_make(p, 4, sizeof(aoidc_cookie_op_t));
    }
    op = apr_array_push(*ops);
    op->kind = kind;
    op->name = name;
    op->value = value;
    op->max_age = max_age;
}

apr_status_t aoidc_flow_snapshot(aoidc_snapshot_t **out,
                                 const aoidc_flow_env_t *env, aoidc_err_t *err)
{
    if (!env->provider) {
        return aoidc_err_set(err, AOIDC_REASON_CONFIG, env->pool,
                             "AuthOIDCIssuer is not set here");
    }
    return aoidc_provider_get(out, env->provider, env->http, env->now,
                              env->pool, err);
}

const aoidc_jwks_t *aoidc_flow_rotated_keys(const aoidc_flow_env_t *env)
{
    aoidc_snapshot_t *fresh;
    aoidc_err_t err = {0};
    if (aoidc_provider_refetch_keys(&fresh, env->provider, env->http, env->now,
                                    env->pool, &err)
        != APR_SUCCESS) {
        return NULL;
    }
    return fresh->jwks;
}

const char *aoidc_flow_user(const apr_array_header_t *claims, const char *name)
{
    const aoidc_claim_t *u = aoidc_claims_get(claims, name);
    if (!u) {
        u = aoidc_claims_get(claims, "sub");
    }
    return u && u->value && *u->value ? u->value : NULL;
}
