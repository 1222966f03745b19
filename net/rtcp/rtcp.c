/* RTCP compound iteration and validation (RFC 3550 §6.1, A.2), SR/RR/SDES/BYE
 * parsers and writers, and the compound writer itself. Feedback messages are
 * in rtcp_fb.c and rtcp_twcc.c. */
#include <string.h>

#include "base/bytes.h"
#include "net/rtcp/rtcp.h"
#include "net/rtcp/rtcp_priv.h"
#include "parley.h"

void pl_rtcp_iter_init(pl_rtcp_iter *it, const uint8_t *p, size_t n) {
  it->p = p;
  it->n = p ? n : 0;
  it->off = 0;
}

static int iter_fail(pl_rtcp_iter *it, int err) {
  it->off = it->n;
  return err;
}

int pl_rtcp_iter_next(pl_rtcp_iter *it, pl_rtcp_packet *pkt) {
  size_t left = it->n - it->off;
  if (left == 0)
    return 0;
  if (left < PL_RTCP_HEADER)
    return iter_fail(it, PL_ETRUNC);
  const uint8_t *p = it->p + it->off;
  if ((p[0] >> 6) != 2)
    return iter_fail(it, PL_EPARSE);
  size_t len = ((size_t)pl_be16(p + 2) + 1) * 4;
  if (len > left)
    return iter_fail(it, PL_ETRUNC);
  bool padded = (p[0] >> 5) & 1;
  size_t pad = 0;
  if (padded) {
    /* Padding is for the encryption of the whole compound, so only its last
     * packet may carry it (RFC 3550 §6.4.1, A.2). */
    if (len != left)
      return iter_fail(it, PL_EPARSE);
    pad = p[len - 1];
    if (pad == 0 || pad > len - PL_RTCP_HEADER)
      return iter_fail(it, PL_EPARSE);
  }
  pkt->pt = p[1];
  pkt->count = p[0] & 0x1F;
  pkt->padding_len = (uint8_t)pad;
  pkt->data = p;
  pkt->len = len - pad;
  pkt->body = p + PL_RTCP_HEADER;
  pkt->body_len = len - pad - PL_RTCP_HEADER;
  it->off += len;
  return 1;
}

int pl_rtcp_validate(const uint8_t *p, size_t n, bool reduced_size) {
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  int r, count = 0;
  if (n == 0)
    return PL_ETRUNC;
  pl_rtcp_iter_init(&it, p, n);
  while ((r = pl_rtcp_iter_next(&it, &pkt)) > 0) {
    if (count == 0 && !reduced_size && pkt.pt != PL_RTCP_SR &&
        pkt.pt != PL_RTCP_RR)
      return PL_EPARSE;
    if (count < INT32_MAX)
      count++;
  }
  return r < 0 ? r : count;
}

/* ---- SR / RR ---------------------------------------------------------------- */

#define REPORT_BLOCK 24
#define SENDER_INFO 20

static void read_block(pl_rtcp_report_block *b, const uint8_t *p) {
  b->ssrc = pl_be32(p);
  b->fraction_lost = p[4];
  uint32_t lost = pl_be24(p + 5);
  b->cumulative_lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000
                                         : (int32_t)lost;
  b->ext_highest_seq = pl_be32(p + 8);
  b->jitter = pl_be32(p + 12);
  b->lsr = pl_be32(p + 16);
  b->dlsr = pl_be32(p + 20);
}

static void write_block(uint8_t *p, const pl_rtcp_report_block *b) {
  int32_t lost = b->cumulative_lost;
  if (lost > 0x7FFFFF)
    lost = 0x7FFFFF;
  if (lost < -0x800000)
    lost = -0x800000;
  pl_put_be32(p, b->ssrc);
  p[4] = b->fraction_lost;
  pl_put_be24(p + 5, (uint32_t)lost & 0xFFFFFF);
  pl_put_be32(p + 8, b->ext_highest_seq);
  pl_put_be32(p + 12, b->jitter);
  pl_put_be32(p + 16, b->lsr);
  pl_put_be32(p + 20, b->dlsr);
}

