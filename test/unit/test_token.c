/* SPDX-License-Identifier: Apache-2.0 */
/* core/token.c: client authentication and token endpoint answers. */
#include <string.h>

#include "core/b64url.h"
#include "core/token.h"
#include "core/url.h"
#include "unit.h"

START_TEST(client_auth_basic)
{
    aoidc_client_t c = {
        .client_id = "client-1", .client_secret = "s3cret", .use_post = false};
    const char *auth = "x";
    const char *body = aoidc_token_client_auth(&auth, "grant_type=x", &c, tp);
    ck_assert_str_eq(body, "grant_type=x");
    /* base64("client-1:s3cret") */
    ck_assert_str_eq(auth, "Basic Y2xpZW50LTE6czNjcmV0");
}
END_TEST

START_TEST(client_auth_basic_encodes_first)
{
    /* RFC 6749 §2.3.1: id and secret are form-encoded before base64, so a
     * ':' in the id cannot shift the split */
    aoidc_client_t c = {
        .client_id = "a:b", .client_secret = "p w/", .use_post = false};
    const char *auth;
    aoidc_token_client_auth(&auth, "", &c, tp);
    ck_assert_str_eq(auth, "Basic YSUzQWI6cCUyMHclMkY="); /* a%3Ab:p%20w%2F */
}
END_TEST

START_TEST(client_auth_post)
{
    aoidc_client_t c = {
        .client_id = "client 1", .client_secret = "s&cret", .use_post = true};
    const char *auth = "x";
    const char *body = aoidc_token_client_auth(&auth, "grant_type=x", &c, tp);
    ck_assert_ptr_null(auth);
    ck_assert_str_eq(
        body, "grant_type=x&client_id=client%201&client_secret=s%26cret");
}
END_TEST

START_TEST(client_auth_public)
{
    aoidc_client_t c = {
        .client_id = "pub", .client_secret = NULL, .use_post = false};
    const char *auth = "x";
    const char *body = aoidc_token_client_auth(&auth, "a=1", &c, tp);
    ck_assert_ptr_null(auth);
    ck_assert_str_eq(body, "a=1&client_id=pub");
    ck_assert_ptr_null(strstr(body, "client_secret"));
}
END_TEST

static apr_status_t parse(aoidc_token_response_t *t, int status,
                          const char *body, aoidc_err_t *err)
{
    return aoidc_token_response_parse(t, status, body, strlen(body), tp, err);
}

START_TEST(response_ok)
{
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    ck_assert_ok(parse(&t, 200,
                       "{\"access_token\":\"at\",\"token_type\":\"Bearer\","
                       "\"id_token\":\"a.b.c\",\"refresh_token\":\"rt\","
                       "\"scope\":\"openid email\",\"expires_in\":3600}",
                       &err),
                 err);
    ck_assert_str_eq(t.access_token, "at");
    ck_assert_str_eq(t.token_type, "Bearer");
    ck_assert_str_eq(t.id_token, "a.b.c");
    ck_assert_str_eq(t.refresh_token, "rt");
    ck_assert_str_eq(t.scope, "openid email");
    ck_assert_int_eq(t.expires_in, 3600);
}
END_TEST

START_TEST(response_minimal)
{
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    ck_assert_ok(parse(&t, 200,
                       "{\"access_token\":\"at\",\"token_type\":\"bEaReR\"}",
                       &err),
                 err);
    ck_assert_ptr_null(t.id_token);
    ck_assert_ptr_null(t.refresh_token);
    ck_assert_ptr_null(t.scope);
    ck_assert_int_eq(t.expires_in, -1);
    ck_assert_ok(parse(&t, 200,
                       "{\"access_token\":\"at\",\"token_type\":\"Bearer\","
                       "\"expires_in\":-5}",
                       &err),
                 err);
    ck_assert_int_eq(t.expires_in, -1);
    ck_assert_ok(parse(&t, 200,
                       "{\"access_token\":\"at\",\"token_type\":\"Bearer\","
                       "\"expires_in\":\"60\"}",
                       &err),
                 err);
    ck_assert_int_eq(t.expires_in, -1);
}
END_TEST

