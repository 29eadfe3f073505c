/* SPDX-License-Identifier: Apache-2.0 */
/* base64url: encoding over OpenSSL's EVP_EncodeBlock, decoding by table. */
#include <openssl/evp.h>

#include "core/b64url.h"

char *aoidc_b64url_encode(const unsigned char *in, apr_size_t len,
                          apr_pool_t *p)
{
    char *out = apr_palloc(p, 4 * ((len + 2) / 3) + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=') {
        n--;
    }
    out[n] = '\0';
    for (int i = 0; i < n; i++) {
        if (out[i] == '+') {
            out[i] = '-';
        }
        else if (out[i] == '/') {
            out[i] = '_';
        }
    }
    return out;
}

/* The RFC 4648 §5 alphabet as a table, 0xff elsewhere. Decoding is one
 * table-driven pass: the cookie store decodes ~1.7 KB per request, and a
 * check, a character-swapping copy and EVP_DecodeBlock cost 57k
 * instructions there; this costs a fraction (docs/performance.md).
 * Encoding stays with OpenSSL. */
#define R(c, v) [(unsigned char)(c)] = (v) + 0x40
static const unsigned char dtab[256] = {
    R('A', 0),  R('B', 1),  R('C', 2),  R('D', 3),  R('E', 4),  R('F', 5),
    R('G', 6),  R('H', 7),  R('I', 8),  R('J', 9),  R('K', 10), R('L', 11),
    R('M', 12), R('N', 13), R('O', 14), R('P', 15), R('Q', 16), R('R', 17),
    R('S', 18), R('T', 19), R('U', 20), R('V', 21), R('W', 22), R('X', 23),
    R('Y', 24), R('Z', 25), R('a', 26), R('b', 27), R('c', 28), R('d', 29),
    R('e', 30), R('f', 31), R('g', 32), R('h', 33), R('i', 34), R('j', 35),
    R('k', 36), R('l', 37), R('m', 38), R('n', 39), R('o', 40), R('p', 41),
    R('q', 42), R('r', 43), R('s', 44), R('t', 45), R('u', 46), R('v', 47),
    R('w', 48), R('x', 49), R('y', 50), R('z', 51), R('0', 52), R('1', 53),
    R('2', 54), R('3', 55), R('4', 56), R('5', 57), R('6', 58), R('7', 59),
    R('8', 60), R('9', 61), R('-', 62), R('_', 63),
};
#undef R
/* stored as value + 0x40 so that 0 marks a character outside the alphabet
 * and one AND tells whether four characters are all in it */
#define BIAS (0x40u << 18 | 0x40u << 12 | 0x40u << 6 | 0x40u)

apr_status_t aoidc_b64url_decode(unsigned char **out, apr_size_t *outlen,
                                 const char *in, apr_size_t len, apr_pool_t *p,
                                 aoidc_err_t *err)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t rem = len % 4, full = len - rem, i, o = 0;
    unsigned char *dec;
    if (rem == 1 || len > 64 * 1024 * 1024) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "base64url: bad length %" APR_SIZE_T_FMT, len);
    }
    dec = apr_palloc(p, len / 4 * 3 + 3);
    for (i = 0; i < full; i += 4, o += 3) {
        unsigned a = dtab[s[i]], b = dtab[s[i + 1]], c = dtab[s[i + 2]],
                 d = dtab[s[i + 3]];
        if (!(a & b & c & d & 0x40)) {
            goto bad_char;
        }
        /* the sum of the biased values, less the bias: no carries, each
         * value being below 0x40 */
        apr_uint32_t v = (a << 18) + (b << 12) + (c << 6) + d - BIAS;
        dec[o] = (unsigned char)(v >> 16);
        dec[o + 1] = (unsigned char)(v >> 8);
        dec[o + 2] = (unsigned char)v;
    }
    if (rem) {
        unsigned a = dtab[s[i]], b = dtab[s[i + 1]],
                 c = rem == 3 ? dtab[s[i + 2]] : 0x40;
        if (!a || !b || !c) {
            goto bad_char;
        }
        a -= 0x40;
        b -= 0x40;
        c -= 0x40;
        /* Canonical form only: the unused low bits of the last character
         * are 0 (RFC 4648 §3.5), so every value has exactly one encoding. */
        if ((rem == 2 && (b & 0x0f)) || (rem == 3 && (c & 0x03))) {
            return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                                 "base64url: non-canonical tail");
        }
        apr_uint32_t v = a << 18 | b << 12 | c << 6;
        dec[o++] = (unsigned char)(v >> 16);
        if (rem == 3) {
            dec[o++] = (unsigned char)(v >> 8);
        }
    }
    dec[o] = '\0';
    *out = dec;
    *outlen = o;
    return APR_SUCCESS;
bad_char:
    for (i = 0; i < len && dtab[s[i]]; i++) {
    }
    return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                         "base64url: bad character at %" APR_SIZE_T_FMT, i);
}
