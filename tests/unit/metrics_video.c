/* Video metrics: PSNR/SSIM known answers, SSIM against a direct (slow)
 * evaluation of the same windows in double, and the freeze, frame-rate and
 * delay analysis on constructed render timelines. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "parley.h"
#include "video/frame.h"
#include "video/metrics/vmetrics.h"

Test(metrics_video, psnr_of_a_constant_offset_is_analytic) {
  pl_video_buffer a, b;
  pl_video_buffer_alloc(&a, 64, 48);
  pl_video_buffer_alloc(&b, 64, 48);
  memset(a.mem, 100, a.size);
  memset(b.mem, 110, b.size);
  double mse = pl_plane_mse(a.f.y, a.f.stride_y, b.f.y, b.f.stride_y, 64, 48);
  cr_assert_float_eq(mse, 100.0, 1e-12);
  cr_assert_float_eq(pl_psnr_from_mse(mse), 10 * log10(65025.0 / 100.0), 1e-12);
  cr_assert(isinf(pl_psnr_from_mse(0.0)));

  pl_video_quality *q = pl_video_quality_new(64, 48);
  pl_video_frame_score s;
  cr_assert_eq(pl_video_quality_add(q, &a.f, &b.f, &s), 0);
  cr_assert_eq(pl_video_quality_add(q, &a.f, &a.f, &s), 0);
  cr_assert(isinf(s.psnr_y));
  cr_assert_eq(s.ssim_y, 1.0);
  pl_video_quality_summary sum;
  pl_video_quality_get(q, &sum);
  cr_assert_eq(sum.frames, 2);
  /* ffmpeg's average: PSNR of the mean MSE (50), not of the mean PSNR. */
  cr_assert_float_eq(sum.psnr_y, 10 * log10(65025.0 / 50.0), 1e-12);
  cr_assert_float_eq(sum.psnr_y_mean, (10 * log10(650.25) + 100.0) / 2, 1e-12);
  /* Flat planes 100 vs 110: zero variance, so SSIM is the luminance term
   * (2 s1 s2 + C1) / (s1^2 + s2^2 + C1) with the sums of 64 pixels. */
  double s1 = 6400, s2 = 7040, c1 = 416;
  double want = (2 * s1 * s2 + c1) / (s1 * s1 + s2 * s2 + c1);
  cr_assert_float_eq(sum.ssim_y_min, want, 1e-6);
  pl_video_buffer c;
  pl_video_buffer_alloc(&c, 63, 48);
  cr_assert_eq(pl_video_quality_add(q, &a.f, &c.f, NULL), PL_EINVAL);
  pl_video_quality_free(q);
  pl_video_buffer_free(&a);
  pl_video_buffer_free(&b);
  pl_video_buffer_free(&c);
}

/* The same windows evaluated from scratch in double: every 8x8 window whose
 * top-left corner is on the 4-pixel grid and which fits in the 4x4-block
 * area, with the formula written in terms of means and variances. */
static double direct_ssim(const uint8_t *a, const uint8_t *b, int w, int h) {
  int bw = w / 4, bh = h / 4;
  double total = 0;
  for (int by = 0; by + 1 < bh; by++)
    for (int bx = 0; bx + 1 < bw; bx++) {
      double s1 = 0, s2 = 0, ss = 0, s12 = 0;
      for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) {
          double va = a[(4 * by + y) * w + 4 * bx + x];
          double vb = b[(4 * by + y) * w + 4 * bx + x];
          s1 += va;
          s2 += vb;
          ss += va * va + vb * vb;
          s12 += va * vb;
        }
      /* 64*sums-based statistics with the integer-rounded constants. */
      double vars = ss * 64 - s1 * s1 - s2 * s2, cov = s12 * 64 - s1 * s2;
      total += (2 * s1 * s2 + 416) * (2 * cov + 235963) /
               ((s1 * s1 + s2 * s2 + 416) * (vars + 235963));
    }
  return total / ((bw - 1) * (bh - 1));
}

