/* Feedback messages with simple FCI lists: PLI and generic NACK (RFC 4585
 * §6.2.1, §6.3.1), FIR (RFC 5104 §4.3.1) and REMB
 * (draft-alvestrand-rmcat-remb-03 §2.2). */
#include <string.h>

#include "base/bytes.h"
#include "net/rtcp/rtcp.h"
#include "net/rtcp/rtcp_priv.h"
#include "parley.h"

int pl_rtcp_fb_header_(pl_rtcp_fb *fb, const pl_rtcp_packet *pkt, uint8_t pt,
                       uint8_t fmt) {
  if (pkt->pt != pt || pkt->count != fmt)
    return PL_EINVAL;
  if (pkt->body_len < 8)
    return PL_ETRUNC;
  fb->sender_ssrc = pl_be32(pkt->body);
  fb->media_ssrc = pl_be32(pkt->body + 4);
  return 0;
}

static int writer_fail(pl_rtcp_writer *w, int err) {
  if (!w->err)
    w->err = err;
  return w->err;
}

int pl_rtcp_pli_parse(pl_rtcp_fb *fb, const pl_rtcp_packet *pkt) {
  int r = pl_rtcp_fb_header_(fb, pkt, PL_RTCP_PSFB, PL_RTCP_PSFB_PLI);
  if (r < 0)
    return r;
  return pkt->body_len == 8 ? 0 : PL_EPARSE;
}

int pl_rtcp_write_pli(pl_rtcp_writer *w, uint32_t sender, uint32_t media) {
  uint8_t *p = pl_rtcp_begin_(w, PL_RTCP_PSFB, PL_RTCP_PSFB_PLI, 8, 0);
  if (!p)
    return w->err;
  pl_put_be32(p, sender);
  pl_put_be32(p + 4, media);
  return 0;
}

/* ---- Generic NACK -------------------------------------------------------- */

int pl_rtcp_nack_parse(pl_rtcp_nack *nack, const pl_rtcp_packet *pkt) {
  int r = pl_rtcp_fb_header_(&nack->fb, pkt, PL_RTCP_RTPFB, PL_RTCP_RTPFB_NACK);
  if (r < 0)
    return r;
  size_t fci = pkt->body_len - 8;
  if (fci == 0 || fci % 4)
    return PL_EPARSE; /* at least one FCI entry (§6.2.1), whole entries */
  nack->fci = pkt->body + 8;
  nack->count = fci / 4;
  return 0;
}

void pl_rtcp_nack_item(const pl_rtcp_nack *nack, size_t i, uint16_t *pid,
                       uint16_t *blp) {
  *pid = pl_be16(nack->fci + i * 4);
  *blp = pl_be16(nack->fci + i * 4 + 2);
}

size_t pl_rtcp_nack_seqs(const pl_rtcp_nack *nack, uint16_t *seqs,
                         size_t cap) {
  size_t total = 0;
  for (size_t i = 0; i < nack->count; i++) {
    uint16_t pid, blp;
    pl_rtcp_nack_item(nack, i, &pid, &blp);
    if (total < cap)
      seqs[total] = pid;
    total++;
    for (unsigned b = 0; b < 16; b++) {
      if (!(blp >> b & 1))
        continue;
      if (total < cap)
        seqs[total] = (uint16_t)(pid + b + 1);
      total++;
    }
  }
  return total;
}

/* Greedy packing: a PID, then every following seq within 16 of it in its
 * BLP. Returns the number of pairs; writes them when out is not NULL. */
static size_t nack_pack(const uint16_t *seqs, size_t n, uint8_t *out) {
  size_t pairs = 0, i = 0;
  while (i < n) {
    uint16_t pid = seqs[i++], blp = 0;
    while (i < n) {
      uint16_t d = (uint16_t)(seqs[i] - pid);
      if (d == 0) { /* repeated seq: already covered */
        i++;
        continue;
      }
      if (d > 16)
        break;
      blp |= (uint16_t)(1u << (d - 1));
      i++;
    }
    if (out) {
      pl_put_be16(out + pairs * 4, pid);
      pl_put_be16(out + pairs * 4 + 2, blp);
    }
    pairs++;
  }
  return pairs;
}

