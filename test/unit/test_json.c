/* SPDX-License-Identifier: Apache-2.0 */
/* core/json.c: bounded parsing, pool ownership, typed getters. */
#include <string.h>

#include "core/json.h"
#include "unit.h"

static apr_status_t parse(json_t **j, const char *s, bool any, aoidc_err_t *err)
{
    return aoidc_json_parse(j, s, strlen(s), AOIDC_MAX_JSON_LEN, any, tp, err);
}

START_TEST(object_ok)
{
    json_t *j;
    aoidc_err_t err = {0};
    ck_assert_ok(
        parse(&j, "{\"a\":1,\"b\":\"x\",\"c\":[true,null]}", false, &err), err);
    ck_assert(json_is_object(j));
    ck_assert_int_eq(json_object_size(j), 3);
    /* the pool holds the only reference */
    ck_assert_int_eq(j->refcount, 1);
}
END_TEST

START_TEST(owned_by_pool)
{
    apr_pool_t *sub;
    json_t *j;
    aoidc_err_t err = {0};
    apr_pool_create(&sub, tp);
    ck_assert_ok(aoidc_json_parse(&j, "{\"a\":1}", 7, 100, false, sub, &err),
                 err);
    json_incref(j);
    apr_pool_destroy(sub); /* drops the pool's reference */
    ck_assert_int_eq(j->refcount, 1);
    json_decref(j);
    ck_assert_ptr_null(aoidc_json_own(NULL, tp));
}
END_TEST

START_TEST(not_object)
{
    static const char *const docs[] = {"[]", "\"x\"", "1", "true", "null"};
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_t *j = (json_t *)1;
        aoidc_err_t err = {0};
        ck_assert_reason(parse(&j, docs[i], false, &err), err,
                         AOIDC_REASON_MALFORMED);
        ck_assert_ptr_null(j);
        ck_assert_ok(parse(&j, docs[i], true, &err), err);
        ck_assert_ptr_nonnull(j);
    }
}
END_TEST

START_TEST(malformed)
{
    static const char *const docs[] = {
        "",
        " ",
        "{",
        "{\"a\":}",
        "{\"a\":1,}",
        "{} x",
        "{}{}",
        "{'a':1}",
        "{\"a\":1,\"a\":2}",   /* duplicate keys */
        "{\"a\":\"\\u0000\"}", /* NUL escape */
        "{\"a\":\"\xff\"}",    /* invalid UTF-8 */
        "{\"a\":NaN}",
        "{\"a\":01}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_t *j;
        aoidc_err_t err = {0};
        ck_assert_reason(parse(&j, docs[i], true, &err), err,
                         AOIDC_REASON_MALFORMED);
    }
}
END_TEST

START_TEST(raw_nul_refused)
{
    json_t *j;
    aoidc_err_t err = {0};
    ck_assert_reason(
        aoidc_json_parse(&j, "{\"a\":1}\0", 8, 100, false, tp, &err), err,
        AOIDC_REASON_MALFORMED);
    ck_assert_reason(
        aoidc_json_parse(&j, "{\"a\":\"x\0y\"}", 11, 100, false, tp, &err), err,
        AOIDC_REASON_MALFORMED);
}
END_TEST

START_TEST(max_len)
{
    json_t *j;
    aoidc_err_t err = {0};
    const char *doc = "{\"a\":\"0123456789\"}"; /* 18 bytes */
    ck_assert_ok(aoidc_json_parse(&j, doc, 18, 18, false, tp, &err), err);
    ck_assert_reason(aoidc_json_parse(&j, doc, 18, 17, false, tp, &err), err,
                     AOIDC_REASON_TOO_LARGE);
}
END_TEST

static char *nested(int depth, apr_pool_t *p)
{
    char *s = apr_palloc(p, (apr_size_t)(2 * depth + 1));
    for (int i = 0; i < depth; i++) {
        s[i] = '[';
        s[2 * depth - 1 - i] = ']';
    }
    s[2 * depth] = '\0';
    return s;
}

