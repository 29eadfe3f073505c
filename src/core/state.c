/* SPDX-License-Identifier: Apache-2.0 */
/* Login state records and their sealed cookie form. */
#include <string.h>

#include "core/codec.h"
#include "core/pkce.h"
#include "core/rand.h"
#include "core/state.h"

#define STATE_V1 1
#define STATE_V2 2 /* V1 + the body of a form POST to replay */

apr_status_t aoidc_state_create(aoidc_state_t **out, const char *issuer,
                                const char *return_to, bool pkce,
                                apr_time_t now, apr_pool_t *p)
{
    aoidc_state_t *st = apr_pcalloc(p, sizeof(*st));
    char *s, *n, *v = NULL;
    if (aoidc_rand_token(&s, 32, p) != APR_SUCCESS
        || aoidc_rand_token(&n, 32, p) != APR_SUCCESS
        || (pkce && aoidc_pkce_verifier(&v, p) != APR_SUCCESS)) {
        return APR_EGENERAL;
    }
    st->state = s;
    st->nonce = n;
    st->verifier = v;
    st->return_to = return_to;
    st->issuer = issuer;
    st->created = now;
    *out = st;
    return APR_SUCCESS;
}

const char *aoidc_state_cookie_name(const char *state, apr_pool_t *p)
{
    return apr_pstrcat(p, AOIDC_STATE_COOKIE_PREFIX, apr_pstrndup(p, state, 12),
                       NULL);
}

apr_status_t aoidc_state_seal(char **out, const aoidc_state_t *st,
                              const aoidc_seal_t *k, apr_pool_t *p)
{
    aoidc_wbuf_t w;
    aoidc_codec_init(&w, 512, p);
    aoidc_codec_put_u8(&w, st->post_body ? STATE_V2 : STATE_V1);
    aoidc_codec_put_u64(&w, (apr_uint64_t)st->created);
    aoidc_codec_put_str(&w, st->nonce);
    aoidc_codec_put_str(&w, st->verifier);
    aoidc_codec_put_str(&w, st->return_to);
    aoidc_codec_put_str(&w, st->issuer);
    if (st->post_body) {
        aoidc_codec_put_str(&w, st->post_body);
    }
    return aoidc_seal_text(out, k, w.buf, w.len, st->state, strlen(st->state),
                           p);
}

apr_status_t aoidc_state_open(aoidc_state_t **out, const char *cookie,
                              const char *state, const aoidc_seal_t *k,
                              apr_time_t now, apr_pool_t *p, aoidc_err_t *err)
{
    unsigned char *buf;
    apr_size_t len;
    aoidc_rbuf_t r;
    apr_status_t rv =
        aoidc_unseal_text(&buf, &len, k, cookie, state, strlen(state), p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    aoidc_state_t *st = apr_pcalloc(p, sizeof(*st));
    aoidc_codec_reader(&r, buf, len);
    unsigned v = aoidc_codec_get_u8(&r);
    st->state = state;
    st->created = (apr_time_t)aoidc_codec_get_u64(&r);
    st->nonce = aoidc_codec_get_str(&r);
    st->verifier = aoidc_codec_get_str(&r);
    st->return_to = aoidc_codec_get_str(&r);
    st->issuer = aoidc_codec_get_str(&r);
    st->post_body = v == STATE_V2 ? aoidc_codec_get_str(&r) : NULL;
    if (r.bad || r.left || (v != STATE_V1 && v != STATE_V2) || !st->nonce
        || !st->return_to || !st->issuer || (v == STATE_V2 && !st->post_body)) {
        return aoidc_err_set(err, AOIDC_REASON_COOKIE, p,
                             "state cookie: bad record");
    }
    if (st->created < now - AOIDC_STATE_TTL_MAX
        || st->created > now + apr_time_from_sec(60)) {
        return aoidc_err_set(err, AOIDC_REASON_STATE_EXPIRED, p,
                             "state cookie: login attempt too old");
    }
    *out = st;
    return APR_SUCCESS;
}
