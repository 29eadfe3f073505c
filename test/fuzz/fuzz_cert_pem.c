/* SPDX-License-Identifier: Apache-2.0 */
/* cert_pem: any SSL_CLIENT_CERT text to aoidc_cert_thumbprint_pem (the RS
 * side of RFC 8705): never reads past len, and a thumbprint, when there
 * is one, is the 43 characters of a base64url SHA-256. */
#include <string.h>

#include "core/dpop.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(cert_pem)
{
    apr_pool_t *p = fuzz_pool();
    const char *in = (const char *)fuzz_exact(data, size, p);
    const char *t = aoidc_cert_thumbprint_pem(in, size, p);
    FUZZ_CHECK(!t || strlen(t) == 43);
    apr_pool_destroy(p);
    return 0;
}
