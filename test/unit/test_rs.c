/* SPDX-License-Identifier: Apache-2.0 */
/* core/rs.c: bearer tokens, JWT and opaque, through the verdict cache. */
#include <stdint.h>
#include <string.h>

#include "core/b64url.h"
#include "core/l1.h"
#include "flow_fixture.h"

#define OPAQUE "opaque-token-0123456789"

static apr_status_t auth(ft_t *f, const char *token, aoidc_rs_out_t *out,
                         aoidc_err_t *err)
{
    aoidc_rs_in_t in = {.token = token};
    *err = (aoidc_err_t){0};
    return aoidc_rs_authenticate(out, &f->rs, &f->env, &in, err);
}

static void introspection(ft_t *f, const char *body)
{
    aoidc_fake_http_route(f->fh, FT_INTROSPECT, 200, body);
}

static const char *active_body(void)
{
    return apr_psprintf(tp,
                        "{\"active\":true,\"iss\":\"" T_ISS
                        "\",\"sub\":\"bob\","
                        "\"scope\":\"read\",\"exp\":%d}",
                        T_NOW_SEC + 3600);
}

/* The cached entry of token under f->rs: its until, or 0 when none. */
static apr_time_t cached_until(ft_t *f, const char *token, bool *active)
{
    unsigned char key[AOIDC_STORE_KEY_LEN], *v;
    apr_size_t n;
    apr_time_t until;
    apr_array_header_t *claims;
    aoidc_err_t err = {0};
    aoidc_rs_cache_key(key, &f->rs, token);
    if (f->cache.inner->get(f->cache.inner, key, &v, &n, tp) != APR_SUCCESS) {
        return 0;
    }
    ck_assert_ok(
        aoidc_bearer_entry_decode(&until, active, &claims, v, n, tp, &err),
        err);
    return until;
}

START_TEST(jwt_valid_then_cached)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    bool active;
    ft_setup(&f);
    const char *tok = ft_access_token(&f, "at+jwt", NULL);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(!out.cache_hit);
    ck_assert_str_eq(out.user, "alice");
    ck_assert_str_eq(aoidc_claims_get(out.claims, "aud")->value, FT_AUDIENCE);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_JWKS), 1);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_INTROSPECT), 0);
    ck_assert_int_eq(cached_until(&f, tok, &active), T_NOW + f.rs.cache_ttl);
    ck_assert(active);
    /* only in the cache store */
    ck_assert_int_eq(f.sessions.sets + f.sessions.adds, 0);

    /* a hit needs no keys at all: not even a provider that has them */
    f.env.provider = ft_provider();
    int calls = aoidc_fake_http_calls(f.fh, NULL);
    ft_at(&f, 10);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(out.cache_hit);
    ck_assert_str_eq(out.user, "alice");
    ck_assert_ptr_nonnull(aoidc_claims_get(out.claims, "exp"));
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, NULL), calls);
}
END_TEST

START_TEST(jwt_cached_until_exp)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    bool active;
    ft_setup(&f);
    const char *tok = ft_access_token(
        &f, NULL, json_pack("{s:I}", "exp", (json_int_t)T_NOW_SEC + 100));
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert_int_eq(cached_until(&f, tok, &active),
                     T_NOW + apr_time_from_sec(100));
    ft_at(&f, 100);
    ck_assert_ok(auth(&f, tok, &out, &err), err); /* leeway */
    ck_assert(!out.cache_hit);
}
END_TEST

START_TEST(typ_rule_in_cache_key)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    unsigned char k1[AOIDC_STORE_KEY_LEN], k2[AOIDC_STORE_KEY_LEN];
    ft_setup(&f);
    const char *tok = ft_access_token(&f, "JWT", NULL);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(out.cache_hit);
    aoidc_rs_cache_key(k1, &f.rs, tok);
    f.rs.require_typ = true;
    aoidc_rs_cache_key(k2, &f.rs, tok);
    ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
    ck_assert_reason(auth(&f, tok, &out, &err), err, AOIDC_REASON_TYP);
    ck_assert(!out.cache_hit);
    /* and an at+jwt one passes there */
    ck_assert_ok(auth(&f, ft_access_token(&f, "at+jwt", NULL), &out, &err),
                 err);
    /* audience and issuer are in the key too */
    f.rs.require_typ = false;
    f.rs.audience = "api-2";
    aoidc_rs_cache_key(k2, &f.rs, tok);
    ck_assert(memcmp(k1, k2, sizeof(k1)) != 0);
    ck_assert_reason(auth(&f, tok, &out, &err), err, AOIDC_REASON_AUDIENCE);
}
END_TEST

