/* SPDX-License-Identifier: Apache-2.0 */
/* jwt: claim checks on any JSON object, under a few rule sets. */
#include <stdio.h>

#include "core/json.h"
#include "core/jwt.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(jwt)
{
    apr_pool_t *p = fuzz_pool();
    json_t *c;
    aoidc_err_t err = {0};
    const char *in = (const char *)fuzz_exact(data, size, p);
    if (aoidc_json_parse(&c, in, size, 64 * 1024, false, p, &err)
        == APR_SUCCESS) {
        aoidc_jwt_rules_t r[] = {
            {FUZZ_ISS, "client-1", NULL, FUZZ_NOW, 60, false, false},
            {FUZZ_ISS, "client-1", "client-1", FUZZ_NOW, 60, true, true},
            {FUZZ_ISS, "api://default", NULL, FUZZ_NOW, 0, false, true},
        };
        for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
            if (aoidc_jwt_check(c, &r[i], p, &err) == APR_SUCCESS) {
                FUZZ_CHECK(!strcmp(aoidc_json_str(c, "iss"), FUZZ_ISS));
                FUZZ_CHECK(aoidc_jwt_aud_has(json_object_get(c, "aud"),
                                             r[i].audience));
            }
        }
    }
    apr_pool_destroy(p);
    return 0;
}
