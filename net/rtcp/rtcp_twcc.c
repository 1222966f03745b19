/* Transport-wide congestion control feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): packet status
 * chunks (run length; 1-bit and 2-bit status vectors) and receive deltas. */
#include <string.h>

#include "base/bytes.h"
#include "net/rtcp/rtcp.h"
#include "net/rtcp/rtcp_priv.h"
#include "parley.h"

/* Status symbols (§3.1.1); 3 is reserved. */
enum { SYM_LOST = 0, SYM_SMALL = 1, SYM_LARGE = 2, SYM_RESERVED = 3 };

#define FIXED 16 /* after the feedback header: base, count, ref, fb count */
#define RUN_MAX 0x1FFF
#define ONE_BIT_CAP 14
#define TWO_BIT_CAP 7

static int32_t sign_extend24(uint32_t v) {
  return (v & 0x800000) ? (int32_t)v - 0x1000000 : (int32_t)v;
}

int pl_rtcp_twcc_parse(pl_rtcp_twcc *t, const pl_rtcp_packet *pkt,
                       pl_twcc_status *out, size_t cap) {
  int r = pl_rtcp_fb_header_(&t->fb, pkt, PL_RTCP_RTPFB, PL_RTCP_RTPFB_TWCC);
  if (r < 0)
    return r;
  if (pkt->body_len < FIXED)
    return PL_ETRUNC;
  const uint8_t *p = pkt->body;
  size_t n = pkt->body_len, off = 16;
  t->base_seq = pl_be16(p + 8);
  t->status_count = pl_be16(p + 10);
  t->ref_time = sign_extend24(pl_be24(p + 12));
  t->fb_count = p[15];
  t->pad_with_p_bit = pkt->padding_len > 0;
  size_t count = t->status_count;
  if (count > cap)
    return PL_EFULL;

  /* Pass 1: chunks. The symbol is parked in delta_us until pass 2. */
  size_t k = 0;
  while (k < count) {
    if (n - off < 2)
      return PL_ETRUNC;
    uint16_t c = pl_be16(p + off);
    off += 2;
    size_t m;
    if (!(c & 0x8000)) {
      unsigned sym = (c >> 13) & 3;
      if (sym == SYM_RESERVED)
        return PL_EPARSE;
      m = c & RUN_MAX;
      if (m > count - k)
        m = count - k;
      for (size_t j = 0; j < m; j++)
        out[k + j].delta_us = (int32_t)sym;
    } else if (!(c & 0x4000)) {
      m = count - k < ONE_BIT_CAP ? count - k : ONE_BIT_CAP;
      for (size_t j = 0; j < m; j++)
        out[k + j].delta_us = (c >> (ONE_BIT_CAP - 1 - j)) & 1;
    } else {
      m = count - k < TWO_BIT_CAP ? count - k : TWO_BIT_CAP;
      for (size_t j = 0; j < m; j++) {
        unsigned sym = (c >> (2 * (TWO_BIT_CAP - 1 - j))) & 3;
        if (sym == SYM_RESERVED)
          return PL_EPARSE;
        out[k + j].delta_us = (int32_t)sym;
      }
    }
    k += m;
  }

  /* Pass 2: one receive delta per received packet, in order. */
  int64_t t_us = (int64_t)t->ref_time * PL_TWCC_REF_US;
  for (size_t i = 0; i < count; i++) {
    int32_t sym = out[i].delta_us;
    out[i].seq = (uint16_t)(t->base_seq + i);
    out[i].received = sym != SYM_LOST;
    out[i].delta_us = 0;
    out[i].recv_us = 0;
    if (sym == SYM_LOST)
      continue;
    int32_t ticks;
    if (sym == SYM_SMALL) {
      if (n - off < 1)
        return PL_ETRUNC;
      ticks = p[off++];
    } else {
      if (n - off < 2)
        return PL_ETRUNC;
      uint16_t v = pl_be16(p + off);
      ticks = v & 0x8000 ? (int32_t)v - 0x10000 : (int32_t)v;
      off += 2;
    }
    out[i].delta_us = ticks * PL_TWCC_DELTA_US;
    t_us += out[i].delta_us;
    out[i].recv_us = t_us;
  }
  /* What follows is zero padding to a word (§3.1); it carries nothing. */
  return (int)count;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int pl_twcc_set_deltas(pl_rtcp_twcc *t, pl_twcc_status *st, size_t n) {
  size_t first = 0;
  while (first < n && !st[first].received)
    first++;
  int64_t ref = first < n ? floor_div(st[first].recv_us, PL_TWCC_REF_US) : 0;
  /* The wire keeps 24 bits; the peer only ever uses differences. */
  uint32_t ref24 = (uint32_t)ref & 0xFFFFFF;
  t->ref_time = sign_extend24(ref24);
  int64_t prev = ref * PL_TWCC_REF_US;
  for (size_t i = 0; i < n; i++) {
    if (!st[i].received) {
      st[i].delta_us = 0;
      st[i].recv_us = 0;
      continue;
    }
    int64_t d = st[i].recv_us - prev;
    int64_t ticks = floor_div(d + PL_TWCC_DELTA_US / 2, PL_TWCC_DELTA_US);
    if (ticks < INT16_MIN || ticks > INT16_MAX)
      return PL_ERANGE;
    st[i].delta_us = (int32_t)(ticks * PL_TWCC_DELTA_US);
    prev += st[i].delta_us;
    st[i].recv_us = prev;
  }
  return 0;
}

/* The chunk encoder keeps the symbols not yet emitted and emits a chunk only
 * when the next symbol cannot join it: a run while all symbols are equal, a
 * 1-bit vector of 14 while none is "large", else a 2-bit vector of the
 * first 7. This is the same policy as libwebrtc's, so its packets
 * round-trip byte-exactly. */
typedef struct chunk_enc {
  uint8_t sym[ONE_BIT_CAP];
  size_t size;
  bool all_same, has_large;
} chunk_enc;

static void enc_clear(chunk_enc *e) {
  e->size = 0;
  e->all_same = true;
  e->has_large = false;
}

static bool enc_can_add(const chunk_enc *e, uint8_t s) {
  if (e->size < TWO_BIT_CAP)
    return true;
  if (e->size < ONE_BIT_CAP && !e->has_large && s != SYM_LARGE)
    return true;
  return e->size < RUN_MAX && e->all_same && e->sym[0] == s;
}

static void enc_add(chunk_enc *e, uint8_t s) {
  if (e->size < ONE_BIT_CAP)
    e->sym[e->size] = s;
  e->all_same = e->all_same && (e->size == 0 || s == e->sym[0]);
  e->has_large = e->has_large || s == SYM_LARGE;
  e->size++;
}

static uint16_t enc_run(const chunk_enc *e) {
  return (uint16_t)(e->sym[0] << 13 | e->size);
}

static uint16_t enc_two_bit(const chunk_enc *e, size_t m) {
  uint16_t c = 0xC000;
  for (size_t i = 0; i < m; i++)
    c |= (uint16_t)(e->sym[i] << (2 * (TWO_BIT_CAP - 1 - i)));
  return c;
}

static uint16_t enc_one_bit(const chunk_enc *e) {
  uint16_t c = 0x8000;
  for (size_t i = 0; i < e->size; i++)
    c |= (uint16_t)(e->sym[i] << (ONE_BIT_CAP - 1 - i));
  return c;
}

static uint16_t enc_emit(chunk_enc *e) {
  uint16_t c;
  if (e->all_same) {
    c = enc_run(e);
    enc_clear(e);
    return c;
  }
  if (e->size == ONE_BIT_CAP) {
    c = enc_one_bit(e);
    enc_clear(e);
    return c;
  }
  /* Mixed with a large delta: send the first 7 and keep the rest. */
  c = enc_two_bit(e, TWO_BIT_CAP);
  size_t rest = e->size - TWO_BIT_CAP;
  uint8_t keep[ONE_BIT_CAP];
  memcpy(keep, e->sym + TWO_BIT_CAP, rest);
  enc_clear(e);
  for (size_t i = 0; i < rest; i++)
    enc_add(e, keep[i]);
  return c;
}

static uint16_t enc_last(const chunk_enc *e) {
  if (e->all_same)
    return enc_run(e);
  if (e->size <= TWO_BIT_CAP)
    return enc_two_bit(e, e->size);
  return enc_one_bit(e);
}

static int symbol_of(const pl_twcc_status *s, uint8_t *sym) {
  if (!s->received) {
    *sym = SYM_LOST;
    return 0;
  }
  if (s->delta_us % PL_TWCC_DELTA_US)
    return PL_EINVAL;
  int32_t ticks = s->delta_us / PL_TWCC_DELTA_US;
  if (ticks >= 0 && ticks <= 255)
    *sym = SYM_SMALL;
  else if (ticks >= INT16_MIN && ticks <= INT16_MAX)
    *sym = SYM_LARGE;
  else
    return PL_ERANGE;
  return 0;
}

/* Encodes chunks into out (when not NULL) and returns the number of chunks,
 * or a negative error. */
static long encode_chunks(const pl_twcc_status *st, size_t n, uint8_t *out) {
  chunk_enc e;
  enc_clear(&e);
  long chunks = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t s;
    int r = symbol_of(&st[i], &s);
    if (r < 0)
      return r;
    if (!enc_can_add(&e, s)) {
      uint16_t c = enc_emit(&e);
      if (out)
        pl_put_be16(out + chunks * 2, c);
      chunks++;
    }
    enc_add(&e, s);
  }
  if (e.size) {
    if (out)
      pl_put_be16(out + chunks * 2, enc_last(&e));
    chunks++;
  }
  return chunks;
}

