/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict base64url (RFC 4648 §5) without padding, as JOSE uses it
 * (RFC 7515 §2). Built on OpenSSL's base64 block codec; this unit only
 * translates the alphabet and refuses anything non-canonical.
 */
#ifndef AOIDC_CORE_B64URL_H
#define AOIDC_CORE_B64URL_H

#include "core/err.h"

/** Encode len bytes; result is NUL-terminated, allocated in p. */
AOIDC_API char *aoidc_b64url_encode(const unsigned char *in, apr_size_t len,
                                    apr_pool_t *p);

/** Decode exactly len characters. Refuses padding, whitespace, characters
 *  outside [A-Za-z0-9_-], a length of 1 mod 4 and non-zero trailing bits.
 *  *out is NUL-terminated for convenience (not counted in *outlen).
 *  Fails with AOIDC_REASON_MALFORMED. */
AOIDC_API apr_status_t aoidc_b64url_decode(unsigned char **out,
                                           apr_size_t *outlen, const char *in,
                                           apr_size_t len, apr_pool_t *p,
                                           aoidc_err_t *err);

#endif
