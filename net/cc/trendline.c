/* The delay-based detector's front half, after libwebrtc's
 * inter_arrival_delta.cc and trendline_estimator.cc (draft-ietf-rmcat-gcc-02
 * §5.1-5.4 describes the older Kalman variant; the trendline replaced it).
 *
 * Packets sent within 5 ms form a group (a frame's packets go out as a
 * burst; their individual spacing says nothing about the path). The delay
 * gradient between consecutive groups, d = (arrival diff) - (send diff),
 * only ever uses differences of receiver times, so the receiver's clock
 * offset cancels. The accumulated gradient is smoothed and a least-squares
 * line over the last 20 groups gives the trend: a queue that grows gives a
 * positive slope. The slope, scaled, is compared with a threshold that
 * itself adapts so that competing TCP flows do not starve us. */
#include <math.h>

#include "net/cc/gcc_internal.h"

/* inter_arrival_delta.h */
#define SEND_GROUP_LENGTH PL_MS(5)      /* kSendTimeGroupLength */
#define BURST_DELTA_THRESHOLD PL_MS(5)  /* kBurstDeltaThreshold */
#define MAX_BURST_DURATION PL_MS(100)   /* kMaxBurstDuration */
#define ARRIVAL_OFFSET_THRESHOLD PL_SEC(3) /* kArrivalTimeOffsetThreshold */
#define REORDERED_RESET_THRESHOLD 3     /* kReorderedResetThreshold */

/* trendline_estimator.cc */
#define SMOOTHING 0.9        /* kDefaultTrendlineSmoothingCoeff */
#define THRESHOLD_GAIN 4.0   /* kDefaultTrendlineThresholdGain */
#define MIN_NUM_DELTAS 60    /* kMinNumDeltas */
#define DELTA_COUNTER_MAX 1000 /* kDeltaCounterMax */
#define OVERUSING_TIME_MS 10.0 /* kOverUsingTimeThreshold */
#define K_UP 0.0087
#define K_DOWN 0.039
#define MAX_ADAPT_OFFSET_MS 15.0 /* kMaxAdaptOffsetMs */
#define MAX_TIME_DELTA_MS 100.0  /* kMaxTimeDeltaMs */
#define THRESHOLD_MIN 6.0
#define THRESHOLD_MAX 600.0
#define THRESHOLD_INIT 12.5

void pl_gcc_interarrival_reset(pl_gcc_interarrival *ia) {
  uint64_t resets = ia->resets;
  *ia = (pl_gcc_interarrival){0};
  ia->resets = resets;
}

static void group_start(pl_gcc_group *g, pl_time_us send, pl_time_us arrival) {
  *g = (pl_gcc_group){.valid = true, .first_send = send, .send = send, .first_arrival = arrival};
}

/* A packet that arrives sooner after the group's last one than it was sent
 * (the path drained a queue in a burst) belongs to the same group, as long
 * as the burst stays short: otherwise a long burst would hide a queue. */
static bool belongs_to_burst(const pl_gcc_group *g, pl_time_us send, pl_time_us arrival) {
  pl_time_us send_delta = send - g->send;
  if (send_delta == 0)
    return true;
  pl_time_us arrival_delta = arrival - g->complete;
  pl_time_us propagation_delta = arrival_delta - send_delta;
  return propagation_delta < 0 && arrival_delta <= BURST_DELTA_THRESHOLD &&
         arrival - g->first_arrival < MAX_BURST_DURATION;
}

static bool new_group(const pl_gcc_group *g, pl_time_us send, pl_time_us arrival) {
  if (!g->valid)
    return false;
  if (belongs_to_burst(g, send, arrival))
    return false;
  return send - g->first_send > SEND_GROUP_LENGTH;
}

bool pl_gcc_interarrival_add(pl_gcc_interarrival *ia, pl_time_us send, pl_time_us arrival,
                             pl_time_us system, uint32_t size, pl_time_us *send_delta,
                             pl_time_us *arrival_delta) {
  bool computed = false;
  if (!ia->cur.valid) {
    group_start(&ia->cur, send, arrival);
  } else if (ia->cur.first_send > send) {
    return false; /* sent before the group began: reordered, dropped */
  } else if (new_group(&ia->cur, send, arrival)) {
    if (ia->prev.valid) {
      pl_time_us sd = ia->cur.send - ia->prev.send;
      pl_time_us ad = ia->cur.complete - ia->prev.complete;
      pl_time_us system_delta = ia->cur.last_system - ia->prev.last_system;
      /* The receiver's clock moved much further than ours between the two
       * groups: it jumped (a restart, an NTP step). Nothing before the jump
       * can be compared with anything after it. */
      if (ad - system_delta >= ARRIVAL_OFFSET_THRESHOLD) {
        pl_gcc_interarrival_reset(ia);
        ia->resets++;
        return false;
      }
      if (ad < 0) {
        /* The receiver's clock went backwards, or groups were reordered in
         * the network; a few in a row means the clock really moved. */
        if (++ia->reordered >= REORDERED_RESET_THRESHOLD) {
          pl_gcc_interarrival_reset(ia);
          ia->resets++;
        }
        return false;
      }
      ia->reordered = 0;
      *send_delta = sd;
      *arrival_delta = ad;
      computed = true;
    }
    ia->prev = ia->cur;
    group_start(&ia->cur, send, arrival);
  } else if (send > ia->cur.send) {
    ia->cur.send = send;
  }
  ia->cur.size += size;
  ia->cur.complete = arrival;
  ia->cur.last_system = system;
  return computed;
}

