/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-directory configuration. Every value is parsed once, at config time,
 * into a typed field; unset fields hold a sentinel (NULL or AOIDC_UNSET) so
 * merging passes "unset" through nested scopes, and defaults are applied by
 * the accessors below.
 */
#ifndef AOIDC_HTTPD_CONFIG_H
#define AOIDC_HTTPD_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "core/provider.h"
#include "core/seal.h"

#define AOIDC_UNSET (-1)

enum {
    AOIDC_ACCEPT_HEADER = 1,
    AOIDC_ACCEPT_QUERY = 2,
    AOIDC_ACCEPT_FORM = 4,
};

typedef struct aoidc_store_ref_t aoidc_store_ref_t;

typedef struct {
    const char *issuer;
    aoidc_provider_t *provider; /* shared per issuer, process-wide */
    const char *client_id;
    const char *client_secret;
    const char *redirect_uri;   /* absolute URL or local path */
    aoidc_seal_t *seal_session; /* derived from AuthOIDCPassphrase */
    aoidc_seal_t *seal_state;
    const char *scope;
    int pkce; /* 1 = S256, 0 = off */
    apr_int64_t leeway;
    const char *audience;
    aoidc_store_ref_t *store;
    const char *claim_prefix;
    const char *remote_user_claim;
    apr_int64_t inactivity;
    apr_int64_t max_duration;
    apr_int64_t token_cache_ttl;
    int userinfo;
    int pass_access_token;
    int accept_in; /* AOIDC_ACCEPT_* mask */
    int typ_required;
    apr_int64_t http_timeout;
} aoidc_dir_conf_t;

extern const command_rec aoidc_cmds[];

void *aoidc_create_dir_conf(apr_pool_t *p, char *dir);
void *aoidc_merge_dir_conf(apr_pool_t *p, void *base, void *add);

/* life cycle of the process-wide registries (providers, HTTP client) */
void aoidc_config_pre_config(apr_pool_t *pconf);
void aoidc_config_child_init(apr_pool_t *pchild);
int aoidc_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s);
/* An HTTP client for this request, with the location's timeout (cold
 * paths only: it is allocated in r->pool). */
const aoidc_http_t *aoidc_http_for(request_rec *r, const aoidc_dir_conf_t *c);

/* accessors with defaults */
const char *aoidc_conf_scope(const aoidc_dir_conf_t *c);
apr_int64_t aoidc_conf_leeway(const aoidc_dir_conf_t *c);
const char *aoidc_conf_claim_prefix(const aoidc_dir_conf_t *c);
const char *aoidc_conf_remote_user_claim(const aoidc_dir_conf_t *c);
apr_interval_time_t aoidc_conf_inactivity(const aoidc_dir_conf_t *c);
apr_interval_time_t aoidc_conf_max_duration(const aoidc_dir_conf_t *c);
apr_interval_time_t aoidc_conf_token_cache_ttl(const aoidc_dir_conf_t *c);
bool aoidc_conf_pkce(const aoidc_dir_conf_t *c);
bool aoidc_conf_userinfo(const aoidc_dir_conf_t *c);
bool aoidc_conf_pass_access_token(const aoidc_dir_conf_t *c);
int aoidc_conf_accept_in(const aoidc_dir_conf_t *c);
bool aoidc_conf_typ_required(const aoidc_dir_conf_t *c);

#endif
