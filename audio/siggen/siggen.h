/* Generated test signals (tones, sweeps, noise, speech-like babble, silence)
 * as 10 ms frame sources for the media graph, or as raw sample streams at any
 * rate for codec and resampler tests. Output is a pure function of the config
 * and its seed, so every test run hears the same thing. */
#ifndef PL_AUDIO_SIGGEN_H
#define PL_AUDIO_SIGGEN_H

#include <stdint.h>

#include "audio/frame.h"
#include "base/rng.h"

typedef enum {
  PL_SIG_SILENCE,
  PL_SIG_SINE,      /* f1 */
  PL_SIG_DUAL_TONE, /* f1 + f2, each at amplitude/2 */
  PL_SIG_SWEEP,     /* logarithmic f1 -> f2 over sweep_s, then repeats */
  PL_SIG_WHITE,     /* uniform, flat spectrum */
  PL_SIG_PINK,      /* -3 dB/octave (Voss-McCartney, 16 rows) */
  PL_SIG_SPEECH,    /* harmonic complex, gliding f0, syllables and pauses */
} pl_sig_kind;

typedef struct pl_siggen_config {
  pl_sig_kind kind;
  int rate;         /* Hz, 8000..192000; 0 means 48000 (frame sources need 48000) */
  int channels;     /* 1 or 2; every channel carries the same signal */
  double amplitude; /* tones: peak; noise: RMS x sqrt(2) (the RMS of a sine
                     * with this peak); speech: peak of the loudest syllable */
  double f1, f2;    /* Hz: tone, second tone, or sweep start/end */
  double sweep_s;   /* sweep period in seconds */
  uint64_t seed;    /* noise and speech only */
} pl_siggen_config;

#define PL_SIGGEN_MAX_HARMONICS 64

/* Caller-owned state; no allocation anywhere. Fields are private. */
typedef struct pl_siggen {
  pl_siggen_config c;
  pl_rng rng;
  int64_t n; /* samples generated per channel */
  double ph1, ph2;
  /* pink */
  float rows[16];
  float row_sum;
  uint32_t counter;
  /* speech */
  int seg_left, seg_len, seg_voiced;
  int words_left, sylls_left;
  double base_f0, f0_from, f0_to, f_form1, f_form2, syl_gain;
  double f0_phase;
  int nharm;
  float harm_amp[PL_SIGGEN_MAX_HARMONICS];
  float harm_norm;
} pl_siggen;

/* Fills in defaults for kind: 48 kHz mono, amplitude 0.5, 1 kHz tone,
 * 350+440 Hz dual tone, 20 Hz..20 kHz sweep over 1 s, seed 1. */
void pl_siggen_config_default(pl_siggen_config *c, pl_sig_kind kind);
/* PL_EINVAL for a rate, channel count, frequency or amplitude out of range. */
int pl_siggen_init(pl_siggen *g, const pl_siggen_config *c);
/* Next `samples` samples per channel, interleaved, into pcm. */
void pl_siggen_fill(pl_siggen *g, float *pcm, int samples);
/* Next 10 ms graph frame (rate must be 48000); flags 0, capture_us from the
 * sample count so that frames carry their own timeline. */
void pl_siggen_frame(pl_siggen *g, pl_audio_frame *f);

#endif
