/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One harness source, three builds:
 *   - libFuzzer (build.sh): each fuzz_<t>.c defines LLVMFuzzerTestOneInput;
 *   - corpus replay (make check): compiled with -DAOIDC_FUZZ_REPLAY, each
 *     defines fuzz_<t>_one instead and standalone.c calls them all;
 *   - OSS-Fuzz later: as libFuzzer.
 * Harnesses link the core only. A property that does not hold is reported
 * with abort(), so both libFuzzer and the replay see a crash.
 */
#ifndef AOIDC_FUZZ_H
#define AOIDC_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_allocator.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

/* clang-format off */
#define AOIDC_FUZZ_TARGETS(X)                                                \
    X(b64url) X(json) X(jwks) X(jws) X(jwt) X(metadata) X(cookie)            \
    X(auth_response) X(token) X(state) X(session) X(bearer_header)           \
    X(introspection) X(url) X(claims) X(bearer_entry) X(logout_token)      \
    X(redis_url) X(redis_reply) X(store_spec) X(cookie_session)  \
    X(replay) X(basic) X(dpop) X(par) X(dpop_nonce) X(cert_pem)          \
    X(jose_header) X(members)
/* clang-format on */

#ifdef AOIDC_FUZZ_REPLAY
#define AOIDC_FUZZ_ENTRY(t)                                                    \
    int fuzz_##t##_one(const uint8_t *data, size_t size);                      \
    int fuzz_##t##_one(const uint8_t *data, size_t size)
#else
#define AOIDC_FUZZ_ENTRY(t)                                                    \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

/* Fixed inputs (keys) are made once and kept for the whole run; APR pool
 * memory may not be scanned by LeakSanitizer, so it would report them as
 * leaked at the first input. Allocations between OFF and ON are exempt. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AOIDC_FUZZ_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define AOIDC_FUZZ_LSAN 1
#endif
#ifdef AOIDC_FUZZ_LSAN
#include <sanitizer/lsan_interface.h>
#define FUZZ_LSAN_OFF() __lsan_disable()
#define FUZZ_LSAN_ON()  __lsan_enable()
#else
#define FUZZ_LSAN_OFF()
#define FUZZ_LSAN_ON()
#endif

/* Fuzzing instant: the same "now" the unit tests use. */
#define FUZZ_NOW apr_time_from_sec(1700000000)
#define FUZZ_ISS "https://op.example.com"

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,          \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* A process-wide pool for fixed inputs (keys), made on first use. */
static inline apr_pool_t *fuzz_global_pool(void)
{
    static apr_pool_t *g;
    if (!g) {
        FUZZ_LSAN_OFF();
        apr_initialize();
        apr_pool_create(&g, NULL);
        FUZZ_LSAN_ON();
    }
    return g;
}

/* A fresh pool per input on its own allocator that keeps nothing free, so
 * ASan sees a use after the pool is gone. */
static inline apr_pool_t *fuzz_pool(void)
{
    apr_allocator_t *a;
    apr_pool_t *p;
    fuzz_global_pool();
    apr_allocator_create(&a);
    apr_allocator_max_free_set(a, 1);
    apr_pool_create_ex(&p, NULL, NULL, a);
    apr_allocator_owner_set(a, p);
    return p;
}

/* The input as a NUL-terminated string (embedded NULs cut it short). */
static inline char *fuzz_str(const uint8_t *data, size_t size, apr_pool_t *p)
{
    char *s = apr_palloc(p, size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The input as an exactly sized heap copy: ASan catches any over-read. */
static inline unsigned char *fuzz_exact(const uint8_t *data, size_t size,
                                        apr_pool_t *p)
{
    unsigned char *b = apr_palloc(p, size ? size : 1);
    if (size) {
        memcpy(b, data, size);
    }
    return b;
}

#endif
