/* The classic loss-based controller, after libwebrtc's
 * send_side_bandwidth_estimation.cc (draft-ietf-rmcat-gcc-02 §6).
 *
 * Loss under 2 % is noise, not congestion: grow 8 % per second. Over 10 %
 * the path is dropping what we send: cut by half the loss fraction, at
 * most once per RTT + 300 ms so that one loss episode is not punished on
 * every report. Between the two, hold. The delay-based estimate and REMB
 * cap the result, so the final target is min(loss-based, delay-based). */
#include <math.h>

#include "net/cc/gcc_internal.h"

#define INCREASE_INTERVAL PL_MS(1000) /* kBweIncreaseInterval */
#define DECREASE_INTERVAL PL_MS(300)  /* kBweDecreaseInterval */
#define START_PHASE PL_MS(2000)       /* kStartPhase */
#define LIMIT_NUM_PACKETS 20          /* kLimitNumPackets */
#define MAX_RTCP_INTERVAL PL_MS(5000) /* kMaxRtcpFeedbackInterval */
#define LOW_LOSS 0.02                 /* kDefaultLowLossThreshold */
#define HIGH_LOSS 0.1                 /* kDefaultHighLossThreshold */

void pl_gcc_loss_init(pl_gcc_loss *l, double start_bps, double min_bps, double max_bps) {
  *l = (pl_gcc_loss){
      .min_bps = min_bps,
      .max_bps = max_bps,
      .current = start_bps,
      .delay_limit = INFINITY,
      .receiver_limit = INFINITY,
      .first_report = PL_TIME_NEVER,
      .last_loss_report = PL_TIME_NEVER,
      .last_decrease = PL_TIME_NEVER,
  };
}

static double upper_limit(const pl_gcc_loss *l) {
  double u = l->delay_limit < l->receiver_limit ? l->delay_limit : l->receiver_limit;
  return u < l->max_bps ? u : l->max_bps;
}

static void set_target(pl_gcc_loss *l, double bps) {
  double u = upper_limit(l);
  if (bps > u)
    bps = u;
  if (!(bps >= l->min_bps))
    bps = l->min_bps;
  l->current = bps;
}

static void history_clear(pl_gcc_loss *l) { l->hist_n = 0, l->hist_head = 0; }

static void history_push(pl_gcc_loss *l, pl_time_us t, double bps) {
  if (l->hist_n == PL_GCC_MIN_HISTORY) {
    /* Only a storm of updates at one instant fills it; the front (the
     * minimum) must survive, so the newest replaces the back. */
    int back = (l->hist_head + l->hist_n - 1) % PL_GCC_MIN_HISTORY;
    l->hist_t[back] = t, l->hist_bps[back] = bps;
    return;
  }
  int i = (l->hist_head + l->hist_n) % PL_GCC_MIN_HISTORY;
  l->hist_t[i] = t, l->hist_bps[i] = bps;
  l->hist_n++;
}

/* A sliding-window minimum of the target over the last second: growing
 * 8 % from the minimum a second ago gives 8 %/s however often we update. */
static void update_min_history(pl_gcc_loss *l, pl_time_us now) {
  /* +1 ms: history precision is in ms upstream; keep the same edge. */
  while (l->hist_n > 0 && now - l->hist_t[l->hist_head] + PL_MS(1) > INCREASE_INTERVAL) {
    l->hist_head = (l->hist_head + 1) % PL_GCC_MIN_HISTORY;
    l->hist_n--;
  }
  while (l->hist_n > 0) {
    int back = (l->hist_head + l->hist_n - 1) % PL_GCC_MIN_HISTORY;
    if (l->current > l->hist_bps[back])
      break;
    l->hist_n--;
  }
  history_push(l, now, l->current);
}

static bool in_start_phase(const pl_gcc_loss *l, pl_time_us now) {
  return l->first_report == PL_TIME_NEVER || now - l->first_report < START_PHASE;
}

