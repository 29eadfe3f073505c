/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthOIDCSessionStore cookie: a whole session record sealed into chunked
 * cookies, with no server state. The joined value of the chunks is
 *
 *   TAG "." base64url( seal( record ) )        seal: core/seal.h, v1
 *
 * cut into cookies NAME_0, NAME_1, ... of at most AOIDC_CS_CHUNK_MAX
 * characters each. TAG (aoidc_rp_tag) names the identity in clear, so a
 * chunk set of another issuer/client is recognised as "not ours" rather
 * than as tampering; the sealed part is bound to TAG as associated data.
 *
 * Reading never trusts the browser for a bound: at most AOIDC_CS_CHUNKS_MAX
 * chunks are read, in index order, and a cookie NAME_<AOIDC_CS_CHUNKS_MAX>
 * makes the whole set invalid (there is no count cookie at all). A missing
 * chunk, one too long, a total past AOIDC_CS_BYTES_MAX or a seal that does
 * not open are each a clean "invalid": the caller deletes every chunk and
 * starts a new login.
 *
 * Base layer: knows cookies and seals, not sessions.
 */
#ifndef AOIDC_CORE_COOKIE_SESSION_H
#define AOIDC_CORE_COOKIE_SESSION_H

#include "core/flow.h"
#include "core/seal.h"

#define AOIDC_CS_CHUNK_MAX  3800 /* characters per chunk cookie value */
#define AOIDC_CS_CHUNKS_MAX 8    /* chunks read and written, at most */
/* All chunks together: with httpd's default LimitRequestFieldSize (8190)
 * the browser's Cookie header must also carry state cookies and the
 * site's own; 6 KB of session leaves room for them. */
#define AOIDC_CS_BYTES_MAX 6144

/** The chunk indexes present in header as a bit mask: bit i for NAME_i,
 *  i = 0 .. AOIDC_CS_CHUNKS_MAX (the last bit means "too many"). Only
 *  these AOIDC_CS_CHUNKS_MAX + 1 names are ever looked up. */
AOIDC_API unsigned aoidc_cs_present(const char *header, const char *name,
                                    apr_pool_t *p);

/** Reassemble and open the chunks NAME_0.. of header. *rec gets the
 *  record (NUL-terminated, not counted in *len), in p.
 *  APR_NOTFOUND (err untouched): no NAME_0, or it carries another TAG.
 *  AOIDC_REASON_SESSION_INVALID, detail naming the fault: too many chunks,
 *  a chunk or the total too long, a gap (a present chunk after a missing
 *  one), a seal that does not open (tampered, truncated, another
 *  passphrase). */
AOIDC_API apr_status_t aoidc_cs_open(unsigned char **rec, apr_size_t *len,
                                     const aoidc_seal_t *k, const char *tag,
                                     const char *header, const char *name,
                                     apr_pool_t *p, aoidc_err_t *err);

/** The sealed, chunked form of rec: appends to *ops (created in p when
 *  NULL) one AOIDC_COOKIE_SESSION set (max_age -1, a browser-session
 *  cookie) per chunk, and a delete for every index in present (a mask from
 *  aoidc_cs_present) that the new set no longer uses. Fails with
 *  AOIDC_REASON_TOO_LARGE, *ops untouched, when the joined value would
 *  exceed AOIDC_CS_BYTES_MAX; with APR_EGENERAL when sealing fails. */
AOIDC_API apr_status_t aoidc_cs_seal(apr_array_header_t **ops,
                                     const aoidc_seal_t *k, const char *tag,
                                     const char *name, const unsigned char *rec,
                                     apr_size_t len, unsigned present,
                                     apr_pool_t *p, aoidc_err_t *err);

/** The length of the joined value aoidc_cs_seal would write for a record
 *  of len bytes (to test a fit without sealing). */
AOIDC_API apr_size_t aoidc_cs_sealed_len(const char *tag, apr_size_t len);

/** Appends a delete for every chunk in present. */
AOIDC_API void aoidc_cs_clear(apr_array_header_t **ops, const char *name,
                              unsigned present, apr_pool_t *p);

#endif
