/* Vector layers over the kernel table: activations, dense, the recurrent
 * cells, streaming causal conv1d, LayerNorm. Weights stay in the model;
 * init only checks names and shapes and keeps pointers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/nn/kernels.h"
#include "ai/nn/nn.h"
#include "parley.h"

#define NAME_LEN 96

static int tname(char *buf, const char *prefix, const char *suffix) {
  int n = snprintf(buf, NAME_LEN, "%s.%s", prefix, suffix);
  return n > 0 && n < NAME_LEN ? 0 : PL_EINVAL;
}

/* Weight `name` of shape (rows, cols), f32 or int8; -1 takes the model's. */
static int get_matrix(const pl_model *m, const char *name, int rows, int cols,
                      const float **w, const int8_t **w8, const float **s) {
  const pl_tensor *t = pl_model_find(m, name);
  pl_dtype dt = t ? t->dtype : PL_DTYPE_F32;
  int rc = pl_model_get_tensor(m, &t, name, dt, 2, rows, cols);
  if (rc)
    return rc;
  *w = dt == PL_DTYPE_F32 ? t->data : NULL;
  *w8 = dt == PL_DTYPE_I8 ? t->data : NULL;
  *s = t->scales;
  return 0;
}

/* Optional f32 vector (absent: *v = NULL). */
static int get_opt_vec(const pl_model *m, const char *name, int n,
                       const float **v) {
  *v = NULL;
  if (!pl_model_find(m, name))
    return 0;
  const pl_tensor *t;
  int rc = pl_model_get_tensor(m, &t, name, PL_DTYPE_F32, 1, n);
  if (!rc)
    *v = t->data;
  return rc;
}

static void matvec(const float *w, const int8_t *w8, const float *s, float *y,
                   const float *x, int rows, int cols, const float *bias) {
  if (w)
    pl_nn_k()->gemv(y, w, (size_t)cols, x, rows, cols, bias);
  else
    pl_nn_k()->gemv_i8(y, w8, (size_t)cols, s, x, rows, cols, bias);
}

/* ---- activations ---- */

int pl_nn_act_prelu(pl_nn_act *act, const pl_model *m, const char *name,
                    int channels) {
  const pl_tensor *t;
  int rc = pl_model_get_tensor(m, &t, name, PL_DTYPE_F32, 1, -1);
  if (rc)
    return rc;
  if (t->dims[0] != 1 && t->dims[0] != channels)
    return PL_EFORMAT;
  *act = (pl_nn_act){PL_NN_ACT_PRELU, 0, 0, t->data, t->dims[0]};
  return 0;
}

void pl_nn_act_apply(const pl_nn_act *act, float *x, int channels,
                     int inner) {
  size_t n = (size_t)channels * (size_t)inner;
  switch (act->kind) {
  case PL_NN_ACT_NONE:
    break;
  case PL_NN_ACT_RELU:
    for (size_t i = 0; i < n; i++)
      x[i] = x[i] > 0 ? x[i] : 0.0f;
    break;
  case PL_NN_ACT_LEAKY_RELU:
    for (size_t i = 0; i < n; i++)
      x[i] = x[i] >= 0 ? x[i] : act->a * x[i];
    break;
  case PL_NN_ACT_PRELU:
    for (int c = 0; c < channels; c++) {
      float a = act->slope[act->nslope == 1 ? 0 : c];
      float *p = x + (size_t)c * (size_t)inner;
      for (int i = 0; i < inner; i++)
        p[i] = p[i] >= 0 ? p[i] : a * p[i];
    }
    break;
  case PL_NN_ACT_HARDTANH:
    for (size_t i = 0; i < n; i++)
      x[i] = x[i] < act->a ? act->a : x[i] > act->b ? act->b : x[i];
    break;
  case PL_NN_ACT_SIGMOID:
  case PL_NN_ACT_TANH:
    /* The kernels take int lengths; planes can be bigger. */
    for (size_t i = 0; i < n; i += 1u << 30) {
      int k = n - i < (1u << 30) ? (int)(n - i) : 1 << 30;
      if (act->kind == PL_NN_ACT_SIGMOID)
        pl_nn_k()->sigmoid(x + i, x + i, k);
      else
        pl_nn_k()->tanh(x + i, x + i, k);
    }
    break;
  }
}

/* ---- dense ---- */

