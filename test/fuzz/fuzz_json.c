/* SPDX-License-Identifier: Apache-2.0 */
/* json: bounded parse of anything; what parses dumps and parses again;
 * the fast path (json_fast.c) never differs from jansson where it answers. */
#include <stdio.h>

#include "core/json.h"
#include "fuzz.h"

AOIDC_FUZZ_ENTRY(json)
{
    apr_pool_t *p = fuzz_pool();
    json_t *j;
    apr_int64_t v;
    aoidc_err_t err = {0};
    const char *in = (const char *)fuzz_exact(data, size, p);
    json_t *fast = aoidc_json_fast(in, size);
    if (fast) {
        json_error_t je;
        json_t *slow = json_loadb(in, size, JSON_REJECT_DUPLICATES, &je);
        char *a = aoidc_json_dump(fast, p);
        FUZZ_CHECK(slow && json_equal(fast, slow));
        /* the same key order too */
        FUZZ_CHECK(a && !strcmp(a, aoidc_json_dump(slow, p)));
        json_decref(slow);
        json_decref(fast);
    }
    if (aoidc_json_parse(&j, in, size, 64 * 1024, true, p, &err)
        == APR_SUCCESS) {
        char *dump = aoidc_json_dump(j, p);
        json_t *again;
        FUZZ_CHECK(aoidc_json_parse(&again, dump, strlen(dump), 1024 * 1024,
                                    true, p, &err)
                   == APR_SUCCESS);
        FUZZ_CHECK(json_equal(j, again));
        if (json_is_object(j)) {
            const char *k;
            json_t *m;
            json_object_foreach(j, k, m)
            {
                (void)aoidc_json_str(j, k);
                (void)aoidc_json_int(j, k, &v);
            }
        }
    }
    else {
        FUZZ_CHECK(err.reason == AOIDC_REASON_MALFORMED
                   || err.reason == AOIDC_REASON_TOO_LARGE);
    }
    /* objects only */
    if (aoidc_json_parse(&j, in, size, 64 * 1024, false, p, &err)
        == APR_SUCCESS) {
        FUZZ_CHECK(json_is_object(j));
    }
    apr_pool_destroy(p);
    return 0;
}
