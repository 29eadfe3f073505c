/* SPDX-License-Identifier: Apache-2.0 */
/* token: a token endpoint answer. The first byte picks the status. */
#include <stdio.h>

#include "core/token.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(token)
{
    static const int statuses[] = {200, 400, 401, 500, 302, 201, 0, 204};
    apr_pool_t *p = fuzz_pool();
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    int status = size ? statuses[data[0] & 7] : 200;
    const char *body =
        (const char *)fuzz_exact(data + !!size, size - !!size, p);
    if (aoidc_token_response_parse(&t, status, body, size - !!size, p, &err)
        == APR_SUCCESS) {
        FUZZ_CHECK(status == 200 && t.access_token && *t.access_token);
        FUZZ_CHECK(strlen(t.access_token) <= AOIDC_MAX_TOKEN_LEN);
        FUZZ_CHECK(t.expires_in >= -1);
    }
    else {
        FUZZ_CHECK(err.reason == AOIDC_REASON_TOKEN_ENDPOINT
                   || err.reason == AOIDC_REASON_OP_BAD_RESPONSE);
    }
    apr_pool_destroy(p);
    return 0;
}
