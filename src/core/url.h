/* SPDX-License-Identifier: Apache-2.0 */
/*
 * URLs: form encoding (application/x-www-form-urlencoded), query parsing for
 * callbacks, the loopback rule for http endpoints, and the open-redirect
 * guard for return URLs.
 */
#ifndef AOIDC_CORE_URL_H
#define AOIDC_CORE_URL_H

#include <apr_uri.h>

#include "core/err.h"

/** Percent-encode s for a query component or form body (unreserved
 *  characters pass, everything else becomes %XX). Allocated in p. */
AOIDC_API char *aoidc_url_encode(const char *s, apr_pool_t *p);

/** Parse "a=1&b=2" (query or form body) into *out. Keys and values are
 *  percent-decoded ('+' is a space). Refuses a repeated key (RFC 6749 §3.1),
 *  more than max_params pairs, NUL or control bytes after decoding, and bad
 *  %-escapes: AOIDC_REASON_MALFORMED / AOIDC_REASON_TOO_LARGE. */
AOIDC_API apr_status_t aoidc_url_parse_query(apr_table_t **out,
                                             const char *query, int max_params,
                                             apr_pool_t *p, aoidc_err_t *err);

/** The value of parameter name in a table from aoidc_url_parse_query,
 *  comparing names exactly (apr_table_get ignores case: "CODE" is not
 *  "code"). NULL when absent. */
AOIDC_API const char *aoidc_url_param(const apr_table_t *t, const char *name);

/** Find parameter name in a query or form body without judging the other
 *  parameters (a form may repeat its own fields). *count gets the number of
 *  occurrences; *value the decoded first one (NULL when absent or when it
 *  does not decode). */
AOIDC_API void aoidc_url_find_param(const char **value, int *count,
                                    const char *query, const char *name,
                                    apr_pool_t *p);

/** True for 127.0.0.0/8, ::1 and "localhost" (any case). */
AOIDC_API bool aoidc_url_is_loopback(const char *host);

/** Parse an absolute endpoint URL into *out: scheme https, or http on a
 *  loopback host only; a host is required; no userinfo, no fragment.
 *  Fails with AOIDC_REASON_OP_INSECURE (http off loopback) or
 *  AOIDC_REASON_MALFORMED. */
AOIDC_API apr_status_t aoidc_url_check_endpoint(apr_uri_t *out, const char *url,
                                                apr_pool_t *p,
                                                aoidc_err_t *err);

/** aoidc_url_check_endpoint for an endpoint named in issuer's metadata,
 *  plus: a plain-http endpoint is allowed only when the issuer itself is an
 *  http URL on a loopback host (a local test OP). An https issuer's
 *  metadata pointing anywhere at http, loopback included, fails with
 *  AOIDC_REASON_OP_INSECURE. */
AOIDC_API apr_status_t aoidc_url_check_op_endpoint(apr_uri_t *out,
                                                   const char *url,
                                                   const char *issuer,
                                                   apr_pool_t *p,
                                                   aoidc_err_t *err);

/** Check an outgoing proxy URL: http:// or https://, a host, an explicit
 *  port (1-65535), optional user:password, and at most a "/" path (no
 *  query, no fragment, no spaces or controls). *shown (when not NULL) gets
 *  the URL as it may be logged: any password replaced by "***". Fails
 *  with AOIDC_REASON_MALFORMED; the detail never holds a password. */
AOIDC_API apr_status_t aoidc_url_check_proxy(const char **shown,
                                             const char *url, apr_pool_t *p,
                                             aoidc_err_t *err);

/** True when target is a safe same-origin local reference: it starts with a
 *  single '/', is not "//" or "/\", and holds no backslash, no control
 *  character, no space and no fragment. Anything else could leave the origin
 *  when a browser resolves it. */
AOIDC_API bool aoidc_url_is_local_path(const char *target);

/** An absolute URL on origin ("scheme://host[:port]", no trailing slash,
 *  compared exactly) becomes its path ("/" for the origin itself); any
 *  other target is returned as it is (the caller then applies
 *  aoidc_url_is_local_path). Points into target or is "/"; no allocation. */
AOIDC_API const char *aoidc_url_same_origin_path(const char *origin,
                                                 const char *target);

/** Append "name=value" (value percent-encoded) to buf, separated by '&'
 *  when buf is not empty; returns the new string in p. */
AOIDC_API char *aoidc_url_append_param(const char *buf, const char *name,
                                       const char *value, apr_pool_t *p);

#endif