START_TEST(jwt_refused_not_cached)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    bool active;
    ft_setup(&f);
    const char *tok = ft_access_token(
        &f, NULL, json_pack("{s:s}", "iss", "https://evil.example"));
    ck_assert_reason(auth(&f, tok, &out, &err), err, AOIDC_REASON_ISSUER);
    ck_assert_int_eq(cached_until(&f, tok, &active), 0);
    /* an ID Token is no access token */
    tok = ft_id_token(&f, "n", json_pack("{s:s}", "aud", FT_AUDIENCE));
    ck_assert_reason(auth(&f, tok, &out, &err), err,
                     AOIDC_REASON_ID_TOKEN_AS_AT);
}
END_TEST

START_TEST(opaque_introspected_once)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    bool active;
    ft_setup(&f);
    introspection(&f, active_body());
    ck_assert_ok(auth(&f, OPAQUE, &out, &err), err);
    ck_assert(!out.cache_hit);
    ck_assert(!out.jws);
    ck_assert_str_eq(out.user, "bob");
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_INTROSPECT), 1);
    const aoidc_http_req_t *req = aoidc_fake_http_last(f.fh);
    ck_assert_ptr_nonnull(strstr(req->body, "token=" OPAQUE));
    ck_assert_ptr_nonnull(req->authorization); /* client auth */
    ck_assert_int_eq(cached_until(&f, OPAQUE, &active), T_NOW + f.rs.cache_ttl);
    ft_at(&f, 299);
    ck_assert_ok(auth(&f, OPAQUE, &out, &err), err);
    ck_assert(out.cache_hit);
    ck_assert_str_eq(out.user, "bob");
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_INTROSPECT), 1);
    ft_at(&f, 300);
    ck_assert_ok(auth(&f, OPAQUE, &out, &err), err);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_INTROSPECT), 2);
}
END_TEST

/* out.jws (the metrics' token-cache or introspection counter) says the
 * token's shape also when it fails the b64token check */
START_TEST(bad_syntax_keeps_its_shape)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    ck_assert_reason(auth(&f, "a.b!.c", &out, &err), err,
                     AOIDC_REASON_BEARER_SYNTAX);
    ck_assert(out.jws);
    ck_assert_reason(auth(&f, "ab!c", &out, &err), err,
                     AOIDC_REASON_BEARER_SYNTAX);
    ck_assert(!out.jws);
}
END_TEST

START_TEST(opaque_inactive_cached_briefly)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    bool active = true;
    ft_setup(&f);
    introspection(&f, "{\"active\":false}");
    ck_assert_reason(auth(&f, OPAQUE, &out, &err), err, AOIDC_REASON_INACTIVE);
    ck_assert_int_eq(cached_until(&f, OPAQUE, &active),
                     T_NOW + AOIDC_RS_NEGATIVE_TTL);
    ck_assert(!active);
    ft_at(&f, apr_time_sec(AOIDC_RS_NEGATIVE_TTL) - 1);
    ck_assert_reason(auth(&f, OPAQUE, &out, &err), err, AOIDC_REASON_INACTIVE);
    ck_assert(out.cache_hit);
    ck_assert_ptr_null(out.user);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_INTROSPECT), 1);
    ft_at(&f, apr_time_sec(AOIDC_RS_NEGATIVE_TTL));
    introspection(&f, active_body());
    ck_assert_ok(auth(&f, OPAQUE, &out, &err), err);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_INTROSPECT), 2);
}
END_TEST

START_TEST(opaque_upstream_failure_not_cached)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    bool active;
    ft_setup(&f);
    aoidc_fake_http_fail(f.fh, FT_INTROSPECT, AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_reason(auth(&f, OPAQUE, &out, &err), err,
                     AOIDC_REASON_OP_UNREACHABLE);
    ck_assert_int_eq(cached_until(&f, OPAQUE, &active), 0);
    ck_assert(aoidc_guard_is_open(f.env.guard, f.env.now));
    ck_assert_uint_eq(aoidc_guard_inflight(f.env.guard), 0);
    introspection(&f, "garbage");
    ck_assert_reason(auth(&f, OPAQUE, &out, &err), err,
                     AOIDC_REASON_OP_BAD_RESPONSE);
    ck_assert_int_eq(cached_until(&f, OPAQUE, &active), 0);
}
END_TEST

