/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The callback at the redirect URI (rp.h): authorization response, state,
 * code exchange, ID Token, userinfo, and a new session.
 */
#include <stdio.h>
#include <string.h>

#include "core/auth_response.h"
#include "core/client.h"
#include "core/cookie.h"
#include "core/cookie_session.h"
#include "core/id_token.h"
#include "core/json.h"
#include "core/rp.h"
#include "core/rp_store.h"
#include "core/session_index.h"
#include "core/url.h"

#define NS_STATE_USED "state-used"
#define RESTART_AAD   "restart"

/* The state must be one this browser started and never used before. The
 * state cookie goes whatever happens (single use). A record that opened
 * but is refused (expired) stays in *st: its return URL is still good for
 * a restart. A cookie that does not open for this state is an unknown
 * attempt (another state's cookie, tampering, or an older passphrase). */
static apr_status_t open_state(aoidc_state_t **st, aoidc_callback_out_t *out,
                               const aoidc_rp_conf_t *c,
                               const aoidc_flow_env_t *env,
                               const aoidc_callback_in_t *in, const char *state,
                               aoidc_err_t *err)
{
    apr_pool_t *p = env->pool;
    const char *name = aoidc_state_cookie_name(state, p);
    const char *cookie = aoidc_cookie_get(in->cookie_header, name, p);
    apr_status_t rv;

    *st = NULL;
    if (!cookie) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_MISSING, p,
                             "no state cookie for this state");
    }
    aoidc_cookie_op(&out->cookies, AOIDC_COOKIE_STATE, name, "", 0, p);
    rv = aoidc_state_open(st, cookie, state, c->seal_state, env->now, p, err);
    if (rv != APR_SUCCESS) {
        *st = NULL;
        return err->reason == AOIDC_REASON_COOKIE
                   ? aoidc_err_set(err, AOIDC_REASON_STATE_MISSING, p,
                                   "state cookie does not open for this "
                                   "state (%s)",
                                   err->detail)
                   : rv;
    }
    if (strcmp((*st)->issuer, c->issuer)) {
        *st = NULL;
        return aoidc_err_set(err, AOIDC_REASON_STATE_MISSING, p,
                             "state was issued for another issuer");
    }
    if (env->now - (*st)->created > c->state_ttl) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_EXPIRED, p,
                             "login attempt older than %" APR_TIME_T_FMT " s",
                             apr_time_sec(c->state_ttl));
    }
    return APR_SUCCESS;
}

static void marker_key(unsigned char *key, const char *state)
{
    aoidc_store_key(key, NS_STATE_USED, state, strlen(state));
}

/* The cookie alone could be replayed with the URL; a marker makes the state
 * single use across every node. It goes to the cache store, never where
 * sessions live, so a flood of callbacks cannot evict sessions. It holds
 * the return URL sealed under the state (only who has the callback URL
 * opens it), so a replay after the cookie is gone still knows it. */
static apr_status_t use_state(const aoidc_rp_conf_t *c,
                              const aoidc_flow_env_t *env,
                              const aoidc_state_t *st, aoidc_err_t *err)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    char *val;
    apr_status_t rv;
    marker_key(key, st->state);
    if (aoidc_seal_text(
            &val, c->seal_state, (const unsigned char *)st->return_to,
            strlen(st->return_to), st->state, strlen(st->state), env->pool)
        != APR_SUCCESS) {
        val = "";
    }
    rv = env->cache->add(env->cache, key, (const unsigned char *)val,
                         strlen(val), st->created + c->state_ttl, env->pool);
    if (rv == APR_EEXIST) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_REPLAY, env->pool,
                             "state %s used before",
                             aoidc_fingerprint(st->state, env->pool));
    }
    if (rv != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_STORE_UNAVAILABLE, env->pool,
                             "%s store: state marker not written (%d)",
                             env->cache->name, rv);
    }
    return APR_SUCCESS;
}

/* No cookie for the state: was it used (the back button after a login, the
 * cookie deleted by the first callback)? The marker answers, with the
 * return URL. A store that is down or an entry that does not open leaves
 * the attempt unknown; nothing is written. */
