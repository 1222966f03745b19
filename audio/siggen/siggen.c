/* Test signal generators. Phases are kept in double and wrapped every sample
 * so that hours of tone stay exactly on frequency. */
#include "audio/siggen/siggen.h"

#include <math.h>
#include <string.h>

#include "parley.h"

#define TWO_PI 6.283185307179586

void pl_siggen_config_default(pl_siggen_config *c, pl_sig_kind kind) {
  memset(c, 0, sizeof *c);
  c->kind = kind;
  c->rate = PL_AUDIO_RATE;
  c->channels = 1;
  c->amplitude = 0.5;
  c->seed = 1;
  switch (kind) {
  case PL_SIG_DUAL_TONE:
    c->f1 = 350;
    c->f2 = 440;
    break;
  case PL_SIG_SWEEP:
    c->f1 = 20;
    c->f2 = 20000;
    c->sweep_s = 1.0;
    break;
  default:
    c->f1 = 1000;
    c->f2 = 0;
    break;
  }
}

static double unif(pl_rng *r, double lo, double hi) {
  return lo + (hi - lo) * pl_rng_uniform(r);
}

static int samples_of_ms(const pl_siggen *g, double ms) {
  return (int)(ms * g->c.rate / 1000.0);
}

/* Speech: phrases of 3..6 words, words of 1..4 syllables, syllables of
 * 120..300 ms under a sin^2 envelope (a 3..7 Hz syllable rate, the peak of
 * the speech modulation spectrum), with 20..60 ms gaps inside a word, 80..250
 * ms between words and 300..700 ms between phrases. Each syllable picks a
 * loudness, an f0 target (gliding from the previous one) and two formants. */
static void speech_next_segment(pl_siggen *g) {
  pl_rng *r = &g->rng;
  if (g->seg_voiced) {
    g->seg_voiced = 0;
    if (--g->sylls_left > 0) {
      g->seg_len = samples_of_ms(g, unif(r, 20, 60));
    } else if (--g->words_left > 0) {
      g->sylls_left = 1 + (int)pl_rng_below(r, 4);
      g->seg_len = samples_of_ms(g, unif(r, 80, 250));
    } else {
      g->words_left = 3 + (int)pl_rng_below(r, 4);
      g->sylls_left = 1 + (int)pl_rng_below(r, 4);
      g->seg_len = samples_of_ms(g, unif(r, 300, 700));
    }
  } else {
    g->seg_voiced = 1;
    g->seg_len = samples_of_ms(g, unif(r, 120, 300));
    g->f0_from = g->f0_to;
    /* Declination: later words of a phrase sit lower. */
    double decl = 1.0 - 0.04 * (6 - g->words_left);
    g->f0_to = g->base_f0 * decl * unif(r, 0.85, 1.25);
    g->f_form1 = unif(r, 300, 800);
    g->f_form2 = unif(r, 900, 2300);
    g->syl_gain = unif(r, 0.5, 1.0);
  }
  g->seg_left = g->seg_len;
}

/* Harmonic amplitudes for the current f0: a -6 dB/octave source tilt shaped
 * by two formant bumps, up to 4 kHz (telephone-band speech energy). */
static void speech_harmonics(pl_siggen *g, double f0) {
  double top = fmin(4000.0, 0.45 * g->c.rate);
  int k = (int)(top / f0);
  if (k > PL_SIGGEN_MAX_HARMONICS)
    k = PL_SIGGEN_MAX_HARMONICS;
  if (k < 1)
    k = 1;
  g->nharm = k;
  double sum = 0;
  for (int i = 0; i < k; i++) {
    double f = (i + 1) * f0;
    double d1 = (f - g->f_form1) / 120.0, d2 = (f - g->f_form2) / 160.0;
    double a = (1.0 + 4.0 * exp(-d1 * d1) + 2.5 * exp(-d2 * d2)) / (i + 1);
    g->harm_amp[i] = (float)a;
    sum += a;
  }
  g->harm_norm = (float)(1.0 / sum);
}

static double speech_sample(pl_siggen *g) {
  if (g->seg_left <= 0)
    speech_next_segment(g);
  int pos = g->seg_len - g->seg_left;
  g->seg_left--;
  if (!g->seg_voiced)
    return 0.0;
  double u = (double)pos / g->seg_len;
  double t = (double)g->n / g->c.rate;
  double f0 = (g->f0_from + (g->f0_to - g->f0_from) * u) *
              (1.0 + 0.01 * sin(TWO_PI * 5.5 * t));
  if (pos % 240 == 0)
    speech_harmonics(g, f0);
  g->f0_phase += TWO_PI * f0 / g->c.rate;
  if (g->f0_phase >= TWO_PI)
    g->f0_phase -= TWO_PI;
  /* sin(k*phi) by the Chebyshev recurrence: one sin and one cos a sample. */
  double s1 = sin(g->f0_phase), c2 = 2.0 * cos(g->f0_phase);
  double sk_1 = 0.0, sk = s1, acc = 0.0;
  for (int k = 0; k < g->nharm; k++) {
    acc += g->harm_amp[k] * sk;
    double next = c2 * sk - sk_1;
    sk_1 = sk;
    sk = next;
  }
  double env = sin(M_PI * u);
  return acc * g->harm_norm * env * env * g->syl_gain;
}

