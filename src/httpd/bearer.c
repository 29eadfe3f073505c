/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthType bearer: RFC 6750 resource server. A token seen before costs one
 * SHA-256 and one store lookup: validated tokens are cached under
 * SHA-256(issuer, audience, token) until min(exp, AuthOIDCTokenCacheTTL),
 * so a token validated for one location's issuer and audience is never a
 * hit at another's. Introspection answers are cached the same way, and
 * refusals for a short time.
 */
#include <string.h>

#include "apr_hash.h"
#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"

#include "core/bearer.h"
#include "core/client.h"
#include "core/json.h"
#include "core/url.h"
#include "httpd/mod_auth_oidc.h"

#define NEGATIVE_TTL apr_time_from_sec(10)

/*
 * Single flight for introspection: when several threads of a process meet
 * the same unknown opaque token, one asks the OP and the others wait for
 * its verdict in the cache (bounded by the HTTP timeout), instead of each
 * sending the same request. Process-local; across processes the cache does
 * the rest.
 */
static apr_thread_mutex_t *sf_mutex;
static apr_thread_cond_t *sf_cond;
static apr_hash_t *sf_inflight; /* cache key -> request pool */

void aoidc_bearer_child_init(apr_pool_t *pchild)
{
    sf_inflight = apr_hash_make(pchild);
    if (apr_thread_mutex_create(&sf_mutex, APR_THREAD_MUTEX_DEFAULT, pchild)
            != APR_SUCCESS
        || apr_thread_cond_create(&sf_cond, pchild) != APR_SUCCESS) {
        sf_mutex = NULL; /* no collapsing; every miss asks the OP */
    }
}

static apr_status_t sf_leave(void *key)
{
    apr_thread_mutex_lock(sf_mutex);
    apr_hash_set(sf_inflight, key, AOIDC_STORE_KEY_LEN, NULL);
    apr_thread_cond_broadcast(sf_cond);
    apr_thread_mutex_unlock(sf_mutex);
    return APR_SUCCESS;
}

/* True: we lead (and leave when r->pool goes). False: another thread led
 * and is done, or we gave up waiting; the caller looks at the cache. */
static bool sf_enter(request_rec *r, const unsigned char *key,
                     apr_interval_time_t wait)
{
    bool lead = false;
    apr_time_t until = apr_time_now() + wait;
    if (!sf_mutex) {
        return true;
    }
    apr_thread_mutex_lock(sf_mutex);
    if (!apr_hash_get(sf_inflight, key, AOIDC_STORE_KEY_LEN)) {
        void *k = apr_pmemdup(r->pool, key, AOIDC_STORE_KEY_LEN);
        apr_hash_set(sf_inflight, k, AOIDC_STORE_KEY_LEN, r->pool);
        apr_pool_cleanup_register(r->pool, k, sf_leave, apr_pool_cleanup_null);
        lead = true;
    }
    else {
        while (apr_hash_get(sf_inflight, key, AOIDC_STORE_KEY_LEN)
               && apr_time_now() < until) {
            apr_thread_cond_timedwait(sf_cond, sf_mutex,
                                      until - apr_time_now());
        }
    }
    apr_thread_mutex_unlock(sf_mutex);
    return lead;
}

const char *aoidc_bearer_challenge_for(request_rec *r, const char *error,
                                       const char *description,
                                       const char *scope)
{
    return aoidc_bearer_challenge(ap_auth_name(r), error, description, scope,
                                  r->pool);
}

/* Bound to this location's issuer and audience: a token validated for one
 * is never a hit at another. */
static void cache_key(unsigned char key[AOIDC_STORE_KEY_LEN],
                      const aoidc_dir_conf_t *c, const char *token)
{
    aoidc_store_key3(key, "bearer", c->issuer, c->audience, token,
                     strlen(token));
}

#define MAX_FORM (64 * 1024)

/* access_token from a query string or form body: at most once, b64token. */
static apr_status_t param_token(const char **tok, const char *params,
                                request_rec *r, aoidc_err_t *err)
{
    int count;
    aoidc_url_find_param(tok, &count, params, "access_token", r->pool);
    if (count > 1
        || (count && (!*tok || !aoidc_bearer_token_syntax_ok(*tok)))) {
        return aoidc_err_set(err, AOIDC_REASON_BEARER_SYNTAX, r->pool,
                             "access_token parameter repeated or malformed");
    }
    return APR_SUCCESS;
}

