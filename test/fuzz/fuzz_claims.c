/* SPDX-License-Identifier: Apache-2.0 */
/* claims: any JSON object becomes header-safe (name, value) pairs; the
 * list codec round trips; matching does not misbehave. */
#include <stdio.h>

#include "core/json.h"
#include "core/match.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(claims)
{
    apr_pool_t *p = fuzz_pool();
    json_t *j;
    aoidc_err_t err = {0};
    const char *in = (const char *)fuzz_exact(data, size, p);
    if (aoidc_json_parse(&j, in, size, 64 * 1024, false, p, &err)
        == APR_SUCCESS) {
        apr_array_header_t *l = aoidc_claims_add_json(NULL, j, p);
        FUZZ_CHECK(l->nelts <= AOIDC_MAX_CLAIMS);
        for (int i = 0; i < l->nelts; i++) {
            const aoidc_claim_t *c = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
            FUZZ_CHECK(aoidc_claims_is_token(c->name));
            FUZZ_CHECK(strlen(c->value) <= AOIDC_CLAIM_MAX_VALUE);
            for (const unsigned char *v = (const unsigned char *)c->value; *v;
                 v++) {
                FUZZ_CHECK(*v >= 0x20 && *v != 0x7f);
            }
            (void)aoidc_match_claim(l, c->name, "admin", p);
        }
        (void)aoidc_match_scope(l, "api:read", p);
        {
            /* step-up: acr and the auth_time reader (core/match.c) */
            apr_array_header_t *acr = apr_array_make(p, 1, sizeof(char *));
            APR_ARRAY_PUSH(acr, const char *) = "mfa";
            bool young =
                aoidc_match_max_age(l, 300, 60, apr_time_from_sec(1700000000));
            FUZZ_CHECK(!young || aoidc_claims_get(l, "auth_time"));
            FUZZ_CHECK(!aoidc_match_acr(l, acr)
                       || !strcmp(aoidc_claims_get(l, "acr")->value, "mfa"));
        }
        aoidc_wbuf_t w;
        aoidc_rbuf_t r;
        aoidc_codec_init(&w, 64, p);
        aoidc_claims_encode(&w, l);
        aoidc_codec_reader(&r, w.buf, w.len);
        apr_array_header_t *back = aoidc_claims_decode(&r, p);
        FUZZ_CHECK(!r.bad && r.left == 0 && back->nelts == l->nelts);
        for (int i = 0; i < l->nelts; i++) {
            const aoidc_claim_t *a = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
            const aoidc_claim_t *b = &APR_ARRAY_IDX(back, i, aoidc_claim_t);
            FUZZ_CHECK(!strcmp(a->name, b->name) && !strcmp(a->value, b->value)
                       && a->is_json == b->is_json);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
