/* Luma super-resolution by tiles (see upscale.h). The network, as trained
 * (ai/train/upscale/common.py, UpscaleNet):
 *
 *   y = bicubic(x) + shuffle(conv_out(prelu(body(prelu(conv_in(x/255 - 0.5))))))
 *
 * conv_in 5x5 1->C, depth 3x3 C->C layers, conv_out 3x3 C->4 (x2,
 * depth-to-space 2) or 3x3 stride 2 C->9 (x1.5, depth-to-space 3), zero
 * padding in PyTorch. Here every conv is run *valid* (no padding) on a tile
 * grown by the receptive margin, and after each layer the activations that
 * fall outside the frame are set to zero: that is exactly PyTorch's zero
 * padding at the frame edge, and exactly the neighbours' values inside it,
 * so tiles join without seams and the result does not depend on the tile
 * size (tests/unit/upscale.c checks both). Valid convs also skip the halo
 * work a padded conv would redo at every layer (~20 % for 96 x 32 tiles).
 *
 * x1.5 needs even sizes (2x2 -> 3x3 blocks): an odd frame is extended by
 * repeating its last row/column and the output cut to floor(3n/2). */
#include "ai/upscale/upscale.h"

#include <libyuv.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley.h"
#include "base/log.h"

#define DEF_TILE_W 160
#define DEF_TILE_H 48

typedef struct taps {
  int idx[4];
  float w[4];
} taps;

typedef struct axis {
  int n_in, n_out, n_clamp;
  taps *t;
} axis;

struct pl_upscaler {
  const pl_upscale_model *model;
  int tile_w, tile_h, cmax;
  float *a, *b, *scratch, *row;
  uint8_t *mid; /* network output before a final resize */
  size_t mid_size;
  size_t act_floats, scratch_floats;
  axis ax, ay; /* bicubic taps of the last geometry */
};

/* ---------------------------------------------------------------- model */

static int net_init(pl_upscale_net *n, pl_model *m, const char *p, int s2) {
  char key[64], val[32];
  snprintf(key, sizeof key, "%s.channels", p);
  if (pl_model_meta_get(m, key, val, sizeof val))
    return PL_ENOENT;
  n->channels = atoi(val);
  snprintf(key, sizeof key, "%s.depth", p);
  if (pl_model_meta_get(m, key, val, sizeof val))
    return PL_EFORMAT;
  n->depth = atoi(val);
  if (n->channels < 1 || n->channels > 64 || n->depth < 0 || n->depth > PL_UPSCALE_MAX_DEPTH)
    return PL_EFORMAT;
  n->s2 = s2;
  int C = n->channels, rc;
  char name[64];
  pl_nn_act act;
  snprintf(name, sizeof name, "%s.act_in.weight", p);
  if ((rc = pl_nn_act_prelu(&act, m, name, C)))
    return rc;
  if (act.nslope != C) /* prelu_clip reads one slope per channel */
    return PL_EFORMAT;
  /* PReLU is applied by this file (prelu_clip), fused with the edge zeroing. */
  n->slope[0] = act.slope;
  pl_nn_act none = pl_nn_act_make(PL_NN_ACT_NONE, 0, 0);
  pl_nn_conv2d_cfg ci = {.in = 1, .out = C, .kh = 5, .kw = 5};
  snprintf(name, sizeof name, "%s.conv_in", p);
  if ((rc = pl_nn_conv2d_init(&n->conv_in, m, name, &ci, none)))
    return rc;
  for (int i = 0; i < n->depth; i++) {
    snprintf(name, sizeof name, "%s.acts.%d.weight", p, i);
    if ((rc = pl_nn_act_prelu(&act, m, name, C)))
      return rc;
    if (act.nslope != C)
      return PL_EFORMAT;
    n->slope[i + 1] = act.slope;
    pl_nn_conv2d_cfg cb = {.in = C, .out = C, .kh = 3, .kw = 3};
    snprintf(name, sizeof name, "%s.body.%d", p, i);
    if ((rc = pl_nn_conv2d_init(&n->body[i], m, name, &cb, none)))
      return rc;
  }
  pl_nn_conv2d_cfg co = {.in = C, .out = s2 == PL_UPSCALE_X2 ? 4 : 9, .kh = 3, .kw = 3,
                         .sh = s2 == PL_UPSCALE_X2 ? 1 : 2, .sw = s2 == PL_UPSCALE_X2 ? 1 : 2};
  snprintf(name, sizeof name, "%s.conv_out", p);
  if ((rc = pl_nn_conv2d_init(&n->conv_out, m, name, &co, none)))
    return rc;
  n->margin = 2 + n->depth + 1;
  return 0;
}

