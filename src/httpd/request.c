/* SPDX-License-Identifier: Apache-2.0 */
/*
 * request_rec in and out: the request context, our own origin, the
 * redirect URI, cookies, redirects, and what the backend sees (REMOTE_USER,
 * claim headers and variables, with client-sent look-alikes scrubbed
 * first).
 */
#include <stddef.h>
#include <string.h>

#include "apr_lib.h"
#include "apr_network_io.h"

#include "core/claims.h"
#include "core/cookie.h"
#include "core/state.h"
#include "core/url.h"
#include "httpd/request.h"

aoidc_rctx_t *aoidc_rctx(request_rec *r)
{
    aoidc_rctx_t *x =
        ap_get_module_config(r->request_config, &auth_oidc_module);
    if (!x) {
        x = apr_pcalloc(r->pool, sizeof(*x));
        x->r = r;
        x->c = ap_get_module_config(r->per_dir_config, &auth_oidc_module);
        x->type = aoidc_request_type(r);
        x->now = r->request_time ? r->request_time : apr_time_now();
        ap_set_module_config(r->request_config, &auth_oidc_module, x);
    }
    return x;
}

aoidc_type_t aoidc_request_type(request_rec *r)
{
    return aoidc_auth_type_of(ap_auth_type(r));
}

aoidc_type_t aoidc_auth_type_of(const char *t)
{
    if (!t) {
        return AOIDC_TYPE_NONE;
    }
    /* asked two or three times a request: the first letter settles most */
    if ((t[0] | 0x20) != 'o' && (t[0] | 0x20) != 'b') {
        return AOIDC_TYPE_NONE;
    }
    return !strcasecmp(t, "oidc")         ? AOIDC_TYPE_OIDC
           : !strcasecmp(t, "bearer")     ? AOIDC_TYPE_BEARER
           : !strcasecmp(t, "oidc-basic") ? AOIDC_TYPE_BASIC
                                          : AOIDC_TYPE_NONE;
}

/* The last element of a comma-separated list (the one the proxy next to
 * us added; earlier ones came from whoever talked to it), trimmed at both
 * ends only: "a b" stays "a b", for host_ok to refuse, not "a". */
static const char *last_of(const char *v, apr_pool_t *p)
{
    const char *s = v ? strrchr(v, ',') : NULL;
    apr_size_t n;
    s = s ? s + 1 : v;
    while (s && (*s == ' ' || *s == '\t')) {
        s++;
    }
    n = s ? strlen(s) : 0;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    return n ? apr_pstrndup(p, s, n) : NULL;
}

/* RFC 7239: name=value (possibly quoted) in the last element. */
static const char *forwarded_param(const char *fwd, const char *name,
                                   apr_pool_t *p)
{
    const char *el = fwd ? strrchr(fwd, ',') : NULL;
    apr_size_t n = strlen(name);
    for (el = el ? el + 1 : fwd; el && *el;) {
        el += strspn(el, " \t;");
        if (!strncasecmp(el, name, n) && el[n] == '=') {
            const char *v = el + n + 1;
            if (*v == '"') {
                v++;
                return apr_pstrndup(p, v, strcspn(v, "\""));
            }
            apr_size_t len = strcspn(v, ";,");
            while (len && (v[len - 1] == ' ' || v[len - 1] == '\t')) {
                len--; /* "a b" stays whole, for host_ok to refuse */
            }
            return apr_pstrndup(p, v, len);
        }
        el += strcspn(el, ";");
    }
    return NULL;
}

static bool host_ok(const char *h)
{
    apr_size_t n = h ? strlen(h) : 0;
    return n && n < 256
           && strspn(h, "abcdefghijklmnopqrstuvwxyz"
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
                  == n;
}

static bool from_trusted_proxy(const aoidc_rctx_t *x)
{
    const apr_array_header_t *t = x->c->trusted_proxies;
    for (int i = 0; t && i < t->nelts; i++) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(t, i, apr_ipsubnet_t *),
                              x->r->connection->client_addr)) {
            return true;
        }
    }
    return false;
}

