/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealing: AES-256-GCM with a fresh random 96-bit nonce per seal, under a key
 * derived from the passphrase by HKDF-SHA256 with the purpose as info, so
 * a state cookie can never be opened as a session and vice versa.
 *
 *   +----+----+--------------+----------------------+----------+
 *   | v1 | kid| nonce (12)   | ciphertext (n)       | tag (16) |
 *   +----+----+--------------+----------------------+----------+
 *
 * The associated data binds a blob to its context (e.g. the session id).
 * kid is 0 for now; it leaves room for passphrase rotation.
 */
#ifndef AOIDC_CORE_SEAL_H
#define AOIDC_CORE_SEAL_H

#include "core/err.h"

#define AOIDC_SEAL_OVERHEAD (2 + 12 + 16)

typedef struct aoidc_seal_t aoidc_seal_t;

/** Derive the key for purpose from secret. The key lives in p and is wiped
 *  by a cleanup of p. APR_EGENERAL when OpenSSL fails. */
AOIDC_API apr_status_t aoidc_seal_create(aoidc_seal_t **out, const char *secret,
                                         apr_size_t secret_len,
                                         const char *purpose, apr_pool_t *p);

/** HKDF-SHA256 (RFC 5869) of secret with the seals' salt and purpose as
 *  info, n bytes into out: the one derivation of every passphrase key
 *  (aoidc_seal_create uses it; so does the DPoP key, dpop_rp.h), so no two
 *  purposes share key material. APR_EGENERAL when OpenSSL fails. */
AOIDC_API apr_status_t aoidc_seal_hkdf(unsigned char *out, apr_size_t n,
                                       const char *secret,
                                       apr_size_t secret_len,
                                       const char *purpose);

/** A seal whose key is derived from master's and secret (fixed-length
 *  secret material of at least 16 bytes, e.g. the secret half of a session
 *  cookie): a value sealed with it opens only for whoever holds both the
 *  passphrase and the secret (APR_EGENERAL when len < 16). Lives in p (key
 *  wiped when p goes); borrows master's cipher, so master must outlive it. */
AOIDC_API apr_status_t aoidc_seal_derive(aoidc_seal_t **out,
                                         const aoidc_seal_t *master,
                                         const void *secret, apr_size_t len,
                                         apr_pool_t *p);

/** Passphrase rotation (AuthOIDCPassphrase NEW OLD): k keeps sealing with
 *  its own key; what prev sealed still opens with k (aoidc_unseal tries
 *  prev after k), and seals derived from k derive from prev too. */
AOIDC_API void aoidc_seal_set_previous(aoidc_seal_t *k,
                                       const aoidc_seal_t *prev);

/** Seal len bytes into *out (len + AOIDC_SEAL_OVERHEAD bytes, in p). */
AOIDC_API apr_status_t aoidc_seal(unsigned char **out, apr_size_t *outlen,
                                  const aoidc_seal_t *k,
                                  const unsigned char *in, apr_size_t len,
                                  const void *aad, apr_size_t aad_len,
                                  apr_pool_t *p);

/** Open a sealed blob; *out is NUL-terminated (not counted in *outlen).
 *  AOIDC_REASON_COOKIE when it is short, of another version, or fails
 *  authentication. */
AOIDC_API apr_status_t aoidc_unseal(unsigned char **out, apr_size_t *outlen,
                                    const aoidc_seal_t *k,
                                    const unsigned char *in, apr_size_t len,
                                    const void *aad, apr_size_t aad_len,
                                    apr_pool_t *p, aoidc_err_t *err);

/** Convenience: seal and base64url-encode (for cookies). */
AOIDC_API apr_status_t aoidc_seal_text(char **out, const aoidc_seal_t *k,
                                       const unsigned char *in, apr_size_t len,
                                       const void *aad, apr_size_t aad_len,
                                       apr_pool_t *p);

/** Convenience: base64url-decode and open. */
AOIDC_API apr_status_t aoidc_unseal_text(unsigned char **out,
                                         apr_size_t *outlen,
                                         const aoidc_seal_t *k, const char *in,
                                         const void *aad, apr_size_t aad_len,
                                         apr_pool_t *p, aoidc_err_t *err);

/** SHA-256 of data into out[32]. */
AOIDC_API void aoidc_sha256(unsigned char out[32], const void *data,
                            apr_size_t len);

/** SHA-256 of a || b into out[32] (b may be empty). */
AOIDC_API void aoidc_sha256_2(unsigned char out[32], const void *a,
                              apr_size_t alen, const void *b, apr_size_t blen);

/** SHA-256 of the concatenation of n parts (ptr, len pairs) into out[32]. */
AOIDC_API void aoidc_sha256_v(unsigned char out[32], int n,
                              const void *const *parts, const apr_size_t *lens);

/** First 8 bytes of SHA-256 as 16 hex digits: how logs name a secret. */
/** HMAC-SHA256 over the concatenated parts, under a key of its own derived
 *  from k's (SHA-256(key || "mac")): a keyed hash for store keys that must
 *  not be computable without the passphrase (oidc-basic credentials).
 *  APR_EGENERAL (out unusable: the caller refuses) for more than
 *  AOIDC_HMAC_MAX_PARTS parts. */
#define AOIDC_HMAC_MAX_PARTS 8

/** HMAC-SHA256 (RFC 2104) of the concatenated parts (at most
 *  AOIDC_HMAC_MAX_PARTS; more are ignored) under key (at most 64 bytes;
 *  longer keys are cut, unlike RFC 2104: callers use 32-byte keys). */
AOIDC_API void aoidc_hmac_sha256(unsigned char out[32],
                                 const unsigned char *key, apr_size_t key_len,
                                 int n, const void *const *parts,
                                 const apr_size_t *lens);

AOIDC_API apr_status_t aoidc_seal_mac(unsigned char out[32],
                                      const aoidc_seal_t *k, int n,
                                      const void *const *parts,
                                      const apr_size_t *lens);

AOIDC_API const char *aoidc_fingerprint(const char *s, apr_pool_t *p);

#endif
