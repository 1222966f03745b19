/* The WHIP dialer's automatic ICE restart decision (pl_whip_restart_due):
 * when a broken path is restarted, how often, and when it gives up. Driven
 * like the dialer's 100 ms timer, on a simulated clock. */
#include <criterion/criterion.h>

#include "base/time.h"
#include "engine/whip.h"

/* Steps the dialer's 100 ms timer from `from` to `to`; returns the times at
 * which a restart was due (up to 8). */
static int run(pl_whip_restart *r, pl_whip_path *p, pl_time_us from, pl_time_us to,
               pl_time_us *at) {
  int n = 0;
  for (pl_time_us t = from; t <= to; t += PL_MS(100))
    if (pl_whip_restart_due(r, t, p) && n < 8)
      at[n++] = t;
  return n;
}

Test(whip_restart, a_healthy_call_with_consent_every_5s_never_restarts) {
  pl_whip_restart r = {0};
  pl_whip_path p = {.active = true, .last_heard = PL_SEC(1)};
  pl_time_us at[8];
  for (pl_time_us t = PL_SEC(1); t < PL_SEC(60); t += PL_MS(100)) {
    p.last_heard = t; /* media every tick; consent only every 5 s */
    if (t % PL_SEC(5) == 0)
      p.consent_ok++;
    cr_assert_not(pl_whip_restart_due(&r, t, &p), "restart at %lld", (long long)t);
  }
  (void)at;
}

Test(whip_restart, a_silent_peer_that_answers_consent_is_not_restarted) {
  /* A send-only dialer: the server sends no media, but answers the
   * 500 ms consent probes. */
  pl_whip_restart r = {0};
  pl_whip_path p = {.active = true, .last_heard = PL_SEC(1)};
  for (pl_time_us t = PL_SEC(1); t < PL_SEC(30); t += PL_MS(100)) {
    if (t % PL_MS(500) == 0)
      p.consent_ok++;
    cr_assert_not(pl_whip_restart_due(&r, t, &p));
  }
}

Test(whip_restart, two_seconds_without_media_or_consent_restart_once_then_back_off) {
  pl_whip_restart r = {0};
  pl_whip_path p = {.active = true, .last_heard = PL_SEC(10), .consent_ok = 3};
  pl_time_us at[8];
  cr_assert_not(pl_whip_restart_due(&r, PL_SEC(10), &p));
  int n = run(&r, &p, PL_SEC(10), PL_SEC(60), at);
  /* 2 s after the last sound, then 4 and 8 s after each restart; no more. */
  cr_assert_eq(n, PL_WHIP_RESTARTS);
  cr_assert_eq(at[0], PL_SEC(12));
  cr_assert_eq(at[1], PL_SEC(16));
  cr_assert_eq(at[2], PL_SEC(24));
  cr_assert(r.gave_up);
}

Test(whip_restart, consent_failure_restarts_at_once) {
  pl_whip_restart r = {0};
  pl_whip_path p = {.active = true, .last_heard = PL_SEC(10)};
  p.failed = true;
  cr_assert(pl_whip_restart_due(&r, PL_SEC(10) + PL_MS(100), &p));
  cr_assert_eq(r.attempts, 1);
}

Test(whip_restart, a_recovered_path_gets_a_fresh_budget_for_the_next_outage) {
  pl_whip_restart r = {0};
  pl_whip_path p = {.active = true, .last_heard = PL_SEC(10)};
  pl_time_us at[8];
  cr_assert_eq(run(&r, &p, PL_SEC(10), PL_SEC(17), at), 2); /* 12 s and 16 s */
  /* The second restart worked: media again. */
  for (pl_time_us t = PL_SEC(17); t <= PL_SEC(40); t += PL_MS(100)) {
    p.last_heard = t;
    cr_assert_not(pl_whip_restart_due(&r, t, &p));
  }
  cr_assert_eq(r.attempts, 0);
  /* A later outage gets all three again, the first 2 s in. */
  int n = run(&r, &p, PL_SEC(40) + PL_MS(100), PL_SEC(90), at);
  cr_assert_eq(n, PL_WHIP_RESTARTS);
  cr_assert_eq(at[0], PL_SEC(42));
}

Test(whip_restart, no_restart_before_the_call_was_up_or_after_it_ended) {
  pl_whip_restart r = {0};
  pl_whip_path p = {.active = true, .last_heard = 0}; /* never heard */
  pl_time_us at[8];
  cr_assert_eq(run(&r, &p, 0, PL_SEC(30), at), 0);
  p.last_heard = PL_SEC(31);
  p.active = false; /* closing */
  cr_assert_eq(run(&r, &p, PL_SEC(31), PL_SEC(60), at), 0);
}
