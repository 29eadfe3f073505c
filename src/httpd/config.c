/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directives: the command table, thin setters over core/parse.c, merging,
 * accessors with defaults, and the configtest-time cross-directive checks.
 */
#include <stddef.h>
#include <string.h>

#include "apr_hash.h"
#include "util_cfgtree.h"

#include "apr_network_io.h"

#include "core/dpop_rp.h"
#include "core/authz_request.h"
#include "core/dpop.h"
#include "core/parse.h"
#include "core/url.h"
#include "httpd/mod_auth_oidc.h"
#include "httpd/store.h"

#define MAX_SECONDS (10 * 365 * 86400LL)

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

static aoidc_dir_conf_t unset_conf;
static bool unset_ready;

void *aoidc_create_dir_conf(apr_pool_t *p, char *dir)
{
    aoidc_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));
    c->pkce = c->userinfo = c->pass_access_token = AOIDC_UNSET;
    c->accept_in = c->typ_required = c->revoke_on_logout = AOIDC_UNSET;
    c->leeway = c->inactivity = c->max_duration = AOIDC_UNSET;
    c->token_cache_ttl = c->session_cache_ttl = c->state_timeout =
        c->refresh_before = AOIDC_UNSET;
    c->state_max_cookies = c->unauth_action = c->unautz_action = AOIDC_UNSET;
    c->pass_claims_as = c->info = c->cookie_store = AOIDC_UNSET;
    c->http_timeout = c->token_binding = AOIDC_UNSET;
    c->response_type = c->response_mode = AOIDC_UNSET;
    c->upstream_mode = c->par = c->dpop_nonce = AOIDC_UNSET;
    c->profile = c->dpop = AOIDC_UNSET;              /* config_profile.c */
    c->max_age = c->resource_metadata = AOIDC_UNSET; /* stepup.c */
    if (!unset_ready) {
        /* before any directive has written to it: the template of a
         * section that sets nothing (padding zeroed by pcalloc alike) */
        unset_conf = *c;
        unset_ready = true;
    }
    return c;
}

/* A section without one of our directives (most <Directory> and
 * <Location> blocks of a server) merges to its other half unchanged:
 * httpd merges per request, and the field-by-field merge is ~230
 * instructions each time. Safe because no merged config is ever written
 * after the configuration phase. */
static bool sets_nothing(const aoidc_dir_conf_t *c)
{
    return unset_ready && !memcmp(c, &unset_conf, sizeof(*c));
}

#define MERGE_PTR(f) c->f = add->f ? add->f : base->f
#define MERGE_NUM(f) c->f = add->f != AOIDC_UNSET ? add->f : base->f

/* The provider identity as one unit (config.h): a section that names an
 * issuer brings its own client (or none); one that names a client id
 * brings its own secret (or none); a section that only sets a secret keeps
 * the outer client id. */
static void merge_identity(aoidc_dir_conf_t *c, const aoidc_dir_conf_t *base,
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
static void update_tag(aoidc_dir_conf_t *c, apr_pool_t *p)
{
    if (c->issuer && c->client && c->client->client_id) {
        c->tag = aoidc_rp_tag(c->issuer, c->client->client_id, p);
    }
}

void *aoidc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    aoidc_dir_conf_t *base = basev, *add = addv;
    if (sets_nothing(add)) {
        return base;
    }
    if (sets_nothing(base)) {
        return add;
    }
    aoidc_dir_conf_t *c = apr_palloc(p, sizeof(*c));
    merge_identity(c, base, add, p);
    aoidc_config_http_merge(c, base, add, p); /* needs the merged issuer */
    MERGE_PTR(redirect_uri);
    MERGE_PTR(redirect_path);
    MERGE_PTR(seal_session);
    MERGE_PTR(seal_state);
    MERGE_PTR(seal_index);
    MERGE_PTR(seal_basic);
    MERGE_PTR(scope);
    MERGE_NUM(pkce);
    MERGE_NUM(leeway);
    MERGE_PTR(audience);
    MERGE_PTR(store);
    MERGE_NUM(cookie_store);
    MERGE_PTR(claim_prefix);
    MERGE_PTR(remote_user_claim);
    MERGE_NUM(inactivity);
    MERGE_NUM(max_duration);
    MERGE_NUM(token_cache_ttl);
    MERGE_NUM(session_cache_ttl);
    MERGE_NUM(userinfo);
    MERGE_NUM(pass_access_token);
    MERGE_NUM(accept_in);
    MERGE_NUM(typ_required);
    MERGE_NUM(revoke_on_logout);
    MERGE_PTR(cookie_name);
    MERGE_PTR(cookie_domain);
    MERGE_PTR(cookie_path);
    MERGE_PTR(cookie_samesite);
    MERGE_NUM(state_timeout);
    MERGE_NUM(state_max_cookies);
    MERGE_NUM(unauth_action);
    MERGE_NUM(unautz_action);
    MERGE_NUM(token_binding);
    MERGE_NUM(dpop_nonce);
    MERGE_PTR(seal_dpop_nonce);
    MERGE_NUM(pass_claims_as);
    MERGE_PTR(claim_delimiter);
    MERGE_PTR(auth_params);
    MERGE_NUM(refresh_before);
    MERGE_NUM(info);
    MERGE_PTR(trusted_proxies);
    MERGE_PTR(error_template);
    MERGE_NUM(response_type);
    MERGE_NUM(response_mode);
    MERGE_NUM(par);
    MERGE_NUM(upstream_mode);
    MERGE_PTR(upstream_scope);
    MERGE_PTR(upstream_audience);
    MERGE_PTR(seal_upstream);
    MERGE_PTR(idps);
    MERGE_NUM(max_age); /* stepup.c */
    MERGE_PTR(stepup_acr);
    MERGE_PTR(require_scopes);
    MERGE_NUM(resource_metadata);
    MERGE_PTR(resource_metadata_path);
    MERGE_NUM(profile); /* config_profile.c */
    MERGE_NUM(dpop);
    MERGE_PTR(dpop_key);
    return c;
}

