/* conv2d, depthwise and transposed conv2d (NCHW, one image) as rows of the
 * conv_row kernel. The input is first copied into a zero-padded scratch
 * where every tap of an output row is one contiguous run: for stride s the
 * padded columns are split into s phases (column x goes to phase x % s at
 * x / s), and a transposed conv is computed one output phase at a time
 * with only the taps that land on it. No im2col, no weight repacking. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ai/nn/kernels.h"
#include "ai/nn/nn.h"
#include "parley.h"

#define MAX_TAPS 256
#define SLACK PL_NN_ROW_OVERREAD

static int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int ceil_div(int a, int b) { return (a + b - 1) / b; }

static void normalise(pl_nn_conv2d_cfg *c) {
  if (!c->sh)
    c->sh = 1;
  if (!c->sw)
    c->sw = 1;
  if (!c->dh)
    c->dh = 1;
  if (!c->dw)
    c->dw = 1;
  if (!c->groups)
    c->groups = 1;
}

int pl_nn_conv2d_init(pl_nn_conv2d *l, const pl_model *m, const char *prefix,
                      const pl_nn_conv2d_cfg *cfg, pl_nn_act act) {
  memset(l, 0, sizeof *l);
  pl_nn_conv2d_cfg c = *cfg;
  normalise(&c);
  if (c.in < 1 || c.out < 1 || c.kh < 1 || c.kw < 1 || c.sh < 1 ||
      c.sw < 1 || c.dh < 1 || c.dw < 1 || c.ph < 0 || c.pw < 0 ||
      c.groups < 1 || c.in % c.groups || c.out % c.groups ||
      c.kh * c.kw > MAX_TAPS || c.oph < 0 || c.opw < 0 ||
      (!c.transposed && (c.oph || c.opw)) ||
      (c.transposed && ((c.oph >= c.sh && c.oph >= c.dh) ||
                        (c.opw >= c.sw && c.opw >= c.dw))))
    return PL_EINVAL;
  if (act.kind == PL_NN_ACT_PRELU && act.nslope != 1 && act.nslope != c.out)
    return PL_EINVAL;
  char name[96];
  snprintf(name, sizeof name, "%s.weight", prefix);
  const pl_tensor *t;
  int rc = c.transposed
               ? pl_model_get_tensor(m, &t, name, PL_DTYPE_F32, 4, c.in,
                                     c.out / c.groups, c.kh, c.kw)
               : pl_model_get_tensor(m, &t, name, PL_DTYPE_F32, 4, c.out,
                                     c.in / c.groups, c.kh, c.kw);
  if (rc)
    return rc;
  l->w = t->data;
  snprintf(name, sizeof name, "%s.bias", prefix);
  if (pl_model_find(m, name)) {
    if ((rc = pl_model_get_tensor(m, &t, name, PL_DTYPE_F32, 1, c.out)))
      return rc;
    l->bias = t->data;
  }
  l->c = c;
  l->act = act;
  return 0;
}

int pl_nn_conv2d_out_size(const pl_nn_conv2d *l, int H, int W, int *oh,
                          int *ow) {
  const pl_nn_conv2d_cfg *c = &l->c;
  long h, w;
  if (H < 1 || W < 1)
    return PL_EINVAL;
  if (c->transposed) {
    h = (long)(H - 1) * c->sh - 2L * c->ph + (long)c->dh * (c->kh - 1) + c->oph + 1;
    w = (long)(W - 1) * c->sw - 2L * c->pw + (long)c->dw * (c->kw - 1) + c->opw + 1;
  } else {
    long nh = (long)H + 2L * c->ph - (long)c->dh * (c->kh - 1) - 1;
    long nw = (long)W + 2L * c->pw - (long)c->dw * (c->kw - 1) - 1;
    if (nh < 0 || nw < 0)
      return PL_EINVAL;
    h = nh / c->sh + 1;
    w = nw / c->sw + 1;
  }
  /* 2^28 pixels per plane keeps every int product in the kernels safe. */
  if (h < 1 || w < 1 || h > (1L << 20) || w > (1L << 20) || h * w > (1L << 28))
    return PL_EINVAL;
  *oh = (int)h;
  *ow = (int)w;
  return 0;
}

/* Scratch geometry. Plain conv: per channel Hp rows of sw phase segments of
 * wq floats. Transposed: per channel H rows of width wt, data from column
 * pl. Both keep SLACK floats after every run for the kernels' overread. */
