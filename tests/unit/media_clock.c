/* The media thread's clock (engine/media_pool.c): 10 ms steps while it keeps
 * up, and back on real time as soon as it falls a period behind, so media
 * time never runs behind the arrival times the network half stamps (a
 * listener once reported a jitter buffer delay of -1023 ms). */
#include <criterion/criterion.h>

#include "engine/engine.h"

Test(media_clock, steps_10_ms_while_on_time) {
  pl_time_us t = PL_SEC(100);
  cr_assert_eq(pl_driver_media_next_(t, t + PL_MS(3)), t + PL_MS(10));
  cr_assert_eq(pl_driver_media_next_(t, t + PL_MS(19)), t + PL_MS(10), "a late tick is caught up");
}

Test(media_clock, re_anchors_once_a_whole_period_behind_not_after_a_second) {
  pl_time_us t = PL_SEC(100);
  cr_assert_eq(pl_driver_media_next_(t, t + PL_MS(21)), t + PL_MS(21));
  cr_assert_eq(pl_driver_media_next_(t, t + PL_MS(1500)), t + PL_MS(1500));
  /* A thread whose ticks each overrun stays within a period of real time. */
  pl_time_us tick = t, real = t;
  for (int i = 0; i < 1000; i++) {
    real += PL_MS(13); /* every tick takes 13 ms */
    tick = pl_driver_media_next_(tick, real);
    cr_assert_leq(real - tick, PL_MS(10), "tick %d lags %lld us", i, (long long)(real - tick));
  }
}
