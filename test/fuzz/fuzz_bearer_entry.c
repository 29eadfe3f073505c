/* SPDX-License-Identifier: Apache-2.0 */
/* bearer_entry: decode any bytes as a validated-token cache entry; what
 * decodes encodes and decodes to the same entry. */
#include <stdio.h>

#include "core/bearer.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(bearer_entry)
{
    apr_pool_t *p = fuzz_pool();
    apr_time_t until, until2;
    bool active, active2;
    apr_array_header_t *claims, *claims2;
    aoidc_err_t err = {0};
    const unsigned char *in = fuzz_exact(data, size, p);
    if (aoidc_bearer_entry_decode(&until, &active, &claims, in, size, p, &err)
        == APR_SUCCESS) {
        unsigned char *buf;
        apr_size_t len;
        aoidc_bearer_entry_encode(&buf, &len, until, active, claims, p);
        FUZZ_CHECK(aoidc_bearer_entry_decode(&until2, &active2, &claims2, buf,
                                             len, p, &err)
                   == APR_SUCCESS);
        FUZZ_CHECK(until == until2 && active == active2
                   && claims->nelts == claims2->nelts);
        for (int i = 0; i < claims->nelts; i++) {
            const aoidc_claim_t *a = &APR_ARRAY_IDX(claims, i, aoidc_claim_t);
            const aoidc_claim_t *b = &APR_ARRAY_IDX(claims2, i, aoidc_claim_t);
            FUZZ_CHECK(!strcmp(a->name, b->name) && !strcmp(a->value, b->value)
                       && a->is_json == b->is_json);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
