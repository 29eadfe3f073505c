/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/jws.c: compact JWS parsing and verification. Most cases are data in
 * test/vectors/jws/<case>/ (RFC 7515 Appendix A, RFC 7520 §4.1 and the
 * RFC 8725 attacks); adding a case is adding a folder (gen-vectors.py).
 */
#include <stdlib.h>
#include <string.h>

#include "core/b64url.h"
#include "core/json.h"
#include "core/jws.h"
#include "unit.h"

static apr_array_header_t *cases; /* of char *, filled at TCase creation */

static json_t *load_json(const char *rel)
{
    apr_size_t len;
    json_error_t e;
    char *txt = aoidc_test_read(rel, &len, tp);
    ck_assert_msg(txt != NULL, "cannot read %s", rel);
    json_t *j = json_loadb(txt, len, 0, &e);
    ck_assert_msg(j != NULL, "%s: %s", rel, e.text);
    return aoidc_json_own(j, tp);
}

static void check_reason(apr_status_t rv, const aoidc_err_t *err,
                         const char *want, const char *what, const char *name)
{
    if (!strcmp(want, "ok")) {
        ck_assert_msg(rv == APR_SUCCESS, "%s: %s failed: %s (%s)", name, what,
                      aoidc_reason_name(err->reason),
                      err->detail ? err->detail : "");
        return;
    }
    int r = aoidc_test_reason_from_name(want);
    ck_assert_msg(r >= 0, "%s: unknown reason %s", name, want);
    ck_assert_msg(rv != APR_SUCCESS, "%s: %s succeeded, expected %s", name,
                  what, want);
    ck_assert_msg(err->reason == (aoidc_reason_t)r,
                  "%s: %s: expected %s, got %s (%s)", name, what, want,
                  aoidc_reason_name(err->reason),
                  err->detail ? err->detail : "");
}

static unsigned allowed_of(const json_t *expect)
{
    json_t *a = json_object_get(expect, "allowed"), *v;
    size_t i;
    unsigned m = 0;
    if (!a) {
        return AOIDC_ALGS_ASYMMETRIC;
    }
    json_array_foreach(a, i, v)
    {
        m |= aoidc_jws_alg_bit(json_string_value(v));
    }
    return m;
}

/* RFC 7520 §4.1 signs text, not claims: aoidc_jws_parse refuses it, so
 * the signature is checked on a record built by hand. */
static aoidc_jws_t *raw_jws(const char *token, apr_size_t len)
{
    aoidc_jws_t *j = apr_pcalloc(tp, sizeof(*j));
    unsigned char *hdr;
    apr_size_t hlen;
    aoidc_err_t err = {0};
    const char *dot = strchr(token, '.');
    ck_assert_ptr_nonnull(dot);
    ck_assert_ok(aoidc_b64url_decode(&hdr, &hlen, token,
                                     (apr_size_t)(dot - token), tp, &err),
                 err);
    ck_assert_ok(
        aoidc_json_parse(&j->header, (char *)hdr, hlen, 4096, false, tp, &err),
        err);
    j->compact = token;
    j->len = len;
    j->alg = aoidc_json_str(j->header, "alg");
    j->kid = aoidc_json_str(j->header, "kid");
    j->typ = aoidc_json_str(j->header, "typ");
    return j;
}

/* The OpenSSL verifier (jwk_evp.c) and cjose give one verdict on every
 * vector whose key has a verifier for its alg. */
static void evp_agrees_with_cjose(const aoidc_jws_t *jws,
                                  const aoidc_jwks_t *jwks, const char *name)
{
    const aoidc_jwk_t *k = aoidc_jwks_find(jwks, jws->kid, jws->alg);
    const char *d2 = strrchr(jws->compact, '.');
    unsigned char *sig;
    apr_size_t siglen;
    cjose_err cerr;
    if (!k || !k->evp || !d2
        || aoidc_b64url_decode(&sig, &siglen, d2 + 1, strlen(d2 + 1), tp, NULL)
               != APR_SUCCESS) {
        return;
    }
    int evp = aoidc_jwk_evp_verify(
        k->evp, jws->alg, (const unsigned char *)jws->compact,
        (apr_size_t)(d2 - jws->compact), sig, siglen);
    if (evp < 0) {
        return;
    }
    cjose_jws_t *cj = cjose_jws_import(jws->compact, jws->len, &cerr);
    bool ok = cj && cjose_jws_verify(cj, k->key, &cerr);
    if (cj) {
        cjose_jws_release(cj);
    }
    ck_assert_msg(evp == ok, "%s: OpenSSL says %d, cjose %d", name, evp, ok);
}

