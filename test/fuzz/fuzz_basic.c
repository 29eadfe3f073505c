/* SPDX-License-Identifier: Apache-2.0 */
/* basic: any Authorization value; credentials that come out are a
 * non-empty user and a password, within the limits, free of control
 * characters. */
#include <stdio.h>

#include "core/basic.h"
#include "fuzz.h"

static bool clean(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return false;
        }
    }
    return true;
}

AOIDC_FUZZ_ENTRY(basic)
{
    apr_pool_t *p = fuzz_pool();
    const char *u = NULL, *pw = NULL;
    aoidc_err_t err = {0};
    const char *h = fuzz_str(data, size, p);
    apr_status_t rv = aoidc_basic_parse(&u, &pw, h, p, &err);
    if (rv == APR_SUCCESS) {
        FUZZ_CHECK(u && *u && pw);
        FUZZ_CHECK(strlen(u) <= AOIDC_BASIC_MAX_USER);
        FUZZ_CHECK(strlen(pw) <= AOIDC_BASIC_MAX_PASSWORD);
        FUZZ_CHECK(clean(u) && clean(pw) && !strchr(u, ':'));
    }
    else if (rv == APR_NOTFOUND) {
        FUZZ_CHECK(err.reason == AOIDC_REASON_NONE && !u);
    }
    else {
        FUZZ_CHECK((err.reason == AOIDC_REASON_MALFORMED
                    || err.reason == AOIDC_REASON_TOO_LARGE)
                   && !u);
    }
    apr_pool_destroy(p);
    return 0;
}
