/* SPDX-License-Identifier: Apache-2.0 */
/* core/bearer.c: RFC 6750 extraction, RFC 9068 access tokens, RFC 7662
 * answers, challenges and the validated-token cache entry. */
#include <string.h>

#include "core/bearer.h"
#include "core/json.h"
#include "unit.h"

/* --- Authorization header ------------------------------------------- */

START_TEST(header_ok)
{
    static const struct {
        const char *hdr, *tok;
    } ok[] = {
        {"Bearer abc", "abc"},
        {"bearer abc", "abc"},
        {"BEARER abc", "abc"},
        {"BeArEr a.b.c", "a.b.c"},
        {"Bearer  abc", "abc"},
        {"Bearer abc ", "abc"},
        {"Bearer abc\t", "abc"},
        {"  Bearer abc", "abc"},
        {"Bearer mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM"},
        {"Bearer a~+/=", "a~+/="},
        {"Bearer abc==", "abc=="},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        const char *t = NULL;
        aoidc_err_t err = {0};
        ck_assert_ok(aoidc_bearer_from_header(&t, ok[i].hdr, tp, &err), err);
        ck_assert_str_eq(t, ok[i].tok);
    }
}
END_TEST

START_TEST(header_not_bearer)
{
    static const char *const no[] = {
        "Basic dXNlcjpwYXNz", "Bearerabc", "Bear abc",   "", "   ",
        "DPoP abc",           "Token abc", "Bearer-abc",
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        const char *t = "x";
        aoidc_err_t err = {0};
        ck_assert_int_eq(aoidc_bearer_from_header(&t, no[i], tp, &err),
                         APR_NOTFOUND);
        ck_assert_int_eq(err.reason, AOIDC_REASON_NO_CREDENTIALS);
        ck_assert_ptr_null(t);
    }
    const char *t = "x";
    aoidc_err_t err = {0};
    ck_assert_int_eq(aoidc_bearer_from_header(&t, NULL, tp, &err),
                     APR_NOTFOUND);
    ck_assert_int_eq(err.reason, AOIDC_REASON_NO_CREDENTIALS);
}
END_TEST

START_TEST(header_bad_syntax)
{
    static const char *const bad[] = {
        "Bearer",             /* no token */
        "Bearer ",            /* no token */
        "Bearer   ",          /* no token */
        "bearer",             /* no token, any case */
        "Bearer\tabc",        /* RFC 6750: 1*SP */
        "Bearer abc def",     /* two tokens */
        "Bearer abc,def",     /* list */
        "Bearer a\"b",        /* quote */
        "Bearer ab=c",        /* '=' only at the end */
        "Bearer =abc",        /* '=' only at the end */
        "Bearer a\\b",        /* backslash */
        "Bearer a;b",         /* semicolon */
        "Bearer abc\r\nX: y", /* header injection */
        "Bearer \xc3\xa9",    /* non-ASCII */
        "Bearer realm=\"x\"", /* auth-param form */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *t = "x";
        aoidc_err_t err = {0};
        apr_status_t rv = aoidc_bearer_from_header(&t, bad[i], tp, &err);
        ck_assert_msg(rv != APR_SUCCESS && rv != APR_NOTFOUND, "'%s'", bad[i]);
        ck_assert_msg(err.reason == AOIDC_REASON_BEARER_SYNTAX, "'%s': %s",
                      bad[i], aoidc_reason_name(err.reason));
        ck_assert_ptr_null(t);
    }
}
END_TEST

START_TEST(header_token_length)
{
    const char *t;
    aoidc_err_t err = {0};
    char *h = apr_palloc(tp, AOIDC_MAX_TOKEN_LEN + 9);
    memcpy(h, "Bearer ", 7);
    memset(h + 7, 'a', AOIDC_MAX_TOKEN_LEN + 1);
    h[7 + AOIDC_MAX_TOKEN_LEN] = '\0';
    ck_assert_ok(aoidc_bearer_from_header(&t, h, tp, &err), err);
    h[7 + AOIDC_MAX_TOKEN_LEN] = 'a';
    h[8 + AOIDC_MAX_TOKEN_LEN] = '\0';
    ck_assert_reason(aoidc_bearer_from_header(&t, h, tp, &err), err,
                     AOIDC_REASON_BEARER_SYNTAX);
}
END_TEST