static const char *used_before(const aoidc_rp_conf_t *c,
                               const aoidc_flow_env_t *env, const char *state,
                               aoidc_err_t *err)
{
    unsigned char key[AOIDC_STORE_KEY_LEN], *v, *ret;
    apr_size_t n, rn;
    aoidc_err_t ignored = {0};
    marker_key(key, state);
    if (env->cache->get(env->cache, key, &v, &n, env->pool) != APR_SUCCESS) {
        return NULL;
    }
    aoidc_err_set(err, AOIDC_REASON_STATE_REPLAY, env->pool,
                  "state %s used before (its cookie is gone)",
                  aoidc_fingerprint(state, env->pool));
    if (aoidc_unseal_text(&ret, &rn, c->seal_state,
                          apr_pstrmemdup(env->pool, (const char *)v, n), state,
                          strlen(state), env->pool, &ignored)
            != APR_SUCCESS
        || !aoidc_url_is_local_path((const char *)ret)) {
        return "";
    }
    return (const char *)ret;
}

/* Restarts this browser made in the current window, from its cookie: one
 * that does not open, is from the future or is out of its window counts
 * as none (it can only ever lower what the bound allows). */
static int restarts_so_far(const aoidc_rp_conf_t *c,
                           const aoidc_flow_env_t *env, const char *hdr,
                           apr_time_t *since)
{
    const char *ck = aoidc_cookie_get(hdr, AOIDC_RESTART_COOKIE, env->pool);
    unsigned char *v;
    apr_size_t n;
    aoidc_err_t ignored = {0};
    apr_int64_t start;
    int count;
    *since = env->now;
    if (!ck
        || aoidc_unseal_text(&v, &n, c->seal_state, ck, RESTART_AAD,
                             strlen(RESTART_AAD), env->pool, &ignored)
               != APR_SUCCESS
        || sscanf((const char *)v, "%d:%" APR_INT64_T_FMT, &count, &start) != 2
        || count < 0 || apr_time_from_sec(start) > env->now
        || env->now - apr_time_from_sec(start) >= AOIDC_RESTART_WINDOW) {
        return 0;
    }
    *since = apr_time_from_sec(start);
    return count > AOIDC_RESTART_MAX ? AOIDC_RESTART_MAX : count;
}

static void count_restart(aoidc_callback_out_t *out, const aoidc_rp_conf_t *c,
                          const aoidc_flow_env_t *env, int count,
                          apr_time_t since)
{
    const char *txt = apr_psprintf(env->pool, "%d:%" APR_INT64_T_FMT, count,
                                   (apr_int64_t)apr_time_sec(since));
    char *sealed;
    apr_int64_t left = apr_time_sec(since + AOIDC_RESTART_WINDOW - env->now);
    if (aoidc_seal_text(&sealed, c->seal_state, (const unsigned char *)txt,
                        strlen(txt), RESTART_AAD, strlen(RESTART_AAD),
                        env->pool)
        == APR_SUCCESS) {
        aoidc_cookie_op(&out->cookies, AOIDC_COOKIE_STATE, AOIDC_RESTART_COOKIE,
                        sealed, left > 0 ? left : 1, env->pool);
    }
}

static bool session_alive(const aoidc_rp_conf_t *c, const aoidc_flow_env_t *env,
                          const char *hdr)
{
    aoidc_ticket_t t;
    aoidc_session_t *s;
    aoidc_err_t ignored = {0};
    const char *ck = aoidc_cookie_get(hdr, c->cookie_name, env->pool);
    return ck && aoidc_ticket_find(&t, ck, c->tag)
           && aoidc_rp_load(&s, c, env, &t, &ignored) == APR_SUCCESS;
}

/* RFC 9126 §4 / RFC 9101 §6.2: the OP no longer knows our pushed request
 * (it expired while the browser was on its way): a fresh login pushes a
 * new one, so this is a restart, not the OP refusing the user. */
