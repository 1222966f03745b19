/* Comfort noise for concealment: learns the background of the decoded audio
 * (its level by minimum statistics over 10 ms blocks, its spectral envelope
 * as a 10th-order LPC fitted on background blocks) and makes noise with that
 * level and shape. The jitter buffer fades long concealment into it, so a
 * burst ends in the room's hiss, not in a hole. Caller-owned, no allocation. */
#ifndef PL_AUDIO_CNG_H
#define PL_AUDIO_CNG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/rng.h"

#define PL_CNG_ORDER 10
#define PL_CNG_BLOCK 480 /* 10 ms at 48 kHz */
#define PL_CNG_WINDOWS 8 /* minimum over 8 windows of 0.5 s: 4 s memory */

typedef struct pl_cng {
  float block[PL_CNG_BLOCK]; /* mono mix being collected */
  int fill;
  double win_min[PL_CNG_WINDOWS]; /* mean-square minimum of each window */
  int win, win_blocks;
  double floor;                 /* background mean square */
  double smooth;                /* smoothed block mean square */
  uint64_t blocks;
  double r[PL_CNG_ORDER + 1];   /* smoothed normalised autocorrelation */
  bool have_shape;
  float a[PL_CNG_ORDER + 1];    /* synthesis filter 1/A(z), a[0] = 1 */
  float gain;                   /* excitation scale for the floor */
  float mem[PL_CNG_ORDER];      /* filter state */
  bool dirty;                   /* r changed since a/gain were derived */
  pl_rng rng;
} pl_cng;

void pl_cng_init(pl_cng *c, uint64_t seed);
/* Feeds decoded audio (interleaved, any length). */
void pl_cng_observe(pl_cng *c, const float *x, int samples, int channels);
/* Writes comfort noise, the same on every channel. Silence until some
 * background has been observed (and for a digitally silent background). */
void pl_cng_generate(pl_cng *c, float *out, int samples, int channels);
/* Background level in dBFS (RMS re full scale), -inf for silence. */
double pl_cng_level_db(const pl_cng *c);

#endif
