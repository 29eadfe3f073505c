/* SPDX-License-Identifier: Apache-2.0 */
/* The POST replay page (replay.h). */
#include <string.h>

#include <apr_lib.h>

#include "core/replay.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

bool aoidc_replay_body_ok(const char *body, apr_size_t len)
{
    int fields = 1;
    if (!body || len > AOIDC_POST_BODY_MAX || memchr(body, '\0', len)) {
        return false;
    }
    for (apr_size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch == '&' && ++fields > AOIDC_POST_FIELDS_MAX) {
            return false;
        }
        /* a browser percent-encodes spaces, controls and 8-bit bytes:
         * raw ones are no form body it sent */
        if (ch <= 0x20 || ch >= 0x7f) {
            return false;
        }
        if (ch != '%') {
            continue;
        }
        /* a broken escape, or %00 (a NUL in a value), is no form field */
        if (i + 2 >= len || hexval(body[i + 1]) < 0 || hexval(body[i + 2]) < 0
            || (body[i + 1] == '0' && body[i + 2] == '0')) {
            return false;
        }
        i += 2;
    }
    return true;
}

/* Percent-decode n bytes of s ('+' is a space), then HTML-escape. */
static char *field(const char *s, apr_size_t n, apr_pool_t *p)
{
    char *out = apr_palloc(p, n * 6 + 1), *o = out;
    for (apr_size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '+') {
            ch = ' ';
        }
        else if (ch == '%') {
            ch = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        }
        switch (ch) {
        case '&':
            memcpy(o, "&amp;", 5), o += 5;
            break;
        case '<':
            memcpy(o, "&lt;", 4), o += 4;
            break;
        case '>':
            memcpy(o, "&gt;", 4), o += 4;
            break;
        case '"':
            memcpy(o, "&quot;", 6), o += 6;
            break;
        case '\'':
            memcpy(o, "&#39;", 5), o += 5;
            break;
        /* references, so the HTML parser keeps CR LF of a textarea */
        case '\r':
            memcpy(o, "&#13;", 5), o += 5;
            break;
        case '\n':
            memcpy(o, "&#10;", 5), o += 5;
            break;
        default:
            *o++ = (char)ch;
        }
    }
    *o = '\0';
    return out;
}

char *aoidc_replay_page(const char *action, const char *body, const char *nonce,
                        apr_pool_t *p)
{
    char *inputs = "";
    const char *s = body;
    if (!aoidc_replay_body_ok(body, strlen(body))) {
        return NULL;
    }
    while (*s) {
        const char *end = strchr(s, '&');
        apr_size_t n = end ? (apr_size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', n);
        apr_size_t nl = eq ? (apr_size_t)(eq - s) : n;
        if (n) {
            inputs = apr_pstrcat(p, inputs, "<input type=\"hidden\" name=\"",
                                 field(s, nl, p), "\" value=\"",
                                 eq ? field(eq + 1, n - nl - 1, p) : "",
                                 "\">\n", NULL);
        }
        s = end ? end + 1 : s + n;
    }
    return apr_pstrcat(
        p,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        "<title>Continuing</title></head>\n<body>\n"
        "<form method=\"post\" action=\"",
        field(action, strlen(action), p),
        "\" enctype=\"application/x-www-form-urlencoded\">\n", inputs,
        "<noscript><p>Your session had ended; you are signed in again."
        "</p></noscript>\n"
        "<button type=\"submit\">Continue</button>\n</form>\n"
        "<script nonce=\"",
        nonce, "\">document.forms[0].submit();</script>\n</body></html>\n",
        NULL);
}

const char *aoidc_replay_csp(const char *nonce, apr_pool_t *p)
{
    return apr_pstrcat(p, "default-src 'none'; script-src 'nonce-", nonce,
                       "'; form-action 'self'; base-uri 'none'; "
                       "frame-ancestors 'none'",
                       NULL);
}
