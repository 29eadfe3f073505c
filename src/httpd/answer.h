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

/** Send a complete response from check_authn (an endpoint of the module:
 *  back-channel logout, later ?info=json): status, content type, body;
 *  returns DONE so httpd finishes the request as it is. */
int aoidc_answer_send(aoidc_rctx_t *x, int status, const char *ctype,
                      const char *body);

/** aoidc_answer_send of an RFC 6749 §5.2 style JSON error for err (the
 *  back-channel logout's 400), after logging and counting it. */
int aoidc_answer_json_error(aoidc_rctx_t *x, const aoidc_err_t *err,
                            const char *code);

/** The provider chooser page (AuthOIDCProvider): AuthOIDCErrorTemplate
 *  when it has a %PROVIDERS% placeholder, else the built-in page; links is
 *  the list of links, HTML already escaped by the caller (every other
 *  placeholder is escaped here). In r->pool. */
const char *aoidc_answer_chooser(aoidc_rctx_t *x, const char *links);

/** How often each reason was answered by this process (metrics later). */
apr_uint32_t aoidc_answer_count(aoidc_reason_t reason);

/** WWW-Authenticate for AuthType bearer (RFC 6750 §3). */
const char *aoidc_bearer_challenge_for(request_rec *r, const char *error,
                                       const char *description,
                                       const char *scope);

#endif
