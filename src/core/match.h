/* SPDX-License-Identifier: Apache-2.0 */
/* Matching for the authz providers `Require claim` and `Require scope`. */
#ifndef AOIDC_CORE_MATCH_H
#define AOIDC_CORE_MATCH_H

#include "core/claims.h"

/** `Require claim NAME:VALUE`: the claim equals value (string), or is an
 *  array holding the string value, or a number/bool whose JSON text equals
 *  value. */
AOIDC_API bool aoidc_match_claim(const apr_array_header_t *claims,
                                 const char *name, const char *value,
                                 apr_pool_t *p);

/** `Require scope VALUE`: the space-separated "scope" claim or the "scp"
 *  array holds value. */
AOIDC_API bool aoidc_match_scope(const apr_array_header_t *claims,
                                 const char *value, apr_pool_t *p);

#endif
