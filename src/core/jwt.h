/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWT claim checks shared by ID Tokens (OIDC Core 3.1.3.7) and JWT access
 * tokens (RFC 9068 §4): iss exact, aud membership, azp, exp/nbf/iat with
 * leeway. Time comes in as an argument, never from the clock.
 */
#ifndef AOIDC_CORE_JWT_H
#define AOIDC_CORE_JWT_H

#include <jansson.h>

#include "core/err.h"

typedef struct {
    const char *issuer;   /* required; iss must equal it exactly */
    const char *audience; /* required; aud (string or array) must hold it */
    const char *azp;      /* when set: azp, if present, must equal it, and
                             is required when aud has several values */
    apr_time_t now;
    apr_int64_t leeway; /* seconds */
    bool require_iat;
    bool require_sub;
} aoidc_jwt_rules_t;

/** Check claims against rules. exp is always required. Reasons:
 *  AOIDC_REASON_ISSUER, _AUDIENCE, _AZP, _EXPIRED, _NOT_YET_VALID, _IAT,
 *  _SUB. */
AOIDC_API apr_status_t aoidc_jwt_check(const json_t *claims,
                                       const aoidc_jwt_rules_t *rules,
                                       apr_pool_t *p, aoidc_err_t *err);

/** True when aud (string or array of strings) holds value. */
AOIDC_API bool aoidc_jwt_aud_has(const json_t *aud, const char *value);

#endif
