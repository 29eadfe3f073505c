/* SPDX-License-Identifier: Apache-2.0 */
/* core/match.c: `Require claim` and `Require scope`. */
#include "core/match.h"
#include "unit.h"

static apr_array_header_t *list(const char *json)
{
    json_error_t e;
    json_t *j = json_loads(json, 0, &e);
    ck_assert_msg(j != NULL, "%s", e.text);
    apr_array_header_t *l = aoidc_claims_add_json(NULL, j, tp);
    json_decref(j);
    return l;
}

START_TEST(dotted_paths)
{
    apr_array_header_t *l = list(
        "{\"sub\":\"alice\",\"realm_access\":{\"roles\":[\"admin\",\"dev\"]},"
        "\"resource_access\":{\"app\":{\"roles\":[\"reader\"]},"
        "\"web.ui\":{\"roles\":[\"editor\"]}},"
        "\"orgs\":[{\"name\":\"acme\",\"level\":3},{\"name\":\"globex\"}],"
        "\"a.b\":{\"c\":\"dotted-name\"},\"plain.dot\":\"x\","
        "\"flag\":{\"on\":true},\"deep\":{\"l\":[[\"nested\"]]}}");
    ck_assert(aoidc_match_claim(l, "realm_access.roles", "admin", tp));
    ck_assert(aoidc_match_claim(l, "realm_access.roles", "dev", tp));
    ck_assert(!aoidc_match_claim(l, "realm_access.roles", "root", tp));
    ck_assert(!aoidc_match_claim(l, "realm_access.role", "admin", tp));
    ck_assert(!aoidc_match_claim(l, "realm_access", "admin", tp));
    ck_assert(aoidc_match_claim(l, "resource_access.app.roles", "reader", tp));
    ck_assert(!aoidc_match_claim(l, "resource_access.app.roles", "editor", tp));
    /* inside an array of objects */
    ck_assert(aoidc_match_claim(l, "orgs.name", "globex", tp));
    ck_assert(aoidc_match_claim(l, "orgs.level", "3", tp));
    ck_assert(!aoidc_match_claim(l, "orgs.name", "initech", tp));
    /* a claim whose own name has a dot, and a plain one */
    ck_assert(aoidc_match_claim(l, "a.b.c", "dotted-name", tp));
    ck_assert(aoidc_match_claim(l, "plain.dot", "x", tp));
    ck_assert(aoidc_match_claim(l, "flag.on", "true", tp));
    /* arrays in arrays are not flattened; empty parts match nothing */
    ck_assert(!aoidc_match_claim(l, "deep.l", "nested", tp));
    ck_assert(!aoidc_match_claim(l, "realm_access.", "admin", tp));
    ck_assert(!aoidc_match_claim(l, ".roles", "admin", tp));
    ck_assert(!aoidc_match_claim(l, "realm_access..roles", "admin", tp));
    ck_assert(!aoidc_match_claim(l, "sub.x", "alice", tp));
}
END_TEST

START_TEST(claim)
{
    apr_array_header_t *l =
        list("{\"sub\":\"alice\",\"groups\":[\"admin\",\"dev\",7],\"age\":42,"
             "\"ok\":true,\"no\":false,\"org\":{\"a\":1},\"ratio\":1.5,"
             "\"empty\":\"\"}");
    ck_assert(aoidc_match_claim(l, "sub", "alice", tp));
    ck_assert(!aoidc_match_claim(l, "sub", "Alice", tp));
    ck_assert(!aoidc_match_claim(l, "sub", "alic", tp));
    ck_assert(!aoidc_match_claim(l, "sub", "alice ", tp));
    ck_assert(aoidc_match_claim(l, "groups", "admin", tp));
    ck_assert(aoidc_match_claim(l, "groups", "dev", tp));
    ck_assert(!aoidc_match_claim(l, "groups", "ops", tp));
    ck_assert(!aoidc_match_claim(l, "groups", "7", tp)); /* strings only */
    ck_assert(!aoidc_match_claim(l, "groups", "adm", tp));
    ck_assert(aoidc_match_claim(l, "age", "42", tp));
    ck_assert(!aoidc_match_claim(l, "age", "4", tp));
    ck_assert(!aoidc_match_claim(l, "age", "42.0", tp));
    ck_assert(aoidc_match_claim(l, "ok", "true", tp));
    ck_assert(!aoidc_match_claim(l, "ok", "false", tp));
    ck_assert(aoidc_match_claim(l, "no", "false", tp));
    ck_assert(aoidc_match_claim(l, "ratio", "1.5", tp));
    ck_assert(aoidc_match_claim(l, "empty", "", tp));
    ck_assert(!aoidc_match_claim(l, "missing", "x", tp));
    ck_assert(!aoidc_match_claim(l, "SUB", "alice", tp));
    ck_assert(!aoidc_match_claim(NULL, "sub", "alice", tp));
}
END_TEST

