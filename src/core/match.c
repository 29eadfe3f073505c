/* SPDX-License-Identifier: Apache-2.0 */
/* Claim and scope matching. JSON values are parsed only here, on demand. */
#include <string.h>

#include "core/json.h"
#include "core/match.h"

static bool json_has(const char *text, const char *value, apr_pool_t *p)
{
    json_t *j, *v;
    size_t i;
    if (aoidc_json_parse(&j, text, strlen(text), AOIDC_CLAIM_MAX_VALUE, true, p,
                         NULL)
        != APR_SUCCESS) {
        return false;
    }
    if (!json_is_array(j)) {
        return !strcmp(text, value);
    }
    json_array_foreach(j, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), value)) {
            return true;
        }
    }
    return false;
}

/* A leaf: a string equal to value, a number or boolean whose JSON text
 * is value, or an array holding one of those. */
static bool leaf_has(const json_t *j, const char *value, apr_pool_t *p)
{
    size_t i;
    json_t *v;
    if (json_is_string(j)) {
        return !strcmp(json_string_value(j), value);
    }
    if (json_is_array(j)) {
        json_array_foreach((json_t *)j, i, v)
        {
            if (!json_is_array(v) && leaf_has(v, value, p)) {
                return true;
            }
        }
        return false;
    }
    if (json_is_number(j) || json_is_boolean(j)) {
        return !strcmp(aoidc_json_dump((json_t *)j, p), value);
    }
    return false;
}

/* path ("roles" or "a.b.c") below j; an array on the way matches when
 * any of its objects does (Keycloak's resource_access, lists of groups
 * as objects). depth bounds the walk. */
static bool path_has(const json_t *j, const char *path, const char *value,
                     int depth, apr_pool_t *p)
{
    const char *dot = strchr(path, '.');
    size_t i;
    json_t *v;
    if (depth > 16) {
        return false;
    }
    if (json_is_array(j)) {
        json_array_foreach((json_t *)j, i, v)
        {
            if (json_is_object(v) && path_has(v, path, value, depth + 1, p)) {
                return true;
            }
        }
        return false;
    }
    if (!json_is_object(j)) {
        return false;
    }
    if (!dot) {
        v = json_object_get(j, path);
        return v && leaf_has(v, value, p);
    }
    v = json_object_getn(j, path, (size_t)(dot - path));
    return v && path_has(v, dot + 1, value, depth + 1, p);
}

/* name "a.b.c": the claim "a" (then "a.b", for claim names that hold a
 * dot themselves), with the rest of the path inside its JSON value. */
static bool dotted_has(const apr_array_header_t *claims, const char *name,
                       const char *value, apr_pool_t *p)
{
    for (const char *dot = strchr(name, '.'); dot; dot = strchr(dot + 1, '.')) {
        const aoidc_claim_t *c = aoidc_claims_get(
            claims, apr_pstrndup(p, name, (apr_size_t)(dot - name)));
        json_t *j;
        if (!c || !c->is_json || (c->value[0] != '{' && c->value[0] != '[')
            || !dot[1]) {
            continue;
        }
        if (aoidc_json_parse(&j, c->value, strlen(c->value),
                             AOIDC_CLAIM_MAX_VALUE, true, p, NULL)
                == APR_SUCCESS
            && path_has(j, dot + 1, value, 0, p)) {
            return true;
        }
    }
    return false;
}

bool aoidc_match_claim(const apr_array_header_t *claims, const char *name,
                       const char *value, apr_pool_t *p)
{
    const aoidc_claim_t *c = aoidc_claims_get(claims, name);
    if (c
        && (c->is_json ? json_has(c->value, value, p)
                       : !strcmp(c->value, value))) {
        return true;
    }
    return strchr(name, '.') && dotted_has(claims, name, value, p);
}

/* value is one of the space-separated words of list. */
static bool spaced_has(const char *list, const char *value)
{
    apr_size_t n = strlen(value);
    for (const char *s = list; n && (s = strstr(s, value)); s += n) {
        if ((s == list || s[-1] == ' ') && (s[n] == '\0' || s[n] == ' ')) {
            return true;
        }
    }
    return false;
}

/* scope: RFC 9068 (a space-separated string). scp: an array (Okta), or a
 * space-separated string like scope (Entra ID). */
bool aoidc_match_scope(const apr_array_header_t *claims, const char *value,
                       apr_pool_t *p)
{
    const aoidc_claim_t *c = aoidc_claims_get(claims, "scope");
    if (c && !c->is_json && spaced_has(c->value, value)) {
        return true;
    }
    c = aoidc_claims_get(claims, "scp");
    if (c) {
        return c->is_json ? json_has(c->value, value, p)
                          : spaced_has(c->value, value);
    }
    return false;
}

bool aoidc_match_acr(const apr_array_header_t *claims,
                     const apr_array_header_t *values)
{
    const aoidc_claim_t *c = aoidc_claims_get(claims, "acr");
    if (!c || c->is_json || !*c->value) {
        return false;
    }
    for (int i = 0; values && i < values->nelts; i++) {
        if (!strcmp(c->value, APR_ARRAY_IDX(values, i, const char *))) {
            return true;
        }
    }
    return false;
}

/* auth_time is a JSON number of seconds (OIDC Core 2); a fraction is
 * allowed and cut off, anything else (a string, an exponent) is not a
 * login time we can trust. */
static bool auth_time(const apr_array_header_t *claims, apr_int64_t *t)
{
    const aoidc_claim_t *c = aoidc_claims_get(claims, "auth_time");
    const char *s;
    apr_int64_t v = 0;
    if (!c || !c->is_json) {
        return false;
    }
    for (s = c->value; *s >= '0' && *s <= '9' && s - c->value < 16; s++) {
        v = v * 10 + (*s - '0');
    }
    if (s == c->value || (*s && *s != '.')) {
        return false;
    }
    for (s += *s == '.'; *s >= '0' && *s <= '9'; s++) {
    }
    *t = v;
    return *s == '\0';
}

bool aoidc_match_max_age(const apr_array_header_t *claims, apr_int64_t max_age,
                         apr_int64_t leeway, apr_time_t now)
{
    apr_int64_t at, n = (apr_int64_t)apr_time_sec(now);
    if (!auth_time(claims, &at)) {
        return false;
    }
    return at <= n + leeway && n - at <= max_age + leeway;
}

const char *aoidc_acr_join(const apr_array_header_t *acr_values, apr_pool_t *p)
{
    char *all = NULL;
    for (int i = 0; acr_values && i < acr_values->nelts; i++) {
        const char *v = APR_ARRAY_IDX(acr_values, i, const char *);
        all = all ? apr_pstrcat(p, all, " ", v, NULL) : apr_pstrdup(p, v);
    }
    return all;
}

const char *aoidc_stepup_params(const apr_array_header_t *acr_values,
                                apr_int64_t max_age, apr_pool_t *p)
{
    const char *acr = aoidc_acr_join(acr_values, p);
    return apr_psprintf(
        p, "%s%s%s%s", acr ? ", acr_values=\"" : "", acr ? acr : "",
        acr ? "\"" : "",
        max_age >= 0 ? apr_psprintf(p, ", max_age=%" APR_INT64_T_FMT, max_age)
                     : "");
}