int pl_rtcp_write_twcc(pl_rtcp_writer *w, const pl_rtcp_twcc *t,
                       const pl_twcc_status *st, size_t n) {
  if (w->err)
    return w->err;
  if (n > 0xFFFF || (n && !st) || t->ref_time < -0x800000 ||
      t->ref_time > 0x7FFFFF) {
    w->err = PL_EINVAL;
    return w->err;
  }
  size_t deltas = 0;
  for (size_t i = 0; i < n; i++) {
    if (st[i].seq != (uint16_t)(t->base_seq + i)) {
      w->err = PL_EINVAL;
      return w->err;
    }
    uint8_t s;
    int r = symbol_of(&st[i], &s);
    if (r < 0) {
      w->err = r;
      return r;
    }
    deltas += s == SYM_SMALL ? 1 : s == SYM_LARGE ? 2 : 0;
  }
  long chunks = encode_chunks(st, n, NULL);
  size_t used = FIXED + (size_t)chunks * 2 + deltas;
  size_t pad = (4 - used % 4) % 4;
  uint8_t *p = pl_rtcp_begin_(w, PL_RTCP_RTPFB, PL_RTCP_RTPFB_TWCC,
                              t->pad_with_p_bit ? used : used + pad,
                              t->pad_with_p_bit ? pad : 0);
  if (!p)
    return w->err;
  pl_put_be32(p, t->fb.sender_ssrc);
  pl_put_be32(p + 4, t->fb.media_ssrc);
  pl_put_be16(p + 8, t->base_seq);
  pl_put_be16(p + 10, (uint16_t)n);
  pl_put_be24(p + 12, (uint32_t)t->ref_time & 0xFFFFFF);
  p[15] = t->fb_count;
  encode_chunks(st, n, p + FIXED);
  size_t off = FIXED + (size_t)chunks * 2;
  for (size_t i = 0; i < n; i++) {
    if (!st[i].received)
      continue;
    int32_t ticks = st[i].delta_us / PL_TWCC_DELTA_US;
    if (ticks >= 0 && ticks <= 255) {
      p[off++] = (uint8_t)ticks;
    } else {
      pl_put_be16(p + off, (uint16_t)ticks);
      off += 2;
    }
  }
  if (!t->pad_with_p_bit)
    memset(p + off, 0, pad);
  return 0;
}
