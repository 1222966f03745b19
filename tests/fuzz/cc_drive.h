/* The driver shared by the congestion-controller fuzz targets: a controller
 * behind pl_cc_ctl_ops fed arbitrary sequences of feedback (any send and
 * receive times, sizes, losses, probe ids, sequence numbers), RTTs, RTCP
 * loss fractions (NaN and out of range included), REMB, sent packets and
 * timeouts, on a clock that may go backwards; `extra`, when given, is one
 * more operation of the controller's own. Traps if the target leaves
 * [min, max], a number is not finite, or a probe exceeds max. */
#ifndef PL_TESTS_FUZZ_CC_DRIVE_H
#define PL_TESTS_FUZZ_CC_DRIVE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/cc/cc.h"

typedef struct {
  const uint8_t *p;
  size_t n, off;
} input;

static uint64_t take(input *in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++)
    v = (v << 8) | (in->off < in->n ? in->p[in->off++] : 0);
  return v;
}

/* a + b wrapping: the times this driver makes are anything at all, and
 * their arithmetic must not itself be undefined (UBSan flagged it). */
static pl_time_us wrap_add(pl_time_us a, int64_t b) {
  return (pl_time_us)((uint64_t)a + (uint64_t)b);
}

/* A time: mostly small steps from `base`, sometimes anything at all. */
static pl_time_us take_time(input *in, pl_time_us base) {
  unsigned kind = (unsigned)take(in, 1);
  if (kind < 200)
    return wrap_add(base, (pl_time_us)take(in, 2) * 10 - 5000);
  if (kind < 250)
    return wrap_add(base, (pl_time_us)(int32_t)take(in, 4) * 16);
  return (pl_time_us)take(in, 8);
}

static void check(const pl_cc_ctl_ops *O, void *g, uint64_t min, uint64_t max) {
  pl_cc_target t;
  O->get_target(g, &t);
  if (t.target_bps < min || t.target_bps > max || t.pacing_bps < t.target_bps)
    abort();
  if (t.delay_based_bps < min || t.delay_based_bps > max)
    abort();
  if (!isfinite(t.loss) || t.loss < 0 || t.loss > 1 || t.rtt < 0)
    abort();
}

static int cc_drive(const pl_cc_ctl_ops *O, void (*extra)(void *ctl, uint64_t v),
                    const uint8_t *data, size_t size) {
  input in = {data, size, 0};
  static pl_cc_packet pk[PL_CC_FEEDBACK_MAX + 8];
  pl_cc_config cfg;
  pl_cc_config_init(&cfg);
  cfg.min_bps = take(&in, 3);
  cfg.max_bps = take(&in, 4);
  cfg.start_bps = take(&in, 4);
  void *g = O->create(&cfg, (pl_time_us)take(&in, 4));
  if (!g)
    return 0;
  /* What the controllers make of zeros and a max under the min. */
  uint64_t min = cfg.min_bps ? cfg.min_bps : 30000;
  uint64_t max = cfg.max_bps ? cfg.max_bps : 10000000;
  if (max < min)
    max = min;
  pl_time_us now = 0;
  int64_t seq = 0;
  while (in.off < in.n) {
    unsigned op = (unsigned)take(&in, 1) % (extra ? 9 : 8);
    now = take_time(&in, now);
    switch (op) {
    case 0:
    case 1: {
      size_t n = (size_t)take(&in, 2) % (PL_CC_FEEDBACK_MAX + 8);
      pl_time_us rx = (pl_time_us)(int32_t)take(&in, 4);
      size_t filled = 0;
      for (size_t i = 0; i < n && in.off < in.n; i++, filled++) {
        unsigned f = (unsigned)take(&in, 1);
        seq += (f & 3) ? 1 : -(int64_t)(take(&in, 1));
        rx = wrap_add(rx, (f & 4) ? (pl_time_us)take(&in, 2) * 10 : -(pl_time_us)take(&in, 1));
        pk[i] = (pl_cc_packet){
            .seq = seq,
            .send_time = (f & 8) ? take_time(&in, now) : wrap_add(now, -(pl_time_us)take(&in, 3) * 4),
            .recv_time = (f & 16) ? PL_TIME_NEVER : (f & 32) ? (pl_time_us)take(&in, 8) : rx,
            .size = (f & 64) ? (uint32_t)take(&in, 4) : (uint32_t)take(&in, 2) % 1500,
            .probe_cluster = (int16_t)((f & 128) ? (int)take(&in, 1) % 8 - 1 : -1),
        };
      }
      pl_cc_feedback fb = {.feedback_time = now, .packets = pk, .n = filled};
      O->on_feedback(g, &fb);
      break;
    }
    case 2:
      O->on_rtt(g, now, (pl_time_us)(int32_t)take(&in, 4));
      break;
    case 3: {
      double f;
      uint64_t bits = take(&in, 8);
      memcpy(&f, &bits, sizeof f); /* NaN, inf, negative, subnormal: all fair */
      O->on_loss_report(g, now, f, (uint32_t)take(&in, 4));
      break;
    }
    case 4:
      O->on_remb(g, now, take(&in, 8) >> (take(&in, 1) % 64));
      break;
    case 5:
      O->on_sent(g, now, (uint32_t)take(&in, 4), (int)take(&in, 1) % 8 - 1);
      break;
    case 6:
      if (extra) {
        extra(g, take(&in, 8) >> (take(&in, 1) % 64));
        break;
      }
      /* Without an extra operation, 6 times out like 7. */
      __attribute__((fallthrough));
    default: {
      O->timeout(g, now);
      pl_cc_probe p;
      while (O->poll_probe(g, &p))
        if (p.bps == 0 || p.bps > max || p.id < 0 || p.id > 32767 || p.min_packets <= 0)
          abort();
      break;
    }
    }
    check(O, g, min, max);
  }
  O->destroy(g);
  return 0;
}

#endif
