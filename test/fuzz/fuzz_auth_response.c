/* SPDX-License-Identifier: Apache-2.0 */
/* auth_response: any callback query; what passes is within the limits. */
#include <stdio.h>

#include "core/auth_response.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(auth_response)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    const char *q = fuzz_str(data, size, p);
    if (aoidc_auth_response_parse(&r, q, p, &err) == APR_SUCCESS) {
        FUZZ_CHECK(r.state && strlen(r.state) >= 22 && strlen(r.state) <= 128);
        FUZZ_CHECK(r.error || (r.code && *r.code));
        FUZZ_CHECK(!r.code || strlen(r.code) <= AOIDC_MAX_PARAM_LEN);
        (void)aoidc_auth_response_check_iss(&r, FUZZ_ISS, true, p, &err);
        (void)aoidc_auth_response_check_iss(&r, FUZZ_ISS, false, p, &err);
    }
    apr_pool_destroy(p);
    return 0;
}