START_TEST(depth_limit)
{
    json_t *j;
    aoidc_err_t err = {0};
    ck_assert_ok(parse(&j, nested(AOIDC_MAX_JSON_DEPTH, tp), true, &err), err);
    ck_assert_reason(
        parse(&j, nested(AOIDC_MAX_JSON_DEPTH + 1, tp), true, &err), err,
        AOIDC_REASON_TOO_LARGE);
    ck_assert_reason(parse(&j, nested(5000, tp), true, &err), err,
                     AOIDC_REASON_TOO_LARGE);
    /* objects count as levels too */
    char *s =
        apr_pstrcat(tp, "{\"a\":", nested(AOIDC_MAX_JSON_DEPTH, tp), "}", NULL);
    ck_assert_reason(parse(&j, s, false, &err), err, AOIDC_REASON_TOO_LARGE);
}
END_TEST

START_TEST(depth_ignores_strings)
{
    json_t *j;
    aoidc_err_t err = {0};
    /* brackets inside strings, also after an escaped quote, do not nest */
    char *s =
        apr_pstrcat(tp, "{\"a\":\"\\\"", nested(40, tp), "\",\"b\":[1]}", NULL);
    ck_assert_ok(parse(&j, s, false, &err), err);
    ck_assert_str_eq(aoidc_json_str(j, "a"),
                     apr_pstrcat(tp, "\"", nested(40, tp), NULL));
}
END_TEST

START_TEST(getters)
{
    json_t *j;
    apr_int64_t v = -7;
    aoidc_err_t err = {0};
    ck_assert_ok(parse(&j,
                       "{\"s\":\"x\",\"i\":42,\"r\":1e3,\"h\":1.5,\"neg\":-3,"
                       "\"big\":9223372036854775807,\"huge\":1e300,"
                       "\"t\":true,\"n\":null,\"a\":[1],\"q\":\"5\"}",
                       false, &err),
                 err);
    ck_assert_str_eq(aoidc_json_str(j, "s"), "x");
    ck_assert_ptr_null(aoidc_json_str(j, "i"));
    ck_assert_ptr_null(aoidc_json_str(j, "n"));
    ck_assert_ptr_null(aoidc_json_str(j, "missing"));
    ck_assert_ptr_null(aoidc_json_str(NULL, "s"));

    ck_assert(aoidc_json_int(j, "i", &v));
    ck_assert_int_eq(v, 42);
    ck_assert(aoidc_json_int(j, "r", &v));
    ck_assert_int_eq(v, 1000);
    ck_assert(aoidc_json_int(j, "h", &v)); /* NumericDate may be fractional */
    ck_assert_int_eq(v, 1);
    ck_assert(aoidc_json_int(j, "neg", &v));
    ck_assert_int_eq(v, -3);
    ck_assert(aoidc_json_int(j, "big", &v));
    ck_assert_int_eq(v, INT64_MAX);
    v = -7;
    ck_assert(!aoidc_json_int(j, "huge", &v));
    ck_assert(!aoidc_json_int(j, "t", &v));
    ck_assert(!aoidc_json_int(j, "n", &v));
    ck_assert(!aoidc_json_int(j, "a", &v));
    ck_assert(!aoidc_json_int(j, "q", &v));
    ck_assert(!aoidc_json_int(j, "missing", &v));
    ck_assert_int_eq(v, -7); /* untouched on failure */
}
END_TEST

START_TEST(dump)
{
    json_t *j = json_pack("{s:[i,i], s:s}", "a", 1, 2, "b", "x\"y");
    ck_assert_str_eq(aoidc_json_dump(j, tp), "{\"a\":[1,2],\"b\":\"x\\\"y\"}");
    json_decref(j);
    j = json_string("x");
    ck_assert_str_eq(aoidc_json_dump(j, tp), "\"x\"");
    json_decref(j);
    ck_assert_str_eq(aoidc_json_dump(NULL, tp), "null");
}
END_TEST

/* json_fast.c: what it takes equals jansson's parse (values, types, key
 * order); what it leaves goes to jansson, whose verdict stands. */
