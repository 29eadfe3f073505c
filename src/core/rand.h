/* SPDX-License-Identifier: Apache-2.0 */
/* CSPRNG values: state, nonce, PKCE verifier, session ids (OpenSSL RAND). */
#ifndef AOIDC_CORE_RAND_H
#define AOIDC_CORE_RAND_H

#include "core/err.h"

/** Fill buf with len random bytes. APR_EGENERAL if the CSPRNG fails. */
AOIDC_API apr_status_t aoidc_rand_bytes(unsigned char *buf, apr_size_t len);

/** *out = base64url of nbytes random bytes (nbytes >= 16 gives >= 128 bits),
 *  allocated in p. */
AOIDC_API apr_status_t aoidc_rand_token(char **out, apr_size_t nbytes,
                                        apr_pool_t *p);

#endif
