/* SPDX-License-Identifier: Apache-2.0 */
/* Pushed authorization requests (RFC 9126) at login start (rp_login.c,
 * client.c): what is pushed, what the browser gets, when PAR is used, and
 * that an expired request_uri is a fresh login (rp_callback.c). */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/client.h"
#include "core/client_key.h"
#include "core/dpop_rp.h"
#include "core/pkce.h"
#include "core/url.h"
#include "flow_fixture.h"

#define FT_PAR T_ISS "/par"
#define PAR_OK                                                                 \
    "{\"request_uri\":\"urn:ietf:params:oauth:request_uri:abc-123\","          \
    "\"expires_in\":60}"

static void metadata(ft_t *f, const char *extra)
{
    aoidc_fake_http_route(
        f->fh, FT_WK, 200,
        apr_pstrcat(tp,
                    "{\"issuer\":\"" T_ISS "\","
                    "\"authorization_endpoint\":\"" FT_AUTHORIZE "\","
                    "\"token_endpoint\":\"" FT_TOKEN "\","
                    "\"jwks_uri\":\"" FT_JWKS "\","
                    "\"authorization_response_iss_parameter_supported\":true",
                    extra, "}", NULL));
}

static apr_status_t login(ft_t *f, aoidc_login_out_t *out, aoidc_err_t *err)
{
    aoidc_login_in_t in = {"/app?x=1", FT_REDIRECT, NULL, NULL, NULL};
    *err = (aoidc_err_t){0};
    return aoidc_rp_login(out, &f->rp, &f->env, &in, err);
}

START_TEST(auto_pushes_when_advertised)
{
    ft_t f;
    aoidc_login_out_t out;
    aoidc_err_t err;
    apr_table_t *t;
    ft_setup(&f);
    metadata(&f, ",\"pushed_authorization_request_endpoint\":\"" FT_PAR "\"");
    aoidc_fake_http_route(f.fh, FT_PAR, 201, PAR_OK);
    ck_assert_ok(login(&f, &out, &err), err);

    /* the browser: client_id and request_uri only */
    ck_assert_str_eq(out.location,
                     FT_AUTHORIZE "?client_id=" T_AUD "&request_uri="
                                  "urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%"
                                  "3Aabc-123");
    /* the OP: every parameter, authenticated (basic with the secret) */
    const aoidc_http_req_t *r = aoidc_fake_http_last(f.fh);
    ck_assert_str_eq(r->url, FT_PAR);
    ck_assert_ptr_nonnull(r->authorization);
    ck_assert_ok(aoidc_url_parse_query(&t, r->body, 32, tp, &err), err);
    ck_assert_str_eq(aoidc_url_param(t, "response_type"), "code");
    ck_assert_str_eq(aoidc_url_param(t, "client_id"), T_AUD);
    ck_assert_str_eq(aoidc_url_param(t, "redirect_uri"), FT_REDIRECT);
    ck_assert_str_eq(aoidc_url_param(t, "scope"), "openid email");
    ck_assert_str_eq(aoidc_url_param(t, "state"), out.state);
    ck_assert_ptr_nonnull(aoidc_url_param(t, "nonce"));
    ck_assert_str_eq(aoidc_url_param(t, "code_challenge_method"), "S256");
    ck_assert_ptr_nonnull(aoidc_url_param(t, "code_challenge"));
    /* the state cookie is set as for any login */
    ck_assert_ptr_nonnull(
        ft_cookie(out.cookies, aoidc_state_cookie_name(out.state, tp)));
}
END_TEST

/* RFC 9449 §10: with a DPoP key the authorization request (pushed or
 * not) names its thumbprint, binding the code to the key */
START_TEST(dpop_jkt_in_the_request)
{
    ft_t f;
    aoidc_login_out_t out;
    aoidc_err_t err;
    apr_table_t *t;
    aoidc_client_key_t *k;
    const char *pass = "a-passphrase-of-some-length";
    ft_setup(&f);
    ck_assert_ok(aoidc_dpop_key_derive(&k, pass, strlen(pass), tp, &err), err);
    f.rp.dpop_key = k;
    metadata(&f, ",\"pushed_authorization_request_endpoint\":\"" FT_PAR "\"");
    aoidc_fake_http_route(f.fh, FT_PAR, 201, PAR_OK);
    ck_assert_ok(login(&f, &out, &err), err);
    const aoidc_http_req_t *r = aoidc_fake_http_last(f.fh);
    ck_assert_ok(aoidc_url_parse_query(&t, r->body, 32, tp, &err), err);
    ck_assert_str_eq(aoidc_url_param(t, "dpop_jkt"), aoidc_dpop_key_jkt(k));
    f.rp.par = AOIDC_PAR_OFF;
    ck_assert_ok(login(&f, &out, &err), err);
    ck_assert_ok(
        aoidc_url_parse_query(&t, strchr(out.location, '?') + 1, 32, tp, &err),
        err);
    ck_assert_str_eq(aoidc_url_param(t, "dpop_jkt"), aoidc_dpop_key_jkt(k));
    f.rp.dpop_key = NULL;
    ck_assert_ok(login(&f, &out, &err), err);
    ck_assert_ptr_null(strstr(out.location, "dpop_jkt"));
}
END_TEST

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; (s = strstr(s, needle)); s++) {
        n++;
    }
    return n;
}

