/* SPDX-License-Identifier: Apache-2.0 */
/* Session indexes by sid and sub, and the logout jti replay cache (member
 * layout and key design in session_index.h). */
#include <string.h>

#include "core/session_index.h"

#define ID_MAX 512

typedef struct {
    apr_time_t expiry;
    const char *id;
    const char *sub;
    aoidc_blob_t blob; /* the member as stored */
} member_t;

static void set_key(unsigned char key[AOIDC_STORE_KEY_LEN], const char *ns,
                    const aoidc_session_index_t *ix, const char *value)
{
    aoidc_store_key3(key, ns, ix->issuer, ix->client_id, value, strlen(value));
}

static apr_status_t seal_member(aoidc_blob_t *out,
                                const aoidc_session_index_t *ix,
                                const unsigned char *key, const char *id,
                                const char *sub, apr_time_t expiry,
                                apr_pool_t *p)
{
    apr_size_t il = strlen(id), sl = strlen(sub), n = 8 + il + 1 + sl;
    unsigned char *plain = apr_palloc(p, n), *sealed;
    apr_uint64_t e = (apr_uint64_t)expiry;
    for (int i = 7; i >= 0; i--, e >>= 8) {
        plain[i] = (unsigned char)(e & 0xff);
    }
    memcpy(plain + 8, id, il);
    plain[8 + il] = '\0';
    memcpy(plain + 9 + il, sub, sl);
    apr_status_t rv = aoidc_seal(&sealed, &out->len, ix->seal, plain, n, key,
                                 AOIDC_STORE_KEY_LEN, p);
    out->data = sealed;
    return rv;
}

/* False for a member that does not open (another passphrase, tampered,
 * moved from another set) or is not of our layout. */
static bool open_member(member_t *m, const aoidc_session_index_t *ix,
                        const unsigned char *key, const aoidc_blob_t *b,
                        apr_pool_t *p)
{
    unsigned char *plain;
    apr_size_t n;
    apr_uint64_t e = 0;
    if (aoidc_unseal(&plain, &n, ix->seal, b->data, b->len, key,
                     AOIDC_STORE_KEY_LEN, p, NULL)
            != APR_SUCCESS
        || n < 10) {
        return false;
    }
    for (int i = 0; i < 8; i++) {
        e = (e << 8) | plain[i];
    }
    m->expiry = (apr_time_t)e;
    m->id = (const char *)plain + 8;
    apr_size_t il = strlen(m->id);
    if (!il || 8 + il >= n) {
        return false;
    }
    m->sub = m->id + il + 1; /* plain is NUL-terminated after n bytes */
    m->blob = *b;
    return true;
}

/* The live members of the set at key; with prune, the others are removed
 * from the store on the way. */
static apr_status_t live_members(apr_array_header_t **out,
                                 const aoidc_session_index_t *ix,
                                 const unsigned char *key, bool prune,
                                 apr_time_t now, apr_pool_t *p)
{
    apr_array_header_t *raw;
    aoidc_store_t *s = ix->store;
    apr_status_t rv = s->smembers(s, key, &raw, p);
    *out = apr_array_make(p, 4, sizeof(member_t));
    for (int i = 0; rv == APR_SUCCESS && i < raw->nelts; i++) {
        const aoidc_blob_t *b = &APR_ARRAY_IDX(raw, i, aoidc_blob_t);
        member_t m;
        if (open_member(&m, ix, key, b, p) && m.expiry > now) {
            *(member_t *)apr_array_push(*out) = m;
        }
        else if (prune) {
            rv = s->srem(s, key, b->data, b->len, p);
        }
    }
    return rv;
}

/* Add id to the set at key: its older member goes, expired ones go, and
 * past AOIDC_SESSION_INDEX_MAX the members that expire first go. */
static apr_status_t add_to(const aoidc_session_index_t *ix,
                           const unsigned char *key, const char *id,
                           const char *sub, apr_time_t expiry, apr_time_t now,
                           apr_pool_t *p)
{
    apr_array_header_t *live;
    aoidc_store_t *s = ix->store;
    aoidc_blob_t nb;
    apr_status_t rv = live_members(&live, ix, key, true, now, p);
    int keep = live->nelts;
    for (int i = 0; rv == APR_SUCCESS && i < live->nelts; i++) {
        member_t *m = &APR_ARRAY_IDX(live, i, member_t);
        if (!strcmp(m->id, id)) {
            rv = s->srem(s, key, m->blob.data, m->blob.len, p);
            m->expiry = 0; /* gone: never picked below */
            keep--;
        }
    }
    while (rv == APR_SUCCESS && keep >= AOIDC_SESSION_INDEX_MAX) {
        member_t *first = NULL;
        for (int i = 0; i < live->nelts; i++) {
            member_t *m = &APR_ARRAY_IDX(live, i, member_t);
            if (m->expiry && (!first || m->expiry < first->expiry)) {
                first = m;
            }
        }
        rv = s->srem(s, key, first->blob.data, first->blob.len, p);
        first->expiry = 0;
        keep--;
    }
    if (rv == APR_SUCCESS) {
        rv = seal_member(&nb, ix, key, id, sub, expiry, p);
    }
    if (rv == APR_SUCCESS) {
        rv = s->sadd(s, key, nb.data, nb.len, expiry, p);
    }
    return rv;
}

