/* SPDX-License-Identifier: Apache-2.0 */
/* core/rs_metadata.c: RFC 9728 document and URLs. */
#include "core/rs_metadata.h"
#include "unit.h"

START_TEST(urls)
{
    /* RFC 9728 §3.1: well-known between host and path, no lone slash */
    ck_assert_str_eq(aoidc_rs_resource("https://rs.example", "/api", tp),
                     "https://rs.example/api");
    ck_assert_str_eq(aoidc_rs_resource("https://rs.example", "/", tp),
                     "https://rs.example");
    ck_assert_str_eq(
        aoidc_rs_metadata_url("https://rs.example:8443", "/api/v1", tp),
        "https://rs.example:8443/.well-known/"
        "oauth-protected-resource/api/v1");
    ck_assert_str_eq(aoidc_rs_metadata_url("http://127.0.0.1", "/", tp),
                     "http://127.0.0.1/.well-known/oauth-protected-resource");
}
END_TEST

START_TEST(document)
{
    apr_array_header_t *s = apr_array_make(tp, 3, sizeof(const char *));
    aoidc_rs_metadata_t m = {.resource = "https://rs.example/api",
                             .issuer = "https://op.example",
                             .header = true,
                             .query = true,
                             .scopes = s};
    APR_ARRAY_PUSH(s, const char *) = "read";
    APR_ARRAY_PUSH(s, const char *) = "write";
    APR_ARRAY_PUSH(s, const char *) = "read";
    ck_assert_str_eq(
        aoidc_rs_metadata_json(&m, tp),
        "{\"resource\":\"https://rs.example/api\",\"authorization_servers\":"
        "[\"https://op.example\"],\"bearer_methods_supported\":[\"header\","
        "\"query\"],\"scopes_supported\":[\"read\",\"write\"],"
        "\"dpop_bound_access_tokens_required\":false}");
    /* no issuer, no scopes, DPoP required, body only */
    m = (aoidc_rs_metadata_t){
        .resource = "https://rs.example", .body = true, .dpop_required = true};
    ck_assert_str_eq(aoidc_rs_metadata_json(&m, tp),
                     "{\"resource\":\"https://rs.example\","
                     "\"bearer_methods_supported\":[\"body\"],"
                     "\"dpop_bound_access_tokens_required\":true}");
}
END_TEST

TCase *aoidc_rs_metadata_tcase(void)
{
    TCase *tc = aoidc_test_tcase("rs_metadata");
    tcase_add_test(tc, urls);
    tcase_add_test(tc, document);
    return tc;
}
