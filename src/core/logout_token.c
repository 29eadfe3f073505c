/* SPDX-License-Identifier: Apache-2.0 */
/* Back-Channel Logout token validation, its POST body, the front-channel
 * query (OIDC Back-Channel Logout 1.0 §2.4-§2.6, Front-Channel Logout 1.0
 * §2). */
#include <string.h>

#include "core/id_token.h"
#include "core/json.h"
#include "core/jwt.h"
#include "core/logout_token.h"
#include "core/url.h"

#define JTI_MAX 256

bool aoidc_logout_sid_ok(const char *sid)
{
    static const char extra[] = "-._~+/=:@";
    apr_size_t n = 0;
    for (const char *c = sid; c && *c; c++, n++) {
        bool alnum = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                     || (*c >= '0' && *c <= '9');
        if (!alnum && !strchr(extra, *c)) {
            return false;
        }
    }
    return n > 0 && n <= AOIDC_LOGOUT_SID_MAX;
}

/* §2.3 registers "logout+jwt"; RFC 8725 §3.11 lets the "application/" be
 * left out, and media types compare without regard to case. */
static bool typ_ok(const char *typ)
{
    return !typ || !strcasecmp(typ, "logout+jwt")
           || !strcasecmp(typ, "application/logout+jwt");
}

/* An OP-supplied number of seconds, clamped so the differences below
 * cannot overflow (INT64_MIN - now would). */
static bool num(apr_int64_t *out, const json_t *c, const char *name)
{
    if (!aoidc_json_int(c, name, out)) {
        return false;
    }
    if (*out < -1) {
        *out = -1;
    }
    else if (*out > AOIDC_TIME_MAX_SEC) {
        *out = AOIDC_TIME_MAX_SEC;
    }
    return true;
}

/* iat, exp and nbf. A logout token need not carry exp (the 1.0 drafts had
 * none, and OPs in the field still omit it), so its age is bounded by iat:
 * that also bounds how long the jti replay cache must remember it. */
static apr_status_t check_times(aoidc_logout_token_t *t, const json_t *c,
                                const aoidc_logout_token_rules_t *r,
                                apr_pool_t *p, aoidc_err_t *err)
{
    apr_int64_t now = (apr_int64_t)apr_time_sec(r->now), iat, v;
    apr_int64_t max_age =
        r->max_age > 0 ? r->max_age : AOIDC_LOGOUT_TOKEN_MAX_AGE;
    if (!num(&iat, c, "iat")) {
        return aoidc_err_set(err, AOIDC_REASON_IAT, p,
                             "logout token: iat missing or not a number");
    }
    if (iat - now > r->leeway) {
        return aoidc_err_set(err, AOIDC_REASON_NOT_YET_VALID, p,
                             "logout token: iat in the future");
    }
    if (now - iat > max_age + r->leeway) {
        return aoidc_err_set(err, AOIDC_REASON_IAT, p,
                             "logout token: iat %" APR_INT64_T_FMT
                             " older than %" APR_INT64_T_FMT " s",
                             iat, max_age);
    }
    if (json_object_get(c, "exp")
        && (!num(&v, c, "exp") || now - v > r->leeway)) {
        return aoidc_err_set(err, AOIDC_REASON_EXPIRED, p,
                             "logout token: expired or exp not a number");
    }
    if (json_object_get(c, "nbf")
        && (!num(&v, c, "nbf") || v - now > r->leeway)) {
        return aoidc_err_set(err, AOIDC_REASON_NOT_YET_VALID, p,
                             "logout token: nbf in the future or not a number");
    }
    t->iat = aoidc_time_from_epoch(iat);
    t->replay_until = aoidc_time_from_epoch(iat + max_age + r->leeway + 1);
    return APR_SUCCESS;
}

/* An optional non-empty string member; false when present but not one. */
static bool opt_str(const char **out, const json_t *c, const char *name)
{
    json_t *v = json_object_get(c, name);
    *out = json_is_string(v) ? json_string_value(v) : NULL;
    return !v || (*out && **out);
}

/* §2.6 steps 4-7 after the generic claims: the rules that keep an ID Token
 * (or any other JWT from the same OP) from passing as a logout token. */