START_TEST(syntax_and_shape)
{
    ck_assert(aoidc_bearer_token_syntax_ok("a"));
    ck_assert(aoidc_bearer_token_syntax_ok("a="));
    ck_assert(aoidc_bearer_token_syntax_ok("Az09-._~+/=="));
    ck_assert(!aoidc_bearer_token_syntax_ok(""));
    ck_assert(!aoidc_bearer_token_syntax_ok("a=b"));
    ck_assert(!aoidc_bearer_token_syntax_ok("a b"));
    ck_assert(!aoidc_bearer_token_syntax_ok("a%20b"));
    ck_assert(aoidc_bearer_is_jwt("a.b.c"));
    ck_assert(aoidc_bearer_is_jwt("..")); /* shape only */
    ck_assert(!aoidc_bearer_is_jwt("a.b"));
    ck_assert(!aoidc_bearer_is_jwt("opaque-token"));
    ck_assert(!aoidc_bearer_is_jwt(""));
}
END_TEST

/* The check reads sixteen bytes at a time: every byte value at every
 * position of a 50-byte token (three blocks and a tail) against the
 * grammar, written out one character at a time. */
static bool b64token_ref(const char *t)
{
    const char *s = t;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')
           || (*s >= '0' && *s <= '9') || (*s && strchr("-._~+/", *s))) {
        s++;
    }
    if (s == t) {
        return false;
    }
    while (*s == '=') {
        s++;
    }
    return *s == '\0';
}

START_TEST(syntax_every_byte_every_position)
{
    char t[51];
    int accepted = 0;
    for (int pos = 0; pos < 50; pos++) {
        for (int c = 1; c < 256; c++) {
            memset(t, 'a', 50);
            t[50] = '\0';
            t[pos] = (char)c;
            ck_assert_msg(aoidc_bearer_token_syntax_ok(t) == b64token_ref(t),
                          "byte 0x%02x at %d", c, pos);
            accepted += b64token_ref(t);
        }
        /* padding from pos on */
        memset(t + pos, '=', 50 - pos);
        ck_assert(aoidc_bearer_token_syntax_ok(t) == (pos > 0));
    }
    ck_assert_int_eq(accepted, 50 * 68 + 1); /* 68 characters; "=" last */
}
END_TEST

START_TEST(b64token_needs_a_character)
{
    /* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
     * "+" / "/" ) *"=": padding alone is not a token */
    const char *t = "x";
    aoidc_err_t err = {0};
    ck_assert(!aoidc_bearer_token_syntax_ok("="));
    ck_assert(!aoidc_bearer_token_syntax_ok("==="));
    ck_assert_reason(aoidc_bearer_from_header(&t, "Bearer ===", tp, &err), err,
                     AOIDC_REASON_BEARER_SYNTAX);
}
END_TEST

/* --- JWT access tokens ----------------------------------------------- */

static aoidc_at_rules_t at_rules(void)
{
    aoidc_at_rules_t r = {T_ISS, "api://default", T_NOW, 60, false};
    return r;
}

static json_t *at_claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss", T_ISS, "aud",
                     "api://default", "sub", "alice", "client_id", "c1", "iat",
                     (json_int_t)T_NOW_SEC - 5, "exp",
                     (json_int_t)T_NOW_SEC + 300, "scope", "api:read");
}

static apr_status_t validate(const char *tok, const aoidc_at_rules_t *r,
                             aoidc_err_t *err)
{
    aoidc_jws_t *j;
    aoidc_jwt_reg_t reg;
    ck_assert_ok(aoidc_jws_parse(&j, tok, strlen(tok), tp, err), *err);
    return aoidc_bearer_validate_jwt(j, aoidc_test_jwks(tp), r, &reg, tp, err);
}

static char *sign(const char *alg, const char *kid, const char *typ, json_t *c)
{
    const char *key = alg[0] == 'E' ? "ec-p256" : "rsa2048";
    return aoidc_test_sign(aoidc_test_key(key, tp), alg, kid, typ, c, tp);
}

START_TEST(at_ok)
{
    aoidc_at_rules_t r = at_rules();
    aoidc_err_t err = {0};
    ck_assert_ok(
        validate(sign("RS256", "rsa-1", "at+jwt", at_claims()), &r, &err), err);
    ck_assert_ok(
        validate(sign("ES256", "ec-1", "application/at+jwt", at_claims()), &r,
                 &err),
        err);
    ck_assert_ok(
        validate(sign("PS256", "rsa-1", "AT+JWT", at_claims()), &r, &err), err);
    /* typ is optional unless required; iat/sub are optional */
    json_t *c = at_claims();
    json_object_del(c, "iat");
    json_object_del(c, "sub");
    ck_assert_ok(validate(sign("RS256", "rsa-1", NULL, c), &r, &err), err);
    ck_assert_ok(validate(sign("RS256", "rsa-1", "JWT", at_claims()), &r, &err),
                 err);
}
END_TEST

