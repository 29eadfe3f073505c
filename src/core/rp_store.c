/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Session storage behind the tickets described in rp.h:
 *
 *   cookie  "TAG.ID.SECRET[~TAG.ID.SECRET...]"   (6 + 1 + 22 + 1 + 22)
 *   store   group(ID) "session"       hot record: times, tokens, claims
 *           group(ID) "session-idt"   the ID Token, read at logout only
 *           group(ID) "refresh-lock"  one refresh at a time, all nodes
 *   seal    AES-256-GCM, key SHA-256(passphrase key || SECRET), AAD = ID
 *
 * The hot record leaves the ID Token out: every request opens and walks a
 * record a third the size.
 */
#include <string.h>

#include "core/b64url.h"
#include "core/l1.h"
#include "core/rand.h"
#include "core/rp.h"
#include "core/rp_store.h"

#define HALF 22 /* base64url characters of 16 random bytes */

/* base64url characters (RFC 4648 §5): a table, since every request
 * checks the 50 characters of its ticket */
static const unsigned char b64url_char[256] = {
    ['-'] = 1, ['_'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1,
    ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1,
    ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,
    ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1,
    ['z'] = 1,
};

static bool is_b64url(const char *s, apr_size_t n)
{
    unsigned ok = 1;
    for (apr_size_t i = 0; i < n; i++) {
        ok &= b64url_char[(unsigned char)s[i]];
    }
    return ok;
}

bool aoidc_ticket_parse(aoidc_ticket_t *t, const char *s)
{
    const char *id, *secret;
    if (!s || strlen(s) < AOIDC_TICKET_LEN) {
        return false;
    }
    id = s + AOIDC_TAG_LEN + 1;
    secret = id + HALF + 1;
    if (!is_b64url(s, AOIDC_TAG_LEN) || s[AOIDC_TAG_LEN] != '.'
        || !is_b64url(id, HALF) || id[HALF] != '.' || !is_b64url(secret, HALF)
        || (secret[HALF] != '\0' && secret[HALF] != '~')) {
        return false;
    }
    memcpy(t->tag, s, AOIDC_TAG_LEN);
    t->tag[AOIDC_TAG_LEN] = '\0';
    memcpy(t->id, id, HALF);
    t->id[HALF] = '\0';
    t->secret = secret;
    return true;
}

/* Calls fn for each well-formed ticket of cookie, in order. */
static void each_ticket(const char *cookie,
                        bool (*fn)(const aoidc_ticket_t *, const char *,
                                   void *),
                        void *baton)
{
    const char *s = cookie;
    while (s && *s) {
        const char *end = strchr(s, '~');
        aoidc_ticket_t t;
        apr_size_t n = end ? (apr_size_t)(end - s) : strlen(s);
        if (n == AOIDC_TICKET_LEN && aoidc_ticket_parse(&t, s)
            && !fn(&t, s, baton)) {
            return;
        }
        s = end ? end + 1 : NULL;
    }
}

typedef struct {
    aoidc_ticket_t *t;
    const char *tag;
    bool found;
} find_t;

static bool find_one(const aoidc_ticket_t *t, const char *s, void *b)
{
    find_t *f = b;
    if (!strcmp(t->tag, f->tag)) {
        *f->t = *t;
        f->found = true;
        return false;
    }
    return true;
}

bool aoidc_ticket_find(aoidc_ticket_t *t, const char *cookie, const char *tag)
{
    find_t f = {t, tag, false};
    each_ticket(cookie, find_one, &f);
    return f.found;
}

typedef struct {
    const char *tag;
    apr_array_header_t *keep; /* of const char * (a ticket each) */
    apr_pool_t *p;
} others_t;

static bool collect_other(const aoidc_ticket_t *t, const char *s, void *b)
{
    others_t *o = b;
    if (strcmp(t->tag, o->tag)) {
        *(const char **)apr_array_push(o->keep) =
            apr_pstrndup(o->p, s, AOIDC_TICKET_LEN);
    }
    return true;
}

const char *aoidc_ticket_replace(const char *cookie, const char *tag,
                                 const char *ticket, apr_pool_t *p)
{
    others_t o = {tag, apr_array_make(p, AOIDC_TICKETS_MAX, sizeof(char *)), p};
    char *out = "";
    int first;
    each_ticket(cookie, collect_other, &o);
    /* the newest others come last; keep room for ours */
    first = o.keep->nelts - (AOIDC_TICKETS_MAX - 1);
    for (int i = first > 0 ? first : 0; i < o.keep->nelts; i++) {
        out = apr_pstrcat(p, out, *out ? "~" : "",
                          APR_ARRAY_IDX(o.keep, i, const char *), NULL);
    }
    if (ticket) {
        out = apr_pstrcat(p, out, *out ? "~" : "", ticket, NULL);
    }
    return out;
}

void aoidc_ticket_cookie(apr_array_header_t **ops, const aoidc_rp_conf_t *c,
                         const char *cookie, const char *ticket, apr_pool_t *p)
{
    const char *v = aoidc_ticket_replace(cookie, c->tag, ticket, p);
    aoidc_cookie_op(ops, AOIDC_COOKIE_SESSION, c->cookie_name, v, *v ? -1 : 0,
                    p);
}

const char *aoidc_rp_tag(const char *issuer, const char *client_id,
                         apr_pool_t *p)
{
    unsigned char h[32];
    aoidc_sha256_2(h, issuer, strlen(issuer) + 1, client_id, strlen(client_id));
    return apr_pstrndup(p, aoidc_b64url_encode(h, 6, p), AOIDC_TAG_LEN);
}

static void key_of(unsigned char key[AOIDC_STORE_KEY_LEN], const char *ns,
                   const aoidc_ticket_t *t)
{
    aoidc_store_key_grouped(key, ns, t->id, HALF);
}

static apr_status_t seal_of(const aoidc_seal_t **k, const aoidc_rp_conf_t *c,
                            const aoidc_ticket_t *t, apr_pool_t *p)
{
    aoidc_seal_t *d;
    apr_status_t rv =
        aoidc_seal_derive(&d, c->seal_session, t->secret, HALF, p);
    *k = d;
    return rv;
}

apr_status_t aoidc_rp_put(const aoidc_rp_conf_t *c, const aoidc_flow_env_t *env,
                          const aoidc_ticket_t *t, const char *ns,
                          const unsigned char *val, apr_size_t len,
                          apr_time_t expiry)
{
    unsigned char key[AOIDC_STORE_KEY_LEN], *sealed;
    apr_size_t slen;
    const aoidc_seal_t *k;
    apr_status_t rv = seal_of(&k, c, t, env->pool);
    if (rv == APR_SUCCESS) {
        rv = aoidc_seal(&sealed, &slen, k, val, len, t->id, HALF, env->pool);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    key_of(key, ns, t);
    return env->sessions->set(env->sessions, key, sealed, slen, expiry,
                              env->pool);
}

apr_status_t aoidc_rp_get(unsigned char **val, apr_size_t *len,
                          const aoidc_rp_conf_t *c, const aoidc_flow_env_t *env,
                          const aoidc_ticket_t *t, const char *ns,
                          aoidc_err_t *err)
{
    unsigned char key[AOIDC_STORE_KEY_LEN], *blob;
    apr_size_t blen;
    const aoidc_seal_t *k;
    apr_status_t rv;
    key_of(key, ns, t);
    rv = env->sessions->get(env->sessions, key, &blob, &blen, env->pool);
    if (rv == APR_NOTFOUND) {
        return rv;
    }
    if (rv != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_STORE_UNAVAILABLE, env->pool,
                             "%s store: get failed (%d)", env->sessions->name,
                             rv);
    }
    if ((rv = seal_of(&k, c, t, env->pool)) != APR_SUCCESS) {
        return rv;
    }
    return aoidc_unseal(val, len, k, blob, blen, t->id, HALF, env->pool, err);
}

apr_status_t aoidc_rp_remove(const aoidc_flow_env_t *env,
                             const aoidc_ticket_t *t, const char *ns)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    key_of(key, ns, t);
    return env->sessions->remove(env->sessions, key, env->pool);
}

