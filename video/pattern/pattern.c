#include "video/pattern/pattern.h"

#include <string.h>

/* 75% colour bars, BT.601 limited range (ITU-R BT.801 values). */
static const uint8_t bars[7][3] = {
    {180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
    {84, 184, 198},  {65, 100, 212}, {35, 212, 114}};

/* 5 x 7 digit glyphs, one row per byte, bit 4 leftmost. */
static const uint8_t font[10][7] = {
    {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e},
    {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e},
    {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f},
    {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e},
    {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02},
    {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e},
    {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e},
    {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
    {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e},
    {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}};

enum { FG = 235, BG = 16 };

/* Counter geometry: one font pixel is s x s, a digit cell 6s wide. */
typedef struct {
  int s, x0, y0;
} layout;

static layout counter_layout(int w, int h) {
  int s = h / 90 > 1 ? h / 90 : 1;
  while (s > 1 && (PL_PATTERN_DIGITS * 6 + 5) * s > w)
    s--;
  return (layout){s, 2 * s, 2 * s};
}

static int tri(int64_t t, int range) {
  if (range <= 0)
    return 0;
  int64_t p = t % (2 * (int64_t)range);
  return (int)(p < range ? p : 2 * range - p);
}

static void fill_rect(pl_video_frame *f, int x, int y, int w, int h,
                      const uint8_t yuv[3]) {
  if (x < 0) {
    w += x;
    x = 0;
  }
  if (y < 0) {
    h += y;
    y = 0;
  }
  if (x + w > f->width)
    w = f->width - x;
  if (y + h > f->height)
    h = f->height - y;
  if (w <= 0 || h <= 0)
    return;
  for (int r = y; r < y + h; r++)
    memset(f->y + (size_t)r * f->stride_y + x, yuv[0], (size_t)w);
  int cx0 = x / 2, cx1 = (x + w + 1) / 2, cy0 = y / 2, cy1 = (y + h + 1) / 2;
  for (int r = cy0; r < cy1; r++) {
    memset(f->u + (size_t)r * f->stride_u + cx0, yuv[1], (size_t)(cx1 - cx0));
    memset(f->v + (size_t)r * f->stride_v + cx0, yuv[2], (size_t)(cx1 - cx0));
  }
}

void pl_pattern_draw(pl_video_frame *f, int64_t index) {
  int w = f->width, h = f->height;
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  int band = h * 3 / 5; /* bars above, moving texture below */
  for (int r = 0; r < h; r++) {
    uint8_t *row = f->y + (size_t)r * f->stride_y;
    if (r < band) {
      for (int x = 0; x < w; x++)
        row[x] = bars[x * 7 / w][0];
    } else {
      /* A ramp scrolling left with an 8x8 checker on it: real motion and
       * texture for the encoder, still cheap to draw. */
      for (int x = 0; x < w; x++) {
        int v = 32 + (int)((x + index * 4) % 192);
        v += (((x >> 3) ^ (r >> 3)) & 1) ? 12 : -12;
        row[x] = (uint8_t)v;
      }
    }
  }
  for (int r = 0; r < ch; r++) {
    uint8_t *u = f->u + (size_t)r * f->stride_u, *v = f->v + (size_t)r * f->stride_v;
    if (2 * r < band) {
      for (int x = 0; x < cw; x++) {
        int b = 2 * x * 7 / w;
        u[x] = bars[b > 6 ? 6 : b][1];
        v[x] = bars[b > 6 ? 6 : b][2];
      }
    } else {
      for (int x = 0; x < cw; x++) {
        u[x] = (uint8_t)(128 + ((2 * x + r + index) % 64) - 32);
        v[x] = 128;
      }
    }
  }
  int bs = (w < h ? w : h) / 6;
  if (bs < 2)
    bs = 2;
  int vx = w / 90 > 1 ? w / 90 : 1, vy = h / 80 > 1 ? h / 80 : 1;
  int bx = tri(index * vx, w - bs), by = tri(index * vy, h - bs);
  static const uint8_t edge[3] = {235, 128, 128};
  fill_rect(f, bx, by, bs, bs, edge);
  fill_rect(f, bx + bs / 8, by + bs / 8, bs - bs / 4, bs - bs / 4,
            bars[(index / 30) % 7]);

  layout L = counter_layout(w, h);
  static const uint8_t black[3] = {BG, 128, 128}, white[3] = {FG, 128, 128};
  fill_rect(f, L.x0, L.y0, (PL_PATTERN_DIGITS * 6 + 1) * L.s, 9 * L.s, black);
  int64_t n = index < 0 ? 0 : index;
  for (int d = PL_PATTERN_DIGITS - 1; d >= 0; d--, n /= 10) {
    const uint8_t *g = font[n % 10];
    int gx = L.x0 + L.s + d * 6 * L.s, gy = L.y0 + L.s;
    for (int r = 0; r < 7; r++)
      for (int c = 0; c < 5; c++)
        if (g[r] & (0x10 >> c))
          fill_rect(f, gx + c * L.s, gy + r * L.s, L.s, L.s, white);
  }
  f->index = index;
}

int64_t pl_pattern_read_index(const pl_video_frame *f) {
  int w = f->width, h = f->height;
  layout L = counter_layout(w, h);
  if (L.x0 + (PL_PATTERN_DIGITS * 6 + 1) * L.s > w || L.y0 + 9 * L.s > h)
    return -1;
  int64_t v = 0;
  for (int d = 0; d < PL_PATTERN_DIGITS; d++) {
    int gx = L.x0 + L.s + d * 6 * L.s, gy = L.y0 + L.s;
    uint8_t seen[7];
    for (int r = 0; r < 7; r++) {
      seen[r] = 0;
      for (int c = 0; c < 5; c++) {
        int px = gx + c * L.s + L.s / 2, py = gy + r * L.s + L.s / 2;
        if (f->y[(size_t)py * f->stride_y + px] > (FG + BG) / 2)
          seen[r] |= (uint8_t)(0x10 >> c);
      }
    }
    int best = -1, best_d = 36;
    for (int g = 0; g < 10; g++) {
      int dist = 0;
      for (int r = 0; r < 7; r++)
        dist += __builtin_popcount(seen[r] ^ font[g][r]);
      if (dist < best_d) {
        best_d = dist;
        best = g;
      }
    }
    if (best_d > 4)
      return -1;
    v = v * 10 + best;
  }
  return v;
}
