/* The encoder rate adjuster: the congestion controller's video share is a
 * rate on the wire, but libvpx's CBR rate control aims at a rate of
 * payload and overshoots it (measured here: 15-30 % on noisy 720p and
 * 360p content at 0.4-2 Mbit/s, keyframes and packet headers on top), so
 * a call that hands libvpx the controller's number sends more than the
 * controller allowed and fills the bottleneck queue while the estimate
 * sits below capacity. The adjuster measures what the encoder really put
 * on the wire against what it was asked for over the last 2.5 s and asks
 * for that much less. libwebrtc does the same (EncoderBitrateAdjuster,
 * EncoderOvershootDetector: a 2.5 s window, a utilisation factor the
 * target is divided by). Sans-IO: time is an argument. docs/ladder.md. */
#ifndef PL_VIDEO_ADJUST_H
#define PL_VIDEO_ADJUST_H

#include <stdbool.h>
#include <stdint.h>

#include "base/time.h"

#define PL_ADJUST_BUCKETS 5 /* of 500 ms: the 2.5 s window */

typedef struct pl_rate_adjuster {
  pl_time_us bucket_start; /* of the current bucket; 0: not started */
  pl_time_us last_frame;   /* when the last frame was accounted */
  double asked[PL_ADJUST_BUCKETS]; /* bits the encoder was asked for */
  double made[PL_ADJUST_BUCKETS];  /* bits it put on the wire */
  int cur, full;                   /* current bucket; buckets complete */
  double factor;                   /* what the last full window measured */
} pl_rate_adjuster;

void pl_rate_adjuster_init(pl_rate_adjuster *a);

/* One encoded frame at `now`: `asked_bps` is the rate the encoder was
 * set to for it, `wire_bytes` what it became on the wire (payload plus
 * per-packet headers). A frame the encoder dropped is accounted with 0
 * bytes: the time it spent counts against the overshoot. A keyframe
 * counts as what was asked (it answers loss or a size switch). */
void pl_rate_adjuster_frame(pl_rate_adjuster *a, pl_time_us now, uint32_t asked_bps,
                            uint64_t wire_bytes, bool key);

/* The rate to ask the encoder for so that the wire carries `want_bps`:
 * want / utilisation, with utilisation from the window (1.0 until a
 * second of it is complete), clamped to [1, 2]. An encoder that undershoots
 * is not asked for more than the controller allowed: an undershoot is
 * usually content that needs no more bits. */
uint32_t pl_rate_adjuster_target(const pl_rate_adjuster *a, uint32_t want_bps);

/* The measured utilisation (wire bits / asked bits), 1.0 before any. */
double pl_rate_adjuster_utilisation(const pl_rate_adjuster *a);

#endif