static bool request_uri_gone(const aoidc_err_t *err)
{
    return err->reason == AOIDC_REASON_OP_ERROR && err->op_error
           && !strcmp(err->op_error, "invalid_request_uri");
}

/* error=invalid_request_uri without a state: an OP that lost our pushed
 * request (state and all) can only send the browser to the one redirect
 * URI it knows (oidc-provider does). Only when we push at all. */
static bool stateless_request_uri_gone(const aoidc_rp_conf_t *c,
                                       const aoidc_callback_in_t *in,
                                       apr_pool_t *p)
{
    apr_table_t *t;
    const char *e;
    return c->par != AOIDC_PAR_OFF && in->query
           && aoidc_url_parse_query(&t, in->query, 16, p, NULL) == APR_SUCCESS
           && !aoidc_url_param(t, "state") && (e = aoidc_url_param(t, "error"))
           && !strcmp(e, "invalid_request_uri");
}

/* A login attempt that cannot finish (rp.h, "Recovery"): the error stays
 * (the glue logs and counts it); out says whether to resume, restart, or
 * where the page's "sign in again" link leads. ret: the original URL when
 * known. */
static apr_status_t recover(aoidc_callback_out_t *out, const aoidc_rp_conf_t *c,
                            const aoidc_flow_env_t *env,
                            const aoidc_callback_in_t *in, const char *ret,
                            apr_status_t rv, aoidc_err_t *err)
{
    apr_time_t since;
    int n;
    if (err->reason != AOIDC_REASON_STATE_MISSING
        && err->reason != AOIDC_REASON_STATE_EXPIRED
        && err->reason != AOIDC_REASON_STATE_REPLAY && !request_uri_gone(err)) {
        return rv;
    }
    out->retry_to = ret && *ret ? ret : in->location_root;
    if (err->reason == AOIDC_REASON_STATE_REPLAY && ret && *ret
        && session_alive(c, env, in->cookie_header)) {
        out->location = ret;
        out->resumed = true;
        return APR_SUCCESS;
    }
    if (!in->navigation || !out->retry_to) {
        return rv;
    }
    n = restarts_so_far(c, env, in->cookie_header, &since);
    out->restarts = n;
    if (n >= AOIDC_RESTART_MAX) {
        return rv;
    }
    out->restarts = n + 1;
    out->restart_to = out->retry_to;
    count_restart(out, c, env, n + 1, since);
    return rv;
}

/* Check an ID Token (the token endpoint's, or a hybrid/implicit response's
 * with code for c_hash); on an unknown kid refetch the JWKS once (rate
 * limited in the provider) and try again with the new keys. */
static apr_status_t
validate_id_token(json_t **claims, const aoidc_rp_conf_t *c,
                  const aoidc_flow_env_t *env, aoidc_snapshot_t *snap,
                  const aoidc_state_t *st, const char *id_token,
                  const char *access_token, const char *code, aoidc_err_t *err)
{
    aoidc_id_token_rules_t rules = {.issuer = c->issuer,
                                    .client_id = c->client->client_id,
                                    .client_secret = c->client->client_secret,
                                    .nonce = st->nonce,
                                    .access_token = access_token,
                                    .now = env->now,
                                    .leeway = c->leeway,
                                    .code = code};
    const aoidc_jwks_t *keys;
    apr_status_t rv;
    if (!id_token) {
        return aoidc_err_set(err, AOIDC_REASON_JWS_MALFORMED, env->pool,
                             "no id_token");
    }
    rv = aoidc_id_token_validate(claims, id_token, snap->jwks, &rules,
                                 env->pool, err);
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_KEY_UNKNOWN
        && (keys = aoidc_flow_rotated_keys(env))) {
        rv = aoidc_id_token_validate(claims, id_token, keys, &rules, env->pool,
                                     err);
    }
    return rv;
}

/* OIDC Core 3.3.3.6: the token endpoint's ID Token of a hybrid login
 * names the same issuer and subject as the front channel's. */
