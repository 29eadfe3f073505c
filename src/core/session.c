/* SPDX-License-Identifier: Apache-2.0 */
/* Session record codec and lifetime rules. */
#include "core/session.h"

#define SESSION_V1 1

void aoidc_session_encode(unsigned char **out, apr_size_t *len,
                          const aoidc_session_t *s, apr_pool_t *p)
{
    aoidc_wbuf_t w;
    aoidc_codec_init(&w, 2048, p);
    aoidc_codec_put_u8(&w, SESSION_V1);
    aoidc_codec_put_u64(&w, (apr_uint64_t)s->created);
    aoidc_codec_put_u64(&w, (apr_uint64_t)s->last_seen);
    aoidc_codec_put_u64(&w, (apr_uint64_t)s->at_expires);
    aoidc_codec_put_str(&w, s->issuer);
    aoidc_codec_put_str(&w, s->client_id);
    aoidc_codec_put_str(&w, s->sub);
    aoidc_codec_put_str(&w, s->id_token);
    aoidc_codec_put_str(&w, s->access_token);
    aoidc_codec_put_str(&w, s->refresh_token);
    aoidc_codec_put_str(&w, s->scope);
    aoidc_claims_encode(&w, s->claims);
    *out = w.buf;
    *len = w.len;
}

apr_status_t aoidc_session_decode(aoidc_session_t **out,
                                  const unsigned char *buf, apr_size_t len,
                                  apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_rbuf_t r;
    aoidc_session_t *s = apr_pcalloc(p, sizeof(*s));
    aoidc_codec_reader(&r, buf, len);
    unsigned v = aoidc_codec_get_u8(&r);
    s->created = (apr_time_t)aoidc_codec_get_u64(&r);
    s->last_seen = (apr_time_t)aoidc_codec_get_u64(&r);
    s->at_expires = (apr_time_t)aoidc_codec_get_u64(&r);
    s->issuer = aoidc_codec_get_str(&r);
    s->client_id = aoidc_codec_get_str(&r);
    s->sub = aoidc_codec_get_str(&r);
    s->id_token = aoidc_codec_get_str(&r);
    s->access_token = aoidc_codec_get_str(&r);
    s->refresh_token = aoidc_codec_get_str(&r);
    s->scope = aoidc_codec_get_str(&r);
    s->claims = aoidc_claims_decode(&r, p);
    if (r.bad || r.left || v != SESSION_V1 || !s->issuer || !s->client_id
        || !s->sub) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_INVALID, p,
                             "session: bad record");
    }
    *out = s;
    return APR_SUCCESS;
}

apr_status_t aoidc_session_check(const aoidc_session_t *s,
                                 const aoidc_session_limits_t *l,
                                 apr_time_t now, apr_pool_t *p,
                                 aoidc_err_t *err)
{
    if (now - s->last_seen > l->inactivity) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_EXPIRED, p,
                             "session: idle too long");
    }
    if (now - s->created > l->max_age) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_EXPIRED, p,
                             "session: maximum duration reached");
    }
    return APR_SUCCESS;
}

bool aoidc_session_touch_due(const aoidc_session_t *s,
                             const aoidc_session_limits_t *l, apr_time_t now)
{
    apr_interval_time_t gap = l->inactivity / 10;
    if (gap > apr_time_from_sec(60)) {
        gap = apr_time_from_sec(60);
    }
    return now - s->last_seen > gap;
}

apr_time_t aoidc_session_expiry(const aoidc_session_t *s,
                                const aoidc_session_limits_t *l)
{
    apr_time_t idle = s->last_seen + l->inactivity;
    apr_time_t hard = s->created + l->max_age;
    return idle < hard ? idle : hard;
}

/* The loop guard errs towards "recent": a 403 too many is an annoyance, a
 * redirect loop between the RP and the OP locks the browser up. */
bool aoidc_session_just_created(const aoidc_session_t *s, apr_time_t now)
{
    return s->created > now || now - s->created < AOIDC_UNAUTZ_LOOP_WINDOW;
}