START_TEST(at_require_typ)
{
    aoidc_at_rules_t r = at_rules();
    aoidc_err_t err = {0};
    r.require_typ = true;
    ck_assert_ok(
        validate(sign("RS256", "rsa-1", "at+jwt", at_claims()), &r, &err), err);
    ck_assert_reason(
        validate(sign("RS256", "rsa-1", "JWT", at_claims()), &r, &err), err,
        AOIDC_REASON_TYP);
    ck_assert_reason(
        validate(sign("RS256", "rsa-1", NULL, at_claims()), &r, &err), err,
        AOIDC_REASON_TYP);
    ck_assert_reason(
        validate(sign("RS256", "rsa-1", "at+jwt2", at_claims()), &r, &err), err,
        AOIDC_REASON_TYP);
}
END_TEST

START_TEST(at_other_typ_refused)
{
    /* security review finding 10: a JWT of another kind signed by the same
     * OP was accepted whenever at+jwt was not required */
    static const char *const bad[] = {
        "logout+jwt",
        "secevent+jwt",
        "dpop+jwt",
        "application/logout+jwt",
        "JOSE",
        "JOSE+JSON",
        "",
        "jwt ",
        " at+jwt",
        "at+jwt;x=1",
        "application/",
        "id_token+jwt",
        "token-introspection+jwt",
    };
    static const char *const good[] = {"JWT",
                                       "jwt",
                                       "application/jwt",
                                       "Application/JWT",
                                       "at+jwt",
                                       "APPLICATION/AT+JWT"};
    aoidc_at_rules_t r = at_rules();
    aoidc_err_t err = {0};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        apr_status_t rv =
            validate(sign("RS256", "rsa-1", bad[i], at_claims()), &r, &err);
        ck_assert_msg(rv != APR_SUCCESS && err.reason == AOIDC_REASON_TYP,
                      "typ \"%s\": %s", bad[i], aoidc_reason_name(err.reason));
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_ok(
            validate(sign("RS256", "rsa-1", good[i], at_claims()), &r, &err),
            err);
    }
    /* refused with require_typ too, of course */
    r.require_typ = true;
    ck_assert_reason(
        validate(sign("RS256", "rsa-1", "logout+jwt", at_claims()), &r, &err),
        err, AOIDC_REASON_TYP);
}
END_TEST

START_TEST(at_exp_extremes)
{
    /* security review finding 12: exp near INT64_MAX must not overflow
     * anywhere (UBSan aborts this test otherwise) */
    aoidc_at_rules_t r = at_rules();
    aoidc_err_t err = {0};
    json_t *c = at_claims();
    json_object_set_new(c, "exp", json_integer(INT64_MAX));
    json_object_set_new(c, "nbf", json_integer(INT64_MIN));
    ck_assert_ok(validate(sign("RS256", "rsa-1", "at+jwt", c), &r, &err), err);
    c = at_claims();
    json_object_set_new(c, "exp", json_integer(INT64_MIN));
    ck_assert_reason(validate(sign("RS256", "rsa-1", "at+jwt", c), &r, &err),
                     err, AOIDC_REASON_EXPIRED);
    c = at_claims();
    json_object_set_new(c, "iat", json_integer(INT64_MAX));
    ck_assert_reason(validate(sign("RS256", "rsa-1", "at+jwt", c), &r, &err),
                     err, AOIDC_REASON_NOT_YET_VALID);
}
END_TEST

START_TEST(cache_until)
{
    apr_interval_time_t ttl = apr_time_from_sec(300);
    json_t *c = json_object();
    /* no exp: the TTL */
    ck_assert_int_eq(aoidc_bearer_cache_until(c, T_NOW, ttl), T_NOW + ttl);
    json_object_set_new(c, "exp", json_integer(T_NOW_SEC + 60));
    ck_assert_int_eq(aoidc_bearer_cache_until(c, T_NOW, ttl),
                     T_NOW + apr_time_from_sec(60));
    json_object_set_new(c, "exp", json_integer(T_NOW_SEC + 6000));
    ck_assert_int_eq(aoidc_bearer_cache_until(c, T_NOW, ttl), T_NOW + ttl);
    /* hostile values: clamped, never wrapped */
    json_object_set_new(c, "exp", json_integer(INT64_MAX));
    ck_assert_int_eq(aoidc_bearer_cache_until(c, T_NOW, ttl), T_NOW + ttl);
    json_object_set_new(c, "exp", json_real(9.1e18));
    ck_assert_int_eq(aoidc_bearer_cache_until(c, T_NOW, ttl), T_NOW + ttl);
    json_object_set_new(c, "exp", json_integer(INT64_MIN));
    ck_assert_int_le(aoidc_bearer_cache_until(c, T_NOW, ttl), T_NOW);
    json_object_set_new(c, "exp", json_integer(-1));
    ck_assert_int_le(aoidc_bearer_cache_until(c, T_NOW, ttl), T_NOW);
    json_object_set_new(c, "exp", json_string("soon"));
    ck_assert_int_eq(aoidc_bearer_cache_until(c, T_NOW, ttl), T_NOW + ttl);
    json_decref(c);
}
END_TEST

