/* Application-limited region detection, after libwebrtc's alr_detector.cc
 * and interval_budget.cc. A budget fills at 65 % of the estimate and every
 * sent byte drains it (window 500 ms, so it holds at most half a second of
 * credit or debt). More than 80 % of it unused means the encoders send well
 * under what the path could take: the feedback then says nothing about the
 * capacity above our rate, so the controller probes instead of trusting
 * the delay signal. Below 50 % the region ends. */
#include "net/cc/gcc_internal.h"

#define USAGE_RATIO 0.65 /* bandwidth_usage_ratio */
#define START_RATIO 0.80 /* start_budget_level_ratio */
#define STOP_RATIO 0.50  /* stop_budget_level_ratio */
#define WINDOW_S 0.5     /* IntervalBudget kWindowMs */

void pl_gcc_alr_init(pl_gcc_alr *a, double estimate_bps) {
  *a = (pl_gcc_alr){.last_send = PL_TIME_NEVER, .start = PL_TIME_NEVER};
  pl_gcc_alr_set_estimate(a, estimate_bps);
}

void pl_gcc_alr_set_estimate(pl_gcc_alr *a, double estimate_bps) {
  a->target_bps = estimate_bps * USAGE_RATIO;
  a->max_bytes = a->target_bps * WINDOW_S / 8;
  if (a->bytes_remaining > a->max_bytes)
    a->bytes_remaining = a->max_bytes;
  if (a->bytes_remaining < -a->max_bytes)
    a->bytes_remaining = -a->max_bytes;
}

void pl_gcc_alr_on_sent(pl_gcc_alr *a, uint32_t bytes, pl_time_us now) {
  if (a->last_send == PL_TIME_NEVER) {
    /* How long these bytes took to send is unknown: only note the time. */
    a->last_send = now;
    return;
  }
  pl_time_us dt = now - a->last_send;
  if (dt < 0)
    dt = 0;
  a->last_send = now;
  /* UseBudget, then IncreaseBudget (an underuse may build up). */
  a->bytes_remaining -= bytes;
  if (a->bytes_remaining < -a->max_bytes)
    a->bytes_remaining = -a->max_bytes;
  a->bytes_remaining += a->target_bps * ((double)dt / 1e6) / 8;
  if (a->bytes_remaining > a->max_bytes)
    a->bytes_remaining = a->max_bytes;
  double ratio = a->max_bytes > 0 ? a->bytes_remaining / a->max_bytes : 0;
  if (ratio > START_RATIO && a->start == PL_TIME_NEVER)
    a->start = now;
  else if (ratio < STOP_RATIO && a->start != PL_TIME_NEVER)
    a->start = PL_TIME_NEVER;
}
