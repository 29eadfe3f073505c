/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/provider.c over the fake HTTP client: metadata rules (issuer exact
 * match, https or loopback http), the cache life cycle (TTL, serve stale,
 * fail fast) and the unknown-kid JWKS refetch limit. Time is passed in.
 */
#include <stdlib.h>
#include <string.h>

#include "core/provider.h"
#include "unit.h"

#define WK       T_ISS "/.well-known/openid-configuration"
#define JWKS_URI T_ISS "/jwks"

static const char *metadata_for(const char *issuer, const char *jwks_uri)
{
    return apr_psprintf(
        tp,
        "{\"issuer\":\"%s\",\"authorization_endpoint\":\"%s/authorize\","
        "\"token_endpoint\":\"%s/token\",\"userinfo_endpoint\":\"%s/userinfo\","
        "\"jwks_uri\":\"%s\",\"introspection_endpoint\":\"%s/introspect\","
        "\"end_session_endpoint\":\"%s/logout\","
        "\"authorization_response_iss_parameter_supported\":true,"
        "\"token_endpoint_auth_methods_supported\":[\"client_secret_post\","
        "\"private_key_jwt\"]}",
        issuer, issuer, issuer, issuer, jwks_uri, issuer, issuer);
}

static const char *test_jwks_text(void)
{
    char *t = aoidc_test_read("keys/jwks.json", NULL, tp);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* --- aoidc_metadata_parse --------------------------------------------- */

static apr_status_t md_parse(aoidc_metadata_t *md, const char *issuer,
                             const char *doc, aoidc_err_t *err)
{
    return aoidc_metadata_parse(md, issuer, doc, strlen(doc), tp, err);
}

START_TEST(metadata_ok)
{
    aoidc_metadata_t md;
    aoidc_err_t err = {0};
    ck_assert_ok(md_parse(&md, T_ISS, metadata_for(T_ISS, JWKS_URI), &err),
                 err);
    ck_assert_str_eq(md.issuer, T_ISS);
    ck_assert_str_eq(md.authorization_endpoint, T_ISS "/authorize");
    ck_assert_str_eq(md.token_endpoint, T_ISS "/token");
    ck_assert_str_eq(md.userinfo_endpoint, T_ISS "/userinfo");
    ck_assert_str_eq(md.jwks_uri, JWKS_URI);
    ck_assert_str_eq(md.introspection_endpoint, T_ISS "/introspect");
    ck_assert_str_eq(md.end_session_endpoint, T_ISS "/logout");
    ck_assert(md.iss_param_supported);
    ck_assert_uint_eq(md.token_auth_methods,
                      AOIDC_AUTH_POST | AOIDC_AUTH_PRIVATE_KEY_JWT);
    ck_assert_uint_eq(md.introspection_auth_methods,
                      AOIDC_AUTH_POST | AOIDC_AUTH_PRIVATE_KEY_JWT);
}
END_TEST

START_TEST(metadata_minimal_and_defaults)
{
    aoidc_metadata_t md;
    aoidc_err_t err = {0};
    ck_assert_ok(md_parse(&md, T_ISS,
                          "{\"issuer\":\"" T_ISS
                          "\",\"authorization_endpoint\":"
                          "\"https://a.example/auth\",\"jwks_uri\":"
                          "\"https://k.example/jwks\"}",
                          &err),
                 err);
    ck_assert_ptr_null(md.token_endpoint);
    ck_assert_ptr_null(md.userinfo_endpoint);
    ck_assert_ptr_null(md.introspection_endpoint);
    ck_assert_ptr_null(md.end_session_endpoint);
    ck_assert(!md.iss_param_supported);
    /* RFC 8414 §2: client_secret_basic when absent */
    ck_assert_uint_eq(md.token_auth_methods, AOIDC_AUTH_BASIC);
    ck_assert_uint_eq(md.introspection_auth_methods, AOIDC_AUTH_BASIC);
    ck_assert_ok(md_parse(&md, T_ISS,
                          "{\"issuer\":\"" T_ISS
                          "\",\"authorization_endpoint\":"
                          "\"https://a.example/auth\",\"jwks_uri\":"
                          "\"https://k.example/jwks\","
                          "\"token_endpoint_auth_methods_supported\":"
                          "[\"client_secret_basic\",\"client_secret_post\"],"
                          "\"introspection_endpoint_auth_methods_supported\":"
                          "[\"client_secret_basic\"],"
                          "\"authorization_response_iss_parameter_supported\":"
                          "\"true\"}",
                          &err),
                 err);
    ck_assert_uint_eq(md.token_auth_methods,
                      AOIDC_AUTH_BASIC | AOIDC_AUTH_POST);
    ck_assert_uint_eq(md.introspection_auth_methods, AOIDC_AUTH_BASIC);
    ck_assert(!md.iss_param_supported); /* only JSON true counts */
}
END_TEST

/* RFC 7009 revocation endpoint and its auth methods (RFC 8414 §2):
 * absent by default; the methods fall back to the token endpoint's. */
START_TEST(metadata_revocation)
{
    aoidc_metadata_t md;
    aoidc_err_t err = {0};
    const char *base = metadata_for(T_ISS, JWKS_URI);
    ck_assert_ok(md_parse(&md, T_ISS, base, &err), err);
    ck_assert_ptr_null(md.revocation_endpoint);
    ck_assert_uint_eq(md.revocation_auth_methods,
                      AOIDC_AUTH_POST | AOIDC_AUTH_PRIVATE_KEY_JWT);
    const char *doc =
        apr_pstrcat(tp, apr_pstrndup(tp, base, strlen(base) - 1),
                    ",\"revocation_endpoint\":\"" T_ISS "/revoke\"}", NULL);
    ck_assert_ok(md_parse(&md, T_ISS, doc, &err), err);
    ck_assert_str_eq(md.revocation_endpoint, T_ISS "/revoke");
    ck_assert_uint_eq(md.revocation_auth_methods,
                      AOIDC_AUTH_POST | AOIDC_AUTH_PRIVATE_KEY_JWT);
    doc = apr_pstrcat(tp, apr_pstrndup(tp, base, strlen(base) - 1),
                      ",\"revocation_endpoint\":\"" T_ISS "/revoke\","
                      "\"revocation_endpoint_auth_methods_supported\":"
                      "[\"client_secret_basic\"]}",
                      NULL);
    ck_assert_ok(md_parse(&md, T_ISS, doc, &err), err);
    ck_assert_uint_eq(md.revocation_auth_methods, AOIDC_AUTH_BASIC);
    doc = apr_pstrcat(tp, apr_pstrndup(tp, base, strlen(base) - 1),
                      ",\"revocation_endpoint\":\"http://op.example.com/r\"}",
                      NULL);
    ck_assert_reason(md_parse(&md, T_ISS, doc, &err), err,
                     AOIDC_REASON_OP_INSECURE);
    doc = apr_pstrcat(tp, apr_pstrndup(tp, base, strlen(base) - 1),
                      ",\"revocation_endpoint\":7}", NULL);
    ck_assert_reason(md_parse(&md, T_ISS, doc, &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
}
END_TEST

START_TEST(metadata_issuer_exact)
{
    aoidc_metadata_t md;
    aoidc_err_t err = {0};
    static const char *const other[] = {
        T_ISS "/",
        "https://OP.example.com",
        "http://op.example.com",
        "https://op.example.com:443",
        "https://op.example.com/realm",
        "https://evil.example",
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        ck_assert_reason(
            md_parse(&md, T_ISS, metadata_for(other[i], JWKS_URI), &err), err,
            AOIDC_REASON_OP_ISSUER);
    }
    ck_assert_reason(md_parse(&md, T_ISS,
                              "{\"authorization_endpoint\":\"https://a/\","
                              "\"jwks_uri\":\"https://a/j\"}",
                              &err),
                     err, AOIDC_REASON_OP_ISSUER);
    ck_assert_reason(md_parse(&md, T_ISS, "{\"issuer\":[\"" T_ISS "\"]}", &err),
                     err, AOIDC_REASON_OP_ISSUER);
    /* the configured form with a trailing slash needs the same in metadata */
    ck_assert_ok(
        md_parse(&md, T_ISS "/", metadata_for(T_ISS "/", JWKS_URI), &err), err);
}
END_TEST

START_TEST(metadata_http_only_on_loopback)
{
    aoidc_metadata_t md;
    aoidc_err_t err = {0};
    ck_assert_reason(md_parse(&md, T_ISS,
                              metadata_for(T_ISS, "http://op.example.com/jwks"),
                              &err),
                     err, AOIDC_REASON_OP_INSECURE);
    const char *doc = "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":"
                      "\"https://a.example/auth\",\"jwks_uri\":"
                      "\"https://k.example/jwks\",\"token_endpoint\":"
                      "\"http://10.0.0.1/token\"}";
    ck_assert_reason(md_parse(&md, T_ISS, doc, &err), err,
                     AOIDC_REASON_OP_INSECURE);
    doc = "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":"
          "\"https://a.example/auth\",\"jwks_uri\":"
          "\"https://k.example/jwks\",\"end_session_endpoint\":"
          "\"http://op.example.com/logout\"}";
    ck_assert_reason(md_parse(&md, T_ISS, doc, &err), err,
                     AOIDC_REASON_OP_INSECURE);
    /* security review finding 13: an https issuer may not name a plain
     * http endpoint even on loopback (the client secret would go there in
     * clear) */
    static const char *const names[] = {
        "token_endpoint",       "userinfo_endpoint", "introspection_endpoint",
        "end_session_endpoint", "jwks_uri",          "authorization_endpoint"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_error_t e;
        json_t *j = json_loads(metadata_for(T_ISS, JWKS_URI), 0, &e);
        json_object_set_new(j, names[i],
                            json_string("http://127.0.0.1:8080/x"));
        char *txt = json_dumps(j, JSON_COMPACT);
        const char *d = apr_pstrdup(tp, txt);
        free(txt);
        json_decref(j);
        ck_assert_reason(md_parse(&md, T_ISS, d, &err), err,
                         AOIDC_REASON_OP_INSECURE);
    }
    /* a local test OP on loopback http is fine */
    const char *local = "http://127.0.0.1:9000";
    ck_assert_ok(md_parse(&md, local,
                          metadata_for(local, "http://localhost:9000/jwks"),
                          &err),
                 err);
}
END_TEST

START_TEST(metadata_bad)
{
    static const char *const bad[] = {
        "",
        "[]",
        "not json",
        /* required endpoints */
        "{\"issuer\":\"" T_ISS "\",\"jwks_uri\":\"https://k/j\"}",
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"https://a/\"}",
        /* not strings, not URLs */
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":1,"
        "\"jwks_uri\":\"https://k/j\"}",
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"https://a/\","
        "\"jwks_uri\":\"https://k/j\",\"userinfo_endpoint\":false}",
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"/authorize\","
        "\"jwks_uri\":\"https://k/j\"}",
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"https://a/\","
        "\"jwks_uri\":\"ftp://k/j\"}",
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"https://a/\","
        "\"jwks_uri\":\"https://u:p@k/j\"}",
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"https://a/#f\","
        "\"jwks_uri\":\"https://k/j\"}",
        "{\"issuer\":\"" T_ISS "\",\"issuer\":\"" T_ISS "\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aoidc_metadata_t md;
        aoidc_err_t err = {0};
        ck_assert_reason(md_parse(&md, T_ISS, bad[i], &err), err,
                         AOIDC_REASON_OP_BAD_RESPONSE);
    }
}
END_TEST

/* --- the provider cache ----------------------------------------------- */

typedef struct {
    aoidc_fake_http_t *f;
    aoidc_http_t *h;
    aoidc_provider_t *pv;
    apr_pool_t *pchild;
} fixture_t;

static fixture_t setup(const char *issuer, const char *wk)
{
    fixture_t x;
    x.h = aoidc_fake_http_create(&x.f, tp);
    apr_pool_create(&x.pchild, tp);
    x.pv = aoidc_provider_create(issuer, tp);
    ck_assert_int_eq(aoidc_provider_child_init(x.pv, x.pchild), APR_SUCCESS);
    if (wk) {
        aoidc_fake_http_route(x.f, wk, 200, metadata_for(issuer, JWKS_URI));
        aoidc_fake_http_route(x.f, JWKS_URI, 200, test_jwks_text());
    }
    ck_assert_str_eq(aoidc_provider_issuer(x.pv), issuer);
    return x;
}

/* A request: a pool of its own, destroyed before the provider's. */
static apr_pool_t *request(void)
{
    apr_pool_t *p;
    apr_pool_create(&p, tp);
    return p;
}

static aoidc_snapshot_t *get_ok(fixture_t *x, apr_time_t now, apr_pool_t *p)
{
    aoidc_snapshot_t *s = NULL;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_provider_get(&s, x->pv, x->h, now, p, &err), err);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(first_get_fetches_then_caches)
{
    fixture_t x = setup(T_ISS, WK);
    apr_pool_t *p = request();
    aoidc_snapshot_t *s = get_ok(&x, T_NOW, p);
    ck_assert_str_eq(s->md.issuer, T_ISS);
    ck_assert_int_eq(s->jwks->keys->nelts, 2);
    ck_assert_ptr_nonnull(aoidc_jwks_find(s->jwks, "rsa-1", "RS256"));
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 1);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, JWKS_URI), 1);
    /* within the TTL: no traffic, the same snapshot */
    aoidc_snapshot_t *s2 = get_ok(&x, T_NOW + AOIDC_PROVIDER_TTL, p);
    ck_assert_ptr_eq(s2, s);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, NULL), 2);
    /* past it: refreshed */
    aoidc_snapshot_t *s3 = get_ok(&x, T_NOW + AOIDC_PROVIDER_TTL + 1, p);
    ck_assert_ptr_ne(s3, s);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 2);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, JWKS_URI), 2);
    /* the old snapshot is still usable while p holds it */
    ck_assert_str_eq(s->md.jwks_uri, JWKS_URI);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(state_for_status_pages)
{
    fixture_t x = setup(T_ISS, NULL);
    aoidc_provider_state_t st;
    aoidc_snapshot_t *s = NULL;
    aoidc_err_t err = {0};
    apr_pool_t *p = request();
    aoidc_provider_state(&st, x.pv);
    ck_assert_int_eq(st.fetched, 0);
    ck_assert_int_eq(st.serial, 0);
    aoidc_fake_http_route(x.f, WK, 503, "");
    ck_assert_int_ne(aoidc_provider_get(&s, x.pv, x.h, T_NOW, p, &err),
                     APR_SUCCESS);
    aoidc_provider_state(&st, x.pv);
    ck_assert_int_eq(st.last_failure, T_NOW);
    ck_assert_int_eq(st.last_reason, err.reason);
    ck_assert_int_ne(st.last_reason, AOIDC_REASON_NONE);
    aoidc_fake_http_route(x.f, WK, 200, metadata_for(T_ISS, JWKS_URI));
    aoidc_fake_http_route(x.f, JWKS_URI, 200, test_jwks_text());
    get_ok(&x, T_NOW + AOIDC_PROVIDER_FAIL_FAST + AOIDC_PROVIDER_RETRY + 1, p);
    aoidc_provider_state(&st, x.pv);
    ck_assert_int_eq(st.fetched, T_NOW + AOIDC_PROVIDER_FAIL_FAST
                                     + AOIDC_PROVIDER_RETRY + 1);
    ck_assert_int_eq(st.last_failure, 0);
    ck_assert_int_eq(st.last_reason, AOIDC_REASON_NONE);
    ck_assert_uint_eq(st.serial, 1);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(uses_the_callers_http)
{
    /* the client comes with each call (its timeout bounds that request) */
    fixture_t x = setup(T_ISS, NULL);
    aoidc_fake_http_t *f2;
    aoidc_http_t *h2 = aoidc_fake_http_create(&f2, tp);
    aoidc_snapshot_t *s = NULL;
    aoidc_err_t err = {0};
    apr_pool_t *p = request();
    aoidc_fake_http_route(f2, WK, 200, metadata_for(T_ISS, JWKS_URI));
    aoidc_fake_http_route(f2, JWKS_URI, 200, test_jwks_text());
    ck_assert_ok(aoidc_provider_get(&s, x.pv, h2, T_NOW, p, &err), err);
    ck_assert_int_eq(aoidc_fake_http_calls(f2, NULL), 2);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, NULL), 0);
    aoidc_fake_http_route(f2, JWKS_URI, 200, "{\"keys\":[]}");
    ck_assert_ok(aoidc_provider_refetch_keys(&s, x.pv, h2, T_NOW, p, &err),
                 err);
    ck_assert_int_eq(s->jwks->keys->nelts, 0);
    ck_assert_int_eq(aoidc_fake_http_calls(f2, JWKS_URI), 2);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, NULL), 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(well_known_url)
{
    /* a configured trailing slash does not double */
    fixture_t x = setup(T_ISS "/", NULL);
    aoidc_fake_http_route(x.f, WK, 200, metadata_for(T_ISS "/", JWKS_URI));
    aoidc_fake_http_route(x.f, JWKS_URI, 200, test_jwks_text());
    apr_pool_t *p = request();
    get_ok(&x, T_NOW, p);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 1);
    ck_assert_ptr_null(aoidc_fake_http_last(x.f)->body); /* GETs */
    apr_pool_destroy(p);
}
END_TEST

