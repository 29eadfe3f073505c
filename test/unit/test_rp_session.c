/* SPDX-License-Identifier: Apache-2.0 */
/* core/rp_session.c: the session hit (checks, touch, refresh with its lock
 * and back-off) and logout. Sessions come from a real login (ft_session). */
#include <string.h>

#include "flow_fixture.h"

static apr_status_t hit(ft_t *f, const char *cookie, aoidc_session_out_t *out,
                        aoidc_err_t *err)
{
    *err = (aoidc_err_t){0};
    return aoidc_rp_session(out, &f->rp, &f->env, cookie, err);
}

static aoidc_ticket_t ticket(const char *cookie)
{
    aoidc_ticket_t t;
    ck_assert(aoidc_ticket_parse(&t, cookie));
    return t;
}

static int token_calls(ft_t *f)
{
    return aoidc_fake_http_calls(f->fh, FT_TOKEN);
}

START_TEST(no_cookie_and_bad_shape)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    ck_assert_int_eq(hit(&f, NULL, &out, &err), APR_NOTFOUND);
    ck_assert_int_eq(hit(&f, "", &out, &err), APR_NOTFOUND);
    ck_assert(!out.clear_cookie);
    ck_assert_reason(hit(&f, "not-a-ticket", &out, &err), err,
                     AOIDC_REASON_SESSION_INVALID);
    ck_assert(out.clear_cookie);
    /* our ticket, no such session: the cookie loses it */
    const char *ours = apr_pstrcat(
        tp, f.rp.tag, ".AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB", NULL);
    ck_assert_reason(hit(&f, ours, &out, &err), err,
                     AOIDC_REASON_SESSION_EXPIRED);
    ck_assert(out.clear_cookie);
    ck_assert_int_eq(ft_cookie(out.cookies, f.rp.cookie_name)->max_age, 0);
    ck_assert_int_eq(f.sessions.gets, 1);
    /* tickets of other identities only (or the old shape): not ours to
     * judge, nothing read */
    ck_assert_int_eq(hit(&f,
                         "tagOTH.AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB",
                         &out, &err),
                     APR_NOTFOUND);
    ck_assert(!out.clear_cookie);
    ck_assert_ptr_null(out.cookies);
    ck_assert_int_eq(
        hit(&f, "AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB", &out, &err),
        APR_NOTFOUND);
    ck_assert_int_eq(f.sessions.gets, 1);
}
END_TEST

START_TEST(valid)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    ft_at(&f, 10);
    int sets = f.sessions.sets;
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_str_eq(out.user, "alice");
    ck_assert_str_eq(aoidc_claims_get(out.session->claims, "sub")->value,
                     "alice");
    ck_assert_str_eq(out.session->access_token, "at-1");
    ck_assert(!out.refreshed);
    ck_assert(!out.clear_cookie);
    ck_assert_int_eq(out.refresh_err.reason, AOIDC_REASON_NONE);
    /* a hit: one get, no write */
    ck_assert_int_eq(f.sessions.sets, sets);
}
END_TEST

/* A touch never saves a copy while another request holds the refresh lock
 * (it could carry a refresh token rotated away meanwhile). */
START_TEST(touch_waits_for_the_lock)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_ticket_t t = ticket(c);
    int sets = f.sessions.sets;
    ft_at(&f, 61);
    ck_assert_int_eq(aoidc_rp_lock(&f.env, &t, AOIDC_NS_REFRESH_LOCK,
                                   AOIDC_REFRESH_LOCK_TTL),
                     APR_SUCCESS);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(f.sessions.sets, sets);
    /* the lock gone, the next request touches */
    aoidc_rp_remove(&f.env, &t, AOIDC_NS_REFRESH_LOCK);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(f.sessions.sets, sets + 1);
    /* and leaves no lock behind */
    ck_assert_int_eq(aoidc_rp_lock(&f.env, &t, AOIDC_NS_REFRESH_LOCK,
                                   AOIDC_REFRESH_LOCK_TTL),
                     APR_SUCCESS);
}
END_TEST

START_TEST(touch_only_when_due)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    aoidc_session_t *s;
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_ticket_t t = ticket(c);
    int sets = f.sessions.sets;
    ft_at(&f, 60);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(f.sessions.sets, sets);
    ft_at(&f, 61);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(f.sessions.sets, sets + 1);
    ck_assert_ok(aoidc_rp_load(&s, &f.rp, &f.env, &t, &err), err);
    ck_assert_int_eq(s->last_seen, T_NOW + apr_time_from_sec(61));
    ft_at(&f, 100);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(f.sessions.sets, sets + 1);
    /* the touch moved the idle end: alive past the first hour */
    ft_at(&f, 3650);
    ck_assert_ok(hit(&f, c, &out, &err), err);
}
END_TEST

