/* Neural noise suppression for 48 kHz speech, 10 ms at a time: band
 * features (ai/denoise/dsp.h) into a small GRU network whose outputs are
 * per-band gains, pitch comb-filter strengths and a voice-activity
 * probability (docs/denoise.md). One loaded model is shared read-only by
 * every stream; a stream's state is its own and is set up once. */
#ifndef PL_AI_DENOISE_H
#define PL_AI_DENOISE_H

#include <stdbool.h>
#include <stddef.h>

#include "ai/nn/seq.h"

#define PL_DENOISE_RATE 48000
#define PL_DENOISE_FRAME 480 /* samples per call */
/* Output lags input by this many samples, plus PL_DENOISE_FRAME for a
 * model with one frame of look-ahead: see pl_denoise_delay. */
#define PL_DENOISE_DELAY 480

typedef struct pl_denoise_model pl_denoise_model;

/* A model file (PLMD, kind "denoise", written by ai/train/denoise). On
 * failure *out is NULL and why says what is wrong. */
int pl_denoise_model_load_file(pl_denoise_model **out, const char *path,
                               char *why, size_t why_len);
/* The same from memory (copied). */
int pl_denoise_model_load_bytes(pl_denoise_model **out, const void *p,
                                size_t n, char *why, size_t why_len);
/* The model compiled into libparley (ai/models/denoise_model.c), loaded
 * on first use in place (no copy); shared and never freed. */
int pl_denoise_model_builtin(const pl_denoise_model **out);
void pl_denoise_model_free(pl_denoise_model *m);
const char *pl_denoise_model_name(const pl_denoise_model *m);
const pl_nn_seq *pl_denoise_model_net(const pl_denoise_model *m);
/* Frames of look-ahead (0 or 1, the model's denoise.lookahead): the network
 * sees this many frames beyond the one it filters, at that much delay. */
int pl_denoise_model_lookahead(const pl_denoise_model *m);

typedef struct pl_denoise pl_denoise;

/* m NULL: the built-in model. m must outlive the stream. */
int pl_denoise_new(pl_denoise **out, const pl_denoise_model *m);
void pl_denoise_free(pl_denoise *d);
void pl_denoise_reset(pl_denoise *d);
/* Limits the attenuation of any band to `db` (> 0); 0 = no limit (the
 * default). */
void pl_denoise_set_max_atten(pl_denoise *d, float db);

/* Samples the output lags the input: PL_DENOISE_DELAY plus the model's
 * look-ahead (10 or 20 ms). */
int pl_denoise_delay(const pl_denoise *d);

/* PL_DENOISE_FRAME samples in [-1, 1] (NaN/Inf read as 0) -> the same
 * number out, pl_denoise_delay() late; out may equal in. Returns the voice
 * activity probability of the frame being filtered. Does not allocate. */
float pl_denoise_process(pl_denoise *d, const float *in, float *out);

/* The last frame's network input (PL_DN_NFEAT) and output (PL_DN_NOUT). */
const float *pl_denoise_features(const pl_denoise *d);
const float *pl_denoise_outputs(const pl_denoise *d);

/* Training data (ai/train/denoise): runs the analysis over n samples of a
 * noisy signal and its clean target (48 kHz, same length) and writes
 * n / PL_DENOISE_FRAME records of PL_DN_TRAIN_REC floats (dsp.h). With
 * run_floor the features floor the input as a running stream does (-60
 * dBFS), else at -100 dB. */
int pl_denoise_training_records(const float *noisy, const float *clean,
                                size_t n, bool run_floor, float *rec);

#endif
