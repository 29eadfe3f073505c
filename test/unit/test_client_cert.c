/* SPDX-License-Identifier: Apache-2.0 */
/* core/client_cert.c and the RFC 8705 paths of client.c and provider.c:
 * the certificate and key pair, what tls_client_auth puts on the wire for
 * every client-authenticating call, and the mtls_endpoint_aliases. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/b64url.h"
#include "core/client.h"
#include "core/client_cert.h"
#include "core/dpop.h"
#include "core/url.h"
#include "unit.h"

#define TOKEN_EP T_ISS "/token"
#define MTLS_EP  "https://mtls.op.example.com"
#define TOKEN_OK                                                               \
    "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"id_token\":"       \
    "\"h.p.s\",\"refresh_token\":\"rt-1\",\"expires_in\":300}"

typedef struct {
    char *cert, *key, *enc_key;
    unsigned char x5t[32];
} pair_t;

static char *bio_str(BIO *b)
{
    char *d;
    long n = BIO_get_mem_data(b, &d);
    char *out = apr_pstrndup(tp, d, (apr_size_t)n);
    BIO_free(b);
    return out;
}

/* a self-signed P-256 certificate, its key (plain and encrypted) and the
 * SHA-256 of its DER */
static pair_t make_pair(const char *cn)
{
    pair_t r;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    BIO *b;
    unsigned int n;
    ck_assert_ptr_nonnull(k);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    r.cert = bio_str(b);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    r.key = bio_str(b);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_128_cbc(), NULL, 0, NULL,
                                  (void *)"pw");
    r.enc_key = bio_str(b);
    X509_digest(x, EVP_sha256(), r.x5t, &n);
    X509_free(x);
    EVP_PKEY_free(k);
    return r;
}

static aoidc_http_cert_t *parse(const char *cert, const char *key)
{
    aoidc_http_cert_t *c;
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_client_cert_parse(&c, cert, strlen(cert), key,
                                         key ? strlen(key) : 0, tp, &err),
                 err);
    return c;
}

START_TEST(pair_in_one_or_two_files)
{
    pair_t a = make_pair("client-1");
    aoidc_http_cert_t *c = parse(a.cert, a.key);
    ck_assert_str_eq(c->x5t_s256, aoidc_b64url_encode(a.x5t, 32, tp));
    ck_assert_ptr_nonnull(strstr(c->cert_pem, "BEGIN CERTIFICATE"));
    ck_assert_ptr_null(strstr(c->cert_pem, "PRIVATE KEY"));
    ck_assert_ptr_nonnull(strstr(c->key_pem, "BEGIN PRIVATE KEY"));
    ck_assert_uint_eq(c->cert_len, strlen(c->cert_pem));
    ck_assert_uint_eq(c->key_len, strlen(c->key_pem));
    /* the key in the certificate file, before or after it */
    c = parse(apr_pstrcat(tp, a.cert, a.key, NULL), NULL);
    ck_assert_str_eq(c->x5t_s256, aoidc_b64url_encode(a.x5t, 32, tp));
    ck_assert_ptr_null(strstr(c->cert_pem, "PRIVATE KEY"));
    c = parse(apr_pstrcat(tp, a.key, a.cert, NULL), NULL);
    ck_assert_str_eq(c->x5t_s256, aoidc_b64url_encode(a.x5t, 32, tp));
    /* a chain: the first certificate is the client's, all are sent */
    pair_t ca = make_pair("ca");
    c = parse(apr_pstrcat(tp, a.cert, ca.cert, NULL), a.key);
    ck_assert_str_eq(c->x5t_s256, aoidc_b64url_encode(a.x5t, 32, tp));
    ck_assert_ptr_nonnull(strstr(strstr(c->cert_pem, "END CERTIFICATE") + 1,
                                 "BEGIN CERTIFICATE"));
}
END_TEST