static const apr_array_header_t *ec_key(void)
{
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIO *b = BIO_new(BIO_s_mem());
    aoidc_client_key_t *k;
    aoidc_err_t err = {0};
    char *d;
    ck_assert_int_eq(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL),
                     1);
    long n = BIO_get_mem_data(b, &d);
    ck_assert_ok(aoidc_client_key_parse(&k, d, (apr_size_t)n, "ec", tp, &err),
                 err);
    BIO_free(b);
    EVP_PKEY_free(pk);
    apr_array_header_t *ks = apr_array_make(tp, 1, sizeof(k));
    APR_ARRAY_PUSH(ks, aoidc_client_key_t *) = k;
    return ks;
}

/* the pushed body has client_id once, whatever the client auth adds (a
 * repeated parameter is refused by the OP) */
START_TEST(client_id_once_in_the_push)
{
    const aoidc_client_t clients[] = {
        {.client_id = T_AUD,
         .client_secret = "s",
         .method = AOIDC_CLIENT_AUTH_POST},
        {.client_id = T_AUD},
        {.client_id = T_AUD,
         .method = AOIDC_CLIENT_AUTH_PRIVATE_KEY_JWT,
         .keys = ec_key()},
    };
    for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
        ft_t f;
        aoidc_login_out_t out;
        aoidc_err_t err;
        ft_setup(&f);
        f.rp.client = &clients[i];
        metadata(&f,
                 ",\"pushed_authorization_request_endpoint\":\"" FT_PAR "\"");
        aoidc_fake_http_route(f.fh, FT_PAR, 201, PAR_OK);
        ck_assert_ok(login(&f, &out, &err), err);
        const aoidc_http_req_t *r = aoidc_fake_http_last(f.fh);
        ck_assert_int_eq(
            count(apr_pstrcat(tp, "&", r->body, NULL), "&client_id="), 1);
        ck_assert_ptr_null(r->authorization);
        ck_assert_int_eq(count(r->body, "client_secret="), i == 0);
        ck_assert_int_eq(count(r->body, "client_assertion="), i == 2);
    }
}
END_TEST

START_TEST(auto_without_endpoint_and_off)
{
    ft_t f;
    aoidc_login_out_t out;
    aoidc_err_t err;
    ft_setup(&f); /* the fixture's OP has no PAR endpoint */
    ck_assert_ok(login(&f, &out, &err), err);
    ck_assert_str_eq(ft_url_param(out.location, "state"), out.state);

    ft_setup(&f);
    metadata(&f, ",\"pushed_authorization_request_endpoint\":\"" FT_PAR "\"");
    aoidc_fake_http_route(f.fh, FT_PAR, 201, PAR_OK);
    f.rp.par = AOIDC_PAR_OFF;
    ck_assert_ok(login(&f, &out, &err), err);
    ck_assert_str_eq(ft_url_param(out.location, "state"), out.state);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_PAR), 0);
}
END_TEST

