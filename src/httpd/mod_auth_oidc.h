/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private header of the httpd glue: module declaration, log tags, the
 * per-request context and the functions the glue files share. Only files
 * under src/httpd include httpd headers.
 */
#ifndef AOIDC_HTTPD_MOD_AUTH_OIDC_H
#define AOIDC_HTTPD_MOD_AUTH_OIDC_H

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "core/claims.h"
#include "core/err.h"
#include "core/provider.h"
#include "core/store.h"

#include "httpd/config.h"

/* Everything else is hidden (-fvisibility=hidden): modules share one
 * symbol namespace under RTLD_GLOBAL. */
extern module __attribute__((visibility("default")))
AP_MODULE_DECLARE_DATA auth_oidc_module;
#ifndef AOIDC_MODULE_MAIN /* AP_DECLARE_MODULE defines the log index there */
APLOG_USE_MODULE(auth_oidc);
#endif

/* Our own unique log tags, as httpd's APLOGNO; docs/log-tags keeps the next
 * number and test/tools/lognos-check rejects duplicates. */
#define AOIDCLOGNO(n) "AOIDC" #n ": "

/* What authentication established for this request; the authz providers
 * read the claims from here. */
typedef struct {
    apr_array_header_t *claims; /* of aoidc_claim_t */
    bool is_bearer;
    bool denied_by_authz; /* our authz provider refused an authn'd user */
    const char *required_scope;
    const char *bearer_error;       /* RFC 6750 error for the challenge */
    const char *bearer_description; /* short, leaks nothing */
} aoidc_req_ctx_t;

aoidc_req_ctx_t *aoidc_req_ctx(request_rec *r);

/* authn.c: the reason → answer table */
int aoidc_fail(request_rec *r, const aoidc_err_t *err, apr_status_t rv);

/* authn.c: hooks */
int aoidc_header_parser(request_rec *r);
int aoidc_check_authn(request_rec *r);
int aoidc_note_auth_failure(request_rec *r, const char *type);
void aoidc_insert_error_filter(request_rec *r);

/* request.c: request_rec in and out */
apr_time_t aoidc_now(request_rec *r);
const char *aoidc_absolute(request_rec *r, const aoidc_dir_conf_t *c,
                           const char *path);
const char *aoidc_redirect_uri(request_rec *r, const aoidc_dir_conf_t *c);
bool aoidc_is_redirect_uri(request_rec *r, const aoidc_dir_conf_t *c);
void aoidc_scrub_headers(request_rec *r, const aoidc_dir_conf_t *c);
void aoidc_set_user(request_rec *r, const aoidc_dir_conf_t *c,
                    const apr_array_header_t *claims);
void aoidc_set_cookie(request_rec *r, const char *name, const char *value,
                      apr_int64_t max_age);
int aoidc_redirect(request_rec *r, const char *location);
bool aoidc_wants_redirect(request_rec *r);
const char *aoidc_cookie_header(request_rec *r);
void aoidc_request_register_filters(void);
/* Read the whole request body (at most max bytes) and arrange for the
 * handler to see it again. */
apr_status_t aoidc_read_body(const char **out, request_rec *r, apr_size_t max,
                             aoidc_err_t *err);

/* login.c */
int aoidc_login_start(request_rec *r, const aoidc_dir_conf_t *c);
apr_status_t aoidc_snapshot(aoidc_snapshot_t **out, request_rec *r,
                            const aoidc_dir_conf_t *c, aoidc_err_t *err);
/* After a token named an unknown kid: the issuer's keys refetched (rate
 * limited per issuer), or NULL when no refetch was allowed or it failed. */
const aoidc_jwks_t *aoidc_rotated_keys(request_rec *r,
                                       const aoidc_dir_conf_t *c);

/* callback.c */
int aoidc_callback(request_rec *r, const aoidc_dir_conf_t *c);

/* session.c */
int aoidc_session_authn(request_rec *r, const aoidc_dir_conf_t *c);
apr_status_t aoidc_session_create_and_save(request_rec *r,
                                           const aoidc_dir_conf_t *c,
                                           void *session);
int aoidc_logout(request_rec *r, const aoidc_dir_conf_t *c, const char *target);

/* bearer.c */
int aoidc_bearer_authn(request_rec *r, const aoidc_dir_conf_t *c);
void aoidc_bearer_child_init(apr_pool_t *pchild);
const char *aoidc_bearer_challenge_for(request_rec *r, const char *error,
                                       const char *description,
                                       const char *scope);

/* authz.c */
void aoidc_authz_register(apr_pool_t *p);

/* store.c, store_socache.c: the registry and the accessor */
#include "httpd/store.h"

#endif