START_TEST(bad_pairs_refused)
{
    pair_t a = make_pair("client-1"), b = make_pair("client-2");
    aoidc_http_cert_t *c = NULL;
    aoidc_err_t err = {0};
    /* another certificate's key */
    ck_assert_reason(aoidc_client_cert_parse(&c, a.cert, strlen(a.cert), b.key,
                                             strlen(b.key), tp, &err),
                     err, AOIDC_REASON_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.detail, "not the certificate's"));
    /* no key at all, or only an encrypted one */
    ck_assert_reason(
        aoidc_client_cert_parse(&c, a.cert, strlen(a.cert), NULL, 0, tp, &err),
        err, AOIDC_REASON_CONFIG);
    ck_assert_reason(aoidc_client_cert_parse(&c, a.cert, strlen(a.cert),
                                             a.enc_key, strlen(a.enc_key), tp,
                                             &err),
                     err, AOIDC_REASON_CONFIG);
    /* no certificate; garbage is never quoted */
    ck_assert_reason(
        aoidc_client_cert_parse(&c, a.key, strlen(a.key), NULL, 0, tp, &err),
        err, AOIDC_REASON_CONFIG);
    ck_assert_reason(
        aoidc_client_cert_parse(&c, "garbage", 7, "garbage", 7, tp, &err), err,
        AOIDC_REASON_CONFIG);
    ck_assert_ptr_null(strstr(err.detail, "garbage"));
    ck_assert_ptr_null(c);
}
END_TEST

/* --- the RS side: mod_ssl's SSL_CLIENT_CERT to x5t#S256 (dpop.c) -------- */

static const char *tp_pem(const char *pem)
{
    return aoidc_cert_thumbprint_pem(pem, strlen(pem), tp);
}

START_TEST(pem_thumbprint_without_parsing)
{
    pair_t a = make_pair("client-1");
    const char *want = aoidc_b64url_encode(a.x5t, 32, tp);
    ck_assert_str_eq(tp_pem(a.cert), want);
    /* the same as the RP side's X509_digest */
    ck_assert_str_eq(tp_pem(a.cert), parse(a.cert, a.key)->x5t_s256);
    /* whitespace before, more after: the first block counts */
    ck_assert_str_eq(tp_pem(apr_pstrcat(tp, " \n", a.cert, a.key, NULL)), want);
    /* one line of base64 (no line breaks) decodes the same */
    char *one = apr_pstrdup(tp, a.cert), *w = one;
    for (const char *r = a.cert; *r; r++) {
        if (*r != '\n' || !strncmp(r + 1, "-----END", 8) || r[1] == '\0'
            || (r > a.cert && r[-1] == '-')) {
            *w++ = *r;
        }
    }
    *w = '\0';
    ck_assert_str_eq(tp_pem(one), want);
}
END_TEST

START_TEST(pem_thumbprint_refusals)
{
    pair_t a = make_pair("client-1");
    ck_assert_ptr_null(tp_pem(""));
    ck_assert_ptr_null(tp_pem("garbage"));
    ck_assert_ptr_null(tp_pem(a.key)); /* not a certificate block */
    /* no END line; bad base64; too short to be a certificate */
    ck_assert_ptr_null(tp_pem(apr_pstrndup(tp, a.cert, strlen(a.cert) - 30)));
    ck_assert_ptr_null(tp_pem("-----BEGIN CERTIFICATE-----\n!!!!\n"
                              "-----END CERTIFICATE-----\n"));
    ck_assert_ptr_null(tp_pem("-----BEGIN CERTIFICATE-----\nAAAA\n"
                              "-----END CERTIFICATE-----\n"));
    /* over the cap */
    char *big = apr_palloc(tp, AOIDC_CERT_PEM_MAX + 2);
    memset(big, ' ', AOIDC_CERT_PEM_MAX + 1);
    big[AOIDC_CERT_PEM_MAX + 1] = '\0';
    ck_assert_ptr_null(tp_pem(apr_pstrcat(tp, a.cert, big, NULL)));
    /* len is honoured: the block cut short is no block */
    ck_assert_ptr_null(aoidc_cert_thumbprint_pem(a.cert, 40, tp));
}
END_TEST

/* cnf as the claim list keeps it: the one-member compact forms take the
 * fast path, everything else jansson; both agree */
