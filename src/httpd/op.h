/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Access to the OP and the stores for a request: the flow environment
 * (core/flow.h) built from the directory configuration: its HTTP client
 * (made once per configuration), the issuer's provider and guard, the
 * stores, and the process's single-flight table.
 */
#ifndef AOIDC_HTTPD_OP_H
#define AOIDC_HTTPD_OP_H

#include "core/flight.h"
#include "httpd/request.h"

/** x->env, filled on first use. */
const aoidc_flow_env_t *aoidc_op_env(aoidc_rctx_t *x);

/** The single-flight table of this process (NULL before child_init). */
aoidc_flight_t *aoidc_op_flight(void);

void aoidc_op_post_config(server_rec *s);
void aoidc_op_child_init(apr_pool_t *pchild);

#endif
