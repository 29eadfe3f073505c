/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The resource-server flow (AuthType bearer): a token in, the claims or a
 * reason out. A token seen before costs one SHA-256 and one cache lookup:
 * verdicts are cached under a key bound to everything that changes them
 * (issuer, audience, the typ rule), until min(exp, cache TTL); refusals of
 * introspected tokens for a short time. A JWS is keyed by the SHA-256 of
 * its signing input (which its RS256/PS256/ES256 check then reuses) and
 * its entry holds the signature: a verdict serves only that signature.
 * JWTs are verified with the issuer's keys (one rate-limited refetch on an
 * unknown kid); opaque tokens
 * are introspected (RFC 7662), one call per process for concurrent
 * requests with the same token, and at most the guard's cap in flight per
 * issuer.
 */
#ifndef AOIDC_CORE_RS_H
#define AOIDC_CORE_RS_H

#include "core/bearer.h"
#include "core/flight.h"
#include "core/flow.h"
#include "core/seal.h"
#include "core/token.h"

#define AOIDC_RS_NEGATIVE_TTL apr_time_from_sec(10)

typedef struct {
    const char *issuer;
    const char *audience;
    const aoidc_client_t *client; /* for introspection; client_id may be NULL */
    apr_int64_t leeway;
    bool require_typ;              /* AuthOIDCAccessTokenTyp at+jwt */
    apr_interval_time_t cache_ttl; /* AuthOIDCTokenCacheTTL */
    const char *remote_user_claim; /* must be present and not empty */
    int binding;                   /* AuthOIDCTokenBinding: AOIDC_BIND_* */
    apr_int64_t dpop_max_age;      /* seconds a proof's iat may be old */
    const char *claim_prefix;      /* claim header names made per L1 entry */
    /* AuthOIDCDPoPNonce on: the passphrase's "dpop-nonce" key (proofs
     * must carry a nonce of ours, dpop.h); NULL: no nonces */
    const aoidc_seal_t *dpop_nonce;
} aoidc_rs_conf_t;

/* AuthOIDCTokenBinding: which sender constraint a token must carry. A
 * token that carries one is held to it whatever this says (a DPoP-bound
 * token sent as plain Bearer is refused even with off). */
enum {
    AOIDC_BIND_OFF = 0,
    AOIDC_BIND_DPOP = 1,
    AOIDC_BIND_MTLS = 2,
    AOIDC_BIND_ANY = AOIDC_BIND_DPOP | AOIDC_BIND_MTLS,
};

typedef struct {
    const char *token;      /* as extracted by the glue; its b64token syntax is
                             * checked here (RFC 6750 §2.1), except for a token
                             * the L1 holds (it was checked on its way in) */
    aoidc_flight_t *flight; /* the process's single-flight table, or NULL */
    /* sender constraints (rs_bind.c); all may be NULL/false */
    bool dpop_scheme;       /* Authorization: DPoP (not Bearer) */
    const char *dpop_proof; /* the one DPoP header */
    const char *method;     /* for htm */
    const char *url;        /* scheme://host[:port]/path, for htu */
    /* the RFC 8705 thumbprint of the TLS client certificate, NULL when
     * there is none; asked only for a certificate-bound token */
    const char *(*cert_x5t)(void *baton, apr_pool_t *p);
    void *cert_baton;
} aoidc_rs_in_t;

typedef struct {
    const apr_array_header_t *claims; /* of aoidc_claim_t; read only */
    const char *user;                 /* REMOTE_USER: never NULL or empty */
    bool cache_hit;
    bool jws; /* the token has a JWS's shape (two dots), whatever the
                 verdict (for the metrics: token cache or introspection) */
    /* from the L1: what the backend gets of the claims, made for
     * claim_prefix; NULL otherwise */
    const aoidc_claims_view_t *claim_view;
    /* a fresh server nonce for the DPoP-Nonce header (RFC 9449 §8): set
     * when the proof's nonce was of the previous window; NULL otherwise */
    const char *dpop_nonce;
} aoidc_rs_out_t;

/** Authenticate a bearer token. Reasons: AOIDC_REASON_BEARER_SYNTAX (not
 *  one b64token), every token-validation reason of
 *  err.h, AOIDC_REASON_INACTIVE (also when a refusal is cached),
 *  AOIDC_REASON_NO_INTROSPECTION, AOIDC_REASON_NO_USER, upstream reasons
 *  (OP unreachable, bad answer, OP_BUSY). RFC 6750, RFC 9068, RFC 7662. */
AOIDC_API apr_status_t aoidc_rs_authenticate(aoidc_rs_out_t *out,
                                             const aoidc_rs_conf_t *c,
                                             const aoidc_flow_env_t *env,
                                             const aoidc_rs_in_t *in,
                                             aoidc_err_t *err);

/** The sender constraint of an authenticated token (RFC 9449 §7.1, RFC
 *  8705 §3): cnf, the value of the token's cnf claim (NULL: none; an L1
 *  hit has it from its entry, with no walk over the claims), against the
 *  request. Reasons:
 *  AOIDC_REASON_BINDING (a bound token sent without its binding, an unbound
 *  one where c->binding demands one, a certificate that is not the
 *  token's), AOIDC_REASON_DPOP_PROOF (no proof, a bad one, another key
 *  than cnf.jkt, a replayed jti), AOIDC_REASON_DPOP_NONCE (c->dpop_nonce
 *  set and the proof's nonce missing, forged or too old: the glue answers
 *  with a fresh one), AOIDC_REASON_STORE_UNAVAILABLE (the jti cache).
 *  *nonce: a fresh nonce to send on success, or NULL. Called by
 *  aoidc_rs_authenticate. */
AOIDC_API apr_status_t aoidc_rs_binding(const char **nonce, const char *cnf,
                                        const aoidc_rs_conf_t *c,
                                        const aoidc_flow_env_t *env,
                                        const aoidc_rs_in_t *in,
                                        aoidc_err_t *err);

/** The cache key of a token under c (exposed for tests): for a JWS (two
 *  dots) SHA-256(header.payload) XOR the namespace's SHA-256, else SHA-256
 *  of the namespace and the token.
 *  The namespace: the typ rule, issuer and audience. */
AOIDC_API void aoidc_rs_cache_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                                  const aoidc_rs_conf_t *c, const char *token);

#endif
