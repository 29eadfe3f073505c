/* SPDX-License-Identifier: Apache-2.0 */
/* The resource-server flow (rs.h). */
#include <string.h>

#include <openssl/crypto.h>

#include "core/b64url.h"
#include "core/client.h"
#include "core/json.h"
#include "core/l1.h"
#include "core/rs.h"

/* How a token is keyed: a JWS by the SHA-256 of its signing input (the
 * digest its RS256/PS256/ES256 verification needs anyway, so a first-sight
 * token is hashed once, not twice), with its signature checked against the
 * one the cached verdict is for; an opaque token by its whole text. */
typedef struct {
    bool jws;              /* two dots: keyed by d */
    unsigned char d[32];   /* SHA-256(header.payload) */
    apr_size_t signed_len; /* bytes before the second '.' */
    const char *sig;       /* the signature's base64url text */
} presented_t;

#define NS_MEMO_MAX 448 /* issuer + audience longer than this: no memo */

/* SHA-256 of a location's token namespace (typ rule, issuer, audience):
 * XORed into a JWS's store key and the secret of its L1 entries, so it is
 * needed on every request. Each thread remembers the last one it made (a
 * thread serves runs of requests at one location); an issuer and audience
 * longer than NS_MEMO_MAX together are digested every time. Compared by
 * content, not by pointer: a graceful restart frees the configuration. */
static void ns_digest(unsigned char h[32], const aoidc_rs_conf_t *c)
{
    static _Thread_local struct {
        bool set, typ;
        apr_size_t il, al;
        char text[NS_MEMO_MAX + 2]; /* issuer NUL audience NUL */
        unsigned char h[32];
    } m;
    const char *ns = c->require_typ ? "bearer-jws/at+jwt" : "bearer-jws";
    apr_size_t il = strlen(c->issuer), al = strlen(c->audience);
    if (m.set && m.typ == c->require_typ && m.il == il && m.al == al
        && !memcmp(m.text, c->issuer, il)
        && !memcmp(m.text + il + 1, c->audience, al)) {
        memcpy(h, m.h, 32);
        return;
    }
    aoidc_store_key3(h, ns, c->issuer, c->audience, "", 0);
    if (il + al <= NS_MEMO_MAX) {
        m.typ = c->require_typ;
        m.il = il;
        m.al = al;
        memcpy(m.text, c->issuer, il + 1);
        memcpy(m.text + il + 1, c->audience, al + 1);
        memcpy(m.h, h, 32);
        m.set = true;
    }
}

/* ns: the namespace's digest (ns_digest) */
static void rs_key(unsigned char key[AOIDC_STORE_KEY_LEN], presented_t *pt,
                   const aoidc_rs_conf_t *c, const unsigned char ns[32],
                   const char *token)
{
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    memset(pt, 0, sizeof(*pt));
    /* The typ rule changes the verdict, so it is part of the namespace: a
     * token accepted at a lax location is never a hit at a strict one. */
    if (!d2) {
        aoidc_store_key3(key, c->require_typ ? "bearer/at+jwt" : "bearer",
                         c->issuer, c->audience, token, strlen(token));
        return;
    }
    pt->jws = true;
    pt->signed_len = (apr_size_t)(d2 - token);
    pt->sig = d2 + 1;
    aoidc_sha256(pt->d, token, pt->signed_len);
    /* D XOR the namespace's digest. Two keys meet only when D1 ^ D2 =
     * N1 ^ N2: for two namespaces that is a search through pairs of
     * SHA-256 outputs of chosen inputs, a birthday bound of 2^128 as for a
     * collision of SHA-256 itself, and within one namespace it is one
     * (then the signature compare still stands). An opaque token's key,
     * a SHA-256 over another framing, meets one only in the same way. */
    for (int i = 0; i < AOIDC_STORE_KEY_LEN; i++) {
        key[i] = pt->d[i] ^ ns[i];
    }
}

void aoidc_rs_cache_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                        const aoidc_rs_conf_t *c, const char *token)
{
    presented_t pt;
    unsigned char ns[32];
    ns_digest(ns, c);
    rs_key(key, &pt, c, ns, token);
}

/* The presented signature is the one the cached verdict is for. Constant
 * time: one who knows the signing input of a valid token and guesses its
 * signature must learn nothing from how long a wrong guess takes. */