START_TEST(at_id_token_refused)
{
    aoidc_at_rules_t r = at_rules();
    aoidc_err_t err = {0};
    static const char *const marks[] = {"nonce", "at_hash", "c_hash"};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = at_claims();
        json_object_set_new(c, marks[i], json_string("x"));
        ck_assert_reason(validate(sign("RS256", "rsa-1", "JWT", c), &r, &err),
                         err, AOIDC_REASON_ID_TOKEN_AS_AT);
        c = at_claims();
        json_object_set_new(c, marks[i], json_string("x"));
        ck_assert_reason(validate(sign("RS256", "rsa-1", NULL, c), &r, &err),
                         err, AOIDC_REASON_ID_TOKEN_AS_AT);
    }
    /* an ID Token for a client whose id equals the audience */
    json_t *id =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", T_ISS, "aud",
                  "api://default", "sub", "alice", "nonce", "n", "iat",
                  (json_int_t)T_NOW_SEC, "exp", (json_int_t)T_NOW_SEC + 60);
    ck_assert_reason(validate(sign("RS256", "rsa-1", "JWT", id), &r, &err), err,
                     AOIDC_REASON_ID_TOKEN_AS_AT);
}
END_TEST

/* The lean parse (rs.c) reads a plain payload as members and falls back
 * to jansson for the rest (an escape, a byte outside ASCII, a real); both
 * give the verdicts, the registered claims and the claims of the full
 * parse. */
static const struct {
    const char *name; /* the claim set to lean_value(i) */
    aoidc_reason_t reason;
    bool members;
} lean_cases[] = {
    {NULL, 0, true},
    {"scope", 0, false}, /* "a\"b": an escape */
    {"sub", 0, false},   /* "caf\xc3\xa9" */
    {"exp", 0, false},   /* a real, integral: aoidc_json_int reads it */
    {"exp", AOIDC_REASON_EXPIRED, true},  /* past */
    {"exp", AOIDC_REASON_EXPIRED, false}, /* past, as a real */
    {"nonce", AOIDC_REASON_ID_TOKEN_AS_AT, true},
    {"nonce", AOIDC_REASON_ID_TOKEN_AS_AT, false}, /* "\n" */
    {"aud", 0, false},                    /* ["x\\y","api://default"] */
    {"aud", AOIDC_REASON_AUDIENCE, true}, /* [1,"api://x"] */
    {"iat", AOIDC_REASON_IAT, false},     /* "\t" */
};

static json_t *lean_value(size_t i)
{
    switch (i) {
    case 1:
        return json_string("a\"b");
    case 2:
        return json_string("caf\xc3\xa9");
    case 3:
        return json_real((double)T_NOW_SEC + 300);
    case 4:
        return json_integer(T_NOW_SEC - 3600);
    case 5:
        return json_real((double)T_NOW_SEC - 3600);
    case 6:
        return json_null();
    case 7:
        return json_string("\n");
    case 8:
        return json_pack("[s,s]", "x\\y", "api://default");
    case 9:
        return json_pack("[i,s]", 1, "api://x");
    case 10:
        return json_string("\t");
    default:
        return NULL;
    }
}

START_TEST(at_lean_same_verdicts)
{
    static const char *const keep[] = {"sub", "cnf", NULL};
    aoidc_at_rules_t r = at_rules();
    json_t *c = at_claims();
    aoidc_jws_t *lean, *full;
    aoidc_jwt_reg_t rl, rf;
    aoidc_err_t el = {0}, ef = {0};
    apr_array_header_t *cl;
    if (lean_cases[_i].name) {
        json_object_set_new(c, lean_cases[_i].name, lean_value(_i));
    }
    char *t = sign("RS256", "rsa-1", NULL, c);
    ck_assert_ok(aoidc_jws_parse_lean(&lean, t, strlen(t), tp, &el), el);
    ck_assert_ok(aoidc_jws_parse(&full, t, strlen(t), tp, &ef), ef);
    ck_assert_msg(!lean->members.m == !lean_cases[_i].members, "case %d", _i);
    ck_assert(!lean->payload == !!lean->members.m);
    ck_assert_ptr_null(full->members.m);
    apr_status_t a =
        aoidc_bearer_validate_jwt(lean, aoidc_test_jwks(tp), &r, &rl, tp, &el);
    apr_status_t b =
        aoidc_bearer_validate_jwt(full, aoidc_test_jwks(tp), &r, &rf, tp, &ef);
    ck_assert_msg(a == b && el.reason == ef.reason, "case %d: %s vs %s", _i,
                  aoidc_reason_name(el.reason), aoidc_reason_name(ef.reason));
    ck_assert_msg(ef.reason == lean_cases[_i].reason, "case %d: %s", _i,
                  aoidc_reason_name(ef.reason));
    ck_assert(rl.exp.num == rf.exp.num && rl.exp.v == rf.exp.v);
    ck_assert(rl.nonce == rf.nonce && rl.aud_n == rf.aud_n);
    ck_assert_str_eq(rl.iss, rf.iss);
    /* the claims the RS would keep (rs.c) */
    cl = lean->members.m
             ? aoidc_claims_from_members(&lean->members, keep, tp)
             : aoidc_claims_add_json_keep(NULL, lean->payload, keep, tp);
    aoidc_test_same_claims(
        cl, aoidc_claims_add_json_keep(NULL, full->payload, keep, tp));
    ck_assert_int_ge(cl->nelts, 6);
}
END_TEST

