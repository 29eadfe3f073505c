/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relying-party flows (AuthType oidc), one call each: login start,
 * callback, session hit (with refresh), logout. The glue gathers the inputs
 * from the request, calls one of these, and applies the outcome (cookies,
 * a redirect, the claims for the backend) or answers the reason.
 *
 * Session tickets: the session cookie carries "TAG.ID.SECRET": TAG names
 * the issuer and client (aoidc_rp_tag), ID and SECRET are two 128-bit
 * random base64url strings. Several identities on one host (two apps with
 * different OPs or clients) keep their own tickets in the one cookie,
 * joined by '~', and never end each other's sessions. Every stored entry of a
 * session lives under a key of ID's group (core/store.h), and is sealed
 * (AES-256-GCM) under a key derived from the passphrase and SECRET, with ID as
 * associated data: a store dump, even with the passphrase, opens nothing
 * without the browser's cookie, and the store never sees SECRET.
 */
#ifndef AOIDC_CORE_RP_H
#define AOIDC_CORE_RP_H

#include "core/authz_request.h"
#include "core/flow.h"
#include "core/seal.h"
#include "core/session.h"
#include "core/state.h"
#include "core/token.h"

#define AOIDC_TAG_LEN         6
#define AOIDC_TICKET_LEN      52 /* TAG '.' ID(22) '.' SECRET(22) */
#define AOIDC_TICKETS_MAX     4  /* identities sharing one browser cookie */
#define AOIDC_RETURN_URL_MAX  1024
#define AOIDC_STATE_BYTES_MAX 4096 /* all state cookies of a browser */
/* The encoded hot record (claims and tokens, not the ID Token): room for a
 * 16 KB claim beside the tokens, and, sealed, under the shm store's 32 KB
 * entry bound (store_socache.c). */
#define AOIDC_SESSION_MAX (24 * 1024)
/* What a session holds instead of an ID Token longer than
 * AOIDC_MAX_TOKEN_LEN: not a JWS (a refresh then compares with the
 * session's sub only), never sent as id_token_hint, and not "the entry is
 * gone" at logout. */
#define AOIDC_ID_TOKEN_NOT_KEPT "-"
#define AOIDC_REFRESH_LOCK_TTL  apr_time_from_sec(30)
#define AOIDC_REFRESH_BACKOFF   apr_time_from_sec(30)
/* Automatic restarts of a failed login attempt (rp_callback): at most
 * AOIDC_RESTART_MAX per browser within AOIDC_RESTART_WINDOW, counted in a
 * small cookie sealed with the state seal. */
#define AOIDC_RESTART_MAX    3
#define AOIDC_RESTART_WINDOW apr_time_from_sec(60)
#define AOIDC_RESTART_COOKIE "aoidc_restart"

typedef struct {
    const char *issuer;
    const aoidc_client_t *client; /* id + secret, built once per config */
    const aoidc_seal_t *seal_session;
    const aoidc_seal_t *seal_state;
    const aoidc_seal_t *seal_index; /* session index members */
    const char *scope;              /* contains openid */
    bool pkce;
    bool userinfo;
    bool revoke_on_logout; /* AuthOIDCRevokeTokensOnLogout */
    apr_int64_t leeway;    /* seconds */
    aoidc_session_limits_t limits;
    const char *remote_user_claim;
    const char *claim_prefix; /* of the claim headers: names made once per
                               * L1 entry (aoidc_session_t.claim_view) */
    const char *cookie_name;  /* the session cookie */
    const char *tag;          /* aoidc_rp_tag(issuer, client_id) */
    int state_max_cookies;    /* login attempts kept per browser */
    const apr_array_header_t *extra_params; /* AuthOIDCAuthRequestParams */
    apr_interval_time_t refresh_before;     /* AuthOIDCRefreshBeforeExpiry */
    apr_interval_time_t state_ttl;
    bool cookie_store; /* AuthOIDCSessionStore cookie: sessions live in
                        * sealed chunked cookies (core/cookie_session.h),
                        * not in env->sessions */
    /* AuthOIDCResponseType / AuthOIDCResponseMode (issue 11): hybrid and
     * implicit need form_post (the glue refuses them otherwise) */
    aoidc_response_type_t response_type;
    aoidc_response_mode_t response_mode;
    aoidc_par_mode_t par; /* AuthOIDCPAR (issue 12) */
    /* RFC 9449 (AuthOIDCDPoP, AuthOIDCProfile fapi2): the proofs' key
     * (dpop_rp.h), NULL without DPoP; dpop_required refuses unbound
     * tokens; iss_required needs RFC 9207 iss whatever the metadata says;
     * algs (a mask of AOIDC_ALG_*, 0: the default list) narrows the ID
     * Token algorithms (profile.h) */
    const struct aoidc_client_key_st *dpop_key;
    bool dpop_required;
    bool iss_required;
    unsigned algs;
} aoidc_rp_conf_t;