int pl_rtcp_write_nack(pl_rtcp_writer *w, uint32_t sender, uint32_t media,
                       const uint16_t *seqs, size_t n) {
  if (n == 0 || !seqs)
    return writer_fail(w, PL_EINVAL);
  size_t pairs = nack_pack(seqs, n, NULL);
  uint8_t *p = pl_rtcp_begin_(w, PL_RTCP_RTPFB, PL_RTCP_RTPFB_NACK,
                              8 + pairs * 4, 0);
  if (!p)
    return w->err;
  pl_put_be32(p, sender);
  pl_put_be32(p + 4, media);
  nack_pack(seqs, n, p + 8);
  return 0;
}

/* ---- FIR ------------------------------------------------------------------ */

int pl_rtcp_fir_parse(pl_rtcp_fir *fir, const pl_rtcp_packet *pkt) {
  int r = pl_rtcp_fb_header_(&fir->fb, pkt, PL_RTCP_PSFB, PL_RTCP_PSFB_FIR);
  if (r < 0)
    return r;
  size_t fci = pkt->body_len - 8;
  if (fci == 0 || fci % 8)
    return PL_EPARSE;
  fir->fci = pkt->body + 8;
  fir->count = fci / 8;
  return 0;
}

void pl_rtcp_fir_entry(const pl_rtcp_fir *fir, size_t i, uint32_t *ssrc,
                       uint8_t *seq_nr) {
  *ssrc = pl_be32(fir->fci + i * 8);
  *seq_nr = fir->fci[i * 8 + 4];
}

int pl_rtcp_write_fir(pl_rtcp_writer *w, uint32_t sender,
                      const uint32_t *ssrcs, const uint8_t *seq_nrs, size_t n) {
  if (n == 0 || !ssrcs || !seq_nrs)
    return writer_fail(w, PL_EINVAL);
  uint8_t *p =
      pl_rtcp_begin_(w, PL_RTCP_PSFB, PL_RTCP_PSFB_FIR, 8 + n * 8, 0);
  if (!p)
    return w->err;
  pl_put_be32(p, sender);
  pl_put_be32(p + 4, 0); /* RFC 5104 §4.3.1.2: media source SSRC unused */
  for (size_t i = 0; i < n; i++) {
    uint8_t *e = p + 8 + i * 8;
    pl_put_be32(e, ssrcs[i]);
    e[4] = seq_nrs[i];
    e[5] = e[6] = e[7] = 0;
  }
  return 0;
}

/* ---- REMB ------------------------------------------------------------------ */

int pl_rtcp_remb_parse(pl_rtcp_remb *remb, const pl_rtcp_packet *pkt) {
  int r = pl_rtcp_fb_header_(&remb->fb, pkt, PL_RTCP_PSFB, PL_RTCP_PSFB_AFB);
  if (r < 0)
    return r;
  const uint8_t *p = pkt->body + 8;
  size_t n = pkt->body_len - 8;
  if (n < 4 || memcmp(p, "REMB", 4) != 0)
    return PL_ENOENT;
  if (n < 8)
    return PL_ETRUNC;
  uint8_t num = p[4];
  uint8_t exp = p[5] >> 2;
  uint64_t mantissa = pl_be24(p + 5) & 0x3FFFF;
  if (n - 8 < (size_t)num * 4)
    return PL_ETRUNC;
  if (exp > 46 && (mantissa >> (64 - exp)) != 0)
    return PL_ERANGE;
  remb->bitrate_bps = mantissa << exp;
  remb->ssrc_count = num;
  remb->ssrcs = p + 8;
  return 0;
}

uint32_t pl_rtcp_remb_ssrc(const pl_rtcp_remb *remb, size_t i) {
  return pl_be32(remb->ssrcs + i * 4);
}

int pl_rtcp_write_remb(pl_rtcp_writer *w, uint32_t sender, uint64_t bitrate_bps,
                       const uint32_t *ssrcs, size_t n) {
  if (n > 255 || (n && !ssrcs))
    return writer_fail(w, PL_EINVAL);
  uint64_t mantissa = bitrate_bps;
  unsigned exp = 0;
  while (mantissa > 0x3FFFF) {
    mantissa >>= 1;
    exp++;
  }
  uint8_t *p =
      pl_rtcp_begin_(w, PL_RTCP_PSFB, PL_RTCP_PSFB_AFB, 16 + n * 4, 0);
  if (!p)
    return w->err;
  pl_put_be32(p, sender);
  pl_put_be32(p + 4, 0);
  memcpy(p + 8, "REMB", 4);
  p[12] = (uint8_t)n;
  pl_put_be24(p + 13, (uint32_t)(exp << 18 | mantissa));
  for (size_t i = 0; i < n; i++)
    pl_put_be32(p + 16 + i * 4, ssrcs[i]);
  return 0;
}
