/* SPDX-License-Identifier: Apache-2.0 */
/* bearer_entry: decode any bytes as a validated-token cache entry (v1, or
 * v2 with a JWS signature); what decodes encodes and decodes to the same
 * entry, signature included. */
#include <stdio.h>
#include <string.h>

#include "core/bearer.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(bearer_entry)
{
    apr_pool_t *p = fuzz_pool();
    apr_time_t until, until2;
    bool active, active2;
    const unsigned char *sig, *sig2;
    apr_size_t siglen, siglen2;
    apr_array_header_t *claims, *claims2;
    aoidc_err_t err = {0};
    const unsigned char *in = fuzz_exact(data, size, p);
    if (aoidc_bearer_entry_decode_sig(&until, &active, &sig, &siglen, &claims,
                                      in, size, p, &err)
        == APR_SUCCESS) {
        unsigned char *buf;
        apr_size_t len;
        FUZZ_CHECK(!siglen == !sig);
        aoidc_bearer_entry_encode_sig(&buf, &len, until, active, sig, siglen,
                                      claims, p);
        FUZZ_CHECK(aoidc_bearer_entry_decode_sig(&until2, &active2, &sig2,
                                                 &siglen2, &claims2, buf, len,
                                                 p, &err)
                   == APR_SUCCESS);
        FUZZ_CHECK(until == until2 && active == active2
                   && claims->nelts == claims2->nelts && siglen == siglen2
                   && (!siglen || !memcmp(sig, sig2, siglen)));
        for (int i = 0; i < claims->nelts; i++) {
            const aoidc_claim_t *a = &APR_ARRAY_IDX(claims, i, aoidc_claim_t);
            const aoidc_claim_t *b = &APR_ARRAY_IDX(claims2, i, aoidc_claim_t);
            FUZZ_CHECK(!strcmp(a->name, b->name) && !strcmp(a->value, b->value)
                       && a->is_json == b->is_json);
        }
        /* the plain decode agrees */
        FUZZ_CHECK(aoidc_bearer_entry_decode(&until2, &active2, &claims2, in,
                                             size, p, &err)
                   == APR_SUCCESS);
    }
    else {
        FUZZ_CHECK(aoidc_bearer_entry_decode(&until2, &active2, &claims2, in,
                                             size, p, &err)
                   != APR_SUCCESS);
    }
    apr_pool_destroy(p);
    return 0;
}
