/* SPDX-License-Identifier: Apache-2.0 */
/* jose_header: any bytes as a decoded JOSE header. Where
 * aoidc_json_fast_jose answers, the document is an object that
 * aoidc_json_parse (and the fast path) takes too, and alg, kid, typ and
 * crit are what json_object_get finds there; it never answers for what
 * the fast path refuses. */
#include <string.h>

#include "core/json.h"
#include "fuzz.h"

static void same_member(const json_t *o, const char *name, const char *got,
                        bool other)
{
    const json_t *v = json_object_get(o, name);
    if (json_is_string(v)) {
        FUZZ_CHECK(got && !other && !strcmp(got, json_string_value(v)));
    }
    else {
        FUZZ_CHECK(!got && other == (v != NULL));
    }
}

AOIDC_FUZZ_ENTRY(jose_header)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_json_jose_t h;
    json_t *j = NULL;
    aoidc_err_t err = {0};
    const char *in = (const char *)fuzz_exact(data, size, p);
    if (aoidc_json_fast_jose(&h, in, size, p)) {
        json_t *fast = aoidc_json_fast(in, size);
        FUZZ_CHECK(fast != NULL);
        json_decref(fast);
        FUZZ_CHECK(aoidc_json_parse(&j, in, size, 64 * 1024, false, p, &err)
                   == APR_SUCCESS);
        same_member(j, "alg", h.alg, h.alg_other);
        same_member(j, "kid", h.kid, h.kid_other);
        same_member(j, "typ", h.typ, h.typ_other);
        FUZZ_CHECK(h.crit == (json_object_get(j, "crit") != NULL));
    }
    apr_pool_destroy(p);
    return 0;
}
