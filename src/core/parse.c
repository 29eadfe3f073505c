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

const char *aoidc_parse_size(apr_size_t *out, const char *arg, apr_size_t min,
                             apr_size_t max, apr_pool_t *p)
{
    char *end;
    unsigned long long v, mul = 1;
    errno = 0;
    v = apr_isdigit(*arg) ? strtoull(arg, &end, 10) : 0;
    if (apr_isdigit(*arg) && !errno && end[0] && !end[1]) {
        switch (apr_toupper(end[0])) {
        case 'K':
            mul = 1024;
            break;
        case 'M':
            mul = 1024 * 1024;
            break;
        case 'G':
            mul = 1024 * 1024 * 1024;
            break;
        default:
            mul = 0;
        }
        end++;
    }
    if (!apr_isdigit(*arg) || errno || *end || !mul || v > max / mul
        || v * mul < min) {
        return apr_psprintf(p,
                            "expects a size from %" APR_SIZE_T_FMT
                            "K to %" APR_SIZE_T_FMT
                            "M (bytes, or with K, M or G), not '%s'",
                            min / 1024, max / (1024 * 1024), arg);
    }
    *out = (apr_size_t)(v * mul);
    return NULL;
}

static const char *const network_schemes[] = {
    "redis://",
    "rediss://",
    "redis-sentinel://",
    "redis-cluster://",
};

const char *aoidc_parse_store(aoidc_store_kind_t *kind, apr_size_t *shm_size,
                              const char *arg, apr_pool_t *p)
{
    *shm_size = 0;
    if (!strcmp(arg, "shm")) {
        *kind = AOIDC_STORE_SHM;
        return NULL;
    }
    if (!strncmp(arg, "shm:", 4)) {
        *kind = AOIDC_STORE_SHM;
        return aoidc_parse_size(shm_size, arg + 4, AOIDC_SHM_MIN_SIZE,
                                AOIDC_SHM_MAX_SIZE, p);
    }
    if (!strcmp(arg, "cookie")) {
        *kind = AOIDC_STORE_COOKIE;
        return NULL;
    }
    for (size_t i = 0; i < sizeof(network_schemes) / sizeof(*network_schemes);
         i++) {
        if (!strncmp(arg, network_schemes[i], strlen(network_schemes[i]))) {
            *kind = AOIDC_STORE_REDIS;
            return NULL;
        }
    }
    if (!strncmp(arg, "memcache://", 11)) {
        *kind = AOIDC_STORE_MEMCACHE;
        return NULL;
    }
    return "expects shm, shm:SIZE, redis://HOST:PORT, rediss://..., "
           "redis-sentinel://..., redis-cluster://..., "
           "memcache://HOST:PORT[,HOST:PORT...] or cookie";
}
