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

#endif
