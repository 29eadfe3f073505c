/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The redirect URI: authorization response checks (state, RFC 9207 iss,
 * error), code exchange, ID Token validation, userinfo, a new session, and
 * the redirect back to where the user was going. Also dispatches ?logout=.
 */
#include <string.h>

#include "core/auth_response.h"
#include "core/client.h"
#include "core/cookie.h"
#include "core/id_token.h"
#include "core/json.h"
#include "core/session.h"
#include "core/state.h"
#include "core/url.h"
#include "httpd/mod_auth_oidc.h"

/* Check the ID Token; on an unknown kid refetch the JWKS once (rate
 * limited in the provider) and try again with the new keys. */
static apr_status_t
validate_id_token(json_t **claims, request_rec *r, const aoidc_dir_conf_t *c,
                  aoidc_snapshot_t *snap, const aoidc_state_t *st,
                  const aoidc_token_response_t *tr, aoidc_err_t *err)
{
    aoidc_id_token_rules_t rules = {
        c->issuer,        c->client_id, c->client_secret,    st->nonce,
        tr->access_token, aoidc_now(r), aoidc_conf_leeway(c)};
    apr_status_t rv = aoidc_id_token_validate(claims, tr->id_token, snap->jwks,
                                              &rules, r->pool, err);
    const aoidc_jwks_t *keys;
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_KEY_UNKNOWN
        && (keys = aoidc_rotated_keys(r, c))) {
        rv = aoidc_id_token_validate(claims, tr->id_token, keys, &rules,
                                     r->pool, err);
    }
    return rv;
}

/* Userinfo claims join the ID Token's; a failure or a different sub only
 * drops them (OIDC Core 5.3.2), it does not fail the login. */
static void add_userinfo(apr_array_header_t *claims, request_rec *r,
                         const aoidc_dir_conf_t *c, aoidc_snapshot_t *snap,
                         const char *access_token, const char *sub)
{
    json_t *ui;
    aoidc_err_t err = {0};
    apr_status_t rv;
    if (!aoidc_conf_userinfo(c) || !snap->md.userinfo_endpoint) {
        return;
    }
    rv = aoidc_client_userinfo(&ui, aoidc_http_for(r, c), &snap->md,
                               access_token, sub, r->pool, &err);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      AOIDCLOGNO(00040) "userinfo claims discarded: "
                                        "reason=%s (%s)",
                      aoidc_reason_name(err.reason), err.detail);
        return;
    }
    aoidc_claims_add_json(claims, ui, r->pool);
}

static int finish(request_rec *r, const aoidc_dir_conf_t *c,
                  aoidc_snapshot_t *snap, const aoidc_state_t *st,
                  const aoidc_auth_response_t *ar)
{
    aoidc_err_t err = {0};
    aoidc_token_response_t tr;
    aoidc_client_t client = {c->client_id, c->client_secret, false};
    json_t *idc;
    apr_status_t rv;
    apr_time_t now = aoidc_now(r);

    rv = aoidc_client_code_exchange(&tr, aoidc_http_for(r, c), &snap->md,
                                    &client, ar->code, aoidc_redirect_uri(r, c),
                                    st->verifier, r->pool, &err);
    if (rv == APR_SUCCESS) {
        rv = validate_id_token(&idc, r, c, snap, st, &tr, &err);
    }
    if (rv != APR_SUCCESS) {
        return aoidc_fail(r, &err, rv);
    }

    aoidc_session_t *s = apr_pcalloc(r->pool, sizeof(*s));
    s->created = s->last_seen = now;
    s->at_expires =
        tr.expires_in > 0 ? now + apr_time_from_sec(tr.expires_in) : 0;
    s->issuer = c->issuer;
    s->client_id = c->client_id;
    s->sub = aoidc_json_str(idc, "sub"); /* idc lives in r->pool */
    s->id_token = tr.id_token;
    s->access_token = tr.access_token;
    s->refresh_token = tr.refresh_token;
    s->scope = tr.scope;
    s->claims = aoidc_claims_add_json(NULL, idc, r->pool);
    add_userinfo(s->claims, r, c, snap, tr.access_token, s->sub);

    rv = aoidc_session_create_and_save(r, c, s);
    if (rv != APR_SUCCESS) {
        aoidc_err_set(&err, AOIDC_REASON_INTERNAL, r->pool,
                      "session could not be stored (%d)", rv);
        return aoidc_fail(r, &err, rv);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  AOIDCLOGNO(00041) "login: %s authenticated at %s",
                  aoidc_fingerprint(s->sub, r->pool), c->issuer);
    /* a relative Location: the path we stored, never a host taken from the
     * request's Host header */
    return aoidc_redirect(r, st->return_to);
}

