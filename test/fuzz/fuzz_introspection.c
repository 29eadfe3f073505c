/* SPDX-License-Identifier: Apache-2.0 */
/* introspection: any RFC 7662 answer body, judged under fixed rules. */
#include <stdio.h>

#include "core/bearer.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(introspection)
{
    apr_pool_t *p = fuzz_pool();
    json_t *c;
    aoidc_err_t err = {0};
    aoidc_at_rules_t r = {FUZZ_ISS, "api://default", FUZZ_NOW, 60, false};
    const char *in = (const char *)fuzz_exact(data, size, p);
    if (aoidc_bearer_introspection_parse(&c, 200, in, size, &r, p, &err)
        == APR_SUCCESS) {
        FUZZ_CHECK(json_is_true(json_object_get(c, "active")));
        apr_array_header_t *l = aoidc_claims_add_json(NULL, c, p);
        FUZZ_CHECK(l->nelts <= AOIDC_MAX_CLAIMS);
    }
    apr_pool_destroy(p);
    return 0;
}
