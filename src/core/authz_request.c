/* SPDX-License-Identifier: Apache-2.0 */
/* Authorization request assembly. */
#include <string.h>

#include "core/authz_request.h"
#include "core/pkce.h"
#include "core/url.h"

const char *aoidc_response_type_name(aoidc_response_type_t rt)
{
    return rt == AOIDC_RT_CODE_ID_TOKEN ? "code id_token"
           : rt == AOIDC_RT_ID_TOKEN    ? "id_token"
                                        : "code";
}

char *aoidc_authz_request_params(const aoidc_authz_params_t *a,
                                 const aoidc_state_t *st, apr_pool_t *p)
{
    char *q = "";
    q = aoidc_url_append_param(q, "response_type",
                               aoidc_response_type_name(a->response_type), p);
    q = aoidc_url_append_param(q, "client_id", a->client_id, p);
    q = aoidc_url_append_param(q, "redirect_uri", a->redirect_uri, p);
    q = aoidc_url_append_param(q, "scope", a->scope, p);
    q = aoidc_url_append_param(q, "state", st->state, p);
    q = aoidc_url_append_param(q, "nonce", st->nonce, p);
    if (st->verifier) {
        q = aoidc_url_append_param(
            q, "code_challenge", aoidc_pkce_challenge_s256(st->verifier, p), p);
        q = aoidc_url_append_param(q, "code_challenge_method", "S256", p);
    }
    if (a->response_mode == AOIDC_RM_FORM_POST) {
        q = aoidc_url_append_param(q, "response_mode", "form_post", p);
    }
    if (a->login_hint) {
        q = aoidc_url_append_param(q, "login_hint", a->login_hint, p);
    }
    for (int i = 0; a->extra && i < a->extra->nelts; i++) {
        const aoidc_param_t *x = &APR_ARRAY_IDX(a->extra, i, aoidc_param_t);
        q = aoidc_url_append_param(q, x->name, x->value, p);
    }
    return q;
}

static char *with_query(const char *endpoint, const char *q, apr_pool_t *p)
{
    return apr_pstrcat(p, endpoint, strchr(endpoint, '?') ? "&" : "?", q, NULL);
}

char *aoidc_authz_request_url(const aoidc_authz_params_t *a,
                              const aoidc_state_t *st, apr_pool_t *p)
{
    return with_query(a->endpoint, aoidc_authz_request_params(a, st, p), p);
}

char *aoidc_authz_par_url(const char *endpoint, const char *client_id,
                          const char *request_uri, apr_pool_t *p)
{
    char *q = aoidc_url_append_param("", "client_id", client_id, p);
    q = aoidc_url_append_param(q, "request_uri", request_uri, p);
    return with_query(endpoint, q, p);
}

static const char *const reserved[] = {
    "response_type", "client_id",   "redirect_uri",   "scope",
    "state",         "nonce",       "code_challenge", "code_challenge_method",
    "request",       "request_uri", "response_mode",  NULL};

const char *aoidc_authz_params_parse(apr_array_header_t **out, const char *arg,
                                     apr_pool_t *p)
{
    apr_table_t *t;
    aoidc_err_t err = {0};
    const apr_array_header_t *all;
    if (aoidc_url_parse_query(&t, arg, 32, p, &err) != APR_SUCCESS) {
        return apr_psprintf(p, "expects k=v&k2=v2 (%s)", err.detail);
    }
    all = apr_table_elts(t);
    *out = apr_array_make(p, all->nelts, sizeof(aoidc_param_t));
    for (int i = 0; i < all->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(all, i, apr_table_entry_t);
        for (int j = 0; reserved[j]; j++) {
            if (!strcmp(e->key, reserved[j])) {
                return apr_psprintf(p,
                                    "'%s' is set by the module and cannot "
                                    "be overridden",
                                    e->key);
            }
        }
        aoidc_param_t *x = apr_array_push(*out);
        x->name = e->key;
        x->value = e->val;
    }
    return NULL;
}

apr_array_header_t *aoidc_authz_params_default(const apr_array_header_t *extra,
                                               const char *name,
                                               const char *value, apr_pool_t *p)
{
    apr_array_header_t *out = extra
                                  ? apr_array_copy(p, extra)
                                  : apr_array_make(p, 1, sizeof(aoidc_param_t));
    aoidc_param_t *pr;
    for (int i = 0; i < out->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(out, i, aoidc_param_t).name, name)) {
            return out;
        }
    }
    pr = apr_array_push(out);
    pr->name = name;
    pr->value = value;
    return out;
}

const char *aoidc_authz_scope(const char *scope, bool *added, apr_pool_t *p)
{
    const char *s = scope;
    *added = true;
    while (s && *s) {
        apr_size_t n = strcspn(s, " ");
        if (n == 6 && !strncmp(s, "openid", 6)) {
            *added = false;
            return scope;
        }
        s += n;
        s += strspn(s, " ");
    }
    return *scope ? apr_pstrcat(p, "openid ", scope, NULL) : "openid";
}