START_TEST(issuer_mismatch_refused)
{
    fixture_t x = setup(T_ISS, NULL);
    aoidc_fake_http_route(x.f, WK, 200, metadata_for(T_ISS "/", JWKS_URI));
    aoidc_fake_http_route(x.f, JWKS_URI, 200, test_jwks_text());
    aoidc_snapshot_t *s = NULL;
    aoidc_err_t err = {0};
    apr_pool_t *p = request();
    ck_assert_reason(aoidc_provider_get(&s, x.pv, x.h, T_NOW, p, &err), err,
                     AOIDC_REASON_OP_ISSUER);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, JWKS_URI), 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(http_off_loopback_refused)
{
    fixture_t x = setup(T_ISS, NULL);
    aoidc_fake_http_route(x.f, WK, 200,
                          metadata_for(T_ISS, "http://op.example.com/jwks"));
    aoidc_fake_http_route(x.f, "http://op.example.com/jwks", 200,
                          test_jwks_text());
    aoidc_snapshot_t *s = NULL;
    aoidc_err_t err = {0};
    apr_pool_t *p = request();
    ck_assert_reason(aoidc_provider_get(&s, x.pv, x.h, T_NOW, p, &err), err,
                     AOIDC_REASON_OP_INSECURE);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, "http://op.example.com/jwks"),
                     0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(bad_jwks_refused)
{
    fixture_t x = setup(T_ISS, NULL);
    aoidc_snapshot_t *s = NULL;
    aoidc_err_t err = {0};
    apr_pool_t *p = request();
    aoidc_fake_http_route(x.f, WK, 200, metadata_for(T_ISS, JWKS_URI));
    aoidc_fake_http_route(x.f, JWKS_URI, 200, "{\"keys\":\"no\"}");
    ck_assert_reason(aoidc_provider_get(&s, x.pv, x.h, T_NOW, p, &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    aoidc_fake_http_route(x.f, JWKS_URI, 404, "{}");
    ck_assert_reason(aoidc_provider_get(&s, x.pv, x.h,
                                        T_NOW + apr_time_from_sec(3), p, &err),
                     err, AOIDC_REASON_OP_BAD_RESPONSE);
    aoidc_fake_http_route(x.f, WK, 500, "oops");
    ck_assert_reason(aoidc_provider_get(&s, x.pv, x.h,
                                        T_NOW + apr_time_from_sec(6), p, &err),
                     err, AOIDC_REASON_OP_BAD_RESPONSE);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(stale_served_while_op_down)
{
    fixture_t x = setup(T_ISS, WK);
    apr_pool_t *p = request();
    aoidc_snapshot_t *s = get_ok(&x, T_NOW, p);
    aoidc_fake_http_fail(x.f, WK, AOIDC_REASON_OP_UNREACHABLE);
    aoidc_fake_http_fail(x.f, JWKS_URI, AOIDC_REASON_OP_UNREACHABLE);
    apr_time_t t = T_NOW + AOIDC_PROVIDER_TTL + 1;
    /* expired and the OP is down: the stale copy keeps serving */
    aoidc_snapshot_t *s2 = get_ok(&x, t, p);
    ck_assert_ptr_eq(s2, s);
    ck_assert_int_eq(s2->jwks->keys->nelts, 2);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 2);
    /* retries are spaced by AOIDC_PROVIDER_RETRY, not one per request */
    get_ok(&x, t + AOIDC_PROVIDER_RETRY, p);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 2);
    get_ok(&x, t + AOIDC_PROVIDER_RETRY + 1, p);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 3);
    /* the OP comes back */
    aoidc_fake_http_route(x.f, WK, 200, metadata_for(T_ISS, JWKS_URI));
    aoidc_fake_http_route(x.f, JWKS_URI, 200, test_jwks_text());
    aoidc_snapshot_t *s3 = get_ok(&x, t + 2 * AOIDC_PROVIDER_RETRY + 2, p);
    ck_assert_ptr_ne(s3, s);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 4);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(no_copy_fails_fast)
{
    fixture_t x = setup(T_ISS, NULL); /* nothing routed: host unreachable */
    aoidc_snapshot_t *s = NULL;
    aoidc_err_t err = {0};
    apr_pool_t *p = request();
    ck_assert_reason(aoidc_provider_get(&s, x.pv, x.h, T_NOW, p, &err), err,
                     AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, NULL), 1);
    /* within AOIDC_PROVIDER_FAIL_FAST: answer at once, no new attempt */
    ck_assert_reason(aoidc_provider_get(&s, x.pv, x.h,
                                        T_NOW + apr_time_from_sec(1), p, &err),
                     err, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, NULL), 1);
    /* after it: try again, and succeed once the OP answers */
    aoidc_fake_http_route(x.f, WK, 200, metadata_for(T_ISS, JWKS_URI));
    aoidc_fake_http_route(x.f, JWKS_URI, 200, test_jwks_text());
    get_ok(&x, T_NOW + AOIDC_PROVIDER_FAIL_FAST, p);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, NULL), 3);
    apr_pool_destroy(p);
}
END_TEST

