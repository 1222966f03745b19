/* The encoder rate adjuster (adjust.h): a 2.5 s window in five 500 ms
 * buckets of (bits asked for, bits put on the wire). */
#include "video/ladder/adjust.h"

#include <string.h>

#define BUCKET_US PL_MS(500)
/* A frame stands for at most this much time: after a pause (no source
 * frame, frames skipped behind a congested pacer) the idle time is not
 * the encoder's undershoot. */
#define MAX_FRAME_US PL_MS(200)
#define MIN_FACTOR 1.0
#define MAX_FACTOR 2.0

void pl_rate_adjuster_init(pl_rate_adjuster *a) {
  memset(a, 0, sizeof *a);
  a->factor = 1.0;
}

static void advance(pl_rate_adjuster *a, pl_time_us now) {
  if (now - a->bucket_start >= (pl_time_us)PL_ADJUST_BUCKETS * BUCKET_US) {
    double f = a->factor; /* a long gap: the window is stale, keep its verdict */
    pl_rate_adjuster_init(a);
    a->factor = f;
    a->bucket_start = now;
    return;
  }
  while (now - a->bucket_start >= BUCKET_US) {
    a->bucket_start += BUCKET_US;
    a->cur = (a->cur + 1) % PL_ADJUST_BUCKETS;
    a->asked[a->cur] = a->made[a->cur] = 0;
    if (a->full < PL_ADJUST_BUCKETS - 1)
      a->full++;
  }
}

void pl_rate_adjuster_frame(pl_rate_adjuster *a, pl_time_us now, uint32_t asked_bps,
                            uint64_t wire_bytes, bool key) {
  if (!a->bucket_start) {
    a->bucket_start = now;
    a->last_frame = now;
  }
  if (now < a->last_frame)
    now = a->last_frame; /* time never runs back here */
  advance(a, now);
  pl_time_us dt = now - a->last_frame;
  if (dt > MAX_FRAME_US)
    dt = MAX_FRAME_US;
  a->last_frame = now;
  double asked = (double)asked_bps * (double)dt / 1e6;
  a->asked[a->cur] += asked;
  /* A keyframe counts as exactly what was asked: keyframes here answer a
   * peer's loss or a size switch, not the content, and counting one
   * (up to 9 frames' worth) would starve the frames after it. */
  a->made[a->cur] += key ? asked : (double)wire_bytes * 8;
  /* A verdict once a second of complete buckets is in: shorter windows
   * would swing with every keyframe. */
  if (a->full >= 2) {
    double all = 0, made = 0;
    for (int i = 0; i < PL_ADJUST_BUCKETS; i++) {
      all += a->asked[i];
      made += a->made[i];
    }
    if (all > 0) {
      double u = made / all;
      a->factor = u < MIN_FACTOR ? MIN_FACTOR : u > MAX_FACTOR ? MAX_FACTOR : u;
    }
  }
}

double pl_rate_adjuster_utilisation(const pl_rate_adjuster *a) { return a->factor; }

uint32_t pl_rate_adjuster_target(const pl_rate_adjuster *a, uint32_t want_bps) {
  return (uint32_t)((double)want_bps / a->factor);
}
