/* SPDX-License-Identifier: Apache-2.0 */
/* JWKS parsing and key selection; keys imported into cjose and OpenSSL. */
#include <stdlib.h>
#include <string.h>

#include "core/b64url.h"
#include "core/json.h"
#include "core/jwk.h"

static apr_status_t jwk_cleanup(void *data)
{
    cjose_jwk_release((cjose_jwk_t *)data);
    return APR_SUCCESS;
}

/* cjose's base64url decoder asserts (aborts the process) on some malformed
 * input, and a JWKS comes from the network: every key member must pass our
 * strict decoder before cjose sees it. */
static bool members_decode(const json_t *j, apr_pool_t *p)
{
    static const char *const b64[] = {"n",  "e",  "d", "p", "q", "dp",
                                      "dq", "qi", "x", "y", "k"};
    for (size_t i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
        json_t *m = json_object_get(j, b64[i]);
        unsigned char *raw;
        apr_size_t rawlen;
        if (m
            && (!json_is_string(m)
                || aoidc_b64url_decode(&raw, &rawlen, json_string_value(m),
                                       json_string_length(m), p, NULL)
                       != APR_SUCCESS)) {
            return false;
        }
    }
    return true;
}

/* Bits of the big-endian unsigned integer in a base64url member. */
static int member_bits(const json_t *j, const char *name, apr_pool_t *p)
{
    unsigned char *raw;
    apr_size_t n, i = 0;
    json_t *m = json_object_get(j, name);
    if (!json_is_string(m)
        || aoidc_b64url_decode(&raw, &n, json_string_value(m),
                               json_string_length(m), p, NULL)
               != APR_SUCCESS) {
        return 0;
    }
    while (i < n && !raw[i]) {
        i++;
    }
    if (i == n) {
        return 0;
    }
    int bits = (int)(n - i - 1) * 8;
    for (unsigned char b = raw[i]; b; b >>= 1) {
        bits++;
    }
    return bits;
}

bool aoidc_jwk_member(unsigned char **raw, apr_size_t *n, const json_t *j,
                      const char *name, apr_pool_t *p)
{
    json_t *m = json_object_get(j, name);
    return json_is_string(m)
           && aoidc_b64url_decode(raw, n, json_string_value(m),
                                  json_string_length(m), p, NULL)
                  == APR_SUCCESS;
}

static apr_size_t member_len(const json_t *j, const char *name, apr_pool_t *p)
{
    unsigned char *raw;
    apr_size_t n;
    return aoidc_jwk_member(&raw, &n, j, name, p) ? n : 0;
}

/* RFC 7518 §6.2.1.2/3: x and y are exactly the coordinate size of crv. A
 * key whose coordinates belong to another curve than the one it names is
 * refused before cjose builds anything from it. */
static const char *ec_problem(const aoidc_jwk_t *k, const json_t *j,
                              apr_pool_t *p)
{
    static const struct {
        const char *crv;
        apr_size_t len;
    } curves[] = {{"P-256", 32}, {"P-384", 48}, {"P-521", 66}};
    for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
        if (k->crv && !strcmp(k->crv, curves[i].crv)) {
            return member_len(j, "x", p) == curves[i].len
                           && member_len(j, "y", p) == curves[i].len
                       ? NULL
                       : "ec_crv_mismatch";
        }
    }
    return "ec_crv_unknown";
}

/* Why the key j cannot be used, or NULL; fills the kept fields of k. */
static const char *judge(aoidc_jwk_t *k, int *bits, json_t *j, apr_pool_t *p)
{
    const char *use = aoidc_json_str(j, "use");
    k->kty = aoidc_json_str(j, "kty");
    k->kid = aoidc_json_str(j, "kid");
    k->alg = aoidc_json_str(j, "alg");
    k->crv = aoidc_json_str(j, "crv");
    if (!k->kty || (strcmp(k->kty, "RSA") && strcmp(k->kty, "EC"))) {
        return "kty_unsupported";
    }
    if ((use && strcmp(use, "sig")) || (json_object_get(j, "use") && !use)) {
        return "use_not_sig";
    }
    if (!members_decode(j, p)) {
        return "member_encoding";
    }
    if (!strcmp(k->kty, "RSA")) {
        /* NIST SP 800-131A, RFC 7518 §3.3: at least 2048 bits */
        *bits = member_bits(j, "n", p);
        return *bits < AOIDC_JWK_RSA_MIN_BITS ? "rsa_too_small" : NULL;
    }
    return ec_problem(k, j, p);
}

