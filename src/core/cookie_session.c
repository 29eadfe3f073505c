/* SPDX-License-Identifier: Apache-2.0 */
/* Chunked sealed cookies (cookie_session.h). */
#include <string.h>

#include "core/cookie.h"
#include "core/cookie_session.h"

static const char *chunk_name(const char *name, int i, apr_pool_t *p)
{
    return apr_psprintf(p, "%s_%d", name, i);
}

unsigned aoidc_cs_present(const char *header, const char *name, apr_pool_t *p)
{
    unsigned mask = 0;
    if (!header || !strstr(header, name)) {
        return 0; /* the common case of a request without our chunks */
    }
    for (int i = 0; i <= AOIDC_CS_CHUNKS_MAX; i++) {
        if (aoidc_cookie_get(header, chunk_name(name, i, p), p)) {
            mask |= 1u << i;
        }
    }
    return mask;
}

static apr_status_t invalid(aoidc_err_t *err, apr_pool_t *p, const char *why)
{
    return aoidc_err_set(err, AOIDC_REASON_SESSION_INVALID, p,
                         "session cookies: %s", why);
}

apr_status_t aoidc_cs_open(unsigned char **rec, apr_size_t *len,
                           const aoidc_seal_t *k, const char *tag,
                           const char *header, const char *name, apr_pool_t *p,
                           aoidc_err_t *err)
{
    apr_size_t tl = strlen(tag), total = 0;
    char *joined, *at;
    const char *v[AOIDC_CS_CHUNKS_MAX];
    apr_size_t vl[AOIDC_CS_CHUNKS_MAX];
    int n = 0;
    unsigned mask = aoidc_cs_present(header, name, p);

    if (!(mask & 1u)) {
        return APR_NOTFOUND;
    }
    if (mask & (1u << AOIDC_CS_CHUNKS_MAX)) {
        return invalid(err, p, "too many chunks");
    }
    /* the bound is our constant, never anything the browser sent */
    for (; n < AOIDC_CS_CHUNKS_MAX && (mask & (1u << n)); n++) {
        v[n] = aoidc_cookie_get(header, chunk_name(name, n, p), p);
        vl[n] = strlen(v[n]);
        if (vl[n] > AOIDC_CS_CHUNK_MAX || vl[n] == 0) {
            return invalid(err, p, "a chunk of the wrong size");
        }
        total += vl[n];
        if (total > AOIDC_CS_BYTES_MAX) {
            return invalid(err, p, "too large");
        }
    }
    if (mask >> n) {
        return invalid(err, p, "a chunk is missing");
    }
    if (vl[0] <= tl || strncmp(v[0], tag, tl) || v[0][tl] != '.') {
        if (vl[0] > tl && v[0][tl] == '.') {
            return APR_NOTFOUND; /* another identity's session */
        }
        return invalid(err, p, "of the wrong shape");
    }
    at = joined = apr_palloc(p, total + 1);
    for (int i = 0; i < n; i++) {
        memcpy(at, v[i], vl[i]);
        at += vl[i];
    }
    *at = '\0';
    if (aoidc_unseal_text(rec, len, k, joined + tl + 1, tag, tl, p, err)
        != APR_SUCCESS) {
        return invalid(err, p, "do not open");
    }
    return APR_SUCCESS;
}

apr_size_t aoidc_cs_sealed_len(const char *tag, apr_size_t len)
{
    apr_size_t bin = len + AOIDC_SEAL_OVERHEAD;
    return strlen(tag) + 1 + (bin * 4 + 2) / 3;
}

void aoidc_cs_clear(apr_array_header_t **ops, const char *name,
                    unsigned present, apr_pool_t *p)
{
    for (int i = 0; i <= AOIDC_CS_CHUNKS_MAX; i++) {
        if (present & (1u << i)) {
            aoidc_cookie_op(ops, AOIDC_COOKIE_SESSION, chunk_name(name, i, p),
                            "", 0, p);
        }
    }
}

apr_status_t aoidc_cs_seal(apr_array_header_t **ops, const aoidc_seal_t *k,
                           const char *tag, const char *name,
                           const unsigned char *rec, apr_size_t len,
                           unsigned present, apr_pool_t *p, aoidc_err_t *err)
{
    char *sealed, *joined;
    apr_size_t total;
    int i = 0;
    if (aoidc_cs_sealed_len(tag, len) > AOIDC_CS_BYTES_MAX) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "session cookies: %" APR_SIZE_T_FMT
                             " bytes of record do not fit",
                             len);
    }
    if (aoidc_seal_text(&sealed, k, rec, len, tag, strlen(tag), p)
        != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                             "session cookies: seal failed");
    }
    joined = apr_pstrcat(p, tag, ".", sealed, NULL);
    total = strlen(joined);
    for (apr_size_t off = 0; off < total; off += AOIDC_CS_CHUNK_MAX, i++) {
        apr_size_t n =
            total - off < AOIDC_CS_CHUNK_MAX ? total - off : AOIDC_CS_CHUNK_MAX;
        aoidc_cookie_op(ops, AOIDC_COOKIE_SESSION, chunk_name(name, i, p),
                        apr_pstrndup(p, joined + off, n), -1, p);
    }
    aoidc_cs_clear(ops, name, present & ~((1u << i) - 1), p);
    return APR_SUCCESS;
}
