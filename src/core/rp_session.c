/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The session hit (with refresh) and logout (rp.h). The hot path: one
 * cookie parse, one store get, one AEAD open, one walk over the record;
 * the record is written back only when last_seen drifts (see
 * aoidc_session_touch_due) or the tokens were refreshed.
 */
#include <string.h>

#include "core/b64url.h"
#include "core/client.h"
#include "core/cookie_session.h"
#include "core/json.h"
#include "core/id_token.h"
#include "core/rp.h"
#include "core/rp_store.h"
#include "core/session_index.h"
#include "core/url.h"

/* The refresh lock is ours: re-read the record, since a request that
 * loaded it before another one refreshed would otherwise refresh again
 * with a refresh token the OP has rotated away (and lose the session). */
static bool refreshed_meanwhile(aoidc_session_t **s, const aoidc_rp_conf_t *c,
                                const aoidc_flow_env_t *env,
                                const aoidc_ticket_t *t)
{
    aoidc_session_t *fresh;
    aoidc_err_t err = {0};
    if (aoidc_rp_load(&fresh, c, env, t, &err) != APR_SUCCESS) {
        return false;
    }
    if (fresh->at_expires != (*s)->at_expires
        || (fresh->refresh_token && (*s)->refresh_token
            && strcmp(fresh->refresh_token, (*s)->refresh_token))) {
        *s = fresh;
        return true;
    }
    return false;
}

static bool is_fatal(const aoidc_err_t *err)
{
    /* RFC 6749 §5.2: the refresh token is invalid, expired or revoked.
     * Everything else (the OP down, invalid_client after a secret change,
     * garbage) is not the user's fault and must not log them out. */
    return err->reason == AOIDC_REASON_TOKEN_ENDPOINT && err->op_error
           && !strcmp(err->op_error, "invalid_grant");
}

static apr_status_t do_refresh(aoidc_token_response_t *tr,
                               const aoidc_rp_conf_t *c,
                               const aoidc_flow_env_t *env,
                               const aoidc_session_t *s, aoidc_err_t *err)
{
    aoidc_snapshot_t *snap;
    apr_status_t rv = aoidc_flow_snapshot(&snap, env, err);
    if (rv == APR_SUCCESS) {
        rv = aoidc_guard_enter(env->guard, env->pool, err);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    aoidc_client_t dc;
    rv = aoidc_client_refresh(
        tr, env->http, &snap->md,
        aoidc_client_dpop(&dc, c->client, c->dpop_key, c->dpop_required),
        s->refresh_token, env->pool, err);
    aoidc_guard_leave(env->guard, env->now,
                      rv != APR_SUCCESS && !is_fatal(err)
                          && err->reason != AOIDC_REASON_TOKEN_ENDPOINT);
    return rv;
}

/* OIDC Core 12.2: an ID Token in a refresh response must be the session's
 * user at the session's issuer, checked like the login's; the session's
 * own ID Token (kept from the login) supplies nonce, auth_time and azp to
 * compare with. Refresh responses without one are fine. */
static apr_status_t check_id_token(const aoidc_token_response_t *tr,
                                   const aoidc_rp_conf_t *c,
                                   const aoidc_flow_env_t *env,
                                   const aoidc_session_t *s, aoidc_err_t *err)
{
    aoidc_id_token_refresh_rules_t r = {c->issuer,
                                        c->client->client_id,
                                        c->client->client_secret,
                                        s->sub,
                                        NULL,
                                        tr->access_token,
                                        env->now,
                                        c->leeway,
                                        c->algs};
    aoidc_snapshot_t *snap;
    aoidc_jws_t *orig;
    const aoidc_jwks_t *keys;
    json_t *claims;
    apr_status_t rv;
    if (!tr->id_token) {
        return APR_SUCCESS;
    }
    if (s->id_token
        && aoidc_jws_parse(&orig, s->id_token, strlen(s->id_token), env->pool,
                           NULL)
               == APR_SUCCESS) {
        r.original = orig->payload;
    }
    if ((rv = aoidc_flow_snapshot(&snap, env, err)) != APR_SUCCESS) {
        return rv;
    }
    rv = aoidc_id_token_validate_refresh(&claims, tr->id_token, snap->jwks, &r,
                                         env->pool, err);
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_KEY_UNKNOWN
        && (keys = aoidc_flow_rotated_keys(env))) {
        rv = aoidc_id_token_validate_refresh(&claims, tr->id_token, keys, &r,
                                             env->pool, err);
    }
    return rv;
}

