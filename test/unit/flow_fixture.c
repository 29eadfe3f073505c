/* SPDX-License-Identifier: Apache-2.0 */
/* The flow tests' environment (flow_fixture.h). */
#include <stdlib.h>
#include <string.h>

#include "core/url.h"
#include "flow_fixture.h"

static void log_key(ft_store_t *s, const unsigned char *key)
{
    APR_ARRAY_PUSH(s->keys, unsigned char *) =
        apr_pmemdup(tp, key, AOIDC_STORE_KEY_LEN);
}

static apr_status_t w_get(aoidc_store_t *st, const unsigned char *key,
                          unsigned char **val, apr_size_t *len, apr_pool_t *p)
{
    ft_store_t *s = st->baton;
    s->gets++;
    if (s->down_get) {
        return FT_STORE_DOWN;
    }
    return s->inner->get(s->inner, key, val, len, p);
}

static apr_status_t w_set(aoidc_store_t *st, const unsigned char *key,
                          const unsigned char *val, apr_size_t len,
                          apr_time_t expiry, apr_pool_t *p)
{
    ft_store_t *s = st->baton;
    s->sets++;
    if (s->down_set) {
        return FT_STORE_DOWN;
    }
    log_key(s, key);
    return s->inner->set(s->inner, key, val, len, expiry, p);
}

static apr_status_t w_remove(aoidc_store_t *st, const unsigned char *key,
                             apr_pool_t *p)
{
    ft_store_t *s = st->baton;
    s->removes++;
    if (s->down_remove) {
        return FT_STORE_DOWN;
    }
    return s->inner->remove(s->inner, key, p);
}

static apr_status_t w_add(aoidc_store_t *st, const unsigned char *key,
                          const unsigned char *val, apr_size_t len,
                          apr_time_t expiry, apr_pool_t *p)
{
    ft_store_t *s = st->baton;
    s->adds++;
    if (s->on_add) {
        void (*cb)(ft_store_t *, void *) = s->on_add;
        s->on_add = NULL;
        cb(s, s->on_add_baton);
    }
    if (s->down_add) {
        return FT_STORE_DOWN;
    }
    log_key(s, key);
    return s->inner->add(s->inner, key, val, len, expiry, p);
}

static apr_status_t w_sadd(aoidc_store_t *st, const unsigned char *key,
                           const unsigned char *m, apr_size_t n,
                           apr_time_t expiry, apr_pool_t *p)
{
    ft_store_t *s = st->baton;
    return s->inner->sadd(s->inner, key, m, n, expiry, p);
}

static apr_status_t w_smembers(aoidc_store_t *st, const unsigned char *key,
                               apr_array_header_t **out, apr_pool_t *p)
{
    ft_store_t *s = st->baton;
    return s->inner->smembers(s->inner, key, out, p);
}

static apr_status_t w_srem(aoidc_store_t *st, const unsigned char *key,
                           const unsigned char *m, apr_size_t n, apr_pool_t *p)
{
    ft_store_t *s = st->baton;
    return s->inner->srem(s->inner, key, m, n, p);
}

static void wrap_init(ft_store_t *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    s->inner = aoidc_mem_store_create(&s->ms, tp);
    aoidc_mem_store_set_now(s->ms, T_NOW);
    s->keys = apr_array_make(tp, 8, sizeof(unsigned char *));
    s->store.name = name;
    s->store.get = w_get;
    s->store.set = w_set;
    s->store.remove = w_remove;
    s->store.add = w_add;
    s->store.sadd = w_sadd;
    s->store.smembers = w_smembers;
    s->store.srem = w_srem;
    s->store.baton = s;
}

static const char *metadata(void)
{
    return "{\"issuer\":\"" T_ISS "\","
           "\"authorization_endpoint\":\"" FT_AUTHORIZE "\","
           "\"token_endpoint\":\"" FT_TOKEN "\","
           "\"userinfo_endpoint\":\"" FT_USERINFO "\","
           "\"jwks_uri\":\"" FT_JWKS "\","
           "\"introspection_endpoint\":\"" FT_INTROSPECT "\","
           "\"end_session_endpoint\":\"" FT_LOGOUT "\","
           "\"authorization_response_iss_parameter_supported\":true}";
}

