/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/jwt.c: claim checks. The rule-by-rule cases are data in
 * test/vectors/jwt/<case>/{claims.json,expect.json}; edge cases that are
 * easier in C follow.
 */
#include <string.h>

#include "core/json.h"
#include "core/jwt.h"
#include "unit.h"

static apr_array_header_t *cases;

static const char *str_or_null(const json_t *o, const char *k)
{
    return aoidc_json_str(o, k);
}

START_TEST(vector)
{
    const char *name = APR_ARRAY_IDX(cases, _i, const char *);
    apr_size_t clen, elen;
    char *ctxt = aoidc_test_read(
        apr_pstrcat(tp, "jwt/", name, "/claims.json", NULL), &clen, tp);
    char *etxt = aoidc_test_read(
        apr_pstrcat(tp, "jwt/", name, "/expect.json", NULL), &elen, tp);
    json_t *claims, *expect, *r;
    apr_int64_t now, leeway;
    aoidc_err_t err = {0};
    ck_assert_ptr_nonnull(ctxt);
    ck_assert_ptr_nonnull(etxt);
    ck_assert_ok(aoidc_json_parse(&claims, ctxt, clen, 65536, false, tp, &err),
                 err);
    ck_assert_ok(aoidc_json_parse(&expect, etxt, elen, 65536, false, tp, &err),
                 err);
    r = json_object_get(expect, "rules");
    ck_assert(aoidc_json_int(r, "now", &now));
    ck_assert(aoidc_json_int(r, "leeway", &leeway));
    aoidc_jwt_rules_t rules = {
        str_or_null(r, "issuer"),
        str_or_null(r, "audience"),
        str_or_null(r, "azp"),
        apr_time_from_sec(now),
        leeway,
        json_is_true(json_object_get(r, "require_iat")),
        json_is_true(json_object_get(r, "require_sub")),
    };
    const char *want = aoidc_json_str(expect, "result");
    apr_status_t rv = aoidc_jwt_check(claims, &rules, tp, &err);
    aoidc_json_members_t m;
    if (aoidc_json_fast_members(&m, ctxt, clen, tp)) {
        /* the members path (aoidc_jws_parse_lean) judges the same */
        aoidc_jwt_reg_t reg;
        aoidc_err_t merr = {0};
        aoidc_jwt_reg_from_members(&reg, &m, tp);
        ck_assert_msg(aoidc_jwt_check_reg(&reg, &rules, tp, &merr) == rv
                          && merr.reason == err.reason,
                      "%s: members %s, json %s", name,
                      aoidc_reason_name(merr.reason),
                      aoidc_reason_name(err.reason));
    }
    if (!strcmp(want, "ok")) {
        ck_assert_msg(rv == APR_SUCCESS, "%s: %s (%s)", name,
                      aoidc_reason_name(err.reason), err.detail);
    }
    else {
        int reason = aoidc_test_reason_from_name(want);
        ck_assert_msg(reason >= 0, "%s: unknown reason %s", name, want);
        ck_assert_msg(rv != APR_SUCCESS, "%s: accepted, expected %s", name,
                      want);
        ck_assert_msg(err.reason == (aoidc_reason_t)reason,
                      "%s: expected %s, got %s (%s)", name, want,
                      aoidc_reason_name(err.reason), err.detail);
    }
}
END_TEST

START_TEST(vectors_present)
{
    ck_assert_int_ge(cases->nelts, 30);
}
END_TEST

static aoidc_jwt_rules_t rules(void)
{
    aoidc_jwt_rules_t r = {T_ISS, T_AUD, NULL, T_NOW, 60, false, false};
    return r;
}

START_TEST(aud_has)
{
    json_t *s = json_string("a"), *arr = json_pack("[s, i, s, n]", "x", 1, "a");
    json_t *obj = json_pack("{s:s}", "a", "a"), *num = json_integer(1);
    ck_assert(aoidc_jwt_aud_has(s, "a"));
    ck_assert(!aoidc_jwt_aud_has(s, "b"));
    ck_assert(!aoidc_jwt_aud_has(s, "A"));
    ck_assert(!aoidc_jwt_aud_has(s, ""));
    ck_assert(aoidc_jwt_aud_has(arr, "a"));
    ck_assert(aoidc_jwt_aud_has(arr, "x"));
    ck_assert(!aoidc_jwt_aud_has(arr, "1"));
    ck_assert(!aoidc_jwt_aud_has(obj, "a"));
    ck_assert(!aoidc_jwt_aud_has(num, "1"));
    ck_assert(!aoidc_jwt_aud_has(NULL, "a"));
    json_decref(s);
    json_decref(arr);
    json_decref(obj);
    json_decref(num);
}
END_TEST

