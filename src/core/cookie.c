/* SPDX-License-Identifier: Apache-2.0 */
/* Cookie parsing and Set-Cookie assembly. */
#include <string.h>

#include "core/cookie.h"

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    return s;
}

/* Calls fn for each pair; stops when fn returns non-zero. */
static int each_pair(const char *h,
                     int (*fn)(void *b, const char *n, apr_size_t nl,
                               const char *v, apr_size_t vl),
                     void *baton)
{
    const char *s = h ? h : "";
    while (*s) {
        s = skip_ws(s);
        const char *end = strchr(s, ';');
        apr_size_t len = end ? (apr_size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (eq && eq > s) {
            apr_size_t nl = (apr_size_t)(eq - s);
            const char *v = eq + 1;
            apr_size_t vl = len - nl - 1;
            while (nl && (s[nl - 1] == ' ' || s[nl - 1] == '\t')) {
                nl--;
            }
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) {
                vl--;
            }
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
                v++;
                vl -= 2;
            }
            if (nl && fn(baton, s, nl, v, vl)) {
                return 1;
            }
        }
        s += len;
        if (*s == ';') {
            s++;
        }
    }
    return 0;
}

typedef struct {
    apr_array_header_t *arr;
    int max;
    apr_pool_t *p;
} collect_t;

static int collect(void *b, const char *n, apr_size_t nl, const char *v,
                   apr_size_t vl)
{
    collect_t *c = b;
    if (c->arr->nelts >= c->max) {
        return 1;
    }
    aoidc_cookie_t *ck = apr_array_push(c->arr);
    ck->name = apr_pstrmemdup(c->p, n, nl);
    ck->value = apr_pstrmemdup(c->p, v, vl);
    return 0;
}

apr_array_header_t *aoidc_cookie_parse(const char *header, int max,
                                       apr_pool_t *p)
{
    collect_t c = {apr_array_make(p, 4, sizeof(aoidc_cookie_t)), max, p};
    each_pair(header, collect, &c);
    return c.arr;
}

typedef struct {
    const char *name;
    apr_size_t nl;
    const char *v;
    apr_size_t vl;
} find_t;

static int find(void *b, const char *n, apr_size_t nl, const char *v,
                apr_size_t vl)
{
    find_t *f = b;
    if (nl == f->nl && !memcmp(n, f->name, nl)) {
        f->v = v;
        f->vl = vl;
        return 1;
    }
    return 0;
}

const char *aoidc_cookie_get(const char *header, const char *name,
                             apr_pool_t *p)
{
    find_t f = {name, strlen(name), NULL, 0};
    if (!each_pair(header, find, &f) || f.vl > AOIDC_COOKIE_MAX_VALUE) {
        return NULL;
    }
    return apr_pstrmemdup(p, f.v, f.vl);
}

/* Does the piece s[0..len) name a cookie we remove? */
static bool strip_this(const char *s, apr_size_t len, const char *name,
                       const char *prefix)
{
    const char *eq = memchr(s, '=', len);
    apr_size_t nl = eq ? (apr_size_t)(eq - s) : 0;
    while (nl && (s[nl - 1] == ' ' || s[nl - 1] == '\t')) {
        nl--;
    }
    if (!eq || !nl) {
        return false; /* nameless: never ours */
    }
    return (name && strlen(name) == nl && !memcmp(s, name, nl))
           || (prefix && nl >= strlen(prefix)
               && !memcmp(s, prefix, strlen(prefix)));
}

const char *aoidc_cookie_strip(const char *header, const char *name,
                               const char *prefix, apr_pool_t *p)
{
    char *out, *o;
    bool removed = false;
    if (!header) {
        return NULL;
    }
    /* the pieces only shrink or keep their length, and "; " replaces a ";"
     * plus at least the blanks trimmed, or adds one byte per piece */
    o = out = apr_palloc(p, 2 * strlen(header) + 1);
    for (const char *s = header; *s;) {
        const char *end;
        apr_size_t len;
        s = skip_ws(s);
        end = strchr(s, ';');
        len = end ? (apr_size_t)(end - s) : strlen(s);
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
            len--;
        }
        if (len && strip_this(s, len, name, prefix)) {
            removed = true;
        }
        else if (len) {
            if (o > out) {
                *o++ = ';';
                *o++ = ' ';
            }
            memcpy(o, s, len);
            o += len;
        }
        s = end ? end + 1 : s + strlen(s);
    }
    *o = '\0';
    if (!removed) {
        return header;
    }
    return *out ? out : NULL;
}

char *aoidc_cookie_build(const char *name, const char *value,
                         const aoidc_cookie_attrs_t *a, apr_pool_t *p)
{
    char *s =
        apr_pstrcat(p, name, "=", value, "; Path=", a->path ? a->path : "/",
                    "; HttpOnly", a->secure ? "; Secure" : "",
                    "; SameSite=", a->samesite ? a->samesite : "Lax", NULL);
    if (a->domain) {
        s = apr_pstrcat(p, s, "; Domain=", a->domain, NULL);
    }
    if (a->max_age >= 0) {
        s = apr_psprintf(p, "%s; Max-Age=%" APR_INT64_T_FMT, s, a->max_age);
        if (a->max_age == 0) {
            s = apr_pstrcat(p, s, "; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                            NULL);
        }
    }
    return s;
}