START_TEST(vector)
{
    const char *name = APR_ARRAY_IDX(cases, _i, const char *);
    const char *dir = apr_pstrcat(tp, "jws/", name, "/", NULL);
    apr_size_t tlen, jlen;
    char *token =
        aoidc_test_read(apr_pstrcat(tp, dir, "token", NULL), &tlen, tp);
    char *jwks_txt =
        aoidc_test_read(apr_pstrcat(tp, dir, "jwks.json", NULL), &jlen, tp);
    json_t *expect = load_json(apr_pstrcat(tp, dir, "expect.json", NULL));
    const char *want_parse = aoidc_json_str(expect, "parse");
    const char *want_verify = aoidc_json_str(expect, "verify");
    const char *secret = aoidc_json_str(expect, "hmac_secret");
    const char *secret_b64 = aoidc_json_str(expect, "hmac_secret_b64url");
    aoidc_jwks_t *jwks;
    aoidc_jws_t *jws = NULL;
    aoidc_err_t err = {0};
    apr_status_t rv;

    ck_assert_ptr_nonnull(token);
    ck_assert_ptr_nonnull(jwks_txt);
    ck_assert_ptr_nonnull(want_parse);
    ck_assert_ok(aoidc_jwks_parse(&jwks, jwks_txt, jlen, tp, &err), err);
    if (secret_b64) {
        unsigned char *raw;
        apr_size_t n;
        ck_assert_ok(aoidc_b64url_decode(&raw, &n, secret_b64,
                                         strlen(secret_b64), tp, &err),
                     err);
        ck_assert_uint_eq(strlen((char *)raw), n); /* usable as a C string */
        secret = (const char *)raw;
    }

    rv = aoidc_jws_parse(&jws, token, tlen, tp, &err);
    check_reason(rv, &err, want_parse, "parse", name);
    if (rv != APR_SUCCESS) {
        if (!json_is_true(json_object_get(expect, "verify_raw"))) {
            return;
        }
        jws = raw_jws(token, tlen);
    }
    else {
        ck_assert_ptr_nonnull(jws->header);
        ck_assert(json_is_object(jws->payload));
        ck_assert_ptr_nonnull(jws->alg);
        ck_assert_uint_eq(jws->len, tlen);
    }
    ck_assert_ptr_nonnull(want_verify);
    memset(&err, 0, sizeof(err));
    rv = aoidc_jws_verify(jws, jwks, allowed_of(expect), secret, tp, &err);
    check_reason(rv, &err, want_verify, "verify", name);
    evp_agrees_with_cjose(jws, jwks, name);
}
END_TEST

START_TEST(alg_bits)
{
    static const char *const names[] = {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
        "ES256", "ES384", "ES512", "HS256", "HS384", "HS512",
    };
    unsigned all = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        unsigned b = aoidc_jws_alg_bit(names[i]);
        ck_assert_uint_eq(b, 1u << i);
        all |= b;
    }
    ck_assert_uint_eq(all, AOIDC_ALGS_ASYMMETRIC | AOIDC_ALGS_HMAC);
    ck_assert_uint_eq(AOIDC_ALGS_ASYMMETRIC & AOIDC_ALGS_HMAC, 0);
    ck_assert_uint_eq(aoidc_jws_alg_bit(NULL), 0);
    ck_assert_uint_eq(aoidc_jws_alg_bit("none"), 0);
    ck_assert_uint_eq(aoidc_jws_alg_bit("rs256"), 0);
    ck_assert_uint_eq(aoidc_jws_alg_bit("RS256 "), 0);
    ck_assert_uint_eq(aoidc_jws_alg_bit("EdDSA"), 0);
    ck_assert_uint_eq(aoidc_jws_alg_bit(""), 0);
}
END_TEST