static bool same_sig(const presented_t *pt, const unsigned char *sig,
                     apr_size_t siglen, apr_pool_t *p)
{
    unsigned char *raw;
    apr_size_t n;
    return siglen
           && aoidc_b64url_decode(&raw, &n, pt->sig, strlen(pt->sig), p, NULL)
                  == APR_SUCCESS
           && n == siglen && !CRYPTO_memcmp(raw, sig, siglen);
}

static apr_status_t validate_jwt(aoidc_jws_t **out, aoidc_jwt_reg_t *reg,
                                 const aoidc_flow_env_t *env,
                                 aoidc_snapshot_t *snap, const char *token,
                                 const presented_t *pt,
                                 const aoidc_at_rules_t *rules,
                                 aoidc_err_t *err)
{
    aoidc_jws_t *jws;
    const aoidc_jwks_t *keys;
    apr_status_t rv =
        aoidc_jws_parse_lean(&jws, token, strlen(token), env->pool, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (jws->signed_len == pt->signed_len) { /* always: the same split */
        jws->sha256 = pt->d;
    }
    rv = aoidc_bearer_validate_jwt(jws, snap->jwks, rules, reg, env->pool, err);
    /* rotation: one rate-limited refetch per issuer, never per token */
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_KEY_UNKNOWN
        && aoidc_jws_alg_bit(jws->alg) & AOIDC_ALGS_ASYMMETRIC
        && (keys = aoidc_flow_rotated_keys(env))) {
        rv = aoidc_bearer_validate_jwt(jws, keys, rules, reg, env->pool, err);
    }
    *out = jws;
    return rv;
}

static apr_status_t introspect(json_t **claims, const aoidc_rs_conf_t *c,
                               const aoidc_flow_env_t *env,
                               aoidc_snapshot_t *snap, const char *token,
                               const aoidc_at_rules_t *rules, aoidc_err_t *err)
{
    aoidc_http_resp_t resp;
    apr_status_t rv;
    if (!snap->md.introspection_endpoint || !c->client
        || !c->client->client_id) {
        return aoidc_err_set(err, AOIDC_REASON_NO_INTROSPECTION, env->pool,
                             "opaque token and no introspection here");
    }
    if ((rv = aoidc_guard_enter(env->guard, env->pool, err)) != APR_SUCCESS) {
        return rv;
    }
    rv = aoidc_client_introspect(&resp, env->http, &snap->md, c->client, token,
                                 env->pool, err);
    aoidc_guard_leave(env->guard, env->now,
                      rv != APR_SUCCESS
                          && err->reason == AOIDC_REASON_OP_UNREACHABLE);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return aoidc_bearer_introspection_parse(claims, resp.status, resp.body,
                                            resp.len, rules, env->pool, err);
}

/* Write the verdict under key; *entry: its encoding, also what the L1
 * keeps (one encoding for both). */
static void remember(aoidc_blob_t *entry, const aoidc_flow_env_t *env,
                     const unsigned char *key, apr_time_t until, bool active,
                     const aoidc_jws_t *jws, const apr_array_header_t *claims)
{
    unsigned char *buf;
    apr_size_t len;
    aoidc_bearer_entry_encode_sig(&buf, &len, until, active,
                                  jws ? jws->sig : NULL, jws ? jws->siglen : 0,
                                  claims, env->pool);
    entry->data = buf;
    entry->len = len;
    /* a failed cache write costs the next request a validation, nothing
     * more: the verdict itself stands */
    env->cache->set(env->cache, key, buf, len, until, env->pool);
}

