/* SPDX-License-Identifier: Apache-2.0 */
/* core/replay.c, and the state record (v2) and RP flows that carry a form
 * POST through a login. */
#include <string.h>

#include "core/replay.h"
#include "flow_fixture.h"

START_TEST(body_rules)
{
    ck_assert(aoidc_replay_body_ok("a=1&b=%41%42+c", 14));
    ck_assert(aoidc_replay_body_ok("", 0));
    ck_assert(aoidc_replay_body_ok("flag", 4));
    ck_assert(!aoidc_replay_body_ok(NULL, 0));
    ck_assert(!aoidc_replay_body_ok("a=%4", 4));
    ck_assert(!aoidc_replay_body_ok("a=%", 3));
    ck_assert(!aoidc_replay_body_ok("a=%zz", 5));
    ck_assert(!aoidc_replay_body_ok("a=%00", 5));
    ck_assert(!aoidc_replay_body_ok("a=1\0b", 5));
    ck_assert(!aoidc_replay_body_ok("a=1 2", 5));
    ck_assert(!aoidc_replay_body_ok("a=\r\n", 4));
    ck_assert(!aoidc_replay_body_ok("a=\xc3\xa9", 4));
    ck_assert(aoidc_replay_body_ok("a=~!*()'-._", 11));
    char *big = apr_palloc(tp, AOIDC_POST_BODY_MAX + 2);
    memset(big, 'a', AOIDC_POST_BODY_MAX + 1);
    ck_assert(aoidc_replay_body_ok(big, AOIDC_POST_BODY_MAX));
    ck_assert(!aoidc_replay_body_ok(big, AOIDC_POST_BODY_MAX + 1));
    char *many = "";
    for (int i = 0; i < AOIDC_POST_FIELDS_MAX + 1; i++) {
        many = apr_pstrcat(tp, many, i ? "&" : "", "x=1", NULL);
    }
    ck_assert(!aoidc_replay_body_ok(many, strlen(many)));
}
END_TEST