int pl_nn_dense_init(pl_nn_dense *l, const pl_model *m, const char *prefix,
                     int in, int out, pl_nn_act act) {
  char name[NAME_LEN];
  memset(l, 0, sizeof *l);
  int rc = tname(name, prefix, "weight");
  if (!rc)
    rc = get_matrix(m, name, out, in, &l->w, &l->w8, &l->scale);
  if (rc)
    return rc;
  const pl_tensor *t = pl_model_find(m, name);
  l->out = t->dims[0];
  l->in = t->dims[1];
  if ((rc = tname(name, prefix, "bias")) ||
      (rc = get_opt_vec(m, name, l->out, &l->bias)))
    return rc;
  if (act.kind == PL_NN_ACT_PRELU && act.nslope != 1 && act.nslope != l->out)
    return PL_EINVAL;
  l->act = act;
  return 0;
}

void pl_nn_dense_forward(const pl_nn_dense *l, const float *x, float *y) {
  matvec(l->w, l->w8, l->scale, y, x, l->out, l->in, l->bias);
  pl_nn_act_apply(&l->act, y, l->out, 1);
}

void pl_nn_dense_forward_batch(const pl_nn_dense *l, const float *X, int n,
                               float *Y) {
  if (l->w) {
    pl_nn_k()->gemm_nt(Y, (size_t)l->out, X, (size_t)l->in, n, l->w,
                       (size_t)l->in, l->out, l->in, l->bias);
  } else {
    for (int i = 0; i < n; i++)
      matvec(NULL, l->w8, l->scale, Y + (size_t)i * l->out,
             X + (size_t)i * l->in, l->out, l->in, l->bias);
  }
  for (int i = 0; i < n; i++)
    pl_nn_act_apply(&l->act, Y + (size_t)i * l->out, l->out, 1);
}

/* ---- recurrent ---- */

int pl_nn_rnn_init(pl_nn_rnn *l, const pl_model *m, pl_nn_cell cell,
                   const char *prefix, int layer, int in, int hidden) {
  char name[NAME_LEN], sfx[16] = "";
  memset(l, 0, sizeof *l);
  l->cell = cell;
  l->gates = cell == PL_NN_LSTM ? 4 : 3;
  int G = l->gates, rc;
  if (cell == PL_NN_SRU) {
    if ((rc = tname(name, prefix, "weight")) ||
        (rc = get_matrix(m, name, hidden < 0 ? -1 : 3 * hidden, in, &l->w_ih,
                         &l->w_ih8, &l->s_ih)))
      return rc;
    const pl_tensor *t = pl_model_find(m, name);
    if (t->dims[0] % 3 || t->dims[0] / 3 != t->dims[1])
      return PL_EFORMAT; /* the highway term needs in == hidden */
    l->hidden = t->dims[0] / 3;
    l->in = t->dims[1];
    const pl_tensor *v;
    if ((rc = tname(name, prefix, "v")) ||
        (rc = pl_model_get_tensor(m, &v, name, PL_DTYPE_F32, 1,
                                  2 * l->hidden)))
      return rc;
    l->v = v->data;
    if ((rc = tname(name, prefix, "bias")) ||
        (rc = get_opt_vec(m, name, 2 * l->hidden, &l->b_ih)))
      return rc;
    return 0;
  }
  if (cell != PL_NN_GRU && cell != PL_NN_LSTM)
    return PL_EINVAL;
  if (layer >= 0)
    snprintf(sfx, sizeof sfx, "_l%d", layer);
  char part[32];
  snprintf(part, sizeof part, "weight_hh%s", sfx);
  if ((rc = tname(name, prefix, part)) ||
      (rc = get_matrix(m, name, hidden < 0 ? -1 : G * hidden, hidden,
                       &l->w_hh, &l->w_hh8, &l->s_hh)))
    return rc;
  const pl_tensor *t = pl_model_find(m, name);
  if (t->dims[0] != G * t->dims[1])
    return PL_EFORMAT;
  l->hidden = t->dims[1];
  snprintf(part, sizeof part, "weight_ih%s", sfx);
  if ((rc = tname(name, prefix, part)) ||
      (rc = get_matrix(m, name, G * l->hidden, in, &l->w_ih, &l->w_ih8,
                       &l->s_ih)))
    return rc;
  l->in = pl_model_find(m, name)->dims[1];
  snprintf(part, sizeof part, "bias_ih%s", sfx);
  if ((rc = tname(name, prefix, part)) ||
      (rc = get_opt_vec(m, name, G * l->hidden, &l->b_ih)))
    return rc;
  snprintf(part, sizeof part, "bias_hh%s", sfx);
  if ((rc = tname(name, prefix, part)) ||
      (rc = get_opt_vec(m, name, G * l->hidden, &l->b_hh)))
    return rc;
  return 0;
}

int pl_nn_rnn_state_init(pl_nn_rnn_state *s, const pl_nn_rnn *l) {
  size_t H = (size_t)l->hidden, G = (size_t)l->gates;
  memset(s, 0, sizeof *s);
  float *mem = calloc(2 * H + 2 * G * H, sizeof(float));
  if (!mem)
    return PL_ENOMEM;
  s->l = l;
  s->mem = mem;
  s->h = mem;
  s->c = mem + H;
  s->gi = mem + 2 * H;
  s->gh = mem + 2 * H + G * H;
  return 0;
}