START_TEST(on_or_required_without_endpoint_is_an_error)
{
    ft_t f;
    aoidc_login_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    f.rp.par = AOIDC_PAR_ON;
    ck_assert_reason(login(&f, &out, &err), err, AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_ptr_nonnull(
        strstr(err.detail, "pushed_authorization_request_endpoint"));
    ck_assert_ptr_null(out.location);
    ck_assert_ptr_null(out.cookies);

    ft_setup(&f);
    metadata(&f, ",\"require_pushed_authorization_requests\":true");
    ck_assert_reason(login(&f, &out, &err), err, AOIDC_REASON_OP_BAD_RESPONSE);
}
END_TEST

START_TEST(op_refusal_and_bad_answers)
{
    static const struct {
        int status;
        const char *body;
    } cases[] = {
        {400, "{\"error\":\"invalid_client\"}"},
        {200, PAR_OK}, /* §2.2: 201 */
        {201, "{\"expires_in\":60}"},
        {201, "{\"request_uri\":\"urn:x\\r\\nSet-Cookie: a=b\"}"},
        {201, "not json"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ft_t f;
        aoidc_login_out_t out;
        aoidc_err_t err;
        ft_setup(&f);
        metadata(&f,
                 ",\"pushed_authorization_request_endpoint\":\"" FT_PAR "\"");
        aoidc_fake_http_route(f.fh, FT_PAR, cases[i].status, cases[i].body);
        ck_assert_reason(login(&f, &out, &err), err,
                         AOIDC_REASON_OP_BAD_RESPONSE);
        ck_assert_ptr_null(out.cookies);
    }
}
END_TEST

START_TEST(metadata_fields)
{
    aoidc_metadata_t md;
    aoidc_err_t err = {0};
    const char *doc =
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"" FT_AUTHORIZE
        "\",\"jwks_uri\":\"" FT_JWKS "\","
        "\"pushed_authorization_request_endpoint\":\"" FT_PAR "\","
        "\"require_pushed_authorization_requests\":true,"
        "\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\"],"
        "\"token_endpoint_auth_signing_alg_values_supported\":[\"ES256\","
        "\"PS256\"]}";
    ck_assert_ok(aoidc_metadata_parse(&md, T_ISS, doc, strlen(doc), tp, &err),
                 err);
    ck_assert_str_eq(md.par_endpoint, FT_PAR);
    ck_assert(md.require_par);
    ck_assert(md.assertion_ps256);
    ck_assert_uint_eq(md.token_auth_methods, AOIDC_AUTH_PRIVATE_KEY_JWT);
    /* an insecure PAR endpoint is refused like any other endpoint */
    doc = "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"" FT_AUTHORIZE
          "\",\"jwks_uri\":\"" FT_JWKS "\","
          "\"pushed_authorization_request_endpoint\":\"http://evil.example/"
          "par\"}";
    ck_assert_int_ne(
        aoidc_metadata_parse(&md, T_ISS, doc, strlen(doc), tp, &err),
        APR_SUCCESS);
}
END_TEST

/* RFC 9126 §4 with RFC 9101 §6.2: error=invalid_request_uri (our pushed
 * request expired at the OP) restarts the login instead of a refusal */
START_TEST(expired_request_uri_restarts)
{
    ft_t f;
    const char *hdr, *state, *nonce;
    aoidc_callback_out_t out;
    aoidc_err_t err = {0};
    ft_setup(&f);
    ft_login(&f, "/app/deep", &hdr, &state, &nonce);
    aoidc_callback_in_t in = {
        apr_pstrcat(tp, "error=invalid_request_uri&state=", state,
                    "&iss=", aoidc_url_encode(T_ISS, tp), NULL),
        hdr,
        FT_REDIRECT,
        true,
        "/app/",
        false};
    ck_assert_reason(aoidc_rp_callback(&out, &f.rp, &f.env, &in, &err), err,
                     AOIDC_REASON_OP_ERROR);
    ck_assert_str_eq(out.restart_to, "/app/deep");
    ck_assert_int_eq(out.restarts, 1);

    /* any other OP error is the OP's refusal: no restart */
    ft_login(&f, "/app/deep", &hdr, &state, &nonce);
    in.query = apr_pstrcat(tp, "error=access_denied&state=", state,
                           "&iss=", aoidc_url_encode(T_ISS, tp), NULL);
    in.cookie_header = hdr;
    ck_assert_reason(aoidc_rp_callback(&out, &f.rp, &f.env, &in, &err), err,
                     AOIDC_REASON_OP_ERROR);
    ck_assert_ptr_null(out.restart_to);

    /* without a state (the OP lost it with the request): to the root */
    in.query = "error=invalid_request_uri";
    ck_assert_int_ne(aoidc_rp_callback(&out, &f.rp, &f.env, &in, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(out.restart_to, "/app/");
    /* ... unless we never push */
    f.rp.par = AOIDC_PAR_OFF;
    ck_assert_int_ne(aoidc_rp_callback(&out, &f.rp, &f.env, &in, &err),
                     APR_SUCCESS);
    ck_assert_ptr_null(out.restart_to);
}
END_TEST

TCase *aoidc_par_tcase(void)
{
    TCase *tc = aoidc_test_tcase("par");
    tcase_add_test(tc, auto_pushes_when_advertised);
    tcase_add_test(tc, dpop_jkt_in_the_request);
    tcase_add_test(tc, client_id_once_in_the_push);
    tcase_add_test(tc, auto_without_endpoint_and_off);
    tcase_add_test(tc, on_or_required_without_endpoint_is_an_error);
    tcase_add_test(tc, op_refusal_and_bad_answers);
    tcase_add_test(tc, metadata_fields);
    tcase_add_test(tc, expired_request_uri_restarts);
    return tc;
}