START_TEST(parse_fields)
{
    cjose_jwk_t *k = aoidc_test_key("rsa2048", tp);
    char *t =
        aoidc_test_sign(k, "RS256", "rsa-1", "at+jwt", aoidc_test_claims(), tp);
    aoidc_jws_t *j;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_jws_parse(&j, t, strlen(t), tp, &err), err);
    ck_assert_str_eq(j->alg, "RS256");
    ck_assert_str_eq(j->kid, "rsa-1");
    ck_assert_str_eq(j->typ, "at+jwt");
    ck_assert_str_eq(j->compact, t);
    ck_assert_ptr_ne(j->compact, t); /* copied into p */
    ck_assert_str_eq(aoidc_json_str(j->payload, "sub"), "alice");
    t = aoidc_test_sign(k, "RS256", NULL, NULL, aoidc_test_claims(), tp);
    ck_assert_ok(aoidc_jws_parse(&j, t, strlen(t), tp, &err), err);
    ck_assert_ptr_null(j->kid);
    ck_assert_ptr_null(j->typ);
    ck_assert_ok(aoidc_jws_verify(j, aoidc_test_jwks(tp), AOIDC_ALG_RS256, NULL,
                                  tp, &err),
                 err);
}
END_TEST

/* header JSON + ".e30.AAAA": a token whose header is hdr */
static const char *with_header(const char *hdr)
{
    return apr_pstrcat(
        tp, aoidc_b64url_encode((const unsigned char *)hdr, strlen(hdr), tp),
        ".eyJzdWIiOiJhIn0.AAAA", NULL);
}

/* The lean parse reads a flat header in place and leaves header NULL; it
 * accepts and refuses exactly what the full parse does. */
START_TEST(parse_lean_same_verdicts)
{
    static const struct {
        const char *hdr;
        aoidc_reason_t reason; /* 0: parses */
        bool in_place;
    } hdrs[] = {
        {"{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"k\"}", 0, true},
        {" {\"alg\" : \"RS256\", \"x\":[1]} ", 0, false},
        {"{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\"}}", 0, false},
        {"{\"alg\":\"RS256\",\"n\":-12,\"b\":true,\"z\":null}", 0, true},
        {"{\"alg\":\"R\\u0053256\"}", 0, false}, /* jansson's: RS256 */
        {"{\"alg\":\"RS256\",\"kid\":7}", AOIDC_REASON_JWS_MALFORMED, true},
        {"{\"alg\":\"RS256\",\"typ\":null}", AOIDC_REASON_JWS_MALFORMED, true},
        {"{\"alg\":1}", AOIDC_REASON_JWS_MALFORMED, true},
        {"{}", AOIDC_REASON_JWS_MALFORMED, true},
        {"{\"alg\":\"RS256\",\"crit\":null}", AOIDC_REASON_CRIT, true},
        {"{\"alg\":\"RS256\",\"crit\":[\"b64\"]}", AOIDC_REASON_CRIT, false},
        {"{\"alg\":\"RS256\",\"alg\":\"none\"}", AOIDC_REASON_JWS_MALFORMED,
         false},
        {"{\"alg\":\"RS256\"", AOIDC_REASON_JWS_MALFORMED, false},
        {"{\"alg\":\"RS256\"} x", AOIDC_REASON_JWS_MALFORMED, false},
        {"{\"alg\":\"RS256\",}", AOIDC_REASON_JWS_MALFORMED, false},
        {"{\"alg\":01}", AOIDC_REASON_JWS_MALFORMED, false},
        {"[\"alg\"]", AOIDC_REASON_JWS_MALFORMED, false},
    };
    for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
        const char *t = with_header(hdrs[i].hdr);
        aoidc_jws_t *full, *lean;
        aoidc_err_t e1 = {0}, e2 = {0};
        apr_status_t r1 = aoidc_jws_parse(&full, t, strlen(t), tp, &e1);
        apr_status_t r2 = aoidc_jws_parse_lean(&lean, t, strlen(t), tp, &e2);
        ck_assert_msg((r1 == APR_SUCCESS) == (r2 == APR_SUCCESS)
                          && e1.reason == e2.reason,
                      "case %zu: %s vs %s", i, aoidc_reason_name(e1.reason),
                      aoidc_reason_name(e2.reason));
        ck_assert_msg(e1.reason == hdrs[i].reason, "case %zu: %s", i,
                      aoidc_reason_name(e1.reason));
        if (r1 == APR_SUCCESS) {
            ck_assert_str_eq(lean->alg, full->alg);
            ck_assert(!lean->kid == !full->kid);
            ck_assert(!lean->typ == !full->typ);
            ck_assert_ptr_nonnull(full->header);
            ck_assert_msg(!lean->header == hdrs[i].in_place, "case %zu", i);
            /* the payload ({"sub":"a"}) is plain: read as members */
            ck_assert_ptr_null(lean->payload);
            ck_assert_int_eq(lean->members.n, 1);
            ck_assert_str_eq(lean->members.m[0].key, "sub");
            ck_assert_str_eq(lean->members.m[0].text, "a");
            ck_assert_str_eq(aoidc_json_str(full->payload, "sub"), "a");
        }
    }
}
END_TEST

