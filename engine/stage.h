/* One stage of a media graph: a filter that transforms a frame in place.
 * Send side: source -> [stages] -> encoder -> packetizer; receive side:
 * depacketizer -> jitter buffer -> decoder -> [stages] -> sink. AI stages
 * (denoise, bandwidth extension, super-resolution) implement this and are
 * inserted without touching the pipeline. A stage can be switched on and off
 * at run time, and the graph measures what each costs.
 *
 * process() runs on the media thread for every frame: it must not allocate,
 * block or log. Anything it needs is allocated by the constructor. */
#ifndef PL_ENGINE_STAGE_H
#define PL_ENGINE_STAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "audio/frame.h"
#include "base/time.h"

typedef enum { PL_MEDIA_AUDIO, PL_MEDIA_VIDEO } pl_media_kind;

struct pl_video_frame; /* video/frame.h */

typedef struct pl_stage_ops {
  const char *name; /* "denoise", "bwe", "sr", ... */
  pl_media_kind kind;
  /* Transform one frame in place. Audio stages get a pl_audio_frame,
   * video stages a pl_video_frame. Returns 0 or a PL_E* code (the graph
   * counts the error and passes the frame on unchanged). */
  int (*process)(void *self, void *frame, pl_time_us now);
  /* Forget per-stream history (called when the stage is switched on again,
   * after a stream discontinuity). May be NULL. */
  void (*reset)(void *self);
  void (*free)(void *self);
} pl_stage_ops;

typedef struct pl_stage_stats {
  uint64_t frames;     /* frames processed while enabled */
  uint64_t errors;     /* process() failures */
  uint64_t total_ns;   /* CPU time spent in process() */
  uint64_t max_ns;     /* worst single frame */
} pl_stage_stats;

/* `want` may be written from any thread (the app switching a stage during a
 * call); the media thread applies it at a frame boundary, calling reset()
 * when a stage comes back on so it never runs on stale history. */
typedef struct pl_stage {
  const pl_stage_ops *ops;
  void *self;
  _Atomic bool want; /* requested state */
  bool on;           /* applied state, media thread only */
  pl_stage_stats stats;
} pl_stage;

#endif
