/* The primitive kernels behind ai/nn layers, one table per instruction set
 * (portable scalar C, AVX2+FMA), chosen once at run time. Internal to
 * ai/nn: stages use the layer API of nn.h. */
#ifndef PL_AI_NN_KERNELS_H
#define PL_AI_NN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* One output row of a direct convolution, for cb (1..4) output channels:
 *   out[c][j*out_step] = bias[c] + sum_t sum_ci w[c*wco + ci*wci + woff[t]]
 *                                 * in[t][c*in_co + ci*in_cs + j]
 * for j in [0, n). Every in[t] row may be read up to 31 floats past n
 * (callers pad their scratch), so kernels need no edge cases. Covers
 * ordinary, strided, dilated, grouped, depthwise and transposed convolution:
 * the caller turns its geometry into tap pointers. in_co is 0 when the cb
 * channels share their input (ordinary conv) and the input channel stride
 * for depthwise blocks, where channel c reads only input channel c. */
typedef struct pl_nn_row {
  float *out;
  size_t out_cs; /* distance between output channels */
  int out_step;  /* 1, or the stride of a transposed conv's output phase */
  int n;
  const float *const *in;
  const int *woff;
  int ntaps;
  int cin;
  size_t in_cs;
  size_t in_co;
  const float *w;
  size_t wco, wci;
  const float *bias; /* cb values or NULL */
  int cb;
} pl_nn_row;

#define PL_NN_ROW_OVERREAD 32

typedef struct pl_nn_kernels {
  const char *name;
  /* y[r] = bias[r] + dot(W[r*ldw ...], x) for r < rows; bias may be NULL. */
  void (*gemv)(float *y, const float *W, size_t ldw, const float *x, int rows,
               int cols, const float *bias);
  /* The same with int8 weights, row r scaled by scales[r]. */
  void (*gemv_i8)(float *y, const int8_t *W, size_t ldw, const float *scales,
                  const float *x, int rows, int cols, const float *bias);
  /* Y[i*ldy + r] = bias[r] + dot(X[i*ldx ...], W[r*ldw ...]), i < n. */
  void (*gemm_nt)(float *Y, size_t ldy, const float *X, size_t ldx, int n,
                  const float *W, size_t ldw, int rows, int cols,
                  const float *bias);
  void (*sigmoid)(float *y, const float *x, int n);
  void (*tanh)(float *y, const float *x, int n);
  void (*conv_row)(const pl_nn_row *r);
} pl_nn_kernels;

extern const pl_nn_kernels pl_nn_kernels_scalar;
extern const pl_nn_kernels pl_nn_kernels_avx2;

/* The table in use (resolved on first call; see pl_nn_isa_set). */
const pl_nn_kernels *pl_nn_k(void);

#endif
