/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small binary record codec for what we seal and store (login state,
 * sessions, validated-token cache entries). It exists so that the hot path
 * opens one AEAD blob and walks a few length-prefixed fields instead of
 * re-parsing JSON on every request.
 *
 *   u64: 8 bytes big-endian
 *   str: u32 big-endian length L (0xFFFFFFFF = NULL), L bytes, one NUL
 *   bytes: u32 big-endian length L, L bytes (binary, no NUL)
 *
 * Decoding is zero-copy: strings point into the (NUL-terminated) buffer.
 */
#ifndef AOIDC_CORE_CODEC_H
#define AOIDC_CORE_CODEC_H

#include "core/err.h"

typedef struct {
    unsigned char *buf;
    apr_size_t len;
    apr_size_t cap;
    apr_pool_t *pool;
} aoidc_wbuf_t;

typedef struct {
    const unsigned char *cur;
    apr_size_t left;
    bool bad; /* sticky: set by the first short or malformed read */
} aoidc_rbuf_t;

AOIDC_API void aoidc_codec_init(aoidc_wbuf_t *w, apr_size_t cap, apr_pool_t *p);
AOIDC_API void aoidc_codec_put_u8(aoidc_wbuf_t *w, unsigned v);
AOIDC_API void aoidc_codec_put_u64(aoidc_wbuf_t *w, apr_uint64_t v);
AOIDC_API void aoidc_codec_put_str(aoidc_wbuf_t *w, const char *s);
AOIDC_API void aoidc_codec_put_bytes(aoidc_wbuf_t *w, const unsigned char *b,
                                     apr_size_t n);

AOIDC_API void aoidc_codec_reader(aoidc_rbuf_t *r, const unsigned char *buf,
                                  apr_size_t len);
AOIDC_API unsigned aoidc_codec_get_u8(aoidc_rbuf_t *r);
AOIDC_API apr_uint64_t aoidc_codec_get_u64(aoidc_rbuf_t *r);
/** NULL for an encoded NULL and on error (check r->bad). */
AOIDC_API const char *aoidc_codec_get_str(aoidc_rbuf_t *r);
/** Bytes written by aoidc_codec_put_bytes, pointing into the buffer; *n
 *  their count. NULL (and *n 0) on error (r->bad), else never NULL. */
AOIDC_API const unsigned char *aoidc_codec_get_bytes(aoidc_rbuf_t *r,
                                                     apr_size_t *n);

#endif
