/* Wrap-aware comparison and unwrapping of RTP sequence numbers (16 bit) and
 * timestamps (32 bit) into monotone 64-bit values, so that jitter buffers,
 * NACK lists and congestion control can subtract and sort without caring
 * where the counter wrapped. */
#ifndef PL_NET_RTP_UNWRAP_H
#define PL_NET_RTP_UNWRAP_H

#include <stdbool.h>
#include <stdint.h>

/* True when a comes after b modulo 2^16: a forward step of less than half
 * the space. The exact half-way step is broken by value (a > b), so that
 * newer(a, b) and newer(b, a) are never both true or both false for a != b. */
static inline bool pl_seq_newer(uint16_t a, uint16_t b) {
  uint16_t d = (uint16_t)(a - b);
  return d == 0x8000 ? a > b : (d != 0 && d < 0x8000);
}
static inline bool pl_ts_newer(uint32_t a, uint32_t b) {
  uint32_t d = a - b;
  return d == 0x80000000u ? a > b : (d != 0 && d < 0x80000000u);
}
/* Signed distance a - b in (-2^15, 2^15], consistent with pl_seq_newer. */
static inline int32_t pl_seq_diff(uint16_t a, uint16_t b) {
  return pl_seq_newer(a, b) ? (int32_t)(uint16_t)(a - b)
                            : -(int32_t)(uint16_t)(b - a);
}
static inline int64_t pl_ts_diff(uint32_t a, uint32_t b) {
  return pl_ts_newer(a, b) ? (int64_t)(uint32_t)(a - b)
                           : -(int64_t)(uint32_t)(b - a);
}

/* Unwrappers place each new value within half the space of the highest value
 * seen so far, so reordering across the wrap (65535, 1, 0) unwraps to
 * (65535, 65537, 65536). The first value unwraps to itself; values older
 * than it may come out negative. */
typedef struct pl_seq_unwrapper {
  int64_t highest;
  bool started;
} pl_seq_unwrapper;

typedef struct pl_ts_unwrapper {
  int64_t highest;
  bool started;
} pl_ts_unwrapper;

void pl_seq_unwrapper_init(pl_seq_unwrapper *u);
int64_t pl_seq_unwrap(pl_seq_unwrapper *u, uint16_t seq);
/* What pl_seq_unwrap would return, without recording the value. */
int64_t pl_seq_unwrap_peek(const pl_seq_unwrapper *u, uint16_t seq);

void pl_ts_unwrapper_init(pl_ts_unwrapper *u);
int64_t pl_ts_unwrap(pl_ts_unwrapper *u, uint32_t ts);
int64_t pl_ts_unwrap_peek(const pl_ts_unwrapper *u, uint32_t ts);

#endif
