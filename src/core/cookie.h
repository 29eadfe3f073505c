/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cookie header tokenizing (RFC 6265 §5.4 shape) and Set-Cookie assembly.
 * Only our own cookies are ever read; their values are opaque base64url.
 */
#ifndef AOIDC_CORE_COOKIE_H
#define AOIDC_CORE_COOKIE_H

#include "core/err.h"

#define AOIDC_COOKIE_MAX_VALUE 4096

typedef struct {
    const char *name;
    const char *value;
} aoidc_cookie_t;

/** Split a Cookie header into (name, value) pairs in p; returns an array of
 *  aoidc_cookie_t. Pairs without '=' and pairs with empty names are skipped,
 *  as browsers do. At most max pairs are returned (the rest are ignored). */
AOIDC_API apr_array_header_t *aoidc_cookie_parse(const char *header, int max,
                                                 apr_pool_t *p);

/** The value of the first cookie called name in header, or NULL. Does not
 *  allocate unless it finds one. Values longer than
 *  AOIDC_COOKIE_MAX_VALUE are treated as absent. */
AOIDC_API const char *aoidc_cookie_get(const char *header, const char *name,
                                       apr_pool_t *p);

/** header without the cookies called name or whose name starts with
 *  prefix (either may be NULL); every other piece is kept byte for byte,
 *  quotes, odd spacing and nameless cookies included (only the blanks around
 *  the separators become "; "). NULL when nothing is left; header itself
 *  when none was removed. In p. */
AOIDC_API const char *aoidc_cookie_strip(const char *header, const char *name,
                                         const char *prefix, apr_pool_t *p);

typedef struct {
    const char *path;     /* default "/" */
    const char *samesite; /* "Lax" (default), "Strict", "None" */
    bool secure;
    apr_int64_t max_age; /* < 0: session cookie; 0: delete */
    const char *domain;  /* Domain attribute, or NULL (host-only) */
} aoidc_cookie_attrs_t;

/** "name=value; Path=/; HttpOnly; [Secure; ]SameSite=Lax[; Max-Age=n]". */
AOIDC_API char *aoidc_cookie_build(const char *name, const char *value,
                                   const aoidc_cookie_attrs_t *a,
                                   apr_pool_t *p);

#endif