/* Refresh when the access token has expired. Non-success only when the OP
 * refused the refresh token, or sent an ID Token that is not the session's
 * (the session ends). */
static apr_status_t refresh(aoidc_session_out_t *out, const aoidc_rp_conf_t *c,
                            const aoidc_flow_env_t *env,
                            const aoidc_ticket_t *t, aoidc_err_t *err)
{
    aoidc_session_t *s = out->session;
    aoidc_token_response_t tr;
    apr_status_t rv;
    bool bad_id_token = false;

    if (!s->refresh_token || !s->at_expires
        || env->now < s->at_expires - c->refresh_before
        || aoidc_guard_is_open(env->guard, env->now)) {
        return APR_SUCCESS; /* not due, or the OP is failing: serve as is */
    }
    if (aoidc_rp_lock(env, t, AOIDC_NS_REFRESH_LOCK, AOIDC_REFRESH_LOCK_TTL)
        != APR_SUCCESS) {
        return APR_SUCCESS; /* someone refreshes, or backs off, or no store */
    }
    if (!c->cookie_store && refreshed_meanwhile(&out->session, c, env, t)) {
        aoidc_rp_remove(env, t, AOIDC_NS_REFRESH_LOCK);
        return APR_SUCCESS;
    }
    rv = do_refresh(&tr, c, env, s, &out->refresh_err);
    if (rv == APR_SUCCESS
        && check_id_token(&tr, c, env, s, &out->refresh_err) != APR_SUCCESS) {
        /* a refused ID Token ends the session; no keys to check it with
         * (the OP down) is transient like any other outage */
        rv = APR_EGENERAL;
        bad_id_token = aoidc_reason_info(out->refresh_err.reason)->fault
                       == AOIDC_FAULT_CLIENT;
    }
    if (rv != APR_SUCCESS) {
        if (bad_id_token || is_fatal(&out->refresh_err)) {
            const char *why = out->refresh_err.detail;
            aoidc_rp_remove(env, t, AOIDC_NS_REFRESH_LOCK);
            /* not "postponed": the session ends, and err says why */
            memset(&out->refresh_err, 0, sizeof(out->refresh_err));
            return aoidc_err_set(err, AOIDC_REASON_REFRESH, env->pool,
                                 "refresh refused: %s", why);
        }
        /* transient: the lock becomes a back-off, so the other requests
         * of this session do not each wait for a failing OP */
        aoidc_rp_mark(env, t, AOIDC_NS_REFRESH_LOCK, AOIDC_REFRESH_BACKOFF);
        return APR_SUCCESS;
    }
    s->access_token = tr.access_token;
    if (tr.refresh_token) {
        s->refresh_token = tr.refresh_token;
    }
    s->at_expires = aoidc_token_expiry(&tr, env->now);
    s->last_seen = env->now;
    out->refreshed = true;
    /* saved before the lock goes: nobody may refresh from the old copy
     * (the cookie store's caller writes the cookies) */
    if (!c->cookie_store) {
        aoidc_rp_save(c, env, t, s);
    }
    aoidc_rp_remove(env, t, AOIDC_NS_REFRESH_LOCK);
    return APR_SUCCESS;
}

static bool refresh_due(const aoidc_session_t *s, const aoidc_rp_conf_t *c,
                        const aoidc_flow_env_t *env)
{
    return s->refresh_token && s->at_expires
           && env->now >= s->at_expires - c->refresh_before;
}

/* The user of a loaded session; a session without one ends. */
static apr_status_t session_user(aoidc_session_out_t *out,
                                 const aoidc_rp_conf_t *c,
                                 const aoidc_flow_env_t *env,
                                 const char *cookie, aoidc_err_t *err)
{
    out->user = aoidc_flow_user(out->session->claims, c->remote_user_claim);
    if (!out->user) {
        out->clear_cookie = true;
        aoidc_ticket_cookie(&out->cookies, c, cookie, NULL, env->pool);
        return aoidc_err_set(err, AOIDC_REASON_NO_USER, env->pool,
                             "session has no usable %s or sub claim",
                             c->remote_user_claim);
    }
    return APR_SUCCESS;
}

