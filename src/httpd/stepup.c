/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Step-up authentication and RFC 9728 protected resource metadata.
 *
 * `Require acr` is an authz provider (authz.c); AuthOIDCMaxAge is checked
 * here right after authentication, since it is a property of the login,
 * not a rule to combine with others. Either refusal asks for what is
 * missing: the new login's acr_values/max_age (AuthOIDCUnAutzAction auth),
 * or the RFC 9470 challenge. The acr_values come from the section's own
 * Require acr words, recorded at config time (aoidc_config_note_require),
 * so a max_age refusal asks for the acr too and one login does both.
 *
 * The metadata document lives outside the location it describes, so the
 * locations are found once at post_config in core's <Location> list and
 * their configuration merged as httpd's location walk would (server
 * defaults, then each plain <Location> covering the path, in order). It
 * is served from quick_handler: before any access or authn check, so it
 * stays public whatever protects /.well-known.
 */
#include <string.h>

#include "core/match.h"
#include "core/rs_metadata.h"
#include "httpd/answer.h"
#include "httpd/config.h"
#include "httpd/stepup.h"

/* --- step-up ------------------------------------------------------------ */

static apr_int64_t leeway(const aoidc_rctx_t *x)
{
    return x->type == AOIDC_TYPE_BEARER ? x->rs.leeway : x->rp.leeway;
}

int aoidc_stepup_max_age(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    apr_int64_t max_age = aoidc_conf_max_age(x->c);
    aoidc_err_t err = {0};
    const aoidc_claim_t *at;
    if (max_age < 0
        || (x->type != AOIDC_TYPE_OIDC && x->type != AOIDC_TYPE_BEARER)
        || aoidc_match_max_age(x->claims, max_age, leeway(x), x->now)) {
        return OK;
    }
    at = aoidc_claims_get(x->claims, "auth_time");
    aoidc_err_set(&err, AOIDC_REASON_STEP_UP, r->pool,
                  "the login is older than %" APR_INT64_T_FMT
                  "s (auth_time %s)",
                  max_age, at ? at->value : "absent");
    x->denied_by_authz = true;
    x->stepup_max_age = true;
    if (!aoidc_match_acr(x->claims, x->c->stepup_acr)) {
        x->stepup_acr = x->c->stepup_acr; /* one login for both */
    }
    ap_custom_response(r, HTTP_UNAUTHORIZED,
                       aoidc_reason_info(err.reason)->message);
    aoidc_answer_log(
        x, &err,
        apr_psprintf(r->pool, "AuthOIDCMaxAge %" APR_INT64_T_FMT, max_age));
    ap_note_auth_failure(r); /* the challenge, or the new login */
    return HTTP_UNAUTHORIZED;
}

/* On the first login too: an OP that sends auth_time only when asked for
 * max_age (OIDC Core 2), or picks the acr from acr_values, would otherwise
 * hand back a login the next request refuses. Our values replace the
 * operator's AuthOIDCAuthRequestParams acr_values and max_age: asking for
 * less than the Require would end in a 403. */
const apr_array_header_t *
aoidc_stepup_login_params(const aoidc_rctx_t *x,
                          const apr_array_header_t *extra)
{
    apr_pool_t *p = x->r->pool;
    const char *acr =
        aoidc_acr_join(x->stepup_acr ? x->stepup_acr : x->c->stepup_acr, p);
    apr_int64_t max_age = aoidc_conf_max_age(x->c);
    apr_array_header_t *out;
    if (!acr && max_age < 0) {
        return extra;
    }
    out = apr_array_make(p, 4, sizeof(aoidc_param_t));
    for (int i = 0; extra && i < extra->nelts; i++) {
        const aoidc_param_t *pr = &APR_ARRAY_IDX(extra, i, aoidc_param_t);
        if (!(acr && !strcmp(pr->name, "acr_values"))
            && !(max_age >= 0 && !strcmp(pr->name, "max_age"))) {
            APR_ARRAY_PUSH(out, aoidc_param_t) = *pr;
        }
    }
    if (acr) {
        APR_ARRAY_PUSH(out, aoidc_param_t) = (aoidc_param_t){"acr_values", acr};
    }
    if (max_age >= 0) {
        APR_ARRAY_PUSH(out, aoidc_param_t) = (aoidc_param_t){
            "max_age", apr_psprintf(p, "%" APR_INT64_T_FMT, max_age)};
    }
    return out;
}

const char *aoidc_stepup_challenge_params(aoidc_rctx_t *x, bool with_error)
{
    apr_pool_t *p = x->r->pool;
    const char *s = "";
    if (with_error && (x->stepup_acr || x->stepup_max_age)) {
        s = aoidc_stepup_params(
            x->stepup_acr, x->stepup_max_age ? aoidc_conf_max_age(x->c) : -1,
            p);
    }
    if (x->c && x->c->resource_metadata == 1 && x->c->resource_metadata_path) {
        s = apr_pstrcat(p, s, ", resource_metadata=\"",
                        aoidc_rs_metadata_url(aoidc_origin(x),
                                              x->c->resource_metadata_path, p),
                        "\"", NULL);
    }
    return s;
}

