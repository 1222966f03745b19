/* libFuzzer: pl_dtls_cert_from_pem on an application's PEM. The input is the
 * certificate, a NUL byte, then the private key (no NUL: both halves are the
 * whole input). Nothing may crash, leak, prompt for a passphrase or leave
 * errors in OpenSSL's queue; an accepted pair must have a well-formed
 * fingerprint and survive a PEM round trip. */
#include <openssl/err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dtls/dtls.h"
#include "parley.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 2);
  if (!buf)
    return 0;
  memcpy(buf, data, size);
  buf[size] = buf[size + 1] = 0;
  const char *cert = buf, *nul = memchr(buf, 0, size);
  const char *key = nul && nul < buf + size ? nul + 1 : buf;
  pl_dtls_cert *c = (pl_dtls_cert *)&c;
  int rc = pl_dtls_cert_from_pem(&c, cert, key);
  if (ERR_peek_error() != 0)
    __builtin_trap();
  if (rc != 0) {
    if (c != NULL || (rc != PL_EFORMAT && rc != PL_EPARSE && rc != PL_EAUTH &&
                      rc != PL_ECRYPTO && rc != PL_ENOMEM))
      __builtin_trap();
  } else {
    const char *fp = pl_dtls_cert_fingerprint(c);
    char alg[16];
    uint8_t dg[64];
    if (pl_dtls_parse_fingerprint(fp, alg, sizeof alg, dg, sizeof dg) != 32)
      __builtin_trap();
    static char cp[65536], kp[65536];
    if (pl_dtls_cert_to_pem(c, cp, sizeof cp, kp, sizeof kp) == 0) {
      pl_dtls_cert *back;
      if (pl_dtls_cert_from_pem(&back, cp, kp) != 0 ||
          strcmp(pl_dtls_cert_fingerprint(back), fp) != 0)
        __builtin_trap();
      pl_dtls_cert_free(back);
    }
    pl_dtls_cert_free(c);
  }
  free(buf);
  return 0;
}
