/* ai/extend: the band detector, the crossover, the delay and fade, the
 * pass-through of full-band audio, bad input, and the Opus TOC bandwidth
 * (against libopus). Test signals are sums of sinusoids, so their band is
 * exact: a harmonic "voice" (150 Hz, 1/k roll-off, a syllable envelope)
 * with partials up to a chosen frequency. */
#include <criterion/criterion.h>
#include <math.h>
#include <opus/opus.h>
#include <stdlib.h>
#include <string.h>

#include "ai/extend/dsp.h"
#include "ai/extend/extend.h"
#include "parley.h"

#define F PL_EXTEND_FRAME

/* n samples of a voice whose partials stop below top_hz; amp scales it. */
static float *voice(size_t n, double top_hz, double amp, unsigned seed) {
  float *x = malloc(n * sizeof *x);
  double ph[200];
  srand(seed);
  for (int k = 0; k < 200; k++)
    ph[k] = 2 * M_PI * rand() / (double)RAND_MAX;
  for (size_t i = 0; i < n; i++) {
    double t = (double)i / 48000.0, s = 0.0;
    for (int k = 1; k < 200 && 150.0 * k < top_hz; k++)
      s += sin(2 * M_PI * 150.0 * k * t + ph[k - 1]) / k;
    double env = 0.55 + 0.45 * sin(2 * M_PI * 3.0 * t);
    x[i] = (float)(amp * env * s);
  }
  return x;
}

static pl_extend *mk(void) {
  pl_extend *e = NULL;
  cr_assert_eq(pl_extend_new(&e, NULL), 0);
  return e;
}

/* Energy of x[0..n) between f0 and f1 Hz (direct DFT on 2048-sample blocks). */
static double band_energy(const float *x, size_t n, double f0, double f1) {
  const size_t N = 2048;
  double e = 0.0;
  for (size_t s = 0; s + N <= n; s += N)
    for (size_t k = (size_t)ceil(f0 * N / 48000.0); k < (size_t)(f1 * N / 48000.0); k++) {
      double re = 0, im = 0;
      for (size_t t = 0; t < N; t++) {
        double w = 0.5 - 0.5 * cos(2 * M_PI * t / N);
        re += w * x[s + t] * cos(2 * M_PI * k * t / N);
        im -= w * x[s + t] * sin(2 * M_PI * k * t / N);
      }
      e += re * re + im * im;
    }
  return e;
}

static void run(pl_extend *e, float *x, size_t n, int ch) {
  for (size_t t = 0; t + F <= n; t += F)
    cr_assert_eq(pl_extend_process(e, x + t * (size_t)ch, F, ch), 0);
}

Test(extend, full_band_audio_passes_through_bit_exact_in_auto_mode) {
  /* 0.2 s of silence (a call's start), then 3 s of full-band voice. */
  size_t q = 48000 / 5, n = q + 48000 * 3;
  float *x = calloc(n, sizeof *x);
  float *v = voice(n - q, 20000.0, 0.05, 1);
  memcpy(x + q, v, (n - q) * sizeof *x);
  float *y = malloc(n * sizeof *y);
  memcpy(y, x, n * sizeof *y);
  pl_extend *e = mk();
  run(e, y, n, 1);
  pl_extend_stats st;
  pl_extend_get_stats(e, &st);
  /* Undecided, the stream starts 10 ms late; once the detector says full
   * band it drops the delay (on a quiet frame, else after 1 s with a
   * cross-fade) and from then on every sample is the input's, bit for bit. */
  size_t from = q + 48000 * 2;
  cr_assert_eq(memcmp(x + from, y + from, (n - from) * sizeof *x), 0,
               "full-band audio was changed");
  size_t other = 0; /* before: the input 10 ms late, then the input itself */
  for (size_t i = PL_EXTEND_DELAY; i < from; i++)
    other += !(y[i] == x[i - PL_EXTEND_DELAY] || y[i] == x[i]);
  cr_assert_leq(other, PL_EXTEND_FRAME, "%zu samples are neither (one cross-faded frame at most)",
                other);
  cr_assert_eq(st.detected_hz, 0);
  cr_assert_eq(st.cutoff_hz, 0);
  cr_assert_eq(st.model_steps, 0);
  cr_assert_eq(st.delay, 0);
  cr_assert_eq(st.delay_switches, 1);
  free(v);
  pl_extend_free(e);
  free(x);
  free(y);
}

