/* SPDX-License-Identifier: Apache-2.0 */
/* core/rp_login.c + core/rp_callback.c with AuthOIDCResponseMode form_post
 * and AuthOIDCResponseType "code id_token" / id_token (issue 11). */
#include <string.h>

#include "core/auth_response.h"
#include "core/jws.h"
#include "core/url.h"
#include "flow_fixture.h"

typedef struct {
    const char *hdr, *state, *nonce;
    aoidc_callback_out_t out;
    aoidc_err_t err;
} md_t;

static void setup(ft_t *f, aoidc_response_type_t rt, aoidc_response_mode_t rm)
{
    ft_setup(f);
    f->rp.response_type = rt;
    f->rp.response_mode = rm;
}

static apr_status_t post(ft_t *f, md_t *m, const char *body, bool is_post)
{
    aoidc_callback_in_t in = {body, m->hdr, FT_REDIRECT, false, NULL, is_post};
    m->err = (aoidc_err_t){0};
    return aoidc_rp_callback(&m->out, &f->rp, &f->env, &in, &m->err);
}

/* A front-channel ID Token for this login: nonce, c_hash of code (NULL:
 * none), the usual claims. */
static const char *front(ft_t *f, const md_t *m, const char *c_hash_of)
{
    json_t *x = json_object();
    if (c_hash_of) {
        json_object_set_new(
            x, "c_hash",
            json_string(aoidc_jws_half_hash("RS256", c_hash_of, tp)));
    }
    return ft_id_token(f, m->nonce, x);
}

static const char *body(const md_t *m, const char *code, const char *idt)
{
    const char *b = apr_pstrcat(tp, "state=", m->state, NULL);
    if (code) {
        b = apr_pstrcat(tp, b, "&code=", code, NULL);
    }
    if (idt) {
        b = apr_pstrcat(tp, b, "&id_token=", idt, NULL);
    }
    return b;
}

START_TEST(form_post_code)
{
    ft_t f;
    md_t m = {0};
    setup(&f, AOIDC_RT_CODE, AOIDC_RM_FORM_POST);
    ft_login(&f, "/app", &m.hdr, &m.state, &m.nonce);
    ft_token_answer(&f, ft_id_token(&f, m.nonce, NULL), "at-1", "rt-1", 300);
    /* the same response in a GET is refused before anything is looked at */
    const char *resp = ft_callback_query(m.state, "code-1");
    ck_assert_reason(post(&f, &m, resp, false), m.err, AOIDC_REASON_MALFORMED);
    ck_assert_ptr_nonnull(strstr(m.err.detail, "form_post"));
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
    ck_assert_ptr_null(m.out.cookies); /* the state cookie stays usable */
    ck_assert_ok(post(&f, &m, resp, true), m.err);
    ck_assert_str_eq(m.out.user, "alice");
    ck_assert_str_eq(m.out.location, "/app");
}
END_TEST

START_TEST(query_mode_refuses_post)
{
    ft_t f;
    md_t m = {0};
    setup(&f, AOIDC_RT_CODE, AOIDC_RM_QUERY);
    ft_login(&f, "/app", &m.hdr, &m.state, &m.nonce);
    ck_assert_reason(post(&f, &m, ft_callback_query(m.state, "c"), true), m.err,
                     AOIDC_REASON_MALFORMED);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
}
END_TEST

START_TEST(login_request_by_type)
{
    ft_t f;
    md_t m = {0};
    aoidc_login_out_t out;
    aoidc_login_in_t in = {"/", FT_REDIRECT, NULL, NULL, "bob@example.com"};
    aoidc_err_t err = {0};
    setup(&f, AOIDC_RT_ID_TOKEN, AOIDC_RM_FORM_POST);
    ck_assert_ok(aoidc_rp_login(&out, &f.rp, &f.env, &in, &err), err);
    ck_assert_str_eq(ft_url_param(out.location, "response_type"), "id_token");
    ck_assert_str_eq(ft_url_param(out.location, "response_mode"), "form_post");
    ck_assert_str_eq(ft_url_param(out.location, "login_hint"),
                     "bob@example.com");
    /* no code, no PKCE */
    ck_assert_ptr_null(ft_url_param(out.location, "code_challenge"));
    ck_assert_ptr_nonnull(ft_url_param(out.location, "nonce"));
    f.rp.response_type = AOIDC_RT_CODE_ID_TOKEN;
    ft_login(&f, "/", &m.hdr, &m.state, &m.nonce);
    in.login_hint = NULL;
    ck_assert_ok(aoidc_rp_login(&out, &f.rp, &f.env, &in, &err), err);
    ck_assert_str_eq(ft_url_param(out.location, "response_type"),
                     "code id_token");
    ck_assert_ptr_nonnull(ft_url_param(out.location, "code_challenge"));
    ck_assert_ptr_null(ft_url_param(out.location, "login_hint"));
}
END_TEST

START_TEST(hybrid_ok)
{
    ft_t f;
    md_t m = {0};
    setup(&f, AOIDC_RT_CODE_ID_TOKEN, AOIDC_RM_FORM_POST);
    ft_login(&f, "/h", &m.hdr, &m.state, &m.nonce);
    ft_token_answer(&f, ft_id_token(&f, m.nonce, NULL), "at-1", "rt-1", 300);
    ck_assert_ok(
        post(&f, &m, body(&m, "code-1", front(&f, &m, "code-1")), true), m.err);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 1);
    ck_assert_str_eq(m.out.user, "alice");
}
END_TEST

