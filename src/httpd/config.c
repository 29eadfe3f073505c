/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directives: the command table, thin setters over core/parse.c, merging,
 * accessors with defaults, and the configtest-time cross-directive checks.
 */
#include <stddef.h>
#include <string.h>

#include "apr_hash.h"
#include "util_cfgtree.h"

#include "core/parse.h"
#include "core/url.h"
#include "httpd/mod_auth_oidc.h"

#define MAX_SECONDS (10 * 365 * 86400LL)

/* Process-wide, rebuilt at every configuration cycle. */
static apr_hash_t *providers; /* issuer -> aoidc_provider_t */

void aoidc_config_pre_config(apr_pool_t *pconf)
{
    providers = apr_hash_make(pconf);
}

void aoidc_config_child_init(apr_pool_t *pchild)
{
    for (apr_hash_index_t *hi = apr_hash_first(pchild, providers); hi;
         hi = apr_hash_next(hi)) {
        aoidc_provider_child_init(apr_hash_this_val(hi), pchild);
    }
}

const aoidc_http_t *aoidc_http_for(request_rec *r, const aoidc_dir_conf_t *c)
{
    aoidc_http_t *h = apr_palloc(r->pool, sizeof(*h));
    aoidc_http_curl_init(h, apr_time_from_sec(c->http_timeout != AOIDC_UNSET
                                                  ? c->http_timeout
                                                  : 5));
    return h;
}

void *aoidc_create_dir_conf(apr_pool_t *p, char *dir)
{
    aoidc_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));
    c->pkce = c->userinfo = c->pass_access_token = AOIDC_UNSET;
    c->accept_in = c->typ_required = AOIDC_UNSET;
    c->leeway = c->inactivity = c->max_duration = AOIDC_UNSET;
    c->token_cache_ttl = c->http_timeout = AOIDC_UNSET;
    return c;
}

#define MERGE_PTR(f) c->f = add->f ? add->f : base->f
#define MERGE_NUM(f) c->f = add->f != AOIDC_UNSET ? add->f : base->f

void *aoidc_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    aoidc_dir_conf_t *base = basev, *add = addv;
    aoidc_dir_conf_t *c = apr_palloc(p, sizeof(*c));
    MERGE_PTR(issuer);
    MERGE_PTR(provider);
    MERGE_PTR(client_id);
    MERGE_PTR(client_secret);
    MERGE_PTR(redirect_uri);
    MERGE_PTR(seal_session);
    MERGE_PTR(seal_state);
    MERGE_PTR(scope);
    MERGE_NUM(pkce);
    MERGE_NUM(leeway);
    MERGE_PTR(audience);
    MERGE_PTR(store);
    MERGE_PTR(claim_prefix);
    MERGE_PTR(remote_user_claim);
    MERGE_NUM(inactivity);
    MERGE_NUM(max_duration);
    MERGE_NUM(token_cache_ttl);
    MERGE_NUM(http_timeout);
    MERGE_NUM(userinfo);
    MERGE_NUM(pass_access_token);
    MERGE_NUM(accept_in);
    MERGE_NUM(typ_required);
    return c;
}

/* --- accessors ---------------------------------------------------------- */