Test(extend, detector_finds_wideband_and_narrowband_and_extends_after_delaying) {
  static const double top[2] = {7800.0, 3900.0};
  static const int want[2] = {8000, 4000};
  for (int c = 0; c < 2; c++) {
    size_t n = 48000 * 3;
    float *x = voice(n, top[c], 0.05, 2);
    float *y = malloc(n * sizeof *y);
    memcpy(y, x, n * sizeof *y);
    pl_extend *e = mk();
    run(e, y, n, 1);
    pl_extend_stats st;
    pl_extend_get_stats(e, &st);
    cr_assert_eq(st.detected_hz, want[c], "detected %d, want %d", st.detected_hz, want[c]);
    cr_assert_eq(st.cutoff_hz, want[c]);
    cr_assert_eq(st.delay, PL_EXTEND_DELAY);
    cr_assert_float_eq(st.gain, 1.0f, 1e-6);
    /* Crossover: out = in (10 ms late) + a band above the cutoff only. */
    size_t s = 48000 * 2, m = 48000;
    float *d = malloc(m * sizeof *d);
    for (size_t i = 0; i < m; i++)
      d[i] = y[s + i] - x[s + i - PL_EXTEND_DELAY];
    double below = band_energy(d, m, 100.0, want[c] - 500.0);
    double above = band_energy(d, m, want[c] + 500.0, 19000.0);
    double in_band = band_energy(x + s, m, 100.0, want[c] - 500.0);
    cr_assert_gt(above, 1e-4 * in_band, "no band was added (%g vs %g)", above, in_band);
    cr_assert_lt(below, 1e-6 * above, "the existing band changed: %g vs added %g", below, above);
    pl_extend_free(e);
    free(d);
    free(x);
    free(y);
  }
}

Test(extend, packet_bandwidth_hint_starts_at_once_and_spectrum_overrides_a_wider_one) {
  size_t n = 48000 * 3;
  float *x = voice(n, 7800.0, 0.05, 3);
  pl_extend *e = mk();
  pl_extend_set_hint(e, 8000); /* Opus WB packets */
  float *y = calloc(n, sizeof *y);
  memcpy(y + 10 * F, x, (n - 10 * F) * sizeof *y);
  /* 100 ms of silence (a call's start: the delay is taken there), then 40
   * ms of voice, before the detector (20 active frames) could say. */
  run(e, y, 14 * F, 1);
  pl_extend_stats st;
  pl_extend_get_stats(e, &st);
  cr_assert_eq(st.detected_hz, -1);
  cr_assert_eq(st.cutoff_hz, 8000);
  pl_extend_free(e);
  /* FB packets carrying audio band-limited before encoding: the spectrum. */
  e = mk();
  pl_extend_set_hint(e, 20000);
  memcpy(y, x, n * sizeof *y);
  run(e, y, n, 1);
  pl_extend_get_stats(e, &st);
  cr_assert_eq(st.cutoff_hz, 8000);
  pl_extend_free(e);
  /* WB packets whose decoded audio is full band (a decoder with its own
   * bandwidth extension, libopus 1.6's OSCE BWE): the spectrum vetoes. */
  e = mk();
  pl_extend_set_hint(e, 8000);
  float *full = voice(n, 20000.0, 0.05, 12);
  run(e, full, n, 1);
  pl_extend_get_stats(e, &st);
  cr_assert_eq(st.detected_hz, 0);
  cr_assert_eq(st.cutoff_hz, 0, "extended a full-band decode from %d Hz", st.cutoff_hz);
  cr_assert_eq(st.delay, 0);
  free(full);
  pl_extend_free(e);
  /* NB packets, whatever the spectrum says: 4 kHz. */
  e = mk();
  pl_extend_set_hint(e, 4000);
  memcpy(y, x, n * sizeof *y);
  run(e, y, n, 1);
  pl_extend_get_stats(e, &st);
  cr_assert_eq(st.cutoff_hz, 4000);
  pl_extend_free(e);
  free(x);
  free(y);
}

