/* SPDX-License-Identifier: Apache-2.0 */
/* Test keys from test/vectors/keys and a JWT signer over cjose. */
#include <stdlib.h>
#include <string.h>

#include "core/claims.h"
#include "testutil.h"

static apr_status_t jwk_cleanup(void *data)
{
    cjose_jwk_release(data);
    return APR_SUCCESS;
}

cjose_jwk_t *aoidc_test_key(const char *name, apr_pool_t *p)
{
    apr_size_t len;
    cjose_err cerr;
    char *txt = aoidc_test_read(
        apr_pstrcat(p, "keys/", name, ".jwk.json", NULL), &len, p);
    ck_assert_msg(txt != NULL, "cannot read key %s under %s", name,
                  aoidc_test_vectors_dir());
    cjose_jwk_t *k = cjose_jwk_import(txt, len, &cerr);
    ck_assert_msg(k != NULL, "cjose: %s", cerr.message);
    apr_pool_cleanup_register(p, k, jwk_cleanup, apr_pool_cleanup_null);
    return k;
}

aoidc_jwks_t *aoidc_test_jwks(apr_pool_t *p)
{
    apr_size_t len;
    aoidc_err_t err = {0};
    aoidc_jwks_t *jwks = NULL;
    char *txt = aoidc_test_read("keys/jwks.json", &len, p);
    ck_assert_ptr_nonnull(txt);
    ck_assert_int_eq(aoidc_jwks_parse(&jwks, txt, len, p, &err), APR_SUCCESS);
    ck_assert_int_eq(jwks->keys->nelts, 2);
    return jwks;
}

static char *sign_full(cjose_jwk_t *key, const char *alg, const char *kid,
                       const char *typ, json_t *hdr_jwk, json_t *claims,
                       apr_pool_t *p);

static char *sign_with(cjose_jwk_t *key, const char *alg, const char *kid,
                       const char *typ, json_t *claims, apr_pool_t *p)
{
    return sign_full(key, alg, kid, typ, NULL, claims, p);
}

char *aoidc_test_sign_jwk(cjose_jwk_t *key, const char *alg, const char *typ,
                          json_t *hdr_jwk, json_t *claims, apr_pool_t *p)
{
    return sign_full(key, alg, NULL, typ, hdr_jwk, claims, p);
}

static char *sign_full(cjose_jwk_t *key, const char *alg, const char *kid,
                       const char *typ, json_t *hdr_jwk, json_t *claims,
                       apr_pool_t *p)
{
    cjose_err cerr;
    const char *compact;
    char *payload = json_dumps(claims, JSON_COMPACT);
    cjose_header_t *h = cjose_header_new(&cerr);
    json_decref(claims);
    ck_assert_ptr_nonnull(payload);
    ck_assert_ptr_nonnull(h);
    ck_assert(cjose_header_set(h, CJOSE_HDR_ALG, alg, &cerr));
    if (kid) {
        ck_assert(cjose_header_set(h, CJOSE_HDR_KID, kid, &cerr));
    }
    if (typ) {
        ck_assert(cjose_header_set(h, "typ", typ, &cerr));
    }
    if (hdr_jwk) {
        /* cjose/header.h: typedef struct json_t cjose_header_t */
        ck_assert(json_object_set_new((json_t *)h, "jwk", hdr_jwk) == 0);
    }
    cjose_jws_t *jws = cjose_jws_sign(key, h, (const uint8_t *)payload,
                                      strlen(payload), &cerr);
    ck_assert_msg(jws != NULL, "cjose_jws_sign: %s", cerr.message);
    ck_assert(cjose_jws_export(jws, &compact, &cerr));
    char *out = apr_pstrdup(p, compact);
    cjose_jws_release(jws);
    cjose_header_release(h);
    free(payload);
    return out;
}

char *aoidc_test_sign(cjose_jwk_t *key, const char *alg, const char *kid,
                      const char *typ, json_t *claims, apr_pool_t *p)
{
    return sign_with(key, alg, kid, typ, claims, p);
}

char *aoidc_test_sign_hmac(const char *secret, const char *alg, json_t *claims,
                           apr_pool_t *p)
{
    cjose_err cerr;
    cjose_jwk_t *k = cjose_jwk_create_oct_spec((const uint8_t *)secret,
                                               strlen(secret), &cerr);
    ck_assert_ptr_nonnull(k);
    char *out = sign_with(k, alg, NULL, NULL, claims, p);
    cjose_jwk_release(k);
    return out;
}

json_t *aoidc_test_claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", T_ISS, "aud", T_AUD,
                     "sub", "alice", "iat", (json_int_t)T_NOW_SEC - 10, "exp",
                     (json_int_t)T_NOW_SEC + 3600);
}

void aoidc_test_same_claims(const apr_array_header_t *a,
                            const apr_array_header_t *b)
{
    ck_assert_int_eq(a->nelts, b->nelts);
    for (int i = 0; i < a->nelts; i++) {
        const aoidc_claim_t *x = &APR_ARRAY_IDX(a, i, aoidc_claim_t);
        const aoidc_claim_t *y = &APR_ARRAY_IDX(b, i, aoidc_claim_t);
        ck_assert_str_eq(x->name, y->name);
        ck_assert_str_eq(x->value, y->value);
        ck_assert_int_eq(x->is_json, y->is_json);
    }
}
