/* RFC 7741 §4.2 payload descriptor:
 *   X R N S R PID(3) | I L T K RSV(4) | M PictureID(7[+8]) | TL0PICIDX |
 *   TID(2) Y KEYIDX(5) */
#include "video/payload/vp8.h"

#include <string.h>

#include "base/bytes.h"
#include "parley.h"

static bool has_ext(const pl_vp8_desc *d) {
  return d->has_picture_id || d->has_tl0picidx || d->has_tid || d->has_keyidx;
}

int pl_vp8_desc_parse(pl_vp8_desc *d, const uint8_t *p, size_t n) {
  memset(d, 0, sizeof *d);
  pl_reader r;
  pl_reader_init(&r, p, n);
  uint8_t b0 = pl_reader_u8(&r);
  d->n = b0 & 0x20;
  d->s = b0 & 0x10;
  d->pid = b0 & 0x07;
  if (b0 & 0x80) {
    uint8_t x = pl_reader_u8(&r);
    d->has_picture_id = x & 0x80;
    d->has_tl0picidx = x & 0x40;
    d->has_tid = x & 0x20;
    d->has_keyidx = x & 0x10;
    if (d->has_picture_id) {
      uint8_t a = pl_reader_u8(&r);
      d->picture_id_15 = a & 0x80;
      d->picture_id = a & 0x7f;
      if (d->picture_id_15)
        d->picture_id = (uint16_t)((d->picture_id << 8) | pl_reader_u8(&r));
    }
    if (d->has_tl0picidx)
      d->tl0picidx = pl_reader_u8(&r);
    if (d->has_tid || d->has_keyidx) {
      uint8_t t = pl_reader_u8(&r);
      /* The byte is there if either is; each field means something only
       * with its own flag. */
      if (d->has_tid) {
        d->tid = t >> 6;
        d->y = t & 0x20;
      }
      if (d->has_keyidx)
        d->keyidx = t & 0x1f;
    }
  }
  if (r.bad || pl_reader_left(&r) == 0)
    return PL_ETRUNC;
  return (int)r.off;
}

size_t pl_vp8_desc_len(const pl_vp8_desc *d) {
  size_t len = 1;
  if (has_ext(d)) {
    len++;
    if (d->has_picture_id)
      len += d->picture_id_15 ? 2 : 1;
    if (d->has_tl0picidx)
      len++;
    if (d->has_tid || d->has_keyidx)
      len++;
  }
  return len;
}

int pl_vp8_desc_write(const pl_vp8_desc *d, uint8_t *out, size_t cap) {
  if (d->pid > 7 || (d->has_picture_id && d->picture_id > (d->picture_id_15 ? 0x7fff : 0x7f)) ||
      (d->has_tid && d->tid > 3) || (d->has_keyidx && d->keyidx > 31))
    return PL_ERANGE;
  size_t len = pl_vp8_desc_len(d);
  if (cap < len)
    return PL_EFULL;
  uint8_t *q = out;
  *q++ = (uint8_t)((has_ext(d) ? 0x80 : 0) | (d->n ? 0x20 : 0) |
                   (d->s ? 0x10 : 0) | d->pid);
  if (has_ext(d)) {
    *q++ = (uint8_t)((d->has_picture_id ? 0x80 : 0) |
                     (d->has_tl0picidx ? 0x40 : 0) | (d->has_tid ? 0x20 : 0) |
                     (d->has_keyidx ? 0x10 : 0));
    if (d->has_picture_id) {
      if (d->picture_id_15) {
        pl_put_be16(q, (uint16_t)(0x8000 | d->picture_id));
        q += 2;
      } else {
        *q++ = (uint8_t)d->picture_id;
      }
    }
    if (d->has_tl0picidx)
      *q++ = d->tl0picidx;
    if (d->has_tid || d->has_keyidx)
      *q++ = (uint8_t)((d->has_tid ? (d->tid << 6) | (d->y ? 0x20 : 0) : 0) |
                       (d->has_keyidx ? d->keyidx : 0));
  }
  return (int)len;
}

