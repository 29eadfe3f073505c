/* SPDX-License-Identifier: Apache-2.0 */
/* core/id_token.c: OIDC Core 3.1.3.7 on tokens signed here with cjose. */
#include <string.h>

#include "core/id_token.h"
#include "core/json.h"
#include "core/profile.h"
#include "unit.h"

#define NONCE  "n-0S6_WzA2Mj"
#define SECRET "a-client-secret-of-32-bytes-long!"

static json_t *claims(void)
{
    json_t *c = aoidc_test_claims();
    json_object_set_new(c, "nonce", json_string(NONCE));
    return c;
}

static aoidc_id_token_rules_t rules(void)
{
    aoidc_id_token_rules_t r = {.issuer = T_ISS,
                                .client_id = T_AUD,
                                .nonce = NONCE,
                                .now = T_NOW,
                                .leeway = 60};
    return r;
}

static char *rs256(json_t *c)
{
    return aoidc_test_sign(aoidc_test_key("rsa2048", tp), "RS256", "rsa-1",
                           "JWT", c, tp);
}

static apr_status_t validate(const char *tok, const aoidc_id_token_rules_t *r,
                             aoidc_err_t *err)
{
    json_t *out = NULL;
    apr_status_t rv =
        aoidc_id_token_validate(&out, tok, aoidc_test_jwks(tp), r, tp, err);
    if (rv == APR_SUCCESS) {
        ck_assert_str_eq(aoidc_json_str(out, "sub"), "alice");
    }
    return rv;
}

START_TEST(valid_rs256_es256)
{
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    ck_assert_ok(validate(rs256(claims()), &r, &err), err);
    char *es = aoidc_test_sign(aoidc_test_key("ec-p256", tp), "ES256", "ec-1",
                               NULL, claims(), tp);
    ck_assert_ok(validate(es, &r, &err), err);
    char *ps = aoidc_test_sign(aoidc_test_key("rsa2048", tp), "PS256", "rsa-1",
                               NULL, claims(), tp);
    ck_assert_ok(validate(ps, &r, &err), err);
}
END_TEST

/* AuthOIDCProfile fapi2 narrows the list to PS256 and ES256 (profile.h),
 * for the login's ID Token and a refresh's alike */
START_TEST(fapi2_alg_list)
{
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    r.algs = AOIDC_FAPI2_ALGS;
    r.client_secret = "a-client-secret-0123456789";
    ck_assert_reason(validate(rs256(claims()), &r, &err), err,
                     AOIDC_REASON_ALG);
    ck_assert_int_eq(aoidc_id_token_algs(&r), AOIDC_FAPI2_ALGS);
    char *es = aoidc_test_sign(aoidc_test_key("ec-p256", tp), "ES256", "ec-1",
                               NULL, claims(), tp);
    ck_assert_ok(validate(es, &r, &err), err);
    char *ps = aoidc_test_sign(aoidc_test_key("rsa2048", tp), "PS256", "rsa-1",
                               NULL, claims(), tp);
    ck_assert_ok(validate(ps, &r, &err), err);
    r.algs = 0;
    ck_assert_int_ne(aoidc_id_token_algs(&r) & AOIDC_ALGS_HMAC, 0);
}
END_TEST

START_TEST(claims_returned)
{
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    json_t *out = NULL;
    json_t *c = claims();
    json_object_set_new(c, "email", json_string("a@example.com"));
    ck_assert_ok(aoidc_id_token_validate(&out, rs256(c), aoidc_test_jwks(tp),
                                         &r, tp, &err),
                 err);
    ck_assert_str_eq(aoidc_json_str(out, "email"), "a@example.com");
    ck_assert_str_eq(aoidc_json_str(out, "nonce"), NONCE);
}
END_TEST

START_TEST(nonce)
{
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    json_t *c = claims();
    json_object_set_new(c, "nonce", json_string("other"));
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_NONCE);
    c = claims();
    json_object_del(c, "nonce");
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_NONCE);
    c = claims();
    json_object_set_new(c, "nonce", json_integer(1));
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_NONCE);
    /* a login without a nonce never accepts a token */
    r.nonce = NULL;
    ck_assert_reason(validate(rs256(claims()), &r, &err), err,
                     AOIDC_REASON_NONCE);
    /* the nonce is compared exactly */
    r.nonce = NONCE "x";
    ck_assert_reason(validate(rs256(claims()), &r, &err), err,
                     AOIDC_REASON_NONCE);
}
END_TEST