Test(extend, bandwidth_change_mid_call_fades_out_then_drops_the_delay_on_a_quiet_frame) {
  /* 3 s wideband, 0.3 s silence, 4 s full band. */
  size_t a = 48000 * 3, g = 48000 * 3 / 10, b = 48000 * 4, n = a + g + b;
  float *wb = voice(a, 7800.0, 0.05, 4), *fb = voice(b, 20000.0, 0.05, 5);
  float *x = calloc(n, sizeof *x);
  memcpy(x, wb, a * sizeof *x);
  memcpy(x + a + g, fb, b * sizeof *x);
  pl_extend *e = mk();
  float prev_gain = 0.0f, max_step = 0.0f;
  int fade_out_start = -1, fade_out_end = -1;
  for (size_t t = 0, f = 0; t + F <= n; t += F, f++) {
    pl_extend_process(e, x + t, F, 1);
    pl_extend_stats st;
    pl_extend_get_stats(e, &st);
    max_step = fmaxf(max_step, fabsf(st.gain - prev_gain));
    if (t > a && prev_gain == 1.0f && st.gain < 1.0f)
      fade_out_start = (int)f;
    if (fade_out_start >= 0 && fade_out_end < 0 && st.gain == 0.0f)
      fade_out_end = (int)f;
    prev_gain = st.gain;
  }
  pl_extend_stats st;
  pl_extend_get_stats(e, &st);
  cr_assert_leq(max_step, 1.0f / PL_EXTEND_FADE_FRAMES + 1e-6f, "gain jumped by %g", max_step);
  cr_assert_geq(fade_out_start, 0, "never faded out");
  cr_assert_eq(fade_out_end - fade_out_start, PL_EXTEND_FADE_FRAMES - 1);
  cr_assert_eq(st.cutoff_hz, 0);
  cr_assert_eq(st.delay, 0, "the delay was not dropped");
  cr_assert_eq(st.delay_switches, 1); /* delayed from the start: dropped once */
  pl_extend_free(e);
  free(wb);
  free(fb);
  free(x);
}

Test(extend, silence_stays_silent_and_full_scale_noise_stays_bounded) {
  pl_extend *e = mk();
  pl_extend_set_mode(e, PL_EXTEND_ON);
  cr_assert_eq(pl_extend_set_cutoff(e, 8000), 0);
  float fr[F * 2];
  for (int f = 0; f < 100; f++) {
    memset(fr, 0, sizeof fr);
    cr_assert_eq(pl_extend_process(e, fr, F, 2), 0);
    for (int i = 0; i < 2 * F; i++)
      cr_assert_eq(fr[i], 0.0f);
  }
  unsigned s = 7;
  for (int f = 0; f < 200; f++) {
    for (int i = 0; i < 2 * F; i++) {
      s = s * 1103515245u + 12345u;
      fr[i] = (s >> 31) ? 1.0f : -1.0f; /* full-scale square noise */
    }
    cr_assert_eq(pl_extend_process(e, fr, F, 2), 0);
    for (int i = 0; i < 2 * F; i++)
      cr_assert(isfinite(fr[i]) && fabsf(fr[i]) <= 1.0f);
  }
  pl_extend_free(e);
}

Test(extend, nan_and_inf_input_give_finite_output_elsewhere_and_bad_calls_are_refused) {
  pl_extend *e = mk();
  pl_extend_set_mode(e, PL_EXTEND_ON);
  pl_extend_set_cutoff(e, 4000);
  size_t n = 48000;
  float *x = voice(n, 3900.0, 0.1, 8);
  x[5000] = NAN;
  x[9000] = INFINITY;
  x[13000] = 1e30f;
  run(e, x, n, 1);
  int bad = 0;
  for (size_t i = 0; i < n; i++)
    bad += !isfinite(x[i]);
  cr_assert_eq(bad, 2, "%d non-finite samples out (the two broken ones pass as they are)", bad);
  float fr[F * 2] = {0};
  cr_assert_eq(pl_extend_process(e, fr, F - 1, 1), PL_EINVAL);
  cr_assert_eq(pl_extend_process(e, fr, F, 3), PL_EINVAL);
  cr_assert_eq(pl_extend_process(NULL, fr, F, 1), PL_EINVAL);
  cr_assert_eq(pl_extend_set_cutoff(e, 3000), PL_EINVAL);
  cr_assert_eq(pl_extend_set_cutoff(e, 8100), PL_EINVAL);
  pl_extend_free(e);
  free(x);
}

