/* Delay estimation for the jitter buffer: each packet's relative delay (its
 * transit minus the fastest transit of the last 2 s) goes into a histogram
 * that forgets exponentially with time; the target is a high percentile of
 * it. Internal to audio/jitter; the struct is embedded in pl_jitter. */
#ifndef PL_AUDIO_JITTER_DELAY_H
#define PL_AUDIO_JITTER_DELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/time.h"

#define PL_JDELAY_BIN_US 2000 /* histogram resolution */
#define PL_JDELAY_DQ 512      /* transit window entries */

typedef struct pl_jdelay {
  int64_t initial_us;
  int nbins;
  double *hist;      /* probability mass per bin, sums to 1 */
  uint64_t n;        /* packets seen since the last reset */
  int64_t jitter_us; /* upper edge of the bin holding the percentile */
  /* monotone deque of (arrival, transit): the window minimum in O(1) */
  pl_time_us dq_t[PL_JDELAY_DQ];
  int64_t dq_v[PL_JDELAY_DQ];
  int dq_head, dq_size;
  int64_t fastest; /* minimum transit over the window */
  pl_time_us late_at; /* last packet beyond the target, 0 = none */
} pl_jdelay;

/* Histogram up to max_ms, starting with one packet's worth of mass at
 * initial_ms. PL_ENOMEM, or 0. */
int pl_jdelay_init(pl_jdelay *d, int max_ms, int initial_ms);
void pl_jdelay_free(pl_jdelay *d);
/* Forgets the fastest path (a stream restart); the histogram stays. */
void pl_jdelay_restart(pl_jdelay *d);
/* A packet of dur_us arrived at now with transit (arrival - media time).
 * Returns its relative delay. */
int64_t pl_jdelay_update(pl_jdelay *d, pl_time_us now, int64_t transit_us, int64_t dur_us);
static inline bool pl_jdelay_started(const pl_jdelay *d) { return d->dq_size > 0; }

#endif
