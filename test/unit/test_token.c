/* SPDX-License-Identifier: Apache-2.0 */
/* core/token.c: client authentication and token endpoint answers. */
#include <string.h>

#include "core/b64url.h"
#include "core/token.h"
#include "core/url.h"
#include "unit.h"

START_TEST(client_auth_basic)
{
    aoidc_client_t c = {"client-1", "s3cret", false};
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
    aoidc_client_t c = {"a:b", "p w/", false};
    const char *auth;
    aoidc_token_client_auth(&auth, "", &c, tp);
    ck_assert_str_eq(auth, "Basic YSUzQWI6cCUyMHclMkY="); /* a%3Ab:p%20w%2F */
}
END_TEST

START_TEST(client_auth_post)
{
    aoidc_client_t c = {"client 1", "s&cret", true};
    const char *auth = "x";
    const char *body = aoidc_token_client_auth(&auth, "grant_type=x", &c, tp);
    ck_assert_ptr_null(auth);
    ck_assert_str_eq(
        body, "grant_type=x&client_id=client%201&client_secret=s%26cret");
}
END_TEST

START_TEST(client_auth_public)
{
    aoidc_client_t c = {"pub", NULL, false};
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
        "{\"access_token\":\"at\",\"token_type\":\"DPoP\"}",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer \"}",
        "{\"access_token\":\"at\",\"token_type\":\"mac\"}",
        "[]",
        "not json",
        "",
        "{\"access_token\":\"at\",\"access_token\":\"b\",\"token_type\":\"Bearer\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aoidc_token_response_t t;
        aoidc_err_t err = {0};
        ck_assert_reason(parse(&t, 200, bad[i], &err), err,
                         AOIDC_REASON_OP_BAD_RESPONSE);
    }
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
    tcase_add_test(tc, response_token_too_long);
    tcase_add_test(tc, response_errors);
    return tc;
}
