/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authz providers `Require claim NAME:VALUE ...` (any one matches, like
 * `Require user`) and `Require scope VALUE ...` (all are needed, like an
 * OAuth scope check). Require lines are parsed once at config time.
 *
 * Note: mod_auth_openidc also registers a provider named "claim"; the two
 * modules cannot be loaded into one server (aoidc_authz_check refuses it).
 */
#include <string.h>

#include "mod_auth.h"
#include "ap_provider.h"
#include "mod_core.h"

#include "core/match.h"
#include "httpd/answer.h"
#include "httpd/authz.h"
#include "httpd/config.h"

typedef struct {
    const char *name;
    const char *value;
} pair_t;

static const char *parse_words(cmd_parms *cmd, const char *line,
                               const void **parsed, bool pairs)
{
    apr_array_header_t *a = apr_array_make(cmd->pool, 2, sizeof(pair_t));
    const char *w;
    while (*(w = ap_getword_conf(cmd->pool, &line))) {
        pair_t *pr = apr_array_push(a);
        if (pairs) {
            const char *colon = strchr(w, ':');
            if (!colon || colon == w) {
                return apr_psprintf(cmd->pool,
                                    "Require claim: expects NAME:VALUE, "
                                    "not '%s'",
                                    w);
            }
            pr->name = apr_pstrndup(cmd->pool, w, (apr_size_t)(colon - w));
            pr->value = colon + 1;
        }
        else {
            pr->value = w;
        }
    }
    if (!a->nelts) {
        return pairs ? "Require claim: expects NAME:VALUE"
                     : "Require scope: expects at least one scope";
    }
    *parsed = a;
    return NULL;
}

static const char *claim_parse(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    return parse_words(cmd, line, parsed, true);
}

/* The scopes are also noted in the section's configuration: RFC 9728's
 * scopes_supported (stepup.c). */
static const char *scope_parse(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    const char *e = parse_words(cmd, line, parsed, false);
    const apr_array_header_t *a = *parsed;
    for (int i = 0; !e && i < a->nelts; i++) {
        aoidc_config_note_require(cmd, false,
                                  APR_ARRAY_IDX(a, i, pair_t).value);
    }
    return e;
}

/* --- Require acr (step-up, RFC 9470; stepup.c) --------------------------- */

/* The words go into the section's configuration too: a refused
 * AuthOIDCMaxAge asks the new login for them as well. Quotes and
 * backslashes cannot be sent in a challenge's quoted string. */
static const char *acr_parse(cmd_parms *cmd, const char *line,
                             const void **parsed)
{
    apr_array_header_t *a = apr_array_make(cmd->pool, 2, sizeof(char *));
    const char *w;
    while (*(w = ap_getword_conf(cmd->pool, &line))) {
        if (strpbrk(w, "\"\\") || strspn(w, " \t") == strlen(w)) {
            return apr_psprintf(cmd->pool, "Require acr: '%s' is no acr", w);
        }
        APR_ARRAY_PUSH(a, const char *) = w;
        aoidc_config_note_require(cmd, true, w);
    }
    if (!a->nelts) {
        return "Require acr: expects at least one acr value";
    }
    *parsed = a;
    return NULL;
}

static authz_status acr_check(request_rec *r, const char *line,
                              const void *parsed)
{
    aoidc_rctx_t *x = aoidc_rctx(r);
    aoidc_err_t err = {0};
    const aoidc_claim_t *acr;
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    if (aoidc_match_acr(x->claims, parsed)) {
        return AUTHZ_GRANTED;
    }
    acr = aoidc_claims_get(x->claims, "acr");
    aoidc_err_set(&err, AOIDC_REASON_STEP_UP, r->pool, "the login's acr is %s",
                  acr ? acr->value : "absent");
    x->denied_by_authz = true;
    x->stepup_acr = parsed;
    ap_custom_response(r, HTTP_UNAUTHORIZED,
                       aoidc_reason_info(err.reason)->message);
    aoidc_answer_log(x, &err, apr_pstrcat(r->pool, "Require acr ", line, NULL));
    return AUTHZ_DENIED;
}