apr_status_t aoidc_rp_lock(const aoidc_flow_env_t *env, const aoidc_ticket_t *t,
                           const char *ns, apr_interval_time_t ttl)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    key_of(key, ns, t);
    return env->sessions->add(env->sessions, key, (const unsigned char *)"1", 1,
                              env->now + ttl, env->pool);
}

apr_status_t aoidc_rp_mark(const aoidc_flow_env_t *env, const aoidc_ticket_t *t,
                           const char *ns, apr_interval_time_t ttl)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    key_of(key, ns, t);
    return env->sessions->set(env->sessions, key, (const unsigned char *)"1", 1,
                              env->now + ttl, env->pool);
}

apr_status_t aoidc_rp_save(const aoidc_rp_conf_t *c,
                           const aoidc_flow_env_t *env, const aoidc_ticket_t *t,
                           const aoidc_session_t *s)
{
    aoidc_session_t hot = *s;
    unsigned char *plain;
    apr_size_t plen;
    hot.id_token = NULL;
    apr_status_t rv;
    aoidc_session_encode(&plain, &plen, &hot, env->pool);
    rv = aoidc_rp_put(c, env, t, AOIDC_NS_SESSION, plain, plen,
                      aoidc_session_expiry(s, &c->limits));
    if (env->l1) { /* after the write: see l1.h */
        aoidc_l1_forget(env->l1, t->id, HALF);
    }
    return rv;
}

