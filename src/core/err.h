/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Errors as values. Core functions return apr_status_t; when they reject
 * input they also fill an aoidc_err_t naming the reason. Each reason's
 * answer (HTTP status, RFC 6750 error, log level, fault class, metric, the
 * message the client sees) is one row of the table in err.c, which the
 * glue's answer unit applies. The core never logs a decision and never
 * returns an HTTP status.
 */
#ifndef AOIDC_CORE_ERR_H
#define AOIDC_CORE_ERR_H

#include "core/aoidc.h"

/* Keep in step with the table in err.c (a unit test walks it). */
typedef enum {
    AOIDC_REASON_NONE = 0,
    /* malformed client input */
    AOIDC_REASON_MALFORMED,     /* generic syntax error in client input */
    AOIDC_REASON_TOO_LARGE,     /* a size or count limit was exceeded */
    AOIDC_REASON_COOKIE,        /* a cookie we own could not be opened */
    AOIDC_REASON_STATE_MISSING, /* callback without matching state */
    AOIDC_REASON_STATE_EXPIRED, /* login attempt too old */
    AOIDC_REASON_STATE_REPLAY,  /* state was used already */
    AOIDC_REASON_OP_ERROR,      /* the OP answered error=... */
    AOIDC_REASON_ISS_PARAM,     /* RFC 9207 iss missing or wrong */
    AOIDC_REASON_RETURN_URL,    /* return URL not same-origin */
    /* token validation */
    AOIDC_REASON_JWS_MALFORMED,
    AOIDC_REASON_ALG,         /* alg not allowed or key type mismatch */
    AOIDC_REASON_KEY_UNKNOWN, /* no key for kid */
    AOIDC_REASON_CRIT,        /* unknown crit header */
    AOIDC_REASON_SIGNATURE,
    AOIDC_REASON_TYP,
    AOIDC_REASON_ISSUER,
    AOIDC_REASON_AUDIENCE,
    AOIDC_REASON_AZP,
    AOIDC_REASON_EXPIRED,
    AOIDC_REASON_NOT_YET_VALID, /* nbf (or iat) in the future */
    AOIDC_REASON_IAT,
    AOIDC_REASON_NONCE,
    AOIDC_REASON_SUB,
    AOIDC_REASON_AT_HASH,
    AOIDC_REASON_ID_TOKEN_AS_AT,
    AOIDC_REASON_INACTIVE,         /* introspection says active=false */
    AOIDC_REASON_NO_INTROSPECTION, /* opaque token, no way to check it */
    /* bearer request syntax */
    AOIDC_REASON_NO_CREDENTIALS,
    AOIDC_REASON_BEARER_SYNTAX,
    AOIDC_REASON_SCOPE,
    AOIDC_REASON_CLAIM,   /* Require claim refused an authenticated user */
    AOIDC_REASON_STEP_UP, /* Require acr / AuthOIDCMaxAge: RFC 9470 */
    /* sessions */
    AOIDC_REASON_SESSION_EXPIRED,
    AOIDC_REASON_SESSION_INVALID,
    AOIDC_REASON_REFRESH, /* refresh failed: session ends */
    AOIDC_REASON_USERINFO_SUB,
    AOIDC_REASON_NO_USER, /* the REMOTE_USER claim is missing or empty */
    /* logout (OIDC Back-/Front-Channel Logout 1.0) */
    AOIDC_REASON_LOGOUT_TOKEN,  /* events, jti, nonce, sid/sub rules broken */
    AOIDC_REASON_LOGOUT_REPLAY, /* a logout token's jti was seen already */
    /* upstream */
    AOIDC_REASON_OP_UNREACHABLE,  /* connect/timeout */
    AOIDC_REASON_OP_BAD_RESPONSE, /* garbage, wrong status, too big */
    AOIDC_REASON_OP_INSECURE,     /* http endpoint off loopback */
    AOIDC_REASON_OP_ISSUER,       /* metadata issuer differs */
    AOIDC_REASON_TOKEN_ENDPOINT,  /* token endpoint refused the grant */
    AOIDC_REASON_OP_BUSY,         /* circuit open or too many calls in flight */
    AOIDC_REASON_STORE_UNAVAILABLE, /* the session/cache store is down */
    /* added by the security review (issue 8) */
    AOIDC_REASON_AUTH_TIME, /* refreshed ID Token: auth_time changed */
    /* AuthType oidc-basic */
    AOIDC_REASON_BASIC_REFUSED, /* the OP refused user name and password */
    AOIDC_REASON_THROTTLED,     /* too many failures for a user or address */
    /* sender-constrained tokens (RFC 9449, RFC 8705) */
    AOIDC_REASON_DPOP_PROOF, /* the DPoP proof is missing, malformed, wrong */
    AOIDC_REASON_BINDING,    /* the token's binding is not met */
    AOIDC_REASON_DPOP_NONCE, /* AuthOIDCDPoPNonce: proof nonce missing/old */
    /* hybrid flow (issue 11) */
    AOIDC_REASON_C_HASH, /* front-channel ID Token: c_hash missing/wrong */
    /* tokens for the backend's own calls (issue 11) */
    AOIDC_REASON_UPSTREAM_TOKEN, /* no token for the backend: OP refused or down
                                  */
    /* local */
    AOIDC_REASON_CONFIG,
    AOIDC_REASON_INTERNAL,
    AOIDC_REASON__COUNT
} aoidc_reason_t;

