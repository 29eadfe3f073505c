/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tokens for the backend's own calls (issue 11): AuthOIDCUpstreamToken,
 * AuthOIDCUpstreamScope, AuthOIDCUpstreamAudience and what they add up to
 * (aoidc_conf_upstream), kept together (setters, accessor) so that this
 * feature is one block. upstream.c does the request work.
 */
#include <stddef.h>
#include <string.h>

#include "apr_strings.h"

#include "httpd/config.h"

static const char *const upstream_words[] = {"client_credentials", "exchange",
                                             "off", NULL};
static const int upstream_values[] = {AOIDC_UPSTREAM_CLIENT_CREDENTIALS,
                                      AOIDC_UPSTREAM_EXCHANGE,
                                      AOIDC_UPSTREAM_OFF};
const aoidc_keyword_t aoidc_config_upstream_kw = {
    offsetof(aoidc_dir_conf_t, upstream_mode), upstream_words, upstream_values};

/* Scope and audience go into a form body: visible ASCII (a scope may
 * hold spaces between its values, RFC 6749 §3.3), nothing else. */
const char *aoidc_config_set_upstream_str(cmd_parms *cmd, void *dc,
                                          const char *arg)
{
    bool scope = !strcasecmp(cmd->cmd->name, "AuthOIDCUpstreamScope");
    for (const char *s = arg; *s; s++) {
        if ((unsigned char)*s < 0x20 + !scope || (unsigned char)*s > 0x7e) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' has a character other than "
                                "printable ASCII%s",
                                cmd->cmd->name, arg,
                                scope ? "" : " without spaces");
        }
    }
    if (!*arg) {
        return apr_psprintf(cmd->pool, "%s: expects a non-empty value",
                            cmd->cmd->name);
    }
    *(const char **)((char *)dc + (apr_size_t)cmd->info) = arg;
    return NULL;
}

const aoidc_upstream_conf_t *aoidc_conf_upstream(aoidc_upstream_conf_t *u,
                                                 const aoidc_dir_conf_t *c,
                                                 const char **missing)
{
    int mode = AOIDC_OR(c->upstream_mode, AOIDC_UPSTREAM_OFF);
    *missing = NULL;
    if (mode == AOIDC_UPSTREAM_OFF) {
        return NULL;
    }
    /* client_credentials authenticates the client itself: a public
     * client has nothing to authenticate with */
    *missing = !c->issuer                            ? "AuthOIDCIssuer"
               : !c->client || !c->client->client_id ? "AuthOIDCClientID"
               : mode == AOIDC_UPSTREAM_CLIENT_CREDENTIALS
                       && !c->client->client_secret
                       && !(c->client->keys && c->client->keys->nelts)
                       && !c->client->cert
                   ? "AuthOIDCClientSecret"
               : c->client->method == AOIDC_CLIENT_AUTH_TLS && !c->client->cert
                   ? "AuthOIDCClientCert (for AuthOIDCClientAuth "
                     "tls_client_auth)"
               : !c->seal_upstream ? "AuthOIDCPassphrase"
                                   : NULL;
    if (*missing) {
        return NULL;
    }
    u->mode = (aoidc_upstream_mode_t)mode;
    u->issuer = c->issuer;
    u->client = c->client;
    u->scope = c->upstream_scope;
    u->target = c->upstream_audience;
    u->seal = c->seal_upstream;
    return u;
}
