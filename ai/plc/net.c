/* The concealment model's forward step (see net.h). */
#include "ai/plc/net.h"

#include <string.h>

#include "parley.h"

int pl_plc_net_init(pl_plc_net *n, const pl_model *m) {
  memset(n, 0, sizeof *n);
  /* The hidden size is fc_in's row count (f32 or int8); the layer inits
   * below check every shape. */
  const pl_tensor *t = pl_model_find(m, "fc_in.weight");
  if (!t)
    return PL_ENOENT;
  int H = t->dims[0];
  if (t->ndims != 2 || H < 1 || H > PL_PLC_NET_MAX_HIDDEN)
    return PL_EFORMAT;
  int rc;
  n->hidden = H;
  if ((rc = pl_nn_dense_init(&n->fc_in, m, "fc_in", PL_PLC_NET_IN, H,
                             pl_nn_act_make(PL_NN_ACT_TANH, 0, 0))) ||
      (rc = pl_nn_rnn_init(&n->gru1, m, PL_NN_GRU, "gru1", 0, H, H)) ||
      (rc = pl_nn_rnn_init(&n->gru2, m, PL_NN_GRU, "gru2", 0, H, H)) ||
      (rc = pl_nn_dense_init(&n->fc_out, m, "fc_out", H, PL_PLC_NET_OUT,
                             pl_nn_act_make(PL_NN_ACT_NONE, 0, 0))))
    return rc;
  if ((rc = pl_model_get_tensor(m, &t, "feat_mean", PL_DTYPE_F32, 1, PL_PLC_NB)))
    return rc;
  n->mean = t->data;
  if ((rc = pl_model_get_tensor(m, &t, "feat_std", PL_DTYPE_F32, 1, PL_PLC_NB)))
    return rc;
  n->std = t->data;
  for (int b = 0; b < PL_PLC_NB; b++)
    if (!(n->std[b] > 0.0f))
      return PL_EFORMAT;
  return 0;
}

int pl_plc_net_state_init(pl_plc_net_state *st, const pl_plc_net *n) {
  memset(st, 0, sizeof *st);
  st->n = n;
  int rc = pl_nn_rnn_state_init(&st->s1, &n->gru1);
  if (!rc)
    rc = pl_nn_rnn_state_init(&st->s2, &n->gru2);
  if (rc)
    pl_plc_net_state_free(st);
  return rc;
}

void pl_plc_net_state_free(pl_plc_net_state *st) {
  pl_nn_rnn_state_free(&st->s1);
  pl_nn_rnn_state_free(&st->s2);
}

void pl_plc_net_state_reset(pl_plc_net_state *st) {
  pl_nn_rnn_state_reset(&st->s1);
  pl_nn_rnn_state_reset(&st->s2);
}

void pl_plc_net_step(pl_plc_net_state *st, const float *x, float *bands,
                     float *voicing_logit) {
  const pl_plc_net *n = st->n;
  pl_nn_dense_forward(&n->fc_in, x, st->h);
  pl_nn_rnn_forward(&st->s1, st->h, 1, st->y1);
  pl_nn_rnn_forward(&st->s2, st->y1, 1, NULL);
  pl_nn_dense_forward(&n->fc_out, st->s2.h, st->o);
  for (int b = 0; b < PL_PLC_NB; b++)
    bands[b] = x[b] + st->o[b];
  *voicing_logit = st->o[PL_PLC_NB];
}