START_TEST(cnf_forms)
{
    const char *jkt, *x5t;
    aoidc_err_t err = {0};
    static const struct {
        const char *in, *jkt, *x5t;
    } ok[] = {
        {"{\"x5t#S256\":\"abc-_09\"}", NULL, "abc-_09"},
        {"{\"jkt\":\"Zz\"}", "Zz", NULL},
        {"{ \"x5t#S256\" : \"abc\" }", NULL, "abc"},
        {"{\"x5t#S256\":\"a\\u0062c\"}", NULL, "abc"}, /* escaped: jansson */
        {"{\"x5t#S256\":\"abc\",\"jkt\":\"k\"}", "k", "abc"},
        {"{\"x5t#S256\":\"abc\"}x", NULL, NULL}, /* trailing junk: refused */
        {"{}", NULL, NULL},
    };
    for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        apr_status_t rv = aoidc_cnf_parse(&jkt, &x5t, ok[i].in, tp, &err);
        if (strcmp(ok[i].in + strlen(ok[i].in) - 1, "x") == 0) {
            ck_assert_int_ne(rv, APR_SUCCESS);
            continue;
        }
        ck_assert_ok(rv, err);
        if (ok[i].jkt) {
            ck_assert_str_eq(jkt, ok[i].jkt);
        }
        else {
            ck_assert_ptr_null(jkt);
        }
        if (ok[i].x5t) {
            ck_assert_str_eq(x5t, ok[i].x5t);
        }
        else {
            ck_assert_ptr_null(x5t);
        }
    }
    ck_assert_reason(aoidc_cnf_parse(&jkt, &x5t, "{\"x5t#S256\":1}", tp, &err),
                     err, AOIDC_REASON_MALFORMED);
    ck_assert_reason(aoidc_cnf_parse(&jkt, &x5t, "[]", tp, &err), err,
                     AOIDC_REASON_MALFORMED);
}
END_TEST

/* --- tls_client_auth on the wire (client.c) ----------------------------- */

static aoidc_metadata_t md(bool aliases)
{
    aoidc_metadata_t m = {0};
    m.issuer = T_ISS;
    m.token_endpoint = TOKEN_EP;
    m.introspection_endpoint = T_ISS "/introspect";
    m.revocation_endpoint = T_ISS "/revoke";
    m.par_endpoint = T_ISS "/par";
    m.userinfo_endpoint = T_ISS "/userinfo";
    m.token_auth_methods = AOIDC_AUTH_BASIC;
    m.introspection_auth_methods = m.revocation_auth_methods = AOIDC_AUTH_BASIC;
    if (aliases) {
        m.mtls.token = MTLS_EP "/token";
        m.mtls.introspection = MTLS_EP "/introspect";
        m.mtls.revocation = MTLS_EP "/revoke";
        m.mtls.par = MTLS_EP "/par";
        m.mtls.userinfo = MTLS_EP "/userinfo";
    }
    return m;
}

/* the last request went to url with the certificate, client_id in the
 * body and no other credential */
static void sent_tls(aoidc_fake_http_t *fh, const char *url,
                     const aoidc_http_cert_t *cert)
{
    const aoidc_http_req_t *r = aoidc_fake_http_last(fh);
    apr_table_t *t;
    aoidc_err_t err = {0};
    ck_assert_str_eq(r->url, url);
    ck_assert_ptr_eq(r->cert, cert);
    ck_assert_ptr_null(r->authorization);
    ck_assert_ok(aoidc_url_parse_query(&t, r->body, 20, tp, &err), err);
    ck_assert_str_eq(aoidc_url_param(t, "client_id"), "client-1");
    ck_assert_ptr_null(aoidc_url_param(t, "client_secret"));
    ck_assert_ptr_null(aoidc_url_param(t, "client_assertion"));
    ck_assert_ptr_null(strstr(r->body, "client_id=client-1&client_id"));
}

