/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aoidc_store_t over memcached, through apr-util's apr_memcache client
 * (`memcache://HOST:PORT[,HOST:PORT...]`). httpd-free: the glue parses the
 * URL at config time and creates the store per child.
 *
 * LAN only. memcached has no authentication, no TLS and no replication:
 * anyone who reaches the port reads and writes every key (values are
 * sealed, so a reader learns nothing, but a writer can delete sessions),
 * and a server that goes away takes its share of the keys with it. Keys
 * are spread over the servers by apr_memcache's CRC32 hash; a dead server
 * is retried by apr_memcache every 5 seconds.
 *
 * Keys: "aoidc:" + 64 hex digits of the 32-byte store key (70 characters;
 * memcached allows 250, no spaces or control characters).
 * Expiry: relative seconds, rounded up; beyond 30 days memcached reads the
 * number as an absolute Unix time, so such expiries are sent as one. An
 * expiry already past is not written (set removes the key instead).
 *
 * add() is memcached's own `add` (atomic on the server). Sets have no
 * native type; instead a set at key K is
 *     K:n        a counter, bumped with `incr` to hand out slot numbers
 *     K:1..K:32  one member per slot, written with `add`
 * sadd takes the next slot number (incr, atomic on the server) and `add`s
 * the member there; a slot still taken (the counter wrapped or was evicted
 * and restarted) is skipped, so two concurrent sadds never overwrite each
 * other. Bound: at most AOIDC_MEMCACHE_SET_SLOTS live members per set;
 * beyond that sadd answers APR_ENOSPC. Each member lives until the expiry
 * it was (last) added with, so a set ends when its last member expires.
 * Adding a present member takes a second slot (smembers reports it once;
 * srem removes every slot holding it). smembers and srem read every slot
 * (32 gets: sets are read at logout only).
 *
 * Status mapping (core/store.h): a miss is APR_NOTFOUND only when a live
 * server answered it; "no live server" (apr_memcache reports that as
 * APR_NOTFOUND too) becomes APR_ECONNREFUSED, i.e. AOIDC_STORE_IS_DOWN.
 * A pooled connection that died while idle (memcached restarted) is
 * retried once on a fresh connection before the call fails.
 *
 * Timeouts, as far as apr-util 1.6 allows them: AOIDC_STORE_TIMEOUT
 * bounds the wait for a free pooled connection (apr_reslist_timeout_set).
 * apr_memcache itself connects with a fixed 1 second timeout and then
 * reads and writes with NO timeout (apr_memcache.c conn_connect sets the
 * socket to blocking). So a server that refuses connections or is gone
 * fails fast, but one that accepts and then never answers (SIGSTOP, a
 * frozen VM, a route dropped mid-connection) holds the request thread
 * until TCP gives up. The timeout cannot bound that case; use redis for
 * stores where it matters.
 */
#ifndef AOIDC_CORE_STORE_MEMCACHE_H
#define AOIDC_CORE_STORE_MEMCACHE_H

#include "core/store.h"

#define AOIDC_MEMCACHE_MAX_SERVERS 16
#define AOIDC_MEMCACHE_SET_SLOTS   32
/** Values larger than this are refused with APR_ENOSPC (memcached's
 *  default item limit is 1 MiB; sessions are a few KiB). */
#define AOIDC_MEMCACHE_MAX_VALUE (256 * 1024)
/** memcached reads exptime above this many seconds as a Unix time. */
#define AOIDC_MEMCACHE_RELATIVE_MAX 2592000

typedef struct aoidc_memcache_conf_t aoidc_memcache_conf_t;

/** Parse `memcache://HOST:PORT[,HOST:PORT...]` (HOST a name, an IPv4
 *  address or [IPv6]; PORT 1-65535; at most AOIDC_MEMCACHE_MAX_SERVERS;
 *  no user, password, path or query). *out lives in p. Returns NULL or a
 *  message naming the expected form (never echoing the whole input). */
AOIDC_API const char *aoidc_memcache_parse(aoidc_memcache_conf_t **out,
                                           const char *url, apr_pool_t *p);

/** Bound for waiting on a pooled connection (default 500 ms; see above for
 *  what it cannot bound). */
AOIDC_API void aoidc_memcache_set_timeout(aoidc_memcache_conf_t *c,
                                          apr_interval_time_t timeout);

/** Connections kept per server and process (default 64; the glue passes
 *  the MPM's threads per child). */
AOIDC_API void aoidc_memcache_set_max_conns(aoidc_memcache_conf_t *c, int max);

/** The servers as "memcache://h:p,h:p (timeout 500 ms)" for logs. */
AOIDC_API const char *aoidc_memcache_describe(const aoidc_memcache_conf_t *c,
                                              apr_pool_t *p);

/** A store over the configured servers, its client and connection pools
 *  in pchild (one per child process, shared by its threads). Connects
 *  lazily: a server that is down now is not an error here. */
AOIDC_API apr_status_t aoidc_memcache_store_create(
    aoidc_store_t **out, const aoidc_memcache_conf_t *c, apr_pool_t *pchild);

/** memcached exptime for an absolute expiry: relative seconds rounded up,
 *  or the Unix time beyond AOIDC_MEMCACHE_RELATIVE_MAX seconds. false when
 *  expiry is not after now (nothing to store). */
AOIDC_API bool aoidc_memcache_exptime(apr_uint32_t *out, apr_time_t expiry,
                                      apr_time_t now);

/** The memcached key for a store key ("aoidc:" + hex) plus an optional
 *  suffix (":n", ":7"), in p. */
AOIDC_API const char *
aoidc_memcache_key(const unsigned char key[AOIDC_STORE_KEY_LEN],
                   const char *suffix, apr_pool_t *p);

#endif