int pl_siggen_init(pl_siggen *g, const pl_siggen_config *c) {
  if (!g || !c)
    return PL_EINVAL;
  pl_siggen_config k = *c;
  if (k.rate == 0)
    k.rate = PL_AUDIO_RATE;
  if (k.rate < 8000 || k.rate > 192000 || k.channels < 1 ||
      k.channels > PL_AUDIO_MAX_CHANNELS || !(k.amplitude >= 0.0) ||
      k.amplitude > 1.0)
    return PL_EINVAL;
  double nyq = k.rate / 2.0;
  switch (k.kind) {
  case PL_SIG_SINE:
    if (!(k.f1 > 0 && k.f1 < nyq))
      return PL_EINVAL;
    break;
  case PL_SIG_DUAL_TONE:
    if (!(k.f1 > 0 && k.f1 < nyq && k.f2 > 0 && k.f2 < nyq))
      return PL_EINVAL;
    break;
  case PL_SIG_SWEEP:
    if (!(k.f1 > 0 && k.f1 < nyq && k.f2 > 0 && k.f2 < nyq && k.f1 != k.f2 &&
          k.sweep_s > 0))
      return PL_EINVAL;
    break;
  case PL_SIG_SILENCE:
  case PL_SIG_WHITE:
  case PL_SIG_PINK:
  case PL_SIG_SPEECH:
    break;
  default:
    return PL_EINVAL;
  }
  memset(g, 0, sizeof *g);
  g->c = k;
  pl_rng_seed(&g->rng, k.seed);
  if (k.kind == PL_SIG_PINK) {
    for (int i = 0; i < 16; i++) {
      g->rows[i] = (float)unif(&g->rng, -1, 1);
      g->row_sum += g->rows[i];
    }
  }
  if (k.kind == PL_SIG_SPEECH) {
    g->base_f0 = unif(&g->rng, 100, 200);
    g->f0_to = g->base_f0;
    g->words_left = 3 + (int)pl_rng_below(&g->rng, 4);
    g->sylls_left = 1 + (int)pl_rng_below(&g->rng, 4);
    /* Start with a short pause so a stream does not begin mid-syllable. */
    g->seg_voiced = 0;
    g->seg_len = g->seg_left = samples_of_ms(g, 100);
  }
  return 0;
}

static double next_sample(pl_siggen *g) {
  const pl_siggen_config *c = &g->c;
  double x = 0.0;
  switch (c->kind) {
  case PL_SIG_SILENCE:
    break;
  case PL_SIG_SINE:
    x = c->amplitude * sin(g->ph1);
    g->ph1 = fmod(g->ph1 + TWO_PI * c->f1 / c->rate, TWO_PI);
    break;
  case PL_SIG_DUAL_TONE:
    x = 0.5 * c->amplitude * (sin(g->ph1) + sin(g->ph2));
    g->ph1 = fmod(g->ph1 + TWO_PI * c->f1 / c->rate, TWO_PI);
    g->ph2 = fmod(g->ph2 + TWO_PI * c->f2 / c->rate, TWO_PI);
    break;
  case PL_SIG_SWEEP: {
    /* phase(t) = 2 pi f1 T/ln(k) (k^(t/T) - 1), k = f2/f1: the analytic
     * phase, so the same sweep at two rates is the same continuous signal. */
    int64_t period = (int64_t)llround(c->sweep_s * c->rate);
    double t = (double)(g->n % period) / c->rate;
    double lk = log(c->f2 / c->f1);
    double ph = TWO_PI * c->f1 * c->sweep_s / lk * (exp(lk * t / c->sweep_s) - 1.0);
    x = c->amplitude * sin(ph);
    break;
  }
  case PL_SIG_WHITE:
    /* Uniform on [-b, b] has RMS b/sqrt(3); b = A*sqrt(3/2) gives A/sqrt(2). */
    x = c->amplitude * 1.224744871391589 * unif(&g->rng, -1, 1);
    break;
  case PL_SIG_PINK: {
    /* Row i is redrawn every 2^(i+1) samples (the trailing-zero count of a
     * counter picks it), so row i carries the octave around rate/2^(i+2);
     * summing 16 rows and one white term gives ~1/f over 16 octaves. */
    g->counter++;
    int row = __builtin_ctz(g->counter);
    if (row < 16) {
      float v = (float)unif(&g->rng, -1, 1);
      g->row_sum += v - g->rows[row];
      g->rows[row] = v;
    }
    double s = g->row_sum + unif(&g->rng, -1, 1);
    /* 17 uniform terms: variance 17/3. */
    x = s * (c->amplitude / 1.4142135623730951) / 2.3804761428476167;
    break;
  }
  case PL_SIG_SPEECH:
    x = c->amplitude * speech_sample(g);
    break;
  }
  g->n++;
  if (x > 1.0)
    x = 1.0;
  if (x < -1.0)
    x = -1.0;
  return x;
}

void pl_siggen_fill(pl_siggen *g, float *pcm, int samples) {
  int ch = g->c.channels;
  for (int i = 0; i < samples; i++) {
    float v = (float)next_sample(g);
    for (int c = 0; c < ch; c++)
      pcm[i * ch + c] = v;
  }
}

void pl_siggen_frame(pl_siggen *g, pl_audio_frame *f) {
  f->channels = g->c.channels;
  f->samples = PL_AUDIO_FRAME_SAMPLES;
  f->capture_us = g->n * 1000000 / g->c.rate;
  f->flags = 0;
  f->voice_prob = -1.0f;
  f->music_prob = -1.0f;
  pl_siggen_fill(g, f->pcm, PL_AUDIO_FRAME_SAMPLES);
}
