/* SPDX-License-Identifier: Apache-2.0 */
/* core/session.c: the session record, its codec, lifetime rules; sealed
 * as the glue seals it (session id as associated data). */
#include <stdio.h>
#include <string.h>

#include "core/seal.h"
#include "core/session.h"
#include "unit.h"

static char *filler(char c, apr_size_t n)
{
    char *s = apr_palloc(tp, n + 1);
    for (apr_size_t i = 0; i < n; i++) {
        s[i] = (char)(i % 64 == 63 ? '.' : c);
    }
    s[n] = '\0';
    return s;
}

/* A typical session: 5 claims, an ID Token of about 1 KB, a JWT access
 * token of about 1 KB, a refresh token. */
static aoidc_session_t *typical(void)
{
    aoidc_session_t *s = apr_pcalloc(tp, sizeof(*s));
    json_t *c = json_pack("{s:s, s:s, s:s, s:b, s:[s,s,s]}", "sub",
                          "248289761001", "email", "janedoe@example.com",
                          "name", "Jane Doe", "email_verified", 1, "groups",
                          "staff", "admins", "app-users");
    s->created = T_NOW;
    s->last_seen = T_NOW + apr_time_from_sec(30);
    s->at_expires = T_NOW + apr_time_from_sec(3600);
    s->issuer = T_ISS;
    s->client_id = T_AUD;
    s->sub = "248289761001";
    s->id_token = filler('i', 1024);
    s->access_token = filler('a', 1024);
    s->refresh_token = filler('r', 128);
    s->scope = "openid email profile";
    s->claims = aoidc_claims_add_json(NULL, c, tp);
    json_decref(c);
    return s;
}

static void same(const aoidc_session_t *a, const aoidc_session_t *b)
{
    ck_assert_int_eq(a->created, b->created);
    ck_assert_int_eq(a->last_seen, b->last_seen);
    ck_assert_int_eq(a->at_expires, b->at_expires);
    ck_assert_str_eq(a->issuer, b->issuer);
    ck_assert_str_eq(a->client_id, b->client_id);
    ck_assert_str_eq(a->sub, b->sub);
    ck_assert_pstr_eq(a->id_token, b->id_token);
    ck_assert_pstr_eq(a->access_token, b->access_token);
    ck_assert_pstr_eq(a->refresh_token, b->refresh_token);
    ck_assert_pstr_eq(a->scope, b->scope);
    aoidc_test_same_claims(a->claims, b->claims);
}

START_TEST(roundtrip)
{
    aoidc_session_t *s = typical(), *back = NULL;
    unsigned char *buf;
    apr_size_t len;
    aoidc_err_t err = {0};
    aoidc_session_encode(&buf, &len, s, tp);
    ck_assert_ok(aoidc_session_decode(&back, buf, len, tp, &err), err);
    same(s, back);
    /* optional members may be NULL */
    s->refresh_token = NULL;
    s->id_token = NULL;
    s->access_token = NULL;
    s->scope = NULL;
    s->claims = apr_array_make(tp, 1, sizeof(aoidc_claim_t));
    aoidc_session_encode(&buf, &len, s, tp);
    ck_assert_ok(aoidc_session_decode(&back, buf, len, tp, &err), err);
    same(s, back);
}
END_TEST

START_TEST(every_truncation_refused)
{
    aoidc_session_t *s = typical(), *back;
    unsigned char *buf;
    apr_size_t len;
    aoidc_session_encode(&buf, &len, s, tp);
    for (apr_size_t n = 0; n < len; n++) {
        aoidc_err_t err = {0};
        unsigned char *cut = apr_pmemdup(tp, buf, n ? n : 1);
        ck_assert_reason(aoidc_session_decode(&back, cut, n, tp, &err), err,
                         AOIDC_REASON_SESSION_INVALID);
    }
}
END_TEST

START_TEST(trailing_bytes_refused)
{
    aoidc_session_t *back;
    unsigned char *buf;
    apr_size_t len;
    aoidc_err_t err = {0};
    aoidc_session_encode(&buf, &len, typical(), tp);
    unsigned char *ext = apr_palloc(tp, len + 1);
    memcpy(ext, buf, len);
    ext[len] = 0;
    ck_assert_reason(aoidc_session_decode(&back, ext, len + 1, tp, &err), err,
                     AOIDC_REASON_SESSION_INVALID);
}
END_TEST

START_TEST(required_members)
{
    aoidc_session_t *back;
    unsigned char *buf;
    apr_size_t len;
    aoidc_err_t err = {0};
    for (int which = 0; which < 4; which++) {
        aoidc_session_t *s = typical();
        switch (which) {
        case 0:
            s->issuer = NULL;
            break;
        case 1:
            s->client_id = NULL;
            break;
        case 2:
            s->sub = NULL;
            break;
        default:
            break;
        }
        aoidc_session_encode(&buf, &len, s, tp);
        if (which == 3) {
            buf[0] = 2; /* unknown version */
        }
        ck_assert_reason(aoidc_session_decode(&back, buf, len, tp, &err), err,
                         AOIDC_REASON_SESSION_INVALID);
    }
}
END_TEST

