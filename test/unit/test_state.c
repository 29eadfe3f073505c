/* SPDX-License-Identifier: Apache-2.0 */
/* core/state.c: the login state record and its sealed cookie. */
#include <string.h>

#include "core/codec.h"
#include "core/seal.h"
#include "core/state.h"
#include "unit.h"

static aoidc_seal_t *key(const char *purpose)
{
    aoidc_seal_t *k;
    ck_assert_int_eq(aoidc_seal_create(&k, "passphrase", 10, purpose, tp),
                     APR_SUCCESS);
    return k;
}

static aoidc_state_t *fresh(bool pkce)
{
    aoidc_state_t *st = NULL;
    ck_assert_int_eq(
        aoidc_state_create(&st, T_ISS, "/app?x=1", pkce, T_NOW, tp),
        APR_SUCCESS);
    return st;
}

START_TEST(create)
{
    aoidc_state_t *a = fresh(true), *b = fresh(false);
    ck_assert_uint_eq(strlen(a->state), 43);
    ck_assert_uint_eq(strlen(a->nonce), 43);
    ck_assert_uint_eq(strlen(a->verifier), 43);
    ck_assert_str_ne(a->state, a->nonce);
    ck_assert_str_ne(a->state, b->state);
    ck_assert_str_ne(a->nonce, b->nonce);
    ck_assert_ptr_null(b->verifier);
    ck_assert_str_eq(a->issuer, T_ISS);
    ck_assert_str_eq(a->return_to, "/app?x=1");
    ck_assert_int_eq(a->created, T_NOW);
}
END_TEST

START_TEST(cookie_name)
{
    ck_assert_str_eq(aoidc_state_cookie_name("abcdefghijklmnopqrstu", tp),
                     "aoidc_state_abcdefghijkl");
    ck_assert_str_eq(aoidc_state_cookie_name("short", tp), "aoidc_state_short");
    aoidc_state_t *st = fresh(true);
    const char *n = aoidc_state_cookie_name(st->state, tp);
    ck_assert_uint_eq(strlen(n), strlen(AOIDC_STATE_COOKIE_PREFIX) + 12);
    ck_assert(strncmp(n, AOIDC_STATE_COOKIE_PREFIX, 12) == 0);
}
END_TEST

static void same(const aoidc_state_t *a, const aoidc_state_t *b)
{
    ck_assert_str_eq(a->state, b->state);
    ck_assert_str_eq(a->nonce, b->nonce);
    ck_assert_pstr_eq(a->verifier, b->verifier);
    ck_assert_str_eq(a->return_to, b->return_to);
    ck_assert_str_eq(a->issuer, b->issuer);
    ck_assert_int_eq(a->created, b->created);
}

START_TEST(roundtrip)
{
    for (int pkce = 0; pkce < 2; pkce++) {
        aoidc_seal_t *k = key("state");
        aoidc_state_t *st = fresh(pkce), *back = NULL;
        char *cookie;
        aoidc_err_t err = {0};
        ck_assert_int_eq(aoidc_state_seal(&cookie, st, k, tp), APR_SUCCESS);
        ck_assert_ptr_null(strstr(cookie, st->nonce));
        ck_assert_ok(aoidc_state_open(&back, cookie, st->state, k,
                                      T_NOW + apr_time_from_sec(5), tp, &err),
                     err);
        same(st, back);
    }
}
END_TEST

START_TEST(opens_only_for_its_state)
{
    aoidc_seal_t *k = key("state");
    aoidc_state_t *a = fresh(true), *b = fresh(true), *back;
    char *ca;
    aoidc_err_t err = {0};
    aoidc_state_seal(&ca, a, k, tp);
    ck_assert_reason(aoidc_state_open(&back, ca, b->state, k, T_NOW, tp, &err),
                     err, AOIDC_REASON_COOKIE);
    ck_assert_reason(aoidc_state_open(&back, ca, "", k, T_NOW, tp, &err), err,
                     AOIDC_REASON_COOKIE);
    /* the same passphrase under another purpose (e.g. a session key) */
    ck_assert_reason(
        aoidc_state_open(&back, ca, a->state, key("session"), T_NOW, tp, &err),
        err, AOIDC_REASON_COOKIE);
}
END_TEST

