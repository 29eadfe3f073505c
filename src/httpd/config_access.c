/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The typed views of a merged directory configuration (config.h): what a
 * flow gets (aoidc_conf_rp, _rs, _basic) and the single-valued accessors
 * with their defaults. The directives and their setters are in config.c
 * and the config_*.c files it names; aoidc_conf_upstream stays with its
 * directives in config_upstream.c.
 */
#include "core/dpop.h"
#include "httpd/config.h"

const char *aoidc_conf_claim_prefix(const aoidc_dir_conf_t *c)
{
    return c->claim_prefix ? c->claim_prefix : "OIDC_CLAIM_";
}
static const char *remote_user_claim(const aoidc_dir_conf_t *c)
{
    return c->remote_user_claim ? c->remote_user_claim : "sub";
}
bool aoidc_conf_pass_access_token(const aoidc_dir_conf_t *c)
{
    return c->pass_access_token == 1;
}
int aoidc_conf_accept_in(const aoidc_dir_conf_t *c)
{
    return AOIDC_OR(c->accept_in, AOIDC_ACCEPT_HEADER);
}
int aoidc_conf_unauth_action(const aoidc_dir_conf_t *c)
{
    return AOIDC_OR(c->unauth_action, AOIDC_UNAUTH_AUTH);
}
int aoidc_conf_unautz_action(const aoidc_dir_conf_t *c)
{
    return AOIDC_OR(c->unautz_action, AOIDC_UNAUTZ_403);
}
int aoidc_conf_pass_claims_as(const aoidc_dir_conf_t *c)
{
    return AOIDC_OR(c->pass_claims_as, AOIDC_PASS_HEADERS | AOIDC_PASS_ENV);
}
const char *aoidc_conf_cookie_name(const aoidc_dir_conf_t *c)
{
    return c->cookie_name ? c->cookie_name : AOIDC_SESSION_COOKIE;
}
bool aoidc_conf_info(const aoidc_dir_conf_t *c)
{
    return c->info == 1;
}

/* An ID Token in the authorization response (hybrid, implicit) is never
 * put in a URL: those need form_post (a server cannot read a fragment). */
static bool response_mode_ok(const aoidc_dir_conf_t *c)
{
    return AOIDC_OR(c->response_type, AOIDC_RT_CODE) == AOIDC_RT_CODE
           || AOIDC_OR(c->response_mode, AOIDC_RM_QUERY) == AOIDC_RM_FORM_POST;
}

const aoidc_rp_conf_t *aoidc_conf_rp(aoidc_rp_conf_t *rp,
                                     const aoidc_dir_conf_t *c,
                                     const char **missing)
{
    *missing =
        !c->issuer                            ? "AuthOIDCIssuer"
        : !c->client || !c->client->client_id ? "AuthOIDCClientID"
        : !c->seal_session                    ? "AuthOIDCPassphrase"
        : !c->redirect_uri                    ? "AuthOIDCRedirectURI"
        : !response_mode_ok(c) ? "AuthOIDCResponseMode form_post (for "
                                 "AuthOIDCResponseType id_token or "
                                 "\"code id_token\")"
        : c->client->method == AOIDC_CLIENT_AUTH_PRIVATE_KEY_JWT
                && (!c->client->keys || !c->client->keys->nelts)
            ? "AuthOIDCClientKey (for AuthOIDCClientAuth private_key_jwt)"
        : aoidc_config_profile_conflict(c)
            ? "AuthOIDCProfile fapi2 without a directive contradicting it "
              "(apachectl configtest names it)"
        : c->client->method == AOIDC_CLIENT_AUTH_TLS && !c->client->cert
            ? "AuthOIDCClientCert (for AuthOIDCClientAuth tls_client_auth)"
            : NULL;
    if (*missing) {
        return NULL;
    }
    rp->issuer = c->issuer;
    rp->client = c->client;
    rp->seal_session = c->seal_session;
    rp->seal_state = c->seal_state;
    rp->seal_index = c->seal_index;
    rp->revoke_on_logout = c->revoke_on_logout != 0;
    rp->scope = c->scope ? c->scope : "openid"; /* openid added at config */
    rp->pkce = c->pkce != 0;
    rp->userinfo = c->userinfo != 0;
    rp->leeway = apr_time_sec(AOIDC_OR(c->leeway, apr_time_from_sec(60)));
    rp->limits.inactivity = AOIDC_OR(c->inactivity, apr_time_from_sec(3600));
    rp->limits.max_age = AOIDC_OR(c->max_duration, apr_time_from_sec(28800));
    rp->remote_user_claim = remote_user_claim(c);
    rp->claim_prefix = aoidc_conf_claim_prefix(c);
    rp->cookie_name = aoidc_conf_cookie_name(c);
    rp->tag = c->tag;
    rp->state_max_cookies =
        AOIDC_OR(c->state_max_cookies, AOIDC_STATE_MAX_COOKIES);
    rp->state_ttl = AOIDC_OR(c->state_timeout, AOIDC_STATE_TTL);
    rp->extra_params = c->auth_params;
    rp->refresh_before = AOIDC_OR(c->refresh_before, 0);
    rp->cookie_store = c->cookie_store == 1;
    rp->response_type = AOIDC_OR(c->response_type, AOIDC_RT_CODE);
    rp->response_mode = AOIDC_OR(c->response_mode, AOIDC_RM_QUERY);
    rp->par = AOIDC_OR(c->par, AOIDC_PAR_AUTO);
    aoidc_config_profile_rp(rp, c); /* AuthOIDCProfile, AuthOIDCDPoP */
    return rp;
}

