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

bool aoidc_match_claim(const apr_array_header_t *claims, const char *name,
                       const char *value, apr_pool_t *p)
{
    const aoidc_claim_t *c = aoidc_claims_get(claims, name);
    if (!c) {
        return false;
    }
    return c->is_json ? json_has(c->value, value, p) : !strcmp(c->value, value);
}

bool aoidc_match_scope(const apr_array_header_t *claims, const char *value,
                       apr_pool_t *p)
{
    const aoidc_claim_t *c = aoidc_claims_get(claims, "scope");
    apr_size_t n = strlen(value);
    if (c && !c->is_json && n) {
        for (const char *s = c->value; (s = strstr(s, value)); s += n) {
            if ((s == c->value || s[-1] == ' ')
                && (s[n] == '\0' || s[n] == ' ')) {
                return true;
            }
        }
    }
    c = aoidc_claims_get(claims, "scp");
    if (c) {
        return c->is_json ? json_has(c->value, value, p)
                          : !strcmp(c->value, value);
    }
    return false;
}
