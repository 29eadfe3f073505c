/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Claims as the backend sees them: a flat list of (name, value) where value
 * is the string itself, or compact JSON for numbers, booleans, arrays and
 * objects. Names that are not HTTP tokens and values with control
 * characters (CR/LF above all) never make it into the list, so nothing a
 * token carries can split a header. Also the binary encoding of the list
 * used inside sessions and cache entries.
 */
#ifndef AOIDC_CORE_CLAIMS_H
#define AOIDC_CORE_CLAIMS_H

#include <jansson.h>

#include "core/codec.h"

typedef struct {
    const char *name;
    const char *value;
    bool is_json; /* value is JSON (array, object, number, bool) */
} aoidc_claim_t;

#define AOIDC_CLAIM_MAX_VALUE 4096

/** Add every usable member of obj to list (created in p when NULL),
 *  replacing entries with the same name; nonce, at_hash and c_hash are left
 *  out. Returns the list. Stops at AOIDC_MAX_CLAIMS entries. */
AOIDC_API apr_array_header_t *aoidc_claims_add_json(apr_array_header_t *list,
                                                    const json_t *obj,
                                                    apr_pool_t *p);

/** The entry called name, or NULL. */
AOIDC_API const aoidc_claim_t *aoidc_claims_get(const apr_array_header_t *l,
                                                const char *name);

/** True for an RFC 9110 token (the characters a header name may use). */
AOIDC_API bool aoidc_claims_is_token(const char *name);

/** True when header name hdr equals prefix+anything, comparing case-
 *  insensitively and treating '-' and '_' as equal (CGI maps both to '_'). */
AOIDC_API bool aoidc_claims_has_prefix(const char *hdr, const char *prefix);

AOIDC_API void aoidc_claims_encode(aoidc_wbuf_t *w,
                                   const apr_array_header_t *list);
/** Decode a list written by aoidc_claims_encode; r->bad on error. */
AOIDC_API apr_array_header_t *aoidc_claims_decode(aoidc_rbuf_t *r,
                                                  apr_pool_t *p);

#endif
