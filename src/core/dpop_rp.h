/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DPoP as a client (RFC 9449 §4, §5, §7.1, §8, §9): the relying party's
 * proofs for the token endpoint (code exchange, refresh and the other
 * grants) and for the calls it makes with its access token (userinfo),
 * and the OP's demand for a server nonce. The validating side, at the
 * resource server, is dpop.h.
 *
 * The key is EC P-256 (ES256, the one algorithm every DPoP server takes)
 * derived from the passphrase (aoidc_dpop_key_derive): every process and
 * every node sharing the configuration proves possession of the same key,
 * so a token bound at one node's login is usable at another's refresh,
 * and no key file has to be distributed or kept.
 */
#ifndef AOIDC_CORE_DPOP_RP_H
#define AOIDC_CORE_DPOP_RP_H

#include "core/client_key.h"
#include "core/http.h"

/* the HKDF purpose of the DPoP key (seal.h): no other key shares it */
#define AOIDC_DPOP_KEY_PURPOSE "dpop-key"
/* RFC 9449 §8.1 allows any length; a nonce is echoed in every proof */
#define AOIDC_DPOP_NONCE_MAX 512

/** The DPoP key of a passphrase (secret, len bytes): EC P-256, the same
 *  for the same passphrase on every process and node, another for another
 *  passphrase (aoidc_client_key_derive_p256 with AOIDC_DPOP_KEY_PURPOSE).
 *  Lives in p. Reasons: AOIDC_REASON_INTERNAL. */
AOIDC_API apr_status_t aoidc_dpop_key_derive(aoidc_client_key_t **out,
                                             const char *secret, apr_size_t len,
                                             apr_pool_t *p, aoidc_err_t *err);

/** The RFC 7638 thumbprint of k's public key (base64url SHA-256): the
 *  dpop_jkt of an authorization request (RFC 9449 §10) and the cnf.jkt
 *  of the tokens bound to it. */
AOIDC_API const char *aoidc_dpop_key_jkt(const aoidc_client_key_t *k);

/** A DPoP proof (RFC 9449 §4.2): header {typ "dpop+jwt", alg, jwk (the
 *  public key only)}, claims jti (128 random bits, base64url), htm
 *  (method), htu (url without query and fragment), iat (now), and, when
 *  given, ath = base64url(SHA-256(access_token)) (§4.3, for a call made
 *  with the token) and nonce (§8). In p. Reasons: AOIDC_REASON_INTERNAL
 *  (the CSPRNG or the signature failed). */
AOIDC_API apr_status_t aoidc_dpop_proof(char **out, const aoidc_client_key_t *k,
                                        const char *method, const char *url,
                                        const char *access_token,
                                        const char *nonce, apr_time_t now,
                                        apr_pool_t *p, aoidc_err_t *err);

/** Whether resp asks for a (new) server nonce and gives one: the token
 *  endpoint's 400 {"error":"use_dpop_nonce"} (§8), or a resource's 401
 *  whose WWW-Authenticate names the DPoP scheme with
 *  error="use_dpop_nonce" (§9); and a DPoP-Nonce of 1 to
 *  AOIDC_DPOP_NONCE_MAX NQCHARs (%x21 / %x23-5B / %x5D-7E, §8.1).
 *  *nonce is that header's value (resp's string). */
AOIDC_API bool aoidc_dpop_nonce_challenge(const char **nonce,
                                          const aoidc_http_resp_t *resp,
                                          apr_pool_t *p);

#endif
