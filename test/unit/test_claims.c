/* SPDX-License-Identifier: Apache-2.0 */
/* core/claims.c: flattening, header safety, the list codec. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_lib.h>

#include "core/claims.h"
#include "unit.h"

static apr_array_header_t *add(apr_array_header_t *l, const char *json)
{
    json_error_t e;
    json_t *j = json_loads(json, 0, &e);
    ck_assert_msg(j != NULL, "%s", e.text);
    l = aoidc_claims_add_json(l, j, tp);
    /* the list must not point into the document */
    json_decref(j);
    return l;
}

START_TEST(flatten)
{
    apr_array_header_t *l =
        add(NULL, "{\"sub\":\"alice\",\"n\":42,\"b\":true,\"a\":[1,\"x\"],"
                  "\"o\":{\"k\":\"v\"},\"r\":1.5,\"z\":null,\"e\":\"\"}");
    const aoidc_claim_t *c;
    ck_assert_int_eq(l->nelts, 7); /* null is left out */
    c = aoidc_claims_get(l, "sub");
    ck_assert_str_eq(c->value, "alice");
    ck_assert(!c->is_json);
    c = aoidc_claims_get(l, "n");
    ck_assert_str_eq(c->value, "42");
    ck_assert(c->is_json);
    ck_assert_str_eq(aoidc_claims_get(l, "b")->value, "true");
    ck_assert_str_eq(aoidc_claims_get(l, "a")->value, "[1,\"x\"]");
    ck_assert_str_eq(aoidc_claims_get(l, "o")->value, "{\"k\":\"v\"}");
    ck_assert_str_eq(aoidc_claims_get(l, "r")->value, "1.5");
    ck_assert_str_eq(aoidc_claims_get(l, "e")->value, "");
    ck_assert_ptr_null(aoidc_claims_get(l, "z"));
    ck_assert_ptr_null(aoidc_claims_get(l, "missing"));
    ck_assert_ptr_null(aoidc_claims_get(NULL, "sub"));
}
END_TEST

START_TEST(protocol_claims_left_out)
{
    apr_array_header_t *l = add(NULL, "{\"sub\":\"a\",\"nonce\":\"n\","
                                      "\"at_hash\":\"h\",\"c_hash\":\"c\"}");
    ck_assert_int_eq(l->nelts, 1);
    ck_assert_ptr_null(aoidc_claims_get(l, "nonce"));
    ck_assert_ptr_null(aoidc_claims_get(l, "at_hash"));
    ck_assert_ptr_null(aoidc_claims_get(l, "c_hash"));
}
END_TEST

START_TEST(unsafe_names_and_values_left_out)
{
    apr_array_header_t *l = add(
        NULL,
        "{\"a "
        "b\":\"1\",\"a:b\":\"1\",\"\":\"1\",\"a\\nb\":\"1\",\"caf\\u00e9\":"
        "\"1\",\"a/b\":\"1\",\"a(b)\":\"1\","
        "\"crlf\":\"x\\r\\nSet-Cookie: y\",\"lf\":\"x\\ny\",\"tab\":\"x\\ty\","
        "\"del\":\"x\\u007fy\",\"nulesc\":\"ok\","
        "\"arr\":[\"x\\r\\ny\"],\"utf8\":\"caf\\u00e9\","
        "\"x-ok.name~!#$%&'*+^_`|\":\"v\"}");
    ck_assert_ptr_null(aoidc_claims_get(l, "a b"));
    ck_assert_ptr_null(aoidc_claims_get(l, "a:b"));
    ck_assert_ptr_null(aoidc_claims_get(l, ""));
    ck_assert_ptr_null(aoidc_claims_get(l, "a\nb"));
    ck_assert_ptr_null(aoidc_claims_get(l, "caf\xc3\xa9"));
    ck_assert_ptr_null(aoidc_claims_get(l, "a/b"));
    ck_assert_ptr_null(aoidc_claims_get(l, "a(b)"));
    ck_assert_ptr_null(aoidc_claims_get(l, "crlf"));
    ck_assert_ptr_null(aoidc_claims_get(l, "lf"));
    ck_assert_ptr_null(aoidc_claims_get(l, "tab"));
    ck_assert_ptr_null(aoidc_claims_get(l, "del"));
    ck_assert_str_eq(aoidc_claims_get(l, "nulesc")->value, "ok");
    /* inside JSON values CR/LF stay escaped, so the array is safe */
    ck_assert_str_eq(aoidc_claims_get(l, "arr")->value, "[\"x\\r\\ny\"]");
    ck_assert_str_eq(aoidc_claims_get(l, "utf8")->value, "caf\xc3\xa9");
    ck_assert_ptr_nonnull(aoidc_claims_get(l, "x-ok.name~!#$%&'*+^_`|"));
    /* the names that are no tokens are mapped ('_' for each byte that is
     * not a token character), and collide: "a b" came first */
    ck_assert_str_eq(aoidc_claims_get(l, "a_b")->value, "1");
    ck_assert_ptr_nonnull(aoidc_claims_get(l, "a_b_"));
    ck_assert_ptr_nonnull(aoidc_claims_get(l, "caf__"));
    int n = 0;
    for (int i = 0; i < l->nelts; i++) {
        n += !strncmp(APR_ARRAY_IDX(l, i, aoidc_claim_t).name, "a_b", 3);
    }
    ck_assert_int_eq(n, 2);
    for (int i = 0; i < l->nelts; i++) {
        const aoidc_claim_t *c = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
        ck_assert_ptr_null(strpbrk(c->value, "\r\n"));
        ck_assert(aoidc_claims_is_token(c->name));
    }
}
END_TEST

