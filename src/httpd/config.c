/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directives: the command table, create and merge, and the setters of
 * directives that belong to no group of their own: the generic ones (a
 * flag, seconds, a choice of two, a keyword, a count) over core/parse.c
 * and a few thin ones. The groups have their files (config.h):
 * config_identity.c (issuer, providers), config_client.c,
 * config_passphrase.c, config_cookie.c, config_http.c, config_upstream.c,
 * config_stepup.c, config_profile.c; the accessors are config_access.c,
 * the cross-directive checks configtest.c.
 */
#include <stddef.h>
#include <string.h>

#include "util_cfgtree.h"

#include "core/authz_request.h"
#include "core/parse.h"
#include "core/url.h"
#include "httpd/mod_auth_oidc.h"
#include "httpd/store.h"

#define MAX_SECONDS (10 * 365 * 86400LL)

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
    aoidc_config_identity_merge(c, base, add, p);
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

/* An aoidc_keyword_t (config.h) at cmd->info. */
static const char *set_keyword(cmd_parms *cmd, void *dc, const char *arg)
{
    const aoidc_keyword_t *k = cmd->info;
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
static const aoidc_keyword_t unauth_kw = {
    offsetof(aoidc_dir_conf_t, unauth_action), unauth_words, unauth_values};
static const char *const unautz_words[] = {"403", "auth", NULL};
static const int unautz_values[] = {AOIDC_UNAUTZ_403, AOIDC_UNAUTZ_AUTH};
static const aoidc_keyword_t unautz_kw = {
    offsetof(aoidc_dir_conf_t, unautz_action), unautz_words, unautz_values};
static const char *const pass_words[] = {"headers", "environment", "both",
                                         "none", NULL};
static const int pass_values[] = {AOIDC_PASS_HEADERS, AOIDC_PASS_ENV,
                                  AOIDC_PASS_HEADERS | AOIDC_PASS_ENV, 0};
static const aoidc_keyword_t pass_kw = {
    offsetof(aoidc_dir_conf_t, pass_claims_as), pass_words, pass_values};
static const char *const binding_words[] = {"off", "dpop", "mtls", "any", NULL};
static const int binding_values[] = {AOIDC_BIND_OFF, AOIDC_BIND_DPOP,
                                     AOIDC_BIND_MTLS, AOIDC_BIND_ANY};
static const aoidc_keyword_t binding_kw = {
    offsetof(aoidc_dir_conf_t, token_binding), binding_words, binding_values};

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

/* --- response type and mode (issue 11) ---------------------------------- */

static const char *const rtype_words[] = {"code", "code id_token", "id_token",
                                          NULL};
static const int rtype_values[] = {AOIDC_RT_CODE, AOIDC_RT_CODE_ID_TOKEN,
                                   AOIDC_RT_ID_TOKEN};
static const aoidc_keyword_t rtype_kw = {
    offsetof(aoidc_dir_conf_t, response_type), rtype_words, rtype_values};
static const char *const rmode_words[] = {"query", "form_post", NULL};
static const int rmode_values[] = {AOIDC_RM_QUERY, AOIDC_RM_FORM_POST};
static const aoidc_keyword_t rmode_kw = {
    offsetof(aoidc_dir_conf_t, response_mode), rmode_words, rmode_values};

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
static const aoidc_keyword_t par_kw = {offsetof(aoidc_dir_conf_t, par),
                                       par_words, par_values};

#define OFF(f) ((void *)offsetof(aoidc_dir_conf_t, f))
#define CTX    (RSRC_CONF | ACCESS_CONF)

/* Same order as docs/directives.md. */
const command_rec aoidc_cmds[] = {
    AP_INIT_TAKE1("AuthOIDCIssuer", aoidc_config_set_issuer, NULL, CTX,
                  "Issuer URL; metadata from URL/.well-known/openid-"
                  "configuration (no default)"),
    AP_INIT_TAKE123("AuthOIDCProvider", aoidc_config_set_provider, NULL, CTX,
                    "ISSUER [CLIENT-ID [SECRET]]: another provider a user "
                    "may pick, beside AuthOIDCIssuer (repeatable)"),
    AP_INIT_TAKE1("AuthOIDCClientID", aoidc_config_set_client_id, NULL, CTX,
                  "OAuth 2.0 client id (no default)"),
    AP_INIT_TAKE1("AuthOIDCClientSecret", aoidc_config_set_client_secret, NULL,
                  CTX, "Client secret, literal or file:/path or env:NAME"),
    AP_INIT_TAKE1("AuthOIDCRedirectURI", set_redirect_uri, NULL, CTX,
                  "Callback path or URL inside the protected location"),
    AP_INIT_TAKE12("AuthOIDCPassphrase", aoidc_config_set_passphrase, NULL, CTX,
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
    AP_INIT_TAKE1("AuthOIDCCookieName", aoidc_config_set_cookie_attr,
                  OFF(cookie_name), CTX,
                  "Session cookie name (default " AOIDC_SESSION_COOKIE ")"),
    AP_INIT_TAKE1("AuthOIDCCookieDomain", aoidc_config_set_cookie_attr,
                  OFF(cookie_domain), CTX,
                  "Domain attribute of the session cookie (default none)"),
    AP_INIT_TAKE1("AuthOIDCCookiePath", aoidc_config_set_cookie_attr,
                  OFF(cookie_path), CTX,
                  "Path attribute of the session cookie (default /)"),
    AP_INIT_TAKE1("AuthOIDCCookieSameSite", aoidc_config_set_samesite, NULL,
                  CTX,
                  "SameSite of the session cookie: Lax (default), Strict or "
                  "None (forces Secure)"),
    AP_INIT_TAKE1("AuthOIDCStateTimeout", aoidc_config_set_state_timeout, NULL,
                  CTX, "Seconds a login attempt stays valid (default 300)"),
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
    AP_INIT_ITERATE("AuthOIDCTrustedProxy", aoidc_config_set_trusted_proxy,
                    NULL, CTX,
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
    AP_INIT_TAKE1("AuthOIDCErrorTemplate", aoidc_config_set_error_template,
                  NULL, CTX,
                  "HTML template of the module's error pages (default: "
                  "built in; placeholders in docs/errors.md)"),
    /* tokens for the backend's own calls (docs/directives.md "Tokens for
     * the backend") */
    AP_INIT_TAKE1("AuthOIDCUpstreamToken", set_keyword,
                  (void *)&aoidc_config_upstream_kw, CTX,
                  "Put an access token on the request to the backend: "
                  "client_credentials, exchange or off (default)"),
    AP_INIT_TAKE1("AuthOIDCUpstreamScope", aoidc_config_set_upstream_str,
                  OFF(upstream_scope), CTX,
                  "Scope of the backend's token (default none)"),
    AP_INIT_TAKE1("AuthOIDCUpstreamAudience", aoidc_config_set_upstream_str,
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