START_TEST(sealed_tamper_and_aad)
{
    aoidc_seal_t *k;
    unsigned char *buf, *blob, *open;
    apr_size_t len, blen, olen;
    aoidc_session_t *back;
    aoidc_err_t err = {0};
    const char *id = "session-id-1";
    ck_assert_int_eq(aoidc_seal_create(&k, "passphrase", 10, "session", tp),
                     APR_SUCCESS);
    aoidc_session_encode(&buf, &len, typical(), tp);
    ck_assert_int_eq(aoidc_seal(&blob, &blen, k, buf, len, id, strlen(id), tp),
                     APR_SUCCESS);
    ck_assert_ok(
        aoidc_unseal(&open, &olen, k, blob, blen, id, strlen(id), tp, &err),
        err);
    ck_assert_ok(aoidc_session_decode(&back, open, olen, tp, &err), err);
    /* another session's id as associated data */
    ck_assert_reason(
        aoidc_unseal(&open, &olen, k, blob, blen, "session-id-2", 12, tp, &err),
        err, AOIDC_REASON_COOKIE);
    for (apr_size_t i = 0; i < blen; i += 7) {
        unsigned char *t = apr_pmemdup(tp, blob, blen);
        t[i] ^= 0x20;
        ck_assert_reason(
            aoidc_unseal(&open, &olen, k, t, blen, id, strlen(id), tp, &err),
            err, AOIDC_REASON_COOKIE);
    }
}
END_TEST

START_TEST(typical_size)
{
    aoidc_seal_t *k;
    unsigned char *buf;
    apr_size_t len;
    char *cookie;
    ck_assert_int_eq(aoidc_seal_create(&k, "passphrase", 10, "session", tp),
                     APR_SUCCESS);
    aoidc_session_encode(&buf, &len, typical(), tp);
    ck_assert_int_eq(aoidc_seal_text(&cookie, k, buf, len, "id", 2, tp),
                     APR_SUCCESS);
    printf("# session: 5 claims, 1 KB id_token, 1 KB access_token: "
           "%" APR_SIZE_T_FMT " bytes encoded, %" APR_SIZE_T_FMT
           " sealed, %" APR_SIZE_T_FMT " as cookie text\n",
           len, len + AOIDC_SEAL_OVERHEAD, strlen(cookie));
    fflush(stdout);
    /* one socache entry (~4 KiB hint) and one cookie (4096) */
    ck_assert_uint_lt(len + AOIDC_SEAL_OVERHEAD, 4096);
    ck_assert_uint_lt(strlen(cookie), 4096);
}
END_TEST

START_TEST(check_limits)
{
    aoidc_session_limits_t l = {apr_time_from_sec(600),
                                apr_time_from_sec(3600)};
    aoidc_session_t s = {0};
    aoidc_err_t err = {0};
    s.created = T_NOW;
    s.last_seen = T_NOW;
    ck_assert_ok(aoidc_session_check(&s, &l, T_NOW + l.inactivity, tp, &err),
                 err);
    ck_assert_reason(
        aoidc_session_check(&s, &l, T_NOW + l.inactivity + 1, tp, &err), err,
        AOIDC_REASON_SESSION_EXPIRED);
    s.last_seen = T_NOW + l.max_age;
    ck_assert_ok(aoidc_session_check(&s, &l, T_NOW + l.max_age, tp, &err), err);
    ck_assert_reason(
        aoidc_session_check(&s, &l, T_NOW + l.max_age + 1, tp, &err), err,
        AOIDC_REASON_SESSION_EXPIRED);
}
END_TEST

START_TEST(touch_due)
{
    aoidc_session_t s = {0};
    aoidc_session_limits_t l = {apr_time_from_sec(3600),
                                apr_time_from_sec(86400)};
    s.last_seen = T_NOW;
    /* a tenth of an hour is 6 minutes, capped at 60 s */
    ck_assert(!aoidc_session_touch_due(&s, &l, T_NOW));
    ck_assert(!aoidc_session_touch_due(&s, &l, T_NOW + apr_time_from_sec(60)));
    ck_assert(
        aoidc_session_touch_due(&s, &l, T_NOW + apr_time_from_sec(60) + 1));
    l.inactivity = apr_time_from_sec(300); /* a tenth: 30 s */
    ck_assert(!aoidc_session_touch_due(&s, &l, T_NOW + apr_time_from_sec(30)));
    ck_assert(aoidc_session_touch_due(&s, &l, T_NOW + apr_time_from_sec(31)));
}
END_TEST

