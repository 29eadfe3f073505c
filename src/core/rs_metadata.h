/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 9728 OAuth 2.0 Protected Resource Metadata: the document and the
 * URLs it lives at. */
#ifndef AOIDC_CORE_RS_METADATA_H
#define AOIDC_CORE_RS_METADATA_H

#include <stdbool.h>

#include "core/aoidc.h"

/* RFC 9728 §3: the well-known path, inserted between host and path. */
#define AOIDC_RS_METADATA_PREFIX "/.well-known/oauth-protected-resource"

typedef struct {
    const char *resource;             /* absolute URL (aoidc_rs_resource) */
    const char *issuer;               /* authorization_servers[0], or NULL */
    bool header, body, query;         /* RFC 6750 §2.1-2.3 methods taken */
    const apr_array_header_t *scopes; /* of const char *, or NULL */
    bool dpop_required;               /* AuthOIDCTokenBinding dpop */
} aoidc_rs_metadata_t;

/** The resource identifier of a location: origin ("https://host[:port]",
 *  no trailing slash) with path appended, except that path "/" adds
 *  nothing (RFC 9728 §3.1: a terminating slash after the host is
 *  dropped). In p. */
AOIDC_API const char *aoidc_rs_resource(const char *origin, const char *path,
                                        apr_pool_t *p);

/** The metadata URL for that resource: origin + AOIDC_RS_METADATA_PREFIX
 *  + path (nothing for "/"), RFC 9728 §3.1. In p. */
AOIDC_API const char *aoidc_rs_metadata_url(const char *origin,
                                            const char *path, apr_pool_t *p);

/** The JSON document (RFC 9728 §2): resource, authorization_servers
 *  (when issuer), bearer_methods_supported ("header", "body", "query" as
 *  taken), scopes_supported (when any; duplicates left out),
 *  dpop_bound_access_tokens_required. Compact, in p. */
AOIDC_API char *aoidc_rs_metadata_json(const aoidc_rs_metadata_t *m,
                                       apr_pool_t *p);

#endif
