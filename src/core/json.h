/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jansson, bound to APR pools and bounded: every parsed document is released
 * by a cleanup on the pool it was parsed into, and input is refused before
 * parsing when it is too long or nested too deep (jansson's own depth limit
 * is a compile-time 2048).
 */
#ifndef AOIDC_CORE_JSON_H
#define AOIDC_CORE_JSON_H

#include <jansson.h>

#include "core/err.h"

/** Parse len bytes into *out (an object unless any_type), owned by p.
 *  Duplicate object keys, NUL bytes, text longer than max_len and nesting
 *  deeper than AOIDC_MAX_JSON_DEPTH are refused (AOIDC_REASON_MALFORMED or
 *  AOIDC_REASON_TOO_LARGE). */
AOIDC_API apr_status_t aoidc_json_parse(json_t **out, const char *in,
                                        apr_size_t len, apr_size_t max_len,
                                        bool any_type, apr_pool_t *p,
                                        aoidc_err_t *err);

/** The fast path of aoidc_json_parse (json_fast.c): a new reference to
 *  exactly what json_loadb(in, len, JSON_REJECT_DUPLICATES) gives (the same
 *  values, types and key order) when in is an object within the common
 *  subset (plain ASCII strings, integers, literals, nesting up to
 *  AOIDC_MAX_JSON_DEPTH); NULL for anything else, valid or not, which
 *  jansson then judges. Never an error of its own. */
AOIDC_API json_t *aoidc_json_fast(const char *in, apr_size_t len);

/** The members of a JOSE header (RFC 7515 §4) that JWS parsing reads. */
typedef struct {
    const char *alg, *kid, *typ; /* string values (in p), NULL otherwise */
    bool alg_other, kid_other, typ_other; /* present, not a string */
    bool crit;                            /* present, whatever its value */
} aoidc_json_jose_t;

/** Read a header without building it (json_fast.c): true when in is an
 *  object that aoidc_json_fast would take, of at most 16 members whose
 *  values are strings, integers or literals (no object or array), and *h
 *  then says what json_object_get on that object would find for alg, kid,
 *  typ and crit. False for anything else (valid or not): the caller parses
 *  it. Never an error of its own. */
AOIDC_API bool aoidc_json_fast_jose(aoidc_json_jose_t *h, const char *in,
                                    apr_size_t len, apr_pool_t *p);

/** A member of an object read by aoidc_json_fast_members. */
enum {
    AOIDC_JM_NULL,
    AOIDC_JM_STRING,
    AOIDC_JM_INT,
    AOIDC_JM_TRUE,
    AOIDC_JM_FALSE,
    AOIDC_JM_ARRAY,
    AOIDC_JM_OBJECT,
};

typedef struct {
    const char *key;  /* NUL-terminated, in p */
    const char *text; /* a string: the string; another value: the JSON
                         that aoidc_json_dump writes for it; null: NULL */
    apr_int64_t i;    /* AOIDC_JM_INT: the value */
    int kind;         /* AOIDC_JM_* */
} aoidc_json_member_t;

typedef struct {
    const aoidc_json_member_t *m; /* n members in document order */
    int n;
} aoidc_json_members_t;

#define AOIDC_JSON_FAST_MEMBERS 128 /* top-level members, at most */

/** An object's members, read without building jansson values (json_fast.c):
 *  true when aoidc_json_fast would take in (its subset and limits), in has
 *  at most AOIDC_JSON_FAST_MEMBERS members, at most 32 in each nested
 *  object, and no -0 anywhere (which jansson writes as 0). *out then holds,
 *  member for member and in order, what the object aoidc_json_parse makes
 *  of in holds: each key, its value's kind and the text above (in p). False
 *  for anything else, valid JSON or not: the caller parses in with
 *  aoidc_json_parse, so every refusal stays jansson's. Never an error of
 *  its own. */
AOIDC_API bool aoidc_json_fast_members(aoidc_json_members_t *out,
                                       const char *in, apr_size_t len,
                                       apr_pool_t *p);

/** The elements of an array member's text (aoidc_json_fast_members,
 *  AOIDC_JM_ARRAY): *n of them; (*s)[i] is element i's string (in p), or
 *  NULL when element i is not a string. */
AOIDC_API void aoidc_json_fast_strings(const char ***s, int *n,
                                       const char *text, apr_pool_t *p);

/** Hand a reference to p: json_decref runs when p is cleared. Returns j. */
AOIDC_API json_t *aoidc_json_own(json_t *j, apr_pool_t *p);

/** The string member key of obj, or NULL when absent or not a string. */
AOIDC_API const char *aoidc_json_str(const json_t *obj, const char *key);

/** Integer member key (JSON integer or integral real) into *out.
 *  Returns false when absent or not a number. */
AOIDC_API bool aoidc_json_int(const json_t *obj, const char *key,
                              apr_int64_t *out);

/** Compact serialisation of j into p ("null" if it cannot be encoded). */
AOIDC_API char *aoidc_json_dump(const json_t *j, apr_pool_t *p);

#endif
