/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The common shape of JWT headers and claims, parsed without jansson's
 * lexer (json.h, aoidc_json_fast). jansson reads a character at a time
 * through a stream with UTF-8 decoding and a string buffer: ~140
 * instructions a byte, 45k for an access token's header and claims, the
 * largest cost of a first-sight token after the signature. Here a byte
 * costs a few instructions; the values are still jansson's (json_t). Two
 * readers build nothing at all: aoidc_json_fast_jose (a header's alg,
 * kid, typ, crit) and aoidc_json_fast_members (an object's members as
 * key, kind and text), for a first-sight token's header and claims.
 *
 * The subset: objects and arrays, strings of printable ASCII without
 * escapes, integers of at most 18 digits, true, false, null, the four JSON
 * blanks. Anything else (an escape, a byte outside 0x20-0x7e, a real, a
 * leading zero, a duplicate key, a key of 256 bytes or more, any error) is
 * "not mine": NULL, and jansson decides, so every refusal and every
 * message stays jansson's.
 */
#include <string.h>

#include "core/json.h"

typedef struct {
    const unsigned char *s, *end;
    int depth;
} rd_t;

static json_t *value(rd_t *r);

static inline void blanks(rd_t *r)
{
    while (
        r->s < r->end
        && (*r->s == ' ' || *r->s == '\n' || *r->s == '\r' || *r->s == '\t')) {
        r->s++;
    }
}

static inline bool next_is(rd_t *r, unsigned char c)
{
    blanks(r);
    if (r->s < r->end && *r->s == c) {
        r->s++;
        return true;
    }
    return false;
}

/* Printable ASCII but '"' and '\\': what a plain string holds. A table,
 * since every byte of every string of every token is tested. */
static const unsigned char plain[256] = {
    [0x20 ... 0x21] = 1,
    [0x23 ... 0x5b] = 1,
    [0x5d ... 0x7e] = 1,
};

/* At a '"': the characters up to the closing quote, none of them special. */
static inline bool plain_string(rd_t *r, const char **start, apr_size_t *len)
{
    const unsigned char *b;
    if (r->s >= r->end || *r->s != '"') {
        return false;
    }
    b = ++r->s;
    while (r->s < r->end && plain[*r->s]) {
        r->s++;
    }
    if (r->s >= r->end || *r->s != '"') {
        return false; /* an escape, a control or non-ASCII byte, the end */
    }
    *start = (const char *)b;
    *len = (apr_size_t)(r->s - b);
    r->s++;
    return true;
}

/* RFC 8259 §6 int = "0" / digit1-9 *DIGIT, with an optional minus, and
 * not followed by a fraction or an exponent (a real: jansson's). */
static bool int_scan(rd_t *r, json_int_t *out)
{
    bool neg = r->s < r->end && *r->s == '-';
    json_int_t v = 0;
    int n = 0;
    r->s += neg;
    if (r->s >= r->end || *r->s < '0' || *r->s > '9'
        || (*r->s == '0' && r->s + 1 < r->end && r->s[1] >= '0'
            && r->s[1] <= '9')) {
        return false;
    }
    while (r->s < r->end && *r->s >= '0' && *r->s <= '9') {
        if (++n > 18) {
            return false; /* jansson's range check */
        }
        v = v * 10 + (*r->s++ - '0');
    }
    if (r->s < r->end && (*r->s == '.' || *r->s == 'e' || *r->s == 'E')) {
        return false;
    }
    *out = neg ? -v : v;
    return true;
}

static json_t *integer(rd_t *r)
{
    json_int_t v;
    return int_scan(r, &v) ? json_integer(v) : NULL;
}

static json_t *literal(rd_t *r, const char *word, apr_size_t n, json_t *v)
{
    if ((apr_size_t)(r->end - r->s) < n || memcmp(r->s, word, n)) {
        return NULL;
    }
    r->s += n;
    return v;
}

static json_t *object(rd_t *r)
{
    json_t *o = json_object();
    char key[256];
    r->s++; /* '{' */
    if (!o || next_is(r, '}')) {
        return o;
    }
    do {
        const char *k;
        apr_size_t kl, before = json_object_size(o);
        json_t *v;
        blanks(r);
        if (!plain_string(r, &k, &kl) || kl >= sizeof(key)
            || !next_is(r, ':')) {
            break;
        }
        memcpy(key, k, kl);
        key[kl] = '\0';
        blanks(r);
        /* a set that does not grow the object replaced a duplicate */
        if (!(v = value(r)) || json_object_set_new_nocheck(o, key, v)
            || json_object_size(o) == before) {
            break;
        }
        if (next_is(r, '}')) {
            return o;
        }
    } while (next_is(r, ','));
    json_decref(o);
    return NULL;
}