static const char *import_key(aoidc_jwk_t *k, int *bits, json_t *j, bool evp,
                              apr_pool_t *p)
{
    cjose_err cerr;
    const char *why = judge(k, bits, j, p);
    if (why) {
        return why;
    }
    char *txt = json_dumps(j, JSON_COMPACT);
    if (!txt) {
        return "import";
    }
    k->key = cjose_jwk_import(txt, strlen(txt), &cerr);
    free(txt);
    if (!k->key) {
        return "import";
    }
    apr_pool_cleanup_register(p, k->key, jwk_cleanup, apr_pool_cleanup_null);
    /* the verifiers, once per fetch rather than once per token */
    if (evp && !(k->evp = aoidc_jwk_evp_make(k, j, p))) {
        return "import";
    }
    /* strings above point into j, which p owns */
    return NULL;
}

static apr_status_t parse(aoidc_jwks_t **out, const char *in, apr_size_t len,
                          bool evp, apr_pool_t *p, aoidc_err_t *err)
{
    json_t *doc, *keys, *j;
    size_t i;
    apr_status_t rv =
        aoidc_json_parse(&doc, in, len, AOIDC_MAX_JWKS_LEN, false, p, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        return aoidc_err_set(err, AOIDC_REASON_MALFORMED, p,
                             "jwks: no keys array");
    }
    if (json_array_size(keys) > AOIDC_JWKS_MAX_KEYS) {
        return aoidc_err_set(err, AOIDC_REASON_TOO_LARGE, p, "jwks: %zu keys",
                             json_array_size(keys));
    }
    aoidc_jwks_t *s = apr_pcalloc(p, sizeof(*s));
    s->keys =
        apr_array_make(p, (int)json_array_size(keys) + 1, sizeof(aoidc_jwk_t));
    s->skipped = apr_array_make(p, 1, sizeof(aoidc_jwk_skipped_t));
    json_array_foreach(keys, i, j)
    {
        aoidc_jwk_t k = {0};
        int bits = 0;
        const char *why = json_is_object(j) ? import_key(&k, &bits, j, evp, p)
                                            : "not_an_object";
        if (!why) {
            *(aoidc_jwk_t *)apr_array_push(s->keys) = k;
        }
        else {
            aoidc_jwk_skipped_t *sk = apr_array_push(s->skipped);
            sk->index = (int)i;
            sk->kid = k.kid;
            sk->why = why;
            sk->bits = bits;
        }
    }
    *out = s;
    return APR_SUCCESS;
}

apr_status_t aoidc_jwks_parse(aoidc_jwks_t **out, const char *in,
                              apr_size_t len, apr_pool_t *p, aoidc_err_t *err)
{
    return parse(out, in, len, true, p, err);
}

apr_status_t aoidc_jwks_parse_cjose(aoidc_jwks_t **out, const char *in,
                                    apr_size_t len, apr_pool_t *p,
                                    aoidc_err_t *err)
{
    return parse(out, in, len, false, p, err);
}

static bool suits(const aoidc_jwk_t *k, const char *alg)
{
    if (k->alg && strcmp(k->alg, alg)) {
        return false;
    }
    if (alg[0] == 'R' || alg[0] == 'P') {
        return !strcmp(k->kty, "RSA");
    }
    if (alg[0] == 'E' && !strcmp(k->kty, "EC") && k->crv) {
        return (!strcmp(alg, "ES256") && !strcmp(k->crv, "P-256"))
               || (!strcmp(alg, "ES384") && !strcmp(k->crv, "P-384"))
               || (!strcmp(alg, "ES512") && !strcmp(k->crv, "P-521"));
    }
    return false;
}

const aoidc_jwk_t *aoidc_jwks_find(const aoidc_jwks_t *jwks, const char *kid,
                                   const char *alg)
{
    const aoidc_jwk_t *found = NULL;
    if (!jwks || !alg) {
        return NULL;
    }
    for (int i = 0; i < jwks->keys->nelts; i++) {
        const aoidc_jwk_t *k = &APR_ARRAY_IDX(jwks->keys, i, aoidc_jwk_t);
        if (!suits(k, alg)) {
            continue;
        }
        if (kid) {
            if (k->kid && !strcmp(k->kid, kid)) {
                return k;
            }
        }
        else if (found) {
            return NULL; /* ambiguous without kid */
        }
        else {
            found = k;
        }
    }
    return found;
}
