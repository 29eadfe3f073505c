/* SPDX-License-Identifier: Apache-2.0 */
/* core/auth_response.c: callback parameters and RFC 9207. */
#include <string.h>

#include "core/auth_response.h"
#include "core/url.h"
#include "unit.h"

#define STATE43 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123_-x"

static char *repeat(char c, apr_size_t n)
{
    char *s = apr_palloc(tp, n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

START_TEST(code_ok)
{
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_auth_response_parse(
                     &r,
                     "code=c0de&state=" STATE43
                     "&iss=https%3A%2F%2Fop.example.com&session_state=x",
                     tp, &err),
                 err);
    ck_assert_str_eq(r.code, "c0de");
    ck_assert_str_eq(r.state, STATE43);
    ck_assert_str_eq(r.iss, T_ISS);
    ck_assert_ptr_null(r.error);
    ck_assert_ptr_null(r.error_description);
}
END_TEST

START_TEST(error_ok)
{
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_auth_response_parse(
                     &r,
                     "error=access_denied&error_description=User+said+no&"
                     "state=" STATE43,
                     tp, &err),
                 err);
    ck_assert_str_eq(r.error, "access_denied");
    ck_assert_str_eq(r.error_description, "User said no");
    ck_assert_ptr_null(r.code);
}
END_TEST

START_TEST(state_rules)
{
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    const char *bad[] = {
        "code=x",
        "code=x&state=",
        apr_pstrcat(tp, "code=x&state=", repeat('a', 21), NULL),
        apr_pstrcat(tp, "code=x&state=", repeat('a', 129), NULL),
        "code=x&state=abcdefghijklmnopqrstuvwxyz.ABC",
        "code=x&state=abcdefghijklmnopqrstuvwxyz+ABC",
        "code=x&state=abcdefghijklmnopqrstuvwxyz%2FABC",
        "code=x&state=abcdefghijklmnopqrstuvwxyz%3DABC",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_reason(aoidc_auth_response_parse(&r, bad[i], tp, &err), err,
                         AOIDC_REASON_STATE_MISSING);
    }
    ck_assert_reason(aoidc_auth_response_parse(&r, NULL, tp, &err), err,
                     AOIDC_REASON_STATE_MISSING);
    ck_assert_ok(aoidc_auth_response_parse(
                     &r,
                     apr_pstrcat(tp, "code=x&state=", repeat('a', 22), NULL),
                     tp, &err),
                 err);
    ck_assert_ok(aoidc_auth_response_parse(
                     &r,
                     apr_pstrcat(tp, "code=x&state=", repeat('a', 128), NULL),
                     tp, &err),
                 err);
}
END_TEST

START_TEST(code_required_without_error)
{
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    ck_assert_reason(aoidc_auth_response_parse(&r, "state=" STATE43, tp, &err),
                     err, AOIDC_REASON_MALFORMED);
    ck_assert_reason(
        aoidc_auth_response_parse(&r, "code=&state=" STATE43, tp, &err), err,
        AOIDC_REASON_MALFORMED);
}
END_TEST

START_TEST(names_are_case_sensitive)
{
    /* "CODE" is not "code": without a code (and no error) the response is
     * refused rather than read case-insensitively */
    aoidc_auth_response_t ar;
    aoidc_err_t err = {0};
    ck_assert_int_ne(
        aoidc_auth_response_parse(
            &ar, "CODE=c&state=abcdefghijklmnopqrstuvwxyz0123", tp, &err),
        APR_SUCCESS);
    ck_assert_int_eq(err.reason, AOIDC_REASON_MALFORMED);
}
END_TEST

START_TEST(syntax_refused)
{
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    static const char *const bad[] = {
        "code=a&code=b&state=" STATE43, /* repeated */
        "code=a&state=" STATE43 "&state=" STATE43,
        "code=a%0d%0aX&state=" STATE43, /* CR LF */
        "code=a%00&state=" STATE43,     /* NUL */
        "code=a%zz&state=" STATE43,     /* bad escape */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_reason(aoidc_auth_response_parse(&r, bad[i], tp, &err), err,
                         AOIDC_REASON_MALFORMED);
    }
}
END_TEST