START_TEST(rules_without_issuer_or_audience_fail)
{
    json_t *c = aoidc_json_own(aoidc_test_claims(), tp);
    aoidc_jwt_rules_t r = rules();
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_jwt_check(c, &r, tp, &err), err);
    r.issuer = NULL;
    ck_assert_reason(aoidc_jwt_check(c, &r, tp, &err), err,
                     AOIDC_REASON_ISSUER);
    r = rules();
    r.audience = NULL;
    ck_assert_reason(aoidc_jwt_check(c, &r, tp, &err), err,
                     AOIDC_REASON_AUDIENCE);
}
END_TEST

START_TEST(exp_boundaries_in_microseconds)
{
    /* now is in microseconds; whole seconds decide */
    json_t *c = aoidc_json_own(aoidc_test_claims(), tp);
    aoidc_jwt_rules_t r = rules();
    aoidc_err_t err = {0};
    json_object_set_new(c, "exp", json_integer(T_NOW_SEC - 60));
    r.now = T_NOW + 999999; /* still second T_NOW_SEC */
    ck_assert_ok(aoidc_jwt_check(c, &r, tp, &err), err);
    r.now = T_NOW + 1000000;
    ck_assert_reason(aoidc_jwt_check(c, &r, tp, &err), err,
                     AOIDC_REASON_EXPIRED);
}
END_TEST

START_TEST(exp_far_future)
{
    /* a NumericDate at the top of the int64 range is far in the future, not
     * expired; computing exp + leeway must not overflow (UBSan aborts). */
    json_t *c = aoidc_json_own(aoidc_test_claims(), tp);
    aoidc_jwt_rules_t r = rules();
    aoidc_err_t err = {0};
    json_object_set_new(c, "exp", json_integer(INT64_MAX));
    ck_assert_ok(aoidc_jwt_check(c, &r, tp, &err), err);
    json_object_set_new(c, "exp", json_integer(INT64_MAX - 30));
    ck_assert_ok(aoidc_jwt_check(c, &r, tp, &err), err);
}
END_TEST

START_TEST(exp_negative)
{
    json_t *c = aoidc_json_own(aoidc_test_claims(), tp);
    aoidc_jwt_rules_t r = rules();
    aoidc_err_t err = {0};
    json_object_set_new(c, "exp", json_integer(INT64_MIN));
    ck_assert_reason(aoidc_jwt_check(c, &r, tp, &err), err,
                     AOIDC_REASON_EXPIRED);
    json_object_set_new(c, "exp", json_integer(-1));
    ck_assert_reason(aoidc_jwt_check(c, &r, tp, &err), err,
                     AOIDC_REASON_EXPIRED);
}
END_TEST

START_TEST(nbf_iat_extremes)
{
    /* security review finding 12: no NumericDate overflows (UBSan) */
    json_t *c = aoidc_json_own(aoidc_test_claims(), tp);
    aoidc_jwt_rules_t r = rules();
    aoidc_err_t err = {0};
    json_object_set_new(c, "nbf", json_integer(INT64_MIN));
    json_object_set_new(c, "iat", json_integer(INT64_MIN));
    ck_assert_ok(aoidc_jwt_check(c, &r, tp, &err), err);
    json_object_set_new(c, "nbf", json_integer(INT64_MAX));
    ck_assert_reason(aoidc_jwt_check(c, &r, tp, &err), err,
                     AOIDC_REASON_NOT_YET_VALID);
    json_object_del(c, "nbf");
    json_object_set_new(c, "iat", json_integer(INT64_MAX));
    ck_assert_reason(aoidc_jwt_check(c, &r, tp, &err), err,
                     AOIDC_REASON_NOT_YET_VALID);
    json_object_set_new(c, "iat", json_real(-9.1e18));
    ck_assert_ok(aoidc_jwt_check(c, &r, tp, &err), err);
}
END_TEST

