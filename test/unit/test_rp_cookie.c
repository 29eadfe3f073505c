/* SPDX-License-Identifier: Apache-2.0 */
/* core/rp_cookie.c and the cookie-store paths of rp_callback.c and
 * rp_session.c: login, hit, touch, refresh, logout with the session in
 * chunk cookies, what is left out when it does not fit, and that the
 * sessions store is never written. */
#include <string.h>

#include "core/cookie.h"
#include "core/cookie_session.h"
#include "flow_fixture.h"

/* The Cookie header after ops were applied to header (sets replace,
 * deletes remove). */
static const char *apply(const char *header, const apr_array_header_t *ops)
{
    apr_array_header_t *all = aoidc_cookie_parse(header ? header : "", 64, tp);
    char *h = "";
    for (int i = 0; i < all->nelts; i++) {
        const aoidc_cookie_t *ck = &APR_ARRAY_IDX(all, i, aoidc_cookie_t);
        if (!ft_cookie(ops, ck->name)) {
            h = apr_pstrcat(tp, h, *h ? "; " : "", ck->name, "=", ck->value,
                            NULL);
        }
    }
    for (int i = 0; ops && i < ops->nelts; i++) {
        const aoidc_cookie_op_t *op = &APR_ARRAY_IDX(ops, i, aoidc_cookie_op_t);
        if (op->max_age && op == ft_cookie(ops, op->name)) {
            h = apr_pstrcat(tp, h, *h ? "; " : "", op->name, "=", op->value,
                            NULL);
        }
    }
    return h;
}

/* Login with the cookie store; extra claims in the ID Token (stolen). */
static const char *cookie_login(ft_t *f, json_t *extra,
                                aoidc_callback_out_t *out)
{
    const char *hdr, *state, *nonce;
    aoidc_err_t err = {0};
    f->rp.cookie_store = true;
    ft_login(f, "/app", &hdr, &state, &nonce);
    ft_token_answer(f, ft_id_token(f, nonce, extra), "at-1", "rt-1", 300);
    aoidc_callback_in_t in = {ft_callback_query(state, "code-1"), hdr,
                              FT_REDIRECT, false, NULL, false};
    ck_assert_ok(aoidc_rp_callback(out, &f->rp, &f->env, &in, &err), err);
    return apply(hdr, out->cookies);
}

static apr_status_t hit(ft_t *f, const char *h, aoidc_session_out_t *out,
                        aoidc_err_t *err)
{
    *err = (aoidc_err_t){0};
    return aoidc_rp_cookie_session(out, &f->rp, &f->env, h, err);
}

START_TEST(login_and_hit_without_server_state)
{
    ft_t f;
    aoidc_callback_out_t co;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *h = cookie_login(&f, NULL, &co);
    ck_assert_ptr_nonnull(ft_cookie(co.cookies, "aoidc_session_0"));
    ck_assert_ptr_null(ft_cookie(co.cookies, "aoidc_session"));
    ck_assert(!co.fit.id_token && !co.fit.claims);
    ck_assert_int_eq(f.sessions.sets + f.sessions.adds, 0);
    ft_at(&f, 10);
    ck_assert_ok(hit(&f, h, &out, &err), err);
    ck_assert_str_eq(out.user, "alice");
    ck_assert_str_eq(out.session->access_token, "at-1");
    ck_assert_ptr_nonnull(out.session->id_token);
    ck_assert_ptr_null(out.cookies); /* no touch due yet */
    ck_assert_int_eq(f.sessions.gets + f.sessions.sets, 0);
    /* the store seam's state cookie and a session store blob never open */
    ck_assert_int_eq(hit(&f, "aoidc_session=x", &out, &err), APR_NOTFOUND);
}
END_TEST

START_TEST(touch_rewrites_and_idle_expires)
{
    ft_t f;
    aoidc_callback_out_t co;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *h = cookie_login(&f, NULL, &co);
    ft_token_answer(&f, NULL, "at-2", "rt-2", 36000); /* refreshes */
    ft_at(&f, 200);
    ck_assert_ok(hit(&f, h, &out, &err), err);
    ck_assert_ptr_nonnull(ft_cookie(out.cookies, "aoidc_session_0"));
    const char *h2 = apply(h, out.cookies);
    ck_assert_str_ne(h, h2);
    /* the old cookies idle out; the rewritten ones live on */
    ft_at(&f, 200 + 3500);
    ck_assert_ok(hit(&f, h2, &out, &err), err);
    ft_at(&f, 200 + 3500 + 3601);
    ck_assert_reason(hit(&f, h2, &out, &err), err,
                     AOIDC_REASON_SESSION_EXPIRED);
    ck_assert(out.clear_cookie);
    ck_assert_int_eq(ft_cookie(out.cookies, "aoidc_session_0")->max_age, 0);
}
END_TEST

START_TEST(tampered_and_foreign_passphrase)
{
    ft_t f;
    aoidc_callback_out_t co;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *h = cookie_login(&f, NULL, &co);
    char *t = apr_pstrdup(tp, h);
    char *at = strstr(t, "aoidc_session_0=") + 40;
    *at = *at == 'A' ? 'B' : 'A';
    ck_assert_reason(hit(&f, t, &out, &err), err, AOIDC_REASON_SESSION_INVALID);
    ck_assert(out.clear_cookie);
    ck_assert_int_eq(ft_cookie(out.cookies, "aoidc_session_0")->max_age, 0);
    /* another issuer/client (tag) is not ours: untouched */
    f.rp.tag = "tagOTH";
    ck_assert_int_eq(hit(&f, h, &out, &err), APR_NOTFOUND);
    ck_assert_ptr_null(out.cookies);
}
END_TEST