START_TEST(no_introspection)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    f.rs.client = NULL;
    ck_assert_reason(auth(&f, OPAQUE, &out, &err), err,
                     AOIDC_REASON_NO_INTROSPECTION);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_INTROSPECT), 0);
}
END_TEST

START_TEST(guard_full_busy)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    introspection(&f, active_body());
    f.env.guard = aoidc_guard_create(1, tp);
    ck_assert_ok(aoidc_guard_enter(f.env.guard, tp, &err), err);
    ck_assert_reason(auth(&f, OPAQUE, &out, &err), err, AOIDC_REASON_OP_BUSY);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_INTROSPECT), 0);
    ck_assert_uint_eq(aoidc_guard_inflight(f.env.guard), 1);
    /* not remembered: once there is room it goes through */
    aoidc_guard_leave(f.env.guard, f.env.now, false);
    ck_assert_ok(auth(&f, OPAQUE, &out, &err), err);
    ck_assert(!out.cache_hit);
    ck_assert_uint_eq(aoidc_guard_inflight(f.env.guard), 0);
    /* JWTs need no OP call and no slot */
    ck_assert_ok(aoidc_guard_enter(f.env.guard, tp, &err), err);
    ck_assert_ok(auth(&f, ft_access_token(&f, NULL, NULL), &out, &err), err);
}
END_TEST

START_TEST(no_user)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    json_t *c = json_pack("{s:s, s:s, s:I}", "iss", T_ISS, "aud", FT_AUDIENCE,
                          "exp", (json_int_t)T_NOW_SEC + 3600);
    const char *tok = aoidc_test_sign(f.key, "RS256", "rsa-1", NULL, c, tp);
    ck_assert_reason(auth(&f, tok, &out, &err), err, AOIDC_REASON_NO_USER);
    ck_assert_ptr_null(out.user);
    /* from the cache as well */
    ck_assert_reason(auth(&f, tok, &out, &err), err, AOIDC_REASON_NO_USER);
    ck_assert(out.cache_hit);
    introspection(&f, "{\"active\":true}");
    ck_assert_reason(auth(&f, OPAQUE, &out, &err), err, AOIDC_REASON_NO_USER);
    f.rs.remote_user_claim = "email";
    tok = ft_access_token(&f, NULL, json_pack("{s:s}", "email", ""));
    ck_assert_reason(auth(&f, tok, &out, &err), err, AOIDC_REASON_NO_USER);
}
END_TEST

START_TEST(exp_far_future_no_overflow)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    bool active;
    ft_setup(&f);
    const char *tok = ft_access_token(
        &f, NULL, json_pack("{s:I}", "exp", (json_int_t)INT64_MAX));
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert_int_eq(cached_until(&f, tok, &active), T_NOW + f.rs.cache_ttl);
    ft_at(&f, 299);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(out.cache_hit);
    ft_at(&f, 300);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(!out.cache_hit);
    /* the same through introspection */
    introspection(
        &f, "{\"active\":true,\"sub\":\"bob\",\"exp\":9223372036854775807}");
    ck_assert_ok(auth(&f, OPAQUE, &out, &err), err);
    ck_assert_int_eq(cached_until(&f, OPAQUE, &active),
                     f.env.now + f.rs.cache_ttl);
}
END_TEST

START_TEST(cache_down_still_answers)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    f.cache.down_get = f.cache.down_set = true;
    const char *tok = ft_access_token(&f, NULL, NULL);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(!out.cache_hit);
}
END_TEST

START_TEST(flight_table_used_for_opaque)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err = {0};
    ft_setup(&f);
    introspection(&f, active_body());
    aoidc_rs_in_t in = {.token = OPAQUE, .flight = aoidc_flight_create(tp)};
    ck_assert_ok(aoidc_rs_authenticate(&out, &f.rs, &f.env, &in, &err), err);
    ck_assert_int_eq(aoidc_fake_http_calls(f.fh, FT_INTROSPECT), 1);
}
END_TEST

