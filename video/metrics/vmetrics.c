/* PSNR, SSIM and render-timing analysis. SSIM follows the windowing of
 * ffmpeg's ssim filter (from x264): per 4x4 block the sums of a, b, a^2+b^2
 * and ab; each 8x8 window on the 4-pixel grid adds four neighbouring
 * blocks; the window's SSIM uses integer statistics scaled by 64. */
#include "video/metrics/vmetrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parley.h"

double pl_plane_mse(const uint8_t *a, int stride_a, const uint8_t *b,
                    int stride_b, int w, int h) {
  if (w <= 0 || h <= 0)
    return NAN;
  uint64_t sum = 0;
  for (int y = 0; y < h; y++) {
    const uint8_t *pa = a + (size_t)y * (size_t)stride_a;
    const uint8_t *pb = b + (size_t)y * (size_t)stride_b;
    uint32_t row = 0;
    for (int x = 0; x < w; x++) {
      int d = pa[x] - pb[x];
      row += (uint32_t)(d * d);
    }
    sum += row;
  }
  return (double)sum / ((double)w * (double)h);
}

double pl_psnr_from_mse(double mse) {
  return mse == 0.0 ? INFINITY : 10.0 * log10(255.0 * 255.0 / mse);
}

size_t pl_ssim_scratch_ints(int w) {
  return 2 * 4 * (size_t)(w > 0 ? w / 4 + 1 : 1);
}

/* Sums of one row of 4x4 blocks: s1, s2, ss (a^2 + b^2), s12. */
static void block_row(const uint8_t *a, int sa, const uint8_t *b, int sb,
                      int blocks, int32_t *sums) {
  for (int i = 0; i < blocks; i++) {
    int32_t s1 = 0, s2 = 0, ss = 0, s12 = 0;
    for (int y = 0; y < 4; y++) {
      const uint8_t *pa = a + (size_t)y * (size_t)sa + 4 * i;
      const uint8_t *pb = b + (size_t)y * (size_t)sb + 4 * i;
      for (int x = 0; x < 4; x++) {
        int va = pa[x], vb = pb[x];
        s1 += va;
        s2 += vb;
        ss += va * va + vb * vb;
        s12 += va * vb;
      }
    }
    sums[4 * i] = s1;
    sums[4 * i + 1] = s2;
    sums[4 * i + 2] = ss;
    sums[4 * i + 3] = s12;
  }
}

/* One 8x8 window (64 pixels) from its integer sums. C1 = (0.01*255)^2 and
 * C2 = (0.03*255)^2 scaled the way the statistics are (x64, x64*63). */
static float window_ssim(int32_t s1, int32_t s2, int32_t ss, int32_t s12) {
  const int32_t c1 = (int32_t)(.01 * .01 * 255 * 255 * 64 + .5);
  const int32_t c2 = (int32_t)(.03 * .03 * 255 * 255 * 64 * 63 + .5);
  int32_t vars = ss * 64 - s1 * s1 - s2 * s2;
  int32_t covar = s12 * 64 - s1 * s2;
  return (float)(2 * s1 * s2 + c1) * (float)(2 * covar + c2) /
         ((float)(s1 * s1 + s2 * s2 + c1) * (float)(vars + c2));
}

double pl_plane_ssim(const uint8_t *a, int stride_a, const uint8_t *b,
                     int stride_b, int w, int h, int32_t *scratch) {
  int bw = w / 4, bh = h / 4;
  if (bw < 2 || bh < 2)
    return NAN;
  int32_t *prev = scratch, *cur = scratch + 4 * (size_t)(bw + 1);
  block_row(a, stride_a, b, stride_b, bw, prev);
  double total = 0.0;
  for (int by = 1; by < bh; by++) {
    block_row(a + (size_t)(4 * by) * (size_t)stride_a, stride_a,
              b + (size_t)(4 * by) * (size_t)stride_b, stride_b, bw, cur);
    float line = 0.0f; /* per-row float sum, as the reference does */
    for (int i = 0; i + 1 < bw; i++) {
      int32_t v[4];
      for (int k = 0; k < 4; k++)
        v[k] = prev[4 * i + k] + prev[4 * (i + 1) + k] + cur[4 * i + k] +
               cur[4 * (i + 1) + k];
      line += window_ssim(v[0], v[1], v[2], v[3]);
    }
    total += line;
    int32_t *t = prev;
    prev = cur;
    cur = t;
  }
  return total / ((double)(bh - 1) * (double)(bw - 1));
}