START_TEST(check_order)
{
    /* with everything wrong, the issuer is named first */
    json_t *c = json_pack("{s:s, s:s, s:I}", "iss", "x", "aud", "y", "exp",
                          (json_int_t)1);
    aoidc_jwt_rules_t r = rules();
    aoidc_err_t err = {0};
    aoidc_json_own(c, tp);
    ck_assert_reason(aoidc_jwt_check(c, &r, tp, &err), err,
                     AOIDC_REASON_ISSUER);
}
END_TEST

/* --- aoidc_jwt_reg_from_members: the same claims, the same verdicts ---- */

static const char *reg_base = "\"iss\":\"" T_ISS "\",\"sub\":\"s\"";

/* The claims {reg_base, extra}: reg from members equals reg from the
 * jansson object field by field, and aoidc_jwt_check_reg gives the same
 * status and reason on both under r; returns that reason (0: success). */
static int reg_verdict(const char *extra, const aoidc_jwt_rules_t *r)
{
    const char *in =
        apr_psprintf(tp, "{%s%s%s}", reg_base, *extra ? "," : "", extra);
    aoidc_json_members_t m;
    aoidc_jwt_reg_t a, b;
    aoidc_err_t ea = {0}, eb = {0};
    json_t *j;
    ck_assert_ok(aoidc_json_parse(&j, in, strlen(in), 4096, false, tp, &ea),
                 ea);
    ck_assert_msg(aoidc_json_fast_members(&m, in, strlen(in), tp), "%s", in);
    aoidc_jwt_reg_from_members(&a, &m, tp);
    aoidc_jwt_reg_from_json(&b, j, tp);
    ck_assert_int_eq(a.aud_n, b.aud_n);
    ck_assert_int_eq(a.aud_array, b.aud_array);
    ck_assert_int_eq(!a.aud, !b.aud);
    for (int i = 0; i < a.aud_n; i++) {
        ck_assert_int_eq(!a.aud[i], !b.aud[i]);
        ck_assert(!a.aud[i] || !strcmp(a.aud[i], b.aud[i]));
    }
    ck_assert_int_eq(!a.azp, !b.azp);
    ck_assert_int_eq(a.azp_present, b.azp_present);
    ck_assert_int_eq(a.exp.present, b.exp.present);
    ck_assert_int_eq(a.exp.num, b.exp.num);
    ck_assert_int_eq(a.nbf.present, b.nbf.present);
    ck_assert_int_eq(a.nbf.num, b.nbf.num);
    ck_assert_int_eq(a.iat.present, b.iat.present);
    ck_assert_int_eq(a.iat.num, b.iat.num);
    ck_assert_int_eq(a.exp.v, b.exp.v);
    apr_status_t ra = aoidc_jwt_check_reg(&a, r, tp, &ea);
    apr_status_t rb = aoidc_jwt_check_reg(&b, r, tp, &eb);
    ck_assert_msg(ra == rb && ea.reason == eb.reason, "%s: %s vs %s", in,
                  aoidc_reason_name(ea.reason), aoidc_reason_name(eb.reason));
    return ra == APR_SUCCESS ? 0 : (int)ea.reason;
}

#define EXP_OK "\"exp\":1700000600"

START_TEST(reg_members_aud)
{
    aoidc_jwt_rules_t r = rules();
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":\"client-1\"", &r), 0);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":\"client-2\"", &r),
                     AOIDC_REASON_AUDIENCE);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[1,null,{\"a\":\"client-1\"},"
                                        "[\"client-1\"],true,\"client-1\"]",
                                 &r),
                     0);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[1,[\"client-1\"],"
                                        "{\"client-1\":\"client-1\"}]",
                                 &r),
                     AOIDC_REASON_AUDIENCE);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":{\"client-1\":1}", &r),
                     AOIDC_REASON_AUDIENCE);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":null", &r),
                     AOIDC_REASON_AUDIENCE);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":1", &r),
                     AOIDC_REASON_AUDIENCE);
    ck_assert_int_eq(reg_verdict(EXP_OK, &r), AOIDC_REASON_AUDIENCE);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[]", &r),
                     AOIDC_REASON_AUDIENCE);
}
END_TEST

/* OIDC Core 3.1.3.7 (4)(5): azp with several audiences, counted as the
 * array's size (non-strings too) */