/* The state must be one this browser started and never used before. */
static apr_status_t take_state(aoidc_state_t **st, request_rec *r,
                               const aoidc_dir_conf_t *c, const char *state,
                               aoidc_err_t *err)
{
    const char *name = aoidc_state_cookie_name(state, r->pool);
    const char *cookie =
        aoidc_cookie_get(aoidc_cookie_header(r), name, r->pool);
    apr_time_t now = aoidc_now(r);
    unsigned char key[AOIDC_STORE_KEY_LEN];
    aoidc_store_t *store = aoidc_store_for(c, AOIDC_STORE_CACHE);
    apr_status_t rv;

    if (!cookie) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_MISSING, r->pool,
                             "no state cookie for this state");
    }
    aoidc_set_cookie(r, name, "", 0); /* single use, whatever happens */
    rv = aoidc_state_open(st, cookie, state, c->seal_state, now, r->pool, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (strcmp((*st)->issuer, c->issuer)) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_MISSING, r->pool,
                             "state was issued for another issuer");
    }
    /* The cookie alone could be replayed with the URL; a marker in the
     * store makes the state single-use server-side too. */
    aoidc_store_key(key, "state-used", state, strlen(state));
    rv = store->add(store, key, (const unsigned char *)"1", 1,
                    (*st)->created + AOIDC_STATE_TTL, r->pool);
    if (rv == APR_EEXIST) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_REPLAY, r->pool,
                             "state %s used before",
                             aoidc_fingerprint(state, r->pool));
    }
    if (AOIDC_STORE_IS_DOWN(rv)) {
        /* without the marker the state could be replayed: refuse */
        return aoidc_err_set(err, AOIDC_REASON_STORE_UNAVAILABLE, r->pool,
                             "%s store: state marker not written (%d)",
                             store->name, rv);
    }
    return APR_SUCCESS;
}

int aoidc_callback(request_rec *r, const aoidc_dir_conf_t *c)
{
    aoidc_err_t err = {0};
    aoidc_auth_response_t ar;
    aoidc_state_t *st;
    aoidc_snapshot_t *snap;
    apr_table_t *q;
    apr_status_t rv;

    if (r->args
        && aoidc_url_parse_query(&q, r->args, 16, r->pool, NULL) == APR_SUCCESS
        && aoidc_url_param(q, "logout")) {
        return aoidc_logout(r, c, aoidc_url_param(q, "logout"));
    }
    if (r->method_number != M_GET) {
        aoidc_err_set(&err, AOIDC_REASON_MALFORMED, r->pool,
                      "callback: method %s", r->method);
        return aoidc_fail(r, &err, APR_EINVAL);
    }
    if ((rv = aoidc_auth_response_parse(&ar, r->args, r->pool, &err))
            != APR_SUCCESS
        || (rv = take_state(&st, r, c, ar.state, &err)) != APR_SUCCESS
        || (rv = aoidc_snapshot(&snap, r, c, &err)) != APR_SUCCESS
        || (rv = aoidc_auth_response_check_iss(
                &ar, c->issuer, snap->md.iss_param_supported, r->pool, &err))
               != APR_SUCCESS) {
        return aoidc_fail(r, &err, rv);
    }
    if (ar.error) {
        aoidc_err_set(&err, AOIDC_REASON_OP_ERROR, r->pool,
                      "error=%.64s description=%.200s", ar.error,
                      ar.error_description ? ar.error_description : "-");
        return aoidc_fail(r, &err, APR_EINVAL);
    }
    return finish(r, c, snap, st, &ar);
}