int pl_upscale_model_init(pl_upscale_model *um, pl_model *m) {
  memset(um, 0, sizeof *um);
  um->m = m;
  int r2 = net_init(&um->net[0], m, "x2", PL_UPSCALE_X2);
  int r15 = net_init(&um->net[1], m, "x15", PL_UPSCALE_X15);
  um->has[0] = r2 == 0;
  um->has[1] = r15 == 0;
  if (r2 && r2 != PL_ENOENT)
    return r2;
  if (r15 && r15 != PL_ENOENT)
    return r15;
  return um->has[0] || um->has[1] ? 0 : PL_ENOENT;
}

extern const unsigned char pl_model_upscale[];
extern const size_t pl_model_upscale_len;

static pl_upscale_model g_model;
static const pl_upscale_model *g_model_ptr;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void load_default(void) {
  char why[128] = "";
  pl_model *m;
  int rc = pl_model_load_static(&m, pl_model_upscale, pl_model_upscale_len, why, sizeof why);
  if (rc) {
    PL_WARN("upscale", "model unreadable: %s (%s): bicubic only", pl_strerror(rc), why);
    return;
  }
  if ((rc = pl_upscale_model_init(&g_model, m))) {
    PL_WARN("upscale", "model does not fit: %s: bicubic only", pl_strerror(rc));
    pl_model_free(m);
    return;
  }
  g_model_ptr = &g_model;
}

const pl_upscale_model *pl_upscale_model_default(void) {
  pthread_once(&g_once, load_default);
  return g_model_ptr;
}

int pl_upscale_out_size(int n, int s2) { return s2 == PL_UPSCALE_X2 ? 2 * n : 3 * n / 2; }

/* ------------------------------------------------------------ upscaler */

int pl_upscaler_new(pl_upscaler **out, const pl_upscale_model *model, int tile_w, int tile_h) {
  if (tile_w < 0 || tile_h < 0 || tile_w > 1024 || tile_h > 1024)
    return PL_EINVAL;
  pl_upscaler *u = calloc(1, sizeof *u);
  if (!u)
    return PL_ENOMEM;
  u->model = model;
  /* Even tiles: x1.5 works on 2x2 blocks. */
  u->tile_w = tile_w ? (tile_w + 1) & ~1 : DEF_TILE_W;
  u->tile_h = tile_h ? (tile_h + 1) & ~1 : DEF_TILE_H;
  int cmax = 9, mmax = 0;
  for (int i = 0; model && i < 2; i++)
    if (model->has[i]) {
      cmax = model->net[i].channels > cmax ? model->net[i].channels : cmax;
      mmax = model->net[i].margin > mmax ? model->net[i].margin : mmax;
    }
  u->cmax = cmax;
  int rw = u->tile_w + 2 * mmax, rh = u->tile_h + 2 * mmax;
  u->act_floats = (size_t)cmax * rw * rh + 64;
  size_t sc = 0;
  for (int i = 0; model && i < 2; i++) {
    if (!model->has[i])
      continue;
    const pl_upscale_net *n = &model->net[i];
    size_t s = pl_nn_conv2d_scratch_floats(&n->conv_in, rh, rw);
    sc = s > sc ? s : sc;
    for (int k = 0; k < n->depth; k++) {
      s = pl_nn_conv2d_scratch_floats(&n->body[k], rh, rw);
      sc = s > sc ? s : sc;
    }
    s = pl_nn_conv2d_scratch_floats(&n->conv_out, rh, rw);
    sc = s > sc ? s : sc;
  }
  u->scratch_floats = sc;
  u->a = malloc(u->act_floats * sizeof(float));
  u->b = malloc(u->act_floats * sizeof(float));
  u->row = malloc(sizeof(float) * (PL_VIDEO_MAX_DIM + 8)); /* one source row */
  u->scratch = sc ? malloc(sc * sizeof(float)) : NULL;
  if (!u->a || !u->b || !u->row || (sc && !u->scratch)) {
    pl_upscaler_free(u);
    return PL_ENOMEM;
  }
  *out = u;
  return 0;
}