static const char *jwks_with_new_key(void)
{
    /* the test JWKS plus the second RSA key as kid "rsa-2" */
    apr_size_t len;
    json_error_t e;
    char *pub = aoidc_test_read("keys/rsa2048-other.jwk.json", &len, tp);
    json_t *k = json_loadb(pub, len, 0, &e);
    json_t *doc = json_loads(test_jwks_text(), 0, &e);
    static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi"};
    for (size_t i = 0; i < 6; i++) {
        json_object_del(k, priv[i]);
    }
    json_object_set_new(k, "kid", json_string("rsa-2"));
    json_array_append_new(json_object_get(doc, "keys"), k);
    char *s = json_dumps(doc, JSON_COMPACT);
    char *out = apr_pstrdup(tp, s);
    free(s);
    json_decref(doc);
    return out;
}

START_TEST(refetch_rate_limited)
{
    /* only kid-triggered refetches count: the first may follow the initial
     * fetch at once, then at most one per AOIDC_PROVIDER_REFETCH_GAP */
    fixture_t x = setup(T_ISS, WK);
    apr_pool_t *p = request();
    aoidc_snapshot_t *s = get_ok(&x, T_NOW, p), *n = NULL;
    aoidc_err_t err = {0};
    apr_time_t t1 = T_NOW + apr_time_from_sec(1);
    aoidc_fake_http_route(x.f, JWKS_URI, 200, jwks_with_new_key());
    ck_assert_ptr_null(aoidc_jwks_find(s->jwks, "rsa-2", "RS256"));
    ck_assert_ok(aoidc_provider_refetch_keys(&n, x.pv, x.h, t1, p, &err), err);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, JWKS_URI), 2);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, WK), 1); /* keys only */
    ck_assert_ptr_nonnull(aoidc_jwks_find(n->jwks, "rsa-2", "RS256"));
    ck_assert_str_eq(n->md.token_endpoint, T_ISS "/token");
    ck_assert_str_eq(n->md.issuer, T_ISS);
    /* the new snapshot is now current; its metadata age is unchanged */
    ck_assert_ptr_eq(get_ok(&x, t1 + apr_time_from_sec(1), p), n);
    /* a storm of unknown kids in the next 5 minutes: no more fetches */
    for (int sec = 0; sec < 300; sec++) {
        ck_assert_int_eq(
            aoidc_provider_refetch_keys(&n, x.pv, x.h,
                                        t1 + apr_time_from_sec(sec), p, &err),
            APR_EAGAIN);
    }
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, JWKS_URI), 2);
    /* at the gap: one more */
    ck_assert_ok(aoidc_provider_refetch_keys(
                     &n, x.pv, x.h, t1 + AOIDC_PROVIDER_REFETCH_GAP, p, &err),
                 err);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, JWKS_URI), 3);
    ck_assert_int_eq(
        aoidc_provider_refetch_keys(
            &n, x.pv, x.h, t1 + 2 * AOIDC_PROVIDER_REFETCH_GAP - 1, p, &err),
        APR_EAGAIN);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, JWKS_URI), 3);
    /* the old snapshot is still intact for the request holding it */
    ck_assert_ptr_nonnull(aoidc_jwks_find(s->jwks, "rsa-1", "RS256"));
    ck_assert_ptr_null(aoidc_jwks_find(s->jwks, "rsa-2", "RS256"));
    apr_pool_destroy(p);
}
END_TEST