START_TEST(page_escapes_everything)
{
    const char *page = aoidc_replay_page(
        "/app/save?x=1&y=\"2\"",
        "title=%3Cscript%3Ealert(1)%3C%2Fscript%3E&q=%22%27%26&text=a%0D%0Ab"
        "&sp=a+b&&empty=&bare",
        "N0nce", tp);
    ck_assert_ptr_nonnull(page);
    ck_assert_ptr_nonnull(
        strstr(page, "action=\"/app/save?x=1&amp;y=&quot;2&quot;\""));
    ck_assert_ptr_nonnull(strstr(
        page,
        "name=\"title\" value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
    ck_assert_ptr_nonnull(
        strstr(page, "name=\"q\" value=\"&quot;&#39;&amp;\""));
    ck_assert_ptr_nonnull(strstr(page, "name=\"text\" value=\"a&#13;&#10;b\""));
    ck_assert_ptr_nonnull(strstr(page, "name=\"sp\" value=\"a b\""));
    ck_assert_ptr_nonnull(strstr(page, "name=\"empty\" value=\"\""));
    ck_assert_ptr_nonnull(strstr(page, "name=\"bare\" value=\"\""));
    ck_assert_ptr_nonnull(strstr(page, "<script nonce=\"N0nce\">"));
    ck_assert_ptr_nonnull(strstr(page, "<button type=\"submit\">"));
    /* exactly one script, and no markup from the body */
    ck_assert_ptr_null(strstr(strstr(page, "<script") + 1, "<script"));
    ck_assert_ptr_null(aoidc_replay_page("/", "a=%zz", "n", tp));
    ck_assert_ptr_nonnull(
        strstr(aoidc_replay_csp("N0nce", tp), "script-src 'nonce-N0nce'"));
    ck_assert_ptr_nonnull(
        strstr(aoidc_replay_csp("N0nce", tp), "form-action 'self'"));
}
END_TEST

START_TEST(state_v2_round_trip)
{
    ft_t f;
    aoidc_state_t *st, *back;
    char *sealed;
    aoidc_err_t err = {0};
    ft_setup(&f);
    ck_assert_int_eq(aoidc_state_create(&st, T_ISS, "/form", true, T_NOW, tp),
                     APR_SUCCESS);
    ck_assert_int_eq(aoidc_state_seal(&sealed, st, f.rp.seal_state, tp),
                     APR_SUCCESS);
    ck_assert_ok(aoidc_state_open(&back, sealed, st->state, f.rp.seal_state,
                                  T_NOW, tp, &err),
                 err);
    ck_assert_ptr_null(back->post_body);
    st->post_body = "a=1&b=2";
    ck_assert_int_eq(aoidc_state_seal(&sealed, st, f.rp.seal_state, tp),
                     APR_SUCCESS);
    ck_assert_ok(aoidc_state_open(&back, sealed, st->state, f.rp.seal_state,
                                  T_NOW, tp, &err),
                 err);
    ck_assert_str_eq(back->post_body, "a=1&b=2");
    st->post_body = "";
    ck_assert_int_eq(aoidc_state_seal(&sealed, st, f.rp.seal_state, tp),
                     APR_SUCCESS);
    ck_assert_ok(aoidc_state_open(&back, sealed, st->state, f.rp.seal_state,
                                  T_NOW, tp, &err),
                 err);
    ck_assert_str_eq(back->post_body, "");
}
END_TEST

static const aoidc_cookie_op_t *state_op(const aoidc_login_out_t *out)
{
    return ft_cookie(out->cookies, aoidc_state_cookie_name(out->state, tp));
}

START_TEST(login_keeps_the_form_and_callback_returns_it)
{
    ft_t f;
    aoidc_login_out_t lo;
    aoidc_callback_out_t co;
    aoidc_err_t err = {0};
    ft_setup(&f);
    aoidc_login_in_t in = {"/app/save?id=7", FT_REDIRECT, NULL,
                           "title=Hello+world&body=%E2%82%AC", NULL};
    ck_assert_ok(aoidc_rp_login(&lo, &f.rp, &f.env, &in, &err), err);
    const aoidc_cookie_op_t *op = state_op(&lo);
    ck_assert_uint_le(strlen(op->name) + strlen(op->value) + 3,
                      AOIDC_STATE_BYTES_MAX);
    const char *hdr = apr_pstrcat(tp, op->name, "=", op->value, NULL);
    const char *nonce = ft_url_param(lo.location, "nonce");
    ft_token_answer(&f, ft_id_token(&f, nonce, NULL), "at-1", "rt-1", 300);
    aoidc_callback_in_t ci = {ft_callback_query(lo.state, "code-1"), hdr,
                              FT_REDIRECT, false, NULL, false};
    ck_assert_ok(aoidc_rp_callback(&co, &f.rp, &f.env, &ci, &err), err);
    ck_assert_str_eq(co.location, "/app/save?id=7");
    ck_assert_str_eq(co.post_body, "title=Hello+world&body=%E2%82%AC");
    /* a GET login carries none */
    in.post_body = NULL;
    ck_assert_ok(aoidc_rp_login(&lo, &f.rp, &f.env, &in, &err), err);
    hdr = apr_pstrcat(tp, state_op(&lo)->name, "=", state_op(&lo)->value, NULL);
    ft_token_answer(&f,
                    ft_id_token(&f, ft_url_param(lo.location, "nonce"), NULL),
                    "at-1", "rt-1", 300);
    aoidc_callback_in_t c2 = {ft_callback_query(lo.state, "code-2"), hdr,
                              FT_REDIRECT, false, NULL, false};
    ck_assert_ok(aoidc_rp_callback(&co, &f.rp, &f.env, &c2, &err), err);
    ck_assert_ptr_null(co.post_body);
}
END_TEST

START_TEST(login_refuses_what_does_not_fit)
{
    ft_t f;
    aoidc_login_out_t lo;
    aoidc_err_t err = {0};
    ft_setup(&f);
    char *big = apr_palloc(tp, AOIDC_POST_BODY_MAX + 2);
    memset(big, 'a', AOIDC_POST_BODY_MAX + 1);
    big[AOIDC_POST_BODY_MAX + 1] = '\0';
    aoidc_login_in_t in = {"/form", FT_REDIRECT, NULL, big, NULL};
    ck_assert_reason(aoidc_rp_login(&lo, &f.rp, &f.env, &in, &err), err,
                     AOIDC_REASON_TOO_LARGE);
    /* the largest body with a long URL: the cookie budget holds or 401 */
    big[AOIDC_POST_BODY_MAX] = '\0';
    char *url = apr_palloc(tp, AOIDC_RETURN_URL_MAX + 1);
    url[0] = '/';
    memset(url + 1, 'u', AOIDC_RETURN_URL_MAX - 1);
    url[AOIDC_RETURN_URL_MAX] = '\0';
    in.return_to = url;
    err = (aoidc_err_t){0};
    ck_assert_reason(aoidc_rp_login(&lo, &f.rp, &f.env, &in, &err), err,
                     AOIDC_REASON_TOO_LARGE);
    /* a URL that would be cut: never replayed elsewhere */
    in.post_body = "a=1";
    in.return_to = apr_pstrcat(tp, url, "?q=1", NULL);
    err = (aoidc_err_t){0};
    ck_assert_reason(aoidc_rp_login(&lo, &f.rp, &f.env, &in, &err), err,
                     AOIDC_REASON_TOO_LARGE);
    in.return_to = "/form";
    in.post_body = "a=%zz";
    err = (aoidc_err_t){0};
    ck_assert_reason(aoidc_rp_login(&lo, &f.rp, &f.env, &in, &err), err,
                     AOIDC_REASON_TOO_LARGE);
    /* the cap itself fits */
    in.post_body = big;
    ck_assert_ok(aoidc_rp_login(&lo, &f.rp, &f.env, &in, &err), err);
}
END_TEST

TCase *aoidc_replay_tcase(void)
{
    TCase *tc = aoidc_test_tcase("replay");
    tcase_add_test(tc, body_rules);
    tcase_add_test(tc, page_escapes_everything);
    tcase_add_test(tc, state_v2_round_trip);
    tcase_add_test(tc, login_keeps_the_form_and_callback_returns_it);
    tcase_add_test(tc, login_refuses_what_does_not_fit);
    return tc;
}