START_TEST(reg_members_azp)
{
    aoidc_jwt_rules_t r = rules();
    r.azp = T_AUD;
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[\"client-1\",\"x\"]", &r),
                     AOIDC_REASON_AZP);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[\"client-1\",1]", &r),
                     AOIDC_REASON_AZP);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[\"client-1\",\"x\"],"
                                        "\"azp\":\"client-1\"",
                                 &r),
                     0);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[\"client-1\",\"x\"],"
                                        "\"azp\":\"x\"",
                                 &r),
                     AOIDC_REASON_AZP);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[\"client-1\"],"
                                        "\"azp\":null",
                                 &r),
                     AOIDC_REASON_AZP);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":\"client-1\",\"azp\":1", &r),
                     AOIDC_REASON_AZP);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[\"client-1\"]", &r), 0);
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":\"client-1\"", &r), 0);
    r.azp = NULL; /* unchecked */
    ck_assert_int_eq(reg_verdict(EXP_OK ",\"aud\":[\"client-1\",\"x\"],"
                                        "\"azp\":\"x\"",
                                 &r),
                     0);
}
END_TEST

START_TEST(reg_members_times)
{
    aoidc_jwt_rules_t r = rules();
#define AUD "\"aud\":\"client-1\""
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD ",\"nbf\":\"1\"", &r),
                     AOIDC_REASON_NOT_YET_VALID);
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD ",\"nbf\":null", &r),
                     AOIDC_REASON_NOT_YET_VALID);
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD ",\"nbf\":[1]", &r),
                     AOIDC_REASON_NOT_YET_VALID);
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD ",\"nbf\":1700000000", &r), 0);
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD ",\"nbf\":1700000061", &r),
                     AOIDC_REASON_NOT_YET_VALID);
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD ",\"iat\":true", &r),
                     AOIDC_REASON_IAT);
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD ",\"iat\":{}", &r),
                     AOIDC_REASON_IAT);
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD ",\"iat\":-1", &r), 0);
    ck_assert_int_eq(reg_verdict(AUD, &r), AOIDC_REASON_EXPIRED);
    ck_assert_int_eq(reg_verdict(AUD ",\"exp\":true", &r),
                     AOIDC_REASON_EXPIRED);
    ck_assert_int_eq(reg_verdict(AUD ",\"exp\":\"1700000600\"", &r),
                     AOIDC_REASON_EXPIRED);
    ck_assert_int_eq(reg_verdict(AUD ",\"exp\":null", &r),
                     AOIDC_REASON_EXPIRED);
    ck_assert_int_eq(reg_verdict(AUD ",\"exp\":1699999940", &r), 0);
    ck_assert_int_eq(reg_verdict(AUD ",\"exp\":1699999939", &r),
                     AOIDC_REASON_EXPIRED);
    ck_assert_int_eq(reg_verdict(AUD ",\"exp\":-999999999999999999", &r),
                     AOIDC_REASON_EXPIRED);
    r.require_iat = true;
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD, &r), AOIDC_REASON_IAT);
    r.require_sub = true;
    reg_base = "\"iss\":\"" T_ISS "\",\"sub\":1";
    ck_assert_int_eq(reg_verdict(EXP_OK "," AUD ",\"iat\":1", &r),
                     AOIDC_REASON_SUB);
    reg_base = "\"iss\":\"" T_ISS "\",\"sub\":\"s\"";
#undef AUD
}
END_TEST

TCase *aoidc_jwt_tcase(void)
{
    TCase *tc = aoidc_test_tcase("jwt");
    apr_pool_t *p;
    apr_pool_create(&p, NULL);
    cases = aoidc_test_list_dir("jwt", p);
    tcase_add_test(tc, vectors_present);
    tcase_add_loop_test(tc, vector, 0, cases->nelts);
    tcase_add_test(tc, aud_has);
    tcase_add_test(tc, rules_without_issuer_or_audience_fail);
    tcase_add_test(tc, exp_boundaries_in_microseconds);
    tcase_add_test(tc, exp_far_future);
    tcase_add_test(tc, exp_negative);
    tcase_add_test(tc, nbf_iat_extremes);
    tcase_add_test(tc, check_order);
    tcase_add_test(tc, reg_members_aud);
    tcase_add_test(tc, reg_members_azp);
    tcase_add_test(tc, reg_members_times);
    return tc;
}
