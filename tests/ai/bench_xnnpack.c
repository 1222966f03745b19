/* Whole-frame convolutions: ai/nn conv2d (NCHW, AVX2) against XNNPACK
 * (NHWC, Debian libxnnpack-dev) on the same shapes, one thread each, both
 * checked to give the same numbers first. Layout conversion is not timed:
 * each library gets its native layout. Built by tests/ai/tests.cmake as
 * build/bench/bench_nn_xnnpack when XNNPACK is installed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xnnpack.h>

#include "ai/model/model.h"
#include "ai/nn/nn.h"
#include "base/rng.h"

static pl_rng rng;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double time_call(void (*fn)(void *), void *arg) {
  int reps = 1;
  for (;;) {
    double t0 = now_s();
    for (int i = 0; i < reps; i++)
      fn(arg);
    if (now_s() - t0 > 0.01)
      break;
    reps *= 2;
  }
  double best = 1e30;
  for (int b = 0; b < 5; b++) {
    double t0 = now_s();
    for (int i = 0; i < reps * 4; i++)
      fn(arg);
    double dt = (now_s() - t0) / (reps * 4);
    best = dt < best ? dt : best;
  }
  return best;
}

static float *rvec(size_t n) {
  float *v = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++)
    v[i] = (float)(2 * pl_rng_uniform(&rng) - 1) * 0.2f;
  return v;
}

typedef struct job {
  pl_nn_conv2d l;
  int H, W;
  float *x, *y, *scratch;
  xnn_operator_t op;
} job;

static void run_ours(void *p) {
  job *j = p;
  pl_nn_conv2d_forward(&j->l, j->x, j->H, j->W, j->y, j->scratch);
}
static void run_xnn(void *p) {
  job *j = p;
  xnn_run_operator(j->op, NULL);
}

static void bench(const char *what, pl_nn_conv2d_cfg c, int H, int W) {
  int g = c.groups ? c.groups : 1, s = c.sh ? c.sh : 1;
  int cin_g = c.in / g, cout_g = c.out / g;
  size_t wn = (size_t)c.out * cin_g * c.kh * c.kw;
  float *w = rvec(wn), *b = rvec((size_t)c.out);
  pl_model_writer *mw = pl_model_writer_new("xnn", "bench");
  int dims[4] = {c.transposed ? c.in : c.out, c.transposed ? cout_g : cin_g, c.kh, c.kw};
  pl_model_writer_add_f32(mw, "k.weight", 4, dims, w);
  pl_model_writer_add_f32(mw, "k.bias", 1, &c.out, b);
  uint8_t *buf;
  size_t len;
  pl_model_writer_finish(mw, &buf, &len);
  pl_model_writer_free(mw);
  pl_model *m;
  if (pl_model_load_bytes(&m, buf, len, NULL, 0))
    abort();
  free(buf);
  job j = {.H = H, .W = W};
  if (pl_nn_conv2d_init(&j.l, m, "k", &c, pl_nn_act_make(PL_NN_ACT_NONE, 0, 0)))
    abort();
  int OH, OW;
  pl_nn_conv2d_out_size(&j.l, H, W, &OH, &OW);
  j.x = rvec((size_t)c.in * H * W);
  j.y = malloc(sizeof(float) * c.out * OH * OW);
  j.scratch = malloc(sizeof(float) * pl_nn_conv2d_scratch_floats(&j.l, H, W));

  /* XNNPACK: NHWC data, kernel [g][out_g][kh][kw][in_g]. */
  float *xk = malloc(sizeof(float) * wn);
  for (int gr = 0; gr < g; gr++)
    for (int o = 0; o < cout_g; o++)
      for (int i = 0; i < cin_g; i++)
        for (int kh = 0; kh < c.kh; kh++)
          for (int kw = 0; kw < c.kw; kw++) {
            size_t src = c.transposed
                             ? ((((size_t)gr * cin_g + i) * cout_g + o) * c.kh + kh) * c.kw + kw
                             : ((((size_t)gr * cout_g + o) * cin_g + i) * c.kh + kh) * c.kw + kw;
            xk[((((size_t)gr * cout_g + o) * c.kh + kh) * c.kw + kw) * cin_g + i] = w[src];
          }
  float *xin = malloc(sizeof(float) * c.in * H * W), *xout = malloc(sizeof(float) * c.out * OH * OW);
  for (int ch = 0; ch < c.in; ch++)
    for (int p = 0; p < H * W; p++)
      xin[(size_t)p * c.in + ch] = j.x[(size_t)ch * H * W + p];
  enum xnn_status st;
  if (c.transposed) {
    st = xnn_create_deconvolution2d_nhwc_f32(
        c.ph, c.pw, c.ph, c.pw, c.kh, c.kw, s, c.sw ? c.sw : 1, 1, 1, g, cin_g, cout_g,
        c.in, c.out, xk, b, -INFINITY, INFINITY, 0, &j.op);
    if (st == xnn_status_success)
      st = xnn_setup_deconvolution2d_nhwc_f32(j.op, 1, H, W, c.oph, c.opw, xin, xout, NULL);
  } else {
    st = xnn_create_convolution2d_nhwc_f32(
        c.ph, c.pw, c.ph, c.pw, c.kh, c.kw, s, c.sw ? c.sw : 1, 1, 1, g, cin_g, cout_g,
        c.in, c.out, xk, b, -INFINITY, INFINITY, 0, &j.op);
    if (st == xnn_status_success)
      st = xnn_setup_convolution2d_nhwc_f32(j.op, 1, H, W, xin, xout, NULL);
  }
  if (st != xnn_status_success) {
    printf("| %s | XNNPACK refused the shape (status %d) | | | |\n", what, st);
    return;
  }
  run_ours(&j);
  run_xnn(&j);
  double err = 0, mag = 0;
  for (int ch = 0; ch < c.out; ch++)
    for (int p = 0; p < OH * OW; p++) {
      double a = j.y[(size_t)ch * OH * OW + p], x = xout[(size_t)p * c.out + ch];
      err = fmax(err, fabs(a - x));
      mag = fmax(mag, fabs(x));
    }
  double macs = c.transposed ? (double)c.in * H * W * cout_g * c.kh * c.kw
                             : (double)c.out * OH * OW * cin_g * c.kh * c.kw;
  j.x = j.x, j.op = j.op;
  double to = time_call(run_ours, &j);
  job jx = j;
  jx.x = xin;
  double tx = time_call(run_xnn, &jx);
  printf("| %s | %dx%dx%d -> %dx%dx%d, %dx%d s%d | %.1f | %.1f | %.2f | %.0f / %.0f | %.1e |\n",
         what, c.in, H, W, c.out, OH, OW, c.kh, c.kw, s, 2 * macs / to / 1e9,
         2 * macs / tx / 1e9, to / tx, to * 1e6, tx * 1e6, err / fmax(mag, 1e-30));
  xnn_delete_operator(j.op);
  free(xk), free(xin), free(xout), free(j.x), free(j.y), free(j.scratch), free(w), free(b);
  pl_model_free(m);
}

