/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/jwk_evp.c: the OpenSSL verifiers made at JWKS import. Every
 * algorithm round-trips against cjose's signer; RFC 7515 A.2 (RS256) and
 * A.3 (ES256) verify through the verifier itself, not through cjose; bad
 * signatures, wrong-length ES* signatures and other algorithms are refused;
 * threads share one key.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/b64url.h"
#include "core/jwk.h"
#include "core/jws.h"
#include "unit.h"

/* A one-key JWKS with the public part of key, kid "k" (and alg if set),
 * in p. */
static const aoidc_jwk_t *one_key_in(cjose_jwk_t *key, const char *alg,
                                     apr_pool_t *p)
{
    cjose_err cerr;
    aoidc_jwks_t *jwks;
    aoidc_err_t err = {0};
    json_error_t je;
    char *pub = cjose_jwk_to_json(key, false, &cerr);
    ck_assert_ptr_nonnull(pub);
    json_t *k = json_loads(pub, 0, &je);
    free(pub);
    ck_assert_ptr_nonnull(k);
    json_object_set_new(k, "kid", json_string("k"));
    if (alg) {
        json_object_set_new(k, "alg", json_string(alg));
    }
    json_t *doc = json_pack("{s:[o]}", "keys", k);
    char *txt = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    ck_assert_ok(aoidc_jwks_parse(&jwks, txt, strlen(txt), p, &err), err);
    free(txt);
    ck_assert_int_eq(jwks->keys->nelts, 1);
    const aoidc_jwk_t *jk = &APR_ARRAY_IDX(jwks->keys, 0, aoidc_jwk_t);
    ck_assert_ptr_nonnull(jk->evp);
    return jk;
}

static const aoidc_jwk_t *one_key(cjose_jwk_t *key, const char *alg)
{
    return one_key_in(key, alg, tp);
}

static aoidc_jws_t *parse(const char *token)
{
    aoidc_jws_t *jws;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_jws_parse(&jws, token, strlen(token), tp, &err), err);
    ck_assert_ptr_nonnull(jws->sig);
    return jws;
}

static int evp_check(const aoidc_jwk_t *k, const aoidc_jws_t *j,
                     const unsigned char *sig, apr_size_t siglen)
{
    return aoidc_jwk_evp_verify(k->evp, j->alg,
                                (const unsigned char *)j->compact,
                                j->signed_len, sig, siglen);
}

static const struct {
    const char *key, *alg;
} pairs[] = {
    {"rsa2048", "RS256"}, {"rsa2048", "RS384"}, {"rsa2048", "RS512"},
    {"rsa2048", "PS256"}, {"rsa2048", "PS384"}, {"rsa2048", "PS512"},
    {"ec-p256", "ES256"}, {"ec-p384", "ES384"}, {"p521", "ES512"},
};

static apr_status_t release_jwk(void *k)
{
    cjose_jwk_release(k);
    return APR_SUCCESS;
}

static cjose_jwk_t *key_named(const char *name)
{
    cjose_err cerr;
    if (strcmp(name, "p521")) {
        return aoidc_test_key(name, tp);
    }
    cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_521, &cerr);
    ck_assert_ptr_nonnull(k);
    /* released with the test's pool (LeakSanitizer runs in CI) */
    apr_pool_cleanup_register(tp, k, release_jwk, apr_pool_cleanup_null);
    return k;
}

/* Each thread keeps its last verifier context (jwk_evp.c work_t). A
 * JWKS that is gone, followed by one with another key under the same kid
 * (at whatever address it lands), never verifies with the old key; the
 * context after a failed verify serves the next; another alg on the same
 * key is another verifier. */
START_TEST(kept_context_follows_the_key)
{
    cjose_jwk_t *k[2] = {key_named("rsa2048"), key_named("rsa2048-other")};
    aoidc_jws_t *j[2];
    for (int i = 0; i < 2; i++) {
        j[i] = parse(
            aoidc_test_sign(k[i], "RS256", "k", NULL, aoidc_test_claims(), tp));
    }
    for (int round = 0; round < 4; round++) {
        apr_pool_t *sp;
        int g = round % 2;
        apr_pool_create(&sp, tp);
        const aoidc_jwk_t *a = one_key_in(k[g], NULL, sp);
        ck_assert_int_eq(evp_check(a, j[g], j[g]->sig, j[g]->siglen), 1);
        ck_assert_int_eq(
            evp_check(a, j[1 - g], j[1 - g]->sig, j[1 - g]->siglen), 0);
        ck_assert_int_eq(evp_check(a, j[g], j[g]->sig, j[g]->siglen), 1);
        ck_assert_int_eq(
            aoidc_jwk_evp_verify(a->evp, "PS256",
                                 (const unsigned char *)j[g]->compact,
                                 j[g]->signed_len, j[g]->sig, j[g]->siglen),
            0);
        ck_assert_int_eq(evp_check(a, j[g], j[g]->sig, j[g]->siglen), 1);
        apr_pool_destroy(sp);
    }
}
END_TEST

