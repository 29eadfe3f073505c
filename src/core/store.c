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
