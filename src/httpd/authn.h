/* SPDX-License-Identifier: Apache-2.0 */
/* The dispatcher's hooks (authn.c), registered by mod_auth_oidc.c. */
#ifndef AOIDC_HTTPD_AUTHN_H
#define AOIDC_HTTPD_AUTHN_H

#include "httpd/mod_auth_oidc.h"

int aoidc_post_perdir_config(request_rec *r);
int aoidc_check_authn(request_rec *r);
int aoidc_note_auth_failure(request_rec *r, const char *type);
void aoidc_insert_error_filter(request_rec *r);

#endif
