/* Streaming and one-shot resampling over speexdsp (built with float
 * samples on Debian, so the float API passes values through unscaled). */
#include "audio/resample/resample.h"

#include <limits.h>
#include <stdbool.h>
#include <speex/speex_resampler.h>
#include <stdint.h>
#include <stdlib.h>

#include "parley.h"

struct pl_resampler {
  SpeexResamplerState *st;
  int channels, in_rate, out_rate;
};

static bool args_ok(int channels, int in_rate, int out_rate, int quality) {
  return (channels == 1 || channels == 2) && in_rate >= PL_RESAMPLE_MIN_RATE &&
         in_rate <= PL_RESAMPLE_MAX_RATE && out_rate >= PL_RESAMPLE_MIN_RATE &&
         out_rate <= PL_RESAMPLE_MAX_RATE && quality >= 0 && quality <= 10;
}

pl_resampler *pl_resampler_new(int channels, int in_rate, int out_rate, int quality) {
  if (!args_ok(channels, in_rate, out_rate, quality))
    return NULL;
  pl_resampler *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  int err = 0;
  r->st = speex_resampler_init((spx_uint32_t)channels, (spx_uint32_t)in_rate,
                               (spx_uint32_t)out_rate, quality, &err);
  if (!r->st || err != RESAMPLER_ERR_SUCCESS) {
    free(r);
    return NULL;
  }
  r->channels = channels;
  r->in_rate = in_rate;
  r->out_rate = out_rate;
  return r;
}

void pl_resampler_free(pl_resampler *r) {
  if (!r)
    return;
  speex_resampler_destroy(r->st);
  free(r);
}

int pl_resampler_process(pl_resampler *r, const float *in, int in_frames,
                         int *in_used, float *out, int out_cap) {
  if (!r || !out || !in_used || in_frames < 0 || out_cap < 0)
    return PL_EINVAL;
  spx_uint32_t il = (spx_uint32_t)in_frames, ol = (spx_uint32_t)out_cap;
  int e = speex_resampler_process_interleaved_float(r->st, in, &il, out, &ol);
  if (e != RESAMPLER_ERR_SUCCESS)
    return PL_EINVAL;
  *in_used = (int)il;
  return (int)ol;
}

int pl_resampler_latency(const pl_resampler *r) {
  return speex_resampler_get_output_latency(r->st);
}

void pl_resampler_reset(pl_resampler *r) {
  if (r)
    speex_resampler_reset_mem(r->st);
}

size_t pl_resample_out_len(size_t in_frames, int in_rate, int out_rate) {
  if (in_rate <= 0 || out_rate <= 0)
    return 0;
  /* 128-bit so that hours at 192 kHz cannot overflow. */
  unsigned __int128 num = (unsigned __int128)in_frames * (unsigned)out_rate;
  return (size_t)((num + (unsigned)in_rate - 1) / (unsigned)in_rate);
}

int pl_resample_buffer(int channels, int in_rate, int out_rate, int quality,
                       const float *in, size_t in_frames, float **out,
                       size_t *out_frames) {
  if (!out || !out_frames || (!in && in_frames) ||
      !args_ok(channels, in_rate, out_rate, quality))
    return PL_EINVAL;
  *out = NULL;
  *out_frames = 0;
  size_t want = pl_resample_out_len(in_frames, in_rate, out_rate);
  float *buf = malloc(sizeof(float) * (want ? want : 1) * (size_t)channels);
  if (!buf)
    return PL_ENOMEM;
  pl_resampler *r = pl_resampler_new(channels, in_rate, out_rate, quality);
  if (!r) {
    free(buf);
    return PL_ENOMEM;
  }
  /* skip_zeros drops the output of the filter's zero history, so output 0
   * lines up with input 0; the tail is then flushed by feeding silence. */
  speex_resampler_skip_zeros(r->st);
  size_t got = 0, used = 0;
  int stall = 0;
  while (got < want) {
    size_t left_in = in_frames - used;
    int chunk_in = left_in > 4096 ? 4096 : (int)left_in;
    size_t left_out = want - got;
    int chunk_out = left_out > 8192 ? 8192 : (int)left_out;
    const float *src = chunk_in ? in + used * (size_t)channels : NULL;
    if (!chunk_in)
      chunk_in = 1024; /* silence to push the tail out */
    int n_in = 0;
    int n = pl_resampler_process(r, src, chunk_in, &n_in, buf + got * (size_t)channels,
                                 chunk_out);
    if (n < 0) {
      pl_resampler_free(r);
      free(buf);
      return n;
    }
    if (src)
      used += (size_t)n_in;
    got += (size_t)n;
    /* Guard against a filter that never produces (cannot happen with a
     * valid state, but a loop on library output needs a bound). */
    stall = (n == 0 && !src) ? stall + 1 : 0;
    if (stall > 64) {
      pl_resampler_free(r);
      free(buf);
      return PL_ESTATE;
    }
  }
  pl_resampler_free(r);
  *out = buf;
  *out_frames = want;
  return 0;
}
