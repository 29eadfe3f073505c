/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_oidc core: common definitions.
 *
 * The core is plain C over APR, OpenSSL, cjose, jansson and libcurl. It never
 * includes an httpd header (the build enforces it: see src/Makefile.am).
 * Layers, each using only those before it:
 *   base     err, b64url, json, rand, url, cookie, seal, codec, parse
 *   jose     jwk, jws, jwt
 *   protocol pkce, state, authz_request, auth_response, token, id_token,
 *            logout_token, session, bearer, match, claims
 *   services provider, client (over http.h) and store helpers such as
 *            session_index (over store.h)
 */
#ifndef AOIDC_CORE_AOIDC_H
#define AOIDC_CORE_AOIDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

#define AOIDC_VERSION "0.1.0"

/* Non-static core symbols are hidden from the module's export table anyway
 * (-fvisibility=hidden); this marks the public core API for readers. */
#define AOIDC_API

/* Upper bounds applied to everything the client or the OP sends us. */
#define AOIDC_MAX_TOKEN_LEN                                                    \
    (16 * 1024) /* a token a client presents                                   \
                 * (bearer, logout token); the                                 \
                 * largest ID Token a session keeps */
/* An ID Token from the OP's token endpoint (TLS, the client
 * authenticated) may carry a large groups claim: 12 KB of groups make a
 * 17 KB ID Token. The JWS parser takes this bound; the entry points that
 * read a client's token bound it to AOIDC_MAX_TOKEN_LEN first. */
#define AOIDC_MAX_OP_TOKEN_LEN (64 * 1024)
#define AOIDC_MAX_JSON_LEN     (256 * 1024) /* metadata, token responses */
#define AOIDC_MAX_JWKS_LEN     (512 * 1024) /* JWKS documents */
#define AOIDC_MAX_JSON_DEPTH   16
#define AOIDC_MAX_CLAIMS       64

/* The latest instant we represent: 9999-12-31T23:59:59Z. Every number of
 * seconds from the OP (exp, expires_in, iat) goes through the two helpers
 * below, so a hostile value never overflows apr_time_t (microseconds). */
#define AOIDC_TIME_MAX_SEC 253402300799LL

/** Epoch seconds as apr_time_t, clamped to [0, AOIDC_TIME_MAX_SEC]. */
static inline apr_time_t aoidc_time_from_epoch(apr_int64_t sec)
{
    if (sec <= 0) {
        return 0;
    }
    return apr_time_from_sec(sec > AOIDC_TIME_MAX_SEC ? AOIDC_TIME_MAX_SEC
                                                      : sec);
}

/** now + secs (a duration from the OP, such as expires_in), clamped the
 *  same way; secs <= 0 gives now. */
static inline apr_time_t aoidc_time_after(apr_time_t now, apr_int64_t secs)
{
    apr_int64_t base = apr_time_sec(now);
    if (secs <= 0) {
        return now;
    }
    if (secs > AOIDC_TIME_MAX_SEC - base) {
        return apr_time_from_sec(AOIDC_TIME_MAX_SEC);
    }
    return now + apr_time_from_sec(secs);
}

#endif
