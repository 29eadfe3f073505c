/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reason table (core/err.c) applied: one log line per refusal, one
 * counter per reason, the status and headers of the row. A client fault
 * can never become a 5xx here, because the table cannot hold one (its unit
 * test walks it). An operator's ErrorDocument for the status is respected:
 * our short message is only the default.
 */
#include <string.h>

#include "mod_core.h"

#include "core/bearer.h"
#include "core/rand.h"
#include "core/url.h"
#include "httpd/answer.h"
#include "httpd/metrics.h"

static int level_of(aoidc_loglevel_t l)
{
    return l == AOIDC_LOG_ERROR  ? APLOG_ERR
           : l == AOIDC_LOG_WARN ? APLOG_WARNING
           : l == AOIDC_LOG_INFO ? APLOG_INFO
                                 : APLOG_DEBUG;
}

static const char *type_name(const aoidc_rctx_t *x)
{
    /* NONE: a location with only AuthOIDCUpstreamToken */
    return x->type == AOIDC_TYPE_BEARER  ? "bearer"
           : x->type == AOIDC_TYPE_BASIC ? "oidc-basic"
           : x->type == AOIDC_TYPE_OIDC  ? "oidc"
                                         : "upstream";
}

/* The id a user can quote to the operator: mod_unique_id's when it is
 * loaded, else a short random one; it is in the log line and the page. */
static const char *request_id(aoidc_rctx_t *x)
{
    if (!x->request_id) {
        const char *u = apr_table_get(x->r->subprocess_env, "UNIQUE_ID");
        char *t;
        x->request_id = u ? u
                        : aoidc_rand_token(&t, 9, x->r->pool) == APR_SUCCESS
                            ? t
                            : "-";
    }
    return x->request_id;
}

/* The detail may carry the OP's error and error_description: httpd's error
 * log escapes control characters, quotes and backslashes of every message
 * itself (test_320_23), so escaping here (ap_escape_logitem) would only
 * double every backslash. */
/* A store outage refuses every request that carries a cookie: its line is
 * logged at its level once per interval and process, the others at debug
 * (the metrics count them all). The interval is the Retry-After we send. */
#define STORE_LINE_INTERVAL 10
static apr_uint32_t store_line_at;

static int level_for(const aoidc_err_t *err, const aoidc_reason_info_t *ri,
                     const char **what, apr_pool_t *p)
{
    if (err->reason != AOIDC_REASON_STORE_UNAVAILABLE) {
        return level_of(ri->level);
    }
    if (!aoidc_log_due(&store_line_at, apr_time_now(), STORE_LINE_INTERVAL)) {
        return APLOG_DEBUG;
    }
    *what = apr_pstrcat(p, *what ? *what : "", *what ? " " : "",
                        "(logged once per 10 s, the others at debug)", NULL);
    return level_of(ri->level);
}

void aoidc_answer_log(aoidc_rctx_t *x, const aoidc_err_t *err, const char *what)
{
    const aoidc_reason_info_t *ri = aoidc_reason_info(err->reason);
    int level = level_for(err, ri, &what, x->r->pool);
    x->outcome = (unsigned)err->reason < AOIDC_REASON__COUNT && err->reason
                     ? err->reason
                     : AOIDC_REASON_INTERNAL;
    aoidc_metrics_refusal(x->outcome);
    ap_log_rerror(APLOG_MARK, level, 0, x->r,
                  AOIDCLOGNO(00100) "%s %s: reason=%s%s%s (%s)%s%s "
                                    "request_id=%s",
                  type_name(x), x->r->uri, ri->name, what ? " " : "",
                  what ? what : "", err->detail ? err->detail : "-",
                  err->op_error ? " op_error=" : "",
                  err->op_error ? err->op_error : "", request_id(x));
}

apr_uint32_t aoidc_answer_count(aoidc_reason_t reason)
{
    return (unsigned)reason < AOIDC_REASON__COUNT
               ? (apr_uint32_t)aoidc_metrics_refusals(reason)
               : 0;
}

