/* SPDX-License-Identifier: Apache-2.0 */
/* dpop: any DPoP header value (and any cnf text); nothing crashes, and a
 * proof that passes has a thumbprint and a jti within bounds. The inputs
 * cannot carry a valid signature, so the interesting part is everything
 * before it: JWS parsing, the header's jwk, the one-key JWKS. The same
 * text as a server nonce: never taken unless it is what we issue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dpop.h"
#include "core/jws.h"
#include "fuzz.h"

/* The nonce key, made once for the whole run and dropped at exit. */
static aoidc_seal_t *nk;
static apr_pool_t *kp;

static void drop_nonce_key(void)
{
    apr_pool_destroy(kp); /* the key's fetched cipher with it */
    nk = NULL;
}

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
    if (!nk) {
        apr_pool_create(&kp, NULL);
        atexit(drop_nonce_key); /* before LeakSanitizer's check */
        if (aoidc_seal_create(&nk, "fuzz nonce passphrase", 21, "dpop-nonce",
                              kp)
            != APR_SUCCESS) {
            abort();
        }
    }
    if (aoidc_dpop_nonce_check(nk, s, r.now, p) != AOIDC_DPOP_NONCE_BAD) {
        FUZZ_CHECK(!strcmp(s, aoidc_dpop_nonce(nk, r.now, p))
                   || !strcmp(s, aoidc_dpop_nonce(
                                     nk, r.now - apr_time_from_sec(60), p)));
    }
    apr_pool_destroy(p);
    return 0;
}