/* What AuthOIDCSessionStore cookie left out of a session to fit its
 * cookies, in this order (rp_cookie.c): the ID Token (logout then asks the
 * OP without id_token_hint), the largest claims (never sub or the
 * REMOTE_USER claim), the refresh token (no refresh: the session lasts as
 * its limits say, with the access token it has), the access token. */
typedef struct {
    bool id_token;
    int claims;
    bool refresh_token;
    bool access_token;
} aoidc_cookie_fit_t;

/** The tag of an identity: the first AOIDC_TAG_LEN base64url characters of
 *  SHA-256(issuer || 0x00 || client_id), in p (computed at config time). */
AOIDC_API const char *aoidc_rp_tag(const char *issuer, const char *client_id,
                                   apr_pool_t *p);

/* --- login start ------------------------------------------------------ */

typedef struct {
    const char *return_to;     /* where the user was going (path + query) */
    const char *redirect_uri;  /* absolute */
    const char *cookie_header; /* for the state cookies already there */
    const char *post_body;     /* a form POST to replay after the login
                                * (core/replay.h), or NULL */
    const char *login_hint;    /* third-party initiated login, or NULL */
} aoidc_login_in_t;

typedef struct {
    const char *location;        /* the authorization request */
    apr_array_header_t *cookies; /* of aoidc_cookie_op_t */
    const char *state;           /* for a fingerprint in the log */
} aoidc_login_out_t;

/** A fresh login attempt: state, nonce and PKCE verifier sealed into their
 *  own cookie (with the return URL, at most AOIDC_RETURN_URL_MAX bytes: a
 *  longer one is cut to its path, or "/"), the oldest attempts' cookies
 *  deleted so that at most c->state_max_cookies and AOIDC_STATE_BYTES_MAX
 *  bytes remain, and the authorization request URL. Writes nothing to any
 *  store. With in->post_body, the body is sealed in the state too, and the
 *  return URL is never cut (the POST must reach its own URL). Reasons:
 *  upstream (discovery), AOIDC_REASON_INTERNAL, AOIDC_REASON_TOO_LARGE
 *  (a body that fails aoidc_replay_body_ok, a return URL over
 *  AOIDC_RETURN_URL_MAX with a body, or a state cookie that would not fit
 *  AOIDC_STATE_BYTES_MAX on its own). With pushed authorization requests
 *  (c->par; RFC 9126) the parameters are POSTed to the OP first and the
 *  location carries only client_id and request_uri; then also
 *  AOIDC_REASON_OP_BAD_RESPONSE (AuthOIDCPAR on, or an OP requiring PAR,
 *  without an endpoint; the OP's refusal), AOIDC_REASON_OP_BUSY and the
 *  transport reasons. */
AOIDC_API apr_status_t aoidc_rp_login(aoidc_login_out_t *out,
                                      const aoidc_rp_conf_t *c,
                                      const aoidc_flow_env_t *env,
                                      const aoidc_login_in_t *in,
                                      aoidc_err_t *err);

/* --- callback --------------------------------------------------------- */

typedef struct {
    const char *query; /* the authorization response: the query, or the
                        * POSTed body in form_post mode */
    const char *cookie_header;
    const char *redirect_uri;  /* absolute: sent again at the token endpoint */
    bool navigation;           /* a browser navigation: a restart may help */
    const char *location_root; /* local path when the original URL is not
                                * known; NULL: no restart then */
    bool post;                 /* it came in a POST body (form_post) */
} aoidc_callback_in_t;

