/* libFuzzer: garbage datagrams (length-prefixed in the input) fed to a DTLS
 * server endpoint, then its timers. Nothing may crash or leak. */
#include <stddef.h>
#include <stdint.h>

#include "net/dtls/dtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static pl_dtls_cert *cert;
  if (!cert && pl_dtls_cert_generate(&cert) != 0)
    return 0;
  pl_dtls_config cfg = {.role = PL_DTLS_SERVER,
                        .cert = cert,
                        .remote_fingerprint = pl_dtls_cert_fingerprint(cert)};
  pl_dtls *d = pl_dtls_new(&cfg);
  if (!d)
    return 0;
  pl_time_us now = 0;
  size_t off = 0;
  while (off + 2 <= size) {
    size_t n = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (n > size - off)
      n = size - off;
    if (n)
      pl_dtls_input(d, now, data + off, n);
    off += n;
    now += 100000;
    pl_dtls_output o;
    while (pl_dtls_poll(d, &o))
      ;
  }
  for (int i = 0; i < 8; i++) {
    pl_time_us dl = pl_dtls_deadline(d);
    if (dl == PL_TIME_NEVER)
      break;
    now = dl;
    pl_dtls_timeout(d, now);
    pl_dtls_output o;
    while (pl_dtls_poll(d, &o))
      ;
  }
  pl_dtls_free(d);
  return 0;
}
