/* Inference kernels for the real-time AI stages: dense, GRU/LSTM/SRU, causal
 * conv1d, conv2d (grouped, depthwise, transposed), pixel shuffle, LayerNorm
 * and activations, float32 with scalar and AVX2/FMA paths chosen at run time.
 *
 * A layer struct (pl_nn_dense, pl_nn_gru, ...) only points at tensors of a
 * loaded pl_model, so one model serves every call; what a stream remembers
 * (recurrent state, conv history) lives in a separate state struct sized at
 * setup. Nothing here allocates, logs or locks after *_init. Tensor names
 * and layouts are PyTorch's (docs/ai.md). */
#ifndef PL_AI_NN_H
#define PL_AI_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ai/model/model.h"

/* ---- instruction set ------------------------------------------------- */

typedef enum pl_nn_isa { PL_NN_ISA_SCALAR = 0, PL_NN_ISA_AVX2 = 1 } pl_nn_isa;

/* The path in use. The first call picks AVX2 when the CPU has AVX2 and FMA,
 * unless the environment variable PL_NN_ISA is "scalar". */
pl_nn_isa pl_nn_isa_get(void);
/* Process-wide; call before streams run (tests flip it to cover both
 * paths). PL_ENOTSUP if the CPU lacks it. */
int pl_nn_isa_set(pl_nn_isa isa);
bool pl_nn_isa_available(pl_nn_isa isa);
const char *pl_nn_isa_name(pl_nn_isa isa);

/* ---- activations ----------------------------------------------------- */

typedef enum pl_nn_act_kind {
  PL_NN_ACT_NONE = 0,
  PL_NN_ACT_RELU,
  PL_NN_ACT_LEAKY_RELU, /* a = negative slope */
  PL_NN_ACT_PRELU,      /* slope[] per channel (or one shared) */
  PL_NN_ACT_HARDTANH,   /* clamp to [a, b]; clipped ReLU is [0, b] */
  PL_NN_ACT_SIGMOID,
  PL_NN_ACT_TANH,
} pl_nn_act_kind;

typedef struct pl_nn_act {
  pl_nn_act_kind kind;
  float a, b;
  const float *slope;
  int nslope;
} pl_nn_act;

static inline pl_nn_act pl_nn_act_make(pl_nn_act_kind kind, float a,
                                       float b) {
  pl_nn_act act = {kind, a, b, NULL, 0};
  return act;
}
/* PReLU with the slopes of tensor `name` (torch nn.PReLU's "weight"), which
 * must hold 1 or `channels` values. */
int pl_nn_act_prelu(pl_nn_act *act, const pl_model *m, const char *name,
                    int channels);
/* In place on x laid out [channels][inner] (inner = 1 for vectors, H*W for
 * NCHW planes); PReLU slope c applies to channel c. */
void pl_nn_act_apply(const pl_nn_act *act, float *x, int channels, int inner);

/* Vector forms (dispatched; y may equal x). AVX2 error: see docs/ai.md. */
void pl_nn_sigmoid(float *y, const float *x, int n);
void pl_nn_tanh(float *y, const float *x, int n);
/* y[i] += x[i]: residual connections. */
void pl_nn_add(float *y, const float *x, int n);

/* ---- dense ----------------------------------------------------------- */

typedef struct pl_nn_dense {
  int in, out;
  const float *w;     /* (out, in) f32, or NULL when int8 */
  const int8_t *w8;   /* (out, in) int8 */
  const float *scale; /* per output row, with w8 */
  const float *bias;  /* (out) or NULL */
  pl_nn_act act;
} pl_nn_dense;

/* "<prefix>.weight" (out, in) f32 or int8, optional "<prefix>.bias" (out).
 * in/out of -1 take the model's. */
int pl_nn_dense_init(pl_nn_dense *l, const pl_model *m, const char *prefix,
                     int in, int out, pl_nn_act act);
/* y = act(W x + b): one vector. */
void pl_nn_dense_forward(const pl_nn_dense *l, const float *x, float *y);
/* Y[i] = act(W X[i] + b) for n rows (matrix-matrix). */
void pl_nn_dense_forward_batch(const pl_nn_dense *l, const float *X, int n,
                               float *Y);

/* ---- recurrent ------------------------------------------------------- */

typedef enum pl_nn_cell { PL_NN_GRU = 0, PL_NN_LSTM = 1, PL_NN_SRU = 2 } pl_nn_cell;

/* A recurrent layer with PyTorch's weights and gate order:
 *  GRU  (r, z, n): n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
 *       h' = (1 - z) * n + z * h
 *  LSTM (i, f, g, o): c' = f*c + i*g, h' = o * tanh(c')
 *  SRU  (ai/train/cells.py): rows of W are (x~, f, r); v, b are (f, r):
 *       f = sig(W_f x + v_f*c + b_f), r = sig(W_r x + v_r*c + b_r)
 *       c' = f*c + (1-f)*x~, h' = r*tanh(c') + (1-r)*x   (needs in == hidden)
 */
typedef struct pl_nn_rnn {
  pl_nn_cell cell;
  int in, hidden, gates; /* gates: 3 GRU, 4 LSTM, 3 SRU */
  const float *w_ih, *w_hh; /* (gates*H, in), (gates*H, H) f32 or NULL */
  const int8_t *w_ih8, *w_hh8;
  const float *s_ih, *s_hh; /* per-row scales with int8 */
  const float *b_ih, *b_hh; /* (gates*H) or NULL; SRU: b = (2H) in b_ih */
  const float *v;           /* SRU: (2H) */
} pl_nn_rnn;

