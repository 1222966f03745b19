/* ai/nn kernel throughput, scalar vs AVX2/FMA, at the sizes the stages use,
 * against the machine's estimated peak. Prints Markdown rows.
 *   build/bench/bench_nn [--quick]
 * One thread; every kernel is timed as the best of 5 batches of >= 40 ms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ai/model/model.h"
#include "ai/nn/nn.h"
#include "base/rng.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static double batch_s = 0.04;
static pl_rng rng;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Seconds per call: best of 5 batches. */
static double time_call(void (*fn)(void *), void *arg) {
  int reps = 1;
  for (;;) { /* calibrate */
    double t0 = now_s();
    for (int i = 0; i < reps; i++)
      fn(arg);
    double dt = now_s() - t0;
    if (dt > batch_s / 4)
      break;
    reps *= 2;
  }
  double best = 1e30;
  int n = reps * 4;
  for (int b = 0; b < 5; b++) {
    double t0 = now_s();
    for (int i = 0; i < n; i++)
      fn(arg);
    double dt = (now_s() - t0) / n;
    best = dt < best ? dt : best;
  }
  return best;
}

static float *rvec(size_t n, float s) {
  float *v = aligned_alloc(32, (n * sizeof(float) + 31) / 32 * 32);
  for (size_t i = 0; i < n; i++)
    v[i] = (float)(2 * pl_rng_uniform(&rng) - 1) * s;
  return v;
}

/* ---- machine peak ---- */

static double cpuinfo_mhz(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[256];
  double mhz = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
      break;
  if (f)
    fclose(f);
  return mhz;
}

/* A chain of dependent integer adds retires one per cycle. */
static double measured_ghz(void) {
#if defined(__x86_64__)
  const long iters = 50 * 1000 * 1000;
  double best = 0;
  for (int r = 0; r < 5; r++) {
    long n = iters, x = 0;
    double t0 = now_s();
    __asm__ volatile("1:\n\t"
                     "add $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\t"
                     "add $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\t"
                     "dec %0\n\tjnz 1b"
                     : "+r"(n), "+r"(x));
    double ghz = 8.0 * (double)iters / (now_s() - t0) / 1e9;
    best = ghz > best ? ghz : best;
  }
  return best;
#else
  return 0;
#endif
}

#if defined(__x86_64__)
/* Ten independent FMA chains, in asm so the compiler keeps them in
 * registers: enough to fill two FMA pipes of latency 4-5. */
#define FMA1(a) __asm__ volatile("vfmadd213ps %2, %1, %0" : "+x"(a) : "x"(m), "x"(c))
__attribute__((target("avx2,fma"))) static double fma_loop_gflops(void) {
  const long iters = 20 * 1000 * 1000;
  double best = 0;
  for (int r = 0; r < 5; r++) {
    __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
           a6 = a0, a7 = a0, a8 = a0, a9 = a0;
    double t0 = now_s();
    for (long k = 0; k < iters; k++) {
      FMA1(a0); FMA1(a1); FMA1(a2); FMA1(a3); FMA1(a4);
      FMA1(a5); FMA1(a6); FMA1(a7); FMA1(a8); FMA1(a9);
    }
    double dt = now_s() - t0;
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(a8, a9));
    float sink[8];
    _mm256_storeu_ps(sink, s);
    if (sink[0] == 12345.0f)
      puts("");
    double g = (double)iters * 10 * 16 / dt / 1e9;
    best = g > best ? g : best;
  }
  return best;
}
#endif

/* ---- kernels under test ---- */

static pl_model *model_of(const char *name, int nd, int d0, int d1, int d2,
                          int d3, const char *name2, int n2) {
  pl_model_writer *w = pl_model_writer_new("bench", "bench");
  int dims[4] = {d0, d1, d2, d3};
  size_t n = 1;
  for (int i = 0; i < nd; i++)
    n *= (size_t)dims[i];
  float *v = rvec(n, 0.1f);
  pl_model_writer_add_f32(w, name, nd, dims, v);
  if (name2) {
    float *b = rvec((size_t)n2, 0.1f);
    pl_model_writer_add_f32(w, name2, 1, &n2, b);
    free(b);
  }
  free(v);
  uint8_t *buf;
  size_t len;
  pl_model_writer_finish(w, &buf, &len);
  pl_model_writer_free(w);
  pl_model *m;
  if (pl_model_load_bytes(&m, buf, len, NULL, 0))
    abort();
  free(buf);
  return m;
}

