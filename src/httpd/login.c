/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Starting a login: a fresh state record sealed into its own short-lived
 * cookie, and a 302 to the OP's authorization endpoint. At most
 * AOIDC_STATE_MAX_COOKIES attempts are kept per browser; the oldest are
 * evicted so abandoned attempts never lock a browser out or grow its Cookie
 * header without bound.
 */
#include <string.h>

#include "core/authz_request.h"
#include "core/cookie.h"
#include "core/state.h"
#include "core/url.h"
#include "httpd/mod_auth_oidc.h"

apr_status_t aoidc_snapshot(aoidc_snapshot_t **out, request_rec *r,
                            const aoidc_dir_conf_t *c, aoidc_err_t *err)
{
    if (!c->provider) {
        return aoidc_err_set(err, AOIDC_REASON_CONFIG, r->pool,
                             "AuthOIDCIssuer is not set here");
    }
    return aoidc_provider_get(out, c->provider, aoidc_http_for(r, c),
                              aoidc_now(r), r->pool, err);
}

const aoidc_jwks_t *aoidc_rotated_keys(request_rec *r,
                                       const aoidc_dir_conf_t *c)
{
    aoidc_snapshot_t *fresh;
    aoidc_err_t err = {0};
    apr_status_t rv = aoidc_provider_refetch_keys(
        &fresh, c->provider, aoidc_http_for(r, c), aoidc_now(r), r->pool, &err);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      AOIDCLOGNO(00071) "no JWKS refetch for %s: %s", c->issuer,
                      rv == APR_EAGAIN ? "rate limited" : err.detail);
        return NULL;
    }
    return fresh->jwks;
}

/* Expire our state cookies beyond the cap. Browsers send cookies of the
 * same path oldest first (RFC 6265 §5.4 (2)), so header order is age order
 * and the first ones go. */
static void evict_states(request_rec *r)
{
    apr_array_header_t *all =
        aoidc_cookie_parse(aoidc_cookie_header(r), 64, r->pool);
    apr_size_t plen = strlen(AOIDC_STATE_COOKIE_PREFIX);
    int n = 0, evict;
    for (int i = 0; i < all->nelts; i++) {
        const aoidc_cookie_t *ck = &APR_ARRAY_IDX(all, i, aoidc_cookie_t);
        n += !strncmp(ck->name, AOIDC_STATE_COOKIE_PREFIX, plen);
    }
    evict = n - (AOIDC_STATE_MAX_COOKIES - 1);
    for (int i = 0; i < all->nelts && evict > 0; i++) {
        const aoidc_cookie_t *ck = &APR_ARRAY_IDX(all, i, aoidc_cookie_t);
        if (!strncmp(ck->name, AOIDC_STATE_COOKIE_PREFIX, plen)) {
            aoidc_set_cookie(r, ck->name, "", 0);
            evict--;
        }
    }
}

int aoidc_login_start(request_rec *r, const aoidc_dir_conf_t *c)
{
    aoidc_err_t err = {0};
    aoidc_snapshot_t *snap;
    aoidc_state_t *st;
    char *sealed;
    apr_status_t rv;
    const char *ret = r->unparsed_uri;

    if (!aoidc_url_is_local_path(ret)) {
        ret = "/";
    }
    rv = aoidc_snapshot(&snap, r, c, &err);
    if (rv != APR_SUCCESS) {
        return aoidc_fail(r, &err, rv);
    }
    rv = aoidc_state_create(&st, c->issuer, ret, aoidc_conf_pkce(c),
                            aoidc_now(r), r->pool);
    if (rv == APR_SUCCESS) {
        rv = aoidc_state_seal(&sealed, st, c->seal_state, r->pool);
    }
    if (rv != APR_SUCCESS) {
        aoidc_err_set(&err, AOIDC_REASON_INTERNAL, r->pool, "state: %d", rv);
        return aoidc_fail(r, &err, rv);
    }
    evict_states(r);
    aoidc_set_cookie(r, aoidc_state_cookie_name(st->state, r->pool), sealed,
                     apr_time_sec(AOIDC_STATE_TTL));

    aoidc_authz_params_t ap = {snap->md.authorization_endpoint, c->client_id,
                               aoidc_redirect_uri(r, c), aoidc_conf_scope(c)};
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  AOIDCLOGNO(00030) "login: redirect to %s (state %s)",
                  c->issuer, aoidc_fingerprint(st->state, r->pool));
    return aoidc_redirect(r, aoidc_authz_request_url(&ap, st, r->pool));
}