START_TEST(at_rules_enforced)
{
    aoidc_at_rules_t r = at_rules();
    aoidc_err_t err = {0};
    json_t *c;
    c = at_claims();
    json_object_set_new(c, "iss", json_string("https://evil.example"));
    ck_assert_reason(validate(sign("RS256", "rsa-1", "at+jwt", c), &r, &err),
                     err, AOIDC_REASON_ISSUER);
    c = at_claims();
    json_object_set_new(c, "aud", json_pack("[s]", "api://other"));
    ck_assert_reason(validate(sign("RS256", "rsa-1", "at+jwt", c), &r, &err),
                     err, AOIDC_REASON_AUDIENCE);
    c = at_claims();
    json_object_del(c, "aud");
    ck_assert_reason(validate(sign("RS256", "rsa-1", "at+jwt", c), &r, &err),
                     err, AOIDC_REASON_AUDIENCE);
    c = at_claims();
    json_object_set_new(c, "exp", json_integer(T_NOW_SEC - 61));
    ck_assert_reason(validate(sign("RS256", "rsa-1", "at+jwt", c), &r, &err),
                     err, AOIDC_REASON_EXPIRED);
    c = at_claims();
    json_object_del(c, "exp");
    ck_assert_reason(validate(sign("RS256", "rsa-1", "at+jwt", c), &r, &err),
                     err, AOIDC_REASON_EXPIRED);
    c = at_claims();
    json_object_set_new(c, "nbf", json_integer(T_NOW_SEC + 120));
    ck_assert_reason(validate(sign("RS256", "rsa-1", "at+jwt", c), &r, &err),
                     err, AOIDC_REASON_NOT_YET_VALID);
}
END_TEST

START_TEST(at_jose_refused)
{
    aoidc_at_rules_t r = at_rules();
    aoidc_err_t err = {0};
    /* HMAC is never accepted for access tokens, even keyed with a secret */
    ck_assert_reason(validate(aoidc_test_sign_hmac("some-secret-some-secret-xx",
                                                   "HS256", at_claims(), tp),
                              &r, &err),
                     err, AOIDC_REASON_ALG);
    ck_assert_reason(
        validate(sign("RS256", "missing", "at+jwt", at_claims()), &r, &err),
        err, AOIDC_REASON_KEY_UNKNOWN);
    ck_assert_reason(
        validate(aoidc_test_sign(aoidc_test_key("rsa2048-other", tp), "RS256",
                                 "rsa-1", "at+jwt", at_claims(), tp),
                 &r, &err),
        err, AOIDC_REASON_SIGNATURE);
    /* signature before typ: a forged token learns nothing from the order */
    r.require_typ = true;
    ck_assert_reason(
        validate(aoidc_test_sign(aoidc_test_key("rsa2048-other", tp), "RS256",
                                 "rsa-1", "JWT", at_claims(), tp),
                 &r, &err),
        err, AOIDC_REASON_SIGNATURE);
}
END_TEST

START_TEST(at_signature_segment_checked_before_cjose)
{
    /* Remote crash: a b64token may end in '=', and "AAAAA=" makes libcjose
     * 0.6.2's base64url decoder assert (abort) inside cjose_jws_import. The
     * token passes the header syntax, so aoidc_jws_parse must refuse the
     * signature segment; verify is not reached here, so this test fails
     * instead of crashing the runner. */
    const char *tok = NULL;
    aoidc_jws_t *j;
    aoidc_err_t err = {0};
    char *good = sign("RS256", "rsa-1", "at+jwt", at_claims());
    char *bad = apr_pstrcat(
        tp, apr_pstrndup(tp, good, strrchr(good, '.') - good), ".AAAAA=", NULL);
    ck_assert_ok(aoidc_bearer_from_header(
                     &tok, apr_pstrcat(tp, "Bearer ", bad, NULL), tp, &err),
                 err);
    ck_assert_reason(aoidc_jws_parse(&j, tok, strlen(tok), tp, &err), err,
                     AOIDC_REASON_JWS_MALFORMED);
}
END_TEST

