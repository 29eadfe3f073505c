/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the Redis store: one connection (redis_conn.c) and batches of
 * pipelined commands. Private to store_redis.c and redis_conn.c.
 */
#ifndef AOIDC_CORE_REDIS_INT_H
#define AOIDC_CORE_REDIS_INT_H

#include <hiredis/hiredis.h>
#include <openssl/ssl.h>

#include "core/store_redis.h"

/* Bytes of replies one batch may read: SMEMBERS of a small set, one value
 * of at most AOIDC_REDIS_MAX_VALUE, or a CLUSTER SLOTS of a large cluster.
 * A server that sends more is broken or hostile. */
#define AOIDC_REDIS_MAX_REPLY (1024 * 1024)
#define AOIDC_REDIS_MAX_BATCH 8

typedef struct aoidc_redis_conn_t aoidc_redis_conn_t;
struct aoidc_redis_conn_t {
    apr_pool_t *pool; /* unmanaged: its own allocator, freed at close */
    apr_socket_t *sock;
    SSL *ssl;
    redisReader *reader;
    aoidc_redis_addr_t node; /* strings in pool */
    unsigned gen;            /* the store's topology generation at open */
    aoidc_redis_conn_t *next;
};

/** Commands sent in one write, their replies read back in order. */
typedef struct {
    apr_pool_t *p;
    char *buf;
    apr_size_t len, cap;
    int n;
} aoidc_redis_batch_t;

void aoidc_redis_batch_init(aoidc_redis_batch_t *b, apr_pool_t *p);

/** Appends one command, framed by redisFormatCommandArgv. */
void aoidc_redis_batch_add(aoidc_redis_batch_t *b, int argc, const char **argv,
                           const size_t *lens);

/** Connects to node (TLS when ctx; servername, else node's host, for SNI
 *  and the certificate check) before deadline. APR_ETIMEDOUT, a socket
 *  error, or APR_EGENERAL for a failed TLS handshake. */
apr_status_t aoidc_redis_conn_open(aoidc_redis_conn_t **out,
                                   const aoidc_redis_addr_t *node, SSL_CTX *ctx,
                                   const char *servername, apr_time_t deadline);

void aoidc_redis_conn_close(aoidc_redis_conn_t *c);

/** true when an idle connection has something to read (the server closed
 *  it, or sent what nobody asked for): it must not be reused. */
bool aoidc_redis_conn_is_stale(aoidc_redis_conn_t *c);

/** Writes the batch and reads b->n replies into rep[] (each freed by a
 *  cleanup of b->p). On failure the connection is unusable (close it):
 *  APR_ETIMEDOUT past deadline, APR_EOF or a socket error when the server
 *  went away, APR_EGENERAL for a protocol error or an oversized reply. */
apr_status_t aoidc_redis_conn_call(aoidc_redis_conn_t *c,
                                   const aoidc_redis_batch_t *b,
                                   redisReply **rep, apr_time_t deadline);

#endif
