/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cookie_session: reassemble and open AuthOIDCSessionStore cookie chunks
 * under a fixed key. First byte 0: the rest is a Cookie header as a
 * browser would send it (chunk names sess_0..). Otherwise: the rest is a
 * record, sealed here into chunks whose header is then opened again, and
 * the record decoded as a session.
 */
#include <stdio.h>

#include "core/cookie_session.h"
#include "core/session.h"
#include "fuzz.h"

#define TAG "tagFZZ"

static aoidc_seal_t *cs_key(void)
{
    static aoidc_seal_t *k;
    if (!k) {
        apr_pool_t *g = fuzz_global_pool();
        FUZZ_LSAN_OFF();
        if (aoidc_seal_create(&k, "fuzz-passphrase", 15, "cookie", g)
            != APR_SUCCESS) {
            abort();
        }
        FUZZ_LSAN_ON();
    }
    return k;
}

static const char *header_of(const apr_array_header_t *ops, apr_pool_t *p)
{
    char *h = "x=1";
    for (int i = 0; ops && i < ops->nelts; i++) {
        const aoidc_cookie_op_t *op = &APR_ARRAY_IDX(ops, i, aoidc_cookie_op_t);
        FUZZ_CHECK(strlen(op->value) <= AOIDC_CS_CHUNK_MAX);
        h = apr_pstrcat(p, h, "; ", op->name, "=", op->value, NULL);
    }
    return h;
}

AOIDC_FUZZ_ENTRY(cookie_session)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_err_t err = {0};
    unsigned char *rec;
    apr_size_t len;
    const char *h;
    apr_status_t rv;
    if (size && data[0] == 0) {
        h = fuzz_str(data + 1, size - 1, p);
        rv = aoidc_cs_open(&rec, &len, cs_key(), TAG, h, "sess", p, &err);
        FUZZ_CHECK(rv == APR_SUCCESS || rv == APR_NOTFOUND
                   || err.reason == AOIDC_REASON_SESSION_INVALID);
        FUZZ_CHECK(rv != APR_SUCCESS || len <= AOIDC_CS_BYTES_MAX);
        (void)aoidc_cs_present(h, "sess", p);
    }
    else {
        apr_array_header_t *ops = NULL;
        apr_size_t n = size - !!size;
        const unsigned char *in = fuzz_exact(data + !!size, n, p);
        aoidc_session_t *s;
        rv = aoidc_cs_seal(&ops, cs_key(), TAG, "sess", in, n, 0, p, &err);
        FUZZ_CHECK(rv == APR_SUCCESS
                   || aoidc_cs_sealed_len(TAG, n) > AOIDC_CS_BYTES_MAX);
        if (rv == APR_SUCCESS) {
            FUZZ_CHECK(ops->nelts <= AOIDC_CS_CHUNKS_MAX);
            h = header_of(ops, p);
            FUZZ_CHECK(
                aoidc_cs_open(&rec, &len, cs_key(), TAG, h, "sess", p, &err)
                == APR_SUCCESS);
            FUZZ_CHECK(len == n && !memcmp(rec, in, n));
            (void)aoidc_session_decode(&s, rec, len, p, &err);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