static const struct {
    const char *in;
    bool fast; /* taken by the fast path */
    bool ok;   /* aoidc_json_parse accepts it */
} fast_cases[] = {
    {"{}", true, true},
    {" {\n\"a\" :\t1 ,\"b\":[ ]}\r\n", true, true},
    {"{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"k-1\"}", true, true},
    {"{\"aud\":[\"a\",\"b\"],\"exp\":1700003600,\"cnf\":{\"jkt\":\"x\"}}", true,
     true},
    {"{\"a\":true,\"b\":false,\"c\":null,\"d\":-0,\"e\":\"\"}", true, true},
    {"{\"n\":999999999999999999,\"m\":-999999999999999999}", true, true},
    {"{\"z\":1,\"a\":2,\"m\":3}", true, true},
    /* jansson's: valid but outside the subset */
    {"{\"a\":9223372036854775807}", false, true},
    {"{\"a\":1.5}", false, true},
    {"{\"a\":1e3}", false, true},
    {"{\"a\":\"x\\\"y\"}", false, true},
    {"{\"a\":\"\xc3\xa9\"}", false, true},
    {"[1]", false, false},
    /* jansson's refusals */
    {"{\"a\":1,\"a\":2}", false, false},
    {"{\"a\":01}", false, false},
    {"{\"a\":-}", false, false},
    {"{\"a\":1,}", false, false},
    {"{\"a\":[1,]}", false, false},
    {"{\"a\":tru}", false, false},
    {"{\"a\":truex}", false, false},
    {"{\"a\":\"\x01\"}", false, false},
    {"{\"a\":1}x", false, false},
    {"{\"a\":1}{}", false, false},
    {"{\"a\":1", false, false},
    {"{1:2}", false, false},
    {"\xef\xbb\xbf{}", false, false},
    {"", false, false},
};

START_TEST(fast_path_is_jansson)
{
    const char *in = fast_cases[_i].in;
    json_error_t je;
    json_t *fast = aoidc_json_fast(in, strlen(in)), *j;
    json_t *slow = json_loadb(in, strlen(in), JSON_REJECT_DUPLICATES, &je);
    aoidc_err_t err = {0};
    ck_assert_msg((fast != NULL) == fast_cases[_i].fast, "%s", in);
    if (fast) {
        ck_assert_ptr_nonnull(slow);
        ck_assert(json_equal(fast, slow));
        ck_assert_str_eq(aoidc_json_dump(fast, tp), aoidc_json_dump(slow, tp));
    }
    json_decref(fast);
    json_decref(slow);
    ck_assert_int_eq(aoidc_json_parse(&j, in, strlen(in), 4096, false, tp, &err)
                         == APR_SUCCESS,
                     fast_cases[_i].ok);
}
END_TEST

/* Nesting: the fast path takes what aoidc_json_parse's limit allows and
 * leaves one level more to jansson (and to the limit). */
static char *nest_arrays(int depth)
{
    char *s = apr_pcalloc(tp, (apr_size_t)(2 * depth + 8));
    strcpy(s, "{\"a\":");
    for (int i = 1; i < depth; i++) {
        strcat(s, "[");
    }
    for (int i = 1; i < depth; i++) {
        strcat(s, "]");
    }
    return strcat(s, "}");
}

START_TEST(fast_path_depth)
{
    const char *ok = nest_arrays(AOIDC_MAX_JSON_DEPTH);
    const char *over = nest_arrays(AOIDC_MAX_JSON_DEPTH + 1);
    json_t *j = aoidc_json_fast(ok, strlen(ok));
    ck_assert_msg(j != NULL, "%s", ok);
    json_decref(j);
    ck_assert_ptr_null(aoidc_json_fast(over, strlen(over)));
}
END_TEST

/* --- aoidc_json_fast_members ------------------------------------------ */

static bool members(aoidc_json_members_t *m, const char *in)
{
    return aoidc_json_fast_members(m, in, strlen(in), tp);
}

/* m is what jansson makes of in: keys, kinds, texts (aoidc_json_dump for
 * what is no string), integers, in order. */
static void members_are_jansson(const aoidc_json_members_t *m, const char *in)
{
    json_error_t je;
    json_t *j = json_loads(in, JSON_REJECT_DUPLICATES, &je), *v;
    const char *k;
    int i = 0;
    ck_assert_msg(j != NULL, "%s: %s", in, je.text);
    ck_assert_int_eq(m->n, (int)json_object_size(j));
    json_object_foreach(j, k, v)
    {
        const aoidc_json_member_t *x = &m->m[i++];
        ck_assert_str_eq(x->key, k);
        if (json_is_null(v)) {
            ck_assert_ptr_null(x->text);
        }
        else {
            ck_assert_str_eq(x->text, json_is_string(v)
                                          ? json_string_value(v)
                                          : aoidc_json_dump(v, tp));
        }
        if (json_is_integer(v)) {
            ck_assert_int_eq(x->i, json_integer_value(v));
        }
    }
    json_decref(j);
}