static apr_status_t same_subject(const json_t *front, const json_t *back,
                                 apr_pool_t *p, aoidc_err_t *err)
{
    const char *a = aoidc_json_str(front, "sub"),
               *b = aoidc_json_str(back, "sub");
    const char *ia = aoidc_json_str(front, "iss"),
               *ib = aoidc_json_str(back, "iss");
    if (!a || !b || strcmp(a, b) || !ia || !ib || strcmp(ia, ib)) {
        return aoidc_err_set(err, AOIDC_REASON_SUB, p,
                             "hybrid: the token endpoint's id_token names "
                             "another iss/sub than the front channel's");
    }
    return APR_SUCCESS;
}

/* RFC 9207 iss: a response that carries an ID Token (hybrid, implicit)
 * names its issuer in it, checked equal to ours with the token, which is
 * the same mix-up defence; oidc-provider sends no iss parameter there. So
 * it is required only of a code response, and checked whenever present. */
static bool iss_required(const aoidc_rp_conf_t *c, const aoidc_snapshot_t *snap)
{
    return snap->md.iss_param_supported && c->response_type == AOIDC_RT_CODE;
}

/* The tokens of the login, by response type (rp.h): the code exchanged
 * (code, and hybrid after its front-channel ID Token passed), or the
 * implicit response's ID Token alone. */
static apr_status_t tokens(aoidc_token_response_t *tr, json_t **idc,
                           const aoidc_rp_conf_t *c,
                           const aoidc_flow_env_t *env, aoidc_snapshot_t *snap,
                           const aoidc_state_t *st,
                           const aoidc_auth_response_t *ar,
                           const aoidc_callback_in_t *in, aoidc_err_t *err)
{
    json_t *front = NULL;
    apr_status_t rv;
    memset(tr, 0, sizeof(*tr));
    if (c->response_type != AOIDC_RT_CODE
        && (rv = validate_id_token(
                &front, c, env, snap, st, ar->id_token, NULL,
                c->response_type == AOIDC_RT_CODE_ID_TOKEN ? ar->code : NULL,
                err))
               != APR_SUCCESS) {
        return rv;
    }
    if (c->response_type == AOIDC_RT_ID_TOKEN) {
        tr->id_token = ar->id_token;
        *idc = front;
        return APR_SUCCESS;
    }
    if ((rv = aoidc_client_code_exchange(tr, env->http, &snap->md, c->client,
                                         ar->code, in->redirect_uri,
                                         st->verifier, env->pool, err))
            != APR_SUCCESS
        || (rv = validate_id_token(idc, c, env, snap, st, tr->id_token,
                                   tr->access_token, NULL, err))
               != APR_SUCCESS) {
        return rv;
    }
    return front ? same_subject(front, *idc, env->pool, err) : APR_SUCCESS;
}

/* Userinfo claims join the ID Token's; a failure or a different sub only
 * drops them (OIDC Core 5.3.2), it does not fail the login. */
static void add_userinfo(aoidc_session_t *s, aoidc_callback_out_t *out,
                         const aoidc_rp_conf_t *c, const aoidc_flow_env_t *env,
                         aoidc_snapshot_t *snap)
{
    json_t *ui;
    if (!c->userinfo || !snap->md.userinfo_endpoint || !s->access_token) {
        return;
    }
    if (aoidc_client_userinfo(&ui, env->http, &snap->md, c->client,
                              s->access_token, s->sub, env->pool,
                              &out->userinfo_err)
        == APR_SUCCESS) {
        const char *keep[] = {c->remote_user_claim, NULL};
        aoidc_claims_add_json_keep(s->claims, ui, keep, env->pool);
    }
}

static bool is_kept(const aoidc_claim_t *cl, const aoidc_rp_conf_t *c)
{
    return !strcmp(cl->name, "sub") || !strcmp(cl->name, c->remote_user_claim);
}

/* A record over AOIDC_SESSION_MAX (large userinfo claims) would not fit
 * the store: leave out the largest claims, never sub or the REMOTE_USER
 * claim, until it does. Measured as rp_save stores it: the hot record,
 * without the ID Token (that has an entry of its own). */
