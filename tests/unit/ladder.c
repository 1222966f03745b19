/* The resolution / frame-rate ladder (video/ladder): the rungs it builds
 * for a source, how fast it steps down, that a wobbling estimate does not
 * make it flap, that it climbs back only after the hysteresis, and that a
 * switch is one event (one keyframe at most), however far the rate fell. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "video/ladder/ladder.h"

#define FRAME PL_MS(33)

typedef struct run {
  pl_ladder l;
  pl_ladder_out o;
  pl_time_us now;
  int resized, switched;
} run;

static void start(run *r, uint32_t bps, int w, int h) {
  memset(r, 0, sizeof *r);
  pl_ladder_init(&r->l, NULL);
  r->now = PL_SEC(100);
  cr_assert_eq(pl_ladder_update(&r->l, r->now, bps, w, h, 30, &r->o), 0);
}

/* Frames at 30 fps for `dur` at a rate given per frame by f; stops at the
 * first switch when `until_switch`. Returns the time of the last switch. */
static pl_time_us feed(run *r, pl_time_us dur, uint32_t (*f)(pl_time_us t, void *u), void *u,
                       bool until_switch) {
  pl_time_us end = r->now + dur, last = -1;
  while (r->now < end) {
    r->now += FRAME;
    cr_assert_eq(pl_ladder_update(&r->l, r->now, f(r->now, u), 1280, 720, 30, &r->o), 0);
    if (r->o.switched) {
      r->switched++;
      r->resized += r->o.resized;
      last = r->now;
      if (until_switch)
        break;
    }
  }
  return last;
}

static uint32_t constant(pl_time_us t, void *u) {
  (void)t;
  return *(uint32_t *)u;
}

Test(ladder, rungs_for_a_720p_source_follow_libwebrtc_vp8_start_rates) {
  pl_ladder l;
  pl_ladder_init(&l, NULL);
  pl_ladder_out o;
  pl_ladder_update(&l, 0, 2000000, 1280, 720, 30, &o);
  const pl_ladder_rung *g;
  int n = pl_ladder_rungs(&l, &g);
  cr_assert_eq(n, 5);
  const int want[5][3] = {{1280, 720, 30}, {960, 540, 30}, {640, 360, 30}, {640, 360, 15}, {320, 180, 15}};
  for (int i = 0; i < n; i++) {
    cr_assert_eq(g[i].width, want[i][0], "rung %d", i);
    cr_assert_eq(g[i].height, want[i][1], "rung %d", i);
    cr_assert_eq(g[i].fps, want[i][2], "rung %d", i);
  }
  /* Entry rates are libwebrtc's min_start_bitrate_bps for VP8 (scaled by
   * the frame rate); floors are those / 1.3; the bottom has none. */
  cr_assert_float_eq((double)g[0].up_bps, 900000, 2);
  cr_assert_float_eq((double)g[1].up_bps, 500000, 2);
  cr_assert_float_eq((double)g[2].up_bps, 300000, 2);
  cr_assert_float_eq((double)g[3].up_bps, 150000, 2);
  cr_assert_float_eq((double)g[0].min_bps, 900000 / 1.3, 2);
  cr_assert_eq(g[4].min_bps, 0);
  cr_assert_eq(o.width, 1280);
}

