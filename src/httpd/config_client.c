/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's directives: AuthOIDCClientID and AuthOIDCClientSecret, and
 * AuthOIDCClientAuth, AuthOIDCClientKey and AuthOIDCClientCert (issue 12):
 * how the client authenticates at the OP, its signing keys for
 * private_key_jwt and its TLS certificate for tls_client_auth (RFC 8705).
 * All are part of the client (config.h: the provider identity merges as
 * one unit), so a section under another issuer never signs with this
 * one's key or presents this one's certificate. Files are read and parsed
 * here, once, at config time: a bad file fails `apachectl configtest`
 * with the directive's name, and no private key is ever logged.
 */
#include <string.h>

#include "apr_file_io.h"
#include "apr_strings.h"

#include "core/client_cert.h"
#include "core/client_key.h"
#include "core/parse.h"
#include "httpd/config.h"

#define KEY_FILE_MAX (64 * 1024)

/* This section's client, made on its first client directive. */
static aoidc_client_t *client_of(aoidc_dir_conf_t *c, apr_pool_t *p)
{
    if (!c->client) {
        c->client = apr_pcalloc(p, sizeof(*c->client));
    }
    return c->client;
}

const char *aoidc_config_set_client_id(cmd_parms *cmd, void *dc,
                                       const char *arg)
{
    client_of(dc, cmd->pool)->client_id = arg;
    aoidc_config_update_tag(dc, cmd->pool);
    return NULL;
}

const char *aoidc_config_set_client_secret(cmd_parms *cmd, void *dc,
                                           const char *arg)
{
    const char *v, *e = aoidc_parse_secret(&v, arg, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e);
    }
    client_of(dc, cmd->pool)->client_secret = v;
    return NULL;
}

const char *aoidc_config_set_client_auth(cmd_parms *cmd, void *dc,
                                         const char *arg)
{
    static const char *const words[] = {"client_secret_basic",
                                        "client_secret_post", "private_key_jwt",
                                        "tls_client_auth", NULL};
    static const aoidc_client_auth_t values[] = {
        AOIDC_CLIENT_AUTH_BASIC, AOIDC_CLIENT_AUTH_POST,
        AOIDC_CLIENT_AUTH_PRIVATE_KEY_JWT, AOIDC_CLIENT_AUTH_TLS};
    for (int i = 0; words[i]; i++) {
        if (!strcasecmp(arg, words[i])) {
            client_of(dc, cmd->pool)->method = values[i];
            return NULL;
        }
    }
    return apr_psprintf(cmd->pool,
                        "%s: expects client_secret_basic|client_secret_post|"
                        "private_key_jwt|tls_client_auth, not '%s'",
                        cmd->cmd->name, arg);
}

static const char *read_small(char **out, apr_size_t *len, const char *path,
                              apr_pool_t *p)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        return "cannot be read";
    }
    if (fi.size <= 0 || fi.size > KEY_FILE_MAX) {
        apr_file_close(f);
        return "must be 1 byte to 64 KiB";
    }
    n = (apr_size_t)fi.size;
    *out = apr_palloc(p, n + 1);
    if (apr_file_read_full(f, *out, n, &n) != APR_SUCCESS) {
        apr_file_close(f);
        return "cannot be read";
    }
    apr_file_close(f);
    (*out)[n] = '\0';
    *len = n;
    return NULL;
}

/* AuthOIDCClientKey FILE [KID]: each line adds a key; the first signs,
 * all are published at ?jwks (rollover: publish the next key first). */
const char *aoidc_config_set_client_key(cmd_parms *cmd, void *dc,
                                        const char *file, const char *kid)
{
    aoidc_client_t *cl = client_of(dc, cmd->pool);
    const char *path = ap_server_root_relative(cmd->pool, file), *why;
    aoidc_client_key_t *k;
    aoidc_err_t err = {0};
    apr_array_header_t *keys;
    char *pem;
    apr_size_t n;
    if (!path) {
        return apr_psprintf(cmd->pool, "%s: bad path %s", cmd->cmd->name, file);
    }
    if (kid && (!*kid || strlen(kid) > 128 || strpbrk(kid, "\"\\"))) {
        return apr_psprintf(cmd->pool,
                            "%s: KID must be 1 to 128 characters "
                            "without quotes or backslashes",
                            cmd->cmd->name);
    }
    if ((why = read_small(&pem, &n, path, cmd->temp_pool))) {
        return apr_psprintf(cmd->pool, "%s: %s %s", cmd->cmd->name, path, why);
    }
    apr_status_t rv = aoidc_client_key_parse(&k, pem, n, kid, cmd->pool, &err);
    memset(pem, 0, n); /* the private key stays in OpenSSL only */
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s: %s", cmd->cmd->name, path,
                            err.detail);
    }
    keys = cl->keys ? (apr_array_header_t *)cl->keys
                    : apr_array_make(cmd->pool, 2, sizeof(k));
    for (int i = 0; i < keys->nelts; i++) {
        if (!strcmp(aoidc_client_key_kid(
                        APR_ARRAY_IDX(keys, i, aoidc_client_key_t *)),
                    aoidc_client_key_kid(k))) {
            return apr_psprintf(cmd->pool, "%s: kid %s is used twice",
                                cmd->cmd->name, aoidc_client_key_kid(k));
        }
    }
    APR_ARRAY_PUSH(keys, aoidc_client_key_t *) = k;
    cl->keys = keys;
    return NULL;
}

/* AuthOIDCClientCert CERTFILE [KEYFILE]: one per client (a second line
 * replaces the first); the key may sit in CERTFILE. Checked as a pair
 * here so that a mismatch is a configtest error, not a failed login. */
const char *aoidc_config_set_client_cert(cmd_parms *cmd, void *dc,
                                         const char *cert, const char *key)
{
    const char *cpath = ap_server_root_relative(cmd->pool, cert), *why;
    const char *kpath = key ? ap_server_root_relative(cmd->pool, key) : NULL;
    aoidc_http_cert_t *out;
    aoidc_err_t err = {0};
    char *cpem, *kpem = NULL;
    apr_size_t cn, kn = 0;
    apr_status_t rv;
    if (!cpath || (key && !kpath)) {
        return apr_psprintf(cmd->pool, "%s: bad path %s", cmd->cmd->name,
                            cpath ? key : cert);
    }
    if ((why = read_small(&cpem, &cn, cpath, cmd->temp_pool))) {
        return apr_psprintf(cmd->pool, "%s: %s %s", cmd->cmd->name, cpath, why);
    }
    if (kpath && (why = read_small(&kpem, &kn, kpath, cmd->temp_pool))) {
        memset(cpem, 0, cn);
        return apr_psprintf(cmd->pool, "%s: %s %s", cmd->cmd->name, kpath, why);
    }
    rv = aoidc_client_cert_parse(&out, cpem, cn, kpem, kn, cmd->pool, &err);
    memset(cpem, 0, cn); /* the key may be in either file */
    if (kpem) {
        memset(kpem, 0, kn);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s%s%s: %s", cmd->cmd->name, cpath,
                            kpath ? ", " : "", kpath ? kpath : "", err.detail);
    }
    client_of(dc, cmd->pool)->cert = out;
    return NULL;
}
