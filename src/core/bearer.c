/* SPDX-License-Identifier: Apache-2.0 */
/* Resource-server token rules. */
#include <string.h>

#include <apr_lib.h>

#include "core/bearer.h"
#include "core/json.h"

/* RFC 6750 §2.1 b64token characters, as a table: this runs over every
 * byte of every token on the hot path. */
static const unsigned char b64token[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['+'] = 1, ['/'] = 1, ['0'] = 1,
    ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
    ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1,
    ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* 16 bytes as one value (GCC and clang vector extension: SSE2 on x86-64,
 * NEON on arm64, bytes elsewhere) */
typedef unsigned char b64t_v16 __attribute__((vector_size(16)));

/* All 16 bytes at s are b64token characters: the table above, as ranges.
 * c | 0x20 is a lower-case letter exactly when c is a letter; '-' to '9'
 * is "-./" and the digits. */
static bool block_b64token(const unsigned char *s)
{
    b64t_v16 c, ok;
    apr_uint64_t lo, hi;
    memcpy(&c, s, 16);
    ok = (b64t_v16)((b64t_v16)((c | 0x20) - 'a') < 26)
         | (b64t_v16)((b64t_v16)(c - '-') < 13) | (b64t_v16)(c == '+')
         | (b64t_v16)(c == '_') | (b64t_v16)(c == '~');
    memcpy(&lo, &ok, 8);
    memcpy(&hi, (const unsigned char *)&ok + 8, 8);
    return (lo & hi) == ~(apr_uint64_t)0;
}

bool aoidc_bearer_token_syntax_ok(const char *t)
{
    /* b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
     *            *"=" */
    const unsigned char *s = (const unsigned char *)t;
    apr_size_t n = strlen(t), i = 0;
    /* sixteen at a time within the string (~1 KB per JWT), then one at a
     * time from the first block that is not all token characters */
    while (i + 16 <= n && block_b64token(s + i)) {
        i += 16;
    }
    s += i;
    while (b64token[*s]) {
        s++;
    }
    if (s == (const unsigned char *)t) {
        return false; /* at least one character before any '=' */
    }
    while (*s == '=') {
        s++;
    }
    return *s == '\0' && (s - (const unsigned char *)t) <= AOIDC_MAX_TOKEN_LEN;
}

static bool is_scheme(const char *s, const char *name, apr_size_t n)
{
    return !strncasecmp(s, name, n) && (!s[n] || s[n] == ' ' || s[n] == '\t');
}

apr_status_t aoidc_token_from_header(const char **token, bool *dpop,
                                     const char *authorization, apr_pool_t *p,
                                     aoidc_err_t *err)
{
    apr_status_t rv =
        aoidc_token_from_header_unchecked(token, dpop, authorization, p, err);
    if (rv == APR_SUCCESS && !aoidc_bearer_token_syntax_ok(*token)) {
        *token = NULL;
        return aoidc_err_set(err, AOIDC_REASON_BEARER_SYNTAX, p,
                             "Bearer credentials are not one b64token");
    }
    return rv;
}

apr_status_t aoidc_token_from_header_unchecked(const char **token, bool *dpop,
                                               const char *authorization,
                                               apr_pool_t *p, aoidc_err_t *err)
{
    const char *s = authorization;
    *token = NULL;
    *dpop = false;
    if (!s) {
        aoidc_err_set(err, AOIDC_REASON_NO_CREDENTIALS, p, "no Authorization");
        return APR_NOTFOUND;
    }
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (is_scheme(s, "DPoP", 4)) {
        *dpop = true;
        s += 4;
    }
    else if (is_scheme(s, "Bearer", 6)) {
        s += 6;
    }
    else {
        aoidc_err_set(err, AOIDC_REASON_NO_CREDENTIALS, p,
                      "Authorization is not Bearer");
        return APR_NOTFOUND;
    }
    if (*s != ' ') {
        return aoidc_err_set(err, AOIDC_REASON_BEARER_SYNTAX, p,
                             "Bearer without token");
    }
    while (*s == ' ') {
        s++;
    }
    apr_size_t len = strlen(s), n = len;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    /* the header's own bytes (they live as long as the request) unless
     * trailing blanks must go */
    *token = n == len ? s : apr_pstrmemdup(p, s, n);
    return APR_SUCCESS;
}

apr_status_t aoidc_bearer_from_header(const char **token,
                                      const char *authorization, apr_pool_t *p,
                                      aoidc_err_t *err)
{
    bool dpop;
    apr_status_t rv =
        aoidc_token_from_header(token, &dpop, authorization, p, err);
    if (rv == APR_SUCCESS && dpop) {
        *token = NULL;
        aoidc_err_set(err, AOIDC_REASON_NO_CREDENTIALS, p,
                      "Authorization is not Bearer");
        return APR_NOTFOUND;
    }
    return rv;
}

bool aoidc_bearer_is_jwt(const char *token)
{
    const char *d = strchr(token, '.');
    return d && strchr(d + 1, '.') != NULL;
}

/* RFC 7515 §4.1.9: typ is a media type, compared case-insensitively, and
 * "application/" may be left out. A JWT of another kind (logout+jwt,
 * secevent+jwt, dpop+jwt, ...) signed by the same OP is not an access
 * token (RFC 8725 §3.11), whatever its claims say. */
static bool typ_acceptable(const char *typ, bool *at)
{
    static const char *const ok[] = {"jwt", "application/jwt", "at+jwt",
                                     "application/at+jwt"};
    *at = false;
    if (!typ) {
        return true;
    }
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!strcasecmp(typ, ok[i])) {
            *at = i >= 2;
            return true;
        }
    }
    return false;
}

