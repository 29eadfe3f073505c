/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWK Sets (RFC 7517) as published at an issuer's jwks_uri: parsed once per
 * fetch, keys imported into cjose, and selected by kid and algorithm.
 * Only public signature keys (kty RSA or EC, use absent or "sig") are kept;
 * symmetric keys from a JWKS are never used.
 */
#ifndef AOIDC_CORE_JWK_H
#define AOIDC_CORE_JWK_H

#include <cjose/cjose.h>

#include "core/err.h"

#define AOIDC_JWKS_MAX_KEYS 64

typedef struct {
    const char *kid; /* may be NULL */
    const char *kty; /* "RSA" or "EC" */
    const char *crv; /* EC only */
    const char *alg; /* optional restriction */
    cjose_jwk_t *key;
} aoidc_jwk_t;

typedef struct {
    apr_array_header_t *keys; /* of aoidc_jwk_t */
} aoidc_jwks_t;

/** Parse a JWKS document into *out; cjose keys are released by a cleanup of
 *  p. Unusable keys are skipped; a document that is not a JWKS, or holds
 *  more than AOIDC_JWKS_MAX_KEYS keys, fails (AOIDC_REASON_MALFORMED /
 *  AOIDC_REASON_TOO_LARGE). An empty usable set is not an error. */
AOIDC_API apr_status_t aoidc_jwks_parse(aoidc_jwks_t **out, const char *in,
                                        apr_size_t len, apr_pool_t *p,
                                        aoidc_err_t *err);

/** The key for a token signed with alg (already allow-listed) and header
 *  kid (may be NULL): kty and curve must suit alg and a key's own "alg", if
 *  any, must equal it. Without kid, only an unambiguous single candidate is
 *  returned. NULL when there is none. */
AOIDC_API const aoidc_jwk_t *aoidc_jwks_find(const aoidc_jwks_t *jwks,
                                             const char *kid, const char *alg);

#endif
