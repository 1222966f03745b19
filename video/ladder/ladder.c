#include "video/ladder/ladder.h"

#include <string.h>

#include "parley.h"

#define HYSTERESIS 1.3
#define PROBE_WINDOW PL_SEC(10) /* a down-switch this soon after an up-switch: it failed */
#define BACKOFF_MAX 8           /* up_hold grows to at most 8x */
#define BACKOFF_RESET PL_SEC(30)
#define HALF_FPS_MAX_PIXELS (640 * 480) /* libwebrtc balanced: VGA and under drop to 15 fps */

/* libwebrtc's default singlecast limits, min_start_bitrate_bps at 30 fps
 * (rtc_base/experiments/encoder_info_settings.cc,
 * GetDefaultSinglecastBitrateLimits): the rate at which a resolution is
 * worth entering. As bits per pixel per frame they fall with size. */
typedef struct {
  int pixels;
  int bps;
} start_row;
static const start_row vp8_start[] = {
    {480 * 270, 200000}, {640 * 360, 300000}, {960 * 540, 500000}, {1280 * 720, 900000}};
static const start_row vp9_start[] = {
    {480 * 270, 120000}, {640 * 360, 190000}, {960 * 540, 350000}, {1280 * 720, 480000}};
#define NROWS 4

static const int rung_sides[] = {720, 540, 360, 180}; /* the short side */

void pl_ladder_init(pl_ladder *l, const pl_ladder_config *cfg) {
  memset(l, 0, sizeof *l);
  if (cfg)
    l->cfg = *cfg;
  if (l->cfg.codec != 9)
    l->cfg.codec = 8;
  if (l->cfg.down_hold <= 0)
    l->cfg.down_hold = PL_SEC(1);
  if (l->cfg.up_hold <= 0)
    l->cfg.up_hold = PL_SEC(3);
  if (l->cfg.up_gap <= 0)
    l->cfg.up_gap = PL_SEC(5);
  if (l->cfg.down_gap <= 0)
    l->cfg.down_gap = PL_SEC(1);
  if (l->cfg.big_drop <= 0 || l->cfg.big_drop >= 1)
    l->cfg.big_drop = 0.5;
  l->up_hold = l->cfg.up_hold;
}

/* Entry bits per pixel per frame, interpolated in pixels between the
 * table's rows and held flat past either end. */
static double start_bpp(int codec, int pixels) {
  const start_row *t = codec == 9 ? vp9_start : vp8_start;
  double bpp[NROWS];
  for (int i = 0; i < NROWS; i++)
    bpp[i] = t[i].bps / ((double)t[i].pixels * 30.0);
  if (pixels <= t[0].pixels)
    return bpp[0];
  for (int i = 1; i < NROWS; i++)
    if (pixels <= t[i].pixels) {
      double a = (double)(pixels - t[i - 1].pixels) / (double)(t[i].pixels - t[i - 1].pixels);
      return bpp[i - 1] + a * (bpp[i] - bpp[i - 1]);
    }
  return bpp[NROWS - 1];
}

static int even(double x) {
  int v = (int)(x / 2.0 + 0.5) * 2;
  return v < 2 ? 2 : v;
}

static void add_rung(pl_ladder *l, int w, int h, int fps) {
  if (l->n == PL_LADDER_MAX_RUNGS)
    return;
  pl_ladder_rung *r = &l->rungs[l->n++];
  int px = w * h;
  r->width = w;
  r->height = h;
  r->fps = fps;
  double up = start_bpp(l->cfg.codec, px) * px * fps;
  r->up_bps = (uint32_t)up;
  r->min_bps = (uint32_t)(up / HYSTERESIS);
}

/* Sizes: the source itself (or its 720-line version when bigger), then the
 * 540/360/180-line rungs under it, in its aspect ratio (the short side is
 * the rung's line count, so portrait works too). Frame rate: the source's
 * (at most 30) until the first rung of VGA size or less, which gets a
 * 15 fps twin before the next size down, as libwebrtc's balanced mode
 * lowers the frame rate before the resolution only at those sizes. */