/* --- setters ------------------------------------------------------------ */

static const char *set_issuer(cmd_parms *cmd, void *dc, const char *arg)
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
    update_tag(c, cmd->pool);
    return NULL;
}

/* This section's client, made on its first client directive. */
static aoidc_client_t *client_of(aoidc_dir_conf_t *c, apr_pool_t *p)
{
    if (!c->client) {
        c->client = apr_pcalloc(p, sizeof(*c->client));
    }
    return c->client;
}

static const char *set_client_id(cmd_parms *cmd, void *dc, const char *arg)
{
    client_of(dc, cmd->pool)->client_id = arg;
    update_tag(dc, cmd->pool);
    return NULL;
}

static const char *set_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *v, *e = aoidc_parse_secret(&v, arg, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e);
    }
    client_of(dc, cmd->pool)->client_secret = v;
    return NULL;
}

static const char *set_redirect_uri(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    apr_uri_t u;
    if (arg[0] == '/'
            ? !aoidc_url_is_local_path(arg) || strchr(arg, '?')
            : aoidc_url_check_endpoint(&u, arg, cmd->pool, NULL) != APR_SUCCESS
                  || !u.path || u.query || u.fragment) {
        return apr_psprintf(cmd->pool,
                            "%s: expects a local path (/app/redirect_uri) or "
                            "an https URL, not '%s'",
                            cmd->cmd->name, arg);
    }
    c->redirect_uri = arg;
    c->redirect_path = arg[0] == '/' ? arg : u.path;
    return NULL;
}

/* The purpose keys of one passphrase value. */
#define SEALS 6
static const char *passphrase_seals(aoidc_seal_t *k[SEALS], const char **out,
                                    cmd_parms *cmd, const char *arg)
{
    static const char *const purposes[SEALS] = {
        "session", "state", "session-index", "basic", "upstream", "dpop-nonce"};
    const char *v, *e = aoidc_parse_secret(&v, arg, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e);
    }
    if (strlen(v) < 16) {
        return apr_psprintf(cmd->pool, "%s: use at least 16 characters",
                            cmd->cmd->name);
    }
    for (int i = 0; i < SEALS; i++) {
        if (aoidc_seal_create(&k[i], v, strlen(v), purposes[i], cmd->pool)
            != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "%s: key derivation failed",
                                cmd->cmd->name);
        }
    }
    *out = v;
    return NULL;
}

/* AuthOIDCPassphrase NEW [OLD]: seals with NEW; what OLD sealed (sessions,
 * state cookies, index members) still opens, so a rotation logs nobody
 * out. */
