/* Rise probing (net/cc/probe.c): a probe at 2x the estimate once the
 * estimate has been calm for 2 s, less often while probes find no room,
 * never in ALR or while the detector is not normal; a saturated result
 * near the estimate is ignored. */
#include <criterion/criterion.h>

#include "net/cc/gcc_internal.h"

/* A probe controller past its initial probes, at a 1 Mbit/s estimate. */
static void calm(pl_gcc_probe *p) {
  pl_gcc_probe_init(p, 1e6, 5e6, 0);
  pl_gcc_probe_start(p, 0);
  p->queue_n = 0;                         /* the initial probes, sent */
  pl_gcc_probe_process(p, PL_MS(1100));   /* their wait for a result ends */
  cr_assert_eq(p->state, PL_GCC_PROBE_COMPLETE);
  p->delay_normal = true;
  pl_gcc_probe_set_estimate(p, 1e6, PL_MS(1100));
}

/* The time of the next rise probe at or after `from`, in 25 ms ticks. */
static pl_time_us next_rise(pl_gcc_probe *p, pl_time_us from, pl_time_us until) {
  for (pl_time_us t = from; t <= until; t += PL_MS(25)) {
    pl_gcc_probe_process(p, t);
    if (p->queue_n) {
      p->queue_n = 0;
      pl_gcc_probe_process(p, t + PL_MS(1100)); /* no result: complete again */
      return t;
    }
  }
  return -1;
}

Test(gcc_rise, probes_at_twice_the_estimate_2_s_after_the_last_probing) {
  pl_gcc_probe p;
  calm(&p);
  pl_gcc_probe_process(&p, PL_MS(1500));
  cr_assert_eq(p.queue_n, 0, "not before 2 s");
  pl_gcc_probe_process(&p, PL_MS(2000));
  cr_assert_eq(p.queue_n, 1);
  cr_assert_eq(p.queue[0].bps, 2000000);
  cr_assert_eq(p.rise_probes, 1);
}

Test(gcc_rise, probes_that_find_nothing_come_every_4_s_and_a_large_drop_restarts_at_2) {
  pl_gcc_probe p;
  calm(&p);
  pl_time_us t1 = next_rise(&p, PL_MS(1100), PL_SEC(10));
  cr_assert_eq(t1, PL_MS(2000));
  /* Nothing found: the estimate stays; the next one after 4 s, not 2. */
  pl_time_us t2 = next_rise(&p, t1 + PL_MS(25), PL_SEC(20));
  cr_assert_eq(t2 - t1, PL_SEC(4), "%ld", (long)(t2 - t1));
  pl_time_us t3 = next_rise(&p, t2 + PL_MS(25), PL_SEC(30));
  cr_assert_eq(t3 - t2, PL_SEC(4), "capped at 4 s");
  /* The path drops by more than a third: 2 s again from the drop. */
  pl_gcc_probe_set_estimate(&p, 0.5e6, t3 + PL_MS(100));
  pl_time_us t4 = next_rise(&p, t3 + PL_MS(125), PL_SEC(40));
  cr_assert_eq(t4 - (t3 + PL_MS(100)), PL_MS(2000), "%ld", (long)(t4 - t3));
}

Test(gcc_rise, none_while_overusing_in_alr_or_at_the_maximum) {
  pl_gcc_probe p;
  calm(&p);
  p.delay_normal = false;
  cr_assert_eq(next_rise(&p, PL_MS(1100), PL_SEC(6)), -1);
  p.delay_normal = true;
  p.alr_start = PL_SEC(6);
  pl_time_us t = next_rise(&p, PL_SEC(6), PL_SEC(10));
  cr_assert(t < 0 || t >= PL_SEC(11), "in ALR only the 5 s ALR probe: %ld", (long)t);
  p.alr_start = PL_TIME_NEVER;
  calm(&p);
  pl_gcc_probe_set_estimate(&p, 4.9e6, PL_MS(1100));
  cr_assert_eq(next_rise(&p, PL_MS(1100), PL_SEC(8)), -1, "at 95 %% of the maximum");
}

static void feed(pl_gcc_probe *p, int id, double send_bps, double recv_bps) {
  for (int i = 0; i < 6; i++) {
    pl_cc_packet k = {.size = 1000, .probe_cluster = id,
                      .send_time = PL_SEC(3) + (pl_time_us)(i * 8000 * 1e6 / send_bps),
                      .recv_time = PL_SEC(3) + PL_MS(40) + (pl_time_us)(i * 8000 * 1e6 / recv_bps)};
    pl_gcc_probe_on_feedback(p, &k);
  }
}

Test(gcc_rise, a_full_path_near_the_estimate_is_no_result_but_room_is) {
  pl_gcc_probe p;
  calm(&p);
  pl_gcc_probe_process(&p, PL_MS(2000));
  cr_assert_eq(p.queue_n, 1);
  int id = p.queue[0].id;
  /* Sent at 2 Mbit/s, received at 1.1: saturated at about the estimate. */
  feed(&p, id, 2e6, 1.1e6);
  cr_assert_lt(p.result_bps, 0);
  cr_assert_eq(p.rise_full, 1);
  /* The next, received at 1.8 Mbit/s of 2: room, the result counts. */
  p.queue_n = 0;
  pl_gcc_probe_process(&p, PL_MS(3100));
  pl_gcc_probe_process(&p, PL_MS(6000));
  cr_assert_eq(p.queue_n, 1);
  feed(&p, p.queue[0].id, 2e6, 1.6e6);
  cr_assert_float_eq(p.result_bps, 0.95 * 1.6e6, 0.02e6);
}