/* The lean parse reads a plain payload as members (payload NULL) and
 * leaves the rest to jansson (payload set, members.m NULL), with the full
 * parse's verdict and payload. */
START_TEST(parse_lean_payload_fallback)
{
    static const struct {
        const char *payload;
        bool members;
        aoidc_reason_t reason; /* 0: parses */
    } pls[] = {
        {"{\"sub\":\"a\",\"n\":[1,{\"b\" : \"c\"}]}", true, 0},
        {"{\"sub\":\"a\\\"b\"}", false, 0},
        {"{\"sub\":\"a\\u0062\"}", false, 0},
        {"{\"sub\":\"caf\xc3\xa9\"}", false, 0},
        {"{\"exp\":1.5}", false, 0},
        {"{\"exp\":-0}", false, 0},
        {"{\"o\":{\"b\":[-0]}}", false, 0},
        {"{\"sub\":\"a\",\"sub\":\"b\"}", false, AOIDC_REASON_JWS_MALFORMED},
        {"{\"sub\":\"a\"} x", false, AOIDC_REASON_JWS_MALFORMED},
        {"[\"sub\"]", false, AOIDC_REASON_JWS_MALFORMED},
    };
    const char *hdr = "eyJhbGciOiJSUzI1NiJ9"; /* {"alg":"RS256"} */
    for (size_t i = 0; i < sizeof(pls) / sizeof(pls[0]); i++) {
        const char *pl = pls[i].payload;
        const char *t = apr_pstrcat(
            tp, hdr, ".",
            aoidc_b64url_encode((const unsigned char *)pl, strlen(pl), tp),
            ".AAAA", NULL);
        aoidc_jws_t *full, *lean;
        aoidc_err_t e1 = {0}, e2 = {0};
        apr_status_t r1 = aoidc_jws_parse(&full, t, strlen(t), tp, &e1);
        apr_status_t r2 = aoidc_jws_parse_lean(&lean, t, strlen(t), tp, &e2);
        ck_assert_msg(r1 == r2 && e1.reason == e2.reason
                          && e1.reason == pls[i].reason,
                      "case %zu: %s vs %s", i, aoidc_reason_name(e1.reason),
                      aoidc_reason_name(e2.reason));
        if (r1 != APR_SUCCESS) {
            continue;
        }
        ck_assert_msg(!lean->members.m == !pls[i].members, "case %zu", i);
        if (pls[i].members) {
            ck_assert_ptr_null(lean->payload);
            ck_assert_int_eq(lean->members.n,
                             (int)json_object_size(full->payload));
        }
        else {
            ck_assert_ptr_nonnull(lean->payload);
            ck_assert_int_eq(lean->members.n, 0);
            ck_assert(json_equal(lean->payload, full->payload));
        }
    }
}
END_TEST

