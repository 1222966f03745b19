/* RFC 2198 redundant audio: parser, writer and the Opus sender's history.
 * Header of a redundant block (4 bytes): F=1 | block PT (7) | timestamp
 * offset (14) | block length (10). The last header (1 byte) is F=0 | PT:
 * the primary, whose length is the rest of the packet. */
#include "net/rtp/red.h"

#include <string.h>

#include "parley.h"

int pl_red_parse(pl_red_packet *out, const uint8_t *p, size_t n) {
  if (!out || (!p && n))
    return PL_EINVAL;
  out->n = 0;
  size_t pos = 0, body = 0;
  int nred = 0;
  /* Headers first: every redundant block's length is known before the
   * data starts, so check they all fit before pointing into it. */
  for (;;) {
    if (pos >= n)
      return PL_ETRUNC;
    if (!(p[pos] & 0x80))
      break;
    if (nred >= PL_RED_MAX_BLOCKS - 1)
      return PL_EPARSE;
    if (n - pos < 4)
      return PL_ETRUNC;
    pl_red_block *b = &out->blocks[nred++];
    b->pt = p[pos] & 0x7F;
    b->ts_offset = ((uint32_t)p[pos + 1] << 6) | (uint32_t)(p[pos + 2] >> 2);
    b->len = ((size_t)(p[pos + 2] & 0x03) << 8) | p[pos + 3];
    body += b->len;
    pos += 4;
  }
  pl_red_block *prim = &out->blocks[nred];
  prim->pt = p[pos] & 0x7F;
  prim->ts_offset = 0;
  pos++;
  if (body > n - pos)
    return PL_ETRUNC;
  for (int i = 0; i < nred; i++) {
    out->blocks[i].data = p + pos;
    pos += out->blocks[i].len;
  }
  prim->data = p + pos;
  prim->len = n - pos;
  out->n = nred + 1;
  return 0;
}

int pl_red_fmtp_pt(const char *s, size_t n) {
  int pt = -1;
  size_t i = 0;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  for (;;) {
    int v = 0, digits = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
      v = v * 10 + (s[i++] - '0');
      digits++;
    }
    if (!digits || v > 127 || (pt >= 0 && v != pt))
      return PL_EPARSE;
    pt = v;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
      i++;
    if (i == n)
      return pt;
    if (s[i++] != '/')
      return PL_EPARSE;
  }
}

int pl_red_write(const pl_red_block *b, int n, uint8_t *out, size_t cap) {
  if (!b || n < 1 || n > PL_RED_MAX_BLOCKS || (!out && cap))
    return PL_EINVAL;
  size_t need = 1 + b[n - 1].len;
  for (int i = 0; i < n - 1; i++) {
    if (b[i].ts_offset > PL_RED_MAX_OFFSET || b[i].len > PL_RED_MAX_BLOCK_LEN || b[i].pt > 127)
      return PL_ERANGE;
    need += 4 + b[i].len;
  }
  if (b[n - 1].pt > 127)
    return PL_ERANGE;
  if (need > cap)
    return PL_EFULL;
  size_t pos = 0;
  for (int i = 0; i < n - 1; i++) {
    out[pos++] = (uint8_t)(0x80 | b[i].pt);
    out[pos++] = (uint8_t)(b[i].ts_offset >> 6);
    out[pos++] = (uint8_t)(((b[i].ts_offset & 0x3F) << 2) | (b[i].len >> 8));
    out[pos++] = (uint8_t)(b[i].len & 0xFF);
  }
  out[pos++] = b[n - 1].pt;
  for (int i = 0; i < n; i++) {
    if (b[i].len)
      memcpy(out + pos, b[i].data, b[i].len);
    pos += b[i].len;
  }
  return (int)pos;
}

void pl_red_sender_init(pl_red_sender *s, uint8_t pt, int distance) {
  memset(s, 0, sizeof *s);
  s->pt = pt & 0x7F;
  pl_red_sender_set_distance(s, distance);
}

void pl_red_sender_set_distance(pl_red_sender *s, int distance) {
  s->distance = distance < 0 ? 0 : distance > PL_RED_MAX_DISTANCE ? PL_RED_MAX_DISTANCE : distance;
}

void pl_red_sender_note(pl_red_sender *s, uint32_t ts, const uint8_t *data, size_t len) {
  for (int i = PL_RED_MAX_DISTANCE - 1; i > 0; i--)
    s->hist[i] = s->hist[i - 1];
  /* A frame too long for a 10-bit length can never be a redundant block. */
  s->hist[0].valid = data && len > 0 && len <= PL_RED_MAX_BLOCK_LEN;
  s->hist[0].ts = ts;
  s->hist[0].len = (uint16_t)(s->hist[0].valid ? len : 0);
  if (s->hist[0].valid)
    memcpy(s->hist[0].data, data, len);
}

int pl_red_sender_wrap(pl_red_sender *s, uint32_t ts, const uint8_t *data, size_t len,
                       uint8_t *out, size_t cap) {
  if (!s || (!data && len) || !out)
    return PL_EINVAL;
  pl_red_block b[PL_RED_MAX_DISTANCE + 1];
  int n = 0;
  size_t room = cap > len + 1 ? cap - len - 1 : 0;
  if (cap < len + 1)
    return PL_EFULL;
  /* Newest first when deciding what fits, so that a full packet loses its
   * oldest copy; written oldest first (RFC 2198's order). */
  int take[PL_RED_MAX_DISTANCE], nt = 0;
  for (int i = 0; i < s->distance; i++) {
    uint32_t off = ts - s->hist[i].ts;
    bool ok = s->hist[i].valid && off > 0 && off <= PL_RED_MAX_OFFSET &&
              (size_t)s->hist[i].len + 4 <= room;
    if (!ok) {
      if (s->hist[i].valid)
        s->left_out++;
      continue;
    }
    room -= (size_t)s->hist[i].len + 4;
    take[nt++] = i;
  }
  for (int k = nt - 1; k >= 0; k--) {
    int i = take[k];
    b[n++] = (pl_red_block){s->pt, ts - s->hist[i].ts, s->hist[i].data, s->hist[i].len};
  }
  b[n++] = (pl_red_block){s->pt, 0, data, len};
  int w = pl_red_write(b, n, out, cap);
  if (w >= 0)
    pl_red_sender_note(s, ts, data, len);
  return w;
}
