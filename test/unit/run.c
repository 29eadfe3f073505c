/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The unit test runner: one Suite holding a TCase per core unit, TAP on
 * stdout for automake's tap-driver. Check runs every test in a fork (set
 * CK_FORK=no for gdb/valgrind); CK_RUN_CASE=jws runs one unit.
 */
#include <stdlib.h>

#include <apr_general.h>
#include <curl/curl.h>

#include "unit.h"

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    Suite *s = suite_create("aoidc");
#define AOIDC_ADD_TCASE(u) suite_add_tcase(s, aoidc_##u##_tcase());
    AOIDC_UNITS(AOIDC_ADD_TCASE)
#undef AOIDC_ADD_TCASE

    SRunner *sr = srunner_create(s);
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