static int bound_record(aoidc_session_t *s, const aoidc_rp_conf_t *c,
                        apr_pool_t *p)
{
    int dropped = 0;
    for (;;) {
        unsigned char *buf;
        apr_size_t len, big = 0;
        int at = -1;
        aoidc_session_t hot = *s;
        hot.id_token = NULL;
        aoidc_session_encode(&buf, &len, &hot, p);
        if (len <= AOIDC_SESSION_MAX) {
            return dropped;
        }
        for (int i = 0; i < s->claims->nelts; i++) {
            const aoidc_claim_t *cl =
                &APR_ARRAY_IDX(s->claims, i, aoidc_claim_t);
            if (!is_kept(cl, c) && strlen(cl->value) >= big) {
                big = strlen(cl->value);
                at = i;
            }
        }
        if (at < 0) {
            return dropped; /* only kept claims left; tokens are bounded */
        }
        aoidc_claim_t *v = (aoidc_claim_t *)s->claims->elts;
        memmove(v + at, v + at + 1,
                (size_t)(s->claims->nelts - at - 1) * sizeof(*v));
        s->claims->nelts--;
        dropped++;
    }
}

/* Recorded by sid and sub, so a logout from the OP finds it on any node.
 * A failure here does not fail the login; the glue logs it. */
static void index_session(aoidc_callback_out_t *out, const aoidc_rp_conf_t *c,
                          const aoidc_flow_env_t *env, const aoidc_session_t *s,
                          const char *ticket, const char *sid)
{
    aoidc_ticket_t t;
    aoidc_session_index_t ix = {env->sessions, c->seal_index, c->issuer,
                                c->client->client_id};
    apr_status_t rv;
    if (!c->seal_index || !aoidc_ticket_parse(&t, ticket)) {
        return;
    }
    rv = aoidc_session_index_add(&ix, sid, s->sub, t.id,
                                 s->created + c->limits.max_age, env->now,
                                 env->pool, &out->index_err);
    if (rv != APR_SUCCESS && !out->index_err.reason) {
        aoidc_err_set(&out->index_err, AOIDC_REASON_STORE_UNAVAILABLE,
                      env->pool, "%s store: %d", env->sessions->name, rv);
    }
}

static apr_status_t new_session(aoidc_callback_out_t *out,
                                const aoidc_rp_conf_t *c,
                                const aoidc_flow_env_t *env,
                                aoidc_snapshot_t *snap,
                                const aoidc_token_response_t *tr, json_t *idc,
                                const aoidc_callback_in_t *in, aoidc_err_t *err)
{
    apr_pool_t *p = env->pool;
    aoidc_session_t *s = apr_pcalloc(p, sizeof(*s));
    const char *ticket;
    apr_status_t rv;

    s->created = s->last_seen = env->now;
    s->at_expires = aoidc_token_expiry(tr, env->now);
    s->issuer = c->issuer;
    s->client_id = c->client->client_id;
    s->sub = aoidc_json_str(idc, "sub");
    /* an ID Token over AOIDC_MAX_TOKEN_LEN (a large groups claim) gave
     * its claims; kept, it would cost every store entry limit and be too
     * long for the id_token_hint of a logout URL */
    if (tr->id_token && strlen(tr->id_token) <= AOIDC_MAX_TOKEN_LEN) {
        s->id_token = tr->id_token;
    }
    else if (tr->id_token) {
        s->id_token = AOIDC_ID_TOKEN_NOT_KEPT; /* a logout knows why */
        out->id_token_not_kept = strlen(tr->id_token);
    }
    s->access_token = tr->access_token;
    s->refresh_token = tr->refresh_token;
    s->scope = tr->scope;
    /* sub and the REMOTE_USER claim survive the claim cap (review 8) */
    const char *keep[] = {c->remote_user_claim, NULL};
    s->claims = aoidc_claims_add_json_keep(NULL, idc, keep, p);
    add_userinfo(s, out, c, env, snap);
    out->claims_dropped = bound_record(s, c, p);
    out->user = aoidc_flow_user(s->claims, c->remote_user_claim);
    if (!out->user) {
        return aoidc_err_set(err, AOIDC_REASON_NO_USER, p,
                             "ID Token has no usable %s or sub claim",
                             c->remote_user_claim);
    }
    if (c->cookie_store) {
        /* no index: a logout from the OP cannot reach a browser's cookie */
        return aoidc_rp_cookie_save(
            &out->cookies, &out->fit, c, env, s,
            aoidc_cs_present(in->cookie_header, c->cookie_name, p), err);
    }
    rv = aoidc_rp_session_create(&ticket, c, env, s);
    if (rv != APR_SUCCESS) {
        return aoidc_err_set(
            err,
            AOIDC_STORE_IS_DOWN(rv) ? AOIDC_REASON_STORE_UNAVAILABLE
                                    : AOIDC_REASON_INTERNAL,
            p, "%s store: session not saved (%d)", env->sessions->name, rv);
    }
    index_session(out, c, env, s, ticket, aoidc_json_str(idc, "sid"));
    /* our ticket joins (or replaces ours in) the browser's session cookie:
     * other identities' tickets stay */
    aoidc_ticket_cookie(&out->cookies, c,
                        aoidc_cookie_get(in->cookie_header, c->cookie_name, p),
                        ticket, p);
    return APR_SUCCESS;
}

