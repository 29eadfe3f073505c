/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the unit tests (and, for the parts without Check, the fuzzers):
 * the per-test pool fixture, access to test/vectors, test keys and a JWT
 * signer, an in-memory store and a fake HTTP client. Nothing here includes
 * an httpd header; tests see the core exactly as the glue does.
 */
#ifndef AOIDC_TEST_TESTUTIL_H
#define AOIDC_TEST_TESTUTIL_H

#include <check.h>
#include <cjose/cjose.h>
#include <jansson.h>

#include "core/http.h"
#include "core/jwk.h"
#include "core/store.h"

/* A fixed "now" for everything time-based: 2023-11-14T22:13:20Z, the same
 * instant test/vectors/gen-vectors.py signs against. */
#define T_NOW_SEC 1700000000
#define T_NOW     apr_time_from_sec(T_NOW_SEC)
#define T_ISS     "https://op.example.com"
#define T_AUD     "client-1"

/* --- fixture ---------------------------------------------------------- */

/** The pool of the running test: created before each test on its own
 *  allocator with max_free 1, so freed blocks go back to free() and ASan
 *  sees any use after the pool is destroyed; destroyed after the test. */
extern apr_pool_t *tp;

void aoidc_test_pool_setup(void);
void aoidc_test_pool_teardown(void);

/** A TCase called name with the pool fixture and a timeout suited to
 *  sanitizer and valgrind runs. */
TCase *aoidc_test_tcase(const char *name);

/** Assert that rv is a failure and err names reason. */
#define ck_assert_reason(rv, err, want)                                        \
    do {                                                                       \
        apr_status_t rv_ = (rv);                                               \
        ck_assert_msg(rv_ != APR_SUCCESS, "expected reason %s, got success",   \
                      aoidc_reason_name(want));                                \
        ck_assert_msg(                                                         \
            (err).reason == (want), "expected reason %s, got %s (%s)",         \
            aoidc_reason_name(want), aoidc_reason_name((err).reason),          \
            (err).detail ? (err).detail : "");                                 \
    } while (0)

/** Assert success, printing the reason otherwise. */
#define ck_assert_ok(rv, err)                                                  \
    do {                                                                       \
        apr_status_t rv_ = (rv);                                               \
        ck_assert_msg(rv_ == APR_SUCCESS, "expected success, got %d: %s (%s)", \
                      rv_, aoidc_reason_name((err).reason),                    \
                      (err).detail ? (err).detail : "");                       \
    } while (0)

/* --- vectors ---------------------------------------------------------- */

/** test/vectors (AOIDC_TEST_VECTORS in the environment, else compiled in). */
const char *aoidc_test_vectors_dir(void);

/** Contents of vectors/<rel>, NUL-terminated; NULL when unreadable. */
char *aoidc_test_read(const char *rel, apr_size_t *len, apr_pool_t *p);

/** Names of the sub-directories of vectors/<rel>, sorted. */
apr_array_header_t *aoidc_test_list_dir(const char *rel, apr_pool_t *p);

/** Map a reason name ("signature") back to its value; -1 if unknown. */
int aoidc_test_reason_from_name(const char *name);

/* --- keys and tokens -------------------------------------------------- */

/** A private test key from vectors/keys/<name>.jwk.json ("rsa2048",
 *  "rsa2048-other", "ec-p256", "ec-p384"); released by a cleanup of p. */
cjose_jwk_t *aoidc_test_key(const char *name, apr_pool_t *p);

/** vectors/keys/jwks.json parsed: rsa2048 as kid "rsa-1", ec-p256 as
 *  kid "ec-1", both use "sig". */
aoidc_jwks_t *aoidc_test_jwks(apr_pool_t *p);

/** Compact JWS over claims (a reference is stolen) with header
 *  {alg, kid (if not NULL), typ (if not NULL)}, signed with key. */
char *aoidc_test_sign(cjose_jwk_t *key, const char *alg, const char *kid,
                      const char *typ, json_t *claims, apr_pool_t *p);

/** The same with a "jwk" header member (stolen), no kid: a DPoP proof. */
char *aoidc_test_sign_jwk(cjose_jwk_t *key, const char *alg, const char *typ,
                          json_t *hdr_jwk, json_t *claims, apr_pool_t *p);

/** The same with an HMAC key made from secret. */
char *aoidc_test_sign_hmac(const char *secret, const char *alg, json_t *claims,
                           apr_pool_t *p);

/** Usual ID Token claims at T_NOW: iss T_ISS, aud T_AUD, sub "alice",
 *  iat now-10, exp now+3600 (a new reference). */
json_t *aoidc_test_claims(void);

/** Asserts that two claim lists (of aoidc_claim_t) hold the same entries
 *  in the same order: name, value and is_json. */
void aoidc_test_same_claims(const apr_array_header_t *a,
                            const apr_array_header_t *b);

/* --- in-memory store (mem_store.c) ------------------------------------ */

typedef struct aoidc_mem_store_t aoidc_mem_store_t;

/** A store in p. Expiry is judged against *now when set through
 *  aoidc_mem_store_set_now, else against apr_time_now(). */
aoidc_store_t *aoidc_mem_store_create(aoidc_mem_store_t **ms, apr_pool_t *p);
void aoidc_mem_store_set_now(aoidc_mem_store_t *ms, apr_time_t now);
/** Live (unexpired) entries. */
int aoidc_mem_store_count(aoidc_mem_store_t *ms);

/* --- fake HTTP (fake_http.c) ------------------------------------------ */

typedef struct aoidc_fake_http_t aoidc_fake_http_t;

/** An http.h client in p whose send answers from routes set below. An
 *  unrouted URL fails like a dead host (AOIDC_REASON_OP_UNREACHABLE).
 *  send may be called from several threads at once. */
aoidc_http_t *aoidc_fake_http_create(aoidc_fake_http_t **f, apr_pool_t *p);
/** Answer url with status and body (copied). */
void aoidc_fake_http_route(aoidc_fake_http_t *f, const char *url, int status,
                           const char *body);
/** Answer url with these DPoP-Nonce and WWW-Authenticate headers (NULL:
 *  none); set up the route first. */
void aoidc_fake_http_headers(aoidc_fake_http_t *f, const char *url,
                             const char *dpop_nonce,
                             const char *www_authenticate);
/** Answer url only after delay (set up the route first; not thread-safe
 *  against concurrent sends, call it before starting threads). */
void aoidc_fake_http_delay(aoidc_fake_http_t *f, const char *url,
                           apr_interval_time_t delay);
/** Make url fail at the transport level with reason. */
void aoidc_fake_http_fail(aoidc_fake_http_t *f, const char *url,
                          aoidc_reason_t reason);
/** Requests sent to url so far (all URLs when url is NULL). */
int aoidc_fake_http_calls(aoidc_fake_http_t *f, const char *url);
/** The last request (copied into the fake's pool), or NULL. */
const aoidc_http_req_t *aoidc_fake_http_last(aoidc_fake_http_t *f);

#endif
