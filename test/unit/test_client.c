/* SPDX-License-Identifier: Apache-2.0 */
/* core/client.c over the fake HTTP client: what goes on the wire (client
 * authentication per metadata, PKCE, grant bodies) and what comes back. */
#include <string.h>

#include "core/client.h"
#include "core/json.h"
#include "core/url.h"
#include "unit.h"

#define TOKEN_EP    T_ISS "/token"
#define USERINFO_EP T_ISS "/userinfo"
#define INTRO_EP    T_ISS "/introspect"
#define REVOKE_EP   T_ISS "/revoke"
#define TOKEN_OK                                                               \
    "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"id_token\":"       \
    "\"h.p.s\",\"refresh_token\":\"rt-1\",\"expires_in\":300}"

static aoidc_metadata_t md(unsigned methods)
{
    aoidc_metadata_t m = {0};
    m.issuer = T_ISS;
    m.authorization_endpoint = T_ISS "/authorize";
    m.token_endpoint = TOKEN_EP;
    m.userinfo_endpoint = USERINFO_EP;
    m.jwks_uri = T_ISS "/jwks";
    m.introspection_endpoint = INTRO_EP;
    m.token_auth_methods = methods;
    m.introspection_auth_methods = methods;
    return m;
}

static apr_table_t *body_of(aoidc_fake_http_t *f)
{
    apr_table_t *t;
    aoidc_err_t err = {0};
    const aoidc_http_req_t *r = aoidc_fake_http_last(f);
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(r->body);
    ck_assert_ok(aoidc_url_parse_query(&t, r->body, 20, tp, &err), err);
    return t;
}

START_TEST(code_exchange_basic)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md(AOIDC_AUTH_BASIC | AOIDC_AUTH_POST);
    aoidc_client_t c = {.client_id = "client-1",
                        .client_secret = "s3cret",
                        .use_post = true /* ignored: metadata decides */};
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(f, TOKEN_EP, 200, TOKEN_OK);
    ck_assert_ok(aoidc_client_code_exchange(&t, h, &m, &c, "the-code",
                                            "https://rp.example.com/cb",
                                            "verif13r", tp, &err),
                 err);
    ck_assert_str_eq(t.access_token, "at-1");
    ck_assert_str_eq(t.id_token, "h.p.s");
    ck_assert_int_eq(t.expires_in, 300);
    const aoidc_http_req_t *r = aoidc_fake_http_last(f);
    ck_assert_str_eq(r->url, TOKEN_EP);
    ck_assert_str_eq(r->authorization, "Basic Y2xpZW50LTE6czNjcmV0");
    apr_table_t *b = body_of(f);
    ck_assert_str_eq(apr_table_get(b, "grant_type"), "authorization_code");
    ck_assert_str_eq(apr_table_get(b, "code"), "the-code");
    ck_assert_str_eq(apr_table_get(b, "redirect_uri"),
                     "https://rp.example.com/cb");
    ck_assert_str_eq(apr_table_get(b, "code_verifier"), "verif13r");
    ck_assert_ptr_null(apr_table_get(b, "client_secret"));
    ck_assert_ptr_null(apr_table_get(b, "client_id"));
    ck_assert_int_eq(aoidc_fake_http_calls(f, TOKEN_EP), 1);
}
END_TEST

static int seen[AOIDC_EP__COUNT];
static int seen_status;

static void observe(aoidc_http_endpoint_t ep, apr_status_t rv, int status,
                    apr_interval_time_t took)
{
    ck_assert_int_eq(rv, APR_SUCCESS);
    ck_assert_int_ge(took, 0);
    seen[ep]++;
    seen_status = status;
}

/* the observer (metrics) hears of each call with its endpoint */
START_TEST(observer_names_the_endpoint)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md(AOIDC_AUTH_BASIC);
    aoidc_client_t c = {
        .client_id = "client-1", .client_secret = "s3cret", .use_post = true};
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    json_t *j;
    memset(seen, 0, sizeof(seen));
    h->observe = observe;
    aoidc_fake_http_route(f, TOKEN_EP, 200, TOKEN_OK);
    aoidc_fake_http_route(f, USERINFO_EP, 403, "{}");
    ck_assert_ok(aoidc_client_code_exchange(&t, h, &m, &c, "the-code",
                                            "https://rp.example.com/cb",
                                            "verif13r", tp, &err),
                 err);
    ck_assert_int_eq(seen[AOIDC_EP_TOKEN], 1);
    ck_assert_int_eq(seen_status, 200);
    ck_assert_int_ne(
        aoidc_client_userinfo(&j, h, &m, NULL, "at", "alice", tp, &err),
        APR_SUCCESS);
    ck_assert_int_eq(seen[AOIDC_EP_USERINFO], 1);
    ck_assert_int_eq(seen_status, 403);
    ck_assert_int_eq(seen[AOIDC_EP_OTHER], 0);
}
END_TEST

