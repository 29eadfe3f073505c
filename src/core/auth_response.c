/* SPDX-License-Identifier: Apache-2.0 */
/* Callback parameter parsing and the RFC 9207 issuer check. */
#include <string.h>

#include "core/auth_response.h"
#include "core/url.h"

static bool is_b64url(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')) {
            return false;
        }
    }
    return true;
}

static apr_status_t check_sizes(const apr_table_t *t, apr_pool_t *p,
                                aoidc_err_t *err)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    for (int i = 0; i < arr->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(arr, i, apr_table_entry_t);
        apr_size_t max = strcmp(e->key, "id_token") ? AOIDC_MAX_PARAM_LEN
                                                    : AOIDC_MAX_TOKEN_LEN;
        if (strlen(e->val) > max) {
            return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                                 "callback: parameter too long");
        }
    }
    return APR_SUCCESS;
}

static bool empty(const char *s)
{
    return !s || !*s;
}

apr_status_t aoidc_auth_response_parse_for(aoidc_auth_response_t *out,
                                           const char *input,
                                           aoidc_response_type_t rt,
                                           apr_pool_t *p, aoidc_err_t *err)
{
    apr_table_t *t;
    apr_status_t rv;
    memset(out, 0, sizeof(*out));
    if (input && strlen(input) > AOIDC_AUTH_RESPONSE_MAX) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "callback: response too long");
    }
    if ((rv = aoidc_url_parse_query(&t, input, 16, p, err)) != APR_SUCCESS
        || (rv = check_sizes(t, p, err)) != APR_SUCCESS) {
        return rv;
    }
    if (rt != AOIDC_RT_ID_TOKEN) {
        out->code = aoidc_url_param(t, "code");
    }
    if (rt != AOIDC_RT_CODE) {
        out->id_token = aoidc_url_param(t, "id_token");
    }
    out->state = aoidc_url_param(t, "state");
    out->iss = aoidc_url_param(t, "iss");
    out->error = aoidc_url_param(t, "error");
    out->error_description = aoidc_url_param(t, "error_description");
    if (empty(out->state)) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_MISSING, p,
                             "callback: no state");
    }
    if (strlen(out->state) < 22 || strlen(out->state) > 128
        || !is_b64url(out->state)) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_MISSING, p,
                             "callback: state is not one of ours");
    }
    if (!out->error && rt != AOIDC_RT_ID_TOKEN && empty(out->code)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "callback: neither code nor error");
    }
    if (!out->error && rt != AOIDC_RT_CODE && empty(out->id_token)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "callback: neither id_token nor error (response "
                             "type %s)",
                             aoidc_response_type_name(rt));
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_auth_response_parse(aoidc_auth_response_t *out,
                                       const char *query, apr_pool_t *p,
                                       aoidc_err_t *err)
{
    /* the code flow's bound on the whole query, as before */
    if (query && strlen(query) > 8 * AOIDC_MAX_PARAM_LEN) {
        memset(out, 0, sizeof(*out));
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "callback: query too long");
    }
    return aoidc_auth_response_parse_for(out, query, AOIDC_RT_CODE, p, err);
}

apr_status_t aoidc_auth_response_check_mode(aoidc_response_mode_t mode,
                                            bool post, apr_pool_t *p,
                                            aoidc_err_t *err)
{
    if (mode == AOIDC_RM_FORM_POST && !post) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "callback: AuthOIDCResponseMode form_post "
                             "expects the response POSTed, not in a GET");
    }
    if (mode != AOIDC_RM_FORM_POST && post) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "callback: a POSTed response, but "
                             "AuthOIDCResponseMode is query");
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_auth_response_check_iss(const aoidc_auth_response_t *r,
                                           const char *issuer, bool required,
                                           apr_pool_t *p, aoidc_err_t *err)
{
    if (r->iss ? strcmp(r->iss, issuer) != 0 : required) {
        return aoidc_err_set(err, AOIDC_REASON_ISS_PARAM, p, "callback: iss %s",
                             r->iss ? "differs" : "missing");
    }
    return APR_SUCCESS;
}

bool aoidc_initiate_is(const apr_table_t *q)
{
    return aoidc_url_param(q, "iss") && !aoidc_url_param(q, "state")
           && !aoidc_url_param(q, "code") && !aoidc_url_param(q, "error")
           && !aoidc_url_param(q, "id_token");
}

/* The target as a local path on this origin, or NULL (the reason set). The
 * incumbent's open redirects came from looser rules here (prefix matches,
 * "//host", backslashes): only an exact origin and a strict local path. */
static const char *initiate_target(const char *t, const char *origin,
                                   apr_pool_t *p, aoidc_err_t *err)
{
    const char *path = aoidc_url_same_origin_path(origin, t);
    if (!aoidc_url_is_local_path(path)
        || strlen(path) > AOIDC_INITIATE_TARGET_MAX) {
        aoidc_err_set(err, AOIDC_REASON_RETURN_URL, p,
                      "login initiation: target_link_uri is not a local "
                      "path on %s",
                      origin);
        return NULL;
    }
    return path;
}

apr_status_t aoidc_initiate_parse(aoidc_initiate_t *out, const char *query,
                                  const char *issuer, const char *origin,
                                  apr_pool_t *p, aoidc_err_t *err)
{
    apr_table_t *t;
    const char *iss, *target;
    apr_status_t rv;
    memset(out, 0, sizeof(*out));
    if ((rv = aoidc_url_parse_query(&t, query, 16, p, err)) != APR_SUCCESS) {
        return rv;
    }
    iss = aoidc_url_param(t, "iss");
    if (!iss || strcmp(iss, issuer)) {
        return aoidc_err_set(err, AOIDC_REASON_ISS_PARAM, p,
                             "login initiation: iss is not this location's "
                             "issuer");
    }
    out->login_hint = aoidc_url_param(t, "login_hint");
    if (out->login_hint && strlen(out->login_hint) > AOIDC_LOGIN_HINT_MAX) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "login initiation: login_hint too long");
    }
    if (out->login_hint && !*out->login_hint) {
        out->login_hint = NULL;
    }
    target = aoidc_url_param(t, "target_link_uri");
    if (target && *target
        && !(out->target = initiate_target(target, origin, p, err))) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}
