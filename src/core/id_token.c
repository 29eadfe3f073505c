/* SPDX-License-Identifier: Apache-2.0 */
/* ID Token validation (OIDC Core 3.1.3.7, and §12.2 after a refresh). */
#include <string.h>

#include "core/id_token.h"
#include "core/json.h"

unsigned aoidc_id_token_algs(const aoidc_id_token_rules_t *r)
{
    unsigned allowed = AOIDC_ALGS_ASYMMETRIC;
    if (r->client_secret) {
        allowed |= AOIDC_ALGS_HMAC; /* (8): HS with the client secret only */
    }
    return r->algs ? allowed & r->algs : allowed;
}

/* Steps shared by a login's and a refresh's ID Token: (1)-(10) of 3.1.3.7
 * (signature with the provider keys or, for HS*, the client secret only;
 * iss exact, aud holds client_id, azp, exp, iat present, nbf, sub). */
static apr_status_t verify(aoidc_jws_t **jws, const char *token,
                           const aoidc_jwks_t *jwks, const char *issuer,
                           const char *client_id, const char *client_secret,
                           unsigned mask, apr_time_t now, apr_int64_t leeway,
                           apr_pool_t *p, aoidc_err_t *err)
{
    apr_status_t rv;
    aoidc_id_token_rules_t algs = {.client_secret = client_secret,
                                   .algs = mask};
    unsigned allowed = aoidc_id_token_algs(&algs);
    aoidc_jwt_rules_t jr = {issuer, client_id, client_id, now,
                            leeway, true,      true};

    if ((rv = aoidc_jws_parse(jws, token, strlen(token), p, err)) != APR_SUCCESS
        || (rv = aoidc_jws_verify(*jws, jwks, allowed, client_secret, p, err))
               != APR_SUCCESS) {
        return rv;
    }
    return aoidc_jwt_check((*jws)->payload, &jr, p, err);
}

/* 3.1.3.8: at_hash, when present, must match the access token */
static apr_status_t check_at_hash(const aoidc_jws_t *jws,
                                  const char *access_token, apr_pool_t *p,
                                  aoidc_err_t *err)
{
    const char *at_hash = aoidc_json_str(jws->payload, "at_hash");
    if (json_object_get(jws->payload, "at_hash")) {
        const char *want = access_token
                               ? aoidc_jws_half_hash(jws->alg, access_token, p)
                               : NULL;
        if (!at_hash || !want || strcmp(at_hash, want)) {
            return aoidc_err_set(err, AOIDC_REASON_AT_HASH, p,
                                 "id_token: at_hash does not match");
        }
    }
    return APR_SUCCESS;
}

/* 3.3.2.11: the front-channel ID Token of a hybrid response binds the code
 * (left half of the hash of its ASCII octets, with the alg's hash): a code
 * swapped in from another response is refused before it is exchanged */
