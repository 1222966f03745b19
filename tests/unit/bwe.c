/* The learned bandwidth estimator (ai/bwe): its features against numbers
 * worked out by hand, the controller's registration, and hostile input:
 * whatever arrives, the target stays finite and within [min, max]. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ai/bwe/bwe.h"
#include "net/cc/gcc.h"

#define RX_OFFSET PL_SEC(3600) /* the receiver's clock runs an hour ahead */

static pl_cc_target gcc_like(uint64_t bps) {
  pl_cc_target t;
  memset(&t, 0, sizeof t);
  t.target_bps = t.delay_based_bps = t.acked_bps = bps;
  return t;
}

Test(bwe, learned_is_a_paced_controller_in_the_table) {
  const pl_cc_ctl_ops *o = pl_cc_controller_find("learned");
  cr_assert_not_null(o);
  cr_assert(o->paced);
  cr_assert_not_null(strstr(pl_cc_controller_names(), "learned"));
  void *c = o->create(&(pl_cc_config){.start_bps = 500000, .min_bps = 30000, .max_bps = 2000000}, 0);
  cr_assert_not_null(c);
  cr_assert_eq(pl_bwe_from_ctl(o, c) != NULL, true);
  pl_cc_target t;
  o->get_target(c, &t); /* before any feedback: GCC's start rate */
  cr_assert_eq(t.target_bps, 500000);
  o->destroy(c);
}

/* 1 Mbit/s of 1250-byte packets (one per 10 ms), 30 ms one way, reported
 * every 50 ms: rates ln(1) = 0, no queue, no loss. Then the queue grows by
 * 1 ms per packet for 5 packets (one tick) and every 10th packet is lost. */
Test(bwe, features_of_a_steady_then_queueing_stream) {
  pl_bwe_feat f;
  pl_bwe_feat_init(&f, 0);
  pl_cc_packet p[5];
  pl_cc_target g = gcc_like(800000);
  float x[PL_BWE_NFEAT];
  int64_t seq = 0;
  for (int tick = 1; tick <= 40; tick++) {
    pl_time_us t0 = PL_MS(50) * (tick - 1);
    for (int i = 0; i < 5; i++) {
      pl_time_us st = t0 + PL_MS(10) * i;
      p[i] = (pl_cc_packet){.seq = seq++, .send_time = st, .size = 1250, .probe_cluster = -1,
                            .recv_time = st + PL_MS(30) + RX_OFFSET};
      pl_bwe_feat_on_sent(&f, 1250);
    }
    pl_bwe_feat_on_feedback(&f, &(pl_cc_feedback){.feedback_time = t0 + PL_MS(90),
                                                   .packets = p, .n = 5});
    pl_bwe_feat_tick(&f, t0 + PL_MS(50), &g, 700000, x);
  }
  /* 4 ticks x 5 x 1250 B over 200 ms of receive time: 1 Mbit/s. */
  cr_assert_float_eq(x[0], 0.0, 1e-6);
  cr_assert_float_eq(x[1], 0.0, 1e-6); /* sent: 1 Mbit/s over 200 ms */
  cr_assert_float_eq(x[2], 0.0, 1e-6); /* and over 1 s */
  cr_assert_float_eq(x[3], logf(0.8f), 1e-6);
  cr_assert_float_eq(x[6], logf(0.7f), 1e-6);
  cr_assert_float_eq(x[7], 0.0, 1e-6); /* no queue */
  cr_assert_float_eq(x[10], 0.0, 1e-6);
  cr_assert_float_eq(x[11], 0.5f, 1e-6); /* RTT: feedback at +90 ms, 50 ms after the last send */
  /* One tick of growing queue (1..5 ms) and a lost packet. */
  pl_time_us t0 = PL_MS(50) * 40;
  for (int i = 0; i < 5; i++) {
    pl_time_us st = t0 + PL_MS(10) * i;
    p[i] = (pl_cc_packet){.seq = seq++, .send_time = st, .size = 1250, .probe_cluster = -1,
                          .recv_time = st + PL_MS(31 + i) + RX_OFFSET};
  }
  p[2].recv_time = PL_TIME_NEVER;
  pl_bwe_feat_on_feedback(&f, &(pl_cc_feedback){.feedback_time = t0 + PL_MS(90), .packets = p, .n = 5});
  pl_bwe_feat_tick(&f, t0 + PL_MS(50), &g, 700000, x);
  cr_assert_float_eq(x[7], 0.01f, 1e-6);  /* min queue 1 ms, in 100 ms units */
  cr_assert_float_eq(x[8], 0.05f, 1e-6);  /* max 5 ms */
  cr_assert_float_eq(x[9], 0.1f, 1e-6);   /* +1 ms since the last tick, in 10 ms units */
  cr_assert_float_eq(x[10], 5.0f / 20, 1e-6); /* 1 of 20 packets in 4 ticks lost, x5 */
}