START_TEST(scope)
{
    apr_array_header_t *l = list("{\"scope\":\"openid api:read api:write\"}");
    ck_assert(aoidc_match_scope(l, "openid", tp));
    ck_assert(aoidc_match_scope(l, "api:read", tp));
    ck_assert(aoidc_match_scope(l, "api:write", tp));
    ck_assert(!aoidc_match_scope(l, "api", tp));
    ck_assert(!aoidc_match_scope(l, "read", tp));
    ck_assert(!aoidc_match_scope(l, "api:rea", tp));
    ck_assert(!aoidc_match_scope(l, "pi:read", tp));
    ck_assert(!aoidc_match_scope(l, "", tp));
    ck_assert(!aoidc_match_scope(l, "API:READ", tp));
    /* a prefix match early in the string must not stop the search */
    l = list("{\"scope\":\"api:readonly api:read\"}");
    ck_assert(aoidc_match_scope(l, "api:read", tp));
    l = list("{\"scope\":\"api:readonly\"}");
    ck_assert(!aoidc_match_scope(l, "api:read", tp));
}
END_TEST

START_TEST(scp_array)
{
    apr_array_header_t *l = list("{\"scp\":[\"a\",\"b c\"]}");
    ck_assert(aoidc_match_scope(l, "a", tp));
    ck_assert(aoidc_match_scope(l, "b c", tp));
    ck_assert(!aoidc_match_scope(l, "b", tp));
    l = list("{\"scp\":\"x\"}");
    ck_assert(aoidc_match_scope(l, "x", tp));
    ck_assert(!aoidc_match_scope(l, "y", tp));
    /* Entra ID: scp is a space-separated string */
    l = list("{\"scp\":\"access_as_user User.Read\"}");
    ck_assert(aoidc_match_scope(l, "access_as_user", tp));
    ck_assert(aoidc_match_scope(l, "User.Read", tp));
    ck_assert(!aoidc_match_scope(l, "User", tp));
    ck_assert(!aoidc_match_scope(l, "", tp));
    /* both present: either may hold it */
    l = list("{\"scope\":\"s1\",\"scp\":[\"s2\"]}");
    ck_assert(aoidc_match_scope(l, "s1", tp));
    ck_assert(aoidc_match_scope(l, "s2", tp));
    /* a scope claim that is not a string is not split */
    l = list("{\"scope\":[\"a\"]}");
    ck_assert(!aoidc_match_scope(l, "a", tp));
    ck_assert(!aoidc_match_scope(list("{}"), "a", tp));
}
END_TEST

static apr_array_header_t *words(const char *a, const char *b)
{
    apr_array_header_t *v = apr_array_make(tp, 2, sizeof(const char *));
    if (a) {
        APR_ARRAY_PUSH(v, const char *) = a;
    }
    if (b) {
        APR_ARRAY_PUSH(v, const char *) = b;
    }
    return v;
}

