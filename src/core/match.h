/* SPDX-License-Identifier: Apache-2.0 */
/* Matching for the authz providers `Require claim` and `Require scope`. */
#ifndef AOIDC_CORE_MATCH_H
#define AOIDC_CORE_MATCH_H

#include "core/claims.h"

/** `Require claim NAME:VALUE`: the claim equals value (string), or is an
 *  array holding the string value, or a number/bool whose JSON text equals
 *  value. A NAME with dots is also a path into a claim of JSON type
 *  (Keycloak's `realm_access.roles:admin`): the claim named by the part
 *  before a dot (the first dot, then the next, so a claim whose own name
 *  holds a dot is found too), then one object member per further part; an
 *  array met on the way matches when any of its objects does, and the
 *  leaf matches as above (a string, a number/bool's JSON text, or an
 *  array holding it). The walk is bounded (16 levels). */
AOIDC_API bool aoidc_match_claim(const apr_array_header_t *claims,
                                 const char *name, const char *value,
                                 apr_pool_t *p);

/** `Require scope VALUE`: the space-separated "scope" claim or the "scp"
 *  claim (an array, or a space-separated string as Entra ID sends it)
 *  holds value. */
AOIDC_API bool aoidc_match_scope(const apr_array_header_t *claims,
                                 const char *value, apr_pool_t *p);

/** `Require acr VALUE...` (OIDC Core 2, RFC 9470 §4): the "acr" claim, a
 *  string, equals one of values (of const char *). Absent, empty or of
 *  another type: no match. */
AOIDC_API bool aoidc_match_acr(const apr_array_header_t *claims,
                               const apr_array_header_t *values);

/** AuthOIDCMaxAge (OIDC Core 3.1.2.1 max_age, RFC 9470 §4): the login is
 *  young enough, now - auth_time <= max_age + leeway (seconds). auth_time
 *  absent, not a number, or in the future by more than leeway: false (an
 *  unknown login time counts as too old). */
AOIDC_API bool aoidc_match_max_age(const apr_array_header_t *claims,
                                   apr_int64_t max_age, apr_int64_t leeway,
                                   apr_time_t now);

/** The RFC 9470 §3 challenge parameters, in p: `, acr_values="a b"` when
 *  acr_values (of const char *, may be NULL or empty) has any, and
 *  `, max_age=N` when max_age >= 0; "" for neither. Values are the
 *  operator's Require acr words (no quotes or backslashes: config.c's
 *  parser refuses them). */
AOIDC_API const char *aoidc_stepup_params(const apr_array_header_t *acr_values,
                                          apr_int64_t max_age, apr_pool_t *p);

/** acr_values joined with spaces (the acr_values request parameter, OIDC
 *  Core 3.1.2.1), in p; NULL when there is none. */
AOIDC_API const char *aoidc_acr_join(const apr_array_header_t *acr_values,
                                     apr_pool_t *p);

#endif
