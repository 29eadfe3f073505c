/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider identity (config.h: it merges as one unit): the
 * process-wide registries of providers and guards, AuthOIDCIssuer,
 * AuthOIDCProvider (issue 11: several providers), the identity's tag and
 * its merge. The client's own directives (AuthOIDCClientID and the
 * credentials) are in config_client.c.
 */
#include <string.h>

#include "apr_hash.h"
#include "apr_strings.h"

#include "core/parse.h"
#include "core/url.h"
#include "httpd/config.h"

/* Process-wide, rebuilt at every configuration cycle. */
static apr_hash_t *providers; /* issuer -> aoidc_provider_t */
static apr_hash_t *guards;    /* issuer -> aoidc_guard_t */

void aoidc_config_pre_config(apr_pool_t *pconf, aoidc_http_observe_cb obs)
{
    providers = apr_hash_make(pconf);
    guards = apr_hash_make(pconf);
    aoidc_config_http_pre_config(obs);
}

apr_hash_t *aoidc_config_providers(void)
{
    return providers;
}

void aoidc_config_child_init(apr_pool_t *pchild)
{
    for (apr_hash_index_t *hi = apr_hash_first(pchild, providers); hi;
         hi = apr_hash_next(hi)) {
        aoidc_provider_child_init(apr_hash_this_val(hi), pchild);
    }
}

/* The provider identity as one unit (config.h): a section that names an
 * issuer brings its own client (or none); one that names a client id
 * brings its own secret (or none); a section that only sets a secret keeps
 * the outer client id. */
void aoidc_config_identity_merge(aoidc_dir_conf_t *c,
                                 const aoidc_dir_conf_t *base,
                                 const aoidc_dir_conf_t *add, apr_pool_t *p)
{
    if (add->issuer && (!base->issuer || strcmp(add->issuer, base->issuer))) {
        c->issuer = add->issuer;
        c->provider = add->provider;
        c->guard = add->guard;
        c->client = add->client;
        c->tag = add->tag;
        return;
    }
    c->issuer = base->issuer;
    c->provider = base->provider;
    c->guard = base->guard;
    c->tag = base->tag;
    if (!add->client) {
        c->client = base->client;
    }
    else if (add->client->client_id || !base->client) {
        c->client = add->client;
        c->tag = add->tag;
    }
    else {
        aoidc_client_t *cl = apr_palloc(p, sizeof(*cl));
        *cl = *add->client;
        cl->client_id = base->client->client_id;
        /* the same client: what this section does not set is the outer
         * one's (a section setting only AuthOIDCClientAuth keeps the
         * secret, keys and certificate: the credentials go as one) */
        if (!cl->client_secret && !cl->keys && !cl->cert) {
            cl->client_secret = base->client->client_secret;
            cl->keys = base->client->keys;
            cl->cert = base->client->cert;
        }
        if (cl->method == AOIDC_CLIENT_AUTH_AUTO) {
            cl->method = base->client->method;
        }
        c->client = cl;
    }
    /* an identity split over sections: its tag is only known now */
    if (!c->tag && c->issuer && c->client && c->client->client_id) {
        c->tag = aoidc_rp_tag(c->issuer, c->client->client_id, p);
    }
}

/* The tag of this section's identity, when it names both halves. */
void aoidc_config_update_tag(aoidc_dir_conf_t *c, apr_pool_t *p)
{
    if (c->issuer && c->client && c->client->client_id) {
        c->tag = aoidc_rp_tag(c->issuer, c->client->client_id, p);
    }
}

const char *aoidc_config_set_issuer(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    aoidc_err_t err = {0};
    if (aoidc_url_check_endpoint(NULL, arg, cmd->pool, &err) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.detail);
    }
    c->issuer = arg;
    c->provider = apr_hash_get(providers, arg, APR_HASH_KEY_STRING);
    c->guard = apr_hash_get(guards, arg, APR_HASH_KEY_STRING);
    if (!c->provider) {
        c->provider = aoidc_provider_create(arg, cmd->pool);
        c->guard = aoidc_guard_create(0, cmd->pool);
        apr_hash_set(providers, arg, APR_HASH_KEY_STRING, c->provider);
        apr_hash_set(guards, arg, APR_HASH_KEY_STRING, c->guard);
    }
    aoidc_config_update_tag(c, cmd->pool);
    return NULL;
}

/* --- AuthOIDCProvider (issue 11: several providers) ------------------- */

/* The registry entry of an issuer (providers, guards: one per issuer for
 * the whole server, as AuthOIDCIssuer's). */
static void registered(aoidc_idp_t *d, const char *issuer, apr_pool_t *p)
{
    d->issuer = issuer;
    d->provider = apr_hash_get(providers, issuer, APR_HASH_KEY_STRING);
    d->guard = apr_hash_get(guards, issuer, APR_HASH_KEY_STRING);
    if (!d->provider) {
        d->provider = aoidc_provider_create(issuer, p);
        d->guard = aoidc_guard_create(0, p);
        apr_hash_set(providers, issuer, APR_HASH_KEY_STRING, d->provider);
        apr_hash_set(guards, issuer, APR_HASH_KEY_STRING, d->guard);
    }
}

/* AuthOIDCProvider ISSUER [CLIENT-ID [SECRET]]: appended to this
 * section's list; an issuer listed twice in one section is refused (the
 * callback tells providers apart by the issuer its state names). */
const char *aoidc_config_set_provider(cmd_parms *cmd, void *dc, const char *iss,
                                      const char *id, const char *secret)
{
    aoidc_dir_conf_t *c = dc;
    aoidc_err_t err = {0};
    aoidc_idp_t *d;
    const char *v = NULL, *e;
    if (aoidc_url_check_endpoint(NULL, iss, cmd->pool, &err) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.detail);
    }
    if (secret && (e = aoidc_parse_secret(&v, secret, cmd->pool))) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e);
    }
    if (!c->idps) {
        c->idps = apr_array_make(cmd->pool, 2, sizeof(aoidc_idp_t));
    }
    for (int i = 0; i < c->idps->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(c->idps, i, aoidc_idp_t).issuer, iss)) {
            return apr_psprintf(cmd->pool, "%s: %s is listed twice",
                                cmd->cmd->name, iss);
        }
    }
    d = apr_array_push(c->idps);
    registered(d, iss, cmd->pool);
    d->client_id = id;
    d->secret = v;
    return NULL;
}
