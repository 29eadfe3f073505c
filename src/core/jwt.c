/* SPDX-License-Identifier: Apache-2.0 */
/* Registered-claim checks (RFC 7519 §4.1) with leeway. */
#include <string.h>

#include "core/json.h"
#include "core/jwt.h"

bool aoidc_jwt_aud_has(const json_t *aud, const char *value)
{
    size_t i;
    json_t *v;
    if (json_is_string(aud)) {
        return !strcmp(json_string_value(aud), value);
    }
    json_array_foreach(aud, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), value)) {
            return true;
        }
    }
    return false;
}

static void num_from_json(aoidc_jwt_num_t *n, const json_t *c, const char *key)
{
    n->present = json_object_get(c, key) != NULL;
    n->num = aoidc_json_int(c, key, &n->v);
}

void aoidc_jwt_reg_from_json(aoidc_jwt_reg_t *r, const json_t *c, apr_pool_t *p)
{
    json_t *aud = json_object_get(c, "aud");
    memset(r, 0, sizeof(*r));
    r->iss = aoidc_json_str(c, "iss");
    r->azp = aoidc_json_str(c, "azp");
    r->azp_present = json_object_get(c, "azp") != NULL;
    r->sub = aoidc_json_str(c, "sub");
    if (json_is_string(aud)) {
        const char **one = apr_palloc(p, sizeof(*one));
        one[0] = json_string_value(aud);
        r->aud = one;
        r->aud_n = 1;
    }
    else if (json_is_array(aud)) {
        size_t i;
        json_t *v;
        const char **all =
            apr_palloc(p, (json_array_size(aud) + 1) * sizeof(*all));
        json_array_foreach(aud, i, v)
        {
            all[i] = json_is_string(v) ? json_string_value(v) : NULL;
        }
        r->aud = all;
        r->aud_n = (int)json_array_size(aud);
        r->aud_array = true;
    }
    num_from_json(&r->exp, c, "exp");
    num_from_json(&r->nbf, c, "nbf");
    num_from_json(&r->iat, c, "iat");
    r->nonce = json_object_get(c, "nonce") != NULL;
    r->at_hash = json_object_get(c, "at_hash") != NULL;
    r->c_hash = json_object_get(c, "c_hash") != NULL;
}

static void num_from_member(aoidc_jwt_num_t *n, const aoidc_json_member_t *m)
{
    n->present = true;
    n->num = m->kind == AOIDC_JM_INT; /* no real is ever a member */
    n->v = n->num ? m->i : 0;
}

static const char *str_of(const aoidc_json_member_t *m)
{
    return m->kind == AOIDC_JM_STRING ? m->text : NULL;
}

/* one member into r, when it is one the checks read */
static void reg_member(aoidc_jwt_reg_t *r, const aoidc_json_member_t *m,
                       apr_pool_t *p)
{
    const char *k = m->key;
    switch (k[0]) {
    case 'i':
        if (!strcmp(k, "iss")) {
            r->iss = str_of(m);
        }
        else if (!strcmp(k, "iat")) {
            num_from_member(&r->iat, m);
        }
        break;
    case 'a':
        if (!strcmp(k, "aud") && m->kind == AOIDC_JM_STRING) {
            const char **one = apr_palloc(p, sizeof(*one));
            one[0] = m->text;
            r->aud = one;
            r->aud_n = 1;
        }
        else if (!strcmp(k, "aud") && m->kind == AOIDC_JM_ARRAY) {
            const char **all;
            aoidc_json_fast_strings(&all, &r->aud_n, m->text, p);
            r->aud = all;
            r->aud_array = true;
        }
        else if (!strcmp(k, "azp")) {
            r->azp = str_of(m);
            r->azp_present = true;
        }
        else if (!strcmp(k, "at_hash")) {
            r->at_hash = true;
        }
        break;
    case 's':
        if (!strcmp(k, "sub")) {
            r->sub = str_of(m);
        }
        break;
    case 'e':
        if (!strcmp(k, "exp")) {
            num_from_member(&r->exp, m);
        }
        break;
    case 'n':
        if (!strcmp(k, "nbf")) {
            num_from_member(&r->nbf, m);
        }
        else if (!strcmp(k, "nonce")) {
            r->nonce = true;
        }
        break;
    case 'c':
        if (!strcmp(k, "c_hash")) {
            r->c_hash = true;
        }
        break;
    default:
        break;
    }
}

void aoidc_jwt_reg_from_members(aoidc_jwt_reg_t *r,
                                const aoidc_json_members_t *m, apr_pool_t *p)
{
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < m->n; i++) {
        reg_member(r, &m->m[i], p);
    }
}

static bool aud_has(const aoidc_jwt_reg_t *r, const char *value)
{
    for (int i = 0; i < r->aud_n; i++) {
        if (r->aud[i] && !strcmp(r->aud[i], value)) {
            return true;
        }
    }
    return false;
}

apr_status_t aoidc_jwt_check_reg(const aoidc_jwt_reg_t *c,
                                 const aoidc_jwt_rules_t *r, apr_pool_t *p,
                                 aoidc_err_t *err)
{
    apr_int64_t now = (apr_int64_t)apr_time_sec(r->now);

    if (!c->iss || !r->issuer || strcmp(c->iss, r->issuer)) {
        return aoidc_err_set(err, AOIDC_REASON_ISSUER, p,
                             "jwt: iss %.200s is not %.200s",
                             c->iss ? c->iss : "(missing)", r->issuer);
    }
    if (!r->audience || !aud_has(c, r->audience)) {
        return aoidc_err_set(err, AOIDC_REASON_AUDIENCE, p,
                             "jwt: aud does not contain %.200s", r->audience);
    }
    if (r->azp) {
        /* OIDC Core 3.1.3.7 (4)(5) */
        if ((c->aud_array && c->aud_n > 1 && !c->azp)
            || (c->azp_present && (!c->azp || strcmp(c->azp, r->azp)))) {
            return aoidc_err_set(err, AOIDC_REASON_AZP, p,
                                 "jwt: azp missing or not our client");
        }
    }
    if (!c->exp.num) {
        return aoidc_err_set(err, AOIDC_REASON_EXPIRED, p, "jwt: exp missing");
    }
    if (now - r->leeway > c->exp.v) {
        return aoidc_err_set(err, AOIDC_REASON_EXPIRED, p,
                             "jwt: expired (exp %" APR_INT64_T_FMT ")",
                             c->exp.v);
    }
    if (c->nbf.present && (!c->nbf.num || c->nbf.v > now + r->leeway)) {
        return aoidc_err_set(err, AOIDC_REASON_NOT_YET_VALID, p,
                             "jwt: nbf in the future or not a number");
    }
    if (c->iat.present || r->require_iat) {
        if (!c->iat.num) {
            return aoidc_err_set(err, AOIDC_REASON_IAT, p,
                                 "jwt: iat missing or not a number");
        }
        if (c->iat.v > now + r->leeway) {
            return aoidc_err_set(err, AOIDC_REASON_NOT_YET_VALID, p,
                                 "jwt: iat in the future");
        }
    }
    if (r->require_sub && (!c->sub || !*c->sub)) {
        return aoidc_err_set(err, AOIDC_REASON_SUB, p, "jwt: sub missing");
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_jwt_check(const json_t *c, const aoidc_jwt_rules_t *r,
                             apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_jwt_reg_t reg;
    aoidc_jwt_reg_from_json(&reg, c, p);
    return aoidc_jwt_check_reg(&reg, r, p, err);
}
