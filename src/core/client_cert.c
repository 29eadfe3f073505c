/* SPDX-License-Identifier: Apache-2.0 */
/* AuthOIDCClientCert: parse and pair the client certificate and key. */
#include <limits.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/b64url.h"
#include "core/client_cert.h"

/* The BIO's contents as a NUL-terminated copy in p. */
static const char *bio_text(BIO *b, apr_size_t *len, apr_pool_t *p)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    *len = n > 0 ? (apr_size_t)n : 0;
    return apr_pstrmemdup(p, data, *len);
}

/* Every certificate in pem, re-encoded (so that the transport reads what
 * was checked here, and nothing else from the file); the first is *leaf. */
static apr_status_t read_certs(X509 **leaf, BIO *out, const char *pem,
                               apr_size_t len, apr_pool_t *p, aoidc_err_t *err)
{
    BIO *in = BIO_new_mem_buf(pem, (int)len);
    X509 *x;
    int n = 0;
    *leaf = NULL;
    while (in && (x = PEM_read_bio_X509(in, NULL, NULL, NULL))) {
        PEM_write_bio_X509(out, x);
        if (n++ == 0) {
            *leaf = x;
        }
        else {
            X509_free(x);
        }
    }
    BIO_free(in);
    if (!*leaf) {
        return aoidc_err_set(
            err, AOIDC_REASON_CONFIG, p,
            "no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    return APR_SUCCESS;
}

/* The first private key in pem; an encrypted one is refused (there is no
 * passphrase to ask for: the callback declines). */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
    (void)buf, (void)size, (void)rw, (void)u;
    return -1;
}

static EVP_PKEY *read_key(const char *pem, apr_size_t len)
{
    BIO *in = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k =
        in ? PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL) : NULL;
    BIO_free(in);
    return k;
}

static const char *thumbprint(X509 *x, apr_pool_t *p)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!X509_digest(x, EVP_sha256(), md, &n)) {
        return NULL;
    }
    return aoidc_b64url_encode(md, n, p);
}

apr_status_t aoidc_client_cert_parse(aoidc_http_cert_t **out, const char *cert,
                                     apr_size_t cert_len, const char *key,
                                     apr_size_t key_len, apr_pool_t *p,
                                     aoidc_err_t *err)
{
    aoidc_http_cert_t *c = apr_pcalloc(p, sizeof(*c));
    BIO *certs = BIO_new(BIO_s_mem()), *keys = BIO_new(BIO_s_mem());
    X509 *leaf = NULL;
    EVP_PKEY *k = NULL;
    apr_status_t rv = APR_SUCCESS;
    if (!certs || !keys || cert_len > INT_MAX || key_len > INT_MAX) {
        rv = aoidc_err_set(err, AOIDC_REASON_INTERNAL, p, "client cert: BIO");
        goto done;
    }
    if ((rv = read_certs(&leaf, certs, cert, cert_len, p, err))
        != APR_SUCCESS) {
        goto done;
    }
    k = key ? read_key(key, key_len) : read_key(cert, cert_len);
    if (!k) {
        rv = aoidc_err_set(err, AOIDC_REASON_CONFIG, p,
                           "no unencrypted PEM private key %s",
                           key ? "in the key file" : "beside the certificate");
        goto done;
    }
    if (X509_check_private_key(leaf, k) != 1) {
        rv = aoidc_err_set(err, AOIDC_REASON_CONFIG, p,
                           "the private key is not the certificate's");
        goto done;
    }
    if (!PEM_write_bio_PrivateKey(keys, k, NULL, NULL, 0, NULL, NULL)
        || !(c->x5t_s256 = thumbprint(leaf, p))) {
        rv = aoidc_err_set(err, AOIDC_REASON_INTERNAL, p,
                           "client cert: encoding failed");
        goto done;
    }
    c->cert_pem = bio_text(certs, &c->cert_len, p);
    c->key_pem = bio_text(keys, &c->key_len, p);
    *out = c;
done:
    if (keys) {
        /* the key's PEM leaves OpenSSL's memory wiped */
        char *data;
        long n = BIO_get_mem_data(keys, &data);
        if (n > 0) {
            OPENSSL_cleanse(data, (size_t)n);
        }
    }
    BIO_free(certs);
    BIO_free(keys);
    X509_free(leaf);
    EVP_PKEY_free(k);
    return rv;
}
