/* WSOLA (audio/jitter/stretch.h) on arbitrary audio: the period search stays
 * in range, splices change the length by exactly the lag and never make a
 * sample larger than the largest input sample (they only blend), and the
 * extension and cross-fade stay finite. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/jitter/stretch.h"
#include "parley.h"

#define MAXN 4000

static float peak(const float *x, int n) {
  float m = 0;
  for (int i = 0; i < n; i++)
    m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
  return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3)
    return 0;
  int ch = 1 + (data[0] & 1);
  int max_lag = 1 + (int)data[1] * 4; /* 1..1021: below, inside, above range */
  size_t body = (size - 2) / 2;
  int n = (int)(body / (size_t)ch);
  if (n > MAXN)
    n = MAXN;
  static float x[(MAXN + PL_STRETCH_MAX_LAG) * 2], y[(MAXN + PL_STRETCH_MAX_LAG) * 2];
  static float scratch[MAXN * 2], ext[PL_STRETCH_MAX_LAG * 2];
  for (int i = 0; i < n * ch; i++) {
    int16_t v = (int16_t)(data[2 + 2 * i] | data[3 + 2 * i] << 8);
    x[i] = v / 32768.0f;
  }
  /* Blends may round one ulp above their inputs. */
  float pk = peak(x, n * ch) * 1.0001f + 1e-7f;
  pl_stretch_match m;
  int r = pl_stretch_find(x, n, ch, max_lag, &m);
  if (r == PL_ERANGE) {
    if (m.lag != 0 || (n >= pl_stretch_need(PL_STRETCH_MIN_LAG) && max_lag >= PL_STRETCH_MIN_LAG))
      abort();
  } else {
    if (r != 0 || m.lag < PL_STRETCH_MIN_LAG || m.lag > max_lag || m.lag > PL_STRETCH_MAX_LAG ||
        2 * m.lag > n || !(m.corr >= -1.001f && m.corr <= 1.001f) || !(m.power >= 0))
      abort();
    memcpy(y, x, sizeof(float) * (size_t)(n * ch));
    if (pl_stretch_remove(y, n, ch, m.lag) || peak(y, (n - m.lag) * ch) > pk)
      abort();
    memcpy(y, x, sizeof(float) * (size_t)(n * ch));
    if (pl_stretch_insert(y, n, ch, m.lag) || peak(y, (n + m.lag) * ch) > pk)
      abort();
    /* The untouched tail moves by exactly the lag. */
    if (memcmp(y + 2 * m.lag * ch, x + m.lag * ch, sizeof(float) * (size_t)((n - m.lag) * ch)))
      abort();
  }
  if (n > 0) {
    int len = n < PL_STRETCH_MAX_LAG ? n : PL_STRETCH_MAX_LAG;
    int p = pl_stretch_extend(x, n, ch, scratch, ext, len);
    if (p < 0 || p > n || peak(ext, len * ch) > pk)
      abort();
    memcpy(y, x, sizeof(float) * (size_t)(len * ch));
    pl_stretch_crossfade(y, ext, len, ch);
    if (!(peak(y, len * ch) <= pk))
      abort();
  }
  return 0;
}
