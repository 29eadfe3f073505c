/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's own signing keys (AuthOIDCClientKey) and the private_key_jwt
 * client assertion (RFC 7523 §2.2 and §3, OIDC Core §9). Keys are read from
 * PEM once at config time; the private half never leaves this unit (no
 * accessor, never formatted into an error). The public halves are served
 * as a JWKS (RFC 7517) for the OP's jwks_uri.
 *
 * Algorithms: RSA (>= AOIDC_JWK_RSA_MIN_BITS) signs PS256 when the OP lists
 * it in token_endpoint_auth_signing_alg_values_supported, else RS256; EC
 * P-256 ES256, P-384 ES384; Ed25519 EdDSA.
 */
#ifndef AOIDC_CORE_CLIENT_KEY_H
#define AOIDC_CORE_CLIENT_KEY_H

#include <jansson.h>

#include "core/err.h"

/* How long an assertion is valid: short (RFC 7523 §3 item 4 wants an
 * expiry; one request's worth of clock skew is enough). */
#define AOIDC_ASSERTION_TTL_SEC 60

typedef struct aoidc_client_key_st aoidc_client_key_t;

/** Parse a PEM private key (PKCS#8 or traditional RSA/EC) of len bytes.
 *  kid: the JWK "kid" to publish and send; NULL takes the RFC 7638
 *  thumbprint. The key lives until p is cleared. Reasons:
 *  AOIDC_REASON_CONFIG (not a private key, an unsupported type or curve,
 *  RSA below AOIDC_JWK_RSA_MIN_BITS); the detail never quotes the file. */
AOIDC_API apr_status_t aoidc_client_key_parse(aoidc_client_key_t **out,
                                              const char *pem, apr_size_t len,
                                              const char *kid, apr_pool_t *p,
                                              aoidc_err_t *err);

/** An EC P-256 key derived from secret alone (HKDF-SHA256 with purpose
 *  as info, aoidc_seal_hkdf; the scalar reduced by retrying with
 *  "PURPOSE/1".. in the rare case it is not below the group order): every
 *  process and every node with the same secret holds the same key, and no
 *  key file is needed. kid is the RFC 7638 thumbprint. Reasons:
 *  AOIDC_REASON_INTERNAL (OpenSSL failed). */
AOIDC_API apr_status_t aoidc_client_key_derive_p256(
    aoidc_client_key_t **out, const char *secret, apr_size_t len,
    const char *purpose, apr_pool_t *p, aoidc_err_t *err);

/** The public JWK of k as a JSON object text: the RFC 7638 members only
 *  (no kid, alg, use), in p. */
AOIDC_API char *aoidc_client_key_public_jwk(const aoidc_client_key_t *k,
                                            apr_pool_t *p);

/** A compact JWS of claims signed by k: header gets "alg" (ps256 as for
 *  aoidc_client_key_alg). Takes the references of header and claims
 *  (either may be NULL from a failed json_pack: then NULL). NULL when
 *  signing failed. In p. */
AOIDC_API char *aoidc_client_key_jws(const aoidc_client_key_t *k, bool ps256,
                                     json_t *header, json_t *claims,
                                     apr_pool_t *p);

/** The key's kid (as given, or its thumbprint). */
AOIDC_API const char *aoidc_client_key_kid(const aoidc_client_key_t *k);

/** The algorithm k signs with; ps256 (the OP accepts PS256) matters for
 *  RSA keys only. */
AOIDC_API const char *aoidc_client_key_alg(const aoidc_client_key_t *k,
                                           bool ps256);

/** {"keys":[...]} with the public JWK (kty, kid, use "sig", alg, and the
 *  public members only) of every key in keys (of aoidc_client_key_t *),
 *  in p. */
AOIDC_API char *aoidc_client_keys_jwks(const apr_array_header_t *keys,
                                       apr_pool_t *p);

/** A signed client assertion: header {alg, kid, typ "JWT"}, claims iss =
 *  sub = client_id, aud, jti (128 random bits, base64url), iat = now,
 *  exp = now + AOIDC_ASSERTION_TTL_SEC. In p. Reasons: AOIDC_REASON_INTERNAL
 *  (the CSPRNG or the signature failed). */
AOIDC_API apr_status_t aoidc_client_assertion(char **out,
                                              const aoidc_client_key_t *k,
                                              bool ps256, const char *client_id,
                                              const char *aud, apr_time_t now,
                                              apr_pool_t *p, aoidc_err_t *err);

#endif