Test(ladder, never_above_the_source_and_in_its_aspect) {
  pl_ladder l;
  pl_ladder_out o;
  const pl_ladder_rung *g;
  /* 1080p: capped at 720 lines. */
  pl_ladder_init(&l, NULL);
  pl_ladder_update(&l, 0, 20000000, 1920, 1080, 30, &o);
  cr_assert_eq(o.width, 1280);
  cr_assert_eq(o.height, 720);
  /* 4:3 VGA-ish source at a huge rate: the source itself, 4:3 rungs under it. */
  pl_ladder_init(&l, NULL);
  pl_ladder_update(&l, 0, 20000000, 320, 240, 30, &o);
  cr_assert_eq(o.width, 320);
  cr_assert_eq(o.height, 240);
  int n = pl_ladder_rungs(&l, &g);
  cr_assert_eq(n, 3);
  cr_assert_eq(g[1].width, 320);
  cr_assert_eq(g[1].fps, 15);
  cr_assert_eq(g[2].width, 240);
  cr_assert_eq(g[2].height, 180);
  /* Portrait: the short side is the rung's line count. */
  pl_ladder_init(&l, NULL);
  pl_ladder_update(&l, 0, 100000, 720, 1280, 30, &o);
  n = pl_ladder_rungs(&l, &g);
  for (int i = 0; i < n; i++) {
    cr_assert_leq(g[i].width, 720);
    cr_assert_leq(g[i].height, 1280);
    cr_assert_lt(g[i].width, g[i].height);
  }
  cr_assert_eq(g[n - 1].width, 180);
  cr_assert_eq(g[n - 1].height, 320);
  /* A 15 fps source never gets a "30 fps" rung. */
  pl_ladder_init(&l, NULL);
  pl_ladder_update(&l, 0, 20000000, 1280, 720, 15, &o);
  n = pl_ladder_rungs(&l, &g);
  cr_assert_eq(n, 4);
  for (int i = 0; i < n; i++)
    cr_assert_eq(g[i].fps, 15);
}

Test(ladder, starts_on_the_best_rung_the_rate_can_enter) {
  run r;
  start(&r, 800000, 1280, 720);
  cr_assert_eq(r.o.width, 960); /* 800k < 900k: not 720p yet */
  start(&r, 120000, 1280, 720);
  cr_assert_eq(r.o.width, 320);
  cr_assert_eq(r.o.fps, 15);
  cr_assert(!r.o.switched);
}

Test(ladder, steps_down_within_a_second_of_a_moderate_drop) {
  run r;
  start(&r, 1200000, 1280, 720);
  uint32_t hi = 1200000, lo = 600000; /* under 720p's floor (692k), over half of it */
  feed(&r, PL_SEC(6), constant, &hi, false);
  cr_assert_eq(r.switched, 0);
  pl_time_us drop = r.now;
  pl_time_us at = feed(&r, PL_SEC(3), constant, &lo, true);
  cr_assert_geq(at - drop, PL_SEC(1));
  cr_assert_leq(at - drop, PL_SEC(1) + 2 * FRAME);
  cr_assert_eq(r.o.width, 960);
  cr_assert_eq(r.o.fps, 30);
  cr_assert_eq(r.resized, 1);
}

Test(ladder, a_big_drop_goes_straight_down_in_one_switch) {
  run r;
  start(&r, 1200000, 1280, 720);
  uint32_t hi = 1200000, lo = 140000;
  feed(&r, PL_SEC(6), constant, &hi, false);
  pl_time_us drop = r.now;
  pl_time_us at = feed(&r, PL_SEC(10), constant, &lo, false);
  cr_assert_eq(at - drop, FRAME, "at once, not after the hold");
  /* 140k: over 360p15's floor (115k), under 360p30's (231k). */
  cr_assert_eq(r.o.width, 640);
  cr_assert_eq(r.o.fps, 15);
  cr_assert_eq(r.switched, 1, "one switch, one keyframe at most, for 720p30 -> 360p15");
  cr_assert_eq(r.l.resolution_switches, 1);
}

typedef struct wobble {
  double centre, depth, period_s;
} wobble;

static uint32_t sine(pl_time_us t, void *u) {
  wobble *w = u;
  return (uint32_t)(w->centre * (1 + w->depth * sin(2 * M_PI * (double)t / 1e6 / w->period_s)));
}

Test(ladder, a_rate_wobbling_20pct_around_a_floor_or_an_entry_rate_does_not_flap) {
  const double periods[] = {0.5, 1.0, 2.5, 7.0, 20.0};
  for (int k = 0; k < 5; k++) {
    run r;
    /* Around 540p30's floor (385k): at most the one step down, never back up. */
    start(&r, 600000, 1280, 720);
    cr_assert_eq(r.o.width, 960);
    wobble w = {500000 / 1.3, 0.2, periods[k]};
    feed(&r, PL_SEC(120), sine, &w, false);
    cr_assert_leq(r.switched, 1, "period %.1f s: %d switches", periods[k], r.switched);
    /* Around 540p's entry rate (500k) from 360p30: at most one step up. */
    start(&r, 400000, 1280, 720);
    cr_assert_eq(r.o.width, 640);
    wobble w2 = {500000, 0.2, periods[k]};
    feed(&r, PL_SEC(120), sine, &w2, false);
    cr_assert_leq(r.switched, 1, "period %.1f s: %d switches up", periods[k], r.switched);
  }
}

