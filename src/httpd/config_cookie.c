/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the browser sees of the module (issue 10): the session cookie's
 * attributes (AuthOIDCCookieName, AuthOIDCCookieDomain, AuthOIDCCookiePath,
 * AuthOIDCCookieSameSite), how long a login attempt's state lives
 * (AuthOIDCStateTimeout), the proxies whose forwarded headers decide the
 * origin cookies and redirects are made for (AuthOIDCTrustedProxy), and
 * the page an error is answered with (AuthOIDCErrorTemplate).
 */
#include <string.h>

#include "apr_file_io.h"
#include "apr_network_io.h"
#include "apr_strings.h"

#include "core/parse.h"
#include "httpd/config.h"

const char *aoidc_config_set_samesite(cmd_parms *cmd, void *dc, const char *arg)
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
const char *aoidc_config_set_cookie_attr(cmd_parms *cmd, void *dc,
                                         const char *arg)
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

const char *aoidc_config_set_state_timeout(cmd_parms *cmd, void *dc,
                                           const char *arg)
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

const char *aoidc_config_set_trusted_proxy(cmd_parms *cmd, void *dc,
                                           const char *arg)
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
const char *aoidc_config_set_error_template(cmd_parms *cmd, void *dc,
                                            const char *arg)
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