typedef struct dense_arg {
  pl_nn_dense l;
  float *x, *y;
  int n;
} dense_arg;
static void run_dense(void *p) {
  dense_arg *a = p;
  pl_nn_dense_forward(&a->l, a->x, a->y);
}
static void run_dense_batch(void *p) {
  dense_arg *a = p;
  pl_nn_dense_forward_batch(&a->l, a->x, a->n, a->y);
}

typedef struct rnn_arg {
  pl_nn_rnn l;
  pl_nn_rnn_state s;
  float *x;
} rnn_arg;
static void run_rnn(void *p) {
  rnn_arg *a = p;
  pl_nn_rnn_forward(&a->s, a->x, 1, NULL);
}

typedef struct conv1d_arg {
  pl_nn_conv1d l;
  pl_nn_conv1d_state s;
  float *x, *y;
} conv1d_arg;
static void run_conv1d(void *p) {
  conv1d_arg *a = p;
  pl_nn_conv1d_forward(&a->s, a->x, 1, a->y);
}

typedef struct conv2d_arg {
  pl_nn_conv2d l;
  int H, W;
  float *x, *y, *scratch;
} conv2d_arg;
static void run_conv2d(void *p) {
  conv2d_arg *a = p;
  pl_nn_conv2d_forward(&a->l, a->x, a->H, a->W, a->y, a->scratch);
}

typedef struct act_arg {
  int n, tanh;
  float *x, *y;
} act_arg;
static void run_act(void *p) {
  act_arg *a = p;
  if (a->tanh)
    pl_nn_tanh(a->y, a->x, a->n);
  else
    pl_nn_sigmoid(a->y, a->x, a->n);
}

static int have_avx2;
static double peak_core; /* GFLOP/s of one core, measured FMA loop */

/* One Markdown row: scalar and AVX2 timings of fn. */
static void row(const char *kernel, const char *shape, double flops,
                void (*fn)(void *), void *arg) {
  pl_nn_isa_set(PL_NN_ISA_SCALAR);
  double ts = time_call(fn, arg);
  double tv = ts;
  if (have_avx2) {
    pl_nn_isa_set(PL_NN_ISA_AVX2);
    tv = time_call(fn, arg);
  }
  double gs = flops / ts / 1e9, gv = flops / tv / 1e9;
  printf("| %s | %s | %.2f | %.2f | %.1fx | %.1f | %.0f%% |\n", kernel, shape, gs,
         gv, ts / tv, tv * 1e6, peak_core > 0 ? 100 * gv / peak_core : 0);
}

static void bench_dense(int in, int out, int n, int int8) {
  pl_model_writer *w = pl_model_writer_new("bench", "bench");
  int dims[2] = {out, in};
  float *v = rvec((size_t)in * out, 0.1f);
  if (int8)
    pl_model_writer_add_f32_as_i8(w, "fc.weight", 2, dims, v);
  else
    pl_model_writer_add_f32(w, "fc.weight", 2, dims, v);
  free(v);
  uint8_t *buf;
  size_t len;
  pl_model_writer_finish(w, &buf, &len);
  pl_model_writer_free(w);
  pl_model *m;
  pl_model_load_bytes(&m, buf, len, NULL, 0);
  free(buf);
  dense_arg a = {.x = rvec((size_t)in * n, 1), .y = rvec((size_t)out * n, 1), .n = n};
  pl_nn_dense_init(&a.l, m, "fc", in, out, pl_nn_act_make(PL_NN_ACT_NONE, 0, 0));
  char shape[64];
  snprintf(shape, sizeof shape, "%dx%d%s", out, in, n > 1 ? "" : "");
  if (n > 1) {
    snprintf(shape, sizeof shape, "%dx%d, %d rows", out, in, n);
    row("dense matrix-matrix", shape, 2.0 * in * out * n, run_dense_batch, &a);
  } else {
    row(int8 ? "dense int8 matrix-vector" : "dense matrix-vector", shape,
        2.0 * in * out, run_dense, &a);
  }
  free(a.x), free(a.y);
  pl_model_free(m);
}

