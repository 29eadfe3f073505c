/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sessions over a store: the cookie carries only a random 256-bit id; the
 * record is sealed with the id as associated data and kept under
 * SHA-256("session" || id). The hot path is: one cookie lookup, one SHA-256,
 * one store get, one AEAD open, one walk over the record, the claim headers.
 * The record is written back only when last_seen drifts (see
 * aoidc_session_touch_due) or tokens were refreshed.
 */
#include <string.h>

#include "core/client.h"
#include "core/cookie.h"
#include "core/rand.h"
#include "core/session.h"
#include "core/url.h"
#include "httpd/mod_auth_oidc.h"

#define REFRESH_LOCK_TTL apr_time_from_sec(30)

static void limits(aoidc_session_limits_t *l, const aoidc_dir_conf_t *c)
{
    l->inactivity = aoidc_conf_inactivity(c);
    l->max_age = aoidc_conf_max_duration(c);
}

/* A value sealed with the session id as associated data, under
 * SHA-256(ns || id). */
static apr_status_t put_sealed(request_rec *r, const aoidc_dir_conf_t *c,
                               const char *ns, const char *id,
                               const unsigned char *val, apr_size_t len,
                               apr_time_t expiry)
{
    unsigned char key[AOIDC_STORE_KEY_LEN], *sealed;
    apr_size_t slen;
    aoidc_store_t *store = aoidc_store_for(c);
    apr_status_t rv = aoidc_seal(&sealed, &slen, c->seal_session, val, len, id,
                                 strlen(id), r->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    aoidc_store_key(key, ns, id, strlen(id));
    return store->set(store, key, sealed, slen, expiry, r->pool);
}

static apr_status_t get_sealed(unsigned char **val, apr_size_t *len,
                               request_rec *r, const aoidc_dir_conf_t *c,
                               const char *ns, const char *id, aoidc_err_t *err)
{
    unsigned char key[AOIDC_STORE_KEY_LEN], *blob;
    apr_size_t blen;
    aoidc_store_t *store = aoidc_store_for(c);
    apr_status_t rv;
    aoidc_store_key(key, ns, id, strlen(id));
    rv = store->get(store, key, &blob, &blen, r->pool);
    if (AOIDC_STORE_IS_DOWN(rv)) {
        return aoidc_err_set(err, AOIDC_REASON_STORE_UNAVAILABLE, r->pool,
                             "%s store: get failed (%d)", store->name, rv);
    }
    if (rv != APR_SUCCESS) {
        return APR_NOTFOUND;
    }
    return aoidc_unseal(val, len, c->seal_session, blob, blen, id, strlen(id),
                        r->pool, err);
}

/* The hot record leaves the ID Token out: it is only needed at logout
 * (id_token_hint), and keeping it apart makes every request open and walk
 * a record a third the size. */
static apr_status_t save(request_rec *r, const aoidc_dir_conf_t *c,
                         const char *id, const aoidc_session_t *s)
{
    aoidc_session_t hot = *s;
    aoidc_session_limits_t l;
    unsigned char *plain;
    apr_size_t plen;
    limits(&l, c);
    hot.id_token = NULL;
    aoidc_session_encode(&plain, &plen, &hot, r->pool);
    return put_sealed(r, c, "session", id, plain, plen,
                      aoidc_session_expiry(s, &l));
}

apr_status_t aoidc_session_create_and_save(request_rec *r,
                                           const aoidc_dir_conf_t *c,
                                           void *session)
{
    aoidc_session_t *s = session;
    char *id;
    /* always a fresh id: a client-supplied one is never adopted */
    apr_status_t rv = aoidc_rand_token(&id, 32, r->pool);
    if (rv == APR_SUCCESS) {
        rv = save(r, c, id, s);
    }
    if (rv == APR_SUCCESS && s->id_token) {
        rv = put_sealed(r, c, "session-id-token", id,
                        (const unsigned char *)s->id_token, strlen(s->id_token),
                        s->created + aoidc_conf_max_duration(c));
    }
    if (rv == APR_SUCCESS) {
        aoidc_set_cookie(r, AOIDC_SESSION_COOKIE, id, -1);
    }
    return rv;
}

static void destroy(request_rec *r, const aoidc_dir_conf_t *c, const char *id)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    aoidc_store_t *store = aoidc_store_for(c);
    aoidc_store_key(key, "session", id, strlen(id));
    store->remove(store, key, r->pool);
    aoidc_store_key(key, "session-id-token", id, strlen(id));
    store->remove(store, key, r->pool);
    aoidc_set_cookie(r, AOIDC_SESSION_COOKIE, "", 0);
}