static const aoidc_json_member_t *member(const aoidc_json_members_t *m, int i,
                                         const char *key, int kind)
{
    ck_assert_int_lt(i, m->n);
    ck_assert_str_eq(m->m[i].key, key);
    ck_assert_int_eq(m->m[i].kind, kind);
    return &m->m[i];
}

START_TEST(members_at_jwt)
{
    static const char in[] =
        "{\"jti\":\"j-1\",\"iat\":1700000000,\"exp\":1700000600,"
        "\"scope\":\"openid api:read\",\"client_id\":\"client-1\","
        "\"iss\":\"https://op.example.com\",\"aud\":[\"api://default\","
        "\"client-1\"],\"sub\":\"alice\",\"cnf\":{\"jkt\":\"0ZcOCORZ\"}}";
    aoidc_json_members_t m;
    ck_assert(members(&m, in));
    ck_assert_int_eq(m.n, 9);
    ck_assert_str_eq(member(&m, 0, "jti", AOIDC_JM_STRING)->text, "j-1");
    ck_assert_int_eq(member(&m, 1, "iat", AOIDC_JM_INT)->i, 1700000000);
    ck_assert_str_eq(m.m[1].text, "1700000000");
    ck_assert_int_eq(member(&m, 2, "exp", AOIDC_JM_INT)->i, 1700000600);
    ck_assert_str_eq(member(&m, 3, "scope", AOIDC_JM_STRING)->text,
                     "openid api:read");
    ck_assert_str_eq(member(&m, 4, "client_id", AOIDC_JM_STRING)->text,
                     "client-1");
    ck_assert_str_eq(member(&m, 5, "iss", AOIDC_JM_STRING)->text,
                     "https://op.example.com");
    ck_assert_str_eq(member(&m, 6, "aud", AOIDC_JM_ARRAY)->text,
                     "[\"api://default\",\"client-1\"]");
    ck_assert_str_eq(member(&m, 7, "sub", AOIDC_JM_STRING)->text, "alice");
    ck_assert_str_eq(member(&m, 8, "cnf", AOIDC_JM_OBJECT)->text,
                     "{\"jkt\":\"0ZcOCORZ\"}");
    members_are_jansson(&m, in);
}
END_TEST

/* nested values become jansson's compact dump: no blanks between tokens,
 * the blanks inside strings kept */
START_TEST(members_compact_text)
{
    static const char in[] = " {\"a\": [1, {\"b\" : \"c\"}],\n\t\"s\" : "
                             "\"x y\" , \"o\":{ \"k\" :\r\n[ \" v \" , "
                             "true ,null, { } ,[ ] ] } } ";
    aoidc_json_members_t m;
    ck_assert(members(&m, in));
    ck_assert_int_eq(m.n, 3);
    ck_assert_str_eq(member(&m, 0, "a", AOIDC_JM_ARRAY)->text,
                     "[1,{\"b\":\"c\"}]");
    ck_assert_str_eq(member(&m, 1, "s", AOIDC_JM_STRING)->text, "x y");
    ck_assert_str_eq(member(&m, 2, "o", AOIDC_JM_OBJECT)->text,
                     "{\"k\":[\" v \",true,null,{},[]]}");
    members_are_jansson(&m, in);
}
END_TEST