START_TEST(url_names_mapped)
{
    apr_array_header_t *l =
        add(NULL, "{\"sub\":\"a\",\"https://example.com/roles\":[\"admin\"],"
                  "\"https://example.com/tenant\":\"t1\","
                  "\"https___example.com_tenant\":\"late\"}");
    ck_assert_str_eq(aoidc_claims_get(l, "https___example.com_roles")->value,
                     "[\"admin\"]");
    /* the mapped name collides with a real one: the first wins */
    ck_assert_str_eq(aoidc_claims_get(l, "https___example.com_tenant")->value,
                     "t1");
    ck_assert_ptr_null(aoidc_claims_get(l, "https://example.com/roles"));
    ck_assert_str_eq(aoidc_claims_safe_name("email", tp), "email");
    ck_assert_str_eq(aoidc_claims_safe_name("urn:x:y z", tp), "urn_x_y_z");
    ck_assert_ptr_null(aoidc_claims_safe_name("", tp));
    char big[AOIDC_CLAIM_MAX_NAME + 2];
    memset(big, 'n', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_ptr_null(aoidc_claims_safe_name(big, tp));
    big[AOIDC_CLAIM_MAX_NAME] = '\0';
    ck_assert_ptr_nonnull(aoidc_claims_safe_name(big, tp));
}
END_TEST

START_TEST(value_length_cap)
{
    char *v = apr_palloc(tp, AOIDC_CLAIM_MAX_VALUE + 2);
    memset(v, 'v', AOIDC_CLAIM_MAX_VALUE + 1);
    v[AOIDC_CLAIM_MAX_VALUE] = '\0';
    json_t *j = json_pack("{s:s}", "ok", v);
    v[AOIDC_CLAIM_MAX_VALUE] = 'v';
    v[AOIDC_CLAIM_MAX_VALUE + 1] = '\0';
    json_object_set_new(j, "long", json_string(v));
    apr_array_header_t *l = aoidc_claims_add_json(NULL, j, tp);
    json_decref(j);
    ck_assert_uint_eq(strlen(aoidc_claims_get(l, "ok")->value),
                      AOIDC_CLAIM_MAX_VALUE);
    ck_assert_ptr_null(aoidc_claims_get(l, "long"));
}
END_TEST

START_TEST(replace_and_cap)
{
    apr_array_header_t *l = add(NULL, "{\"sub\":\"a\",\"email\":\"x@y\"}");
    l = add(l, "{\"email\":\"new@y\",\"name\":\"N\"}");
    ck_assert_int_eq(l->nelts, 3);
    ck_assert_str_eq(aoidc_claims_get(l, "email")->value, "new@y");
    ck_assert_str_eq(aoidc_claims_get(l, "sub")->value, "a");
    json_t *many = json_object();
    for (int i = 0; i < AOIDC_MAX_CLAIMS + 10; i++) {
        json_object_set_new(many, apr_psprintf(tp, "c%d", i), json_integer(i));
    }
    l = aoidc_claims_add_json(NULL, many, tp);
    json_decref(many);
    ck_assert_int_eq(l->nelts, AOIDC_MAX_CLAIMS);
}
END_TEST

START_TEST(is_token)
{
    ck_assert(aoidc_claims_is_token("email"));
    ck_assert(aoidc_claims_is_token("x-a.b_c~!#$%&'*+^`|9"));
    ck_assert(!aoidc_claims_is_token(""));
    ck_assert(!aoidc_claims_is_token(NULL));
    static const char *const bad[] = {
        "a b", "a:b",  "a/b", "a\"b", "a,b",  "a;b",   "a=b",
        "a(b", "a)b",  "a[b", "a]b",  "a{b",  "a}b",   "a?b",
        "a@b", "a\\b", "a<b", "a>b",  "a\tb", "a\x7f", "caf\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!aoidc_claims_is_token(bad[i]), "%s", bad[i]);
    }
    /* every byte: exactly RFC 9110's tchar, ASCII only */
    for (int c = 1; c < 256; c++) {
        char one[2] = {(char)c, '\0'};
        bool want = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
                    || (c >= 'a' && c <= 'z')
                    || strchr("!#$%&'*+-.^_`|~", c) != NULL;
        ck_assert_msg(aoidc_claims_is_token(one) == want, "byte %d", c);
        ck_assert_str_eq(aoidc_claims_safe_name(one, tp), want ? one : "_");
    }
}
END_TEST

START_TEST(has_prefix)
{
    ck_assert(aoidc_claims_has_prefix("OIDC_CLAIM_email", "OIDC_CLAIM_"));
    ck_assert(aoidc_claims_has_prefix("oidc-claim-email", "OIDC_CLAIM_"));
    ck_assert(aoidc_claims_has_prefix("Oidc_Claim-", "OIDC_CLAIM_"));
    ck_assert(aoidc_claims_has_prefix("OIDC_CLAIM_", "oidc-claim-"));
    ck_assert(!aoidc_claims_has_prefix("OIDC_CLAIM", "OIDC_CLAIM_"));
    ck_assert(!aoidc_claims_has_prefix("XOIDC_CLAIM_a", "OIDC_CLAIM_"));
    ck_assert(!aoidc_claims_has_prefix("OIDC.CLAIM_a", "OIDC_CLAIM_"));
    ck_assert(!aoidc_claims_has_prefix("", "OIDC_CLAIM_"));
    ck_assert(aoidc_claims_has_prefix("anything", ""));
}
END_TEST

START_TEST(codec_roundtrip_and_truncation)
{
    apr_array_header_t *l = add(NULL, "{\"sub\":\"alice\",\"g\":[\"a\"],"
                                      "\"e\":\"\",\"n\":1}");
    aoidc_wbuf_t w;
    aoidc_rbuf_t r;
    aoidc_codec_init(&w, 8, tp);
    aoidc_claims_encode(&w, l);
    aoidc_codec_reader(&r, w.buf, w.len);
    apr_array_header_t *back = aoidc_claims_decode(&r, tp);
    ck_assert(!r.bad);
    ck_assert_uint_eq(r.left, 0);
    aoidc_test_same_claims(back, l);
    for (apr_size_t n = 0; n < w.len; n++) {
        unsigned char *cut = apr_pmemdup(tp, w.buf, n ? n : 1);
        aoidc_codec_reader(&r, cut, n);
        aoidc_claims_decode(&r, tp);
        ck_assert_msg(r.bad, "truncated at %" APR_SIZE_T_FMT " accepted", n);
    }
    /* empty and NULL lists encode as a zero count */
    aoidc_codec_init(&w, 8, tp);
    aoidc_claims_encode(&w, NULL);
    ck_assert_uint_eq(w.len, 1);
    aoidc_codec_reader(&r, w.buf, w.len);
    ck_assert_int_eq(aoidc_claims_decode(&r, tp)->nelts, 0);
    ck_assert(!r.bad);
    /* a NULL name or value inside is refused */
    aoidc_codec_init(&w, 8, tp);
    aoidc_codec_put_u8(&w, 1);
    aoidc_codec_put_u8(&w, 0);
    aoidc_codec_put_str(&w, "name");
    aoidc_codec_put_str(&w, NULL);
    aoidc_codec_reader(&r, w.buf, w.len);
    aoidc_claims_decode(&r, tp);
    ck_assert(r.bad);
}
END_TEST

/* 100 claims c0..c99 in JSON order, then the ones in tail (name, value). */
static json_t *hundred_then(const char *const *tail)
{
    json_t *j = json_object();
    for (int i = 0; i < 100; i++) {
        json_object_set_new(j, apr_psprintf(tp, "c%d", i), json_integer(i));
    }
    for (; tail && *tail; tail += 2) {
        json_object_set_new(j, tail[0], json_string(tail[1]));
    }
    return j;
}

START_TEST(cap_keeps_sub)
{
    /* security review finding 8: with more than AOIDC_MAX_CLAIMS claims,
     * sub came last in JSON order and was dropped, so REMOTE_USER became
     * empty while Require valid-user still passed */
    static const char *const tail[] = {"sub", "alice", NULL};
    json_t *j = hundred_then(tail);
    apr_array_header_t *l = aoidc_claims_add_json(NULL, j, tp);
    const char *user;
    aoidc_err_t err = {0};
    json_decref(j);
    ck_assert_int_eq(l->nelts, AOIDC_MAX_CLAIMS);
    ck_assert_ptr_nonnull(aoidc_claims_get(l, "sub"));
    ck_assert_str_eq(aoidc_claims_get(l, "sub")->value, "alice");
    /* the first ones in JSON order stay; the last unkept one gave way */
    ck_assert_ptr_nonnull(aoidc_claims_get(l, "c0"));
    ck_assert_ptr_nonnull(aoidc_claims_get(l, "c62"));
    ck_assert_ptr_null(aoidc_claims_get(l, "c63"));
    ck_assert_ok(aoidc_claims_user(&user, l, NULL, tp, &err), err);
    ck_assert_str_eq(user, "alice");
}
END_TEST

START_TEST(cap_keeps_named_claims)
{
    static const char *const tail[] = {
        "email", "a@example.com", "sub", "alice", "name", "A", NULL};
    static const char *const keep[] = {"email", NULL};
    json_t *j = hundred_then(tail);
    apr_array_header_t *l = aoidc_claims_add_json_keep(NULL, j, keep, tp);
    const char *user;
    aoidc_err_t err = {0};
    ck_assert_int_eq(l->nelts, AOIDC_MAX_CLAIMS);
    ck_assert_str_eq(aoidc_claims_get(l, "email")->value, "a@example.com");
    ck_assert_str_eq(aoidc_claims_get(l, "sub")->value, "alice");
    ck_assert_ptr_null(aoidc_claims_get(l, "name")); /* not kept: capped */
    ck_assert_ptr_null(aoidc_claims_get(l, "c62"));
    ck_assert_ptr_nonnull(aoidc_claims_get(l, "c61"));
    ck_assert_ok(aoidc_claims_user(&user, l, "email", tp, &err), err);
    ck_assert_str_eq(user, "a@example.com");
    /* a second document (userinfo) joining a full list keeps them too */
    l = aoidc_claims_add_json_keep(NULL, j, NULL, tp);
    json_decref(j);
    ck_assert_ptr_null(aoidc_claims_get(l, "email"));
    l = add(l, "{\"email\":\"b@example.com\",\"zz\":1}");
    ck_assert_ptr_null(aoidc_claims_get(l, "email")); /* not asked to keep */
    json_t *ui = json_pack("{s:s}", "email", "b@example.com");
    l = aoidc_claims_add_json_keep(l, ui, keep, tp);
    json_decref(ui);
    ck_assert_int_eq(l->nelts, AOIDC_MAX_CLAIMS);
    ck_assert_str_eq(aoidc_claims_get(l, "email")->value, "b@example.com");
    ck_assert_str_eq(aoidc_claims_get(l, "sub")->value, "alice");
}
END_TEST

START_TEST(cap_with_only_kept_names)
{
    /* more kept names than room: the cap still holds */
    const char **keep = apr_pcalloc(tp, 102 * sizeof(*keep));
    json_t *j = json_object();
    for (int i = 0; i < 100; i++) {
        keep[i] = apr_psprintf(tp, "k%d", i);
        json_object_set_new(j, keep[i], json_true());
    }
    json_object_set_new(j, "sub", json_string("alice"));
    apr_array_header_t *l = aoidc_claims_add_json_keep(NULL, j, keep, tp);
    json_decref(j);
    ck_assert_int_eq(l->nelts, AOIDC_MAX_CLAIMS);
}
END_TEST

START_TEST(user_predicate)
{
    const char *user = "x";
    aoidc_err_t err = {0};
    apr_array_header_t *l =
        add(NULL, "{\"sub\":\"alice\",\"email\":\"\",\"groups\":[\"a\"],"
                  "\"obj\":{\"k\":1},\"num\":42,\"upn\":\"a@corp\"}");
    ck_assert_ok(aoidc_claims_user(&user, l, NULL, tp, &err), err);
    ck_assert_str_eq(user, "alice");
    ck_assert_ok(aoidc_claims_user(&user, l, "", tp, &err), err);
    ck_assert_str_eq(user, "alice");
    ck_assert_ok(aoidc_claims_user(&user, l, "upn", tp, &err), err);
    ck_assert_str_eq(user, "a@corp");
    ck_assert_ok(aoidc_claims_user(&user, l, "num", tp, &err), err);
    ck_assert_str_eq(user, "42");
    /* absent: the documented fallback to sub */
    ck_assert_ok(aoidc_claims_user(&user, l, "missing", tp, &err), err);
    ck_assert_str_eq(user, "alice");
    /* present but unusable: refused, no fallback */
    ck_assert_reason(aoidc_claims_user(&user, l, "email", tp, &err), err,
                     AOIDC_REASON_NO_USER);
    ck_assert_ptr_null(user);
    ck_assert_reason(aoidc_claims_user(&user, l, "groups", tp, &err), err,
                     AOIDC_REASON_NO_USER);
    ck_assert_reason(aoidc_claims_user(&user, l, "obj", tp, &err), err,
                     AOIDC_REASON_NO_USER);
    /* no sub at all, or an empty one */
    l = add(NULL, "{\"email\":\"a@b\"}");
    ck_assert_reason(aoidc_claims_user(&user, l, NULL, tp, &err), err,
                     AOIDC_REASON_NO_USER);
    ck_assert_reason(aoidc_claims_user(&user, l, "upn", tp, &err), err,
                     AOIDC_REASON_NO_USER);
    l = add(NULL, "{\"sub\":\"\"}");
    ck_assert_reason(aoidc_claims_user(&user, l, NULL, tp, &err), err,
                     AOIDC_REASON_NO_USER);
    ck_assert_reason(aoidc_claims_user(&user, NULL, NULL, tp, &err), err,
                     AOIDC_REASON_NO_USER);
}
END_TEST

START_TEST(header_collisions_first_wins)
{
    /* security review finding 15: claim names that differ only in case
     * (or in '-' vs '_') would become two headers that the backend and CGI
     * see as one name */
    apr_array_header_t *l =
        add(NULL, "{\"sub\":\"alice\",\"groups\":[\"users\"],"
                  "\"Groups\":[\"admins\"],\"GROUPS\":\"root\","
                  "\"x-a\":\"1\",\"x_a\":\"2\",\"X_A\":\"3\"}");
    ck_assert_int_eq(l->nelts, 3);
    ck_assert_str_eq(aoidc_claims_get(l, "groups")->value, "[\"users\"]");
    ck_assert_ptr_null(aoidc_claims_get(l, "Groups"));
    ck_assert_ptr_null(aoidc_claims_get(l, "GROUPS"));
    ck_assert_str_eq(aoidc_claims_get(l, "x-a")->value, "1");
    ck_assert_ptr_null(aoidc_claims_get(l, "x_a"));
    /* a later document (userinfo) cannot smuggle one in either, but the
     * same name still replaces */
    l = add(l, "{\"GrOuPs\":\"root\",\"groups\":[\"ops\"]}");
    ck_assert_int_eq(l->nelts, 3);
    ck_assert_str_eq(aoidc_claims_get(l, "groups")->value, "[\"ops\"]");
    ck_assert_ptr_null(aoidc_claims_get(l, "GrOuPs"));
    /* every pair left is distinct as a header */
    for (int i = 0; i < l->nelts; i++) {
        for (int k = 0; k < i; k++) {
            ck_assert(!aoidc_claims_same_header(
                APR_ARRAY_IDX(l, i, aoidc_claim_t).name,
                APR_ARRAY_IDX(l, k, aoidc_claim_t).name));
        }
    }
}
END_TEST

START_TEST(header_collision_cannot_displace_sub)
{
    /* "Sub" first must not push the real sub out */
    apr_array_header_t *l =
        add(NULL, "{\"Sub\":\"mallory\",\"sub\":\"alice\"}");
    ck_assert_int_eq(l->nelts, 1);
    ck_assert_str_eq(aoidc_claims_get(l, "sub")->value, "alice");
    ck_assert_ptr_null(aoidc_claims_get(l, "Sub"));
    l = add(NULL, "{\"sub\":\"alice\",\"SUB\":\"mallory\"}");
    ck_assert_int_eq(l->nelts, 1);
    ck_assert_str_eq(aoidc_claims_get(l, "sub")->value, "alice");
}
END_TEST

START_TEST(same_header)
{
    ck_assert(aoidc_claims_same_header("groups", "GROUPS"));
    ck_assert(aoidc_claims_same_header("x-a_b", "X_A-B"));
    ck_assert(aoidc_claims_same_header("", ""));
    ck_assert(!aoidc_claims_same_header("groups", "group"));
    ck_assert(!aoidc_claims_same_header("group", "groups"));
    ck_assert(!aoidc_claims_same_header("x.a", "x_a"));
    ck_assert(!aoidc_claims_same_header("a", ""));
}
END_TEST

START_TEST(join_arrays)
{
    ck_assert_str_eq(aoidc_claims_join("[\"a\",\"b c\"]", ',', tp), "a,b c");
    ck_assert_str_eq(aoidc_claims_join("[]", ',', tp), "");
    /* not an array of plain strings: unchanged */
    ck_assert_str_eq(aoidc_claims_join("[\"a\",1]", ',', tp), "[\"a\",1]");
    ck_assert_str_eq(aoidc_claims_join("{\"a\":1}", ',', tp), "{\"a\":1}");
    ck_assert_str_eq(aoidc_claims_join("plain", ',', tp), "plain");
    ck_assert_str_eq(aoidc_claims_join("[\"a,b\",\"c\"]", ',', tp),
                     "[\"a,b\",\"c\"]");
    /* a JSON-escaped CR/LF never becomes a raw one in a header */
    ck_assert_str_eq(aoidc_claims_join("[\"a\\r\\nX: y\"]", ',', tp),
                     "[\"a\\r\\nX: y\"]");
    ck_assert_str_eq(aoidc_claims_join("[bad", ',', tp), "[bad");
}
END_TEST

/* --- the flattening as it was before issue 14's rewrite (integers through
 * json_dumps, one hash of every name, two scans per name), kept as the
 * reference the rewrite must equal on any document ------------------------ */

static char *ref_dump(const json_t *j, apr_pool_t *p)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    char *r = apr_pstrdup(p, s ? s : "null");
    free(s);
    return r;
}