/* "Sign in again" leads to the original URL when the callback knew it,
 * else this request when it was a plain GET of a local path (retrying it
 * starts a login), else the location root. */
static const char *retry_url(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    if (x->retry_url) {
        return x->retry_url;
    }
    if (r->method_number == M_GET && !aoidc_is_redirect_uri(x)
        && aoidc_url_is_local_path(r->unparsed_uri)) {
        return r->unparsed_uri;
    }
    return aoidc_location_root(x);
}

static const char builtin_page[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
    "<title>%TITLE%</title><style>"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\","
    "Roboto,sans-serif;background:#f4f5f7;color:#1f2328}"
    "main{max-width:28rem;margin:12vh auto;padding:2rem;background:#fff;"
    "border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "h1{font-size:1.25rem;margin:0 0 .75rem}p{margin:0 0 1.25rem}"
    "a.btn{display:inline-block;padding:.6rem 1.2rem;border-radius:8px;"
    "background:#0b57d0;color:#fff;text-decoration:none;font-weight:600}"
    "a.btn:hover{background:#0a4ab0}"
    "small{display:block;margin-top:1.5rem;color:#656d76}"
    "</style></head><body><main><h1>%TITLE%</h1><p>%MESSAGE%</p>"
    "<a class=\"btn\" href=\"%RETRY_URL%\">Sign in again</a>"
    "<small>Error %STATUS% &middot; request id %REQUEST_ID%</small>"
    "</main></body></html>\n";

/* tpl with each %NAME% of names replaced by its value, HTML-escaped but
 * for names[raw] (-1: none), which the caller built escaped already. */
static const char *fill(apr_pool_t *p, const char *tpl,
                        const char *const names[], const char *const vals[],
                        size_t count, int raw)
{
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(const char *));
    const char *s = tpl, *pct;
    while ((pct = strchr(s, '%'))) {
        size_t i, n = 0;
        for (i = 0; i < count; i++) {
            n = strlen(names[i]);
            if (!strncmp(pct + 1, names[i], n) && pct[n + 1] == '%') {
                break;
            }
        }
        *(const char **)apr_array_push(out) =
            apr_pstrmemdup(p, s, (apr_size_t)(pct - s));
        if (i == count) {
            *(const char **)apr_array_push(out) = "%";
            s = pct + 1;
            continue;
        }
        *(const char **)apr_array_push(out) =
            (int)i == raw ? vals[i] : ap_escape_html2(p, vals[i], 1);
        s = pct + n + 2;
    }
    *(const char **)apr_array_push(out) = s;
    return apr_array_pstrcat(p, out, 0);
}

/* The page: the template (AuthOIDCErrorTemplate) or the built-in one, each
 * placeholder replaced by its value, HTML-escaped (docs/errors.md). */
static const char *page(aoidc_rctx_t *x, int status, const char *message)
{
    const char *tpl =
        x->c->error_template ? x->c->error_template : builtin_page;
    const char *names[] = {"TITLE",      "MESSAGE", "RETRY_URL",
                           "REQUEST_ID", "STATUS",  "PROVIDERS"};
    const char *vals[] = {
        "Sign-in could not be completed", message, retry_url(x), request_id(x),
        apr_itoa(x->r->pool, status),     ""};
    return fill(x->r->pool, tpl, names, vals, 6, -1);
}

