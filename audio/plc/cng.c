/* Background model: the level is the minimum 10 ms mean square over the last
 * 4 s (8 windows of 0.5 s, so the estimate rises within 0.5 s of the noise
 * rising and speech never counts as background unless nothing quieter was
 * heard for 4 s). Blocks within 3 dB of that floor update a smoothed
 * autocorrelation; Levinson-Durbin turns it into an all-pole shape, and the
 * excitation gain is set from the filter's impulse-response energy so the
 * noise comes out at the floor's level whatever the shape. */
#include "audio/plc/cng.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define WIN_BLOCKS 50   /* 0.5 s of 10 ms blocks */
#define BG_RATIO 2.0    /* within 3 dB of the floor: background */
#define R_SMOOTH 0.2    /* weight of a new background block's correlation */
#define BW_EXPAND 0.98f /* pole radius shrink: no ringing peaks */
#define IR_LEN 512
#define SMOOTH 0.3      /* weight of a block in the smoothed level the minimum runs on */
#define WARMUP 20       /* blocks (200 ms) before the minimum starts: decoders fade in */
#define BIAS 1.25       /* the minimum of a smoothed noise level sits ~1 dB low */

void pl_cng_init(pl_cng *c, uint64_t seed) {
  memset(c, 0, sizeof *c);
  for (int i = 0; i < PL_CNG_WINDOWS; i++)
    c->win_min[i] = DBL_MAX;
  c->floor = DBL_MAX;
  c->a[0] = 1.0f;
  pl_rng_seed(&c->rng, seed);
}

static void block_done(pl_cng *c) {
  const float *b = c->block;
  double ms = 0;
  for (int i = 0; i < PL_CNG_BLOCK; i++)
    ms += (double)b[i] * b[i];
  ms /= PL_CNG_BLOCK;
  /* The minimum runs on a smoothed level: a lone quiet block (a codec's
   * start, a glottal gap) would drag a raw minimum down by several dB. */
  c->smooth = c->blocks ? (1 - SMOOTH) * c->smooth + SMOOTH * ms : ms;
  if (++c->blocks > WARMUP && c->smooth * BIAS < c->win_min[c->win])
    c->win_min[c->win] = c->smooth * BIAS;
  if (++c->win_blocks == WIN_BLOCKS) {
    c->win = (c->win + 1) % PL_CNG_WINDOWS;
    c->win_min[c->win] = DBL_MAX;
    c->win_blocks = 0;
  }
  double f = DBL_MAX;
  for (int i = 0; i < PL_CNG_WINDOWS; i++)
    if (c->win_min[i] < f)
      f = c->win_min[i];
  if (f != c->floor)
    c->dirty = true; /* the gain follows the level */
  c->floor = f;
  if (ms <= 0 || ms > BG_RATIO * f)
    return;
  double r[PL_CNG_ORDER + 1];
  for (int k = 0; k <= PL_CNG_ORDER; k++) {
    double s = 0;
    for (int i = k; i < PL_CNG_BLOCK; i++)
      s += (double)b[i] * b[i - k];
    r[k] = s;
  }
  for (int k = 0; k <= PL_CNG_ORDER; k++) {
    double v = r[k] / r[0];
    c->r[k] = c->have_shape ? (1 - R_SMOOTH) * c->r[k] + R_SMOOTH * v : v;
  }
  c->have_shape = true;
  c->dirty = true;
}

void pl_cng_observe(pl_cng *c, const float *x, int samples, int ch) {
  for (int i = 0; i < samples; i++) {
    float v = ch == 2 ? 0.5f * (x[2 * i] + x[2 * i + 1]) : x[i];
    c->block[c->fill++] = v;
    if (c->fill == PL_CNG_BLOCK) {
      block_done(c);
      c->fill = 0;
    }
  }
}

static void derive(pl_cng *c) {
  double a[PL_CNG_ORDER + 1] = {1.0}, tmp[PL_CNG_ORDER + 1];
  double err = c->r[0] * 1.0001; /* white-noise correction: well conditioned */
  for (int i = 1; i <= PL_CNG_ORDER && err > 0; i++) {
    double acc = c->r[i];
    for (int j = 1; j < i; j++)
      acc += a[j] * c->r[i - j];
    double k = -acc / err;
    memcpy(tmp, a, sizeof a);
    for (int j = 1; j < i; j++)
      a[j] = tmp[j] + k * tmp[i - j];
    a[i] = k;
    err *= 1.0 - k * k;
  }
  float g = 1.0f;
  for (int j = 1; j <= PL_CNG_ORDER; j++) {
    g *= BW_EXPAND;
    c->a[j] = (float)a[j] * g;
  }
  /* Output power for unit-power excitation = impulse-response energy. */
  float mem[PL_CNG_ORDER] = {0};
  double energy = 0;
  for (int n = 0; n < IR_LEN; n++) {
    float y = n == 0 ? 1.0f : 0.0f;
    for (int j = 1; j <= PL_CNG_ORDER; j++)
      y -= c->a[j] * mem[j - 1];
    memmove(mem + 1, mem, sizeof(float) * (PL_CNG_ORDER - 1));
    mem[0] = y;
    energy += (double)y * y;
  }
  c->gain = energy > 0 ? (float)sqrt(c->floor / energy) : 0.0f;
  c->dirty = false;
}

void pl_cng_generate(pl_cng *c, float *out, int samples, int ch) {
  bool live = c->have_shape && c->floor > 1e-12 && c->floor < DBL_MAX;
  if (!live) {
    memset(out, 0, sizeof(float) * (size_t)(samples * ch));
    return;
  }
  if (c->dirty)
    derive(c);
  for (int i = 0; i < samples; i++) {
    /* Uniform of unit variance: cheaper than Gaussian, and the all-pole
     * filter makes the output close to Gaussian anyway. */
    float e = (float)((pl_rng_uniform(&c->rng) * 2.0 - 1.0) * 1.7320508075688772);
    float y = c->gain * e;
    for (int j = 1; j <= PL_CNG_ORDER; j++)
      y -= c->a[j] * c->mem[j - 1];
    memmove(c->mem + 1, c->mem, sizeof(float) * (PL_CNG_ORDER - 1));
    c->mem[0] = y;
    for (int k = 0; k < ch; k++)
      out[i * ch + k] = y;
  }
}

double pl_cng_level_db(const pl_cng *c) {
  if (c->floor <= 0 || c->floor == DBL_MAX)
    return -INFINITY;
  return 10.0 * log10(c->floor);
}
