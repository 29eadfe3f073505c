/* SPDX-License-Identifier: Apache-2.0 */
/* Length-prefixed binary records, zero-copy on decode. */
#include <arpa/inet.h>
#include <string.h>

#include "core/codec.h"

#define NULL_LEN 0xFFFFFFFFu

void aoidc_codec_init(aoidc_wbuf_t *w, apr_size_t cap, apr_pool_t *p)
{
    w->cap = cap ? cap : 256;
    w->buf = apr_palloc(p, w->cap);
    w->len = 0;
    w->pool = p;
}

static unsigned char *reserve(aoidc_wbuf_t *w, apr_size_t n)
{
    if (w->len + n > w->cap) {
        apr_size_t cap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n;
        unsigned char *nb = apr_palloc(w->pool, cap);
        memcpy(nb, w->buf, w->len);
        w->buf = nb;
        w->cap = cap;
    }
    w->len += n;
    return w->buf + w->len - n;
}

void aoidc_codec_put_u8(aoidc_wbuf_t *w, unsigned v)
{
    *reserve(w, 1) = (unsigned char)v;
}

void aoidc_codec_put_u64(aoidc_wbuf_t *w, apr_uint64_t v)
{
    unsigned char *b = reserve(w, 8);
    for (int i = 7; i >= 0; i--) {
        b[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

/* big-endian, one store */
static void be32(unsigned char *b, apr_uint32_t v)
{
    apr_uint32_t be = htonl(v);
    memcpy(b, &be, 4);
}

static void put_u32(aoidc_wbuf_t *w, apr_uint32_t v)
{
    be32(reserve(w, 4), v);
}

void aoidc_codec_put_str(aoidc_wbuf_t *w, const char *s)
{
    if (!s) {
        put_u32(w, NULL_LEN);
        return;
    }
    /* length and bytes (with the NUL) in one reservation: every claim of
     * every session and cache entry passes here twice */
    apr_size_t n = strlen(s);
    unsigned char *b = reserve(w, n + 5);
    be32(b, (apr_uint32_t)n);
    memcpy(b + 4, s, n + 1);
}

void aoidc_codec_put_bytes(aoidc_wbuf_t *w, const unsigned char *b,
                           apr_size_t n)
{
    put_u32(w, (apr_uint32_t)n);
    if (n) {
        memcpy(reserve(w, n), b, n);
    }
}

void aoidc_codec_reader(aoidc_rbuf_t *r, const unsigned char *buf,
                        apr_size_t len)
{
    r->cur = buf;
    r->left = len;
    r->bad = false;
}

static const unsigned char *take(aoidc_rbuf_t *r, apr_size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = true;
        return NULL;
    }
    const unsigned char *b = r->cur;
    r->cur += n;
    r->left -= n;
    return b;
}

unsigned aoidc_codec_get_u8(aoidc_rbuf_t *r)
{
    const unsigned char *b = take(r, 1);
    return b ? *b : 0;
}

apr_uint64_t aoidc_codec_get_u64(aoidc_rbuf_t *r)
{
    const unsigned char *b = take(r, 8);
    apr_uint64_t v = 0;
    for (int i = 0; b && i < 8; i++) {
        v = v << 8 | b[i];
    }
    return v;
}

const char *aoidc_codec_get_str(aoidc_rbuf_t *r)
{
    const unsigned char *b = take(r, 4);
    if (!b) {
        return NULL;
    }
    apr_uint32_t n = (apr_uint32_t)b[0] << 24 | (apr_uint32_t)b[1] << 16
                     | (apr_uint32_t)b[2] << 8 | b[3];
    if (n == NULL_LEN) {
        return NULL;
    }
    const unsigned char *s = take(r, (apr_size_t)n + 1);
    /* The terminating NUL makes the string safe to use. An inner NUL is
     * not looked for: every record this reads was written by put_str
     * (lengths from strlen, so none has one) and is either sealed or in a
     * store whose writer could as well have written the shorter string;
     * the scan cost ~20 instructions a field on every session hit. */
    if (!s || s[n] != '\0') {
        r->bad = true;
        return NULL;
    }
    return (const char *)s;
}

const unsigned char *aoidc_codec_get_bytes(aoidc_rbuf_t *r, apr_size_t *n)
{
    const unsigned char *b = take(r, 4), *s;
    *n = 0;
    if (!b) {
        return NULL;
    }
    apr_size_t len = (apr_size_t)b[0] << 24 | (apr_size_t)b[1] << 16
                     | (apr_size_t)b[2] << 8 | b[3];
    if (!(s = take(r, len))) {
        return NULL;
    }
    *n = len;
    return s;
}
