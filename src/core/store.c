/* SPDX-License-Identifier: Apache-2.0 */
/* Store key derivation. */
#include <string.h>

#include "core/seal.h"
#include "core/store.h"

void aoidc_store_key(unsigned char key[AOIDC_STORE_KEY_LEN], const char *ns,
                     const void *data, apr_size_t len)
{
    aoidc_sha256_2(key, ns, strlen(ns) + 1, data, len);
}

void aoidc_store_key3(unsigned char key[AOIDC_STORE_KEY_LEN], const char *ns,
                      const char *s1, const char *s2, const void *data,
                      apr_size_t len)
{
    const void *parts[4] = {ns, s1, s2, data};
    apr_size_t lens[4] = {strlen(ns) + 1, strlen(s1) + 1, strlen(s2) + 1, len};
    aoidc_sha256_v(key, 4, parts, lens);
}