/* The origin from a trusted proxy's headers, or NULL to use our own. */
static const char *forwarded_origin(const aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    const char *fwd = apr_table_get(r->headers_in, "Forwarded");
    const char *proto, *host, *port = NULL;
    if (fwd) {
        proto = forwarded_param(fwd, "proto", r->pool);
        host = forwarded_param(fwd, "host", r->pool);
    }
    else {
        proto =
            last_of(apr_table_get(r->headers_in, "X-Forwarded-Proto"), r->pool);
        host =
            last_of(apr_table_get(r->headers_in, "X-Forwarded-Host"), r->pool);
        port =
            last_of(apr_table_get(r->headers_in, "X-Forwarded-Port"), r->pool);
    }
    /* a bad value counts as absent: nothing of it reaches a URL */
    if (proto && strcasecmp(proto, "http") && strcasecmp(proto, "https")) {
        proto = NULL;
    }
    if (host && !host_ok(host)) {
        host = NULL;
    }
    if (!proto && !host) {
        return NULL;
    }
    if (!proto) {
        proto = ap_http_scheme(r);
    }
    if (!host) {
        host = r->hostname;
    }
    if (port
        && (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5
            || !strcmp(port, !strcasecmp(proto, "https") ? "443" : "80"))) {
        port = NULL;
    }
    return apr_pstrcat(r->pool, apr_pstrdup(r->pool, proto), "://", host,
                       port && !strchr(host, ':') ? ":" : "",
                       port && !strchr(host, ':') ? port : "", NULL);
}

const char *aoidc_origin(aoidc_rctx_t *x)
{
    if (!x->origin) {
        const char *o = x->c->trusted_proxies && from_trusted_proxy(x)
                            ? forwarded_origin(x)
                            : NULL;
        if (!o) {
            o = ap_construct_url(x->r->pool, "", x->r);
        }
        x->origin = o;
    }
    return x->origin;
}

const char *aoidc_redirect_uri(const aoidc_rctx_t *x)
{
    if (x->c->redirect_uri[0] == '/') {
        return apr_pstrcat(x->r->pool, aoidc_origin((aoidc_rctx_t *)x),
                           x->c->redirect_uri, NULL);
    }
    return x->c->redirect_uri;
}

const char *aoidc_absolute(const aoidc_rctx_t *x, const char *path)
{
    const char *ru = aoidc_redirect_uri(x);
    /* the origin is everything before the redirect URI's path, which the
     * configuration parsed already */
    apr_size_t n = strlen(ru) - strlen(x->c->redirect_path);
    return apr_pstrcat(x->r->pool, apr_pstrndup(x->r->pool, ru, n), path, NULL);
}

const char *aoidc_location_root(const aoidc_rctx_t *x)
{
    const char *path = x->c->redirect_path, *slash = strrchr(path, '/');
    return slash
               ? apr_pstrndup(x->r->pool, path, (apr_size_t)(slash - path) + 1)
               : "/";
}

bool aoidc_is_redirect_uri(const aoidc_rctx_t *x)
{
    return x->r->parsed_uri.path
           && !strcmp(x->r->parsed_uri.path, x->c->redirect_path);
}

const char *aoidc_same_origin_path(const aoidc_rctx_t *x, const char *target)
{
    const char *origin = aoidc_absolute(x, "/");
    /* without the trailing '/' */
    return aoidc_url_same_origin_path(
        apr_pstrndup(x->r->pool, origin, strlen(origin) - 1), target);
}

const char *aoidc_cookie_header(request_rec *r)
{
    return apr_table_get(r->headers_in, "Cookie");
}

/* Secure whenever the browser talks https to us: the request's own scheme,
 * or an https redirect URI (TLS terminated in front of a plain-http vhost). */
static bool is_secure(const aoidc_rctx_t *x)
{
    return !strncasecmp(aoidc_origin((aoidc_rctx_t *)x), "https://", 8)
           || !strncasecmp(x->c->redirect_uri, "https://", 8);
}

/* The session cookie has the operator's attributes; state cookies are
 * host-only on "/" (the redirect URI may lie anywhere on the host). With
 * AuthOIDCResponseMode form_post the OP's page POSTs the response to us
 * cross-site, which carries no Lax cookie: on https the state cookies
 * (and the restart counter beside them) are SameSite=None; Secure then.
 * On plain http a browser would drop None without Secure, so they stay
 * Lax (works only with an OP on the same site). */
