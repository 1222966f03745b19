/* Neural packet-loss concealment for the jitter buffer's concealer hook.
 * observe() only copies decoded audio into a history ring; when a loss
 * begins, a small GRU (ai/train/plc) is run over the last 160 ms of band
 * energies and predicts the spectral envelope and voicing of each lost
 * 10 ms frame, which drive a 16 kHz LPC synthesis excited by the last pitch
 * cycle and noise, upsampled to 48 kHz and faded in from a pitch-periodic
 * extension of the history so the waveform continues without a step.
 * Design and measurements: docs/plc.md. */
#ifndef PL_AI_PLC_H
#define PL_AI_PLC_H

#include <stdint.h>

#include "ai/model/model.h"
#include "audio/jitter/jitter.h"

typedef struct pl_plc pl_plc;

/* A concealer using model m (borrowed: it must outlive the concealer), or
 * the weights compiled into libparley when m is NULL. NULL when the model
 * does not have the expected tensors or memory is short. */
pl_plc *pl_plc_new(const pl_model *m);
void pl_plc_free(pl_plc *p);
/* Forgets the history (a new stream). */
void pl_plc_reset(pl_plc *p);

/* The jitter buffer's hook: pl_jitter_set_concealer(jb, &pl_plc_ops, p). */
extern const pl_concealer_ops pl_plc_ops;
/* Where the jitter buffer fades this concealer into comfort noise. */
#define PL_PLC_FADE_START_MS 100
#define PL_PLC_FADE_END_MS 200

/* The same two calls, typed. conceal writes `samples` per channel
 * (interleaved, 1 or 2 channels) continuing the audio played so far and
 * returns 0 or PL_EINVAL; nth_consecutive is informational (the concealer
 * tracks runs itself: any observe() ends one). observe() takes decoded
 * audio in playout order; non-finite samples are stored as 0. */
int pl_plc_conceal(pl_plc *p, float *out, int samples, int channels,
                   int nth_consecutive);
void pl_plc_observe(pl_plc *p, const float *pcm, int samples, int channels);
/* The jitter buffer's bridge(): the gap's `samples` (at most
 * PL_PLC_BRIDGE_MAX) continue the history and run into `next` (interleaved,
 * at least 20 ms); PL_EINVAL otherwise. */
#define PL_PLC_BRIDGE_MAX PL_JB_BRIDGE_MAX /* the longest gap the buffer asks for */
int pl_plc_bridge(pl_plc *p, float *out, int samples, const float *next, int next_samples,
                  int channels);

/* Registers pl_plc_new(NULL) as the "neural" concealer provider of
 * audio/plc/registry.h (call once at start-up, before any call starts).
 * PL_ENOTSUP in a build without that registry. */
int pl_plc_register_neural(void);

typedef struct pl_plc_stats {
  uint64_t observed_samples;  /* per channel */
  uint64_t concealed_samples; /* per channel */
  uint64_t events;            /* concealment runs begun */
  uint64_t bridges;           /* gaps bridged into the next packet */
  uint64_t model_steps;       /* GRU steps (warm-up + lost frames) */
} pl_plc_stats;

void pl_plc_get_stats(const pl_plc *p, pl_plc_stats *out);

#endif
