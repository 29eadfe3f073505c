/* SPDX-License-Identifier: Apache-2.0 */
/* The authz providers `Require claim` and `Require scope` (authz.c). */
#ifndef AOIDC_HTTPD_AUTHZ_H
#define AOIDC_HTTPD_AUTHZ_H

#include "httpd/mod_auth_oidc.h"

void aoidc_authz_register(apr_pool_t *p);

/** check_config: OK, or !OK (logged at emerg) when another module
 *  (mod_auth_openidc) provides `Require claim` in this server. */
int aoidc_authz_check(server_rec *s);

#endif
