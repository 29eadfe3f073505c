/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthType oidc-basic: HTTP Basic credentials (RFC 7617) in, the resource
 * owner password grant (RFC 6749 §4.3) at the issuer's token endpoint, the
 * returned ID Token validated as at a login, the verdict out.
 *
 * The grant is deprecated (RFC 9700 §2.4, OAuth 2.1): it exists here for
 * trusted legacy clients that can speak nothing but Basic. So:
 * - a success is cached under HMAC-SHA256(passphrase-derived key, issuer,
 *   client, user, password): a store dump without the passphrase tells
 *   nothing, and the password itself is never stored or logged; the entry
 *   (the claims) is sealed under the same passphrase;
 * - a wrong password is never cached as a success: only a failure counter
 *   is kept, per user and per client address (both keyed hashes), and a
 *   counter at its limit refuses further attempts for the rest of its
 *   window without asking the OP (AOIDC_REASON_THROTTLED, Retry-After);
 * - a cached success is served before the counters are read, so a
 *   stranger's failed attempts never lock a user out of a session their
 *   client already holds.
 */
#ifndef AOIDC_CORE_BASIC_H
#define AOIDC_CORE_BASIC_H

#include "core/flow.h"
#include "core/seal.h"
#include "core/token.h"

#define AOIDC_BASIC_MAX_USER     256
#define AOIDC_BASIC_MAX_PASSWORD 1024
/* failures before refusals, and the window they count in (docs) */
#define AOIDC_BASIC_MAX_FAILURES_USER 5
#define AOIDC_BASIC_MAX_FAILURES_ADDR 20
#define AOIDC_BASIC_FAILURE_WINDOW    apr_time_from_sec(300)

/** Parse an Authorization header value "Basic base64(user:password)"
 *  (RFC 7617 §2; the scheme case-insensitive, standard base64 with its
 *  padding, nothing after it). user is non-empty, neither part holds a
 *  control character (so neither can reach a log or a header broken),
 *  user ≤ AOIDC_BASIC_MAX_USER and password ≤ AOIDC_BASIC_MAX_PASSWORD
 *  bytes. APR_NOTFOUND (err untouched) when the scheme is not Basic;
 *  AOIDC_REASON_MALFORMED otherwise. Strings in p. */
AOIDC_API apr_status_t aoidc_basic_parse(const char **user,
                                         const char **password,
                                         const char *header, apr_pool_t *p,
                                         aoidc_err_t *err);

typedef struct {
    const char *issuer;
    const aoidc_client_t *client;  /* client_id required */
    const char *scope;             /* "openid ..." */
    const aoidc_seal_t *seal;      /* passphrase "basic" key: MAC and entry */
    apr_int64_t leeway;            /* seconds */
    apr_interval_time_t cache_ttl; /* a success is kept at most this long */
    const char *remote_user_claim;
    unsigned max_failures; /* per user and per address, per window */
    unsigned max_failures_addr;
    apr_interval_time_t failure_window;
} aoidc_basic_conf_t;

typedef struct {
    const char *user;
    const char *password;
    const char *client_addr; /* the client's address (after trusted proxies) */
} aoidc_basic_in_t;

typedef struct {
    apr_array_header_t *claims; /* of aoidc_claim_t, in env->pool */
    const char *user;           /* REMOTE_USER: never NULL or empty */
    bool cache_hit;
    apr_interval_time_t retry_after; /* with AOIDC_REASON_THROTTLED */
} aoidc_basic_out_t;

/** Authenticate user and password. Reasons: AOIDC_REASON_BASIC_REFUSED
 *  (the OP said invalid_grant: counted as a failure), AOIDC_REASON_THROTTLED
 *  (out->retry_after set), the ID Token reasons of aoidc_id_token_validate,
 *  AOIDC_REASON_NO_USER, AOIDC_REASON_TOKEN_ENDPOINT (the OP refused the
 *  client or the grant type: the operator's to fix), and the upstream
 *  reasons (OP unreachable, bad answer, busy, store unavailable). */
AOIDC_API apr_status_t aoidc_basic_authenticate(aoidc_basic_out_t *out,
                                                const aoidc_basic_conf_t *c,
                                                const aoidc_flow_env_t *env,
                                                const aoidc_basic_in_t *in,
                                                aoidc_err_t *err);

#endif
