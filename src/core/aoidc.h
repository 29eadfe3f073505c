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
 *            session, bearer, match, claims
 *   services provider (over http.h) and store helpers (over store.h)
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
#define AOIDC_MAX_TOKEN_LEN  (16 * 1024)  /* a JWT or opaque token */
#define AOIDC_MAX_JSON_LEN   (256 * 1024) /* metadata, token responses */
#define AOIDC_MAX_JWKS_LEN   (512 * 1024) /* JWKS documents */
#define AOIDC_MAX_JSON_DEPTH 16
#define AOIDC_MAX_CLAIMS     64

#endif
