/* SPDX-License-Identifier: Apache-2.0 */
/* The authz providers `Require claim` and `Require scope` (authz.c). */
#ifndef AOIDC_HTTPD_AUTHZ_H
#define AOIDC_HTTPD_AUTHZ_H

#include "httpd/mod_auth_oidc.h"

void aoidc_authz_register(apr_pool_t *p);

#endif
