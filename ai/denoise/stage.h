/* The noise suppressor as a media-graph stage ("denoise", audio, send
 * side): 10 ms 48 kHz frames, each channel of a stereo frame denoised on
 * its own, voice activity written to frame->voice_prob. */
#ifndef PL_AI_DENOISE_STAGE_H
#define PL_AI_DENOISE_STAGE_H

#include "ai/denoise/denoise.h"
#include "engine/stage.h"

/* model NULL: the built-in model. On success *ops and *self are ready for
 * pl_graph_add (which takes ownership of self). Everything a frame needs is
 * allocated here. */
int pl_denoise_stage_new(const pl_stage_ops **ops, void **self,
                         const pl_denoise_model *model);

#endif