START_TEST(parse_honours_len)
{
    cjose_jwk_t *k = aoidc_test_key("ec-p256", tp);
    char *t =
        aoidc_test_sign(k, "ES256", "ec-1", NULL, aoidc_test_claims(), tp);
    apr_size_t n = strlen(t);
    char *padded = apr_pstrcat(tp, t, "trailing-garbage", NULL);
    aoidc_jws_t *j;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_jws_parse(&j, padded, n, tp, &err), err);
    ck_assert_str_eq(j->compact, t);
    ck_assert_ok(aoidc_jws_verify(j, aoidc_test_jwks(tp), AOIDC_ALG_ES256, NULL,
                                  tp, &err),
                 err);
}
END_TEST

START_TEST(parse_refuses_nul)
{
    cjose_jwk_t *k = aoidc_test_key("rsa2048", tp);
    char *t =
        aoidc_test_sign(k, "RS256", "rsa-1", NULL, aoidc_test_claims(), tp);
    apr_size_t n = strlen(t);
    aoidc_jws_t *j;
    aoidc_err_t err = {0};
    t[n - 3] = '\0';
    ck_assert_reason(aoidc_jws_parse(&j, t, n, tp, &err), err,
                     AOIDC_REASON_JWS_MALFORMED);
}
END_TEST

START_TEST(max_token_len)
{
    /* a well-formed token of exactly the limit parses; one more byte not */
    cjose_jwk_t *k = aoidc_test_key("rsa2048", tp);
    char *t =
        aoidc_test_sign(k, "RS256", "rsa-1", NULL, aoidc_test_claims(), tp);
    apr_size_t base = strlen(t);
    /* grow the claims until the token is exactly AOIDC_MAX_OP_TOKEN_LEN */
    apr_size_t pad = (AOIDC_MAX_OP_TOKEN_LEN - base) * 3 / 4;
    for (;;) {
        json_t *c = aoidc_test_claims();
        char *fill = apr_palloc(tp, pad + 1);
        memset(fill, 'x', pad);
        fill[pad] = '\0';
        json_object_set_new(c, "p", json_string(fill));
        t = aoidc_test_sign(k, "RS256", "rsa-1", NULL, c, tp);
        if (strlen(t) >= AOIDC_MAX_OP_TOKEN_LEN) {
            break;
        }
        pad++;
    }
    aoidc_jws_t *j;
    aoidc_err_t err = {0};
    if (strlen(t) == AOIDC_MAX_OP_TOKEN_LEN) {
        ck_assert_ok(aoidc_jws_parse(&j, t, strlen(t), tp, &err), err);
    }
    else {
        ck_assert_reason(aoidc_jws_parse(&j, t, strlen(t), tp, &err), err,
                         AOIDC_REASON_JWS_MALFORMED);
    }
    char *big = apr_palloc(tp, AOIDC_MAX_OP_TOKEN_LEN + 2);
    memset(big, 'A', AOIDC_MAX_OP_TOKEN_LEN + 1);
    big[10] = big[20] = '.';
    big[AOIDC_MAX_OP_TOKEN_LEN + 1] = '\0';
    ck_assert_reason(
        aoidc_jws_parse(&j, big, AOIDC_MAX_OP_TOKEN_LEN + 1, tp, &err), err,
        AOIDC_REASON_JWS_MALFORMED);
}
END_TEST

START_TEST(hmac_only_with_secret)
{
    char *t = aoidc_test_sign_hmac("s3cret-s3cret-s3cret-s3cret-s3cret",
                                   "HS256", aoidc_test_claims(), tp);
    aoidc_jws_t *j;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_jws_parse(&j, t, strlen(t), tp, &err), err);
    ck_assert_ok(aoidc_jws_verify(j, NULL, AOIDC_ALG_HS256,
                                  "s3cret-s3cret-s3cret-s3cret-s3cret", tp,
                                  &err),
                 err);
    ck_assert_reason(
        aoidc_jws_verify(j, NULL, AOIDC_ALG_HS256, "other", tp, &err), err,
        AOIDC_REASON_SIGNATURE);
    ck_assert_reason(aoidc_jws_verify(j, NULL, AOIDC_ALG_HS256, "", tp, &err),
                     err, AOIDC_REASON_ALG);
    ck_assert_reason(aoidc_jws_verify(j, NULL, AOIDC_ALG_HS256, NULL, tp, &err),
                     err, AOIDC_REASON_ALG);
    ck_assert_reason(aoidc_jws_verify(j, NULL, AOIDC_ALGS_ASYMMETRIC,
                                      "s3cret-s3cret-s3cret-s3cret-s3cret", tp,
                                      &err),
                     err, AOIDC_REASON_ALG);
    ck_assert_reason(aoidc_jws_verify(j, NULL, AOIDC_ALG_HS384,
                                      "s3cret-s3cret-s3cret-s3cret-s3cret", tp,
                                      &err),
                     err, AOIDC_REASON_ALG);
}
END_TEST

