/* Uncompressed-header readers for VP8 (RFC 6386 §9.1, §19.1) and VP9 (VP9
 * bitstream spec §6.2), and the VP9 superframe index (Annex B). */
#include "video/vpx/bitstream.h"

#include <string.h>

#include "base/bytes.h"
#include "parley.h"

int pl_vp8_header_parse(pl_vpx_header *h, const uint8_t *p, size_t n) {
  memset(h, 0, sizeof *h);
  if (n < 3)
    return PL_ETRUNC;
  uint32_t tag = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
  h->key = !(tag & 1);
  h->profile = (uint8_t)((tag >> 1) & 7);
  h->show = (tag >> 4) & 1;
  h->first_part_size = tag >> 5;
  if (h->profile > 3)
    return PL_ENOTSUP;
  if (!h->key) {
    if (h->first_part_size > n - 3)
      return PL_EPARSE;
    return 0;
  }
  if (n < 10)
    return PL_ETRUNC;
  if (p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a)
    return PL_EPARSE;
  /* The top two bits are an upscaling hint for the renderer, not coded size. */
  h->width = pl_le16(p + 6) & 0x3fff;
  h->height = pl_le16(p + 8) & 0x3fff;
  h->has_size = true;
  if (h->width == 0 || h->height == 0 || h->first_part_size > n - 10)
    return PL_EPARSE;
  return 0;
}

typedef struct {
  const uint8_t *p;
  size_t nbits, pos;
  bool bad;
} bitr;

static uint32_t bits(bitr *r, int k) {
  uint32_t v = 0;
  for (int i = 0; i < k; i++) {
    if (r->pos >= r->nbits) {
      r->bad = true;
      return 0;
    }
    v = (v << 1) | ((r->p[r->pos >> 3] >> (7 - (r->pos & 7))) & 1);
    r->pos++;
  }
  return v;
}

static bool vp9_sync_code(bitr *r) {
  return bits(r, 8) == 0x49 && bits(r, 8) == 0x83 && bits(r, 8) == 0x42;
}

/* §6.2.2; only checked for well-formedness, the values are libvpx's concern. */
static int vp9_color_config(bitr *r, unsigned profile) {
  if (profile >= 2)
    bits(r, 1); /* ten_or_twelve_bit */
  unsigned cs = bits(r, 3);
  if (cs != 7) { /* CS_RGB */
    bits(r, 1);  /* color_range */
    if (profile == 1 || profile == 3) {
      bits(r, 2); /* subsampling_x, subsampling_y */
      if (bits(r, 1))
        return PL_ENOTSUP;
    }
  } else if (profile == 1 || profile == 3) {
    if (bits(r, 1))
      return PL_ENOTSUP;
  } else {
    return PL_EPARSE; /* RGB needs 4:4:4, only in profiles 1 and 3 */
  }
  return 0;
}

static void vp9_frame_size(bitr *r, pl_vpx_header *h) {
  h->width = (int)bits(r, 16) + 1;
  h->height = (int)bits(r, 16) + 1;
  h->has_size = true;
}

int pl_vp9_header_parse(pl_vpx_header *h, const uint8_t *p, size_t n) {
  memset(h, 0, sizeof *h);
  if (n == 0)
    return PL_ETRUNC;
  bitr r = {p, n > SIZE_MAX / 8 ? SIZE_MAX : n * 8, 0, false};
  if (bits(&r, 2) != 2)
    return PL_EPARSE;
  unsigned lo = bits(&r, 1), hi = bits(&r, 1);
  h->profile = (uint8_t)((hi << 1) | lo);
  if (h->profile == 3 && bits(&r, 1))
    return PL_ENOTSUP;
  if (bits(&r, 1)) { /* show_existing_frame */
    bits(&r, 3);
    h->show_existing = h->show = true;
    return r.bad ? PL_ETRUNC : 0;
  }
  h->key = bits(&r, 1) == 0;
  h->show = bits(&r, 1);
  unsigned error_res = bits(&r, 1);
  int err = 0;
  if (h->key) {
    if (!vp9_sync_code(&r))
      return r.bad ? PL_ETRUNC : PL_EPARSE;
    if ((err = vp9_color_config(&r, h->profile)) < 0)
      return r.bad ? PL_ETRUNC : err;
    vp9_frame_size(&r, h);
  } else {
    h->intra_only = h->show ? false : bits(&r, 1);
    if (!error_res)
      bits(&r, 2); /* reset_frame_context */
    if (h->intra_only) {
      if (!vp9_sync_code(&r))
        return r.bad ? PL_ETRUNC : PL_EPARSE;
      if (h->profile > 0 && (err = vp9_color_config(&r, h->profile)) < 0)
        return r.bad ? PL_ETRUNC : err;
      bits(&r, 8); /* refresh_frame_flags */
      vp9_frame_size(&r, h);
    } else {
      bits(&r, 8);
      bits(&r, 12); /* 3 x (ref_frame_idx(3), sign_bias(1)) */
      bool found = false;
      for (int i = 0; i < 3 && !found && !r.bad; i++)
        found = bits(&r, 1);
      if (!found)
        vp9_frame_size(&r, h);
    }
  }
  return r.bad ? PL_ETRUNC : 0;
}

int pl_vp9_superframe_split(const uint8_t *p, size_t n,
                            size_t offs[PL_VP9_MAX_SUPERFRAME],
                            size_t sizes[PL_VP9_MAX_SUPERFRAME]) {
  offs[0] = 0;
  sizes[0] = n;
  if (n == 0)
    return 1;
  uint8_t marker = p[n - 1];
  if ((marker & 0xe0) != 0xc0)
    return 1;
  size_t frames = (size_t)(marker & 7) + 1, mag = (size_t)((marker >> 3) & 3) + 1;
  size_t index_sz = 2 + mag * frames;
  if (n < index_sz || p[n - index_sz] != marker)
    return 1; /* a frame that merely ends in a marker-like byte */
  const uint8_t *q = p + n - index_sz + 1;
  size_t off = 0, avail = n - index_sz;
  for (size_t i = 0; i < frames; i++) {
    size_t sz = 0;
    for (size_t b = 0; b < mag; b++)
      sz |= (size_t)q[i * mag + b] << (8 * b);
    if (sz > avail - off)
      return PL_EPARSE;
    offs[i] = off;
    sizes[i] = sz;
    off += sz;
  }
  return (int)frames;
}
