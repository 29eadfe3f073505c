/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the flow tests (test_rp_*.c, test_rs.c, test_flow.c) share: an
 * aoidc_flow_env_t over the fake HTTP client (an OP at T_ISS with
 * discovery, JWKS, token, userinfo, introspection and end_session
 * endpoints), a provider, a guard, and two in-memory stores seen through a
 * wrapper that counts calls, records keys and can play a store that is
 * down. Every clock starts at T_NOW; ft_at() moves them together.
 */
#ifndef AOIDC_TEST_FLOW_FIXTURE_H
#define AOIDC_TEST_FLOW_FIXTURE_H

#include "core/rp.h"
#include "core/rp_store.h"
#include "core/rs.h"
#include "unit.h"

#define FT_WK         T_ISS "/.well-known/openid-configuration"
#define FT_JWKS       T_ISS "/jwks"
#define FT_AUTHORIZE  T_ISS "/authorize"
#define FT_TOKEN      T_ISS "/token"
#define FT_USERINFO   T_ISS "/userinfo"
#define FT_INTROSPECT T_ISS "/introspect"
#define FT_LOGOUT     T_ISS "/logout"
#define FT_REDIRECT   "https://rp.example/oidc/callback"
#define FT_AUDIENCE   "api-1"
#define FT_STORE_DOWN APR_ECONNREFUSED

/* A store in front of a mem store: counts, key log, failure switches. */
typedef struct ft_store_t {
    aoidc_store_t store;
    aoidc_store_t *inner;
    aoidc_mem_store_t *ms;
    int gets, sets, adds, removes;
    bool down_get, down_set, down_add, down_remove;
    apr_array_header_t *keys; /* every key written (set/add), 32 bytes each */
    /* called before an add() is passed on (once, then cleared) */
    void (*on_add)(struct ft_store_t *s, void *baton);
    void *on_add_baton;
} ft_store_t;

typedef struct {
    aoidc_flow_env_t env;
    aoidc_fake_http_t *fh;
    ft_store_t sessions, cache;
    aoidc_client_t client;
    aoidc_rp_conf_t rp;
    aoidc_rs_conf_t rs;
    cjose_jwk_t *key; /* rsa2048, kid rsa-1 in the OP's JWKS */
} ft_t;

/** Everything above in tp, at T_NOW, routes for discovery and JWKS. */
void ft_setup(ft_t *f);

/** Move env->now and both stores' clocks to T_NOW + secs. */
void ft_at(ft_t *f, apr_int64_t secs);

/** A fresh provider for T_ISS (unprimed: its first use fetches). */
aoidc_provider_t *ft_provider(void);

/** An ID Token for the usual claims (aoidc_test_claims) plus nonce, with
 *  extra's members merged over them (extra stolen, may be NULL). */
const char *ft_id_token(ft_t *f, const char *nonce, json_t *extra);

/** An RS256 JWT access token (iss T_ISS, aud FT_AUDIENCE, sub "alice",
 *  exp now+3600) with extra merged (stolen, may be NULL), typ as given. */
const char *ft_access_token(ft_t *f, const char *typ, json_t *extra);

/** Route the token endpoint to a successful answer. */
void ft_token_answer(ft_t *f, const char *id_token, const char *access_token,
                     const char *refresh_token, int expires_in);

/** One login start: *cookie_header gets "name=value" of the new state
 *  cookie, *state and *nonce the values sent to the OP. */
void ft_login(ft_t *f, const char *return_to, const char **cookie_header,
              const char **state, const char **nonce);

/** The callback query for state and code with the right iss. */
const char *ft_callback_query(const char *state, const char *code);

/** Login + callback with a token answer for "alice" (access token "at-1",
 *  refresh token "rt-1", expires_in 300): the session cookie value (our
 *  ticket alone). */
const char *ft_session(ft_t *f);

/** The query parameter name of url (must be there). */
const char *ft_url_param(const char *url, const char *name);

/** The cookie op named name in ops, or NULL. */
const aoidc_cookie_op_t *ft_cookie(const apr_array_header_t *ops,
                                   const char *name);

/** True when the sessions store holds entry ns of our ticket in cookie. */
bool ft_has_entry(ft_t *f, const char *cookie, const char *ns);

#endif
