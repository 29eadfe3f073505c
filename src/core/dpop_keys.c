/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public key of a DPoP proof (dpop.h), imported once per thread.
 *
 * A DPoP client signs every proof with the same key, so importing its jwk
 * on every request (JSON dump, JWKS parse, cjose import building a fresh
 * EC_GROUP: ~220k instructions under callgrind, a quarter of a whole
 * request) is work thrown away. Each thread keeps the last few keys it
 * imported, by RFC 7638 thumbprint. The thumbprint is the SHA-256 of
 * exactly the members that make the public key (kty, crv, x, y / e, kty,
 * n), so an equal thumbprint is the same key, which passed the same import
 * rules (RSA size, curve and coordinate lengths, strict base64url) when it
 * was imported. The two import rules that depend on other members are
 * checked again on every proof: "use" (here) and "alg" (aoidc_jwks_find).
 *
 * Per thread, so no lock and no shared reference count: cjose's are not
 * atomic, and a request pool may be destroyed on another thread (event
 * MPM write completion), so no request pool ever holds a cached key; the
 * key is used only inside aoidc_dpop_check, on this thread, before any
 * later lookup could evict it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apr_strings.h"

#include "core/dpop.h"
#include "core/json.h"
#include "core/jwk.h"

#define SLOTS 8

typedef struct {
    char jkt[48];
    cjose_jwk_t *key;
} slot_t;

typedef struct {
    slot_t s[SLOTS];
    unsigned next; /* round robin: a client's key is reused at once */
} cache_t;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *data)
{
    cache_t *c = data;
    for (int i = 0; i < SLOTS; i++) {
        if (c->s[i].key) {
            cjose_jwk_release(c->s[i].key);
        }
    }
    free(c);
}

static void cache_init(void)
{
    pthread_key_create(&cache_key, cache_free);
}

static cache_t *cache(void)
{
    cache_t *c;
    pthread_once(&cache_once, cache_init);
    c = pthread_getspecific(cache_key);
    if (!c) {
        c = calloc(1, sizeof(*c));
        if (c && pthread_setspecific(cache_key, c)) {
            free(c);
            c = NULL;
        }
    }
    return c; /* NULL: no cache, every proof imports its key */
}

/* A fresh import by the issuers' rules: a one-key JWKS. The key belongs to
 * a subpool destroyed here; *key holds a reference of its own. */
static cjose_jwk_t *import(const json_t *jwk, apr_pool_t *p)
{
    aoidc_jwks_t *k;
    aoidc_err_t ignored = {0};
    apr_pool_t *sub;
    cjose_jwk_t *key = NULL;
    cjose_err cerr;
    json_t *doc = json_pack("{s:[O]}", "keys", jwk);
    if (!doc || apr_pool_create(&sub, p) != APR_SUCCESS) {
        json_decref(doc);
        return NULL;
    }
    char *text = aoidc_json_dump(doc, sub);
    json_decref(doc);
    if (text
        && aoidc_jwks_parse_cjose(&k, text, strlen(text), sub, &ignored)
               == APR_SUCCESS
        && k->keys->nelts == 1) {
        key = APR_ARRAY_IDX(k->keys, 0, aoidc_jwk_t).key;
        if (!cjose_jwk_retain(key, &cerr)) {
            key = NULL;
        }
    }
    apr_pool_destroy(sub);
    return key;
}

static apr_status_t release_key(void *data)
{
    cjose_jwk_release(data);
    return APR_SUCCESS;
}

apr_status_t aoidc_dpop_proof_key(const aoidc_jwks_t **out, const json_t *jwk,
                                  const char *jkt, apr_pool_t *p)
{
    cache_t *c = cache();
    const json_t *use = json_object_get(jwk, "use");
    cjose_jwk_t *key = NULL;
    aoidc_jwks_t *one;
    aoidc_jwk_t *k;
    /* the import rule that is not in the thumbprint (jwk.c's judge) */
    if (use
        && (!json_is_string(use) || strcmp(json_string_value(use), "sig"))) {
        return APR_EINVAL;
    }
    for (int i = 0; c && i < SLOTS; i++) {
        if (c->s[i].key && !strcmp(c->s[i].jkt, jkt)) {
            key = c->s[i].key;
            break;
        }
    }
    if (!key) {
        if (!(key = import(jwk, p))) {
            return APR_EINVAL;
        }
        if (c && strlen(jkt) < sizeof(c->s[0].jkt)) {
            slot_t *s = &c->s[c->next++ % SLOTS];
            if (s->key) {
                cjose_jwk_release(s->key);
            }
            s->key = key;
            apr_cpystrn(s->jkt, jkt, sizeof(s->jkt));
        }
        else {
            /* not cached: this request's alone */
            apr_pool_cleanup_register(p, key, release_key,
                                      apr_pool_cleanup_null);
        }
    }
    one = apr_pcalloc(p, sizeof(*one));
    one->keys = apr_array_make(p, 1, sizeof(aoidc_jwk_t));
    one->skipped = apr_array_make(p, 1, sizeof(aoidc_jwk_skipped_t));
    k = apr_array_push(one->keys);
    k->kty = aoidc_json_str(jwk, "kty");
    k->crv = aoidc_json_str(jwk, "crv");
    k->alg = aoidc_json_str(jwk, "alg"); /* restricts, as for an issuer key */
    k->key = key;
    *out = one;
    return APR_SUCCESS;
}
