/* pl_nn_seq: parses the arch.N lines once at setup; stepping a frame is
 * then a fixed walk over the layers with two ping-pong buffers. */
#include "ai/nn/seq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "parley.h"

#define LINE_MAX_ 512

/* Value of `key=` among the space-separated tokens of line, or NULL. */
static const char *field(const char *line, const char *key, char *buf,
                         size_t len) {
  size_t kl = strlen(key);
  for (const char *p = line; *p;) {
    while (*p == ' ')
      p++;
    const char *end = strchr(p, ' ');
    size_t tl = end ? (size_t)(end - p) : strlen(p);
    if (tl > kl && !memcmp(p, key, kl) && p[kl] == '=') {
      size_t vl = tl - kl - 1;
      if (vl >= len)
        return NULL;
      memcpy(buf, p + kl + 1, vl);
      buf[vl] = 0;
      return buf;
    }
    p += tl;
  }
  return NULL;
}

static int int_field(const char *line, const char *key, int dflt, int *out) {
  char v[32], *end;
  if (!field(line, key, v, sizeof v)) {
    *out = dflt;
    return 0;
  }
  long x = strtol(v, &end, 10);
  if (*end || end == v || x < -1 || x > 1 << 20)
    return PL_EFORMAT;
  *out = (int)x;
  return 0;
}

static int parse_act(const pl_model *m, const char *spec, int channels,
                     pl_nn_act *act) {
  char *end;
  *act = pl_nn_act_make(PL_NN_ACT_NONE, 0, 0);
  if (!spec || !strcmp(spec, "none"))
    return 0;
  if (!strcmp(spec, "relu"))
    act->kind = PL_NN_ACT_RELU;
  else if (!strcmp(spec, "tanh"))
    act->kind = PL_NN_ACT_TANH;
  else if (!strcmp(spec, "sigmoid"))
    act->kind = PL_NN_ACT_SIGMOID;
  else if (!strncmp(spec, "leaky:", 6)) {
    act->kind = PL_NN_ACT_LEAKY_RELU;
    act->a = strtof(spec + 6, &end);
    if (*end || end == spec + 6)
      return PL_EFORMAT;
  } else if (!strncmp(spec, "hardtanh:", 9)) {
    act->kind = PL_NN_ACT_HARDTANH;
    act->a = strtof(spec + 9, &end);
    if (*end != ':')
      return PL_EFORMAT;
    const char *b = end + 1;
    act->b = strtof(b, &end);
    if (*end || end == b || !(act->a <= act->b))
      return PL_EFORMAT;
  } else if (!strncmp(spec, "prelu:", 6)) {
    return pl_nn_act_prelu(act, m, spec + 6, channels);
  } else {
    return PL_EFORMAT;
  }
  return 0;
}

static int parse_layer(const pl_model *m, const char *line, int prev,
                       pl_nn_seq_layer *L) {
  char op[16], name[80], actv[96];
  const char *act = field(line, "act", actv, sizeof actv);
  int rc = 0;
  if (!field(line, "op", op, sizeof op))
    return PL_EFORMAT;
  bool named = field(line, "name", name, sizeof name) != NULL;
  memset(L, 0, sizeof *L);
  if (!strcmp(op, "dense")) {
    if (!named)
      return PL_EFORMAT;
    L->op = PL_NN_SEQ_DENSE;
    pl_nn_act none = pl_nn_act_make(PL_NN_ACT_NONE, 0, 0);
    if ((rc = pl_nn_dense_init(&L->u.dense, m, name, prev, -1, none)))
      return rc;
    L->in = L->u.dense.in;
    L->out = L->u.dense.out;
    return parse_act(m, act, L->out, &L->u.dense.act);
  }
  if (!strcmp(op, "gru") || !strcmp(op, "lstm") || !strcmp(op, "sru")) {
    pl_nn_cell cell = op[0] == 'g' ? PL_NN_GRU : op[0] == 'l' ? PL_NN_LSTM : PL_NN_SRU;
    int layer;
    if (!named || (rc = int_field(line, "layer", -1, &layer)))
      return PL_EFORMAT;
    L->op = PL_NN_SEQ_RNN;
    if ((rc = pl_nn_rnn_init(&L->u.rnn, m, cell, name, layer, prev, -1)))
      return rc;
    L->in = L->u.rnn.in;
    L->out = L->u.rnn.hidden;
    return 0;
  }
  if (!strcmp(op, "conv1d")) {
    int k, d, g;
    const pl_tensor *t;
    char wn[96];
    snprintf(wn, sizeof wn, "%s.weight", name);
    if (!named || int_field(line, "k", 1, &k) ||
        int_field(line, "dilation", 1, &d) || int_field(line, "groups", 1, &g) ||
        !(t = pl_model_find(m, wn)) || t->ndims != 3 || prev < 1)
      return PL_EFORMAT;
    L->op = PL_NN_SEQ_CONV1D;
    pl_nn_act a;
    if ((rc = parse_act(m, act, t->dims[0], &a)))
      return rc;
    if ((rc = pl_nn_conv1d_init(&L->u.conv, m, name, prev, t->dims[0], k, d, g, a)))
      return rc;
    L->in = prev;
    L->out = t->dims[0];
    return 0;
  }
  if (!strcmp(op, "layernorm")) {
    char ev[32];
    float eps = field(line, "eps", ev, sizeof ev) ? strtof(ev, NULL) : 1e-5f;
    if (!named || prev < 1)
      return PL_EFORMAT;
    L->op = PL_NN_SEQ_LAYERNORM;
    L->in = L->out = prev;
    return pl_nn_layernorm_init(&L->u.ln, m, name, prev, eps);
  }
  if (!strcmp(op, "act")) {
    if (prev < 1)
      return PL_EFORMAT;
    L->op = PL_NN_SEQ_ACT;
    L->in = L->out = prev;
    return parse_act(m, act, prev, &L->u.act);
  }
  return PL_EFORMAT;
}

