/* Time-scale modification without pitch change (WSOLA), for the jitter
 * buffer: remove or insert one pitch period of 48 kHz audio with an
 * overlap-add cross-fade, find that period by normalised correlation, extend
 * a signal periodically and cross-fade two signals (for merges after
 * concealment). Interleaved float, 1 or 2 channels; nothing allocates. */
#ifndef PL_AUDIO_STRETCH_H
#define PL_AUDIO_STRETCH_H

#include <stdbool.h>

#define PL_STRETCH_MIN_LAG 120 /* 2.5 ms: pitch up to 400 Hz */
#define PL_STRETCH_MAX_LAG 720 /* 15 ms: pitch down to 67 Hz */
#define PL_STRETCH_WIN 240     /* shortest correlation window, 5 ms */

typedef struct pl_stretch_match {
  int lag;     /* samples per channel, or 0 when the input is too short */
  float corr;  /* normalised correlation of x[0:w] and x[lag:lag+w], in [-1, 1] */
  float power; /* mean square of x[0 : 2*lag] over all channels */
} pl_stretch_match;

/* Shortest input pl_stretch_find can work with at max_lag. */
int pl_stretch_need(int max_lag);
/* Finds the lag L in [PL_STRETCH_MIN_LAG, max_lag] for which x[L:] best
 * repeats x[0:] (window max(L, PL_STRETCH_WIN)): a coarse search on a 4x
 * decimated mix, refined at full rate. Lags whose correlation is within 0.05
 * of the best prefer the shortest (the pitch period, not a multiple).
 * Returns 0, or PL_ERANGE (m->lag 0) when n is too short for the minimum lag. */
int pl_stretch_find(const float *x, int n, int channels, int max_lag, pl_stretch_match *m);
/* Accelerate: x[0:2L] becomes the cross-fade of x[0:L] into x[L:2L] and the
 * rest moves down; x then holds n - L samples. Needs n >= 2L. */
int pl_stretch_remove(float *x, int n, int channels, int lag);
/* Preemptive expand: after x[0:L] comes a cross-fade of x[L:2L] into
 * x[0:L], then x[L:] again; x (with room for n + L) then holds n + L
 * samples. Needs n >= 2L. */
int pl_stretch_insert(float *x, int n, int channels, int lag);
/* Continues hist[0:nh] by out[0:n]: repeats its last period (found by
 * correlation on the time-reversed tail; scratch holds nh * channels
 * floats). Returns the period used. */
int pl_stretch_extend(const float *hist, int nh, int channels, float *scratch, float *out,
                      int n);
/* dst[i] = (1 - w_i) from[i] + w_i dst[i], w a raised-cosine rise over n
 * samples: a click-free hand-over from `from` to dst. */
void pl_stretch_crossfade(float *dst, const float *from, int n, int channels);

#endif
