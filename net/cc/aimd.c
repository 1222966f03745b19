/* AIMD rate control, after libwebrtc's aimd_rate_control.cc and
 * link_capacity_estimator.cc (draft-ietf-rmcat-gcc-02 §5.5).
 *
 * The detector's verdict drives a three-state machine: normal -> increase,
 * overuse -> decrease, underuse -> hold (a queue is draining; wait). On
 * overuse the estimate drops to 0.85 x what the receiver actually got
 * (the acknowledged rate): sending a little under the measured throughput
 * empties the queue we built. Each decrease also feeds a running mean and
 * variance of the throughput where overuse happened, the link capacity
 * estimate: near it the increase is additive (about one packet per
 * response time), far from it (or before there is one) multiplicative,
 * 8 % per second, to find the capacity quickly. */
#include <math.h>

#include "net/cc/gcc_internal.h"

#define BETA 0.85                 /* kDefaultBackoffFactor */
#define DEFAULT_RTT PL_MS(200)    /* kDefaultRtt */
#define INITIALIZATION_TIME PL_SEC(5)
#define ALPHA 1.08                /* multiplicative increase per second */
#define MIN_MULT_INCREASE 1000.0  /* bps */
#define MIN_ADDITIVE_INCREASE 4000.0 /* kMinIncreaseRate, bps per second */
#define PACKET_SIZE 1200.0        /* bytes, for the near-max increase */
#define FRAME_INTERVAL (1.0 / 30) /* seconds */
#define DETECTOR_DELAY PL_MS(100) /* "approximate the over-use estimator delay" */
#define INCREASE_LIMIT_FACTOR 1.5 /* 1.5 x acked + 10 kbit/s */
#define INCREASE_LIMIT_OFFSET 10000.0

/* ---- link capacity (link_capacity_estimator.cc) -------------------------- */

static double link_deviation_kbps(const pl_gcc_link_capacity *l) {
  return sqrt(l->deviation_kbps * l->estimate_kbps);
}

static double link_upper(const pl_gcc_link_capacity *l) {
  return l->has ? (l->estimate_kbps + 3 * link_deviation_kbps(l)) * 1000 : INFINITY;
}

static double link_lower(const pl_gcc_link_capacity *l) {
  if (!l->has)
    return 0;
  double v = (l->estimate_kbps - 3 * link_deviation_kbps(l)) * 1000;
  return v > 0 ? v : 0;
}

static void link_update(pl_gcc_link_capacity *l, double sample_bps, double alpha) {
  double s = sample_bps / 1000;
  if (!l->has) {
    l->has = true;
    l->estimate_kbps = s; /* the deviation survives a reset, as upstream */
  } else {
    l->estimate_kbps = (1 - alpha) * l->estimate_kbps + alpha * s;
  }
  /* Variance normalized by the estimate, clamped: 0.4 is about 14 kbit/s
   * of deviation at 500 kbit/s, 2.5 about 35 kbit/s. */
  double norm = l->estimate_kbps > 1 ? l->estimate_kbps : 1;
  double err = l->estimate_kbps - s;
  l->deviation_kbps = (1 - alpha) * l->deviation_kbps + alpha * err * err / norm;
  if (l->deviation_kbps < 0.4)
    l->deviation_kbps = 0.4;
  if (l->deviation_kbps > 2.5)
    l->deviation_kbps = 2.5;
}

/* ---- AIMD ---------------------------------------------------------------- */

void pl_gcc_aimd_init(pl_gcc_aimd *a, double start_bps, double min_bps, double max_bps) {
  *a = (pl_gcc_aimd){
      .min_bps = min_bps,
      .max_bps = max_bps,
      .current = start_bps,
      .latest_throughput = start_bps,
      .initialized = true, /* SetStartBitrate */
      .state = PL_GCC_RC_HOLD,
      .last_change = PL_TIME_NEVER,
      .last_decrease = PL_TIME_NEVER,
      .first_throughput = PL_TIME_NEVER,
      .last_decrease_bps = -1,
      .rtt = DEFAULT_RTT,
      .link = {.deviation_kbps = 0.4},
  };
}

static double clamp_rate(const pl_gcc_aimd *a, double bps) {
  if (!(bps >= a->min_bps)) /* NaN too */
    bps = a->min_bps;
  if (bps > a->max_bps)
    bps = a->max_bps;
  return bps;
}

void pl_gcc_aimd_set_estimate(pl_gcc_aimd *a, double bps, pl_time_us now) {
  a->initialized = true;
  double prev = a->current;
  a->current = clamp_rate(a, bps);
  a->last_change = now;
  if (a->current < prev)
    a->last_decrease = now;
}

bool pl_gcc_aimd_time_to_reduce_further(const pl_gcc_aimd *a, pl_time_us now, double acked_bps) {
  /* Reduce at most once per RTT (10..200 ms), unless the throughput fell
   * below half the estimate: then the first cut was not enough. */
  pl_time_us interval = a->rtt < PL_MS(10) ? PL_MS(10) : a->rtt > PL_MS(200) ? PL_MS(200) : a->rtt;
  if (a->last_change == PL_TIME_NEVER || now - a->last_change >= interval)
    return true;
  if (a->initialized)
    return acked_bps < 0.5 * a->current;
  return false;
}

