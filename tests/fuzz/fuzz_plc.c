/* The neural concealer under arbitrary call sequences: the input is a
 * script of observe() calls (any size, 1 or 2 channels, samples taken from
 * the input including NaN, Inf and huge values), conceal() calls (any
 * size) and bridge() calls (any gap the jitter buffer may ask for, with a
 * next packet taken from the input); every concealed sample must be finite
 * and within [-1, 1]. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ai/plc/plc.h"

static pl_plc *plc;

static float sample(const uint8_t *p) {
  int16_t v = (int16_t)(p[0] | p[1] << 8);
  switch (v) {
  case 0x7ff0:
    return NAN;
  case 0x7ff1:
    return INFINITY;
  case 0x7ff2:
    return -1e30f;
  default:
    return (float)v / 16384.0f; /* up to +-2 */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!plc)
    plc = pl_plc_new(NULL);
  if (!plc)
    abort();
  pl_plc_reset(plc);
  static float buf[2 * 2400];
  size_t at = 0;
  while (at + 3 <= size) {
    uint8_t op = data[at];
    int n = 1 + ((data[at + 1] | data[at + 2] << 8) % 2400);
    int ch = 1 + (op >> 7);
    at += 3;
    if ((op & 3) == 2) {
      static float out[2 * PL_PLC_BRIDGE_MAX], next[2 * 1960];
      int g = 120 * (1 + n % (PL_PLC_BRIDGE_MAX / 120)), nn = 960 + n % 1000;
      for (int i = 0; i < nn * ch; i++) {
        next[i] = at + 2 <= size ? sample(data + at) : 0.0f;
        at += 2;
      }
      if (pl_plc_bridge(plc, out, g, next, nn, ch) != 0)
        abort();
      for (int i = 0; i < g * ch; i++)
        if (!isfinite(out[i]) || fabsf(out[i]) > 1.0f)
          abort();
    } else if (op & 1) {
      if (pl_plc_conceal(plc, buf, n, ch, 1) != 0)
        abort();
      for (int i = 0; i < n * ch; i++)
        if (!isfinite(buf[i]) || fabsf(buf[i]) > 1.0f)
          abort();
    } else {
      int m = n * ch;
      for (int i = 0; i < m; i++) {
        buf[i] = at + 2 <= size ? sample(data + at) : 0.0f;
        at += 2;
      }
      pl_plc_observe(plc, buf, n, ch);
    }
  }
  return 0;
}