/* The password grant sends no nonce: the token must then carry none, of
 * any type. */
START_TEST(no_nonce_sent)
{
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    r.nonce = NULL;
    r.no_nonce = true;
    json_t *c = claims();
    json_object_del(c, "nonce");
    ck_assert_ok(validate(rs256(c), &r, &err), err);
    ck_assert_reason(validate(rs256(claims()), &r, &err), err,
                     AOIDC_REASON_NONCE);
    c = claims();
    json_object_set_new(c, "nonce", json_null());
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_NONCE);
}
END_TEST

START_TEST(at_hash)
{
    const char *at = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    json_t *c = claims();
    json_object_set_new(c, "at_hash", json_string("77QmUPtjPfzWtF2AnpK9RQ"));
    char *tok = rs256(c);
    r.access_token = at;
    ck_assert_ok(validate(tok, &r, &err), err);
    /* present without an access token to compare with */
    r.access_token = NULL;
    ck_assert_reason(validate(tok, &r, &err), err, AOIDC_REASON_AT_HASH);
    /* another access token */
    r.access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Z";
    ck_assert_reason(validate(tok, &r, &err), err, AOIDC_REASON_AT_HASH);
    /* wrong value, wrong type */
    r.access_token = at;
    c = claims();
    json_object_set_new(c, "at_hash", json_string("77QmUPtjPfzWtF2AnpK9RR"));
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_AT_HASH);
    c = claims();
    json_object_set_new(c, "at_hash", json_null());
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_AT_HASH);
    /* absent: fine with or without an access token */
    ck_assert_ok(validate(rs256(claims()), &r, &err), err);
    /* the hash follows the token's alg: SHA-384 for PS384 */
    c = claims();
    json_object_set_new(c, "at_hash",
                        json_string(aoidc_jws_half_hash("PS384", at, tp)));
    ck_assert_ok(validate(aoidc_test_sign(aoidc_test_key("rsa2048", tp),
                                          "PS384", "rsa-1", NULL, c, tp),
                          &r, &err),
                 err);
}
END_TEST

START_TEST(hs256_with_client_secret)
{
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    char *tok = aoidc_test_sign_hmac(SECRET, "HS256", claims(), tp);
    r.client_secret = SECRET;
    ck_assert_ok(validate(tok, &r, &err), err);
    r.client_secret = "another-secret-of-32-bytes-long!!";
    ck_assert_reason(validate(tok, &r, &err), err, AOIDC_REASON_SIGNATURE);
    r.client_secret = NULL;
    ck_assert_reason(validate(tok, &r, &err), err, AOIDC_REASON_ALG);
    /* with a secret configured, RS256 still works */
    r.client_secret = SECRET;
    ck_assert_ok(validate(rs256(claims()), &r, &err), err);
}
END_TEST

START_TEST(jose_failures_surface)
{
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    char *tok = aoidc_test_sign(aoidc_test_key("rsa2048", tp), "RS256", "nope",
                                NULL, claims(), tp);
    ck_assert_reason(validate(tok, &r, &err), err, AOIDC_REASON_KEY_UNKNOWN);
    tok = aoidc_test_sign(aoidc_test_key("rsa2048-other", tp), "RS256", "rsa-1",
                          NULL, claims(), tp);
    ck_assert_reason(validate(tok, &r, &err), err, AOIDC_REASON_SIGNATURE);
    ck_assert_reason(validate("a.b.c", &r, &err), err,
                     AOIDC_REASON_JWS_MALFORMED);
    ck_assert_reason(validate("", &r, &err), err, AOIDC_REASON_JWS_MALFORMED);
    /* alg none: header {"alg":"none"}, the RFC 7515 A.5 payload, junk sig */
    ck_assert_reason(
        validate("eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkz"
                 "ODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.c2ln",
                 &r, &err),
        err, AOIDC_REASON_ALG);
}
END_TEST

