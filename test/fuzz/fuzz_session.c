/* SPDX-License-Identifier: Apache-2.0 */
/*
 * session: decode any bytes as a session record (what a store returns after
 * unsealing), and open them as a sealed cookie under a fixed key. First
 * byte 0: the rest is sealed cookie text; otherwise the rest is the raw
 * record. What decodes encodes and decodes to the same record.
 */
#include <stdio.h>

#include "core/seal.h"
#include "core/session.h"
#include "fuzz.h"

static aoidc_seal_t *session_key(void)
{
    static aoidc_seal_t *k;
    if (!k) {
        apr_pool_t *g = fuzz_global_pool();
        FUZZ_LSAN_OFF();
        if (aoidc_seal_create(&k, "fuzz-passphrase", 15, "session", g)
            != APR_SUCCESS) {
            abort();
        }
        FUZZ_LSAN_ON();
    }
    return k;
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static void roundtrip(const aoidc_session_t *s, apr_pool_t *p)
{
    unsigned char *buf;
    apr_size_t len;
    aoidc_session_t *s2;
    aoidc_err_t err = {0};
    aoidc_session_encode(&buf, &len, s, p);
    FUZZ_CHECK(aoidc_session_decode(&s2, buf, len, p, &err) == APR_SUCCESS);
    FUZZ_CHECK(s->created == s2->created && s->last_seen == s2->last_seen
               && s->at_expires == s2->at_expires);
    FUZZ_CHECK(same_str(s->issuer, s2->issuer) && same_str(s->sub, s2->sub)
               && same_str(s->client_id, s2->client_id)
               && same_str(s->id_token, s2->id_token)
               && same_str(s->access_token, s2->access_token)
               && same_str(s->refresh_token, s2->refresh_token)
               && same_str(s->scope, s2->scope));
    FUZZ_CHECK(s->claims->nelts == s2->claims->nelts);
}

AOIDC_FUZZ_ENTRY(session)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_session_t *s;
    aoidc_err_t err = {0};
    if (size && data[0] == 0) {
        unsigned char *plain;
        apr_size_t plen;
        const char *cookie = fuzz_str(data + 1, size - 1, p);
        if (aoidc_unseal_text(&plain, &plen, session_key(), cookie, "sid", 3, p,
                              &err)
                == APR_SUCCESS
            && aoidc_session_decode(&s, plain, plen, p, &err) == APR_SUCCESS) {
            roundtrip(s, p);
        }
    }
    else {
        const unsigned char *rec = fuzz_exact(data + !!size, size - !!size, p);
        if (aoidc_session_decode(&s, rec, size - !!size, p, &err)
            == APR_SUCCESS) {
            FUZZ_CHECK(s->issuer && s->client_id && s->sub);
            roundtrip(s, p);
        }
        else {
            FUZZ_CHECK(err.reason == AOIDC_REASON_SESSION_INVALID);
        }
    }
    apr_pool_destroy(p);
    return 0;
}
