/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The authorization response at the redirect URI (RFC 6749 §4.1.2,
 * OIDC Core 3.1.2.5/3.1.2.6, RFC 9207).
 */
#ifndef AOIDC_CORE_AUTH_RESPONSE_H
#define AOIDC_CORE_AUTH_RESPONSE_H

#include "core/err.h"

#define AOIDC_MAX_PARAM_LEN 2048

typedef struct {
    const char *code;
    const char *state;
    const char *iss;
    const char *error;             /* the OP refused: error code */
    const char *error_description; /* for the log only */
} aoidc_auth_response_t;

/** Parse the callback query. state is required and must be base64url of
 *  sane length; code is required unless error is present; each value at
 *  most AOIDC_MAX_PARAM_LEN and printable. AOIDC_REASON_MALFORMED /
 *  AOIDC_REASON_STATE_MISSING / AOIDC_REASON_TOO_LARGE. */
AOIDC_API apr_status_t aoidc_auth_response_parse(aoidc_auth_response_t *out,
                                                 const char *query,
                                                 apr_pool_t *p,
                                                 aoidc_err_t *err);

/** RFC 9207 §2.4: iss must equal issuer when present, and is required
 *  when the OP advertises support. AOIDC_REASON_ISS_PARAM. */
AOIDC_API apr_status_t aoidc_auth_response_check_iss(
    const aoidc_auth_response_t *r, const char *issuer, bool required,
    apr_pool_t *p, aoidc_err_t *err);

#endif
