/* SPDX-License-Identifier: Apache-2.0 */
/* PKCE (RFC 7636): S256 verifier and challenge. */
#ifndef AOIDC_CORE_PKCE_H
#define AOIDC_CORE_PKCE_H

#include "core/err.h"

/** A fresh verifier: 43 characters of base64url (256 bits), in p. */
AOIDC_API apr_status_t aoidc_pkce_verifier(char **out, apr_pool_t *p);

/** BASE64URL(SHA256(verifier)) (RFC 7636 §4.2), in p. */
AOIDC_API char *aoidc_pkce_challenge_s256(const char *verifier, apr_pool_t *p);

#endif
