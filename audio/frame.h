/* The unit of audio in the media graph: 10 ms of float PCM at 48 kHz,
 * interleaved, in [-1, 1]. Every stage, source and sink speaks this. */
#ifndef PL_AUDIO_FRAME_H
#define PL_AUDIO_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "base/time.h"

#define PL_AUDIO_RATE 48000
#define PL_AUDIO_FRAME_MS 10
#define PL_AUDIO_FRAME_SAMPLES 480 /* per channel */
#define PL_AUDIO_MAX_CHANNELS 2

enum {
  PL_AF_CONCEALED = 1 << 0, /* synthesised, not decoded from a packet */
  PL_AF_SILENT = 1 << 1,    /* comfort noise / DTX */
  PL_AF_FEC = 1 << 2,       /* recovered from in-band FEC */
};

typedef struct pl_audio_frame {
  float pcm[PL_AUDIO_FRAME_SAMPLES * PL_AUDIO_MAX_CHANNELS];
  int channels;          /* 1 or 2 */
  int samples;           /* per channel; PL_AUDIO_FRAME_SAMPLES in the graph */
  pl_time_us capture_us; /* sender's capture time, for mouth-to-ear delay */
  uint32_t flags;        /* PL_AF_* */
  float voice_prob;      /* voice activity in [0,1], or -1 when unknown */
  float music_prob;      /* music (the classify stage) in [0,1], or -1 when unknown */
} pl_audio_frame;

static inline void pl_audio_frame_init(pl_audio_frame *f, int channels) {
  f->channels = channels;
  f->samples = PL_AUDIO_FRAME_SAMPLES;
  f->capture_us = 0;
  f->flags = 0;
  f->voice_prob = -1.0f;
  f->music_prob = -1.0f;
  for (int i = 0; i < PL_AUDIO_FRAME_SAMPLES * PL_AUDIO_MAX_CHANNELS; i++)
    f->pcm[i] = 0.0f;
}

#endif
