/* RFC 8285 header-extension elements: iteration over both forms, a builder
 * that picks the form, and the WebRTC elements (abs-send-time,
 * transport-wide sequence number, RFC 6464 audio level, mid). */
#include <string.h>

#include "base/bytes.h"
#include "net/rtp/rtp.h"
#include "parley.h"

int pl_rtp_ext_iter_init(pl_rtp_ext_iter *it, const pl_rtp_header *h) {
  if (!it || !h)
    return PL_EINVAL;
  it->p = h->ext;
  it->n = h->ext_len;
  it->off = 0;
  it->two_byte = false;
  if (!h->extension)
    return PL_ENOENT;
  if (h->ext_profile == PL_RTP_EXT_ONE_BYTE)
    return 0;
  if ((h->ext_profile & PL_RTP_EXT_TWO_BYTE_MASK) == PL_RTP_EXT_TWO_BYTE) {
    it->two_byte = true;
    return 0;
  }
  it->n = 0;
  return PL_ENOTSUP;
}

int pl_rtp_ext_next(pl_rtp_ext_iter *it, pl_rtp_ext *e) {
  while (it->off < it->n) {
    uint8_t b = it->p[it->off];
    if (b == 0 || (!it->two_byte && (b >> 4) == 0)) {
      /* Padding byte (§4.1); a one-byte ID 0 has no length to honour. */
      it->off++;
      continue;
    }
    if (!it->two_byte) {
      uint8_t id = b >> 4;
      if (id == 15) { /* §4.2: stop, keep what came before */
        it->off = it->n;
        return 0;
      }
      size_t len = (size_t)(b & 0x0F) + 1;
      if (it->n - it->off - 1 < len) {
        it->off = it->n;
        return PL_EPARSE;
      }
      e->id = id;
      e->len = (uint8_t)len;
      e->data = it->p + it->off + 1;
      it->off += 1 + len;
      return 1;
    }
    if (it->n - it->off < 2) {
      it->off = it->n;
      return PL_EPARSE;
    }
    size_t len = it->p[it->off + 1];
    if (it->n - it->off - 2 < len) {
      it->off = it->n;
      return PL_EPARSE;
    }
    e->id = b;
    e->len = (uint8_t)len;
    e->data = it->p + it->off + 2;
    it->off += 2 + len;
    return 1;
  }
  return 0;
}

int pl_rtp_ext_find(const pl_rtp_header *h, uint8_t id, pl_rtp_ext *e) {
  pl_rtp_ext_iter it;
  int r = pl_rtp_ext_iter_init(&it, h);
  if (r < 0)
    return r;
  while ((r = pl_rtp_ext_next(&it, e)) > 0)
    if (e->id == id)
      return 0;
  return r < 0 ? r : PL_ENOENT;
}

int pl_rtp_ext_abs_send_time(const pl_rtp_ext *e, uint32_t *ast24) {
  if (e->len != 3)
    return PL_EPARSE;
  *ast24 = pl_be24(e->data);
  return 0;
}

int pl_rtp_ext_transport_seq(const pl_rtp_ext *e, uint16_t *seq) {
  if (e->len != 2)
    return PL_EPARSE;
  *seq = pl_be16(e->data);
  return 0;
}

int pl_rtp_ext_audio_level(const pl_rtp_ext *e, bool *voice, uint8_t *level) {
  if (e->len != 1)
    return PL_EPARSE;
  *voice = e->data[0] >> 7;
  *level = e->data[0] & 0x7F;
  return 0;
}

int pl_rtp_ext_mid(const pl_rtp_ext *e, char *out, size_t cap) {
  if (e->len == 0)
    return PL_EPARSE;
  if (cap < (size_t)e->len + 1)
    return PL_EFULL;
  memcpy(out, e->data, e->len);
  out[e->len] = '\0';
  return 0;
}

#define AST_PERIOD_US 64000000LL /* 2^24 units of 2^-18 s */

uint32_t pl_abs_send_time_from_us(pl_time_us t) {
  int64_t r = t % AST_PERIOD_US;
  if (r < 0)
    r += AST_PERIOD_US;
  /* r < 2^26, so r << 18 fits comfortably in 64 bits. */
  return (uint32_t)((((uint64_t)r << 18) + 500000) / 1000000) & 0xFFFFFF;
}