int pl_rtcp_sr_parse(pl_rtcp_sr *sr, const pl_rtcp_packet *pkt) {
  if (pkt->pt != PL_RTCP_SR)
    return PL_EINVAL;
  if (pkt->body_len < 4 + SENDER_INFO + (size_t)pkt->count * REPORT_BLOCK)
    return PL_ETRUNC;
  const uint8_t *p = pkt->body;
  sr->ssrc = pl_be32(p);
  sr->ntp = pl_be64(p + 4);
  sr->rtp_ts = pl_be32(p + 12);
  sr->packet_count = pl_be32(p + 16);
  sr->octet_count = pl_be32(p + 20);
  sr->report_count = pkt->count;
  for (unsigned i = 0; i < pkt->count; i++)
    read_block(&sr->reports[i], p + 24 + i * REPORT_BLOCK);
  return 0;
}

int pl_rtcp_rr_parse(pl_rtcp_rr *rr, const pl_rtcp_packet *pkt) {
  if (pkt->pt != PL_RTCP_RR)
    return PL_EINVAL;
  if (pkt->body_len < 4 + (size_t)pkt->count * REPORT_BLOCK)
    return PL_ETRUNC;
  rr->ssrc = pl_be32(pkt->body);
  rr->report_count = pkt->count;
  for (unsigned i = 0; i < pkt->count; i++)
    read_block(&rr->reports[i], pkt->body + 4 + i * REPORT_BLOCK);
  return 0;
}

/* ---- SDES / BYE ------------------------------------------------------------- */

int pl_rtcp_sdes_parse(pl_rtcp_sdes *sdes, const pl_rtcp_packet *pkt) {
  if (pkt->pt != PL_RTCP_SDES)
    return PL_EINVAL;
  const uint8_t *p = pkt->body;
  size_t n = pkt->body_len, off = 0;
  sdes->count = pkt->count;
  for (unsigned c = 0; c < pkt->count; c++) {
    pl_rtcp_sdes_chunk *ch = &sdes->chunks[c];
    if (n - off < 4)
      return PL_ETRUNC;
    ch->ssrc = pl_be32(p + off);
    ch->cname = NULL;
    ch->cname_len = 0;
    off += 4;
    for (;;) {
      if (off >= n)
        return PL_EPARSE; /* no terminating null octet */
      uint8_t type = p[off];
      if (type == 0)
        break;
      if (n - off < 2 || n - off - 2 < p[off + 1])
        return PL_EPARSE;
      uint8_t ilen = p[off + 1];
      if (type == PL_RTCP_SDES_CNAME && !ch->cname) {
        ch->cname = p + off + 2;
        ch->cname_len = ilen;
      }
      off += 2 + (size_t)ilen;
    }
    /* The null octet, then more nulls up to the next word (§6.5). Chunks
     * start on words, and the body starts on one too. */
    off = (off + 4) & ~(size_t)3;
    if (off > n)
      return PL_EPARSE;
  }
  return 0;
}

int pl_rtcp_bye_parse(pl_rtcp_bye *bye, const pl_rtcp_packet *pkt) {
  if (pkt->pt != PL_RTCP_BYE)
    return PL_EINVAL;
  size_t off = (size_t)pkt->count * 4;
  if (pkt->body_len < off)
    return PL_ETRUNC;
  bye->count = pkt->count;
  for (unsigned i = 0; i < pkt->count; i++)
    bye->ssrcs[i] = pl_be32(pkt->body + i * 4);
  bye->reason = NULL;
  bye->reason_len = 0;
  if (pkt->body_len > off) {
    uint8_t rlen = pkt->body[off];
    if (pkt->body_len - off - 1 < rlen)
      return PL_ETRUNC;
    bye->reason = pkt->body + off + 1;
    bye->reason_len = rlen;
  }
  return 0;
}

