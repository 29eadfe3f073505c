/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST preservation: a form submitted after the session ended (the idle
 * timeout passed while the user typed) is kept, sealed in the login's
 * state cookie (core/state.h, record version 2), and replayed after the
 * callback by a page that POSTs the same fields to the same local URL.
 *
 * Only application/x-www-form-urlencoded bodies of at most
 * AOIDC_POST_BODY_MAX bytes are kept (the state cookies of a browser must
 * stay within AOIDC_STATE_BYTES_MAX); anything else is answered 401 by the
 * glue, as before. The page holds one hidden input per field, in order, a
 * submit button (it works without script), and one inline script that
 * submits it, allowed by a Content-Security-Policy nonce.
 *
 * Protocol layer.
 */
#ifndef AOIDC_CORE_REPLAY_H
#define AOIDC_CORE_REPLAY_H

#include "core/err.h"

#define AOIDC_POST_BODY_MAX   2048
#define AOIDC_POST_FIELDS_MAX 64

/** True when body (len bytes) is a form body we keep: at most
 *  AOIDC_POST_BODY_MAX bytes and AOIDC_POST_FIELDS_MAX fields, printable
 *  ASCII only (a browser percent-encodes the rest), every percent escape
 *  well formed, no %00. */
AOIDC_API bool aoidc_replay_body_ok(const char *body, apr_size_t len);

/** The HTML page that POSTs the fields of body (a form body that passes
 *  aoidc_replay_body_ok) to action (a local path + query), with nonce on
 *  its script (the caller sends "Content-Security-Policy: ...
 *  script-src 'nonce-NONCE'"). Names, values and action are HTML-escaped;
 *  the browser re-encodes the fields when it submits (the same fields and
 *  values; '+' and %20 may trade places). In p. NULL when body does not
 *  pass aoidc_replay_body_ok. */
AOIDC_API char *aoidc_replay_page(const char *action, const char *body,
                                  const char *nonce, apr_pool_t *p);

/** The Content-Security-Policy for the page above. In p. */
AOIDC_API const char *aoidc_replay_csp(const char *nonce, apr_pool_t *p);

#endif