apr_status_t aoidc_bearer_validate_jwt(const aoidc_jws_t *jws,
                                       const aoidc_jwks_t *jwks,
                                       const aoidc_at_rules_t *r,
                                       aoidc_jwt_reg_t *reg, apr_pool_t *p,
                                       aoidc_err_t *err)
{
    apr_status_t rv;
    aoidc_jwt_rules_t jr = {r->issuer, r->audience, NULL, r->now,
                            r->leeway, false,       false};
    bool typ_at;
    bool typ_ok = typ_acceptable(jws->typ, &typ_at);

    if (jws->members.m) {
        aoidc_jwt_reg_from_members(reg, &jws->members, p);
    }
    else {
        aoidc_jwt_reg_from_json(reg, jws->payload, p);
    }
    rv = aoidc_jws_verify(jws, jwks, AOIDC_ALGS_ASYMMETRIC, NULL, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!typ_ok) {
        return aoidc_err_set(err, AOIDC_REASON_TYP, p,
                             "access token: typ %.32s is not an access token",
                             jws->typ);
    }
    if (r->require_typ && !typ_at) {
        return aoidc_err_set(err, AOIDC_REASON_TYP, p,
                             "access token: typ is not at+jwt");
    }
    /* RFC 9068 §4 / RFC 8725 §3.11: an ID Token is not an access token. */
    if (!typ_at && (reg->nonce || reg->at_hash || reg->c_hash)) {
        return aoidc_err_set(err, AOIDC_REASON_ID_TOKEN_AS_AT, p,
                             "access token: looks like an ID Token");
    }
    return aoidc_jwt_check_reg(reg, &jr, p, err);
}

apr_status_t aoidc_bearer_introspection_parse(json_t **claims, int status,
                                              const char *body, apr_size_t len,
                                              const aoidc_at_rules_t *r,
                                              apr_pool_t *p, aoidc_err_t *err)
{
    json_t *j;
    apr_int64_t exp;
    if (status != 200
        || aoidc_json_parse(&j, body, len, AOIDC_MAX_JSON_LEN, false, p, err)
               != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "introspection: status %d or not JSON", status);
    }
    json_t *active = json_object_get(j, "active");
    if (!json_is_boolean(active)) {
        return aoidc_err_set(err, AOIDC_REASON_OP_BAD_RESPONSE, p,
                             "introspection: no active member");
    }
    if (!json_is_true(active)) {
        return aoidc_err_set(err, AOIDC_REASON_INACTIVE, p,
                             "introspection: token inactive");
    }
    const char *iss = aoidc_json_str(j, "iss");
    if (json_object_get(j, "iss") && (!iss || strcmp(iss, r->issuer))) {
        return aoidc_err_set(err, AOIDC_REASON_ISSUER, p,
                             "introspection: iss differs");
    }
    if (json_object_get(j, "aud")
        && !aoidc_jwt_aud_has(json_object_get(j, "aud"), r->audience)) {
        return aoidc_err_set(err, AOIDC_REASON_AUDIENCE, p,
                             "introspection: aud lacks %.200s", r->audience);
    }
    if (json_object_get(j, "exp")
        && (!aoidc_json_int(j, "exp", &exp)
            || (apr_int64_t)apr_time_sec(r->now) - r->leeway > exp)) {
        return aoidc_err_set(err, AOIDC_REASON_EXPIRED, p,
                             "introspection: expired");
    }
    *claims = j;
    return APR_SUCCESS;
}

apr_time_t aoidc_bearer_cache_until_exp(const aoidc_jwt_num_t *exp,
                                        apr_time_t now, apr_interval_time_t ttl)
{
    apr_time_t until = ttl > 0 ? now + ttl : now;
    if (exp->num) {
        apr_time_t at = aoidc_time_from_epoch(exp->v);
        if (at < until) {
            until = at;
        }
    }
    return until;
}