START_TEST(code_exchange_post_when_only_post)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md(AOIDC_AUTH_POST);
    aoidc_client_t c = {
        .client_id = "client-1", .client_secret = "s3cret", .use_post = false};
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(f, TOKEN_EP, 200, TOKEN_OK);
    ck_assert_ok(aoidc_client_code_exchange(&t, h, &m, &c, "x", "https://rp/cb",
                                            NULL, tp, &err),
                 err);
    ck_assert_ptr_null(aoidc_fake_http_last(f)->authorization);
    apr_table_t *b = body_of(f);
    ck_assert_str_eq(apr_table_get(b, "client_id"), "client-1");
    ck_assert_str_eq(apr_table_get(b, "client_secret"), "s3cret");
    ck_assert_ptr_null(apr_table_get(b, "code_verifier"));
}
END_TEST

START_TEST(code_exchange_basic_by_default)
{
    /* no methods advertised (RFC 8414 default) or only unknown ones */
    for (unsigned methods = 0; methods < 2; methods++) {
        aoidc_fake_http_t *f;
        aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
        aoidc_metadata_t m = md(methods ? AOIDC_AUTH_BASIC : 0);
        aoidc_client_t c = {.client_id = "client-1",
                            .client_secret = "s3cret",
                            .use_post = true};
        aoidc_token_response_t t;
        aoidc_err_t err = {0};
        aoidc_fake_http_route(f, TOKEN_EP, 200, TOKEN_OK);
        ck_assert_ok(aoidc_client_code_exchange(
                         &t, h, &m, &c, "x", "https://rp/cb", NULL, tp, &err),
                     err);
        ck_assert_ptr_nonnull(aoidc_fake_http_last(f)->authorization);
        ck_assert_ptr_null(apr_table_get(body_of(f), "client_secret"));
    }
}
END_TEST

START_TEST(code_exchange_public_client)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md(AOIDC_AUTH_BASIC);
    aoidc_client_t c = {
        .client_id = "pub", .client_secret = NULL, .use_post = false};
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(f, TOKEN_EP, 200, TOKEN_OK);
    ck_assert_ok(aoidc_client_code_exchange(&t, h, &m, &c, "x", "https://rp/cb",
                                            "v", tp, &err),
                 err);
    ck_assert_ptr_null(aoidc_fake_http_last(f)->authorization);
    ck_assert_str_eq(apr_table_get(body_of(f), "client_id"), "pub");
}
END_TEST

START_TEST(code_exchange_failures)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md(AOIDC_AUTH_BASIC);
    aoidc_client_t c = {
        .client_id = "client-1", .client_secret = "s3cret", .use_post = false};
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    /* OIDC needs an id_token from the code exchange */
    aoidc_fake_http_route(f, TOKEN_EP, 200,
                          "{\"access_token\":\"a\",\"token_type\":\"Bearer\"}");
    ck_assert_reason(aoidc_client_code_exchange(
                         &t, h, &m, &c, "x", "https://rp/cb", NULL, tp, &err),
                     err, AOIDC_REASON_OP_BAD_RESPONSE);
    aoidc_fake_http_route(f, TOKEN_EP, 400, "{\"error\":\"invalid_grant\"}");
    ck_assert_reason(aoidc_client_code_exchange(
                         &t, h, &m, &c, "x", "https://rp/cb", NULL, tp, &err),
                     err, AOIDC_REASON_TOKEN_ENDPOINT);
    aoidc_fake_http_fail(f, TOKEN_EP, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_reason(aoidc_client_code_exchange(
                         &t, h, &m, &c, "x", "https://rp/cb", NULL, tp, &err),
                     err, AOIDC_REASON_OP_UNREACHABLE);
    m.token_endpoint = NULL;
    ck_assert_reason(aoidc_client_code_exchange(
                         &t, h, &m, &c, "x", "https://rp/cb", NULL, tp, &err),
                     err, AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_int_eq(aoidc_fake_http_calls(f, NULL), 3);
}
END_TEST

START_TEST(refresh)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md(AOIDC_AUTH_POST);
    aoidc_client_t c = {
        .client_id = "client-1", .client_secret = "s3cret", .use_post = false};
    aoidc_token_response_t t;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(
        f, TOKEN_EP, 200,
        "{\"access_token\":\"at-2\",\"token_type\":\"Bearer\"}");
    ck_assert_ok(aoidc_client_refresh(&t, h, &m, &c, "rt 1", tp, &err), err);
    ck_assert_str_eq(t.access_token, "at-2");
    ck_assert_ptr_null(t.id_token); /* optional on refresh */
    apr_table_t *b = body_of(f);
    ck_assert_str_eq(apr_table_get(b, "grant_type"), "refresh_token");
    ck_assert_str_eq(apr_table_get(b, "refresh_token"), "rt 1");
    ck_assert_str_eq(apr_table_get(b, "client_secret"), "s3cret");
    aoidc_fake_http_route(f, TOKEN_EP, 400, "{\"error\":\"invalid_grant\"}");
    ck_assert_reason(aoidc_client_refresh(&t, h, &m, &c, "rt", tp, &err), err,
                     AOIDC_REASON_TOKEN_ENDPOINT);
}
END_TEST