static const char *set_passphrase(cmd_parms *cmd, void *dc, const char *now,
                                  const char *old)
{
    aoidc_dir_conf_t *c = dc;
    aoidc_seal_t *k[SEALS], *o[SEALS];
    const char *v = NULL, *ov, *e = passphrase_seals(k, &v, cmd, now);
    aoidc_client_key_t *dpop = NULL;
    aoidc_err_t err = {0};
    if (!e && old) {
        e = passphrase_seals(o, &ov, cmd, old);
        for (int i = 0; !e && i < SEALS; i++) {
            aoidc_seal_set_previous(k[i], o[i]);
        }
    }
    if (e) {
        return e;
    }
    c->seal_session = k[0];
    c->seal_state = k[1];
    c->seal_index = k[2];
    c->seal_basic = k[3]; /* oidc-basic cache keys: never rotated (a cache) */
    c->seal_upstream = k[4];
    /* DPoP nonces: MACs under the NEW key only; a node still on OLD
     * issues nonces the others refuse with a fresh one (one retry) */
    c->seal_dpop_nonce = k[5];
    /* the DPoP key (RFC 9449) follows the new passphrase: tokens bound to
     * the old one end at their next refresh (a new login) */
    if (aoidc_dpop_key_derive(&dpop, v, strlen(v), cmd->pool, &err)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: DPoP key derivation failed",
                            cmd->cmd->name);
    }
    c->dpop_key = dpop;
    return NULL;
}

/* A two-valued keyword into the int field described by cmd->info. */
typedef struct {
    apr_size_t offset;
    const char *yes; /* sets 1 */
    const char *no;  /* sets 0 */
} choice_t;

static const choice_t pkce_choice = {offsetof(aoidc_dir_conf_t, pkce), "S256",
                                     "off"};
static const choice_t typ_choice = {offsetof(aoidc_dir_conf_t, typ_required),
                                    "at+jwt", "any"};

static const char *set_choice(cmd_parms *cmd, void *dc, const char *arg)
{
    const choice_t *ch = cmd->info;
    int *field = (int *)((char *)dc + ch->offset);
    if (!strcasecmp(arg, ch->yes) || !strcasecmp(arg, ch->no)) {
        *field = !strcasecmp(arg, ch->yes);
        return NULL;
    }
    return apr_psprintf(cmd->pool, "%s: expects %s or %s", cmd->cmd->name,
                        ch->yes, ch->no);
}

/* Seconds into the field at cmd->info (an offset in aoidc_dir_conf_t). */
static const char *set_seconds(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_int64_t v;
    const char *e = aoidc_parse_seconds(&v, arg, MAX_SECONDS, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s %s", cmd->cmd->name, e);
    }
    *(apr_interval_time_t *)((char *)dc + (apr_size_t)cmd->info) =
        apr_time_from_sec(v);
    return NULL;
}

static const char *set_flag(cmd_parms *cmd, void *dc, int on)
{
    *(int *)((char *)dc + (apr_size_t)cmd->info) = on ? 1 : 0;
    return NULL;
}

static const char *set_store(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    /* the cookie store is no store of the registry: the RP flows seal
     * the session into cookies instead (core/rp_cookie.c) */
    c->cookie_store = !strcmp(arg, "cookie");
    return c->cookie_store ? NULL : aoidc_store_spec(&c->store, cmd, arg);
}

static const char *set_accept(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    if (c->accept_in == AOIDC_UNSET) {
        c->accept_in = 0;
    }
    if (!strcasecmp(arg, "header")) {
        c->accept_in |= AOIDC_ACCEPT_HEADER;
    }
    else if (!strcasecmp(arg, "query")) {
        c->accept_in |= AOIDC_ACCEPT_QUERY;
    }
    else if (!strcasecmp(arg, "form")) {
        c->accept_in |= AOIDC_ACCEPT_FORM;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: expects header, form and/or query",
                            cmd->cmd->name);
    }
    return NULL;
}

/* A keyword into the int field at ch->offset: the index + 1 of arg among
 * the NULL-terminated words (so 0 stays free and AOIDC_UNSET is -1). */
typedef struct {
    apr_size_t offset;
    const char *const *words;
    const int *values;
} keyword_t;

static const char *set_keyword(cmd_parms *cmd, void *dc, const char *arg)
{
    const keyword_t *k = cmd->info;
    char *all = "";
    for (int i = 0; k->words[i]; i++) {
        if (!strcasecmp(arg, k->words[i])) {
            *(int *)((char *)dc + k->offset) = k->values[i];
            return NULL;
        }
        all = apr_pstrcat(cmd->pool, all, i ? "|" : "", k->words[i], NULL);
    }
    return apr_psprintf(cmd->pool, "%s: expects %s, not '%s'", cmd->cmd->name,
                        all, arg);
}

static const char *const unauth_words[] = {"auth", "pass", "401", "410", NULL};
static const int unauth_values[] = {AOIDC_UNAUTH_AUTH, AOIDC_UNAUTH_PASS,
                                    AOIDC_UNAUTH_401, AOIDC_UNAUTH_410};
