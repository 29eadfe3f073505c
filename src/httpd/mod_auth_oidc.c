/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mod_auth_oidc: OpenID Connect relying party and OAuth 2.0 resource server
 * for Apache httpd. This file holds only the module's life cycle: hook
 * registration, configuration passes, child start.
 */
#include <curl/curl.h>

#define AOIDC_MODULE_MAIN

#include "httpd/authn.h"
#include "httpd/authz.h"
#include "httpd/config.h"
#include "httpd/metrics.h"
#include "httpd/op.h"
#include "httpd/request.h"
#include "httpd/stepup.h"
#include "httpd/store.h"
#include "httpd/tls_peer.h"
#include "httpd/upstream.h"

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    aoidc_config_pre_config(pconf, aoidc_metrics_op_call);
    aoidc_store_pre_config(pconf);
    return OK;
}

/* configtest and every start: the configuration's own checks, and no
 * second module owning `Require claim`. */
static int check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s)
{
    if (aoidc_authz_check(s) != OK) {
        return !OK;
    }
    return aoidc_config_check(pconf, plog, ptemp, s);
}

static apr_status_t curl_cleanup(void *data)
{
    curl_global_cleanup();
    return APR_SUCCESS;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    /* curl's global state once per process; other modules may share
     * libcurl, so init/cleanup are reference counted by curl itself */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     AOIDCLOGNO(00070) "curl_global_init failed");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, NULL, curl_cleanup, apr_pool_cleanup_null);
    if (aoidc_metrics_post_config(pconf, s, aoidc_module_used()) != APR_SUCCESS
        || aoidc_store_post_config(pconf, ptemp, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    aoidc_op_post_config(s);
    return aoidc_stepup_post_config(pconf, s);
}

static void child_init(apr_pool_t *pchild, server_rec *s)
{
    aoidc_store_child_init(pchild, s);
    aoidc_config_child_init(pchild);
    aoidc_op_child_init(pchild);
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    /* RFC 9728 metadata: public, before any access check (stepup.c) */
    ap_hook_quick_handler(aoidc_stepup_metadata_handler, NULL, NULL,
                          APR_HOOK_MIDDLE);
    ap_hook_post_perdir_config(aoidc_post_perdir_config, NULL, NULL,
                               APR_HOOK_FIRST);
    ap_hook_check_authn(aoidc_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(aoidc_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_fixups(aoidc_upstream_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(aoidc_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_hook_log_transaction(aoidc_shm_log_transaction, NULL, NULL,
                            APR_HOOK_LAST);
    aoidc_request_register_filters();
    aoidc_authz_register(p);
    aoidc_metrics_register(p);
    aoidc_metrics_status_register(p);
    aoidc_tls_peer_register();
}

AP_DECLARE_MODULE(auth_oidc) = {
    STANDARD20_MODULE_STUFF,
    aoidc_create_dir_conf,
    aoidc_merge_dir_conf,
    NULL,
    NULL,
    aoidc_cmds,
    register_hooks,
    AP_MODULE_FLAG_NONE,
};
