/* SPDX-License-Identifier: Apache-2.0 */
/* jws: parse any token and verify it against a fixed JWKS (the test keys)
 * and, for HS*, a fixed secret. Nothing but the test keys may verify, and
 * the OpenSSL verifier (jwk_evp.c, with or without a digest given) and
 * cjose never disagree; aoidc_jws_parse_lean agrees with aoidc_jws_parse:
 * the same verdict, and where it read the payload as members, the members
 * are the full parse's payload and give its claims, registered claims and
 * claim checks (members_same.h); aoidc_bearer_validate_jwt says the same
 * of both. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/bearer.h"
#include "core/jws.h"
#include "fixed_jwks.h"
#include "fuzz.h"
#include "members_same.h"

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

/* cjose's verdict where the key has an OpenSSL verifier for the alg */
static void same_verdict(const aoidc_jws_t *jws)
{
    const aoidc_jwk_t *k = aoidc_jwks_find(fixed_jwks(), jws->kid, jws->alg);
    cjose_err cerr;
    if (!k || !k->evp
        || !(aoidc_jws_alg_bit(jws->alg) & AOIDC_ALGS_ASYMMETRIC)) {
        return;
    }
    int evp = aoidc_jwk_evp_verify(k->evp, jws->alg,
                                   (const unsigned char *)jws->compact,
                                   jws->signed_len, jws->sig, jws->siglen);
    if (evp < 0) {
        return;
    }
    /* with the caller's digest of the signing input (rs.c): the same */
    unsigned char d[32];
    FUZZ_CHECK(
        EVP_Digest(jws->compact, jws->signed_len, d, NULL, EVP_sha256(), NULL));
    FUZZ_CHECK(aoidc_jwk_evp_verify_sha256(
                   k->evp, jws->alg, (const unsigned char *)jws->compact,
                   jws->signed_len, d, jws->sig, jws->siglen)
               == evp);
    cjose_jws_t *cj = cjose_jws_import(jws->compact, jws->len, &cerr);
    bool ok = cj && cjose_jws_verify(cj, k->key, &cerr);
    if (cj) {
        cjose_jws_release(cj);
    }
    FUZZ_CHECK(evp == (int)ok);
}

/* The lean parse's claims (members, or a payload when it fell back) are
 * the full parse's, and the access-token validation says the same. */
static void same_claims(const aoidc_jws_t *lean, const aoidc_jws_t *full,
                        apr_pool_t *p)
{
    static const aoidc_at_rules_t rules[] = {
        {FUZZ_ISS, "client-1", FUZZ_NOW, 60, false},
        {FUZZ_ISS, "api://default", FUZZ_NOW, 0, true},
    };
    if (lean->members.m) {
        FUZZ_CHECK(lean->payload == NULL);
        fuzz_members_same(&lean->members, full->payload, p);
    }
    else {
        FUZZ_CHECK(lean->payload && json_equal(lean->payload, full->payload));
    }
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        aoidc_jwt_reg_t rl, rf;
        aoidc_err_t el = {0}, ef = {0};
        apr_status_t a = aoidc_bearer_validate_jwt(lean, fixed_jwks(),
                                                   &rules[i], &rl, p, &el);
        apr_status_t b = aoidc_bearer_validate_jwt(full, fixed_jwks(),
                                                   &rules[i], &rf, p, &ef);
        FUZZ_CHECK(a == b && el.reason == ef.reason);
        FUZZ_CHECK(fuzz_str_same(rl.iss, rf.iss) && rl.aud_n == rf.aud_n
                   && fuzz_num_same(&rl.exp, &rf.exp) && rl.nonce == rf.nonce);
    }
}

AOIDC_FUZZ_ENTRY(jws)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_jws_t *jws;
    aoidc_err_t err = {0};
    const char *in = (const char *)fuzz_exact(data, size, p);
    aoidc_jws_t *lean;
    aoidc_err_t lerr = {0};
    apr_status_t lrv = aoidc_jws_parse_lean(&lean, in, size, p, &lerr);
    apr_status_t prv = aoidc_jws_parse(&jws, in, size, p, &err);
    /* the lean parse (header read in place) says what the full one says */
    FUZZ_CHECK((lrv == APR_SUCCESS) == (prv == APR_SUCCESS)
               && lerr.reason == err.reason);
    if (prv == APR_SUCCESS) {
        FUZZ_CHECK(!strcmp(lean->alg, jws->alg) && !lean->kid == !jws->kid
                   && (!jws->kid || !strcmp(lean->kid, jws->kid))
                   && !lean->typ == !jws->typ
                   && (!jws->typ || !strcmp(lean->typ, jws->typ))
                   && lean->signed_len == jws->signed_len);
        same_claims(lean, jws, p);
    }
    if (prv == APR_SUCCESS) {
        FUZZ_CHECK(jws->alg && json_is_object(jws->payload));
        FUZZ_CHECK(!json_object_get(jws->header, "crit"));
        apr_status_t rv = aoidc_jws_verify(
            jws, fixed_jwks(), AOIDC_ALGS_ASYMMETRIC | AOIDC_ALGS_HMAC,
            "fuzz-client-secret", p, &err);
        if (rv == APR_SUCCESS) {
            FUZZ_CHECK(aoidc_jws_alg_bit(jws->alg) != 0);
        }
        same_verdict(jws);
        /* without a secret HMAC never verifies */
        rv =
            aoidc_jws_verify(jws, fixed_jwks(), AOIDC_ALGS_HMAC, NULL, p, &err);
        FUZZ_CHECK(rv != APR_SUCCESS && err.reason == AOIDC_REASON_ALG);
        (void)aoidc_jws_half_hash(jws->alg, "access-token", p);
    }
    else {
        FUZZ_CHECK(err.reason == AOIDC_REASON_JWS_MALFORMED
                   || err.reason == AOIDC_REASON_CRIT);
    }
    apr_pool_destroy(p);
    return 0;
}
