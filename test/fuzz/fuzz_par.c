/* SPDX-License-Identifier: Apache-2.0 */
/* par: a pushed authorization request answer (RFC 9126 §2.2). The first
 * byte picks the status. */
#include <string.h>

#include "core/client.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(par)
{
    static const int statuses[] = {201, 200, 400, 401, 500, 302, 0, 201};
    apr_pool_t *p = fuzz_pool();
    const char *uri = NULL;
    aoidc_err_t err = {0};
    int status = size ? statuses[data[0] & 7] : 201;
    const char *body =
        (const char *)fuzz_exact(data + !!size, size - !!size, p);
    if (aoidc_par_response_parse(&uri, status, body, size - !!size, p, &err)
        == APR_SUCCESS) {
        /* safe in a URL and a header: no control characters, no & or # */
        FUZZ_CHECK(status == 201 && uri && *uri);
        FUZZ_CHECK(strlen(uri) <= AOIDC_PAR_URI_MAX);
        FUZZ_CHECK(!strpbrk(uri, "&#?\r\n \"<>"));
    }
    else {
        FUZZ_CHECK(err.reason == AOIDC_REASON_OP_BAD_RESPONSE);
    }
    apr_pool_destroy(p);
    return 0;
}
