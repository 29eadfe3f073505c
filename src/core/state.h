/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The login state record: what the callback needs to finish one login
 * attempt. It travels in a sealed cookie named after its state value
 * (aoidc_state_<12 chars>), so parallel logins in one browser each have
 * their own; the seal's associated data is the full state, so a cookie
 * opens only for the callback that carries its state.
 */
#ifndef AOIDC_CORE_STATE_H
#define AOIDC_CORE_STATE_H

#include "core/seal.h"

#define AOIDC_STATE_COOKIE_PREFIX "aoidc_state_"
#define AOIDC_STATE_MAX_COOKIES   5
#define AOIDC_STATE_TTL           apr_time_from_sec(300) /* default */
/* the longest AuthOIDCStateTimeout: a record older than this never opens */
#define AOIDC_STATE_TTL_MAX apr_time_from_sec(3600)

typedef struct {
    const char *state;     /* 256-bit random, base64url */
    const char *nonce;     /* 256-bit random, base64url */
    const char *verifier;  /* PKCE verifier, NULL when PKCE is off */
    const char *return_to; /* local path + query */
    const char *issuer;    /* the login was started for this issuer */
    apr_time_t created;
    const char *post_body; /* a form POST to replay at return_to, or NULL
                            * (core/replay.h); sealed as record version 2,
                            * records without one stay version 1 */
} aoidc_state_t;

/** A new record with fresh state, nonce and (when pkce) verifier. */
AOIDC_API apr_status_t aoidc_state_create(aoidc_state_t **out,
                                          const char *issuer,
                                          const char *return_to, bool pkce,
                                          apr_time_t now, apr_pool_t *p);

/** Cookie name for a state value: prefix + first 12 characters. */
AOIDC_API const char *aoidc_state_cookie_name(const char *state, apr_pool_t *p);

/** Seal a record into a cookie value. */
AOIDC_API apr_status_t aoidc_state_seal(char **out, const aoidc_state_t *st,
                                        const aoidc_seal_t *k, apr_pool_t *p);

/** Open a cookie value for the state the callback carries. Fails with
 *  AOIDC_REASON_COOKIE (tampered, other state) or AOIDC_REASON_STATE_EXPIRED
 *  (older than AOIDC_STATE_TTL). */
AOIDC_API apr_status_t aoidc_state_open(aoidc_state_t **out, const char *cookie,
                                        const char *state,
                                        const aoidc_seal_t *k, apr_time_t now,
                                        apr_pool_t *p, aoidc_err_t *err);

#endif
