/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OAuth 2.0 bearer tokens at a resource server: extraction (RFC 6750 §2,
 * RFC 7235), JWT access token validation (RFC 9068, RFC 8725),
 * introspection responses (RFC 7662), challenges (RFC 6750 §3) and the
 * validated-token cache entry.
 */
#ifndef AOIDC_CORE_BEARER_H
#define AOIDC_CORE_BEARER_H

#include "core/claims.h"
#include "core/jws.h"
#include "core/jwt.h"

typedef struct {
    const char *issuer;   /* the location's issuer, exact */
    const char *audience; /* AuthOIDCAudience */
    apr_time_t now;
    apr_int64_t leeway;
    bool require_typ; /* typ must be at+jwt / application/at+jwt */
} aoidc_at_rules_t;

/** Token from an Authorization header value with the scheme Bearer (RFC
 *  6750 §2.1) or DPoP (RFC 9449 §7.1): *dpop tells which. The same
 *  results as aoidc_bearer_from_header otherwise. */
AOIDC_API apr_status_t aoidc_token_from_header(const char **token, bool *dpop,
                                               const char *authorization,
                                               apr_pool_t *p, aoidc_err_t *err);

/** aoidc_token_from_header without the b64token check of the token, for a
 *  caller that hands the token to aoidc_rs_authenticate, which checks it
 *  unless the token is one it has already seen (its L1): a repeated token
 *  is not scanned again. Still AOIDC_REASON_BEARER_SYNTAX for a scheme
 *  without a token. */
AOIDC_API apr_status_t aoidc_token_from_header_unchecked(
    const char **token, bool *dpop, const char *authorization, apr_pool_t *p,
    aoidc_err_t *err);

/** Token from an Authorization header value. APR_NOTFOUND (reason
 *  AOIDC_REASON_NO_CREDENTIALS) when the header is absent or uses another
 *  scheme; AOIDC_REASON_BEARER_SYNTAX for "Bearer" without a single
 *  b64token (RFC 6750 §2.1), e.g. two tokens or bad characters. */
AOIDC_API apr_status_t aoidc_bearer_from_header(const char **token,
                                                const char *authorization,
                                                apr_pool_t *p,
                                                aoidc_err_t *err);

/** True when token has b64token syntax (what a form or query value must
 *  also satisfy). */
AOIDC_API bool aoidc_bearer_token_syntax_ok(const char *token);

/** True when the token has the shape of a compact JWS (two dots). */
AOIDC_API bool aoidc_bearer_is_jwt(const char *token);

/** Validate a parsed JWT access token whose signature the caller has not
 *  yet checked: alg allow-list (asymmetric only), key by kid, signature,
 *  typ, then iss/aud/exp/nbf/iat. ID Tokens are refused
 *  (AOIDC_REASON_ID_TOKEN_AS_AT). typ must be absent, "JWT" or "at+jwt"
 *  (each with or without "application/", any case: RFC 7515 §4.1.9);
 *  any other typ (logout+jwt, secevent+jwt, dpop+jwt, ...) is
 *  AOIDC_REASON_TYP, as is a missing at+jwt when r->require_typ. The
 *  claims are read from jws->members when set, else from jws->payload;
 *  *reg: their registered claims, also on failure (aoidc_jwt_reg_t). */
AOIDC_API apr_status_t aoidc_bearer_validate_jwt(
    const aoidc_jws_t *jws, const aoidc_jwks_t *jwks, const aoidc_at_rules_t *r,
    aoidc_jwt_reg_t *reg, apr_pool_t *p, aoidc_err_t *err);

/** Judge an RFC 7662 answer: 200, JSON, active true, iss equal when
 *  present, aud holding the audience when present, exp not past when
 *  present. *claims is the answer (in p). Reasons: AOIDC_REASON_INACTIVE,
 *  _ISSUER, _AUDIENCE, _EXPIRED, or AOIDC_REASON_OP_BAD_RESPONSE. */
AOIDC_API apr_status_t aoidc_bearer_introspection_parse(
    json_t **claims, int status, const char *body, apr_size_t len,
    const aoidc_at_rules_t *r, apr_pool_t *p, aoidc_err_t *err);

/** Until when a validated token's verdict may be cached: now + ttl, or
 *  the token's exp (claims of a JWT or an introspection answer) when that
 *  is earlier. exp goes through aoidc_time_from_epoch, so a hostile value
 *  (INT64_MAX, negative) never overflows; a past or negative exp gives a
 *  time at or before now (do not cache). */
AOIDC_API apr_time_t aoidc_bearer_cache_until(const json_t *claims,
                                              apr_time_t now,
                                              apr_interval_time_t ttl);

/** aoidc_bearer_cache_until for a token whose exp is read already. */
AOIDC_API apr_time_t aoidc_bearer_cache_until_exp(const aoidc_jwt_num_t *exp,
                                                  apr_time_t now,
                                                  apr_interval_time_t ttl);

/** WWW-Authenticate value: Bearer realm="..."[, error="..."
 *  [, error_description="..."][, scope="..."]]. Quotes and backslashes in
 *  realm are escaped. */
/** RFC 9449 §7.1: the DPoP challenge, with the algorithms a proof may use
 *  (the asymmetric allow-list) and error / description when given. */
AOIDC_API char *aoidc_dpop_challenge(const char *realm, const char *error,
                                     const char *description, apr_pool_t *p);

AOIDC_API char *aoidc_bearer_challenge(const char *realm, const char *error,
                                       const char *description,
                                       const char *scope, apr_pool_t *p);

/* Validated-token cache entry: {v1, valid-until, active, claims}, or, for
 * a verdict on a JWS (kept under the digest of its signing input, not of
 * the whole token: rs.c), {v2, valid-until, active, signature, claims}
 * with the raw signature bytes the verdict was reached for. */
AOIDC_API void aoidc_bearer_entry_encode(unsigned char **out, apr_size_t *len,
                                         apr_time_t until, bool active,
                                         const apr_array_header_t *claims,
                                         apr_pool_t *p);

/** aoidc_bearer_entry_encode with the JWS signature sig (siglen bytes) the
 *  verdict belongs to: a v2 entry; siglen 0 gives the v1 entry. */
AOIDC_API void
aoidc_bearer_entry_encode_sig(unsigned char **out, apr_size_t *len,
                              apr_time_t until, bool active,
                              const unsigned char *sig, apr_size_t siglen,
                              const apr_array_header_t *claims, apr_pool_t *p);

/** Decode a v1 or v2 entry; anything else (another version, truncated,
 *  trailing bytes) is AOIDC_REASON_INTERNAL, for the caller a miss. Claim
 *  strings point into buf. */
AOIDC_API apr_status_t aoidc_bearer_entry_decode(
    apr_time_t *until, bool *active, apr_array_header_t **claims,
    const unsigned char *buf, apr_size_t len, apr_pool_t *p, aoidc_err_t *err);

/** aoidc_bearer_entry_decode, also giving the signature of a v2 entry
 *  (*sig pointing into buf); *sig NULL and *siglen 0 for a v1 entry. */
AOIDC_API apr_status_t aoidc_bearer_entry_decode_sig(
    apr_time_t *until, bool *active, const unsigned char **sig,
    apr_size_t *siglen, apr_array_header_t **claims, const unsigned char *buf,
    apr_size_t len, apr_pool_t *p, aoidc_err_t *err);

#endif