START_TEST(size_limits)
{
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    const char *ok = apr_pstrcat(tp, "code=", repeat('c', AOIDC_MAX_PARAM_LEN),
                                 "&state=" STATE43, NULL);
    ck_assert_ok(aoidc_auth_response_parse(&r, ok, tp, &err), err);
    const char *longp =
        apr_pstrcat(tp, "code=", repeat('c', AOIDC_MAX_PARAM_LEN + 1),
                    "&state=" STATE43, NULL);
    ck_assert_reason(aoidc_auth_response_parse(&r, longp, tp, &err), err,
                     AOIDC_REASON_TOO_LARGE);
    /* the decoded length counts: %41 is one byte */
    char *enc = apr_palloc(tp, 3 * AOIDC_MAX_PARAM_LEN + 1);
    for (int i = 0; i < AOIDC_MAX_PARAM_LEN; i++) {
        memcpy(enc + 3 * i, "%41", 3);
    }
    enc[3 * AOIDC_MAX_PARAM_LEN] = '\0';
    ck_assert_ok(aoidc_auth_response_parse(
                     &r, apr_pstrcat(tp, "code=", enc, "&state=" STATE43, NULL),
                     tp, &err),
                 err);
    const char *huge = apr_pstrcat(tp, "state=" STATE43 "&code=x&x=",
                                   repeat('x', 8 * AOIDC_MAX_PARAM_LEN), NULL);
    ck_assert_reason(aoidc_auth_response_parse(&r, huge, tp, &err), err,
                     AOIDC_REASON_TOO_LARGE);
    char *many = apr_pstrdup(tp, "code=x&state=" STATE43);
    for (int i = 0; i < 15; i++) {
        many = apr_psprintf(tp, "%s&p%d=1", many, i);
    }
    ck_assert_reason(aoidc_auth_response_parse(&r, many, tp, &err), err,
                     AOIDC_REASON_TOO_LARGE);
}
END_TEST

START_TEST(check_iss)
{
    aoidc_auth_response_t r = {"c", STATE43, T_ISS, NULL, NULL, NULL};
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_auth_response_check_iss(&r, T_ISS, true, tp, &err), err);
    ck_assert_ok(aoidc_auth_response_check_iss(&r, T_ISS, false, tp, &err),
                 err);
    ck_assert_reason(
        aoidc_auth_response_check_iss(&r, T_ISS "/", false, tp, &err), err,
        AOIDC_REASON_ISS_PARAM);
    ck_assert_reason(aoidc_auth_response_check_iss(&r, "https://evil.example",
                                                   true, tp, &err),
                     err, AOIDC_REASON_ISS_PARAM);
    r.iss = NULL;
    ck_assert_ok(aoidc_auth_response_check_iss(&r, T_ISS, false, tp, &err),
                 err);
    ck_assert_reason(aoidc_auth_response_check_iss(&r, T_ISS, true, tp, &err),
                     err, AOIDC_REASON_ISS_PARAM);
    r.iss = "";
    ck_assert_reason(aoidc_auth_response_check_iss(&r, T_ISS, false, tp, &err),
                     err, AOIDC_REASON_ISS_PARAM);
}
END_TEST

/* A form_post body is the same syntax as a query ('+' a space); what is
 * required depends on the response type. */
START_TEST(form_by_response_type)
{
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    const char *hybrid = "state=" STATE43 "&code=c0de&id_token=a.b.c"
                         "&session_state=x+y";
    ck_assert_ok(aoidc_auth_response_parse_for(
                     &r, hybrid, AOIDC_RT_CODE_ID_TOKEN, tp, &err),
                 err);
    ck_assert_str_eq(r.code, "c0de");
    ck_assert_str_eq(r.id_token, "a.b.c");
    /* a type ignores what it does not return */
    ck_assert_ok(
        aoidc_auth_response_parse_for(&r, hybrid, AOIDC_RT_CODE, tp, &err),
        err);
    ck_assert_ptr_null(r.id_token);
    ck_assert_ok(
        aoidc_auth_response_parse_for(&r, hybrid, AOIDC_RT_ID_TOKEN, tp, &err),
        err);
    ck_assert_ptr_null(r.code);
    ck_assert_str_eq(r.id_token, "a.b.c");
    /* hybrid needs both, implicit its ID Token */
    ck_assert_reason(
        aoidc_auth_response_parse_for(&r, "state=" STATE43 "&code=c0de",
                                      AOIDC_RT_CODE_ID_TOKEN, tp, &err),
        err, AOIDC_REASON_MALFORMED);
    ck_assert_reason(
        aoidc_auth_response_parse_for(&r, "state=" STATE43 "&id_token=a.b.c",
                                      AOIDC_RT_CODE_ID_TOKEN, tp, &err),
        err, AOIDC_REASON_MALFORMED);
    ck_assert_reason(aoidc_auth_response_parse_for(
                         &r, "state=" STATE43 "&code=c0de&id_token=",
                         AOIDC_RT_ID_TOKEN, tp, &err),
                     err, AOIDC_REASON_MALFORMED);
    /* an error needs neither; error_description decoded as a form */
    ck_assert_ok(aoidc_auth_response_parse_for(&r,
                                               "state=" STATE43
                                               "&error=access_denied"
                                               "&error_description=no+way",
                                               AOIDC_RT_ID_TOKEN, tp, &err),
                 err);
    ck_assert_str_eq(r.error_description, "no way");
    /* the state rules are the same */
    ck_assert_reason(aoidc_auth_response_parse_for(&r, "id_token=a.b.c",
                                                   AOIDC_RT_ID_TOKEN, tp, &err),
                     err, AOIDC_REASON_STATE_MISSING);
}
END_TEST

