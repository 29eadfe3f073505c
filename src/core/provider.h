/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An issuer as the module sees it: discovery metadata and JWKS, fetched over
 * http.h, validated, and cached per process.
 *
 * Rules: the metadata "issuer" equals the configured issuer exactly
 * (OIDC Discovery 4.3); every endpoint is https, or loopback http when the
 * issuer itself is a loopback http URL (aoidc_url_check_op_endpoint); the cache
 * lives for a TTL; an unknown kid triggers at most one JWKS refetch per
 * AOIDC_PROVIDER_REFETCH_GAP; while the OP is unreachable a stale snapshot
 * keeps serving.
 *
 * Threads: a provider holds immutable, reference-counted snapshots. A
 * refresh builds a new snapshot in its own pool and swaps it in under the
 * provider's mutex; a snapshot's pool is destroyed when the last request
 * using it releases it (a cleanup on the request pool).
 */
#ifndef AOIDC_CORE_PROVIDER_H
#define AOIDC_CORE_PROVIDER_H

#include <jansson.h>

#include "core/http.h"
#include "core/jwk.h"

#define AOIDC_PROVIDER_TTL         apr_time_from_sec(3600)
#define AOIDC_PROVIDER_RETRY       apr_time_from_sec(10)
#define AOIDC_PROVIDER_FAIL_FAST   apr_time_from_sec(2)
#define AOIDC_PROVIDER_REFETCH_GAP apr_time_from_sec(300)

enum {
    AOIDC_AUTH_BASIC = 1,
    AOIDC_AUTH_POST = 2,
    AOIDC_AUTH_PRIVATE_KEY_JWT = 4,
};

typedef struct {
    const char *issuer;
    const char *authorization_endpoint;
    const char *token_endpoint;
    const char *userinfo_endpoint; /* may be NULL */
    const char *jwks_uri;
    const char *introspection_endpoint; /* may be NULL */
    const char *end_session_endpoint;   /* may be NULL */
    bool iss_param_supported;           /* RFC 9207 */
    unsigned token_auth_methods;        /* AOIDC_AUTH_* */
    unsigned introspection_auth_methods;
    const char *revocation_endpoint;  /* RFC 7009; may be NULL */
    unsigned revocation_auth_methods; /* RFC 8414 §2; else the token's */
    const char *par_endpoint;         /* RFC 9126 §5; may be NULL */
    bool require_par;     /* require_pushed_authorization_requests */
    bool assertion_ps256; /* PS256 listed in
                           * token_endpoint_auth_signing_alg_values_supported */
    /* RFC 8705 §5 mtls_endpoint_aliases: where a client presenting a
     * certificate calls instead (checked as the plain ones); NULL: the
     * plain endpoint */
    struct {
        const char *token, *par, *introspection, *revocation, *userinfo;
    } mtls;
} aoidc_metadata_t;

/** What a request holds while it works: metadata and keys, immutable. */
typedef struct aoidc_snapshot_t {
    aoidc_metadata_t md;
    aoidc_jwks_t *jwks;
    /* private */
    apr_pool_t *pool;
    apr_time_t fetched;
    int refs;
    unsigned serial; /* increases with each snapshot installed */
} aoidc_snapshot_t;

typedef struct aoidc_provider_t aoidc_provider_t;

/** Parse and validate a discovery document for issuer. Fails with
 *  AOIDC_REASON_OP_ISSUER (issuer differs), AOIDC_REASON_OP_INSECURE (an
 *  endpoint is plain http off loopback, or http at all for an https
 *  issuer), AOIDC_REASON_OP_BAD_RESPONSE
 *  (not JSON, required endpoint missing). Strings live in p. */
AOIDC_API apr_status_t aoidc_metadata_parse(aoidc_metadata_t *md,
                                            const char *issuer, const char *in,
                                            apr_size_t len, apr_pool_t *p,
                                            aoidc_err_t *err);

/** Create a provider for issuer (already checked with
 *  aoidc_url_check_endpoint); its memory lives in p. Call
 *  aoidc_provider_child_init in each process before use. */
AOIDC_API aoidc_provider_t *aoidc_provider_create(const char *issuer,
                                                  apr_pool_t *p);

/** Make the provider's mutex and snapshot pool parent (pchild). */
AOIDC_API apr_status_t aoidc_provider_child_init(aoidc_provider_t *pv,
                                                 apr_pool_t *pchild);

AOIDC_API const char *aoidc_provider_issuer(const aoidc_provider_t *pv);

/* What this process knows of a provider, for status pages. */
typedef struct {
    apr_time_t fetched;         /* metadata of the current snapshot; 0: none */
    apr_time_t last_refetch;    /* last kid-triggered JWKS refetch; 0: none */
    apr_time_t last_failure;    /* last failed fetch, if no success since */
    aoidc_reason_t last_reason; /* and its reason */
    unsigned serial;            /* snapshots installed so far */
} aoidc_provider_state_t;

/** Fill *out under the provider's mutex (after child_init). */
AOIDC_API void aoidc_provider_state(aoidc_provider_state_t *out,
                                    aoidc_provider_t *pv);

/** The current snapshot, fetched or refreshed as needed; released by a
 *  cleanup on p; fetches go through http (its timeout bounds the wait).
 *  Fails with an upstream reason only when no snapshot at all can be had
 *  (stale ones keep serving).
 *
 *  One fetch at a time: requests that find no snapshot while the first
 *  fetch is in flight wait for it (at most 2 x http->timeout: metadata and
 *  JWKS) and share its result, snapshot or failure reason. Only a failed
 *  fetch makes later requests fail fast (AOIDC_REASON_OP_UNREACHABLE,
 *  "recent failure") for AOIDC_PROVIDER_FAIL_FAST; a stale snapshot is
 *  refreshed by one request while the others keep using it, and retried
 *  at most every AOIDC_PROVIDER_RETRY after a failure. */
AOIDC_API apr_status_t aoidc_provider_get(aoidc_snapshot_t **out,
                                          aoidc_provider_t *pv,
                                          const aoidc_http_t *http,
                                          apr_time_t now, apr_pool_t *p,
                                          aoidc_err_t *err);

/** True the first time it is asked about snapshot s (as got from this
 *  provider in this process), false after, and for a snapshot older than
 *  one already looked at. For facts to log once per fetch rather than per
 *  request, e.g. the keys s->jwks->skipped lists (the core never logs). */
AOIDC_API bool aoidc_provider_first_look(aoidc_provider_t *pv,
                                         const aoidc_snapshot_t *s);

/** Called when a token names a kid the snapshot lacks: refetch the JWKS
 *  unless one was fetched within AOIDC_PROVIDER_REFETCH_GAP. On success
 *  *out is a new snapshot (released by p); APR_EAGAIN when rate limited. */
AOIDC_API apr_status_t aoidc_provider_refetch_keys(
    aoidc_snapshot_t **out, aoidc_provider_t *pv, const aoidc_http_t *http,
    apr_time_t now, apr_pool_t *p, aoidc_err_t *err);

#endif