static apr_status_t check_c_hash(const aoidc_jws_t *jws, const char *code,
                                 apr_pool_t *p, aoidc_err_t *err)
{
    const char *c_hash = aoidc_json_str(jws->payload, "c_hash");
    const char *want = aoidc_jws_half_hash(jws->alg, code, p);
    if (!c_hash || !want || strcmp(c_hash, want)) {
        return aoidc_err_set(err, AOIDC_REASON_C_HASH, p, "id_token: c_hash %s",
                             c_hash ? "does not match the code" : "missing");
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_id_token_validate(json_t **claims, const char *token,
                                     const aoidc_jwks_t *jwks,
                                     const aoidc_id_token_rules_t *r,
                                     apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_jws_t *jws;
    apr_status_t rv =
        verify(&jws, token, jwks, r->issuer, r->client_id, r->client_secret,
               r->algs, r->now, r->leeway, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* (11) nonce */
    const char *nonce = aoidc_json_str(jws->payload, "nonce");
    if (r->no_nonce) {
        /* no nonce was sent (password grant): one in the token is not ours */
        if (json_object_get(jws->payload, "nonce")) {
            return aoidc_err_set(err, AOIDC_REASON_NONCE, p,
                                 "id_token: nonce where none was sent");
        }
    }
    else if (!nonce || !r->nonce || strcmp(nonce, r->nonce)) {
        return aoidc_err_set(err, AOIDC_REASON_NONCE, p, "id_token: nonce %s",
                             nonce ? "differs" : "missing");
    }
    if ((rv = check_at_hash(jws, r->access_token, p, err)) != APR_SUCCESS
        || (r->code && (rv = check_c_hash(jws, r->code, p, err)))) {
        return rv;
    }
    *claims = jws->payload;
    return APR_SUCCESS;
}

/* Same string member in both, or absent from both. */
static bool same_str(const json_t *a, const json_t *b, const char *name)
{
    const char *x = aoidc_json_str(a, name), *y = aoidc_json_str(b, name);
    if (!json_object_get(a, name) != !json_object_get(b, name)) {
        return false;
    }
    return (!x && !y) || (x && y && !strcmp(x, y));
}

/* §12.2 against the ID Token the session was created (or last refreshed)
 * with: nonce absent or unchanged, auth_time (if present) the original
 * authentication's, azp unchanged, issued no earlier than the original. */
static apr_status_t against_original(const json_t *c, const json_t *o,
                                     apr_int64_t leeway, apr_pool_t *p,
                                     aoidc_err_t *err)
{
    apr_int64_t t, ot;
    if (json_object_get(o, "iss") && !same_str(c, o, "iss")) {
        return aoidc_err_set(err, AOIDC_REASON_ISSUER, p,
                             "refreshed id_token: iss differs from the "
                             "session's");
    }
    if (json_object_get(c, "nonce") && json_object_get(o, "nonce")
        && !same_str(c, o, "nonce")) {
        return aoidc_err_set(err, AOIDC_REASON_NONCE, p,
                             "refreshed id_token: nonce differs from the "
                             "original");
    }
    if (json_object_get(c, "auth_time")
        && (!aoidc_json_int(c, "auth_time", &t)
            || (json_object_get(o, "auth_time")
                && (!aoidc_json_int(o, "auth_time", &ot) || t != ot)))) {
        return aoidc_err_set(err, AOIDC_REASON_AUTH_TIME, p,
                             "refreshed id_token: auth_time is not the "
                             "original authentication's");
    }
    if (!same_str(c, o, "azp")) {
        return aoidc_err_set(err, AOIDC_REASON_AZP, p,
                             "refreshed id_token: azp differs from the "
                             "original");
    }
    /* verify() made sure iat is a number */
    if (aoidc_json_int(o, "iat", &ot) && aoidc_json_int(c, "iat", &t)
        && t < ot - leeway) {
        return aoidc_err_set(err, AOIDC_REASON_IAT, p,
                             "refreshed id_token: issued before the "
                             "original");
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_id_token_validate_refresh(
    json_t **claims, const char *token, const aoidc_jwks_t *jwks,
    const aoidc_id_token_refresh_rules_t *r, apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_jws_t *jws;
    apr_status_t rv =
        verify(&jws, token, jwks, r->issuer, r->client_id, r->client_secret,
               r->algs, r->now, r->leeway, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    const char *sub = aoidc_json_str(jws->payload, "sub");
    if (!r->sub || !sub || strcmp(sub, r->sub)) {
        return aoidc_err_set(err, AOIDC_REASON_SUB, p,
                             "refreshed id_token: sub is not the session's");
    }
    if (r->original
        && (rv = against_original(jws->payload, r->original, r->leeway, p, err))
               != APR_SUCCESS) {
        return rv;
    }
    if ((rv = check_at_hash(jws, r->access_token, p, err)) != APR_SUCCESS) {
        return rv;
    }
    *claims = jws->payload;
    return APR_SUCCESS;
}
