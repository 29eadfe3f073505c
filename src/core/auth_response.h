/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The authorization response at the redirect URI (RFC 6749 §4.1.2,
 * OIDC Core 3.1.2.5/3.1.2.6, RFC 9207).
 */
#ifndef AOIDC_CORE_AUTH_RESPONSE_H
#define AOIDC_CORE_AUTH_RESPONSE_H

#include "core/authz_request.h"
#include "core/err.h"

#define AOIDC_MAX_PARAM_LEN 2048
/* a whole response (query or form_post body): every parameter at its
 * bound, with an ID Token (AOIDC_MAX_TOKEN_LEN) */
#define AOIDC_AUTH_RESPONSE_MAX (8 * AOIDC_MAX_PARAM_LEN + AOIDC_MAX_TOKEN_LEN)

typedef struct {
    const char *code;
    const char *state;
    const char *iss;
    const char *error;             /* the OP refused: error code */
    const char *error_description; /* for the log only */
    const char *id_token;          /* hybrid and implicit responses */
} aoidc_auth_response_t;

/** Parse the callback query. state is required and must be base64url of
 *  sane length; code is required unless error is present; each value at
 *  most AOIDC_MAX_PARAM_LEN and printable. AOIDC_REASON_MALFORMED /
 *  AOIDC_REASON_STATE_MISSING / AOIDC_REASON_TOO_LARGE. */
AOIDC_API apr_status_t aoidc_auth_response_parse(aoidc_auth_response_t *out,
                                                 const char *query,
                                                 apr_pool_t *p,
                                                 aoidc_err_t *err);

/** The same for a response of type rt, from a query or a form_post body
 *  (both application/x-www-form-urlencoded): at most
 *  AOIDC_AUTH_RESPONSE_MAX bytes; id_token at most AOIDC_MAX_TOKEN_LEN,
 *  every other value AOIDC_MAX_PARAM_LEN. Unless error is present, code is
 *  required for AOIDC_RT_CODE and AOIDC_RT_CODE_ID_TOKEN, id_token for
 *  AOIDC_RT_CODE_ID_TOKEN and AOIDC_RT_ID_TOKEN (OIDC Core 3.3.2.5,
 *  3.2.2.5); a value the type does not return is ignored (NULL).
 *  aoidc_auth_response_parse is this with AOIDC_RT_CODE. */
AOIDC_API apr_status_t aoidc_auth_response_parse_for(aoidc_auth_response_t *out,
                                                     const char *input,
                                                     aoidc_response_type_t rt,
                                                     apr_pool_t *p,
                                                     aoidc_err_t *err);

/** The response came the way mode says (POST for AOIDC_RM_FORM_POST, GET
 *  for AOIDC_RM_QUERY; a response in the wrong place is refused rather
 *  than looked for in both, so a query-mode callback never reads a body
 *  and a form_post one never takes its parameters from a URL, which
 *  logs, referrers and history keep). AOIDC_REASON_MALFORMED. */
AOIDC_API apr_status_t aoidc_auth_response_check_mode(
    aoidc_response_mode_t mode, bool post, apr_pool_t *p, aoidc_err_t *err);

/* --- third-party initiated login (OIDC Core §4) ------------------------ */

#define AOIDC_LOGIN_HINT_MAX      256
#define AOIDC_INITIATE_TARGET_MAX 1024 /* = AOIDC_RETURN_URL_MAX (rp.h) */

typedef struct {
    const char *login_hint; /* for the authorization request, or NULL */
    const char *target;     /* a local path, or NULL: none was given */
} aoidc_initiate_t;

/** True when the redirect URI's parsed query q is a login initiation:
 *  iss present, and none of state, code, error, id_token (which make it
 *  an authorization response, however broken). */
AOIDC_API bool aoidc_initiate_is(const apr_table_t *q);

/** Check a login initiation "iss=..[&login_hint=..][&target_link_uri=..]"
 *  (OIDC Core §4; other parameters ignored): iss must be issuer exactly
 *  (AOIDC_REASON_ISS_PARAM: a login is never started at an OP the
 *  location does not name); target_link_uri, when given, must be on origin
 *  ("scheme://host[:port]" as the browser sees this server, compared
 *  exactly: aoidc_url_same_origin_path) or a local path, and then pass
 *  aoidc_url_is_local_path and fit AOIDC_INITIATE_TARGET_MAX
 *  (AOIDC_REASON_RETURN_URL: no open redirect); login_hint at most
 *  AOIDC_LOGIN_HINT_MAX bytes (AOIDC_REASON_TOO_LARGE). Syntax as
 *  aoidc_url_parse_query (AOIDC_REASON_MALFORMED). Results in p. */
AOIDC_API apr_status_t aoidc_initiate_parse(aoidc_initiate_t *out,
                                            const char *query,
                                            const char *issuer,
                                            const char *origin, apr_pool_t *p,
                                            aoidc_err_t *err);

/** RFC 9207 §2.4: iss must equal issuer when present, and is required
 *  when the OP advertises support. AOIDC_REASON_ISS_PARAM. */
AOIDC_API apr_status_t aoidc_auth_response_check_iss(
    const aoidc_auth_response_t *r, const char *issuer, bool required,
    apr_pool_t *p, aoidc_err_t *err);

#endif