START_TEST(half_hash)
{
    /* OIDC Core A.3: at_hash of this access token with RS256 */
    ck_assert_str_eq(
        aoidc_jws_half_hash("RS256",
                            "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", tp),
        "77QmUPtjPfzWtF2AnpK9RQ");
    ck_assert_str_eq(aoidc_jws_half_hash("ES256",
                                         "jHkWEdUXMU1BwAsC4vtUsZwnNvTI"
                                         "xEl0z9K3vx5KF0Y",
                                         tp),
                     "77QmUPtjPfzWtF2AnpK9RQ");
    ck_assert_uint_eq(strlen(aoidc_jws_half_hash("PS384", "x", tp)), 32);
    ck_assert_uint_eq(strlen(aoidc_jws_half_hash("ES512", "x", tp)), 43);
    ck_assert_uint_eq(strlen(aoidc_jws_half_hash("HS256", "x", tp)), 22);
    ck_assert_ptr_null(aoidc_jws_half_hash("none", "x", tp));
    ck_assert_ptr_null(aoidc_jws_half_hash("EdDSA", "x", tp));
    ck_assert_ptr_null(aoidc_jws_half_hash("RS1", "x", tp));
    ck_assert_ptr_null(aoidc_jws_half_hash("RS2566", "x", tp));
    ck_assert_ptr_null(aoidc_jws_half_hash(NULL, "x", tp));
}
END_TEST

START_TEST(key_types_checked_before_cjose)
{
    /* an RS256 token whose kid names the EC key: no suitable key, and the
     * RSA signature is never handed to cjose with the EC key */
    cjose_jwk_t *k = aoidc_test_key("rsa2048", tp);
    char *t =
        aoidc_test_sign(k, "RS256", "ec-1", NULL, aoidc_test_claims(), tp);
    aoidc_jws_t *j;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_jws_parse(&j, t, strlen(t), tp, &err), err);
    ck_assert_reason(aoidc_jws_verify(j, aoidc_test_jwks(tp),
                                      AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err),
                     err, AOIDC_REASON_KEY_UNKNOWN);
    ck_assert_reason(
        aoidc_jws_verify(j, NULL, AOIDC_ALGS_ASYMMETRIC, NULL, tp, &err), err,
        AOIDC_REASON_KEY_UNKNOWN);
}
END_TEST

START_TEST(vectors_present)
{
    /* an empty or missing vectors folder must not pass silently */
    ck_assert_int_ge(cases->nelts, 50);
}
END_TEST

TCase *aoidc_jws_tcase(void)
{
    TCase *tc = aoidc_test_tcase("jws");
    apr_pool_t *p;
    apr_pool_create(&p, NULL); /* lives as long as the process */
    cases = aoidc_test_list_dir("jws", p);
    tcase_add_test(tc, vectors_present);
    tcase_add_loop_test(tc, vector, 0, cases->nelts);
    tcase_add_test(tc, alg_bits);
    tcase_add_test(tc, parse_fields);
    tcase_add_test(tc, parse_lean_same_verdicts);
    tcase_add_test(tc, parse_lean_payload_fallback);
    tcase_add_test(tc, parse_honours_len);
    tcase_add_test(tc, parse_refuses_nul);
    tcase_add_test(tc, max_token_len);
    tcase_add_test(tc, hmac_only_with_secret);
    tcase_add_test(tc, half_hash);
    tcase_add_test(tc, key_types_checked_before_cjose);
    return tc;
}