static const keyword_t unauth_kw = {offsetof(aoidc_dir_conf_t, unauth_action),
                                    unauth_words, unauth_values};
static const char *const unautz_words[] = {"403", "auth", NULL};
static const int unautz_values[] = {AOIDC_UNAUTZ_403, AOIDC_UNAUTZ_AUTH};
static const keyword_t unautz_kw = {offsetof(aoidc_dir_conf_t, unautz_action),
                                    unautz_words, unautz_values};
static const char *const pass_words[] = {"headers", "environment", "both",
                                         "none", NULL};
static const int pass_values[] = {AOIDC_PASS_HEADERS, AOIDC_PASS_ENV,
                                  AOIDC_PASS_HEADERS | AOIDC_PASS_ENV, 0};
static const keyword_t pass_kw = {offsetof(aoidc_dir_conf_t, pass_claims_as),
                                  pass_words, pass_values};
static const char *const binding_words[] = {"off", "dpop", "mtls", "any", NULL};
static const int binding_values[] = {AOIDC_BIND_OFF, AOIDC_BIND_DPOP,
                                     AOIDC_BIND_MTLS, AOIDC_BIND_ANY};
static const keyword_t binding_kw = {offsetof(aoidc_dir_conf_t, token_binding),
                                     binding_words, binding_values};

/* OIDC Core 3.1.2.1: openid is always requested; a scope without it gets
 * it, with a warning, rather than a login that is plain OAuth. */
static const char *set_scope(cmd_parms *cmd, void *dc, const char *arg)
{
    bool added;
    ((aoidc_dir_conf_t *)dc)->scope = aoidc_authz_scope(arg, &added, cmd->pool);
    if (added) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     AOIDCLOGNO(00150) "%s:%d: AuthOIDCScope \"%s\" lacks "
                                       "openid; requesting \"openid %s\"",
                     cmd->directive->filename, cmd->directive->line_num, arg,
                     arg);
    }
    return NULL;
}

static const char *set_samesite(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    static const char *const ok[] = {"Lax", "Strict", "None", NULL};
    for (int i = 0; ok[i]; i++) {
        if (!strcasecmp(arg, ok[i])) {
            c->cookie_samesite = ok[i];
            return NULL;
        }
    }
    return apr_psprintf(cmd->pool, "%s: expects Lax, Strict or None",
                        cmd->cmd->name);
}

/* A cookie name, domain or path: RFC 6265 token / av characters only, so
 * nothing the operator writes can split a Set-Cookie header. */
static const char *set_cookie_attr(cmd_parms *cmd, void *dc, const char *arg)
{
    bool name = !strcasecmp(cmd->cmd->name, "AuthOIDCCookieName");
    for (const char *s = arg; *s; s++) {
        if (*s <= 0x20 || *s >= 0x7f || *s == ';' || *s == ','
            || (name && strchr("()<>@:\\\"/[]?={}", *s))) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' has a character a "
                                "cookie cannot carry",
                                cmd->cmd->name, arg);
        }
    }
    if (!*arg
        || (!name && !strcasecmp(cmd->cmd->name, "AuthOIDCCookiePath")
            && arg[0] != '/')) {
        return apr_psprintf(cmd->pool, "%s: expects a non-empty value%s",
                            cmd->cmd->name,
                            name ? "" : " (a path starts with /)");
    }
    *(const char **)((char *)dc + (apr_size_t)cmd->info) = arg;
    return NULL;
}

static const char *set_count(cmd_parms *cmd, void *dc, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || v < 1 || v > 20) {
        return apr_psprintf(cmd->pool, "%s: expects a number from 1 to 20",
                            cmd->cmd->name);
    }
    *(int *)((char *)dc + (apr_size_t)cmd->info) = (int)v;
    return NULL;
}

static const char *set_state_timeout(cmd_parms *cmd, void *dc, const char *arg)
{
    apr_int64_t v;
    const char *e = aoidc_parse_seconds(&v, arg, 3600, cmd->pool);
    if (!e && v < 10) {
        e = "expects at least 10 seconds";
    }
    if (e) {
        return apr_psprintf(cmd->pool, "%s %s", cmd->cmd->name, e);
    }
    ((aoidc_dir_conf_t *)dc)->state_timeout = apr_time_from_sec(v);
    return NULL;
}

static const char *set_delimiter(cmd_parms *cmd, void *dc, const char *arg)
{
    if (strlen(arg) != 1 || arg[0] < 0x21 || arg[0] > 0x7e) {
        return apr_psprintf(cmd->pool,
                            "%s: expects one printable character, such as ,",
                            cmd->cmd->name);
    }
    ((aoidc_dir_conf_t *)dc)->claim_delimiter = arg;
    return NULL;
}

