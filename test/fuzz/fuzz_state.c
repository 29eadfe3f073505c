/* SPDX-License-Identifier: Apache-2.0 */
/*
 * state: open a state cookie under a fixed key. First byte 0: the rest is
 * the cookie text, as a browser would send it. Otherwise: the rest is a
 * record sealed here under the right key and state, which reaches the
 * record decoder behind the AEAD.
 */
#include <stdio.h>

#include "core/seal.h"
#include "core/state.h"
#include "fuzz.h"

#define FUZZ_STATE "c3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3Q"

static aoidc_seal_t *state_key(void)
{
    static aoidc_seal_t *k;
    if (!k) {
        apr_pool_t *g = fuzz_global_pool();
        FUZZ_LSAN_OFF();
        if (aoidc_seal_create(&k, "fuzz-passphrase", 15, "state", g)
            != APR_SUCCESS) {
            abort();
        }
        FUZZ_LSAN_ON();
    }
    return k;
}

AOIDC_FUZZ_ENTRY(state)
{
    apr_pool_t *p = fuzz_pool();
    aoidc_state_t *st;
    aoidc_err_t err = {0};
    const char *cookie;
    if (size && data[0] == 0) {
        cookie = fuzz_str(data + 1, size - 1, p);
    }
    else {
        char *c;
        const unsigned char *rec = fuzz_exact(data + !!size, size - !!size, p);
        if (aoidc_seal_text(&c, state_key(), rec, size - !!size, FUZZ_STATE,
                            strlen(FUZZ_STATE), p)
            != APR_SUCCESS) {
            abort();
        }
        cookie = c;
    }
    if (aoidc_state_open(&st, cookie, FUZZ_STATE, state_key(), FUZZ_NOW, p,
                         &err)
        == APR_SUCCESS) {
        FUZZ_CHECK(st->nonce && st->return_to && st->issuer);
        FUZZ_CHECK(!strcmp(st->state, FUZZ_STATE));
        /* what opens seals and opens again to the same record */
        char *again;
        aoidc_state_t *st2;
        FUZZ_CHECK(aoidc_state_seal(&again, st, state_key(), p) == APR_SUCCESS);
        FUZZ_CHECK(aoidc_state_open(&st2, again, FUZZ_STATE, state_key(),
                                    FUZZ_NOW, p, &err)
                   == APR_SUCCESS);
        FUZZ_CHECK(!strcmp(st->nonce, st2->nonce)
                   && !strcmp(st->return_to, st2->return_to)
                   && st->created == st2->created);
    }
    else {
        FUZZ_CHECK(err.reason == AOIDC_REASON_COOKIE
                   || err.reason == AOIDC_REASON_STATE_EXPIRED);
    }
    apr_pool_destroy(p);
    return 0;
}