/* A keys-only refetch copies every string of the metadata into the new
 * snapshot: the old one may go first (a par_endpoint borrowed from it was
 * a use after free once the request holding the old snapshot ended). */
START_TEST(refetch_copies_all_metadata)
{
    fixture_t x = setup(T_ISS, NULL);
    apr_pool_t *p = request(), *q = request();
    const char *md = metadata_for(T_ISS, JWKS_URI);
    md = apr_pstrcat(tp, apr_pstrndup(tp, md, strlen(md) - 1),
                     ",\"revocation_endpoint\":\"" T_ISS "/revoke\","
                     "\"pushed_authorization_request_endpoint\":\"" T_ISS
                     "/par\"}",
                     NULL);
    aoidc_fake_http_route(x.f, WK, 200, md);
    aoidc_fake_http_route(x.f, JWKS_URI, 200, test_jwks_text());
    aoidc_snapshot_t *s = get_ok(&x, T_NOW, p), *n = NULL;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(x.f, JWKS_URI, 200, jwks_with_new_key());
    ck_assert_ok(aoidc_provider_refetch_keys(
                     &n, x.pv, x.h, T_NOW + apr_time_from_sec(1), q, &err),
                 err);
    const char *const *a[] = {&s->md.issuer,
                              &s->md.authorization_endpoint,
                              &s->md.token_endpoint,
                              &s->md.userinfo_endpoint,
                              &s->md.jwks_uri,
                              &s->md.introspection_endpoint,
                              &s->md.end_session_endpoint,
                              &s->md.revocation_endpoint,
                              &s->md.par_endpoint};
    const char *const *b[] = {&n->md.issuer,
                              &n->md.authorization_endpoint,
                              &n->md.token_endpoint,
                              &n->md.userinfo_endpoint,
                              &n->md.jwks_uri,
                              &n->md.introspection_endpoint,
                              &n->md.end_session_endpoint,
                              &n->md.revocation_endpoint,
                              &n->md.par_endpoint};
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        ck_assert_ptr_nonnull(*a[i]);
        ck_assert_str_eq(*a[i], *b[i]);
        ck_assert_msg(*a[i] != *b[i],
                      "field %zu borrowed from the old "
                      "snapshot",
                      i);
    }
    apr_pool_destroy(p); /* the old snapshot goes */
    ck_assert_str_eq(n->md.par_endpoint, T_ISS "/par");
    apr_pool_destroy(q);
}
END_TEST

