/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Claims as the backend sees them: a flat list of (name, value) where value
 * is the string itself, or compact JSON for numbers, booleans, arrays and
 * objects. Names that are not HTTP tokens are mapped to one
 * (aoidc_claims_safe_name: Auth0's "https://example.com/roles" becomes
 * "https___example.com_roles"), and values with control characters (CR/LF
 * above all) never make it into the list, so nothing a token carries can
 * split a header. Also the binary encoding of the list
 * used inside sessions and cache entries.
 */
#ifndef AOIDC_CORE_CLAIMS_H
#define AOIDC_CORE_CLAIMS_H

#include <jansson.h>

#include "core/codec.h"
#include "core/json.h"

typedef struct {
    const char *name;
    const char *value;
    bool is_json; /* value is JSON (array, object, number, bool) */
} aoidc_claim_t;

/* A claim value passed on (header, variable), and matched by `Require
 * claim`: a 12 KB groups claim fits; the backend's own header limit may
 * not (httpd's LimitRequestFieldSize is 8190 by default;
 * docs/directives.md "Large claims"). */
#define AOIDC_CLAIM_MAX_VALUE (16 * 1024)
#define AOIDC_CLAIM_MAX_NAME  256

/** The name a claim is listed (and passed to the backend) under: name
 *  itself when it is an RFC 9110 token, else a copy in p with every
 *  character that is not a token character replaced by '_' (namespaced
 *  claims such as "https://example.com/roles" become
 *  "https___example.com_roles"). NULL for an empty name or one longer than
 *  AOIDC_CLAIM_MAX_NAME. A mapped name takes part in the collision rule of
 *  aoidc_claims_add_json_keep like any other: a claim the OP really calls
 *  "https___example.com_roles", or one mapping to the same header, that
 *  comes first wins. */
AOIDC_API const char *aoidc_claims_safe_name(const char *name, apr_pool_t *p);

/** Add every usable member of obj to list (created in p when NULL), under
 *  its aoidc_claims_safe_name, replacing entries with the same name;
 *  nonce, at_hash and c_hash are left out. Returns the list (strings
 *  copied into p).
 *
 *  - A name that would give the same header or CGI variable as an entry
 *    already in the list (aoidc_claims_same_header: "groups"/"Groups",
 *    "x-a"/"x_a") is dropped: the first one wins. Exception: a kept name
 *    (below) takes the place of a colliding name that is not kept.
 *  - The list never exceeds AOIDC_MAX_CLAIMS entries. Claims past the cap
 *    are dropped in JSON order, except kept names: "sub" always, and each
 *    name in keep (NULL-terminated, may be NULL; e.g. the
 *    AuthOIDCRemoteUserClaim claim). A kept claim arriving at a full list
 *    replaces the last entry that is not kept. */
AOIDC_API apr_array_header_t *
aoidc_claims_add_json_keep(apr_array_header_t *list, const json_t *obj,
                           const char *const *keep, apr_pool_t *p);

/** The list aoidc_claims_add_json_keep(NULL, obj, keep, p) makes of the
 *  object whose members m are (aoidc_json_fast_members), without that
 *  object. The list's strings are m's: they live as long as m. */
AOIDC_API apr_array_header_t *
aoidc_claims_from_members(const aoidc_json_members_t *m,
                          const char *const *keep, apr_pool_t *p);

/** aoidc_claims_add_json_keep with keep NULL (only "sub" is kept). */
AOIDC_API apr_array_header_t *aoidc_claims_add_json(apr_array_header_t *list,
                                                    const json_t *obj,
                                                    apr_pool_t *p);

/** The REMOTE_USER value: the entry called claim (NULL or "" means "sub"),
 *  or "sub" when claim is absent from the list (the documented fallback).
 *  Fails with AOIDC_REASON_NO_USER, *user NULL, when that entry is missing,
 *  empty, or an array/object: the caller must then refuse the request, or
 *  `Require valid-user` would pass with an empty user. *user points into
 *  the list. */
AOIDC_API apr_status_t aoidc_claims_user(const char **user,
                                         const apr_array_header_t *l,
                                         const char *claim, apr_pool_t *p,
                                         aoidc_err_t *err);

/** value (a claim's JSON text) as a delim-joined list when it is a JSON
 *  array of strings ("a,b"), for AuthOIDCClaimDelimiter; otherwise value
 *  itself. A list with a string holding delim or a control character stays
 *  JSON: joining would make it ambiguous, or put CR/LF into a header. */
AOIDC_API const char *aoidc_claims_join(const char *value, char delim,
                                        apr_pool_t *p);

/** What a location hands the backend for a claims list, made once per L1
 *  entry (l1.h) so that a hit costs no allocation and no table insertion
 *  per claim: a table of the header/variable names (prefix + each claim's
 *  name) with the values, entry i for list[i], that the glue appends in one
 *  step. Read only (threads share it). */
typedef struct {
    const char *prefix;      /* made for this prefix */
    const apr_table_t *pass; /* entry i: prefix + list[i]'s name, its value */
    bool any_json;           /* some value is JSON (a delimiter joins it) */
} aoidc_claims_view_t;

/** prefix + name, in p. */
AOIDC_API const char *aoidc_claims_prefixed(const char *prefix, apr_size_t plen,
                                            const char *name, apr_pool_t *p);

/** The view of list for prefix, in p. It points into list and at prefix
 *  (the configuration's string): both must live as long. */
AOIDC_API const aoidc_claims_view_t *
aoidc_claims_view_make(const apr_array_header_t *list, const char *prefix,
                       apr_pool_t *p);

/** v when it was made for prefix (another location may use another
 *  AuthOIDCClaimPrefix for the same session or token), else NULL. */
AOIDC_API const aoidc_claims_view_t *
aoidc_claims_view_for(const aoidc_claims_view_t *v, const char *prefix);

/** The entry called name, or NULL. */
AOIDC_API const aoidc_claim_t *aoidc_claims_get(const apr_array_header_t *l,
                                                const char *name);

/** True for an RFC 9110 token (the characters a header name may use). */
AOIDC_API bool aoidc_claims_is_token(const char *name);

/** True when a and b name the same header or CGI variable: equal ignoring
 *  ASCII case, with '-' and '_' treated as equal. */
AOIDC_API bool aoidc_claims_same_header(const char *a, const char *b);

/** True when header name hdr equals prefix+anything, comparing case-
 *  insensitively and treating '-' and '_' as equal (CGI maps both to '_'). */
AOIDC_API bool aoidc_claims_has_prefix(const char *hdr, const char *prefix);

/** A copy of list in p: the entries and every string (one block). */
AOIDC_API apr_array_header_t *aoidc_claims_copy(const apr_array_header_t *l,
                                                apr_pool_t *p);

AOIDC_API void aoidc_claims_encode(aoidc_wbuf_t *w,
                                   const apr_array_header_t *list);
/** Decode a list written by aoidc_claims_encode; r->bad on error. */
AOIDC_API apr_array_header_t *aoidc_claims_decode(aoidc_rbuf_t *r,
                                                  apr_pool_t *p);

#endif