static const char *set_auth_params(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *e = aoidc_authz_params_parse(
        &((aoidc_dir_conf_t *)dc)->auth_params, arg, cmd->pool);
    return e ? apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e) : NULL;
}

static const char *set_trusted_proxy(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    apr_ipsubnet_t *sn;
    char *ip = apr_pstrdup(cmd->pool, arg), *mask = strchr(ip, '/');
    if (mask) {
        *mask++ = '\0';
    }
    if (apr_ipsubnet_create(&sn, ip, mask, cmd->pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an address or CIDR",
                            cmd->cmd->name, arg);
    }
    if (!c->trusted_proxies) {
        c->trusted_proxies = apr_array_make(cmd->pool, 2, sizeof(sn));
    }
    *(apr_ipsubnet_t **)apr_array_push(c->trusted_proxies) = sn;
    return NULL;
}

/* Read once here: a request never opens a file. Bounded, and must be
 * UTF-8 text without NUL (it is served as it is, placeholders aside). */
static const char *set_error_template(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;
    if (!path || apr_file_open(&f, path, APR_READ, 0, cmd->pool) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot read %s", cmd->cmd->name,
                            arg);
    }
    if (fi.size > 64 * 1024 || fi.size == 0) {
        return apr_psprintf(cmd->pool, "%s: %s must be 1 byte to 64 KiB",
                            cmd->cmd->name, arg);
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(cmd->pool, n + 1);
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot read %s", cmd->cmd->name,
                            arg);
    }
    apr_file_close(f);
    buf[n] = '\0';
    if (strlen(buf) != n) {
        return apr_psprintf(cmd->pool, "%s: %s contains a NUL byte",
                            cmd->cmd->name, arg);
    }
    ((aoidc_dir_conf_t *)dc)->error_template = buf;
    return NULL;
}

/* --- response type and mode (issue 11) ---------------------------------- */

static const char *const rtype_words[] = {"code", "code id_token", "id_token",
                                          NULL};
static const int rtype_values[] = {AOIDC_RT_CODE, AOIDC_RT_CODE_ID_TOKEN,
                                   AOIDC_RT_ID_TOKEN};
static const keyword_t rtype_kw = {offsetof(aoidc_dir_conf_t, response_type),
                                   rtype_words, rtype_values};
static const char *const rmode_words[] = {"query", "form_post", NULL};
static const int rmode_values[] = {AOIDC_RM_QUERY, AOIDC_RM_FORM_POST};
static const keyword_t rmode_kw = {offsetof(aoidc_dir_conf_t, response_mode),
                                   rmode_words, rmode_values};

/* A type that puts an ID Token in the response, with query set in the same
 * section, is refused here; across sections configtest and the request
 * time check (aoidc_conf_rp) catch it. */
static const char *set_response_kw(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    const char *e = set_keyword(cmd, dc, arg);
    if (!e && c->response_type != AOIDC_UNSET
        && c->response_type != AOIDC_RT_CODE
        && c->response_mode == AOIDC_RM_QUERY) {
        return apr_psprintf(cmd->pool,
                            "%s: AuthOIDCResponseType %s needs "
                            "AuthOIDCResponseMode form_post",
                            cmd->cmd->name,
                            aoidc_response_type_name(c->response_type));
    }
    return e;
}

/* --- client authentication and PAR (issue 12) ---------------------------
 * AuthOIDCPAR here; AuthOIDCClientAuth and AuthOIDCClientKey in
 * config_client.c. */

static const char *const par_words[] = {"auto", "on", "off", NULL};
static const int par_values[] = {AOIDC_PAR_AUTO, AOIDC_PAR_ON, AOIDC_PAR_OFF};
static const keyword_t par_kw = {offsetof(aoidc_dir_conf_t, par), par_words,
                                 par_values};

/* --- tokens for the backend's own calls (issue 11) ----------------------
 * AuthOIDCUpstreamToken, AuthOIDCUpstreamScope, AuthOIDCUpstreamAudience:
 * kept together (setters, accessor) so that this feature is one block. */

static const char *const upstream_words[] = {"client_credentials", "exchange",
                                             "off", NULL};
static const int upstream_values[] = {AOIDC_UPSTREAM_CLIENT_CREDENTIALS,
                                      AOIDC_UPSTREAM_EXCHANGE,
                                      AOIDC_UPSTREAM_OFF};
