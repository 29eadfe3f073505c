/* SPDX-License-Identifier: Apache-2.0 */
/*
 * configtest (check_config, also for `apachectl configtest`): the
 * cross-directive checks over the configuration tree, apart from the
 * directive setters (config.c, config_*.c).
 *
 * First: an AuthOIDCRedirectURI (path form) that no <Location> with
 * AuthType oidc covers. The module answers the redirect URI only where
 * AuthType oidc applies, so such a callback is served by whatever else is
 * there (a 404, or the backend). Refused only when the tree proves it:
 * every AuthType oidc of the server (or virtual host) sits directly in a
 * plain <Location PATH>, and no .htaccess may add one (AllowOverride None
 * everywhere). Anything else (<LocationMatch>, <Directory>, <If>, a
 * server-wide AuthType) is left to request time.
 */
#include <string.h>

#include "http_core.h"

#include "httpd/config.h"
#include "httpd/mod_auth_oidc.h"
#include "util_cfgtree.h"

typedef struct {
    apr_array_header_t *locations; /* of const char *: <Location> paths */
    apr_array_header_t *uris;      /* of const ap_directive_t * */
    bool unprovable;
    bool any_oidc;
} scope_t;

static bool is_oidc(const ap_directive_t *d)
{
    return !strcasecmp(d->directive, "AuthType") && d->args
           && !strcasecmp(d->args, "oidc");
}

/* The path of a plain <Location PATH> (no regex), else NULL. */
static const char *location_path(const ap_directive_t *d, apr_pool_t *p)
{
    char *arg, *end;
    if (strcasecmp(d->directive, "<Location") || !d->args) {
        return NULL;
    }
    arg = apr_pstrdup(p, d->args);
    if ((end = strrchr(arg, '>'))) {
        *end = '\0';
    }
    if (*arg == '"') {
        arg++;
        if ((end = strrchr(arg, '"'))) {
            *end = '\0';
        }
    }
    return *arg == '/' ? arg : NULL;
}

/* d's subtree (not other virtual hosts when !into_vhosts); parent: the
 * plain <Location> path d sits in directly, or NULL. */
static void scan(scope_t *sc, const ap_directive_t *d, const char *parent,
                 bool into_vhosts, apr_pool_t *p)
{
    for (; d; d = d->next) {
        const char *n = d->directive, *loc;
        if (!into_vhosts && !strcasecmp(n, "<VirtualHost")) {
            continue;
        }
        if (is_oidc(d)) {
            sc->any_oidc = true;
            if (parent) {
                *(const char **)apr_array_push(sc->locations) = parent;
            }
            else {
                sc->unprovable = true;
            }
        }
        if (!strcasecmp(n, "AllowOverride") && d->args
            && strcasecmp(d->args, "None")) {
            sc->unprovable = true;
        }
        if (!strcasecmp(n, "AllowOverrideList")) {
            sc->unprovable = true;
        }
        if (!strcasecmp(n, "AuthOIDCRedirectURI") && d->args
            && d->args[0] == '/') {
            *(const ap_directive_t **)apr_array_push(sc->uris) = d;
        }
        loc = location_path(d, p);
        if (d->first_child) {
            scan(sc, d->first_child, loc, into_vhosts, p);
        }
    }
}

/* httpd's <Location> match: the path itself, or below it at a '/'. */
static bool covers(const char *loc, const char *path)
{
    apr_size_t n = strlen(loc);
    return !strncmp(path, loc, n)
           && (path[n] == '\0' || path[n] == '/' || (n && loc[n - 1] == '/'));
}

static int judge(const scope_t *sc, const scope_t *base, server_rec *s)
{
    if (sc->unprovable || (base && base->unprovable) || !sc->any_oidc) {
        return OK;
    }
    for (int i = 0; i < sc->uris->nelts; i++) {
        const ap_directive_t *d =
            APR_ARRAY_IDX(sc->uris, i, const ap_directive_t *);
        bool in = false;
        for (const scope_t *x = sc; x && !in; x = x == base ? NULL : base) {
            for (int j = 0; j < x->locations->nelts && !in; j++) {
                in = covers(APR_ARRAY_IDX(x->locations, j, const char *),
                            d->args);
            }
        }
        if (!in) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         AOIDCLOGNO(00522) "%s:%d: AuthOIDCRedirectURI %s "
                                           "lies outside every <Location> "
                                           "with AuthType oidc: the callback "
                                           "would never reach the module",
                         d->filename, d->line_num, d->args);
            return !OK;
        }
    }
    return OK;
}

static scope_t *scope_new(apr_pool_t *p)
{
    scope_t *sc = apr_pcalloc(p, sizeof(*sc));
    sc->locations = apr_array_make(p, 4, sizeof(const char *));
    sc->uris = apr_array_make(p, 4, sizeof(const ap_directive_t *));
    return sc;
}

