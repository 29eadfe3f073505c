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

apr_status_t aoidc_jwt_check(const json_t *c, const aoidc_jwt_rules_t *r,
                             apr_pool_t *p, aoidc_err_t *err)
{
    apr_int64_t now = (apr_int64_t)apr_time_sec(r->now), t;
    const char *iss = aoidc_json_str(c, "iss");
    json_t *aud = json_object_get(c, "aud");
    const char *azp = aoidc_json_str(c, "azp");

    if (!iss || !r->issuer || strcmp(iss, r->issuer)) {
        return aoidc_err_set(err, AOIDC_REASON_ISSUER, p,
                             "jwt: iss %.200s is not %.200s",
                             iss ? iss : "(missing)", r->issuer);
    }
    if (!r->audience || !aoidc_jwt_aud_has(aud, r->audience)) {
        return aoidc_err_set(err, AOIDC_REASON_AUDIENCE, p,
                             "jwt: aud does not contain %.200s", r->audience);
    }
    if (r->azp) {
        /* OIDC Core 3.1.3.7 (4)(5) */
        if ((json_is_array(aud) && json_array_size(aud) > 1 && !azp)
            || (json_object_get(c, "azp") && (!azp || strcmp(azp, r->azp)))) {
            return aoidc_err_set(err, AOIDC_REASON_AZP, p,
                                 "jwt: azp missing or not our client");
        }
    }
    if (!aoidc_json_int(c, "exp", &t)) {
        return aoidc_err_set(err, AOIDC_REASON_EXPIRED, p, "jwt: exp missing");
    }
    if (now - r->leeway > t) {
        return aoidc_err_set(err, AOIDC_REASON_EXPIRED, p,
                             "jwt: expired (exp %" APR_INT64_T_FMT ")", t);
    }
    if (json_object_get(c, "nbf")) {
        if (!aoidc_json_int(c, "nbf", &t) || t > now + r->leeway) {
            return aoidc_err_set(err, AOIDC_REASON_NOT_YET_VALID, p,
                                 "jwt: nbf in the future or not a number");
        }
    }
    if (json_object_get(c, "iat") || r->require_iat) {
        if (!aoidc_json_int(c, "iat", &t)) {
            return aoidc_err_set(err, AOIDC_REASON_IAT, p,
                                 "jwt: iat missing or not a number");
        }
        if (t > now + r->leeway) {
            return aoidc_err_set(err, AOIDC_REASON_NOT_YET_VALID, p,
                                 "jwt: iat in the future");
        }
    }
    if (r->require_sub) {
        const char *sub = aoidc_json_str(c, "sub");
        if (!sub || !*sub) {
            return aoidc_err_set(err, AOIDC_REASON_SUB, p, "jwt: sub missing");
        }
    }
    return APR_SUCCESS;
}