START_TEST(userinfo)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md(AOIDC_AUTH_BASIC);
    json_t *ui = NULL;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(f, USERINFO_EP, 200,
                          "{\"sub\":\"alice\",\"email\":\"a@example.com\"}");
    ck_assert_ok(
        aoidc_client_userinfo(&ui, h, &m, NULL, "at-1", "alice", tp, &err),
        err);
    ck_assert_str_eq(aoidc_json_str(ui, "email"), "a@example.com");
    const aoidc_http_req_t *r = aoidc_fake_http_last(f);
    ck_assert_str_eq(r->authorization, "Bearer at-1");
    ck_assert_ptr_null(r->body); /* GET */
}
END_TEST

START_TEST(userinfo_sub_mismatch)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md(AOIDC_AUTH_BASIC);
    json_t *ui = NULL;
    aoidc_err_t err = {0};
    static const char *const bodies[] = {
        "{\"sub\":\"mallory\"}", "{\"sub\":\"alice \"}",
        "{\"sub\":\"Alice\"}",   "{\"email\":\"a@example.com\"}",
        "{\"sub\":1}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        aoidc_fake_http_route(f, USERINFO_EP, 200, bodies[i]);
        ck_assert_reason(
            aoidc_client_userinfo(&ui, h, &m, NULL, "at", "alice", tp, &err),
            err, AOIDC_REASON_USERINFO_SUB);
    }
    aoidc_fake_http_route(f, USERINFO_EP, 401, "{\"sub\":\"alice\"}");
    ck_assert_reason(
        aoidc_client_userinfo(&ui, h, &m, NULL, "at", "alice", tp, &err), err,
        AOIDC_REASON_OP_BAD_RESPONSE);
    aoidc_fake_http_route(f, USERINFO_EP, 200, "eyJhbGciOi.signed.jwt");
    ck_assert_reason(
        aoidc_client_userinfo(&ui, h, &m, NULL, "at", "alice", tp, &err), err,
        AOIDC_REASON_OP_BAD_RESPONSE);
}
END_TEST

START_TEST(introspect)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_client_t c = {
        .client_id = "rs", .client_secret = "rs-secret", .use_post = false};
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    aoidc_metadata_t m = md(AOIDC_AUTH_BASIC);
    aoidc_fake_http_route(f, INTRO_EP, 200, "{\"active\":true}");
    ck_assert_ok(
        aoidc_client_introspect(&resp, h, &m, &c, "opaque+tok", tp, &err), err);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(resp.body, "{\"active\":true}");
    ck_assert_str_eq(aoidc_fake_http_last(f)->authorization,
                     "Basic cnM6cnMtc2VjcmV0");
    apr_table_t *b = body_of(f);
    ck_assert_str_eq(apr_table_get(b, "token"), "opaque+tok");
    ck_assert_str_eq(apr_table_get(b, "token_type_hint"), "access_token");
    ck_assert_ptr_null(apr_table_get(b, "client_secret"));
    /* the introspection endpoint's own methods decide */
    m.introspection_auth_methods = AOIDC_AUTH_POST;
    ck_assert_ok(aoidc_client_introspect(&resp, h, &m, &c, "t", tp, &err), err);
    ck_assert_ptr_null(aoidc_fake_http_last(f)->authorization);
    ck_assert_str_eq(apr_table_get(body_of(f), "client_secret"), "rs-secret");
    /* statuses come back unjudged */
    aoidc_fake_http_route(f, INTRO_EP, 503, "busy");
    ck_assert_ok(aoidc_client_introspect(&resp, h, &m, &c, "t", tp, &err), err);
    ck_assert_int_eq(resp.status, 503);
    aoidc_fake_http_fail(f, INTRO_EP, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_reason(aoidc_client_introspect(&resp, h, &m, &c, "t", tp, &err),
                     err, AOIDC_REASON_OP_UNREACHABLE);
}
END_TEST

