/* SNR, segmental SNR, SI-SDR, log-spectral distance, the offline
 * resampler and pl_audio_compare, which aligns then runs them all. */
#include "audio/metrics/metrics.h"

#include <math.h>
#include <speex/speex_resampler.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/metrics/fft.h"
#include "parley.h"

#define ACTIVE_RANGE 1e-4 /* 40 dB below the loudest frame */

double pl_snr_db(const float *ref, const float *deg, size_t n) {
  double s = 0.0, e = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)ref[i] - deg[i];
    s += (double)ref[i] * ref[i];
    e += d * d;
  }
  if (e == 0.0)
    return s > 0.0 ? INFINITY : NAN;
  return 10.0 * log10(s / e);
}

double pl_segsnr_db(const float *ref, const float *deg, size_t n, int rate) {
  size_t len = (size_t)rate / 50, frames = len ? n / len : 0;
  double max_e = 0.0;
  for (size_t f = 0; f < frames; f++) {
    double s = 0.0;
    for (size_t i = f * len; i < (f + 1) * len; i++)
      s += (double)ref[i] * ref[i];
    if (s > max_e)
      max_e = s;
  }
  if (max_e == 0.0)
    return NAN;
  double sum = 0.0;
  size_t used = 0;
  for (size_t f = 0; f < frames; f++) {
    double s = 0.0, e = 0.0;
    for (size_t i = f * len; i < (f + 1) * len; i++) {
      double d = (double)ref[i] - deg[i];
      s += (double)ref[i] * ref[i];
      e += d * d;
    }
    if (s < max_e * ACTIVE_RANGE)
      continue;
    double v = e == 0.0 ? 35.0 : 10.0 * log10(s / e);
    sum += v < -10.0 ? -10.0 : v > 35.0 ? 35.0 : v;
    used++;
  }
  return used ? sum / (double)used : NAN;
}

double pl_si_sdr_db(const float *ref, const float *deg, size_t n) {
  if (n == 0)
    return NAN;
  double mr = 0.0, md = 0.0;
  for (size_t i = 0; i < n; i++) {
    mr += ref[i];
    md += deg[i];
  }
  mr /= (double)n;
  md /= (double)n;
  double rr = 0.0, rd = 0.0;
  for (size_t i = 0; i < n; i++) {
    double r = ref[i] - mr, d = deg[i] - md;
    rr += r * r;
    rd += r * d;
  }
  if (rr == 0.0)
    return NAN;
  double alpha = rd / rr, tt = 0.0, ee = 0.0;
  for (size_t i = 0; i < n; i++) {
    double t = alpha * (ref[i] - mr), e = (deg[i] - md) - t;
    tt += t * t;
    ee += e * e;
  }
  if (ee == 0.0)
    return tt > 0.0 ? INFINITY : NAN;
  if (tt == 0.0)
    return -INFINITY;
  return 10.0 * log10(tt / ee);
}

double pl_lsd_db(const float *ref, const float *deg, size_t n, int rate) {
  /* 20 ms frames every 10 ms over every bin (to Nyquist): the band
   * version's general case (lsd_band.c). */
  return pl_lsd_band_db(ref, deg, n, rate, 20, 0.0, (double)rate);
}