static const keyword_t upstream_kw = {offsetof(aoidc_dir_conf_t, upstream_mode),
                                      upstream_words, upstream_values};

/* Scope and audience go into a form body: visible ASCII (a scope may
 * hold spaces between its values, RFC 6749 §3.3), nothing else. */
static const char *set_upstream_str(cmd_parms *cmd, void *dc, const char *arg)
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
static const char *set_provider(cmd_parms *cmd, void *dc, const char *iss,
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

#define OFF(f) ((void *)offsetof(aoidc_dir_conf_t, f))
#define CTX    (RSRC_CONF | ACCESS_CONF)

/* Same order as docs/directives.md. */
const command_rec aoidc_cmds[] = {
    AP_INIT_TAKE1("AuthOIDCIssuer", set_issuer, NULL, CTX,
                  "Issuer URL; metadata from URL/.well-known/openid-"
                  "configuration (no default)"),
    AP_INIT_TAKE123("AuthOIDCProvider", set_provider, NULL, CTX,
                    "ISSUER [CLIENT-ID [SECRET]]: another provider a user "
                    "may pick, beside AuthOIDCIssuer (repeatable)"),
    AP_INIT_TAKE1("AuthOIDCClientID", set_client_id, NULL, CTX,
                  "OAuth 2.0 client id (no default)"),
    AP_INIT_TAKE1("AuthOIDCClientSecret", set_secret, NULL, CTX,
                  "Client secret, literal or file:/path or env:NAME"),
    AP_INIT_TAKE1("AuthOIDCRedirectURI", set_redirect_uri, NULL, CTX,
                  "Callback path or URL inside the protected location"),
    AP_INIT_TAKE12("AuthOIDCPassphrase", set_passphrase, NULL, CTX,
                   "Key material for cookies and stored entries (literal, "
                   "file: or env:); a second value opens only (rotation)"),
    AP_INIT_TAKE1("AuthOIDCScope", set_scope, NULL, CTX,
                  "Scopes to request (default openid)"),
    AP_INIT_TAKE1("AuthOIDCPKCE", set_choice, (void *)&pkce_choice, CTX,
                  "PKCE method: S256 (default) or off"),
    AP_INIT_TAKE1("AuthOIDCResponseType", set_response_kw, (void *)&rtype_kw,
                  CTX,
                  "code (default), \"code id_token\" (hybrid) or id_token "
                  "(implicit); the last two are legacy and need form_post"),
    AP_INIT_TAKE1("AuthOIDCResponseMode", set_response_kw, (void *)&rmode_kw,
                  CTX,
                  "How the OP returns the response: query (default) or "
                  "form_post"),
    AP_INIT_TAKE1("AuthOIDCLeeway", set_seconds, OFF(leeway), CTX,
                  "Allowed clock skew in seconds (default 60)"),
    AP_INIT_TAKE1("AuthOIDCAudience", ap_set_string_slot, OFF(audience), CTX,
                  "Required aud of bearer access tokens (no default)"),
    AP_INIT_TAKE1("AuthOIDCSessionStore", set_store, NULL, CTX,
                  "Session store: shm[:SIZE] (default shm:32M), "
                  "redis[s]://..., memcache://... or cookie"),
    AP_INIT_TAKE1("AuthOIDCClaimPrefix", ap_set_string_slot, OFF(claim_prefix),
                  CTX,
                  "Prefix of claim headers and variables (default "
                  "OIDC_CLAIM_)"),
    AP_INIT_TAKE1("AuthOIDCRemoteUserClaim", ap_set_string_slot,
                  OFF(remote_user_claim), CTX,
                  "Claim that becomes REMOTE_USER (default sub)"),
    AP_INIT_TAKE1("AuthOIDCSessionInactivityTimeout", set_seconds,
                  OFF(inactivity), CTX,
                  "Idle seconds before a session ends (default 3600)"),
    AP_INIT_TAKE1("AuthOIDCSessionMaxDuration", set_seconds, OFF(max_duration),
                  CTX,
                  "Seconds after login when a session ends (default 28800)"),
    AP_INIT_FLAG("AuthOIDCUserInfo", set_flag, OFF(userinfo), CTX,
                 "Fetch claims from the userinfo endpoint (default on)"),
    AP_INIT_FLAG("AuthOIDCPassAccessToken", set_flag, OFF(pass_access_token),
                 CTX,
                 "Pass the access token as OIDC_access_token (default "
                 "off)"),
    AP_INIT_TAKE1("AuthOIDCTokenCacheTTL", set_seconds, OFF(token_cache_ttl),
                  CTX,
                  "Seconds a validated bearer token stays cached "
                  "(default 300)"),
    AP_INIT_TAKE1("AuthOIDCSessionCacheTTL", set_seconds,
                  OFF(session_cache_ttl), CTX,
                  "Seconds a process may serve a session from its own memory "
                  "(default 1; 0: ask the store on every request)"),
    AP_INIT_ITERATE("AuthOIDCAcceptTokenIn", set_accept, NULL, CTX,
                    "Where bearer tokens are taken from: header (default), "
                    "form, query"),
    AP_INIT_TAKE1("AuthOIDCAccessTokenTyp", set_choice, (void *)&typ_choice,
                  CTX,
                  "Required JWT access token typ: any (default) or at+jwt"),
    AP_INIT_TAKE1("AuthOIDCHTTPTimeout", aoidc_config_set_http_timeout, NULL,
                  CTX, "Seconds allowed for each call to the OP (default 5)"),
    AP_INIT_TAKE1("AuthOIDCCABundle", aoidc_config_set_ca_bundle, NULL, CTX,
                  "PEM file of the CAs trusted for the OP's https endpoints "
                  "(default the system store)"),
    AP_INIT_TAKE1("AuthOIDCOutgoingProxy", aoidc_config_set_proxy, NULL, CTX,
                  "http(s)://[user:pass@]host:port proxy for calls to the OP "
                  "(default none)"),
    AP_INIT_FLAG("AuthOIDCRevokeTokensOnLogout", set_flag,
                 OFF(revoke_on_logout), CTX,
                 "Revoke the refresh or access token at logout where the OP "
                 "offers RFC 7009 (default on)"),
    AP_INIT_TAKE1("AuthOIDCCookieName", set_cookie_attr, OFF(cookie_name), CTX,
                  "Session cookie name (default " AOIDC_SESSION_COOKIE ")"),
    AP_INIT_TAKE1("AuthOIDCCookieDomain", set_cookie_attr, OFF(cookie_domain),
                  CTX, "Domain attribute of the session cookie (default none)"),
    AP_INIT_TAKE1("AuthOIDCCookiePath", set_cookie_attr, OFF(cookie_path), CTX,
                  "Path attribute of the session cookie (default /)"),
    AP_INIT_TAKE1("AuthOIDCCookieSameSite", set_samesite, NULL, CTX,
                  "SameSite of the session cookie: Lax (default), Strict or "
                  "None (forces Secure)"),
    AP_INIT_TAKE1("AuthOIDCStateTimeout", set_state_timeout, NULL, CTX,
                  "Seconds a login attempt stays valid (default 300)"),
    AP_INIT_TAKE1("AuthOIDCStateMaxCookies", set_count, OFF(state_max_cookies),
                  CTX, "Login attempts kept per browser (default 5)"),
    AP_INIT_TAKE1("AuthOIDCUnAuthAction", set_keyword, (void *)&unauth_kw, CTX,
                  "Unauthenticated requests: auth (default), pass, 401, 410"),
    AP_INIT_TAKE1("AuthOIDCUnAutzAction", set_keyword, (void *)&unautz_kw, CTX,
                  "A failed Require: 403 (default) or auth"),
    AP_INIT_TAKE1("AuthOIDCTokenBinding", set_keyword, (void *)&binding_kw, CTX,
                  "Sender-constrained tokens required: off (default; a "
                  "bound token is still held to its binding), dpop, mtls, "
                  "any"),
    AP_INIT_FLAG("AuthOIDCDPoPNonce", set_flag, OFF(dpop_nonce), CTX,
                 "DPoP proofs must carry a server nonce (RFC 9449 §8; "
                 "default off; needs AuthOIDCPassphrase)"),
    AP_INIT_TAKE1("AuthOIDCMaxAge", aoidc_config_set_max_age, NULL, CTX,
                  "Step-up: the login must be younger than this many "
                  "seconds (auth_time; default none)"),
    AP_INIT_FLAG("AuthOIDCResourceMetadata", aoidc_config_set_resource_metadata,
                 NULL, CTX,
                 "RFC 9728 protected resource metadata for this location "
                 "(default off)"),
    AP_INIT_TAKE1("AuthOIDCPassClaimsAs", set_keyword, (void *)&pass_kw, CTX,
                  "Where claims go: headers, environment, both (default), "
                  "none"),
    AP_INIT_TAKE1("AuthOIDCClaimDelimiter", set_delimiter, NULL, CTX,
                  "Arrays of strings passed joined by this character "
                  "(default: as JSON)"),
    AP_INIT_TAKE1("AuthOIDCAuthRequestParams", set_auth_params, NULL, CTX,
                  "Extra authorization request parameters, k=v&k2=v2 "
                  "(default none)"),
    AP_INIT_TAKE1("AuthOIDCRefreshBeforeExpiry", set_seconds,
                  OFF(refresh_before), CTX,
                  "Refresh the access token this many seconds before it "
                  "expires (default 0)"),
    AP_INIT_FLAG("AuthOIDCInfo", set_flag, OFF(info), CTX,
                 "Serve the caller's own session at the redirect URI with "
                 "?info=json (default off)"),
    AP_INIT_ITERATE("AuthOIDCTrustedProxy", set_trusted_proxy, NULL, CTX,
                    "Addresses (CIDR) whose X-Forwarded-*/Forwarded headers "
                    "are believed (default none)"),
    /* stores (docs/directives.md "Session stores") */
    AP_INIT_TAKE1("AuthOIDCStorePassword", aoidc_store_set_password, NULL, CTX,
                  "Password for the session store, literal or file:/env: "
                  "(default none; overrides one in the URL)"),
    AP_INIT_ITERATE("AuthOIDCStoreTLS", aoidc_store_set_tls, NULL, CTX,
                    "ca=FILE [cert=FILE key=FILE] [servername=NAME] for "
                    "rediss:// (default the system CAs)"),
    AP_INIT_TAKE1("AuthOIDCStoreTimeout", aoidc_store_set_timeout, NULL, CTX,
                  "Milliseconds allowed to connect and run each store call "
                  "(default 500)"),
    AP_INIT_TAKE1("AuthOIDCErrorTemplate", set_error_template, NULL, CTX,
                  "HTML template of the module's error pages (default: "
                  "built in; placeholders in docs/errors.md)"),
    /* tokens for the backend's own calls (docs/directives.md "Tokens for
     * the backend") */
    AP_INIT_TAKE1("AuthOIDCUpstreamToken", set_keyword, (void *)&upstream_kw,
                  CTX,
                  "Put an access token on the request to the backend: "
                  "client_credentials, exchange or off (default)"),
    AP_INIT_TAKE1("AuthOIDCUpstreamScope", set_upstream_str,
                  OFF(upstream_scope), CTX,
                  "Scope of the backend's token (default none)"),
    AP_INIT_TAKE1("AuthOIDCUpstreamAudience", set_upstream_str,
                  OFF(upstream_audience), CTX,
                  "Resource (absolute URI) or audience of the backend's token "
                  "(default none)"),
    /* client authentication and PAR (issue 12) */
    AP_INIT_TAKE1("AuthOIDCPAR", set_keyword, (void *)&par_kw, CTX,
                  "on|off|auto: RFC 9126 pushed authorization requests "
                  "(default auto: when the OP offers or requires them)"),
    AP_INIT_TAKE1("AuthOIDCClientAuth", aoidc_config_set_client_auth, NULL, CTX,
                  "client_secret_basic|client_secret_post|private_key_jwt|"
                  "tls_client_auth: client authentication at the OP "
                  "(default: private_key_jwt with a key, tls_client_auth "
                  "with only a certificate, else as the metadata allows)"),
    AP_INIT_TAKE12("AuthOIDCClientKey", aoidc_config_set_client_key, NULL, CTX,
                   "FILE [KID]: PEM private key for private_key_jwt (RSA, EC "
                   "P-256/P-384, Ed25519); repeat for rollover, the first "
                   "signs"),
    /* FAPI 2.0 profile and RP-side DPoP (issue 12, config_profile.c) */
    AP_INIT_TAKE1("AuthOIDCProfile", aoidc_config_set_profile, NULL, CTX,
                  "fapi2|none: the FAPI 2.0 Security Profile's client "
                  "settings (default none)"),
    AP_INIT_FLAG("AuthOIDCDPoP", aoidc_config_set_dpop, NULL, CTX,
                 "On|Off: ask for DPoP-bound tokens (RFC 9449), sending "
                 "proofs with a key derived from AuthOIDCPassphrase "
                 "(default off; on under AuthOIDCProfile fapi2)"),
    AP_INIT_TAKE12("AuthOIDCClientCert", aoidc_config_set_client_cert, NULL,
                   CTX,
                   "CERTFILE [KEYFILE]: PEM client certificate (and key, "
                   "else in CERTFILE) presented to the OP (RFC 8705 "
                   "tls_client_auth, certificate-bound tokens)"),
    {NULL, {NULL}, NULL, 0, RAW_ARGS, NULL},
};