START_TEST(members_literals)
{
    static const char in[] = "{\"t\":true,\"f\":false,\"n\":null,\"i\":-5,"
                             "\"z\":0,\"e\":\"\",\"\":1}";
    aoidc_json_members_t m;
    ck_assert(members(&m, in));
    ck_assert_int_eq(m.n, 7);
    ck_assert_str_eq(member(&m, 0, "t", AOIDC_JM_TRUE)->text, "true");
    ck_assert_str_eq(member(&m, 1, "f", AOIDC_JM_FALSE)->text, "false");
    ck_assert_ptr_null(member(&m, 2, "n", AOIDC_JM_NULL)->text);
    ck_assert_int_eq(member(&m, 3, "i", AOIDC_JM_INT)->i, -5);
    ck_assert_str_eq(m.m[3].text, "-5");
    ck_assert_int_eq(member(&m, 4, "z", AOIDC_JM_INT)->i, 0);
    ck_assert_str_eq(m.m[4].text, "0");
    ck_assert_str_eq(member(&m, 5, "e", AOIDC_JM_STRING)->text, "");
    ck_assert_int_eq(member(&m, 6, "", AOIDC_JM_INT)->i, 1);
    members_are_jansson(&m, in);
}
END_TEST

START_TEST(members_empty)
{
    aoidc_json_members_t m = {(const aoidc_json_member_t *)1, 7};
    ck_assert(members(&m, " { } "));
    ck_assert_int_eq(m.n, 0);
    ck_assert_ptr_nonnull(m.m);
}
END_TEST

/* what the members refuse (aoidc_json_fast_members false, m NULL), and
 * whether aoidc_json_fast still takes it (-0 only: jansson writes 0) */
static const struct {
    const char *in;
    bool ok, fast;
} member_cases[] = {
    {"{\"a\":-0}", false, true},
    {"{\"a\":[1,-0]}", false, true},
    {"{\"a\":{\"b\":-0}}", false, true},
    {"{\"a\":-1,\"b\":-10,\"c\":[-100]}", true, true},
    {"{\"a\":1.5}", false, false},
    {"{\"a\":[1e3]}", false, false},
    {"{\"a\":0.0}", false, false},
    {"{\"a\":01}", false, false},
    {"{\"a\":\"x\\ny\"}", false, false},
    {"{\"a\\u0062\":1}", false, false},
    {"{\"a\":[\"\\/\"]}", false, false},
    {"{\"a\":\"caf\xc3\xa9\"}", false, false},
    {"{\"a\":1,\"a\":2}", false, false},
    {"{\"o\":{\"b\":1,\"b\":2}}", false, false},
    {"{\"o\":[{\"b\":1},{\"b\":2}]}", true, true},
    {"{\"a\":1}x", false, false},
    {"{\"a\":1},", false, false},
    {"{\"a\":1}{}", false, false},
    {"{\"a\":1", false, false},
    {"{\"a\":1,}", false, false},
    {"{\"a\":[1,]}", false, false},
    {"{\"a\"}", false, false},
    {"{\"a\":tru}", false, false},
    {"{\"a\":-}", false, false},
    {"{\"a\":123456789012345678}", true, true},
    {"{\"a\":-123456789012345678}", true, true},
    {"{\"a\":1234567890123456789}", false, false},
    {"{\"a\":[1234567890123456789]}", false, false},
    {"[]", false, false},
    {"", false, false},
    {"  ", false, false},
};

START_TEST(members_refusals)
{
    const char *in = member_cases[_i].in;
    aoidc_json_members_t m = {(const aoidc_json_member_t *)1, 7};
    json_t *fast = aoidc_json_fast(in, strlen(in));
    ck_assert_msg(members(&m, in) == member_cases[_i].ok, "%s", in);
    ck_assert_msg((fast != NULL) == member_cases[_i].fast, "%s", in);
    json_decref(fast);
    if (member_cases[_i].ok) {
        members_are_jansson(&m, in);
    }
    else {
        /* jws.c and bearer.c tell the paths apart by m */
        ck_assert_ptr_null(m.m);
        ck_assert_int_eq(m.n, 0);
    }
}
END_TEST

/* n members "kI":I, or nested: in an object under "o" */
static char *n_members(int n, bool nested)
{
    char *s = apr_pstrdup(tp, nested ? "{\"o\":{" : "{");
    for (int i = 0; i < n; i++) {
        s = apr_psprintf(tp, "%s%s\"k%d\":%d", s, i ? "," : "", i, i);
    }
    return apr_pstrcat(tp, s, nested ? "}}" : "}", NULL);
}

