/* SPDX-License-Identifier: Apache-2.0 */
/* core/seal.c: AES-256-GCM under HKDF per-purpose keys; SHA-256 helpers. */
#include <string.h>

#include "core/seal.h"
#include "unit.h"

static aoidc_seal_t *key(const char *secret, const char *purpose)
{
    aoidc_seal_t *k = NULL;
    ck_assert_int_eq(aoidc_seal_create(&k, secret, strlen(secret), purpose, tp),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(k);
    return k;
}

static const unsigned char msg[] = "the session record";
#define MSGLEN (sizeof(msg) - 1)

START_TEST(roundtrip)
{
    aoidc_seal_t *k = key("passphrase", "session");
    unsigned char *blob, *out;
    apr_size_t blen, olen;
    aoidc_err_t err = {0};
    ck_assert_int_eq(aoidc_seal(&blob, &blen, k, msg, MSGLEN, "id", 2, tp),
                     APR_SUCCESS);
    ck_assert_uint_eq(blen, MSGLEN + AOIDC_SEAL_OVERHEAD);
    ck_assert_int_eq(blob[0], 1);                        /* version */
    ck_assert_int_eq(blob[1], 0);                        /* kid */
    ck_assert(memmem(blob, blen, "session", 7) == NULL); /* not in clear */
    ck_assert_ok(aoidc_unseal(&out, &olen, k, blob, blen, "id", 2, tp, &err),
                 err);
    ck_assert_uint_eq(olen, MSGLEN);
    ck_assert_mem_eq(out, msg, MSGLEN);
    ck_assert_int_eq(out[olen], '\0');
}
END_TEST

START_TEST(empty_and_no_aad)
{
    aoidc_seal_t *k = key("passphrase", "x");
    unsigned char *blob, *out;
    apr_size_t blen, olen;
    aoidc_err_t err = {0};
    ck_assert_int_eq(
        aoidc_seal(&blob, &blen, k, (const unsigned char *)"", 0, NULL, 0, tp),
        APR_SUCCESS);
    ck_assert_uint_eq(blen, AOIDC_SEAL_OVERHEAD);
    ck_assert_ok(aoidc_unseal(&out, &olen, k, blob, blen, NULL, 0, tp, &err),
                 err);
    ck_assert_uint_eq(olen, 0);
}
END_TEST

START_TEST(fresh_nonce_each_time)
{
    aoidc_seal_t *k = key("passphrase", "session");
    unsigned char *a, *b;
    apr_size_t alen, blen;
    aoidc_seal(&a, &alen, k, msg, MSGLEN, NULL, 0, tp);
    aoidc_seal(&b, &blen, k, msg, MSGLEN, NULL, 0, tp);
    ck_assert_uint_eq(alen, blen);
    ck_assert(memcmp(a + 2, b + 2, 12) != 0);
    ck_assert(memcmp(a, b, alen) != 0);
}
END_TEST

START_TEST(keys_deterministic)
{
    /* the same passphrase and purpose give the same key in any process */
    aoidc_seal_t *k1 = key("passphrase", "session");
    aoidc_seal_t *k2 = key("passphrase", "session");
    unsigned char *blob, *out;
    apr_size_t blen, olen;
    aoidc_err_t err = {0};
    aoidc_seal(&blob, &blen, k1, msg, MSGLEN, "id", 2, tp);
    ck_assert_ok(aoidc_unseal(&out, &olen, k2, blob, blen, "id", 2, tp, &err),
                 err);
}
END_TEST

START_TEST(refuses_other_context)
{
    aoidc_seal_t *k = key("passphrase", "session");
    unsigned char *blob, *out;
    apr_size_t blen, olen;
    aoidc_err_t err = {0};
    aoidc_seal(&blob, &blen, k, msg, MSGLEN, "id-1", 4, tp);
    /* other associated data */
    ck_assert_reason(
        aoidc_unseal(&out, &olen, k, blob, blen, "id-2", 4, tp, &err), err,
        AOIDC_REASON_COOKIE);
    ck_assert_reason(
        aoidc_unseal(&out, &olen, k, blob, blen, "id-1", 3, tp, &err), err,
        AOIDC_REASON_COOKIE);
    ck_assert_reason(
        aoidc_unseal(&out, &olen, k, blob, blen, NULL, 0, tp, &err), err,
        AOIDC_REASON_COOKIE);
    /* other purpose: a state cookie never opens as a session */
    ck_assert_reason(aoidc_unseal(&out, &olen, key("passphrase", "state"), blob,
                                  blen, "id-1", 4, tp, &err),
                     err, AOIDC_REASON_COOKIE);
    /* other passphrase */
    ck_assert_reason(aoidc_unseal(&out, &olen, key("passphrasf", "session"),
                                  blob, blen, "id-1", 4, tp, &err),
                     err, AOIDC_REASON_COOKIE);
}
END_TEST

START_TEST(refuses_tampering)
{
    aoidc_seal_t *k = key("passphrase", "session");
    unsigned char *blob, *out;
    apr_size_t blen, olen;
    aoidc_seal(&blob, &blen, k, msg, MSGLEN, "id", 2, tp);
    for (apr_size_t i = 0; i < blen; i++) {
        for (unsigned bit = 1; bit < 256; bit <<= 1) {
            aoidc_err_t err = {0};
            unsigned char *t = apr_pmemdup(tp, blob, blen);
            t[i] ^= (unsigned char)bit;
            ck_assert_reason(
                aoidc_unseal(&out, &olen, k, t, blen, "id", 2, tp, &err), err,
                AOIDC_REASON_COOKIE);
        }
    }
}
END_TEST

START_TEST(refuses_truncation_and_extension)
{
    aoidc_seal_t *k = key("passphrase", "session");
    unsigned char *blob, *out;
    apr_size_t blen, olen;
    aoidc_seal(&blob, &blen, k, msg, MSGLEN, "id", 2, tp);
    for (apr_size_t n = 0; n < blen; n++) {
        aoidc_err_t err = {0};
        /* a copy of exactly n bytes, so ASan sees any over-read */
        unsigned char *t = apr_pmemdup(tp, blob, n ? n : 1);
        ck_assert_reason(aoidc_unseal(&out, &olen, k, t, n, "id", 2, tp, &err),
                         err, AOIDC_REASON_COOKIE);
    }
    unsigned char *ext = apr_palloc(tp, blen + 1);
    memcpy(ext, blob, blen);
    ext[blen] = 0;
    aoidc_err_t err = {0};
    ck_assert_reason(
        aoidc_unseal(&out, &olen, k, ext, blen + 1, "id", 2, tp, &err), err,
        AOIDC_REASON_COOKIE);
}
END_TEST

START_TEST(text_roundtrip)
{
    aoidc_seal_t *k = key("passphrase", "state");
    char *txt;
    unsigned char *out;
    apr_size_t olen;
    aoidc_err_t err = {0};
    ck_assert_int_eq(aoidc_seal_text(&txt, k, msg, MSGLEN, "s", 1, tp),
                     APR_SUCCESS);
    ck_assert_uint_eq(strspn(txt, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
                                  "rstuvwxyz0123456789-_"),
                      strlen(txt));
    ck_assert_ok(aoidc_unseal_text(&out, &olen, k, txt, "s", 1, tp, &err), err);
    ck_assert_mem_eq(out, msg, MSGLEN);
    ck_assert_reason(
        aoidc_unseal_text(&out, &olen, k, "not base64!", "s", 1, tp, &err), err,
        AOIDC_REASON_COOKIE);
    ck_assert_reason(aoidc_unseal_text(&out, &olen, k, "", "s", 1, tp, &err),
                     err, AOIDC_REASON_COOKIE);
    txt[5] = txt[5] == 'A' ? 'B' : 'A';
    ck_assert_reason(aoidc_unseal_text(&out, &olen, k, txt, "s", 1, tp, &err),
                     err, AOIDC_REASON_COOKIE);
}
END_TEST

START_TEST(sha256)
{
    static const unsigned char abc[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    unsigned char h[32];
    aoidc_sha256(h, "abc", 3);
    ck_assert_mem_eq(h, abc, 32);
    aoidc_sha256_2(h, "ab", 2, "c", 1);
    ck_assert_mem_eq(h, abc, 32);
    aoidc_sha256_2(h, "abc", 3, NULL, 0);
    ck_assert_mem_eq(h, abc, 32);
    aoidc_sha256_2(h, "abd", 3, NULL, 0);
    ck_assert(memcmp(h, abc, 32) != 0);
}
END_TEST

START_TEST(fingerprint)
{
    ck_assert_str_eq(aoidc_fingerprint("abc", tp), "ba7816bf8f01cfea");
    ck_assert_str_eq(aoidc_fingerprint("", tp), "e3b0c44298fc1c14");
}
END_TEST

START_TEST(derive_needs_master_and_secret)
{
    aoidc_seal_t *m1 = key("passphrase", "session");
    aoidc_seal_t *m2 = key("passphrase2", "session");
    aoidc_seal_t *m3 = key("passphrase", "state");
    aoidc_seal_t *d, *e;
    unsigned char *blob, *out;
    apr_size_t blen, olen;
    aoidc_err_t err = {0};
    const char *sec = "0123456789abcdefghijkl",
               *sec2 = "0123456789abcdefghijkm";

    ck_assert_int_eq(aoidc_seal_derive(&d, m1, sec, 22, tp), APR_SUCCESS);
    ck_assert_int_eq(aoidc_seal(&blob, &blen, d, msg, MSGLEN, "id", 2, tp),
                     APR_SUCCESS);
    /* the same master and secret, derived again: opens */
    ck_assert_int_eq(aoidc_seal_derive(&e, m1, sec, 22, tp), APR_SUCCESS);
    ck_assert_ok(aoidc_unseal(&out, &olen, e, blob, blen, "id", 2, tp, &err),
                 err);
    ck_assert_uint_eq(olen, MSGLEN);
    ck_assert_mem_eq(out, msg, MSGLEN);
    /* the master alone does not */
    ck_assert_reason(
        aoidc_unseal(&out, &olen, m1, blob, blen, "id", 2, tp, &err), err,
        AOIDC_REASON_COOKIE);
    /* another secret, another passphrase, another purpose: no */
    ck_assert_int_eq(aoidc_seal_derive(&e, m1, sec2, 22, tp), APR_SUCCESS);
    ck_assert_reason(
        aoidc_unseal(&out, &olen, e, blob, blen, "id", 2, tp, &err), err,
        AOIDC_REASON_COOKIE);
    ck_assert_int_eq(aoidc_seal_derive(&e, m2, sec, 22, tp), APR_SUCCESS);
    ck_assert_reason(
        aoidc_unseal(&out, &olen, e, blob, blen, "id", 2, tp, &err), err,
        AOIDC_REASON_COOKIE);
    ck_assert_int_eq(aoidc_seal_derive(&e, m3, sec, 22, tp), APR_SUCCESS);
    ck_assert_reason(
        aoidc_unseal(&out, &olen, e, blob, blen, "id", 2, tp, &err), err,
        AOIDC_REASON_COOKIE);
    /* a prefix of the secret is another secret */
    ck_assert_int_eq(aoidc_seal_derive(&e, m1, sec, 21, tp), APR_SUCCESS);
    ck_assert_reason(
        aoidc_unseal(&out, &olen, e, blob, blen, "id", 2, tp, &err), err,
        AOIDC_REASON_COOKIE);
    /* a secret too short to key two blocks is refused */
    ck_assert_int_ne(aoidc_seal_derive(&e, m1, sec, 15, tp), APR_SUCCESS);
    /* and the master cannot open what is derived from it, nor vice versa */
    ck_assert_int_eq(aoidc_seal(&blob, &blen, m1, msg, MSGLEN, "id", 2, tp),
                     APR_SUCCESS);
    ck_assert_reason(
        aoidc_unseal(&out, &olen, d, blob, blen, "id", 2, tp, &err), err,
        AOIDC_REASON_COOKIE);
}
END_TEST

START_TEST(derive_interleaved)
{
    /* per-thread cipher contexts are keyed by seal: alternating derived
     * seals must not reuse each other's key */
    aoidc_seal_t *m = key("passphrase", "session"), *a, *b;
    unsigned char *ba, *bb, *out;
    apr_size_t la, lb, olen;
    aoidc_err_t err = {0};
    ck_assert_int_eq(aoidc_seal_derive(&a, m, "aaaaaaaaaaaaaaaaaaaaaa", 22, tp),
                     APR_SUCCESS);
    ck_assert_int_eq(aoidc_seal_derive(&b, m, "bbbbbbbbbbbbbbbbbbbbbb", 22, tp),
                     APR_SUCCESS);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(aoidc_seal(&ba, &la, a, msg, MSGLEN, NULL, 0, tp),
                         APR_SUCCESS);
        ck_assert_int_eq(aoidc_seal(&bb, &lb, b, msg, MSGLEN, NULL, 0, tp),
                         APR_SUCCESS);
        ck_assert_ok(aoidc_unseal(&out, &olen, a, ba, la, NULL, 0, tp, &err),
                     err);
        ck_assert_reason(
            aoidc_unseal(&out, &olen, a, bb, lb, NULL, 0, tp, &err), err,
            AOIDC_REASON_COOKIE);
        ck_assert_ok(aoidc_unseal(&out, &olen, b, bb, lb, NULL, 0, tp, &err),
                     err);
    }
}
END_TEST

/* AuthOIDCPassphrase NEW OLD: NEW opens what OLD sealed, and seals with
 * NEW only; derived per-session seals follow. */
/* RFC 4231 §4.3 (test case 2) and §4.2 (test case 1, a 20-byte key), the
 * message split over parts as callers split it. */
START_TEST(hmac_sha256_rfc4231)
{
    unsigned char out[32], key1[20];
    static const unsigned char want2[32] = {
        0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
        0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
        0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    static const unsigned char want1[32] = {
        0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8, 0xaf,
        0xce, 0xaf, 0x0b, 0xf1, 0x2b, 0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83,
        0x3d, 0xa7, 0x26, 0xe9, 0x37, 0x6c, 0x2e, 0x32, 0xcf, 0xf7};
    const void *parts[3] = {"what do ya", " want ", "for nothing?"};
    apr_size_t lens[3] = {10, 6, 12};
    aoidc_hmac_sha256(out, (const unsigned char *)"Jefe", 4, 3, parts, lens);
    ck_assert(!memcmp(out, want2, 32));
    memset(key1, 0x0b, sizeof(key1));
    const void *hi[1] = {"Hi There"};
    apr_size_t hl[1] = {8};
    aoidc_hmac_sha256(out, key1, sizeof(key1), 1, hi, hl);
    ck_assert(!memcmp(out, want1, 32));
}
END_TEST

START_TEST(rotation)
{
    aoidc_seal_t *oldk = key("old-passphrase-0123", "session");
    aoidc_seal_t *newk = key("new-passphrase-0123", "session");
    aoidc_seal_t *newonly = key("new-passphrase-0123", "session");
    aoidc_seal_t *d_old, *d_new;
    unsigned char *blob, *out;
    apr_size_t blen, olen;
    aoidc_err_t err = {0};
    const char *sec = "0123456789abcdefghijkl";
    aoidc_seal_set_previous(newk, oldk);
    ck_assert_int_eq(aoidc_seal(&blob, &blen, oldk, msg, MSGLEN, "a", 1, tp),
                     APR_SUCCESS);
    ck_assert_ok(aoidc_unseal(&out, &olen, newk, blob, blen, "a", 1, tp, &err),
                 err);
    ck_assert_reason(
        aoidc_unseal(&out, &olen, newonly, blob, blen, "a", 1, tp, &err), err,
        AOIDC_REASON_COOKIE);
    /* the AAD still binds under the old key */
    ck_assert_reason(
        aoidc_unseal(&out, &olen, newk, blob, blen, "b", 1, tp, &err), err,
        AOIDC_REASON_COOKIE);
    /* what NEW seals, OLD does not open */
    ck_assert_int_eq(aoidc_seal(&blob, &blen, newk, msg, MSGLEN, "a", 1, tp),
                     APR_SUCCESS);
    ck_assert_reason(
        aoidc_unseal(&out, &olen, oldk, blob, blen, "a", 1, tp, &err), err,
        AOIDC_REASON_COOKIE);
    /* derived seals: a session sealed under OLD opens under NEW OLD */
    ck_assert_int_eq(aoidc_seal_derive(&d_old, oldk, sec, 22, tp), APR_SUCCESS);
    ck_assert_int_eq(aoidc_seal_derive(&d_new, newk, sec, 22, tp), APR_SUCCESS);
    ck_assert_int_eq(aoidc_seal(&blob, &blen, d_old, msg, MSGLEN, "a", 1, tp),
                     APR_SUCCESS);
    ck_assert_ok(aoidc_unseal(&out, &olen, d_new, blob, blen, "a", 1, tp, &err),
                 err);
    ck_assert_mem_eq(out, msg, MSGLEN);
}
END_TEST

TCase *aoidc_seal_tcase(void)
{
    TCase *tc = aoidc_test_tcase("seal");
    tcase_add_test(tc, roundtrip);
    tcase_add_test(tc, empty_and_no_aad);
    tcase_add_test(tc, fresh_nonce_each_time);
    tcase_add_test(tc, keys_deterministic);
    tcase_add_test(tc, refuses_other_context);
    tcase_add_test(tc, refuses_tampering);
    tcase_add_test(tc, refuses_truncation_and_extension);
    tcase_add_test(tc, text_roundtrip);
    tcase_add_test(tc, sha256);
    tcase_add_test(tc, fingerprint);
    tcase_add_test(tc, derive_needs_master_and_secret);
    tcase_add_test(tc, derive_interleaved);
    tcase_add_test(tc, rotation);
    tcase_add_test(tc, hmac_sha256_rfc4231);
    return tc;
}
