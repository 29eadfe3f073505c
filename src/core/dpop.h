/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sender-constrained access tokens at the resource server.
 *
 * DPoP (RFC 9449): a proof JWT from the DPoP header, checked per §4.3:
 * typ "dpop+jwt", an asymmetric algorithm of the allow-list, a public
 * key in the header's "jwk" (never a private one), the signature by that
 * key, htm and htu equal to this request (htu without query and fragment,
 * compared after RFC 3986 §6.2.2/§6.2.3 normalisation of scheme, host and
 * default port), iat within the window, a jti (single use: the caller
 * keeps it in the replay cache), and ath = base64url(SHA-256(token)).
 * The result is the key's RFC 7638 thumbprint, which must equal the
 * token's cnf.jkt.
 *
 * Certificate binding (RFC 8705 §3): cnf["x5t#S256"] equals
 * base64url(SHA-256(DER of the TLS client certificate)).
 */
#ifndef AOIDC_CORE_DPOP_H
#define AOIDC_CORE_DPOP_H

#include <jansson.h>

#include "core/err.h"
#include "core/jwk.h"
#include "core/seal.h"

#define AOIDC_DPOP_MAX_PROOF 8192 /* a proof with an RSA-4096 jwk fits */
#define AOIDC_DPOP_MAX_JTI   256
/* how old a proof's iat may be (RFC 9449 §11.1: a short window; the jti
 * replay cache keeps each jti this long plus the leeway) */
#define AOIDC_DPOP_MAX_AGE 120

typedef struct {
    const char *method;       /* the request's method, e.g. "GET" */
    const char *url;          /* scheme://host[:port]/path as we are reached */
    const char *access_token; /* for ath */
    apr_time_t now;
    apr_int64_t max_age; /* seconds an iat may lie in the past */
    apr_int64_t leeway;  /* seconds an iat may lie in the future */
    unsigned algs;       /* mask of AOIDC_ALG_*, asymmetric only */
} aoidc_dpop_rules_t;

typedef struct {
    const char *jkt; /* RFC 7638 thumbprint (base64url SHA-256) of the key */
    const char *jti;
    apr_time_t iat;
    const char *nonce; /* the proof's nonce claim, NULL when it has none */
} aoidc_dpop_proof_t;

/** Check the proof against the rules. Reason AOIDC_REASON_DPOP_PROOF for
 *  every failure (err->detail says which check). Results in p. */
AOIDC_API apr_status_t aoidc_dpop_check(aoidc_dpop_proof_t *out,
                                        const char *proof,
                                        const aoidc_dpop_rules_t *r,
                                        apr_pool_t *p, aoidc_err_t *err);

/* Server nonces (RFC 9449 §8, §9), stateless: a nonce is the number of
 * its time window (AOIDC_DPOP_NONCE_WINDOW seconds) and an HMAC of it
 * under the passphrase's "dpop-nonce" key, so every node sharing the
 * passphrase issues and accepts the same nonces without a store. A nonce
 * of the current or the previous window is accepted: it lives one to two
 * windows. */
#define AOIDC_DPOP_NONCE_WINDOW 60

typedef enum {
    AOIDC_DPOP_NONCE_CURRENT = 0, /* this window's: nothing to send */
    AOIDC_DPOP_NONCE_STALE,       /* the previous window's: accepted, send
                                   * a fresh one (DPoP-Nonce) */
    AOIDC_DPOP_NONCE_BAD,         /* missing, older, from the future, forged
                                   * or under another passphrase */
} aoidc_dpop_nonce_t;

/** The nonce for the window holding now ("<window>.<base64url MAC>", in
 *  p). */
AOIDC_API const char *aoidc_dpop_nonce(const aoidc_seal_t *k, apr_time_t now,
                                       apr_pool_t *p);

/** Judge a proof's nonce (NULL: missing) against now's window. Constant
 *  time in the MAC comparison. */
AOIDC_API aoidc_dpop_nonce_t aoidc_dpop_nonce_check(const aoidc_seal_t *k,
                                                    const char *nonce,
                                                    apr_time_t now,
                                                    apr_pool_t *p);

/** The proof's public key jwk (whose thumbprint is jkt) as a one-key JWKS
 *  for aoidc_jws_verify, by the same import rules as an issuer's keys (RSA
 *  size, curve, strict base64url, "use" sig, "alg" restricting). Imported
 *  once per thread and kept by thumbprint (dpop_keys.c); the key is valid
 *  until this thread's next call, so use it at once and keep nothing.
 *  APR_EINVAL when the key is unusable. */
AOIDC_API apr_status_t aoidc_dpop_proof_key(const aoidc_jwks_t **out,
                                            const json_t *jwk, const char *jkt,
                                            apr_pool_t *p);

/** The RFC 7638 thumbprint of a public JWK (JSON object; RSA or EC);
 *  NULL when it lacks a required member or has a private one. */
AOIDC_API const char *aoidc_jwk_thumbprint(const json_t *jwk, apr_pool_t *p);

/** RFC 8705 §3.1: base64url(SHA-256(der)), to compare with cnf x5t#S256. */
AOIDC_API const char *aoidc_cert_thumbprint(const unsigned char *der,
                                            apr_size_t len, apr_pool_t *p);

/* longest SSL_CLIENT_CERT taken (a certificate of 12 KiB DER) */
#define AOIDC_CERT_PEM_MAX (16 * 1024)

/** The same for the first PEM certificate of pem (len bytes; mod_ssl's
 *  SSL_CLIENT_CERT): the SHA-256 of the base64 between its BEGIN and END
 *  CERTIFICATE lines, decoded without parsing the certificate (a
 *  malformed one just matches no cnf). NULL when there is no such block,
 *  its base64 is bad, it is too short to be a certificate, or len is
 *  over AOIDC_CERT_PEM_MAX. */
AOIDC_API const char *aoidc_cert_thumbprint_pem(const char *pem, apr_size_t len,
                                                apr_pool_t *p);

/** The confirmation members of a token's claims (its "cnf" member, given
 *  as the JSON text the claim list keeps; NULL when there is none): *jkt
 *  and *x5t (each NULL when absent). AOIDC_REASON_MALFORMED when cnf is
 *  not an object or a member is not a string. */
AOIDC_API apr_status_t aoidc_cnf_parse(const char **jkt, const char **x5t,
                                       const char *cnf_json, apr_pool_t *p,
                                       aoidc_err_t *err);

#endif