bool pl_gcc_aimd_initial_time_to_reduce_further(const pl_gcc_aimd *a, pl_time_us now) {
  return a->initialized && pl_gcc_aimd_time_to_reduce_further(a, now, a->current / 2 - 1);
}

double pl_gcc_aimd_near_max_increase_bps_per_s(const pl_gcc_aimd *a) {
  /* One average packet of a 30 fps stream per response time (RTT + 100 ms
   * for the detector to react). */
  double frame_bytes = a->current * FRAME_INTERVAL / 8;
  double packets = ceil(frame_bytes / PACKET_SIZE);
  if (packets < 1)
    packets = 1;
  double avg_packet = frame_bytes / packets;
  double response_s = (double)(a->rtt + DETECTOR_DELAY) / 1e6;
  double rate = avg_packet * 8 / response_s;
  return rate > MIN_ADDITIVE_INCREASE ? rate : MIN_ADDITIVE_INCREASE;
}

static double multiplicative_increase(pl_time_us now, pl_time_us last, double current) {
  double alpha = ALPHA;
  if (last != PL_TIME_NEVER) {
    double dt = (double)(now - last) / 1e6;
    alpha = pow(ALPHA, dt < 1.0 ? (dt > 0 ? dt : 0) : 1.0);
  }
  double inc = current * (alpha - 1.0);
  return inc > MIN_MULT_INCREASE ? inc : MIN_MULT_INCREASE;
}

static double additive_increase(const pl_gcc_aimd *a, pl_time_us now, pl_time_us last) {
  double dt = last == PL_TIME_NEVER ? 0 : (double)(now - last) / 1e6;
  if (dt < 0)
    dt = 0;
  return pl_gcc_aimd_near_max_increase_bps_per_s(a) * dt;
}

static void change_state(pl_gcc_aimd *a, int usage, pl_time_us now) {
  switch (usage) {
  case PL_GCC_NORMAL:
    if (a->state == PL_GCC_RC_HOLD) {
      a->last_change = now;
      a->state = PL_GCC_RC_INCREASE;
    }
    break;
  case PL_GCC_OVERUSING:
    a->state = PL_GCC_RC_DECREASE;
    break;
  case PL_GCC_UNDERUSING:
    a->state = PL_GCC_RC_HOLD;
    break;
  }
}

double pl_gcc_aimd_update(pl_gcc_aimd *a, int usage, double acked_bps, pl_time_us now) {
  bool have_acked = acked_bps >= 0;
  if (!a->initialized) {
    if (a->first_throughput == PL_TIME_NEVER) {
      if (have_acked)
        a->first_throughput = now;
    } else if (now - a->first_throughput > INITIALIZATION_TIME && have_acked) {
      a->current = clamp_rate(a, acked_bps);
      a->initialized = true;
    }
  }

  double throughput = have_acked ? acked_bps : a->latest_throughput;
  if (have_acked)
    a->latest_throughput = acked_bps;
  /* An overuse always acts, even before a first estimate: acting on it is
   * how we get one. */
  if (!a->initialized && usage != PL_GCC_OVERUSING)
    return a->current;

  change_state(a, usage, now);
  double next = a->current;
  switch (a->state) {
  case PL_GCC_RC_HOLD:
    break;
  case PL_GCC_RC_INCREASE: {
    if (throughput > link_upper(&a->link))
      a->link.has = false; /* far above where we used to overuse: moved */
    /* Never more than 1.5 x what gets through (+10 kbit/s so a low, bursty
     * encoder does not pin us): an estimate the sender cannot fill is
     * untested and would overshoot when the encoder catches up. */
    double limit = INCREASE_LIMIT_FACTOR * throughput + INCREASE_LIMIT_OFFSET;
    if (a->current < limit) {
      double inc = a->link.has ? additive_increase(a, now, a->last_change)
                               : multiplicative_increase(now, a->last_change, a->current);
      next = a->current + inc;
      if (next > limit)
        next = limit;
    }
    a->last_change = now;
    break;
  }
  case PL_GCC_RC_DECREASE: {
    double dec = throughput * BETA;
    /* A throughput sample above the estimate (a burst drained): back off
     * from the capacity estimate instead. */
    if (dec > a->current && a->link.has)
      dec = BETA * a->link.estimate_kbps * 1000;
    bool decreased = dec < a->current; /* never increase on overuse */
    if (decreased)
      next = dec;
    if (a->initialized && throughput < a->current)
      a->last_decrease_bps = decreased ? a->current - next : 0;
    if (throughput < link_lower(&a->link))
      a->link.has = false; /* far below: start a new estimate from here */
    a->initialized = true;
    link_update(&a->link, throughput, 0.05); /* OnOveruseDetected */
    a->state = PL_GCC_RC_HOLD; /* hold until the queue has drained */
    a->last_change = now;
    a->last_decrease = now;
    break;
  }
  }
  a->current = clamp_rate(a, next);
  return a->current;
}
