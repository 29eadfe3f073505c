/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The session record and its versioned binary codec. The glue seals the
 * encoding with the session id as associated data and stores it under
 * SHA-256("session" || id), so a request costs one store lookup, one AEAD
 * open and a walk over length-prefixed fields: no JSON on the hot path.
 */
#ifndef AOIDC_CORE_SESSION_H
#define AOIDC_CORE_SESSION_H

#include "core/claims.h"

#define AOIDC_SESSION_COOKIE "aoidc_session"

typedef struct {
    apr_time_t created;
    apr_time_t last_seen;  /* updated coarsely, see aoidc_session_touch */
    apr_time_t at_expires; /* 0: unknown */
    const char *issuer;    /* bound at login; checked on use */
    const char *client_id;
    const char *sub;
    const char *id_token; /* id_token_hint at logout */
    const char *access_token;
    const char *refresh_token; /* may be NULL */
    const char *scope;
    apr_array_header_t *claims; /* of aoidc_claim_t */
    /* not in the record: from the L1 (l1.h), what the backend gets of the
     * claims, made once per entry for this location's prefix; NULL
     * otherwise */
    const aoidc_claims_view_t *claim_view;
} aoidc_session_t;

typedef struct {
    apr_interval_time_t inactivity; /* idle limit */
    apr_interval_time_t max_age;    /* absolute limit */
} aoidc_session_limits_t;

AOIDC_API void aoidc_session_encode(unsigned char **out, apr_size_t *len,
                                    const aoidc_session_t *s, apr_pool_t *p);

/** Decode (zero-copy into buf). AOIDC_REASON_SESSION_INVALID. */
AOIDC_API apr_status_t aoidc_session_decode(aoidc_session_t **out,
                                            const unsigned char *buf,
                                            apr_size_t len, apr_pool_t *p,
                                            aoidc_err_t *err);

/** AOIDC_REASON_SESSION_EXPIRED when idle too long or too old. */
AOIDC_API apr_status_t aoidc_session_check(const aoidc_session_t *s,
                                           const aoidc_session_limits_t *l,
                                           apr_time_t now, apr_pool_t *p,
                                           aoidc_err_t *err);

/** True when last_seen should be written back: it drifted by more than
 *  a tenth of the inactivity limit (at most 60 s), so most requests do not
 *  write the store. */
AOIDC_API bool aoidc_session_touch_due(const aoidc_session_t *s,
                                       const aoidc_session_limits_t *l,
                                       apr_time_t now);

/* AuthOIDCUnAutzAction auth: a session that fails `Require` this soon
 * after its login came from the new login the action itself started (or
 * one just before it); starting another would loop. */
#define AOIDC_UNAUTZ_LOOP_WINDOW apr_time_from_sec(10)

/** True when s was created (its login completed) less than
 *  AOIDC_UNAUTZ_LOOP_WINDOW before now, or in the future (clock skew
 *  between nodes: the safe answer is "recent"). */
AOIDC_API bool aoidc_session_just_created(const aoidc_session_t *s,
                                          apr_time_t now);

/** Store lifetime of a session: the earlier of idle and absolute end. */
AOIDC_API apr_time_t aoidc_session_expiry(const aoidc_session_t *s,
                                          const aoidc_session_limits_t *l);

#endif