static bool is_form(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    return r->method_number == M_POST && ct
           && !strncasecmp(ct, "application/x-www-form-urlencoded", 33)
           && (ct[33] == '\0' || ct[33] == ';' || ct[33] == ' ');
}

/* The token, from where this location accepts it; RFC 6750 §2: a request
 * using more than one method is malformed. */
static apr_status_t extract(const char **token, request_rec *r,
                            const aoidc_dir_conf_t *c, aoidc_err_t *err)
{
    int where = aoidc_conf_accept_in(c), methods = 0;
    const char *hdr, *qtok = NULL, *ftok = NULL, *body;
    const char *htok = NULL;
    apr_status_t rv;

    *token = NULL;
    if ((where & AOIDC_ACCEPT_QUERY) && r->args
        && (rv = param_token(&qtok, r->args, r, err)) != APR_SUCCESS) {
        return rv;
    }
    if ((where & AOIDC_ACCEPT_FORM) && is_form(r)) {
        if ((rv = aoidc_read_body(&body, r, MAX_FORM, err)) != APR_SUCCESS
            || (rv = param_token(&ftok, body, r, err)) != APR_SUCCESS) {
            return rv;
        }
    }
    hdr = (where & AOIDC_ACCEPT_HEADER)
              ? apr_table_get(r->headers_in, "Authorization")
              : NULL;
    if (hdr) {
        rv = aoidc_bearer_from_header(&htok, hdr, r->pool, err);
        if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
            return rv;
        }
    }
    methods = !!htok + !!qtok + !!ftok;
    if (methods > 1) {
        return aoidc_err_set(err, AOIDC_REASON_BEARER_SYNTAX, r->pool,
                             "token sent by more than one method");
    }
    *token = htok ? htok : qtok ? qtok : ftok;
    if (!*token) {
        aoidc_err_set(err, AOIDC_REASON_NO_CREDENTIALS, r->pool, "no token");
        return APR_NOTFOUND;
    }
    return APR_SUCCESS;
}

static apr_status_t validate_jwt(json_t **claims, request_rec *r,
                                 const aoidc_dir_conf_t *c,
                                 aoidc_snapshot_t *snap, const char *token,
                                 const aoidc_at_rules_t *rules,
                                 aoidc_err_t *err)
{
    aoidc_jws_t *jws;
    apr_status_t rv = aoidc_jws_parse(&jws, token, strlen(token), r->pool, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    const aoidc_jwks_t *keys;
    rv = aoidc_bearer_validate_jwt(jws, snap->jwks, rules, r->pool, err);
    /* rotation: one rate-limited refetch per issuer, never per token */
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_KEY_UNKNOWN
        && aoidc_jws_alg_bit(jws->alg) & AOIDC_ALGS_ASYMMETRIC
        && (keys = aoidc_rotated_keys(r, c))) {
        rv = aoidc_bearer_validate_jwt(jws, keys, rules, r->pool, err);
    }
    *claims = jws->payload;
    return rv;
}

