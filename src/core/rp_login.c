/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Login start (rp.h): a sealed state cookie and the authorization request.
 * Nothing is written to any store here: an unauthenticated client can start
 * as many logins as it likes without touching what sessions live in.
 */
#include <string.h>

#include "core/auth_response.h"
#include "core/authz_request.h"
#include "core/client.h"
#include "core/dpop_rp.h"
#include "core/cookie.h"
#include "core/replay.h"
#include "core/rp.h"
#include "core/url.h"

/* a third party's target (core/auth_response.h) is never cut */
_Static_assert(AOIDC_INITIATE_TARGET_MAX <= AOIDC_RETURN_URL_MAX,
               "initiation targets must fit the state's return URL");

/* A deep link longer than we keep in a cookie is cut to its path (the
 * query usually makes it long); a path that is itself too long becomes
 * the site root. Only local paths are ever stored. */
static const char *bounded_return(const char *ret, apr_pool_t *p)
{
    if (!ret || !aoidc_url_is_local_path(ret)) {
        return "/";
    }
    if (strlen(ret) > AOIDC_RETURN_URL_MAX) {
        const char *q = strchr(ret, '?');
        apr_size_t n = q ? (apr_size_t)(q - ret) : strlen(ret);
        return n <= AOIDC_RETURN_URL_MAX ? apr_pstrndup(p, ret, n) : "/";
    }
    return ret;
}

/* Delete our oldest state cookies until, with the new one, at most max
 * attempts and AOIDC_STATE_BYTES_MAX bytes remain. Browsers send cookies of
 * one path oldest first (RFC 6265 §5.4 (2)), so header order is age order. */
static void evict_states(apr_array_header_t **ops, const char *header, int max,
                         apr_size_t new_bytes, apr_pool_t *p)
{
    apr_array_header_t *all = aoidc_cookie_parse(header, 64, p);
    apr_size_t plen = strlen(AOIDC_STATE_COOKIE_PREFIX), bytes = new_bytes;
    int n = 1;
    for (int i = 0; i < all->nelts; i++) {
        const aoidc_cookie_t *ck = &APR_ARRAY_IDX(all, i, aoidc_cookie_t);
        if (!strncmp(ck->name, AOIDC_STATE_COOKIE_PREFIX, plen)) {
            n++;
            bytes += strlen(ck->name) + strlen(ck->value) + 3;
        }
    }
    for (int i = 0;
         i < all->nelts && (n > max || bytes > AOIDC_STATE_BYTES_MAX); i++) {
        const aoidc_cookie_t *ck = &APR_ARRAY_IDX(all, i, aoidc_cookie_t);
        if (!strncmp(ck->name, AOIDC_STATE_COOKIE_PREFIX, plen)) {
            aoidc_cookie_op(ops, AOIDC_COOKIE_STATE, ck->name, "", 0, p);
            n--;
            bytes -= strlen(ck->name) + strlen(ck->value) + 3;
        }
    }
}

static bool use_par(const aoidc_rp_conf_t *c, const aoidc_metadata_t *md)
{
    /* an OP requiring PAR without an endpoint fails loudly here rather
     * than at its authorization endpoint */
    return c->par == AOIDC_PAR_ON
           || (c->par == AOIDC_PAR_AUTO
               && (md->par_endpoint || md->require_par));
}

/* RFC 9126: the parameters go to the OP authenticated (so they cannot be
 * changed or read in the browser); the browser carries only a reference. */
static apr_status_t push(aoidc_login_out_t *out, const aoidc_rp_conf_t *c,
                         const aoidc_flow_env_t *env,
                         const aoidc_metadata_t *md,
                         const aoidc_authz_params_t *ap,
                         const aoidc_state_t *st, aoidc_err_t *err)
{
    const char *uri;
    apr_status_t rv = aoidc_guard_enter(env->guard, env->pool, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = aoidc_client_par(&uri, env->http, md, c->client,
                          aoidc_authz_request_params(ap, st, env->pool),
                          env->pool, err);
    aoidc_guard_leave(env->guard, env->now,
                      rv != APR_SUCCESS && md->par_endpoint
                          && err->reason != AOIDC_REASON_CONFIG);
    if (rv != APR_SUCCESS) {
        out->cookies = NULL; /* no state cookie for a login that never left */
        return rv;
    }
    out->location =
        aoidc_authz_par_url(ap->endpoint, c->client->client_id, uri, env->pool);
    return APR_SUCCESS;
}

apr_status_t aoidc_rp_login(aoidc_login_out_t *out, const aoidc_rp_conf_t *c,
                            const aoidc_flow_env_t *env,
                            const aoidc_login_in_t *in, aoidc_err_t *err)
{
    apr_pool_t *p = env->pool;
    aoidc_snapshot_t *snap;
    aoidc_state_t *st;
    char *sealed;
    const char *name;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    if ((rv = aoidc_flow_snapshot(&snap, env, err)) != APR_SUCCESS) {
        return rv;
    }
    if (in->post_body
        && (!aoidc_replay_body_ok(in->post_body, strlen(in->post_body))
            || !in->return_to
            || strcmp(bounded_return(in->return_to, p), in->return_to))) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "form POST not kept: body or URL too long or "
                             "malformed");
    }
    /* PKCE protects a code: an implicit response has none */
    rv = aoidc_state_create(&st, c->issuer, bounded_return(in->return_to, p),
                            c->pkce && c->response_type != AOIDC_RT_ID_TOKEN,
                            env->now, p);
    if (rv == APR_SUCCESS) {
        st->post_body = in->post_body;
        rv = aoidc_state_seal(&sealed, st, c->seal_state, p);
    }
    if (rv != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p, "state record: %d",
                             rv);
    }
    name = aoidc_state_cookie_name(st->state, p);
    if (strlen(name) + strlen(sealed) + 3 > AOIDC_STATE_BYTES_MAX) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "form POST not kept: the state cookie would "
                             "exceed %d bytes",
                             AOIDC_STATE_BYTES_MAX);
    }
    evict_states(&out->cookies, in->cookie_header, c->state_max_cookies,
                 strlen(name) + strlen(sealed) + 3, p);
    /* the cookie outlives the attempt (the record's own time decides):
     * a login finished late is then known as expired, with its return URL
     * for a restart, rather than unknown */
    aoidc_cookie_op(&out->cookies, AOIDC_COOKIE_STATE, name, sealed,
                    apr_time_sec(c->state_ttl * 2 < AOIDC_STATE_TTL_MAX
                                     ? c->state_ttl * 2
                                     : AOIDC_STATE_TTL_MAX),
                    p);

    aoidc_authz_params_t ap = {snap->md.authorization_endpoint,
                               c->client->client_id,
                               in->redirect_uri,
                               c->scope,
                               c->extra_params,
                               c->response_type,
                               c->response_mode,
                               in->login_hint};
    if (c->dpop_key) {
        /* RFC 9449 §10: the code is bound to the key, so a stolen code is
         * worthless without it */
        ap.extra = aoidc_authz_params_default(
            ap.extra, "dpop_jkt", aoidc_dpop_key_jkt(c->dpop_key), p);
    }
    out->state = st->state;
    if (!use_par(c, &snap->md)) {
        out->location = aoidc_authz_request_url(&ap, st, p);
        return APR_SUCCESS;
    }
    return push(out, c, env, &snap->md, &ap, st, err);
}
