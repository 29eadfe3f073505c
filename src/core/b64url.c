/* SPDX-License-Identifier: Apache-2.0 */
/* base64url over OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock. */
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

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

apr_status_t aoidc_b64url_decode(unsigned char **out, apr_size_t *outlen,
                                 const char *in, apr_size_t len, apr_pool_t *p,
                                 aoidc_err_t *err)
{
    apr_size_t rem = len % 4, pad = rem ? 4 - rem : 0;
    if (rem == 1 || len > 64 * 1024 * 1024) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "base64url: bad length %" APR_SIZE_T_FMT, len);
    }
    for (apr_size_t i = 0; i < len; i++) {
        if (b64val(in[i]) < 0) {
            return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                                 "base64url: bad character at %" APR_SIZE_T_FMT,
                                 i);
        }
    }
    /* Canonical form only: the unused low bits of the last character are 0
     * (RFC 4648 §3.5), so every token has exactly one encoding. */
    if (rem == 2 && (b64val(in[len - 1]) & 0x0f)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "base64url: non-canonical tail");
    }
    if (rem == 3 && (b64val(in[len - 1]) & 0x03)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "base64url: non-canonical tail");
    }
    unsigned char *tmp = apr_palloc(p, len + pad + 1);
    for (apr_size_t i = 0; i < len; i++) {
        tmp[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : (unsigned char)in[i];
    }
    for (apr_size_t i = 0; i < pad; i++) {
        tmp[len + i] = '=';
    }
    unsigned char *dec = apr_palloc(p, (len + pad) / 4 * 3 + 1);
    int n = len ? EVP_DecodeBlock(dec, tmp, (int)(len + pad)) : 0;
    if (n < 0) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "base64url: undecodable");
    }
    /* EVP_DecodeBlock counts the bytes the padding stands for. */
    n -= (int)(pad == 2 ? 2 : pad == 1 ? 1 : 0);
    dec[n] = '\0';
    *out = dec;
    *outlen = (apr_size_t)n;
    return APR_SUCCESS;
}
