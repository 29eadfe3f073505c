/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthOIDCProfile (issue 12): one switch for the relying-party settings
 * of the FAPI 2.0 Security Profile (final, §5.3.2 and §5.4: "client
 * requirements"), and the table of what an explicit directive may not say
 * under it. The glue applies the implied settings (docs/security.md lists
 * each, with what it defends against) and refuses the conflicts at
 * configtest with both directives named.
 */
#ifndef AOIDC_CORE_PROFILE_H
#define AOIDC_CORE_PROFILE_H

#include "core/jws.h"
#include "core/token.h"

typedef enum {
    AOIDC_PROFILE_NONE = 0,
    AOIDC_PROFILE_FAPI2,
} aoidc_profile_t;

/* FAPI 2.0 §5.4.1: PS256, ES256 or EdDSA (Ed25519). The JWS verifier
 * (jws.h) has no EdDSA, so PS256 and ES256. */
#define AOIDC_FAPI2_ALGS (AOIDC_ALG_PS256 | AOIDC_ALG_ES256)

/* What the directives of a section say explicitly; -1 where a directive
 * is not set (the profile then decides). */
typedef struct {
    int par;           /* aoidc_par_mode_t (AuthOIDCPAR) */
    int pkce;          /* 1 S256, 0 off (AuthOIDCPKCE) */
    int response_type; /* aoidc_response_type_t (AuthOIDCResponseType) */
    int dpop;          /* 1 on, 0 off (AuthOIDCDPoP) */
    bool has_client;   /* AuthOIDCClientID: else no client rule applies (a
                        * server-wide profile over sections with clients) */
    aoidc_client_auth_t client_auth; /* AUTO when unset */
    bool has_key;                    /* AuthOIDCClientKey */
    bool has_cert;                   /* a client certificate (RFC 8705) */
    bool other_providers; /* AuthOIDCProvider: those clients have secrets */
} aoidc_profile_in_t;

/** "fapi2" or "none". */
AOIDC_API const char *aoidc_profile_name(aoidc_profile_t prof);

/** NULL when the settings fit prof; else the directive (with its value)
 *  that contradicts it, e.g. "AuthOIDCPAR off", or the one missing, e.g.
 *  "AuthOIDCClientKey (private_key_jwt) or a client certificate
 *  (tls_client_auth)". A static string. Under fapi2: AuthOIDCPAR off,
 *  AuthOIDCPKCE off, an AuthOIDCResponseType other than code,
 *  AuthOIDCDPoP off, AuthOIDCClientAuth client_secret_basic or
 *  client_secret_post, (automatic client authentication) neither a key
 *  nor a certificate, and an AuthOIDCProvider (its client authenticates
 *  with a shared secret or none, and would inherit the rest). */
AOIDC_API const char *aoidc_profile_conflict(aoidc_profile_t prof,
                                             const aoidc_profile_in_t *in);

#endif