START_TEST(every_alg_round_trips)
{
    cjose_jwk_t *key = key_named(pairs[_i].key);
    const char *alg = pairs[_i].alg;
    const aoidc_jwk_t *k = one_key(key, NULL);
    aoidc_jws_t *j =
        parse(aoidc_test_sign(key, alg, "k", NULL, aoidc_test_claims(), tp));
    aoidc_jwks_t set = {apr_array_make(tp, 1, sizeof(aoidc_jwk_t)), NULL};
    aoidc_err_t err = {0};
    *(aoidc_jwk_t *)apr_array_push(set.keys) = *k;

    ck_assert_int_eq(evp_check(k, j, j->sig, j->siglen), 1);
    ck_assert_ok(
        aoidc_jws_verify(j, &set, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err), err);
    /* one bit off, anywhere: refused, and nothing left on the error queue */
    for (apr_size_t at = 0; at < j->siglen; at += j->siglen / 3) {
        unsigned char *bad = apr_pmemdup(tp, j->sig, j->siglen);
        bad[at] ^= 0x01;
        ck_assert_int_eq(evp_check(k, j, bad, j->siglen), 0);
        ck_assert_uint_eq(ERR_peek_error(), 0);
    }
    /* the signing input counts too */
    aoidc_jws_t tampered = *j;
    tampered.signed_len--;
    ck_assert_int_eq(evp_check(k, &tampered, j->sig, j->siglen), 0);
    /* the record aoidc_jws_verify gets from a caller without sig */
    tampered = *j;
    tampered.sig = NULL;
    ck_assert_ok(aoidc_jws_verify(&tampered, &set, AOIDC_ALGS_ASYMMETRIC, NULL,
                                  tp, &err),
                 err);
}
END_TEST

/* A caller's SHA-256 of the signing input (rs.c's cache key digest): the
 * *256 algorithms verify over it, not over in; the others hash in. */
START_TEST(sha256_given)
{
    cjose_jwk_t *key = key_named(pairs[_i].key);
    const char *alg = pairs[_i].alg;
    bool is256 = !strcmp(alg + 2, "256");
    const aoidc_jwk_t *k = one_key(key, NULL);
    aoidc_jws_t *j =
        parse(aoidc_test_sign(key, alg, "k", NULL, aoidc_test_claims(), tp));
    aoidc_jwks_t set = {apr_array_make(tp, 1, sizeof(aoidc_jwk_t)), NULL};
    aoidc_err_t err = {0};
    unsigned char d[32], wrong[32];
    const unsigned char *in = (const unsigned char *)j->compact;
    *(aoidc_jwk_t *)apr_array_push(set.keys) = *k;
    ck_assert(EVP_Digest(in, j->signed_len, d, NULL, EVP_sha256(), NULL));
    memcpy(wrong, d, sizeof(d));
    wrong[31] ^= 0x80;

    ck_assert_int_eq(aoidc_jwk_evp_verify_sha256(k->evp, alg, in, j->signed_len,
                                                 d, j->sig, j->siglen),
                     1);
    /* the digest is what counts for *256: in is not looked at */
    ck_assert_int_eq(
        aoidc_jwk_evp_verify_sha256(k->evp, alg, in, 1, d, j->sig, j->siglen),
        is256);
    ck_assert_int_eq(aoidc_jwk_evp_verify_sha256(k->evp, alg, in, j->signed_len,
                                                 wrong, j->sig, j->siglen),
                     !is256);
    ck_assert_uint_eq(ERR_peek_error(), 0);
    /* through aoidc_jws_verify */
    j->sha256 = d;
    ck_assert_ok(
        aoidc_jws_verify(j, &set, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err), err);
    j->sha256 = wrong;
    if (is256) {
        ck_assert_reason(
            aoidc_jws_verify(j, &set, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err),
            err, AOIDC_REASON_SIGNATURE);
    }
    else {
        ck_assert_ok(
            aoidc_jws_verify(j, &set, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err),
            err);
    }
    /* a record without the decoded signature re-splits compact itself:
     * a digest it was given is not trusted for that */
    j->sig = NULL;
    ck_assert_ok(
        aoidc_jws_verify(j, &set, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err), err);
}
END_TEST

