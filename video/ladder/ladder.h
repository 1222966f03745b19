/* The send-side resolution and frame-rate ladder: given the encoder's
 * target rate each frame, picks the size and frame rate to encode at so the
 * bits per pixel stay where VP8/VP9 still look sharp. Steps down within a
 * second when the rate falls under a rung's floor (at once on a big drop),
 * back up one rung at a time only after the rate has held 1.3x above the
 * floor of the rung above for a few seconds, so a wobbling estimate never
 * makes it flap (each size change can cost a keyframe). Sans-IO: time and
 * rate are arguments. See docs/ladder.md for the numbers and their source. */
#ifndef PL_VIDEO_LADDER_H
#define PL_VIDEO_LADDER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/time.h"

#define PL_LADDER_MAX_RUNGS 10

typedef struct pl_ladder_config {
  int codec;            /* 8 (VP8, default) or 9: which rate table */
  pl_time_us down_hold; /* under the floor this long: step down (1 s) */
  pl_time_us up_hold;   /* over the next rung's entry rate this long (3 s) */
  pl_time_us up_gap;    /* at least this long since any switch before an
                           up-switch (5 s) */
  pl_time_us down_gap;  /* ... before a down-switch (1 s) */
  double big_drop;      /* under floor x this: down at once (0.5) */
} pl_ladder_config;

typedef struct pl_ladder_rung {
  int width, height, fps;
  uint32_t min_bps; /* the floor: under it for down_hold, step down */
  uint32_t up_bps;  /* the entry rate: min_bps x 1.3 (libwebrtc's start rate) */
} pl_ladder_rung;

typedef struct pl_ladder_out {
  int width, height, fps;
  bool switched; /* this call moved to another rung */
  bool resized;  /* ... of another size: the encoder may need a keyframe */
} pl_ladder_out;

typedef struct pl_ladder {
  pl_ladder_config cfg;
  int src_w, src_h, src_fps;
  pl_ladder_rung rungs[PL_LADDER_MAX_RUNGS]; /* best first */
  int n, cur;
  bool started;
  pl_time_us below_since, above_since; /* -1: not under / over now */
  pl_time_us last_switch, last_up;
  pl_time_us up_hold; /* grows when an up-switch fails (backs off) */
  uint64_t switches, resolution_switches;
} pl_ladder;

/* cfg NULL or zero fields: the defaults above. */
void pl_ladder_init(pl_ladder *l, const pl_ladder_config *cfg);

/* Once per captured frame. The first call (and one after the source
 * changed size or rate) starts on the best rung the rate can enter.
 * PL_EINVAL for a source under 2x2 or a frame rate under 1. */
int pl_ladder_update(pl_ladder *l, pl_time_us now, uint32_t target_bps, int src_w,
                     int src_h, int src_fps, pl_ladder_out *out);

/* The rungs for a source, without the state (for tests and docs). */
int pl_ladder_rungs(const pl_ladder *l, const pl_ladder_rung **out);

#endif