/* ------------------------------------------------------------------------- */

void pl_gcc_trendline_init(pl_gcc_trendline *t) {
  *t = (pl_gcc_trendline){
      .first_arrival_ms = -1,
      .threshold = THRESHOLD_INIT,
      .last_update_ms = -1,
      .time_over_using = -1,
      .state = PL_GCC_NORMAL,
  };
}

bool pl_gcc_linear_fit_slope(const double *x, const double *y, int n, double *slope) {
  if (n < 2)
    return false;
  double sx = 0, sy = 0;
  for (int i = 0; i < n; i++) {
    sx += x[i];
    sy += y[i];
  }
  double xa = sx / n, ya = sy / n, num = 0, den = 0;
  for (int i = 0; i < n; i++) {
    num += (x[i] - xa) * (y[i] - ya);
    den += (x[i] - xa) * (x[i] - xa);
  }
  if (den == 0)
    return false;
  *slope = num / den;
  return isfinite(*slope);
}

/* The threshold follows |modified trend|: quickly down (k_down) so a quiet
 * path is sensitive, slowly up (k_up) so a self-inflicted queue is still
 * detected, but up it does go, which keeps a concurrent TCP flow from
 * pushing us to nothing. Spikes well above it (+15) are not followed. */
void pl_gcc_trendline_update_threshold(pl_gcc_trendline *t, double modified_trend,
                                       double now_ms) {
  if (t->last_update_ms < 0)
    t->last_update_ms = now_ms;
  double a = fabs(modified_trend);
  if (a > t->threshold + MAX_ADAPT_OFFSET_MS) {
    t->last_update_ms = now_ms;
    return;
  }
  double k = a < t->threshold ? K_DOWN : K_UP;
  double dt = now_ms - t->last_update_ms;
  if (dt > MAX_TIME_DELTA_MS)
    dt = MAX_TIME_DELTA_MS;
  if (dt < 0) /* unreachable with ordered arrivals; harmless either way */
    dt = 0;
  t->threshold += k * (a - t->threshold) * dt;
  if (t->threshold < THRESHOLD_MIN)
    t->threshold = THRESHOLD_MIN;
  if (t->threshold > THRESHOLD_MAX)
    t->threshold = THRESHOLD_MAX;
  t->last_update_ms = now_ms;
}

static void detect(pl_gcc_trendline *t, double trend, double ts_delta_ms, double now_ms) {
  if (t->num_deltas < 2) {
    t->state = PL_GCC_NORMAL;
    return;
  }
  int n = t->num_deltas < MIN_NUM_DELTAS ? t->num_deltas : MIN_NUM_DELTAS;
  double modified = n * trend * THRESHOLD_GAIN;
  t->prev_modified_trend = modified;
  if (modified > t->threshold) {
    if (t->time_over_using < 0)
      t->time_over_using = ts_delta_ms / 2; /* assume half the group was over */
    else
      t->time_over_using += ts_delta_ms;
    t->overuse_counter++;
    /* Overuse only when it lasted and the trend is not already turning. */
    if (t->time_over_using > OVERUSING_TIME_MS && t->overuse_counter > 1 &&
        trend >= t->prev_trend) {
      t->time_over_using = 0;
      t->overuse_counter = 0;
      t->state = PL_GCC_OVERUSING;
    }
  } else if (modified < -t->threshold) {
    t->time_over_using = -1;
    t->overuse_counter = 0;
    t->state = PL_GCC_UNDERUSING;
  } else {
    t->time_over_using = -1;
    t->overuse_counter = 0;
    t->state = PL_GCC_NORMAL;
  }
  t->prev_trend = trend;
  pl_gcc_trendline_update_threshold(t, modified, now_ms);
}

int pl_gcc_trendline_update(pl_gcc_trendline *t, double recv_delta_ms, double send_delta_ms,
                            double arrival_ms) {
  double delta = recv_delta_ms - send_delta_ms;
  if (++t->num_deltas > DELTA_COUNTER_MAX)
    t->num_deltas = DELTA_COUNTER_MAX;
  if (t->first_arrival_ms < 0)
    t->first_arrival_ms = arrival_ms;
  t->acc_delay += delta;
  t->smoothed_delay = SMOOTHING * t->smoothed_delay + (1 - SMOOTHING) * t->acc_delay;

  int idx = (t->hist_head + t->hist_n) % PL_GCC_TREND_WINDOW;
  if (t->hist_n == PL_GCC_TREND_WINDOW) {
    idx = t->hist_head;
    t->hist_head = (t->hist_head + 1) % PL_GCC_TREND_WINDOW;
  } else {
    t->hist_n++;
  }
  t->hist_x[idx] = arrival_ms - t->first_arrival_ms;
  t->hist_y[idx] = t->smoothed_delay;

  double trend = t->prev_trend;
  if (t->hist_n == PL_GCC_TREND_WINDOW) {
    double s; /* order does not matter to a least-squares fit */
    if (pl_gcc_linear_fit_slope(t->hist_x, t->hist_y, t->hist_n, &s))
      trend = s;
  }
  t->trend = trend;
  detect(t, trend, send_delta_ms, arrival_ms);
  return t->state;
}