void pl_upscaler_free(pl_upscaler *u) {
  if (!u)
    return;
  free(u->a);
  free(u->b);
  free(u->scratch);
  free(u->row);
  free(u->mid);
  free(u->ax.t);
  free(u->ay.t);
  free(u);
}

static float cubic(double t) {
  const double A = -0.5;
  t = fabs(t);
  if (t <= 1)
    return (float)((A + 2) * t * t * t - (A + 3) * t * t + 1);
  if (t < 2)
    return (float)(A * t * t * t - 5 * A * t * t + 8 * A * t - 4 * A);
  return 0;
}

/* Taps for n_in -> n_out (src = (o + 0.5) n_in / n_out - 0.5), indices
 * clamped to [0, n_clamp). Reallocates only when the geometry changes. */
static int axis_set(axis *a, int n_in, int n_out, int n_clamp) {
  if (a->t && a->n_in == n_in && a->n_out == n_out && a->n_clamp == n_clamp)
    return 0;
  taps *t = realloc(a->t, sizeof(taps) * (size_t)n_out);
  if (!t)
    return PL_ENOMEM;
  a->t = t;
  a->n_in = n_in;
  a->n_out = n_out;
  a->n_clamp = n_clamp;
  for (int o = 0; o < n_out; o++) {
    double src = (o + 0.5) * n_in / n_out - 0.5;
    double fl = floor(src), f = src - fl;
    int i0 = (int)fl;
    t[o].w[0] = cubic(f + 1);
    t[o].w[1] = cubic(f);
    t[o].w[2] = cubic(1 - f);
    t[o].w[3] = cubic(2 - f);
    for (int k = 0; k < 4; k++) {
      int i = i0 - 1 + k;
      t[o].idx[k] = i < 0 ? 0 : i >= n_clamp ? n_clamp - 1 : i;
    }
  }
  return 0;
}

/* Vertical bicubic pass of output row Y into u->row over source columns
 * [xa, xb). */
static void vrow(const pl_upscaler *u, const uint8_t *src, int sstride, int Y, int xa, int xb) {
  const taps *t = &u->ay.t[Y];
  const uint8_t *r0 = src + (size_t)t->idx[0] * sstride, *r1 = src + (size_t)t->idx[1] * sstride;
  const uint8_t *r2 = src + (size_t)t->idx[2] * sstride, *r3 = src + (size_t)t->idx[3] * sstride;
  float *tmp = u->row;
  for (int x = xa; x < xb; x++)
    tmp[x - xa] = t->w[0] * r0[x] + t->w[1] * r1[x] + t->w[2] * r2[x] + t->w[3] * r3[x];
}

static inline float hpix(const taps *h, const float *tmp, int xa) {
  return h->w[0] * tmp[h->idx[0] - xa] + h->w[1] * tmp[h->idx[1] - xa] +
         h->w[2] * tmp[h->idx[2] - xa] + h->w[3] * tmp[h->idx[3] - xa];
}

