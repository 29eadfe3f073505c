/* SPDX-License-Identifier: Apache-2.0 */
/* bearer_header: any Authorization value; a token that comes out is one
 * b64token. */
#include <stdio.h>

#include "core/bearer.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(bearer_header)
{
    apr_pool_t *p = fuzz_pool();
    const char *tok;
    aoidc_err_t err = {0};
    const char *h = fuzz_str(data, size, p);
    apr_status_t rv = aoidc_bearer_from_header(&tok, h, p, &err);
    if (rv == APR_SUCCESS) {
        FUZZ_CHECK(tok && *tok && aoidc_bearer_token_syntax_ok(tok));
        FUZZ_CHECK(!strpbrk(tok, " \t\r\n,;\""));
        FUZZ_CHECK(strlen(tok) <= AOIDC_MAX_TOKEN_LEN);
        (void)aoidc_bearer_is_jwt(tok);
    }
    else if (rv == APR_NOTFOUND) {
        FUZZ_CHECK(err.reason == AOIDC_REASON_NO_CREDENTIALS && !tok);
    }
    else {
        FUZZ_CHECK(err.reason == AOIDC_REASON_BEARER_SYNTAX && !tok);
    }
    (void)aoidc_bearer_token_syntax_ok(h);
    apr_pool_destroy(p);
    return 0;
}
