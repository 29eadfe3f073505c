/* SPDX-License-Identifier: Apache-2.0 */
/* b64url: decoding never over-reads; what decodes re-encodes to itself
 * (one canonical form); encoding always decodes back. */
#include <stdio.h>

#include "core/b64url.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(b64url)
{
    apr_pool_t *p = fuzz_pool();
    unsigned char *out;
    apr_size_t n;
    aoidc_err_t err = {0};
    const char *in = (const char *)fuzz_exact(data, size, p);
    if (aoidc_b64url_decode(&out, &n, in, size, p, &err) == APR_SUCCESS) {
        char *again = aoidc_b64url_encode(out, n, p);
        FUZZ_CHECK(strlen(again) == size && !memcmp(again, in, size));
        FUZZ_CHECK(out[n] == '\0');
    }
    else {
        FUZZ_CHECK(err.reason == AOIDC_REASON_MALFORMED);
    }
    char *enc = aoidc_b64url_encode(data, size, p);
    FUZZ_CHECK(aoidc_b64url_decode(&out, &n, enc, strlen(enc), p, &err)
               == APR_SUCCESS);
    FUZZ_CHECK(n == size && (!size || !memcmp(out, data, size)));
    apr_pool_destroy(p);
    return 0;
}
