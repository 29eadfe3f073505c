/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthOIDCClientAuth and AuthOIDCClientKey (issue 12): how the client
 * authenticates at the OP, and its signing keys for private_key_jwt. Both
 * are part of the client (config.h: the provider identity merges as one
 * unit), so a section under another issuer never signs with this one's
 * key. Keys are read and parsed here, once, at config time: a bad file
 * fails `apachectl configtest` with the directive's name, and the private
 * key is never logged.
 */
#include <string.h>

#include "apr_file_io.h"
#include "apr_strings.h"

#include "core/client_key.h"
#include "httpd/config.h"

#define KEY_FILE_MAX (64 * 1024)

static aoidc_client_t *client_of(aoidc_dir_conf_t *c, apr_pool_t *p)
{
    if (!c->client) {
        c->client = apr_pcalloc(p, sizeof(*c->client));
    }
    return c->client;
}

const char *aoidc_config_set_client_auth(cmd_parms *cmd, void *dc,
                                         const char *arg)
{
    static const char *const words[] = {
        "client_secret_basic", "client_secret_post", "private_key_jwt", NULL};
    static const aoidc_client_auth_t values[] = {
        AOIDC_CLIENT_AUTH_BASIC, AOIDC_CLIENT_AUTH_POST,
        AOIDC_CLIENT_AUTH_PRIVATE_KEY_JWT};
    if (!strcasecmp(arg, "tls_client_auth")) {
        return apr_psprintf(cmd->pool,
                            "%s: tls_client_auth is not supported yet (no "
                            "directive names a client certificate)",
                            cmd->cmd->name);
    }
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
