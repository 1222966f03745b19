/* What the loopback lab feeds its calls and scores against: WAV files as
 * mono, and noisy input (a clean talker plus a noise at a chosen SNR), so a
 * send-side suppressor (the denoise stage) can be scored against the clean
 * talker on the far end of the call. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/parley/lab.h"
#include "apps/parley/wav_input.h"
#include "audio/frame.h"
#include "audio/resample/resample.h"
#include "audio/wav/wav.h"
#include "base/rng.h"

int pl_lab_load_mono(const char *path, const char *what, float **out, size_t *n, int *rate) {
  pl_wav_info info;
  *out = pl_cli_read_mono("parley loopback", what, path, &info);
  if (!*out)
    return PL_EFORMAT;
  /* Every lab input is sent (or looped under one as noise), so it goes
   * through the resampler to 48 kHz: refuse here, by name, the rates it
   * does not take (the WAV reader itself accepts 1..384 kHz). */
  if (info.rate != PL_AUDIO_RATE &&
      (info.rate < PL_RESAMPLE_MIN_RATE || info.rate > PL_RESAMPLE_MAX_RATE)) {
    fprintf(stderr,
            "parley loopback: %s%s%s: sample rate %d Hz is outside the %d..%d Hz the resampler "
            "to 48 kHz takes\n",
            what ? what : "", what ? " " : "", path, info.rate, PL_RESAMPLE_MIN_RATE,
            PL_RESAMPLE_MAX_RATE);
    free(*out);
    *out = NULL;
    return PL_ENOTSUP;
  }
  *n = (size_t)info.frames;
  *rate = info.rate;
  return 0;
}

/* Active speech power: the mean power of the 20 ms frames within 40 dB of
 * the loudest (a simple stand-in for P.56), so pauses do not lower the
 * speech level and make the SNR look better than it sounds. */
static double active_power(const float *x, size_t n, int rate) {
  size_t fl = (size_t)rate / 50;
  if (fl == 0 || n < fl)
    fl = n ? n : 1;
  size_t nf = n / fl;
  if (nf == 0)
    return 0;
  double peak = 0;
  for (size_t f = 0; f < nf; f++) {
    double e = 0;
    for (size_t i = 0; i < fl; i++)
      e += (double)x[f * fl + i] * x[f * fl + i];
    if (e > peak)
      peak = e;
  }
  double sum = 0;
  size_t used = 0;
  for (size_t f = 0; f < nf; f++) {
    double e = 0;
    for (size_t i = 0; i < fl; i++)
      e += (double)x[f * fl + i] * x[f * fl + i];
    if (e >= peak * 1e-4) {
      sum += e;
      used += fl;
    }
  }
  return used ? sum / (double)used : 0;
}

static int load_noise(const char *spec, size_t n, int rate, uint64_t seed, float *out) {
  if (!strcmp(spec, "white") || !strcmp(spec, "pink")) {
    pl_rng r;
    pl_rng_seed(&r, seed ^ 0x6e6f697365ull);
    /* Pink by Paul Kellet's economy filter: three poles, -3 dB/octave
     * within 0.5 dB over the speech band. */
    double b0 = 0, b1 = 0, b2 = 0;
    for (size_t i = 0; i < n; i++) {
      double w = pl_rng_normal(&r);
      if (spec[0] == 'p') {
        b0 = 0.99765 * b0 + w * 0.0990460;
        b1 = 0.96300 * b1 + w * 0.2965164;
        b2 = 0.57000 * b2 + w * 1.0526913;
        w = b0 + b1 + b2 + w * 0.1848;
      }
      out[i] = (float)w;
    }
    return 0;
  }
  float *x = NULL;
  size_t m = 0;
  int rate_in = 0;
  int rc = pl_lab_load_mono(spec, "--noise", &x, &m, &rate_in);
  if (rc)
    return rc;
  if (rate_in != rate) {
    float *y = NULL;
    size_t ny = 0;
    rc = pl_resample_buffer(1, rate_in, rate, 5, x, m, &y, &ny);
    free(x);
    if (rc)
      return rc;
    x = y;
    m = ny;
  }
  if (m == 0) {
    free(x);
    return PL_EFORMAT;
  }
  for (size_t i = 0; i < n; i++)
    out[i] = x[i % m]; /* a short noise loops under the whole talker */
  free(x);
  return 0;
}

int pl_lab_mix_noise(const float *clean, size_t n, int rate, const char *spec, double snr_db,
                     uint64_t seed, float **out) {
  *out = NULL;
  float *y = malloc((n ? n : 1) * sizeof *y);
  if (!y)
    return PL_ENOMEM;
  int rc = load_noise(spec, n, rate, seed, y);
  if (rc) {
    free(y);
    return rc;
  }
  double ps = active_power(clean, n, rate), pn = 0;
  for (size_t i = 0; i < n; i++)
    pn += (double)y[i] * y[i];
  pn = n ? pn / (double)n : 0;
  double g = pn > 0 && ps > 0 ? sqrt(ps / (pn * pow(10.0, snr_db / 10.0))) : 0;
  for (size_t i = 0; i < n; i++) {
    double v = clean[i] + g * y[i];
    /* Clip like a microphone preamp would rather than wrap in the WAV. */
    y[i] = (float)(v > 1.0 ? 1.0 : v < -1.0 ? -1.0 : v);
  }
  *out = y;
  return 0;
}