START_TEST(idle_expired_destroyed)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 2);
    /* the store has not expired it yet; the check does */
    f.env.now = T_NOW + f.rp.limits.inactivity + apr_time_from_sec(1);
    ck_assert_reason(hit(&f, c, &out, &err), err, AOIDC_REASON_SESSION_EXPIRED);
    ck_assert(out.clear_cookie);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
    /* absolute limit, touched all along */
    ft_setup(&f);
    f.rp.limits.max_age = apr_time_from_sec(200);
    c = ft_session(&f);
    ft_at(&f, 100);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    f.env.now = T_NOW + apr_time_from_sec(201);
    ck_assert_reason(hit(&f, c, &out, &err), err, AOIDC_REASON_SESSION_EXPIRED);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
}
END_TEST

START_TEST(other_issuer_or_client)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_rp_conf_t mine = f.rp;
    aoidc_client_t oc = {
        .client_id = "client-2", .client_secret = "x", .use_post = false};
    /* another client: its own tag, so our ticket is not its business */
    f.rp.client = &oc;
    f.rp.tag = aoidc_rp_tag(T_ISS, "client-2", tp);
    ck_assert_int_eq(hit(&f, c, &out, &err), APR_NOTFOUND);
    ck_assert(!out.clear_cookie);
    /* a ticket under its tag naming our session (forged, or a tag
     * collision) is refused by the record's issuer and client */
    const char *forged = apr_pstrcat(tp, f.rp.tag, c + AOIDC_TAG_LEN, NULL);
    ck_assert_reason(hit(&f, forged, &out, &err), err,
                     AOIDC_REASON_SESSION_INVALID);
    ck_assert(out.clear_cookie);
    f.rp = mine;
    f.rp.issuer = "https://other.example";
    ck_assert_reason(hit(&f, c, &out, &err), err, AOIDC_REASON_SESSION_INVALID);
    /* refusing it does not end the session it names */
    f.rp = mine;
    ck_assert_ok(hit(&f, c, &out, &err), err);
}
END_TEST

START_TEST(shared_cookie)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    const char *other = "tagOTH.AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB";
    const char *both = apr_pstrcat(tp, other, "~", c, NULL);
    ck_assert_ok(hit(&f, both, &out, &err), err);
    ck_assert_str_eq(out.user, "alice");
    ck_assert_ptr_null(out.cookies);
    /* ours dies: the other identity's ticket stays in the cookie */
    f.env.now = T_NOW + f.rp.limits.inactivity + apr_time_from_sec(1);
    ck_assert_reason(hit(&f, both, &out, &err), err,
                     AOIDC_REASON_SESSION_EXPIRED);
    ck_assert(out.clear_cookie);
    const aoidc_cookie_op_t *op = ft_cookie(out.cookies, f.rp.cookie_name);
    ck_assert_str_eq(op->value, other);
    ck_assert_int_lt(op->max_age, 0);
}
END_TEST

START_TEST(store_down_keeps_cookie)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    f.sessions.down_get = true;
    ck_assert_reason(hit(&f, c, &out, &err), err,
                     AOIDC_REASON_STORE_UNAVAILABLE);
    ck_assert(!out.clear_cookie);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 2);
    f.sessions.down_get = false;
    ck_assert_ok(hit(&f, c, &out, &err), err);
}
END_TEST

START_TEST(no_user)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    const char *c;
    ft_setup(&f);
    aoidc_session_t s = {0};
    s.created = s.last_seen = T_NOW;
    s.issuer = T_ISS;
    s.client_id = T_AUD;
    s.sub = "alice";
    s.access_token = "at";
    json_t *j = json_pack("{s:s, s:s}", "sub", "alice", "email", "");
    s.claims = aoidc_claims_add_json(NULL, j, tp);
    json_decref(j);
    ck_assert_int_eq(aoidc_rp_session_create(&c, &f.rp, &f.env, &s),
                     APR_SUCCESS);
    f.rp.remote_user_claim = "email";
    ck_assert_reason(hit(&f, c, &out, &err), err, AOIDC_REASON_NO_USER);
    ck_assert(out.clear_cookie);
    ck_assert_ptr_null(out.user);
}
END_TEST

/* --- refresh ------------------------------------------------------------ */

static void refresh_answer(ft_t *f, const char *rt)
{
    ft_token_answer(f, NULL, "at-2", rt, 300);
}

