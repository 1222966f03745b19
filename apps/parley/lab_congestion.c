/* How a loopback run's congestion control did, per direction (issue 14):
 * utilisation of the link, bottleneck queue delay percentiles, loss, the
 * time to use a higher capacity after a step up, the time to drain the
 * queue after a step down, freezes and resolution switches. Per-second
 * series give the step figures a resolution of one second. */
#include <stdio.h>
#include <string.h>

#include "apps/parley/lab.h"
#include "net/emu/emu.h"

/* A capacity change counts as a step when it moves by a quarter and holds
 * for 3 s: Mahimahi traces wobble every second, step traces do not. */
#define STEP_RATIO 1.25
#define STEP_HOLD 3

static bool holds(const pl_lab_second *sec, int n, int s, double level) {
  for (int k = s; k < n && k < s + STEP_HOLD; k++)
    if (sec[k].capacity_kbps < level / 1.1 || sec[k].capacity_kbps > level * 1.1)
      return false;
  return s + STEP_HOLD <= n;
}

void pl_lab_congestion_measure(pl_lab_congestion *cc, const pl_lab_run *r, int d,
                               const pl_emu_link *link, const pl_emu_stats *end,
                               const pl_emu_stats *warm, const pl_call_stats *sender,
                               const pl_call_stats *receiver) {
  memset(cc, 0, sizeof *cc);
  snprintf(cc->controller, sizeof cc->controller, "%s", sender->cc);
  const pl_lab_second *sec = r->sec[d];
  int n = r->n_seconds;
  double del = 0, cap = 0;
  bool unlimited = false;
  for (int s = PL_LAB_CC_WARMUP; s < n; s++) {
    if (sec[s].capacity_kbps < 0)
      unlimited = true;
    del += sec[s].delivered_kbps;
    cap += sec[s].capacity_kbps;
  }
  cc->utilisation = unlimited || cap <= 0 ? -1 : del / cap;
  pl_time_us q50 = pl_emu_link_qdelay_quantile(link, 0.5);
  pl_time_us q95 = pl_emu_link_qdelay_quantile(link, 0.95);
  cc->queue_delay_p50_ms = q50 < 0 ? -1 : (double)q50 / 1000;
  cc->queue_delay_p95_ms = q95 < 0 ? -1 : (double)q95 / 1000;
  uint64_t offered = end->packets_in - warm->packets_in;
  uint64_t lost = (end->lost_random + end->lost_queue + end->lost_outage) -
                  (warm->lost_random + warm->lost_queue + warm->lost_outage);
  cc->loss = offered ? (double)lost / (double)offered : 0;
  double up_sum = 0, down_sum = 0;
  for (int s = 1; s < n; s++) {
    double before = sec[s - 1].capacity_kbps, now = sec[s].capacity_kbps;
    if (before <= 0 || now <= 0 || !holds(sec, n, s, now))
      continue;
    if (now > before * STEP_RATIO) {
      /* Seconds until what we send reaches 90 % of it, while it holds. */
      int k = s;
      while (k < n && sec[k].capacity_kbps >= now / 1.1 && sec[k].send_kbps < 0.9 * now)
        k++;
      up_sum += k - s + 1;
      cc->steps_up++;
    } else if (now * STEP_RATIO < before) {
      /* Seconds until the queue stays under 100 ms (for 3 s, or to the end
       * of this level); a queue that never drains scores the whole level. */
      int lvl_end = s;
      while (lvl_end < n && sec[lvl_end].capacity_kbps >= now / 1.1 &&
             sec[lvl_end].capacity_kbps <= now * 1.1)
        lvl_end++;
      int k = s;
      for (; k < lvl_end; k++) {
        bool calm = true;
        for (int j = k; j < lvl_end && j < k + STEP_HOLD; j++)
          calm = calm && sec[j].queue_ms < 100;
        if (calm)
          break;
      }
      down_sum += k - s;
      cc->steps_down++;
    }
  }
  cc->rate_step_response_s = cc->steps_up ? up_sum / cc->steps_up : -1;
  cc->recovery_s = cc->steps_down ? down_sum / cc->steps_down : -1;
  /* The lab's own count runs to the end of the call (cmd_loopback.c), so a
   * picture that stopped for good is a freeze; the call's stat, like
   * webrtc-stats freezeCount, counts a freeze only once it has ended. */
  const pl_lab_video *v = &r->dir[d].video;
  cc->freezes = v->n ? (uint64_t)v->timing.freeze_count : receiver->freeze_count;
  cc->resolution_switches = sender->resolution_switches;
}
