/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Redis store URLs (forms in store_redis.h). Error messages never quote the
 * URL: a password with an unencoded '/' or '@' would otherwise leak through
 * the "host" or "path" part it was mistaken for.
 */
#include <ctype.h>
#include <string.h>

#include <apr_file_io.h>

#include "core/store_redis.h"

#define FORMS                                                                  \
    "expected redis[s]://[USER:PASSWORD@]HOST:PORT[/DB], "                     \
    "redis[s]-sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]" \
    " or redis[s]-cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]"

static const struct {
    const char *name;
    aoidc_redis_mode_t mode;
    bool tls;
} schemes[] = {
    {"redis", AOIDC_REDIS_SINGLE, false},
    {"rediss", AOIDC_REDIS_SINGLE, true},
    {"redis-sentinel", AOIDC_REDIS_SENTINEL, false},
    {"rediss-sentinel", AOIDC_REDIS_SENTINEL, true},
    {"redis-cluster", AOIDC_REDIS_CLUSTER, false},
    {"rediss-cluster", AOIDC_REDIS_CLUSTER, true},
};

static const char *bad(apr_pool_t *p, const char *what)
{
    return apr_psprintf(p, "redis store URL: %s; " FORMS, what);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into p; NULL on a bad escape or a NUL. */
static char *pct_decode(const char *s, apr_size_t n, apr_pool_t *p)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    for (apr_size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

static bool parse_uint(const char *s, apr_size_t n, long max, long *out)
{
    long v = 0;
    if (n == 0 || n > 5) {
        return false;
    }
    for (apr_size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v <= max;
}

/* One "host:port" or "[v6]:port" of s[0..n). */
static const char *parse_host(aoidc_redis_addr_t *a, const char *s,
                              apr_size_t n, int i, apr_pool_t *p)
{
    const char *colon, *h = s;
    apr_size_t hl;
    long port;
    if (n && s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb || rb + 1 >= s + n || rb[1] != ':') {
            return apr_psprintf(p, "host %d: '[IPv6]:PORT' malformed", i);
        }
        h = s + 1;
        hl = (apr_size_t)(rb - h);
        colon = rb + 1;
    }
    else {
        colon = memchr(s, ':', n);
        if (!colon) {
            return apr_psprintf(p, "host %d: the port is missing", i);
        }
        hl = (apr_size_t)(colon - s);
    }
    if (hl == 0) {
        return apr_psprintf(p, "host %d: the host name is empty", i);
    }
    for (apr_size_t k = 0; k < hl; k++) {
        unsigned char c = (unsigned char)h[k];
        if (!(isalnum(c) || c == '.' || c == '-' || c == '_'
              || (h != s && c == ':'))) {
            return apr_psprintf(p, "host %d: invalid character in the host", i);
        }
    }
    if (!parse_uint(colon + 1, (apr_size_t)(s + n - colon - 1), 65535, &port)
        || port == 0) {
        return apr_psprintf(p, "host %d: the port is not a number 1..65535", i);
    }
    a->host = apr_pstrmemdup(p, h, hl);
    a->port = (apr_port_t)port;
    return NULL;
}

static const char *parse_userinfo(aoidc_redis_conf_t *c, const char *s,
                                  apr_size_t n, apr_pool_t *p)
{
    const char *colon = memchr(s, ':', n);
    if (!colon) {
        return "USER without ':PASSWORD' (write USER:PASSWORD@ or "
               ":PASSWORD@)";
    }
    apr_size_t ul = (apr_size_t)(colon - s);
    if (ul) {
        c->user = pct_decode(s, ul, p);
        if (!c->user) {
            return "bad percent-encoding in the user name";
        }
    }
    c->password = pct_decode(colon + 1, n - ul - 1, p);
    if (!c->password) {
        return "bad percent-encoding in the password";
    }
    if (!*c->password) {
        return "the password is empty";
    }
    return NULL;
}

static const char *parse_hosts(aoidc_redis_conf_t *c, const char *s,
                               apr_size_t n, apr_pool_t *p)
{
    const char *end = s + n;
    while (s <= end) {
        const char *comma = memchr(s, ',', (apr_size_t)(end - s));
        const char *e = comma ? comma : end;
        if (c->nhosts == AOIDC_REDIS_MAX_HOSTS) {
            return apr_psprintf(p, "more than %d hosts", AOIDC_REDIS_MAX_HOSTS);
        }
        const char *err = parse_host(&c->hosts[c->nhosts], s,
                                     (apr_size_t)(e - s), c->nhosts + 1, p);
        if (err) {
            return err;
        }
        c->nhosts++;
        s = e + 1;
    }
    if (c->mode == AOIDC_REDIS_SINGLE && c->nhosts > 1) {
        return "redis:// takes one host (use redis-sentinel:// or "
               "redis-cluster:// for several)";
    }
    return NULL;
}

static const char *parse_db(aoidc_redis_conf_t *c, const char *s)
{
    long db;
    if (!parse_uint(s, strlen(s), 9999, &db)) {
        return "the database is not a number 0..9999";
    }
    c->db = (int)db;
    return NULL;
}

static const char *parse_path(aoidc_redis_conf_t *c, const char *path,
                              apr_pool_t *p)
{
    if (c->mode == AOIDC_REDIS_CLUSTER) {
        return *path && strcmp(path, "/")
                   ? "a cluster URL has no path (Redis Cluster has only "
                     "database 0)"
                   : NULL;
    }
    if (c->mode == AOIDC_REDIS_SINGLE) {
        return *path && path[1] ? parse_db(c, path + 1) : NULL;
    }
    const char *name = *path ? path + 1 : path;
    const char *slash = strchr(name, '/');
    apr_size_t nl = slash ? (apr_size_t)(slash - name) : strlen(name);
    if (nl == 0) {
        return "the sentinel master name is empty";
    }
    for (apr_size_t i = 0; i < nl; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!(isalnum(ch) || ch == '.' || ch == '-' || ch == '_')) {
            return "the master name may hold only letters, digits, '.', "
                   "'-' and '_'";
        }
    }
    c->master = apr_pstrmemdup(p, name, nl);
    return slash && slash[1] ? parse_db(c, slash + 1) : NULL;
}

const char *aoidc_redis_parse(aoidc_redis_conf_t **out, const char *url,
                              apr_pool_t *p)
{
    aoidc_redis_conf_t *c = apr_pcalloc(p, sizeof(*c));
    const char *sep = url ? strstr(url, "://") : NULL, *err;
    *out = NULL;
    c->pool = p;
    c->timeout = AOIDC_REDIS_TIMEOUT;
    if (!sep) {
        return bad(p, "no scheme");
    }
    apr_size_t sl = (apr_size_t)(sep - url), i;
    for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strlen(schemes[i].name) == sl
            && !strncasecmp(url, schemes[i].name, sl)) {
            break;
        }
    }
    if (i == sizeof(schemes) / sizeof(schemes[0])) {
        return bad(p, "unknown scheme");
    }
    c->mode = schemes[i].mode;
    c->tls = schemes[i].tls;
    const char *auth = sep + 3;
    if (strpbrk(auth, "?#")) {
        return bad(p, "a query or fragment is not allowed (percent-encode "
                      "'?' and '#' in the password)");
    }
    const char *slash = strchr(auth, '/');
    const char *aend = slash ? slash : auth + strlen(auth);
    const char *at = NULL;
    for (const char *q = auth; q < aend; q++) {
        at = *q == '@' ? q : at;
    }
    if (at) {
        err = parse_userinfo(c, auth, (apr_size_t)(at - auth), p);
        if (err) {
            return bad(p, err);
        }
        auth = at + 1;
    }
    err = parse_hosts(c, auth, (apr_size_t)(aend - auth), p);
    if (!err) {
        err = parse_path(c, aend, p);
    }
    if (err) {
        return bad(p, err);
    }
    *out = c;
    return NULL;
}