START_TEST(claim_rules)
{
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    json_t *c;

    c = claims();
    json_object_set_new(c, "iss", json_string(T_ISS "/"));
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_ISSUER);
    c = claims();
    json_object_set_new(c, "aud", json_string("someone-else"));
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_AUDIENCE);
    c = claims();
    json_object_set_new(c, "aud", json_pack("[s, s]", T_AUD, "other"));
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_AZP);
    c = claims();
    json_object_set_new(c, "aud", json_pack("[s, s]", T_AUD, "other"));
    json_object_set_new(c, "azp", json_string(T_AUD));
    ck_assert_ok(validate(rs256(c), &r, &err), err);
    c = claims();
    json_object_set_new(c, "azp", json_string("other"));
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_AZP);
    c = claims();
    json_object_del(c, "iat");
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_IAT);
    c = claims();
    json_object_del(c, "sub");
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_SUB);
    c = claims();
    json_object_set_new(c, "exp", json_integer(T_NOW_SEC - 61));
    ck_assert_reason(validate(rs256(c), &r, &err), err, AOIDC_REASON_EXPIRED);
    c = claims();
    json_object_set_new(c, "exp", json_integer(T_NOW_SEC - 60));
    ck_assert_ok(validate(rs256(c), &r, &err), err);
    c = claims();
    json_object_set_new(c, "nbf", json_integer(T_NOW_SEC + 61));
    ck_assert_reason(validate(rs256(c), &r, &err), err,
                     AOIDC_REASON_NOT_YET_VALID);
}
END_TEST

/* --- refresh responses (OIDC Core §12.2; security review finding 21) ---- */

#define AUTH_TIME (T_NOW_SEC - 600)

/* Claims of the ID Token the session was created with. */
static json_t *original(void)
{
    json_t *c = claims();
    json_object_set_new(c, "auth_time", json_integer(AUTH_TIME));
    json_object_set_new(c, "iat", json_integer(T_NOW_SEC - 600));
    return aoidc_json_own(c, tp);
}

/* A refreshed ID Token's claims: issued now, same user, no nonce. */
static json_t *refreshed(void)
{
    json_t *c = aoidc_test_claims();
    json_object_set_new(c, "auth_time", json_integer(AUTH_TIME));
    return c;
}

static aoidc_id_token_refresh_rules_t refresh_rules(void)
{
    aoidc_id_token_refresh_rules_t r = {T_ISS, T_AUD, NULL, "alice", original(),
                                        NULL,  T_NOW, 60,   0};
    return r;
}

static apr_status_t validate_refresh(const char *tok,
                                     const aoidc_id_token_refresh_rules_t *r,
                                     aoidc_err_t *err)
{
    json_t *out = NULL;
    apr_status_t rv = aoidc_id_token_validate_refresh(
        &out, tok, aoidc_test_jwks(tp), r, tp, err);
    if (rv == APR_SUCCESS) {
        ck_assert_str_eq(aoidc_json_str(out, "sub"), r->sub);
    }
    return rv;
}

START_TEST(refresh_ok)
{
    aoidc_id_token_refresh_rules_t r = refresh_rules();
    aoidc_err_t err = {0};
    ck_assert_ok(validate_refresh(rs256(refreshed()), &r, &err), err);
    /* the original nonce repeated is fine (§12.2 "SHOULD NOT" have one) */
    json_t *c = refreshed();
    json_object_set_new(c, "nonce", json_string(NONCE));
    ck_assert_ok(validate_refresh(rs256(c), &r, &err), err);
    /* auth_time may be left out */
    c = refreshed();
    json_object_del(c, "auth_time");
    ck_assert_ok(validate_refresh(rs256(c), &r, &err), err);
    /* without the original: only the session's issuer and sub compare */
    r.original = NULL;
    c = refreshed();
    json_object_set_new(c, "nonce", json_string("whatever"));
    json_object_set_new(c, "auth_time", json_integer(T_NOW_SEC));
    ck_assert_ok(validate_refresh(rs256(c), &r, &err), err);
    /* HS256 with the client secret, as at login */
    r = refresh_rules();
    r.client_secret = SECRET;
    ck_assert_ok(
        validate_refresh(aoidc_test_sign_hmac(SECRET, "HS256", refreshed(), tp),
                         &r, &err),
        err);
}
END_TEST

START_TEST(refresh_other_user_or_issuer)
{
    /* the finding: another user's or another issuer's token kept the
     * session serving */
    aoidc_id_token_refresh_rules_t r = refresh_rules();
    aoidc_err_t err = {0};
    json_t *c = refreshed();
    json_object_set_new(c, "sub", json_string("mallory"));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_SUB);
    c = refreshed();
    json_object_del(c, "sub");
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_SUB);
    r.sub = NULL;
    ck_assert_reason(validate_refresh(rs256(refreshed()), &r, &err), err,
                     AOIDC_REASON_SUB);
    r = refresh_rules();
    c = refreshed();
    json_object_set_new(c, "iss", json_string("https://evil.example"));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_ISSUER);
    /* a session created under another issuer than the one now asked */
    json_t *o = original();
    json_object_set_new(o, "iss", json_string("https://old.example"));
    r.original = o;
    ck_assert_reason(validate_refresh(rs256(refreshed()), &r, &err), err,
                     AOIDC_REASON_ISSUER);
}
END_TEST