static void every_call(bool aliases, aoidc_client_auth_t method)
{
    aoidc_fake_http_t *fh;
    const aoidc_http_t *h = aoidc_fake_http_create(&fh, tp);
    pair_t a = make_pair("client-1");
    aoidc_client_t c = {.client_id = "client-1",
                        .method = method,
                        .cert = parse(a.cert, a.key)};
    aoidc_metadata_t m = md(aliases);
    const char *base = aliases ? MTLS_EP : T_ISS, *ru;
    aoidc_token_response_t tr;
    aoidc_http_resp_t resp;
    aoidc_err_t err = {0};
    json_t *ui;
    aoidc_fake_http_route(fh, apr_pstrcat(tp, base, "/token", NULL), 200,
                          TOKEN_OK);
    aoidc_fake_http_route(fh, apr_pstrcat(tp, base, "/introspect", NULL), 200,
                          "{\"active\":false}");
    aoidc_fake_http_route(fh, apr_pstrcat(tp, base, "/revoke", NULL), 200, "");
    aoidc_fake_http_route(fh, apr_pstrcat(tp, base, "/par", NULL), 201,
                          "{\"request_uri\":\"urn:x:1\",\"expires_in\":60}");
    aoidc_fake_http_route(fh, apr_pstrcat(tp, base, "/userinfo", NULL), 200,
                          "{\"sub\":\"alice\"}");
    ck_assert_ok(aoidc_client_code_exchange(&tr, h, &m, &c, "code",
                                            "https://rp/cb", NULL, tp, &err),
                 err);
    sent_tls(fh, apr_pstrcat(tp, base, "/token", NULL), c.cert);
    ck_assert_ok(aoidc_client_refresh(&tr, h, &m, &c, "rt", tp, &err), err);
    sent_tls(fh, apr_pstrcat(tp, base, "/token", NULL), c.cert);
    aoidc_fake_http_route(
        fh, apr_pstrcat(tp, base, "/token", NULL), 200,
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}");
    ck_assert_ok(aoidc_client_credentials(&tr, h, &m, &c, "s", NULL, tp, &err),
                 err);
    sent_tls(fh, apr_pstrcat(tp, base, "/token", NULL), c.cert);
    ck_assert_ok(aoidc_client_introspect(&resp, h, &m, &c, "t", tp, &err), err);
    sent_tls(fh, apr_pstrcat(tp, base, "/introspect", NULL), c.cert);
    ck_assert_ok(aoidc_client_revoke(h, &m, &c, "t", NULL, tp, &err), err);
    sent_tls(fh, apr_pstrcat(tp, base, "/revoke", NULL), c.cert);
    /* PAR bodies carry client_id already: not repeated */
    ck_assert_ok(aoidc_client_par(&ru, h, &m, &c,
                                  "client_id=client-1&response_type=code", tp,
                                  &err),
                 err);
    sent_tls(fh, apr_pstrcat(tp, base, "/par", NULL), c.cert);
    /* userinfo: the bound token goes with its certificate */
    ck_assert_ok(aoidc_client_userinfo(&ui, h, &m, &c, "at", "Bearer", "alice", tp,
                                       &err),
                 err);
    ck_assert_str_eq(aoidc_fake_http_last(fh)->url,
                     apr_pstrcat(tp, base, "/userinfo", NULL));
    ck_assert_ptr_eq(aoidc_fake_http_last(fh)->cert, c.cert);
}

START_TEST(every_call_presents_the_cert)
{
    every_call(false, AOIDC_CLIENT_AUTH_TLS);
    every_call(true, AOIDC_CLIENT_AUTH_TLS);
    /* AUTO with only a certificate is tls_client_auth */
    every_call(true, AOIDC_CLIENT_AUTH_AUTO);
}
END_TEST

START_TEST(cert_with_a_secret_and_without)
{
    aoidc_fake_http_t *fh;
    const aoidc_http_t *h = aoidc_fake_http_create(&fh, tp);
    pair_t a = make_pair("client-1");
    aoidc_client_t c = {.client_id = "client-1",
                        .client_secret = "s3cr3t",
                        .method = AOIDC_CLIENT_AUTH_AUTO,
                        .cert = parse(a.cert, a.key)};
    aoidc_metadata_t m = md(true);
    aoidc_token_response_t tr;
    aoidc_err_t err = {0};
    aoidc_fake_http_route(fh, MTLS_EP "/token", 200, TOKEN_OK);
    aoidc_fake_http_route(fh, TOKEN_EP, 200, TOKEN_OK);
    /* a secret authenticates; the certificate still goes (RFC 8705 §3:
     * bound tokens with any client authentication), at the alias */
    ck_assert_ok(aoidc_client_refresh(&tr, h, &m, &c, "rt", tp, &err), err);
    ck_assert_str_eq(aoidc_fake_http_last(fh)->url, MTLS_EP "/token");
    ck_assert_ptr_eq(aoidc_fake_http_last(fh)->cert, c.cert);
    ck_assert_ptr_nonnull(aoidc_fake_http_last(fh)->authorization);
    /* no certificate: the plain endpoint, none presented */
    c.cert = NULL;
    ck_assert_ok(aoidc_client_refresh(&tr, h, &m, &c, "rt", tp, &err), err);
    ck_assert_str_eq(aoidc_fake_http_last(fh)->url, TOKEN_EP);
    ck_assert_ptr_null(aoidc_fake_http_last(fh)->cert);
    /* tls_client_auth without one is a configuration error, sent nowhere */
    c.method = AOIDC_CLIENT_AUTH_TLS;
    int n = aoidc_fake_http_calls(fh, NULL);
    ck_assert_reason(aoidc_client_refresh(&tr, h, &m, &c, "rt", tp, &err), err,
                     AOIDC_REASON_CONFIG);
    ck_assert_int_eq(aoidc_fake_http_calls(fh, NULL), n);
}
END_TEST

