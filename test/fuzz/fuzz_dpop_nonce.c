/* SPDX-License-Identifier: Apache-2.0 */
/* dpop_nonce: an OP's answer that may demand a DPoP server nonce (RFC 9449
 * §8, §9). The first byte picks the status; the rest is body, DPoP-Nonce
 * and WWW-Authenticate, split at the first two NUL bytes (a missing part
 * is an absent header). */
#include <string.h>

#include "core/dpop_rp.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(dpop_nonce)
{
    static const int statuses[] = {400, 401, 200, 500, 400, 401, 0, 403};
    apr_pool_t *p = fuzz_pool();
    const char *parts[3] = {"", NULL, NULL}, *nonce = NULL;
    apr_size_t body_len = 0;
    int status = size ? statuses[data[0] & 7] : 400;
    const uint8_t *d = data + !!size, *end = data + size;
    for (int i = 0; i < 3 && d <= end; i++) {
        const uint8_t *z = memchr(d, 0, (size_t)(end - d));
        apr_size_t n = z ? (apr_size_t)(z - d) : (apr_size_t)(end - d);
        parts[i] = (const char *)fuzz_exact(d, n, p);
        if (i == 0) {
            body_len = n;
        }
        if (!z) {
            break;
        }
        d = z + 1;
    }
    aoidc_http_resp_t r = {status, parts[0], body_len, parts[1], parts[2]};
    if (aoidc_dpop_nonce_challenge(&nonce, &r, p)) {
        /* only a 400 or 401, and a nonce safe to echo in a proof claim */
        FUZZ_CHECK(status == 400 || status == 401);
        FUZZ_CHECK(nonce == parts[1] && *nonce);
        FUZZ_CHECK(strlen(nonce) <= AOIDC_DPOP_NONCE_MAX);
        for (const char *c = nonce; *c; c++) {
            FUZZ_CHECK(*c > 0x20 && *c < 0x7f && *c != '"' && *c != '\\');
        }
    }
    else {
        FUZZ_CHECK(nonce == NULL);
    }
    apr_pool_destroy(p);
    return 0;
}
