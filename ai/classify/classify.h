/* Speech / music / other-noise classifier for 48 kHz audio, 10 ms at a time:
 * the noise suppressor's band features (ai/denoise/dsp.h) into one small GRU
 * whose three outputs are, after a softmax, the probabilities that the frame
 * holds speech, music, or neither (docs/classify.md). It drives Opus's
 * signal type and the voiceActivity / musicProbability stats. One loaded
 * model is shared read-only; a stream's state is its own. */
#ifndef PL_AI_CLASSIFY_H
#define PL_AI_CLASSIFY_H

#include <stddef.h>

#include "ai/nn/seq.h"

#define PL_CLASSIFY_RATE 48000
#define PL_CLASSIFY_FRAME 480 /* samples per call */

enum { PL_CLASS_SPEECH, PL_CLASS_MUSIC, PL_CLASS_OTHER, PL_CLASS_N };

typedef struct pl_classify_model pl_classify_model;

/* A model file (PLMD, kind "classify", written by ai/train/classify). On
 * failure *out is NULL and why says what is wrong. */
int pl_classify_model_load_file(pl_classify_model **out, const char *path, char *why,
                                size_t why_len);
/* The model compiled into libparley (ai/models/classify_model.c), loaded on
 * first use in place; shared and never freed. */
int pl_classify_model_builtin(const pl_classify_model **out);
void pl_classify_model_free(pl_classify_model *m);

typedef struct pl_classify pl_classify;

/* m NULL: the built-in model. m must outlive the stream. */
int pl_classify_new(pl_classify **out, const pl_classify_model *m);
void pl_classify_free(pl_classify *c);
void pl_classify_reset(pl_classify *c);

/* PL_CLASSIFY_FRAME samples in [-1, 1] (NaN/Inf read as 0) -> p[PL_CLASS_N]
 * (summing to 1) for the window ending with them. Does not allocate. */
void pl_classify_process(pl_classify *c, const float *in, float *p);
/* The same from features the caller already has (PL_DN_NFEAT, computed
 * with the running input floor, as the denoise stream does). */
void pl_classify_process_features(pl_classify *c, const float *feat, float *p);
/* The last frame's features (PL_DN_NFEAT) and logits (PL_CLASS_N). */
const float *pl_classify_features(const pl_classify *c);
const float *pl_classify_logits(const pl_classify *c);

#endif