static apr_status_t introspect(json_t **claims, request_rec *r,
                               const aoidc_dir_conf_t *c,
                               aoidc_snapshot_t *snap, const char *token,
                               const aoidc_at_rules_t *rules, aoidc_err_t *err)
{
    aoidc_client_t client = {c->client_id, c->client_secret, false};
    aoidc_http_resp_t resp;
    apr_status_t rv;
    if (!snap->md.introspection_endpoint || !c->client_id) {
        return aoidc_err_set(err, AOIDC_REASON_NO_INTROSPECTION, r->pool,
                             "opaque token and no introspection here");
    }
    rv = aoidc_client_introspect(&resp, aoidc_http_for(r, c), &snap->md,
                                 &client, token, r->pool, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return aoidc_bearer_introspection_parse(claims, resp.status, resp.body,
                                            resp.len, rules, r->pool, err);
}

/* Validate on a cache miss and remember the verdict. */
static apr_status_t validate(apr_array_header_t **claims, request_rec *r,
                             const aoidc_dir_conf_t *c, const char *token,
                             const unsigned char *key, aoidc_err_t *err)
{
    aoidc_at_rules_t rules = {c->issuer, c->audience, aoidc_now(r),
                              aoidc_conf_leeway(c), aoidc_conf_typ_required(c)};
    aoidc_snapshot_t *snap;
    aoidc_store_t *store = aoidc_store_for(c, AOIDC_STORE_CACHE);
    json_t *j = NULL;
    apr_int64_t exp;
    apr_time_t until;
    unsigned char *entry;
    apr_size_t len;
    bool jwt = aoidc_bearer_is_jwt(token);
    apr_status_t rv = aoidc_snapshot(&snap, r, c, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = jwt ? validate_jwt(&j, r, c, snap, token, &rules, err)
             : introspect(&j, r, c, snap, token, &rules, err);
    if (rv != APR_SUCCESS) {
        if (!jwt && err->reason == AOIDC_REASON_INACTIVE) {
            aoidc_bearer_entry_encode(&entry, &len, rules.now + NEGATIVE_TTL,
                                      false, NULL, r->pool);
            store->set(store, key, entry, len, rules.now + NEGATIVE_TTL,
                       r->pool);
        }
        return rv;
    }
    *claims = aoidc_claims_add_json(NULL, j, r->pool);
    until = rules.now + aoidc_conf_token_cache_ttl(c);
    if (aoidc_json_int(j, "exp", &exp) && apr_time_from_sec(exp) < until) {
        until = apr_time_from_sec(exp);
    }
    aoidc_bearer_entry_encode(&entry, &len, until, true, *claims, r->pool);
    store->set(store, key, entry, len, until, r->pool);
    return APR_SUCCESS;
}

/* The cached verdict for key: APR_SUCCESS with claims, APR_EINVAL for a
 * cached refusal, APR_NOTFOUND on a miss. */
static apr_status_t cached(apr_array_header_t **claims, request_rec *r,
                           const aoidc_dir_conf_t *c, const unsigned char *key,
                           const char *token, aoidc_err_t *err)
{
    aoidc_store_t *store = aoidc_store_for(c, AOIDC_STORE_CACHE);
    unsigned char *entry;
    apr_size_t len;
    apr_time_t until;
    bool active;
    if (store->get(store, key, &entry, &len, r->pool) != APR_SUCCESS
        || aoidc_bearer_entry_decode(&until, &active, claims, entry, len,
                                     r->pool, err)
               != APR_SUCCESS
        || until <= aoidc_now(r)) {
        return APR_NOTFOUND;
    }
    if (!active) {
        return aoidc_err_set(err, AOIDC_REASON_INACTIVE, r->pool,
                             "token %s refused recently (cached)",
                             aoidc_fingerprint(token, r->pool));
    }
    return APR_SUCCESS;
}

int aoidc_bearer_authn(request_rec *r, const aoidc_dir_conf_t *c)
{
    aoidc_err_t err = {0};
    const char *token;
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_array_header_t *claims = NULL;
    apr_status_t rv;

    if (!c->issuer || !c->audience) {
        aoidc_err_set(&err, AOIDC_REASON_CONFIG, r->pool,
                      "AuthType bearer needs AuthOIDCIssuer and "
                      "AuthOIDCAudience");
        return aoidc_fail(r, &err, APR_EINVAL);
    }
    rv = extract(&token, r, c, &err);
    if (rv != APR_SUCCESS) {
        return aoidc_fail(r, &err, rv);
    }
    cache_key(key, c, token);
    rv = cached(&claims, r, c, key, token, &err);
    if (rv == APR_NOTFOUND && !aoidc_bearer_is_jwt(token)
        && !sf_enter(r, key, aoidc_http_for(r, c)->timeout)) {
        rv = cached(&claims, r, c, key, token, &err);
    }
    if (rv == APR_NOTFOUND) {
        rv = validate(&claims, r, c, token, key, &err);
        if (rv != APR_SUCCESS) {
            err.detail =
                apr_psprintf(r->pool, "token %s: %s",
                             aoidc_fingerprint(token, r->pool), err.detail);
        }
    }
    if (rv != APR_SUCCESS) {
        return aoidc_fail(r, &err, rv);
    }
    aoidc_set_user(r, c, claims);
    return OK;
}
