/* SPDX-License-Identifier: Apache-2.0 */
/* Claim flattening, header-safety rules and the list codec. */
#include <string.h>

#include <apr_hash.h>
#include <apr_lib.h>

#include "core/claims.h"
#include "core/json.h"

/* RFC 9110 §5.6.2 tchar, as a table (every claim name of every token
 * goes through it): ALPHA / DIGIT / "!#$%&'*+-.^_`|~", ASCII only. */
static const unsigned char tchar[256] = {
    ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['!'] = 1,
    ['#'] = 1,         ['$'] = 1,         ['%'] = 1,         ['&'] = 1,
    ['\''] = 1,        ['*'] = 1,         ['+'] = 1,         ['-'] = 1,
    ['.'] = 1,         ['^'] = 1,         ['_'] = 1,         ['`'] = 1,
    ['|'] = 1,         ['~'] = 1,
};

bool aoidc_claims_is_token(const char *name)
{
    const unsigned char *c = (const unsigned char *)name;
    if (!name || !*name) {
        return false;
    }
    while (tchar[*c]) {
        c++;
    }
    return *c == '\0';
}

const char *aoidc_claims_safe_name(const char *name, apr_pool_t *p)
{
    char *out;
    if (!name || !*name || strlen(name) > AOIDC_CLAIM_MAX_NAME) {
        return NULL;
    }
    if (aoidc_claims_is_token(name)) {
        return name;
    }
    out = apr_pstrdup(p, name);
    for (char *c = out; *c; c++) {
        if (!tchar[(unsigned char)*c]) {
            *c = '_';
        }
    }
    return out;
}

static bool value_ok(const char *v)
{
    const unsigned char *c = (const unsigned char *)v;
    for (; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            return false;
        }
    }
    return (apr_size_t)(c - (const unsigned char *)v) <= AOIDC_CLAIM_MAX_VALUE;
}