START_TEST(tampered_and_truncated)
{
    aoidc_seal_t *k = key("state");
    aoidc_state_t *st = fresh(true), *back;
    char *c;
    aoidc_state_seal(&c, st, k, tp);
    apr_size_t n = strlen(c);
    for (apr_size_t i = 0; i < n; i++) {
        aoidc_err_t err = {0};
        char *t = apr_pstrdup(tp, c);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        ck_assert_reason(
            aoidc_state_open(&back, t, st->state, k, T_NOW, tp, &err), err,
            AOIDC_REASON_COOKIE);
        ck_assert_reason(aoidc_state_open(&back, apr_pstrndup(tp, c, i),
                                          st->state, k, T_NOW, tp, &err),
                         err, AOIDC_REASON_COOKIE);
    }
    aoidc_err_t err = {0};
    ck_assert_reason(aoidc_state_open(&back, apr_pstrcat(tp, c, "AAAA", NULL),
                                      st->state, k, T_NOW, tp, &err),
                     err, AOIDC_REASON_COOKIE);
    ck_assert_reason(
        aoidc_state_open(&back, "%%%", st->state, k, T_NOW, tp, &err), err,
        AOIDC_REASON_COOKIE);
}
END_TEST

/* Seal a hand-made record under the state key, as aoidc_state_seal would. */
static char *seal_record(const aoidc_seal_t *k, const char *state,
                         const unsigned char *rec, apr_size_t len)
{
    char *out;
    ck_assert_int_eq(
        aoidc_seal_text(&out, k, rec, len, state, strlen(state), tp),
        APR_SUCCESS);
    return out;
}

START_TEST(every_truncated_record_refused)
{
    /* authentic blobs whose plaintext is cut short: the decoder must not
     * trust the seal to imply a well-formed record */
    aoidc_seal_t *k = key("state");
    aoidc_state_t *st = fresh(true), *back;
    char *c;
    unsigned char *plain;
    apr_size_t plen;
    aoidc_err_t err = {0};
    aoidc_state_seal(&c, st, k, tp);
    ck_assert_ok(aoidc_unseal_text(&plain, &plen, k, c, st->state,
                                   strlen(st->state), tp, &err),
                 err);
    for (apr_size_t n = 0; n < plen; n++) {
        unsigned char *cut = apr_pmemdup(tp, plain, n ? n : 1);
        ck_assert_reason(aoidc_state_open(&back,
                                          seal_record(k, st->state, cut, n),
                                          st->state, k, T_NOW, tp, &err),
                         err, AOIDC_REASON_COOKIE);
    }
    ck_assert_ok(aoidc_state_open(&back, seal_record(k, st->state, plain, plen),
                                  st->state, k, T_NOW, tp, &err),
                 err);
}
END_TEST

START_TEST(bad_records_refused)
{
    aoidc_seal_t *k = key("state");
    const char *state = "sssssssssssssssssssssssssssssssssssssssssss";
    aoidc_state_t *back;
    aoidc_err_t err = {0};
    struct {
        unsigned v;
        const char *nonce, *ret, *iss;
    } recs[] = {
        {2, "n", "/", T_ISS},  /* unknown version */
        {1, NULL, "/", T_ISS}, /* nonce missing */
        {1, "n", NULL, T_ISS}, /* return URL missing */
        {1, "n", "/", NULL},   /* issuer missing */
    };
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        aoidc_wbuf_t w;
        aoidc_codec_init(&w, 64, tp);
        aoidc_codec_put_u8(&w, recs[i].v);
        aoidc_codec_put_u64(&w, (apr_uint64_t)T_NOW);
        aoidc_codec_put_str(&w, recs[i].nonce);
        aoidc_codec_put_str(&w, NULL);
        aoidc_codec_put_str(&w, recs[i].ret);
        aoidc_codec_put_str(&w, recs[i].iss);
        ck_assert_reason(aoidc_state_open(&back,
                                          seal_record(k, state, w.buf, w.len),
                                          state, k, T_NOW, tp, &err),
                         err, AOIDC_REASON_COOKIE);
    }
}
END_TEST