void aoidc_apply_cookies(const aoidc_rctx_t *x, const apr_array_header_t *ops)
{
    const aoidc_dir_conf_t *c = x->c;
    for (int i = 0; ops && i < ops->nelts; i++) {
        const aoidc_cookie_op_t *op = &APR_ARRAY_IDX(ops, i, aoidc_cookie_op_t);
        bool sess = op->kind == AOIDC_COOKIE_SESSION;
        aoidc_cookie_attrs_t a = {"/", "Lax", is_secure(x), op->max_age, NULL};
        if (!sess && a.secure && x->rp.response_mode == AOIDC_RM_FORM_POST) {
            a.samesite = "None";
        }
        if (sess) {
            a.path = c->cookie_path ? c->cookie_path : "/";
            a.samesite = c->cookie_samesite ? c->cookie_samesite : "Lax";
            a.domain = c->cookie_domain;
            /* browsers drop SameSite=None without Secure */
            a.secure = a.secure || !strcmp(a.samesite, "None");
        }
        apr_table_addn(x->r->err_headers_out, "Set-Cookie",
                       aoidc_cookie_build(op->name, op->value, &a, x->r->pool));
    }
}

int aoidc_redirect(request_rec *r, const char *location)
{
    apr_table_setn(r->err_headers_out, "Location", location);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return HTTP_MOVED_TEMPORARILY;
}

/* Browsers navigating get a redirect to the OP; scripts and non-GET requests
 * get 401, since a redirect would only loop or lose their body. */
static bool is_navigation(request_rec *r)
{
    const char *xrw = apr_table_get(r->headers_in, "X-Requested-With");
    const char *accept = apr_table_get(r->headers_in, "Accept");
    const char *mode = apr_table_get(r->headers_in, "Sec-Fetch-Mode");
    if (xrw && !strcasecmp(xrw, "XMLHttpRequest")) {
        return false;
    }
    if (mode && strcasecmp(mode, "navigate")) {
        return false;
    }
    if (accept && ap_strcasestr(accept, "application/json")
        && !ap_strcasestr(accept, "text/html")) {
        return false;
    }
    return true;
}

bool aoidc_wants_redirect(request_rec *r)
{
    return r->method_number == M_GET && is_navigation(r);
}

bool aoidc_is_form(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    return r->method_number == M_POST && ct
           && !strncasecmp(ct, "application/x-www-form-urlencoded", 33)
           && (!ct[33] || ct[33] == ';' || ct[33] == ' ');
}

bool aoidc_is_form_navigation(request_rec *r)
{
    return aoidc_is_form(r) && is_navigation(r);
}

typedef struct {
    const char *prefix;
    apr_array_header_t *doomed;
} scrub_t;

static bool is_user_header(const char *k)
{
    static const char *const names[] = {"remote_user", "x_remote_user",
                                        "oidc_access_token"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (aoidc_claims_has_prefix(k, names[i])
            && strlen(k) == strlen(names[i])) {
            return true;
        }
    }
    return false;
}

static bool is_spoofed(const scrub_t *s, const char *k)
{
    /* most headers fail on their first character: every name we look for
     * starts with the prefix's, r(emote_user), x(_remote_user) or
     * o(idc_access_token) */
    char f = (char)apr_tolower(*k);
    if (f != (char)apr_tolower(*s->prefix) && f != 'r' && f != 'x'
        && f != 'o') {
        return false;
    }
    return aoidc_claims_has_prefix(k, s->prefix) || is_user_header(k);
}

/* The names in t that look like ours (after "HTTP_" when env), into
 * s->doomed, made on the first one: every request of a location of ours
 * walks its headers, and almost none has such a header. A direct walk of
 * the entries, not apr_table_do's callback per header. */
static void collect(scrub_t *s, const apr_table_t *t, bool env, apr_pool_t *p)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    for (int i = 0; i < a->nelts; i++) {
        const char *k = e[i].key;
        if (!k || (env && strncasecmp(k, "HTTP_", 5))
            || !is_spoofed(s, env ? k + 5 : k)) {
            continue;
        }
        if (!s->doomed) {
            s->doomed = apr_array_make(p, 2, sizeof(const char *));
        }
        *(const char **)apr_array_push(s->doomed) = k;
    }
}