typedef struct {
    aoidc_reason_t reason;
    const char *detail;   /* for the log only; never sent to the client */
    const char *op_error; /* the OP's error= code when it gave one, or NULL */
} aoidc_err_t;

/* Who is at fault: decides the log level floor and whether a 5xx may be
 * sent (only upstream, config and internal faults may). */
typedef enum {
    AOIDC_FAULT_CLIENT = 1, /* the request or a token it carried */
    AOIDC_FAULT_UPSTREAM,   /* the OP or the store */
    AOIDC_FAULT_CONFIG,     /* the operator's configuration */
    AOIDC_FAULT_INTERNAL,
} aoidc_fault_t;

typedef enum {
    AOIDC_LOG_DEBUG = 1,
    AOIDC_LOG_INFO,
    AOIDC_LOG_WARN,
    AOIDC_LOG_ERROR,
} aoidc_loglevel_t;

/* One row of the reason table: everything the glue needs to answer. */
typedef struct {
    const char *name;         /* stable, lower case; log lines and metrics */
    int status;               /* HTTP status of the answer */
    const char *bearer_error; /* RFC 6750 error= for bearer, or NULL */
    aoidc_loglevel_t level;
    aoidc_fault_t fault;
    const char *metric;  /* counter family: client_errors, token_rejected,
                          * session_ended, upstream_errors, config_errors */
    const char *message; /* short, non-leaking, shown to the client */
} aoidc_reason_info_t;

/** The row for reason (the INTERNAL row for an unknown value). Never NULL. */
AOIDC_API const aoidc_reason_info_t *aoidc_reason_info(aoidc_reason_t reason);

/** Fill *err (if not NULL) and return APR_EINVAL for rejections, or
 *  APR_EGENERAL for upstream/internal reasons. detail is formatted in p. */
AOIDC_API apr_status_t aoidc_err_set(aoidc_err_t *err, aoidc_reason_t reason,
                                     apr_pool_t *p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Stable lower-case name of a reason, e.g. "expired"; used in log lines. */
AOIDC_API const char *aoidc_reason_name(aoidc_reason_t reason);

/** Once-per-interval gate for a log line that would otherwise repeat on
 *  every request of an outage (store_unavailable). True when the line is
 *  due: the first call, or interval_sec or more after the last true one
 *  (or before it: a clock stepped back); then now's second is recorded in
 *  *last_sec. Lock-free: of callers
 *  racing for one due line exactly one gets true. *last_sec starts at 0. */
AOIDC_API bool aoidc_log_due(apr_uint32_t *last_sec, apr_time_t now,
                             apr_uint32_t interval_sec);

#endif