START_TEST(form_size_limits)
{
    aoidc_auth_response_t r;
    aoidc_err_t err = {0};
    /* an ID Token may be longer than other values, up to the token bound */
    const char *ok = apr_pstrcat(tp, "state=" STATE43 "&id_token=",
                                 repeat('a', AOIDC_MAX_TOKEN_LEN), NULL);
    ck_assert_ok(
        aoidc_auth_response_parse_for(&r, ok, AOIDC_RT_ID_TOKEN, tp, &err),
        err);
    ck_assert_reason(
        aoidc_auth_response_parse_for(
            &r,
            apr_pstrcat(tp, "state=" STATE43 "&id_token=",
                        repeat('a', AOIDC_MAX_TOKEN_LEN + 1), NULL),
            AOIDC_RT_ID_TOKEN, tp, &err),
        err, AOIDC_REASON_TOO_LARGE);
    ck_assert_reason(
        aoidc_auth_response_parse_for(
            &r,
            apr_pstrcat(tp, "state=" STATE43 "&id_token=a.b.c&code=",
                        repeat('c', AOIDC_MAX_PARAM_LEN + 1), NULL),
            AOIDC_RT_CODE_ID_TOKEN, tp, &err),
        err, AOIDC_REASON_TOO_LARGE);
    /* the whole body is bounded before it is parsed */
    ck_assert_reason(
        aoidc_auth_response_parse_for(
            &r,
            apr_pstrcat(tp, "state=" STATE43 "&x=",
                        repeat('x', AOIDC_AUTH_RESPONSE_MAX), NULL),
            AOIDC_RT_CODE, tp, &err),
        err, AOIDC_REASON_TOO_LARGE);
    /* the code flow's own query bound stays as it was */
    ck_assert_reason(
        aoidc_auth_response_parse(
            &r,
            apr_pstrcat(tp, "state=" STATE43 "&code=c&id_token=",
                        repeat('a', 8 * AOIDC_MAX_PARAM_LEN), NULL),
            tp, &err),
        err, AOIDC_REASON_TOO_LARGE);
}
END_TEST

START_TEST(mode_check)
{
    aoidc_err_t err = {0};
    ck_assert_ok(
        aoidc_auth_response_check_mode(AOIDC_RM_QUERY, false, tp, &err), err);
    ck_assert_ok(
        aoidc_auth_response_check_mode(AOIDC_RM_FORM_POST, true, tp, &err),
        err);
    ck_assert_reason(
        aoidc_auth_response_check_mode(AOIDC_RM_QUERY, true, tp, &err), err,
        AOIDC_REASON_MALFORMED);
    ck_assert_ptr_nonnull(strstr(err.detail, "query"));
    ck_assert_reason(
        aoidc_auth_response_check_mode(AOIDC_RM_FORM_POST, false, tp, &err),
        err, AOIDC_REASON_MALFORMED);
    ck_assert_ptr_nonnull(strstr(err.detail, "form_post"));
}
END_TEST

#define ORIGIN "https://rp.example.com"

static apr_status_t initiate(aoidc_initiate_t *out, const char *q,
                             aoidc_err_t *err)
{
    *err = (aoidc_err_t){0};
    return aoidc_initiate_parse(out, q, T_ISS, ORIGIN, tp, err);
}