static json_t *array(rd_t *r)
{
    json_t *a = json_array();
    r->s++; /* '[' */
    if (!a || next_is(r, ']')) {
        return a;
    }
    do {
        json_t *v;
        blanks(r);
        if (!(v = value(r)) || json_array_append_new(a, v)) {
            break;
        }
        if (next_is(r, ']')) {
            return a;
        }
    } while (next_is(r, ','));
    json_decref(a);
    return NULL;
}

static json_t *value(rd_t *r)
{
    const char *s;
    apr_size_t n;
    json_t *v = NULL;
    if (r->s >= r->end) {
        return NULL;
    }
    switch (*r->s) {
    case '"':
        return plain_string(r, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
    case '{':
    case '[':
        if (++r->depth <= AOIDC_MAX_JSON_DEPTH) {
            v = *r->s == '{' ? object(r) : array(r);
        }
        r->depth--;
        return v;
    case 't':
        return literal(r, "true", 4, json_true());
    case 'f':
        return literal(r, "false", 5, json_false());
    case 'n':
        return literal(r, "null", 4, json_null());
    default:
        return integer(r);
    }
}

json_t *aoidc_json_fast(const char *in, apr_size_t len)
{
    rd_t r = {(const unsigned char *)in, (const unsigned char *)in + len, 0};
    json_t *j;
    blanks(&r);
    if (r.s >= r.end || *r.s != '{' || !(j = value(&r))) {
        return NULL;
    }
    blanks(&r);
    if (r.s != r.end) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* --- a top-level object walked member by member ----------------------- */

typedef struct {
    const char *k;
    apr_size_t n;
} span_t;

static bool seen_key(const span_t *keys, int n, const char *k, apr_size_t kl)
{
    for (int i = 0; i < n; i++) {
        /* k[0] is readable even for "": the closing quote */
        if (keys[i].n == kl && keys[i].k[0] == k[0]
            && !memcmp(keys[i].k, k, kl)) {
            return true;
        }
    }
    return false;
}

/* Reads a member's value at r->s (true: taken, false: not mine). */
typedef bool (*member_fn)(void *arg, const char *k, apr_size_t kl, rd_t *r);

/* in as one object of at most max members (keys: room for them), walked as
 * object() walks it, with its limits (a key of 256 bytes or more, or seen
 * twice, is jansson's to judge); take reads each value. */
static bool walk_object(const char *in, apr_size_t len, span_t *keys, int max,
                        member_fn take, void *arg)
{
    rd_t r = {(const unsigned char *)in, (const unsigned char *)in + len, 1};
    int n = 0;
    blanks(&r);
    if (r.s >= r.end || *r.s != '{') {
        return false;
    }
    r.s++;
    if (!next_is(&r, '}')) {
        do {
            const char *k;
            apr_size_t kl;
            blanks(&r);
            if (n == max || !plain_string(&r, &k, &kl) || kl >= 256
                || !next_is(&r, ':') || seen_key(keys, n, k, kl)) {
                return false;
            }
            keys[n].k = k;
            keys[n++].n = kl;
            blanks(&r);
            if (!take(arg, k, kl, &r)) {
                return false;
            }
            if (next_is(&r, '}')) {
                break;
            }
            if (!next_is(&r, ',')) {
                return false;
            }
        } while (true);
    }
    blanks(&r);
    return r.s == r.end;
}

/* --- a JOSE header read in place (json.h, aoidc_json_fast_jose) --------- */

#define JOSE_MAX_MEMBERS 16

static bool skip(rd_t *r);

/* A member value that is no object or array: its kind, for a string its
 * bytes (not copied). False for anything else (then jansson judges; also
 * for -0, which skip() leaves to it). */
static bool flat_value(rd_t *r, bool *str, const char **v, apr_size_t *n)
{
    *str = r->s < r->end && *r->s == '"';
    if (*str) {
        return plain_string(r, v, n);
    }
    return r->s < r->end && *r->s != '{' && *r->s != '[' && skip(r);
}

/* One of the members the caller reads: its value, copied into p. */
static void jose_take(aoidc_json_jose_t *h, const char *k, apr_size_t kl,
                      bool str, const char *v, apr_size_t n, apr_pool_t *p)
{
    const char **slot = NULL;
    bool *other = NULL;
    if (kl == 3 && !memcmp(k, "alg", 3)) {
        slot = &h->alg, other = &h->alg_other;
    }
    else if (kl == 3 && !memcmp(k, "kid", 3)) {
        slot = &h->kid, other = &h->kid_other;
    }
    else if (kl == 3 && !memcmp(k, "typ", 3)) {
        slot = &h->typ, other = &h->typ_other;
    }
    else if (kl == 4 && !memcmp(k, "crit", 4)) {
        h->crit = true;
        return;
    }
    if (slot && str) {
        *slot = apr_pstrmemdup(p, v, n);
    }
    else if (slot) {
        *other = true;
    }
}

typedef struct {
    aoidc_json_jose_t *h;
    apr_pool_t *p;
} jose_ctx_t;

static bool jose_member(void *arg, const char *k, apr_size_t kl, rd_t *r)
{
    jose_ctx_t *c = arg;
    const char *v = NULL;
    apr_size_t n = 0;
    bool str;
    if (!flat_value(r, &str, &v, &n)) {
        return false;
    }
    jose_take(c->h, k, kl, str, v, n, c->p);
    return true;
}

bool aoidc_json_fast_jose(aoidc_json_jose_t *h, const char *in, apr_size_t len,
                          apr_pool_t *p)
{
    span_t keys[JOSE_MAX_MEMBERS];
    jose_ctx_t c = {h, p};
    memset(h, 0, sizeof(*h));
    return walk_object(in, len, keys, JOSE_MAX_MEMBERS, jose_member, &c);
}

/* --- an object's members without jansson values (aoidc_json_fast_members)
 * --------------------------------------------------------------------------
 * The same grammar and limits as value() above, walked without building
 * anything; what a member's value is becomes its text, copied once. */

#define NESTED_MEMBERS 32

/* An integer as integer() takes it, but not -0: jansson writes it as 0,
 * and a member's text must be what jansson writes. */
static bool int_text(rd_t *r, json_int_t *v)
{
    const unsigned char *b = r->s;
    return int_scan(r, v) && !(*v == 0 && *b == '-');
}

/* An object or an array, at its opening bracket: members (key, ':', a
 * value) or elements, as object() and array() take them. */
static bool skip_container(rd_t *r)
{
    bool obj = *r->s == '{';
    unsigned char close = obj ? '}' : ']';
    span_t keys[NESTED_MEMBERS];
    int n = 0;
    r->s++;
    if (next_is(r, close)) {
        return true;
    }
    do {
        const char *k;
        apr_size_t kl;
        blanks(r);
        if (obj) {
            if (n == NESTED_MEMBERS || !plain_string(r, &k, &kl) || kl >= 256
                || !next_is(r, ':') || seen_key(keys, n, k, kl)) {
                return false;
            }
            keys[n].k = k;
            keys[n++].n = kl;
            blanks(r);
        }
        if (!skip(r)) {
            return false;
        }
        if (next_is(r, close)) {
            return true;
        }
    } while (next_is(r, ','));
    return false;
}

/* A value that value() would take, stepped over. */
static bool skip(rd_t *r)
{
    const char *s;
    apr_size_t n;
    json_int_t i;
    bool ok = false;
    if (r->s >= r->end) {
        return false;
    }
    switch (*r->s) {
    case '"':
        return plain_string(r, &s, &n);
    case '{':
    case '[':
        if (++r->depth <= AOIDC_MAX_JSON_DEPTH) {
            ok = skip_container(r);
        }
        r->depth--;
        return ok;
    case 't':
        return literal(r, "true", 4, json_true()) != NULL;
    case 'f':
        return literal(r, "false", 5, json_false()) != NULL;
    case 'n':
        return literal(r, "null", 4, json_null()) != NULL;
    default:
        return int_text(r, &i);
    }
}

/* [b, e) of a nested value as jansson's compact dump writes it: without
 * the blanks between tokens (strings hold no escape, so every '"' opens
 * or closes one). NUL-terminated at *o, which moves past it. */
static const char *compact(char **o, const unsigned char *b,
                           const unsigned char *e)
{
    char *start = *o, *d = start;
    bool in = false;
    for (; b < e; b++) {
        in ^= *b == '"';
        if (in || (*b != ' ' && *b != '\n' && *b != '\r' && *b != '\t')) {
            *d++ = (char)*b;
        }
    }
    *d++ = '\0';
    *o = d;
    return start;
}

static const char *copy(char **o, const char *s, apr_size_t n)
{
    char *d = *o;
    memcpy(d, s, n);
    d[n] = '\0';
    *o = d + n + 1;
    return d;
}

/* The value at r->s into m (its text copied at *o). */
static bool member_value(rd_t *r, aoidc_json_member_t *m, char **o)
{
    const unsigned char *b = r->s;
    const char *s;
    apr_size_t n;
    json_int_t i;
    switch (r->s < r->end ? *r->s : 0) {
    case '"':
        m->kind = AOIDC_JM_STRING;
        return plain_string(r, &s, &n) && (m->text = copy(o, s, n));
    case '{':
    case '[':
        m->kind = *r->s == '{' ? AOIDC_JM_OBJECT : AOIDC_JM_ARRAY;
        return skip(r) && (m->text = compact(o, b, r->s));
    case 't':
        m->kind = AOIDC_JM_TRUE;
        return literal(r, "true", 4, json_true()) && (m->text = "true");
    case 'f':
        m->kind = AOIDC_JM_FALSE;
        return literal(r, "false", 5, json_false()) && (m->text = "false");
    case 'n':
        m->kind = AOIDC_JM_NULL;
        return literal(r, "null", 4, json_null()) != NULL;
    case 0:
        return false;
    default:
        m->kind = AOIDC_JM_INT;
        m->i = 0;
        if (!int_text(r, &i)) {
            return false;
        }
        m->i = (apr_int64_t)i;
        m->text = copy(o, (const char *)b, (apr_size_t)(r->s - b));
        return true;
    }
}

typedef struct {
    aoidc_json_member_t *m;
    int n, cap;
    char *o; /* where the next key or text is copied */
    apr_pool_t *p;
} members_ctx_t;

static bool member(void *arg, const char *k, apr_size_t kl, rd_t *r)
{
    members_ctx_t *c = arg;
    if (c->n == c->cap) {
        aoidc_json_member_t *g = apr_palloc(c->p, 2 * c->cap * sizeof(*g));
        memcpy(g, c->m, c->cap * sizeof(*g));
        c->m = g;
        c->cap *= 2;
    }
    memset(&c->m[c->n], 0, sizeof(c->m[c->n]));
    c->m[c->n].key = copy(&c->o, k, kl);
    return member_value(r, &c->m[c->n++], &c->o);
}

bool aoidc_json_fast_members(aoidc_json_members_t *out, const char *in,
                             apr_size_t len, apr_pool_t *p)
{
    span_t keys[AOIDC_JSON_FAST_MEMBERS];
    /* every key and text is a copy of bytes of in, NUL-terminated: within
     * len plus two NULs a member */
    members_ctx_t c = {apr_palloc(p, 16 * sizeof(aoidc_json_member_t)), 0, 16,
                       apr_palloc(p, len + 2 * AOIDC_JSON_FAST_MEMBERS + 1), p};
    out->m = NULL;
    out->n = 0;
    if (!walk_object(in, len, keys, AOIDC_JSON_FAST_MEMBERS, member, &c)) {
        return false;
    }
    out->m = c.m; /* never NULL on success, even for {} */
    out->n = c.n;
    return true;
}

void aoidc_json_fast_strings(const char ***s, int *n, const char *text,
                             apr_pool_t *p)
{
    rd_t r = {(const unsigned char *)text,
              (const unsigned char *)text + strlen(text), 0};
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    if (r.s < r.end && *r.s == '[') {
        r.s++;
        while (!next_is(&r, ']')) {
            const char *v, *str = NULL;
            apr_size_t vl;
            blanks(&r);
            if (r.s < r.end && *r.s == '"') {
                if (!plain_string(&r, &v, &vl)) {
                    break;
                }
                str = apr_pstrmemdup(p, v, vl);
            }
            else if (!skip(&r)) {
                break;
            }
            APR_ARRAY_PUSH(a, const char *) = str;
            if (!next_is(&r, ',')) {
                break;
            }
        }
    }
    *s = (const char **)a->elts;
    *n = a->nelts;
}
