/* DTLS identity: the self-signed certificate a WebRTC endpoint presents and
 * the SDP fingerprint that authenticates it (RFC 8122, RFC 8827 6.5). */
#include <ctype.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/dtls/dtls_internal.h"
#include "parley.h"

static const struct {
  const char *name;
  size_t len;
} hashes[] = {{"sha-1", 20},
              {"sha-224", 28},
              {"sha-256", 32},
              {"sha-384", 48},
              {"sha-512", 64}};

const EVP_MD *pl_dtls_md_(const char *alg) {
  if (!strcasecmp(alg, "sha-1"))
    return EVP_sha1();
  if (!strcasecmp(alg, "sha-224"))
    return EVP_sha224();
  if (!strcasecmp(alg, "sha-256"))
    return EVP_sha256();
  if (!strcasecmp(alg, "sha-384"))
    return EVP_sha384();
  if (!strcasecmp(alg, "sha-512"))
    return EVP_sha512();
  return NULL;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int pl_dtls_parse_fingerprint(const char *fp, char *alg, size_t alg_cap,
                              uint8_t *digest, size_t digest_cap) {
  if (!fp || !alg || !digest)
    return PL_EINVAL;
  while (*fp == ' ')
    fp++;
  const char *sp = strchr(fp, ' ');
  if (!sp || (size_t)(sp - fp) >= alg_cap)
    return PL_EPARSE;
  memcpy(alg, fp, (size_t)(sp - fp));
  alg[sp - fp] = 0;
  size_t want = 0;
  for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
    if (!strcasecmp(alg, hashes[i].name))
      want = hashes[i].len;
  if (!want)
    return PL_ENOTSUP;
  if (want > digest_cap)
    return PL_EFULL;
  const char *p = sp;
  while (*p == ' ')
    p++;
  for (size_t i = 0; i < want; i++) {
    int hi = hexval(p[0]), lo = hi < 0 ? -1 : hexval(p[1]);
    if (hi < 0 || lo < 0)
      return PL_EPARSE;
    digest[i] = (uint8_t)(hi << 4 | lo);
    p += 2;
    if (i + 1 < want) {
      if (*p != ':')
        return PL_EPARSE;
      p++;
    }
  }
  while (*p == ' ' || *p == '\r' || *p == '\n')
    p++;
  return *p ? PL_EPARSE : (int)want;
}

static int compute_fingerprint(pl_dtls_cert *c) {
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (X509_digest(c->x509, EVP_sha256(), md, &n) != 1 || n != 32)
    return PL_ECRYPTO;
  char *o = c->fingerprint;
  o += sprintf(o, "sha-256 ");
  for (unsigned i = 0; i < n; i++)
    o += sprintf(o, i ? ":%02X" : "%02X", md[i]);
  return 0;
}

int pl_dtls_cert_generate(pl_dtls_cert **out) {
  if (!out)
    return PL_EINVAL;
  *out = NULL;
  pl_dtls_cert *c = calloc(1, sizeof *c);
  if (!c)
    return PL_ENOMEM;
  int rc = PL_ECRYPTO;
  uint8_t serial[8];
  c->key = EVP_EC_gen("P-256");
  c->x509 = X509_new();
  if (!c->key || !c->x509 || RAND_bytes(serial, sizeof serial) != 1)
    goto fail;
  uint64_t sn = 0;
  for (int i = 0; i < 8; i++)
    sn = sn << 8 | serial[i];
  sn &= INT64_MAX; /* positive INTEGER */
  X509_NAME *name = X509_get_subject_name(c->x509);
  if (X509_set_version(c->x509, 2) != 1 ||
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(c->x509), sn) != 1 ||
      !X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400L) ||
      !X509_gmtime_adj(X509_getm_notAfter(c->x509), 30L * 86400L) ||
      X509_set_pubkey(c->x509, c->key) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 (const unsigned char *)"parley", -1, -1, 0) != 1 ||
      X509_set_issuer_name(c->x509, name) != 1 ||
      X509_sign(c->x509, c->key, EVP_sha256()) <= 0)
    goto fail;
  if ((rc = compute_fingerprint(c)) < 0)
    goto fail;
  *out = c;
  return 0;
fail:
  pl_dtls_cert_free(c);
  return rc;
}

/* An encrypted key would make OpenSSL's default callback ask for a
 * passphrase on the terminal: a library must not, so there is none. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return -1;
}

int pl_dtls_cert_from_pem(pl_dtls_cert **out, const char *cert_pem,
                          const char *key_pem) {
  if (!out || !cert_pem || !key_pem)
    return PL_EINVAL;
  *out = NULL;
  pl_dtls_cert *c = calloc(1, sizeof *c);
  if (!c)
    return PL_ENOMEM;
  BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
  int rc = PL_ENOMEM;
  if (!cb || !kb)
    goto fail;
  rc = PL_EFORMAT; /* the certificate */
  if (!(c->x509 = PEM_read_bio_X509(cb, NULL, no_passphrase, NULL)))
    goto fail;
  rc = PL_EPARSE; /* the private key */
  if (!(c->key = PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL)))
    goto fail;
  rc = PL_EAUTH;
  if (X509_check_private_key(c->x509, c->key) != 1)
    goto fail;
  if ((rc = compute_fingerprint(c)) < 0)
    goto fail;
  BIO_free(cb);
  BIO_free(kb);
  ERR_clear_error();
  *out = c;
  return 0;
fail:
  BIO_free(cb);
  BIO_free(kb);
  /* Leave no parse errors behind for a later SSL_get_error to misread. */
  ERR_clear_error();
  pl_dtls_cert_free(c);
  return rc;
}

static int bio_to_buf(BIO *b, char *buf, size_t cap) {
  char *data;
  long n = BIO_get_mem_data(b, &data);
  if (n < 0 || (size_t)n + 1 > cap)
    return PL_EFULL;
  memcpy(buf, data, (size_t)n);
  buf[n] = 0;
  return 0;
}

int pl_dtls_cert_to_pem(const pl_dtls_cert *c, char *cert_pem, size_t cert_cap,
                        char *key_pem, size_t key_cap) {
  if (!c || !cert_pem || !key_pem)
    return PL_EINVAL;
  BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
  int rc = PL_ECRYPTO;
  if (cb && kb && PEM_write_bio_X509(cb, c->x509) == 1 &&
      PEM_write_bio_PrivateKey(kb, c->key, NULL, NULL, 0, NULL, NULL) == 1) {
    rc = bio_to_buf(cb, cert_pem, cert_cap);
    if (rc == 0)
      rc = bio_to_buf(kb, key_pem, key_cap);
  }
  BIO_free(cb);
  BIO_free(kb);
  return rc;
}

const char *pl_dtls_cert_fingerprint(const pl_dtls_cert *c) {
  return c ? c->fingerprint : "";
}

void pl_dtls_cert_free(pl_dtls_cert *c) {
  if (!c)
    return;
  X509_free(c->x509);
  EVP_PKEY_free(c->key);
  free(c);
}