/* --- introspection --------------------------------------------------- */

static apr_status_t intro(int status, const char *body, aoidc_err_t *err)
{
    json_t *c = NULL;
    aoidc_at_rules_t r = at_rules();
    apr_status_t rv = aoidc_bearer_introspection_parse(
        &c, status, body, strlen(body), &r, tp, err);
    if (rv == APR_SUCCESS) {
        ck_assert(json_is_object(c));
    }
    return rv;
}

START_TEST(introspection_ok)
{
    aoidc_err_t err = {0};
    json_t *c = NULL;
    aoidc_at_rules_t r = at_rules();
    const char *b = "{\"active\":true,\"iss\":\"" T_ISS "\",\"aud\":"
                    "[\"x\",\"api://default\"],\"exp\":1700000060,"
                    "\"scope\":\"api:read\",\"sub\":\"alice\"}";
    ck_assert_ok(
        aoidc_bearer_introspection_parse(&c, 200, b, strlen(b), &r, tp, &err),
        err);
    ck_assert_str_eq(aoidc_json_str(c, "scope"), "api:read");
    /* only active is required */
    ck_assert_ok(intro(200, "{\"active\":true}", &err), err);
    ck_assert_ok(
        intro(200, "{\"active\":true,\"aud\":\"api://default\"}", &err), err);
    /* exp within leeway */
    ck_assert_ok(intro(200, "{\"active\":true,\"exp\":1699999940}", &err), err);
}
END_TEST

START_TEST(introspection_refused)
{
    static const struct {
        int status;
        const char *body;
        aoidc_reason_t reason;
    } bad[] = {
        {200, "{\"active\":false}", AOIDC_REASON_INACTIVE},
        {200, "{\"active\":false,\"iss\":\"x\"}", AOIDC_REASON_INACTIVE},
        {200, "{}", AOIDC_REASON_OP_BAD_RESPONSE},
        {200, "{\"active\":\"true\"}", AOIDC_REASON_OP_BAD_RESPONSE},
        {200, "{\"active\":1}", AOIDC_REASON_OP_BAD_RESPONSE},
        {200, "{\"active\":true,\"iss\":\"https://evil.example\"}",
         AOIDC_REASON_ISSUER},
        {200, "{\"active\":true,\"iss\":\"" T_ISS "/\"}", AOIDC_REASON_ISSUER},
        {200, "{\"active\":true,\"iss\":null}", AOIDC_REASON_ISSUER},
        {200, "{\"active\":true,\"aud\":\"api://other\"}",
         AOIDC_REASON_AUDIENCE},
        {200, "{\"active\":true,\"aud\":[]}", AOIDC_REASON_AUDIENCE},
        {200, "{\"active\":true,\"aud\":7}", AOIDC_REASON_AUDIENCE},
        {200, "{\"active\":true,\"exp\":1699999939}", AOIDC_REASON_EXPIRED},
        {200, "{\"active\":true,\"exp\":\"soon\"}", AOIDC_REASON_EXPIRED},
        {200, "garbage", AOIDC_REASON_OP_BAD_RESPONSE},
        {200, "", AOIDC_REASON_OP_BAD_RESPONSE},
        {200, "[{\"active\":true}]", AOIDC_REASON_OP_BAD_RESPONSE},
        {200, "{\"active\":true,\"active\":true}",
         AOIDC_REASON_OP_BAD_RESPONSE},
        {401, "{\"active\":true}", AOIDC_REASON_OP_BAD_RESPONSE},
        {500, "{\"active\":true}", AOIDC_REASON_OP_BAD_RESPONSE},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aoidc_err_t err = {0};
        ck_assert_msg(intro(bad[i].status, bad[i].body, &err) != APR_SUCCESS,
                      "%s accepted", bad[i].body);
        ck_assert_msg(err.reason == bad[i].reason, "%s: expected %s, got %s",
                      bad[i].body, aoidc_reason_name(bad[i].reason),
                      aoidc_reason_name(err.reason));
    }
}
END_TEST

START_TEST(introspection_exp_far_future)
{
    /* exp + leeway must not overflow (UBSan aborts; wrapped, it would read
     * as long expired) */
    aoidc_err_t err = {0};
    ck_assert_ok(
        intro(200, "{\"active\":true,\"exp\":9223372036854775807}", &err), err);
}
END_TEST

/* --- challenges ------------------------------------------------------ */