Test(extend, a_model_without_the_tensors_is_refused) {
  pl_model *m = NULL;
  char why[128];
  /* The PLC model is a valid PLMD file with other tensors. */
  extern const unsigned char pl_model_plc[];
  extern const size_t pl_model_plc_len;
  cr_assert_eq(pl_model_load_static(&m, pl_model_plc, pl_model_plc_len, why, sizeof why), 0);
  pl_extend *e = NULL;
  int rc = pl_extend_new(&e, m);
  cr_assert(rc == PL_ENOENT || rc == PL_EFORMAT, "rc %d", rc);
  cr_assert_null(e);
  pl_model_free(m);
}

Test(extend, opus_toc_bandwidth_matches_libopus_for_every_config) {
  for (int c = 0; c < 32; c++) {
    uint8_t pkt[2] = {(uint8_t)(c << 3), 0};
    int bw = opus_packet_get_bandwidth(pkt);
    int want = bw == OPUS_BANDWIDTH_NARROWBAND      ? 4000
               : bw == OPUS_BANDWIDTH_MEDIUMBAND    ? 6000
               : bw == OPUS_BANDWIDTH_WIDEBAND      ? 8000
               : bw == OPUS_BANDWIDTH_SUPERWIDEBAND ? 12000
                                                    : 20000;
    cr_assert_eq(pl_extend_opus_band_hz(pkt, 2), want, "config %d", c);
  }
  cr_assert_eq(pl_extend_opus_band_hz(NULL, 0), 0);
  /* What libopus sends at 12 kbit/s: wideband. */
  int err;
  OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  cr_assert_eq(err, OPUS_OK);
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(12000));
  float *x = voice(48000, 20000.0, 0.1, 9);
  uint8_t pkt[400];
  int hz = 0;
  for (int f = 0; f < 50; f++) {
    int len = opus_encode_float(enc, x + f * 960, 960, pkt, sizeof pkt);
    cr_assert_gt(len, 0);
    hz = pl_extend_opus_band_hz(pkt, len);
  }
  cr_assert_eq(hz, 8000, "12 kbit/s gave %d Hz", hz);
  opus_encoder_destroy(enc);
  free(x);
}

Test(extend, stereo_gets_the_same_band_on_both_channels_and_keeps_each_channel) {
  size_t n = 48000 * 3;
  float *l = voice(n, 7800.0, 0.05, 10), *r = voice(n, 7800.0, 0.03, 11);
  float *x = malloc(2 * n * sizeof *x), *y = malloc(2 * n * sizeof *y);
  for (size_t i = 0; i < n; i++) {
    x[2 * i] = l[i];
    x[2 * i + 1] = r[i];
  }
  memcpy(y, x, 2 * n * sizeof *y);
  pl_extend *e = mk();
  run(e, y, n, 2);
  pl_extend_stats st;
  pl_extend_get_stats(e, &st);
  cr_assert_eq(st.cutoff_hz, 8000);
  double diff_l = 0, diff_same = 0;
  for (size_t i = 48000 * 2; i < n; i++) { /* extending, the delay taken (after 1.2 s) */
    double dl = y[2 * i] - x[2 * (i - PL_EXTEND_DELAY)];
    double dr = y[2 * i + 1] - x[2 * (i - PL_EXTEND_DELAY) + 1];
    diff_l += dl * dl;
    diff_same += (dl - dr) * (dl - dr);
  }
  cr_assert_gt(diff_l, 0.0);
  cr_assert_lt(diff_same, 1e-9 * diff_l + 1e-12, "channels got different bands");
  pl_extend_free(e);
  free(l);
  free(r);
  free(x);
  free(y);
}
