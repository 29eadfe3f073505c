/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two OP-initiated logout flows as the glue calls them (design B10:
 * inputs in, outcome out): Back-Channel Logout 1.0 §2.5-§2.8 and
 * Front-Channel Logout 1.0 §2. Services layer over logout_token.h and
 * session_index.h. The glue gathers the inputs (raw body, query, the OP's
 * JWKS), ends each session of the outcome the way it ends any session
 * (store entries, never a cookie: the OP's request carries none of ours),
 * then calls aoidc_session_index_forget, and answers:
 *
 *   back-channel   APR_SUCCESS: 200 (also when no session matched: §2.8
 *                  says the logout "succeeded"); a rejection: 400 with a
 *                  JSON {"error":"invalid_request"} body; AOIDC_STORE_IS_DOWN:
 *                  503. Both with Cache-Control: no-store.
 *   front-channel  APR_SUCCESS: 200 with an empty page; a rejection: 400;
 *                  Cache-Control: no-cache, no-store either way.
 */
#ifndef AOIDC_CORE_LOGOUT_H
#define AOIDC_CORE_LOGOUT_H

#include "core/session_index.h"

typedef struct {
    const char *body; /* the POST body as read (need not be NUL-terminated) */
    apr_size_t len;   /* read at most AOIDC_LOGOUT_BODY_MAX + 1 bytes */
    const aoidc_jwks_t *jwks;
    aoidc_logout_token_rules_t rules; /* issuer, client, secret, now, leeway */
    const aoidc_session_index_t *index;
} aoidc_backchannel_in_t;

typedef struct {
    aoidc_logout_token_t *token; /* the validated token (NULL on failure) */
    apr_array_header_t *refs;    /* of aoidc_session_ref_t: sessions to end */
} aoidc_backchannel_out_t;

/** Parse the body, validate the token, mark its jti used (only a token that
 *  passed every check does), and find the sessions it ends. Everything in
 *  p. Reasons: those of aoidc_logout_body_parse and
 *  aoidc_logout_token_validate (AOIDC_REASON_KEY_UNKNOWN: refetch the JWKS
 *  and call again; nothing was marked yet), AOIDC_REASON_LOGOUT_REPLAY; a
 *  store status (AOIDC_STORE_IS_DOWN) with err untouched. */
AOIDC_API apr_status_t aoidc_backchannel_logout(
    aoidc_backchannel_out_t *out, const aoidc_backchannel_in_t *in,
    apr_pool_t *p, aoidc_err_t *err);

/** Check the front-channel query (aoidc_logout_frontchannel_parse) against
 *  the index's issuer and find the sessions of that sid: *refs as above.
 *  Reasons: AOIDC_REASON_MALFORMED, AOIDC_REASON_ISSUER; store statuses. */
AOIDC_API apr_status_t
aoidc_frontchannel_logout(apr_array_header_t **refs, const char *query,
                          const aoidc_session_index_t *ix, apr_time_t now,
                          apr_pool_t *p, aoidc_err_t *err);

#endif
