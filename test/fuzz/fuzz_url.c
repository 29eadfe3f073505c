/* SPDX-License-Identifier: Apache-2.0 */
/* url: query parsing, form parameter lookup, the return-path guard, loopback
 * and endpoint rules, and form encoding round trips. */
#include <stdio.h>

#include "core/url.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(url)
{
    apr_pool_t *p = fuzz_pool();
    apr_table_t *t;
    aoidc_err_t err = {0};
    const char *s = fuzz_str(data, size, p);
    if (aoidc_url_parse_query(&t, s, 16, p, &err) == APR_SUCCESS) {
        const apr_array_header_t *a = apr_table_elts(t);
        FUZZ_CHECK(a->nelts <= 16);
        for (int i = 0; i < a->nelts; i++) {
            const apr_table_entry_t *e =
                &APR_ARRAY_IDX(a, i, apr_table_entry_t);
            for (const unsigned char *c = (const unsigned char *)e->val; *c;
                 c++) {
                FUZZ_CHECK(*c >= 0x20 && *c != 0x7f);
            }
        }
    }
    const char *v;
    int count;
    aoidc_url_find_param(&v, &count, s, "access_token", p);
    FUZZ_CHECK(count >= 0 && (!v || count > 0));
    for (const unsigned char *c = (const unsigned char *)v; v && *c; c++) {
        FUZZ_CHECK(*c >= 0x20 && *c != 0x7f);
    }
    if (aoidc_url_is_local_path(s)) {
        /* never something a browser could take off-origin */
        FUZZ_CHECK(s[0] == '/' && s[1] != '/' && s[1] != '\\');
        FUZZ_CHECK(!strpbrk(s, "\\#\r\n\t "));
    }
    (void)aoidc_url_is_loopback(s);
    apr_uri_t u;
    if (aoidc_url_check_endpoint(&u, s, p, &err) == APR_SUCCESS) {
        FUZZ_CHECK(u.hostname && *u.hostname && !u.user && !u.fragment);
        FUZZ_CHECK(!strcasecmp(u.scheme, "https")
                   || aoidc_url_is_loopback(u.hostname));
    }
    /* an accepted proxy URL is http(s) with a port, and the form shown in
     * details never carries its password */
    const char *shown;
    if (aoidc_url_check_proxy(&shown, s, p, &err) == APR_SUCCESS) {
        FUZZ_CHECK(apr_uri_parse(p, s, &u) == APR_SUCCESS && u.port_str);
        FUZZ_CHECK(!strncasecmp(shown, "http://", 7)
                   || !strncasecmp(shown, "https://", 8));
        const char *rest = apr_pstrcat(p, u.scheme, " ", u.user ? u.user : "",
                                       " ", u.hostname, " ", u.port_str, NULL);
        if (u.password && strlen(u.password) >= 3 && !strstr(rest, u.password)
            && !strstr(":***@[]/", u.password)) {
            FUZZ_CHECK(!strstr(shown, u.password));
        }
    }
    /* encode then decode gives the value back when it has no controls */
    bool plain = true;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        plain = plain && *c >= 0x20 && *c != 0x7f;
    }
    if (plain && *s) {
        char *q = aoidc_url_append_param("", "v", s, p);
        FUZZ_CHECK(aoidc_url_parse_query(&t, q, 1, p, &err) == APR_SUCCESS);
        FUZZ_CHECK(!strcmp(apr_table_get(t, "v"), s));
    }
    apr_pool_destroy(p);
    return 0;
}
