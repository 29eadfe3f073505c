/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthOIDCProfile fapi2|none and AuthOIDCDPoP on|off (issue 12): the
 * directives, what the profile implies for the RP flows (applied by
 * aoidc_conf_rp through aoidc_config_profile_rp), and the configtest walk
 * refusing a section whose explicit directives contradict the profile
 * (the table is core/profile.c, unit-tested). The DPoP key itself is
 * derived from AuthOIDCPassphrase (config_passphrase.c), so it exists
 * wherever a passphrase does and is the same on every node.
 */
#include <string.h>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"

#include "core/profile.h"
#include "httpd/config.h"
#include "httpd/mod_auth_oidc.h"

const char *aoidc_config_set_profile(cmd_parms *cmd, void *dc, const char *arg)
{
    aoidc_dir_conf_t *c = dc;
    if (!strcasecmp(arg, "fapi2")) {
        c->profile = AOIDC_PROFILE_FAPI2;
    }
    else if (!strcasecmp(arg, "none")) {
        c->profile = AOIDC_PROFILE_NONE;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: expects fapi2|none, not '%s'",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

const char *aoidc_config_set_dpop(cmd_parms *cmd, void *dc, int on)
{
    ((aoidc_dir_conf_t *)dc)->dpop = on ? 1 : 0;
    return NULL;
}

static bool fapi2(const aoidc_dir_conf_t *c)
{
    return c->profile == AOIDC_PROFILE_FAPI2;
}

const char *aoidc_config_profile_conflict(const aoidc_dir_conf_t *c)
{
    const aoidc_client_t *cl = c->client;
    aoidc_profile_in_t in = {
        .par = c->par,
        .pkce = c->pkce,
        .response_type = c->response_type,
        .dpop = c->dpop,
        .has_client = cl && cl->client_id,
        .client_auth = cl ? cl->method : AOIDC_CLIENT_AUTH_AUTO,
        .has_key = cl && cl->keys && cl->keys->nelts > 0,
        .has_cert = cl && cl->cert, /* AuthOIDCClientCert (RFC 8705) */
        .other_providers = c->idps && c->idps->nelts > 0};
    return aoidc_profile_conflict(AOIDC_OR(c->profile, AOIDC_PROFILE_NONE),
                                  &in);
}

void aoidc_config_profile_rp(aoidc_rp_conf_t *rp, const aoidc_dir_conf_t *c)
{
    bool f = fapi2(c);
    bool dpop = c->dpop == 1 || (f && c->dpop != 0);
    rp->dpop_key = dpop ? c->dpop_key : NULL;
    rp->dpop_required = f;
    rp->iss_required = f; /* FAPI 2.0 §5.3.2.2 item 6, RFC 9207 */
    rp->algs = f ? AOIDC_FAPI2_ALGS : 0; /* §5.4.1 */
    if (f) {
        rp->par = AOIDC_PAR_ON; /* §5.3.2.2 item 1 */
        rp->pkce = true;        /* item 2: S256 */
        rp->response_type = AOIDC_RT_CODE;
    }
}
