/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The raw cost of one RS256 (or ES256) signature verification with
 * OpenSSL, for comparison with the first sight of a bearer token (and
 * with a DPoP proof) (bench/README.md).
 *
 *     rsa_verify KEY.pem N
 *
 * Loads a private key (PEM), signs a JWT-sized signing input once (RS256 =
 * RSASSA-PKCS1-v1_5 with SHA-256 for an RSA key; ES256 = ECDSA P-256 with
 * SHA-256, DER signature, for an EC key), then verify_loop() verifies that
 * signature N times with a key already parsed into an EVP_PKEY: digest
 * context, SHA-256 of the input and the public-key operation. Nothing else.
 * bench.py runs it under callgrind with --toggle-collect=verify_loop for
 * two values of N and divides the difference by the difference of N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* header.payload of a typical at+jwt (RFC 9068) as the test OP issues it */
static const char signing_input[] =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6InRlc3QtMjM1NjQ5In0."
    "eyJqdGkiOiJ1Zl9PRnRxMDZKdmVyT3p6T2N3NFhSbzNWZ1JfT3E3N2pNTW9YaTFSb0Nk"
    "IiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDAsInNjb3BlIjoib3JkZXJz"
    "OnJlYWQiLCJjbGllbnRfaWQiOiJhcGktY2xpZW50IiwiaXNzIjoiaHR0cDovLzEyNy4w"
    "LjAuMTo0MDk3NSIsImF1ZCI6ImFwaTovL2RlZmF1bHQiLCJzdWIiOiJhcGktY2xpZW50"
    "In0";

__attribute__((noinline)) int verify_loop(EVP_PKEY *pk, const unsigned char *sig,
                                          size_t siglen, int n);

__attribute__((noinline)) int verify_loop(EVP_PKEY *pk, const unsigned char *sig,
                                          size_t siglen, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        if (c && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, pk) == 1 &&
            EVP_DigestVerify(c, sig, siglen, (const unsigned char *)signing_input,
                             sizeof(signing_input) - 1) == 1)
            ok++;
        EVP_MD_CTX_free(c);
    }
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s KEY.pem N\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]);
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    EVP_PKEY *pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!pk) {
        ERR_print_errors_fp(stderr);
        return 2;
    }
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, pk) != 1 ||
        EVP_DigestSign(c, sig, &siglen, (const unsigned char *)signing_input,
                       sizeof(signing_input) - 1) != 1) {
        ERR_print_errors_fp(stderr);
        return 2;
    }
    EVP_MD_CTX_free(c);
    int ok = verify_loop(pk, sig, siglen, n);
    printf("verified %d/%d (%s %d bits, signing input %zu bytes)\n", ok, n,
           EVP_PKEY_get0_type_name(pk), EVP_PKEY_get_bits(pk),
           sizeof(signing_input) - 1);
    EVP_PKEY_free(pk);
    return ok == n ? 0 : 1;
}
