/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's TLS certificate for RFC 8705 (AuthOIDCClientCert): mutual
 * TLS client authentication (tls_client_auth, §2.1) and certificate-bound
 * tokens (§3). Read from PEM once at config time and checked (a
 * certificate, an unencrypted private key, the two a pair); what the HTTP
 * client presents is the normalised PEM kept here. The private half is
 * never formatted into an error or an accessor other than the transport's.
 */
#ifndef AOIDC_CORE_CLIENT_CERT_H
#define AOIDC_CORE_CLIENT_CERT_H

#include "core/http.h"

/** Parse cert (PEM: the client certificate first, then any intermediate
 *  CAs to present with it) and key (PEM private key, PKCS#8 or
 *  traditional; NULL: taken from cert, which then holds both). *out lives
 *  in p: its cert_pem holds the certificates, key_pem the key as
 *  unencrypted PKCS#8, x5t_s256 the RFC 8705 §3.1 thumbprint of the first
 *  certificate (base64url SHA-256 of its DER). Reasons: AOIDC_REASON_CONFIG
 *  (no certificate, no or an encrypted key, a key that is not the
 *  certificate's); the detail never quotes the files. */
AOIDC_API apr_status_t aoidc_client_cert_parse(
    aoidc_http_cert_t **out, const char *cert, apr_size_t cert_len,
    const char *key, apr_size_t key_len, apr_pool_t *p, aoidc_err_t *err);

#endif
