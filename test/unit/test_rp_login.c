/* SPDX-License-Identifier: Apache-2.0 */
/* core/rp_login.c: the state cookie, the authorization request, the return
 * URL bound, the eviction of old attempts, and no store writes. */
#include <string.h>

#include "core/pkce.h"
#include "flow_fixture.h"

static aoidc_login_out_t login(ft_t *f, const char *ret, const char *hdr)
{
    aoidc_login_out_t out;
    aoidc_login_in_t in = {ret, FT_REDIRECT, hdr, NULL, NULL};
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_rp_login(&out, &f->rp, &f->env, &in, &err), err);
    ck_assert_ptr_nonnull(out.location);
    return out;
}

static aoidc_state_t *open_new_state(ft_t *f, const aoidc_login_out_t *out)
{
    aoidc_state_t *st;
    aoidc_err_t err = {0};
    const aoidc_cookie_op_t *op =
        ft_cookie(out->cookies, aoidc_state_cookie_name(out->state, tp));
    ck_assert_ptr_nonnull(op);
    ck_assert_ok(aoidc_state_open(&st, op->value, out->state, f->rp.seal_state,
                                  f->env.now, tp, &err),
                 err);
    return st;
}

START_TEST(cookie_and_request)
{
    ft_t f;
    ft_setup(&f);
    aoidc_login_out_t out = login(&f, "/app?x=1", NULL);
    ck_assert_int_eq(out.cookies->nelts, 1);
    const aoidc_cookie_op_t *op =
        &APR_ARRAY_IDX(out.cookies, 0, aoidc_cookie_op_t);
    ck_assert_int_eq(op->kind, AOIDC_COOKIE_STATE);
    ck_assert_str_eq(op->name, aoidc_state_cookie_name(out.state, tp));
    ck_assert_int_eq(op->max_age, 600);
    ck_assert_int_eq(op->max_age, 2 * apr_time_sec(f.rp.state_ttl));
    ck_assert_uint_gt(strlen(op->value), 0);

    ck_assert_int_eq(
        strncmp(out.location, FT_AUTHORIZE "?", strlen(FT_AUTHORIZE) + 1), 0);
    ck_assert_str_eq(ft_url_param(out.location, "response_type"), "code");
    ck_assert_str_eq(ft_url_param(out.location, "client_id"), T_AUD);
    ck_assert_str_eq(ft_url_param(out.location, "redirect_uri"), FT_REDIRECT);
    ck_assert_str_eq(ft_url_param(out.location, "scope"), "openid email");
    ck_assert_str_eq(ft_url_param(out.location, "state"), out.state);
    ck_assert_str_eq(ft_url_param(out.location, "code_challenge_method"),
                     "S256");

    /* the cookie holds what the callback needs, bound to this state */
    aoidc_state_t *st = open_new_state(&f, &out);
    ck_assert_str_eq(ft_url_param(out.location, "nonce"), st->nonce);
    ck_assert_str_eq(ft_url_param(out.location, "code_challenge"),
                     aoidc_pkce_challenge_s256(st->verifier, tp));
    ck_assert_str_eq(st->return_to, "/app?x=1");
    ck_assert_str_eq(st->issuer, T_ISS);

    /* an unauthenticated client writes nothing anywhere */
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
    ck_assert_int_eq(aoidc_mem_store_count(f.cache.ms), 0);
    ck_assert_int_eq(f.sessions.sets + f.sessions.adds, 0);
    ck_assert_int_eq(f.cache.sets + f.cache.adds, 0);
}
END_TEST

START_TEST(each_attempt_fresh)
{
    ft_t f;
    ft_setup(&f);
    aoidc_login_out_t a = login(&f, "/", NULL), b = login(&f, "/", NULL);
    ck_assert_str_ne(a.state, b.state);
    ck_assert_str_ne(ft_url_param(a.location, "nonce"),
                     ft_url_param(b.location, "nonce"));
}
END_TEST

START_TEST(pkce_off)
{
    ft_t f;
    ft_setup(&f);
    f.rp.pkce = false;
    aoidc_login_out_t out = login(&f, "/", NULL);
    ck_assert_ptr_null(ft_url_param(out.location, "code_challenge"));
    ck_assert_ptr_null(ft_url_param(out.location, "code_challenge_method"));
    ck_assert_ptr_null(open_new_state(&f, &out)->verifier);
}
END_TEST

static const char *stored_return(ft_t *f, const char *ret)
{
    aoidc_login_out_t out = login(f, ret, NULL);
    return open_new_state(f, &out)->return_to;
}

