/* SPDX-License-Identifier: Apache-2.0 */
/* jwks: parse a document as an OP would publish it; select keys. */
#include <stdio.h>

#include "core/jwk.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(jwks)
{
    static const char *const algs[] = {"RS256", "PS384", "ES256", "ES384",
                                       "ES512", "HS256", "none"};
    apr_pool_t *p = fuzz_pool();
    aoidc_jwks_t *jwks;
    aoidc_err_t err = {0};
    const char *in = (const char *)fuzz_exact(data, size, p);
    if (aoidc_jwks_parse(&jwks, in, size, p, &err) == APR_SUCCESS) {
        FUZZ_CHECK(jwks->keys->nelts <= AOIDC_JWKS_MAX_KEYS);
        for (int i = 0; i < jwks->skipped->nelts; i++) {
            FUZZ_CHECK(
                APR_ARRAY_IDX(jwks->skipped, i, aoidc_jwk_skipped_t).why);
        }
        for (int i = 0; i < jwks->keys->nelts; i++) {
            const aoidc_jwk_t *k = &APR_ARRAY_IDX(jwks->keys, i, aoidc_jwk_t);
            FUZZ_CHECK(k->key && k->kty);
            FUZZ_CHECK(!strcmp(k->kty, "RSA") || !strcmp(k->kty, "EC"));
            for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
                const aoidc_jwk_t *f = aoidc_jwks_find(jwks, k->kid, algs[a]);
                FUZZ_CHECK(a < 5 || f == NULL); /* never for HS or none */
                (void)aoidc_jwks_find(jwks, NULL, algs[a]);
            }
        }
    }
    apr_pool_destroy(p);
    return 0;
}
