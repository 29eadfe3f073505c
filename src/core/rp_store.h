/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the RP flows: session tickets and the sealed entries of a
 * session in env->sessions (layout in rp_store.c).
 */
#ifndef AOIDC_CORE_RP_STORE_H
#define AOIDC_CORE_RP_STORE_H

#include "core/rp.h"

#define AOIDC_NS_SESSION      "session"
#define AOIDC_NS_ID_TOKEN     "session-idt"
#define AOIDC_NS_REFRESH_LOCK "refresh-lock"
#define AOIDC_NS_REFRESH_WAIT "refresh-backoff"

typedef struct {
    char tag[AOIDC_TAG_LEN + 1]; /* names the issuer and client */
    char id[23];                 /* the public half, NUL-terminated */
    const char *secret;          /* the secret half (22 characters) */
} aoidc_ticket_t;

/** Split one ticket "TAG.ID.SECRET" (exactly AOIDC_TICKET_LEN characters
 *  at s); false when it has another shape. */
AOIDC_API bool aoidc_ticket_parse(aoidc_ticket_t *t, const char *s);

/** The ticket for tag in a session cookie value (tickets joined by '~');
 *  false when there is none (other identities' tickets are no concern of
 *  this one, and malformed ones are passed over). */
AOIDC_API bool aoidc_ticket_find(aoidc_ticket_t *t, const char *cookie,
                                 const char *tag);

/** The cookie value with tag's ticket replaced by ticket (NULL: removed),
 *  keeping at most AOIDC_TICKETS_MAX - 1 other well-formed tickets (the
 *  newest, which come last). "" when nothing is left. In p. */
AOIDC_API const char *aoidc_ticket_replace(const char *cookie, const char *tag,
                                           const char *ticket, apr_pool_t *p);

/** The cookie operation that leaves cookie with tag's ticket replaced by
 *  ticket (NULL: removed); deletes the cookie when nothing is left. */
AOIDC_API void aoidc_ticket_cookie(apr_array_header_t **ops,
                                   const aoidc_rp_conf_t *c, const char *cookie,
                                   const char *ticket, apr_pool_t *p);

/** Seal val under t and store it in namespace ns until expiry. */
AOIDC_API apr_status_t aoidc_rp_put(const aoidc_rp_conf_t *c,
                                    const aoidc_flow_env_t *env,
                                    const aoidc_ticket_t *t, const char *ns,
                                    const unsigned char *val, apr_size_t len,
                                    apr_time_t expiry);

/** Get and open the entry ns of t. APR_NOTFOUND when absent (err
 *  untouched); reason store_unavailable when the store is down; reason
 *  cookie when the entry does not open. */
AOIDC_API apr_status_t aoidc_rp_get(unsigned char **val, apr_size_t *len,
                                    const aoidc_rp_conf_t *c,
                                    const aoidc_flow_env_t *env,
                                    const aoidc_ticket_t *t, const char *ns,
                                    aoidc_err_t *err);

AOIDC_API apr_status_t aoidc_rp_remove(const aoidc_flow_env_t *env,
                                       const aoidc_ticket_t *t, const char *ns);

/** add() a marker ns of t for ttl: APR_EEXIST when someone holds it. */
AOIDC_API apr_status_t aoidc_rp_lock(const aoidc_flow_env_t *env,
                                     const aoidc_ticket_t *t, const char *ns,
                                     apr_interval_time_t ttl);

/** set() a marker ns of t for ttl, whether or not one is there. */
AOIDC_API apr_status_t aoidc_rp_mark(const aoidc_flow_env_t *env,
                                     const aoidc_ticket_t *t, const char *ns,
                                     apr_interval_time_t ttl);

/** Save the hot record of s (without the ID Token). */
AOIDC_API apr_status_t aoidc_rp_save(const aoidc_rp_conf_t *c,
                                     const aoidc_flow_env_t *env,
                                     const aoidc_ticket_t *t,
                                     const aoidc_session_t *s);

/** Load and check the session of t. Reasons: session_expired (absent or
 *  past a limit), session_invalid (unreadable, another issuer/client),
 *  store_unavailable. */
AOIDC_API apr_status_t aoidc_rp_load(aoidc_session_t **out,
                                     const aoidc_rp_conf_t *c,
                                     const aoidc_flow_env_t *env,
                                     const aoidc_ticket_t *t, aoidc_err_t *err);

/** The L1 generation of t's bucket, to take before aoidc_rp_load (l1.h);
 *  0 without an L1. */
AOIDC_API apr_uint32_t aoidc_rp_l1_gen(const aoidc_flow_env_t *env,
                                       const aoidc_ticket_t *t);

/** The session of t from this process's L1, checked like aoidc_rp_load
 *  (issuer, client, limits); false on a miss or any doubt: then the store
 *  path decides. */
AOIDC_API bool aoidc_rp_l1_load(aoidc_session_t **out, const aoidc_rp_conf_t *c,
                                const aoidc_flow_env_t *env,
                                const aoidc_ticket_t *t);

/** Keep s (the hot record as just loaded, nothing written since) in the L1
 *  for env->l1_ttl, unless a write to t's bucket followed gen. */
AOIDC_API void aoidc_rp_l1_keep(const aoidc_rp_conf_t *c,
                                const aoidc_flow_env_t *env,
                                const aoidc_ticket_t *t, apr_uint32_t gen,
                                const aoidc_session_t *s);

/** Remove every entry of the session of t (best effort). */
AOIDC_API void aoidc_rp_destroy(const aoidc_flow_env_t *env,
                                const aoidc_ticket_t *t);

/* --- AuthOIDCSessionStore cookie (rp_cookie.c) ------------------------ */

/** Open and check the session in header's chunk cookies; *present gets
 *  the chunk mask (aoidc_cs_present) for deleting them. APR_NOTFOUND when
 *  there are none of ours. Reasons: session_invalid, session_expired. */
AOIDC_API apr_status_t aoidc_rp_cookie_load(
    aoidc_session_t **s, unsigned *present, const aoidc_rp_conf_t *c,
    const aoidc_flow_env_t *env, const char *header, aoidc_err_t *err);

/** Seal s into chunk cookie operations on *ops, leaving out what does not
 *  fit (recorded in *fit, which may be NULL; s->claims is trimmed in
 *  place) and deleting chunks of present that are no longer used.
 *  AOIDC_REASON_TOO_LARGE when even the bare record does not fit. */
AOIDC_API apr_status_t aoidc_rp_cookie_save(apr_array_header_t **ops,
                                            aoidc_cookie_fit_t *fit,
                                            const aoidc_rp_conf_t *c,
                                            const aoidc_flow_env_t *env,
                                            aoidc_session_t *s,
                                            unsigned present, aoidc_err_t *err);

#endif