START_TEST(challenge)
{
    ck_assert_str_eq(aoidc_bearer_challenge("api", NULL, NULL, NULL, tp),
                     "Bearer realm=\"api\"");
    ck_assert_str_eq(aoidc_bearer_challenge(NULL, NULL, NULL, NULL, tp),
                     "Bearer realm=\"\"");
    ck_assert_str_eq(aoidc_bearer_challenge("api", "invalid_token",
                                            "The access token expired", NULL,
                                            tp),
                     "Bearer realm=\"api\", error=\"invalid_token\", "
                     "error_description=\"The access token expired\"");
    ck_assert_str_eq(aoidc_bearer_challenge("api", "insufficient_scope", NULL,
                                            "api:read api:write", tp),
                     "Bearer realm=\"api\", error=\"insufficient_scope\", "
                     "scope=\"api:read api:write\"");
}
END_TEST

START_TEST(challenge_escaping)
{
    ck_assert_str_eq(
        aoidc_bearer_challenge("a \"q\" \\b", NULL, NULL, NULL, tp),
        "Bearer realm=\"a \\\"q\\\" \\\\b\"");
    /* control characters never reach the header */
    char *c = aoidc_bearer_challenge("r\r\nX-Evil: 1", "invalid_token",
                                     "bad\r\n\x01\x7f\"x", "s\n", tp);
    ck_assert_ptr_null(strpbrk(c, "\r\n\x01\x7f"));
    ck_assert_str_eq(c, "Bearer realm=\"rX-Evil: 1\", error=\"invalid_token\", "
                        "error_description=\"bad\\\"x\", scope=\"s\"");
}
END_TEST

/* --- cache entries --------------------------------------------------- */

static apr_array_header_t *some_claims(void)
{
    json_t *c = json_pack("{s:s, s:s, s:[s,s], s:b}", "sub", "alice", "scope",
                          "a b", "roles", "x", "y", "admin", 0);
    apr_array_header_t *l = aoidc_claims_add_json(NULL, c, tp);
    json_decref(c);
    return l;
}

START_TEST(entry_roundtrip)
{
    for (int active = 0; active < 2; active++) {
        unsigned char *buf;
        apr_size_t len;
        apr_time_t until = 0;
        bool act = !active;
        apr_array_header_t *claims = NULL, *in = some_claims();
        aoidc_err_t err = {0};
        aoidc_bearer_entry_encode(&buf, &len, T_NOW + 5, active, in, tp);
        ck_assert_ok(aoidc_bearer_entry_decode(&until, &act, &claims, buf, len,
                                               tp, &err),
                     err);
        ck_assert_int_eq(until, T_NOW + 5);
        ck_assert_int_eq(act, active);
        ck_assert_int_eq(claims->nelts, in->nelts);
        ck_assert_str_eq(aoidc_claims_get(claims, "roles")->value,
                         "[\"x\",\"y\"]");
        ck_assert(aoidc_claims_get(claims, "roles")->is_json);
        ck_assert(!aoidc_claims_get(claims, "sub")->is_json);
    }
    unsigned char *buf;
    apr_size_t len;
    apr_time_t until;
    bool act;
    apr_array_header_t *claims;
    aoidc_err_t err = {0};
    aoidc_bearer_entry_encode(&buf, &len, T_NOW, false, NULL, tp);
    ck_assert_ok(
        aoidc_bearer_entry_decode(&until, &act, &claims, buf, len, tp, &err),
        err);
    ck_assert_int_eq(claims->nelts, 0);
}
END_TEST

START_TEST(entry_truncated_refused)
{
    unsigned char *buf;
    apr_size_t len;
    aoidc_bearer_entry_encode(&buf, &len, T_NOW, true, some_claims(), tp);
    for (apr_size_t n = 0; n < len; n++) {
        apr_time_t until;
        bool act;
        apr_array_header_t *claims;
        aoidc_err_t err = {0};
        unsigned char *cut = apr_pmemdup(tp, buf, n ? n : 1);
        ck_assert_msg(
            aoidc_bearer_entry_decode(&until, &act, &claims, cut, n, tp, &err)
                != APR_SUCCESS,
            "truncated at %" APR_SIZE_T_FMT " accepted", n);
    }
    apr_time_t until;
    bool act;
    apr_array_header_t *claims;
    aoidc_err_t err = {0};
    unsigned char *ext = apr_palloc(tp, len + 1);
    memcpy(ext, buf, len);
    ext[len] = 0;
    ck_assert(
        aoidc_bearer_entry_decode(&until, &act, &claims, ext, len + 1, tp, &err)
        != APR_SUCCESS);
    buf[0] = 2;
    ck_assert(
        aoidc_bearer_entry_decode(&until, &act, &claims, buf, len, tp, &err)
        != APR_SUCCESS);
}
END_TEST

