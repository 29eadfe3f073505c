/* SPDX-License-Identifier: Apache-2.0 */
/* The per-test pool fixture and access to test/vectors. */
#include <stdlib.h>
#include <string.h>

#include <apr_allocator.h>
#include <apr_file_info.h>
#include <apr_file_io.h>

#include "testutil.h"

#ifndef AOIDC_TEST_VECTORS
#define AOIDC_TEST_VECTORS "test/vectors"
#endif

apr_pool_t *tp;

void aoidc_test_pool_setup(void)
{
    apr_allocator_t *a;
    ck_assert_int_eq(apr_allocator_create(&a), APR_SUCCESS);
    /* Keep (almost) nothing on the free list: destroyed pools go back to
     * free() at once, so ASan reports use after apr_pool_destroy. */
    apr_allocator_max_free_set(a, 1);
    ck_assert_int_eq(apr_pool_create_ex(&tp, NULL, NULL, a), APR_SUCCESS);
    apr_allocator_owner_set(a, tp);
    apr_pool_tag(tp, "test");
}

void aoidc_test_pool_teardown(void)
{
    apr_pool_destroy(tp);
    tp = NULL;
}

TCase *aoidc_test_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, aoidc_test_pool_setup,
                              aoidc_test_pool_teardown);
    /* RSA under valgrind is slow; Check's default of 4 s bites. */
    tcase_set_timeout(tc, 60);
    return tc;
}

const char *aoidc_test_vectors_dir(void)
{
    const char *d = getenv("AOIDC_TEST_VECTORS");
    return d && *d ? d : AOIDC_TEST_VECTORS;
}

char *aoidc_test_read(const char *rel, apr_size_t *len, apr_pool_t *p)
{
    apr_file_t *f;
    apr_finfo_t fi;
    const char *path = apr_pstrcat(p, aoidc_test_vectors_dir(), "/", rel, NULL);
    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p)
        != APR_SUCCESS) {
        return NULL;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        apr_file_close(f);
        return NULL;
    }
    apr_size_t n = (apr_size_t)fi.size;
    char *buf = apr_palloc(p, n + 1);
    apr_status_t rv = n ? apr_file_read_full(f, buf, n, &n) : APR_SUCCESS;
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        return NULL;
    }
    buf[n] = '\0';
    if (len) {
        *len = n;
    }
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

apr_array_header_t *aoidc_test_list_dir(const char *rel, apr_pool_t *p)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_array_header_t *out = apr_array_make(p, 32, sizeof(char *));
    const char *path = apr_pstrcat(p, aoidc_test_vectors_dir(), "/", rel, NULL);
    if (apr_dir_open(&d, path, p) != APR_SUCCESS) {
        return out;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        if (fi.filetype == APR_DIR && fi.name[0] != '.') {
            APR_ARRAY_PUSH(out, char *) = apr_pstrdup(p, fi.name);
        }
    }
    apr_dir_close(d);
    qsort(out->elts, (size_t)out->nelts, sizeof(char *), cmp_str);
    return out;
}

int aoidc_test_reason_from_name(const char *name)
{
    for (int r = 0; r < AOIDC_REASON__COUNT; r++) {
        if (!strcmp(aoidc_reason_name((aoidc_reason_t)r), name)) {
            return r;
        }
    }
    return -1;
}
