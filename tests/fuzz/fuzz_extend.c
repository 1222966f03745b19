/* The bandwidth extender under arbitrary streams: the input is a script of
 * frames (1 or 2 channels, samples from the input including NaN, Inf and
 * huge values, or a synthetic tone band-limited at 4 or 8 kHz so the
 * network and the delay switches really run), packet hints (any TOC byte),
 * mode changes and resets. Output is finite unless a broken sample went in
 * (those pass as they are, up to a frame late), never beyond the input's
 * +-2, and within [-1, 1] for the tone frames. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ai/extend/extend.h"

static pl_extend *ext;

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
  if (!ext && pl_extend_new(&ext, NULL))
    abort();
  pl_extend_reset(ext);
  pl_extend_set_mode(ext, PL_EXTEND_AUTO);
  pl_extend_set_hint(ext, 0);
  static float in[2 * PL_EXTEND_FRAME], out[2 * PL_EXTEND_FRAME];
  long n0 = 0;
  size_t at = 0;
  int saw_bad = 0;
  while (at + 2 <= size) {
    uint8_t op = data[at], arg = data[at + 1];
    at += 2;
    switch (op % 6) {
    case 0: { /* a frame of input samples */
      int ch = 1 + (arg & 1);
      for (int i = 0; i < PL_EXTEND_FRAME * ch; i++) {
        size_t k = at + 2 * (size_t)(i % 64);
        in[i] = k + 2 <= size ? sample(data + k) : 0.0f;
      }
      for (int i = 0; i < PL_EXTEND_FRAME * ch; i++)
        saw_bad |= !isfinite(in[i]) || fabsf(in[i]) > 2.0f;
      memcpy(out, in, sizeof in);
      pl_extend_process(ext, out, PL_EXTEND_FRAME, ch);
      for (int i = 0; i < PL_EXTEND_FRAME * ch; i++)
        if (!saw_bad && !(isfinite(out[i]) && fabsf(out[i]) <= 2.0f))
          abort();
      break;
    }
    case 1: { /* a band-limited tone frame, to drive the network */
      int ch = 1 + (arg & 1);
      double top = arg & 2 ? 7800.0 : 3900.0;
      for (int i = 0; i < PL_EXTEND_FRAME; i++, n0++) {
        double s = 0.0;
        for (int k = 1; 150.0 * k < top; k++)
          s += sin(2 * M_PI * 150.0 * k * (double)n0 / 48000.0) / k;
        for (int c = 0; c < ch; c++)
          out[i * ch + c] = (float)(0.05 * (1 + (arg >> 4)) * s);
      }
      pl_extend_process(ext, out, PL_EXTEND_FRAME, ch);
      for (int i = 0; i < PL_EXTEND_FRAME * ch; i++)
        if (!saw_bad && !(isfinite(out[i]) && fabsf(out[i]) <= 2.0f))
          abort();
      break;
    }
    case 2: {
      uint8_t toc = arg;
      pl_extend_set_hint(ext, pl_extend_opus_band_hz(&toc, 1));
      break;
    }
    case 3:
      pl_extend_set_mode(ext, (pl_extend_mode)(arg % 3));
      if (arg & 4)
        pl_extend_set_cutoff(ext, 4000 + 200 * (arg >> 3) % 4400);
      break;
    case 4:
      if (arg == 0)
        pl_extend_reset(ext);
      break;
    default: { /* a bad call must be refused, not crash */
      if (pl_extend_process(ext, out, PL_EXTEND_FRAME - 1 - (arg % 4), 1) == 0)
        abort();
      break;
    }
    }
  }
  return 0;
}