START_TEST(expiry)
{
    aoidc_session_t s = {0};
    aoidc_session_limits_t l = {apr_time_from_sec(600),
                                apr_time_from_sec(3600)};
    s.created = T_NOW;
    s.last_seen = T_NOW + apr_time_from_sec(100);
    ck_assert_int_eq(aoidc_session_expiry(&s, &l),
                     T_NOW + apr_time_from_sec(700));
    s.last_seen = T_NOW + apr_time_from_sec(3500);
    ck_assert_int_eq(aoidc_session_expiry(&s, &l),
                     T_NOW + apr_time_from_sec(3600));
}
END_TEST

START_TEST(just_created)
{
    aoidc_session_t s = {0};
    s.created = T_NOW;
    ck_assert(aoidc_session_just_created(&s, T_NOW));
    ck_assert(
        aoidc_session_just_created(&s, T_NOW + AOIDC_UNAUTZ_LOOP_WINDOW - 1));
    ck_assert(
        !aoidc_session_just_created(&s, T_NOW + AOIDC_UNAUTZ_LOOP_WINDOW));
    ck_assert(!aoidc_session_just_created(&s, T_NOW + apr_time_from_sec(3600)));
    /* a login "in the future" (another node's clock): recent, no loop */
    ck_assert(aoidc_session_just_created(&s, T_NOW - apr_time_from_sec(30)));
}
END_TEST

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static apr_time_t jtime(const json_t *o, const char *k)
{
    return apr_time_from_sec(json_integer_value(json_object_get(o, k)));
}

START_TEST(opens_independent_seal)
{
    /* a session sealed by python3-cryptography (test/vectors/seal) */
    json_error_t e;
    char *txt = aoidc_test_read("seal/session.json", NULL, tp);
    ck_assert_ptr_nonnull(txt);
    json_t *v = json_loads(txt, 0, &e), *x = json_object_get(v, "expect");
    const char *pass = jstr(v, "passphrase"), *aad = jstr(v, "aad");
    aoidc_seal_t *k;
    unsigned char *plain;
    apr_size_t plen;
    aoidc_session_t *s;
    aoidc_err_t err = {0};
    ck_assert_int_eq(aoidc_seal_create(&k, pass, strlen(pass), "session", tp),
                     APR_SUCCESS);
    ck_assert_ok(aoidc_unseal_text(&plain, &plen, k, jstr(v, "cookie"), aad,
                                   strlen(aad), tp, &err),
                 err);
    ck_assert_ok(aoidc_session_decode(&s, plain, plen, tp, &err), err);
    ck_assert_int_eq(s->created, jtime(x, "created"));
    ck_assert_int_eq(s->last_seen, jtime(x, "last_seen"));
    ck_assert_int_eq(s->at_expires, jtime(x, "at_expires"));
    ck_assert_str_eq(s->issuer, jstr(x, "issuer"));
    ck_assert_str_eq(s->client_id, jstr(x, "client_id"));
    ck_assert_str_eq(s->sub, jstr(x, "sub"));
    ck_assert_str_eq(s->id_token, jstr(x, "id_token"));
    ck_assert_str_eq(s->access_token, jstr(x, "access_token"));
    ck_assert_ptr_null(s->refresh_token);
    ck_assert_str_eq(s->scope, jstr(x, "scope"));
    json_t *cl = json_object_get(x, "claims");
    ck_assert_int_eq(s->claims->nelts, (int)json_array_size(cl));
    for (int i = 0; i < s->claims->nelts; i++) {
        const aoidc_claim_t *c = &APR_ARRAY_IDX(s->claims, i, aoidc_claim_t);
        json_t *want = json_array_get(cl, (size_t)i);
        ck_assert_str_eq(c->name, json_string_value(json_array_get(want, 0)));
        ck_assert_str_eq(c->value, json_string_value(json_array_get(want, 1)));
        ck_assert_int_eq(c->is_json, json_is_true(json_array_get(want, 2)));
    }
    json_decref(v);
}
END_TEST

TCase *aoidc_session_tcase(void)
{
    TCase *tc = aoidc_test_tcase("session");
    tcase_add_test(tc, roundtrip);
    tcase_add_test(tc, every_truncation_refused);
    tcase_add_test(tc, trailing_bytes_refused);
    tcase_add_test(tc, required_members);
    tcase_add_test(tc, sealed_tamper_and_aad);
    tcase_add_test(tc, typical_size);
    tcase_add_test(tc, check_limits);
    tcase_add_test(tc, touch_due);
    tcase_add_test(tc, expiry);
    tcase_add_test(tc, just_created);
    tcase_add_test(tc, opens_independent_seal);
    return tc;
}
