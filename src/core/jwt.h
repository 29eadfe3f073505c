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
#include "core/json.h"

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

/** A number claim as aoidc_json_int reads it. */
typedef struct {
    bool present; /* the member exists, whatever its value (null too) */
    bool num;     /* aoidc_json_int reads it: v is the value */
    apr_int64_t v;
} aoidc_jwt_num_t;

/** The registered claims (RFC 7519 §4.1) that the checks read, taken from
 *  a claims object (aoidc_jwt_reg_from_json) or from its members
 *  (aoidc_jwt_reg_from_members): one set of checks for both. */
typedef struct {
    const char *iss, *azp, *sub; /* string values; NULL when absent or not
                                    a string */
    bool azp_present;
    bool aud_array;         /* aud is an array */
    int aud_n;              /* a string aud: 1; an array: its size; else 0 */
    const char *const *aud; /* aud_n entries: element i's string, or NULL */
    aoidc_jwt_num_t exp, nbf, iat;
    bool nonce, at_hash, c_hash; /* present, whatever the value */
} aoidc_jwt_reg_t;

/** *r from the claims object c (pointers into c, arrays in p). */
AOIDC_API void aoidc_jwt_reg_from_json(aoidc_jwt_reg_t *r, const json_t *c,
                                       apr_pool_t *p);

/** *r from an object's members (aoidc_json_fast_members): the same *r as
 *  aoidc_jwt_reg_from_json gives for that object. */
AOIDC_API void aoidc_jwt_reg_from_members(aoidc_jwt_reg_t *r,
                                          const aoidc_json_members_t *m,
                                          apr_pool_t *p);

/** Check the claims in reg against rules. exp is always required.
 *  Reasons: AOIDC_REASON_ISSUER, _AUDIENCE, _AZP, _EXPIRED,
 *  _NOT_YET_VALID, _IAT, _SUB. */
AOIDC_API apr_status_t aoidc_jwt_check_reg(const aoidc_jwt_reg_t *reg,
                                           const aoidc_jwt_rules_t *rules,
                                           apr_pool_t *p, aoidc_err_t *err);

/** aoidc_jwt_check_reg on the registered claims of claims. */
AOIDC_API apr_status_t aoidc_jwt_check(const json_t *claims,
                                       const aoidc_jwt_rules_t *rules,
                                       apr_pool_t *p, aoidc_err_t *err);

/** True when aud (string or array of strings) holds value. */
AOIDC_API bool aoidc_jwt_aud_has(const json_t *aud, const char *value);

#endif
