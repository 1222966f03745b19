/* The loss-trace parser of `parley conceal` (audio/plc/loss.h) on arbitrary
 * text: never reads past n; on success every entry is 0 or 1 and there are
 * no more entries than lines; on failure it names a line within the text. */
#include <stdint.h>
#include <stdlib.h>

#include "audio/plc/loss.h"
#include "parley.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *v;
  size_t n, bad;
  int r = pl_loss_trace_parse(data, size, &v, &n, &bad);
  size_t lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  if (r == 0) {
    if (!v || n == 0 || n > lines)
      abort();
    for (size_t i = 0; i < n; i++)
      if (v[i] > 1)
        abort();
    free(v);
  } else if (r == PL_EPARSE) {
    if (v || bad > lines)
      abort();
  } else if (r != PL_ENOMEM) {
    abort();
  }
  return 0;
}