/* The RFC vectors through the verifier, not through cjose. */
static void rfc_vector(const char *dir, const char *alg)
{
    apr_size_t tlen, jlen;
    aoidc_jwks_t *jwks;
    aoidc_err_t err = {0};
    char *token =
        aoidc_test_read(apr_pstrcat(tp, dir, "/token", NULL), &tlen, tp);
    char *txt =
        aoidc_test_read(apr_pstrcat(tp, dir, "/jwks.json", NULL), &jlen, tp);
    ck_assert_ptr_nonnull(token);
    ck_assert_ptr_nonnull(txt);
    ck_assert_ok(aoidc_jwks_parse(&jwks, txt, jlen, tp, &err), err);
    aoidc_jws_t *j = parse(token);
    ck_assert_str_eq(j->alg, alg);
    const aoidc_jwk_t *k = aoidc_jwks_find(jwks, j->kid, j->alg);
    ck_assert_ptr_nonnull(k);
    ck_assert_ptr_nonnull(k->evp);
    ck_assert_int_eq(evp_check(k, j, j->sig, j->siglen), 1);
    ck_assert_int_eq(aoidc_jwk_evp_verify(k->evp, alg,
                                          (const unsigned char *)"x", 1, j->sig,
                                          j->siglen),
                     0);
}

START_TEST(rfc7515_a2_rs256)
{
    rfc_vector("jws/rfc7515-a2-rs256", "RS256");
}
END_TEST

START_TEST(rfc7515_a3_es256)
{
    rfc_vector("jws/rfc7515-a3-es256", "ES256");
}
END_TEST

/* RFC 7518 §3.4: r || s of exactly twice the coordinate size; a DER
 * signature (what OpenSSL itself emits) is not a JOSE signature. */
START_TEST(es_signature_shape)
{
    cjose_jwk_t *key = aoidc_test_key("ec-p256", tp);
    const aoidc_jwk_t *k = one_key(key, NULL);
    aoidc_jws_t *j = parse(
        aoidc_test_sign(key, "ES256", "k", NULL, aoidc_test_claims(), tp));
    unsigned char longer[65] = {0};
    ck_assert_uint_eq(j->siglen, 64);
    memcpy(longer, j->sig, 64);
    ck_assert_int_eq(evp_check(k, j, j->sig, 63), 0);
    ck_assert_int_eq(evp_check(k, j, longer, 65), 0);
    ck_assert_int_eq(evp_check(k, j, j->sig, 0), 0);
    /* r = 0, s = 0 */
    memset(longer, 0, sizeof(longer));
    ck_assert_int_eq(evp_check(k, j, longer, 64), 0);
    /* the DER form of the same signature */
    ECDSA_SIG *es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(j->sig, 32, NULL),
                   BN_bin2bn(j->sig + 32, 32, NULL));
    unsigned char *der = NULL;
    int n = i2d_ECDSA_SIG(es, &der);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(evp_check(k, j, der, (apr_size_t)n), 0);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
}
END_TEST

/* Only the algorithms a key suits have verifiers: -1 sends the caller to
 * its refusal (aoidc_jwks_find never picks such a key anyway). */
START_TEST(verifiers_follow_key)
{
    cjose_jwk_t *rsa = aoidc_test_key("rsa2048", tp);
    cjose_jwk_t *ec = aoidc_test_key("ec-p256", tp);
    const aoidc_jwk_t *any = one_key(rsa, NULL);
    const aoidc_jwk_t *ps = one_key(rsa, "PS256");
    const aoidc_jwk_t *e = one_key(ec, NULL);
    aoidc_jws_t *rs = parse(
        aoidc_test_sign(rsa, "RS256", "k", NULL, aoidc_test_claims(), tp));
    ck_assert_int_eq(evp_check(any, rs, rs->sig, rs->siglen), 1);
    ck_assert_int_eq(evp_check(ps, rs, rs->sig, rs->siglen), -1);
    ck_assert_int_eq(evp_check(e, rs, rs->sig, rs->siglen), -1);
    ck_assert_int_eq(aoidc_jwk_evp_verify(any->evp, "ES256", rs->sig, 1,
                                          rs->sig, rs->siglen),
                     -1);
    ck_assert_int_eq(
        aoidc_jwk_evp_verify(e->evp, "ES384", rs->sig, 1, rs->sig, 64), -1);
    ck_assert_int_eq(aoidc_jwk_evp_verify(any->evp, "HS256", rs->sig, 1,
                                          rs->sig, rs->siglen),
                     -1);
    ck_assert_int_eq(
        aoidc_jwk_evp_verify(any->evp, "none", rs->sig, 1, rs->sig, rs->siglen),
        -1);
    /* PKCS#1 v1.5 is not PSS, nor the reverse */
    aoidc_jws_t as_ps = *rs;
    as_ps.alg = "PS256";
    ck_assert_int_eq(evp_check(any, &as_ps, rs->sig, rs->siglen), 0);
    ck_assert_int_eq(evp_check(ps, &as_ps, rs->sig, rs->siglen), 0);
}
END_TEST

