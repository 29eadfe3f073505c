/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration value parsers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_lib.h>

#include "core/parse.h"

const char *aoidc_parse_seconds(apr_int64_t *out, const char *arg,
                                apr_int64_t max, apr_pool_t *p)
{
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (!apr_isdigit(*arg) || *end || errno || v < 0 || v > max) {
        return apr_psprintf(
            p, "expects whole seconds from 0 to %" APR_INT64_T_FMT ", not '%s'",
            max, arg);
    }
    *out = v;
    return NULL;
}

const char *aoidc_parse_secret(const char **out, const char *arg, apr_pool_t *p)
{
    if (!strncmp(arg, "env:", 4)) {
        const char *v = getenv(arg + 4);
        if (!v || !*v) {
            return apr_psprintf(p, "environment variable %s is not set",
                                arg + 4);
        }
        *out = apr_pstrdup(p, v);
        return NULL;
    }
    if (!strncmp(arg, "file:", 5)) {
        apr_file_t *f;
        char buf[4096];
        apr_size_t n = sizeof(buf) - 1;
        if (apr_file_open(&f, arg + 5, APR_FOPEN_READ, 0, p) != APR_SUCCESS) {
            return apr_psprintf(p, "cannot read %s", arg + 5);
        }
        apr_status_t rv = apr_file_read(f, buf, &n);
        apr_file_close(f);
        if (rv != APR_SUCCESS && rv != APR_EOF) {
            return apr_psprintf(p, "cannot read %s", arg + 5);
        }
        buf[n] = '\0';
        n = strcspn(buf, "\r\n");
        while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) {
            n--;
        }
        buf[n] = '\0';
        if (!*buf) {
            return apr_psprintf(p, "%s is empty", arg + 5);
        }
        *out = apr_pstrdup(p, buf);
        return NULL;
    }
    *out = arg;
    return NULL;
}

const char *aoidc_parse_store(aoidc_store_kind_t *kind, const char **hostport,
                              const char *arg, apr_pool_t *p)
{
    const char *rest = NULL;
    *hostport = NULL;
    if (!strcmp(arg, "shm")) {
        *kind = AOIDC_STORE_SHM;
        return NULL;
    }
    if (!strcmp(arg, "cookie")) {
        *kind = AOIDC_STORE_COOKIE;
        return NULL;
    }
    if (!strncmp(arg, "redis://", 8)) {
        *kind = AOIDC_STORE_REDIS;
        rest = arg + 8;
    }
    else if (!strncmp(arg, "memcache://", 11)) {
        *kind = AOIDC_STORE_MEMCACHE;
        rest = arg + 11;
    }
    if (!rest || !*rest || !strchr(rest, ':')) {
        return "expects shm, cookie, redis://HOST:PORT[/DB] or "
               "memcache://HOST:PORT";
    }
    *hostport = apr_pstrndup(p, rest, strcspn(rest, "/"));
    return NULL;
}
