/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthType oidc-basic (core/basic.h): the credentials from the
 * Authorization header, one call to the core, then the user for the
 * backend. The backend never sees the password: the Authorization header
 * is removed once it has been read.
 */
#include "core/basic.h"
#include "core/seal.h"
#include "httpd/answer.h"
#include "httpd/flows.h"
#include "httpd/op.h"

int aoidc_basic(aoidc_rctx_t *x)
{
    request_rec *r = x->r;
    aoidc_err_t err = {0};
    aoidc_basic_out_t out = {0};
    aoidc_basic_in_t in = {NULL, NULL, r->useragent_ip};
    const char *hdr = apr_table_get(r->headers_in, "Authorization");
    apr_status_t rv = APR_NOTFOUND;

    if (hdr) {
        rv = aoidc_basic_parse(&in.user, &in.password, hdr, r->pool, &err);
    }
    apr_table_unset(r->headers_in, "Authorization");
    if (rv == APR_NOTFOUND) {
        aoidc_err_set(&err, AOIDC_REASON_NO_CREDENTIALS, r->pool,
                      hdr ? "Authorization is not Basic" : "no credentials");
    }
    else if (rv == APR_SUCCESS) {
        rv = aoidc_basic_authenticate(&out, &x->basic, aoidc_op_env(x), &in,
                                      &err);
    }
    if (rv != APR_SUCCESS) {
        if (err.reason == AOIDC_REASON_THROTTLED) {
            apr_table_setn(r->err_headers_out, "Retry-After",
                           apr_psprintf(r->pool, "%" APR_TIME_T_FMT,
                                        apr_time_sec(out.retry_after) + 1));
        }
        return aoidc_fail(x, &err);
    }
    aoidc_set_user(x, out.user, out.claims);
    return OK;
}