/* Write last_seen back. Under the refresh lock, from a fresh read: a copy
 * loaded before another request refreshed must never be saved over the
 * new tokens (the OP may have rotated the refresh token away). When the
 * lock is taken, whoever holds it saves a current last_seen anyway, or
 * the next request touches. */
static void touch(const aoidc_rp_conf_t *c, const aoidc_flow_env_t *env,
                  const aoidc_ticket_t *t)
{
    aoidc_session_t *fresh;
    aoidc_err_t err = {0};
    if (aoidc_rp_lock(env, t, AOIDC_NS_REFRESH_LOCK, AOIDC_REFRESH_LOCK_TTL)
        != APR_SUCCESS) {
        return;
    }
    if (aoidc_rp_load(&fresh, c, env, t, &err) == APR_SUCCESS) {
        fresh->last_seen = env->now;
        aoidc_rp_save(c, env, t, fresh);
    }
    aoidc_rp_remove(env, t, AOIDC_NS_REFRESH_LOCK);
}

apr_status_t aoidc_rp_session(aoidc_session_out_t *out,
                              const aoidc_rp_conf_t *c,
                              const aoidc_flow_env_t *env, const char *cookie,
                              aoidc_err_t *err)
{
    aoidc_ticket_t t;
    apr_status_t rv;
    apr_uint32_t gen;
    bool wrote = false;

    memset(out, 0, sizeof(*out));
    if (!cookie || !*cookie) {
        return APR_NOTFOUND;
    }
    if (!aoidc_ticket_find(&t, cookie, c->tag)) {
        if (!strchr(cookie, '.')) {
            /* not a ticket list at all (an old or forged cookie): drop it */
            out->clear_cookie = true;
            aoidc_ticket_cookie(&out->cookies, c, cookie, NULL, env->pool);
            return aoidc_err_set(err, AOIDC_REASON_SESSION_INVALID, env->pool,
                                 "session cookie of the wrong shape");
        }
        return APR_NOTFOUND; /* other identities' tickets: not ours to end */
    }
    if (aoidc_rp_l1_load(&out->session, c, env, &t)
        && !refresh_due(out->session, c, env)
        && !aoidc_session_touch_due(out->session, &c->limits, env->now)) {
        return session_user(out, c, env, cookie, err); /* nothing to do */
    }
    gen = aoidc_rp_l1_gen(env, &t); /* before the read: see l1.h */
    rv = aoidc_rp_load(&out->session, c, env, &t, err);
    if (rv == APR_SUCCESS) {
        rv = refresh(out, c, env, &t, err);
    }
    if (rv != APR_SUCCESS) {
        if (err->reason == AOIDC_REASON_STORE_UNAVAILABLE) {
            return rv; /* keep the cookie: the session may well be fine */
        }
        out->clear_cookie = true;
        aoidc_ticket_cookie(&out->cookies, c, cookie, NULL, env->pool);
        if (err->reason == AOIDC_REASON_REFRESH
            || err->reason == AOIDC_REASON_SESSION_EXPIRED) {
            aoidc_rp_destroy(env, &t);
        }
        return rv;
    }
    if (!out->refreshed
        && aoidc_session_touch_due(out->session, &c->limits, env->now)) {
        touch(c, env, &t);
        wrote = true;
    }
    rv = session_user(out, c, env, cookie, err);
    if (rv == APR_SUCCESS && !out->refreshed && !wrote) {
        aoidc_rp_l1_keep(c, env, &t, gen,
                         out->session); /* as read: unchanged */
    }
    return rv;
}

/* The cookie store has no ticket: the refresh lock is named after the
 * refresh token instead, in the local store (on this host only: another
 * node may refresh the same session at the same moment, and with rotating
 * refresh tokens one of the two then loses the session). */
static bool lock_ticket(aoidc_ticket_t *t, const aoidc_rp_conf_t *c,
                        const aoidc_flow_env_t *env, const aoidc_session_t *s)
{
    unsigned char h[32];
    if (!env->sessions || !s->refresh_token) {
        return false;
    }
    aoidc_sha256(h, s->refresh_token, strlen(s->refresh_token));
    memcpy(t->tag, c->tag, sizeof(t->tag));
    memcpy(t->id, aoidc_b64url_encode(h, 16, env->pool), 22);
    t->id[22] = '\0';
    t->secret = NULL;
    return true;
}