START_TEST(refetch_failure_still_limited)
{
    fixture_t x = setup(T_ISS, WK);
    apr_pool_t *p = request();
    aoidc_snapshot_t *s = get_ok(&x, T_NOW, p), *n = NULL;
    aoidc_err_t err = {0};
    aoidc_fake_http_fail(x.f, JWKS_URI, AOIDC_REASON_OP_UNREACHABLE);
    apr_time_t t = T_NOW + apr_time_from_sec(10);
    ck_assert_reason(aoidc_provider_refetch_keys(&n, x.pv, x.h, t, p, &err),
                     err, AOIDC_REASON_OP_UNREACHABLE);
    /* a failed refetch counts too: a dead jwks_uri is not hammered */
    ck_assert_int_eq(aoidc_provider_refetch_keys(
                         &n, x.pv, x.h, t + apr_time_from_sec(1), p, &err),
                     APR_EAGAIN);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, JWKS_URI), 2);
    /* the current snapshot is untouched */
    ck_assert_ptr_eq(get_ok(&x, t + apr_time_from_sec(2), p), s);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(refetch_before_first_get)
{
    fixture_t x = setup(T_ISS, WK);
    aoidc_snapshot_t *n = NULL;
    aoidc_err_t err = {0};
    apr_pool_t *p = request();
    ck_assert_int_eq(aoidc_provider_refetch_keys(&n, x.pv, x.h, T_NOW, p, &err),
                     APR_EAGAIN);
    ck_assert_int_eq(aoidc_fake_http_calls(x.f, NULL), 0);
    apr_pool_destroy(p);
}
END_TEST

