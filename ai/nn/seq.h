/* A frame-streaming stack of ai/nn layers described by the model itself
 * ("arch.N" metadata lines written by ai/train/export.py), so a stage can
 * run whatever recurrent stack the trainer produced without hard-coding it:
 *   arch.0=op=dense name=fc_in act=prelu:in_act.weight
 *   arch.1=op=gru name=rnn0 layer=0
 *   arch.2=op=layernorm name=norm0 eps=1e-05
 *   arch.3=op=act act=tanh
 * Ops: dense, gru, lstm, sru, conv1d (k= dilation= groups=), layernorm,
 * act. act= is none|relu|tanh|sigmoid|leaky:A|hardtanh:A:B|prelu:TENSOR. */
#ifndef PL_AI_NN_SEQ_H
#define PL_AI_NN_SEQ_H

#include "ai/nn/nn.h"

#define PL_NN_SEQ_MAX 32

typedef enum pl_nn_seq_op {
  PL_NN_SEQ_DENSE,
  PL_NN_SEQ_RNN,
  PL_NN_SEQ_CONV1D,
  PL_NN_SEQ_LAYERNORM,
  PL_NN_SEQ_ACT,
} pl_nn_seq_op;

typedef struct pl_nn_seq_layer {
  pl_nn_seq_op op;
  int in, out;
  union {
    pl_nn_dense dense;
    pl_nn_rnn rnn;
    pl_nn_conv1d conv;
    pl_nn_layernorm ln;
    pl_nn_act act;
  } u;
} pl_nn_seq_layer;

/* Read-only after init and shared by streams; it must not move while
 * states point at it. */
typedef struct pl_nn_seq {
  int n, in, out, width; /* width: the widest activation vector */
  pl_nn_seq_layer layer[PL_NN_SEQ_MAX];
} pl_nn_seq;

/* PL_EFORMAT (logged) on a missing or malformed arch line or sizes that do
 * not chain; tensor errors as in pl_model_get_tensor. */
int pl_nn_seq_init(pl_nn_seq *s, const pl_model *m);

typedef struct pl_nn_seq_state {
  const pl_nn_seq *s;
  pl_nn_rnn_state rnn[PL_NN_SEQ_MAX];
  pl_nn_conv1d_state conv[PL_NN_SEQ_MAX];
  float *a, *b;
} pl_nn_seq_state;

int pl_nn_seq_state_init(pl_nn_seq_state *st, const pl_nn_seq *s);
void pl_nn_seq_state_free(pl_nn_seq_state *st);
void pl_nn_seq_state_reset(pl_nn_seq_state *st);
/* One frame: x [in] -> y [out]. */
void pl_nn_seq_step(pl_nn_seq_state *st, const float *x, float *y);

#endif