int aoidc_config_check_redirect_uri(apr_pool_t *ptemp, server_rec *s)
{
    scope_t *main_sc = scope_new(ptemp);
    scan(main_sc, ap_conftree, NULL, false, ptemp);
    if (judge(main_sc, NULL, s) != OK) {
        return !OK;
    }
    for (const ap_directive_t *d = ap_conftree; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")) {
            scope_t *vh = scope_new(ptemp);
            scan(vh, d->first_child, NULL, true, ptemp);
            vh->any_oidc |= main_sc->any_oidc;
            if (judge(vh, main_sc, s) != OK) {
                return !OK;
            }
        }
    }
    return OK;
}

/* --- configtest ---------------------------------------------------------- */

/*
 * Cross-directive checks at configtest time (check_config runs for
 * `apachectl configtest` too). The merged per-directory configuration does
 * not exist yet, and httpd merges <Directory>, <Location> and <Files>
 * sections of one virtual host at request time in ways the tree does not
 * show, so only what can be proven is refused: an AuthType oidc or bearer
 * whose virtual host (with the main server) names a needed directive
 * nowhere at all. Anything subtler is caught at request time (a 500 with
 * reason=config naming the directive).
 */
typedef struct {
    bool issuer, client_id, passphrase, audience, redirect_uri;
    bool form_post;     /* AuthOIDCResponseMode form_post (issue 11) */
    bool client_secret; /* AuthOIDCUpstreamToken client_credentials */
    bool client_cert;   /* AuthOIDCClientAuth tls_client_auth */
} seen_t;

static void collect(seen_t *sn, const ap_directive_t *d, bool into_vhosts)
{
    for (; d; d = d->next) {
        const char *n = d->directive;
        if (!into_vhosts && !strcasecmp(n, "<VirtualHost")) {
            continue;
        }
        sn->issuer |= !strcasecmp(n, "AuthOIDCIssuer");
        sn->client_id |= !strcasecmp(n, "AuthOIDCClientID");
        sn->passphrase |= !strcasecmp(n, "AuthOIDCPassphrase");
        sn->audience |= !strcasecmp(n, "AuthOIDCAudience");
        sn->redirect_uri |= !strcasecmp(n, "AuthOIDCRedirectURI");
        sn->form_post |= !strcasecmp(n, "AuthOIDCResponseMode") && d->args
                         && ap_strcasestr(d->args, "form_post");
        sn->client_secret |= !strcasecmp(n, "AuthOIDCClientSecret")
                             || !strcasecmp(n, "AuthOIDCClientKey")
                             || !strcasecmp(n, "AuthOIDCClientCert");
        sn->client_cert |= !strcasecmp(n, "AuthOIDCClientCert");
        collect(sn, d->first_child, into_vhosts);
    }
}

static const char *missing(const seen_t *sn, const char *type)
{
    if (!strcasecmp(type, "oidc")) {
        return !sn->issuer         ? "AuthOIDCIssuer"
               : !sn->client_id    ? "AuthOIDCClientID"
               : !sn->passphrase   ? "AuthOIDCPassphrase"
               : !sn->redirect_uri ? "AuthOIDCRedirectURI"
                                   : NULL;
    }
    if (!strcasecmp(type, "oidc-basic")) {
        return !sn->issuer       ? "AuthOIDCIssuer"
               : !sn->client_id  ? "AuthOIDCClientID"
               : !sn->passphrase ? "AuthOIDCPassphrase"
                                 : NULL;
    }
    if (!strcasecmp(type, "bearer")) {
        return !sn->issuer     ? "AuthOIDCIssuer"
               : !sn->audience ? "AuthOIDCAudience"
                               : NULL;
    }
    return NULL;
}

/* AuthOIDCUpstreamToken MODE: what the grant needs (aoidc_conf_upstream
 * says the same at request time). */
static const char *upstream_missing(const seen_t *sn, const char *mode)
{
    bool cc = !strcasecmp(mode, "client_credentials");
    if (!cc && strcasecmp(mode, "exchange")) {
        return NULL; /* off */
    }
    return !sn->issuer                ? "AuthOIDCIssuer"
           : !sn->client_id           ? "AuthOIDCClientID"
           : cc && !sn->client_secret ? "AuthOIDCClientSecret"
           : !sn->passphrase          ? "AuthOIDCPassphrase"
                                      : NULL;
}

/* Every AuthType of ours under d (not descending into other virtual
 * hosts when !into_vhosts) checked against what sn saw. */