int main(int argc, char **argv) {
  (void)argc;
  pl_rng_seed(&rng, 3);
  if (xnn_initialize(NULL) != xnn_status_success) {
    puts("XNNPACK failed to initialise (unsupported CPU?)");
    return 1;
  }
  printf("command: %s   (ai/nn on %s; XNNPACK single-threaded, no threadpool)\n\n", argv[0],
         pl_nn_isa_name(pl_nn_isa_get()));
  printf("| conv | shape (C x H x W) | ai/nn GFLOP/s | XNNPACK GFLOP/s | XNNPACK speed-up | us ai/nn / XNNPACK | max diff / max |out| |\n");
  printf("|---|---|---|---|---|---|---|\n");
  bench("conv2d", (pl_nn_conv2d_cfg){.in = 16, .out = 16, .kh = 3, .kw = 3, .ph = 1, .pw = 1}, 64, 64);
  bench("conv2d", (pl_nn_conv2d_cfg){.in = 32, .out = 32, .kh = 3, .kw = 3, .ph = 1, .pw = 1}, 64, 64);
  bench("conv2d", (pl_nn_conv2d_cfg){.in = 32, .out = 32, .kh = 3, .kw = 3, .ph = 1, .pw = 1}, 90, 160);
  bench("conv2d", (pl_nn_conv2d_cfg){.in = 3, .out = 32, .kh = 3, .kw = 3, .ph = 1, .pw = 1}, 120, 160);
  bench("conv2d 1x1", (pl_nn_conv2d_cfg){.in = 32, .out = 32, .kh = 1, .kw = 1}, 64, 64);
  bench("conv2d stride 2", (pl_nn_conv2d_cfg){.in = 16, .out = 32, .kh = 3, .kw = 3, .sh = 2, .sw = 2, .ph = 1, .pw = 1}, 64, 64);
  bench("depthwise", (pl_nn_conv2d_cfg){.in = 32, .out = 32, .kh = 3, .kw = 3, .ph = 1, .pw = 1, .groups = 32}, 64, 64);
  bench("transposed", (pl_nn_conv2d_cfg){.in = 16, .out = 8, .kh = 4, .kw = 4, .sh = 2, .sw = 2, .ph = 1, .pw = 1, .transposed = true}, 32, 32);
  /* The upscaler's layers on one 160x48 tile (ai/upscale: valid convs). */
  bench("upscale conv_in", (pl_nn_conv2d_cfg){.in = 1, .out = 16, .kh = 5, .kw = 5}, 56, 168);
  bench("upscale body", (pl_nn_conv2d_cfg){.in = 16, .out = 16, .kh = 3, .kw = 3}, 52, 164);
  bench("upscale x2 out", (pl_nn_conv2d_cfg){.in = 16, .out = 4, .kh = 3, .kw = 3}, 50, 162);
  bench("upscale x1.5 out", (pl_nn_conv2d_cfg){.in = 16, .out = 9, .kh = 3, .kw = 3, .sh = 2, .sw = 2}, 50, 162);
  return 0;
}
