/* SPDX-License-Identifier: Apache-2.0 */
/* AuthOIDCProfile: what the FAPI 2.0 profile refuses (profile.h). */
#include "core/authz_request.h"
#include "core/profile.h"

const char *aoidc_profile_name(aoidc_profile_t prof)
{
    return prof == AOIDC_PROFILE_FAPI2 ? "fapi2" : "none";
}

/* FAPI 2.0 §5.3.2.1: private_key_jwt or tls_client_auth, nothing else */
static const char *client_auth_conflict(const aoidc_profile_in_t *in)
{
    switch (in->client_auth) {
    case AOIDC_CLIENT_AUTH_BASIC:
        return "AuthOIDCClientAuth client_secret_basic";
    case AOIDC_CLIENT_AUTH_POST:
        return "AuthOIDCClientAuth client_secret_post";
    case AOIDC_CLIENT_AUTH_PRIVATE_KEY_JWT:
        return NULL; /* without a key: aoidc_conf_rp says so already */
    default:
        return in->has_key || in->has_cert
                   ? NULL
                   : "AuthOIDCClientKey (private_key_jwt) or a client "
                     "certificate (tls_client_auth)";
    }
}

const char *aoidc_profile_conflict(aoidc_profile_t prof,
                                   const aoidc_profile_in_t *in)
{
    if (prof != AOIDC_PROFILE_FAPI2) {
        return NULL;
    }
    if (in->par == AOIDC_PAR_OFF) {
        return "AuthOIDCPAR off"; /* §5.3.2.2 item 1 */
    }
    if (in->pkce == 0) {
        return "AuthOIDCPKCE off"; /* §5.3.2.2 item 2 */
    }
    if (in->response_type != -1 && in->response_type != AOIDC_RT_CODE) {
        return in->response_type == AOIDC_RT_ID_TOKEN
                   ? "AuthOIDCResponseType id_token"
                   : "AuthOIDCResponseType \"code id_token\"";
    }
    if (in->dpop == 0) {
        return "AuthOIDCDPoP off"; /* §5.3.2.1: sender-constrained tokens */
    }
    if (in->other_providers) {
        return "AuthOIDCProvider (its client has a secret, not a key)";
    }
    return in->has_client ? client_auth_conflict(in) : NULL;
}
