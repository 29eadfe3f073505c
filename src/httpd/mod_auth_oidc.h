/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every glue file needs: httpd's headers, the module declaration and
 * the log-tag macro. Only files under src/httpd include httpd headers.
 * Each glue unit has its own small header; calls go one way (see
 * docs/architecture.md): authn (dispatch) -> flows (login, callback,
 * session, logout, bearer) -> shared units (answer, op, request, config,
 * store).
 */
#ifndef AOIDC_HTTPD_MOD_AUTH_OIDC_H
#define AOIDC_HTTPD_MOD_AUTH_OIDC_H

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "core/err.h"

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

#endif
