/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Redis store's shared state and its connection handling
 * (redis_topo.c); store_redis.c routes commands over it. Private.
 */
#ifndef AOIDC_CORE_REDIS_TOPO_H
#define AOIDC_CORE_REDIS_TOPO_H

#include <apr_thread_mutex.h>

#include "core/redis_int.h"

#define AOIDC_REDIS_MAX_IDLE    32
#define AOIDC_REDIS_MAX_BACKOFF 32
#define AOIDC_REDIS_MAX_NODES   255
#define AOIDC_REDIS_SLOTS       16384
/* how long a master named by Sentinel is used before asking again */
#define AOIDC_REDIS_RECHECK apr_time_from_sec(1)

typedef struct {
    char host[256];
    apr_port_t port;
    apr_interval_time_t wait; /* 0: slot free */
    apr_time_t until;
    apr_status_t rv;
} aoidc_redis_backoff_t;

typedef struct {
    const aoidc_redis_conf_t *conf;
    SSL_CTX *ctx;
    apr_thread_mutex_t *mu;
    /* everything below is guarded by mu */
    apr_pool_t *pool; /* unmanaged: node names, allocated under mu */
    aoidc_redis_conn_t *idle;
    int nidle;
    unsigned gen; /* bumped when the topology changes: idle conns go */
    aoidc_redis_backoff_t back[AOIDC_REDIS_MAX_BACKOFF];
    bool have_master; /* Sentinel */
    char master_host[256];
    apr_port_t master_port;
    apr_time_t master_at;
    bool have_slots; /* Cluster: slot -> 1 + index into nodes, 0 unknown */
    uint8_t slot[AOIDC_REDIS_SLOTS];
    aoidc_redis_addr_t nodes[AOIDC_REDIS_MAX_NODES];
    int nnodes;
} aoidc_redis_t;

/** Forget the Sentinel master and the slot map, close idle connections. */
void aoidc_redis_invalidate(aoidc_redis_t *s);

/** A connection to n: an idle one that is still good, or a new one
 *  (data: after AUTH, SELECT and ROLE as configured; else bare, for a
 *  sentinel). Fails at once while n is in backoff. */
apr_status_t aoidc_redis_conn_get(aoidc_redis_t *s, const aoidc_redis_addr_t *n,
                                  bool data, aoidc_redis_conn_t **out,
                                  apr_time_t deadline, apr_pool_t *p);

/** Runs batch b on node n (ASKING first when asking), replies in rep[]
 *  (freed with p). The connection goes back to the free list on success;
 *  on failure it is closed and n's backoff starts. */
apr_status_t aoidc_redis_exec(aoidc_redis_t *s, const aoidc_redis_addr_t *n,
                              const aoidc_redis_batch_t *b, redisReply **rep,
                              bool asking, apr_time_t deadline, apr_pool_t *p);

#endif