START_TEST(refresh_when_expired)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    aoidc_session_t *s;
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_ticket_t t = ticket(c);
    refresh_answer(&f, "rt-2");
    int calls = token_calls(&f);
    /* not due yet */
    ft_at(&f, 299);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls);
    ft_at(&f, 301);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls + 1);
    const aoidc_http_req_t *req = aoidc_fake_http_last(f.fh);
    ck_assert_ptr_nonnull(strstr(req->body, "grant_type=refresh_token"));
    ck_assert_ptr_nonnull(strstr(req->body, "refresh_token=rt-1"));
    ck_assert(out.refreshed);
    ck_assert_str_eq(out.session->access_token, "at-2");
    ck_assert_str_eq(out.user, "alice");
    /* saved (the rotated refresh token too), the lock gone */
    ck_assert_ok(aoidc_rp_load(&s, &f.rp, &f.env, &t, &err), err);
    ck_assert_str_eq(s->access_token, "at-2");
    ck_assert_str_eq(s->refresh_token, "rt-2");
    ck_assert_int_eq(s->at_expires, T_NOW + apr_time_from_sec(601));
    ck_assert(!ft_has_entry(&f, c, AOIDC_NS_REFRESH_LOCK));
    /* the ID Token entry is untouched */
    ck_assert(ft_has_entry(&f, c, AOIDC_NS_ID_TOKEN));
    /* fresh now: the next hit does not refresh */
    ft_at(&f, 302);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls + 1);
}
END_TEST

START_TEST(refresh_token_kept_when_not_rotated)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    aoidc_session_t *s;
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_ticket_t t = ticket(c);
    refresh_answer(&f, NULL);
    ft_at(&f, 301);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert(out.refreshed);
    ck_assert_ok(aoidc_rp_load(&s, &f.rp, &f.env, &t, &err), err);
    ck_assert_str_eq(s->access_token, "at-2");
    ck_assert_str_eq(s->refresh_token, "rt-1");
}
END_TEST

START_TEST(refresh_lock_held)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_ticket_t t = ticket(c);
    refresh_answer(&f, "rt-2");
    ft_at(&f, 301);
    ck_assert_int_eq(aoidc_rp_lock(&f.env, &t, AOIDC_NS_REFRESH_LOCK,
                                   AOIDC_REFRESH_LOCK_TTL),
                     APR_SUCCESS);
    int calls = token_calls(&f);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls);
    ck_assert(!out.refreshed);
    ck_assert_str_eq(out.session->access_token, "at-1");
    /* the holder's lock stays */
    ck_assert(ft_has_entry(&f, c, AOIDC_NS_REFRESH_LOCK));
}
END_TEST

typedef struct {
    ft_t *f;
    const char *cookie;
} other_t;

/* Another request refreshed and released the lock between our load and
 * our lock. */
static void other_refreshed(ft_store_t *st, void *baton)
{
    other_t *o = baton;
    aoidc_ticket_t t = ticket(o->cookie);
    aoidc_session_t *s;
    aoidc_err_t err = {0};
    (void)st;
    ck_assert_ok(aoidc_rp_load(&s, &o->f->rp, &o->f->env, &t, &err), err);
    s->access_token = "at-other";
    s->refresh_token = "rt-other";
    s->at_expires = o->f->env.now + apr_time_from_sec(300);
    ck_assert_int_eq(aoidc_rp_save(&o->f->rp, &o->f->env, &t, s), APR_SUCCESS);
}

START_TEST(refresh_rereads_after_lock)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    aoidc_session_t *s;
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_ticket_t t = ticket(c);
    other_t o = {&f, c};
    refresh_answer(&f, "rt-2");
    ft_at(&f, 301);
    int calls = token_calls(&f);
    f.sessions.on_add = other_refreshed;
    f.sessions.on_add_baton = &o;
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_ptr_null(f.sessions.on_add); /* it ran */
    /* rt-1 was rotated away: refreshing with it would end the session */
    ck_assert_int_eq(token_calls(&f), calls);
    ck_assert_str_eq(out.session->access_token, "at-other");
    ck_assert(!ft_has_entry(&f, c, AOIDC_NS_REFRESH_LOCK));
    ck_assert_ok(aoidc_rp_load(&s, &f.rp, &f.env, &t, &err), err);
    ck_assert_str_eq(s->refresh_token, "rt-other");
}
END_TEST