static void assert_sane(const pl_cc_ctl_ops *o, void *c, uint64_t min, uint64_t max) {
  pl_cc_target t;
  o->get_target(c, &t);
  cr_assert(t.target_bps >= min && t.target_bps <= max, "%lu", (unsigned long)t.target_bps);
  cr_assert(t.pacing_bps >= t.target_bps);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}

Test(bwe_hostile, random_and_absurd_inputs_keep_the_target_finite_and_in_bounds) {
  const pl_cc_ctl_ops *o = pl_cc_controller_find("learned");
  const uint64_t min = 50000, max = 3000000;
  void *c = o->create(&(pl_cc_config){.start_bps = 800000, .min_bps = min, .max_bps = max}, 0);
  static pl_cc_packet p[64];
  const pl_time_us times[] = {0, 1, -1, INT64_MAX, INT64_MIN, PL_TIME_NEVER, (pl_time_us)1 << 52,
                              PL_SEC(3600), -PL_SEC(86400)};
  pl_time_us now = 0;
  int64_t seq = 0;
  for (int i = 0; i < 20000; i++) {
    uint64_t r = next();
    now += (pl_time_us)(r % 30000);
    pl_time_us t = r % 17 == 0 ? times[(r >> 8) % 9] : now;
    switch ((r >> 20) % 6) {
    case 0: {
      size_t n = (r >> 24) % 64;
      for (size_t k = 0; k < n; k++) {
        uint64_t q = next();
        p[k] = (pl_cc_packet){.seq = q % 50 == 0 ? seq - 5 : seq++,
                              .send_time = q % 13 == 0 ? times[(q >> 8) % 9] : now - (pl_time_us)(q % 500000),
                              .recv_time = q % 7 == 0 ? PL_TIME_NEVER
                                           : q % 11 == 0 ? times[(q >> 12) % 9]
                                                         : now + RX_OFFSET - (pl_time_us)(q % 400000),
                              .size = q % 19 == 0 ? 0 : (uint32_t)(q >> 16) % 70000,
                              .probe_cluster = (int16_t)((q >> 40) % 4) - 1};
      }
      o->on_feedback(c, &(pl_cc_feedback){.feedback_time = t, .packets = n ? p : NULL, .n = n});
      break;
    }
    case 1: o->on_rtt(c, t, r % 5 == 0 ? -5 : (pl_time_us)(r % PL_SEC(5))); break;
    case 2: o->on_loss_report(c, t, r % 3 == 0 ? NAN : (double)(r % 1000) / 500, (uint32_t)r); break;
    case 3: o->on_remb(c, t, r % 2 ? (r >> 8) : 0); break;
    case 4: o->on_sent(c, t, (uint32_t)(r >> 32) % 70000, (int)((r >> 8) % 3) - 1); break;
    default: o->timeout(c, t); break;
    }
    pl_cc_probe pr;
    while (o->poll_probe(c, &pr) == 1)
      cr_assert(pr.bps <= max);
    assert_sane(o, c, min, max);
  }
  /* Our clock once jumped an hour ahead (times[]): from past that, the
   * model ticks every 50 ms again, 200 times in 10 s. */
  pl_bwe_stats st0, st;
  pl_bwe_get_stats(pl_bwe_from_ctl(o, c), &st0);
  for (int k = 1; k <= 200; k++) {
    o->timeout(c, PL_SEC(4000) + PL_MS(50) * k);
    assert_sane(o, c, min, max);
  }
  pl_bwe_get_stats(pl_bwe_from_ctl(o, c), &st);
  cr_assert_gt(st0.model_steps, 0);
  cr_assert_geq(st.model_steps - st0.model_steps, 200);
  o->destroy(c);
}

Test(bwe_hostile, features_stay_finite_and_clamped) {
  pl_bwe_feat f;
  pl_bwe_feat_init(&f, 0);
  pl_cc_target g = gcc_like(UINT64_MAX);
  g.delay_state = 7;
  pl_cc_packet p = {.seq = 1, .send_time = INT64_MIN / 2, .recv_time = INT64_MAX / 2, .size = 1};
  float x[PL_BWE_NFEAT];
  for (int i = 0; i < 100; i++) {
    pl_bwe_feat_on_feedback(&f, &(pl_cc_feedback){.feedback_time = (i % 2) ? INT64_MIN : 5,
                                                   .packets = &p, .n = 1});
    pl_bwe_feat_on_rtt(&f, INT64_MAX);
    pl_bwe_feat_on_sent(&f, UINT32_MAX);
    pl_bwe_feat_tick(&f, i % 3 ? INT64_MAX / 4 : -PL_SEC(100), &g, NAN, x);
    for (int k = 0; k < PL_BWE_NFEAT; k++)
      cr_assert(isfinite(x[k]) && x[k] >= -8 && x[k] <= 8, "x[%d] = %g", k, (double)x[k]);
  }
}
