/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JWK Sets (RFC 7517) as published at an issuer's jwks_uri: parsed once per
 * fetch, keys imported into cjose and into OpenSSL verifiers (jwk_evp.c),
 * and selected by kid and algorithm.
 * Only public signature keys (kty RSA or EC, use absent or "sig") are kept;
 * symmetric keys from a JWKS are never used. RSA keys need a modulus of at
 * least AOIDC_JWK_RSA_MIN_BITS; EC keys a known crv (P-256, P-384, P-521)
 * whose coordinate size x and y match. Every key left out is listed with
 * the reason, for the glue to log (the core never logs).
 */
#ifndef AOIDC_CORE_JWK_H
#define AOIDC_CORE_JWK_H

#include <cjose/cjose.h>
#include <jansson.h>

#include "core/err.h"

#define AOIDC_JWKS_MAX_KEYS    64
#define AOIDC_JWK_RSA_MIN_BITS 2048

/* The key's OpenSSL verifiers (jwk_evp.c), opaque. */
typedef struct aoidc_jwk_evp_s aoidc_jwk_evp_t;

typedef struct {
    const char *kid; /* may be NULL */
    const char *kty; /* "RSA" or "EC" */
    const char *crv; /* EC only */
    const char *alg; /* optional restriction */
    cjose_jwk_t *key;
    /* made with key by aoidc_jwks_parse; NULL for a key built elsewhere
     * (a DPoP proof's), which cjose verifies */
    const aoidc_jwk_evp_t *evp;
} aoidc_jwk_t;

/* A member of "keys" that was left out, and why. why is one of:
 *   not_an_object, kty_unsupported (missing, oct, OKP, ...), use_not_sig,
 *   member_encoding (a member is not strict base64url),
 *   rsa_too_small (bits < AOIDC_JWK_RSA_MIN_BITS; bits says how many),
 *   ec_crv_unknown, ec_crv_mismatch (x/y not the size crv needs),
 *   import (cjose refused the key). */
typedef struct {
    int index;       /* position in "keys" */
    const char *kid; /* may be NULL */
    const char *why; /* static string, see above */
    int bits;        /* RSA modulus bits when known, else 0 */
} aoidc_jwk_skipped_t;

typedef struct {
    apr_array_header_t *keys;    /* of aoidc_jwk_t */
    apr_array_header_t *skipped; /* of aoidc_jwk_skipped_t, in p */
} aoidc_jwks_t;

/** Parse a JWKS document into *out; cjose keys are released by a cleanup of
 *  p. Unusable keys are skipped and listed in (*out)->skipped; a document that
 * is not a JWKS, or holds more than AOIDC_JWKS_MAX_KEYS keys, fails
 * (AOIDC_REASON_MALFORMED / AOIDC_REASON_TOO_LARGE). An empty usable set is not
 * an error. */
/** The base64url member name of the JWK object j, decoded into *raw (in
 *  p); false when it is absent, not a string or not base64url. */
AOIDC_API bool aoidc_jwk_member(unsigned char **raw, apr_size_t *n,
                                const json_t *j, const char *name,
                                apr_pool_t *p);

AOIDC_API apr_status_t aoidc_jwks_parse(aoidc_jwks_t **out, const char *in,
                                        apr_size_t len, apr_pool_t *p,
                                        aoidc_err_t *err);

/** aoidc_jwks_parse without the OpenSSL verifiers (every evp NULL): for a
 *  key only cjose will use, whose verifiers would be made for nothing (a
 *  DPoP proof's key, kept by dpop_keys.c as a cjose key alone). */
AOIDC_API apr_status_t aoidc_jwks_parse_cjose(aoidc_jwks_t **out,
                                              const char *in, apr_size_t len,
                                              apr_pool_t *p, aoidc_err_t *err);

/** The key for a token signed with alg (already allow-listed) and header
 *  kid (may be NULL): kty and curve must suit alg and a key's own "alg", if
 *  any, must equal it. Without kid, only an unambiguous single candidate is
 *  returned. NULL when there is none. */
AOIDC_API const aoidc_jwk_t *aoidc_jwks_find(const aoidc_jwks_t *jwks,
                                             const char *kid, const char *alg);

/** The OpenSSL public key of the imported key k (kty RSA, or EC with a
 *  known crv), from its JWK members j, and a prepared verify context for
 *  every algorithm k suits (RS*, PS* or the ES* of its curve; only k->alg
 *  when set). Made once per JWKS fetch; freed by a cleanup of p. Read-only
 *  afterwards: any number of threads may verify with it at once. NULL when
 *  OpenSSL refuses the key. */
AOIDC_API aoidc_jwk_evp_t *aoidc_jwk_evp_make(const aoidc_jwk_t *k,
                                              const json_t *j, apr_pool_t *p);

/** Check sig over in (the JWS signing input) for alg (RFC 7518 §3.3-3.5;
 *  ES* signatures in JOSE's r || s form). 1: valid; 0: not valid; -1: e has
 *  no verifier for alg. Leaves nothing on OpenSSL's error queue. */
AOIDC_API int aoidc_jwk_evp_verify(const aoidc_jwk_evp_t *e, const char *alg,
                                   const unsigned char *in, apr_size_t inlen,
                                   const unsigned char *sig, apr_size_t siglen);

/** aoidc_jwk_evp_verify for a caller that already has sha256, the SHA-256
 *  of in (may be NULL): RS256, PS256 and ES256 verify over it without
 *  hashing in again; other algorithms hash in as usual. The caller
 *  vouches that sha256 is the digest of exactly in. */
AOIDC_API int
aoidc_jwk_evp_verify_sha256(const aoidc_jwk_evp_t *e, const char *alg,
                            const unsigned char *in, apr_size_t inlen,
                            const unsigned char *sha256,
                            const unsigned char *sig, apr_size_t siglen);

#endif