int pl_rtcp_app_parse(pl_rtcp_app *app, const pl_rtcp_packet *pkt) {
  if (pkt->pt != PL_RTCP_APP)
    return PL_EINVAL;
  if (pkt->body_len < 8)
    return PL_ETRUNC;
  if ((pkt->body_len - 8) % 4)
    return PL_EPARSE;
  app->subtype = pkt->count;
  app->ssrc = pl_be32(pkt->body);
  memcpy(app->name, pkt->body + 4, 4);
  app->data = pkt->body + 8;
  app->len = pkt->body_len - 8;
  return 0;
}

/* ---- Writer ----------------------------------------------------------------- */

void pl_rtcp_writer_init(pl_rtcp_writer *w, uint8_t *buf, size_t cap,
                         bool reduced_size) {
  w->buf = buf;
  w->cap = buf ? cap : 0;
  w->len = 0;
  w->err = 0;
  w->packets = 0;
  w->reduced_size = reduced_size;
  w->has_cname = false;
  w->closed = false;
}

static int fail(pl_rtcp_writer *w, int err) {
  if (!w->err)
    w->err = err;
  return w->err;
}

uint8_t *pl_rtcp_begin_(pl_rtcp_writer *w, uint8_t pt, uint8_t count,
                        size_t body, size_t pad) {
  if (w->err)
    return NULL;
  if (w->closed) {
    fail(w, PL_ESTATE);
    return NULL;
  }
  if (w->packets == 0 && !w->reduced_size && pt != PL_RTCP_SR &&
      pt != PL_RTCP_RR) {
    fail(w, PL_ESTATE);
    return NULL;
  }
  size_t total = PL_RTCP_HEADER + body + pad;
  if (total % 4 || count > PL_RTCP_MAX_COUNT || pad > 255 ||
      total / 4 - 1 > 0xFFFF) {
    fail(w, PL_ERANGE);
    return NULL;
  }
  if (w->cap - w->len < total) {
    fail(w, PL_EFULL);
    return NULL;
  }
  uint8_t *p = w->buf + w->len;
  p[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | count);
  p[1] = pt;
  pl_put_be16(p + 2, (uint16_t)(total / 4 - 1));
  if (pad) {
    memset(p + PL_RTCP_HEADER + body, 0, pad - 1);
    p[total - 1] = (uint8_t)pad;
    w->closed = true;
  }
  w->len += total;
  w->packets++;
  return p + PL_RTCP_HEADER;
}

int pl_rtcp_writer_finish(pl_rtcp_writer *w) {
  if (w->err)
    return w->err;
  if (w->packets == 0)
    return fail(w, PL_ESTATE);
  if (!w->reduced_size && !w->has_cname)
    return fail(w, PL_ESTATE);
  return (int)w->len;
}

int pl_rtcp_write_sr(pl_rtcp_writer *w, const pl_rtcp_sr *sr) {
  if (sr->report_count > PL_RTCP_MAX_COUNT)
    return fail(w, PL_EINVAL);
  uint8_t *p = pl_rtcp_begin_(w, PL_RTCP_SR, sr->report_count,
                              4 + SENDER_INFO +
                                  (size_t)sr->report_count * REPORT_BLOCK,
                              0);
  if (!p)
    return w->err;
  pl_put_be32(p, sr->ssrc);
  pl_put_be64(p + 4, sr->ntp);
  pl_put_be32(p + 12, sr->rtp_ts);
  pl_put_be32(p + 16, sr->packet_count);
  pl_put_be32(p + 20, sr->octet_count);
  for (unsigned i = 0; i < sr->report_count; i++)
    write_block(p + 24 + i * REPORT_BLOCK, &sr->reports[i]);
  return 0;
}

