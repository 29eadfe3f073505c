/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Redis protocol knowledge above hiredis' reply parser: the key layout,
 * cluster slots (Redis Cluster specification, "Keys distribution model"
 * and "Hash tags"), redirect errors ("Redirection and resharding"), and
 * the replies of CLUSTER SLOTS, SENTINEL get-master-addr-by-name and ROLE.
 * Every reply is untrusted: a field of the wrong type ends the walk.
 */
#include <ctype.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "core/store_redis.h"

void aoidc_redis_key(char out[AOIDC_REDIS_KEY_LEN],
                     const unsigned char key[AOIDC_STORE_KEY_LEN])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    memcpy(o, "aoidc:{", 7);
    o += 7;
    for (int i = 0; i < AOIDC_STORE_KEY_LEN; i++) {
        if (i == AOIDC_STORE_GROUP_LEN) {
            *o++ = '}';
        }
        *o++ = hex[key[i] >> 4];
        *o++ = hex[key[i] & 15];
    }
}

/* CRC16-CCITT, polynomial 0x1021, initial 0, no reflection: the cluster
 * spec's reference (crc16("123456789") == 0x31C3). Bitwise: 16 KB of keys
 * per second is nothing next to a network round trip. */
uint16_t aoidc_redis_crc16(const void *buf, apr_size_t len)
{
    const unsigned char *b = buf;
    uint16_t crc = 0;
    for (apr_size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(b[i] << 8);
        for (int k = 0; k < 8; k++) {
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
        }
    }
    return crc;
}

unsigned aoidc_redis_slot(const char *key, apr_size_t len)
{
    const char *open = memchr(key, '{', len);
    if (open) {
        apr_size_t rest = len - (apr_size_t)(open - key) - 1;
        const char *close = memchr(open + 1, '}', rest);
        if (close && close > open + 1) {
            key = open + 1;
            len = (apr_size_t)(close - key);
        }
    }
    return aoidc_redis_crc16(key, len) & 16383;
}

static bool parse_port(const char *s, apr_size_t n, apr_port_t *port)
{
    unsigned long v = 0;
    if (n == 0 || n > 5) {
        return false;
    }
    for (apr_size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return false;
        }
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    *port = (apr_port_t)v;
    return v > 0 && v <= 65535;
}

/* A host name or address from a reply: printable, no NUL, no space. */
static bool is_host(const char *s, apr_size_t n)
{
    for (apr_size_t i = 0; i < n; i++) {
        if (!isgraph((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* "host:port", the host possibly an IPv6 literal with colons and without
 * brackets (the port is after the last colon), possibly empty. */
static bool parse_node(const char *s, apr_size_t n, aoidc_redis_addr_t *a,
                       apr_pool_t *p)
{
    const char *colon = NULL;
    for (apr_size_t i = 0; i < n; i++) {
        colon = s[i] == ':' ? s + i : colon;
    }
    if (!colon
        || !parse_port(colon + 1, (apr_size_t)(s + n - colon - 1), &a->port)) {
        return false;
    }
    const char *h = s;
    apr_size_t hl = (apr_size_t)(colon - s);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (!is_host(h, hl)) {
        return false;
    }
    a->host = apr_pstrmemdup(p, h, hl);
    return true;
}

int aoidc_redis_redirect(const char *str, apr_size_t len, unsigned *slot,
                         aoidc_redis_addr_t *node, apr_pool_t *p)
{
    int kind;
    apr_size_t i;
    unsigned long v = 0;
    if (len > 5 && !memcmp(str, "MOVED ", 6)) {
        kind = 1, i = 6;
    }
    else if (len > 3 && !memcmp(str, "ASK ", 4)) {
        kind = 2, i = 4;
    }
    else {
        return 0;
    }
    apr_size_t start = i;
    while (i < len && isdigit((unsigned char)str[i]) && i - start < 5) {
        v = v * 10 + (unsigned long)(str[i++] - '0');
    }
    if (i == start || i >= len || str[i] != ' ' || v > 16383) {
        return 0;
    }
    i++;
    if (!parse_node(str + i, len - i, node, p) || !*node->host) {
        return 0;
    }
    *slot = (unsigned)v;
    return kind;
}

static bool is_str(const redisReply *r)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
           && r->str;
}

int aoidc_redis_parse_slots(const void *reply, const aoidc_redis_addr_t *dflt,
                            aoidc_redis_slots_fn fn, void *baton, apr_pool_t *p)
{
    const redisReply *r = reply;
    int n = 0;
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        return -1;
    }
    /* each range: [from, to, [host, port, id?, ...], replicas...] */
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i], *m;
        if (!e || e->type != REDIS_REPLY_ARRAY || e->elements < 3) {
            continue;
        }
        m = e->element[2];
        if (e->element[0]->type != REDIS_REPLY_INTEGER
            || e->element[1]->type != REDIS_REPLY_INTEGER
            || m->type != REDIS_REPLY_ARRAY || m->elements < 2
            || !is_str(m->element[0])
            || m->element[1]->type != REDIS_REPLY_INTEGER
            || !is_host(m->element[0]->str, m->element[0]->len)) {
            continue;
        }
        long long from = e->element[0]->integer, to = e->element[1]->integer;
        long long port = m->element[1]->integer;
        if (from < 0 || to < from || to > 16383 || port <= 0 || port > 65535) {
            continue;
        }
        aoidc_redis_addr_t a;
        a.host = apr_pstrmemdup(p, m->element[0]->str, m->element[0]->len);
        a.port = (apr_port_t)port;
        if (!*a.host || !strcmp(a.host, "?")) {
            if (!dflt) {
                continue;
            }
            a.host = dflt->host; /* "the node that answered" */
        }
        fn(baton, (unsigned)from, (unsigned)to, &a);
        n++;
    }
    return n;
}

apr_status_t aoidc_redis_parse_master_addr(aoidc_redis_addr_t *out,
                                           const void *reply, apr_pool_t *p)
{
    const redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_NIL) {
        return APR_NOTFOUND;
    }
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2
        || !is_str(r->element[0]) || !is_str(r->element[1])
        || !r->element[0]->len
        || !is_host(r->element[0]->str, r->element[0]->len)
        || !parse_port(r->element[1]->str, r->element[1]->len, &out->port)) {
        return APR_EGENERAL;
    }
    out->host = apr_pstrmemdup(p, r->element[0]->str, r->element[0]->len);
    return APR_SUCCESS;
}

bool aoidc_redis_role_is_master(const void *reply)
{
    const redisReply *r = reply;
    return r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1
           && is_str(r->element[0]) && r->element[0]->len == 6
           && !memcmp(r->element[0]->str, "master", 6);
}

bool aoidc_redis_error_is_failover(const char *str, apr_size_t len)
{
    static const char *const prefixes[] = {"READONLY", "MASTERDOWN",
                                           "ERR not master", "LOADING"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        apr_size_t n = strlen(prefixes[i]);
        if (len >= n && !memcmp(str, prefixes[i], n)) {
            return true;
        }
    }
    return false;
}
