/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logout requests from the OP: the Back-Channel Logout token (OIDC
 * Back-Channel Logout 1.0 §2.4, validated as §2.6 says), the POST body that
 * carries it (§2.5), and the Front-Channel Logout query (OIDC Front-Channel
 * Logout 1.0 §2). Protocol layer: pure functions of their inputs and "now";
 * the jti replay cache and the session indexes live over store.h in
 * core/session_index.h. Nothing here ends a session; the caller does, with
 * the sid/sub this unit hands back.
 */
#ifndef AOIDC_CORE_LOGOUT_TOKEN_H
#define AOIDC_CORE_LOGOUT_TOKEN_H

#include "core/jws.h"

/** The events member a logout token must carry (§2.4). */
#define AOIDC_LOGOUT_EVENT "http://schemas.openid.net/event/backchannel-logout"

/** How old a logout token may be (seconds since iat, before leeway) when no
 *  max_age is given: the OP sends it at once, so 5 minutes is generous and
 *  bounds how long the jti replay cache must remember a jti. */
#define AOIDC_LOGOUT_TOKEN_MAX_AGE 300

/** The largest POST body accepted at the back-channel endpoint (bytes).
 *  A logout token is a few hundred bytes; 64 KiB leaves room for OPs that
 *  add claims, and is checked before anything is parsed. */
#define AOIDC_LOGOUT_BODY_MAX (64 * 1024)

/** Longest sid accepted (bytes), from a logout token or the front-channel
 *  query. sids seen in the wild (UUIDs, nanoids, base64url) are < 100. */
#define AOIDC_LOGOUT_SID_MAX 255

typedef struct {
    const char *issuer;    /* iss must equal it exactly */
    const char *client_id; /* aud (string or array) must hold it */
    /* The same meaning as aoidc_id_token_rules_t.client_secret, and the
     * glue passes the same value: the signature algorithms are exactly
     * those aoidc_id_token_algs() allows for ID Tokens (asymmetric ones
     * from the JWKS by kid; HS* only with this secret as the key; "none"
     * never). */
    const char *client_secret;
    apr_time_t now;
    apr_int64_t leeway;  /* seconds, for iat/exp/nbf */
    apr_int64_t max_age; /* seconds since iat; <= 0: the default above */
} aoidc_logout_token_rules_t;

typedef struct {
    const char *sub; /* NULL when absent; at least one of sub, sid is set */
    const char *sid; /* NULL when absent; checked by aoidc_logout_sid_ok */
    const char *jti;
    apr_time_t iat;
    /* The instant after which these rules refuse the token anyway
     * (iat + max_age + leeway): how long its jti must be remembered. */
    apr_time_t replay_until;
} aoidc_logout_token_t;

/** Validate a Back-Channel Logout token of len bytes (§2.6): compact JWS,
 *  typ absent or "logout+jwt" / "application/logout+jwt" (any case), the
 *  signature under the ID Token algorithm policy, iss exact, aud holds
 *  client_id, iat present, not in the future (beyond leeway) and not older
 *  than max_age + leeway, exp and nbf judged when present, jti a non-empty
 *  string, events an object whose AOIDC_LOGOUT_EVENT member is an object,
 *  no nonce, and sub and/or sid (non-empty strings; sid well formed).
 *  *out and its strings live in p.
 *  Reasons: those of aoidc_jws_parse and aoidc_jws_verify (_JWS_MALFORMED,
 *  _CRIT, _ALG, _KEY_UNKNOWN: a JWKS refetch may help, _SIGNATURE), _TYP,
 *  _ISSUER, _AUDIENCE, _IAT (missing or too old), _NOT_YET_VALID (iat or
 *  nbf in the future), _EXPIRED, and AOIDC_REASON_LOGOUT_TOKEN for the
 *  logout-specific rules (jti, events, nonce, sub/sid). */
AOIDC_API apr_status_t aoidc_logout_token_validate(
    aoidc_logout_token_t **out, const char *token, apr_size_t len,
    const aoidc_jwks_t *jwks, const aoidc_logout_token_rules_t *r,
    apr_pool_t *p, aoidc_err_t *err);

/** The logout_token parameter of a back-channel POST body (§2.5,
 *  application/x-www-form-urlencoded) of len bytes; the body need not be
 *  NUL-terminated. Exactly one logout_token, non-empty and at most
 *  AOIDC_MAX_TOKEN_LEN; other parameters are ignored, none may repeat.
 *  *token lives in p. Reasons: AOIDC_REASON_TOO_LARGE (body over
 *  AOIDC_LOGOUT_BODY_MAX, token too long), AOIDC_REASON_MALFORMED (bad
 *  encoding, NUL, a repeated or missing logout_token). */
AOIDC_API apr_status_t aoidc_logout_body_parse(const char **token,
                                               const char *body, apr_size_t len,
                                               apr_pool_t *p, aoidc_err_t *err);

/** True when sid is 1..AOIDC_LOGOUT_SID_MAX bytes of ALPHA / DIGIT /
 *  "-._~+/=:@" (what OPs use; nothing that needs escaping in a log line or
 *  a store key context). */
AOIDC_API bool aoidc_logout_sid_ok(const char *sid);

/** Front-Channel Logout 1.0 §2 (GET ?logout=frontchannel&iss=..&sid=..):
 *  both parameters are required (we always ask for
 *  frontchannel_logout_session_required semantics, since ending sessions
 *  by sid alone is the only safe choice for a GET anyone can trigger), iss
 *  must equal issuer exactly and sid pass aoidc_logout_sid_ok. The caller
 *  then ends the sessions of (issuer, sid) only. Reasons:
 *  AOIDC_REASON_MALFORMED (missing or bad sid), AOIDC_REASON_ISSUER. */
AOIDC_API apr_status_t aoidc_logout_frontchannel_check(const char *iss,
                                                       const char *sid,
                                                       const char *issuer,
                                                       apr_pool_t *p,
                                                       aoidc_err_t *err);

/** The same from the raw query string (parsed with aoidc_url_parse_query:
 *  no repeated names): *sid is the checked sid, in p. */
AOIDC_API apr_status_t aoidc_logout_frontchannel_parse(const char **sid,
                                                       const char *query,
                                                       const char *issuer,
                                                       apr_pool_t *p,
                                                       aoidc_err_t *err);

#endif
