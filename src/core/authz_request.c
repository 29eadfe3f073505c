/* SPDX-License-Identifier: Apache-2.0 */
/* Authorization request assembly. */
#include <string.h>

#include "core/authz_request.h"
#include "core/pkce.h"
#include "core/url.h"

char *aoidc_authz_request_url(const aoidc_authz_params_t *a,
                              const aoidc_state_t *st, apr_pool_t *p)
{
    char *q = "";
    q = aoidc_url_append_param(q, "response_type", "code", p);
    q = aoidc_url_append_param(q, "client_id", a->client_id, p);
    q = aoidc_url_append_param(q, "redirect_uri", a->redirect_uri, p);
    q = aoidc_url_append_param(q, "scope", a->scope, p);
    q = aoidc_url_append_param(q, "state", st->state, p);
    q = aoidc_url_append_param(q, "nonce", st->nonce, p);
    if (st->verifier) {
        q = aoidc_url_append_param(
            q, "code_challenge", aoidc_pkce_challenge_s256(st->verifier, p), p);
        q = aoidc_url_append_param(q, "code_challenge_method", "S256", p);
    }
    return apr_pstrcat(p, a->endpoint, strchr(a->endpoint, '?') ? "&" : "?", q,
                       NULL);
}