/* --- RFC 9728 metadata -------------------------------------------------- */

typedef struct {
    const server_rec *s;
    const char *path;
    const aoidc_dir_conf_t *c; /* merged as for a request to path */
} rm_entry_t;

static apr_array_header_t *rm_entries; /* in pconf */

/* httpd's <Location> match: the path itself, or below it at a '/'. */
static bool covers(const char *loc, const char *path)
{
    apr_size_t n = strlen(loc);
    return !strncmp(path, loc, n)
           && (path[n] == '\0' || path[n] == '/' || (n && loc[n - 1] == '/'));
}

/* The configuration a request to path sees from the URL space: server
 * defaults, then every plain <Location> covering it, in order. */
static const aoidc_dir_conf_t *merged_for(apr_pool_t *p, server_rec *s,
                                          const char *path)
{
    core_server_config *sc = ap_get_core_module_config(s->module_config);
    ap_conf_vector_t *m = s->lookup_defaults;
    for (int i = 0; i < sc->sec_url->nelts; i++) {
        ap_conf_vector_t *v = APR_ARRAY_IDX(sc->sec_url, i, ap_conf_vector_t *);
        core_dir_config *cd = ap_get_core_module_config(v);
        if (!cd->r && cd->d && covers(cd->d, path)) {
            m = ap_merge_per_dir_configs(p, m, v);
        }
    }
    return ap_get_module_config(m, &auth_oidc_module);
}

static void rm_add(apr_pool_t *p, server_rec *s, const aoidc_dir_conf_t *own)
{
    const aoidc_dir_conf_t *c;
    if (!own || own->resource_metadata != 1 || !own->resource_metadata_path) {
        return;
    }
    c = merged_for(p, s, own->resource_metadata_path);
    for (int i = 0; i < rm_entries->nelts; i++) {
        rm_entry_t *e = &APR_ARRAY_IDX(rm_entries, i, rm_entry_t);
        if (e->s == s && !strcmp(e->path, own->resource_metadata_path)) {
            return;
        }
    }
    if (c && c->resource_metadata == 1) {
        APR_ARRAY_PUSH(rm_entries, rm_entry_t) =
            (rm_entry_t){s, own->resource_metadata_path, c};
    }
}

int aoidc_stepup_post_config(apr_pool_t *pconf, server_rec *s)
{
    rm_entries = apr_array_make(pconf, 4, sizeof(rm_entry_t));
    for (; s; s = s->next) {
        core_server_config *sc = ap_get_core_module_config(s->module_config);
        rm_add(pconf, s,
               ap_get_module_config(s->lookup_defaults, &auth_oidc_module));
        for (int i = 0; i < sc->sec_url->nelts; i++) {
            ap_conf_vector_t *v =
                APR_ARRAY_IDX(sc->sec_url, i, ap_conf_vector_t *);
            core_dir_config *cd = ap_get_core_module_config(v);
            if (!cd->r) {
                rm_add(pconf, s, ap_get_module_config(v, &auth_oidc_module));
            }
        }
    }
    return OK;
}

static const rm_entry_t *rm_find(const request_rec *r, const char *path)
{
    for (int i = 0; rm_entries && i < rm_entries->nelts; i++) {
        const rm_entry_t *e = &APR_ARRAY_IDX(rm_entries, i, rm_entry_t);
        if (e->s == r->server && !strcmp(e->path, path)) {
            return e;
        }
    }
    return NULL;
}

/* r->uri as the client sent it (quick_handler runs before httpd
 * normalises it): the well-known URL is one clients build from the
 * resource URL byte for byte (RFC 9728 §3.1). */
int aoidc_stepup_metadata_handler(request_rec *r, int lookup)
{
    static const apr_size_t n = sizeof(AOIDC_RS_METADATA_PREFIX) - 1;
    aoidc_rs_metadata_t m = {0};
    const rm_entry_t *e;
    const char *path, *body;
    int accept;
    if (lookup || r->main || !r->uri
        || strncmp(r->uri, AOIDC_RS_METADATA_PREFIX, n)
        || (r->uri[n] && r->uri[n] != '/')
        || !(e = rm_find(r, r->uri[n] ? r->uri + n : "/"))) {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        r->allowed = AP_METHOD_BIT << M_GET;
        return HTTP_METHOD_NOT_ALLOWED;
    }
    path = e->path;
    /* here, not above: this hook runs on every request, and zeroing a
     * request context costs ~150 instructions */
    aoidc_rctx_t lx = {.r = r, .c = e->c};
    accept = aoidc_conf_accept_in(e->c);
    m.resource = aoidc_rs_resource(aoidc_origin(&lx), path, r->pool);
    m.issuer = e->c->issuer;
    m.header = accept & AOIDC_ACCEPT_HEADER;
    m.body = accept & AOIDC_ACCEPT_FORM;
    m.query = accept & AOIDC_ACCEPT_QUERY;
    m.scopes = e->c->require_scopes;
    m.dpop_required = e->c->token_binding == AOIDC_BIND_DPOP;
    body = aoidc_rs_metadata_json(&m, r->pool);
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=3600");
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, (apr_off_t)strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
    }
    return OK;
}