apr_status_t aoidc_session_index_add(const aoidc_session_index_t *ix,
                                     const char *sid, const char *sub,
                                     const char *session_id, apr_time_t expiry,
                                     apr_time_t now, apr_pool_t *p,
                                     aoidc_err_t *err)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_status_t rv;
    if (!sub || !*sub || !session_id || !*session_id
        || strlen(session_id) > ID_MAX || (sid && !*sid) || !ix->seal) {
        return aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                             "session index: bad arguments");
    }
    set_key(key, "sub-index", ix, sub);
    rv = add_to(ix, key, session_id, sub, expiry, now, p);
    if (rv == APR_SUCCESS && sid) {
        set_key(key, "sid-index", ix, sid);
        rv = add_to(ix, key, session_id, sub, expiry, now, p);
    }
    return rv;
}

static bool has_id(const apr_array_header_t *refs, const char *id)
{
    for (int i = 0; i < refs->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(refs, i, aoidc_session_ref_t).session_id,
                    id)) {
            return true;
        }
    }
    return false;
}

apr_status_t aoidc_session_index_lookup(apr_array_header_t **refs,
                                        const aoidc_session_index_t *ix,
                                        const char *sid, const char *sub,
                                        apr_time_t now, apr_pool_t *p)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_array_header_t *live;
    apr_status_t rv;
    *refs = apr_array_make(p, 4, sizeof(aoidc_session_ref_t));
    if (!sid && !sub) {
        return APR_SUCCESS;
    }
    /* §2.7: a sid names the OP session; a sub alone, all of the user's */
    set_key(key, sid ? "sid-index" : "sub-index", ix, sid ? sid : sub);
    rv = live_members(&live, ix, key, false, now, p);
    for (int i = 0; rv == APR_SUCCESS && i < live->nelts; i++) {
        const member_t *m = &APR_ARRAY_IDX(live, i, member_t);
        if ((sub && strcmp(m->sub, sub)) || has_id(*refs, m->id)) {
            continue;
        }
        aoidc_session_ref_t *r = apr_array_push(*refs);
        r->session_id = m->id;
        memcpy(r->set_key, key, AOIDC_STORE_KEY_LEN);
        r->member = m->blob;
    }
    return rv;
}

apr_status_t aoidc_session_index_forget(const aoidc_session_index_t *ix,
                                        const apr_array_header_t *refs,
                                        apr_pool_t *p)
{
    apr_status_t rv = APR_SUCCESS;
    for (int i = 0; rv == APR_SUCCESS && i < refs->nelts; i++) {
        const aoidc_session_ref_t *r =
            &APR_ARRAY_IDX(refs, i, aoidc_session_ref_t);
        rv = ix->store->srem(ix->store, r->set_key, r->member.data,
                             r->member.len, p);
    }
    return rv;
}

static apr_status_t remove_from(const aoidc_session_index_t *ix,
                                const unsigned char *key, const char *id,
                                apr_time_t now, apr_pool_t *p)
{
    apr_array_header_t *live;
    apr_status_t rv = live_members(&live, ix, key, true, now, p);
    for (int i = 0; rv == APR_SUCCESS && i < live->nelts; i++) {
        const member_t *m = &APR_ARRAY_IDX(live, i, member_t);
        if (!strcmp(m->id, id)) {
            rv = ix->store->srem(ix->store, key, m->blob.data, m->blob.len, p);
        }
    }
    return rv;
}

apr_status_t aoidc_session_index_remove(const aoidc_session_index_t *ix,
                                        const char *sid, const char *sub,
                                        const char *session_id, apr_time_t now,
                                        apr_pool_t *p)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    apr_status_t rv = APR_SUCCESS;
    if (sub && *sub) {
        set_key(key, "sub-index", ix, sub);
        rv = remove_from(ix, key, session_id, now, p);
    }
    if (rv == APR_SUCCESS && sid && *sid) {
        set_key(key, "sid-index", ix, sid);
        rv = remove_from(ix, key, session_id, now, p);
    }
    return rv;
}

apr_status_t aoidc_logout_jti_use(aoidc_store_t *store, const char *issuer,
                                  const char *client_id,
                                  const aoidc_logout_token_t *t, apr_pool_t *p,
                                  aoidc_err_t *err)
{
    unsigned char key[AOIDC_STORE_KEY_LEN];
    aoidc_store_key3(key, "logout-jti", issuer, client_id, t->jti,
                     strlen(t->jti));
    apr_status_t rv = store->add(store, key, (const unsigned char *)"1", 1,
                                 t->replay_until, p);
    if (rv == APR_EEXIST) {
        return aoidc_err_set(err, AOIDC_REASON_LOGOUT_REPLAY, p,
                             "logout token jti seen before");
    }
    return rv;
}