/* tok with its signature replaced by sig (base64url text) */
static const char *with_sig(const char *tok, const char *sig)
{
    const char *d = strrchr(tok, '.');
    return apr_pstrcat(tp, apr_pstrmemdup(tp, tok, (apr_size_t)(d - tok + 1)),
                       sig, NULL);
}

/* tok with the first signature character changed (still base64url) */
static const char *sig_altered(const char *tok, apr_size_t at)
{
    char *t = apr_pstrdup(tp, tok);
    char *c = strrchr(t, '.') + 1 + at;
    *c = *c == 'A' ? 'B' : 'A';
    return t;
}

START_TEST(jws_cache_bound_to_signature)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *tok = ft_access_token(&f, "at+jwt", NULL);
    const char *sig = strrchr(tok, '.') + 1;
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(out.cache_hit);
    /* header.payload of a cached verdict, another signature: the same
     * store key, and still validated (and refused), never a hit */
    const char *bad[] = {
        sig_altered(tok, 0),
        sig_altered(tok, strlen(sig) - 3),                 /* near the end */
        with_sig(tok, sig + 4),                            /* shorter */
        with_sig(tok, apr_pstrcat(tp, sig, "AAAA", NULL)), /* longer */
        with_sig(tok, "AAAA"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned char k1[AOIDC_STORE_KEY_LEN], k2[AOIDC_STORE_KEY_LEN];
        aoidc_rs_cache_key(k1, &f.rs, tok);
        aoidc_rs_cache_key(k2, &f.rs, bad[i]);
        ck_assert(!memcmp(k1, k2, sizeof(k1)));
        ck_assert_reason(auth(&f, bad[i], &out, &err), err,
                         AOIDC_REASON_SIGNATURE);
        ck_assert(!out.cache_hit);
    }
    /* no signature at all, or one that is not base64url: the cached
     * verdict is no answer for them either */
    ck_assert_reason(auth(&f, with_sig(tok, ""), &out, &err), err,
                     AOIDC_REASON_JWS_MALFORMED);
    ck_assert(!out.cache_hit);
    ck_assert_reason(auth(&f, with_sig(tok, "AB"), &out, &err), err,
                     AOIDC_REASON_JWS_MALFORMED);
    ck_assert(!out.cache_hit);
    /* the refusals left the verdict on the real one in place */
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(out.cache_hit);
}
END_TEST

START_TEST(jws_second_valid_signature)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    /* PS256 is randomised: two valid signatures over one signing input */
    json_t *c =
        json_pack("{s:s, s:s, s:s, s:I}", "iss", T_ISS, "aud", FT_AUDIENCE,
                  "sub", "alice", "exp", (json_int_t)T_NOW_SEC + 3600);
    const char *t1 =
        aoidc_test_sign(f.key, "PS256", "rsa-1", NULL, json_incref(c), tp);
    const char *t2 = aoidc_test_sign(f.key, "PS256", "rsa-1", NULL, c, tp);
    const char *d1 = strrchr(t1, '.'), *d2 = strrchr(t2, '.');
    ck_assert_int_eq(d1 - t1, d2 - t2);
    ck_assert(!strncmp(t1, t2, (size_t)(d1 - t1)));
    ck_assert_str_ne(d1, d2);
    ck_assert_ok(auth(&f, t1, &out, &err), err);
    ck_assert_ok(auth(&f, t2, &out, &err), err);
    ck_assert(!out.cache_hit);
    ck_assert_ok(auth(&f, t2, &out, &err), err);
    ck_assert(out.cache_hit);
    ck_assert_ok(auth(&f, t1, &out, &err), err);
    ck_assert(!out.cache_hit);
    ck_assert_str_eq(out.user, "alice");
}
END_TEST

START_TEST(jws_namespace_miss)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    /* valid at both audiences and under both typ rules */
    const char *tok = ft_access_token(
        &f, "at+jwt", json_pack("{s:[s,s]}", "aud", FT_AUDIENCE, "api-2"));
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(out.cache_hit);
    f.rs.audience = "api-2";
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(!out.cache_hit);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(out.cache_hit);
    f.rs.require_typ = true;
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(!out.cache_hit);
    f.rs.issuer = "https://op.example.com/other";
    ck_assert_reason(auth(&f, tok, &out, &err), err, AOIDC_REASON_ISSUER);
    ck_assert(!out.cache_hit);
}
END_TEST