/* the front-channel ID Token is checked before the code goes anywhere */
START_TEST(hybrid_refused_before_exchange)
{
    const char *why[] = {"c_hash other", "c_hash none", "nonce", "no id_token"};
    for (int i = 0; i < 4; i++) {
        ft_t f;
        md_t m = {0};
        const char *idt;
        setup(&f, AOIDC_RT_CODE_ID_TOKEN, AOIDC_RM_FORM_POST);
        ft_login(&f, "/h", &m.hdr, &m.state, &m.nonce);
        ft_token_answer(&f, ft_id_token(&f, m.nonce, NULL), "at-1", "rt", 300);
        idt = i == 0   ? front(&f, &m, "code-2")
              : i == 1 ? front(&f, &m, NULL)
              : i == 2 ? ft_id_token(
                    &f, "other-nonce",
                    json_pack("{s:s}", "c_hash",
                              aoidc_jws_half_hash("RS256", "code-1", tp)))
                       : NULL;
        apr_status_t rv = post(&f, &m, body(&m, "code-1", idt), true);
        ck_assert_msg(rv != APR_SUCCESS, "%s accepted", why[i]);
        ck_assert_int_eq(m.err.reason, i < 2    ? AOIDC_REASON_C_HASH
                                       : i == 2 ? AOIDC_REASON_NONCE
                                                : AOIDC_REASON_MALFORMED);
        ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
        ck_assert_ptr_null(m.out.user);
    }
}
END_TEST

START_TEST(hybrid_other_subject_refused)
{
    ft_t f;
    md_t m = {0};
    setup(&f, AOIDC_RT_CODE_ID_TOKEN, AOIDC_RM_FORM_POST);
    ft_login(&f, "/h", &m.hdr, &m.state, &m.nonce);
    ft_token_answer(&f,
                    ft_id_token(&f, m.nonce, json_pack("{s:s}", "sub", "eve")),
                    "at-1", "rt-1", 300);
    ck_assert_reason(
        post(&f, &m, body(&m, "code-1", front(&f, &m, "code-1")), true), m.err,
        AOIDC_REASON_SUB);
}
END_TEST

START_TEST(implicit_ok)
{
    ft_t f;
    md_t m = {0};
    setup(&f, AOIDC_RT_ID_TOKEN, AOIDC_RM_FORM_POST);
    ft_login(&f, "/i", &m.hdr, &m.state, &m.nonce);
    /* a code in the body is not ours to use: ignored */
    ck_assert_ok(post(&f, &m, body(&m, "code-1", front(&f, &m, NULL)), true),
                 m.err);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), 0);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_USERINFO), 0);
    ck_assert_str_eq(m.out.user, "alice");
    ck_assert_str_eq(m.out.location, "/i");
    /* the session has no access or refresh token, and serves */
    const aoidc_cookie_op_t *op = ft_cookie(m.out.cookies, f.rp.cookie_name);
    ck_assert_ptr_nonnull(op);
    aoidc_session_out_t so;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_rp_session(&so, &f.rp, &f.env, op->value, &err), err);
    ck_assert_ptr_null(so.session->access_token);
    ck_assert_ptr_null(so.session->refresh_token);
    ck_assert(!so.refreshed);
}
END_TEST

START_TEST(implicit_needs_nonce_and_token)
{
    ft_t f;
    md_t m = {0};
    setup(&f, AOIDC_RT_ID_TOKEN, AOIDC_RM_FORM_POST);
    ft_login(&f, "/i", &m.hdr, &m.state, &m.nonce);
    ck_assert_reason(
        post(&f, &m, body(&m, NULL, ft_id_token(&f, NULL, NULL)), true), m.err,
        AOIDC_REASON_NONCE);
    ft_login(&f, "/i", &m.hdr, &m.state, &m.nonce);
    ck_assert_reason(post(&f, &m, body(&m, "code-1", NULL), true), m.err,
                     AOIDC_REASON_MALFORMED);
    /* the state is single use for implicit too */
    ft_login(&f, "/i", &m.hdr, &m.state, &m.nonce);
    const char *ok = body(&m, NULL, front(&f, &m, NULL));
    ck_assert_ok(post(&f, &m, ok, true), m.err);
    ck_assert_reason(post(&f, &m, ok, true), m.err, AOIDC_REASON_STATE_REPLAY);
}
END_TEST

/* RFC 9207 iss: not required of a response with an ID Token, checked when
 * present */
START_TEST(iss_param_with_id_token)
{
    ft_t f;
    md_t m = {0};
    setup(&f, AOIDC_RT_ID_TOKEN, AOIDC_RM_FORM_POST);
    ft_login(&f, "/i", &m.hdr, &m.state, &m.nonce);
    ck_assert_reason(post(&f, &m,
                          apr_pstrcat(tp, body(&m, NULL, front(&f, &m, NULL)),
                                      "&iss=https%3A%2F%2Fevil.example", NULL),
                          true),
                     m.err, AOIDC_REASON_ISS_PARAM);
}
END_TEST

TCase *aoidc_rp_modes_tcase(void)
{
    TCase *tc = aoidc_test_tcase("rp_modes");
    tcase_add_test(tc, form_post_code);
    tcase_add_test(tc, query_mode_refuses_post);
    tcase_add_test(tc, login_request_by_type);
    tcase_add_test(tc, hybrid_ok);
    tcase_add_test(tc, hybrid_refused_before_exchange);
    tcase_add_test(tc, hybrid_other_subject_refused);
    tcase_add_test(tc, implicit_ok);
    tcase_add_test(tc, implicit_needs_nonce_and_token);
    tcase_add_test(tc, iss_param_with_id_token);
    return tc;
}