START_TEST(snapshots_outlive_refresh)
{
    /* request 1 holds snapshot A; a refresh installs B and request 2 takes
     * it; A stays valid until request 1 ends (ASan checks the frees) */
    fixture_t x = setup(T_ISS, WK);
    apr_pool_t *r1 = request(), *r2 = request(), *r3 = request();
    aoidc_snapshot_t *a = get_ok(&x, T_NOW, r1);
    aoidc_snapshot_t *b = get_ok(&x, T_NOW + AOIDC_PROVIDER_TTL + 1, r2);
    ck_assert_ptr_ne(a, b);
    ck_assert_str_eq(a->md.authorization_endpoint, T_ISS "/authorize");
    ck_assert_ptr_nonnull(aoidc_jwks_find(a->jwks, "ec-1", "ES256"));
    apr_pool_destroy(r1); /* r2 looked at A before the refresh: A stays */
    ck_assert_str_eq(a->md.issuer, T_ISS);
    ck_assert_ptr_eq(get_ok(&x, T_NOW + AOIDC_PROVIDER_TTL + 2, r3), b);
    apr_pool_destroy(r2);                       /* last holder of A: A goes */
    ck_assert_str_eq(b->md.jwks_uri, JWKS_URI); /* r3 and the cache hold B */
    apr_pool_destroy(r3);
}
END_TEST

