/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compact JWS (RFC 7515) parsing and verification, following RFC 8725:
 * the algorithm is checked against an allow-list and against the key type
 * before any signature check; "none" is never allowed; HS* only with a
 * configured client secret, never with a key from a JWKS. Signatures by JWKS
 * keys are checked with the OpenSSL verifiers made at JWKS import (jwk.h), over
 * the parts aoidc_jws_parse decoded: a token is decoded once. cjose checks HS*
 * and keys without such verifiers (DPoP proof keys). Keys come from the
 * issuer's JWKS by kid only: jku, x5u, jwk and x5c headers are ignored. Any
 * crit header is refused, since we implement no extensions.
 */
#ifndef AOIDC_CORE_JWS_H
#define AOIDC_CORE_JWS_H

#include <jansson.h>

#include "core/json.h"
#include "core/jwk.h"

enum {
    AOIDC_ALG_RS256 = 1 << 0,
    AOIDC_ALG_RS384 = 1 << 1,
    AOIDC_ALG_RS512 = 1 << 2,
    AOIDC_ALG_PS256 = 1 << 3,
    AOIDC_ALG_PS384 = 1 << 4,
    AOIDC_ALG_PS512 = 1 << 5,
    AOIDC_ALG_ES256 = 1 << 6,
    AOIDC_ALG_ES384 = 1 << 7,
    AOIDC_ALG_ES512 = 1 << 8,
    AOIDC_ALG_HS256 = 1 << 9,
    AOIDC_ALG_HS384 = 1 << 10,
    AOIDC_ALG_HS512 = 1 << 11,
};
#define AOIDC_ALGS_ASYMMETRIC 0x1ffu
#define AOIDC_ALGS_HMAC       0xe00u

typedef struct {
    const char *compact;
    apr_size_t len;
    json_t *header;  /* NULL after aoidc_jws_parse_lean read it in place */
    json_t *payload; /* a JSON object: the claims; NULL after
                        aoidc_jws_parse_lean read them as members */
    aoidc_json_members_t members; /* m set when payload is NULL */
    const char *alg;
    const char *kid; /* NULL when absent */
    const char *typ; /* NULL when absent */
    /* set by aoidc_jws_parse; a record built by hand may leave sig NULL
     * (then aoidc_jws_verify decodes the signature from compact) */
    const unsigned char *sig; /* the decoded signature */
    apr_size_t siglen;
    apr_size_t signed_len; /* bytes of compact before the second '.' */
    /* SHA-256 of compact[0, signed_len) when the caller has it (rs.c, which
     * keys its cache with it), else NULL (aoidc_jws_parse leaves it so):
     * RS256, PS256 and ES256 then verify without hashing again */
    const unsigned char *sha256;
} aoidc_jws_t;

/** The allow-list bit of an algorithm name; 0 for unknown names and "none". */
AOIDC_API unsigned aoidc_jws_alg_bit(const char *alg);

/** Split and decode a compact JWS of len bytes (at most
 *  AOIDC_MAX_OP_TOKEN_LEN: a caller holding a client's token bounds it to
 *  AOIDC_MAX_TOKEN_LEN first, as bearer.c and logout_token.c do). Header and
 * payload must be JSON objects, alg a string, kid/typ strings when present;
 * crit is refused (AOIDC_REASON_CRIT). Other failures:
 * AOIDC_REASON_JWS_MALFORMED. Results live in p. */
AOIDC_API apr_status_t aoidc_jws_parse(aoidc_jws_t **out, const char *compact,
                                       apr_size_t len, apr_pool_t *p,
                                       aoidc_err_t *err);

/** aoidc_jws_parse for a caller that reads no header member but alg, kid
 *  and typ, and reads the claims from payload or from members: the same
 *  checks and verdicts, except that header is NULL when the header could
 *  be read in place (aoidc_json_fast_jose: no objects or arrays in it), and
 *  payload is NULL, with members.m set, when the claims could be read as
 *  members (aoidc_json_fast_members). Each saves building jansson values.
 *  compact is not copied: it must live as long as *out (a request's
 *  token, parsed into the request's pool). */
AOIDC_API apr_status_t aoidc_jws_parse_lean(aoidc_jws_t **out,
                                            const char *compact, apr_size_t len,
                                            apr_pool_t *p, aoidc_err_t *err);

/** Verify the signature. allowed is a mask of AOIDC_ALG_*; hmac_secret (may
 *  be NULL) is the only key ever used for HS*. Reasons: AOIDC_REASON_ALG,
 *  AOIDC_REASON_KEY_UNKNOWN, AOIDC_REASON_SIGNATURE. */
AOIDC_API apr_status_t aoidc_jws_verify(const aoidc_jws_t *jws,
                                        const aoidc_jwks_t *jwks,
                                        unsigned allowed,
                                        const char *hmac_secret, apr_pool_t *p,
                                        aoidc_err_t *err);

/** Left half of the alg's hash of s, base64url: OIDC Core 3.3.2.11 at_hash.
 *  NULL for algorithms without a defined hash. */
AOIDC_API const char *aoidc_jws_half_hash(const char *alg, const char *s,
                                          apr_pool_t *p);

#endif
