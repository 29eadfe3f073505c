/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OP's HTTP client of a configuration section: AuthOIDCHTTPTimeout,
 * AuthOIDCCABundle and AuthOIDCOutgoingProxy, and how they merge.
 *
 * The CA bundle and the proxy belong to an OP (config.h): each is bound to
 * the issuer in effect in the section that sets it, and a section under
 * another issuer starts from the defaults (system store, no proxy) instead
 * of inheriting them. The timeout is no trust setting and merges plainly.
 */
#include <string.h>

#include "core/parse.h"
#include "core/url.h"
#include "httpd/config.h"
#include "httpd/mod_auth_oidc.h"

#define DEFAULT_HTTP_TIMEOUT apr_time_from_sec(5)

/* Process-wide, rebuilt at every configuration cycle. */
static aoidc_http_t default_http;
static aoidc_http_observe_cb http_observer; /* set by the life cycle */

void aoidc_config_http_pre_config(aoidc_http_observe_cb obs)
{
    http_observer = obs;
    aoidc_http_curl_init(&default_http, DEFAULT_HTTP_TIMEOUT);
    default_http.observe = obs;
}

const aoidc_http_t *aoidc_conf_http(const aoidc_dir_conf_t *c)
{
    return c->http ? c->http : &default_http;
}

/* Does h (NULL: the default client) have c's settings? */
static bool same(const aoidc_http_t *h, const aoidc_dir_conf_t *c)
{
    const aoidc_ca_t *ca = c->ca.value;
    const aoidc_proxy_t *px = c->proxy.value;
    apr_interval_time_t t =
        c->http_timeout != AOIDC_UNSET ? c->http_timeout : DEFAULT_HTTP_TIMEOUT;
    h = h ? h : &default_http;
    return h->timeout == t && h->ca_pem == (ca ? ca->pem : NULL)
           && h->proxy == (px ? px->url : NULL);
}

/* c's client: none (the default) or one of the candidates when they have
 * its settings, so a merge allocates only when it combines two sections'
 * settings; else a new one in p. */
static const aoidc_http_t *client_for(const aoidc_dir_conf_t *c,
                                      const aoidc_http_t *a,
                                      const aoidc_http_t *b, apr_pool_t *p)
{
    const aoidc_ca_t *ca = c->ca.value;
    const aoidc_proxy_t *px = c->proxy.value;
    aoidc_http_t *h;
    if (same(NULL, c)) {
        return NULL;
    }
    if (a && same(a, c)) {
        return a;
    }
    if (b && same(b, c)) {
        return b;
    }
    h = apr_palloc(p, sizeof(*h));
    aoidc_http_curl_init(h, c->http_timeout != AOIDC_UNSET
                                ? c->http_timeout
                                : DEFAULT_HTTP_TIMEOUT);
    h->observe = http_observer;
    h->ca_pem = ca ? ca->pem : NULL;
    h->ca_pem_len = ca ? ca->len : 0;
    h->proxy = px ? px->url : NULL;
    h->proxy_shown = px ? px->shown : NULL;
    return h;
}

/* A section's own setting belongs to the issuer in effect there (its own,
 * else the inherited one); an inherited one survives only under the
 * issuer it belongs to, or when it belongs to none. */
static aoidc_bound_t merge_bound(const aoidc_bound_t *base,
                                 const char *base_issuer,
                                 const aoidc_bound_t *add, const char *issuer)
{
    aoidc_bound_t r = {NULL, NULL, true};
    const char *owner;
    if (add->value) {
        r.value = add->value;
        r.issuer = add->merged ? add->issuer : issuer;
        return r;
    }
    owner = base->merged ? base->issuer : base_issuer;
    if (base->value && (!owner || (issuer && !strcmp(owner, issuer)))) {
        r.value = base->value;
        r.issuer = owner;
    }
    return r;
}

/* After merge_identity: c->issuer is the merged one. */
void aoidc_config_http_merge(aoidc_dir_conf_t *c, const aoidc_dir_conf_t *base,
                             const aoidc_dir_conf_t *add, apr_pool_t *p)
{
    c->http_timeout = add->http_timeout != AOIDC_UNSET ? add->http_timeout
                                                       : base->http_timeout;
    c->ca = merge_bound(&base->ca, base->issuer, &add->ca, c->issuer);
    c->proxy = merge_bound(&base->proxy, base->issuer, &add->proxy, c->issuer);
    c->http = client_for(c, base->http, add->http, p);
}

const char *aoidc_config_set_http_timeout(cmd_parms *cmd, void *dc,
                                          const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    apr_int64_t v;
    const char *e = aoidc_parse_seconds(&v, arg, 300, cmd->pool);
    if (!e && v == 0) {
        e = "expects at least 1 second";
    }
    if (e) {
        return apr_psprintf(cmd->pool, "%s %s", cmd->cmd->name, e);
    }
    c->http_timeout = apr_time_from_sec(v);
    /* one client per configuration section, never one per request */
    c->http = client_for(c, NULL, NULL, cmd->pool);
    return NULL;
}

/* Read here, once: the children, no longer root, never open the file. */
const char *aoidc_config_set_ca_bundle(cmd_parms *cmd, void *dc,
                                       const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    aoidc_ca_t *ca = apr_palloc(cmd->pool, sizeof(*ca));
    aoidc_err_t err = {0};
    const char *path = ap_server_root_relative(cmd->pool, arg);
    if (!path
        || aoidc_http_ca_load(&ca->pem, &ca->len, path, cmd->pool, &err)
               != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name,
                            path ? err.detail : "bad path");
    }
    c->ca.value = ca;
    c->http = client_for(c, NULL, NULL, cmd->pool);
    return NULL;
}

const char *aoidc_config_set_proxy(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    aoidc_proxy_t *px = apr_palloc(cmd->pool, sizeof(*px));
    aoidc_err_t err = {0};
    if (aoidc_url_check_proxy(&px->shown, arg, cmd->pool, &err)
        != APR_SUCCESS) {
        /* not echoing arg: it may carry a password */
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.detail);
    }
    px->url = arg;
    c->proxy.value = px;
    c->http = client_for(c, NULL, NULL, cmd->pool);
    return NULL;
}

/* The OP transport of an extra provider: the location's when its CA
 * bundle and proxy are bound to no issuer in particular (config.h),
 * else the defaults: a setting made for AuthOIDCIssuer's OP never applies
 * to another OP. */
const aoidc_http_t *aoidc_conf_http_for(const aoidc_dir_conf_t *c,
                                        const char *issuer)
{
    static const aoidc_dir_conf_t none;
    const aoidc_bound_t *b[] = {&c->ca, &c->proxy};
    for (int i = 0; i < 2; i++) {
        const char *to = b[i]->merged ? b[i]->issuer : c->issuer;
        if (b[i]->value && to && strcmp(to, issuer)) {
            return aoidc_conf_http(&none);
        }
    }
    return aoidc_conf_http(c);
}