apr_status_t aoidc_rp_cookie_session(aoidc_session_out_t *out,
                                     const aoidc_rp_conf_t *c,
                                     const aoidc_flow_env_t *env,
                                     const char *header, aoidc_err_t *err)
{
    aoidc_ticket_t t;
    unsigned present = 0;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    rv = aoidc_rp_cookie_load(&out->session, &present, c, env, header, err);
    if (rv == APR_NOTFOUND) {
        return rv;
    }
    if (rv == APR_SUCCESS && lock_ticket(&t, c, env, out->session)) {
        rv = refresh(out, c, env, &t, err);
    }
    /* a copy whose refresh is due but went to another request (the lock)
     * is not written back: it would put the old refresh token over the
     * one that request's response sets */
    if (rv == APR_SUCCESS
        && (out->refreshed
            || (aoidc_session_touch_due(out->session, &c->limits, env->now)
                && !refresh_due(out->session, c, env)))) {
        out->session->last_seen = env->now;
        rv = aoidc_rp_cookie_save(&out->cookies, NULL, c, env, out->session,
                                  present, err);
    }
    if (rv == APR_SUCCESS) {
        out->user = aoidc_flow_user(out->session->claims, c->remote_user_claim);
        if (!out->user) {
            rv = aoidc_err_set(err, AOIDC_REASON_NO_USER, env->pool,
                               "session has no usable %s or sub claim",
                               c->remote_user_claim);
        }
    }
    if (rv != APR_SUCCESS) {
        out->clear_cookie = true;
        out->cookies = NULL;
        aoidc_cs_clear(&out->cookies, c->cookie_name, present, env->pool);
    }
    return rv;
}

static void unindex(const aoidc_rp_conf_t *c, const aoidc_flow_env_t *env,
                    const aoidc_session_t *s, const aoidc_ticket_t *t)
{
    aoidc_session_index_t ix = {env->sessions, c->seal_index, c->issuer,
                                c->client->client_id};
    const aoidc_claim_t *sid = aoidc_claims_get(s->claims, "sid");
    if (c->seal_index && s->sub) {
        aoidc_session_index_remove(&ix, sid ? sid->value : NULL, s->sub, t->id,
                                   env->now, env->pool);
    }
}

/* RFC 7009: both tokens, where the OP offers revocation (revoking the
 * refresh token need not end the access tokens issued with it, §2.1).
 * Before the browser leaves for the OP's logout page, so the tokens die
 * even if the user never confirms there. */
static void revoke_tokens(aoidc_logout_out_t *out, const aoidc_rp_conf_t *c,
                          const aoidc_flow_env_t *env, aoidc_snapshot_t *snap,
                          const aoidc_session_t *s)
{
    if (!c->revoke_on_logout || !snap->md.revocation_endpoint) {
        return;
    }
    if (s->access_token
        && aoidc_client_revoke(env->http, &snap->md, c->client, s->access_token,
                               "access_token", env->pool, &out->revoke_err)
               != APR_SUCCESS) {
        return;
    }
    if (s->refresh_token) {
        aoidc_client_revoke(env->http, &snap->md, c->client, s->refresh_token,
                            "refresh_token", env->pool, &out->revoke_err);
    }
}

/* RP-Initiated Logout 1.0 §2: id_token_hint when we still have it,
 * client_id always, so the OP can end its session (asking the user when
 * the hint is missing) and send the browser back. */
static const char *end_session_url(const char *endpoint, const char *id_token,
                                   const aoidc_rp_conf_t *c, const char *back,
                                   apr_pool_t *p)
{
    char *q = "";
    if (id_token && strcmp(id_token, AOIDC_ID_TOKEN_NOT_KEPT)) {
        q = aoidc_url_append_param(q, "id_token_hint", id_token, p);
    }
    q = aoidc_url_append_param(q, "post_logout_redirect_uri", back, p);
    q = aoidc_url_append_param(q, "client_id", c->client->client_id, p);
    return apr_pstrcat(p, endpoint, strchr(endpoint, '?') ? "&" : "?", q, NULL);
}

static void finish_logout(aoidc_logout_out_t *out, const aoidc_rp_conf_t *c,
                          const aoidc_flow_env_t *env,
                          const aoidc_logout_in_t *in, aoidc_snapshot_t *snap,
                          const aoidc_session_t *s, const char *idt)
{
    revoke_tokens(out, c, env, snap, s);
    if (snap->md.end_session_endpoint) {
        out->location = end_session_url(snap->md.end_session_endpoint, idt, c,
                                        in->post_logout_uri, env->pool);
    }
}

