/* The queue between a sound device and the media thread: a lock-free
 * single-producer/single-consumer ring of mono 48 kHz samples, and the
 * controller that holds it at a target level against the drift between the
 * device's clock and the media thread's 10 ms ticks. Sans-IO: no threads or
 * clocks of its own; engine/audio_pulse.c puts a device on one side, and
 * tests/unit/devq.c a simulated one with a drifting clock.
 *
 * Capture: the device thread pushes, the media thread reads 10 ms blocks.
 * Playback: the media thread writes 10 ms blocks, the device thread pops
 * and reports what it holds itself (pl_devq_set_device_queued).
 *
 * While the smoothed level is more than 10 ms off the target, each block is
 * resampled (linearly) by one sample: 2000 ppm, an order above real crystal
 * drift, no audible pitch change, and no step in the waveform, since each
 * block still starts and ends on its own first and last sample. After a
 * stall (a device that starts late, a media thread that stopped) the level
 * is put back on the target at once, by dropping queued audio. */
#ifndef PL_AUDIO_DEVQ_H
#define PL_AUDIO_DEVQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_DEVQ_RING 32768     /* samples (0.68 s at 48 kHz), a power of two */
#define PL_DEVQ_MAX_BLOCK 4800 /* samples in one media-side read or write */

typedef struct pl_devq_stats {
  uint64_t overruns;    /* pushes that found the ring full (samples lost) */
  uint64_t underruns;   /* capture reads that found too little (re-primed) */
  uint64_t corrections; /* times the controller started correcting */
  uint64_t stretched;   /* blocks resampled by one sample */
  uint64_t jumps;       /* times the level was put back on the target at once */
} pl_devq_stats;

typedef struct pl_devq {
  bool capture;
  int target, slack, settle, jump; /* samples */
  float ring[PL_DEVQ_RING];
  _Atomic size_t head, tail;       /* producer / consumer positions */
  _Atomic size_t device_queued;    /* playback: samples the device holds */
  _Atomic uint64_t overruns, underruns;
  /* Media-thread state. */
  bool started, draining;
  double level;                    /* smoothed queue, samples */
  int adjust;                      /* -1, 0, +1: the correction under way */
  uint64_t corrections, stretched, jumps;
  float block[PL_DEVQ_MAX_BLOCK + 2];
} pl_devq;

/* target_ms: the level held (the device side's own buffer included for
 * playback). */
void pl_devq_init(pl_devq *q, bool capture, int target_ms);

/* Device thread. */
size_t pl_devq_push(pl_devq *q, const float *x, size_t n); /* capture */
size_t pl_devq_pop(pl_devq *q, float *x, size_t n);        /* playback */
void pl_devq_set_device_queued(pl_devq *q, size_t samples);

/* Media thread, n <= PL_DEVQ_MAX_BLOCK: capture fills n samples (silence
 * until the queue first reaches the target, or after an underrun); playback
 * queues n samples' worth. */
void pl_devq_read(pl_devq *q, float *out, int n);
void pl_devq_write(pl_devq *q, const float *in, int n);

/* The level the controller sees now: ring plus the device's own queue. */
size_t pl_devq_level(pl_devq *q);
void pl_devq_get_stats(pl_devq *q, pl_devq_stats *out);

#endif
