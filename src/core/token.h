/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Token endpoint messages (RFC 6749 §4.1.3, §4.1.4, §5.1, §5.2, §6; OIDC
 * Core 3.1.3.3): request bodies, client authentication, response parsing.
 */
#ifndef AOIDC_CORE_TOKEN_H
#define AOIDC_CORE_TOKEN_H

#include "core/err.h"
#include "core/http.h"

typedef struct {
    const char *access_token;
    const char *token_type;
    const char *id_token;      /* may be NULL (refresh) */
    const char *refresh_token; /* may be NULL */
    const char *scope;         /* may be NULL */
    apr_int64_t expires_in;    /* -1 when absent; at most AOIDC_TIME_MAX_SEC */
} aoidc_token_response_t;

/* AuthOIDCClientAuth: how the client authenticates at the OP's endpoints
 * (token, PAR, introspection, revocation). AUTO: private_key_jwt when
 * there is a key, else tls_client_auth when there is a certificate and no
 * secret, else basic or post as the metadata allows. */
typedef enum {
    AOIDC_CLIENT_AUTH_AUTO = 0,
    AOIDC_CLIENT_AUTH_BASIC,
    AOIDC_CLIENT_AUTH_POST,
    AOIDC_CLIENT_AUTH_PRIVATE_KEY_JWT,
    AOIDC_CLIENT_AUTH_TLS, /* RFC 8705 §2.1 tls_client_auth */
} aoidc_client_auth_t;

typedef struct {
    const char *client_id;
    const char *client_secret; /* NULL for a public client */
    bool use_post;             /* client_secret_post instead of basic */
    aoidc_client_auth_t method;
    /* AuthOIDCClientKey, of const aoidc_client_key_t * (client_key.h): the
     * first signs, all are published at ?jwks; NULL or empty: none */
    const apr_array_header_t *keys;
    /* RFC 9449 (dpop_rp.h): the key of the DPoP proofs sent with every
     * token request and with the access token; NULL: no DPoP. With
     * dpop_required (AuthOIDCProfile fapi2) a token_type other than DPoP
     * is refused. */
    const struct aoidc_client_key_st *dpop_key;
    bool dpop_required;
    /* AuthOIDCClientCert (RFC 8705): presented on every call this client
     * makes to its OP (and the OP's mtls_endpoint_aliases used); NULL:
     * none */
    const aoidc_http_cert_t *cert;
} aoidc_client_t;

/** Add client authentication: either *authorization gets "Basic ..." (RFC
 *  6749 §2.3.1: form-encoded id and secret) or the body gets client_id and
 *  client_secret. Returns the new body. */
AOIDC_API const char *aoidc_token_client_auth(const char **authorization,
                                              const char *body,
                                              const aoidc_client_t *c,
                                              apr_pool_t *p);

/** Parse a token endpoint answer. 200 with access_token and a Bearer or
 *  (RFC 9449 §5) DPoP token_type, in any case, succeeds (client.c refuses
 *  a DPoP one it sent no proof for); 400/401 with {"error":..} is
 *  AOIDC_REASON_TOKEN_ENDPOINT; anything else AOIDC_REASON_OP_BAD_RESPONSE.
 *  Every token is refused (AOIDC_REASON_OP_BAD_RESPONSE) unless it is safe
 *  to put into a header: access_token must be an RFC 6750 §2.1 b64token,
 *  refresh_token and id_token visible ASCII (RFC 6749 VSCHAR without
 *  space, %x21-7E); scope printable ASCII. The access and refresh tokens
 *  are at most AOIDC_MAX_TOKEN_LEN (they live in every session record),
 *  the ID Token at most AOIDC_MAX_OP_TOKEN_LEN (only its claims are kept
 *  when it is longer than AOIDC_MAX_TOKEN_LEN, rp.h).
 *  expires_in is clamped to AOIDC_TIME_MAX_SEC. */
AOIDC_API apr_status_t aoidc_token_response_parse(aoidc_token_response_t *out,
                                                  int status, const char *body,
                                                  apr_size_t len, apr_pool_t *p,
                                                  aoidc_err_t *err);

/** When the access token of tr expires, seen from now: 0 when the OP gave
 *  no (or a zero) expires_in, else now + expires_in clamped by
 *  aoidc_time_after (a hostile expires_in never overflows). */
AOIDC_API apr_time_t aoidc_token_expiry(const aoidc_token_response_t *tr,
                                        apr_time_t now);

#endif
