/* What the receive path's super-resolution costs (issue 18: at least
 * 30 frames/s for 640x360 -> 1280x720 on one core): whole I420 pictures
 * through pl_upscale_frame on this thread, the shipped network against the
 * bicubic base alone and libyuv's bilinear I420Scale in the same run, for
 * x2 and x1.5 and a few tile sizes. Frames per second from thread CPU time
 * (the machine is shared: wall time counts other jobs' slices) and from
 * wall time; best of 3 runs of N frames each. Markdown rows on stdout.
 *   build/bench/bench_upscale [frames]   (default 60) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/upscale/upscale.h"
#include "video/scale/scale.h"

static double clk(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(pl_video_frame *f) {
  /* A photograph-like picture: smooth shading, edges, fine texture. */
  unsigned s = 1;
  for (int y = 0; y < f->height; y++)
    for (int x = 0; x < f->width; x++) {
      s = s * 1103515245u + 12345u;
      double v = 120 + 50 * sin(x * 0.05 + y * 0.02) + ((x / 40 + y / 30) % 2 ? 30 : -30) +
                 (double)(s >> 28);
      f->y[(size_t)y * f->stride_y + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  memset(f->u, 110, (size_t)f->stride_u * ((f->height + 1) / 2));
  memset(f->v, 140, (size_t)f->stride_v * ((f->height + 1) / 2));
}

typedef enum { NET, BICUBIC, LIBYUV } method;

/* Best of 3: frames per CPU second and per wall second. */
static void run(pl_upscaler *u, const pl_video_frame *in, pl_video_frame *out, method m, int n,
                double *cpu_fps, double *wall_fps) {
  *cpu_fps = *wall_fps = 0;
  for (int rep = 0; rep < 3; rep++) {
    double c0 = clk(CLOCK_THREAD_CPUTIME_ID), w0 = clk(CLOCK_MONOTONIC);
    for (int i = 0; i < n; i++) {
      int rc = m == LIBYUV ? pl_video_scale(in, out, PL_SCALE_BILINEAR)
                           : pl_upscale_frame(u, in, out, m == NET, NULL, NULL);
      if (rc) {
        fprintf(stderr, "bench_upscale: %d\n", rc);
        exit(1);
      }
    }
    double c = n / (clk(CLOCK_THREAD_CPUTIME_ID) - c0), w = n / (clk(CLOCK_MONOTONIC) - w0);
    *cpu_fps = c > *cpu_fps ? c : *cpu_fps;
    *wall_fps = w > *wall_fps ? w : *wall_fps;
  }
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 60;
  if (n < 1)
    n = 60;
  const pl_upscale_model *m = pl_upscale_model_default();
  if (!m) {
    fprintf(stderr, "bench_upscale: the built-in model does not load\n");
    return 1;
  }
  printf("| from | to | method | tile | MACs / low-res px | frames/s (CPU) | frames/s (wall) | "
         "x bicubic (CPU) |\n|---|---|---|---|---|---|---|---|\n");
  struct {
    int w, h, W, H, s;
  } sz[] = {{640, 360, 1280, 720, 0}, {640, 360, 960, 540, 1}};
  struct {
    int w, h;
  } tiles[] = {{160, 48}, {96, 32}, {64, 32}, {640, 16}};
  for (size_t k = 0; k < sizeof sz / sizeof sz[0]; k++) {
    pl_video_buffer in, out;
    if (pl_video_buffer_alloc(&in, sz[k].w, sz[k].h) ||
        pl_video_buffer_alloc(&out, sz[k].W, sz[k].H))
      return 1;
    fill(&in.f);
    const pl_upscale_net *net = &m->net[sz[k].s];
    int C = net->channels;
    int macs = 25 * C + net->depth * 9 * C * C + (sz[k].s ? 9 * C * 9 / 4 : 9 * C * 4);
    pl_upscaler *u;
    if (pl_upscaler_new(&u, m, 0, 0))
      return 1;
    double bc, bw, lc, lw;
    run(u, &in.f, &out.f, BICUBIC, n, &bc, &bw);
    run(u, &in.f, &out.f, LIBYUV, n, &lc, &lw);
    printf("| %dx%d | %dx%d | bicubic (base) | - | - | %.0f | %.0f | 1.00 |\n", sz[k].w,
           sz[k].h, sz[k].W, sz[k].H, bc, bw);
    printf("| %dx%d | %dx%d | libyuv bilinear | - | - | %.0f | %.0f | %.2f |\n", sz[k].w,
           sz[k].h, sz[k].W, sz[k].H, lc, lw, lc / bc);
    pl_upscaler_free(u);
    for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++) {
      if (pl_upscaler_new(&u, m, tiles[t].w, tiles[t].h))
        return 1;
      double nc, nw;
      run(u, &in.f, &out.f, NET, n, &nc, &nw);
      printf("| %dx%d | %dx%d | network C%d depth %d | %dx%d | %d | %.1f | %.1f | %.2f |\n",
             sz[k].w, sz[k].h, sz[k].W, sz[k].H, C, net->depth, tiles[t].w, tiles[t].h, macs,
             nc, nw, nc / bc);
      pl_upscaler_free(u);
    }
    pl_video_buffer_free(&in);
    pl_video_buffer_free(&out);
  }
  return 0;
}