typedef struct {
    const char *location;         /* the stored return URL (a local path) */
    apr_array_header_t *cookies;  /* state cookie deleted, session cookie */
    const char *user;             /* REMOTE_USER of the new session */
    aoidc_err_t userinfo_err;     /* reason != NONE: userinfo claims dropped */
    aoidc_err_t index_err;        /* reason != NONE: not in the sid/sub index
                                   * (a logout from the OP misses it) */
    int claims_dropped;           /* claims left out to fit the record */
    apr_size_t id_token_not_kept; /* > 0: the ID Token's length; it was
                                   * longer than AOIDC_MAX_TOKEN_LEN, so the
                                   * session keeps its claims only (logout
                                   * without id_token_hint) */
    aoidc_cookie_fit_t fit;       /* cookie store: what was left out */
    const char *post_body;        /* the form POST to replay at location
                                   * (core/replay.h), or NULL */
    /* a login attempt that cannot finish (state_missing / state_expired /
     * state_replay, the response well-formed): */
    const char *restart_to; /* non-NULL: start a fresh login to this local
                             * path (the error is set all the same) */
    int restarts;           /* this browser's restarts in the window */
    const char *retry_to;   /* where "sign in again" leads (local path) */
    bool resumed;           /* success without a login: a used callback
                             * replayed by a browser whose session for this
                             * identity is alive; location is the original
                             * URL, user is NULL */
} aoidc_callback_out_t;

/** The redirect URI's work: the state this browser started (its cookie,
 *  single use across every node through a marker in env->cache, which
 *  keeps the return URL sealed under the state for replays), RFC 9207
 *  iss, the OP's error, the code exchange, the ID Token (OIDC Core
 *  3.1.3.7), userinfo (OIDC Core 5.3.2), a new session in env->sessions
 *  (claims trimmed to AOIDC_SESSION_MAX, sub and the REMOTE_USER claim
 *  kept). The state cookie is deleted whatever happens (out->cookies is
 *  filled on failure too).
 *
 *  Recovery (the authorization response parsed): a state that is unknown
 *  (no cookie, or one that does not open for it), expired, or used
 *  already fills out->retry_to with the original URL (from the state
 *  record or the marker) or in->location_root. A used one whose browser
 *  holds a live session of this identity succeeds with out->resumed. For
 *  a navigation with a known target, out->restart_to asks for a fresh
 *  login, at most AOIDC_RESTART_MAX times per AOIDC_RESTART_WINDOW (the
 *  sealed AOIDC_RESTART_COOKIE, set in out->cookies; a cookie that does
 *  not open counts as none, a count is never believed above the bound).
 *  The OP's error=invalid_request_uri (a pushed request that expired
 *  before the browser reached the OP, RFC 9126) recovers the same way,
 *  also without a state (the OP lost it with the request) unless c->par
 *  is AOIDC_PAR_OFF; then to in->location_root.
 *
 *  Response types (c->response_type, OIDC Core 3.3 / 3.2): for
 *  "code id_token" the front-channel ID Token (signature, claims, nonce,
 *  c_hash) is checked before the code is exchanged, and the token
 *  endpoint's ID Token must name the same iss and sub; for "id_token" that
 *  ID Token is the login (no code exchange: the session has no access or
 *  refresh token, so no userinfo, no refresh, no token for the backend).
 *  The response must come the way c->response_mode says
 *  (aoidc_auth_response_check_mode: malformed, before anything else).
 *
 *  Reasons: malformed, state_*, iss_param, op_error, token validation
 *  reasons (c_hash among them), no_user, token_endpoint, upstream,
 *  store_unavailable. */
AOIDC_API apr_status_t aoidc_rp_callback(aoidc_callback_out_t *out,
                                         const aoidc_rp_conf_t *c,
                                         const aoidc_flow_env_t *env,
                                         const aoidc_callback_in_t *in,
                                         aoidc_err_t *err);

/* --- session hit ------------------------------------------------------ */

typedef struct {
    aoidc_session_t *session;    /* claims, tokens */
    const char *user;            /* REMOTE_USER */
    bool clear_cookie;           /* on failure: our ticket is dead */
    apr_array_header_t *cookies; /* the cookie without a dead ticket */
    bool refreshed;              /* tokens were refreshed by this request */
    aoidc_err_t refresh_err;     /* reason != NONE: refresh postponed */
} aoidc_session_out_t;

/** The session the cookie names, checked (issuer, client, idle and
 *  absolute limits) and its access token refreshed when due: one refresh
 *  per session across all nodes (a lock in env->sessions, held until the
 *  new record is saved, the record re-read after taking it so a stale copy
 *  never refreshes again); invalid_grant ends the session, a transient
 *  failure serves it as it is and backs off. APR_NOTFOUND: no cookie.
 *  Reasons: session_expired / session_invalid / refresh (clear_cookie set),
 *  store_unavailable (cookie kept: 503). */
AOIDC_API apr_status_t aoidc_rp_session(aoidc_session_out_t *out,
                                        const aoidc_rp_conf_t *c,
                                        const aoidc_flow_env_t *env,
                                        const char *cookie, aoidc_err_t *err);

