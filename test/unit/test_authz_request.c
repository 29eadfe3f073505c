/* SPDX-License-Identifier: Apache-2.0 */
/* core/authz_request.c: the authorization request URL. */
#include <string.h>

#include "core/authz_request.h"
#include "core/pkce.h"
#include "core/url.h"
#include "unit.h"

static aoidc_state_t *state(bool pkce)
{
    aoidc_state_t *st;
    ck_assert_int_eq(aoidc_state_create(&st, T_ISS, "/", pkce, T_NOW, tp),
                     APR_SUCCESS);
    return st;
}

static apr_table_t *query_of(const char *url, const char *prefix)
{
    apr_table_t *t;
    aoidc_err_t err = {0};
    ck_assert_msg(strncmp(url, prefix, strlen(prefix)) == 0, "%s", url);
    ck_assert_ok(aoidc_url_parse_query(&t, url + strlen(prefix), 20, tp, &err),
                 err);
    return t;
}

START_TEST(with_pkce)
{
    aoidc_authz_params_t a = {"https://op.example.com/authorize",
                              "client 1",
                              "https://rp.example.com/cb?x=1",
                              "openid email",
                              NULL,
                              AOIDC_RT_CODE,
                              AOIDC_RM_QUERY,
                              NULL};
    aoidc_state_t *st = state(true);
    char *url = aoidc_authz_request_url(&a, st, tp);
    apr_table_t *q = query_of(url, "https://op.example.com/authorize?");
    ck_assert_int_eq(apr_table_elts(q)->nelts, 8);
    ck_assert_str_eq(apr_table_get(q, "response_type"), "code");
    ck_assert_str_eq(apr_table_get(q, "client_id"), "client 1");
    ck_assert_str_eq(apr_table_get(q, "redirect_uri"),
                     "https://rp.example.com/cb?x=1");
    ck_assert_str_eq(apr_table_get(q, "scope"), "openid email");
    ck_assert_str_eq(apr_table_get(q, "state"), st->state);
    ck_assert_str_eq(apr_table_get(q, "nonce"), st->nonce);
    ck_assert_str_eq(apr_table_get(q, "code_challenge"),
                     aoidc_pkce_challenge_s256(st->verifier, tp));
    ck_assert_str_eq(apr_table_get(q, "code_challenge_method"), "S256");
    /* the verifier itself never leaves */
    ck_assert_ptr_null(strstr(url, st->verifier));
    /* values are encoded: no raw space, no second '?' */
    ck_assert_ptr_null(strchr(url, ' '));
    ck_assert_ptr_null(strchr(strchr(url, '?') + 1, '?'));
}
END_TEST

START_TEST(without_pkce)
{
    aoidc_authz_params_t a = {"https://op.example.com/authorize",
                              "c",
                              "https://rp/cb",
                              "openid",
                              NULL,
                              AOIDC_RT_CODE,
                              AOIDC_RM_QUERY,
                              NULL};
    char *url = aoidc_authz_request_url(&a, state(false), tp);
    apr_table_t *q = query_of(url, "https://op.example.com/authorize?");
    ck_assert_int_eq(apr_table_elts(q)->nelts, 6);
    ck_assert_ptr_null(apr_table_get(q, "code_challenge"));
    ck_assert_ptr_null(apr_table_get(q, "code_challenge_method"));
}
END_TEST

START_TEST(extra_params)
{
    apr_array_header_t *x;
    ck_assert_ptr_null(
        aoidc_authz_params_parse(&x, "prompt=login&idp=okta%20x", tp));
    aoidc_authz_params_t a = {"https://op/a", "c", "https://rp/cb",
                              "openid",       x,   AOIDC_RT_CODE,
                              AOIDC_RM_QUERY, NULL};
    apr_table_t *q = query_of(aoidc_authz_request_url(&a, state(false), tp),
                              "https://op/a?");
    ck_assert_str_eq(apr_table_get(q, "prompt"), "login");
    ck_assert_str_eq(apr_table_get(q, "idp"), "okta x");
    ck_assert_str_eq(apr_table_get(q, "response_type"), "code");
    /* the protocol's own parameters cannot be overridden */
    ck_assert_ptr_nonnull(aoidc_authz_params_parse(&x, "state=x", tp));
    ck_assert_ptr_nonnull(
        aoidc_authz_params_parse(&x, "a=1&redirect_uri=y", tp));
    ck_assert_ptr_nonnull(aoidc_authz_params_parse(&x, "a=1&a=2", tp));
}
END_TEST