static void build(pl_ladder *l, int w, int h, int fps) {
  l->n = 0;
  int s = w < h ? w : h, g = w < h ? h : w;
  int sizes[4][2], nsz = 0, top_s = s;
  if (s <= rung_sides[0]) {
    sizes[nsz][0] = w;
    sizes[nsz][1] = h;
  } else {
    top_s = rung_sides[0];
    int lg = even((double)top_s * g / s);
    sizes[nsz][0] = w < h ? top_s : lg;
    sizes[nsz][1] = w < h ? lg : top_s;
  }
  nsz++;
  for (int i = 1; i < 4; i++) {
    int rs = rung_sides[i];
    if (rs > top_s * 0.85) /* too close to the rung above to be worth a switch */
      continue;
    int lg = even((double)rs * g / s);
    sizes[nsz][0] = w < h ? rs : lg;
    sizes[nsz][1] = w < h ? lg : rs;
    nsz++;
  }
  int full = fps < 30 ? fps : 30, half = fps < 15 ? fps : 15;
  bool halved = half >= full;
  for (int i = 0; i < nsz; i++) {
    add_rung(l, sizes[i][0], sizes[i][1], halved ? half : full);
    if (!halved && sizes[i][0] * sizes[i][1] <= HALF_FPS_MAX_PIXELS) {
      add_rung(l, sizes[i][0], sizes[i][1], half);
      halved = true;
    }
  }
  l->rungs[l->n - 1].min_bps = 0; /* the floor of the ladder: nowhere lower to go */
}

static void fill(const pl_ladder *l, pl_ladder_out *out) {
  const pl_ladder_rung *r = &l->rungs[l->cur];
  out->width = r->width;
  out->height = r->height;
  out->fps = r->fps;
}

int pl_ladder_update(pl_ladder *l, pl_time_us now, uint32_t target_bps, int src_w,
                     int src_h, int src_fps, pl_ladder_out *out) {
  memset(out, 0, sizeof *out);
  if (src_w < 2 || src_h < 2 || src_fps < 1)
    return PL_EINVAL;
  if (!l->started || src_w != l->src_w || src_h != l->src_h || src_fps != l->src_fps) {
    /* A new source starts where its rate lets it, like the first frame:
     * libwebrtc likewise drops the first frames and scales down when the
     * start rate is under the size's start rate. */
    int ow = l->started ? l->rungs[l->cur].width : 0;
    int oh = l->started ? l->rungs[l->cur].height : 0;
    int ofps = l->started ? l->rungs[l->cur].fps : 0;
    build(l, src_w, src_h, src_fps);
    l->cur = l->n - 1;
    for (int i = 0; i < l->n; i++)
      if (target_bps >= l->rungs[i].up_bps) {
        l->cur = i;
        break;
      }
    l->src_w = src_w;
    l->src_h = src_h;
    l->src_fps = src_fps;
    l->below_since = l->above_since = -1;
    l->last_switch = now;
    l->last_up = now - PROBE_WINDOW;
    fill(l, out);
    out->resized = l->started && (out->width != ow || out->height != oh);
    out->switched = out->resized || (l->started && out->fps != ofps);
    l->started = true;
    return 0;
  }
  const pl_ladder_rung *r = &l->rungs[l->cur];
  bool under = l->cur < l->n - 1 && target_bps < r->min_bps;
  bool over = l->cur > 0 && target_bps >= l->rungs[l->cur - 1].up_bps;
  l->below_since = under ? (l->below_since < 0 ? now : l->below_since) : -1;
  l->above_since = over ? (l->above_since < 0 ? now : l->above_since) : -1;
  if (now - l->last_switch >= BACKOFF_RESET)
    l->up_hold = l->cfg.up_hold;
  int next = l->cur;
  if (under && now - l->last_switch >= l->cfg.down_gap &&
      (now - l->below_since >= l->cfg.down_hold ||
       target_bps < (double)r->min_bps * l->cfg.big_drop)) {
    /* Straight to the rung the rate can hold: one switch (one keyframe at
     * most) however far it fell. */
    next = l->cur + 1;
    while (next < l->n - 1 && target_bps < l->rungs[next].min_bps)
      next++;
    if (now - l->last_up < PROBE_WINDOW && l->up_hold < l->cfg.up_hold * BACKOFF_MAX)
      l->up_hold *= 2; /* the last step up did not hold: wait longer next time */
  } else if (over && now - l->above_since >= l->up_hold &&
             now - l->last_switch >= l->cfg.up_gap) {
    next = l->cur - 1; /* one rung at a time: each one is a probe */
    l->last_up = now;
  }
  if (next != l->cur) {
    const pl_ladder_rung *n = &l->rungs[next];
    out->switched = true;
    out->resized = n->width != r->width || n->height != r->height;
    l->cur = next;
    l->last_switch = now;
    l->below_since = l->above_since = -1;
    l->switches++;
    l->resolution_switches += out->resized;
  }
  fill(l, out);
  return 0;
}

int pl_ladder_rungs(const pl_ladder *l, const pl_ladder_rung **out) {
  *out = l->rungs;
  return l->n;
}
