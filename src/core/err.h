/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Errors as values. Core functions return apr_status_t; when they reject
 * input they also fill an aoidc_err_t naming the reason. The glue maps each
 * reason to an HTTP answer in one table (src/httpd/authn.c). The core never
 * logs a decision and never returns an HTTP status.
 */
#ifndef AOIDC_CORE_ERR_H
#define AOIDC_CORE_ERR_H

#include "core/aoidc.h"

/* Keep in step with the names in err.c and the table in httpd/authn.c. */
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
    /* sessions */
    AOIDC_REASON_SESSION_EXPIRED,
    AOIDC_REASON_SESSION_INVALID,
    AOIDC_REASON_REFRESH, /* refresh failed: session ends */
    AOIDC_REASON_USERINFO_SUB,
    /* upstream */
    AOIDC_REASON_OP_UNREACHABLE,    /* connect/timeout */
    AOIDC_REASON_OP_BAD_RESPONSE,   /* garbage, wrong status, too big */
    AOIDC_REASON_OP_INSECURE,       /* http endpoint off loopback */
    AOIDC_REASON_OP_ISSUER,         /* metadata issuer differs */
    AOIDC_REASON_TOKEN_ENDPOINT,    /* token endpoint refused the grant */
    AOIDC_REASON_STORE_UNAVAILABLE, /* session/cache store down or slow */
    /* local */
    AOIDC_REASON_CONFIG,
    AOIDC_REASON_INTERNAL,
    AOIDC_REASON__COUNT
} aoidc_reason_t;

typedef struct {
    aoidc_reason_t reason;
    const char *detail; /* for the log only; never sent to the client */
} aoidc_err_t;

/** Fill *err (if not NULL) and return APR_EINVAL for rejections, or
 *  APR_EGENERAL for upstream/internal reasons. detail is formatted in p. */
AOIDC_API apr_status_t aoidc_err_set(aoidc_err_t *err, aoidc_reason_t reason,
                                     apr_pool_t *p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Stable lower-case name of a reason, e.g. "expired"; used in log lines. */
AOIDC_API const char *aoidc_reason_name(aoidc_reason_t reason);

#endif
