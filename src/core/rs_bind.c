/* SPDX-License-Identifier: Apache-2.0 */
/* Sender-constrained tokens at the resource server (rs.h, dpop.h). */
#include <string.h>

#include "core/dpop.h"
#include "core/jws.h"
#include "core/rs.h"

static apr_status_t refuse(aoidc_reason_t why, const aoidc_flow_env_t *env,
                           aoidc_err_t *err, const char *detail)
{
    return aoidc_err_set(err, why, env->pool, "%s", detail);
}

/* RFC 9449 §11.1: a jti is used once within the proof's lifetime; the
 * cache store is shared where the store is, so a replay on another node
 * is caught too. */
static apr_status_t jti_once(const aoidc_dpop_proof_t *pf,
                             const aoidc_rs_conf_t *c,
                             const aoidc_flow_env_t *env, aoidc_err_t *err)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    aoidc_store_key3(key, "dpop-jti", c->issuer, pf->jkt, pf->jti,
                     strlen(pf->jti));
    apr_time_t until = pf->iat + apr_time_from_sec(c->dpop_max_age + c->leeway);
    if (until <= env->now) {
        until = env->now + apr_time_from_sec(1);
    }
    apr_status_t rv = env->cache->add(
        env->cache, key, (const unsigned char *)"1", 1, until, env->pool);
    if (rv == APR_EEXIST) {
        return refuse(AOIDC_REASON_DPOP_PROOF, env, err,
                      "DPoP proof: jti replayed");
    }
    if (rv != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_STORE_UNAVAILABLE, env->pool,
                             "%s store: DPoP jti not recorded (%d)",
                             env->cache->name, rv);
    }
    return APR_SUCCESS;
}

/* RFC 9449 §8, §9: checked after the proof itself, so a bad proof is
 * answered invalid_dpop_proof and only a good one without a usable nonce
 * use_dpop_nonce (before its jti is recorded: the retry has another). */
static apr_status_t nonce_ok(const char **nonce, const aoidc_dpop_proof_t *pf,
                             const aoidc_rs_conf_t *c,
                             const aoidc_flow_env_t *env, aoidc_err_t *err)
{
    switch (
        aoidc_dpop_nonce_check(c->dpop_nonce, pf->nonce, env->now, env->pool)) {
    case AOIDC_DPOP_NONCE_CURRENT:
        return APR_SUCCESS;
    case AOIDC_DPOP_NONCE_STALE:
        *nonce = aoidc_dpop_nonce(c->dpop_nonce, env->now, env->pool);
        return APR_SUCCESS;
    default:
        return refuse(AOIDC_REASON_DPOP_NONCE, env, err,
                      pf->nonce ? "DPoP proof: nonce forged or expired"
                                : "DPoP proof: no nonce");
    }
}

static apr_status_t dpop_bound(const char **nonce, const char *jkt,
                               const aoidc_rs_conf_t *c,
                               const aoidc_flow_env_t *env,
                               const aoidc_rs_in_t *in, aoidc_err_t *err)
{
    aoidc_dpop_proof_t pf;
    aoidc_dpop_rules_t r = {in->method,
                            in->url,
                            in->token,
                            env->now,
                            c->dpop_max_age,
                            c->leeway,
                            AOIDC_ALGS_ASYMMETRIC};
    apr_status_t rv;
    if (!in->dpop_scheme) {
        return refuse(AOIDC_REASON_BINDING, env, err,
                      "DPoP-bound token sent as Bearer");
    }
    if (!in->dpop_proof) {
        return refuse(AOIDC_REASON_DPOP_PROOF, env, err,
                      "DPoP proof: no DPoP header");
    }
    if (!in->method || !in->url) {
        return refuse(AOIDC_REASON_INTERNAL, env, err, "DPoP: no request URL");
    }
    if ((rv = aoidc_dpop_check(&pf, in->dpop_proof, &r, env->pool, err))
        != APR_SUCCESS) {
        return rv;
    }
    if (strcmp(pf.jkt, jkt)) {
        return refuse(AOIDC_REASON_DPOP_PROOF, env, err,
                      "DPoP proof: signed by another key than cnf.jkt");
    }
    if (c->dpop_nonce
        && (rv = nonce_ok(nonce, &pf, c, env, err)) != APR_SUCCESS) {
        return rv;
    }
    return jti_once(&pf, c, env, err);
}

apr_status_t aoidc_rs_binding(const char **nonce, const char *cnf,
                              const aoidc_rs_conf_t *c,
                              const aoidc_flow_env_t *env,
                              const aoidc_rs_in_t *in, aoidc_err_t *err)
{
    const char *jkt, *x5t;
    *nonce = NULL;
    if (aoidc_cnf_parse(&jkt, &x5t, cnf, env->pool, err) != APR_SUCCESS) {
        return refuse(AOIDC_REASON_BINDING, env, err, "token cnf malformed");
    }
    if (jkt) {
        apr_status_t rv = dpop_bound(nonce, jkt, c, env, in, err);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    else if (in->dpop_scheme) {
        return refuse(AOIDC_REASON_BINDING, env, err,
                      "token sent as DPoP is not DPoP-bound");
    }
    if (x5t) {
        const char *mine =
            in->cert_x5t ? in->cert_x5t(in->cert_baton, env->pool) : NULL;
        if (!mine || strcmp(mine, x5t)) {
            return refuse(AOIDC_REASON_BINDING, env, err,
                          mine ? "TLS client certificate is not the token's"
                               : "certificate-bound token without a TLS "
                                 "client certificate");
        }
    }
    /* the location's demand: which constraints count (AOIDC_BIND_*) */
    if (c->binding && !((c->binding & AOIDC_BIND_DPOP) && jkt)
        && !((c->binding & AOIDC_BIND_MTLS) && x5t)) {
        return refuse(AOIDC_REASON_BINDING, env, err,
                      c->binding == AOIDC_BIND_DPOP ? "token is not DPoP-bound"
                      : c->binding == AOIDC_BIND_MTLS ? "token is not "
                                                        "certificate-bound"
                                                      : "token is not "
                                                        "sender-constrained");
    }
    return APR_SUCCESS;
}