static int check(const ap_directive_t *d, const seen_t *sn, bool into_vhosts,
                 server_rec *s)
{
    const char *what;
    for (; d; d = d->next) {
        if (!into_vhosts && !strcasecmp(d->directive, "<VirtualHost")) {
            continue;
        }
        if (!strcasecmp(d->directive, "AuthType") && d->args
            && (what = missing(sn, d->args))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         AOIDCLOGNO(00001) "%s:%d: AuthType %s needs %s "
                                           "(set nowhere in this virtual "
                                           "host or the main server)",
                         d->filename, d->line_num, d->args, what);
            return !OK;
        }
        if (!strcasecmp(d->directive, "AuthOIDCDPoPNonce") && d->args
            && !strcasecmp(d->args, "on") && !sn->passphrase) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         AOIDCLOGNO(01040) "%s:%d: AuthOIDCDPoPNonce on needs "
                                           "AuthOIDCPassphrase (its nonces "
                                           "are MACs under it; set nowhere "
                                           "in this virtual host or the main "
                                           "server)",
                         d->filename, d->line_num);
            return !OK;
        }
        if (!strcasecmp(d->directive, "AuthOIDCResponseType") && d->args
            && !sn->form_post && ap_strcasestr(d->args, "id_token")) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         AOIDCLOGNO(00820) "%s:%d: AuthOIDCResponseType %s "
                                           "needs AuthOIDCResponseMode "
                                           "form_post (set nowhere in this "
                                           "virtual host or the main server)",
                         d->filename, d->line_num, d->args);
            return !OK;
        }
        if (!strcasecmp(d->directive, "AuthOIDCClientAuth") && d->args
            && !strcasecmp(d->args, "tls_client_auth") && !sn->client_cert) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         AOIDCLOGNO(01000) "%s:%d: AuthOIDCClientAuth "
                                           "tls_client_auth needs "
                                           "AuthOIDCClientCert (set nowhere "
                                           "in this virtual host or the main "
                                           "server)",
                         d->filename, d->line_num);
            return !OK;
        }
        if (!strcasecmp(d->directive, "AuthOIDCUpstreamToken") && d->args
            && (what = upstream_missing(sn, d->args))) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         AOIDCLOGNO(00800) "%s:%d: AuthOIDCUpstreamToken %s "
                                           "needs %s (set nowhere in this "
                                           "virtual host or the main server)",
                         d->filename, d->line_num, d->args, what);
            return !OK;
        }
        if (check(d->first_child, sn, into_vhosts, s) != OK) {
            return !OK;
        }
    }
    return OK;
}

int aoidc_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    seen_t global = {0};
    if (aoidc_config_check_redirect_uri(ptemp, s) != OK
        || aoidc_config_check_profile(ptemp, s) != OK) {
        return !OK;
    }
    collect(&global, ap_conftree, false);
    if (check(ap_conftree, &global, false, s) != OK) {
        return !OK;
    }
    for (const ap_directive_t *d = ap_conftree; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")) {
            seen_t vh = global;
            collect(&vh, d->first_child, true);
            if (check(d->first_child, &vh, true, s) != OK) {
                return !OK;
            }
        }
    }
    return OK;
}

/* --- AuthOIDCProfile (config_profile.c): each section merged over its
 * server's settings, so a server-wide profile meets a section's directive */

/* One section's configuration (merged over its server's defaults, as
 * httpd merges a <Location> at request time): refused when it
 * contradicts the profile. */
static int check_one(const aoidc_dir_conf_t *c, const char *where,
                     server_rec *s)
{
    const char *what = aoidc_config_profile_conflict(c);
    if (!what) {
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                 AOIDCLOGNO(01020) "%s: AuthOIDCProfile fapi2 conflicts with "
                                   "%s (the FAPI 2.0 profile requires "
                                   "otherwise; see docs/security.md)",
                 where, what);
    return !OK;
}

static int check_sections(const apr_array_header_t *secs,
                          const aoidc_dir_conf_t *base, apr_pool_t *ptemp,
                          server_rec *s)
{
    for (int i = 0; secs && i < secs->nelts; i++) {
        ap_conf_vector_t *v = APR_ARRAY_IDX(secs, i, ap_conf_vector_t *);
        const aoidc_dir_conf_t *c = ap_get_module_config(v, &auth_oidc_module);
        core_dir_config *cd = ap_get_core_module_config(v);
        if (c
            && check_one(
                   aoidc_merge_dir_conf(ptemp, (void *)base, (void *)c),
                   apr_psprintf(ptemp, "<%s>", cd && cd->d ? cd->d : "section"),
                   s)
                   != OK) {
            return !OK;
        }
    }
    return OK;
}

int aoidc_config_check_profile(apr_pool_t *ptemp, server_rec *s)
{
    for (server_rec *v = s; v; v = v->next) {
        core_server_config *sc = ap_get_core_module_config(v->module_config);
        const aoidc_dir_conf_t *base =
            ap_get_module_config(v->lookup_defaults, &auth_oidc_module);
        const char *name =
            apr_psprintf(ptemp, "server %s:%u",
                         v->server_hostname ? v->server_hostname : "(unnamed)",
                         (unsigned)v->port);
        if (base
            && (check_one(base, name, v) != OK
                || check_sections(sc->sec_url, base, ptemp, v) != OK
                || check_sections(sc->sec_dir, base, ptemp, v) != OK)) {
            return !OK;
        }
    }
    return OK;
}
