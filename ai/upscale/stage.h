/* The `upscale` stage of the receive video path: decoded pictures smaller
 * than the display size leave it at the display size, luma by the network
 * (ai/upscale/upscale.h). With a worker thread the media thread only hands
 * a copy of the picture over and collects the result on a later tick, so a
 * slow frame delays video, never audio or the network; if the next picture
 * comes while the worker is still busy, the worker is told to hurry (its
 * remaining tiles get bicubic, counted as a fallback) and the media thread
 * waits only for that bicubic remainder. Without a worker (the simulated
 * clock of tests and the lab) everything runs inline, deterministically.
 *
 * Modes: off (pictures pass at their decoded size), on (upscale whenever the
 * display is bigger), auto (default: like on, but after more than half of
 * 16 frames fell back it uses bicubic alone for the next 150 frames, ~5 s,
 * then tries the network again). */
#ifndef PL_AI_UPSCALE_STAGE_H
#define PL_AI_UPSCALE_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "ai/upscale/upscale.h"
#include "video/frame.h"

typedef enum { PL_UPSCALE_OFF = 0, PL_UPSCALE_ON = 1, PL_UPSCALE_AUTO = 2 } pl_upscale_mode;

typedef struct pl_upscale_stats {
  uint64_t frames;          /* pictures that left the stage enlarged */
  uint64_t model_frames;    /* ... every tile by the network */
  uint64_t fallback_frames; /* ... some tiles bicubic: the worker was behind */
  uint64_t bicubic_frames;  /* ... all bicubic (auto backing off, or no model) */
  uint64_t passed;          /* pictures passed unchanged (off, or display not bigger) */
  uint64_t errors;
  uint64_t total_ns, max_ns; /* CPU time of the enlarging, per picture */
  int out_width, out_height; /* the last enlarged size */
} pl_upscale_stats;

typedef struct pl_upscale_stage pl_upscale_stage;

/* One picture out of the stage (on the media thread). user is what was
 * pushed with it. */
typedef void (*pl_upscale_emit)(void *ctx, const pl_video_frame *f, void *user);

/* model NULL: bicubic only. threaded: run the enlarging on a worker thread. */
int pl_upscale_stage_new(pl_upscale_stage **out, const pl_upscale_model *model, bool threaded);
void pl_upscale_stage_free(pl_upscale_stage *s);

/* Any thread; take effect at the next picture. */
void pl_upscale_stage_set_mode(pl_upscale_stage *s, pl_upscale_mode mode);
pl_upscale_mode pl_upscale_stage_mode(const pl_upscale_stage *s);
/* The size pictures are shown at; 0 x 0: unknown (nothing is enlarged). */
void pl_upscale_stage_set_display(pl_upscale_stage *s, int width, int height);

/* Media thread. A picture (its planes are copied when it is enlarged); every
 * picture comes out through emit, in order: at once when it passes, else
 * from this call (inline) or a later push/pump (worker). user (up to 64
 * bytes at `user`, copied) travels with it. */
int pl_upscale_stage_push(pl_upscale_stage *s, const pl_video_frame *f, const void *user,
                          size_t user_len, pl_upscale_emit emit, void *ctx);
/* Media thread, each tick: emits a finished picture if there is one. */
void pl_upscale_stage_pump(pl_upscale_stage *s, pl_upscale_emit emit, void *ctx);
/* Media thread: waits for the worker's picture (hurrying it) and emits it. */
void pl_upscale_stage_flush(pl_upscale_stage *s, pl_upscale_emit emit, void *ctx);
void pl_upscale_stage_get_stats(pl_upscale_stage *s, pl_upscale_stats *st);

#endif