/* aoidc_jwks_parse_cjose (DPoP proof keys) makes no verifiers, and
 * aoidc_jws_verify then asks cjose: same verdicts. */
START_TEST(cjose_only_keys)
{
    apr_size_t len;
    aoidc_jwks_t *with, *without;
    aoidc_err_t err = {0};
    char *txt = aoidc_test_read("keys/jwks.json", &len, tp);
    ck_assert_ok(aoidc_jwks_parse(&with, txt, len, tp, &err), err);
    ck_assert_ok(aoidc_jwks_parse_cjose(&without, txt, len, tp, &err), err);
    ck_assert_int_eq(with->keys->nelts, without->keys->nelts);
    for (int i = 0; i < with->keys->nelts; i++) {
        ck_assert_ptr_nonnull(APR_ARRAY_IDX(with->keys, i, aoidc_jwk_t).evp);
        ck_assert_ptr_null(APR_ARRAY_IDX(without->keys, i, aoidc_jwk_t).evp);
    }
    cjose_jwk_t *key = aoidc_test_key("ec-p256", tp);
    aoidc_jws_t *j = parse(
        aoidc_test_sign(key, "ES256", "ec-1", NULL, aoidc_test_claims(), tp));
    ck_assert_ok(
        aoidc_jws_verify(j, with, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err), err);
    ck_assert_ok(
        aoidc_jws_verify(j, without, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err),
        err);
    aoidc_jws_t bad = *j;
    /* one header character ("b" -> "c"): a valid encoding, signed wrongly */
    bad.compact = apr_pstrdup(tp, j->compact);
    ((char *)bad.compact)[5] ^= 0x01;
    ck_assert_reason(
        aoidc_jws_verify(&bad, with, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err),
        err, AOIDC_REASON_SIGNATURE);
    ck_assert_reason(
        aoidc_jws_verify(&bad, without, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err),
        err, AOIDC_REASON_SIGNATURE);
}
END_TEST

/* The snapshot's keys are shared by the worker threads. */
typedef struct {
    const aoidc_jwk_t *k;
    const aoidc_jws_t *good, *bad;
    int ok;
} job_t;

static void *verify_many(void *data)
{
    job_t *j = data;
    for (int i = 0; i < 25; i++) {
        j->ok += evp_check(j->k, j->good, j->good->sig, j->good->siglen) == 1;
        j->ok += evp_check(j->k, j->bad, j->good->sig, j->good->siglen) == 0;
    }
    return NULL;
}

START_TEST(threads_share_a_key)
{
    cjose_jwk_t *key = aoidc_test_key(_i ? "ec-p256" : "rsa2048", tp);
    const aoidc_jwk_t *k = one_key(key, NULL);
    aoidc_jws_t *good = parse(aoidc_test_sign(key, _i ? "ES256" : "PS256", "k",
                                              NULL, aoidc_test_claims(), tp));
    aoidc_jws_t bad = *good;
    bad.signed_len--;
    pthread_t t[4];
    job_t jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job_t){k, good, &bad, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, verify_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(jobs[i].ok, 50);
    }
}
END_TEST

TCase *aoidc_jwk_evp_tcase(void)
{
    TCase *tc = aoidc_test_tcase("jwk_evp");
    tcase_add_loop_test(tc, every_alg_round_trips, 0,
                        (int)(sizeof(pairs) / sizeof(pairs[0])));
    tcase_add_loop_test(tc, sha256_given, 0,
                        (int)(sizeof(pairs) / sizeof(pairs[0])));
    tcase_add_test(tc, rfc7515_a2_rs256);
    tcase_add_test(tc, rfc7515_a3_es256);
    tcase_add_test(tc, es_signature_shape);
    tcase_add_test(tc, verifiers_follow_key);
    tcase_add_test(tc, kept_context_follows_the_key);
    tcase_add_test(tc, cjose_only_keys);
    tcase_add_loop_test(tc, threads_share_a_key, 0, 2);
    return tc;
}