Test(ladder, steps_up_one_rung_at_a_time_after_the_hysteresis) {
  run r;
  start(&r, 100000, 1280, 720);
  cr_assert_eq(r.o.width, 320);
  /* 1.2x the entry rate of 360p15 (150k) is not enough to climb... */
  uint32_t just_over_floor = 140000;
  feed(&r, PL_SEC(20), constant, &just_over_floor, false);
  cr_assert_eq(r.switched, 0);
  /* ... its entry rate is, after 3 s above it and 5 s since the last switch. */
  uint32_t rich = 3000000;
  pl_time_us t0 = r.now;
  pl_time_us at = feed(&r, PL_SEC(10), constant, &rich, true);
  cr_assert_geq(at - t0, PL_SEC(3));
  cr_assert_leq(at - t0, PL_SEC(3) + 2 * FRAME);
  cr_assert_eq(r.o.width, 640);
  cr_assert_eq(r.o.fps, 15);
  /* The rest of the way: one rung every 5 s (the gap), never faster. */
  pl_time_us prev = at;
  const int want_w[] = {640, 960, 1280};
  for (int i = 0; i < 3; i++) {
    at = feed(&r, PL_SEC(10), constant, &rich, true);
    cr_assert_geq(at - prev, PL_SEC(5), "rung %d after %lld us", i, (long long)(at - prev));
    cr_assert_leq(at - prev, PL_SEC(5) + 2 * FRAME);
    cr_assert_eq(r.o.width, want_w[i]);
    prev = at;
  }
  cr_assert_eq(r.o.fps, 30);
  cr_assert_eq(r.l.switches, 4);
  cr_assert_eq(r.l.resolution_switches, 3); /* 360p15 -> 360p30 keeps the size */
  feed(&r, PL_SEC(30), constant, &rich, false);
  cr_assert_eq(r.o.width, 1280, "never above the source");
}

Test(ladder, an_up_switch_that_fails_backs_off_before_the_next_try) {
  run r;
  start(&r, 400000, 1280, 720); /* 360p30 */
  uint32_t enough = 520000, fail = 300000;
  pl_time_us up1 = feed(&r, PL_SEC(10), constant, &enough, true);
  cr_assert_eq(r.o.width, 960);
  feed(&r, PL_SEC(3), constant, &fail, true); /* the new rung did not hold */
  cr_assert_eq(r.o.width, 640);
  pl_time_us down = r.now;
  pl_time_us up2 = feed(&r, PL_SEC(30), constant, &enough, true);
  cr_assert_eq(r.o.width, 960);
  cr_assert_geq(up2 - down, PL_SEC(6), "the hold doubled to 6 s (was %lld us)",
                (long long)(up2 - down));
  (void)up1;
}

Test(ladder, at_most_one_switch_per_down_gap_however_the_rate_moves) {
  run r;
  start(&r, 3000000, 1280, 720);
  /* A rate that collapses in steps every 100 ms. */
  pl_time_us last = -1;
  uint32_t rate = 3000000;
  for (int i = 0; i < 300; i++) {
    r.now += FRAME;
    if (i % 3 == 0 && rate > 60000)
      rate = rate * 7 / 10;
    pl_ladder_update(&r.l, r.now, rate, 1280, 720, 30, &r.o);
    if (r.o.switched) {
      if (last >= 0)
        cr_assert_geq(r.now - last, PL_SEC(1), "switches %lld us apart",
                      (long long)(r.now - last));
      last = r.now;
    }
  }
  cr_assert_eq(r.o.width, 320);
}

Test(ladder, refuses_an_empty_source) {
  pl_ladder l;
  pl_ladder_out o;
  pl_ladder_init(&l, NULL);
  cr_assert_lt(pl_ladder_update(&l, 0, 100000, 0, 720, 30, &o), 0);
  cr_assert_lt(pl_ladder_update(&l, 0, 100000, 1280, 720, 0, &o), 0);
  cr_assert_lt(pl_ladder_update(&l, 0, 100000, 1, 720, 30, &o), 0);
}
