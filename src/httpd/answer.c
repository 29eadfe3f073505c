/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reason table (core/err.c) applied: one log line per refusal, one
 * counter per reason, the status and headers of the row. A client fault
 * can never become a 5xx here, because the table cannot hold one (its unit
 * test walks it). An operator's ErrorDocument for the status is respected:
 * our short message is only the default.
 */
#include <string.h>

#include "mod_core.h"

#include "core/bearer.h"
#include "httpd/answer.h"
#include "httpd/metrics.h"

static int level_of(aoidc_loglevel_t l)
{
    return l == AOIDC_LOG_ERROR  ? APLOG_ERR
           : l == AOIDC_LOG_WARN ? APLOG_WARNING
           : l == AOIDC_LOG_INFO ? APLOG_INFO
                                 : APLOG_DEBUG;
}

static const char *type_name(const aoidc_rctx_t *x)
{
    return x->type == AOIDC_TYPE_BEARER ? "bearer" : "oidc";
}

void aoidc_answer_log(aoidc_rctx_t *x, const aoidc_err_t *err, const char *what)
{
    const aoidc_reason_info_t *ri = aoidc_reason_info(err->reason);
    x->outcome = (unsigned)err->reason < AOIDC_REASON__COUNT && err->reason
                     ? err->reason
                     : AOIDC_REASON_INTERNAL;
    aoidc_metrics_refusal(x->outcome);
    ap_log_rerror(APLOG_MARK, level_of(ri->level), 0, x->r,
                  AOIDCLOGNO(00100) "%s %s: reason=%s%s%s (%s)%s%s",
                  type_name(x), x->r->uri, ri->name, what ? " " : "",
                  what ? what : "", err->detail ? err->detail : "-",
                  err->op_error ? " op_error=" : "",
                  err->op_error ? err->op_error : "");
}

apr_uint32_t aoidc_answer_count(aoidc_reason_t reason)
{
    return (unsigned)reason < AOIDC_REASON__COUNT
               ? (apr_uint32_t)aoidc_metrics_refusals(reason)
               : 0;
}

int aoidc_fail(aoidc_rctx_t *x, const aoidc_err_t *err)
{
    request_rec *r = x->r;
    const aoidc_reason_info_t *ri = aoidc_reason_info(err->reason);
    int status = ri->status;

    aoidc_answer_log(x, err, NULL);
    if (x->type == AOIDC_TYPE_BEARER) {
        x->bearer_error = ri->bearer_error;
        x->bearer_description = ri->bearer_error ? ri->message : NULL;
        if (status == HTTP_UNAUTHORIZED || ri->bearer_error) {
            ap_note_auth_failure(r);
        }
    }
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", "10");
    }
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (!ap_response_code_string(r, ap_index_of_response(status))) {
        ap_custom_response(r, status, ri->message);
    }
    return status;
}

const char *aoidc_bearer_challenge_for(request_rec *r, const char *error,
                                       const char *description,
                                       const char *scope)
{
    return aoidc_bearer_challenge(ap_auth_name(r), error, description, scope,
                                  r->pool);
}

int aoidc_answer_send(aoidc_rctx_t *x, int status, const char *ctype,
                      const char *body)
{
    request_rec *r = x->r;
    r->status = status;
    ap_set_content_type(r, ctype);
    ap_set_content_length(r, (apr_off_t)strlen(body));
    if (r->header_only) {
        return DONE;
    }
    ap_rputs(body, r);
    ap_finalize_request_protocol(r);
    return DONE;
}

int aoidc_answer_json_error(aoidc_rctx_t *x, const aoidc_err_t *err,
                            const char *code)
{
    const aoidc_reason_info_t *ri = aoidc_reason_info(err->reason);
    int status =
        ri->fault == AOIDC_FAULT_CLIENT ? HTTP_BAD_REQUEST : ri->status;
    aoidc_answer_log(x, err, NULL);
    apr_table_setn(x->r->headers_out, "Cache-Control", "no-store");
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(x->r->headers_out, "Retry-After", "10");
    }
    /* the message is the table's: short, fixed, never from the input */
    return aoidc_answer_send(
        x, status, "application/json",
        apr_psprintf(
            x->r->pool, "{\"error\":\"%s\",\"error_description\":\"%s\"}\n",
            status == HTTP_BAD_REQUEST ? code : "temporarily_unavailable",
            ri->message));
}