START_TEST(return_url_bounded)
{
    ft_t f;
    ft_setup(&f);
    char *q = apr_palloc(tp, 2001), *path = apr_palloc(tp, 1101);
    memset(q, 'q', 2000);
    q[2000] = '\0';
    path[0] = '/';
    memset(path + 1, 'p', 1099);
    path[1100] = '\0';

    ck_assert_str_eq(stored_return(&f, apr_pstrcat(tp, "/deep/link?", q, NULL)),
                     "/deep/link");
    ck_assert_str_eq(stored_return(&f, apr_pstrcat(tp, path, "?a=b", NULL)),
                     "/");
    ck_assert_str_eq(stored_return(&f, path), "/");
    /* exactly at the limit: kept whole */
    char *edge = apr_pstrcat(tp, "/e?", q, NULL);
    edge[AOIDC_RETURN_URL_MAX] = '\0';
    ck_assert_str_eq(stored_return(&f, edge), edge);
    /* only local paths are ever stored */
    ck_assert_str_eq(stored_return(&f, "https://evil.example/x"), "/");
    ck_assert_str_eq(stored_return(&f, "//evil.example/x"), "/");
    ck_assert_str_eq(stored_return(&f, NULL), "/");
    ck_assert_str_eq(stored_return(&f, ""), "/");
}
END_TEST

/* A Cookie header with n state cookies (values of vlen bytes) and one
 * cookie of someone else's between them. */
static const char *states_header(int n, apr_size_t vlen, const char ***names)
{
    char *v = apr_palloc(tp, vlen + 1), *h = "other=keep";
    memset(v, 'v', vlen);
    v[vlen] = '\0';
    *names = apr_palloc(tp, sizeof(char *) * (apr_size_t)n);
    for (int i = 0; i < n; i++) {
        (*names)[i] = apr_psprintf(tp, AOIDC_STATE_COOKIE_PREFIX "old%09d", i);
        h = apr_pstrcat(tp, h, "; ", (*names)[i], "=", v, NULL);
    }
    return h;
}

static int deleted(const aoidc_login_out_t *out, const char *name)
{
    const aoidc_cookie_op_t *op = ft_cookie(out->cookies, name);
    return op && op->max_age == 0;
}

START_TEST(evicts_oldest_by_count)
{
    ft_t f;
    const char **names;
    ft_setup(&f);
    const char *h = states_header(5, 10, &names);
    aoidc_login_out_t out = login(&f, "/", h);
    /* 5 there + 1 new: the oldest goes, 5 remain */
    ck_assert(deleted(&out, names[0]));
    for (int i = 1; i < 5; i++) {
        ck_assert(!deleted(&out, names[i]));
    }
    ck_assert_ptr_null(ft_cookie(out.cookies, "other"));
    ck_assert_int_eq(out.cookies->nelts, 2);

    f.rp.state_max_cookies = 2;
    out = login(&f, "/", h);
    for (int i = 0; i < 4; i++) {
        ck_assert(deleted(&out, names[i]));
    }
    ck_assert(!deleted(&out, names[4]));
    ck_assert_int_eq(out.cookies->nelts, 5);
    /* deletions come oldest first, the new cookie last */
    const aoidc_cookie_op_t *last =
        &APR_ARRAY_IDX(out.cookies, out.cookies->nelts - 1, aoidc_cookie_op_t);
    ck_assert_str_eq(last->name, aoidc_state_cookie_name(out.state, tp));
    ck_assert_int_gt(last->max_age, 0);
}
END_TEST

START_TEST(evicts_oldest_by_bytes)
{
    ft_t f;
    const char **names;
    ft_setup(&f);
    const char *h = states_header(3, 1500, &names);
    aoidc_login_out_t out = login(&f, "/", h);
    ck_assert(deleted(&out, names[0]));
    ck_assert(!deleted(&out, names[1]));
    ck_assert(!deleted(&out, names[2]));
    /* what the browser keeps stays under the bound */
    apr_size_t bytes = 0;
    for (int i = 1; i < 3; i++) {
        bytes += strlen(names[i]) + 1500 + 3;
    }
    const aoidc_cookie_op_t *nw =
        ft_cookie(out.cookies, aoidc_state_cookie_name(out.state, tp));
    bytes += strlen(nw->name) + strlen(nw->value) + 3;
    ck_assert_uint_le(bytes, AOIDC_STATE_BYTES_MAX);

    /* three of 2000: two must go */
    h = states_header(3, 2000, &names);
    out = login(&f, "/", h);
    ck_assert(deleted(&out, names[0]));
    ck_assert(deleted(&out, names[1]));
    ck_assert(!deleted(&out, names[2]));
}
END_TEST

START_TEST(discovery_down)
{
    ft_t f;
    aoidc_login_out_t out;
    aoidc_err_t err = {0};
    ft_setup(&f);
    aoidc_fake_http_fail(f.fh, FT_WK, AOIDC_REASON_OP_UNREACHABLE);
    aoidc_login_in_t in = {"/", FT_REDIRECT, NULL, NULL, NULL};
    ck_assert_reason(aoidc_rp_login(&out, &f.rp, &f.env, &in, &err), err,
                     AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_ptr_null(out.location);
    ck_assert_ptr_null(out.cookies);
}
END_TEST

TCase *aoidc_rp_login_tcase(void)
{
    TCase *tc = aoidc_test_tcase("rp_login");
    tcase_add_test(tc, cookie_and_request);
    tcase_add_test(tc, each_attempt_fresh);
    tcase_add_test(tc, pkce_off);
    tcase_add_test(tc, return_url_bounded);
    tcase_add_test(tc, evicts_oldest_by_count);
    tcase_add_test(tc, evicts_oldest_by_bytes);
    tcase_add_test(tc, discovery_down);
    return tc;
}
