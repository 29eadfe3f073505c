/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TLS client certificate of a connection as an RFC 8705 thumbprint,
 * straight from mod_ssl's SSL object (AuthOIDCTokenBinding mtls|any).
 */
#ifndef AOIDC_HTTPD_TLS_PEER_H
#define AOIDC_HTTPD_TLS_PEER_H

#include <stdbool.h>

#include "httpd.h"

/** Register with mod_ssl's pre_handshake hook (register_hooks). */
void aoidc_tls_peer_register(void);

/** base64url SHA-256 of the DER of the certificate c's TLS peer
 *  presented, or NULL when it presented none. Computed once per
 *  certificate per connection (in c->pool). *known is false, and NULL
 *  returned, when this unit has no SSL object for c (not TLS, a mod_ssl
 *  without the hook, an HTTP/2 stream): the caller then asks mod_ssl's
 *  SSL_CLIENT_CERT. */
const char *aoidc_tls_peer_x5t(conn_rec *c, bool *known);

#endif