/* What an older version, another writer or a broken store left under a
 * JWS's key is a miss: the token is validated as if nothing were there. */
START_TEST(jws_foreign_entry_miss)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    unsigned char key[AOIDC_STORE_KEY_LEN], *e;
    apr_size_t n;
    ft_setup(&f);
    const char *tok = ft_access_token(&f, NULL, NULL);
    const char *sig = strrchr(tok, '.') + 1;
    unsigned char *raw;
    apr_size_t rawlen;
    ck_assert_ok(aoidc_b64url_decode(&raw, &rawlen, sig, strlen(sig), tp, &err),
                 err);
    apr_array_header_t *mallory = apr_array_make(tp, 1, sizeof(aoidc_claim_t));
    *(aoidc_claim_t *)apr_array_push(mallory) =
        (aoidc_claim_t){"sub", "mallory", false};
    aoidc_rs_cache_key(key, &f.rs, tok);
    const struct {
        const char *what;
        unsigned char *bytes;
        apr_size_t len;
    } junk[] = {
        {"empty", (unsigned char *)"", 0},
        {"garbage", (unsigned char *)"\x02\xff\xff\xff\xff", 5},
    };
    for (size_t i = 0; i < 4; i++) {
        if (i < 2) {
            e = junk[i].bytes;
            n = junk[i].len;
        }
        else if (i == 2) { /* a v1 entry (no signature) */
            aoidc_bearer_entry_encode(&e, &n, T_NOW + 100, true, mallory, tp);
        }
        else { /* a v2 entry for another signature */
            raw[0] ^= 1;
            aoidc_bearer_entry_encode_sig(&e, &n, T_NOW + 100, true, raw,
                                          rawlen, mallory, tp);
        }
        ck_assert_int_eq(
            f.cache.inner->set(f.cache.inner, key, e, n, T_NOW + 100, tp),
            APR_SUCCESS);
        ck_assert_ok(auth(&f, tok, &out, &err), err);
        ck_assert_msg(!out.cache_hit, "entry %zu was a hit", i);
        ck_assert_str_eq(out.user, "alice");
    }
    /* and the verdict written over it is the real one */
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(out.cache_hit);
    ck_assert_str_eq(out.user, "alice");
}
END_TEST

/* The L1 keeps the very bytes the store holds (one encoding): after a
 * validation and after a store hit, the next request is an L1 hit. */
START_TEST(jws_l1_from_store_and_validation)
{
    ft_t f;
    aoidc_rs_out_t out;
    aoidc_err_t err;
    ft_setup(&f);
    const char *tok = ft_access_token(&f, NULL, NULL);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    f.env.l1 = aoidc_l1_create(tp, NULL);
    f.rs.claim_prefix = "OIDC_CLAIM_";
    ck_assert_ptr_nonnull(f.env.l1);
    ck_assert_ok(auth(&f, tok, &out, &err), err); /* the store's */
    ck_assert(out.cache_hit);
    /* the view the L1 entry was made with serves this request already */
    ck_assert_ptr_nonnull(out.claim_view);
    ck_assert_str_eq(out.claim_view->prefix, "OIDC_CLAIM_");
    ck_assert_str_eq(apr_table_get(out.claim_view->pass, "OIDC_CLAIM_sub"),
                     "alice");
    int gets = f.cache.gets;
    ck_assert_ok(auth(&f, tok, &out, &err), err); /* the L1's */
    ck_assert(out.cache_hit);
    ck_assert(out.jws);
    ck_assert_ptr_nonnull(out.claim_view);
    ck_assert_int_eq(f.cache.gets, gets);
    ck_assert_str_eq(out.user, "alice");
    /* a new token: validated, then from the L1 */
    tok = ft_access_token(&f, "at+jwt", NULL);
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert(!out.cache_hit);
    ck_assert(out.jws);
    ck_assert_ptr_nonnull(out.claim_view);
    ck_assert_int_eq(apr_table_elts(out.claim_view->pass)->nelts,
                     out.claims->nelts);
    gets = f.cache.gets;
    ck_assert_ok(auth(&f, tok, &out, &err), err);
    ck_assert_ptr_nonnull(out.claim_view);
    ck_assert_int_eq(f.cache.gets, gets);
    /* a tampered one is not the L1's either */
    ck_assert_reason(auth(&f, sig_altered(tok, 0), &out, &err), err,
                     AOIDC_REASON_SIGNATURE);
}
END_TEST