int pl_audio_resample_offline(const float *in, size_t n, int rate_in,
                              int rate_out, float **out, size_t *n_out) {
  if (!in || !out || !n_out || rate_in <= 0 || rate_out <= 0 ||
      n > UINT32_MAX / 2)
    return PL_EINVAL;
  size_t want = (size_t)(((uint64_t)n * (uint64_t)rate_out +
                          (uint64_t)rate_in - 1) / (uint64_t)rate_in);
  float *o = malloc((want ? want : 1) * sizeof *o);
  if (!o)
    return PL_ENOMEM;
  if (rate_in == rate_out) {
    memcpy(o, in, n * sizeof *o);
    *out = o;
    *n_out = n;
    return 0;
  }
  int serr = 0;
  SpeexResamplerState *st = speex_resampler_init(
      1, (spx_uint32_t)rate_in, (spx_uint32_t)rate_out, 10, &serr);
  if (!st) {
    free(o);
    return PL_ENOMEM;
  }
  /* skip_zeros drops the filter's leading delay; feeding input-latency
   * zeros afterwards pushes the last real samples out. */
  speex_resampler_skip_zeros(st);
  size_t got = 0, used = 0;
  size_t tail = (size_t)speex_resampler_get_input_latency(st) + 1;
  float zeros[256] = {0};
  while (got < want) {
    spx_uint32_t in_len, out_len = (spx_uint32_t)(want - got);
    const float *src;
    if (used < n) {
      src = in + used;
      in_len = (spx_uint32_t)(n - used);
    } else {
      if (tail == 0)
        break;
      src = zeros;
      in_len = (spx_uint32_t)(tail < 256 ? tail : 256);
    }
    spx_uint32_t asked = in_len;
    speex_resampler_process_float(st, 0, src, &in_len, o + got, &out_len);
    got += out_len;
    if (used < n)
      used += in_len;
    else
      tail -= in_len;
    if (in_len == 0 && out_len == 0 && asked > 0)
      break; /* no progress: should not happen, but never spin */
  }
  speex_resampler_destroy(st);
  for (; got < want; got++)
    o[got] = 0.0f;
  *out = o;
  *n_out = want;
  return 0;
}

int pl_audio_compare(const float *ref, size_t n_ref, const float *deg,
                     size_t n_deg, int rate, pl_audio_metrics *out) {
  return pl_audio_compare_ex(ref, n_ref, rate, deg, n_deg, rate, NULL, out);
}

int pl_audio_compare_ex(const float *ref, size_t n_ref, int ref_rate,
                        const float *deg, size_t n_deg, int deg_rate,
                        const pl_audio_compare_opts *opts,
                        pl_audio_metrics *out) {
  if (!ref || !deg || !out || n_ref == 0 || n_deg == 0)
    return PL_EINVAL;
  if (ref_rate < 1000 || ref_rate > 384000 || deg_rate < 1000 ||
      deg_rate > 384000)
    return PL_ERANGE;
  memset(out, 0, sizeof *out);
  float *res = NULL;
  if (deg_rate != ref_rate) {
    size_t nn;
    int err = pl_audio_resample_offline(deg, n_deg, deg_rate, ref_rate, &res, &nn);
    if (err)
      return err;
    deg = res;
    n_deg = nn;
  }
  double max_lag_s = opts && opts->max_lag_s > 0.0 ? opts->max_lag_s : 1.0;
  long max_lag = (long)lround(max_lag_s * ref_rate);
  pl_audio_align al;
  int err = pl_audio_align_find(ref, n_ref, deg, n_deg, max_lag, &al);
  if (err) {
    free(res);
    return err;
  }
  size_t from = al.lag < 0 ? (size_t)(-al.lag) : 0;
  long end = (long)n_deg - al.lag;
  size_t to = end < (long)n_ref ? (size_t)(end > 0 ? end : 0) : n_ref;
  out->rate = ref_rate;
  out->delay_samples = al.lag;
  out->delay_ms = 1000.0 * (double)al.lag / ref_rate;
  out->align_peak = al.peak;
  if (to <= from) {
    free(res);
    return PL_ERANGE;
  }
  size_t len = to - from;
  const float *r = ref + from, *d = deg + (size_t)((long)from + al.lag);
  out->overlap = len;
  out->snr_db = pl_snr_db(r, d, len);
  out->segsnr_db = pl_segsnr_db(r, d, len, ref_rate);
  out->si_sdr_db = pl_si_sdr_db(r, d, len);
  out->lsd_db = pl_lsd_db(r, d, len, ref_rate);
  out->stoi_err = pl_stoi(r, d, len, ref_rate, &out->stoi);
  if (out->stoi_err)
    out->stoi = NAN;
  free(res);
  return 0;
}
