/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Why not SSL_CLIENT_CERT alone: mod_ssl PEM-encodes the certificate for
 * every lookup (19k instructions, two thirds of a bound request's binding
 * cost), only for us to decode it again. mod_ssl's pre_handshake optional
 * hook hands every connection's SSL to its modules; from it the peer's
 * X509 is a pointer away. The thumbprint is kept with a reference to
 * that X509, so "same pointer" means "same certificate object" (it cannot
 * be freed and its address reused while we hold it): a renegotiation
 * that changes the certificate makes a new object and a new thumbprint.
 */
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mod_ssl.h" /* httpd.h, apu.h: before apr_optional_hooks.h */

#include "apr_optional_hooks.h"

#include "core/b64url.h"
#include "httpd/tls_peer.h"

/* mod_ssl_openssl.h declares it (not installed by Debian's apache2-dev);
 * mod_ssl runs it for every connection before the handshake */
typedef int ssl_HOOK_pre_handshake_t(conn_rec *c, SSL *ssl, int is_proxy);

#define SSL_NOTE  "aoidc_ssl"
#define MEMO_NOTE "aoidc_peer_x5t"

typedef struct {
    X509 *x; /* a reference of ours */
    const char *x5t;
} memo_t;

static int note_ssl(conn_rec *c, SSL *ssl, int is_proxy)
{
    if (!is_proxy) {
        apr_pool_userdata_setn(ssl, SSL_NOTE, NULL, c->pool);
    }
    return DECLINED;
}

void aoidc_tls_peer_register(void)
{
    APR_OPTIONAL_HOOK(ssl, pre_handshake, note_ssl, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

static apr_status_t memo_free(void *m)
{
    X509_free(((memo_t *)m)->x);
    return APR_SUCCESS;
}

const char *aoidc_tls_peer_x5t(conn_rec *c, bool *known)
{
    SSL *ssl = NULL;
    memo_t *m = NULL;
    X509 *x;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    *known = false;
    /* an HTTP/2 stream's SSL is its master's, used by other threads */
    if (c->master) {
        return NULL;
    }
    apr_pool_userdata_get((void **)&ssl, SSL_NOTE, c->pool);
    if (!ssl) {
        return NULL;
    }
    *known = true;
    if (!(x = SSL_get0_peer_certificate(ssl))) {
        return NULL;
    }
    apr_pool_userdata_get((void **)&m, MEMO_NOTE, c->pool);
    if (m && m->x == x) {
        return m->x5t;
    }
    if (!X509_digest(x, EVP_sha256(), md, &n)) {
        return NULL; /* matches no token: refused */
    }
    if (!m) {
        m = apr_pcalloc(c->pool, sizeof(*m));
        apr_pool_userdata_setn(m, MEMO_NOTE, NULL, c->pool);
        apr_pool_cleanup_register(c->pool, m, memo_free, apr_pool_cleanup_null);
    }
    X509_up_ref(x);
    X509_free(m->x);
    m->x = x;
    m->x5t = aoidc_b64url_encode(md, n, c->pool);
    return m->x5t;
}
