/* SPDX-License-Identifier: Apache-2.0 */
/* store_spec: AuthOIDCSessionStore values (kind, shm:SIZE, memcache URLs). */
#include <stdio.h>

#include "core/parse.h"
#include "core/store_memcache.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(store_spec)
{
    apr_pool_t *p = fuzz_pool();
    const char *s = fuzz_str(data, size, p);
    aoidc_store_kind_t kind;
    apr_size_t n;
    aoidc_memcache_conf_t *mc;
    if (!aoidc_parse_store(&kind, &n, s, p) && kind == AOIDC_STORE_SHM && n) {
        FUZZ_CHECK(n >= AOIDC_SHM_MIN_SIZE && n <= AOIDC_SHM_MAX_SIZE);
    }
    if (!aoidc_memcache_parse(&mc, s, p)) {
        FUZZ_CHECK(aoidc_memcache_describe(mc, p) != NULL);
    }
    apr_pool_destroy(p);
    return 0;
}
