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

/* Keys the JWKS parse passed over (too small, wrong curve): said once per
 * fetch, not per request. */
static void note_skipped(const aoidc_flow_env_t *env, aoidc_snapshot_t *s)
{
    const apr_array_header_t *sk = s && s->jwks ? s->jwks->skipped : NULL;
    if (!env->notes || !sk || !sk->nelts
        || !aoidc_provider_first_look(env->provider, s)) {
        return;
    }
    for (int i = 0; i < sk->nelts; i++) {
        const aoidc_jwk_skipped_t *k =
            &APR_ARRAY_IDX(sk, i, aoidc_jwk_skipped_t);
        *(const char **)apr_array_push(env->notes) = apr_psprintf(
            env->pool, "JWKS of %s: key %s skipped (%s%s%s)",
            aoidc_provider_issuer(env->provider), k->kid ? k->kid : "-", k->why,
            k->bits ? ", bits " : "",
            k->bits ? apr_itoa(env->pool, k->bits) : "");
    }
}

apr_status_t aoidc_flow_snapshot(aoidc_snapshot_t **out,
                                 const aoidc_flow_env_t *env, aoidc_err_t *err)
{
    if (!env->provider) {
        return aoidc_err_set(err, AOIDC_REASON_CONFIG, env->pool,
                             "AuthOIDCIssuer is not set here");
    }
    apr_status_t rv = aoidc_provider_get(out, env->provider, env->http,
                                         env->now, env->pool, err);
    note_skipped(env, rv == APR_SUCCESS ? *out : NULL);
    return rv;
}

const aoidc_jwks_t *aoidc_flow_rotated_keys(const aoidc_flow_env_t *env)
{
    aoidc_snapshot_t *fresh;
    aoidc_err_t err = {0};
    apr_status_t rv = aoidc_provider_refetch_keys(
        &fresh, env->provider, env->http, env->now, env->pool, &err);
    if (env->counts) {
        unsigned *n = rv == APR_SUCCESS  ? &env->counts->jwks_refetch_ok
                      : rv == APR_EAGAIN ? &env->counts->jwks_refetch_limited
                                         : &env->counts->jwks_refetch_failed;
        (*n)++;
    }
    if (rv != APR_SUCCESS) {
        return NULL;
    }
    note_skipped(env, fresh);
    return fresh->jwks;
}

const char *aoidc_flow_user(const apr_array_header_t *claims, const char *name)
{
    const char *user;
    /* also refuses an array or object as a user name (review finding 8) */
    return aoidc_claims_user(&user, claims, name, NULL, NULL) == APR_SUCCESS
               ? user
               : NULL;
}