START_TEST(first_look_once_per_snapshot)
{
    /* the glue logs the JWKS keys left out (weak RSA, bad curve) once per
     * fetch, not per request */
    fixture_t x = setup(T_ISS, NULL);
    apr_pool_t *p = request();
    aoidc_fake_http_route(x.f, WK, 200, metadata_for(T_ISS, JWKS_URI));
    aoidc_fake_http_route(
        x.f, JWKS_URI, 200,
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"tiny\",\"n\":\"AQAB\","
        "\"e\":\"AQAB\"}]}");
    aoidc_snapshot_t *a = get_ok(&x, T_NOW, p);
    ck_assert_int_eq(a->jwks->skipped->nelts, 1);
    ck_assert_str_eq(
        APR_ARRAY_IDX(a->jwks->skipped, 0, aoidc_jwk_skipped_t).why,
        "rsa_too_small");
    ck_assert(aoidc_provider_first_look(x.pv, a));
    ck_assert(!aoidc_provider_first_look(x.pv, a));
    ck_assert(!aoidc_provider_first_look(x.pv, get_ok(&x, T_NOW + 1, p)));
    /* a refresh and a kid refetch are new snapshots */
    aoidc_snapshot_t *b = get_ok(&x, T_NOW + AOIDC_PROVIDER_TTL + 1, p);
    ck_assert_ptr_ne(a, b);
    ck_assert(aoidc_provider_first_look(x.pv, b));
    ck_assert(!aoidc_provider_first_look(x.pv, a)); /* older: no */
    ck_assert(!aoidc_provider_first_look(x.pv, b));
    aoidc_snapshot_t *n = NULL;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_provider_refetch_keys(
                     &n, x.pv, x.h, T_NOW + AOIDC_PROVIDER_TTL + 2, p, &err),
                 err);
    ck_assert(aoidc_provider_first_look(x.pv, n));
    ck_assert(!aoidc_provider_first_look(x.pv, n));
    apr_pool_destroy(p);
}
END_TEST