/* Every chunk goes whether or not it opens; the ID Token hint is there
 * when it fitted into the cookies. */
static apr_status_t cookie_logout(aoidc_logout_out_t *out,
                                  const aoidc_rp_conf_t *c,
                                  const aoidc_flow_env_t *env,
                                  const aoidc_logout_in_t *in)
{
    aoidc_session_t *s;
    aoidc_snapshot_t *snap;
    aoidc_err_t ierr = {0};
    unsigned present = 0;
    out->had_session =
        aoidc_rp_cookie_load(&s, &present, c, env, in->cookie_header, &ierr)
        == APR_SUCCESS;
    aoidc_cs_clear(
        &out->cookies, c->cookie_name,
        present
            | aoidc_cs_present(in->cookie_header, c->cookie_name, env->pool),
        env->pool);
    if (!out->had_session
        || aoidc_flow_snapshot(&snap, env, &ierr) != APR_SUCCESS) {
        return APR_SUCCESS;
    }
    /* no id_token_missing: an ID Token too large for the cookies was left
     * out at login, and said so then */
    finish_logout(out, c, env, in, snap, s, s->id_token);
    return APR_SUCCESS;
}

apr_status_t aoidc_rp_logout(aoidc_logout_out_t *out, const aoidc_rp_conf_t *c,
                             const aoidc_flow_env_t *env,
                             const aoidc_logout_in_t *in, aoidc_err_t *err)
{
    aoidc_ticket_t t;
    aoidc_session_t *s;
    aoidc_snapshot_t *snap;
    unsigned char *idt = NULL;
    apr_size_t len;
    aoidc_err_t ierr = {0};

    memset(out, 0, sizeof(*out));
    out->location = in->target;
    if (c->cookie_store) {
        return cookie_logout(out, c, env, in);
    }
    if (in->cookie && *in->cookie) {
        aoidc_ticket_cookie(&out->cookies, c, in->cookie, NULL, env->pool);
    }
    if (!aoidc_ticket_find(&t, in->cookie, c->tag)) {
        return APR_SUCCESS;
    }
    out->had_session = aoidc_rp_load(&s, c, env, &t, &ierr) == APR_SUCCESS;
    if (out->had_session
        && aoidc_rp_get(&idt, &len, c, env, &t, AOIDC_NS_ID_TOKEN, &ierr)
               != APR_SUCCESS) {
        idt = NULL;
        out->id_token_missing = true;
    }
    aoidc_rp_destroy(env, &t);
    if (!out->had_session
        || aoidc_flow_snapshot(&snap, env, &ierr) != APR_SUCCESS) {
        return APR_SUCCESS;
    }
    unindex(c, env, s, &t);
    finish_logout(out, c, env, in, snap, s, (const char *)idt);
    return APR_SUCCESS;
}

char *aoidc_rp_info_json(const aoidc_session_t *s, const aoidc_rp_conf_t *c,
                         apr_pool_t *p)
{
    json_t *o = aoidc_json_own(json_object(), p), *cl = json_object();
    for (int i = 0; s->claims && i < s->claims->nelts; i++) {
        const aoidc_claim_t *x = &APR_ARRAY_IDX(s->claims, i, aoidc_claim_t);
        json_t *v =
            x->is_json ? json_loads(x->value, JSON_DECODE_ANY, NULL) : NULL;
        json_object_set_new(cl, x->name, v ? v : json_string(x->value));
    }
    json_object_set_new(o, "iss", json_string(s->issuer));
    json_object_set_new(o, "sub", json_string(s->sub ? s->sub : ""));
    json_object_set_new(o, "created", json_integer(apr_time_sec(s->created)));
    json_object_set_new(
        o, "expires",
        json_integer(apr_time_sec(aoidc_session_expiry(s, &c->limits))));
    json_object_set_new(o, "access_token_expires",
                        json_integer(apr_time_sec(s->at_expires)));
    json_object_set_new(o, "has_refresh_token",
                        json_boolean(s->refresh_token != NULL));
    json_object_set_new(o, "claims", cl);
    return aoidc_json_dump(o, p);
}