static void bench_rnn(pl_nn_cell cell, int H, int int8) {
  static const char *const names[] = {"GRU step", "LSTM step", "SRU step"};
  int G = cell == PL_NN_LSTM ? 4 : 3;
  pl_model *m;
  char n1[32], n2[32];
  if (cell == PL_NN_SRU) {
    pl_model_writer *w = pl_model_writer_new("bench", "bench");
    int d[2] = {3 * H, H}, dv = 2 * H;
    float *v = rvec((size_t)3 * H * H, 0.1f), *b = rvec(2 * (size_t)H, 0.1f);
    pl_model_writer_add_f32(w, "r.weight", 2, d, v);
    pl_model_writer_add_f32(w, "r.v", 1, &dv, b);
    pl_model_writer_add_f32(w, "r.bias", 1, &dv, b);
    free(v), free(b);
    uint8_t *buf;
    size_t len;
    pl_model_writer_finish(w, &buf, &len);
    pl_model_writer_free(w);
    pl_model_load_bytes(&m, buf, len, NULL, 0);
    free(buf);
  } else {
    pl_model_writer *w = pl_model_writer_new("bench", "bench");
    int d[2] = {G * H, H}, db = G * H;
    float *v = rvec((size_t)G * H * H, 0.1f), *b = rvec((size_t)G * H, 0.1f);
    snprintf(n1, sizeof n1, "r.weight_ih_l0");
    snprintf(n2, sizeof n2, "r.weight_hh_l0");
    if (int8) {
      pl_model_writer_add_f32_as_i8(w, n1, 2, d, v);
      pl_model_writer_add_f32_as_i8(w, n2, 2, d, v);
    } else {
      pl_model_writer_add_f32(w, n1, 2, d, v);
      pl_model_writer_add_f32(w, n2, 2, d, v);
    }
    pl_model_writer_add_f32(w, "r.bias_ih_l0", 1, &db, b);
    pl_model_writer_add_f32(w, "r.bias_hh_l0", 1, &db, b);
    free(v), free(b);
    uint8_t *buf;
    size_t len;
    pl_model_writer_finish(w, &buf, &len);
    pl_model_writer_free(w);
    pl_model_load_bytes(&m, buf, len, NULL, 0);
    free(buf);
  }
  rnn_arg a = {.x = rvec((size_t)H, 1)};
  if (pl_nn_rnn_init(&a.l, m, cell, "r", cell == PL_NN_SRU ? -1 : 0, H, H) ||
      pl_nn_rnn_state_init(&a.s, &a.l))
    abort();
  char shape[64];
  snprintf(shape, sizeof shape, "in %d, hidden %d", H, H);
  double mats = cell == PL_NN_SRU ? 3.0 * H * H : 2.0 * G * H * H;
  char what[32];
  snprintf(what, sizeof what, "%s%s", names[cell], int8 ? " int8" : "");
  row(what, shape, 2 * mats, run_rnn, &a);
  pl_nn_rnn_state_free(&a.s);
  free(a.x);
  pl_model_free(m);
}

