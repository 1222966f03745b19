/* libFuzzer target for the noise suppressor: (1) a model file from memory
 * (CRC repaired so mutations reach the denoise checks: kind, format,
 * input/output sizes), and if one loads, a few frames through it; (2) the
 * input bytes as raw float samples (NaN, Inf, huge values included) through
 * the built-in model, which must give finite output. The first byte picks. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ai/denoise/denoise.h"
#include "base/bytes.h"
#include "base/crc32.h"
#include "base/log.h"

static void run_frames(const pl_denoise_model *m, const uint8_t *p, size_t n,
                       int check) {
  pl_denoise *d;
  if (pl_denoise_new(&d, m))
    return;
  float in[PL_DENOISE_FRAME], out[PL_DENOISE_FRAME];
  size_t per = sizeof in;
  for (int t = 0; t < 4; t++) {
    memset(in, 0, sizeof in);
    if (n > (size_t)t * per)
      memcpy(in, p + t * per, n - t * per < per ? n - t * per : per);
    float v = pl_denoise_process(d, in, out);
    if (check) {
      if (!(v >= 0.0f && v <= 1.0f))
        abort();
      for (int i = 0; i < PL_DENOISE_FRAME; i++)
        if (!isfinite(out[i]))
          abort();
    }
  }
  pl_denoise_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pl_log_set_level(PL_LOG_OFF);
  if (size < 1)
    return 0;
  const uint8_t *p = data + 1;
  size_t n = size - 1;
  if (data[0] & 1) {
    run_frames(NULL, p, n, 1);
    return 0;
  }
  char why[160];
  pl_denoise_model *m;
  if (pl_denoise_model_load_bytes(&m, p, n, why, sizeof why) == 0) {
    run_frames(m, NULL, 0, 0);
    pl_denoise_model_free(m);
  }
  if (n >= 64) {
    uint8_t *copy = malloc(n);
    memcpy(copy, p, n);
    pl_put_le32(copy + 24, pl_crc32(0, copy + 64, n - 64));
    if (pl_denoise_model_load_bytes(&m, copy, n, why, sizeof why) == 0) {
      run_frames(m, NULL, 0, 0);
      pl_denoise_model_free(m);
    }
    free(copy);
  }
  return 0;
}
