/* SPDX-License-Identifier: Apache-2.0 */
/* OP-initiated logout flows (contracts in logout.h). */
#include <string.h>

#include "core/logout.h"

apr_status_t aoidc_backchannel_logout(aoidc_backchannel_out_t *out,
                                      const aoidc_backchannel_in_t *in,
                                      apr_pool_t *p, aoidc_err_t *err)
{
    const aoidc_session_index_t *ix = in->index;
    const char *tok;
    apr_status_t rv;
    out->token = NULL;
    out->refs = NULL;
    if ((rv = aoidc_logout_body_parse(&tok, in->body, in->len, p, err))
            != APR_SUCCESS
        || (rv = aoidc_logout_token_validate(&out->token, tok, strlen(tok),
                                             in->jwks, &in->rules, p, err))
               != APR_SUCCESS) {
        out->token = NULL;
        return rv;
    }
    /* §2.6 step 10: the jti goes in only now, so a forged or mistimed
     * token can never block the OP's real one */
    rv = aoidc_logout_jti_use(ix->store, ix->issuer, ix->client_id, out->token,
                              p, err);
    if (rv == APR_SUCCESS) {
        /* §2.7: sid (and sub, when both) or every session of sub */
        rv = aoidc_session_index_lookup(&out->refs, ix, out->token->sid,
                                        out->token->sub, in->rules.now, p);
    }
    return rv;
}

apr_status_t aoidc_frontchannel_logout(apr_array_header_t **refs,
                                       const char *query,
                                       const aoidc_session_index_t *ix,
                                       apr_time_t now, apr_pool_t *p,
                                       aoidc_err_t *err)
{
    const char *sid;
    apr_status_t rv =
        aoidc_logout_frontchannel_parse(&sid, query, ix->issuer, p, err);
    *refs = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return aoidc_session_index_lookup(refs, ix, sid, NULL, now, p);
}
