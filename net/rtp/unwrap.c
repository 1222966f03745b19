/* Sequence-number and timestamp unwrapping; see unwrap.h. */
#include "net/rtp/unwrap.h"

void pl_seq_unwrapper_init(pl_seq_unwrapper *u) {
  u->highest = 0;
  u->started = false;
}

int64_t pl_seq_unwrap_peek(const pl_seq_unwrapper *u, uint16_t seq) {
  if (!u->started)
    return seq;
  return u->highest + pl_seq_diff(seq, (uint16_t)u->highest);
}

int64_t pl_seq_unwrap(pl_seq_unwrapper *u, uint16_t seq) {
  int64_t v = pl_seq_unwrap_peek(u, seq);
  if (!u->started || v > u->highest)
    u->highest = v;
  u->started = true;
  return v;
}

void pl_ts_unwrapper_init(pl_ts_unwrapper *u) {
  u->highest = 0;
  u->started = false;
}

int64_t pl_ts_unwrap_peek(const pl_ts_unwrapper *u, uint32_t ts) {
  if (!u->started)
    return ts;
  return u->highest + pl_ts_diff(ts, (uint32_t)u->highest);
}

int64_t pl_ts_unwrap(pl_ts_unwrapper *u, uint32_t ts) {
  int64_t v = pl_ts_unwrap_peek(u, ts);
  if (!u->started || v > u->highest)
    u->highest = v;
  u->started = true;
  return v;
}
