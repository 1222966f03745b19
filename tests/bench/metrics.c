/* Benchmarks of the metrics code, each against a baseline in the same run:
 * FFT alignment vs direct time-domain correlation over the same lags, the
 * real FFT vs the complex FFT of the same size, and STOI / PSNR+SSIM
 * throughput in multiples of real time. Prints Markdown table rows.
 *   build/bench/bench_metrics */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/metrics/fft.h"
#include "audio/metrics/metrics.h"
#include "audio/wav/wav.h"
#include "base/rng.h"
#include "video/metrics/vmetrics.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long direct_align(const float *r, const float *d, size_t n, long m) {
  double best = -INFINITY;
  long arg = 0;
  for (long l = -m; l <= m; l++) {
    double c = 0;
    for (size_t i = 0; i < n; i++) {
      long j = (long)i + l;
      if (j >= 0 && j < (long)n)
        c += (double)r[i] * d[j];
    }
    if (c > best) {
      best = c;
      arg = l;
    }
  }
  return arg;
}

int main(void) {
  float *s;
  pl_wav_info info;
  if (pl_wav_read_file("/usr/share/codec2/raw/speech_orig_16k.wav", &s, &info)) {
    fprintf(stderr, "needs codec2-examples: %s\n", info.error);
    return 1;
  }
  size_t n = (size_t)info.frames;
  double secs = (double)n / 16000;
  float *d = calloc(n, sizeof *d);
  pl_rng rng;
  pl_rng_seed(&rng, 1);
  for (size_t i = 0; i < n; i++)
    d[i] = (i >= 700 ? s[i - 700] : 0) + 0.01f * (float)pl_rng_normal(&rng);

  printf("command: build/bench/bench_metrics\n\n");
  printf("| what | time | baseline | baseline time | speed-up |\n");
  printf("|---|---|---|---|---|\n");

  long m = 1600; /* +-100 ms */
  double t0 = now_s();
  pl_audio_align al;
  pl_audio_align_find(s, n, d, n, m, &al);
  double t_fft = now_s() - t0;
  t0 = now_s();
  long lag = direct_align(s, d, n, m);
  double t_dir = now_s() - t0;
  printf("| align %.1f s @16 kHz, +-100 ms (lag %ld) | %.2f ms | direct "
         "correlation (lag %ld) | %.0f ms | %.0fx |\n",
         secs, al.lag, t_fft * 1e3, lag, t_dir * 1e3, t_dir / t_fft);

  size_t fn = 512, reps = 20000;
  pl_fft *f = pl_fft_new(fn);
  double x[512], out[514], c[1024];
  for (size_t i = 0; i < fn; i++)
    x[i] = pl_rng_normal(&rng);
  t0 = now_s();
  for (size_t k = 0; k < reps; k++)
    pl_fft_real_forward(f, x, out);
  double t_real = (now_s() - t0) / (double)reps;
  t0 = now_s();
  for (size_t k = 0; k < reps; k++) {
    for (size_t i = 0; i < fn; i++) {
      c[2 * i] = x[i];
      c[2 * i + 1] = 0;
    }
    pl_fft_complex(f, c, 0);
  }
  double t_cplx = (now_s() - t0) / (double)reps;
  printf("| real FFT 512 | %.2f us | complex FFT 512 | %.2f us | %.1fx |\n",
         t_real * 1e6, t_cplx * 1e6, t_cplx / t_real);
  pl_fft_free(f);

  double stoi;
  t0 = now_s();
  pl_stoi(s, d, n, 16000, &stoi);
  double t_stoi = now_s() - t0;
  pl_audio_metrics am;
  t0 = now_s();
  pl_audio_compare(s, n, d, n, 16000, &am);
  double t_all = now_s() - t0;
  printf("| STOI of %.1f s @16 kHz | %.1f ms | real time | %.0f ms | %.0fx |\n",
         secs, t_stoi * 1e3, secs * 1e3, secs / t_stoi);
  printf("| pl_audio_compare %.1f s @16 kHz | %.1f ms | real time | %.0f ms | "
         "%.0fx |\n", secs, t_all * 1e3, secs * 1e3, secs / t_all);

  int w = 1280, h = 720, frames = 30;
  pl_video_buffer a, b;
  pl_video_buffer_alloc(&a, w, h);
  pl_video_buffer_alloc(&b, w, h);
  for (size_t i = 0; i < a.size; i++) {
    a.mem[i] = (uint8_t)(i * 31 % 251);
    b.mem[i] = (uint8_t)(a.mem[i] + pl_rng_below(&rng, 5));
  }
  pl_video_quality *q = pl_video_quality_new(w, h);
  t0 = now_s();
  for (int k = 0; k < frames; k++)
    pl_video_quality_add(q, &a.f, &b.f, NULL);
  double t_v = (now_s() - t0) / frames;
  printf("| PSNR+SSIM 720p frame | %.2f ms | 30 fps real time | 33.3 ms | "
         "%.0fx |\n", t_v * 1e3, (1.0 / 30) / t_v);
  pl_video_quality_free(q);
  pl_video_buffer_free(&a);
  pl_video_buffer_free(&b);
  free(s);
  free(d);
  return 0;
}
