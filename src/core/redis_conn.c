/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One connection to one Redis node: an APR socket, put in non-blocking
 * mode after connect, and OpenSSL over its fd for TLS. Every wait is an
 * apr_poll bounded by the caller's deadline, so no write, read or TLS
 * handshake can hang on a stopped or silent server.
 */
#include <arpa/inet.h>
#include <string.h>

#include <apr_poll.h>
#include <apr_portable.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/redis_int.h"

void aoidc_redis_batch_init(aoidc_redis_batch_t *b, apr_pool_t *p)
{
    memset(b, 0, sizeof(*b));
    b->p = p;
}

void aoidc_redis_batch_add(aoidc_redis_batch_t *b, int argc, const char **argv,
                           const size_t *lens)
{
    char *cmd = NULL;
    int n = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (n < 0) {
        abort(); /* only on out of memory; APR aborts there too */
    }
    if (b->len + (apr_size_t)n > b->cap) {
        apr_size_t cap = (b->len + (apr_size_t)n) * 2;
        char *nb = apr_palloc(b->p, cap);
        if (b->len) {
            memcpy(nb, b->buf, b->len);
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, cmd, (size_t)n);
    b->len += (apr_size_t)n;
    b->n++;
    redisFreeCommand(cmd);
}

static apr_status_t wait_io(aoidc_redis_conn_t *c, apr_int16_t events,
                            apr_time_t deadline)
{
    apr_interval_time_t left = deadline - apr_time_now();
    apr_pollfd_t pfd;
    apr_int32_t n = 0;
    if (left <= 0) {
        return APR_ETIMEDOUT;
    }
    memset(&pfd, 0, sizeof(pfd));
    pfd.p = c->pool;
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.reqevents = events;
    pfd.desc.s = c->sock;
    apr_status_t rv = apr_poll(&pfd, 1, &n, left);
    if (APR_STATUS_IS_TIMEUP(rv) || (rv == APR_SUCCESS && n == 0)) {
        return APR_ETIMEDOUT;
    }
    return rv;
}

/* Maps an SSL_* result to "wait for this" (0 when it is an error). */
static apr_int16_t ssl_wants(aoidc_redis_conn_t *c, int ret)
{
    switch (SSL_get_error(c->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        return APR_POLLIN;
    case SSL_ERROR_WANT_WRITE:
        return APR_POLLOUT;
    default:
        ERR_clear_error();
        return 0;
    }
}

static apr_status_t tls_start(aoidc_redis_conn_t *c, SSL_CTX *ctx,
                              const char *name, apr_time_t deadline)
{
    apr_os_sock_t fd;
    unsigned char ip[16];
    apr_os_sock_get(&fd, c->sock);
    c->ssl = SSL_new(ctx);
    if (!c->ssl || !SSL_set_fd(c->ssl, fd)) {
        return APR_EGENERAL;
    }
    /* RFC 6125 via OpenSSL: the name (or IP SAN) must match; SNI only
     * for names (RFC 6066 §3 forbids literal addresses) */
    X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (inet_pton(AF_INET, name, ip) == 1
        || inet_pton(AF_INET6, name, ip) == 1) {
        if (!X509_VERIFY_PARAM_set1_ip_asc(vp, name)) {
            return APR_EGENERAL;
        }
    }
    else if (!X509_VERIFY_PARAM_set1_host(vp, name, 0)
             || !SSL_set_tlsext_host_name(c->ssl, name)) {
        return APR_EGENERAL;
    }
    for (;;) {
        int r = SSL_connect(c->ssl);
        if (r == 1) {
            return APR_SUCCESS;
        }
        apr_int16_t ev = ssl_wants(c, r);
        if (!ev) {
            return APR_EGENERAL; /* refused certificate, protocol error */
        }
        apr_status_t rv = wait_io(c, ev, deadline);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
}

static apr_status_t tcp_connect(aoidc_redis_conn_t *c, apr_time_t deadline)
{
    apr_sockaddr_t *sa;
    apr_status_t rv = apr_sockaddr_info_get(&sa, c->node.host, APR_UNSPEC,
                                            c->node.port, 0, c->pool);
    for (; rv == APR_SUCCESS && sa; sa = sa->next) {
        apr_interval_time_t left = deadline - apr_time_now();
        if (left <= 0) {
            return APR_ETIMEDOUT;
        }
        rv = apr_socket_create(&c->sock, sa->family, SOCK_STREAM, APR_PROTO_TCP,
                               c->pool);
        if (rv != APR_SUCCESS) {
            continue;
        }
        apr_socket_opt_set(c->sock, APR_TCP_NODELAY, 1);
        apr_socket_timeout_set(c->sock, left);
        rv = apr_socket_connect(c->sock, sa);
        if (rv == APR_SUCCESS) {
            /* non-blocking from here: every wait is our own poll */
            return apr_socket_timeout_set(c->sock, 0);
        }
        apr_socket_close(c->sock);
        c->sock = NULL;
    }
    return APR_STATUS_IS_TIMEUP(rv) ? APR_ETIMEDOUT : rv;
}

apr_status_t aoidc_redis_conn_open(aoidc_redis_conn_t **out,
                                   const aoidc_redis_addr_t *node, SSL_CTX *ctx,
                                   const char *servername, apr_time_t deadline)
{
    aoidc_redis_conn_t *c;
    apr_pool_t *pool;
    apr_status_t rv;
    *out = NULL;
    /* unmanaged: connections come and go from any thread, and a child of
     * the store's pool would share its allocator across threads */
    rv = apr_pool_create_unmanaged_ex(&pool, NULL, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    c = apr_pcalloc(pool, sizeof(*c));
    c->pool = pool;
    c->node.host = apr_pstrdup(pool, node->host);
    c->node.port = node->port;
    c->reader = redisReaderCreate();
    rv = c->reader ? tcp_connect(c, deadline) : APR_ENOMEM;
    if (rv == APR_SUCCESS && ctx) {
        rv = tls_start(c, ctx, servername ? servername : node->host, deadline);
    }
    if (rv != APR_SUCCESS) {
        aoidc_redis_conn_close(c);
        return rv;
    }
#if HIREDIS_MAJOR >= 1
    c->reader->maxelements = 65536;
#endif
    *out = c;
    return APR_SUCCESS;
}

void aoidc_redis_conn_close(aoidc_redis_conn_t *c)
{
    if (!c) {
        return;
    }
    if (c->ssl) {
        /* no close_notify: a broken peer must not make us wait */
        SSL_set_quiet_shutdown(c->ssl, 1);
        SSL_free(c->ssl);
    }
    if (c->sock) {
        apr_socket_close(c->sock);
    }
    if (c->reader) {
        redisReaderFree(c->reader);
    }
    apr_pool_destroy(c->pool);
}

bool aoidc_redis_conn_is_stale(aoidc_redis_conn_t *c)
{
    apr_pollfd_t pfd;
    apr_int32_t n = 0;
    memset(&pfd, 0, sizeof(pfd));
    pfd.p = c->pool;
    pfd.desc_type = APR_POLL_SOCKET;
    pfd.reqevents = APR_POLLIN;
    pfd.desc.s = c->sock;
    if (apr_poll(&pfd, 1, &n, 0) != APR_SUCCESS || n == 0) {
        return false;
    }
    if (c->ssl) {
        /* TLS 1.3 session tickets arrive after the handshake: records
         * that carry no data leave the connection usable */
        char b;
        int r = SSL_read(c->ssl, &b, 1);
        return r > 0 || ssl_wants(c, r) != APR_POLLIN;
    }
    return true;
}

static apr_status_t conn_write(aoidc_redis_conn_t *c, const char *buf,
                               apr_size_t len, apr_time_t deadline)
{
    while (len) {
        apr_size_t n = len;
        apr_status_t rv;
        apr_int16_t ev = APR_POLLOUT;
        if (c->ssl) {
            int r = SSL_write(c->ssl, buf, (int)(len > 65536 ? 65536 : len));
            rv = r > 0 ? APR_SUCCESS : APR_EAGAIN;
            n = r > 0 ? (apr_size_t)r : 0;
            if (r <= 0 && !(ev = ssl_wants(c, r))) {
                return APR_EGENERAL;
            }
        }
        else {
            rv = apr_socket_send(c->sock, buf, &n);
        }
        if (rv != APR_SUCCESS && !APR_STATUS_IS_EAGAIN(rv)) {
            return rv;
        }
        buf += n;
        len -= n;
        if (len && (rv = wait_io(c, ev, deadline)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

/* Reads what is there (waiting until deadline for something) into buf. */
static apr_status_t conn_read(aoidc_redis_conn_t *c, char *buf, apr_size_t *len,
                              apr_time_t deadline)
{
    for (;;) {
        apr_size_t n = *len;
        apr_status_t rv;
        apr_int16_t ev = APR_POLLIN;
        if (c->ssl) {
            int r = SSL_read(c->ssl, buf, (int)n);
            if (r > 0) {
                *len = (apr_size_t)r;
                return APR_SUCCESS;
            }
            if (!(ev = ssl_wants(c, r))) {
                return APR_EOF;
            }
        }
        else {
            rv = apr_socket_recv(c->sock, buf, &n);
            if (n > 0) {
                *len = n;
                return APR_SUCCESS;
            }
            if (!APR_STATUS_IS_EAGAIN(rv)) {
                return rv == APR_SUCCESS ? APR_EOF : rv;
            }
        }
        if ((rv = wait_io(c, ev, deadline)) != APR_SUCCESS) {
            return rv;
        }
    }
}

static apr_status_t free_reply(void *r)
{
    freeReplyObject(r);
    return APR_SUCCESS;
}

apr_status_t aoidc_redis_conn_call(aoidc_redis_conn_t *c,
                                   const aoidc_redis_batch_t *b,
                                   redisReply **rep, apr_time_t deadline)
{
    char buf[16384];
    apr_size_t total = 0;
    apr_status_t rv = conn_write(c, b->buf, b->len, deadline);
    for (int i = 0; rv == APR_SUCCESS && i < b->n;) {
        void *r = NULL;
        if (redisReaderGetReply(c->reader, &r) != REDIS_OK) {
            return APR_EGENERAL; /* not RESP */
        }
        if (r) {
            apr_pool_cleanup_register(b->p, r, free_reply,
                                      apr_pool_cleanup_null);
            rep[i++] = r;
            continue;
        }
        apr_size_t n = sizeof(buf);
        rv = conn_read(c, buf, &n, deadline);
        if (rv == APR_SUCCESS) {
            total += n;
            if (total > AOIDC_REDIS_MAX_REPLY
                || redisReaderFeed(c->reader, buf, n) != REDIS_OK) {
                return APR_EGENERAL;
            }
        }
    }
    return rv;
}
