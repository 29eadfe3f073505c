/* SPDX-License-Identifier: Apache-2.0 */
/* dpop: any DPoP header value (and any cnf text); nothing crashes, and a
 * proof that passes has a thumbprint and a jti within bounds. The inputs
 * cannot carry a valid signature, so the interesting part is everything
 * before it: JWS parsing, the header's jwk, the one-key JWKS. */
#include <stdio.h>

#include "core/dpop.h"
#include "core/jws.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(dpop)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_dpop_proof_t out;
    aoidc_err_t err = {0};
    const char *jkt, *x5t;
    const char *s = fuzz_str(data, size, p);
    aoidc_dpop_rules_t r = {"GET",
                            "https://api.example/x",
                            "tok",
                            apr_time_from_sec(1700000000),
                            300,
                            60,
                            AOIDC_ALGS_ASYMMETRIC};
    if (aoidc_dpop_check(&out, s, &r, p, &err) == APR_SUCCESS) {
        FUZZ_CHECK(out.jkt && out.jti && strlen(out.jti) <= AOIDC_DPOP_MAX_JTI);
    }
    else {
        FUZZ_CHECK(err.reason == AOIDC_REASON_DPOP_PROOF);
    }
    (void)aoidc_cnf_parse(&jkt, &x5t, s, p, &err);
    apr_pool_destroy(p);
    return 0;
}
