/* SPDX-License-Identifier: Apache-2.0 */
/* ID Token validation: OIDC Core 3.1.3.7, all steps that apply to code flow. */
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
} aoidc_id_token_rules_t;

/** The algorithms an ID Token of these rules may be signed with: the
 *  asymmetric allow-list, plus HS* when a client secret is set (OIDC Core
 *  3.1.3.7 (8): the secret is then the only HMAC key). Logout tokens are
 *  held to the same policy (core/logout_token.c), so the two never drift. */
AOIDC_API unsigned aoidc_id_token_algs(const aoidc_id_token_rules_t *r);

/** Parse, verify and check an ID Token; *claims is its payload (in p).
 *  Reasons: those of aoidc_jws_parse/verify and aoidc_jwt_check, plus
 *  AOIDC_REASON_NONCE and AOIDC_REASON_AT_HASH. AOIDC_REASON_KEY_UNKNOWN
 *  tells the caller a JWKS refetch may help. */
AOIDC_API apr_status_t aoidc_id_token_validate(json_t **claims,
                                               const char *token,
                                               const aoidc_jwks_t *jwks,
                                               const aoidc_id_token_rules_t *r,
                                               apr_pool_t *p, aoidc_err_t *err);

#endif