static const char builtin_chooser[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
    "<title>%TITLE%</title><style>"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,\"Segoe UI\","
    "Roboto,sans-serif;background:#f4f5f7;color:#1f2328}"
    "main{max-width:28rem;margin:12vh auto;padding:2rem;background:#fff;"
    "border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "h1{font-size:1.25rem;margin:0 0 .75rem}p{margin:0 0 1.25rem}"
    "ul{list-style:none;padding:0;margin:0}li{margin:0 0 .75rem}"
    "a.btn{display:inline-block;padding:.6rem 1.2rem;border-radius:8px;"
    "background:#0b57d0;color:#fff;text-decoration:none;font-weight:600}"
    "a.btn:hover{background:#0a4ab0}"
    "small{display:block;margin-top:1.5rem;color:#656d76}"
    "</style></head><body><main><h1>%TITLE%</h1><p>%MESSAGE%</p>"
    "%PROVIDERS%<small>request id %REQUEST_ID%</small>"
    "</main></body></html>\n";

const char *aoidc_answer_chooser(aoidc_rctx_t *x, const char *links)
{
    const char *tpl =
        x->c->error_template && strstr(x->c->error_template, "%PROVIDERS%")
            ? x->c->error_template
            : builtin_chooser;
    const char *names[] = {"TITLE",      "MESSAGE", "RETRY_URL",
                           "REQUEST_ID", "STATUS",  "PROVIDERS"};
    const char *vals[] = {"Sign in",
                          "Choose where to sign in.",
                          aoidc_location_root(x),
                          request_id(x),
                          "200",
                          links};
    return fill(x->r->pool, tpl, names, vals, 6, 5);
}

int aoidc_fail(aoidc_rctx_t *x, const aoidc_err_t *err)
{
    request_rec *r = x->r;
    const aoidc_reason_info_t *ri = aoidc_reason_info(err->reason);
    int status = ri->status;

    aoidc_answer_log(x, err, NULL);
    if (x->type == AOIDC_TYPE_BEARER) {
        x->bearer_error = ri->bearer_error;
        x->bearer_description = ri->bearer_error ? ri->message : NULL;
        if (status == HTTP_UNAUTHORIZED || ri->bearer_error) {
            ap_note_auth_failure(r);
        }
    }
    else if (x->type == AOIDC_TYPE_BASIC && status == HTTP_UNAUTHORIZED) {
        ap_note_auth_failure(r); /* the Basic challenge (authn.c) */
    }
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", "10");
    }
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (ap_response_code_string(r, ap_index_of_response(status))) {
        return status; /* the operator's ErrorDocument wins */
    }
    if (x->type != AOIDC_TYPE_OIDC) {
        /* APIs (bearer, oidc-basic), and proxying locations without our
         * AuthType (AuthOIDCUpstreamToken): short text, no sign-in page */
        ap_custom_response(r, status, ri->message);
        return status;
    }
    /* text/html without httpd's iso-8859-1: the page says utf-8 */
    apr_table_setn(r->subprocess_env, "suppress-error-charset", "1");
    ap_custom_response(r, status, page(x, status, ri->message));
    return status;
}

const char *aoidc_bearer_challenge_for(request_rec *r, const char *error,
                                       const char *description,
                                       const char *scope)
{
    return aoidc_bearer_challenge(ap_auth_name(r), error, description, scope,
                                  r->pool);
}

int aoidc_answer_send(aoidc_rctx_t *x, int status, const char *ctype,
                      const char *body)
{
    request_rec *r = x->r;
    r->status = status;
    ap_set_content_type(r, ctype);
    ap_set_content_length(r, (apr_off_t)strlen(body));
    if (r->header_only) {
        return DONE;
    }
    ap_rputs(body, r);
    ap_finalize_request_protocol(r);
    return DONE;
}

int aoidc_answer_json_error(aoidc_rctx_t *x, const aoidc_err_t *err,
                            const char *code)
{
    const aoidc_reason_info_t *ri = aoidc_reason_info(err->reason);
    int status =
        ri->fault == AOIDC_FAULT_CLIENT ? HTTP_BAD_REQUEST : ri->status;
    aoidc_answer_log(x, err, NULL);
    apr_table_setn(x->r->headers_out, "Cache-Control", "no-store");
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(x->r->headers_out, "Retry-After", "10");
    }
    /* the message is the table's: short, fixed, never from the input */
    return aoidc_answer_send(
        x, status, "application/json",
        apr_psprintf(
            x->r->pool, "{\"error\":\"%s\",\"error_description\":\"%s\"}\n",
            status == HTTP_BAD_REQUEST ? code : "temporarily_unavailable",
            ri->message));
}