/* The child's pool: snapshot pools hang off it, and the requests that
 * hold snapshots (env.pool) must go first, as in httpd. Child pools of tp
 * are destroyed newest first, so this one is made before the request's. */
static apr_pool_t *pchild;

aoidc_provider_t *ft_provider(void)
{
    aoidc_provider_t *pv = aoidc_provider_create(T_ISS, pchild);
    ck_assert_ptr_nonnull(pv);
    ck_assert_int_eq(aoidc_provider_child_init(pv, pchild), APR_SUCCESS);
    return pv;
}

static const aoidc_seal_t *seal(const char *purpose)
{
    aoidc_seal_t *k;
    ck_assert_int_eq(aoidc_seal_create(&k, "test passphrase", 15, purpose, tp),
                     APR_SUCCESS);
    return k;
}

void ft_setup(ft_t *f)
{
    char *jwks = aoidc_test_read("keys/jwks.json", NULL, tp);
    memset(f, 0, sizeof(*f));
    ck_assert_ptr_nonnull(jwks);
    ck_assert_int_eq(apr_pool_create(&pchild, tp), APR_SUCCESS);
    ck_assert_int_eq(apr_pool_create(&f->env.pool, tp), APR_SUCCESS);
    f->env.now = T_NOW;
    f->env.http = aoidc_fake_http_create(&f->fh, tp);
    aoidc_fake_http_route(f->fh, FT_WK, 200, metadata());
    aoidc_fake_http_route(f->fh, FT_JWKS, 200, jwks);
    f->env.provider = ft_provider();
    f->env.guard = aoidc_guard_create(0, tp);
    wrap_init(&f->sessions, "sessions");
    wrap_init(&f->cache, "cache");
    f->env.sessions = &f->sessions.store;
    f->env.cache = &f->cache.store;
    f->key = aoidc_test_key("rsa2048", tp);

    f->client.client_id = T_AUD;
    f->client.client_secret = "client-secret";
    f->rp.issuer = T_ISS;
    f->rp.client = &f->client;
    f->rp.seal_session = seal("session");
    f->rp.seal_state = seal("state");
    f->rp.scope = "openid email";
    f->rp.pkce = true;
    f->rp.userinfo = false;
    f->rp.leeway = 60;
    f->rp.limits.inactivity = apr_time_from_sec(3600);
    f->rp.limits.max_age = apr_time_from_sec(28800);
    f->rp.remote_user_claim = "sub";
    f->rp.cookie_name = AOIDC_SESSION_COOKIE;
    f->rp.tag = aoidc_rp_tag(T_ISS, T_AUD, tp);
    /* seal_index NULL: no sid/sub index (test_session_index has it), so
     * the counts below are the session's own entries */
    f->rp.state_max_cookies = AOIDC_STATE_MAX_COOKIES;
    f->rp.state_ttl = AOIDC_STATE_TTL;

    f->rs.issuer = T_ISS;
    f->rs.audience = FT_AUDIENCE;
    f->rs.client = &f->client;
    f->rs.leeway = 60;
    f->rs.require_typ = false;
    f->rs.cache_ttl = apr_time_from_sec(300);
    f->rs.remote_user_claim = "sub";
}

void ft_at(ft_t *f, apr_int64_t secs)
{
    f->env.now = T_NOW + apr_time_from_sec(secs);
    aoidc_mem_store_set_now(f->sessions.ms, f->env.now);
    aoidc_mem_store_set_now(f->cache.ms, f->env.now);
}

static json_t *merged(json_t *base, json_t *extra)
{
    if (extra) {
        ck_assert_int_eq(json_object_update(base, extra), 0);
        json_decref(extra);
    }
    return base;
}

const char *ft_id_token(ft_t *f, const char *nonce, json_t *extra)
{
    json_t *c = aoidc_test_claims();
    if (nonce) {
        json_object_set_new(c, "nonce", json_string(nonce));
    }
    return aoidc_test_sign(f->key, "RS256", "rsa-1", NULL, merged(c, extra),
                           tp);
}

