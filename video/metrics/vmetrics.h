/* Objective video metrics for offline comparison of sent and received
 * sequences: PSNR and SSIM on the luma plane (computed the way ffmpeg's
 * psnr and ssim filters do, so the numbers can be checked against them),
 * and the timing of what was rendered: frame rate, freezes (webrtc-stats
 * freezeCount / totalFreezesDuration) and end-to-end delay. */
#ifndef PL_VIDEO_METRICS_H
#define PL_VIDEO_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"
#include "video/frame.h"

/* Mean squared error of two w x h 8-bit planes. */
double pl_plane_mse(const uint8_t *a, int stride_a, const uint8_t *b,
                    int stride_b, int w, int h);
/* 10 log10(255^2 / mse); +INFINITY for mse 0. */
double pl_psnr_from_mse(double mse);

/* SSIM of two 8-bit planes as ffmpeg's ssim filter (and x264) compute it:
 * 8x8 windows of unweighted statistics on a 4-pixel grid, built from 4x4
 * block sums, with the integer-scaled C1/C2 constants; the mean over all
 * windows. scratch needs pl_ssim_scratch_ints(w) ints. NAN when w or h
 * is under 8. */
size_t pl_ssim_scratch_ints(int w);
double pl_plane_ssim(const uint8_t *a, int stride_a, const uint8_t *b,
                     int stride_b, int w, int h, int32_t *scratch);

/* True when every plane of a and b is byte-identical (same size). */
bool pl_video_frame_equal(const pl_video_frame *a, const pl_video_frame *b);

typedef struct pl_video_quality pl_video_quality;

typedef struct pl_video_frame_score {
  double mse_y, psnr_y, ssim_y;
} pl_video_frame_score;

typedef struct pl_video_quality_summary {
  size_t frames;
  double psnr_y;      /* PSNR of the mean MSE: ffmpeg's "PSNR y:" */
  double psnr_y_mean; /* mean of per-frame PSNR, each capped at 100 dB */
  double psnr_y_min;
  double ssim_y;      /* mean of per-frame SSIM: ffmpeg's "SSIM Y:" */
  double ssim_y_min;
} pl_video_quality_summary;

/* Accumulates scores over a sequence of width x height frames. */
pl_video_quality *pl_video_quality_new(int width, int height);
void pl_video_quality_free(pl_video_quality *q);
/* Scores one (ref, deg) pair; out may be NULL. PL_EINVAL on size mismatch. */
int pl_video_quality_add(pl_video_quality *q, const pl_video_frame *ref,
                         const pl_video_frame *deg, pl_video_frame_score *out);
void pl_video_quality_get(const pl_video_quality *q,
                          pl_video_quality_summary *out);

#define PL_FREEZE_MIN_EXTRA_US PL_MS(150)
#define PL_FREEZE_AVG_FRAMES 30

typedef struct pl_video_timing {
  size_t frames;          /* rendered frames */
  double duration_s;      /* first to last render */
  double fps;             /* (frames - 1) / duration */
  unsigned freeze_count;
  double freeze_total_s;  /* sum of the intervals counted as freezes */
  double max_interval_ms;
  bool has_delay;         /* capture times were given */
  double delay_mean_ms, delay_min_ms, delay_p50_ms, delay_p95_ms,
      delay_max_ms;
} pl_video_timing;

/* render_us: when each distinct frame was shown (non-decreasing); a frame
 * repeated by the renderer is not a new entry. capture_us (may be NULL):
 * the sender's capture time of each, on the same clock, for end-to-end
 * delay. A freeze is an interval d with d >= max(3 avg, avg + 150 ms),
 * avg being the mean of the up to 30 intervals before it (webrtc-stats,
 * freezeCount). PL_EINVAL when times go backwards. */
int pl_video_timing_analyze(const pl_time_us *render_us,
                            const pl_time_us *capture_us, size_t n,
                            pl_video_timing *out);

/* The same over a span that ends at end_us (when the call ended, say):
 * the time from the last frame shown to end_us is an interval like the
 * others, so a picture that stopped for good counts as a freeze (it used
 * to count as nothing at all), and duration and fps run to end_us. An
 * end_us at or before the last frame changes nothing. */
int pl_video_timing_analyze_until(const pl_time_us *render_us,
                                  const pl_time_us *capture_us, size_t n,
                                  pl_time_us end_us, pl_video_timing *out);

#endif