TCase *aoidc_provider_tcase(void)
{
    TCase *tc = aoidc_test_tcase("provider");
    tcase_add_test(tc, metadata_ok);
    tcase_add_test(tc, metadata_revocation);
    tcase_add_test(tc, metadata_minimal_and_defaults);
    tcase_add_test(tc, metadata_issuer_exact);
    tcase_add_test(tc, metadata_http_only_on_loopback);
    tcase_add_test(tc, metadata_bad);
    tcase_add_test(tc, first_get_fetches_then_caches);
    tcase_add_test(tc, uses_the_callers_http);
    tcase_add_test(tc, well_known_url);
    tcase_add_test(tc, issuer_mismatch_refused);
    tcase_add_test(tc, http_off_loopback_refused);
    tcase_add_test(tc, bad_jwks_refused);
    tcase_add_test(tc, stale_served_while_op_down);
    tcase_add_test(tc, no_copy_fails_fast);
    tcase_add_test(tc, refetch_rate_limited);
    tcase_add_test(tc, refetch_failure_still_limited);
    tcase_add_test(tc, refetch_copies_all_metadata);
    tcase_add_test(tc, refetch_before_first_get);
    tcase_add_test(tc, snapshots_outlive_refresh);
    tcase_add_test(tc, first_look_once_per_snapshot);
    tcase_add_test(tc, state_for_status_pages);
    return tc;
}