START_TEST(expiry)
{
    aoidc_seal_t *k = key("state");
    aoidc_state_t *st = fresh(false), *back;
    char *c;
    aoidc_err_t err = {0};
    aoidc_state_seal(&c, st, k, tp);
    ck_assert_ok(aoidc_state_open(&back, c, st->state, k, T_NOW, tp, &err),
                 err);
    ck_assert_ok(aoidc_state_open(&back, c, st->state, k,
                                  T_NOW + AOIDC_STATE_TTL_MAX, tp, &err),
                 err);
    ck_assert_reason(aoidc_state_open(&back, c, st->state, k,
                                      T_NOW + AOIDC_STATE_TTL_MAX + 1, tp,
                                      &err),
                     err, AOIDC_REASON_STATE_EXPIRED);
    ck_assert_reason(aoidc_state_open(&back, c, st->state, k,
                                      T_NOW + apr_time_from_sec(86400), tp,
                                      &err),
                     err, AOIDC_REASON_STATE_EXPIRED);
    /* a record from the future beyond clock skew is not trusted either */
    ck_assert_ok(aoidc_state_open(&back, c, st->state, k,
                                  T_NOW - apr_time_from_sec(60), tp, &err),
                 err);
    ck_assert_reason(aoidc_state_open(&back, c, st->state, k,
                                      T_NOW - apr_time_from_sec(61), tp, &err),
                     err, AOIDC_REASON_STATE_EXPIRED);
}
END_TEST

START_TEST(opens_independent_seal)
{
    /* a cookie sealed by python3-cryptography (test/vectors/seal) */
    json_error_t e;
    char *txt = aoidc_test_read("seal/state.json", NULL, tp);
    ck_assert_ptr_nonnull(txt);
    json_t *v = json_loads(txt, 0, &e), *x = json_object_get(v, "expect");
    const char *pass = json_string_value(json_object_get(v, "passphrase"));
    const char *state = json_string_value(json_object_get(v, "state"));
    aoidc_seal_t *k;
    aoidc_state_t *st;
    aoidc_err_t err = {0};
    ck_assert_int_eq(aoidc_seal_create(&k, pass, strlen(pass), "state", tp),
                     APR_SUCCESS);
    ck_assert_ok(
        aoidc_state_open(
            &st, json_string_value(json_object_get(v, "cookie")), state, k,
            apr_time_from_sec(json_integer_value(json_object_get(v, "now"))),
            tp, &err),
        err);
    ck_assert_str_eq(st->state, state);
    ck_assert_str_eq(st->nonce, json_string_value(json_object_get(x, "nonce")));
    ck_assert_str_eq(st->verifier,
                     json_string_value(json_object_get(x, "verifier")));
    ck_assert_str_eq(st->return_to,
                     json_string_value(json_object_get(x, "return_to")));
    ck_assert_str_eq(st->issuer,
                     json_string_value(json_object_get(x, "issuer")));
    ck_assert_int_eq(st->created, apr_time_from_sec(json_integer_value(
                                      json_object_get(x, "created"))));
    json_decref(v);
}
END_TEST

TCase *aoidc_state_tcase(void)
{
    TCase *tc = aoidc_test_tcase("state");
    tcase_add_test(tc, create);
    tcase_add_test(tc, cookie_name);
    tcase_add_test(tc, roundtrip);
    tcase_add_test(tc, opens_only_for_its_state);
    tcase_add_test(tc, tampered_and_truncated);
    tcase_add_test(tc, every_truncated_record_refused);
    tcase_add_test(tc, bad_records_refused);
    tcase_add_test(tc, expiry);
    tcase_add_test(tc, opens_independent_seal);
    return tc;
}
