/* Sample-rate conversion over speexdsp's float resampler: a streaming
 * converter for real-time paths (device rates to the graph's 48 kHz) and a
 * one-shot whole-buffer converter whose output is time-aligned with its input
 * (for files and test vectors). Interleaved float, 1 or 2 channels. */
#ifndef PL_AUDIO_RESAMPLE_H
#define PL_AUDIO_RESAMPLE_H

#include <stddef.h>

#define PL_RESAMPLE_MIN_RATE 8000
#define PL_RESAMPLE_MAX_RATE 384000 /* every rate a WAV may have (PL_WAV_MAX_RATE) */
#define PL_RESAMPLE_QUALITY_REALTIME 3 /* speex quality: ~1 ms delay, cheap */
#define PL_RESAMPLE_QUALITY_FILE 7     /* stopband ~-80 dB, for offline work */

typedef struct pl_resampler pl_resampler;

/* quality 0..10 (speexdsp's scale). NULL on bad arguments. */
pl_resampler *pl_resampler_new(int channels, int in_rate, int out_rate, int quality);
void pl_resampler_free(pl_resampler *r);
/* Converts up to in_frames frames (a frame = one sample per channel) into at
 * most out_cap frames. Sets *in_used to the frames consumed and returns the
 * frames written, or PL_E*. Call again with the rest when in_used < in_frames.
 * in may be NULL to push in_frames of silence (to flush the filter tail). */
int pl_resampler_process(pl_resampler *r, const float *in, int in_frames,
                         int *in_used, float *out, int out_cap);
/* Filter delay in output frames: output frame k corresponds to input time
 * (k - latency) / out_rate. */
int pl_resampler_latency(const pl_resampler *r);
/* Forgets history (a new stream at the same rates). */
void pl_resampler_reset(pl_resampler *r);

/* Output length of a one-shot conversion: ceil(in_frames * out / in). */
size_t pl_resample_out_len(size_t in_frames, int in_rate, int out_rate);
/* One-shot conversion of a whole buffer into a malloc'd buffer (*out, to be
 * freed by the caller) of pl_resample_out_len() frames, with the filter
 * delay removed so that output sample k sits at time k / out_rate exactly
 * like input sample j sits at j / in_rate. */
int pl_resample_buffer(int channels, int in_rate, int out_rate, int quality,
                       const float *in, size_t in_frames, float **out,
                       size_t *out_frames);

#endif
