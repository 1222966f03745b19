/* Shared between cert.c and dtls.c; not part of the public API. */
#ifndef PL_NET_DTLS_INTERNAL_H
#define PL_NET_DTLS_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/dtls/dtls.h"

struct pl_dtls_cert {
  X509 *x509;
  EVP_PKEY *key;
  char fingerprint[PL_DTLS_FINGERPRINT_MAX];
};

/* The OpenSSL digest for an RFC 8122 hash name ("sha-256"), or NULL. */
const EVP_MD *pl_dtls_md_(const char *alg);

/* Tests only: the connection's SSL object (to pick its cipher suites, or to
 * make it send what pl_dtls never would). */
SSL *pl_dtls_ssl_(pl_dtls *d);

#endif