static apr_status_t check_logout_claims(aoidc_logout_token_t *t,
                                        const json_t *c, apr_pool_t *p,
                                        aoidc_err_t *err)
{
    json_t *events = json_object_get(c, "events");
    const char *why = NULL;
    if (!opt_str(&t->jti, c, "jti") || !t->jti || strlen(t->jti) > JTI_MAX) {
        why = "jti missing, empty, not a string or too long";
    }
    else if (!json_is_object(events)
             || !json_is_object(json_object_get(events, AOIDC_LOGOUT_EVENT))) {
        why = "events has no backchannel-logout object";
    }
    else if (json_object_get(c, "nonce")) {
        why = "nonce present (an ID Token?)";
    }
    else if (!opt_str(&t->sub, c, "sub") || !opt_str(&t->sid, c, "sid")) {
        why = "sub or sid empty or not a string";
    }
    else if (!t->sub && !t->sid) {
        why = "neither sub nor sid";
    }
    else if (t->sid && !aoidc_logout_sid_ok(t->sid)) {
        why = "sid too long or with characters outside the allowed set";
    }
    if (why) {
        return aoidc_err_set(err, AOIDC_REASON_LOGOUT_TOKEN, p,
                             "logout token: %s", why);
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_logout_token_validate(aoidc_logout_token_t **out,
                                         const char *token, apr_size_t len,
                                         const aoidc_jwks_t *jwks,
                                         const aoidc_logout_token_rules_t *r,
                                         apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_id_token_rules_t idr = {0};
    aoidc_jws_t *jws;
    apr_status_t rv;
    idr.client_secret = r->client_secret;
    if ((rv = aoidc_jws_parse(&jws, token, len, p, err)) != APR_SUCCESS) {
        return rv;
    }
    if (!typ_ok(jws->typ)) {
        return aoidc_err_set(err, AOIDC_REASON_TYP, p,
                             "logout token: typ %.64s", jws->typ);
    }
    /* §2.6 step 3: the same keys and algorithms as ID Tokens */
    rv = aoidc_jws_verify(jws, jwks, aoidc_id_token_algs(&idr),
                          r->client_secret, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    const json_t *c = jws->payload;
    const char *iss = aoidc_json_str(c, "iss");
    if (!iss || !r->issuer || strcmp(iss, r->issuer)) {
        return aoidc_err_set(err, AOIDC_REASON_ISSUER, p,
                             "logout token: iss %.200s is not %.200s",
                             iss ? iss : "(missing)", r->issuer);
    }
    if (!r->client_id
        || !aoidc_jwt_aud_has(json_object_get(c, "aud"), r->client_id)) {
        return aoidc_err_set(err, AOIDC_REASON_AUDIENCE, p,
                             "logout token: aud does not contain %.200s",
                             r->client_id);
    }
    aoidc_logout_token_t *t = apr_pcalloc(p, sizeof(*t));
    if ((rv = check_times(t, c, r, p, err)) != APR_SUCCESS
        || (rv = check_logout_claims(t, c, p, err)) != APR_SUCCESS) {
        return rv;
    }
    /* the strings belong to the payload, which lives as long as p */
    *out = t;
    return APR_SUCCESS;
}

apr_status_t aoidc_logout_body_parse(const char **token, const char *body,
                                     apr_size_t len, apr_pool_t *p,
                                     aoidc_err_t *err)
{
    apr_table_t *t;
    apr_status_t rv;
    *token = NULL;
    if (len > AOIDC_LOGOUT_BODY_MAX) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "logout body of %" APR_SIZE_T_FMT " bytes", len);
    }
    if (len && memchr(body, '\0', len)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "logout body holds a NUL byte");
    }
    rv = aoidc_url_parse_query(&t, len ? apr_pstrmemdup(p, body, len) : "", 32,
                               p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    const char *v = aoidc_url_param(t, "logout_token");
    if (!v || !*v) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "logout body without logout_token");
    }
    if (strlen(v) > AOIDC_MAX_TOKEN_LEN) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p,
                             "logout_token too long");
    }
    *token = v;
    return APR_SUCCESS;
}

apr_status_t aoidc_logout_frontchannel_check(const char *iss, const char *sid,
                                             const char *issuer, apr_pool_t *p,
                                             aoidc_err_t *err)
{
    if (!iss || !sid) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "front-channel logout without iss and sid");
    }
    if (!issuer || strcmp(iss, issuer)) {
        return aoidc_err_set(err, AOIDC_REASON_ISSUER, p,
                             "front-channel logout: iss %.200s is not %.200s",
                             iss, issuer ? issuer : "(none)");
    }
    if (!aoidc_logout_sid_ok(sid)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "front-channel logout: malformed sid");
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_logout_frontchannel_parse(const char **sid,
                                             const char *query,
                                             const char *issuer, apr_pool_t *p,
                                             aoidc_err_t *err)
{
    apr_table_t *t;
    apr_status_t rv = aoidc_url_parse_query(&t, query ? query : "", 16, p, err);
    *sid = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    const char *s = aoidc_url_param(t, "sid");
    rv = aoidc_logout_frontchannel_check(aoidc_url_param(t, "iss"), s, issuer,
                                         p, err);
    if (rv == APR_SUCCESS) {
        *sid = s;
    }
    return rv;
}