/* --- RFC 8705 §5 in the metadata (provider.c) --------------------------- */

START_TEST(metadata_aliases)
{
    aoidc_metadata_t m;
    aoidc_err_t err = {0};
    const char *head =
        "{\"issuer\":\"" T_ISS "\",\"authorization_endpoint\":\"" T_ISS
        "/auth\",\"jwks_uri\":\"" T_ISS "/jwks\"";
    const char *doc = apr_pstrcat(
        tp, head,
        ",\"mtls_endpoint_aliases\":{\"token_endpoint\":\"" MTLS_EP
        "/token\",\"introspection_endpoint\":\"" MTLS_EP "/introspect\","
        "\"revocation_endpoint\":\"" MTLS_EP "/revoke\","
        "\"pushed_authorization_request_endpoint\":\"" MTLS_EP "/par\","
        "\"userinfo_endpoint\":\"" MTLS_EP "/userinfo\"}}",
        NULL);
    ck_assert_ok(aoidc_metadata_parse(&m, T_ISS, doc, strlen(doc), tp, &err),
                 err);
    ck_assert_str_eq(m.mtls.token, MTLS_EP "/token");
    ck_assert_str_eq(m.mtls.introspection, MTLS_EP "/introspect");
    ck_assert_str_eq(m.mtls.revocation, MTLS_EP "/revoke");
    ck_assert_str_eq(m.mtls.par, MTLS_EP "/par");
    ck_assert_str_eq(m.mtls.userinfo, MTLS_EP "/userinfo");
    doc = apr_pstrcat(tp, head, "}", NULL);
    ck_assert_ok(aoidc_metadata_parse(&m, T_ISS, doc, strlen(doc), tp, &err),
                 err);
    ck_assert_ptr_null(m.mtls.token);
    /* an alias is checked as any endpoint; a non-object is refused */
    doc = apr_pstrcat(tp, head,
                      ",\"mtls_endpoint_aliases\":{\"token_endpoint\":"
                      "\"http://evil.example/token\"}}",
                      NULL);
    ck_assert_int_ne(
        aoidc_metadata_parse(&m, T_ISS, doc, strlen(doc), tp, &err),
        APR_SUCCESS);
    doc = apr_pstrcat(tp, head, ",\"mtls_endpoint_aliases\":[]}", NULL);
    ck_assert_reason(
        aoidc_metadata_parse(&m, T_ISS, doc, strlen(doc), tp, &err), err,
        AOIDC_REASON_OP_BAD_RESPONSE);
}
END_TEST

TCase *aoidc_client_cert_tcase(void)
{
    TCase *tc = aoidc_test_tcase("client_cert");
    tcase_add_test(tc, pair_in_one_or_two_files);
    tcase_add_test(tc, bad_pairs_refused);
    tcase_add_test(tc, pem_thumbprint_without_parsing);
    tcase_add_test(tc, pem_thumbprint_refusals);
    tcase_add_test(tc, cnf_forms);
    tcase_add_test(tc, every_call_presents_the_cert);
    tcase_add_test(tc, cert_with_a_secret_and_without);
    tcase_add_test(tc, metadata_aliases);
    return tc;
}