const char *ft_access_token(ft_t *f, const char *typ, json_t *extra)
{
    json_t *c =
        json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", T_ISS, "aud", FT_AUDIENCE,
                  "sub", "alice", "iat", (json_int_t)T_NOW_SEC - 10, "exp",
                  (json_int_t)T_NOW_SEC + 3600);
    return aoidc_test_sign(f->key, "RS256", "rsa-1", typ, merged(c, extra), tp);
}

void ft_token_answer(ft_t *f, const char *id_token, const char *access_token,
                     const char *refresh_token, int expires_in)
{
    json_t *j = json_pack("{s:s, s:s, s:i}", "access_token", access_token,
                          "token_type", "Bearer", "expires_in", expires_in);
    if (id_token) {
        json_object_set_new(j, "id_token", json_string(id_token));
    }
    if (refresh_token) {
        json_object_set_new(j, "refresh_token", json_string(refresh_token));
    }
    char *body = json_dumps(j, JSON_COMPACT);
    aoidc_fake_http_route(f->fh, FT_TOKEN, 200, body);
    free(body);
    json_decref(j);
}

const char *ft_url_param(const char *url, const char *name)
{
    apr_table_t *t;
    aoidc_err_t err = {0};
    const char *q = strchr(url, '?');
    ck_assert_ptr_nonnull(q);
    ck_assert_ok(aoidc_url_parse_query(&t, q + 1, 32, tp, &err), err);
    return aoidc_url_param(t, name);
}

const aoidc_cookie_op_t *ft_cookie(const apr_array_header_t *ops,
                                   const char *name)
{
    const aoidc_cookie_op_t *found = NULL;
    for (int i = 0; ops && i < ops->nelts; i++) {
        const aoidc_cookie_op_t *op = &APR_ARRAY_IDX(ops, i, aoidc_cookie_op_t);
        if (!strcmp(op->name, name)) {
            found = op;
        }
    }
    return found;
}

void ft_login(ft_t *f, const char *return_to, const char **cookie_header,
              const char **state, const char **nonce)
{
    aoidc_login_out_t out;
    aoidc_login_in_t in = {return_to, FT_REDIRECT, NULL, NULL, NULL};
    aoidc_err_t err = {0};
    ck_assert_ok(aoidc_rp_login(&out, &f->rp, &f->env, &in, &err), err);
    const char *name = aoidc_state_cookie_name(out.state, tp);
    const aoidc_cookie_op_t *op = ft_cookie(out.cookies, name);
    ck_assert_ptr_nonnull(op);
    *cookie_header = apr_pstrcat(tp, op->name, "=", op->value, NULL);
    *state = out.state;
    *nonce = ft_url_param(out.location, "nonce");
    ck_assert_ptr_nonnull(*nonce);
}

const char *ft_callback_query(const char *state, const char *code)
{
    return apr_pstrcat(tp, "code=", code, "&state=", state,
                       "&iss=", aoidc_url_encode(T_ISS, tp), NULL);
}

const char *ft_session(ft_t *f)
{
    const char *hdr, *state, *nonce;
    aoidc_callback_out_t out;
    aoidc_err_t err = {0};
    ft_login(f, "/app", &hdr, &state, &nonce);
    ft_token_answer(f, ft_id_token(f, nonce, NULL), "at-1", "rt-1", 300);
    aoidc_callback_in_t in = {ft_callback_query(state, "code-1"), hdr,
                              FT_REDIRECT, false, NULL, false};
    ck_assert_ok(aoidc_rp_callback(&out, &f->rp, &f->env, &in, &err), err);
    const aoidc_cookie_op_t *op = ft_cookie(out.cookies, f->rp.cookie_name);
    ck_assert_ptr_nonnull(op);
    return op->value;
}

bool ft_has_entry(ft_t *f, const char *cookie, const char *ns)
{
    aoidc_ticket_t t;
    unsigned char key[AOIDC_STORE_KEY_LEN], *v;
    apr_size_t n;
    ck_assert(aoidc_ticket_find(&t, cookie, f->rp.tag));
    aoidc_store_key_grouped(key, ns, t.id, strlen(t.id));
    return f->sessions.inner->get(f->sessions.inner, key, &v, &n, tp)
           == APR_SUCCESS;
}