/* Load and check the session the cookie names. APR_NOTFOUND: no cookie. */
static apr_status_t load(aoidc_session_t **out, const char **id, request_rec *r,
                         const aoidc_dir_conf_t *c, aoidc_err_t *err)
{
    unsigned char *plain;
    apr_size_t plen;
    aoidc_session_limits_t l;
    apr_status_t rv;

    *id =
        aoidc_cookie_get(aoidc_cookie_header(r), AOIDC_SESSION_COOKIE, r->pool);
    if (!*id || !**id) {
        return APR_NOTFOUND;
    }
    if (strlen(*id) != 43) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_INVALID, r->pool,
                             "session cookie of the wrong shape");
    }
    rv = get_sealed(&plain, &plen, r, c, "session", *id, err);
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_STORE_UNAVAILABLE) {
        return rv; /* not "no session": the caller answers 503 */
    }
    if (rv == APR_NOTFOUND) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_EXPIRED, r->pool,
                             "session %s not in the store",
                             aoidc_fingerprint(*id, r->pool));
    }
    if (rv != APR_SUCCESS
        || aoidc_session_decode(out, plain, plen, r->pool, err)
               != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_INVALID, r->pool,
                             "session record unusable: %s", err->detail);
    }
    if (strcmp((*out)->issuer, c->issuer)
        || strcmp((*out)->client_id, c->client_id)) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_INVALID, r->pool,
                             "session belongs to another issuer or client");
    }
    limits(&l, c);
    return aoidc_session_check(*out, &l, aoidc_now(r), r->pool, err);
}

/* Refresh the access token when it has expired. One refresh per session at
 * a time: the others keep using the session as it is. Returns non-success
 * only when the OP refused the refresh token (the session ends). */
static apr_status_t refresh(request_rec *r, const aoidc_dir_conf_t *c,
                            const char *id, aoidc_session_t *s, bool *dirty,
                            aoidc_err_t *err)
{
    unsigned char lock[AOIDC_STORE_KEY_LEN];
    aoidc_store_t *store = aoidc_store_for(c, AOIDC_STORE_CACHE);
    aoidc_client_t client = {c->client_id, c->client_secret, false};
    aoidc_snapshot_t *snap;
    aoidc_token_response_t tr;
    apr_time_t now = aoidc_now(r);
    apr_status_t rv;

    if (!s->refresh_token || !s->at_expires || now < s->at_expires) {
        return APR_SUCCESS;
    }
    aoidc_store_key(lock, "refresh-lock", id, strlen(id));
    if (store->add(store, lock, (const unsigned char *)"1", 1,
                   now + REFRESH_LOCK_TTL, r->pool)
        != APR_SUCCESS) {
        return APR_SUCCESS; /* another request is refreshing */
    }
    rv = aoidc_snapshot(&snap, r, c, err);
    if (rv == APR_SUCCESS) {
        rv = aoidc_client_refresh(&tr, aoidc_http_for(r, c), &snap->md, &client,
                                  s->refresh_token, r->pool, err);
    }
    store->remove(store, lock, r->pool);
    if (rv != APR_SUCCESS) {
        if (err->reason == AOIDC_REASON_OP_UNREACHABLE
            || err->reason == AOIDC_REASON_OP_BAD_RESPONSE) {
            /* the OP is down: keep the session, try again later */
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          AOIDCLOGNO(00050) "refresh postponed: reason=%s "
                                            "(%s)",
                          aoidc_reason_name(err->reason), err->detail);
            return APR_SUCCESS;
        }
        return aoidc_err_set(err, AOIDC_REASON_REFRESH, r->pool,
                             "refresh refused: %s", err->detail);
    }
    s->access_token = tr.access_token;
    if (tr.refresh_token) {
        s->refresh_token = tr.refresh_token;
    }
    s->at_expires =
        tr.expires_in > 0 ? now + apr_time_from_sec(tr.expires_in) : 0;
    *dirty = true;
    return APR_SUCCESS;
}

