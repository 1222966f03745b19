/* libFuzzer: DCEP (RFC 8832) messages through the parser; what parses is
 * rebuilt and must come out byte for byte the same. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/sctp/dcep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)pl_dcep_type(data, size);
  pl_dcep_open o;
  int n = pl_dcep_parse_open(&o, data, size);
  if (n < 0)
    return 0;
  if ((size_t)n > size || o.label < data || o.label + o.label_len > data + size ||
      o.protocol + o.protocol_len > data + size)
    __builtin_trap();
  static uint8_t out[12 + 2 * 65535];
  int m = pl_dcep_build_open(out, sizeof out, &o);
  if (m != n || memcmp(out, data, (size_t)n) != 0)
    __builtin_trap();
  return 0;
}