int pl_nn_seq_init(pl_nn_seq *s, const pl_model *m) {
  memset(s, 0, sizeof *s);
  char key[16], line[LINE_MAX_];
  int prev = -1;
  for (int i = 0;; i++) {
    snprintf(key, sizeof key, "arch.%d", i);
    int rc = pl_model_meta_get(m, key, line, sizeof line);
    if (rc == PL_ENOENT)
      break;
    if (rc || i >= PL_NN_SEQ_MAX) {
      PL_WARN("nn", "%s: %s too long or too many layers", pl_model_name(m), key);
      return PL_EFORMAT;
    }
    pl_nn_seq_layer *L = &s->layer[i];
    if ((rc = parse_layer(m, line, prev, L)) || (prev >= 0 && L->in != prev)) {
      PL_WARN("nn", "%s: bad layer %s=%s (%s)", pl_model_name(m), key, line,
              pl_strerror(rc ? rc : PL_EFORMAT));
      return rc ? rc : PL_EFORMAT;
    }
    if (i == 0)
      s->in = L->in;
    s->width = L->in > s->width ? L->in : s->width;
    s->width = L->out > s->width ? L->out : s->width;
    prev = L->out;
    s->n = i + 1;
  }
  if (!s->n) {
    PL_WARN("nn", "%s: no arch.0 metadata", pl_model_name(m));
    return PL_EFORMAT;
  }
  s->out = prev;
  return 0;
}

int pl_nn_seq_state_init(pl_nn_seq_state *st, const pl_nn_seq *s) {
  memset(st, 0, sizeof *st);
  st->s = s;
  st->a = calloc(2 * (size_t)s->width, sizeof(float));
  int rc = st->a ? 0 : PL_ENOMEM;
  st->b = st->a ? st->a + s->width : NULL;
  for (int i = 0; i < s->n && !rc; i++) {
    if (s->layer[i].op == PL_NN_SEQ_RNN)
      rc = pl_nn_rnn_state_init(&st->rnn[i], &s->layer[i].u.rnn);
    else if (s->layer[i].op == PL_NN_SEQ_CONV1D)
      rc = pl_nn_conv1d_state_init(&st->conv[i], &s->layer[i].u.conv);
  }
  if (rc)
    pl_nn_seq_state_free(st);
  return rc;
}

void pl_nn_seq_state_free(pl_nn_seq_state *st) {
  for (int i = 0; i < PL_NN_SEQ_MAX; i++) {
    if (st->rnn[i].mem)
      pl_nn_rnn_state_free(&st->rnn[i]);
    if (st->conv[i].mem)
      pl_nn_conv1d_state_free(&st->conv[i]);
  }
  free(st->a);
  memset(st, 0, sizeof *st);
}

void pl_nn_seq_state_reset(pl_nn_seq_state *st) {
  for (int i = 0; i < st->s->n; i++) {
    if (st->rnn[i].mem)
      pl_nn_rnn_state_reset(&st->rnn[i]);
    if (st->conv[i].mem)
      pl_nn_conv1d_state_reset(&st->conv[i]);
  }
}

void pl_nn_seq_step(pl_nn_seq_state *st, const float *x, float *y) {
  const pl_nn_seq *s = st->s;
  float *cur = st->a, *nxt = st->b;
  memcpy(cur, x, sizeof(float) * s->in);
  for (int i = 0; i < s->n; i++) {
    const pl_nn_seq_layer *L = &s->layer[i];
    switch (L->op) {
    case PL_NN_SEQ_DENSE:
      pl_nn_dense_forward(&L->u.dense, cur, nxt);
      break;
    case PL_NN_SEQ_RNN:
      pl_nn_rnn_forward(&st->rnn[i], cur, 1, nxt);
      break;
    case PL_NN_SEQ_CONV1D:
      pl_nn_conv1d_forward(&st->conv[i], cur, 1, nxt);
      break;
    case PL_NN_SEQ_LAYERNORM:
      pl_nn_layernorm_forward(&L->u.ln, cur, 1, cur);
      continue;
    case PL_NN_SEQ_ACT:
      pl_nn_act_apply(&L->u.act, cur, L->out, 1);
      continue;
    }
    float *t = cur;
    cur = nxt;
    nxt = t;
  }
  memcpy(y, cur, sizeof(float) * s->out);
}
