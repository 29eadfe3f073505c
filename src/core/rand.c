/* SPDX-License-Identifier: Apache-2.0 */
/* Random tokens from OpenSSL's CSPRNG. */
#include <openssl/rand.h>

#include "core/b64url.h"
#include "core/rand.h"

apr_status_t aoidc_rand_bytes(unsigned char *buf, apr_size_t len)
{
    return RAND_bytes(buf, (int)len) == 1 ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t aoidc_rand_token(char **out, apr_size_t nbytes, apr_pool_t *p)
{
    unsigned char buf[64];
    if (nbytes > sizeof(buf) || aoidc_rand_bytes(buf, nbytes) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    *out = aoidc_b64url_encode(buf, nbytes, p);
    return APR_SUCCESS;
}
