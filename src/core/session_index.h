/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session indexes for logout that reaches every node (OIDC Back-Channel
 * Logout 1.0 §2.7, Front-Channel Logout 1.0 §2), and the jti replay cache
 * of logout tokens. Services layer, pure over store.h: the sets live in the
 * shared store, so a logout token that reaches one node ends the sessions
 * every node serves.
 *
 * Keys bind the issuer and the client: aoidc_store_key3("sid-index",
 * issuer, client_id, sid) and ("sub-index", issuer, client_id, sub). A
 * token from one OP (or for another client of the same OP) can therefore
 * never name another OP's sessions, even where both use the same sid or
 * sub values.
 *
 * What a set member holds, and why. A member must let the node that
 * receives the logout find every store entry of the session, so it must
 * lead back to the session id; but the session id is what the cookie
 * carries, so a member must never let someone who can read the store (a
 * shared Redis, a memcached dump) make a cookie. A plain hash of the id
 * would be safe but would name only one entry, not the session's others;
 * the raw id would hand out cookies. So a member is the session id sealed
 * (AES-256-GCM, core/seal.h) under a key the caller derives from the
 * passphrase (purpose "session-index"), with the set's own store key as
 * associated data:
 *
 *   member = seal(expiry (8, big-endian us) || session id || 0x00 || sub)
 *            aad = the 32-byte key of the set it sits in
 *
 * A store reader without the passphrase learns nothing; a store writer
 * cannot move a member into another sid's or user's set (the aad no longer
 * matches, so it does not open). The expiry lets aoidc_session_index_add
 * drop members of sessions that have ended on their own, so a set stays
 * small; the sub lets a token that carries both sid and sub end only the
 * sessions where both match.
 *
 * Every instance that shares a store for one (issuer, client) must use
 * the same passphrase: a member that does not open is treated as stale.
 *
 * Store status: as store.h says; AOIDC_STORE_IS_DOWN(rv) statuses are
 * returned unchanged (err untouched) and callers answer 503.
 */
#ifndef AOIDC_CORE_SESSION_INDEX_H
#define AOIDC_CORE_SESSION_INDEX_H

#include "core/logout_token.h"
#include "core/seal.h"
#include "core/store.h"

/** Most members a set keeps; past it, the one that expires first goes. */
#define AOIDC_SESSION_INDEX_MAX 64

typedef struct {
    aoidc_store_t *store;
    const aoidc_seal_t *seal; /* purpose "session-index" */
    const char *issuer;       /* no NUL inside (store key context) */
    const char *client_id;
} aoidc_session_index_t;

/** Record session_id (no NUL, at most 512 bytes) under sid (may be NULL:
 *  the OP sent none) and sub (required), both living until expiry: the
 *  latest instant the session can live (its absolute end, created +
 *  AuthOIDCSessionMaxDuration, not the sliding idle end). Adding an id
 *  that is there already replaces its member. Members of either set that have
 * expired by now, or do not open, are removed on the way. APR_EINVAL with
 *  AOIDC_REASON_INTERNAL for a bad argument; store statuses otherwise. */
AOIDC_API apr_status_t aoidc_session_index_add(const aoidc_session_index_t *ix,
                                               const char *sid, const char *sub,
                                               const char *session_id,
                                               apr_time_t expiry,
                                               apr_time_t now, apr_pool_t *p,
                                               aoidc_err_t *err);

/** One session a lookup found. */
typedef struct {
    const char *session_id; /* in p */
    /* private: where the member sits, for aoidc_session_index_forget */
    unsigned char set_key[AOIDC_STORE_KEY_LEN];
    aoidc_blob_t member;
} aoidc_session_ref_t;

/** The live sessions to end for a logout naming sid and/or sub (§2.7):
 *  with a sid, the sessions of that sid (and, when sub is given too, only
 *  those of that sub); with a sub only, every session of that user.
 *  *refs is an array of aoidc_session_ref_t in p (empty when none; a
 *  session id appears once). Members that expired are skipped. Store
 *  statuses only; both sid and sub NULL gives an empty array. */
AOIDC_API apr_status_t aoidc_session_index_lookup(
    apr_array_header_t **refs, const aoidc_session_index_t *ix, const char *sid,
    const char *sub, apr_time_t now, apr_pool_t *p);

/** Remove the members a lookup returned, after the caller ended those
 *  sessions (in that order, so a failure in between leaves the index able
 *  to find them again). Removing a member twice is harmless. */
AOIDC_API apr_status_t
aoidc_session_index_forget(const aoidc_session_index_t *ix,
                           const apr_array_header_t *refs, apr_pool_t *p);

/** Remove session_id from the sid and sub sets (local logout, session
 *  expired): looks the members up, since sealed members differ each time. */
AOIDC_API apr_status_t aoidc_session_index_remove(
    const aoidc_session_index_t *ix, const char *sid, const char *sub,
    const char *session_id, apr_time_t now, apr_pool_t *p);

/** Mark a validated logout token's jti as used (§2.6 step 10, RFC 7519
 *  §4.1.7), atomically across every node, until t->replay_until: the key
 *  is aoidc_store_key3("logout-jti", issuer, client_id, jti). Reasons:
 *  AOIDC_REASON_LOGOUT_REPLAY (seen before); store statuses otherwise. */
AOIDC_API apr_status_t aoidc_logout_jti_use(aoidc_store_t *store,
                                            const char *issuer,
                                            const char *client_id,
                                            const aoidc_logout_token_t *t,
                                            apr_pool_t *p, aoidc_err_t *err);

#endif
