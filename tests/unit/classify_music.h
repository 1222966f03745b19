/* A few seconds of synthetic band music for the classifier's tests (no data
 * files in the tests): I-V-vi-IV in C at 110 bpm, arpeggiated piano-like
 * chords (decaying, slightly inharmonic partials), a bass on beats 1 and 3,
 * a plucked lead walking the scale in eighths (a vibrato lead read as a singing voice), and a drum kit (kick, snare,
 * hi-hat). Deterministic; 48 kHz mono, about -20 dBFS RMS. */
#ifndef PL_TEST_CLASSIFY_MUSIC_H
#define PL_TEST_CLASSIFY_MUSIC_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

static double cm_midi_hz(int k) { return 440.0 * pow(2.0, (k - 69) / 12.0); }

static uint32_t cm_lcg(uint32_t *s) {
  *s = *s * 1664525u + 1013904223u;
  return *s >> 8;
}

static double cm_noise(uint32_t *s) { return (double)cm_lcg(s) / (1u << 24) * 2.0 - 1.0; }

/* Adds a decaying note of `partials` harmonics at t0 for dur seconds. */
static void cm_note(float *x, size_t n, double t0, double dur, double f0, double amp,
                    int partials, double decay, double vib) {
  const double sr = 48000.0, B = 0.0003;
  size_t a = (size_t)(t0 * sr), L = (size_t)(dur * sr);
  for (int h = 1; h <= partials; h++) {
    double fh = h * f0 * sqrt(1.0 + B * h * h);
    if (fh > 16000.0)
      break;
    double ah = amp / h, dh = decay / (1.0 + 0.4 * h);
    for (size_t i = 0; i < L && a + i < n; i++) {
      double t = (double)i / sr;
      double env = exp(-t / dh) * fmin(1.0, t / 0.004) * fmin(1.0, (dur - t) / 0.02);
      double ph = 2 * M_PI * fh * t + vib * h * sin(2 * M_PI * 5.5 * t);
      x[a + i] += (float)(ah * env * sin(ph));
    }
  }
}

static float *cm_music(double seconds, size_t *n_out) {
  const double sr = 48000.0, beat = 60.0 / 110.0;
  size_t n = (size_t)(seconds * sr);
  float *x = calloc(n, sizeof(float));
  if (!x)
    return NULL;
  static const int prog[4][3] = {{60, 64, 67}, {55, 59, 62}, {57, 60, 64}, {53, 57, 60}};
  static const int scale[7] = {0, 2, 4, 5, 7, 9, 11};
  uint32_t seed = 12345u;
  int deg = 2;
  for (int b = 0; b * 4 * beat < seconds; b++) {
    const int *ch = prog[b % 4];
    double bar = b * 4 * beat;
    for (int e = 0; e < 8; e++) /* arpeggio */
      cm_note(x, n, bar + e * beat / 2, beat * 1.5, cm_midi_hz(ch[e % 3] + (e / 3 % 2) * 12), 0.09,
              10, 0.5, 0.0);
    for (int q = 0; q < 4; q += 2) /* bass */
      cm_note(x, n, bar + q * beat, beat * 1.8, cm_midi_hz(ch[0] - 24), 0.22, 12, 0.7, 0.0);
    for (int e = 0; e < 8; e++) { /* lead */
      deg += (int)(cm_lcg(&seed) % 5) - 2;
      deg = deg < 0 ? 0 : deg > 11 ? 11 : deg;
      int key = 72 + scale[deg % 7] + 12 * (deg / 7);
      cm_note(x, n, bar + e * beat / 2, beat / 2 * 0.95, cm_midi_hz(key), 0.07, 8, 0.4, 0.0);
    }
    for (int q = 0; q < 4; q++) { /* drums */
      double t0 = bar + q * beat;
      size_t a = (size_t)(t0 * sr);
      for (size_t i = 0; i < (size_t)(0.2 * sr) && a + i < n; i++) {
        double t = (double)i / sr;
        if (q % 2 == 0) /* kick: falling sine */
          x[a + i] += (float)(0.35 * exp(-t / 0.08) * sin(2 * M_PI * (50 * t + 70 * 0.05 * (1 - exp(-t / 0.05)))));
        else /* snare: noise and a 180 Hz body */
          x[a + i] += (float)(exp(-t / 0.06) * (0.12 * cm_noise(&seed) + 0.1 * sin(2 * M_PI * 180 * t)));
      }
      for (int k = 0; k < 2; k++) { /* hi-hat: differenced (bright) noise */
        size_t h = (size_t)((t0 + k * beat / 2) * sr);
        double prev = 0;
        for (size_t i = 0; i < (size_t)(0.04 * sr) && h + i < n; i++) {
          double w = cm_noise(&seed);
          x[h + i] += (float)(0.05 * exp(-(double)i / sr / 0.012) * (w - prev));
          prev = w;
        }
      }
    }
  }
  double e = 0;
  for (size_t i = 0; i < n; i++)
    e += (double)x[i] * x[i];
  float g = (float)(0.1 / sqrt(e / (double)n + 1e-20));
  for (size_t i = 0; i < n; i++)
    x[i] *= g;
  *n_out = n;
  return x;
}

#endif