void pl_nn_rnn_state_free(pl_nn_rnn_state *s) {
  free(s->mem);
  memset(s, 0, sizeof *s);
}

void pl_nn_rnn_state_reset(pl_nn_rnn_state *s) {
  memset(s->h, 0, sizeof(float) * 2 * (size_t)s->l->hidden);
}

static void gru_step(pl_nn_rnn_state *s, const float *x) {
  const pl_nn_rnn *l = s->l;
  int H = l->hidden;
  float *gi = s->gi, *gh = s->gh, *h = s->h;
  matvec(l->w_ih, l->w_ih8, l->s_ih, gi, x, 3 * H, l->in, l->b_ih);
  matvec(l->w_hh, l->w_hh8, l->s_hh, gh, h, 3 * H, H, l->b_hh);
  for (int i = 0; i < 2 * H; i++)
    gi[i] += gh[i];
  pl_nn_k()->sigmoid(gi, gi, 2 * H); /* r, z */
  float *r = gi, *z = gi + H, *n = gi + 2 * H;
  for (int i = 0; i < H; i++)
    n[i] += r[i] * gh[2 * H + i];
  pl_nn_k()->tanh(n, n, H);
  for (int i = 0; i < H; i++)
    h[i] = n[i] + z[i] * (h[i] - n[i]);
}

static void lstm_step(pl_nn_rnn_state *s, const float *x) {
  const pl_nn_rnn *l = s->l;
  int H = l->hidden;
  float *g = s->gi, *gh = s->gh, *h = s->h, *c = s->c;
  matvec(l->w_ih, l->w_ih8, l->s_ih, g, x, 4 * H, l->in, l->b_ih);
  matvec(l->w_hh, l->w_hh8, l->s_hh, gh, h, 4 * H, H, l->b_hh);
  for (int i = 0; i < 4 * H; i++)
    g[i] += gh[i];
  pl_nn_k()->sigmoid(g, g, 2 * H); /* i, f */
  pl_nn_k()->tanh(g + 2 * H, g + 2 * H, H);
  pl_nn_k()->sigmoid(g + 3 * H, g + 3 * H, H);
  for (int i = 0; i < H; i++)
    c[i] = g[H + i] * c[i] + g[i] * g[2 * H + i];
  pl_nn_k()->tanh(gh, c, H);
  for (int i = 0; i < H; i++)
    h[i] = g[3 * H + i] * gh[i];
}

static void sru_step(pl_nn_rnn_state *s, const float *x) {
  const pl_nn_rnn *l = s->l;
  int H = l->hidden;
  float *g = s->gi, *t = s->gh, *h = s->h, *c = s->c;
  const float *v = l->v, *b = l->b_ih;
  matvec(l->w_ih, l->w_ih8, l->s_ih, g, x, 3 * H, H, NULL);
  /* f and r both look at the previous cell state. */
  for (int i = 0; i < 2 * H; i++)
    g[H + i] += v[i] * c[i % H] + (b ? b[i] : 0.0f);
  pl_nn_k()->sigmoid(g + H, g + H, 2 * H);
  float *f = g + H, *r = g + 2 * H;
  for (int i = 0; i < H; i++)
    c[i] = f[i] * c[i] + (1.0f - f[i]) * g[i];
  pl_nn_k()->tanh(t, c, H);
  for (int i = 0; i < H; i++)
    h[i] = r[i] * t[i] + (1.0f - r[i]) * x[i];
}

void pl_nn_rnn_forward(pl_nn_rnn_state *s, const float *x, int T, float *y) {
  const pl_nn_rnn *l = s->l;
  for (int t = 0; t < T; t++) {
    const float *xt = x + (size_t)t * l->in;
    if (l->cell == PL_NN_GRU)
      gru_step(s, xt);
    else if (l->cell == PL_NN_LSTM)
      lstm_step(s, xt);
    else
      sru_step(s, xt);
    if (y)
      memcpy(y + (size_t)t * l->hidden, s->h, sizeof(float) * l->hidden);
  }
}

/* ---- causal conv1d ---- */

