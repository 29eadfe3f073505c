/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Answers: the reason table of core/err.c applied to a request (status,
 * RFC 6750 challenge, log line, counter, the page), and the Bearer
 * challenge. Every refusal the module makes goes through here.
 */
#ifndef AOIDC_HTTPD_ANSWER_H
#define AOIDC_HTTPD_ANSWER_H

#include "httpd/request.h"

/** Log the refusal once (tagged, with the reason name and detail; never a
 *  token or secret), count it, set the headers its row asks for, and
 *  return the HTTP status to answer with. */
int aoidc_fail(aoidc_rctx_t *x, const aoidc_err_t *err);

/** Log and count a refusal that httpd answers itself (an authz provider's
 *  denial): what aoidc_fail does but the status and page. what names the
 *  refused requirement ("Require scope a b"). */
void aoidc_answer_log(aoidc_rctx_t *x, const aoidc_err_t *err,
                      const char *what);

/** How often each reason was answered by this process (metrics later). */
apr_uint32_t aoidc_answer_count(aoidc_reason_t reason);

/** WWW-Authenticate for AuthType bearer (RFC 6750 §3). */
const char *aoidc_bearer_challenge_for(request_rec *r, const char *error,
                                       const char *description,
                                       const char *scope);

#endif
