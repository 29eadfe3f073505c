/* SPDX-License-Identifier: Apache-2.0 */
/* Form encoding, callback query parsing, endpoint and return-URL rules. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>

#include "core/url.h"

char *aoidc_url_encode(const char *s, apr_pool_t *p)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t n = strlen(s);
    char *out = apr_palloc(p, 3 * n + 1), *o = out;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (apr_isalnum(*c) || *c == '-' || *c == '.' || *c == '_'
            || *c == '~') {
            *o++ = (char)*c;
        }
        else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
    }
    *o = '\0';
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decode [s, s+n) in place into a new string; NULL on a bad escape or a
 * decoded control byte. */
static char *decode(const char *s, apr_size_t n, apr_pool_t *p)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    for (apr_size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        }
        else if (c == '%') {
            int hi, lo;
            if (i + 2 >= n) {
                return NULL;
            }
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return NULL;
            }
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f) {
            return NULL;
        }
        *o++ = (char)c;
    }
    *o = '\0';
    return out;
}

apr_status_t aoidc_url_parse_query(apr_table_t **out, const char *query,
                                   int max_params, apr_pool_t *p,
                                   aoidc_err_t *err)
{
    apr_table_t *t = apr_table_make(p, 8);
    const char *s = query ? query : "";
    int count = 0;
    while (*s) {
        const char *amp = strchr(s, '&');
        apr_size_t n = amp ? (apr_size_t)(amp - s) : strlen(s);
        if (n) {
            const char *eq = memchr(s, '=', n);
            apr_size_t kn = eq ? (apr_size_t)(eq - s) : n;
            char *k = decode(s, kn, p);
            char *v = eq ? decode(eq + 1, n - kn - 1, p) : apr_pstrdup(p, "");
            if (!k || !v || !*k) {
                return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                                     "query: bad encoding");
            }
            if (++count > max_params) {
                return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                                     "query: more than %d parameters",
                                     max_params);
            }
            if (apr_table_get(t, k)) {
                return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                                     "query: repeated parameter");
            }
            apr_table_setn(t, k, v);
        }
        s += n;
        if (*s == '&') {
            s++;
        }
    }
    *out = t;
    return APR_SUCCESS;
}

const char *aoidc_url_param(const apr_table_t *t, const char *name)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    for (int i = 0; i < arr->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(arr, i, apr_table_entry_t);
        if (!strcmp(e->key, name)) {
            return e->val;
        }
    }
    return NULL;
}

void aoidc_url_find_param(const char **value, int *count, const char *query,
                          const char *name, apr_pool_t *p)
{
    apr_size_t nl = strlen(name);
    const char *s = query ? query : "";
    *value = NULL;
    *count = 0;
    while (*s) {
        apr_size_t n = strcspn(s, "&");
        if (n > nl && !strncmp(s, name, nl) && s[nl] == '=') {
            if ((*count)++ == 0) {
                *value = decode(s + nl + 1, n - nl - 1, p);
            }
        }
        s += n;
        if (*s == '&') {
            s++;
        }
    }
}