/* The refusal goes through the reason table (log line naming the Require
 * that failed, counter); mod_authz_core answers, and our error filter
 * makes its 401 a 403 for a user we authenticated. */
static authz_status deny(request_rec *r, const char *line, const char *scope)
{
    aoidc_rctx_t *x = aoidc_rctx(r);
    aoidc_err_t err = {scope ? AOIDC_REASON_SCOPE : AOIDC_REASON_CLAIM,
                       "authenticated user lacks it", NULL};
    x->denied_by_authz = true;
    x->required_scope = scope;
    if (!ap_response_code_string(r, ap_index_of_response(HTTP_FORBIDDEN))) {
        ap_custom_response(r, HTTP_UNAUTHORIZED,
                           aoidc_reason_info(err.reason)->message);
    }
    aoidc_answer_log(x, &err,
                     apr_pstrcat(r->pool,
                                 scope ? "Require scope " : "Require claim ",
                                 line, NULL));
    return AUTHZ_DENIED;
}

static authz_status claim_check(request_rec *r, const char *line,
                                const void *parsed)
{
    const apr_array_header_t *a = parsed;
    const apr_array_header_t *claims = aoidc_rctx(r)->claims;
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    for (int i = 0; claims && i < a->nelts; i++) {
        const pair_t *pr = &APR_ARRAY_IDX(a, i, pair_t);
        if (aoidc_match_claim(claims, pr->name, pr->value, r->pool)) {
            return AUTHZ_GRANTED;
        }
    }
    return deny(r, line, NULL);
}

static authz_status scope_check(request_rec *r, const char *line,
                                const void *parsed)
{
    const apr_array_header_t *a = parsed;
    const apr_array_header_t *claims = aoidc_rctx(r)->claims;
    char *all = "";
    bool ok = claims != NULL;
    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    for (int i = 0; ok && i < a->nelts; i++) {
        ok = aoidc_match_scope(claims, APR_ARRAY_IDX(a, i, pair_t).value,
                               r->pool);
    }
    if (ok) {
        return AUTHZ_GRANTED;
    }
    /* every scope the line asks for, for the challenge (RFC 6750 §3) */
    for (int i = 0; i < a->nelts; i++) {
        all = apr_pstrcat(r->pool, all, i ? " " : "",
                          APR_ARRAY_IDX(a, i, pair_t).value, NULL);
    }
    return deny(r, line, all);
}

static const authz_provider claim_provider = {claim_check, claim_parse};
static const authz_provider scope_provider = {scope_check, scope_parse};
static const authz_provider acr_provider = {acr_check, acr_parse};

void aoidc_authz_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "claim",
                              AUTHZ_PROVIDER_VERSION, &claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "scope",
                              AUTHZ_PROVIDER_VERSION, &scope_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "acr",
                              AUTHZ_PROVIDER_VERSION, &acr_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}

/* Whichever module registered "claim" last owns it: `Require claim` would
 * silently mean the other module's syntax and semantics in half of the
 * configuration. Refusing the start is the safe choice (docs/migrating.md);
 * renaming ours would break every existing configuration of ours. */
int aoidc_authz_check(server_rec *s)
{
    const void *claim = ap_lookup_provider(AUTHZ_PROVIDER_GROUP, "claim",
                                           AUTHZ_PROVIDER_VERSION);
    if (claim != &claim_provider
        || ap_find_linked_module("mod_auth_openidc.c")) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     AOIDCLOGNO(00523) "mod_auth_openidc is loaded next to "
                                       "mod_auth_oidc: both provide "
                                       "`Require claim`; load only one of "
                                       "them (docs/migrating.md)");
        return !OK;
    }
    return OK;
}
