/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store registry of the glue: AuthOIDCSessionStore specs made into
 * aoidc_store_t instances (core/store.h) at configuration time, with the
 * life cycle of mod_authn_socache (mutex in pre_config, init in
 * post_config, child_init).
 */
#ifndef AOIDC_HTTPD_STORE_H
#define AOIDC_HTTPD_STORE_H

#include "core/store.h"
#include "httpd/config.h"

/* What a store is used for. Sessions never share room with what an
 * unauthenticated client can make us write (markers, the token cache): a
 * flood of the latter must not evict the former. */
enum {
    AOIDC_STORE_SESSIONS = 1,
    AOIDC_STORE_CACHE = 2,
};

const char *aoidc_store_spec(aoidc_store_ref_t **out, cmd_parms *cmd,
                             const char *arg);
aoidc_store_t *aoidc_store_for(const aoidc_dir_conf_t *c, int purpose);
void aoidc_store_pre_config(apr_pool_t *pconf);
apr_status_t aoidc_store_post_config(apr_pool_t *pconf, apr_pool_t *ptemp,
                                     server_rec *s);
void aoidc_store_child_init(apr_pool_t *pchild, server_rec *s);

#endif
