/* The bandwidth extender as a media-graph stage ("extend", audio, receive
 * side, after decoding and concealment): 10 ms 48 kHz frames, mono or
 * stereo. Mode auto by default (docs/bwe.md). The call tells it the
 * Opus bandwidth of the packets it plays (pl_extend_stage_hint). */
#ifndef PL_AI_EXTEND_STAGE_H
#define PL_AI_EXTEND_STAGE_H

#include "ai/extend/extend.h"
#include "engine/stage.h"

/* model NULL: the built-in model. On success *ops and *self are ready for
 * pl_graph_add (which takes ownership of self). */
int pl_extend_stage_new(const pl_stage_ops **ops, void **self, const pl_model *model);
/* Any thread: the mode applies at the next frame. */
void pl_extend_stage_set_mode(void *self, pl_extend_mode mode);
pl_extend_mode pl_extend_stage_mode(void *self);
/* Media thread (where packets are decoded): the band of the packet played. */
void pl_extend_stage_hint(void *self, int band_hz);
/* Media thread: the stream's counters. */
void pl_extend_stage_stats(void *self, pl_extend_stats *st);

#endif
