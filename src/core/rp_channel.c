/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logout from the OP (rp.h): back-channel and front-channel. The token and
 * query rules are core/logout_token.c; the session indexes core/
 * session_index.c; this ends the sessions they name, wherever they were
 * served, since every node shares the store.
 */
#include <string.h>

#include "core/logout.h"
#include "core/rp.h"
#include "core/rp_store.h"

static void index_of(aoidc_session_index_t *ix, const aoidc_rp_conf_t *c,
                     const aoidc_flow_env_t *env)
{
    ix->store = env->sessions;
    ix->seal = c->seal_index;
    ix->issuer = c->issuer;
    ix->client_id = c->client->client_id;
}

/* End each session of refs (every entry of it), then forget the index
 * members: in that order, so a failure in between leaves them findable. */
static apr_status_t end_all(aoidc_channel_out_t *out,
                            const aoidc_session_index_t *ix,
                            const aoidc_flow_env_t *env,
                            const apr_array_header_t *refs, aoidc_err_t *err)
{
    for (int i = 0; i < refs->nelts; i++) {
        const aoidc_session_ref_t *ref =
            &APR_ARRAY_IDX(refs, i, aoidc_session_ref_t);
        aoidc_ticket_t t;
        memset(&t, 0, sizeof(t));
        if (strlen(ref->session_id) != sizeof(t.id) - 1) {
            continue;
        }
        memcpy(t.id, ref->session_id, sizeof(t.id));
        aoidc_rp_destroy(env, &t);
        out->ended++;
    }
    if (aoidc_session_index_forget(ix, refs, env->pool) != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_STORE_UNAVAILABLE, env->pool,
                             "%s store: index not updated",
                             env->sessions->name);
    }
    return APR_SUCCESS;
}

static apr_status_t store_down(const aoidc_flow_env_t *env, apr_status_t rv,
                               aoidc_err_t *err)
{
    return aoidc_err_set(err, AOIDC_REASON_STORE_UNAVAILABLE, env->pool,
                         "%s store: %d", env->sessions->name, rv);
}

apr_status_t aoidc_rp_backchannel(aoidc_channel_out_t *out,
                                  const aoidc_rp_conf_t *c,
                                  const aoidc_flow_env_t *env, const char *body,
                                  apr_size_t len, aoidc_err_t *err)
{
    aoidc_session_index_t ix;
    aoidc_backchannel_in_t in;
    aoidc_backchannel_out_t bo;
    aoidc_snapshot_t *snap;
    const aoidc_jwks_t *keys;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    out->error_code = "invalid_request";
    if ((rv = aoidc_flow_snapshot(&snap, env, err)) != APR_SUCCESS) {
        return rv;
    }
    index_of(&ix, c, env);
    memset(&in, 0, sizeof(in));
    in.body = body;
    in.len = len;
    in.jwks = snap->jwks;
    in.rules.issuer = c->issuer;
    in.rules.client_id = c->client->client_id;
    in.rules.client_secret = c->client->client_secret;
    in.rules.now = env->now;
    in.rules.leeway = c->leeway;
    in.index = &ix;
    rv = aoidc_backchannel_logout(&bo, &in, env->pool, err);
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_KEY_UNKNOWN
        && (keys = aoidc_flow_rotated_keys(env))) {
        in.jwks = keys;
        rv = aoidc_backchannel_logout(&bo, &in, env->pool, err);
    }
    if (rv != APR_SUCCESS) {
        return err->reason ? rv : store_down(env, rv, err);
    }
    return end_all(out, &ix, env, bo.refs, err);
}

apr_status_t aoidc_rp_frontchannel(aoidc_channel_out_t *out,
                                   const aoidc_rp_conf_t *c,
                                   const aoidc_flow_env_t *env,
                                   const char *query, aoidc_err_t *err)
{
    aoidc_session_index_t ix;
    apr_array_header_t *refs;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    index_of(&ix, c, env);
    rv = aoidc_frontchannel_logout(&refs, query, &ix, env->now, env->pool, err);
    if (rv != APR_SUCCESS) {
        return err->reason ? rv : store_down(env, rv, err);
    }
    return end_all(out, &ix, env, refs, err);
}
