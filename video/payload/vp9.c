/* RFC 9628 §4.2 payload descriptor:
 *   I P L F B E V Z | M PictureID(7[+8]) | TID(3) U SID(3) D | TL0PICIDX
 *   (non-flexible) | P_DIFF(7) N (flexible, up to 3) | SS */
#include "video/payload/vp9.h"

#include <string.h>

#include "base/bytes.h"
#include "parley.h"

static int ss_parse(pl_vp9_ss *ss, pl_reader *r) {
  uint8_t b = pl_reader_u8(r);
  ss->n_s = (uint8_t)((b >> 5) + 1);
  ss->y = b & 0x10;
  ss->g = b & 0x08;
  if (ss->y) {
    for (int i = 0; i < ss->n_s; i++) {
      ss->width[i] = pl_reader_be16(r);
      ss->height[i] = pl_reader_be16(r);
    }
  }
  if (ss->g) {
    ss->n_g = pl_reader_u8(r);
    for (int i = 0; i < ss->n_g && !r->bad; i++) {
      uint8_t t = pl_reader_u8(r);
      ss->pg[i].tid = t >> 5;
      ss->pg[i].u = t & 0x10;
      ss->pg[i].r = (t >> 2) & 3;
      for (int k = 0; k < ss->pg[i].r; k++) /* R is 2 bits: at most 3 */
        ss->pg[i].pdiff[k] = pl_reader_u8(r);
    }
  }
  return r->bad ? PL_ETRUNC : 0;
}

int pl_vp9_desc_parse(pl_vp9_desc *d, const uint8_t *p, size_t n) {
  memset(d, 0, sizeof *d);
  pl_reader r;
  pl_reader_init(&r, p, n);
  uint8_t b0 = pl_reader_u8(&r);
  d->i = b0 & 0x80;
  d->p = b0 & 0x40;
  d->l = b0 & 0x20;
  d->f = b0 & 0x10;
  d->b = b0 & 0x08;
  d->e = b0 & 0x04;
  d->v = b0 & 0x02;
  d->z = b0 & 0x01;
  if (r.bad)
    return PL_ETRUNC;
  if (d->f && !d->i)
    return PL_EPARSE; /* flexible references are relative to a picture ID */
  if (d->i) {
    uint8_t a = pl_reader_u8(&r);
    d->pid_15 = a & 0x80;
    d->picture_id = a & 0x7f;
    if (d->pid_15)
      d->picture_id = (uint16_t)((d->picture_id << 8) | pl_reader_u8(&r));
  }
  if (d->l) {
    uint8_t t = pl_reader_u8(&r);
    d->tid = t >> 5;
    d->u = t & 0x10;
    d->sid = (t >> 1) & 7;
    d->d = t & 1;
    if (!d->f)
      d->tl0picidx = pl_reader_u8(&r);
  }
  if (d->f && d->p) {
    bool more = true;
    while (more && !r.bad) {
      if (d->nrefs == PL_VP9_MAX_REFS)
        return PL_EPARSE;
      uint8_t x = pl_reader_u8(&r);
      if (!r.bad && (x >> 1) == 0)
        return PL_EPARSE; /* a picture cannot reference itself */
      d->pdiff[d->nrefs++] = x >> 1;
      more = x & 1;
    }
  }
  if (r.bad)
    return PL_ETRUNC;
  if (d->v) {
    int rc = ss_parse(&d->ss, &r);
    if (rc < 0)
      return rc;
  }
  if (r.bad || pl_reader_left(&r) == 0)
    return PL_ETRUNC;
  return (int)r.off;
}

static size_t ss_len(const pl_vp9_ss *ss) {
  size_t len = 1;
  if (ss->y)
    len += 4u * ss->n_s;
  if (ss->g) {
    len++;
    for (int i = 0; i < ss->n_g; i++)
      len += 1u + ss->pg[i].r;
  }
  return len;
}

size_t pl_vp9_desc_len(const pl_vp9_desc *d) {
  size_t len = 1;
  if (d->i)
    len += d->pid_15 ? 2 : 1;
  if (d->l)
    len += d->f ? 1 : 2;
  if (d->f && d->p)
    len += d->nrefs;
  if (d->v)
    len += ss_len(&d->ss);
  return len;
}