int aoidc_session_authn(request_rec *r, const aoidc_dir_conf_t *c)
{
    aoidc_err_t err = {0};
    aoidc_session_t *s;
    aoidc_session_limits_t l;
    const char *id;
    bool dirty = false;
    apr_status_t rv;

    if (!c->issuer || !c->client_id || !c->seal_session || !c->redirect_uri) {
        aoidc_err_set(&err, AOIDC_REASON_CONFIG, r->pool,
                      "AuthType oidc needs AuthOIDCIssuer, AuthOIDCClientID, "
                      "AuthOIDCPassphrase and AuthOIDCRedirectURI");
        return aoidc_fail(r, &err, APR_EINVAL);
    }
    if (aoidc_is_redirect_uri(r, c)) {
        return aoidc_callback(r, c);
    }
    rv = load(&s, &id, r, c, &err);
    if (rv == APR_SUCCESS) {
        rv = refresh(r, c, id, s, &dirty, &err);
    }
    if (rv == APR_SUCCESS) {
        limits(&l, c);
        if (dirty || aoidc_session_touch_due(s, &l, aoidc_now(r))) {
            s->last_seen = aoidc_now(r);
            save(r, c, id, s);
        }
        aoidc_set_user(r, c, s->claims);
        if (aoidc_conf_pass_access_token(c)) {
            apr_table_setn(r->headers_in, "OIDC_access_token", s->access_token);
            apr_table_setn(r->subprocess_env, "OIDC_access_token",
                           s->access_token);
        }
        return OK;
    }
    if (rv != APR_SUCCESS && err.reason == AOIDC_REASON_STORE_UNAVAILABLE) {
        /* the session may well exist: 503, and the cookie stays */
        return aoidc_fail(r, &err, rv);
    }
    if (rv != APR_NOTFOUND) {
        /* unusable cookie: say why once, drop it, and log in afresh */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      AOIDCLOGNO(00051) "oidc %s: reason=%s (%s)", r->uri,
                      aoidc_reason_name(err.reason), err.detail);
        if (err.reason == AOIDC_REASON_REFRESH
            || err.reason == AOIDC_REASON_SESSION_EXPIRED) {
            destroy(r, c, id);
        }
        else {
            aoidc_set_cookie(r, AOIDC_SESSION_COOKIE, "", 0);
        }
    }
    if (!aoidc_wants_redirect(r)) {
        /* scripts and non-GET requests: a redirect would only loop */
        ap_custom_response(r, HTTP_UNAUTHORIZED, "Authentication required.");
        return HTTP_UNAUTHORIZED;
    }
    return aoidc_login_start(r, c);
}

/* An absolute logout target on our own origin becomes its path; anything
 * else is returned as is and judged by aoidc_url_is_local_path. */
static const char *same_origin_path(request_rec *r, const aoidc_dir_conf_t *c,
                                    const char *target)
{
    const char *origin = aoidc_absolute(r, c, "/");
    apr_size_t n = strlen(origin) - 1; /* without the trailing '/' */
    if (target[0] == '/' || strncmp(target, origin, n)
        || (target[n] != '/' && target[n] != '\0')) {
        return target;
    }
    return target[n] ? target + n : "/";
}

int aoidc_logout(request_rec *r, const aoidc_dir_conf_t *c, const char *target)
{
    aoidc_err_t err = {0};
    aoidc_session_t *s = NULL;
    aoidc_snapshot_t *snap;
    const char *id;
    const char *back;

    if (!*target) {
        target = "/";
    }
    target = same_origin_path(r, c, target);
    if (!aoidc_url_is_local_path(target)) {
        aoidc_err_set(&err, AOIDC_REASON_RETURN_URL, r->pool,
                      "logout target is not a local path");
        return aoidc_fail(r, &err, APR_EINVAL);
    }
    back = aoidc_absolute(r, c, target);
    if (load(&s, &id, r, c, &err) == APR_NOTFOUND) {
        s = NULL;
    }
    else if (id) {
        unsigned char *idt;
        apr_size_t len;
        aoidc_err_t ierr = {0};
        if (s
            && get_sealed(&idt, &len, r, c, "session-id-token", id, &ierr)
                   == APR_SUCCESS) {
            s->id_token = (const char *)idt; /* NUL-terminated by unseal */
        }
        destroy(r, c, id);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  AOIDCLOGNO(00052) "logout: session %s",
                  s && s->sub ? "ended" : "absent");
    if (s && s->id_token && aoidc_snapshot(&snap, r, c, &err) == APR_SUCCESS
        && snap->md.end_session_endpoint) {
        char *q = "";
        q = aoidc_url_append_param(q, "id_token_hint", s->id_token, r->pool);
        q = aoidc_url_append_param(q, "post_logout_redirect_uri", back,
                                   r->pool);
        q = aoidc_url_append_param(q, "client_id", c->client_id, r->pool);
        return aoidc_redirect(
            r,
            apr_pstrcat(r->pool, snap->md.end_session_endpoint,
                        strchr(snap->md.end_session_endpoint, '?') ? "&" : "?",
                        q, NULL));
    }
    return aoidc_redirect(r, target); /* relative: never the Host header */
}