const aoidc_rs_conf_t *aoidc_conf_rs(aoidc_rs_conf_t *rs,
                                     const aoidc_dir_conf_t *c,
                                     const char **missing)
{
    *missing =
        !c->issuer     ? "AuthOIDCIssuer"
        : !c->audience ? "AuthOIDCAudience"
        : c->dpop_nonce == 1 && !c->seal_dpop_nonce
            ? "AuthOIDCPassphrase (for AuthOIDCDPoPNonce)"
        : c->client && c->client->method == AOIDC_CLIENT_AUTH_TLS
                && !c->client->cert
            ? "AuthOIDCClientCert (for AuthOIDCClientAuth tls_client_auth)"
            : NULL;
    if (*missing) {
        return NULL;
    }
    rs->issuer = c->issuer;
    rs->audience = c->audience;
    rs->client = c->client;
    rs->leeway = apr_time_sec(AOIDC_OR(c->leeway, apr_time_from_sec(60)));
    rs->require_typ = c->typ_required == 1;
    rs->cache_ttl = AOIDC_OR(c->token_cache_ttl, apr_time_from_sec(300));
    rs->remote_user_claim = remote_user_claim(c);
    rs->binding = AOIDC_OR(c->token_binding, AOIDC_BIND_OFF);
    rs->dpop_max_age = AOIDC_DPOP_MAX_AGE;
    rs->claim_prefix = aoidc_conf_claim_prefix(c);
    rs->dpop_nonce = c->dpop_nonce == 1 ? c->seal_dpop_nonce : NULL;
    return rs;
}

const aoidc_basic_conf_t *aoidc_conf_basic(aoidc_basic_conf_t *b,
                                           const aoidc_dir_conf_t *c,
                                           const char **missing)
{
    *missing = !c->issuer                            ? "AuthOIDCIssuer"
               : !c->client || !c->client->client_id ? "AuthOIDCClientID"
               : !c->seal_basic                      ? "AuthOIDCPassphrase"
                                                     : NULL;
    if (*missing) {
        return NULL;
    }
    b->issuer = c->issuer;
    b->client = c->client;
    b->scope = c->scope ? c->scope : "openid";
    b->seal = c->seal_basic;
    b->leeway = apr_time_sec(AOIDC_OR(c->leeway, apr_time_from_sec(60)));
    /* short: a password changed or revoked at the OP is noticed soon */
    b->cache_ttl = AOIDC_OR(c->token_cache_ttl, apr_time_from_sec(60));
    b->remote_user_claim = remote_user_claim(c);
    b->max_failures = AOIDC_BASIC_MAX_FAILURES_USER;
    b->max_failures_addr = AOIDC_BASIC_MAX_FAILURES_ADDR;
    b->failure_window = AOIDC_BASIC_FAILURE_WINDOW;
    return b;
}