int pl_vp9_desc_write(const pl_vp9_desc *d, uint8_t *out, size_t cap) {
  if (d->f && !d->i)
    return PL_EINVAL;
  if ((d->i && d->picture_id > (d->pid_15 ? 0x7fff : 0x7f)) ||
      (d->l && (d->tid > 7 || d->sid > 7)))
    return PL_ERANGE;
  if (d->f && d->p) {
    if (d->nrefs < 1 || d->nrefs > PL_VP9_MAX_REFS)
      return PL_ERANGE;
    for (int i = 0; i < d->nrefs; i++)
      if (d->pdiff[i] == 0 || d->pdiff[i] > 127)
        return PL_ERANGE;
  }
  if (d->v) {
    if (d->ss.n_s < 1 || d->ss.n_s > PL_VP9_MAX_SPATIAL)
      return PL_ERANGE;
    for (int i = 0; d->ss.g && i < d->ss.n_g; i++)
      if (d->ss.pg[i].tid > 7 || d->ss.pg[i].r > PL_VP9_MAX_REFS)
        return PL_ERANGE;
  }
  size_t len = pl_vp9_desc_len(d);
  if (cap < len)
    return PL_EFULL;
  uint8_t *q = out;
  *q++ = (uint8_t)((d->i << 7) | (d->p << 6) | (d->l << 5) | (d->f << 4) |
                   (d->b << 3) | (d->e << 2) | (d->v << 1) | d->z);
  if (d->i) {
    if (d->pid_15) {
      pl_put_be16(q, (uint16_t)(0x8000 | d->picture_id));
      q += 2;
    } else {
      *q++ = (uint8_t)d->picture_id;
    }
  }
  if (d->l) {
    *q++ = (uint8_t)((d->tid << 5) | (d->u << 4) | (d->sid << 1) | d->d);
    if (!d->f)
      *q++ = d->tl0picidx;
  }
  if (d->f && d->p)
    for (int i = 0; i < d->nrefs; i++)
      *q++ = (uint8_t)((d->pdiff[i] << 1) | (i + 1 < d->nrefs));
  if (d->v) {
    const pl_vp9_ss *ss = &d->ss;
    *q++ = (uint8_t)(((ss->n_s - 1) << 5) | (ss->y << 4) | (ss->g << 3));
    if (ss->y)
      for (int i = 0; i < ss->n_s; i++) {
        pl_put_be16(q, ss->width[i]);
        pl_put_be16(q + 2, ss->height[i]);
        q += 4;
      }
    if (ss->g) {
      *q++ = ss->n_g;
      for (int i = 0; i < ss->n_g; i++) {
        *q++ = (uint8_t)((ss->pg[i].tid << 5) | (ss->pg[i].u << 4) |
                         (ss->pg[i].r << 2));
        for (int k = 0; k < ss->pg[i].r; k++)
          *q++ = ss->pg[i].pdiff[k];
      }
    }
  }
  return (int)len;
}

int pl_vp9_depacketize(pl_video_rtp_info *info, const uint8_t *p, size_t n) {
  memset(info, 0, sizeof *info);
  info->codec = PL_CODEC_VP9;
  info->picture_id = -1;
  info->tl0picidx = -1;
  info->tid = info->sid = -1;
  /* The descriptor with its SS is large; only what the assembler needs
   * is kept. */
  pl_vp9_desc d;
  int dl = pl_vp9_desc_parse(&d, p, n);
  if (dl < 0)
    return dl;
  info->payload = p + dl;
  info->payload_len = n - (size_t)dl;
  if (d.i) {
    info->picture_id = d.picture_id;
    info->picture_id_bits = d.pid_15 ? 15 : 7;
  }
  if (d.l) {
    info->tid = (int8_t)d.tid;
    info->sid = (int8_t)d.sid;
    /* U (switching up point) promises nothing about this frame's own
     * references, so it is not the VP8 Y bit: layer_sync stays false. */
    if (!d.f)
      info->tl0picidx = d.tl0picidx;
  }
  info->inter_predicted = d.p;
  info->flexible = d.f;
  info->nrefs = d.nrefs;
  memcpy(info->pdiff, d.pdiff, sizeof d.pdiff);
  bool base_layer = !d.l || d.sid == 0;
  info->frame_begin = d.b && base_layer;
  info->frame_end = d.e && (!d.l || (d.v && d.sid == d.ss.n_s - 1));
  if (info->frame_begin && !d.p) {
    pl_vpx_header h;
    int rc = pl_vp9_header_parse(&h, info->payload, info->payload_len);
    if (rc == 0) {
      info->key = h.key;
      if (h.has_size) {
        info->width = h.width;
        info->height = h.height;
      }
    } else if (rc == PL_ETRUNC) {
      info->key = true; /* a tiny first fragment: trust P = 0 */
    } else {
      return PL_EPARSE;
    }
  }
  if (d.v && d.ss.y && d.sid < d.ss.n_s) {
    info->width = d.ss.width[d.l ? d.sid : 0];
    info->height = d.ss.height[d.l ? d.sid : 0];
  }
  return 0;
}

int pl_vp9_packetizer_init(pl_vp9_packetizer *pz, const pl_vp9_desc *desc,
                           const uint8_t *frame, size_t len,
                           size_t max_payload) {
  memset(pz, 0, sizeof *pz);
  if (!frame || len == 0)
    return PL_EINVAL;
  pz->desc = *desc;
  pz->data = frame;
  pl_vp9_desc d = *desc;
  d.v = false;
  size_t rest = pl_vp9_desc_len(&d);
  d.v = desc->v;
  size_t first = pl_vp9_desc_len(&d);
  if (max_payload <= first)
    return PL_ERANGE;
  int rc = pl_payload_split_init(&pz->split, len, max_payload - first,
                                 max_payload - rest);
  return rc < 0 ? rc : (int)pz->split.n;
}

int pl_vp9_packetizer_next(pl_vp9_packetizer *pz, uint8_t *out, size_t cap,
                           bool *last) {
  *last = false;
  if (pz->k == pz->split.n)
    return 0;
  size_t sz = pl_payload_split_size(&pz->split, pz->k);
  pl_vp9_desc d = pz->desc;
  d.b = pz->k == 0;
  d.e = pz->k + 1 == pz->split.n;
  d.v = d.v && pz->k == 0;
  int dl = pl_vp9_desc_write(&d, out, cap);
  if (dl < 0)
    return dl;
  if (sz > cap - (size_t)dl)
    return PL_EFULL;
  memcpy(out + dl, pz->data + pz->off, sz);
  pz->off += sz;
  pz->k++;
  *last = d.e;
  return dl + (int)sz;
}
