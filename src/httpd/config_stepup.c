/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration side of step-up and RFC 9728 (issue 12): AuthOIDCMaxAge,
 * AuthOIDCResourceMetadata, and what a section's `Require acr` / `Require
 * scope` lines record into its configuration: the acr_values a login asks
 * for, the scopes_supported the metadata publishes. A file of its own so
 * that config.c's command table calls nothing above the configuration
 * (stepup.c does the request work).
 */
#include <string.h>

#include "core/parse.h"
#include "httpd/config.h"
#include "httpd/mod_auth_oidc.h"

const char *aoidc_config_set_max_age(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_int64_t v;
    const char *e = aoidc_parse_seconds(&v, arg, 10 * 365 * 86400LL, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s %s", cmd->cmd->name, e);
    }
    ((aoidc_dir_conf_t *)dc)->max_age = apr_time_from_sec(v);
    return NULL;
}

/* Only where the path is known: the server (path "/") or a plain
 * <Location PATH>; a <LocationMatch> or <Directory> has no resource URL. */
const char *aoidc_config_set_resource_metadata(cmd_parms *cmd, void *dc, int on)
{
    aoidc_dir_conf_t *c = dc;
    const ap_directive_t *parent = cmd->directive->parent;
    if (parent && strcasecmp(parent->directive, "<Location")) {
        return "AuthOIDCResourceMetadata: only in the server, a virtual host "
               "or a plain <Location PATH>";
    }
    if (parent && (!cmd->path || cmd->path[0] != '/')) {
        return "AuthOIDCResourceMetadata: the <Location> path must begin "
               "with '/'";
    }
    c->resource_metadata = on ? 1 : 0;
    c->resource_metadata_path = parent ? cmd->path : "/";
    return NULL;
}

/* cmd is the Require line's: cmd->context is its section's vector, where
 * our configuration may not exist yet (no AuthOIDC directive there). */
void aoidc_config_note_require(cmd_parms *cmd, bool acr, const char *word)
{
    aoidc_dir_conf_t *c;
    apr_array_header_t **a;
    if (!cmd->context) {
        return;
    }
    c = ap_set_config_vectors(cmd->server, cmd->context, cmd->path,
                              &auth_oidc_module, cmd->pool);
    a = acr ? &c->stepup_acr : &c->require_scopes;
    if (!*a) {
        *a = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    for (int i = 0; i < (*a)->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(*a, i, const char *), word)) {
            return;
        }
    }
    APR_ARRAY_PUSH(*a, const char *) = word;
}

apr_int64_t aoidc_conf_max_age(const aoidc_dir_conf_t *c)
{
    return c->max_age == AOIDC_UNSET ? -1 : apr_time_sec(c->max_age);
}
