/* SPDX-License-Identifier: Apache-2.0 */
/* Store key derivation (layout in store.h). */
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

void aoidc_store_key_grouped(unsigned char key[AOIDC_STORE_KEY_LEN],
                             const char *ns, const void *gid, apr_size_t len)
{
    /* One hash for the hot path: the group half is the hash's, the item
     * half the hash's other half XOR the namespace (distinct namespaces,
     * distinct keys; neither half tells anything about gid). */
    apr_size_t n = strlen(ns);
    aoidc_sha256_2(key, "group", 6, gid, len);
    for (apr_size_t i = 0; i < n && i < AOIDC_STORE_GROUP_LEN; i++) {
        key[AOIDC_STORE_GROUP_LEN + i] ^= (unsigned char)ns[i];
    }
}

apr_array_header_t *aoidc_store_setval_members(const unsigned char *val,
                                               apr_size_t len, apr_pool_t *p)
{
    apr_array_header_t *a = apr_array_make(p, 2, sizeof(aoidc_blob_t));
    apr_size_t off = 0;
    while (val && off + 4 <= len) {
        uint32_t l;
        memcpy(&l, val + off, 4);
        if (l > len - off - 4) {
            break;
        }
        aoidc_blob_t *b = apr_array_push(a);
        b->data = val + off + 4;
        b->len = l;
        off += 4 + l;
    }
    return a;
}

static bool has_member(const apr_array_header_t *a, const unsigned char *m,
                       apr_size_t n)
{
    for (int i = 0; i < a->nelts; i++) {
        const aoidc_blob_t *b = &APR_ARRAY_IDX(a, i, aoidc_blob_t);
        if (b->len == n && !memcmp(b->data, m, n)) {
            return true;
        }
    }
    return false;
}

static void put_record(unsigned char *buf, apr_size_t *n,
                       const unsigned char *m, apr_size_t mlen)
{
    uint32_t l = (uint32_t)mlen;
    memcpy(buf + *n, &l, 4);
    memcpy(buf + *n + 4, m, mlen);
    *n += 4 + mlen;
}

void aoidc_store_setval_add(unsigned char **out, apr_size_t *outlen,
                            const unsigned char *val, apr_size_t len,
                            const unsigned char *member, apr_size_t mlen,
                            apr_pool_t *p)
{
    apr_array_header_t *a = aoidc_store_setval_members(val, len, p);
    apr_size_t n = 0;
    *out = apr_palloc(p, len + 4 + mlen);
    for (int i = 0; i < a->nelts; i++) {
        const aoidc_blob_t *b = &APR_ARRAY_IDX(a, i, aoidc_blob_t);
        put_record(*out, &n, b->data, b->len);
    }
    if (!has_member(a, member, mlen)) {
        put_record(*out, &n, member, mlen);
    }
    *outlen = n;
}

void aoidc_store_setval_remove(unsigned char **out, apr_size_t *outlen,
                               const unsigned char *val, apr_size_t len,
                               const unsigned char *member, apr_size_t mlen,
                               apr_pool_t *p)
{
    apr_array_header_t *a = aoidc_store_setval_members(val, len, p);
    apr_size_t n = 0;
    *out = apr_palloc(p, len + 1);
    for (int i = 0; i < a->nelts; i++) {
        const aoidc_blob_t *b = &APR_ARRAY_IDX(a, i, aoidc_blob_t);
        if (!(b->len == mlen && !memcmp(b->data, member, mlen))) {
            put_record(*out, &n, b->data, b->len);
        }
    }
    *outlen = n;
}