static inline uint8_t clamp_u8(float v) {
  v = nearbyintf(v);
  return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* out[X0..X1) x [Y0..Y1) = the bicubic base. */
static void compose(pl_upscaler *u, const uint8_t *src, int sstride, int X0, int X1, int Y0,
                    int Y1, uint8_t *dst, int dstride) {
  const taps *tx = u->ax.t;
  int xa = tx[X0].idx[0], xb = tx[X1 - 1].idx[3] + 1;
  for (int Y = Y0; Y < Y1; Y++) {
    vrow(u, src, sstride, Y, xa, xb);
    uint8_t *out = dst + (size_t)Y * dstride;
    for (int X = X0; X < X1; X++)
      out[X] = clamp_u8(hpix(&tx[X], u->row, xa));
  }
}

/* The same plus 255 x the network's residual, still in its depth-to-space
 * layout: res[(i r + j) plane + oy rw + ox] is out pixel (Y0 + oy r + i,
 * X0 + ox r + j), r = 2 or 3. */
static void compose_res(pl_upscaler *u, const uint8_t *src, int sstride, int X0, int X1,
                        int Y0, int Y1, uint8_t *dst, int dstride, const float *res, int r,
                        int rw, size_t plane) {
  const taps *tx = u->ax.t;
  int xa = tx[X0].idx[0], xb = tx[X1 - 1].idx[3] + 1;
  for (int Y = Y0; Y < Y1; Y++) {
    vrow(u, src, sstride, Y, xa, xb);
    int oy = (Y - Y0) / r, i = (Y - Y0) % r;
    uint8_t *out = dst + (size_t)Y * dstride;
    for (int j = 0; j < r; j++) {
      const float *rr = res + (size_t)(i * r + j) * plane + (size_t)oy * rw;
      int ox = 0;
      for (int X = X0 + j; X < X1; X += r, ox++)
        out[X] = clamp_u8(hpix(&tx[X], u->row, xa) + 255.0f * rr[ox]);
    }
  }
}

typedef float v8f __attribute__((vector_size(16)));
typedef int32_t v8i __attribute__((vector_size(16)));

/* PReLU in place over n floats (n a multiple of 8 here), written with
 * vector extensions so -O2 code is SIMD: the scalar loop in ai/nn cost 15 %
 * of a frame. */
static void prelu(float *x, size_t n, float slope) {
  v8f zero = {0}, s = zero + slope;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v8f v;
    memcpy(&v, x + i, sizeof v);
    v8i m = v < zero; /* all ones in the negative lanes */
    v8f neg = (v8f)((v8i)v & m);
    v8f pos = v - neg;
    v = pos + s * neg;
    memcpy(x + i, &v, sizeof v);
  }
  for (; i < n; i++)
    x[i] = x[i] >= 0 ? x[i] : slope * x[i];
}

/* PReLU on C planes of h x w whose top-left pixel is frame position
 * (fx, fy), then zero what lies outside [0, ew) x [0, eh): PyTorch's
 * zero padding for the next layer. */
static void prelu_clip(float *a, const float *slope, int C, int h, int w, int fx, int fy,
                       int ew, int eh) {
  for (int c = 0; c < C; c++)
    prelu(a + (size_t)c * h * w, (size_t)h * w, slope[c]);
  if (fx >= 0 && fy >= 0 && fx + w <= ew && fy + h <= eh)
    return;
  int xl = fx < 0 ? -fx : 0;                       /* columns [0, xl) outside */
  int xr = fx + w > ew ? ew - fx : w;               /* columns [xr, w) outside */
  xr = xr < xl ? xl : xr;
  for (int c = 0; c < C; c++)
    for (int y = 0; y < h; y++) {
      float *row = a + ((size_t)c * h + y) * w;
      int f = fy + y;
      if (f < 0 || f >= eh) {
        memset(row, 0, sizeof(float) * (size_t)w);
        continue;
      }
      if (xl)
        memset(row, 0, sizeof(float) * (size_t)xl);
      if (xr < w)
        memset(row + xr, 0, sizeof(float) * (size_t)(w - xr));
    }
}

/* The network on the low-res tile [tx, tx+cw) x [ty, ty+ch) of the frame
 * extended to ew x eh; the residual lands in u->a or u->b (returned). */
