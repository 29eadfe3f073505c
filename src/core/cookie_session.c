/* SPDX-License-Identifier: Apache-2.0 */
/* Chunked sealed cookies (cookie_session.h). */
#include <string.h>

#include "core/cookie.h"
#include "core/cookie_session.h"

static const char *chunk_name(const char *name, int i, apr_pool_t *p)
{
    return apr_psprintf(p, "%s_%d", name, i);
}

/* One pass over the Cookie header: the first value of each NAME_<i>,
 * i = 0 .. AOIDC_CS_CHUNKS_MAX, with aoidc_cookie_get's rules (names and
 * values trimmed, one pair of quotes stripped, a value over
 * AOIDC_COOKIE_MAX_VALUE is absent). No allocation. */
typedef struct {
    const char *v[AOIDC_CS_CHUNKS_MAX + 1];
    apr_size_t vl[AOIDC_CS_CHUNKS_MAX + 1];
    unsigned mask;
} scan_t;

static void scan(scan_t *sc, const char *h, const char *name)
{
    apr_size_t nl = strlen(name);
    sc->mask = 0;
    for (const char *s = h ? h : ""; *s;) {
        const char *end, *eq, *v;
        apr_size_t len, kl, vl;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        end = strchr(s, ';');
        len = end ? (apr_size_t)(end - s) : strlen(s);
        eq = memchr(s, '=', len);
        kl = eq ? (apr_size_t)(eq - s) : 0;
        while (kl && (s[kl - 1] == ' ' || s[kl - 1] == '\t')) {
            kl--;
        }
        if (kl == nl + 2 && s[nl] == '_' && s[nl + 1] >= '0'
            && s[nl + 1] <= '0' + AOIDC_CS_CHUNKS_MAX && !memcmp(s, name, nl)
            && !(sc->mask & (1u << (s[nl + 1] - '0')))) {
            int i = s[nl + 1] - '0';
            v = eq + 1;
            vl = len - (apr_size_t)(v - s);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) {
                vl--;
            }
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
                v++;
                vl -= 2;
            }
            if (vl <= AOIDC_COOKIE_MAX_VALUE) {
                sc->v[i] = v;
                sc->vl[i] = vl;
                sc->mask |= 1u << i;
            }
        }
        s += len;
        if (*s == ';') {
            s++;
        }
    }
}

unsigned aoidc_cs_present(const char *header, const char *name, apr_pool_t *p)
{
    scan_t sc;
    scan(&sc, header, name);
    return sc.mask;
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
    int n = 0;
    scan_t sc;

    scan(&sc, header, name);
    if (!(sc.mask & 1u)) {
        return APR_NOTFOUND;
    }
    if (sc.mask & (1u << AOIDC_CS_CHUNKS_MAX)) {
        return invalid(err, p, "too many chunks");
    }
    /* the bound is our constant, never anything the browser sent */
    for (; n < AOIDC_CS_CHUNKS_MAX && (sc.mask & (1u << n)); n++) {
        if (sc.vl[n] > AOIDC_CS_CHUNK_MAX || sc.vl[n] == 0) {
            return invalid(err, p, "a chunk of the wrong size");
        }
        total += sc.vl[n];
        if (total > AOIDC_CS_BYTES_MAX) {
            return invalid(err, p, "too large");
        }
    }
    if (sc.mask >> n) {
        return invalid(err, p, "a chunk is missing");
    }
    if (sc.vl[0] <= tl || strncmp(sc.v[0], tag, tl) || sc.v[0][tl] != '.') {
        if (sc.vl[0] > tl && sc.v[0][tl] == '.') {
            return APR_NOTFOUND; /* another identity's session */
        }
        return invalid(err, p, "of the wrong shape");
    }
    at = joined = apr_palloc(p, total + 1);
    for (int i = 0; i < n; i++) {
        memcpy(at, sc.v[i], sc.vl[i]);
        at += sc.vl[i];
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
