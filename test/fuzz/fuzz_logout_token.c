/* SPDX-License-Identifier: Apache-2.0 */
/* logout_token: the back-channel POST body and logout token (validated
 * against the fixed test JWKS, with and without a client secret) and the
 * front-channel query. Byte 0 picks the input kind: 0 a POST body, 1 a
 * compact token, 2 a front-channel query string. */
#include <stdio.h>

#include "core/logout_token.h"
#include "fixed_jwks.h"
#include "fuzz.h"

#define SECRET "fuzz-client-secret"

static aoidc_jwks_t *fixed_jwks(void)
{
    static aoidc_jwks_t *jwks;
    if (!jwks) {
        aoidc_err_t err = {0};
        apr_pool_t *g = fuzz_global_pool();
        FUZZ_LSAN_OFF();
        if (aoidc_jwks_parse(&jwks, AOIDC_FUZZ_FIXED_JWKS,
                             strlen(AOIDC_FUZZ_FIXED_JWKS), g, &err)
            != APR_SUCCESS) {
            abort();
        }
        FUZZ_LSAN_ON();
    }
    return jwks;
}

static void validate(const char *tok, apr_size_t len, apr_pool_t *p)
{
    aoidc_logout_token_rules_t r = {FUZZ_ISS, "client-1", NULL,
                                    FUZZ_NOW, 60,         0};
    aoidc_logout_token_t *t;
    aoidc_err_t err = {0};
    for (int i = 0; i < 2; i++) {
        r.client_secret = i ? SECRET : NULL;
        if (aoidc_logout_token_validate(&t, tok, len, fixed_jwks(), &r, p, &err)
            != APR_SUCCESS) {
            FUZZ_CHECK(err.reason != AOIDC_REASON_NONE);
            continue;
        }
        FUZZ_CHECK(t->sub || t->sid);
        FUZZ_CHECK(!t->sid || aoidc_logout_sid_ok(t->sid));
        FUZZ_CHECK(t->jti && *t->jti);
        FUZZ_CHECK(t->iat <= FUZZ_NOW + apr_time_from_sec(60));
        FUZZ_CHECK(t->replay_until > FUZZ_NOW);
    }
}

AOIDC_FUZZ_ENTRY(logout_token)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_err_t err = {0};
    const char *in = (const char *)fuzz_exact(data, size, p), *v;
    if (size < 1) {
        apr_pool_destroy(p);
        return 0;
    }
    if (in[0] == 0) {
        if (aoidc_logout_body_parse(&v, in + 1, size - 1, p, &err)
            == APR_SUCCESS) {
            FUZZ_CHECK(*v && strlen(v) <= AOIDC_MAX_TOKEN_LEN);
            validate(v, strlen(v), p);
        }
        else {
            FUZZ_CHECK(!v);
        }
    }
    else if (in[0] == 1) {
        validate(in + 1, size - 1, p);
    }
    else {
        const char *q = fuzz_str(data + 1, size - 1, p);
        if (aoidc_logout_frontchannel_parse(&v, q, FUZZ_ISS, p, &err)
            == APR_SUCCESS) {
            FUZZ_CHECK(aoidc_logout_sid_ok(v));
        }
    }
    apr_pool_destroy(p);
    return 0;
}