void aoidc_redis_set_password(aoidc_redis_conf_t *c, const char *password)
{
    c->password = password && *password ? password : NULL;
}

static const char *check_file(const char *what, const char *path, apr_pool_t *p)
{
    apr_file_t *f;
    char buf[1];
    apr_size_t n = 1;
    apr_status_t rv;
    if (!path) {
        return NULL;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read(f, buf, &n);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        char msg[120];
        return apr_psprintf(p, "redis TLS %s file %s cannot be read: %s", what,
                            path, apr_strerror(rv, msg, sizeof(msg)));
    }
    return NULL;
}

const char *aoidc_redis_set_tls(aoidc_redis_conf_t *c, const char *ca,
                                const char *cert, const char *key,
                                const char *servername)
{
    const char *err;
    if (!cert != !key) {
        return "redis TLS: a client certificate needs both a certificate "
               "and a key file";
    }
    if ((err = check_file("CA", ca, c->pool))
        || (err = check_file("certificate", cert, c->pool))
        || (err = check_file("key", key, c->pool))) {
        return err;
    }
    c->tls = true;
    c->ca = ca;
    c->cert = cert;
    c->key = key;
    c->servername = servername && *servername ? servername : NULL;
    return NULL;
}

void aoidc_redis_set_timeout(aoidc_redis_conf_t *c, apr_interval_time_t t)
{
    c->timeout = t > 0 ? t : AOIDC_REDIS_TIMEOUT;
}

const char *aoidc_redis_describe(const aoidc_redis_conf_t *c, apr_pool_t *p)
{
    static const char *const names[] = {"redis", "redis-sentinel",
                                        "redis-cluster"};
    const char *s = apr_pstrcat(p, names[c->mode], "://", NULL);
    for (int i = 0; i < c->nhosts; i++) {
        const char *h = c->hosts[i].host;
        s = apr_psprintf(p, strchr(h, ':') ? "%s%s[%s]:%u" : "%s%s%s:%u", s,
                         i ? "," : "", h, (unsigned)c->hosts[i].port);
    }
    if (c->master) {
        s = apr_pstrcat(p, s, "/", c->master, NULL);
    }
    if (c->db) {
        s = apr_psprintf(p, "%s/%d", s, c->db);
    }
    return c->tls ? apr_pstrcat(p, s, " (tls)", NULL) : s;
}