typedef struct geom {
  int oh, ow;
  size_t rs, cs; /* row and channel stride in scratch */
  int wq;        /* plain: phase segment length */
  int pl;        /* transposed: left zero columns */
  size_t total;
} geom;

static int geometry(const pl_nn_conv2d *l, int H, int W, geom *g) {
  const pl_nn_conv2d_cfg *c = &l->c;
  if (pl_nn_conv2d_out_size(l, H, W, &g->oh, &g->ow))
    return PL_EINVAL;
  if (!c->transposed) {
    int wp = W + 2 * c->pw;
    g->wq = ceil_div(wp, c->sw) + SLACK;
    g->rs = (size_t)c->sw * g->wq;
    g->cs = (size_t)(H + 2 * c->ph) * g->rs;
    g->pl = 0;
  } else {
    /* The input columns any output phase can reach: ix = q + off, with
     * off = (rx + pw - kw*dw) / sw for the taps that divide exactly. */
    int lo = 0, hi = W - 1;
    for (int rx = 0; rx < c->sw && rx < g->ow; rx++) {
      int q = ceil_div(g->ow - rx, c->sw);
      for (int k = 0; k < c->kw; k++) {
        int num = rx + c->pw - k * c->dw;
        if (num % c->sw)
          continue;
        int off = floor_div(num, c->sw);
        lo = off < lo ? off : lo;
        hi = q - 1 + off > hi ? q - 1 + off : hi;
      }
    }
    g->pl = -lo;
    g->wq = 0;
    g->rs = (size_t)(g->pl + hi + 1) + SLACK;
    g->cs = (size_t)H * g->rs;
  }
  /* An odd number of cache lines between channels: the rows a tile reads
   * from each channel then spread over the L1 sets instead of aliasing. */
  g->cs = (g->cs + 15) / 16 * 16;
  if (g->cs / 16 % 2 == 0)
    g->cs += 16;
  g->total = (size_t)c->in * g->cs + SLACK;
  /* The 1x1 path: one chunk (+ overread) per input channel. */
  size_t t1 = (size_t)c->in * (128 + SLACK);
  g->total = g->total > t1 ? g->total : t1;
  return 0;
}

size_t pl_nn_conv2d_scratch_floats(const pl_nn_conv2d *l, int H, int W) {
  geom g;
  return geometry(l, H, W, &g) ? 0 : g.total;
}

/* Writes every float of the scratch a plain conv reads (zeros included),
 * so no memset of the whole buffer is needed and a scratch can be shared. */
static void fill_plain(const pl_nn_conv2d *l, const geom *g, const float *x,
                       int H, int W, float *s) {
  const pl_nn_conv2d_cfg *c = &l->c;
  int hp = H + 2 * c->ph;
  for (int ci = 0; ci < c->in; ci++)
    for (int y = 0; y < hp; y++) {
      float *row = s + ci * g->cs + (size_t)y * g->rs;
      int iy = y - c->ph;
      if (iy < 0 || iy >= H) {
        memset(row, 0, sizeof(float) * g->rs);
        continue;
      }
      const float *src = x + ((size_t)ci * H + iy) * W;
      if (c->sw == 1) {
        memset(row, 0, sizeof(float) * c->pw);
        memcpy(row + c->pw, src, sizeof(float) * W);
        memset(row + c->pw + W, 0, sizeof(float) * (g->rs - c->pw - W));
        continue;
      }
      memset(row, 0, sizeof(float) * g->rs);
      /* Phase p holds padded columns p, p + sw, ...: source i = px - pw. */
      for (int p = 0; p < c->sw; p++) {
        float *dst = row + (size_t)p * g->wq;
        int px = p, k = 0;
        while (px < c->pw)
          px += c->sw, k++;
        for (int i = px - c->pw; i < W; i += c->sw)
          dst[k++] = src[i];
      }
    }
  memset(s + (size_t)c->in * g->cs, 0, sizeof(float) * SLACK);
}

static void run_rows(const pl_nn_conv2d *l, pl_nn_row *r, int cout_g,
                     float *out_row0, size_t out_cs, const float *w0,
                     size_t wco, const float *bias0) {
  for (int co = 0; co < cout_g; co += 4) {
    r->cb = cout_g - co < 4 ? cout_g - co : 4;
    r->out = out_row0 + (size_t)co * out_cs;
    r->w = w0 + (size_t)co * wco;
    r->bias = bias0 ? bias0 + co : NULL;
    pl_nn_k()->conv_row(r);
  }
  (void)l;
}

