/* SPDX-License-Identifier: Apache-2.0 */
/* ID Token validation (OIDC Core 3.1.3.7). */
#include <string.h>

#include "core/id_token.h"
#include "core/json.h"

unsigned aoidc_id_token_algs(const aoidc_id_token_rules_t *r)
{
    unsigned allowed = AOIDC_ALGS_ASYMMETRIC;
    if (r->client_secret) {
        allowed |= AOIDC_ALGS_HMAC; /* (8): HS with the client secret only */
    }
    return allowed;
}

apr_status_t aoidc_id_token_validate(json_t **claims, const char *token,
                                     const aoidc_jwks_t *jwks,
                                     const aoidc_id_token_rules_t *r,
                                     apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_jws_t *jws;
    apr_status_t rv;
    unsigned allowed = aoidc_id_token_algs(r);
    aoidc_jwt_rules_t jr = {r->issuer, r->client_id, r->client_id, r->now,
                            r->leeway, true,         true};

    if ((rv = aoidc_jws_parse(&jws, token, strlen(token), p, err))
            != APR_SUCCESS
        || (rv = aoidc_jws_verify(jws, jwks, allowed, r->client_secret, p, err))
               != APR_SUCCESS
        || (rv = aoidc_jwt_check(jws->payload, &jr, p, err)) != APR_SUCCESS) {
        return rv;
    }
    /* (11) nonce */
    const char *nonce = aoidc_json_str(jws->payload, "nonce");
    if (!nonce || !r->nonce || strcmp(nonce, r->nonce)) {
        return aoidc_err_set(err, AOIDC_REASON_NONCE, p, "id_token: nonce %s",
                             nonce ? "differs" : "missing");
    }
    /* 3.1.3.8: at_hash, when present, must match the access token */
    const char *at_hash = aoidc_json_str(jws->payload, "at_hash");
    if (json_object_get(jws->payload, "at_hash")) {
        const char *want =
            r->access_token ? aoidc_jws_half_hash(jws->alg, r->access_token, p)
                            : NULL;
        if (!at_hash || !want || strcmp(at_hash, want)) {
            return aoidc_err_set(err, AOIDC_REASON_AT_HASH, p,
                                 "id_token: at_hash does not match");
        }
    }
    *claims = jws->payload;
    return APR_SUCCESS;
}