START_TEST(params_default)
{
    apr_array_header_t *x, *d;
    /* nothing configured: the default is added */
    d = aoidc_authz_params_default(NULL, "prompt", "login", tp);
    ck_assert_int_eq(d->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(d, 0, aoidc_param_t).name, "prompt");
    ck_assert_str_eq(APR_ARRAY_IDX(d, 0, aoidc_param_t).value, "login");
    /* other parameters kept, the default appended, the input untouched */
    ck_assert_ptr_null(aoidc_authz_params_parse(&x, "idp=a&login_hint=b", tp));
    d = aoidc_authz_params_default(x, "prompt", "login", tp);
    ck_assert_int_eq(x->nelts, 2);
    ck_assert_int_eq(d->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(d, 2, aoidc_param_t).value, "login");
    aoidc_authz_params_t a = {.endpoint = "https://op/a",
                              .client_id = "c",
                              .redirect_uri = "https://rp/cb",
                              .scope = "openid",
                              .extra = d};
    apr_table_t *q = query_of(aoidc_authz_request_url(&a, state(false), tp),
                              "https://op/a?");
    ck_assert_str_eq(apr_table_get(q, "prompt"), "login");
    ck_assert_str_eq(apr_table_get(q, "idp"), "a");
    /* the operator's own prompt wins, whatever its value */
    ck_assert_ptr_null(aoidc_authz_params_parse(&x, "prompt=consent", tp));
    d = aoidc_authz_params_default(x, "prompt", "login", tp);
    ck_assert_int_eq(d->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(d, 0, aoidc_param_t).value, "consent");
}
END_TEST

START_TEST(scope_gets_openid)
{
    bool added;
    ck_assert_str_eq(aoidc_authz_scope("email profile", &added, tp),
                     "openid email profile");
    ck_assert(added);
    ck_assert_str_eq(aoidc_authz_scope("email openid", &added, tp),
                     "email openid");
    ck_assert(!added);
    ck_assert_str_eq(aoidc_authz_scope("openidx", &added, tp),
                     "openid openidx");
    ck_assert(added);
    ck_assert_str_eq(aoidc_authz_scope("", &added, tp), "openid");
}
END_TEST

START_TEST(endpoint_query_kept)
{
    aoidc_authz_params_t a = {"https://op.example.com/auth?tenant=t1",
                              "c",
                              "https://rp/cb",
                              "openid",
                              NULL,
                              AOIDC_RT_CODE,
                              AOIDC_RM_QUERY,
                              NULL};
    char *url = aoidc_authz_request_url(&a, state(false), tp);
    apr_table_t *q = query_of(url, "https://op.example.com/auth?");
    ck_assert_str_eq(apr_table_get(q, "tenant"), "t1");
    ck_assert_str_eq(apr_table_get(q, "response_type"), "code");
    ck_assert_ptr_nonnull(strstr(url, "?tenant=t1&response_type=code&"));
}
END_TEST

START_TEST(response_type_and_mode)
{
    aoidc_authz_params_t a = {"https://op/a",
                              "c",
                              "https://rp/cb",
                              "openid",
                              NULL,
                              AOIDC_RT_CODE_ID_TOKEN,
                              AOIDC_RM_FORM_POST,
                              "alice@example.com"};
    apr_table_t *q =
        query_of(aoidc_authz_request_url(&a, state(true), tp), "https://op/a?");
    ck_assert_str_eq(apr_table_get(q, "response_type"), "code id_token");
    ck_assert_str_eq(apr_table_get(q, "response_mode"), "form_post");
    ck_assert_str_eq(apr_table_get(q, "login_hint"), "alice@example.com");
    ck_assert_ptr_nonnull(apr_table_get(q, "code_challenge"));
    a.response_type = AOIDC_RT_ID_TOKEN;
    a.login_hint = NULL;
    q = query_of(aoidc_authz_request_url(&a, state(false), tp),
                 "https://op/a?");
    ck_assert_str_eq(apr_table_get(q, "response_type"), "id_token");
    ck_assert_ptr_null(apr_table_get(q, "login_hint"));
    /* query mode is the default: no response_mode parameter at all */
    a.response_mode = AOIDC_RM_QUERY;
    q = query_of(aoidc_authz_request_url(&a, state(false), tp),
                 "https://op/a?");
    ck_assert_ptr_null(apr_table_get(q, "response_mode"));
    ck_assert_str_eq(aoidc_response_type_name(AOIDC_RT_CODE), "code");
    /* the module owns response_mode now */
    apr_array_header_t *x;
    ck_assert_ptr_nonnull(
        aoidc_authz_params_parse(&x, "response_mode=fragment", tp));
}
END_TEST

TCase *aoidc_authz_request_tcase(void)
{
    TCase *tc = aoidc_test_tcase("authz_request");
    tcase_add_test(tc, with_pkce);
    tcase_add_test(tc, without_pkce);
    tcase_add_test(tc, endpoint_query_kept);
    tcase_add_test(tc, extra_params);
    tcase_add_test(tc, scope_gets_openid);
    tcase_add_test(tc, params_default);
    tcase_add_test(tc, response_type_and_mode);
    return tc;
}
