/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthOIDCUpstreamToken: the fixups hook that puts the backend's own
 * access token (core/upstream.h) on the request the handler (mod_proxy)
 * passes on, in place of whatever Authorization the client sent.
 */
#ifndef AOIDC_HTTPD_UPSTREAM_H
#define AOIDC_HTTPD_UPSTREAM_H

#include "httpd/mod_auth_oidc.h"

/** fixups: DECLINED when the location has no AuthOIDCUpstreamToken (or
 *  has it off), OK with r->headers_in's Authorization replaced, or the
 *  error status (502 when no token could be obtained; 500 for a location
 *  that lacks a directive the grant needs). */
int aoidc_upstream_fixups(request_rec *r);

#endif