/* Validate on a cache miss and remember the verdict (until *until). */
static apr_status_t validate(apr_array_header_t **claims, apr_time_t *until,
                             aoidc_blob_t *entry, const aoidc_rs_conf_t *c,
                             const aoidc_flow_env_t *env, const char *token,
                             const unsigned char *key, const presented_t *pt,
                             aoidc_err_t *err)
{
    aoidc_at_rules_t rules = {c->issuer, c->audience, env->now, c->leeway,
                              c->require_typ};
    aoidc_snapshot_t *snap;
    aoidc_jws_t *jws = NULL;
    aoidc_jwt_reg_t reg;
    json_t *j = NULL;
    apr_status_t rv = aoidc_flow_snapshot(&snap, env, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = pt->jws ? validate_jwt(&jws, &reg, env, snap, token, pt, &rules, err)
                 : introspect(&j, c, env, snap, token, &rules, err);
    if (rv != APR_SUCCESS) {
        if (!pt->jws && err->reason == AOIDC_REASON_INACTIVE) {
            remember(entry, env, key, env->now + AOIDC_RS_NEGATIVE_TTL, false,
                     NULL, NULL);
        }
        return rv;
    }
    /* cnf survives the claim cap: without it a bound token would pass as
     * an unbound one */
    const char *keep[] = {c->remote_user_claim, "cnf", NULL};
    if (jws && jws->members.m) { /* the claims never became jansson values */
        *claims = aoidc_claims_from_members(&jws->members, keep, env->pool);
    }
    else {
        *claims = aoidc_claims_add_json_keep(NULL, jws ? jws->payload : j, keep,
                                             env->pool);
    }
    *until =
        jws ? aoidc_bearer_cache_until_exp(&reg.exp, env->now, c->cache_ttl)
            : aoidc_bearer_cache_until(j, env->now, c->cache_ttl);
    remember(entry, env, key, *until, true, jws, *claims);
    return APR_SUCCESS;
}

/* The cached verdict for key: APR_SUCCESS with claims (*entry: the bytes
 * read), APR_EINVAL for a cached refusal, APR_NOTFOUND on a miss. A JWS
 * verdict counts only for the very signature it was reached for: another
 * one over the same header and payload is validated (and refused). */
static apr_status_t cached(apr_array_header_t **claims, apr_time_t *until,
                           aoidc_blob_t *entry, const aoidc_flow_env_t *env,
                           const unsigned char *key, const presented_t *pt,
                           aoidc_err_t *err)
{
    unsigned char *buf;
    const unsigned char *sig;
    apr_size_t len, siglen;
    bool active;
    if (env->cache->get(env->cache, key, &buf, &len, env->pool) != APR_SUCCESS
        || aoidc_bearer_entry_decode_sig(until, &active, &sig, &siglen, claims,
                                         buf, len, env->pool, err)
               != APR_SUCCESS
        || *until <= env->now
        || (pt->jws && !same_sig(pt, sig, siglen, env->pool))) {
        return APR_NOTFOUND;
    }
    if (!active) {
        return aoidc_err_set(err, AOIDC_REASON_INACTIVE, env->pool,
                             "refused recently (cached)");
    }
    entry->data = buf;
    entry->len = len;
    return APR_SUCCESS;
}

/* --- the L1 (l1.h): a positive verdict on this very token under these
 * rules (the store key's namespace: typ rule, issuer, audience; its digest
 * is the entry's secret), kept by this process until the verdict's own
 * end. Nothing ends a verdict earlier in the store either, so the L1 adds
 * no staleness. ---------------------------------------------------------- */

typedef struct {
    apr_array_header_t *claims;
    const aoidc_claims_view_t *view; /* for the prefix it was made with */
    const char *cnf;                 /* the cnf claim's value, or NULL */
    bool jws;                        /* the token is a JWS */
} l1_verdict_t;

/* What an entry is made of: the claims of a positive verdict (validated
 * or decoded from the store by this request) and the location's prefix. */
typedef struct {
    const apr_array_header_t *claims;
    const char *prefix;
    bool jws;
} l1_arg_t;

/* No val (the verdict's encoding only sizes the entry): the claims this
 * request holds are copied, cheaper than decoding them again */
static const void *l1_make(apr_pool_t *p, unsigned char *val, apr_size_t len,
                           const void *arg)
{
    const l1_arg_t *a = arg;
    l1_verdict_t *v = apr_pcalloc(p, sizeof(*v));
    const aoidc_claim_t *cnf;
    (void)val, (void)len;
    v->claims = aoidc_claims_copy(a->claims, p);
    v->view = aoidc_claims_view_make(v->claims, a->prefix, p);
    v->cnf = (cnf = aoidc_claims_get(v->claims, "cnf")) ? cnf->value : NULL;
    v->jws = a->jws;
    return v;
}

static bool l1_hit(aoidc_rs_out_t *out, const char **cnf,
                   const aoidc_rs_conf_t *c, const aoidc_flow_env_t *env,
                   const char *token, apr_size_t tlen,
                   const unsigned char ns[32])
{
    const l1_verdict_t *v;
    if (!env->l1 || !c->claim_prefix
        || !(v = aoidc_l1_get(env->l1, env->cache, token, tlen,
                              (const char *)ns, 32, env->now, env->pool))) {
        return false;
    }
    out->claims = v->claims;
    /* another location with the same rules may use another prefix */
    out->claim_view = aoidc_claims_view_for(v->view, c->claim_prefix);
    out->jws = v->jws;
    *cnf = v->cnf;
    return true;
}

/* entry: the verdict's encoding, as written to or read from the store;
 * claims: what it holds. Returns the L1's verdict made of them (this
 * request's to use), or NULL. */
static const l1_verdict_t *l1_keep(const aoidc_rs_conf_t *c,
                                   const aoidc_flow_env_t *env,
                                   const char *token, apr_size_t tlen,
                                   const unsigned char ns[32], apr_uint32_t gen,
                                   apr_time_t until, const aoidc_blob_t *entry,
                                   const apr_array_header_t *claims, bool jws)
{
    l1_arg_t a = {claims, c->claim_prefix, jws};
    if (env->l1 && c->claim_prefix && entry->data && claims) {
        return aoidc_l1_put(env->l1, env->cache, token, tlen, (const char *)ns,
                            32, gen, until, NULL, entry->len, l1_make, &a,
                            env->pool);
    }
    return NULL;
}

/* The verdict: from the L1, else the cache store, else validation. */
static apr_status_t verdict(aoidc_rs_out_t *out, const char **cnf,
                            const aoidc_rs_conf_t *c,
                            const aoidc_flow_env_t *env,
                            const aoidc_rs_in_t *in, aoidc_err_t *err)
{
    const aoidc_claim_t *cl;
    unsigned char key[AOIDC_STORE_KEY_LEN];
    presented_t pt;
    aoidc_blob_t entry = {NULL, 0};
    apr_array_header_t *claims = NULL;
    apr_time_t until = 0;
    unsigned char ns[32];
    apr_size_t tlen = strlen(in->token);
    apr_uint32_t gen;
    apr_status_t rv;
    ns_digest(ns, c);
    if (l1_hit(out, cnf, c, env, in->token, tlen, ns)) {
        /* these very bytes passed the check below on their way in */
        out->cache_hit = true;
        return APR_SUCCESS;
    }
    if (!aoidc_bearer_token_syntax_ok(in->token)) { /* RFC 6750 §2.1 */
        out->jws = aoidc_bearer_is_jwt(in->token);
        return aoidc_err_set(err, AOIDC_REASON_BEARER_SYNTAX, env->pool,
                             "Bearer credentials are not one b64token");
    }
    gen = env->l1 ? aoidc_l1_gen(env->l1, in->token, tlen) : 0;
    rs_key(key, &pt, c, ns, in->token);
    out->jws = pt.jws;
    rv = cached(&claims, &until, &entry, env, key, &pt, err);
    if (rv == APR_NOTFOUND && !pt.jws
        && !aoidc_flight_enter(in->flight, key, env->http->timeout,
                               env->pool)) {
        rv = cached(&claims, &until, &entry, env, key, &pt, err);
    }
    out->cache_hit = rv != APR_NOTFOUND;
    if (rv == APR_NOTFOUND) {
        rv =
            validate(&claims, &until, &entry, c, env, in->token, key, &pt, err);
    }
    out->claims = claims;
    if (rv == APR_SUCCESS) {
        const l1_verdict_t *v = l1_keep(c, env, in->token, tlen, ns, gen, until,
                                        &entry, claims, pt.jws);
        /* the view made for the L1 serves this request too (made of a copy
         * of these claims) */
        if (v) {
            out->claim_view = v->view;
            *cnf = v->cnf;
        }
        else {
            *cnf = (cl = aoidc_claims_get(claims, "cnf")) ? cl->value : NULL;
        }
    }
    return rv;
}

apr_status_t aoidc_rs_authenticate(aoidc_rs_out_t *out,
                                   const aoidc_rs_conf_t *c,
                                   const aoidc_flow_env_t *env,
                                   const aoidc_rs_in_t *in, aoidc_err_t *err)
{
    const char *cnf = NULL;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    rv = verdict(out, &cnf, c, env, in, err);
    if (rv != APR_SUCCESS
        || (rv = aoidc_rs_binding(&out->dpop_nonce, cnf, c, env, in, err))
               != APR_SUCCESS) {
        return rv;
    }
    /* never an authenticated request without a user */
    out->user = aoidc_flow_user(out->claims, c->remote_user_claim);
    if (!out->user) {
        return aoidc_err_set(err, AOIDC_REASON_NO_USER, env->pool,
                             "token has no usable %s or sub claim",
                             c->remote_user_claim);
    }
    return APR_SUCCESS;
}
