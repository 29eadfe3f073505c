/* SPDX-License-Identifier: Apache-2.0 */
/* members: any bytes as a JWT payload. Where aoidc_json_fast_members
 * answers, aoidc_json_parse and json_loadb take the document too, and the
 * members are its members (key, kind, text, integer, an array's strings); the
 * claims list, the registered claims and the claim checks' verdicts from them
 * are those from the jansson object (members_same.h). Where aoidc_json_fast
 * takes an object and the members refuse it, the document has one of the
 * refusals of the contract: -0, more than AOIDC_JSON_FAST_MEMBERS members,
 * or a nested object of more than 32. */
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "fuzz.h"
#include "members_same.h"

/* An object nested in v (v itself included) with more than 32 members. */
static bool big_nested(const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        if (json_object_size(v) > 32) {
            return true;
        }
        json_object_foreach((json_t *)v, k, x)
        {
            if (big_nested(x)) {
                return true;
            }
        }
    }
    json_array_foreach(v, i, x)
    {
        if (big_nested(x)) {
            return true;
        }
    }
    return false;
}

/* A -0 in a document the fast path took: its strings have no escape, so
 * every '"' opens or closes one, and a '-' outside them starts an integer;
 * one that starts "-0" is -0 (a leading zero or a real is never taken). */
static bool has_minus_zero(const char *in, size_t size)
{
    bool str = false;
    for (size_t i = 0; i < size; i++) {
        str ^= in[i] == '"';
        if (!str && in[i] == '-' && i + 1 < size && in[i + 1] == '0') {
            return true;
        }
    }
    return false;
}

static bool refusal_explained(const char *in, size_t size, const json_t *fast)
{
    const char *k;
    json_t *x;
    if (json_object_size(fast) > AOIDC_JSON_FAST_MEMBERS
        || has_minus_zero(in, size)) {
        return true;
    }
    json_object_foreach((json_t *)fast, k, x)
    {
        if (big_nested(x)) {
            return true;
        }
    }
    return false;
}

AOIDC_FUZZ_ENTRY(members)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_json_members_t m;
    json_t *j = NULL;
    aoidc_err_t err = {0};
    /* malloc'd to the byte (not pool memory): ASan sees an over-read */
    char *in = malloc(size ? size : 1);
    if (size) {
        memcpy(in, data, size);
    }
    bool ok = aoidc_json_fast_members(&m, in, size, p);
    json_t *fast = aoidc_json_fast(in, size);
    if (ok) {
        FUZZ_CHECK(fast && json_is_object(fast));
        FUZZ_CHECK(aoidc_json_parse(&j, in, size, 64 * 1024, false, p, &err)
                   == APR_SUCCESS);
        fuzz_members_same(&m, j, p);
        /* and jansson's own parse, not only its fast path: the same
         * members in the same order */
        json_error_t je;
        json_t *slow = json_loadb(in, size, JSON_REJECT_DUPLICATES, &je);
        FUZZ_CHECK(slow != NULL);
        fuzz_members_are(&m, slow, p);
        json_decref(slow);
    }
    else {
        /* jws.c and bearer.c tell the two paths apart by members.m */
        FUZZ_CHECK(m.m == NULL && m.n == 0);
        FUZZ_CHECK(!fast || !json_is_object(fast)
                   || refusal_explained(in, size, fast));
    }
    json_decref(fast);
    free(in);
    apr_pool_destroy(p);
    return 0;
}
