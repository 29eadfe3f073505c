/* SPDX-License-Identifier: Apache-2.0 */
/* ID Token validation: OIDC Core 3.1.3.7, all steps that apply to code
 * flow; and §12.2 for the ID Token of a refresh response. */
#ifndef AOIDC_CORE_ID_TOKEN_H
#define AOIDC_CORE_ID_TOKEN_H

#include "core/jws.h"
#include "core/jwt.h"

typedef struct {
    const char *issuer;
    const char *client_id;
    const char *client_secret; /* enables HS* (only key for them) */
    const char *nonce;         /* required equal */
    const char *access_token;  /* for at_hash, when the token has one */
    apr_time_t now;
    apr_int64_t leeway;
    bool no_nonce;    /* none was sent (password grant): the token has none */
    const char *code; /* a hybrid response's code: c_hash required and
                       * equal (OIDC Core 3.3.2.11); NULL: not checked */
    unsigned algs;    /* mask of AOIDC_ALG_* narrowing the list; 0: none */
} aoidc_id_token_rules_t;

/** The algorithms an ID Token of these rules may be signed with: the
 *  asymmetric allow-list, plus HS* when a client secret is set (OIDC Core
 *  3.1.3.7 (8): the secret is then the only HMAC key), narrowed to r->algs
 *  when that is set (AuthOIDCProfile fapi2). Logout tokens are
 *  held to the same policy (core/logout_token.c), so the two never drift. */
AOIDC_API unsigned aoidc_id_token_algs(const aoidc_id_token_rules_t *r);

/** Parse, verify and check an ID Token; *claims is its payload (in p).
 *  Reasons: those of aoidc_jws_parse/verify and aoidc_jwt_check, plus
 *  AOIDC_REASON_NONCE, AOIDC_REASON_AT_HASH and (r->code set)
 *  AOIDC_REASON_C_HASH. AOIDC_REASON_KEY_UNKNOWN
 *  tells the caller a JWKS refetch may help. */
AOIDC_API apr_status_t aoidc_id_token_validate(json_t **claims,
                                               const char *token,
                                               const aoidc_jwks_t *jwks,
                                               const aoidc_id_token_rules_t *r,
                                               apr_pool_t *p, aoidc_err_t *err);

typedef struct {
    const char *issuer;        /* the session's issuer (AuthOIDCIssuer) */
    const char *client_id;     /* aud must hold it; azp rules as at login */
    const char *client_secret; /* enables HS* (only key for them) */
    const char *sub;           /* the session's sub: required equal */
    const json_t *original;    /* claims of the session's ID Token (from the
                                  login or the last refresh), NULL when not
                                  known */
    const char *access_token;  /* the new access token, for at_hash */
    apr_time_t now;
    apr_int64_t leeway;
    unsigned algs; /* as in aoidc_id_token_rules_t */
} aoidc_id_token_refresh_rules_t;

/** Validate the ID Token of a refresh response (OIDC Core §12.2); *claims
 *  is its payload (in p). The same signature, alg and claim rules as
 *  aoidc_id_token_validate (signature with the provider keys or HS* with
 *  the client secret only; iss exact, aud holds client_id, azp, exp, iat
 *  present and not in the future, nbf, at_hash when present), plus:
 *  - sub equals r->sub, else AOIDC_REASON_SUB (also when r->sub is NULL);
 *  and when r->original is given:
 *  - iss equals the original's (AOIDC_REASON_ISSUER);
 *  - nonce absent, or equal to the original's when that had one
 *    (AOIDC_REASON_NONCE). The session does not keep the login's nonce
 *    by itself: it is read from r->original; without an original any
 *    nonce passes;
 *  - auth_time, when present, a number equal to the original's when that
 *    had one (AOIDC_REASON_AUTH_TIME);
 *  - azp present in both with the same value, or absent from both
 *    (AOIDC_REASON_AZP);
 *  - iat no earlier than the original's minus leeway (AOIDC_REASON_IAT).
 *  No nonce is required. AOIDC_REASON_KEY_UNKNOWN tells the caller a JWKS
 *  refetch may help. The caller ends the session on any failure. */
AOIDC_API apr_status_t aoidc_id_token_validate_refresh(
    json_t **claims, const char *token, const aoidc_jwks_t *jwks,
    const aoidc_id_token_refresh_rules_t *r, apr_pool_t *p, aoidc_err_t *err);

#endif