static void forward_plain(const pl_nn_conv2d *l, const geom *g, float *y,
                          const float *s) {
  const pl_nn_conv2d_cfg *c = &l->c;
  int cin_g = c->in / c->groups, cout_g = c->out / c->groups;
  size_t plane = (size_t)g->oh * g->ow;
  const float *in[MAX_TAPS];
  int woff[MAX_TAPS];
  size_t wco = (size_t)cin_g * c->kh * c->kw;
  pl_nn_row r = {.out_cs = plane, .out_step = 1, .n = g->ow, .in = in,
                 .woff = woff, .ntaps = c->kh * c->kw, .cin = cin_g,
                 .in_cs = g->cs, .wco = wco, .wci = (size_t)c->kh * c->kw};
  /* Depthwise: blocks of four groups, channel c reading input channel c,
   * instead of one lonely output channel per group. */
  bool dw = cin_g == 1 && cout_g == 1;
  int gstep = dw ? 4 : 1;
  r.in_co = dw ? g->cs : 0;
  for (int gr = 0; gr < c->groups; gr += gstep) {
    const float *sg = s + (size_t)gr * cin_g * g->cs;
    for (int oy = 0; oy < g->oh; oy++) {
      int t = 0;
      for (int kh = 0; kh < c->kh; kh++)
        for (int kw = 0; kw < c->kw; kw++, t++) {
          int px = kw * c->dw;
          in[t] = sg + (size_t)(oy * c->sh + kh * c->dh) * g->rs +
                  (size_t)(px % c->sw) * g->wq + px / c->sw;
          woff[t] = kh * c->kw + kw;
        }
      size_t co0 = (size_t)gr * cout_g;
      int nco = dw ? (c->groups - gr < 4 ? c->groups - gr : 4) : cout_g;
      run_rows(l, &r, nco, y + co0 * plane + (size_t)oy * g->ow, plane,
               l->w + co0 * wco, wco, l->bias ? l->bias + co0 : NULL);
    }
  }
}

/* n pixels of a 1x1 conv from src (channel stride cs) into y at pixel p0. */
static void chunk_1x1(const pl_nn_conv2d *l, const float *src, size_t cs,
                      size_t n, size_t hw, size_t p0, float *y) {
  const pl_nn_conv2d_cfg *c = &l->c;
  int cin_g = c->in / c->groups, cout_g = c->out / c->groups;
  bool dw = cin_g == 1 && cout_g == 1;
  const float *in[1];
  int woff[1] = {0};
  pl_nn_row r = {.out_cs = hw, .out_step = 1, .n = (int)n, .in = in,
                 .woff = woff, .ntaps = 1, .cin = cin_g, .in_cs = cs,
                 .in_co = dw ? cs : 0, .wco = (size_t)cin_g, .wci = 1};
  for (int gr = 0; gr < c->groups; gr += dw ? 4 : 1) {
    in[0] = src + (size_t)gr * cin_g * cs;
    size_t co0 = (size_t)gr * cout_g;
    int nco = dw ? (c->groups - gr < 4 ? c->groups - gr : 4) : cout_g;
    run_rows(l, &r, nco, y + co0 * hw + p0, hw, l->w + co0 * cin_g,
             (size_t)cin_g, l->bias ? l->bias + co0 : NULL);
  }
}

/* 1x1, stride 1, no padding: a matrix product over whole planes. Done 128
 * pixels at a time: the chunk of every input channel is copied to scratch
 * at a stride of 160 floats, so it stays in L1 while every output channel
 * uses it (planes of 64x64 are 16 KiB apart, and 32 channels at that
 * power-of-two stride would all land in the same L1 sets). */
#define CHUNK_1X1 128
static void forward_1x1(const pl_nn_conv2d *l, const float *x, size_t hw,
                        float *y, float *scratch) {
  const size_t ts = CHUNK_1X1 + SLACK;
  for (size_t p0 = 0; p0 < hw; p0 += CHUNK_1X1) {
    size_t n = hw - p0 < CHUNK_1X1 ? hw - p0 : CHUNK_1X1;
    for (int ci = 0; ci < l->c.in; ci++) {
      float *d = scratch + ci * ts;
      memcpy(d, x + ci * hw + p0, sizeof(float) * n);
      memset(d + n, 0, sizeof(float) * (ts - n));
    }
    chunk_1x1(l, scratch, ts, n, hw, p0, y);
  }
}