START_TEST(initiate_ok)
{
    aoidc_initiate_t in;
    aoidc_err_t err = {0};
    apr_table_t *t;
    ck_assert_ok(initiate(&in, "iss=https%3A%2F%2Fop.example.com", &err), err);
    ck_assert_ptr_null(in.target);
    ck_assert_ptr_null(in.login_hint);
    ck_assert_ok(initiate(&in,
                          "iss=https%3A%2F%2Fop.example.com&login_hint=bob%40x"
                          "&target_link_uri=https%3A%2F%2Frp.example.com%2Fapp"
                          "%2Fx%3Fy%3D1&extra=ignored",
                          &err),
                 err);
    ck_assert_str_eq(in.target, "/app/x?y=1");
    ck_assert_str_eq(in.login_hint, "bob@x");
    ck_assert_ok(initiate(&in,
                          "iss=https%3A%2F%2Fop.example.com"
                          "&target_link_uri=https%3A%2F%2Frp.example.com",
                          &err),
                 err);
    ck_assert_str_eq(in.target, "/");
    ck_assert_ok(initiate(&in,
                          "iss=https%3A%2F%2Fop.example.com"
                          "&target_link_uri=%2Fapp%2F",
                          &err),
                 err);
    ck_assert_str_eq(in.target, "/app/");
    /* what is an initiation and what a (broken) response */
    ck_assert_ok(aoidc_url_parse_query(&t, "iss=x&login_hint=y", 16, tp, &err),
                 err);
    ck_assert(aoidc_initiate_is(t));
    const char *responses[] = {"iss=x&state=s", "iss=x&code=c", "iss=x&error=e",
                               "iss=x&id_token=t", "target_link_uri=%2F"};
    for (size_t i = 0; i < sizeof(responses) / sizeof(*responses); i++) {
        ck_assert_ok(aoidc_url_parse_query(&t, responses[i], 16, tp, &err),
                     err);
        ck_assert_msg(!aoidc_initiate_is(t), "%s", responses[i]);
    }
}
END_TEST

/* open redirects the incumbent had here, and their cousins */
START_TEST(initiate_refused)
{
    aoidc_initiate_t in;
    aoidc_err_t err = {0};
    const char *iss = "iss=https%3A%2F%2Fop.example.com&target_link_uri=";
    const char *bad[] = {
        "https%3A%2F%2Fevil.example.com%2F",
        "https%3A%2F%2Frp.example.com.evil.example%2F",
        "https%3A%2F%2Frp.example.com%40evil.example%2F",
        "https%3A%2F%2Frp.example.com%3A8443%2F",
        "http%3A%2F%2Frp.example.com%2F",
        "%2F%2Fevil.example%2F",
        "%2F%5Cevil.example",
        "https%3A%2F%2Frp.example.com%2F%2Fevil.example",
        "https%3A%2F%2Frp.example.com%2F%5Cevil.example",
        "%2Fapp%23frag",
        "javascript%3Aalert(1)",
        "evil.example",
        "HTTPS%3A%2F%2Frp.example.com%2F",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        ck_assert_msg(initiate(&in, apr_pstrcat(tp, iss, bad[i], NULL), &err)
                          != APR_SUCCESS,
                      "%s accepted", bad[i]);
        ck_assert_int_eq(err.reason, AOIDC_REASON_RETURN_URL);
    }
    ck_assert_reason(
        initiate(&in,
                 apr_pstrcat(tp, iss, "%2F",
                             repeat('a', AOIDC_INITIATE_TARGET_MAX), NULL),
                 &err),
        err, AOIDC_REASON_RETURN_URL);
    /* only this location's issuer, exactly */
    ck_assert_reason(initiate(&in, "iss=https%3A%2F%2Fevil.example", &err), err,
                     AOIDC_REASON_ISS_PARAM);
    ck_assert_reason(initiate(&in, "iss=https%3A%2F%2Fop.example.com%2F", &err),
                     err, AOIDC_REASON_ISS_PARAM);
    ck_assert_reason(initiate(&in, "login_hint=x", &err), err,
                     AOIDC_REASON_ISS_PARAM);
    ck_assert_reason(
        initiate(&in,
                 apr_pstrcat(tp, "iss=https%3A%2F%2Fop.example.com&login_hint=",
                             repeat('h', AOIDC_LOGIN_HINT_MAX + 1), NULL),
                 &err),
        err, AOIDC_REASON_TOO_LARGE);
    ck_assert_reason(initiate(&in, "iss=a&iss=b", &err), err,
                     AOIDC_REASON_MALFORMED);
}
END_TEST

TCase *aoidc_auth_response_tcase(void)
{
    TCase *tc = aoidc_test_tcase("auth_response");
    tcase_add_test(tc, code_ok);
    tcase_add_test(tc, error_ok);
    tcase_add_test(tc, state_rules);
    tcase_add_test(tc, code_required_without_error);
    tcase_add_test(tc, names_are_case_sensitive);
    tcase_add_test(tc, syntax_refused);
    tcase_add_test(tc, size_limits);
    tcase_add_test(tc, check_iss);
    tcase_add_test(tc, form_by_response_type);
    tcase_add_test(tc, form_size_limits);
    tcase_add_test(tc, mode_check);
    tcase_add_test(tc, initiate_ok);
    tcase_add_test(tc, initiate_refused);
    return tc;
}