/* The namespace's digest is remembered per thread by content: the same
 * bytes at the same address after a change (a graceful restart reuses
 * memory) are another namespace; long ones are not remembered at all. */
START_TEST(jws_key_namespace_by_content)
{
    ft_t f;
    unsigned char k[4][AOIDC_STORE_KEY_LEN];
    char iss[] = T_ISS, aud[] = FT_AUDIENCE;
    ft_setup(&f);
    const char *tok = ft_access_token(&f, NULL, NULL);
    f.rs.issuer = iss;
    f.rs.audience = aud;
    aoidc_rs_cache_key(k[0], &f.rs, tok);
    aud[0] = 'b'; /* "bpi-1" */
    aoidc_rs_cache_key(k[1], &f.rs, tok);
    iss[strlen(iss) - 1] = 'n'; /* ".con" */
    aoidc_rs_cache_key(k[2], &f.rs, tok);
    aud[0] = 'a';
    iss[strlen(iss) - 1] = 'm';
    aoidc_rs_cache_key(k[3], &f.rs, tok);
    ck_assert(memcmp(k[0], k[1], sizeof(k[0])));
    ck_assert(memcmp(k[1], k[2], sizeof(k[0])));
    ck_assert(memcmp(k[0], k[2], sizeof(k[0])));
    ck_assert(!memcmp(k[0], k[3], sizeof(k[0])));
    /* issuer/audience boundary: ("ab", "c") is not ("a", "bc") */
    f.rs.issuer = "ab";
    f.rs.audience = "c";
    aoidc_rs_cache_key(k[1], &f.rs, tok);
    f.rs.issuer = "a";
    f.rs.audience = "bc";
    aoidc_rs_cache_key(k[2], &f.rs, tok);
    ck_assert(memcmp(k[1], k[2], sizeof(k[0])));
    /* too long to remember: still keyed, still distinct */
    char *big = apr_palloc(tp, 2001);
    memset(big, 'i', 2000);
    big[2000] = '\0';
    f.rs.issuer = big;
    f.rs.audience = "x";
    aoidc_rs_cache_key(k[1], &f.rs, tok);
    f.rs.audience = "y";
    aoidc_rs_cache_key(k[2], &f.rs, tok);
    ck_assert(memcmp(k[1], k[2], sizeof(k[0])));
    f.rs.audience = "x";
    aoidc_rs_cache_key(k[2], &f.rs, tok);
    ck_assert(!memcmp(k[1], k[2], sizeof(k[0])));
    /* an opaque token is keyed by its text in the same namespace */
    aoidc_rs_cache_key(k[3], &f.rs, OPAQUE);
    ck_assert(memcmp(k[1], k[3], sizeof(k[0])));
}
END_TEST

TCase *aoidc_rs_tcase(void)
{
    TCase *tc = aoidc_test_tcase("rs");
    tcase_add_test(tc, jwt_valid_then_cached);
    tcase_add_test(tc, jwt_cached_until_exp);
    tcase_add_test(tc, typ_rule_in_cache_key);
    tcase_add_test(tc, jwt_refused_not_cached);
    tcase_add_test(tc, opaque_introspected_once);
    tcase_add_test(tc, bad_syntax_keeps_its_shape);
    tcase_add_test(tc, opaque_inactive_cached_briefly);
    tcase_add_test(tc, opaque_upstream_failure_not_cached);
    tcase_add_test(tc, no_introspection);
    tcase_add_test(tc, guard_full_busy);
    tcase_add_test(tc, no_user);
    tcase_add_test(tc, exp_far_future_no_overflow);
    tcase_add_test(tc, cache_down_still_answers);
    tcase_add_test(tc, flight_table_used_for_opaque);
    tcase_add_test(tc, jws_cache_bound_to_signature);
    tcase_add_test(tc, jws_second_valid_signature);
    tcase_add_test(tc, jws_namespace_miss);
    tcase_add_test(tc, jws_foreign_entry_miss);
    tcase_add_test(tc, jws_l1_from_store_and_validation);
    tcase_add_test(tc, jws_key_namespace_by_content);
    return tc;
}