START_TEST(refresh_invalid_grant_ends_session)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_fake_http_route(f.fh, FT_TOKEN, 400, "{\"error\":\"invalid_grant\"}");
    ft_at(&f, 301);
    ck_assert_reason(hit(&f, c, &out, &err), err, AOIDC_REASON_REFRESH);
    ck_assert(out.clear_cookie);
    /* the session ends (err says why); nothing was "postponed" */
    ck_assert_int_eq(out.refresh_err.reason, AOIDC_REASON_NONE);
    ck_assert_ptr_nonnull(strstr(err.detail, "invalid_grant"));
    /* session, ID Token and lock: all gone */
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
    /* the OP answered: its circuit stays closed */
    ck_assert(!aoidc_guard_is_open(f.env.guard, f.env.now));
}
END_TEST

static void transient(void (*break_op)(ft_t *), aoidc_reason_t want)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    break_op(&f);
    ft_at(&f, 301);
    int calls = token_calls(&f);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls + 1);
    ck_assert_int_eq(out.refresh_err.reason, want);
    ck_assert(!out.refreshed);
    ck_assert(!out.clear_cookie);
    ck_assert_str_eq(out.session->access_token, "at-1");
    ck_assert_str_eq(out.user, "alice");
    /* the lock stays as a back-off; the circuit is open */
    ck_assert(ft_has_entry(&f, c, AOIDC_NS_REFRESH_LOCK));
    ck_assert(aoidc_guard_is_open(f.env.guard, f.env.now));
    ft_at(&f, 302);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls + 1);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 3);
}

static void fail_500(ft_t *f)
{
    aoidc_fake_http_route(f->fh, FT_TOKEN, 500, "oops");
}

static void fail_unreachable(ft_t *f)
{
    aoidc_fake_http_fail(f->fh, FT_TOKEN, AOIDC_REASON_OP_UNREACHABLE);
}

START_TEST(refresh_transient_500)
{
    transient(fail_500, AOIDC_REASON_OP_BAD_RESPONSE);
}
END_TEST

START_TEST(refresh_transient_unreachable)
{
    transient(fail_unreachable, AOIDC_REASON_OP_UNREACHABLE);
}
END_TEST

START_TEST(refresh_backoff_without_guard)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    f.env.guard = NULL;
    const char *c = ft_session(&f);
    fail_500(&f);
    ft_at(&f, 301);
    int calls = token_calls(&f);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls + 1);
    /* the lock alone holds the next requests back ... */
    ft_at(&f, 301 + apr_time_sec(AOIDC_REFRESH_BACKOFF) - 1);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls + 1);
    /* ... for the back-off only */
    refresh_answer(&f, "rt-2");
    ft_at(&f, 301 + apr_time_sec(AOIDC_REFRESH_BACKOFF));
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls + 2);
    ck_assert(out.refreshed);
}
END_TEST

START_TEST(refresh_other_refusal_not_fatal)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    /* a client secret changed at the OP is not the user's fault */
    aoidc_fake_http_route(f.fh, FT_TOKEN, 401,
                          "{\"error\":\"invalid_client\"}");
    ft_at(&f, 301);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(out.refresh_err.reason, AOIDC_REASON_TOKEN_ENDPOINT);
    ck_assert_str_eq(out.refresh_err.op_error, "invalid_client");
    ck_assert(!aoidc_guard_is_open(f.env.guard, f.env.now));
    ck_assert(ft_has_entry(&f, c, AOIDC_NS_SESSION));
}
END_TEST

START_TEST(refresh_skipped_while_circuit_open)
{
    ft_t f;
    aoidc_session_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *c = ft_session(&f);
    refresh_answer(&f, "rt-2");
    ft_at(&f, 301);
    ck_assert_ok(aoidc_guard_enter(f.env.guard, tp, &err), err);
    aoidc_guard_leave(f.env.guard, f.env.now, true);
    int calls = token_calls(&f);
    ck_assert_ok(hit(&f, c, &out, &err), err);
    ck_assert_int_eq(token_calls(&f), calls);
    ck_assert(!ft_has_entry(&f, c, AOIDC_NS_REFRESH_LOCK));
}
END_TEST

/* --- logout ------------------------------------------------------------- */

static aoidc_logout_out_t logout(ft_t *f, const char *cookie)
{
    aoidc_logout_out_t out;
    aoidc_err_t err = {0};
    aoidc_logout_in_t in = {cookie, "/bye", "https://rp.example/bye", NULL};
    ck_assert_ok(aoidc_rp_logout(&out, &f->rp, &f->env, &in, &err), err);
    return out;
}