pl_time_us pl_abs_send_time_to_us(uint32_t ast24) {
  return (pl_time_us)((((uint64_t)(ast24 & 0xFFFFFF)) * 1000000 +
                       (1u << 17)) >> 18);
}

void pl_rtp_ext_builder_init(pl_rtp_ext_builder *b) {
  b->count = 0;
  b->used = 0;
}

int pl_rtp_ext_add(pl_rtp_ext_builder *b, uint8_t id, const void *data,
                   size_t len) {
  if (id == 0 || (len && !data))
    return PL_EINVAL;
  if (len > 255)
    return PL_ERANGE;
  for (unsigned i = 0; i < b->count; i++)
    if (b->el[i].id == id)
      return PL_EINVAL;
  if (b->count == PL_RTP_EXT_MAX_ELEMS ||
      (size_t)(PL_RTP_EXT_MAX_DATA - b->used) < len)
    return PL_EFULL;
  b->el[b->count].id = id;
  b->el[b->count].len = (uint8_t)len;
  b->el[b->count].off = b->used;
  if (len)
    memcpy(b->data + b->used, data, len);
  b->used = (uint16_t)(b->used + len);
  b->count++;
  return 0;
}

int pl_rtp_ext_add_abs_send_time(pl_rtp_ext_builder *b, uint8_t id,
                                 uint32_t ast24) {
  uint8_t v[3];
  pl_put_be24(v, ast24 & 0xFFFFFF);
  return pl_rtp_ext_add(b, id, v, 3);
}

int pl_rtp_ext_add_transport_seq(pl_rtp_ext_builder *b, uint8_t id,
                                 uint16_t seq) {
  uint8_t v[2];
  pl_put_be16(v, seq);
  return pl_rtp_ext_add(b, id, v, 2);
}

int pl_rtp_ext_add_audio_level(pl_rtp_ext_builder *b, uint8_t id, bool voice,
                               uint8_t level) {
  if (level > 127)
    return PL_ERANGE;
  uint8_t v = (uint8_t)((voice ? 0x80 : 0) | level);
  return pl_rtp_ext_add(b, id, &v, 1);
}

int pl_rtp_ext_add_mid(pl_rtp_ext_builder *b, uint8_t id, const char *mid) {
  size_t len = mid ? strlen(mid) : 0;
  if (len == 0)
    return PL_EINVAL;
  return pl_rtp_ext_add(b, id, mid, len);
}

bool pl_rtp_ext_builder_two_byte(const pl_rtp_ext_builder *b) {
  for (unsigned i = 0; i < b->count; i++)
    if (b->el[i].id > 14 || b->el[i].len > 16 || b->el[i].len == 0)
      return true;
  return false;
}

size_t pl_rtp_ext_builder_len(const pl_rtp_ext_builder *b) {
  if (b->count == 0)
    return 0;
  size_t per = pl_rtp_ext_builder_two_byte(b) ? 2 : 1;
  size_t n = (size_t)b->count * per + b->used;
  return (n + 3) & ~(size_t)3;
}

int pl_rtp_ext_build(const pl_rtp_ext_builder *b, uint8_t *out, size_t cap,
                     uint16_t *profile) {
  size_t total = pl_rtp_ext_builder_len(b);
  if (total > cap)
    return PL_EFULL;
  bool two = pl_rtp_ext_builder_two_byte(b);
  size_t off = 0;
  for (unsigned i = 0; i < b->count; i++) {
    uint8_t len = b->el[i].len;
    if (two) {
      out[off++] = b->el[i].id;
      out[off++] = len;
    } else {
      out[off++] = (uint8_t)(b->el[i].id << 4 | (len - 1));
    }
    memcpy(out + off, b->data + b->el[i].off, len);
    off += len;
  }
  memset(out + off, 0, total - off);
  if (profile)
    *profile = two ? PL_RTP_EXT_TWO_BYTE : PL_RTP_EXT_ONE_BYTE;
  return (int)total;
}