bool aoidc_url_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!host) {
        return false;
    }
    if (!strcasecmp(host, "localhost")) {
        return true;
    }
    if (inet_pton(AF_INET, host, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    if (inet_pton(AF_INET6, host, &a6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return false;
}

apr_status_t aoidc_url_check_endpoint(apr_uri_t *out, const char *url,
                                      apr_pool_t *p, aoidc_err_t *err)
{
    apr_uri_t u;
    if (!url || apr_uri_parse(p, url, &u) != APR_SUCCESS || !u.scheme
        || !u.hostname || !*u.hostname || u.user || u.password || u.fragment
        || strpbrk(url, " \t\r\n\\")) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "not an absolute URL: %.200s", url ? url : "");
    }
    if (!strcasecmp(u.scheme, "http")) {
        if (!aoidc_url_is_loopback(u.hostname)) {
            return aoidc_err_set(err, AOIDC_REASON_OP_INSECURE, p,
                                 "http is allowed on loopback only: %.200s",
                                 url);
        }
    }
    else if (strcasecmp(u.scheme, "https")) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "scheme must be https: %.200s", url);
    }
    if (out) {
        *out = u;
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_url_check_op_endpoint(apr_uri_t *out, const char *url,
                                         const char *issuer, apr_pool_t *p,
                                         aoidc_err_t *err)
{
    apr_uri_t u, iss;
    apr_status_t rv = aoidc_url_check_endpoint(&u, url, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* An https issuer must not send the client secret or tokens to a
     * plain-http service, loopback or not: anything on the host (or a
     * proxy in front of it) would read them in clear. */
    if (!strcasecmp(u.scheme, "http")
        && (!issuer || apr_uri_parse(p, issuer, &iss) != APR_SUCCESS
            || !iss.scheme || strcasecmp(iss.scheme, "http") || !iss.hostname
            || !aoidc_url_is_loopback(iss.hostname))) {
        return aoidc_err_set(err, AOIDC_REASON_OP_INSECURE, p,
                             "http endpoint for a non-http issuer: %.200s",
                             url);
    }
    if (out) {
        *out = u;
    }
    return APR_SUCCESS;
}

bool aoidc_url_is_local_path(const char *target)
{
    if (!target || target[0] != '/' || target[1] == '/' || target[1] == '\\') {
        return false;
    }
    for (const unsigned char *c = (const unsigned char *)target; *c; c++) {
        if (*c <= 0x20 || *c >= 0x7f || *c == '\\' || *c == '#') {
            return false;
        }
    }
    return true;
}

const char *aoidc_url_same_origin_path(const char *origin, const char *target)
{
    apr_size_t n = strlen(origin);
    if (target[0] == '/' || strncmp(target, origin, n)
        || (target[n] != '/' && target[n] != '\0')) {
        return target;
    }
    return target[n] ? target + n : "/";
}

char *aoidc_url_append_param(const char *buf, const char *name,
                             const char *value, apr_pool_t *p)
{
    return apr_pstrcat(p, buf, *buf ? "&" : "", name, "=",
                       aoidc_url_encode(value, p), NULL);
}

/* The form an operator would recognise, without the secret: the scheme,
 * the user (not secret by itself), the host and port. */
static const char *proxy_shown(const apr_uri_t *u, apr_pool_t *p)
{
    bool v6 = strchr(u->hostname, ':') != NULL;
    return apr_psprintf(p, "%s://%s%s%s%s%s%s:%s", u->scheme,
                        u->user ? u->user : "", u->password ? ":***" : "",
                        u->user ? "@" : "", v6 ? "[" : "", u->hostname,
                        v6 ? "]" : "", u->port_str);
}

apr_status_t aoidc_url_check_proxy(const char **shown, const char *url,
                                   apr_pool_t *p, aoidc_err_t *err)
{
    apr_uri_t u;
    char *end;
    long port;
    if (!url || strpbrk(url, " \t\r\n\\") || apr_uri_parse(p, url, &u)
        || !u.scheme || !u.hostname || !*u.hostname) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "expects http://host:port or https://host:port");
    }
    for (const unsigned char *c = (const unsigned char *)url; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                                 "control character in the proxy URL");
        }
    }
    if (strcasecmp(u.scheme, "http") && strcasecmp(u.scheme, "https")) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "scheme must be http or https, not %.20s",
                             u.scheme);
    }
    port = u.port_str ? strtol(u.port_str, &end, 10) : 0;
    if (!u.port_str || !*u.port_str || *end || port < 1 || port > 65535) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "the proxy URL needs a port (host:1-65535)");
    }
    if ((u.path && strcmp(u.path, "/")) || u.query || u.fragment) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "a proxy URL has no path, query or fragment");
    }
    if (shown) {
        *shown = proxy_shown(&u, p);
    }
    return APR_SUCCESS;
}