START_TEST(acr)
{
    apr_array_header_t *want = words("mfa", "urn:acr:high");
    ck_assert(aoidc_match_acr(list("{\"acr\":\"mfa\"}"), want));
    ck_assert(aoidc_match_acr(list("{\"acr\":\"urn:acr:high\"}"), want));
    ck_assert(!aoidc_match_acr(list("{\"acr\":\"pwd\"}"), want));
    ck_assert(!aoidc_match_acr(list("{\"acr\":\"MFA\"}"), want));
    ck_assert(!aoidc_match_acr(list("{\"acr\":\"mf\"}"), want));
    ck_assert(!aoidc_match_acr(list("{\"acr\":\"\"}"), words("", NULL)));
    /* absent, or not a string (an array holding it is no acr) */
    ck_assert(!aoidc_match_acr(list("{\"sub\":\"a\"}"), want));
    ck_assert(!aoidc_match_acr(list("{\"acr\":[\"mfa\"]}"), want));
    ck_assert(!aoidc_match_acr(list("{\"acr\":1}"), words("1", NULL)));
    ck_assert(!aoidc_match_acr(NULL, want));
    ck_assert(!aoidc_match_acr(list("{\"acr\":\"mfa\"}"), words(NULL, NULL)));
}
END_TEST

START_TEST(max_age)
{
    apr_time_t now = apr_time_from_sec(1700000000);
    /* at the limit, past it only within the leeway */
    ck_assert(
        aoidc_match_max_age(list("{\"auth_time\":1699999700}"), 300, 0, now));
    ck_assert(
        !aoidc_match_max_age(list("{\"auth_time\":1699999699}"), 300, 0, now));
    ck_assert(
        aoidc_match_max_age(list("{\"auth_time\":1699999650}"), 300, 60, now));
    ck_assert(
        !aoidc_match_max_age(list("{\"auth_time\":1699999639}"), 300, 60, now));
    ck_assert(aoidc_match_max_age(list("{\"auth_time\":1699999999.75}"), 300, 0,
                                  now));
    /* max_age 0: only a login of this second (plus leeway) */
    ck_assert(
        aoidc_match_max_age(list("{\"auth_time\":1700000000}"), 0, 0, now));
    ck_assert(
        !aoidc_match_max_age(list("{\"auth_time\":1699999999}"), 0, 0, now));
    /* from the future beyond the leeway */
    ck_assert(
        aoidc_match_max_age(list("{\"auth_time\":1700000030}"), 300, 60, now));
    ck_assert(
        !aoidc_match_max_age(list("{\"auth_time\":1700000061}"), 300, 60, now));
    /* absent or not a plain number: too old */
    ck_assert(!aoidc_match_max_age(list("{\"sub\":\"a\"}"), 300, 60, now));
    ck_assert(!aoidc_match_max_age(NULL, 300, 60, now));
    ck_assert(!aoidc_match_max_age(list("{\"auth_time\":\"1700000000\"}"), 300,
                                   60, now));
    ck_assert(!aoidc_match_max_age(list("{\"auth_time\":-5}"), 300, 60, now));
    ck_assert(!aoidc_match_max_age(list("{\"auth_time\":true}"), 300, 60, now));
}
END_TEST

START_TEST(stepup_params)
{
    ck_assert_str_eq(aoidc_stepup_params(NULL, -1, tp), "");
    ck_assert_str_eq(aoidc_stepup_params(words("mfa", "hw"), -1, tp),
                     ", acr_values=\"mfa hw\"");
    ck_assert_str_eq(aoidc_stepup_params(NULL, 300, tp), ", max_age=300");
    ck_assert_str_eq(aoidc_stepup_params(words("mfa", NULL), 0, tp),
                     ", acr_values=\"mfa\", max_age=0");
    ck_assert_str_eq(aoidc_stepup_params(words(NULL, NULL), -1, tp), "");
    ck_assert_ptr_null(aoidc_acr_join(words(NULL, NULL), tp));
    ck_assert_str_eq(aoidc_acr_join(words("a", "b"), tp), "a b");
}
END_TEST

TCase *aoidc_match_tcase(void)
{
    TCase *tc = aoidc_test_tcase("match");
    tcase_add_test(tc, claim);
    tcase_add_test(tc, dotted_paths);
    tcase_add_test(tc, scope);
    tcase_add_test(tc, scp_array);
    tcase_add_test(tc, acr);
    tcase_add_test(tc, max_age);
    tcase_add_test(tc, stepup_params);
    return tc;
}