START_TEST(members_limits)
{
    aoidc_json_members_t m;
    json_t *j;
    ck_assert(members(&m, n_members(AOIDC_JSON_FAST_MEMBERS, false)));
    ck_assert_int_eq(m.n, 128);
    ck_assert_int_eq(member(&m, 127, "k127", AOIDC_JM_INT)->i, 127);
    ck_assert_str_eq(m.m[16].key, "k16"); /* past the first growth */
    ck_assert(!members(&m, n_members(AOIDC_JSON_FAST_MEMBERS + 1, false)));
    ck_assert(members(&m, n_members(32, true)));
    ck_assert_int_eq(m.n, 1);
    ck_assert_str_eq(member(&m, 0, "o", AOIDC_JM_OBJECT)->text,
                     n_members(32, false));
    ck_assert(!members(&m, n_members(33, true)));
    ck_assert_ptr_null(m.m);
    /* both are the fast path's still */
    j = aoidc_json_fast(n_members(129, false), strlen(n_members(129, false)));
    ck_assert_ptr_nonnull(j);
    json_decref(j);
    j = aoidc_json_fast(n_members(33, true), strlen(n_members(33, true)));
    ck_assert_ptr_nonnull(j);
    json_decref(j);
    /* 33 in an object inside an array */
    ck_assert(!members(
        &m, apr_pstrcat(tp, "{\"a\":[", n_members(33, false), "]}", NULL)));
}
END_TEST

/* AOIDC_MAX_JSON_DEPTH counts the document's own braces: the top object
 * is level 1, as in aoidc_json_fast and aoidc_json_parse */
START_TEST(members_depth)
{
    aoidc_json_members_t m;
    const char *ok = nest_arrays(AOIDC_MAX_JSON_DEPTH);
    const char *over = nest_arrays(AOIDC_MAX_JSON_DEPTH + 1);
    char *objs = apr_pstrdup(tp, "1");
    ck_assert(members(&m, ok));
    member(&m, 0, "a", AOIDC_JM_ARRAY);
    members_are_jansson(&m, ok);
    ck_assert(!members(&m, over));
    for (int i = 0; i < AOIDC_MAX_JSON_DEPTH; i++) {
        objs = apr_psprintf(tp, "{\"a\":%s}", objs);
    }
    ck_assert(members(&m, objs));
    ck_assert(!members(&m, apr_psprintf(tp, "{\"a\":%s}", objs)));
}
END_TEST

START_TEST(members_array_strings)
{
    const char **s;
    int n;
    aoidc_json_fast_strings(
        &s, &n, "[\"a\",1,null,{\"x\":\"y\"},[\"z\"],true,\"b\"]", tp);
    ck_assert_int_eq(n, 7);
    ck_assert_str_eq(s[0], "a");
    for (int i = 1; i < 6; i++) {
        ck_assert_ptr_null(s[i]);
    }
    ck_assert_str_eq(s[6], "b");
    aoidc_json_fast_strings(&s, &n, "[]", tp);
    ck_assert_int_eq(n, 0);
    aoidc_json_fast_strings(&s, &n, "[\"\"]", tp);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(s[0], "");
}
END_TEST

TCase *aoidc_json_tcase(void)
{
    TCase *tc = aoidc_test_tcase("json");
    tcase_add_test(tc, object_ok);
    tcase_add_test(tc, owned_by_pool);
    tcase_add_test(tc, not_object);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, raw_nul_refused);
    tcase_add_test(tc, max_len);
    tcase_add_test(tc, depth_limit);
    tcase_add_test(tc, depth_ignores_strings);
    tcase_add_test(tc, getters);
    tcase_add_test(tc, dump);
    tcase_add_loop_test(tc, fast_path_is_jansson, 0,
                        (int)(sizeof(fast_cases) / sizeof(fast_cases[0])));
    tcase_add_test(tc, fast_path_depth);
    tcase_add_test(tc, members_at_jwt);
    tcase_add_test(tc, members_compact_text);
    tcase_add_test(tc, members_literals);
    tcase_add_test(tc, members_empty);
    tcase_add_loop_test(tc, members_refusals, 0,
                        (int)(sizeof(member_cases) / sizeof(member_cases[0])));
    tcase_add_test(tc, members_limits);
    tcase_add_test(tc, members_depth);
    tcase_add_test(tc, members_array_strings);
    return tc;
}