START_TEST(logout_with_session)
{
    ft_t f;
    unsigned char *idt;
    apr_size_t n;
    aoidc_err_t err = {0};
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_ticket_t t = ticket(c);
    ck_assert_ok(
        aoidc_rp_get(&idt, &n, &f.rp, &f.env, &t, AOIDC_NS_ID_TOKEN, &err),
        err);
    aoidc_logout_out_t out = logout(&f, c);
    ck_assert(out.had_session);
    ck_assert(!out.id_token_missing);
    ck_assert_int_eq(
        strncmp(out.location, FT_LOGOUT "?", strlen(FT_LOGOUT) + 1), 0);
    ck_assert_str_eq(ft_url_param(out.location, "id_token_hint"), (char *)idt);
    ck_assert_str_eq(ft_url_param(out.location, "post_logout_redirect_uri"),
                     "https://rp.example/bye");
    ck_assert_str_eq(ft_url_param(out.location, "client_id"), T_AUD);
    const aoidc_cookie_op_t *op = ft_cookie(out.cookies, f.rp.cookie_name);
    ck_assert_ptr_nonnull(op);
    ck_assert_int_eq(op->kind, AOIDC_COOKIE_SESSION);
    ck_assert_int_eq(op->max_age, 0);
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
    /* the cookie is dead now */
    aoidc_session_out_t so;
    ck_assert_reason(hit(&f, c, &so, &err), err, AOIDC_REASON_SESSION_EXPIRED);
}
END_TEST

START_TEST(logout_id_token_missing)
{
    ft_t f;
    ft_setup(&f);
    const char *c = ft_session(&f);
    aoidc_ticket_t t = ticket(c);
    aoidc_rp_remove(&f.env, &t, AOIDC_NS_ID_TOKEN);
    aoidc_logout_out_t out = logout(&f, c);
    ck_assert(out.had_session);
    ck_assert(out.id_token_missing);
    ck_assert_ptr_null(ft_url_param(out.location, "id_token_hint"));
    ck_assert_str_eq(ft_url_param(out.location, "client_id"), T_AUD);
    ck_assert_str_eq(ft_url_param(out.location, "post_logout_redirect_uri"),
                     "https://rp.example/bye");
    ck_assert_int_eq(aoidc_mem_store_count(f.sessions.ms), 0);
}
END_TEST

START_TEST(logout_without_session)
{
    ft_t f;
    ft_setup(&f);
    aoidc_logout_out_t out = logout(&f, NULL);
    ck_assert_str_eq(out.location, "/bye");
    ck_assert(!out.had_session);
    ck_assert_ptr_null(out.cookies);
    out = logout(&f, "AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB");
    ck_assert_str_eq(out.location, "/bye");
    ck_assert(!out.had_session);
    ck_assert_int_eq(ft_cookie(out.cookies, f.rp.cookie_name)->max_age, 0);
    out = logout(&f, "garbage");
    ck_assert_str_eq(out.location, "/bye");
    ck_assert_int_eq(ft_cookie(out.cookies, f.rp.cookie_name)->max_age, 0);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, NULL), 0);
    /* another identity's ticket: kept, and its session not ours to end */
    const char *other = "tagOTH.AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB";
    out = logout(&f, other);
    ck_assert_str_eq(out.location, "/bye");
    ck_assert_str_eq(ft_cookie(out.cookies, f.rp.cookie_name)->value, other);
    ck_assert_int_eq(f.sessions.removes, 0);
}
END_TEST

TCase *aoidc_rp_session_tcase(void)
{
    TCase *tc = aoidc_test_tcase("rp_session");
    tcase_add_test(tc, no_cookie_and_bad_shape);
    tcase_add_test(tc, valid);
    tcase_add_test(tc, touch_only_when_due);
    tcase_add_test(tc, touch_waits_for_the_lock);
    tcase_add_test(tc, idle_expired_destroyed);
    tcase_add_test(tc, other_issuer_or_client);
    tcase_add_test(tc, shared_cookie);
    tcase_add_test(tc, store_down_keeps_cookie);
    tcase_add_test(tc, no_user);
    tcase_add_test(tc, refresh_when_expired);
    tcase_add_test(tc, refresh_token_kept_when_not_rotated);
    tcase_add_test(tc, refresh_lock_held);
    tcase_add_test(tc, refresh_rereads_after_lock);
    tcase_add_test(tc, refresh_invalid_grant_ends_session);
    tcase_add_test(tc, refresh_transient_500);
    tcase_add_test(tc, refresh_transient_unreachable);
    tcase_add_test(tc, refresh_backoff_without_guard);
    tcase_add_test(tc, refresh_other_refusal_not_fatal);
    tcase_add_test(tc, refresh_skipped_while_circuit_open);
    tcase_add_test(tc, logout_with_session);
    tcase_add_test(tc, logout_id_token_missing);
    tcase_add_test(tc, logout_without_session);
    return tc;
}