void aoidc_scrub_headers(request_rec *r, const aoidc_dir_conf_t *c, bool quiet)
{
    scrub_t s = {aoidc_conf_claim_prefix(c), NULL};
    collect(&s, r->headers_in, false, r->pool);
    for (int i = 0; s.doomed && i < s.doomed->nelts; i++) {
        const char *k = APR_ARRAY_IDX(s.doomed, i, const char *);
        if (!quiet) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          AOIDCLOGNO(00010) "removed client header %.64s "
                                            "(reason=spoofed_header)",
                          k);
        }
        apr_table_unset(r->headers_in, k);
    }
    if (!r->main) {
        return;
    }
    /* A subrequest starts with a copy of the main request's environment,
     * and mod_include has put the main request's (unscrubbed) headers
     * there as HTTP_* variables already: a CGI included into our location
     * would see them next to the real claims. */
    if (s.doomed) {
        s.doomed->nelts = 0;
    }
    collect(&s, r->subprocess_env, true, r->pool);
    for (int i = 0; s.doomed && i < s.doomed->nelts; i++) {
        const char *k = APR_ARRAY_IDX(s.doomed, i, const char *);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      AOIDCLOGNO(00250) "subrequest: removed variable %.64s "
                                        "of the main request "
                                        "(reason=spoofed_header)",
                      k);
        apr_table_unset(r->subprocess_env, k);
    }
}

void aoidc_set_user(aoidc_rctx_t *x, const char *user,
                    const apr_array_header_t *claims)
{
    aoidc_set_user_named(x, user, claims, NULL);
}

void aoidc_set_user_named(aoidc_rctx_t *x, const char *user,
                          const apr_array_header_t *claims,
                          const aoidc_claims_view_t *view)
{
    request_rec *r = x->r;
    const char *prefix = aoidc_conf_claim_prefix(x->c);
    apr_size_t plen = strlen(prefix);
    const char *delim = x->c->claim_delimiter;
    int where = aoidc_conf_pass_claims_as(x->c);
    r->user = (char *)user;
    x->claims = claims;
    if (view && (!delim || !view->any_json)) {
        /* the whole table at once: a copy of the entries, not an insertion
         * per claim (the names and values live as long as r's pool, which
         * holds the L1 entry they belong to) */
        if (where & AOIDC_PASS_HEADERS) {
            r->headers_in =
                apr_table_overlay(r->pool, r->headers_in, view->pass);
        }
        if (where & AOIDC_PASS_ENV) {
            r->subprocess_env =
                apr_table_overlay(r->pool, r->subprocess_env, view->pass);
        }
        return;
    }
    /* the view's entry i names claims[i] */
    const apr_table_entry_t *named =
        view ? (const apr_table_entry_t *)apr_table_elts(view->pass)->elts
             : NULL;
    for (int i = 0; where && i < claims->nelts; i++) {
        const aoidc_claim_t *cl = &APR_ARRAY_IDX(claims, i, aoidc_claim_t);
        const char *name =
            named ? named[i].key
                  : aoidc_claims_prefixed(prefix, plen, cl->name, r->pool);
        const char *v = delim && cl->is_json
                            ? aoidc_claims_join(cl->value, *delim, r->pool)
                            : cl->value;
        /* add, not set: every header with our prefix was removed already,
         * and set would scan the table for each claim */
        if (where & AOIDC_PASS_HEADERS) {
            apr_table_addn(r->headers_in, name, v);
        }
        if (where & AOIDC_PASS_ENV) {
            apr_table_addn(r->subprocess_env, name, v);
        }
    }
}

/* The module's own cookies (session tickets, login state) are nothing the
 * backend should see or could use: they leave the Cookie header. */
void aoidc_strip_own_cookies(aoidc_rctx_t *x, const char *session_cookie)
{
    request_rec *r = x->r;
    const char *hdr = aoidc_cookie_header(r);
    apr_size_t n = strlen(session_cookie);
    const char *out;
    if (!hdr) {
        return;
    }
    if (!x->client_cookie) {
        x->client_cookie = hdr;
    }
    /* the common case: the browser sends only our session cookie */
    if (!strncmp(hdr, session_cookie, n) && hdr[n] == '='
        && !strchr(hdr, ';')) {
        apr_table_unset(r->headers_in, "Cookie");
        return;
    }
    /* rebuilt from the raw pieces: the app's cookies arrive as sent */
    out = aoidc_cookie_strip(hdr, session_cookie, AOIDC_STATE_COOKIE_PREFIX,
                             r->pool);
    if (out && strstr(out, AOIDC_RESTART_COOKIE)) {
        /* the login-restart counter, present only while logins restart */
        out = aoidc_cookie_strip(out, AOIDC_RESTART_COOKIE,
                                 AOIDC_STATE_COOKIE_PREFIX, r->pool);
    }
    if (out && strstr(out, session_cookie)) {
        /* AuthOIDCSessionStore cookie's chunks NAME_0.. */
        out = aoidc_cookie_strip(
            out, NULL, apr_pstrcat(r->pool, session_cookie, "_", NULL),
            r->pool);
    }
    if (out == hdr) {
        return;
    }
    if (out) {
        apr_table_setn(r->headers_in, "Cookie", out);
    }
    else {
        apr_table_unset(r->headers_in, "Cookie");
    }
}