int pl_rtcp_write_rr(pl_rtcp_writer *w, const pl_rtcp_rr *rr) {
  if (rr->report_count > PL_RTCP_MAX_COUNT)
    return fail(w, PL_EINVAL);
  uint8_t *p = pl_rtcp_begin_(w, PL_RTCP_RR, rr->report_count,
                              4 + (size_t)rr->report_count * REPORT_BLOCK, 0);
  if (!p)
    return w->err;
  pl_put_be32(p, rr->ssrc);
  for (unsigned i = 0; i < rr->report_count; i++)
    write_block(p + 4 + i * REPORT_BLOCK, &rr->reports[i]);
  return 0;
}

int pl_rtcp_write_sdes(pl_rtcp_writer *w, const pl_rtcp_sdes_chunk *chunks,
                       size_t n) {
  if (n > PL_RTCP_MAX_COUNT || (n && !chunks))
    return fail(w, PL_EINVAL);
  size_t body = 0;
  bool cname = false;
  for (size_t i = 0; i < n; i++) {
    if (chunks[i].cname_len && !chunks[i].cname)
      return fail(w, PL_EINVAL);
    cname |= chunks[i].cname != NULL;
    /* SSRC, the item (if any), then 1-4 null octets to the next word. */
    size_t items = chunks[i].cname ? 2 + (size_t)chunks[i].cname_len : 0;
    body += 4 + ((items + 4) & ~(size_t)3);
  }
  uint8_t *p = pl_rtcp_begin_(w, PL_RTCP_SDES, (uint8_t)n, body, 0);
  if (!p)
    return w->err;
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    pl_put_be32(p + off, chunks[i].ssrc);
    off += 4;
    size_t start = off;
    if (chunks[i].cname) {
      p[off] = PL_RTCP_SDES_CNAME;
      p[off + 1] = chunks[i].cname_len;
      memcpy(p + off + 2, chunks[i].cname, chunks[i].cname_len);
      off += 2 + (size_t)chunks[i].cname_len;
    }
    size_t end = start + (((off - start) + 4) & ~(size_t)3);
    memset(p + off, 0, end - off);
    off = end;
  }
  w->has_cname |= cname;
  return 0;
}

int pl_rtcp_write_app(pl_rtcp_writer *w, uint8_t subtype, uint32_t ssrc, const char name[4],
                      const uint8_t *data, size_t len) {
  if (!name || (len && !data))
    return fail(w, PL_EINVAL);
  if (subtype > PL_RTCP_MAX_COUNT || len % 4)
    return fail(w, PL_ERANGE);
  uint8_t *p = pl_rtcp_begin_(w, PL_RTCP_APP, subtype, 8 + len, 0);
  if (!p)
    return w->err;
  pl_put_be32(p, ssrc);
  memcpy(p + 4, name, 4);
  if (len)
    memcpy(p + 8, data, len);
  return 0;
}

int pl_rtcp_write_bye(pl_rtcp_writer *w, const uint32_t *ssrcs, size_t n,
                      const char *reason) {
  size_t rlen = reason ? strlen(reason) : 0;
  if (n > PL_RTCP_MAX_COUNT || (n && !ssrcs))
    return fail(w, PL_EINVAL);
  if (rlen > 255)
    return fail(w, PL_ERANGE);
  size_t body = n * 4 + (rlen ? (rlen + 1 + 3) & ~(size_t)3 : 0);
  uint8_t *p = pl_rtcp_begin_(w, PL_RTCP_BYE, (uint8_t)n, body, 0);
  if (!p)
    return w->err;
  for (size_t i = 0; i < n; i++)
    pl_put_be32(p + i * 4, ssrcs[i]);
  if (rlen) {
    uint8_t *r = p + n * 4;
    r[0] = (uint8_t)rlen;
    memcpy(r + 1, reason, rlen);
    memset(r + 1 + rlen, 0, body - n * 4 - 1 - rlen);
  }
  return 0;
}
