/* SPDX-License-Identifier: Apache-2.0 */
/* cookie: tokenize any Cookie header; look up our cookies. */
#include <stdio.h>

#include "core/cookie.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(cookie)
{
    apr_pool_t *p = fuzz_pool();
    const char *h = fuzz_str(data, size, p);
    apr_array_header_t *a = aoidc_cookie_parse(h, 20, p);
    FUZZ_CHECK(a->nelts <= 20);
    for (int i = 0; i < a->nelts; i++) {
        const aoidc_cookie_t *c = &APR_ARRAY_IDX(a, i, aoidc_cookie_t);
        FUZZ_CHECK(*c->name && !strchr(c->name, ';') && !strchr(c->value, ';'));
        const char *v = aoidc_cookie_get(h, c->name, p);
        FUZZ_CHECK(v == NULL || strlen(v) <= AOIDC_COOKIE_MAX_VALUE);
    }
    {
        /* stripping never grows a piece, and leaves none of ours */
        const char *s =
            aoidc_cookie_strip(h, "aoidc_session", "aoidc_state_", p);
        FUZZ_CHECK(s == NULL || s == h || strlen(s) <= 2 * strlen(h));
        FUZZ_CHECK(s == NULL || !aoidc_cookie_get(s, "aoidc_session", p));
    }
    (void)aoidc_cookie_get(h, "aoidc_session", p);
    (void)aoidc_cookie_get(h, "aoidc_state_abcdefghijkl", p);
    apr_pool_destroy(p);
    return 0;
}