const char *aoidc_conf_scope(const aoidc_dir_conf_t *c)
{
    return c->scope ? c->scope : "openid";
}
apr_int64_t aoidc_conf_leeway(const aoidc_dir_conf_t *c)
{
    return c->leeway != AOIDC_UNSET ? c->leeway : 60;
}
const char *aoidc_conf_claim_prefix(const aoidc_dir_conf_t *c)
{
    return c->claim_prefix ? c->claim_prefix : "OIDC_CLAIM_";
}
const char *aoidc_conf_remote_user_claim(const aoidc_dir_conf_t *c)
{
    return c->remote_user_claim ? c->remote_user_claim : "sub";
}
apr_interval_time_t aoidc_conf_inactivity(const aoidc_dir_conf_t *c)
{
    return apr_time_from_sec(c->inactivity != AOIDC_UNSET ? c->inactivity
                                                          : 3600);
}
apr_interval_time_t aoidc_conf_max_duration(const aoidc_dir_conf_t *c)
{
    return apr_time_from_sec(c->max_duration != AOIDC_UNSET ? c->max_duration
                                                            : 28800);
}
apr_interval_time_t aoidc_conf_token_cache_ttl(const aoidc_dir_conf_t *c)
{
    return apr_time_from_sec(
        c->token_cache_ttl != AOIDC_UNSET ? c->token_cache_ttl : 300);
}
bool aoidc_conf_pkce(const aoidc_dir_conf_t *c)
{
    return c->pkce != 0;
}
bool aoidc_conf_userinfo(const aoidc_dir_conf_t *c)
{
    return c->userinfo != 0;
}
bool aoidc_conf_pass_access_token(const aoidc_dir_conf_t *c)
{
    return c->pass_access_token == 1;
}
int aoidc_conf_accept_in(const aoidc_dir_conf_t *c)
{
    return c->accept_in != AOIDC_UNSET ? c->accept_in : AOIDC_ACCEPT_HEADER;
}
bool aoidc_conf_typ_required(const aoidc_dir_conf_t *c)
{
    return c->typ_required == 1;
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
    if (!c->provider) {
        c->provider = aoidc_provider_create(arg, cmd->pool);
        apr_hash_set(providers, arg, APR_HASH_KEY_STRING, c->provider);
    }
    return NULL;
}

static const char *set_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    const char *v, *e = aoidc_parse_secret(&v, arg, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e);
    }
    c->client_secret = v;
    return NULL;
}

static const char *set_redirect_uri(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    if (arg[0] == '/' ? !aoidc_url_is_local_path(arg)
                      : aoidc_url_check_endpoint(NULL, arg, cmd->pool, NULL)
                            != APR_SUCCESS) {
        return apr_psprintf(cmd->pool,
                            "%s: expects a local path (/app/redirect_uri) or "
                            "an https URL, not '%s'",
                            cmd->cmd->name, arg);
    }
    c->redirect_uri = arg;
    return NULL;
}

static const char *set_passphrase(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    const char *v, *e = aoidc_parse_secret(&v, arg, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e);
    }
    if (strlen(v) < 16) {
        return apr_psprintf(cmd->pool, "%s: use at least 16 characters",
                            cmd->cmd->name);
    }
    if (aoidc_seal_create(&c->seal_session, v, strlen(v), "session", cmd->pool)
            != APR_SUCCESS
        || aoidc_seal_create(&c->seal_state, v, strlen(v), "state", cmd->pool)
               != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: key derivation failed",
                            cmd->cmd->name);
    }
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
    *(apr_int64_t *)((char *)dc + (apr_size_t)cmd->info) = v;
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
    return aoidc_store_spec(&c->store, cmd, arg);
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

static const char *set_timeout(cmd_parms *cmd, void *dc, const char *arg)
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
    c->http_timeout = v;
    return NULL;
}

#define OFF(f) ((void *)offsetof(aoidc_dir_conf_t, f))
#define CTX    (RSRC_CONF | ACCESS_CONF)