int pl_vp8_depacketize(pl_video_rtp_info *info, const uint8_t *p, size_t n) {
  memset(info, 0, sizeof *info);
  info->codec = PL_CODEC_VP8;
  info->picture_id = -1;
  info->tl0picidx = -1;
  info->tid = info->sid = -1;
  pl_vp8_desc d;
  int dl = pl_vp8_desc_parse(&d, p, n);
  if (dl < 0)
    return dl;
  info->payload = p + dl;
  info->payload_len = n - (size_t)dl;
  if (d.has_picture_id) {
    info->picture_id = d.picture_id;
    info->picture_id_bits = d.picture_id_15 ? 15 : 7;
  }
  if (d.has_tl0picidx)
    info->tl0picidx = d.tl0picidx;
  if (d.has_tid) {
    info->tid = (int8_t)d.tid;
    info->layer_sync = d.y;
  }
  info->frame_begin = d.s && d.pid == 0;
  if (info->frame_begin) {
    /* §4.3: the payload header's P bit is the inverse key frame flag; the
     * size follows the start code, and may sit in a later packet when the
     * fragments are tiny. */
    const uint8_t *h = info->payload;
    info->key = !(h[0] & 1);
    info->inter_predicted = !info->key;
    if (info->key && info->payload_len >= 10) {
      if (h[3] != 0x9d || h[4] != 0x01 || h[5] != 0x2a)
        return PL_EPARSE;
      info->width = pl_le16(h + 6) & 0x3fff;
      info->height = pl_le16(h + 8) & 0x3fff;
      if (!info->width || !info->height)
        return PL_EPARSE;
    }
  }
  return 0;
}

int pl_vp8_packetizer_init(pl_vp8_packetizer *pz, const pl_vp8_desc *desc,
                           const uint8_t *frame, size_t len,
                           const size_t *part_off, const size_t *part_len,
                           int nparts, size_t max_payload) {
  memset(pz, 0, sizeof *pz);
  if (!frame || len == 0)
    return PL_EINVAL;
  pz->desc = *desc;
  pz->data = frame;
  pz->max_payload = max_payload;
  size_t dl = pl_vp8_desc_len(desc);
  if (max_payload <= dl)
    return PL_ERANGE;
  if (part_off && part_len && nparts > 0) {
    if (nparts > 9)
      return PL_EINVAL;
    size_t at = 0;
    for (int i = 0; i < nparts; i++) {
      if (part_off[i] != at || part_len[i] == 0 || part_len[i] > len - at)
        return PL_EINVAL;
      pz->part_off[i] = part_off[i];
      pz->part_len[i] = part_len[i];
      at += part_len[i];
    }
    if (at != len)
      return PL_EINVAL;
    pz->nparts = nparts;
  } else {
    pz->nparts = 1;
    pz->part_len[0] = len;
  }
  size_t cap = max_payload - dl;
  for (int i = 0; i < pz->nparts; i++) {
    pl_payload_split s;
    pl_payload_split_init(&s, pz->part_len[i], cap, cap);
    pz->total += s.n;
  }
  pl_payload_split_init(&pz->split, pz->part_len[0], cap, cap);
  return (int)pz->total;
}

int pl_vp8_packetizer_next(pl_vp8_packetizer *pz, uint8_t *out, size_t cap,
                           bool *last) {
  *last = false;
  if (pz->emitted == pz->total)
    return 0;
  if (pz->k == pz->split.n) {
    pz->part++;
    pz->k = pz->off = 0;
    size_t c = pz->max_payload - pl_vp8_desc_len(&pz->desc);
    pl_payload_split_init(&pz->split, pz->part_len[pz->part], c, c);
  }
  size_t sz = pl_payload_split_size(&pz->split, pz->k);
  pl_vp8_desc d = pz->desc;
  d.s = pz->k == 0;
  d.pid = (uint8_t)(pz->part > 7 ? 7 : pz->part);
  int dl = pl_vp8_desc_write(&d, out, cap);
  if (dl < 0)
    return dl;
  if (sz > cap - (size_t)dl)
    return PL_EFULL;
  memcpy(out + dl, pz->data + pz->part_off[pz->part] + pz->off, sz);
  pz->off += sz;
  pz->k++;
  pz->emitted++;
  *last = pz->emitted == pz->total;
  return dl + (int)sz;
}