static bool ref_value_ok(const char *v)
{
    for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            return false;
        }
    }
    return strlen(v) <= AOIDC_CLAIM_MAX_VALUE;
}

/* An entry whose header (and CGI variable) would be the same as name's:
 * "groups" and "Groups", "x-a" and "x_a" become one HTTP_OIDC_CLAIM_... */
static aoidc_claim_t *ref_find_collision(apr_array_header_t *l,
                                         const char *name)
{
    for (int i = 0; i < l->nelts; i++) {
        aoidc_claim_t *c = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
        if (aoidc_claims_same_header(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

static bool ref_is_kept(const char *name, const char *const *keep)
{
    if (!strcmp(name, "sub")) {
        return true;
    }
    for (; keep && *keep; keep++) {
        if (!strcmp(name, *keep)) {
            return true;
        }
    }
    return false;
}

/* Room for a kept claim in a full list: the last entry that is not kept
 * gives way, so sub (or the REMOTE_USER claim) never falls off the end
 * because the OP listed 64 others first. NULL when every entry is kept. */
static aoidc_claim_t *ref_evictable(apr_array_header_t *l,
                                    const char *const *keep)
{
    for (int i = l->nelts - 1; i >= 0; i--) {
        aoidc_claim_t *c = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
        if (!ref_is_kept(c->name, keep)) {
            return c;
        }
    }
    return NULL;
}

static void ref_add_one(apr_array_header_t *list, const aoidc_claim_t *c,
                        const char *const *keep)
{
    /* exact-name lookup and the header rule are not what was rewritten:
     * the library's own (aoidc_claims_get, aoidc_claims_same_header) */
    aoidc_claim_t *slot = (aoidc_claim_t *)aoidc_claims_get(list, c->name);
    bool kept = ref_is_kept(c->name, keep);
    if (!slot) {
        slot = ref_find_collision(list, c->name);
        /* first one wins, unless the newcomer is exactly a kept name */
        if (slot && (!kept || ref_is_kept(slot->name, keep))) {
            return;
        }
    }
    if (!slot && list->nelts < AOIDC_MAX_CLAIMS) {
        slot = apr_array_push(list);
    }
    if (!slot && kept) {
        slot = ref_evictable(list, keep);
    }
    if (slot) {
        *slot = *c;
    }
}

static apr_array_header_t *ref_add_json_keep(apr_array_header_t *list,
                                             const json_t *obj,
                                             const char *const *keep,
                                             apr_pool_t *p)
{
    const char *key;
    json_t *v;
    apr_hash_t *seen = apr_hash_make(p);
    if (!list) {
        list = apr_array_make(p, 16, sizeof(aoidc_claim_t));
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        aoidc_claim_t c = {aoidc_claims_safe_name(key, p), NULL,
                           !json_is_string(v)};
        if (json_is_null(v) || !c.name || !strcmp(key, "nonce")
            || !strcmp(key, "at_hash") || !strcmp(key, "c_hash")) {
            continue;
        }
        /* two names of one document that map to one name: the first
         * wins, as for header collisions (a later document, userinfo,
         * still replaces the ID Token's claim of the same name) */
        if (apr_hash_get(seen, c.name, APR_HASH_KEY_STRING)) {
            continue;
        }
        apr_hash_set(seen, c.name, APR_HASH_KEY_STRING, "");
        /* JSON encoding escapes control characters inside arrays and
         * objects, so only plain strings can carry raw CR/LF. */
        c.value = json_is_string(v) ? json_string_value(v) : ref_dump(v, p);
        if (!ref_value_ok(c.value)) {
            continue;
        }
        ref_add_one(list, &c, keep);
    }
    /* names and string values point into obj, which the caller owns; copy
     * them so the list outlives the JSON document */
    for (int i = 0; i < list->nelts; i++) {
        aoidc_claim_t *c = &APR_ARRAY_IDX(list, i, aoidc_claim_t);
        c->name = apr_pstrdup(p, c->name);
        c->value = apr_pstrdup(p, c->value);
    }
    return list;
}

static json_t *random_value(unsigned *seed)
{
    static const json_int_t ints[] = {0,         -1,        1,  42, 1700000000,
                                      INT64_MAX, INT64_MIN, -9, 10, 99999};
    switch (rand_r(seed) % 10) {
    case 0:
        return json_null();
    case 1:
        return json_integer(ints[rand_r(seed) % 10]);
    case 2:
        return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
    case 3:
        return json_boolean(rand_r(seed) % 2);
    case 4:
        return json_real(1.5);
    case 5:
        return json_pack("[s,i]", "x", rand_r(seed) % 100);
    case 6:
        return json_string("line\r\nbreak");
    default:
        return json_sprintf("v%d", rand_r(seed) % 1000);
    }
}

/* Any document, any list before it, any keep list: the same list as the
 * reference, entry for entry (names, values, is_json, order). */
START_TEST(same_as_reference)
{
    static const char *const names[] = {
        "sub",         "Sub",         "SUB",    "a",
        "A",           "a-b",         "a_b",    "A-B",
        "a/b",         "a:b",         "a b",    "nonce",
        "at_hash",     "c_hash",      "cnf",    "email",
        "Email",       "e-mail",      "e_mail", "https://x/r",
        "https___x_r", "https-__x_r", "groups", "x",
        "exp",         "iat",         "",       "n",
        "c",
    };
    const size_t nn = sizeof(names) / sizeof(names[0]);
    unsigned seed = 14;
    for (int round = 0; round < 3000; round++) {
        const char *keep[] = {names[rand_r(&seed) % nn], "cnf", NULL};
        const char *const *kp = rand_r(&seed) % 4 ? keep : NULL;
        apr_array_header_t *l1 = NULL, *l2 = NULL;
        int docs = 1 + rand_r(&seed) % 2;
        for (int d = 0; d < docs; d++) {
            json_t *o = json_object();
            /* up to 80 members: the cap is 64 */
            int n = rand_r(&seed) % 5 ? rand_r(&seed) % 12 : rand_r(&seed) % 80;
            for (int i = 0; i < n; i++) {
                const char *k =
                    rand_r(&seed) % 3
                        ? names[rand_r(&seed) % nn]
                        : apr_psprintf(tp, "%s%d", names[rand_r(&seed) % nn],
                                       rand_r(&seed) % 70);
                json_object_set_new(o, k, random_value(&seed));
            }
            l1 = ref_add_json_keep(l1, o, kp, tp);
            l2 = aoidc_claims_add_json_keep(l2, o, kp, tp);
            json_decref(o);
        }
        ck_assert_int_eq(l1->nelts, l2->nelts);
        for (int i = 0; i < l1->nelts; i++) {
            const aoidc_claim_t *a = &APR_ARRAY_IDX(l1, i, aoidc_claim_t);
            const aoidc_claim_t *b = &APR_ARRAY_IDX(l2, i, aoidc_claim_t);
            ck_assert_msg(!strcmp(a->name, b->name)
                              && !strcmp(a->value, b->value)
                              && a->is_json == b->is_json,
                          "round %d entry %d: %s=%s vs %s=%s", round, i,
                          a->name, a->value, b->name, b->value);
        }
    }
}
END_TEST

START_TEST(integers_as_jansson_writes_them)
{
    static const json_int_t v[] = {
        0, 1, -1, 9, 10, -10, 1700000000, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        json_t *o = json_pack("{s:I}", "n", v[i]);
        char *want = json_dumps(json_object_get(o, "n"), JSON_ENCODE_ANY);
        apr_array_header_t *l = aoidc_claims_add_json(NULL, o, tp);
        ck_assert_str_eq(aoidc_claims_get(l, "n")->value, want);
        ck_assert(aoidc_claims_get(l, "n")->is_json);
        free(want);
        json_decref(o);
    }
}
END_TEST

/* the view: names and table in list order, the prefix it was made for,
 * whether a value is JSON; none of an empty list */
START_TEST(view_names_and_table)
{
    static const char prefix[] = "P_";
    apr_array_header_t *l = add(NULL, "{\"sub\":\"alice\",\"email\":\"a@x\"}");
    const aoidc_claims_view_t *v = aoidc_claims_view_make(l, prefix, tp);
    const apr_array_header_t *t = apr_table_elts(v->pass);
    ck_assert(!v->any_json);
    ck_assert_int_eq(t->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(t, 0, apr_table_entry_t).key, "P_sub");
    ck_assert_str_eq(APR_ARRAY_IDX(t, 1, apr_table_entry_t).key, "P_email");
    ck_assert_str_eq(APR_ARRAY_IDX(t, 0, apr_table_entry_t).val, "alice");
    ck_assert_str_eq(apr_table_get(v->pass, "P_email"), "a@x");
    ck_assert_ptr_eq(aoidc_claims_view_for(v, prefix), v);
    ck_assert_ptr_eq(aoidc_claims_view_for(v, apr_pstrdup(tp, prefix)), v);
    ck_assert_ptr_null(aoidc_claims_view_for(v, "Q_"));
    ck_assert_ptr_null(aoidc_claims_view_for(v, "P"));
    ck_assert_ptr_null(aoidc_claims_view_for(v, NULL));
    ck_assert_ptr_null(aoidc_claims_view_for(NULL, prefix));
    l = add(l, "{\"n\":1}");
    ck_assert(aoidc_claims_view_make(l, prefix, tp)->any_json);
    v = aoidc_claims_view_make(NULL, prefix, tp);
    ck_assert(apr_is_empty_table(v->pass));
}
END_TEST

/* --- aoidc_claims_from_members --------------------------------------- */

/* in's claims from its members, checked against aoidc_claims_add_json_keep
 * on the jansson object, entry for entry */
static apr_array_header_t *from_members(const char *in, const char *const *keep)
{
    aoidc_json_members_t m;
    json_error_t e;
    json_t *j = json_loads(in, JSON_REJECT_DUPLICATES, &e);
    apr_array_header_t *a, *b;
    ck_assert_msg(j != NULL, "%s", e.text);
    ck_assert_msg(aoidc_json_fast_members(&m, in, strlen(in), tp), "%.80s", in);
    a = aoidc_claims_from_members(&m, keep, tp);
    b = aoidc_claims_add_json_keep(NULL, j, keep, tp);
    json_decref(j);
    aoidc_test_same_claims(a, b);
    return a;
}

static void claim_is(const apr_array_header_t *l, int i, const char *name,
                     const char *value, bool is_json)
{
    const aoidc_claim_t *c = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
    ck_assert_int_lt(i, l->nelts);
    ck_assert_str_eq(c->name, name);
    ck_assert_str_eq(c->value, value);
    ck_assert_int_eq(c->is_json, is_json);
}

START_TEST(members_header_collisions)
{
    static const char *const keep[] = {"Groups", NULL};
    apr_array_header_t *l = from_members(
        "{\"groups\":\"a\",\"Groups\":\"b\",\"x-a\":1,\"x_a\":2,\"sub\":\"s\"}",
        NULL);
    ck_assert_int_eq(l->nelts, 3);
    claim_is(l, 0, "groups", "a", false);
    claim_is(l, 1, "x-a", "1", true);
    claim_is(l, 2, "sub", "s", false);
    /* a kept name displaces the first of its header */
    l = from_members("{\"groups\":\"a\",\"Groups\":\"b\"}", keep);
    ck_assert_int_eq(l->nelts, 1);
    claim_is(l, 0, "Groups", "b", false);
}
END_TEST

START_TEST(members_mapped_name)
{
    apr_array_header_t *l =
        from_members("{\"https://x/roles\":[\"r1\", \"r2\"],"
                     "\"https___x_roles\":\"y\",\"a b\":{\"c\" : true}}",
                     NULL);
    ck_assert_int_eq(l->nelts, 2);
    claim_is(l, 0, "https___x_roles", "[\"r1\",\"r2\"]", true);
    claim_is(l, 1, "a_b", "{\"c\":true}", true);
}
END_TEST

START_TEST(members_cap_keeps_sub_and_kept)
{
    static const char *const keep[] = {"email", "cnf", NULL};
    char *in = apr_pstrdup(tp, "{");
    apr_array_header_t *l;
    for (int i = 0; i < 70; i++) {
        in = apr_psprintf(tp, "%s\"c%d\":%d,", in, i, i);
    }
    in = apr_pstrcat(tp, in,
                     "\"email\":\"e@x\",\"sub\":\"s\",\"cnf\":{\"jkt\":\"t\"},"
                     "\"late\":1}",
                     NULL);
    l = from_members(in, keep);
    ck_assert_int_eq(l->nelts, AOIDC_MAX_CLAIMS);
    ck_assert_str_eq(aoidc_claims_get(l, "email")->value, "e@x");
    ck_assert_str_eq(aoidc_claims_get(l, "sub")->value, "s");
    ck_assert_str_eq(aoidc_claims_get(l, "cnf")->value, "{\"jkt\":\"t\"}");
    ck_assert_ptr_null(aoidc_claims_get(l, "late"));
    claim_is(l, 0, "c0", "0", true);
    /* without keep, only sub gets a slot */
    l = from_members(in, NULL);
    ck_assert_int_eq(l->nelts, AOIDC_MAX_CLAIMS);
    ck_assert_ptr_nonnull(aoidc_claims_get(l, "sub"));
    ck_assert_ptr_null(aoidc_claims_get(l, "email"));
}
END_TEST

START_TEST(members_null_and_protocol_left_out)
{
    apr_array_header_t *l =
        from_members("{\"a\":null,\"nonce\":\"n\",\"at_hash\":\"h\","
                     "\"c_hash\":null,\"b\":false,\"c\":null,\"n\":[null]}",
                     NULL);
    ck_assert_int_eq(l->nelts, 2);
    claim_is(l, 0, "b", "false", true);
    claim_is(l, 1, "n", "[null]", true);
}
END_TEST

/* AOIDC_CLAIM_MAX_VALUE bytes of value pass, one more does not, for a
 * string and for a nested value's JSON text (["..."]: 4 bytes more than
 * its string) */
START_TEST(members_value_cap)
{
    char *big = apr_palloc(tp, AOIDC_CLAIM_MAX_VALUE + 2);
    apr_array_header_t *l;
    memset(big, 'v', AOIDC_CLAIM_MAX_VALUE + 1);
    big[AOIDC_CLAIM_MAX_VALUE + 1] = '\0';
    l = from_members(apr_psprintf(tp,
                                  "{\"a\":\"%s\",\"b\":\"%s\",\"c\":[\"%s\"],"
                                  "\"d\":[\"%s\"],\"e\":1}",
                                  big + 1, big, big + 5, big + 4),
                     NULL);
    ck_assert_int_eq(l->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(l, 0, aoidc_claim_t).name, "a");
    ck_assert_int_eq(strlen(APR_ARRAY_IDX(l, 0, aoidc_claim_t).value),
                     AOIDC_CLAIM_MAX_VALUE);
    ck_assert_str_eq(APR_ARRAY_IDX(l, 1, aoidc_claim_t).name, "c");
    ck_assert_int_eq(strlen(APR_ARRAY_IDX(l, 1, aoidc_claim_t).value),
                     AOIDC_CLAIM_MAX_VALUE);
    claim_is(l, 2, "e", "1", true);
}
END_TEST

/* A value within the members' subset (no real, escape or -0), nested
 * now and then. */
static json_t *subset_value(unsigned *seed, int depth)
{
    switch (rand_r(seed) % (depth < 3 ? 9 : 6)) {
    case 0:
        return json_null();
    case 1:
        return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
    case 2:
        return json_integer(rand_r(seed) % 2 ? 999999999999999999LL
                                             : -999999999999999999LL);
    case 3:
        return json_boolean(rand_r(seed) % 2);
    case 4:
        return json_sprintf("v %d", rand_r(seed) % 1000);
    case 5:
        return json_string("");
    case 6:
        return json_pack("[o,o]", subset_value(seed, depth + 1),
                         subset_value(seed, depth + 1));
    case 7:
        return json_pack("{s:o,s:o}", "k", subset_value(seed, depth + 1), "K y",
                         subset_value(seed, depth + 1));
    default:
        return json_array();
    }
}

/* Random documents in the subset, written compact or indented: the
 * members give the list the jansson object gives, under several keeps. */
START_TEST(members_same_as_json_random)
{
    static const char *const names[] = {
        "sub",   "Sub",   "a",      "A",           "a-b",         "a_b",
        "a/b",   "a b",   "nonce",  "at_hash",     "c_hash",      "cnf",
        "email", "Email", "e-mail", "https://x/r", "https___x_r", "",
    };
    const size_t nn = sizeof(names) / sizeof(names[0]);
    unsigned seed = 23;
    for (int round = 0; round < 2000; round++) {
        const char *keep[] = {names[rand_r(&seed) % nn], "cnf", NULL};
        json_t *o = json_object();
        int n = rand_r(&seed) % 4 ? rand_r(&seed) % 12 : rand_r(&seed) % 100;
        for (int i = 0; i < n; i++) {
            const char *k =
                rand_r(&seed) % 3
                    ? names[rand_r(&seed) % nn]
                    : apr_psprintf(tp, "%s%d", names[rand_r(&seed) % nn],
                                   rand_r(&seed) % 70);
            json_object_set_new(o, k, subset_value(&seed, 0));
        }
        char *in =
            json_dumps(o, rand_r(&seed) % 2 ? JSON_COMPACT : JSON_INDENT(1));
        from_members(apr_pstrdup(tp, in), rand_r(&seed) % 4 ? keep : NULL);
        free(in);
        json_decref(o);
    }
}
END_TEST

TCase *aoidc_claims_tcase(void)
{
    TCase *tc = aoidc_test_tcase("claims");
    tcase_add_test(tc, same_as_reference);
    tcase_add_test(tc, integers_as_jansson_writes_them);
    tcase_add_test(tc, flatten);
    tcase_add_test(tc, protocol_claims_left_out);
    tcase_add_test(tc, unsafe_names_and_values_left_out);
    tcase_add_test(tc, value_length_cap);
    tcase_add_test(tc, url_names_mapped);
    tcase_add_test(tc, replace_and_cap);
    tcase_add_test(tc, is_token);
    tcase_add_test(tc, has_prefix);
    tcase_add_test(tc, codec_roundtrip_and_truncation);
    tcase_add_test(tc, cap_keeps_sub);
    tcase_add_test(tc, cap_keeps_named_claims);
    tcase_add_test(tc, cap_with_only_kept_names);
    tcase_add_test(tc, user_predicate);
    tcase_add_test(tc, header_collisions_first_wins);
    tcase_add_test(tc, header_collision_cannot_displace_sub);
    tcase_add_test(tc, same_header);
    tcase_add_test(tc, join_arrays);
    tcase_add_test(tc, view_names_and_table);
    tcase_add_test(tc, members_header_collisions);
    tcase_add_test(tc, members_mapped_name);
    tcase_add_test(tc, members_cap_keeps_sub_and_kept);
    tcase_add_test(tc, members_null_and_protocol_left_out);
    tcase_add_test(tc, members_value_cap);
    tcase_add_test(tc, members_same_as_json_random);
    return tc;
}