static void forward_transposed(const pl_nn_conv2d *l, const geom *g, int H,
                               float *y, const float *s) {
  const pl_nn_conv2d_cfg *c = &l->c;
  int cin_g = c->in / c->groups, cout_g = c->out / c->groups;
  size_t plane = (size_t)g->oh * g->ow;
  const float *in[MAX_TAPS];
  int woff[MAX_TAPS];
  size_t wco = (size_t)c->kh * c->kw, wci = (size_t)cout_g * wco;
  pl_nn_row r = {.out_cs = plane, .out_step = c->sw, .in = in, .woff = woff,
                 .cin = cin_g, .in_cs = g->cs, .wco = wco, .wci = wci};
  for (int gr = 0; gr < c->groups; gr++) {
    const float *sg = s + (size_t)gr * cin_g * g->cs;
    const float *wg = l->w + (size_t)gr * cin_g * wci;
    size_t co0 = (size_t)gr * cout_g;
    for (int oy = 0; oy < g->oh; oy++) {
      for (int rx = 0; rx < c->sw && rx < g->ow; rx++) {
        int t = 0;
        for (int kh = 0; kh < c->kh; kh++) {
          int ny = oy + c->ph - kh * c->dh;
          if (ny < 0 || ny % c->sh || ny / c->sh >= H)
            continue;
          for (int kw = 0; kw < c->kw; kw++) {
            int nx = rx + c->pw - kw * c->dw;
            if (nx % c->sw)
              continue;
            in[t] = sg + (size_t)(ny / c->sh) * g->rs +
                    (size_t)(g->pl + floor_div(nx, c->sw));
            woff[t++] = kh * c->kw + kw;
          }
        }
        r.ntaps = t;
        r.n = ceil_div(g->ow - rx, c->sw);
        run_rows(l, &r, cout_g, y + co0 * plane + (size_t)oy * g->ow + rx,
                 plane, wg, wco, l->bias ? l->bias + co0 : NULL);
      }
    }
  }
}

int pl_nn_conv2d_forward(const pl_nn_conv2d *l, const float *x, int H, int W,
                         float *y, float *scratch) {
  geom g;
  if (geometry(l, H, W, &g))
    return PL_EINVAL;
  const pl_nn_conv2d_cfg *c = &l->c;
  if (!c->transposed && c->kh == 1 && c->kw == 1 && c->sh == 1 && c->sw == 1 &&
      c->ph == 0 && c->pw == 0) {
    forward_1x1(l, x, (size_t)H * W, y, scratch);
  } else if (!c->transposed) {
    fill_plain(l, &g, x, H, W, scratch);
    forward_plain(l, &g, y, scratch);
  } else {
    /* Every float written, zeros included (see fill_plain). */
    for (int ci = 0; ci < c->in; ci++)
      for (int iy = 0; iy < H; iy++) {
        float *row = scratch + ci * g.cs + (size_t)iy * g.rs;
        memset(row, 0, sizeof(float) * g.pl);
        memcpy(row + g.pl, x + ((size_t)ci * H + iy) * W, sizeof(float) * W);
        memset(row + g.pl + W, 0, sizeof(float) * (g.rs - g.pl - W));
      }
    memset(scratch + (size_t)c->in * g.cs, 0, sizeof(float) * SLACK);
    forward_transposed(l, &g, H, y, scratch);
  }
  pl_nn_act_apply(&l->act, y, l->c.out, g.oh * g.ow);
  return 0;
}

void pl_nn_pixel_shuffle(const float *x, int C, int H, int W, int r,
                         float *y) {
  size_t ow = (size_t)W * r;
  for (int c = 0; c < C; c++)
    for (int i = 0; i < r; i++)
      for (int j = 0; j < r; j++) {
        const float *src = x + (((size_t)c * r + i) * r + j) * H * W;
        for (int h = 0; h < H; h++) {
          float *dst = y + ((size_t)c * H * r + (size_t)h * r + i) * ow + j;
          for (int w = 0; w < W; w++)
            dst[(size_t)w * r] = src[(size_t)h * W + w];
        }
      }
}