apr_time_t aoidc_bearer_cache_until(const json_t *claims, apr_time_t now,
                                    apr_interval_time_t ttl)
{
    aoidc_jwt_num_t exp = {false, false, 0};
    exp.num = aoidc_json_int(claims, "exp", &exp.v);
    return aoidc_bearer_cache_until_exp(&exp, now, ttl);
}

static const char *quote(const char *s, apr_pool_t *p)
{
    apr_size_t n = strlen(s);
    char *out = apr_palloc(p, 2 * n + 1), *o = out;
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            continue;
        }
        if (*s == '"' || *s == '\\') {
            *o++ = '\\';
        }
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

char *aoidc_bearer_challenge(const char *realm, const char *error,
                             const char *description, const char *scope,
                             apr_pool_t *p)
{
    char *c = apr_pstrcat(p, "Bearer realm=\"", quote(realm ? realm : "", p),
                          "\"", NULL);
    if (error) {
        c = apr_pstrcat(p, c, ", error=\"", error, "\"", NULL);
    }
    if (description) {
        c = apr_pstrcat(p, c, ", error_description=\"", quote(description, p),
                        "\"", NULL);
    }
    if (scope) {
        c = apr_pstrcat(p, c, ", scope=\"", quote(scope, p), "\"", NULL);
    }
    return c;
}

char *aoidc_dpop_challenge(const char *realm, const char *error,
                           const char *description, apr_pool_t *p)
{
    char *c = apr_pstrcat(p, "DPoP realm=\"", quote(realm ? realm : "", p),
                          "\", algs=\"RS256 RS384 RS512 PS256 PS384 PS512 "
                          "ES256 ES384 ES512\"",
                          NULL);
    if (error) {
        c = apr_pstrcat(p, c, ", error=\"", error, "\"", NULL);
    }
    if (description) {
        c = apr_pstrcat(p, c, ", error_description=\"", quote(description, p),
                        "\"", NULL);
    }
    return c;
}

#define ENTRY_V1 1
#define ENTRY_V2 2 /* v1 + the JWS signature the verdict is for */

void aoidc_bearer_entry_encode_sig(unsigned char **out, apr_size_t *len,
                                   apr_time_t until, bool active,
                                   const unsigned char *sig, apr_size_t siglen,
                                   const apr_array_header_t *claims,
                                   apr_pool_t *p)
{
    aoidc_wbuf_t w;
    aoidc_codec_init(&w, 1024, p);
    aoidc_codec_put_u8(&w, siglen ? ENTRY_V2 : ENTRY_V1);
    aoidc_codec_put_u64(&w, (apr_uint64_t)until);
    aoidc_codec_put_u8(&w, active);
    if (siglen) {
        aoidc_codec_put_bytes(&w, sig, siglen);
    }
    aoidc_claims_encode(&w, claims);
    *out = w.buf;
    *len = w.len;
}

void aoidc_bearer_entry_encode(unsigned char **out, apr_size_t *len,
                               apr_time_t until, bool active,
                               const apr_array_header_t *claims, apr_pool_t *p)
{
    aoidc_bearer_entry_encode_sig(out, len, until, active, NULL, 0, claims, p);
}

apr_status_t aoidc_bearer_entry_decode_sig(
    apr_time_t *until, bool *active, const unsigned char **sig,
    apr_size_t *siglen, apr_array_header_t **claims, const unsigned char *buf,
    apr_size_t len, apr_pool_t *p, aoidc_err_t *err)
{
    aoidc_rbuf_t r;
    aoidc_codec_reader(&r, buf, len);
    unsigned v = aoidc_codec_get_u8(&r);
    *until = (apr_time_t)aoidc_codec_get_u64(&r);
    *active = aoidc_codec_get_u8(&r) != 0;
    *sig = NULL;
    *siglen = 0;
    if (v == ENTRY_V2) {
        /* a v2 entry always has one: an empty one is written as v1 */
        *sig = aoidc_codec_get_bytes(&r, siglen);
        r.bad = r.bad || !*siglen;
    }
    *claims = aoidc_claims_decode(&r, p);
    if (r.bad || r.left || (v != ENTRY_V1 && v != ENTRY_V2)) {
        *sig = NULL;
        *siglen = 0;
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                             "token cache: bad entry");
    }
    return APR_SUCCESS;
}

apr_status_t aoidc_bearer_entry_decode(apr_time_t *until, bool *active,
                                       apr_array_header_t **claims,
                                       const unsigned char *buf, apr_size_t len,
                                       apr_pool_t *p, aoidc_err_t *err)
{
    const unsigned char *sig;
    apr_size_t siglen;
    return aoidc_bearer_entry_decode_sig(until, active, &sig, &siglen, claims,
                                         buf, len, p, err);
}
