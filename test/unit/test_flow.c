/* SPDX-License-Identifier: Apache-2.0 */
/* core/flow.c: cookie operations, the snapshot, the rotated-keys refetch
 * and the user name rule every flow shares. */
#include <string.h>

#include "flow_fixture.h"

START_TEST(cookie_ops_append)
{
    apr_array_header_t *ops = NULL;
    aoidc_cookie_op(&ops, AOIDC_COOKIE_STATE, "a", "1", 300, tp);
    ck_assert_ptr_nonnull(ops);
    aoidc_cookie_op(&ops, AOIDC_COOKIE_SESSION, "b", "", 0, tp);
    aoidc_cookie_op(&ops, AOIDC_COOKIE_SESSION, "c", "x", -1, tp);
    ck_assert_int_eq(ops->nelts, 3);
    const aoidc_cookie_op_t *o = &APR_ARRAY_IDX(ops, 0, aoidc_cookie_op_t);
    ck_assert_int_eq(o->kind, AOIDC_COOKIE_STATE);
    ck_assert_str_eq(o->name, "a");
    ck_assert_str_eq(o->value, "1");
    ck_assert_int_eq(o->max_age, 300);
    o = &APR_ARRAY_IDX(ops, 1, aoidc_cookie_op_t);
    ck_assert_int_eq(o->kind, AOIDC_COOKIE_SESSION);
    ck_assert_int_eq(o->max_age, 0);
    ck_assert_int_eq(APR_ARRAY_IDX(ops, 2, aoidc_cookie_op_t).max_age, -1);
}
END_TEST

START_TEST(snapshot)
{
    ft_t f;
    aoidc_snapshot_t *s;
    aoidc_err_t err = {0};
    ft_setup(&f);
    ck_assert_ok(aoidc_flow_snapshot(&s, &f.env, &err), err);
    ck_assert_str_eq(s->md.token_endpoint, FT_TOKEN);
    ck_assert_int_eq(s->jwks->keys->nelts, 2);
    ck_assert_ok(aoidc_flow_snapshot(&s, &f.env, &err), err);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_WK), 1);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_JWKS), 1);

    f.env.provider = NULL;
    ck_assert_reason(aoidc_flow_snapshot(&s, &f.env, &err), err,
                     AOIDC_REASON_CONFIG);

    ft_setup(&f);
    aoidc_fake_http_route(f.fh, FT_WK, 500, "down");
    ck_assert_int_ne(aoidc_flow_snapshot(&s, &f.env, &err), APR_SUCCESS);
    ck_assert_int_eq(aoidc_reason_info(err.reason)->fault,
                     AOIDC_FAULT_UPSTREAM);
}
END_TEST

START_TEST(rotated_keys_rate_limited)
{
    ft_t f;
    aoidc_snapshot_t *s;
    aoidc_err_t err = {0};
    ft_setup(&f);
    ck_assert_ok(aoidc_flow_snapshot(&s, &f.env, &err), err);
    /* a token names an unknown kid: one refetch at once */
    const aoidc_jwks_t *k = aoidc_flow_rotated_keys(&f.env);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->keys->nelts, 2);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_JWKS), 2);
    /* and no other within the gap, however many such tokens come */
    ft_at(&f, apr_time_sec(AOIDC_PROVIDER_REFETCH_GAP) - 1);
    ck_assert_ptr_null(aoidc_flow_rotated_keys(&f.env));
    ck_assert_ptr_null(aoidc_flow_rotated_keys(&f.env));
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_JWKS), 2);
    ft_at(&f, apr_time_sec(AOIDC_PROVIDER_REFETCH_GAP));
    ck_assert_ptr_nonnull(aoidc_flow_rotated_keys(&f.env));
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_JWKS), 3);
    /* a failing refetch gives nothing */
    ft_at(&f, 2 * apr_time_sec(AOIDC_PROVIDER_REFETCH_GAP));
    aoidc_fake_http_fail(f.fh, FT_JWKS, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_ptr_null(aoidc_flow_rotated_keys(&f.env));
}
END_TEST

static apr_array_header_t *claims(const char *json)
{
    json_error_t je;
    json_t *j = json_loads(json, 0, &je);
    ck_assert_ptr_nonnull(j);
    apr_array_header_t *c = aoidc_claims_add_json(NULL, j, tp);
    json_decref(j);
    return c;
}

START_TEST(user_rule)
{
    apr_array_header_t *c = claims("{\"sub\":\"alice\",\"email\":\"a@x\"}");
    ck_assert_str_eq(aoidc_flow_user(c, "email"), "a@x");
    ck_assert_str_eq(aoidc_flow_user(c, "sub"), "alice");
    /* no such claim: sub */
    ck_assert_str_eq(aoidc_flow_user(c, "preferred_username"), "alice");
    /* present but empty: nobody (never falls back) */
    c = claims("{\"sub\":\"alice\",\"email\":\"\"}");
    ck_assert_ptr_null(aoidc_flow_user(c, "email"));
    c = claims("{\"sub\":\"\"}");
    ck_assert_ptr_null(aoidc_flow_user(c, "sub"));
    ck_assert_ptr_null(aoidc_flow_user(c, "email"));
    c = claims("{\"name\":\"x\"}");
    ck_assert_ptr_null(aoidc_flow_user(c, "email"));
    ck_assert_str_eq(aoidc_flow_user(c, "name"), "x");
}
END_TEST

TCase *aoidc_flow_tcase(void)
{
    TCase *tc = aoidc_test_tcase("flow");
    tcase_add_test(tc, cookie_ops_append);
    tcase_add_test(tc, snapshot);
    tcase_add_test(tc, rotated_keys_rate_limited);
    tcase_add_test(tc, user_rule);
    return tc;
}