apr_status_t aoidc_rp_callback(aoidc_callback_out_t *out,
                               const aoidc_rp_conf_t *c,
                               const aoidc_flow_env_t *env,
                               const aoidc_callback_in_t *in, aoidc_err_t *err)
{
    aoidc_auth_response_t ar;
    aoidc_state_t *st;
    aoidc_snapshot_t *snap;
    aoidc_token_response_t tr;
    json_t *idc;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    if ((rv = aoidc_auth_response_check_mode(c->response_mode, in->post,
                                             env->pool, err))
            != APR_SUCCESS
        || (rv = aoidc_auth_response_parse_for(&ar, in->query, c->response_type,
                                               env->pool, err))
               != APR_SUCCESS) {
        if (stateless_request_uri_gone(c, in, env->pool)) {
            /* the OP could not know our state: it lost the pushed request
             * that held it */
            err->reason = AOIDC_REASON_OP_ERROR;
            err->op_error = "invalid_request_uri";
            return recover(out, c, env, in, NULL, rv, err);
        }
        return rv; /* not a response of ours to recover: no restart */
    }
    if ((rv = open_state(&st, out, c, env, in, ar.state, err)) != APR_SUCCESS) {
        const char *ret = st ? st->return_to : NULL;
        if (!out->cookies && err->reason == AOIDC_REASON_STATE_MISSING) {
            ret = used_before(c, env, ar.state, err); /* no cookie at all */
        }
        return recover(out, c, env, in, ret, rv, err);
    }
    if ((rv = aoidc_flow_snapshot(&snap, env, err)) != APR_SUCCESS
        || (rv = aoidc_auth_response_check_iss(
                &ar, c->issuer, iss_required(c, snap), env->pool, err))
               != APR_SUCCESS) {
        return rv;
    }
    if (ar.error) {
        rv = aoidc_err_set(err, AOIDC_REASON_OP_ERROR, env->pool,
                           "error=%.64s description=%.200s", ar.error,
                           ar.error_description ? ar.error_description : "-");
        err->op_error = ar.error;
        return recover(out, c, env, in, st->return_to, rv, err);
    }
    if ((rv = use_state(c, env, st, err)) != APR_SUCCESS) {
        return recover(out, c, env, in, st->return_to, rv, err);
    }
    if ((rv = tokens(&tr, &idc, c, env, snap, st, &ar, in, err)) != APR_SUCCESS
        || (rv = new_session(out, c, env, snap, &tr, idc, in, err))
               != APR_SUCCESS) {
        return rv;
    }
    out->location = st->return_to; /* a local path: never the Host header */
    out->post_body = st->post_body;
    return APR_SUCCESS;
}
