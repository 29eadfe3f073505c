/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthOIDCPassphrase NEW [OLD]: the purpose keys derived from it (session,
 * state, session index, oidc-basic, upstream tokens, DPoP nonces) and the
 * RP's DPoP key (core/dpop_rp.h), so that every node given the same
 * passphrase seals, opens and signs alike.
 */
#include <string.h>

#include "apr_strings.h"

#include "core/dpop_rp.h"
#include "core/parse.h"
#include "httpd/config.h"

/* The purpose keys of one passphrase value. */
#define SEALS 6
static const char *passphrase_seals(aoidc_seal_t *k[SEALS], const char **out,
                                    cmd_parms *cmd, const char *arg)
{
    static const char *const purposes[SEALS] = {
        "session", "state", "session-index", "basic", "upstream", "dpop-nonce"};
    const char *v, *e = aoidc_parse_secret(&v, arg, cmd->pool);
    if (e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e);
    }
    if (strlen(v) < 16) {
        return apr_psprintf(cmd->pool, "%s: use at least 16 characters",
                            cmd->cmd->name);
    }
    for (int i = 0; i < SEALS; i++) {
        if (aoidc_seal_create(&k[i], v, strlen(v), purposes[i], cmd->pool)
            != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "%s: key derivation failed",
                                cmd->cmd->name);
        }
    }
    *out = v;
    return NULL;
}

/* AuthOIDCPassphrase NEW [OLD]: seals with NEW; what OLD sealed (sessions,
 * state cookies, index members) still opens, so a rotation logs nobody
 * out. */
const char *aoidc_config_set_passphrase(cmd_parms *cmd, void *dc,
                                        const char *now, const char *old)
{
    aoidc_dir_conf_t *c = dc;
    aoidc_seal_t *k[SEALS], *o[SEALS];
    const char *v = NULL, *ov, *e = passphrase_seals(k, &v, cmd, now);
    aoidc_client_key_t *dpop = NULL;
    aoidc_err_t err = {0};
    if (!e && old) {
        e = passphrase_seals(o, &ov, cmd, old);
        for (int i = 0; !e && i < SEALS; i++) {
            aoidc_seal_set_previous(k[i], o[i]);
        }
    }
    if (e) {
        return e;
    }
    c->seal_session = k[0];
    c->seal_state = k[1];
    c->seal_index = k[2];
    c->seal_basic = k[3]; /* oidc-basic cache keys: never rotated (a cache) */
    c->seal_upstream = k[4];
    /* DPoP nonces: MACs under the NEW key only; a node still on OLD
     * issues nonces the others refuse with a fresh one (one retry) */
    c->seal_dpop_nonce = k[5];
    /* the DPoP key (RFC 9449) follows the new passphrase: tokens bound to
     * the old one end at their next refresh (a new login) */
    if (aoidc_dpop_key_derive(&dpop, v, strlen(v), cmd->pool, &err)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: DPoP key derivation failed",
                            cmd->cmd->name);
    }
    c->dpop_key = dpop;
    return NULL;
}
