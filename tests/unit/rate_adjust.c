/* The encoder rate adjuster (video/ladder/adjust.h). */
#include <criterion/criterion.h>

#include "video/ladder/adjust.h"

/* 30 fps for `secs` at `asked` bps, each frame `over` times its share. */
static pl_time_us run(pl_rate_adjuster *a, pl_time_us t, double secs, uint32_t asked,
                      double over) {
  for (int i = 0; i < (int)(secs * 30); i++, t += 33333)
    pl_rate_adjuster_frame(a, t, asked, (uint64_t)(asked / 8.0 / 30 * over), false);
  return t;
}

Test(rate_adjust, an_encoder_that_overshoots_by_25_percent_is_asked_for_less) {
  pl_rate_adjuster a;
  pl_rate_adjuster_init(&a);
  cr_assert_eq(pl_rate_adjuster_target(&a, 1000000), 1000000, "no verdict yet");
  pl_time_us t = run(&a, PL_SEC(1), 0.9, 1000000, 1.25);
  cr_assert_eq(pl_rate_adjuster_target(&a, 1000000), 1000000, "under a second of window");
  /* Asked for what the adjuster says, it still overshoots by 25 %: the
   * measured utilisation stays 1.25 and the wire carries the target. */
  for (int i = 0; i < 5; i++) {
    uint32_t ask = pl_rate_adjuster_target(&a, 1000000);
    t = run(&a, t, 1, ask, 1.25);
  }
  cr_assert_float_eq(pl_rate_adjuster_utilisation(&a), 1.25, 0.02);
  cr_assert_float_eq((double)pl_rate_adjuster_target(&a, 1000000), 800000.0, 16000.0);
}

Test(rate_adjust, undershoot_is_not_rewarded_and_overshoot_is_capped_at_2) {
  pl_rate_adjuster a;
  pl_rate_adjuster_init(&a);
  pl_time_us t = run(&a, PL_SEC(1), 3, 1000000, 0.5);
  cr_assert_eq(pl_rate_adjuster_target(&a, 1000000), 1000000);
  run(&a, t, 3, 1000000, 5.0);
  cr_assert_eq(pl_rate_adjuster_target(&a, 1000000), 500000);
}

Test(rate_adjust, keyframes_and_pauses_do_not_count_as_overshoot) {
  pl_rate_adjuster a;
  pl_rate_adjuster_init(&a);
  pl_time_us t = run(&a, PL_SEC(1), 2, 1000000, 1.0);
  /* A keyframe of 9 frames' worth every 300 ms (a peer asking): neutral. */
  for (int i = 0; i < 30; i++, t += 33333)
    pl_rate_adjuster_frame(&a, t, 1000000, i % 9 ? 4166 : 9 * 4166, i % 9 == 0);
  cr_assert_float_eq(pl_rate_adjuster_utilisation(&a), 1.0, 0.01);
  /* A 2 s pause in the source, then frames at exactly the rate: the idle
   * time is not undershoot that would make room for overshoot later. */
  t += PL_SEC(2);
  t = run(&a, t, 3, 1000000, 1.1);
  cr_assert_float_eq(pl_rate_adjuster_utilisation(&a), 1.1, 0.02);
}
