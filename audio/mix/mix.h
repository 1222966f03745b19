/* A mixer for several received audio streams (one per room feed) into one
 * speaker signal: each input queues its decoded 10 ms blocks; a block of
 * the sum comes out when every live input has one (or one input is
 * PL_MIX_MAX_LAG blocks ahead: the others are stalled and count as
 * silence). The sum is soft-saturated, not wrapped or hard-clipped, so
 * three loud talkers at once stay inside [-1, 1] without a click.
 *
 * Inputs are added and removed on the app's thread while blocks are
 * written and read on the media thread. Only `live` and `gen` are shared:
 * the queue itself (head, n, fill) belongs to the media thread, which
 * empties it when it sees a new generation, so a slot reused while the
 * mixer is reading can never get a torn queue. Writes and reads must come
 * from one thread: the feeds' calls of a room share one media thread (an
 * engine with media_threads = 1, pl_engine_new's default, as parley room
 * uses); with a pool the app would need one mixer per thread, or a lock. */
#ifndef PL_AUDIO_MIX_H
#define PL_AUDIO_MIX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PL_MIX_MAX_INPUTS 16
#define PL_MIX_BLOCK 480          /* samples per channel in a block (10 ms) */
#define PL_MIX_QUEUE 8            /* blocks an input may queue */
#define PL_MIX_MAX_LAG 3          /* blocks one input may run ahead of the others */
#define PL_MIX_KNEE 0.8f          /* saturation starts here */

typedef struct pl_mix_input {
  atomic_bool live;
  atomic_uint gen; /* bumped by pl_mix_add */
  unsigned seen;   /* the generation the queue below belongs to */
  float buf[PL_MIX_QUEUE][PL_MIX_BLOCK * 2];
  int head, n;     /* queued blocks */
  int fill;        /* samples (per channel) in the block being filled */
  uint64_t blocks_dropped;
} pl_mix_input;

typedef struct pl_mix {
  int channels;
  pl_mix_input in[PL_MIX_MAX_INPUTS];
  uint64_t blocks_out, samples_saturated;
} pl_mix;

int pl_mix_init(pl_mix *m, int channels); /* 1 or 2 */
/* A new input (its index), or PL_EFULL. */
int pl_mix_add(pl_mix *m);
void pl_mix_remove(pl_mix *m, int input);
/* Queues interleaved samples; a full queue drops its oldest block (counted). */
int pl_mix_write(pl_mix *m, int input, const float *pcm, int samples);
/* Writes one mixed block (PL_MIX_BLOCK samples per channel) to out and
 * returns 1 when one is due, else 0. */
int pl_mix_read(pl_mix *m, float *out);
/* The soft saturation: identity below the knee, tanh above it. */
float pl_mix_saturate(float x);

#endif