apr_status_t aoidc_rp_load(aoidc_session_t **out, const aoidc_rp_conf_t *c,
                           const aoidc_flow_env_t *env, const aoidc_ticket_t *t,
                           aoidc_err_t *err)
{
    unsigned char *plain;
    apr_size_t plen;
    apr_pool_t *p = env->pool;
    apr_status_t rv =
        aoidc_rp_get(&plain, &plen, c, env, t, AOIDC_NS_SESSION, err);
    if (rv == APR_NOTFOUND) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_EXPIRED, p,
                             "session %s not in the store",
                             aoidc_fingerprint(t->id, p));
    }
    if (rv != APR_SUCCESS && err->reason == AOIDC_REASON_STORE_UNAVAILABLE) {
        return rv;
    }
    if (rv != APR_SUCCESS
        || aoidc_session_decode(out, plain, plen, p, err) != APR_SUCCESS) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_INVALID, p,
                             "session record unusable: %s",
                             err->detail ? err->detail : "-");
    }
    if (strcmp((*out)->issuer, c->issuer)
        || strcmp((*out)->client_id, c->client->client_id)) {
        return aoidc_err_set(err, AOIDC_REASON_SESSION_INVALID, p,
                             "session belongs to another issuer or client");
    }
    return aoidc_session_check(*out, &c->limits, env->now, p, err);
}

apr_status_t aoidc_rp_session_create(const char **ticket,
                                     const aoidc_rp_conf_t *c,
                                     const aoidc_flow_env_t *env,
                                     const aoidc_session_t *s)
{
    aoidc_ticket_t t;
    char *id, *secret;
    /* always a fresh ticket: a client-supplied one is never adopted */
    apr_status_t rv = aoidc_rand_token(&id, 16, env->pool);
    if (rv == APR_SUCCESS) {
        rv = aoidc_rand_token(&secret, 16, env->pool);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *ticket = apr_pstrcat(env->pool, c->tag, ".", id, ".", secret, NULL);
    aoidc_ticket_parse(&t, *ticket);
    rv = aoidc_rp_save(c, env, &t, s);
    if (rv == APR_SUCCESS && s->id_token) {
        rv = aoidc_rp_put(c, env, &t, AOIDC_NS_ID_TOKEN,
                          (const unsigned char *)s->id_token,
                          strlen(s->id_token), s->created + c->limits.max_age);
    }
    return rv;
}

void aoidc_rp_destroy(const aoidc_flow_env_t *env, const aoidc_ticket_t *t)
{
    aoidc_rp_remove(env, t, AOIDC_NS_SESSION);
    aoidc_rp_remove(env, t, AOIDC_NS_ID_TOKEN);
    if (env->l1) {
        aoidc_l1_forget(env->l1, t->id, HALF);
    }
}

/* --- the L1 (l1.h): the hot record, keyed by the ticket's id, found only
 * with its secret; owned by the store it came from ----------------------- */

apr_uint32_t aoidc_rp_l1_gen(const aoidc_flow_env_t *env,
                             const aoidc_ticket_t *t)
{
    return env->l1 ? aoidc_l1_gen(env->l1, t->id, HALF) : 0;
}

bool aoidc_rp_l1_load(aoidc_session_t **out, const aoidc_rp_conf_t *c,
                      const aoidc_flow_env_t *env, const aoidc_ticket_t *t)
{
    aoidc_err_t err = {0};
    const aoidc_session_t *shared;
    aoidc_session_t *s;
    if (!env->l1 || env->l1_ttl <= 0
        || !(shared = aoidc_l1_get(env->l1, env->sessions, t->id, HALF,
                                   t->secret, HALF, env->now, env->pool))) {
        return false;
    }
    /* the request's own copy of the fields; what they point to (strings,
     * the claims) is shared by the threads and only ever read */
    s = apr_pmemdup(env->pool, shared, sizeof(*s));
    /* made for another location's prefix: the glue makes the names */
    s->claim_view = aoidc_claims_view_for(s->claim_view, c->claim_prefix);
    if (strcmp(s->issuer, c->issuer)
        || strcmp(s->client_id, c->client->client_id)
        || aoidc_session_check(s, &c->limits, env->now, env->pool, &err)
               != APR_SUCCESS) {
        return false; /* the store path decides, and says why */
    }
    *out = s;
    return true;
}

/* The entry's object: the decoded record, and the claims' view for arg
 * (the prefix), so a hit allocates nothing per claim. */
static const void *l1_make(apr_pool_t *p, unsigned char *val, apr_size_t len,
                           const void *arg)
{
    aoidc_session_t *s;
    aoidc_err_t err = {0};
    if (aoidc_session_decode(&s, val, len, p, &err) != APR_SUCCESS) {
        return NULL;
    }
    if (arg) {
        s->claim_view = aoidc_claims_view_make(s->claims, arg, p);
    }
    return s;
}

void aoidc_rp_l1_keep(const aoidc_rp_conf_t *c, const aoidc_flow_env_t *env,
                      const aoidc_ticket_t *t, apr_uint32_t gen,
                      const aoidc_session_t *s)
{
    unsigned char *plain;
    apr_size_t plen;
    if (env->l1 && env->l1_ttl > 0) {
        aoidc_session_encode(&plain, &plen, s, env->pool);
        aoidc_l1_put(env->l1, env->sessions, t->id, HALF, t->secret, HALF, gen,
                     env->now + env->l1_ttl, plain, plen, l1_make,
                     c->claim_prefix, NULL);
    }
}
