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

/* The RFC 4648 §5 alphabet, made into tables below. Decoding is one
 * table-driven pass: the cookie store decodes ~1.7 KB per request, and a
 * check, a character-swapping copy and EVP_DecodeBlock cost 57k
 * instructions there; this costs a fraction (docs/performance.md).
 * Encoding stays with OpenSSL. */
/* clang-format off */
#define ALPHABET(X)                                                           \
    X('A', 0)  X('B', 1)  X('C', 2)  X('D', 3)  X('E', 4)  X('F', 5)         \
    X('G', 6)  X('H', 7)  X('I', 8)  X('J', 9)  X('K', 10) X('L', 11)        \
    X('M', 12) X('N', 13) X('O', 14) X('P', 15) X('Q', 16) X('R', 17)        \
    X('S', 18) X('T', 19) X('U', 20) X('V', 21) X('W', 22) X('X', 23)        \
    X('Y', 24) X('Z', 25) X('a', 26) X('b', 27) X('c', 28) X('d', 29)        \
    X('e', 30) X('f', 31) X('g', 32) X('h', 33) X('i', 34) X('j', 35)        \
    X('k', 36) X('l', 37) X('m', 38) X('n', 39) X('o', 40) X('p', 41)        \
    X('q', 42) X('r', 43) X('s', 44) X('t', 45) X('u', 46) X('v', 47)        \
    X('w', 48) X('x', 49) X('y', 50) X('z', 51) X('0', 52) X('1', 53)        \
    X('2', 54) X('3', 55) X('4', 56) X('5', 57) X('6', 58) X('7', 59)        \
    X('8', 60) X('9', 61) X('-', 62) X('_', 63)
/* clang-format on */

/* stored as value + 0x40 so that 0 marks a character outside the alphabet
 * (the tail of a decode) */
#define R(c, v) [(unsigned char)(c)] = (v) + 0x40,
static const unsigned char dtab[256] = {ALPHABET(R)};
#undef R

/* For the full quads: each character's six bits already in place for its
 * position in the 24-bit group, plus a bit of its own above them (bit 24 +
 * position) that only characters of the alphabet have. A quad is then four
 * lookups ORed, and one compare tells whether all four were in it. */
#define Q0(c, v) [(unsigned char)(c)] = (apr_uint32_t)(v) << 18 | 1u << 24,
#define Q1(c, v) [(unsigned char)(c)] = (apr_uint32_t)(v) << 12 | 1u << 25,
#define Q2(c, v) [(unsigned char)(c)] = (apr_uint32_t)(v) << 6 | 1u << 26,
#define Q3(c, v) [(unsigned char)(c)] = (apr_uint32_t)(v) | 1u << 27,
static const apr_uint32_t quad[4][256] = {
    {ALPHABET(Q0)},
    {ALPHABET(Q1)},
    {ALPHABET(Q2)},
    {ALPHABET(Q3)},
};
#undef Q0
#undef Q1
#undef Q2
#undef Q3
#define QUAD_OK (0xfu << 24)

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
        apr_uint32_t v = quad[0][s[i]] | quad[1][s[i + 1]] | quad[2][s[i + 2]]
                         | quad[3][s[i + 3]];
        if ((v & 0xff000000u) != QUAD_OK) {
            goto bad_char;
        }
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
