/* Big-endian (network order) and little-endian loads and stores. Every wire
 * parser uses these instead of its own shifts, and checks lengths first. */
#ifndef PL_BASE_BYTES_H
#define PL_BASE_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t pl_be16(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t pl_be24(const uint8_t *p) {
  return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}
static inline uint32_t pl_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t pl_be64(const uint8_t *p) {
  return ((uint64_t)pl_be32(p) << 32) | pl_be32(p + 4);
}
static inline void pl_put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void pl_put_be24(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 16);
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)v;
}
static inline void pl_put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static inline void pl_put_be64(uint8_t *p, uint64_t v) {
  pl_put_be32(p, (uint32_t)(v >> 32));
  pl_put_be32(p + 4, (uint32_t)v);
}
static inline uint16_t pl_le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t pl_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}
static inline uint64_t pl_le64(const uint8_t *p) {
  return (uint64_t)pl_le32(p) | ((uint64_t)pl_le32(p + 4) << 32);
}
static inline void pl_put_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void pl_put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline void pl_put_le64(uint8_t *p, uint64_t v) {
  pl_put_le32(p, (uint32_t)v);
  pl_put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline float pl_le_f32(const uint8_t *p) {
  uint32_t u = pl_le32(p);
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static inline void pl_put_le_f32(uint8_t *p, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  pl_put_le32(p, u);
}

/* A bounded reader: every get fails (returns 0 and sets `bad`) once it would
 * run past the end, so parsers check `bad` once instead of at every field. */
typedef struct pl_reader {
  const uint8_t *p;
  size_t n, off;
  int bad;
} pl_reader;

static inline void pl_reader_init(pl_reader *r, const uint8_t *p, size_t n) {
  r->p = p;
  r->n = n;
  r->off = 0;
  r->bad = 0;
}
static inline size_t pl_reader_left(const pl_reader *r) {
  return r->bad ? 0 : r->n - r->off;
}
static inline const uint8_t *pl_reader_take(pl_reader *r, size_t k) {
  if (r->bad || r->n - r->off < k) {
    r->bad = 1;
    return NULL;
  }
  const uint8_t *q = r->p + r->off;
  r->off += k;
  return q;
}
static inline uint8_t pl_reader_u8(pl_reader *r) {
  const uint8_t *q = pl_reader_take(r, 1);
  return q ? q[0] : 0;
}
static inline uint16_t pl_reader_be16(pl_reader *r) {
  const uint8_t *q = pl_reader_take(r, 2);
  return q ? pl_be16(q) : 0;
}
static inline uint32_t pl_reader_be32(pl_reader *r) {
  const uint8_t *q = pl_reader_take(r, 4);
  return q ? pl_be32(q) : 0;
}

#endif