START_TEST(response_unusable)
{
    static const char *const bad[] = {
        "{\"token_type\":\"Bearer\"}",
        "{\"access_token\":\"\",\"token_type\":\"Bearer\"}",
        "{\"access_token\":7,\"token_type\":\"Bearer\"}",
        "{\"access_token\":\"at\"}",
        "{\"access_token\":\"at\",\"token_type\":\"DPoP \"}",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer \"}",
        "{\"access_token\":\"at\",\"token_type\":\"mac\"}",
        "[]",
        "not json",
        "",
        /* parenthesised: one literal split over two lines */
        ("{\"access_token\":\"at\",\"access_token\":\"b\",\"token_type\":"
         "\"Bearer\"}"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aoidc_token_response_t t;
        aoidc_err_t err = {0};
        ck_assert_reason(parse(&t, 200, bad[i], &err), err,
                         AOIDC_REASON_OP_BAD_RESPONSE);
    }
}
END_TEST

/* RFC 9449 §5: a DPoP-bound token (client.c checks a proof was sent) */
START_TEST(response_dpop_type)
{
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    ck_assert_ok(parse(&t, 200,
                       "{\"access_token\":\"at\",\"token_type\":\"dpop\"}",
                       &err),
                 err);
    ck_assert_str_eq(t.token_type, "dpop");
}
END_TEST

START_TEST(response_token_too_long)
{
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    char *at = apr_palloc(tp, AOIDC_MAX_TOKEN_LEN + 2);
    memset(at, 'a', AOIDC_MAX_TOKEN_LEN + 1);
    at[AOIDC_MAX_TOKEN_LEN] = '\0';
    ck_assert_ok(parse(&t, 200,
                       apr_pstrcat(tp, "{\"access_token\":\"", at,
                                   "\",\"token_type\":\"Bearer\"}", NULL),
                       &err),
                 err);
    at[AOIDC_MAX_TOKEN_LEN] = 'a';
    at[AOIDC_MAX_TOKEN_LEN + 1] = '\0';
    ck_assert_reason(parse(&t, 200,
                           apr_pstrcat(tp, "{\"access_token\":\"", at,
                                       "\",\"token_type\":\"Bearer\"}", NULL),
                           &err),
                     err, AOIDC_REASON_OP_BAD_RESPONSE);
}
END_TEST

START_TEST(response_errors)
{
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    ck_assert_reason(parse(&t, 400, "{\"error\":\"invalid_grant\"}", &err), err,
                     AOIDC_REASON_TOKEN_ENDPOINT);
    ck_assert_ptr_nonnull(strstr(err.detail, "invalid_grant"));
    ck_assert_reason(parse(&t, 401, "{\"error\":\"invalid_client\"}", &err),
                     err, AOIDC_REASON_TOKEN_ENDPOINT);
    ck_assert_reason(parse(&t, 400, "{\"message\":\"no\"}", &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_reason(parse(&t, 400, "{\"error\":1}", &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_reason(parse(&t, 500, "{\"error\":\"server_error\"}", &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_reason(parse(&t, 302, "{}", &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_reason(parse(&t, 400, "<html>", &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    /* a success body with an error status is still an error */
    ck_assert_reason(
        parse(&t, 201, "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}",
              &err),
        err, AOIDC_REASON_OP_BAD_RESPONSE);
}
END_TEST

static const char *resp_with(const char *member, const char *json_value)
{
    return apr_psprintf(tp,
                        "{\"access_token\":\"at\",\"token_type\":"
                        "\"Bearer\",\"%s\":%s}",
                        member, json_value);
}

START_TEST(response_access_token_charset)
{
    /* security review finding 3: an access token goes into Authorization
     * headers (userinfo) and, with AuthOIDCPassAccessToken, into a request
     * header; only RFC 6750 b64token characters may pass */
    static const char *const bad[] = {
        "\"tok\\r\\nRemote-User: admin\"",
        "\"tok\\nX: y\"",
        "\"tok\\r\"",
        "\"a b\"",
        "\"a\\tb\"",
        "\"a\\u0000b\"",
        "\"a\\u007fb\"",
        "\"caf\\u00e9\"",
        "\"a,b\"",
        "\"a;b\"",
        "\"a\\\"b\"",
        "\"=abc\"",
        "\"ab=c\"",
        "\"==\"",
    };
    static const char *const good[] = {
        "\"2YotnFZFEjr1zCsicMWpAA\"",
        "\"a-b.c_d~e+f/g==\"",
        "\"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln\"",
        "\"x=\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aoidc_token_response_t t;
        aoidc_err_t err = {0};
        const char *body = apr_psprintf(
            tp, "{\"access_token\":%s,\"token_type\":\"Bearer\"}", bad[i]);
        ck_assert_msg(parse(&t, 200, body, &err) != APR_SUCCESS, "%s", body);
        ck_assert_int_eq(err.reason, AOIDC_REASON_OP_BAD_RESPONSE);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        aoidc_token_response_t t;
        aoidc_err_t err = {0};
        const char *body = apr_psprintf(
            tp, "{\"access_token\":%s,\"token_type\":\"Bearer\"}", good[i]);
        ck_assert_ok(parse(&t, 200, body, &err), err);
    }
}
END_TEST

START_TEST(response_refresh_and_id_token_charset)
{
    static const char *const bad[] = {
        "\"rt\\r\\nX: y\"", "\"r t\"",       "\"\"",
        "\"rt\\u0000\"",    "\"rt\\u00ff\"", "\"\\t\"",
    };
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_reason(
            parse(&t, 200, resp_with("refresh_token", bad[i]), &err), err,
            AOIDC_REASON_OP_BAD_RESPONSE);
        ck_assert_reason(parse(&t, 200, resp_with("id_token", bad[i]), &err),
                         err, AOIDC_REASON_OP_BAD_RESPONSE);
    }
    /* VSCHAR is wider than b64token: opaque refresh tokens may use it */
    ck_assert_ok(parse(&t, 200,
                       resp_with("refresh_token", "\"r!#$%&*:;<>?@[]^{|}~\""),
                       &err),
                 err);
    ck_assert_str_eq(t.refresh_token, "r!#$%&*:;<>?@[]^{|}~");
    ck_assert_reason(
        parse(&t, 200, resp_with("scope", "\"openid\\r\\nX: y\""), &err), err,
        AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_ok(parse(&t, 200, resp_with("scope", "\"openid email\""), &err),
                 err);
    /* a refresh token longer than any token we accept */
    char *rt = apr_palloc(tp, AOIDC_MAX_TOKEN_LEN + 4);
    rt[0] = '"';
    memset(rt + 1, 'r', AOIDC_MAX_TOKEN_LEN + 1);
    strcpy(rt + AOIDC_MAX_TOKEN_LEN + 2, "\"");
    ck_assert_reason(parse(&t, 200, resp_with("refresh_token", rt), &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    /* an ID Token may be longer (a large groups claim), up to
     * AOIDC_MAX_OP_TOKEN_LEN, and no longer */
    char *it = apr_palloc(tp, AOIDC_MAX_OP_TOKEN_LEN + 4);
    it[0] = '"';
    memset(it + 1, 'i', AOIDC_MAX_OP_TOKEN_LEN);
    strcpy(it + AOIDC_MAX_OP_TOKEN_LEN + 1, "\"");
    ck_assert_ok(parse(&t, 200, resp_with("id_token", it), &err), err);
    ck_assert_uint_eq(strlen(t.id_token), AOIDC_MAX_OP_TOKEN_LEN);
    it[AOIDC_MAX_OP_TOKEN_LEN + 1] = 'i';
    strcpy(it + AOIDC_MAX_OP_TOKEN_LEN + 2, "\"");
    ck_assert_reason(parse(&t, 200, resp_with("id_token", it), &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
}
END_TEST

START_TEST(response_expires_in_clamped)
{
    /* security review finding 12: expires_in near INT64_MAX must not
     * overflow when it becomes apr_time_t (microseconds) */
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    ck_assert_ok(
        parse(&t, 200, resp_with("expires_in", "9223372036854775807"), &err),
        err);
    ck_assert_int_eq(t.expires_in, AOIDC_TIME_MAX_SEC);
    ck_assert_int_eq(aoidc_token_expiry(&t, T_NOW),
                     apr_time_from_sec(AOIDC_TIME_MAX_SEC));
    ck_assert_ok(parse(&t, 200, resp_with("expires_in", "9.1e18"), &err), err);
    ck_assert_int_eq(t.expires_in, AOIDC_TIME_MAX_SEC);
    ck_assert_ok(
        parse(&t, 200, resp_with("expires_in", "-9223372036854775807"), &err),
        err);
    ck_assert_int_eq(t.expires_in, -1);
    ck_assert_int_eq(aoidc_token_expiry(&t, T_NOW), 0);
    ck_assert_ok(parse(&t, 200, resp_with("expires_in", "0"), &err), err);
    ck_assert_int_eq(aoidc_token_expiry(&t, T_NOW), 0);
    ck_assert_ok(parse(&t, 200, resp_with("expires_in", "300"), &err), err);
    ck_assert_int_eq(aoidc_token_expiry(&t, T_NOW),
                     T_NOW + apr_time_from_sec(300));
    /* even a struct filled by hand cannot overflow */
    t.expires_in = INT64_MAX;
    ck_assert_int_eq(aoidc_token_expiry(&t, T_NOW),
                     apr_time_from_sec(AOIDC_TIME_MAX_SEC));
}
END_TEST

TCase *aoidc_token_tcase(void)
{
    TCase *tc = aoidc_test_tcase("token");
    tcase_add_test(tc, client_auth_basic);
    tcase_add_test(tc, client_auth_basic_encodes_first);
    tcase_add_test(tc, client_auth_post);
    tcase_add_test(tc, client_auth_public);
    tcase_add_test(tc, response_ok);
    tcase_add_test(tc, response_minimal);
    tcase_add_test(tc, response_unusable);
    tcase_add_test(tc, response_dpop_type);
    tcase_add_test(tc, response_token_too_long);
    tcase_add_test(tc, response_errors);
    tcase_add_test(tc, response_access_token_charset);
    tcase_add_test(tc, response_refresh_and_id_token_charset);
    tcase_add_test(tc, response_expires_in_clamped);
    return tc;
}
