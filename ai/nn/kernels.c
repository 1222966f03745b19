/* Portable C kernels (the reference path, and what runs on CPUs without
 * AVX2/FMA), and the run-time choice between them and kernels_avx2.c. */
#include "ai/nn/kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ai/nn/nn.h"
#include "parley.h"

static void gemv_scalar(float *y, const float *W, size_t ldw, const float *x,
                        int rows, int cols, const float *bias) {
  for (int r = 0; r < rows; r++) {
    const float *w = W + (size_t)r * ldw;
    /* Four partial sums: the same ILP a compiler would need -ffast-math for. */
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k = 0;
    for (; k + 4 <= cols; k += 4) {
      s0 += w[k] * x[k];
      s1 += w[k + 1] * x[k + 1];
      s2 += w[k + 2] * x[k + 2];
      s3 += w[k + 3] * x[k + 3];
    }
    for (; k < cols; k++)
      s0 += w[k] * x[k];
    y[r] = (s0 + s1) + (s2 + s3) + (bias ? bias[r] : 0.0f);
  }
}

static void gemv_i8_scalar(float *y, const int8_t *W, size_t ldw,
                           const float *scales, const float *x, int rows,
                           int cols, const float *bias) {
  for (int r = 0; r < rows; r++) {
    const int8_t *w = W + (size_t)r * ldw;
    float s0 = 0, s1 = 0;
    int k = 0;
    for (; k + 2 <= cols; k += 2) {
      s0 += (float)w[k] * x[k];
      s1 += (float)w[k + 1] * x[k + 1];
    }
    for (; k < cols; k++)
      s0 += (float)w[k] * x[k];
    y[r] = (s0 + s1) * scales[r] + (bias ? bias[r] : 0.0f);
  }
}

static void gemm_nt_scalar(float *Y, size_t ldy, const float *X, size_t ldx,
                           int n, const float *W, size_t ldw, int rows,
                           int cols, const float *bias) {
  for (int i = 0; i < n; i++)
    gemv_scalar(Y + (size_t)i * ldy, W, ldw, X + (size_t)i * ldx, rows, cols,
                bias);
}

static void sigmoid_scalar(float *y, const float *x, int n) {
  for (int i = 0; i < n; i++)
    y[i] = 1.0f / (1.0f + expf(-x[i]));
}

static void tanh_scalar(float *y, const float *x, int n) {
  for (int i = 0; i < n; i++)
    y[i] = tanhf(x[i]);
}

static void conv_row_scalar(const pl_nn_row *r) {
  enum { CHUNK = 64 };
  float acc[CHUNK];
  for (int c = 0; c < r->cb; c++) {
    const float *w = r->w + (size_t)c * r->wco;
    float *o = r->out + (size_t)c * r->out_cs;
    for (int j0 = 0; j0 < r->n; j0 += CHUNK) {
      int m = r->n - j0 < CHUNK ? r->n - j0 : CHUNK;
      float b = r->bias ? r->bias[c] : 0.0f;
      for (int j = 0; j < m; j++)
        acc[j] = b;
      for (int t = 0; t < r->ntaps; t++) {
        const float *wt = w + r->woff[t];
        for (int ci = 0; ci < r->cin; ci++) {
          const float *in =
              r->in[t] + (size_t)c * r->in_co + (size_t)ci * r->in_cs + j0;
          float wv = wt[(size_t)ci * r->wci];
          for (int j = 0; j < m; j++)
            acc[j] += wv * in[j];
        }
      }
      for (int j = 0; j < m; j++)
        o[(size_t)(j0 + j) * r->out_step] = acc[j];
    }
  }
}

const pl_nn_kernels pl_nn_kernels_scalar = {
    .name = "scalar",
    .gemv = gemv_scalar,
    .gemv_i8 = gemv_i8_scalar,
    .gemm_nt = gemm_nt_scalar,
    .sigmoid = sigmoid_scalar,
    .tanh = tanh_scalar,
    .conv_row = conv_row_scalar,
};

/* ---- dispatch ---- */

static const pl_nn_kernels *g_kernels;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

bool pl_nn_isa_available(pl_nn_isa isa) {
  if (isa == PL_NN_ISA_SCALAR)
    return true;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return isa == PL_NN_ISA_AVX2 && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

static void resolve(void) {
  const char *env = getenv("PL_NN_ISA");
  bool avx2 = pl_nn_isa_available(PL_NN_ISA_AVX2) &&
              !(env && !strcmp(env, "scalar"));
  __atomic_store_n(&g_kernels, avx2 ? &pl_nn_kernels_avx2 : &pl_nn_kernels_scalar,
                   __ATOMIC_RELEASE);
}

const pl_nn_kernels *pl_nn_k(void) {
  const pl_nn_kernels *k = __atomic_load_n(&g_kernels, __ATOMIC_ACQUIRE);
  if (k)
    return k;
  pthread_once(&g_once, resolve);
  return __atomic_load_n(&g_kernels, __ATOMIC_ACQUIRE);
}

pl_nn_isa pl_nn_isa_get(void) {
  return pl_nn_k() == &pl_nn_kernels_avx2 ? PL_NN_ISA_AVX2 : PL_NN_ISA_SCALAR;
}

int pl_nn_isa_set(pl_nn_isa isa) {
  if (!pl_nn_isa_available(isa))
    return PL_ENOTSUP;
  pthread_once(&g_once, resolve);
  __atomic_store_n(&g_kernels,
                   isa == PL_NN_ISA_AVX2 ? &pl_nn_kernels_avx2
                                         : &pl_nn_kernels_scalar,
                   __ATOMIC_RELEASE);
  return 0;
}

const char *pl_nn_isa_name(pl_nn_isa isa) {
  return isa == PL_NN_ISA_AVX2 ? "avx2" : "scalar";
}

void pl_nn_sigmoid(float *y, const float *x, int n) { pl_nn_k()->sigmoid(y, x, n); }
void pl_nn_tanh(float *y, const float *x, int n) { pl_nn_k()->tanh(y, x, n); }

void pl_nn_add(float *y, const float *x, int n) {
  for (int i = 0; i < n; i++)
    y[i] += x[i];
}
