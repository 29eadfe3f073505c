/* SPDX-License-Identifier: Apache-2.0 */
/* DPoP proofs sent by the relying party (dpop_rp.h). */
#include <string.h>
#include <strings.h>

#include "core/b64url.h"
#include "core/dpop_rp.h"
#include "core/json.h"
#include "core/rand.h"
#include "core/seal.h"

apr_status_t aoidc_dpop_key_derive(aoidc_client_key_t **out, const char *secret,
                                   apr_size_t len, apr_pool_t *p,
                                   aoidc_err_t *err)
{
    return aoidc_client_key_derive_p256(out, secret, len,
                                        AOIDC_DPOP_KEY_PURPOSE, p, err);
}

const char *aoidc_dpop_key_jkt(const aoidc_client_key_t *k)
{
    return aoidc_client_key_kid(k); /* derived keys: kid is the thumbprint */
}

/* §4.2: htu is the target URI without query and fragment */
static const char *htu_of(const char *url, apr_pool_t *p)
{
    apr_size_t n = strcspn(url, "?#");
    return apr_pstrmemdup(p, url, n);
}

apr_status_t aoidc_dpop_proof(char **out, const aoidc_client_key_t *k,
                              const char *method, const char *url,
                              const char *access_token, const char *nonce,
                              apr_time_t now, apr_pool_t *p, aoidc_err_t *err)
{
    char *jti;
    json_t *jwk = NULL, *claims;
    const char *pub = aoidc_client_key_public_jwk(k, p);
    if (aoidc_rand_token(&jti, 16, p) != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                             "DPoP proof: no random jti");
    }
    jwk = json_loads(pub, 0, NULL);
    claims = json_pack("{s:s, s:s, s:s, s:I}", "jti", jti, "htm", method, "htu",
                       htu_of(url, p), "iat", (json_int_t)apr_time_sec(now));
    if (claims && access_token) {
        unsigned char h[32];
        aoidc_sha256(h, access_token, strlen(access_token));
        json_object_set_new(claims, "ath",
                            json_string(aoidc_b64url_encode(h, 32, p)));
    }
    if (claims && nonce) {
        json_object_set_new(claims, "nonce", json_string(nonce));
    }
    *out = aoidc_client_key_jws(
        k, false,
        jwk ? json_pack("{s:s, s:o}", "typ", "dpop+jwt", "jwk", jwk) : NULL,
        claims, p);
    if (!*out) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                             "DPoP proof: signing failed");
    }
    return APR_SUCCESS;
}

/* §8.1: nonce = 1*NQCHAR */
static bool nonce_ok(const char *n)
{
    apr_size_t i = 0;
    for (; n[i] && i <= AOIDC_DPOP_NONCE_MAX; i++) {
        unsigned char c = (unsigned char)n[i];
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
            return false;
        }
    }
    return i > 0 && i <= AOIDC_DPOP_NONCE_MAX;
}

static const char *find_ci(const char *s, const char *w)
{
    apr_size_t n = strlen(w);
    for (; *s; s++) {
        if (!strncasecmp(s, w, n)) {
            return s;
        }
    }
    return NULL;
}

/* A WWW-Authenticate value with a DPoP challenge whose error is
 * use_dpop_nonce (RFC 9449 §9, RFC 9110 §11.6.1). Only the shape the RFC
 * gives is taken: the scheme, then somewhere among its parameters
 * error="use_dpop_nonce" or error=use_dpop_nonce. Another scheme listed
 * first (Bearer, DPoP) is skipped by looking at every DPoP scheme. */
static bool challenge_ok(const char *h)
{
    const char *s = h;
    while ((s = find_ci(s, "dpop"))) {
        bool starts = s == h || s[-1] == ' ' || s[-1] == ',';
        const char *e;
        s += 4;
        if (!starts || (*s && *s != ' ')) {
            continue;
        }
        e = strstr(s, "error=");
        if (e
            && (!strncmp(e + 6, "\"use_dpop_nonce\"", 16)
                || (!strncmp(e + 6, "use_dpop_nonce", 14)
                    && (!e[20] || e[20] == ',' || e[20] == ' ')))) {
            return true;
        }
    }
    return false;
}

bool aoidc_dpop_nonce_challenge(const char **nonce,
                                const aoidc_http_resp_t *resp, apr_pool_t *p)
{
    bool asked = false;
    if (!resp->dpop_nonce || !nonce_ok(resp->dpop_nonce)) {
        return false;
    }
    if (resp->status == 400 && resp->body) {
        json_t *j;
        if (aoidc_json_parse(&j, resp->body, resp->len, AOIDC_MAX_JSON_LEN,
                             false, p, NULL)
            == APR_SUCCESS) {
            const char *e = aoidc_json_str(j, "error");
            asked = e && !strcmp(e, "use_dpop_nonce");
        }
    }
    else if (resp->status == 401 && resp->www_authenticate) {
        asked = challenge_ok(resp->www_authenticate);
    }
    if (asked) {
        *nonce = resp->dpop_nonce;
    }
    return asked;
}
