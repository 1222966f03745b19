/* The concealment model of ai/train/plc/model.py on ai/nn kernels: per
 * 10 ms step, x = [standardised band log-energies (22), lost, since/10,
 * concealed] -> fc_in (tanh) -> gru1 -> gru2 -> fc_out -> next frame's
 * bands (input bands + delta, standardised) and a voicing logit. Weights
 * are shared (pl_plc_net); the recurrent state is per stream. */
#ifndef PL_AI_PLC_NET_H
#define PL_AI_PLC_NET_H

#include "ai/nn/nn.h"
#include "ai/plc/dsp.h"

#define PL_PLC_NET_IN (PL_PLC_NB + 3)
#define PL_PLC_NET_OUT (PL_PLC_NB + 1)
#define PL_PLC_NET_MAX_HIDDEN 256

typedef struct pl_plc_net {
  int hidden;
  pl_nn_dense fc_in, fc_out;
  pl_nn_rnn gru1, gru2;
  const float *mean, *std; /* feature standardisation, PL_PLC_NB each */
} pl_plc_net;

/* PL_ENOENT / PL_EFORMAT (logged) when a tensor is missing or misshapen. */
int pl_plc_net_init(pl_plc_net *n, const pl_model *m);

typedef struct pl_plc_net_state {
  const pl_plc_net *n;
  pl_nn_rnn_state s1, s2;
  float h[PL_PLC_NET_MAX_HIDDEN], y1[PL_PLC_NET_MAX_HIDDEN];
  float o[PL_PLC_NET_OUT];
} pl_plc_net_state;

int pl_plc_net_state_init(pl_plc_net_state *st, const pl_plc_net *n);
void pl_plc_net_state_free(pl_plc_net_state *st);
void pl_plc_net_state_reset(pl_plc_net_state *st);
/* One step: x [PL_PLC_NET_IN] -> bands [PL_PLC_NB] (standardised, as the
 * trainer's output) and the voicing logit. */
void pl_plc_net_step(pl_plc_net_state *st, const float *x, float *bands,
                     float *voicing_logit);

#endif
