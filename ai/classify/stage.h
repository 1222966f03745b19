/* The classifier as a media-graph stage ("classify", audio, send side,
 * before "denoise" so it hears the capture as it is): writes the frame's
 * music_prob and voice_prob (P(speech); a denoise stage after it, when on,
 * replaces voice_prob with its own). A stereo frame is classified as its
 * mono mix. */
#ifndef PL_AI_CLASSIFY_STAGE_H
#define PL_AI_CLASSIFY_STAGE_H

#include "ai/classify/classify.h"
#include "engine/stage.h"

/* model NULL: the built-in model. On success *ops and *self are ready for
 * pl_graph_add (which takes ownership of self). */
int pl_classify_stage_new(const pl_stage_ops **ops, void **self, const pl_classify_model *model);

#endif