static const float *run_tile(pl_upscaler *u, const pl_upscale_net *n, const uint8_t *src,
                             int sstride, int w, int h, int ew, int eh, int tx, int ty, int cw,
                             int ch) {
  int M = n->margin, C = n->channels;
  int rw = cw + 2 * M, rh = ch + 2 * M;
  int fx = tx - M, fy = ty - M;
  float *a = u->a, *b = u->b;
  for (int y = 0; y < rh; y++) {
    int sy = fy + y;
    float *row = a + (size_t)y * rw;
    if (sy < 0 || sy >= eh) {
      memset(row, 0, sizeof(float) * (size_t)rw);
      continue;
    }
    const uint8_t *s = src + (size_t)(sy < h ? sy : h - 1) * sstride;
    for (int x = 0; x < rw; x++) {
      int sx = fx + x;
      row[x] = sx < 0 || sx >= ew ? 0.0f : s[sx < w ? sx : w - 1] * (1.0f / 255.0f) - 0.5f;
    }
  }
  pl_nn_conv2d_forward(&n->conv_in, a, rh, rw, b, u->scratch);
  rh -= 4, rw -= 4, fx += 2, fy += 2;
  prelu_clip(b, n->slope[0], C, rh, rw, fx, fy, ew, eh);
  for (int i = 0; i < n->depth; i++) {
    pl_nn_conv2d_forward(&n->body[i], b, rh, rw, a, u->scratch);
    rh -= 2, rw -= 2, fx += 1, fy += 1;
    prelu_clip(a, n->slope[i + 1], C, rh, rw, fx, fy, ew, eh);
    float *t = a;
    a = b;
    b = t;
  }
  pl_nn_conv2d_forward(&n->conv_out, b, rh, rw, a, u->scratch);
  return a;
}

int pl_upscale_bicubic(pl_upscaler *u, const uint8_t *src, int sstride, int w, int h,
                       uint8_t *dst, int dstride, int ow, int oh) {
  if (!u || !src || !dst || w < 1 || h < 1 || ow < 1 || oh < 1 || w > PL_VIDEO_MAX_DIM ||
      h > PL_VIDEO_MAX_DIM || ow > PL_VIDEO_MAX_DIM || oh > PL_VIDEO_MAX_DIM ||
      sstride < w || dstride < ow)
    return PL_EINVAL;
  int rc = axis_set(&u->ax, w, ow, w);
  if (!rc)
    rc = axis_set(&u->ay, h, oh, h);
  if (rc)
    return rc;
  /* Rows in strips so the four source rows stay in cache. */
  for (int Y = 0; Y < oh; Y += 16)
    compose(u, src, sstride, 0, ow, Y, Y + 16 < oh ? Y + 16 : oh, dst, dstride);
  return 0;
}

int pl_upscale_plane(pl_upscaler *u, int s2, bool use_model, const uint8_t *src, int sstride,
                     int w, int h, uint8_t *dst, int dstride, const atomic_bool *hurry,
                     pl_upscale_result *res) {
  pl_upscale_result dummy;
  if (!res)
    res = &dummy;
  memset(res, 0, sizeof *res);
  if (!u || !src || !dst || (s2 != PL_UPSCALE_X2 && s2 != PL_UPSCALE_X15) || w < 1 || h < 1 ||
      w > PL_VIDEO_MAX_DIM || h > PL_VIDEO_MAX_DIM || sstride < w)
    return PL_EINVAL;
  int ow = pl_upscale_out_size(w, s2), oh = pl_upscale_out_size(h, s2);
  if (ow < 1 || oh < 1 || dstride < ow)
    return PL_EINVAL;
  /* x1.5: the frame extended to even sides; taps clamp to the real edge. */
  int ew = s2 == PL_UPSCALE_X15 ? (w + 1) & ~1 : w;
  int eh = s2 == PL_UPSCALE_X15 ? (h + 1) & ~1 : h;
  int rc = axis_set(&u->ax, ew, pl_upscale_out_size(ew, s2), w);
  if (!rc)
    rc = axis_set(&u->ay, eh, pl_upscale_out_size(eh, s2), h);
  if (rc)
    return rc;
  int mi = s2 == PL_UPSCALE_X2 ? 0 : 1;
  const pl_upscale_net *n =
      use_model && u->model && u->model->has[mi] ? &u->model->net[mi] : NULL;
  int r = s2 == PL_UPSCALE_X2 ? 2 : 3;
  for (int ty = 0; ty < eh; ty += u->tile_h) {
    int ch = eh - ty < u->tile_h ? eh - ty : u->tile_h;
    for (int tx = 0; tx < ew; tx += u->tile_w) {
      int cw = ew - tx < u->tile_w ? ew - tx : u->tile_w;
      /* High-res block of this tile, cut at the real output size. */
      int X0 = s2 == PL_UPSCALE_X2 ? 2 * tx : tx / 2 * 3;
      int Y0 = s2 == PL_UPSCALE_X2 ? 2 * ty : ty / 2 * 3;
      int X1 = s2 == PL_UPSCALE_X2 ? 2 * (tx + cw) : (tx + cw) / 2 * 3;
      int Y1 = s2 == PL_UPSCALE_X2 ? 2 * (ty + ch) : (ty + ch) / 2 * 3;
      X1 = X1 < ow ? X1 : ow;
      Y1 = Y1 < oh ? Y1 : oh;
      res->tiles++;
      if (X0 >= X1 || Y0 >= Y1)
        continue;
      if (!n || (hurry && atomic_load_explicit(hurry, memory_order_relaxed))) {
        if (n)
          res->fallback_tiles++;
        compose(u, src, sstride, X0, X1, Y0, Y1, dst, dstride);
        continue;
      }
      const float *rs = run_tile(u, n, src, sstride, w, h, ew, eh, tx, ty, cw, ch);
      int rw = s2 == PL_UPSCALE_X2 ? cw : cw / 2;
      int rh = s2 == PL_UPSCALE_X2 ? ch : ch / 2;
      compose_res(u, src, sstride, X0, X1, Y0, Y1, dst, dstride, rs, r, rw, (size_t)rw * rh);
    }
  }
  return 0;
}