static void bench_conv2d(const char *what, pl_nn_conv2d_cfg c, int H, int W) {
  int g = c.groups ? c.groups : 1;
  pl_model *m = c.transposed
                    ? model_of("k.weight", 4, c.in, c.out / g, c.kh, c.kw, "k.bias", c.out)
                    : model_of("k.weight", 4, c.out, c.in / g, c.kh, c.kw, "k.bias", c.out);
  conv2d_arg a = {.H = H, .W = W};
  if (pl_nn_conv2d_init(&a.l, m, "k", &c, pl_nn_act_make(PL_NN_ACT_NONE, 0, 0)))
    abort();
  int OH, OW;
  pl_nn_conv2d_out_size(&a.l, H, W, &OH, &OW);
  a.x = rvec((size_t)c.in * H * W, 1);
  a.y = rvec((size_t)c.out * OH * OW, 1);
  a.scratch = rvec(pl_nn_conv2d_scratch_floats(&a.l, H, W), 0);
  /* Useful MACs only (a transposed conv's are those of its input). */
  double macs = c.transposed ? (double)c.in * H * W * (c.out / g) * c.kh * c.kw
                             : (double)c.out * OH * OW * (c.in / g) * c.kh * c.kw;
  char shape[96];
  snprintf(shape, sizeof shape, "%dx%dx%d -> %dx%dx%d, %dx%d s%d", c.in, H, W,
           c.out, OH, OW, c.kh, c.kw, c.sh ? c.sh : 1);
  row(what, shape, 2 * macs, run_conv2d, &a);
  free(a.x), free(a.y), free(a.scratch);
  pl_model_free(m);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--quick"))
    batch_s = 0.01;
  pl_rng_seed(&rng, 1);
  have_avx2 = pl_nn_isa_available(PL_NN_ISA_AVX2);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  double mhz = cpuinfo_mhz(), ghz = measured_ghz();
#if defined(__x86_64__)
  if (have_avx2)
    peak_core = fma_loop_gflops();
#endif
  printf("command: %s%s\n\n", argv[0], batch_s < 0.04 ? " --quick" : "");
  printf("| machine | value |\n|---|---|\n");
  printf("| cores online | %ld |\n", cores);
  printf("| clock, /proc/cpuinfo | %.2f GHz |\n", mhz / 1000);
  printf("| clock, measured (dependent add chain) | %.2f GHz |\n", ghz);
  printf("| peak f32 = cores x GHz x 2 FMA/cycle x 8 lanes x 2 | %.0f GFLOP/s (%.1f per core) |\n",
         (double)cores * ghz * 32, ghz * 32);
  printf("| measured FMA loop, 1 core, before the kernels | %.1f GFLOP/s |\n\n", peak_core);

  printf("| kernel | shape | scalar GFLOP/s | AVX2 GFLOP/s | AVX2 speed-up | AVX2 us/call | %% of 1-core FMA loop |\n");
  printf("|---|---|---|---|---|---|---|\n");
  bench_dense(256, 256, 1, 0);
  bench_dense(256, 256, 1, 1);
  bench_dense(256, 256, 16, 0);
  bench_dense(512, 512, 1, 0);
  bench_dense(512, 512, 1, 1);
  static const int gru_sizes[] = {96, 128, 192, 256, 384};
  for (int i = 0; i < 5; i++)
    bench_rnn(PL_NN_GRU, gru_sizes[i], 0);
  bench_rnn(PL_NN_GRU, 128, 1);
  bench_rnn(PL_NN_GRU, 384, 1);
  bench_rnn(PL_NN_LSTM, 128, 0);
  bench_rnn(PL_NN_SRU, 128, 0);
  {
    pl_model *m = model_of("c.weight", 3, 64, 64, 3, 0, "c.bias", 64);
    conv1d_arg a = {.x = rvec(64, 1), .y = rvec(64, 1)};
    pl_nn_conv1d_init(&a.l, m, "c", 64, 64, 3, 2, 1, pl_nn_act_make(0, 0, 0));
    pl_nn_conv1d_state_init(&a.s, &a.l);
    row("causal conv1d frame", "64 -> 64, k3 d2", 2.0 * 64 * 64 * 3, run_conv1d, &a);
    pl_nn_conv1d_state_free(&a.s);
    free(a.x), free(a.y);
    pl_model_free(m);
  }
  bench_conv2d("conv2d", (pl_nn_conv2d_cfg){.in = 16, .out = 16, .kh = 3, .kw = 3, .ph = 1, .pw = 1}, 64, 64);
  bench_conv2d("conv2d", (pl_nn_conv2d_cfg){.in = 32, .out = 32, .kh = 3, .kw = 3, .ph = 1, .pw = 1}, 64, 64);
  bench_conv2d("conv2d", (pl_nn_conv2d_cfg){.in = 3, .out = 32, .kh = 3, .kw = 3, .ph = 1, .pw = 1}, 120, 160);
  bench_conv2d("conv2d stride 2", (pl_nn_conv2d_cfg){.in = 16, .out = 32, .kh = 3, .kw = 3, .sh = 2, .sw = 2, .ph = 1, .pw = 1}, 64, 64);
  bench_conv2d("depthwise conv2d", (pl_nn_conv2d_cfg){.in = 32, .out = 32, .kh = 3, .kw = 3, .ph = 1, .pw = 1, .groups = 32}, 64, 64);
  bench_conv2d("transposed conv2d", (pl_nn_conv2d_cfg){.in = 16, .out = 8, .kh = 4, .kw = 4, .sh = 2, .sw = 2, .ph = 1, .pw = 1, .transposed = true}, 32, 32);
  for (int t = 0; t < 2; t++) {
    act_arg a = {.n = 4096, .tanh = t, .x = rvec(4096, 4), .y = rvec(4096, 1)};
    /* Counted as one "flop" per element: the row reads as Gelem/s. */
    row(t ? "tanh (Gelem/s)" : "sigmoid (Gelem/s)", "4096", 4096, run_act, &a);
    free(a.x), free(a.y);
  }
#if defined(__x86_64__)
  /* The clock of a shared VM moves: measure the FMA loop again so the
   * percentages above can be read against both ends of the run. */
  if (have_avx2)
    printf("\n| measured FMA loop, 1 core, after the kernels | %.1f GFLOP/s |\n",
           fma_loop_gflops());
#endif
  return 0;
}