static bool plane_equal(const uint8_t *a, int sa, const uint8_t *b, int sb,
                        int w, int h) {
  for (int y = 0; y < h; y++)
    if (memcmp(a + (size_t)y * (size_t)sa, b + (size_t)y * (size_t)sb,
               (size_t)w))
      return false;
  return true;
}

bool pl_video_frame_equal(const pl_video_frame *a, const pl_video_frame *b) {
  if (a->width != b->width || a->height != b->height)
    return false;
  int cw = (a->width + 1) / 2, ch = (a->height + 1) / 2;
  return plane_equal(a->y, a->stride_y, b->y, b->stride_y, a->width,
                     a->height) &&
         plane_equal(a->u, a->stride_u, b->u, b->stride_u, cw, ch) &&
         plane_equal(a->v, a->stride_v, b->v, b->stride_v, cw, ch);
}

struct pl_video_quality {
  int width, height;
  int32_t *scratch;
  size_t frames;
  double mse_sum, psnr_capped_sum, psnr_min, ssim_sum, ssim_min;
};

pl_video_quality *pl_video_quality_new(int width, int height) {
  if (width <= 0 || height <= 0 || width > PL_VIDEO_MAX_DIM ||
      height > PL_VIDEO_MAX_DIM)
    return NULL;
  pl_video_quality *q = calloc(1, sizeof *q);
  if (!q)
    return NULL;
  q->scratch = malloc(pl_ssim_scratch_ints(width) * sizeof *q->scratch);
  if (!q->scratch) {
    free(q);
    return NULL;
  }
  q->width = width;
  q->height = height;
  q->psnr_min = INFINITY;
  q->ssim_min = INFINITY;
  return q;
}

void pl_video_quality_free(pl_video_quality *q) {
  if (!q)
    return;
  free(q->scratch);
  free(q);
}

int pl_video_quality_add(pl_video_quality *q, const pl_video_frame *ref,
                         const pl_video_frame *deg,
                         pl_video_frame_score *out) {
  if (!q || !ref || !deg || ref->width != q->width ||
      ref->height != q->height || deg->width != q->width ||
      deg->height != q->height)
    return PL_EINVAL;
  pl_video_frame_score s;
  s.mse_y = pl_plane_mse(ref->y, ref->stride_y, deg->y, deg->stride_y,
                         q->width, q->height);
  s.psnr_y = pl_psnr_from_mse(s.mse_y);
  s.ssim_y = pl_plane_ssim(ref->y, ref->stride_y, deg->y, deg->stride_y,
                           q->width, q->height, q->scratch);
  q->frames++;
  q->mse_sum += s.mse_y;
  q->psnr_capped_sum += s.psnr_y > 100.0 ? 100.0 : s.psnr_y;
  if (s.psnr_y < q->psnr_min)
    q->psnr_min = s.psnr_y;
  q->ssim_sum += s.ssim_y;
  if (s.ssim_y < q->ssim_min)
    q->ssim_min = s.ssim_y;
  if (out)
    *out = s;
  return 0;
}