/* --- request body for RFC 6750 §2.2 (form-encoded access_token) ---------- */

typedef struct {
    const char *data;
    apr_size_t len;
    apr_size_t off;
} replay_t;

/* Hands the body we read back to whoever reads it next (the handler, a
 * proxy), byte for byte, then EOS: the backend never notices. */
static apr_status_t replay_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                  ap_input_mode_t mode, apr_read_type_e block,
                                  apr_off_t readbytes)
{
    replay_t *ctx = f->ctx;
    apr_size_t n = ctx->len - ctx->off;
    if (mode != AP_MODE_READBYTES && mode != AP_MODE_SPECULATIVE
        && mode != AP_MODE_GETLINE && mode != AP_MODE_EXHAUSTIVE) {
        return APR_SUCCESS;
    }
    if (!n) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
        return APR_SUCCESS;
    }
    if (mode == AP_MODE_GETLINE) {
        const char *nl = memchr(ctx->data + ctx->off, '\n', n);
        n = nl ? (apr_size_t)(nl - (ctx->data + ctx->off)) + 1 : n;
    }
    else if (mode != AP_MODE_EXHAUSTIVE && readbytes > 0
             && (apr_size_t)readbytes < n) {
        n = (apr_size_t)readbytes;
    }
    /* the data lives in r->pool, which outlives every bucket of r */
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(
                                    ctx->data + ctx->off, n, bb->bucket_alloc));
    if (mode != AP_MODE_SPECULATIVE) {
        ctx->off += n;
    }
    return APR_SUCCESS;
}

void aoidc_request_register_filters(void)
{
    ap_register_input_filter("AOIDC_REPLAY", replay_filter, NULL,
                             AP_FTYPE_RESOURCE);
}

apr_status_t aoidc_read_body(const char **out, request_rec *r, apr_size_t max,
                             aoidc_err_t *err)
{
    apr_bucket_brigade *bb =
        apr_brigade_create(r->pool, r->connection->bucket_alloc);
    char *buf = apr_palloc(r->pool, max + 1);
    apr_size_t len = 0;
    bool eos = false;
    while (!eos) {
        apr_status_t rv =
            ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                           APR_BLOCK_READ, HUGE_STRING_LEN);
        if (rv != APR_SUCCESS) {
            return aoidc_err_set(err, AOIDC_REASON_MALFORMED, r->pool,
                                 "request body unreadable (%d)", rv);
        }
        for (apr_bucket *b = APR_BRIGADE_FIRST(bb);
             b != APR_BRIGADE_SENTINEL(bb); b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t n;
            if (APR_BUCKET_IS_EOS(b)) {
                eos = true;
                break;
            }
            if (apr_bucket_read(b, &data, &n, APR_BLOCK_READ) != APR_SUCCESS) {
                return aoidc_err_set(err, AOIDC_REASON_MALFORMED, r->pool,
                                     "request body unreadable");
            }
            if (len + n > max) {
                return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, r->pool,
                                     "form body over %" APR_SIZE_T_FMT " bytes",
                                     max);
            }
            memcpy(buf + len, data, n);
            len += n;
        }
        apr_brigade_cleanup(bb);
    }
    buf[len] = '\0';
    replay_t *ctx = apr_palloc(r->pool, sizeof(*ctx));
    ctx->data = buf;
    ctx->len = len;
    ctx->off = 0;
    ap_add_input_filter("AOIDC_REPLAY", ctx, r, r->connection);
    *out = buf;
    return APR_SUCCESS;
}