/* Same order as docs/directives.md. */
const command_rec aoidc_cmds[] = {
    AP_INIT_TAKE1("AuthOIDCIssuer", set_issuer, NULL, CTX,
                  "Issuer URL; metadata from URL/.well-known/openid-"
                  "configuration (no default)"),
    AP_INIT_TAKE1("AuthOIDCClientID", ap_set_string_slot, OFF(client_id), CTX,
                  "OAuth 2.0 client id (no default)"),
    AP_INIT_TAKE1("AuthOIDCClientSecret", set_secret, NULL, CTX,
                  "Client secret, literal or file:/path or env:NAME"),
    AP_INIT_TAKE1("AuthOIDCRedirectURI", set_redirect_uri, NULL, CTX,
                  "Callback path or URL inside the protected location"),
    AP_INIT_TAKE1("AuthOIDCPassphrase", set_passphrase, NULL, CTX,
                  "Key material for cookies and stored entries, literal or "
                  "file:/env:"),
    AP_INIT_TAKE1("AuthOIDCScope", ap_set_string_slot, OFF(scope), CTX,
                  "Scopes to request (default openid)"),
    AP_INIT_TAKE1("AuthOIDCPKCE", set_choice, (void *)&pkce_choice, CTX,
                  "PKCE method: S256 (default) or off"),
    AP_INIT_TAKE1("AuthOIDCLeeway", set_seconds, OFF(leeway), CTX,
                  "Allowed clock skew in seconds (default 60)"),
    AP_INIT_TAKE1("AuthOIDCAudience", ap_set_string_slot, OFF(audience), CTX,
                  "Required aud of bearer access tokens (no default)"),
    AP_INIT_TAKE1("AuthOIDCSessionStore", set_store, NULL, CTX,
                  "Session store: shm[:SIZE] (default shm:32M), "
                  "redis[s]://..., memcache://..."),
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
    AP_INIT_ITERATE("AuthOIDCAcceptTokenIn", set_accept, NULL, CTX,
                    "Where bearer tokens are taken from: header (default), "
                    "form, query"),
    AP_INIT_TAKE1("AuthOIDCAccessTokenTyp", set_choice, (void *)&typ_choice,
                  CTX,
                  "Required JWT access token typ: any (default) or at+jwt"),
    AP_INIT_TAKE1("AuthOIDCHTTPTimeout", set_timeout, NULL, CTX,
                  "Seconds allowed for each call to the OP (default 5)"),
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
    {NULL, {NULL}, NULL, 0, RAW_ARGS, NULL},
};

/* --- configtest ---------------------------------------------------------- */

/*
 * Cross-directive checks at configtest time (check_config runs for
 * `apachectl configtest` too). The merged per-directory configuration does
 * not exist yet, so this walks the parsed configuration tree: each section
 * inherits what its enclosing sections set, and a section whose AuthType is
 * oidc or bearer must have everything that type needs.
 */
typedef struct {
    const char *auth_type, *issuer, *client_id, *passphrase, *audience;
    const char *redirect_uri;
} scope_t;

static void collect(scope_t *sc, const ap_directive_t *d)
{
    const char *n = d->directive;
    if (!strcasecmp(n, "AuthType")) {
        sc->auth_type = d->args;
    }
    else if (!strcasecmp(n, "AuthOIDCIssuer")) {
        sc->issuer = d->args;
    }
    else if (!strcasecmp(n, "AuthOIDCClientID")) {
        sc->client_id = d->args;
    }
    else if (!strcasecmp(n, "AuthOIDCPassphrase")) {
        sc->passphrase = d->args;
    }
    else if (!strcasecmp(n, "AuthOIDCAudience")) {
        sc->audience = d->args;
    }
    else if (!strcasecmp(n, "AuthOIDCRedirectURI")) {
        sc->redirect_uri = d->args;
    }
}

static const char *missing(const scope_t *sc)
{
    if (!sc->auth_type) {
        return NULL;
    }
    if (!strcasecmp(sc->auth_type, "oidc")) {
        return !sc->issuer         ? "AuthOIDCIssuer"
               : !sc->client_id    ? "AuthOIDCClientID"
               : !sc->passphrase   ? "AuthOIDCPassphrase"
               : !sc->redirect_uri ? "AuthOIDCRedirectURI"
                                   : NULL;
    }
    if (!strcasecmp(sc->auth_type, "bearer")) {
        return !sc->issuer     ? "AuthOIDCIssuer"
               : !sc->audience ? "AuthOIDCAudience"
                               : NULL;
    }
    return NULL;
}

static int walk(const ap_directive_t *first, scope_t inherited, server_rec *s)
{
    scope_t sc = inherited;
    const ap_directive_t *d;
    const char *what;
    for (d = first; d; d = d->next) {
        collect(&sc, d);
    }
    for (d = first; d; d = d->next) {
        if (!strcasecmp(d->directive, "AuthType") && (what = missing(&sc))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         AOIDCLOGNO(00001) "%s:%d: AuthType %s needs %s",
                         d->filename, d->line_num, sc.auth_type, what);
            return !OK;
        }
        if (d->first_child && walk(d->first_child, sc, s) != OK) {
            return !OK;
        }
    }
    return OK;
}

int aoidc_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    scope_t none = {0};
    return walk(ap_conftree, none, s);
}