void pl_video_quality_get(const pl_video_quality *q,
                          pl_video_quality_summary *out) {
  memset(out, 0, sizeof *out);
  out->frames = q->frames;
  if (!q->frames) {
    out->psnr_y = out->psnr_y_mean = out->psnr_y_min = NAN;
    out->ssim_y = out->ssim_y_min = NAN;
    return;
  }
  double n = (double)q->frames;
  out->psnr_y = pl_psnr_from_mse(q->mse_sum / n);
  out->psnr_y_mean = q->psnr_capped_sum / n;
  out->psnr_y_min = q->psnr_min;
  out->ssim_y = q->ssim_sum / n;
  out->ssim_y_min = q->ssim_min;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *v, size_t n, double p) {
  size_t k = (size_t)ceil(p / 100.0 * (double)n);
  return v[k ? k - 1 : 0];
}

int pl_video_timing_analyze(const pl_time_us *render_us,
                            const pl_time_us *capture_us, size_t n,
                            pl_video_timing *out) {
  return pl_video_timing_analyze_until(render_us, capture_us, n, 0, out);
}

int pl_video_timing_analyze_until(const pl_time_us *render_us,
                                  const pl_time_us *capture_us, size_t n,
                                  pl_time_us end_us, pl_video_timing *out) {
  if (!out || (!render_us && n))
    return PL_EINVAL;
  memset(out, 0, sizeof *out);
  out->frames = n;
  for (size_t i = 1; i < n; i++)
    if (render_us[i] < render_us[i - 1])
      return PL_EINVAL;
  if (n >= 2) {
    out->duration_s = (double)(render_us[n - 1] - render_us[0]) / 1e6;
    if (out->duration_s > 0)
      out->fps = (double)(n - 1) / out->duration_s;
  }
  /* Ring of the last PL_FREEZE_AVG_FRAMES intervals, for the average. */
  pl_time_us ring[PL_FREEZE_AVG_FRAMES];
  size_t count = 0, at = 0;
  pl_time_us ring_sum = 0;
  for (size_t i = 1; i < n; i++) {
    pl_time_us d = render_us[i] - render_us[i - 1];
    if ((double)d / 1e3 > out->max_interval_ms)
      out->max_interval_ms = (double)d / 1e3;
    if (count) {
      double avg = (double)ring_sum / (double)count;
      double limit = fmax(3.0 * avg, avg + (double)PL_FREEZE_MIN_EXTRA_US);
      if ((double)d >= limit) {
        out->freeze_count++;
        out->freeze_total_s += (double)d / 1e6;
      }
    }
    if (count == PL_FREEZE_AVG_FRAMES)
      ring_sum -= ring[at];
    else
      count++;
    ring[at] = d;
    ring_sum += d;
    at = (at + 1) % PL_FREEZE_AVG_FRAMES;
  }
  if (n >= 2 && end_us > render_us[n - 1]) {
    /* The tail: the last picture stayed up until end_us. */
    pl_time_us d = end_us - render_us[n - 1];
    if ((double)d / 1e3 > out->max_interval_ms)
      out->max_interval_ms = (double)d / 1e3;
    double avg = (double)ring_sum / (double)count;
    if ((double)d >= fmax(3.0 * avg, avg + (double)PL_FREEZE_MIN_EXTRA_US)) {
      out->freeze_count++;
      out->freeze_total_s += (double)d / 1e6;
    }
    out->duration_s = (double)(end_us - render_us[0]) / 1e6;
    out->fps = out->duration_s > 0 ? (double)(n - 1) / out->duration_s : 0;
  }
  if (capture_us && n) {
    double *d = malloc(n * sizeof *d);
    if (!d)
      return PL_ENOMEM;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
      d[i] = (double)(render_us[i] - capture_us[i]) / 1e3;
      sum += d[i];
    }
    qsort(d, n, sizeof *d, cmp_double);
    out->has_delay = true;
    out->delay_mean_ms = sum / (double)n;
    out->delay_min_ms = d[0];
    out->delay_max_ms = d[n - 1];
    out->delay_p50_ms = percentile(d, n, 50.0);
    out->delay_p95_ms = percentile(d, n, 95.0);
    free(d);
  }
  return 0;
}
