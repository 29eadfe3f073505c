/* SPDX-License-Identifier: Apache-2.0 */
/* PKCE S256. */
#include <string.h>

#include "core/b64url.h"
#include "core/pkce.h"
#include "core/rand.h"
#include "core/seal.h"

apr_status_t aoidc_pkce_verifier(char **out, apr_pool_t *p)
{
    return aoidc_rand_token(out, 32, p);
}

char *aoidc_pkce_challenge_s256(const char *verifier, apr_pool_t *p)
{
    unsigned char h[32];
    aoidc_sha256(h, verifier, strlen(verifier));
    return aoidc_b64url_encode(h, sizeof(h), p);
}
