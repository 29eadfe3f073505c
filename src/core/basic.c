/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP Basic credentials (basic.h). */
#include <string.h>

#include "apr_base64.h"
#include "apr_strings.h"

#include "core/basic.h"

/* RFC 4648 §4 alphabet; '=' only as the final padding. */
static bool b64_ok(const char *s, apr_size_t n)
{
    apr_size_t pad = 0;
    if (n == 0 || n % 4) {
        return false;
    }
    while (pad < 2 && s[n - 1 - pad] == '=') {
        pad++;
    }
    for (apr_size_t i = 0; i < n - pad; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
              || (ch >= '0' && ch <= '9') || ch == '+' || ch == '/')) {
            return false;
        }
    }
    return true;
}

static bool has_ctl(const char *s, apr_size_t n)
{
    for (apr_size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return true;
        }
    }
    return false;
}

apr_status_t aoidc_basic_parse(const char **user, const char **password,
                               const char *header, apr_pool_t *p,
                               aoidc_err_t *err)
{
    /* base64 of the longest credentials we take, with room to spare */
    enum {
        MAX_B64 =
            (AOIDC_BASIC_MAX_USER + AOIDC_BASIC_MAX_PASSWORD + 3) / 3 * 4 + 4
    };
    const char *b = header;
    apr_size_t n;
    char *plain, *colon;
    int len;

    if (strncasecmp(b, "Basic", 5) || (b[5] != ' ' && b[5] != '\t')) {
        return APR_NOTFOUND;
    }
    b += 6;
    while (*b == ' ' || *b == '\t') {
        b++;
    }
    n = strlen(b);
    while (n && (b[n - 1] == ' ' || b[n - 1] == '\t')) {
        n--;
    }
    if (n > MAX_B64) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "Basic credentials of %zu characters", n);
    }
    if (!b64_ok(b, n)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "Basic credentials: not base64");
    }
    /* apr_base64_decode_len is an upper bound including the NUL */
    plain = apr_palloc(p, (apr_size_t)apr_base64_decode_len(b) + 1);
    len = apr_base64_decode_binary((unsigned char *)plain,
                                   apr_pstrmemdup(p, b, n));
    if (len < 0) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "Basic credentials: not base64");
    }
    plain[len] = '\0';
    colon = memchr(plain, ':', (apr_size_t)len);
    if (!colon || colon == plain) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "Basic credentials: no user name");
    }
    apr_size_t ulen = (apr_size_t)(colon - plain);
    apr_size_t plen = (apr_size_t)len - ulen - 1;
    if (ulen > AOIDC_BASIC_MAX_USER || plen > AOIDC_BASIC_MAX_PASSWORD) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "Basic credentials too long");
    }
    /* a NUL is a control character too: no part is cut short unseen */
    if (has_ctl(plain, ulen) || has_ctl(colon + 1, plen)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "Basic credentials: control character");
    }
    *colon = '\0';
    *user = plain;
    *password = colon + 1;
    return APR_SUCCESS;
}
