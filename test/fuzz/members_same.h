/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checks the members and jws harnesses share: an object's members
 * (aoidc_json_fast_members) describe the object jansson makes of the same
 * text, and what is read from them (claims, registered claims, verdicts)
 * is what is read from the object. Each failed check aborts (FUZZ_CHECK).
 */
#ifndef AOIDC_FUZZ_MEMBERS_SAME_H
#define AOIDC_FUZZ_MEMBERS_SAME_H

#include <stdio.h>
#include <string.h>

#include "core/claims.h"
#include "core/json.h"
#include "core/jwt.h"
#include "fuzz.h"

/* Both NULL, or both strings of the same content. */
static inline bool fuzz_str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The member kind a jansson value must have (-1: none, e.g. a real). */
static inline int fuzz_member_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return AOIDC_JM_NULL;
    case JSON_STRING:
        return AOIDC_JM_STRING;
    case JSON_INTEGER:
        return AOIDC_JM_INT;
    case JSON_TRUE:
        return AOIDC_JM_TRUE;
    case JSON_FALSE:
        return AOIDC_JM_FALSE;
    case JSON_ARRAY:
        return AOIDC_JM_ARRAY;
    case JSON_OBJECT:
        return AOIDC_JM_OBJECT;
    default:
        return -1;
    }
}

/* An array member's text read back by aoidc_json_fast_strings: the
 * array's size, and each element's string or NULL. */
static inline void fuzz_strings_same(const char *text, const json_t *a,
                                     apr_pool_t *p)
{
    const char **s;
    int n;
    size_t i;
    json_t *v;
    aoidc_json_fast_strings(&s, &n, text, p);
    FUZZ_CHECK(n >= 0 && (size_t)n == json_array_size(a));
    json_array_foreach(a, i, v)
    {
        FUZZ_CHECK(fuzz_str_same(s[i], json_string_value(v)));
    }
}

/* m, member for member in json_object_foreach order, is j. */
static inline void fuzz_members_are(const aoidc_json_members_t *m,
                                    const json_t *j, apr_pool_t *p)
{
    const char *key;
    json_t *v;
    int i = 0;
    FUZZ_CHECK(m->m != NULL && json_is_object(j));
    FUZZ_CHECK(m->n >= 0 && (size_t)m->n == json_object_size(j));
    json_object_foreach((json_t *)j, key, v)
    {
        const aoidc_json_member_t *x = &m->m[i++];
        FUZZ_CHECK(!strcmp(x->key, key));
        FUZZ_CHECK(x->kind == fuzz_member_kind(v));
        if (json_is_null(v)) {
            FUZZ_CHECK(x->text == NULL);
        }
        else if (json_is_string(v)) {
            FUZZ_CHECK(x->text && !strcmp(x->text, json_string_value(v)));
        }
        else {
            FUZZ_CHECK(x->text && !strcmp(x->text, aoidc_json_dump(v, p)));
        }
        if (json_is_integer(v)) {
            FUZZ_CHECK(x->i == (apr_int64_t)json_integer_value(v));
        }
        if (json_is_array(v)) {
            fuzz_strings_same(x->text, v, p);
        }
    }
}

/* The flattened claims of m and of j, under keep. */
static inline void fuzz_claims_same(const aoidc_json_members_t *m,
                                    const json_t *j, const char *const *keep,
                                    apr_pool_t *p)
{
    apr_array_header_t *a = aoidc_claims_from_members(m, keep, p);
    apr_array_header_t *b = aoidc_claims_add_json_keep(NULL, j, keep, p);
    FUZZ_CHECK(a->nelts == b->nelts);
    for (int i = 0; i < a->nelts; i++) {
        const aoidc_claim_t *x = &APR_ARRAY_IDX(a, i, aoidc_claim_t);
        const aoidc_claim_t *y = &APR_ARRAY_IDX(b, i, aoidc_claim_t);
        FUZZ_CHECK(!strcmp(x->name, y->name) && !strcmp(x->value, y->value)
                   && x->is_json == y->is_json);
    }
}

static inline bool fuzz_num_same(const aoidc_jwt_num_t *a,
                                 const aoidc_jwt_num_t *b)
{
    return a->present == b->present && a->num == b->num
           && (!a->num || a->v == b->v);
}

/* Rule sets as fuzz_jwt.c's, plus azp with a second audience. */
static const aoidc_jwt_rules_t fuzz_reg_rules[] = {
    {FUZZ_ISS, "client-1", NULL, FUZZ_NOW, 60, false, false},
    {FUZZ_ISS, "client-1", "client-1", FUZZ_NOW, 60, true, true},
    {FUZZ_ISS, "api://default", NULL, FUZZ_NOW, 0, false, true},
    {FUZZ_ISS, "api://default", "client-1", FUZZ_NOW, 0, true, false},
};

/* The registered claims of m and of j, field by field, and the verdicts
 * of aoidc_jwt_check_reg on them (status, reason, detail). */
static inline void fuzz_reg_same(const aoidc_json_members_t *m, const json_t *j,
                                 apr_pool_t *p)
{
    aoidc_jwt_reg_t a, b;
    aoidc_jwt_reg_from_members(&a, m, p);
    aoidc_jwt_reg_from_json(&b, j, p);
    FUZZ_CHECK(fuzz_str_same(a.iss, b.iss) && fuzz_str_same(a.azp, b.azp)
               && fuzz_str_same(a.sub, b.sub));
    FUZZ_CHECK(a.azp_present == b.azp_present && a.aud_array == b.aud_array
               && a.aud_n == b.aud_n && !a.aud == !b.aud);
    for (int i = 0; i < a.aud_n; i++) {
        FUZZ_CHECK(fuzz_str_same(a.aud[i], b.aud[i]));
    }
    FUZZ_CHECK(fuzz_num_same(&a.exp, &b.exp) && fuzz_num_same(&a.nbf, &b.nbf)
               && fuzz_num_same(&a.iat, &b.iat));
    FUZZ_CHECK(a.nonce == b.nonce && a.at_hash == b.at_hash
               && a.c_hash == b.c_hash);
    for (size_t i = 0; i < sizeof(fuzz_reg_rules) / sizeof(fuzz_reg_rules[0]);
         i++) {
        aoidc_err_t ea = {0}, eb = {0}, ej = {0};
        apr_status_t ra = aoidc_jwt_check_reg(&a, &fuzz_reg_rules[i], p, &ea);
        apr_status_t rb = aoidc_jwt_check_reg(&b, &fuzz_reg_rules[i], p, &eb);
        apr_status_t rj = aoidc_jwt_check(j, &fuzz_reg_rules[i], p, &ej);
        FUZZ_CHECK(ra == rb && ea.reason == eb.reason
                   && fuzz_str_same(ea.detail, eb.detail));
        FUZZ_CHECK(rj == rb && ej.reason == eb.reason);
    }
}

/* Everything above, with the keep sets the RS uses (rs.c: the
 * REMOTE_USER claim and cnf). */
static inline void fuzz_members_same(const aoidc_json_members_t *m,
                                     const json_t *j, apr_pool_t *p)
{
    static const char *const keep[] = {"email", "cnf", NULL};
    static const char *const keep_sub[] = {"sub", "cnf", NULL};
    fuzz_members_are(m, j, p);
    fuzz_claims_same(m, j, NULL, p);
    fuzz_claims_same(m, j, keep, p);
    fuzz_claims_same(m, j, keep_sub, p);
    fuzz_reg_same(m, j, p);
}

#endif