START_TEST(refresh_audience_and_azp)
{
    aoidc_id_token_refresh_rules_t r = refresh_rules();
    aoidc_err_t err = {0};
    json_t *c = refreshed();
    json_object_set_new(c, "aud", json_string("someone-else"));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_AUDIENCE);
    c = refreshed();
    json_object_set_new(c, "aud", json_pack("[s, s]", T_AUD, "other"));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_AZP);
    /* azp appearing where the original had none */
    c = refreshed();
    json_object_set_new(c, "azp", json_string(T_AUD));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_AZP);
    /* azp kept as it was */
    json_t *o = original();
    json_object_set_new(o, "azp", json_string(T_AUD));
    r.original = o;
    c = refreshed();
    json_object_set_new(c, "azp", json_string(T_AUD));
    ck_assert_ok(validate_refresh(rs256(c), &r, &err), err);
    /* and dropped */
    ck_assert_reason(validate_refresh(rs256(refreshed()), &r, &err), err,
                     AOIDC_REASON_AZP);
}
END_TEST

START_TEST(refresh_nonce)
{
    aoidc_id_token_refresh_rules_t r = refresh_rules();
    aoidc_err_t err = {0};
    json_t *c = refreshed();
    json_object_set_new(c, "nonce", json_string("another-nonce"));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_NONCE);
    c = refreshed();
    json_object_set_new(c, "nonce", json_integer(7));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_NONCE);
}
END_TEST

START_TEST(refresh_auth_time)
{
    aoidc_id_token_refresh_rules_t r = refresh_rules();
    aoidc_err_t err = {0};
    json_t *c = refreshed();
    json_object_set_new(c, "auth_time", json_integer(T_NOW_SEC));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_AUTH_TIME);
    c = refreshed();
    json_object_set_new(c, "auth_time", json_string("yesterday"));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_AUTH_TIME);
    /* an original without auth_time: any number passes, a string does not */
    json_t *o = original();
    json_object_del(o, "auth_time");
    r.original = o;
    c = refreshed();
    json_object_set_new(c, "auth_time", json_integer(T_NOW_SEC));
    ck_assert_ok(validate_refresh(rs256(c), &r, &err), err);
    c = refreshed();
    json_object_set_new(c, "auth_time", json_string("now"));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_AUTH_TIME);
}
END_TEST

START_TEST(refresh_iat_and_exp)
{
    aoidc_id_token_refresh_rules_t r = refresh_rules();
    aoidc_err_t err = {0};
    json_t *c = refreshed();
    json_object_del(c, "iat");
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_IAT);
    c = refreshed();
    json_object_set_new(c, "iat", json_integer(T_NOW_SEC + 3600));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_NOT_YET_VALID);
    /* issued before the token it replaces */
    c = refreshed();
    json_object_set_new(c, "iat", json_integer(T_NOW_SEC - 600 - 61));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_IAT);
    c = refreshed();
    json_object_set_new(c, "iat", json_integer(T_NOW_SEC - 600 - 60));
    ck_assert_ok(validate_refresh(rs256(c), &r, &err), err);
    c = refreshed();
    json_object_set_new(c, "exp", json_integer(T_NOW_SEC - 61));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_EXPIRED);
    c = refreshed();
    json_object_set_new(c, "exp", json_integer(INT64_MAX));
    ck_assert_ok(validate_refresh(rs256(c), &r, &err), err);
}
END_TEST

START_TEST(refresh_signature_rules)
{
    aoidc_id_token_refresh_rules_t r = refresh_rules();
    aoidc_err_t err = {0};
    ck_assert_reason(
        validate_refresh(aoidc_test_sign(aoidc_test_key("rsa2048-other", tp),
                                         "RS256", "rsa-1", NULL, refreshed(),
                                         tp),
                         &r, &err),
        err, AOIDC_REASON_SIGNATURE);
    ck_assert_reason(
        validate_refresh(aoidc_test_sign(aoidc_test_key("rsa2048", tp), "RS256",
                                         "rsa-9", NULL, refreshed(), tp),
                         &r, &err),
        err, AOIDC_REASON_KEY_UNKNOWN);
    /* HS* never without the client secret */
    ck_assert_reason(
        validate_refresh(aoidc_test_sign_hmac(SECRET, "HS256", refreshed(), tp),
                         &r, &err),
        err, AOIDC_REASON_ALG);
    ck_assert_reason(validate_refresh("a.b.c", &r, &err), err,
                     AOIDC_REASON_JWS_MALFORMED);
}
END_TEST