void pl_gcc_loss_update(pl_gcc_loss *l, pl_time_us now) {
  /* No loss yet in the first two seconds: trust the delay-based estimate
   * and REMB, so that start-up probing can lift us straight away. */
  if (l->last_fraction_loss == 0 && in_start_phase(l, now)) {
    double next = l->current;
    if (isfinite(l->receiver_limit) && l->receiver_limit > next)
      next = l->receiver_limit;
    if (isfinite(l->delay_limit) && l->delay_limit > next)
      next = l->delay_limit;
    if (next != l->current) {
      history_clear(l);
      history_push(l, now, l->current);
      set_target(l, next);
      return;
    }
  }
  update_min_history(l, now);
  if (l->last_loss_report == PL_TIME_NEVER) {
    set_target(l, l->current);
    return;
  }
  if (now - l->last_loss_report < MAX_RTCP_INTERVAL * 12 / 10) {
    double loss = l->last_fraction_loss / 256.0;
    if (loss <= LOW_LOSS) {
      /* +1 kbit/s so that very low rates do not get stuck. */
      double min_recent = l->hist_bps[l->hist_head];
      set_target(l, floor(min_recent * 1.08 + 0.5) + 1000);
      return;
    }
    if (loss > HIGH_LOSS && !l->has_decreased_since_last_loss &&
        (l->last_decrease == PL_TIME_NEVER ||
         now - l->last_decrease >= DECREASE_INTERVAL + l->rtt)) {
      l->last_decrease = now;
      /* rate * (1 - 0.5 p), with p in Q8 as the RTCP report carries it. */
      l->has_decreased_since_last_loss = true;
      set_target(l, floor(l->current * (512 - l->last_fraction_loss) / 512.0));
      return;
    }
  }
  set_target(l, l->current);
}

void pl_gcc_loss_packets_lost(pl_gcc_loss *l, int64_t lost, int64_t packets, pl_time_us now) {
  if (packets <= 0 || lost < 0)
    return;
  if (lost > packets)
    lost = packets;
  if (l->first_report == PL_TIME_NEVER)
    l->first_report = now;
  int64_t expected = l->expected_acc + packets;
  if (expected < LIMIT_NUM_PACKETS) {
    /* Too few packets for a loss rate that means anything: accumulate. */
    l->expected_acc = expected;
    l->lost_acc += lost;
    return;
  }
  l->has_decreased_since_last_loss = false;
  int64_t lost_q8 = (l->lost_acc + lost) << 8;
  int64_t q8 = lost_q8 / expected;
  l->last_fraction_loss = q8 > 255 ? 255 : (int)q8;
  l->lost_acc = 0;
  l->expected_acc = 0;
  l->last_loss_report = now;
  pl_gcc_loss_update(l, now);
}

void pl_gcc_loss_set_rtt(pl_gcc_loss *l, pl_time_us rtt) {
  if (rtt > 0)
    l->rtt = rtt;
}

void pl_gcc_loss_set_delay_based(pl_gcc_loss *l, double bps, pl_time_us now) {
  (void)now;
  l->delay_limit = bps > 0 ? bps : INFINITY;
  set_target(l, l->current);
}

void pl_gcc_loss_set_receiver_limit(pl_gcc_loss *l, double bps, pl_time_us now) {
  (void)now;
  l->receiver_limit = bps > 0 ? bps : INFINITY;
  set_target(l, l->current);
}

/* A probe result: take it as is, free of the old caps and history. */
void pl_gcc_loss_set_send_bitrate(pl_gcc_loss *l, double bps, pl_time_us now) {
  (void)now;
  l->delay_limit = INFINITY;
  set_target(l, bps);
  history_clear(l);
}

double pl_gcc_loss_target(const pl_gcc_loss *l) {
  double t = l->current < l->receiver_limit ? l->current : l->receiver_limit;
  return t > l->min_bps ? t : l->min_bps;
}
