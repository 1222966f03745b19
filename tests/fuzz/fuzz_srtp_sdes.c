/* Fuzz the RFC 4568 a=crypto parser: no crash, and whatever it accepts
 * writes back to text that parses to the same thing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/srtp/sdes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pl_sdes_crypto a, b;
  if (pl_sdes_parse(&a, (const char *)data, size) != 0)
    return 0;
  char text[512];
  int n = pl_sdes_write(&a, text, sizeof text);
  if (n < 0)
    abort();
  if (pl_sdes_parse(&b, text, (size_t)n) != 0)
    abort();
  if (a.tag != b.tag || a.profile != b.profile || a.key_len != b.key_len ||
      memcmp(a.key, b.key, a.key_len) != 0 || a.lifetime != b.lifetime ||
      a.mki != b.mki || a.mki_len != b.mki_len ||
      strcmp(a.session_params, b.session_params) != 0)
    abort();
  return 0;
}