START_TEST(refresh_at_hash)
{
    aoidc_id_token_refresh_rules_t r = refresh_rules();
    aoidc_err_t err = {0};
    r.access_token = "new-access-token";
    json_t *c = refreshed();
    json_object_set_new(
        c, "at_hash",
        json_string(aoidc_jws_half_hash("RS256", "new-access-token", tp)));
    ck_assert_ok(validate_refresh(rs256(c), &r, &err), err);
    c = refreshed();
    json_object_set_new(
        c, "at_hash",
        json_string(aoidc_jws_half_hash("RS256", "old-access-token", tp)));
    ck_assert_reason(validate_refresh(rs256(c), &r, &err), err,
                     AOIDC_REASON_AT_HASH);
}
END_TEST

/* OIDC Core 3.3.2.11. The vector (the code of OIDC Core Appendix A.4)
 * was computed apart from the code under test, with Python's hashlib:
 * base64url(sha256(code)[:16]) and base64url(sha384(code)[:24]). */
#define HYBRID_CODE "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
#define C_HASH_256  "LDktKdoQak3Pk0cnXxCltA"
#define C_HASH_384  "Mq-knyaEMtWGfnBi2POEZb1kiLx10_DF"

START_TEST(c_hash)
{
    aoidc_id_token_rules_t r = rules();
    aoidc_err_t err = {0};
    json_t *c = claims();
    r.code = HYBRID_CODE;
    json_object_set_new(c, "c_hash", json_string(C_HASH_256));
    ck_assert_ok(validate(rs256(json_incref(c)), &r, &err), err);
    /* the alg's hash: RS384 takes the left half of SHA-384 */
    json_object_set_new(c, "c_hash", json_string(C_HASH_384));
    ck_assert_ok(
        validate(aoidc_test_sign(aoidc_test_key("rsa2048", tp), "RS384",
                                 "rsa-1", NULL, json_incref(c), tp),
                 &r, &err),
        err);
    ck_assert_reason(validate(rs256(json_incref(c)), &r, &err), err,
                     AOIDC_REASON_C_HASH);
    /* another code (one character off), and none at all */
    json_object_set_new(c, "c_hash", json_string(C_HASH_256));
    r.code = HYBRID_CODE "x";
    ck_assert_reason(validate(rs256(json_incref(c)), &r, &err), err,
                     AOIDC_REASON_C_HASH);
    r.code = HYBRID_CODE;
    json_object_del(c, "c_hash");
    ck_assert_reason(validate(rs256(json_incref(c)), &r, &err), err,
                     AOIDC_REASON_C_HASH);
    json_object_set_new(c, "c_hash", json_integer(1));
    ck_assert_reason(validate(rs256(json_incref(c)), &r, &err), err,
                     AOIDC_REASON_C_HASH);
    /* without a code (the token endpoint's ID Token) c_hash is not ours to
     * check */
    r.code = NULL;
    json_object_set_new(c, "c_hash", json_string("not-a-hash"));
    ck_assert_ok(validate(rs256(json_incref(c)), &r, &err), err);
    json_decref(c);
}
END_TEST

TCase *aoidc_id_token_tcase(void)
{
    TCase *tc = aoidc_test_tcase("id_token");
    tcase_add_test(tc, valid_rs256_es256);
    tcase_add_test(tc, claims_returned);
    tcase_add_test(tc, fapi2_alg_list);
    tcase_add_test(tc, nonce);
    tcase_add_test(tc, no_nonce_sent);
    tcase_add_test(tc, at_hash);
    tcase_add_test(tc, c_hash);
    tcase_add_test(tc, hs256_with_client_secret);
    tcase_add_test(tc, jose_failures_surface);
    tcase_add_test(tc, claim_rules);
    tcase_add_test(tc, refresh_ok);
    tcase_add_test(tc, refresh_other_user_or_issuer);
    tcase_add_test(tc, refresh_audience_and_azp);
    tcase_add_test(tc, refresh_nonce);
    tcase_add_test(tc, refresh_auth_time);
    tcase_add_test(tc, refresh_iat_and_exp);
    tcase_add_test(tc, refresh_signature_rules);
    tcase_add_test(tc, refresh_at_hash);
    return tc;
}