/* Torch names: "<prefix>.weight_ih_l<layer>" etc. for nn.GRU/nn.LSTM, or
 * "<prefix>.weight_ih" for GRUCell/LSTMCell when layer < 0; SRU uses
 * "<prefix>.weight", ".v", ".bias". in/hidden of -1 take the model's. */
int pl_nn_rnn_init(pl_nn_rnn *l, const pl_model *m, pl_nn_cell cell,
                   const char *prefix, int layer, int in, int hidden);

typedef struct pl_nn_rnn_state {
  const pl_nn_rnn *l;
  float *h, *c;      /* hidden state; c for LSTM and SRU */
  float *gi, *gh;    /* scratch: gates from x and from h */
  void *mem;
} pl_nn_rnn_state;

int pl_nn_rnn_state_init(pl_nn_rnn_state *s, const pl_nn_rnn *l);
void pl_nn_rnn_state_free(pl_nn_rnn_state *s);
void pl_nn_rnn_state_reset(pl_nn_rnn_state *s);
/* T steps of x [T][in]; writes h after each step to y [T][hidden] (y may be
 * NULL; the last h is s->h). State carries over to the next call. */
void pl_nn_rnn_forward(pl_nn_rnn_state *s, const float *x, int T, float *y);

/* ---- causal conv1d (streaming) ----------------------------------------- */

/* torch nn.Conv1d(in, out, k, dilation=d, groups=g) fed with (k-1)*d frames
 * of left zero padding, i.e. causal: y[t] sees x[t - (k-1)d .. t]. */
typedef struct pl_nn_conv1d {
  int in, out, k, dilation, groups;
  const float *w;    /* (out, in/groups, k) */
  const float *bias; /* (out) or NULL */
  pl_nn_act act;
} pl_nn_conv1d;

int pl_nn_conv1d_init(pl_nn_conv1d *l, const pl_model *m, const char *prefix,
                      int in, int out, int k, int dilation, int groups,
                      pl_nn_act act);

typedef struct pl_nn_conv1d_state {
  const pl_nn_conv1d *l;
  float *hist; /* the last (k-1)*dilation input frames, a ring */
  float *col;  /* scratch: one frame's receptive field, [in][k] */
  int len, pos;
  void *mem;
} pl_nn_conv1d_state;

int pl_nn_conv1d_state_init(pl_nn_conv1d_state *s, const pl_nn_conv1d *l);
void pl_nn_conv1d_state_free(pl_nn_conv1d_state *s);
void pl_nn_conv1d_state_reset(pl_nn_conv1d_state *s);
/* x [T][in] (time-major frames) -> y [T][out]. */
void pl_nn_conv1d_forward(pl_nn_conv1d_state *s, const float *x, int T,
                          float *y);

/* ---- conv2d (NCHW, one image) ------------------------------------------- */

typedef struct pl_nn_conv2d_cfg {
  int in, out;        /* channels */
  int kh, kw;
  int sh, sw;         /* stride (0 means 1) */
  int ph, pw;         /* zero padding, both sides */
  int dh, dw;         /* dilation (0 means 1) */
  int groups;         /* 0 means 1; in for depthwise */
  bool transposed;    /* torch ConvTranspose2d */
  int oph, opw;       /* output_padding (transposed only) */
} pl_nn_conv2d_cfg;

typedef struct pl_nn_conv2d {
  pl_nn_conv2d_cfg c;
  const float *w;    /* (out, in/g, kh, kw), transposed: (in, out/g, kh, kw) */
  const float *bias; /* (out) or NULL */
  pl_nn_act act;     /* PReLU slopes per output channel */
} pl_nn_conv2d;

int pl_nn_conv2d_init(pl_nn_conv2d *l, const pl_model *m, const char *prefix,
                      const pl_nn_conv2d_cfg *cfg, pl_nn_act act);
/* Output size for an H x W input; PL_EINVAL if it would be empty. */
int pl_nn_conv2d_out_size(const pl_nn_conv2d *l, int H, int W, int *oh,
                          int *ow);
/* Floats of scratch forward needs for this input size (allocate once per
 * geometry; may be shared by layers that do not run concurrently). */
size_t pl_nn_conv2d_scratch_floats(const pl_nn_conv2d *l, int H, int W);
/* x (in, H, W) -> y (out, OH, OW). */
int pl_nn_conv2d_forward(const pl_nn_conv2d *l, const float *x, int H, int W,
                         float *y, float *scratch);

/* x (C*r*r, H, W) -> y (C, H*r, W*r), torch nn.PixelShuffle(r). */
void pl_nn_pixel_shuffle(const float *x, int C, int H, int W, int r,
                         float *y);

/* ---- LayerNorm ------------------------------------------------------- */

typedef struct pl_nn_layernorm {
  int dim;
  float eps;
  const float *gamma, *beta; /* (dim) or NULL (no affine) */
} pl_nn_layernorm;

/* "<prefix>.weight", "<prefix>.bias" if present (torch nn.LayerNorm). */
int pl_nn_layernorm_init(pl_nn_layernorm *l, const pl_model *m,
                         const char *prefix, int dim, float eps);
/* rows vectors of dim each; y may equal x. */
void pl_nn_layernorm_forward(const pl_nn_layernorm *l, const float *x,
                             int rows, float *y);

#endif
