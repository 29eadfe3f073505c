/* SPDX-License-Identifier: Apache-2.0 */
/* redis_reply: raw RESP bytes through hiredis' reader (fed in two pieces,
 * as the network would), then every interpreter of core/redis_proto.c:
 * CLUSTER SLOTS, SENTINEL get-master-addr-by-name, ROLE, MOVED/ASK. */
#include <ctype.h>
#include <stdio.h>

#include <hiredis/hiredis.h>

#include "core/store_redis.h"
#include "fuzz.h"

static void on_range(void *baton, unsigned from, unsigned to,
                     const aoidc_redis_addr_t *m)
{
    FUZZ_CHECK(from <= to && to < 16384 && m->port > 0 && m->host);
    (*(int *)baton)++;
}

/* hiredis 0.14 allocates an array's element vector before its elements
 * arrive; a huge count is an allocation failure it survives, but one that
 * ASan reports. Production reads at most AOIDC_REDIS_MAX_REPLY bytes. */
static int huge_count(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '*' || d[i] == '%' || d[i] == '~' || d[i] == '>') {
            size_t k = i + 1;
            while (k < n && isdigit(d[k])) {
                k++;
            }
            if (k - i - 1 > 4) {
                return 1;
            }
        }
    }
    return 0;
}

static void interpret(const redisReply *r, apr_pool_t *p)
{
    aoidc_redis_addr_t seed = {"seed", 7000}, a;
    unsigned slot;
    int n = 0;
    int got = aoidc_redis_parse_slots(r, &seed, on_range, &n, p);
    FUZZ_CHECK(got == n || (got == -1 && n == 0));
    if (aoidc_redis_parse_master_addr(&a, r, p) == APR_SUCCESS) {
        FUZZ_CHECK(a.port > 0 && *a.host);
    }
    (void)aoidc_redis_role_is_master(r);
    if ((r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS)
        && r->str) {
        int kind = aoidc_redis_redirect(r->str, r->len, &slot, &a, p);
        FUZZ_CHECK(kind >= 0 && kind <= 2);
        FUZZ_CHECK(!kind || (slot < 16384 && a.port > 0 && *a.host));
        (void)aoidc_redis_error_is_failover(r->str, r->len);
    }
}

AOIDC_FUZZ_ENTRY(redis_reply)
{
    apr_pool_t *p = fuzz_pool();
    unsigned slot;
    aoidc_redis_addr_t a;
    if (size > 65536 || huge_count(data, size)) {
        apr_pool_destroy(p);
        return 0;
    }
    unsigned char *b = fuzz_exact(data, size, p);
    (void)aoidc_redis_redirect((const char *)b, size, &slot, &a, p);
    redisReader *rd = redisReaderCreate();
    size_t half = size / 2;
    redisReaderFeed(rd, (const char *)b, half);
    redisReaderFeed(rd, (const char *)b + half, size - half);
    for (int i = 0; i < 64; i++) {
        void *r = NULL;
        if (redisReaderGetReply(rd, &r) != REDIS_OK || !r) {
            break;
        }
        interpret(r, p);
        freeReplyObject(r);
    }
    redisReaderFree(rd);
    apr_pool_destroy(p);
    return 0;
}