static aoidc_claim_t *find(apr_array_header_t *l, const char *name)
{
    for (int i = 0; i < l->nelts; i++) {
        aoidc_claim_t *c = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
        /* the first byte inline: a hit's lookups (cnf, the user claim)
         * mostly miss on it, without a call */
        if (c->name[0] == name[0] && !strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

/* A byte as it counts in a header or CGI variable name: ASCII case and '-'
 * against '_' fold (HTTP field names are ASCII-case-insensitive; inline,
 * not the C library's locale-aware tolower: each pair of names meets
 * here once per token). */
static char header_char(char c)
{
    return c == '-' ? '_' : (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool aoidc_claims_same_header(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        if (header_char(*a) != header_char(*b)) {
            return false;
        }
    }
    return *a == *b;
}

/* The entry called name, else the first whose header (and CGI variable)
 * would be the same as name's ("groups" and "Groups", "x-a" and "x_a"
 * become one HTTP_OIDC_CLAIM_...; *collision true): one pass, the first
 * byte compared inline (most names differ there). */
static aoidc_claim_t *find_slot(apr_array_header_t *l, const char *name,
                                bool *collision)
{
    aoidc_claim_t *first = NULL;
    char h0 = header_char(name[0]);
    for (int i = 0; i < l->nelts; i++) {
        aoidc_claim_t *c = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
        if (header_char(c->name[0]) != h0
            || !aoidc_claims_same_header(c->name, name)) {
            continue;
        }
        if (!strcmp(c->name, name)) {
            *collision = false;
            return c;
        }
        first = first ? first : c;
    }
    *collision = first != NULL;
    return first;
}

static bool is_kept(const char *name, const char *const *keep)
{
    /* first bytes inline: most names are none of these */
    if (name[0] == 's' && !strcmp(name, "sub")) {
        return true;
    }
    for (; keep && *keep; keep++) {
        if (name[0] == (*keep)[0] && !strcmp(name, *keep)) {
            return true;
        }
    }
    return false;
}

/* Room for a kept claim in a full list: the last entry that is not kept
 * gives way, so sub (or the REMOTE_USER claim) never falls off the end
 * because the OP listed 64 others first. NULL when every entry is kept. */
static aoidc_claim_t *evictable(apr_array_header_t *l, const char *const *keep)
{
    for (int i = l->nelts - 1; i >= 0; i--) {
        aoidc_claim_t *c = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
        if (!is_kept(c->name, keep)) {
            return c;
        }
    }
    return NULL;
}

static void add_one(apr_array_header_t *list, const aoidc_claim_t *c,
                    const char *const *keep)
{
    bool collision;
    aoidc_claim_t *slot = find_slot(list, c->name, &collision);
    bool kept = is_kept(c->name, keep);
    /* first one wins, unless the newcomer is exactly a kept name */
    if (collision && (!kept || is_kept(slot->name, keep))) {
        return;
    }
    if (!slot && list->nelts < AOIDC_MAX_CLAIMS) {
        slot = apr_array_push(list);
    }
    if (!slot && kept) {
        slot = evictable(list, keep);
    }
    if (slot) {
        *slot = *c;
    }
}

/* Names of one document that map to one name: only a mapped name (one
 * that is not its key) can meet another, the keys of an object being
 * distinct. So the names are only listed until the first mapped one; from
 * then on they are looked up in a hash. */
typedef struct {
    apr_array_header_t *names;
    apr_hash_t *h;
} seen_t;

static bool seen_before(seen_t *s, const char *name, bool mapped, apr_pool_t *p)
{
    if (!s->h && !mapped) {
        APR_ARRAY_PUSH(s->names, const char *) = name;
        return false;
    }
    if (!s->h) {
        s->h = apr_hash_make(p);
        for (int i = 0; i < s->names->nelts; i++) {
            apr_hash_set(s->h, APR_ARRAY_IDX(s->names, i, const char *),
                         APR_HASH_KEY_STRING, "");
        }
    }
    if (apr_hash_get(s->h, name, APR_HASH_KEY_STRING)) {
        return true;
    }
    apr_hash_set(s->h, name, APR_HASH_KEY_STRING, "");
    return false;
}

static bool left_out(const char *key)
{
    /* protocol values, not claims about the user (first byte inline) */
    return (key[0] == 'n' && !strcmp(key, "nonce"))
           || (key[0] == 'a' && !strcmp(key, "at_hash"))
           || (key[0] == 'c' && !strcmp(key, "c_hash"));
}

/* Compact JSON of a value that is not a string: an integer written as
 * jansson writes it ("%" JSON_INTEGER_FORMAT), without its dump machinery
 * (exp and iat are in every token); the rest by jansson. */
static const char *json_text(const json_t *v, apr_pool_t *p)
{
    if (json_is_integer(v)) {
        char buf[24], *e = buf + sizeof(buf), *d = e;
        json_int_t i = json_integer_value(v);
        unsigned long long u =
            i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
        do {
            *--d = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (i < 0) {
            *--d = '-';
        }
        return apr_pstrmemdup(p, d, (apr_size_t)(e - d));
    }
    if (json_is_boolean(v)) {
        return json_is_true(v) ? "true" : "false";
    }
    return aoidc_json_dump(v, p);
}

/* names and string values point into obj, which the caller owns: copy
 * them (all the list's strings, in one block) so the list outlives it */
static void copy_strings(apr_array_header_t *list, apr_pool_t *p)
{
    /* each length measured once (a list has at most AOIDC_MAX_CLAIMS
     * entries; a longer one, which add_one never makes, is measured
     * again) */
    apr_size_t total = 0, len[2 * AOIDC_MAX_CLAIMS];
    bool kept = list->nelts <= AOIDC_MAX_CLAIMS;
    char *b;
    for (int i = 0; i < list->nelts; i++) {
        aoidc_claim_t *c = &APR_ARRAY_IDX(list, i, aoidc_claim_t);
        apr_size_t n = strlen(c->name) + 1, v = strlen(c->value) + 1;
        if (kept) {
            len[2 * i] = n;
            len[2 * i + 1] = v;
        }
        total += n + v;
    }
    b = apr_palloc(p, total ? total : 1);
    for (int i = 0; i < list->nelts; i++) {
        aoidc_claim_t *c = &APR_ARRAY_IDX(list, i, aoidc_claim_t);
        apr_size_t n = kept ? len[2 * i] : strlen(c->name) + 1;
        apr_size_t v = kept ? len[2 * i + 1] : strlen(c->value) + 1;
        c->name = memcpy(b, c->name, n);
        c->value = memcpy(b + n, c->value, v);
        b += n + v;
    }
}

/* One document's members going into a list, one at a time. */
typedef struct {
    apr_array_header_t *list;
    seen_t seen;
    const char *const *keep;
    apr_pool_t *p;
} adder_t;

static void adder_init(adder_t *a, apr_array_header_t *list,
                       const char *const *keep, apr_pool_t *p)
{
    a->list = list ? list : apr_array_make(p, 16, sizeof(aoidc_claim_t));
    a->seen.names = apr_array_make(p, 16, sizeof(const char *));
    a->seen.h = NULL;
    a->keep = keep;
    a->p = p;
}

/* A member that is not null; value: what it gives (made only when the name
 * can be used, a JSON dump being the dear part). clean: the value is known
 * to be printable ASCII (a member read by aoidc_json_fast_members: its
 * strings are plain, its JSON compact), so only its length is checked. */
typedef const char *(*value_fn)(const void *v, apr_pool_t *p);

static void add_member(adder_t *a, const char *key, bool is_json, bool clean,
                       value_fn value, const void *v)
{
    aoidc_claim_t c = {aoidc_claims_safe_name(key, a->p), NULL, is_json};
    if (!c.name || left_out(key)) {
        return;
    }
    /* two names of one document that map to one name: the first wins, as
     * for header collisions (a later document, userinfo, still replaces
     * the ID Token's claim of the same name) */
    if (seen_before(&a->seen, c.name, c.name != key, a->p)) {
        return;
    }
    /* JSON encoding escapes control characters inside arrays and objects,
     * so only plain strings can carry raw CR/LF. */
    c.value = value(v, a->p);
    if (clean ? strlen(c.value) > AOIDC_CLAIM_MAX_VALUE : !value_ok(c.value)) {
        return;
    }
    add_one(a->list, &c, a->keep);
}

static const char *json_value(const void *v, apr_pool_t *p)
{
    return json_is_string((const json_t *)v)
               ? json_string_value((const json_t *)v)
               : json_text(v, p);
}

apr_array_header_t *aoidc_claims_add_json_keep(apr_array_header_t *list,
                                               const json_t *obj,
                                               const char *const *keep,
                                               apr_pool_t *p)
{
    const char *key;
    json_t *v;
    adder_t a;
    adder_init(&a, list, keep, p);
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!json_is_null(v)) {
            add_member(&a, key, !json_is_string(v), false, json_value, v);
        }
    }
    copy_strings(a.list, p);
    return a.list;
}

static const char *member_text(const void *v, apr_pool_t *p)
{
    (void)p;
    return ((const aoidc_json_member_t *)v)->text;
}

apr_array_header_t *aoidc_claims_from_members(const aoidc_json_members_t *m,
                                              const char *const *keep,
                                              apr_pool_t *p)
{
    adder_t a;
    adder_init(&a, NULL, keep, p);
    for (int i = 0; i < m->n; i++) {
        const aoidc_json_member_t *x = &m->m[i];
        if (x->kind != AOIDC_JM_NULL) {
            add_member(&a, x->key, x->kind != AOIDC_JM_STRING, true,
                       member_text, x);
        }
    }
    /* the members' keys and texts outlive the list already: no copy */
    return a.list;
}

apr_array_header_t *aoidc_claims_add_json(apr_array_header_t *list,
                                          const json_t *obj, apr_pool_t *p)
{
    return aoidc_claims_add_json_keep(list, obj, NULL, p);
}

apr_status_t aoidc_claims_user(const char **user, const apr_array_header_t *l,
                               const char *claim, apr_pool_t *p,
                               aoidc_err_t *err)
{
    const aoidc_claim_t *c = NULL;
    *user = NULL;
    if (claim && *claim) {
        c = aoidc_claims_get(l, claim);
    }
    if (!c) {
        c = aoidc_claims_get(l, "sub"); /* docs/directives.md: fallback */
    }
    /* an array or object is no user name; an empty string would make
     * Require valid-user pass for nobody in particular */
    if (!c || !*c->value
        || (c->is_json && (c->value[0] == '[' || c->value[0] == '{'))) {
        return aoidc_err_set(err, AOIDC_REASON_NO_USER, p,
                             "claims: no usable %.64s for REMOTE_USER",
                             c ? c->name : (claim && *claim ? claim : "sub"));
    }
    *user = c->value;
    return APR_SUCCESS;
}

const aoidc_claim_t *aoidc_claims_get(const apr_array_header_t *l,
                                      const char *name)
{
    return l ? find((apr_array_header_t *)l, name) : NULL;
}

bool aoidc_claims_has_prefix(const char *hdr, const char *prefix)
{
    for (; *prefix; prefix++, hdr++) {
        char a = *hdr == '-' ? '_' : (char)apr_tolower(*hdr);
        char b = *prefix == '-' ? '_' : (char)apr_tolower(*prefix);
        if (!*hdr || a != b) {
            return false;
        }
    }
    return true;
}

apr_array_header_t *aoidc_claims_copy(const apr_array_header_t *l,
                                      apr_pool_t *p)
{
    apr_array_header_t *c = apr_array_copy(p, l);
    copy_strings(c, p);
    return c;
}

void aoidc_claims_encode(aoidc_wbuf_t *w, const apr_array_header_t *list)
{
    int n = list ? list->nelts : 0;
    aoidc_codec_put_u8(w, (unsigned)n);
    for (int i = 0; i < n; i++) {
        const aoidc_claim_t *c = &APR_ARRAY_IDX(list, i, aoidc_claim_t);
        aoidc_codec_put_u8(w, c->is_json);
        aoidc_codec_put_str(w, c->name);
        aoidc_codec_put_str(w, c->value);
    }
}

apr_array_header_t *aoidc_claims_decode(aoidc_rbuf_t *r, apr_pool_t *p)
{
    unsigned n = aoidc_codec_get_u8(r);
    apr_array_header_t *l =
        apr_array_make(p, (int)n + 1, sizeof(aoidc_claim_t));
    for (unsigned i = 0; i < n && !r->bad; i++) {
        aoidc_claim_t *c = apr_array_push(l);
        c->is_json = aoidc_codec_get_u8(r) != 0;
        c->name = aoidc_codec_get_str(r);
        c->value = aoidc_codec_get_str(r);
        if (!c->name || !c->value) {
            r->bad = true;
        }
    }
    return l;
}

const char *aoidc_claims_join(const char *value, char delim, apr_pool_t *p)
{
    json_t *a = value[0] == '[' ? json_loads(value, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    char *out = "";
    if (!json_is_array(a)) {
        json_decref(a);
        return value;
    }
    json_array_foreach(a, i, v)
    {
        const char *sv = json_string_value(v);
        /* a control character (CR/LF) decoded from a JSON escape must never
         * reach a header: such a list stays JSON, which escapes it */
        bool ctl = false;
        for (const char *c = sv; c && *c; c++) {
            ctl = ctl || (unsigned char)*c < 0x20 || *c == 0x7f;
        }
        if (!sv || ctl || strchr(sv, delim)) {
            json_decref(a);
            return value;
        }
        out = apr_pstrcat(p, out, i ? apr_pstrmemdup(p, &delim, 1) : "", sv,
                          NULL);
    }
    json_decref(a);
    return out;
}

const char *aoidc_claims_prefixed(const char *prefix, apr_size_t plen,
                                  const char *name, apr_pool_t *p)
{
    apr_size_t nl = strlen(name);
    char *s = apr_palloc(p, plen + nl + 1);
    memcpy(s, prefix, plen);
    memcpy(s + plen, name, nl + 1);
    return s;
}

const aoidc_claims_view_t *aoidc_claims_view_make(const apr_array_header_t *l,
                                                  const char *prefix,
                                                  apr_pool_t *p)
{
    aoidc_claims_view_t *v = apr_pcalloc(p, sizeof(*v));
    apr_size_t plen = strlen(prefix);
    int n = l ? l->nelts : 0;
    apr_table_t *pass = apr_table_make(p, n ? n : 1);
    for (int i = 0; i < n; i++) {
        const aoidc_claim_t *c = &APR_ARRAY_IDX(l, i, aoidc_claim_t);
        apr_table_addn(pass, aoidc_claims_prefixed(prefix, plen, c->name, p),
                       c->value);
        v->any_json = v->any_json || c->is_json;
    }
    v->prefix = prefix;
    v->pass = pass;
    return v;
}

const aoidc_claims_view_t *aoidc_claims_view_for(const aoidc_claims_view_t *v,
                                                 const char *prefix)
{
    return v && prefix && (v->prefix == prefix || !strcmp(v->prefix, prefix))
               ? v
               : NULL;
}
