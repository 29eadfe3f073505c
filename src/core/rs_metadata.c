/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 9728 protected resource metadata. */
#include <string.h>

#include "core/json.h"
#include "core/rs_metadata.h"

const char *aoidc_rs_resource(const char *origin, const char *path,
                              apr_pool_t *p)
{
    return apr_pstrcat(p, origin, strcmp(path, "/") ? path : "", NULL);
}

const char *aoidc_rs_metadata_url(const char *origin, const char *path,
                                  apr_pool_t *p)
{
    return apr_pstrcat(p, origin, AOIDC_RS_METADATA_PREFIX,
                       strcmp(path, "/") ? path : "", NULL);
}

static json_t *methods(const aoidc_rs_metadata_t *m)
{
    json_t *a = json_array();
    if (m->header) {
        json_array_append_new(a, json_string("header"));
    }
    if (m->body) {
        json_array_append_new(a, json_string("body"));
    }
    if (m->query) {
        json_array_append_new(a, json_string("query"));
    }
    return a;
}

static json_t *scopes(const apr_array_header_t *s)
{
    json_t *a = json_array();
    for (int i = 0; s && i < s->nelts; i++) {
        const char *v = APR_ARRAY_IDX(s, i, const char *);
        bool seen = false;
        for (int j = 0; j < i && !seen; j++) {
            seen = !strcmp(v, APR_ARRAY_IDX(s, j, const char *));
        }
        if (!seen) {
            json_array_append_new(a, json_string(v));
        }
    }
    return a;
}

char *aoidc_rs_metadata_json(const aoidc_rs_metadata_t *m, apr_pool_t *p)
{
    json_t *j = aoidc_json_own(json_object(), p), *s = scopes(m->scopes);
    json_object_set_new(j, "resource", json_string(m->resource));
    if (m->issuer) {
        json_t *as = json_array();
        json_array_append_new(as, json_string(m->issuer));
        json_object_set_new(j, "authorization_servers", as);
    }
    json_object_set_new(j, "bearer_methods_supported", methods(m));
    if (json_array_size(s)) {
        json_object_set(j, "scopes_supported", s);
    }
    json_decref(s);
    json_object_set_new(j, "dpop_bound_access_tokens_required",
                        json_boolean(m->dpop_required));
    return aoidc_json_dump(j, p);
}