/** aoidc_rp_session for c->cookie_store: the session sealed in the chunk
 *  cookies of header (core/cookie_session.h), checked the same way. When
 *  it was refreshed or its last_seen drifted, out->cookies rewrites the
 *  chunks. Refresh: one at a time per refresh token on this host (a lock
 *  in env->sessions, the local store, when there is one), no re-read (the
 *  browser holds the only copy). Every failure (tampered, missing or too
 *  many chunks, oversize, expired) deletes every chunk and sets
 *  clear_cookie: a new login, never a 5xx. APR_NOTFOUND: no chunks of
 *  ours. */
AOIDC_API apr_status_t aoidc_rp_cookie_session(aoidc_session_out_t *out,
                                               const aoidc_rp_conf_t *c,
                                               const aoidc_flow_env_t *env,
                                               const char *header,
                                               aoidc_err_t *err);

/* --- logout ------------------------------------------------------------ */

typedef struct {
    const char *cookie;          /* the session cookie, may be NULL */
    const char *target;          /* local path, already checked */
    const char *post_logout_uri; /* target made absolute */
    const char *cookie_header;   /* cookie store: where the chunks are */
} aoidc_logout_in_t;

typedef struct {
    const char *location; /* the OP's end_session_endpoint, or target */
    bool had_session;
    bool id_token_missing;  /* the session's ID Token entry was gone: the OP
                             * is asked without id_token_hint (it confirms
                             * with the user) rather than not at all */
    aoidc_err_t revoke_err; /* reason != NONE: RFC 7009 revocation failed */
    apr_array_header_t *cookies;
} aoidc_logout_out_t;

/** End the session here (every entry of it in the store) and, when the OP
 *  has an end_session_endpoint, send the browser there (RP-Initiated Logout
 *  1.0) with id_token_hint, post_logout_redirect_uri and client_id.
 *  Never fails: with a store that is down the entries stay until they
 *  expire, and the browser's ticket is deleted all the same. */
AOIDC_API apr_status_t aoidc_rp_logout(aoidc_logout_out_t *out,
                                       const aoidc_rp_conf_t *c,
                                       const aoidc_flow_env_t *env,
                                       const aoidc_logout_in_t *in,
                                       aoidc_err_t *err);

/** The session as AuthOIDCRedirectURI?info=json shows it to its own user:
 *  iss, sub, the claims (JSON values as JSON), created, expires (epoch
 *  seconds), and whether an access token is held — never a token itself.
 *  In p. */
AOIDC_API char *aoidc_rp_info_json(const aoidc_session_t *s,
                                   const aoidc_rp_conf_t *c, apr_pool_t *p);

/* --- logout from the OP (rp_channel.c) ------------------------------- */

typedef struct {
    int ended;              /* sessions ended */
    const char *error_code; /* on failure: "invalid_request" (RFC 6749 §5.2
                             * form, for the JSON answer) */
} aoidc_channel_out_t;

/** OIDC Back-Channel Logout 1.0: the POST body (len bytes, at most
 *  AOIDC_LOGOUT_BODY_MAX + 1 read) with its logout_token validated in full
 *  (one JWKS refetch on an unknown kid), its jti used once across every
 *  node, and every session it names ended in env->sessions. Reasons:
 *  logout_token, logout_replay, token validation reasons, too_large,
 *  malformed, upstream and store_unavailable. */
AOIDC_API apr_status_t aoidc_rp_backchannel(aoidc_channel_out_t *out,
                                            const aoidc_rp_conf_t *c,
                                            const aoidc_flow_env_t *env,
                                            const char *body, apr_size_t len,
                                            aoidc_err_t *err);

/** OIDC Front-Channel Logout 1.0: iss and sid from query; the sessions of
 *  that sid end. Reasons: malformed, iss_param, store_unavailable. */
AOIDC_API apr_status_t aoidc_rp_frontchannel(aoidc_channel_out_t *out,
                                             const aoidc_rp_conf_t *c,
                                             const aoidc_flow_env_t *env,
                                             const char *query,
                                             aoidc_err_t *err);

/* --- session storage (rp_store.c), shared by the flows above ----------- */

/** Save s as a new session: a fresh ticket, the hot record and the ID
 *  Token entry; *ticket is the cookie value. */
AOIDC_API apr_status_t aoidc_rp_session_create(const char **ticket,
                                               const aoidc_rp_conf_t *c,
                                               const aoidc_flow_env_t *env,
                                               const aoidc_session_t *s);

#endif