/* RFC 7009: token and hint in the body, client auth as for the token
 * endpoint (or as the revocation methods say), 200 is success. */
START_TEST(revoke_token)
{
    aoidc_fake_http_t *f;
    aoidc_http_t *h = aoidc_fake_http_create(&f, tp);
    aoidc_metadata_t m = md(AOIDC_AUTH_BASIC | AOIDC_AUTH_POST);
    aoidc_client_t c = {
        .client_id = "client-1", .client_secret = "s3cret", .use_post = false};
    aoidc_err_t err = {0};
    m.revocation_auth_methods = m.token_auth_methods;

    /* no endpoint: nothing sent */
    ck_assert_int_eq(
        aoidc_client_revoke(h, &m, &c, "rt-1", "refresh_token", tp, &err),
        APR_ENOTIMPL);
    ck_assert_int_eq(aoidc_fake_http_calls(f, NULL), 0);

    m.revocation_endpoint = REVOKE_EP;
    aoidc_fake_http_route(f, REVOKE_EP, 200, "");
    ck_assert_ok(
        aoidc_client_revoke(h, &m, &c, "rt-1", "refresh_token", tp, &err), err);
    ck_assert_str_eq(aoidc_fake_http_last(f)->authorization,
                     "Basic Y2xpZW50LTE6czNjcmV0");
    apr_table_t *b = body_of(f);
    ck_assert_str_eq(apr_table_get(b, "token"), "rt-1");
    ck_assert_str_eq(apr_table_get(b, "token_type_hint"), "refresh_token");
    ck_assert_ptr_null(apr_table_get(b, "client_secret"));

    /* only post offered; no hint */
    m.revocation_auth_methods = AOIDC_AUTH_POST;
    ck_assert_ok(aoidc_client_revoke(h, &m, &c, "at-1", NULL, tp, &err), err);
    ck_assert_ptr_null(aoidc_fake_http_last(f)->authorization);
    b = body_of(f);
    ck_assert_str_eq(apr_table_get(b, "token"), "at-1");
    ck_assert_ptr_null(apr_table_get(b, "token_type_hint"));
    ck_assert_str_eq(apr_table_get(b, "client_id"), "client-1");
    ck_assert_str_eq(apr_table_get(b, "client_secret"), "s3cret");

    /* errors */
    aoidc_fake_http_route(f, REVOKE_EP, 400,
                          "{\"error\":\"unsupported_token_type\"}");
    ck_assert_reason(aoidc_client_revoke(h, &m, &c, "x", NULL, tp, &err), err,
                     AOIDC_REASON_TOKEN_ENDPOINT);
    aoidc_fake_http_route(f, REVOKE_EP, 401, "{\"error\":\"invalid_client\"}");
    ck_assert_reason(aoidc_client_revoke(h, &m, &c, "x", NULL, tp, &err), err,
                     AOIDC_REASON_TOKEN_ENDPOINT);
    aoidc_fake_http_route(f, REVOKE_EP, 400, "not json");
    ck_assert_reason(aoidc_client_revoke(h, &m, &c, "x", NULL, tp, &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    aoidc_fake_http_route(f, REVOKE_EP, 503, "{\"error\":\"x\"}");
    ck_assert_reason(aoidc_client_revoke(h, &m, &c, "x", NULL, tp, &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    aoidc_fake_http_fail(f, REVOKE_EP, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_reason(aoidc_client_revoke(h, &m, &c, "x", NULL, tp, &err), err,
                     AOIDC_REASON_OP_UNREACHABLE);
}
END_TEST

TCase *aoidc_client_tcase(void)
{
    TCase *tc = aoidc_test_tcase("client");
    tcase_add_test(tc, code_exchange_basic);
    tcase_add_test(tc, observer_names_the_endpoint);
    tcase_add_test(tc, code_exchange_post_when_only_post);
    tcase_add_test(tc, code_exchange_basic_by_default);
    tcase_add_test(tc, code_exchange_public_client);
    tcase_add_test(tc, code_exchange_failures);
    tcase_add_test(tc, refresh);
    tcase_add_test(tc, userinfo);
    tcase_add_test(tc, userinfo_sub_mismatch);
    tcase_add_test(tc, introspect);
    tcase_add_test(tc, revoke_token);
    return tc;
}
