/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthOIDCSessionStore cookie (rp.h, rp_store.h): the session record,
 * exactly as rp_store.c would store it but with the ID Token inside when it
 * fits, sealed into the chunk cookies of core/cookie_session.h. The seal's
 * key is derived from the session seal with a purpose of its own, and the
 * identity's tag is the associated data: a state cookie, a stored entry or
 * another identity's chunks never open as a session here.
 */
#include <string.h>

#include "core/cookie_session.h"
#include "core/rp.h"
#include "core/rp_store.h"

#define PURPOSE "cookie-session-v1"

static apr_status_t cookie_seal(const aoidc_seal_t **k,
                                const aoidc_rp_conf_t *c, apr_pool_t *p)
{
    aoidc_seal_t *d;
    apr_status_t rv =
        aoidc_seal_derive(&d, c->seal_session, PURPOSE, sizeof(PURPOSE) - 1, p);
    *k = d;
    return rv;
}

apr_status_t aoidc_rp_cookie_load(aoidc_session_t **s, unsigned *present,
                                  const aoidc_rp_conf_t *c,
                                  const aoidc_flow_env_t *env,
                                  const char *header, aoidc_err_t *err)
{
    apr_pool_t *p = env->pool;
    const aoidc_seal_t *k;
    unsigned char *rec;
    apr_size_t len;
    apr_status_t rv;

    *present = aoidc_cs_present(header, c->cookie_name, p);
    if (!*present) {
        return APR_NOTFOUND;
    }
    if ((rv = cookie_seal(&k, c, p)) != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p, "seal: %d", rv);
    }
    rv = aoidc_cs_open(&rec, &len, k, c->tag, header, c->cookie_name, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if ((rv = aoidc_session_decode(s, rec, len, p, err)) != APR_SUCCESS) {
        return rv;
    }
    if (strcmp((*s)->issuer, c->issuer)
        || strcmp((*s)->client_id, c->client->client_id)) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_INVALID, p,
                             "session belongs to another issuer or client");
    }
    return aoidc_session_check(*s, &c->limits, env->now, p, err);
}

static bool is_kept(const aoidc_claim_t *cl, const aoidc_rp_conf_t *c)
{
    return !strcmp(cl->name, "sub") || !strcmp(cl->name, c->remote_user_claim);
}

/* The largest claim that may go, or -1. */
static int largest_claim(const aoidc_session_t *s, const aoidc_rp_conf_t *c)
{
    apr_size_t big = 0;
    int at = -1;
    for (int i = 0; s->claims && i < s->claims->nelts; i++) {
        const aoidc_claim_t *cl = &APR_ARRAY_IDX(s->claims, i, aoidc_claim_t);
        if (!is_kept(cl, c) && strlen(cl->value) >= big) {
            big = strlen(cl->value);
            at = i;
        }
    }
    return at;
}

static bool fits(unsigned char **rec, apr_size_t *len, const aoidc_rp_conf_t *c,
                 const aoidc_session_t *s, apr_pool_t *p)
{
    aoidc_session_encode(rec, len, s, p);
    return aoidc_cs_sealed_len(c->tag, *len) <= AOIDC_CS_BYTES_MAX;
}

/* Leave out what the backend needs least until the record fits, in the
 * order aoidc_cookie_fit_t documents. */
static bool fit_record(unsigned char **rec, apr_size_t *len,
                       aoidc_cookie_fit_t *fit, const aoidc_rp_conf_t *c,
                       aoidc_session_t *s, apr_pool_t *p)
{
    int at;
    if (fits(rec, len, c, s, p)) {
        return true;
    }
    if (s->id_token) {
        s->id_token = NULL;
        fit->id_token = true;
        if (fits(rec, len, c, s, p)) {
            return true;
        }
    }
    while ((at = largest_claim(s, c)) >= 0) {
        aoidc_claim_t *v = (aoidc_claim_t *)s->claims->elts;
        memmove(v + at, v + at + 1,
                (size_t)(s->claims->nelts - at - 1) * sizeof(*v));
        s->claims->nelts--;
        fit->claims++;
        if (fits(rec, len, c, s, p)) {
            return true;
        }
    }
    if (s->refresh_token) {
        s->refresh_token = NULL;
        fit->refresh_token = true;
        if (fits(rec, len, c, s, p)) {
            return true;
        }
    }
    if (s->access_token) {
        s->access_token = NULL;
        fit->access_token = true;
    }
    return fits(rec, len, c, s, p);
}

apr_status_t
aoidc_rp_cookie_save(apr_array_header_t **ops, aoidc_cookie_fit_t *fit,
                     const aoidc_rp_conf_t *c, const aoidc_flow_env_t *env,
                     aoidc_session_t *s, unsigned present, aoidc_err_t *err)
{
    aoidc_cookie_fit_t ignored = {0};
    const aoidc_seal_t *k;
    unsigned char *rec;
    apr_size_t len;
    if (!fit_record(&rec, &len, fit ? fit : &ignored, c, s, env->pool)) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, env->pool,
                             "session cookies: even the bare session does "
                             "not fit %d bytes",
                             AOIDC_CS_BYTES_MAX);
    }
    if (cookie_seal(&k, c, env->pool) != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, env->pool,
                             "session cookies: no key");
    }
    return aoidc_cs_seal(ops, k, c->tag, c->cookie_name, rec, len, present,
                         env->pool, err);
}
