/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A store.h implementation over Redis or Valkey, shared by every httpd node:
 * one server, a Sentinel-managed master, or a Redis Cluster, optionally over
 * TLS (with a client certificate for mTLS), with AUTH (user and password)
 * and SELECT. hiredis only frames commands and parses replies; the transport
 * is ours (APR sockets with poll timeouts, OpenSSL over the socket's fd), so
 * every call returns within the configured timeout. The unit never logs and
 * never puts a credential into a string it returns.
 *
 * Key layout: a 32-byte store key K becomes the Redis key
 *   aoidc:{hex(K[0..16))}hex(K[16..32))
 * so every key of one group (store.h) hashes to one cluster slot.
 *
 * Operations (the status contract is store.h's):
 *   get      GET                 nil -> APR_NOTFOUND
 *   set      SET k v PX ms       ms = remaining lifetime, at least 1
 *   add      SET k v NX PX ms    nil -> APR_EEXIST (atomic on the server)
 *   remove   DEL
 *   sadd     MULTI, SADD k m, PEXPIRE k ms GT, PEXPIRE k ms NX, EXEC in one
 *            round trip: GT extends a set that has a TTL, NX gives a new
 *            set its TTL, an earlier expiry never shortens it (Redis >= 7)
 *   smembers SMEMBERS
 *   srem     SREM
 * Values above AOIDC_REDIS_MAX_VALUE bytes are APR_ENOSPC (nothing sent).
 */
#ifndef AOIDC_CORE_STORE_REDIS_H
#define AOIDC_CORE_STORE_REDIS_H

#include <apr_network_io.h>

#include "core/store.h"

#define AOIDC_REDIS_MAX_HOSTS     16
#define AOIDC_REDIS_MAX_VALUE     (64 * 1024)
#define AOIDC_REDIS_TIMEOUT       apr_time_from_msec(500)
#define AOIDC_REDIS_MAX_REDIRECTS 5
/* "aoidc:{" 32 hex "}" 32 hex */
#define AOIDC_REDIS_KEY_LEN (7 + 32 + 1 + 32)

typedef struct aoidc_redis_conf_t aoidc_redis_conf_t;

/** Parse a store URL into *out (allocated in p):
 *    redis://[USER:PASSWORD@]HOST:PORT[/DB]
 *    rediss://[USER:PASSWORD@]HOST:PORT[/DB]               (TLS)
 *    redis-sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]
 *    redis-cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]
 *  (rediss-sentinel:// and rediss-cluster:// are the same over TLS:
 *  sentinels and every node then speak TLS with the same settings). USER
 *  and PASSWORD are percent-decoded; ":PASSWORD" alone (no user) is the
 *  legacy AUTH password. HOST may be an [IPv6] literal. At most
 *  AOIDC_REDIS_MAX_HOSTS hosts; DB is 0..9999 (none for a cluster); the
 *  master name is [A-Za-z0-9._-]+.
 *  Returns NULL, or an error message in p that names what is wrong and the
 *  expected form; the message never contains the password. */
AOIDC_API const char *aoidc_redis_parse(aoidc_redis_conf_t **out,
                                        const char *url, apr_pool_t *p);

/** AuthOIDCStorePassword: overrides the URL's password (c retains it; it
 *  must live as long as c). NULL or "" removes the password. */
AOIDC_API void aoidc_redis_set_password(aoidc_redis_conf_t *c,
                                        const char *password);

/** TLS settings (c retains the strings): ca is the PEM bundle the server
 *  certificate is verified against (NULL: the system's default paths);
 *  cert and key a client certificate for mTLS (both or neither);
 *  servername the name sent as SNI and checked against the certificate
 *  (NULL: the URL's host; an IP literal is checked as an IP SAN). Turns
 *  TLS on. Returns NULL, or an error in c's pool when a file cannot be read
 *  or only one of cert and key is given. */
AOIDC_API const char *aoidc_redis_set_tls(aoidc_redis_conf_t *c, const char *ca,
                                          const char *cert, const char *key,
                                          const char *servername);

/** The limit of one store call, connect, TLS handshake, redirects and
 *  replies included (default AOIDC_REDIS_TIMEOUT); t <= 0 restores it. */
AOIDC_API void aoidc_redis_set_timeout(aoidc_redis_conf_t *c,
                                       apr_interval_time_t t);

/** A description for logs, in p: the URL without user or password, plus
 *  " (tls)" when TLS is on. */
AOIDC_API const char *aoidc_redis_describe(const aoidc_redis_conf_t *c,
                                           apr_pool_t *p);

/** The store in *out, allocated in p (a long-lived pool: httpd's pchild);
 *  c must outlive p. Connections are made lazily, kept in a small
 *  mutex-protected free list (one per concurrent thread at most), reused
 *  while healthy, and re-made after an error with a per-node backoff
 *  (25 ms doubling to 1 s) during which calls to that node fail at once.
 *  No lock is held across network I/O. Thread-safe. Sentinel: the master
 *  is asked of the sentinels in URL order, again every second, and
 *  confirmed with ROLE on each new connection; sentinels get the same AUTH
 *  as the data nodes when a password is set. Host names are resolved with
 *  the system resolver, outside the timeout (use addresses or a local
 *  resolver). Every connection is
 *  closed when p is destroyed. The process must ignore SIGPIPE (httpd
 *  does): a write to a connection the server closed is an EPIPE error. Fails
 * (APR_EGENERAL) only when the TLS context cannot be built (unreadable or
 * invalid CA, certificate or key). */
AOIDC_API apr_status_t aoidc_redis_store_create(aoidc_store_t **out,
                                                const aoidc_redis_conf_t *c,
                                                apr_pool_t *p);

/*
 * Pieces exposed for unit tests and fuzzers. Not for the glue.
 */

typedef enum {
    AOIDC_REDIS_SINGLE,
    AOIDC_REDIS_SENTINEL,
    AOIDC_REDIS_CLUSTER
} aoidc_redis_mode_t;

typedef struct {
    const char *host; /* without brackets */
    apr_port_t port;
} aoidc_redis_addr_t;

struct aoidc_redis_conf_t {
    apr_pool_t *pool;
    aoidc_redis_mode_t mode;
    bool tls;
    const char *user;     /* NULL: AUTH password (legacy) */
    const char *password; /* NULL: no AUTH */
    int nhosts;
    aoidc_redis_addr_t hosts[AOIDC_REDIS_MAX_HOSTS];
    const char *master; /* sentinel: the master's name */
    int db;
    const char *ca, *cert, *key, *servername;
    apr_interval_time_t timeout;
};

/** The Redis key for a store key: AOIDC_REDIS_KEY_LEN bytes written to out
 *  (no NUL). */
AOIDC_API void aoidc_redis_key(char out[AOIDC_REDIS_KEY_LEN],
                               const unsigned char key[AOIDC_STORE_KEY_LEN]);

/** CRC16-CCITT (XModem) as the cluster spec defines it. */
AOIDC_API uint16_t aoidc_redis_crc16(const void *buf, apr_size_t len);

/** The cluster slot of a Redis key (the hash tag rule of the cluster spec:
 *  the bytes between the first '{' and the next '}', if not empty). */
AOIDC_API unsigned aoidc_redis_slot(const char *key, apr_size_t len);

/** A redirect from an error reply "MOVED 3999 127.0.0.1:6381" or "ASK ...":
 *  returns 1 for MOVED, 2 for ASK, 0 when str is neither (or malformed);
 *  the node is copied into p. */
AOIDC_API int aoidc_redis_redirect(const char *str, apr_size_t len,
                                   unsigned *slot, aoidc_redis_addr_t *node,
                                   apr_pool_t *p);

/** Receives one slot range of a CLUSTER SLOTS reply. */
typedef void (*aoidc_redis_slots_fn)(void *baton, unsigned from, unsigned to,
                                     const aoidc_redis_addr_t *master);

/** Walks a CLUSTER SLOTS reply (a hiredis redisReply *, as void * so this
 *  header needs no hiredis), calling fn for each well-formed range (from <=
 *  to < 16384, master with a host and a port; an empty host is the node
 *  that answered, dflt). Strings are in p. Returns the number of ranges,
 *  -1 when the reply is not an array. */
AOIDC_API int aoidc_redis_parse_slots(const void *reply,
                                      const aoidc_redis_addr_t *dflt,
                                      aoidc_redis_slots_fn fn, void *baton,
                                      apr_pool_t *p);

/** SENTINEL get-master-addr-by-name's reply [host, port] into *out (in p).
 *  APR_NOTFOUND for nil (unknown master), APR_EGENERAL for anything else
 *  malformed. */
AOIDC_API apr_status_t aoidc_redis_parse_master_addr(aoidc_redis_addr_t *out,
                                                     const void *reply,
                                                     apr_pool_t *p);

/** true when a ROLE reply says "master". */
AOIDC_API bool aoidc_redis_role_is_master(const void *reply);

/** true for error replies that mean "not the master (any more)": READONLY,
 *  MASTERDOWN, "ERR not master", LOADING. */
AOIDC_API bool aoidc_redis_error_is_failover(const char *str, apr_size_t len);

#endif
