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

apr_status_t aoidc_auth_response_parse(aoidc_auth_response_t *out,
                                       const char *query, apr_pool_t *p,
                                       aoidc_err_t *err)
{
    apr_table_t *t;
    const apr_array_header_t *arr;
    memset(out, 0, sizeof(*out));
    if (query && strlen(query) > 8 * AOIDC_MAX_PARAM_LEN) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "callback: query too long");
    }
    apr_status_t rv = aoidc_url_parse_query(&t, query, 16, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    arr = apr_table_elts(t);
    for (int i = 0; i < arr->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(arr, i, apr_table_entry_t);
        if (strlen(e->val) > AOIDC_MAX_PARAM_LEN) {
            return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                                 "callback: parameter too long");
        }
    }
    out->code = aoidc_url_param(t, "code");
    out->state = aoidc_url_param(t, "state");
    out->iss = aoidc_url_param(t, "iss");
    out->error = aoidc_url_param(t, "error");
    out->error_description = aoidc_url_param(t, "error_description");
    if (!out->state || !*out->state) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_MISSING, p,
                             "callback: no state");
    }
    if (strlen(out->state) < 22 || strlen(out->state) > 128
        || !is_b64url(out->state)) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_MISSING, p,
                             "callback: state is not one of ours");
    }
    if (!out->error && (!out->code || !*out->code)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "callback: neither code nor error");
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
