/* Log-spectral distance over a frequency band with a chosen frame length:
 * the bandwidth-extension tables score the added band (e.g. 8-24 kHz) on
 * its own, with the 32 ms frames usual in that literature (docs/bwe.md).
 * pl_lsd_db is its case of 20 ms frames over every bin. The floor sits
 * LSD_FLOOR below the loudest reference bin of any active frame: bins far
 * below what is audible do not dominate, and the measure does not change
 * when both signals change level together. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/metrics/fft.h"
#include "audio/metrics/metrics.h"

#define LSD_ACTIVE 1e-4 /* 40 dB below the loudest frame */
#define LSD_FLOOR 1e-8  /* 80 dB below the loudest reference bin */

static void spectrum(const pl_fft *fft, const float *x, const double *w, size_t len,
                     size_t nfft, double *buf, double *out) {
  memset(buf, 0, nfft * sizeof *buf);
  for (size_t k = 0; k < len; k++)
    buf[k] = x[k] * w[k];
  pl_fft_real_forward(fft, buf, out);
}

double pl_lsd_band_db(const float *ref, const float *deg, size_t n, int rate, int frame_ms,
                      double f_lo, double f_hi) {
  size_t len = (size_t)rate * (size_t)frame_ms / 1000, hop = len / 2;
  if (frame_ms < 2 || len < 4 || n < len || !(f_hi > f_lo))
    return NAN;
  size_t nfft = pl_fft_next_pow2(len), bins = nfft / 2 + 1;
  size_t k0 = (size_t)ceil(f_lo * (double)nfft / rate);
  size_t k1 = (size_t)ceil(f_hi * (double)nfft / rate); /* exclusive */
  if (k1 > bins)
    k1 = bins;
  if (k0 >= k1)
    return NAN;
  size_t frames = (n - len) / hop + 1;
  pl_fft *fft = pl_fft_new(nfft);
  double *w = malloc(len * sizeof *w), *buf = malloc(nfft * sizeof *buf);
  double *sr = malloc((nfft + 2) * sizeof *sr), *sd = malloc((nfft + 2) * sizeof *sd);
  double *fe = malloc(frames * sizeof *fe);
  double result = NAN;
  if (!fft || !w || !buf || !sr || !sd || !fe)
    goto done;
  for (size_t k = 0; k < len; k++)
    w[k] = 0.5 - 0.5 * cos(2.0 * M_PI * (double)k / (double)len);
  double max_e = 0.0;
  for (size_t f = 0; f < frames; f++) {
    double e = 0.0;
    for (size_t k = 0; k < len; k++) {
      double v = ref[f * hop + k] * w[k];
      e += v * v;
    }
    fe[f] = e;
    max_e = fmax(max_e, e);
  }
  if (max_e == 0.0)
    goto done;
  double peak = 0.0;
  for (size_t f = 0; f < frames; f++) {
    if (fe[f] < max_e * LSD_ACTIVE)
      continue;
    spectrum(fft, ref + f * hop, w, len, nfft, buf, sr);
    for (size_t k = 0; k < bins; k++)
      peak = fmax(peak, sr[2 * k] * sr[2 * k] + sr[2 * k + 1] * sr[2 * k + 1]);
  }
  double floor_p = peak * LSD_FLOOR, sum = 0.0;
  size_t used = 0;
  for (size_t f = 0; f < frames; f++) {
    if (fe[f] < max_e * LSD_ACTIVE)
      continue;
    spectrum(fft, ref + f * hop, w, len, nfft, buf, sr);
    spectrum(fft, deg + f * hop, w, len, nfft, buf, sd);
    double acc = 0.0;
    for (size_t k = k0; k < k1; k++) {
      double pr = sr[2 * k] * sr[2 * k] + sr[2 * k + 1] * sr[2 * k + 1];
      double pd = sd[2 * k] * sd[2 * k] + sd[2 * k + 1] * sd[2 * k + 1];
      double l = 10.0 * log10(fmax(pr, floor_p) / fmax(pd, floor_p));
      acc += l * l;
    }
    sum += sqrt(acc / (double)(k1 - k0));
    used++;
  }
  result = used ? sum / (double)used : NAN;
done:
  pl_fft_free(fft);
  free(w);
  free(buf);
  free(sr);
  free(sd);
  free(fe);
  return result;
}