int pl_nn_conv1d_init(pl_nn_conv1d *l, const pl_model *m, const char *prefix,
                      int in, int out, int k, int dilation, int groups,
                      pl_nn_act act) {
  char name[NAME_LEN];
  memset(l, 0, sizeof *l);
  /* History beyond 65536 frames (11 minutes at 10 ms) is a mistake, and
   * the bound keeps (k-1)*dilation far from overflow. */
  if (in < 1 || out < 1 || k < 1 || dilation < 1 || groups < 1 ||
      in % groups || out % groups || (long)(k - 1) * dilation > 65536)
    return PL_EINVAL;
  const pl_tensor *t;
  int rc = tname(name, prefix, "weight");
  if (rc || (rc = pl_model_get_tensor(m, &t, name, PL_DTYPE_F32, 3, out,
                                      in / groups, k)))
    return rc;
  *l = (pl_nn_conv1d){in, out, k, dilation, groups, t->data, NULL, act};
  if ((rc = tname(name, prefix, "bias")) ||
      (rc = get_opt_vec(m, name, out, &l->bias)))
    return rc;
  if (act.kind == PL_NN_ACT_PRELU && act.nslope != 1 && act.nslope != out)
    return PL_EINVAL;
  return 0;
}

int pl_nn_conv1d_state_init(pl_nn_conv1d_state *s, const pl_nn_conv1d *l) {
  memset(s, 0, sizeof *s);
  int len = (l->k - 1) * l->dilation;
  float *mem = calloc((size_t)len * l->in + (size_t)l->in * l->k + 1,
                      sizeof(float));
  if (!mem)
    return PL_ENOMEM;
  s->l = l;
  s->mem = mem;
  s->hist = mem;
  s->col = mem + (size_t)len * l->in;
  s->len = len;
  return 0;
}

void pl_nn_conv1d_state_free(pl_nn_conv1d_state *s) {
  free(s->mem);
  memset(s, 0, sizeof *s);
}

void pl_nn_conv1d_state_reset(pl_nn_conv1d_state *s) {
  memset(s->hist, 0, sizeof(float) * (size_t)s->len * s->l->in);
  s->pos = 0;
}

void pl_nn_conv1d_forward(pl_nn_conv1d_state *s, const float *x, int T,
                          float *y) {
  const pl_nn_conv1d *l = s->l;
  int K = l->k, in = l->in, L = s->len;
  int ing = in / l->groups, outg = l->out / l->groups;
  for (int t = 0; t < T; t++) {
    const float *xt = x + (size_t)t * in;
    float *yt = y + (size_t)t * l->out;
    /* col[i*K + kk] = x[t - (K-1-kk)*d][i]: torch's (in, k) weight order,
     * so each output channel is one dot product. */
    for (int kk = 0; kk < K; kk++) {
      int lag = (K - 1 - kk) * l->dilation;
      const float *f = lag ? s->hist + (size_t)((s->pos - lag + L) % L) * in : xt;
      for (int i = 0; i < in; i++)
        s->col[(size_t)i * K + kk] = f[i];
    }
    for (int g = 0; g < l->groups; g++)
      pl_nn_k()->gemv(yt + g * outg, l->w + (size_t)g * outg * ing * K,
                      (size_t)ing * K, s->col + (size_t)g * ing * K, outg,
                      ing * K, l->bias ? l->bias + g * outg : NULL);
    pl_nn_act_apply(&l->act, yt, l->out, 1);
    if (L) {
      memcpy(s->hist + (size_t)s->pos * in, xt, sizeof(float) * in);
      s->pos = (s->pos + 1) % L;
    }
  }
}

/* ---- LayerNorm ---- */

int pl_nn_layernorm_init(pl_nn_layernorm *l, const pl_model *m,
                         const char *prefix, int dim, float eps) {
  char name[NAME_LEN];
  memset(l, 0, sizeof *l);
  if (dim < 1 || !(eps > 0))
    return PL_EINVAL;
  l->dim = dim;
  l->eps = eps;
  int rc;
  if ((rc = tname(name, prefix, "weight")) ||
      (rc = get_opt_vec(m, name, dim, &l->gamma)) ||
      (rc = tname(name, prefix, "bias")) ||
      (rc = get_opt_vec(m, name, dim, &l->beta)))
    return rc;
  return 0;
}

void pl_nn_layernorm_forward(const pl_nn_layernorm *l, const float *x,
                             int rows, float *y) {
  int D = l->dim;
  for (int r = 0; r < rows; r++) {
    const float *a = x + (size_t)r * D;
    float *b = y + (size_t)r * D;
    double sum = 0, sq = 0;
    for (int i = 0; i < D; i++)
      sum += a[i];
    float mean = (float)(sum / D);
    for (int i = 0; i < D; i++)
      sq += (double)(a[i] - mean) * (a[i] - mean);
    float rstd = (float)(1.0 / sqrt(sq / D + l->eps));
    for (int i = 0; i < D; i++) {
      float v = (a[i] - mean) * rstd;
      b[i] = v * (l->gamma ? l->gamma[i] : 1.0f) + (l->beta ? l->beta[i] : 0.0f);
    }
  }
}