Test(metrics_video, ssim_matches_a_direct_window_by_window_evaluation) {
  pl_rng rng;
  pl_rng_seed(&rng, 4);
  const int sizes[][2] = {{64, 48}, {67, 37}, {8, 8}, {352, 288}};
  for (int k = 0; k < 4; k++) {
    int w = sizes[k][0], h = sizes[k][1];
    uint8_t *a = malloc((size_t)w * h), *b = malloc((size_t)w * h);
    for (int i = 0; i < w * h; i++) {
      a[i] = (uint8_t)((i % w) * 3 + (i / w) * 2 + pl_rng_below(&rng, 40));
      int v = a[i] + (int)(12 * pl_rng_normal(&rng));
      b[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    int32_t *scratch = malloc(pl_ssim_scratch_ints(w) * sizeof *scratch);
    double got = pl_plane_ssim(a, w, b, w, w, h, scratch);
    double want = direct_ssim(a, b, w, h);
    cr_assert_float_eq(got, want, 1e-6, "%dx%d: %.8f vs %.8f", w, h, got, want);
    cr_assert(got > 0.2 && got < 0.99);
    free(scratch);
    free(a);
    free(b);
  }
  int32_t scratch[16];
  uint8_t tiny[7 * 7] = {0};
  cr_assert(isnan(pl_plane_ssim(tiny, 7, tiny, 7, 7, 7, scratch)));
}

Test(metrics_video, frame_equality_looks_at_every_plane) {
  pl_video_buffer a, b;
  pl_video_buffer_alloc(&a, 17, 9);
  pl_video_buffer_alloc(&b, 17, 9);
  memset(a.mem, 7, a.size);
  memset(b.mem, 7, b.size);
  cr_assert(pl_video_frame_equal(&a.f, &b.f));
  b.f.v[b.f.stride_v * 4 + 8] = 8; /* last chroma sample */
  cr_assert(!pl_video_frame_equal(&a.f, &b.f));
  pl_video_buffer_free(&a);
  pl_video_buffer_free(&b);
}

static void timeline(pl_time_us *t, size_t n, pl_time_us step) {
  for (size_t i = 0; i < n; i++)
    t[i] = (pl_time_us)i * step;
}

Test(metrics_video, freezes_follow_the_webrtc_stats_rule) {
  pl_time_us t[100];
  pl_video_timing v;
  /* 30 fps (33.3 ms): limit is avg + 150 ms = 183 ms. */
  for (size_t i = 0; i < 100; i++)
    t[i] = (pl_time_us)llround((double)i * 1e6 / 30);
  cr_assert_eq(pl_video_timing_analyze(t, NULL, 100, &v), 0);
  cr_assert_eq(v.freeze_count, 0);
  cr_assert_float_eq(v.fps, 30.0, 1e-3);
  for (size_t i = 50; i < 100; i++)
    t[i] += PL_MS(100); /* a 133 ms gap: a stutter, not a freeze */
  cr_assert_eq(pl_video_timing_analyze(t, NULL, 100, &v), 0);
  cr_assert_eq(v.freeze_count, 0);
  for (size_t i = 70; i < 100; i++)
    t[i] += PL_MS(500); /* a 533 ms gap */
  cr_assert_eq(pl_video_timing_analyze(t, NULL, 100, &v), 0);
  cr_assert_eq(v.freeze_count, 1);
  cr_assert_float_eq(v.freeze_total_s, 0.5 + 1.0 / 30, 1e-5);
  cr_assert_float_eq(v.max_interval_ms, 500 + 1000.0 / 30, 1e-2);
  /* 10 fps (100 ms): limit is 3 x avg = 300 ms, met with equality. */
  timeline(t, 50, PL_MS(100));
  for (size_t i = 20; i < 50; i++)
    t[i] += PL_MS(200);
  cr_assert_eq(pl_video_timing_analyze(t, NULL, 50, &v), 0);
  cr_assert_eq(v.freeze_count, 1);
  for (size_t i = 20; i < 50; i++)
    t[i] -= 1;
  cr_assert_eq(pl_video_timing_analyze(t, NULL, 50, &v), 0);
  cr_assert_eq(v.freeze_count, 0, "299.999 ms is under the limit");
  t[10] = t[9] - 1;
  cr_assert_eq(pl_video_timing_analyze(t, NULL, 50, &v), PL_EINVAL);
}

Test(metrics_video, end_to_end_delay_statistics) {
  pl_time_us r[20], c[20];
  for (size_t i = 0; i < 20; i++) {
    c[i] = (pl_time_us)i * PL_MS(40);
    r[i] = c[i] + PL_MS(80) + (i == 19 ? PL_MS(100) : 0);
  }
  pl_video_timing v;
  cr_assert_eq(pl_video_timing_analyze(r, c, 20, &v), 0);
  cr_assert(v.has_delay);
  cr_assert_float_eq(v.delay_min_ms, 80.0, 1e-9);
  cr_assert_float_eq(v.delay_p50_ms, 80.0, 1e-9);
  cr_assert_float_eq(v.delay_p95_ms, 80.0, 1e-9);
  cr_assert_float_eq(v.delay_max_ms, 180.0, 1e-9);
  cr_assert_float_eq(v.delay_mean_ms, 85.0, 1e-9);
  cr_assert_eq(pl_video_timing_analyze(r, NULL, 20, &v), 0);
  cr_assert(!v.has_delay);
}

Test(video_timing, a_picture_that_stops_for_good_is_a_freeze_to_the_end_of_the_span) {
  pl_time_us t[60];
  for (int i = 0; i < 60; i++)
    t[i] = PL_SEC(1) + (pl_time_us)i * 33333; /* 30 fps for 2 s, then nothing */
  pl_video_timing a, b, c;
  cr_assert_eq(pl_video_timing_analyze(t, NULL, 60, &a), 0);
  cr_assert_eq(a.freeze_count, 0, "without an end the stop is invisible");
  cr_assert_float_eq(a.fps, 30.0, 0.1);
  cr_assert_eq(pl_video_timing_analyze_until(t, NULL, 60, PL_SEC(10), &b), 0);
  cr_assert_eq(b.freeze_count, 1);
  cr_assert_float_eq(b.freeze_total_s, 10.0 - (1.0 + 59 * 0.033333), 0.001);
  cr_assert_float_eq(b.duration_s, 9.0, 1e-9);
  cr_assert_float_eq(b.fps, 59 / 9.0, 0.01);
  cr_assert_float_eq(b.max_interval_ms, (10.0 - 1.0 - 59 * 0.033333) * 1000, 1.0);
  /* An end one frame after the last: an ordinary interval, no freeze. */
  cr_assert_eq(pl_video_timing_analyze_until(t, NULL, 60, t[59] + 33333, &c), 0);
  cr_assert_eq(c.freeze_count, 0);
}