/* v2: the JWS signature the verdict is for, raw bytes of any value */
START_TEST(entry_sig_roundtrip)
{
    unsigned char sig[256], *buf;
    apr_size_t len, siglen;
    const unsigned char *got;
    apr_time_t until;
    bool act;
    apr_array_header_t *claims;
    aoidc_err_t err = {0};
    for (size_t i = 0; i < sizeof(sig); i++) {
        sig[i] = (unsigned char)(255 - i); /* NULs and high bytes */
    }
    aoidc_bearer_entry_encode_sig(&buf, &len, T_NOW + 7, true, sig, sizeof(sig),
                                  some_claims(), tp);
    ck_assert_int_eq(buf[0], 2);
    ck_assert_ok(aoidc_bearer_entry_decode_sig(&until, &act, &got, &siglen,
                                               &claims, buf, len, tp, &err),
                 err);
    ck_assert_int_eq(until, T_NOW + 7);
    ck_assert(act);
    ck_assert_uint_eq(siglen, sizeof(sig));
    ck_assert(!memcmp(got, sig, sizeof(sig)));
    ck_assert_str_eq(aoidc_claims_get(claims, "sub")->value, "alice");
    /* the plain decode reads it too (the L1 keeps these bytes) */
    ck_assert_ok(
        aoidc_bearer_entry_decode(&until, &act, &claims, buf, len, tp, &err),
        err);
    ck_assert_int_eq(claims->nelts, some_claims()->nelts);
    /* every truncation and an extra byte are refused, sig cleared */
    for (apr_size_t n = 0; n <= len; n++) {
        unsigned char *cut = apr_palloc(tp, len + 1);
        memcpy(cut, buf, len);
        cut[len] = 0;
        got = sig;
        siglen = 1;
        ck_assert_msg(
            aoidc_bearer_entry_decode_sig(&until, &act, &got, &siglen, &claims,
                                          cut, n == len ? len + 1 : n, tp, &err)
                != APR_SUCCESS,
            "cut at %" APR_SIZE_T_FMT " accepted", n);
        ck_assert_ptr_null(got);
        ck_assert_uint_eq(siglen, 0);
    }
    /* no signature: a v1 entry, read with none */
    aoidc_bearer_entry_encode_sig(&buf, &len, T_NOW, true, sig, 0, NULL, tp);
    ck_assert_int_eq(buf[0], 1);
    ck_assert_ok(aoidc_bearer_entry_decode_sig(&until, &act, &got, &siglen,
                                               &claims, buf, len, tp, &err),
                 err);
    ck_assert_ptr_null(got);
    ck_assert_uint_eq(siglen, 0);
    /* a v2 entry with an empty signature is not one we write */
    const unsigned char empty[] = {2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
    ck_assert(aoidc_bearer_entry_decode_sig(&until, &act, &got, &siglen,
                                            &claims, empty, sizeof(empty), tp,
                                            &err)
              != APR_SUCCESS);
    /* nor a later version */
    aoidc_bearer_entry_encode_sig(&buf, &len, T_NOW, true, sig, 4, NULL, tp);
    buf[0] = 3;
    ck_assert(aoidc_bearer_entry_decode_sig(&until, &act, &got, &siglen,
                                            &claims, buf, len, tp, &err)
              != APR_SUCCESS);
}
END_TEST

TCase *aoidc_bearer_tcase(void)
{
    TCase *tc = aoidc_test_tcase("bearer");
    tcase_add_test(tc, header_ok);
    tcase_add_test(tc, header_not_bearer);
    tcase_add_test(tc, header_bad_syntax);
    tcase_add_test(tc, header_token_length);
    tcase_add_test(tc, syntax_and_shape);
    tcase_add_test(tc, syntax_every_byte_every_position);
    tcase_add_test(tc, b64token_needs_a_character);
    tcase_add_test(tc, at_ok);
    tcase_add_test(tc, at_require_typ);
    tcase_add_test(tc, at_id_token_refused);
    tcase_add_test(tc, at_other_typ_refused);
    tcase_add_test(tc, at_exp_extremes);
    tcase_add_test(tc, cache_until);
    tcase_add_test(tc, at_rules_enforced);
    tcase_add_loop_test(tc, at_lean_same_verdicts, 0,
                        (int)(sizeof(lean_cases) / sizeof(lean_cases[0])));
    tcase_add_test(tc, at_jose_refused);
    tcase_add_test(tc, at_signature_segment_checked_before_cjose);
    tcase_add_test(tc, introspection_ok);
    tcase_add_test(tc, introspection_refused);
    tcase_add_test(tc, introspection_exp_far_future);
    tcase_add_test(tc, challenge);
    tcase_add_test(tc, challenge_escaping);
    tcase_add_test(tc, entry_roundtrip);
    tcase_add_test(tc, entry_truncated_refused);
    tcase_add_test(tc, entry_sig_roundtrip);
    return tc;
}