int pl_upscale_frame(pl_upscaler *u, const pl_video_frame *src, pl_video_frame *dst,
                     bool use_model, const atomic_bool *hurry, pl_upscale_result *res) {
  if (!u || !src || !dst || src->width < 1 || src->height < 1 || dst->width < src->width ||
      dst->height < src->height)
    return PL_EINVAL;
  int w = src->width, h = src->height, W = dst->width, H = dst->height;
  double ratio = fmin((double)W / w, (double)H / h);
  int s2 = ratio >= 1.75 ? PL_UPSCALE_X2 : ratio >= 1.25 ? PL_UPSCALE_X15 : 0;
  int rc;
  if (res)
    memset(res, 0, sizeof *res);
  if (!use_model || !s2) {
    rc = pl_upscale_bicubic(u, src->y, src->stride_y, w, h, dst->y, dst->stride_y, W, H);
  } else if (pl_upscale_out_size(w, s2) == W && pl_upscale_out_size(h, s2) == H) {
    rc = pl_upscale_plane(u, s2, true, src->y, src->stride_y, w, h, dst->y, dst->stride_y,
                          hurry, res);
  } else {
    /* Network at the nearest scale, then libyuv to the exact size, through
     * a buffer this one geometry allocates. */
    int iw = pl_upscale_out_size(w, s2), ih = pl_upscale_out_size(h, s2);
    if (u->mid_size < (size_t)iw * ih) {
      free(u->mid);
      u->mid_size = 0;
      if (!(u->mid = malloc((size_t)iw * ih)))
        return PL_ENOMEM;
      u->mid_size = (size_t)iw * ih;
    }
    rc = pl_upscale_plane(u, s2, true, src->y, src->stride_y, w, h, u->mid, iw, hurry, res);
    if (!rc)
      ScalePlane(u->mid, iw, iw, ih, dst->y, dst->stride_y, W, H, kFilterBilinear);
  }
  if (rc)
    return rc;
  int cw = (w + 1) / 2, chh = (h + 1) / 2, CW = (W + 1) / 2, CH = (H + 1) / 2;
  ScalePlane(src->u, src->stride_u, cw, chh, dst->u, dst->stride_u, CW, CH, kFilterBilinear);
  ScalePlane(src->v, src->stride_v, cw, chh, dst->v, dst->stride_v, CW, CH, kFilterBilinear);
  return 0;
}