START_TEST(oversize_drops_id_token_then_claims)
{
    ft_t f;
    aoidc_callback_out_t co;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    json_t *groups = json_array();
    for (int i = 0; i < 250; i++) {
        json_array_append_new(groups, json_sprintf("group-%05d", i));
    }
    json_t *extra = json_object();
    json_object_set_new(extra, "groups", groups);
    json_object_set_new(extra, "dept", json_string("r&d"));
    char bio[3001];
    memset(bio, 'b', 3000);
    bio[3000] = '\0';
    json_object_set_new(extra, "bio", json_string(bio));
    const char *h = cookie_login(&f, extra, &co);
    ck_assert(co.fit.id_token);
    ck_assert_int_ge(co.fit.claims, 1);
    ck_assert(!co.fit.refresh_token && !co.fit.access_token);
    ck_assert_uint_le(strlen(h), AOIDC_CS_BYTES_MAX + 200);
    ck_assert_ok(hit(&f, h, &out, &err), err);
    ck_assert_str_eq(out.user, "alice");
    ck_assert_ptr_null(aoidc_claims_get(out.session->claims, "groups"));
    ck_assert_ptr_nonnull(aoidc_claims_get(out.session->claims, "dept"));
    ck_assert_ptr_null(out.session->id_token);
    ck_assert_str_eq(out.session->refresh_token, "rt-1");
}
END_TEST

START_TEST(refresh_rewrites_cookies)
{
    ft_t f;
    aoidc_callback_out_t co;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *h = cookie_login(&f, NULL, &co);
    ft_at(&f, 301);
    ft_token_answer(&f, NULL, "at-2", "rt-2", 300);
    ck_assert_ok(hit(&f, h, &out, &err), err);
    ck_assert(out.refreshed);
    ck_assert_str_eq(out.session->access_token, "at-2");
    const char *h2 = apply(h, out.cookies);
    ck_assert_ok(hit(&f, h2, &out, &err), err);
    ck_assert_str_eq(out.session->access_token, "at-2");
    ck_assert_str_eq(out.session->refresh_token, "rt-2");
    ck_assert(!out.refreshed);
    /* the lock went with the refresh: nothing left in the local store */
    ck_assert_int_eq(f.sessions.adds, 1);
    ck_assert_int_eq(f.sessions.removes, 1);
}
END_TEST

START_TEST(busy_refresh_lock_writes_nothing_back)
{
    ft_t f;
    aoidc_callback_out_t co;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *h = cookie_login(&f, NULL, &co);
    ft_at(&f, 301);
    ft_token_answer(&f, NULL, "at-2", "rt-2", 300);
    /* another request of this browser holds the refresh lock */
    f.sessions.down_add = true;
    int calls = aoidc_fake_http_calls(f.fh, FT_TOKEN);
    ck_assert_ok(hit(&f, h, &out, &err), err);
    ck_assert(!out.refreshed);
    ck_assert_str_eq(out.session->access_token, "at-1");
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_TOKEN), calls);
    /* touch is due, but writing the old refresh token back would undo
     * the other request's cookies */
    ck_assert_ptr_null(out.cookies);
}
END_TEST

START_TEST(logout_clears_every_chunk)
{
    ft_t f;
    aoidc_callback_out_t co;
    aoidc_logout_out_t out;
    aoidc_err_t err = {0};
    ft_setup(&f);
    json_t *extra = json_object();
    char big[1200];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    json_object_set_new(extra, "bio", json_string(big));
    const char *h = cookie_login(&f, extra, &co);
    ck_assert_ptr_nonnull(ft_cookie(co.cookies, "aoidc_session_1"));
    aoidc_logout_in_t in = {NULL, "/bye", "https://rp.example/bye", h};
    ck_assert_ok(aoidc_rp_logout(&out, &f.rp, &f.env, &in, &err), err);
    ck_assert(out.had_session);
    ck_assert_int_eq(ft_cookie(out.cookies, "aoidc_session_0")->max_age, 0);
    ck_assert_int_eq(ft_cookie(out.cookies, "aoidc_session_1")->max_age, 0);
    ck_assert_ptr_nonnull(strstr(out.location, "id_token_hint="));
    ck_assert_ptr_nonnull(strstr(out.location, FT_LOGOUT));
    /* a broken set goes too, every index up to the cap */
    in.cookie_header = apr_pstrcat(tp, h,
                                   "; aoidc_session_5=junk; "
                                   "aoidc_session_8=junk",
                                   NULL);
    ck_assert_ok(aoidc_rp_logout(&out, &f.rp, &f.env, &in, &err), err);
    ck_assert(!out.had_session);
    ck_assert_int_eq(ft_cookie(out.cookies, "aoidc_session_0")->max_age, 0);
    ck_assert_int_eq(ft_cookie(out.cookies, "aoidc_session_5")->max_age, 0);
    ck_assert_int_eq(ft_cookie(out.cookies, "aoidc_session_8")->max_age, 0);
    ck_assert_str_eq(out.location, "/bye");
}
END_TEST

TCase *aoidc_rp_cookie_tcase(void)
{
    TCase *tc = aoidc_test_tcase("rp_cookie");
    tcase_add_test(tc, login_and_hit_without_server_state);
    tcase_add_test(tc, touch_rewrites_and_idle_expires);
    tcase_add_test(tc, tampered_and_foreign_passphrase);
    tcase_add_test(tc, oversize_drops_id_token_then_claims);
    tcase_add_test(tc, refresh_rewrites_cookies);
    tcase_add_test(tc, busy_refresh_lock_writes_nothing_back);
    tcase_add_test(tc, logout_clears_every_chunk);
    return tc;
}
