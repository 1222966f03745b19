/* The acknowledged bitrate: what the receiver actually got, after
 * libwebrtc's bitrate_estimator.cc and acknowledged_bitrate_estimator.cc.
 *
 * Bytes acknowledged by feedback are summed over windows of receive time
 * (500 ms for the first sample, which seeds the estimate, 150 ms after) and
 * each window's rate is folded into a Bayesian estimate: the sample's
 * variance grows with its distance from the estimate, so one odd window
 * moves it little, and the estimate's own variance grows by 5 per sample
 * so that a real change is followed within a few windows. AIMD backs off
 * to 0.85 x this on overuse, so it must be steady, not jumpy. */
#include <math.h>

#include "net/cc/gcc_internal.h"

#define INITIAL_WINDOW PL_MS(500)
#define WINDOW PL_MS(150)
#define UNCERTAINTY_SCALE 10.0
#define INITIAL_VAR 50.0
#define VAR_GROWTH 5.0      /* per sample: the rate drifts */
#define FAST_CHANGE_VAR 200.0

void pl_gcc_ack_rate_init(pl_gcc_ack_rate *r) {
  *r = (pl_gcc_ack_rate){.prev_time = PL_TIME_NEVER, .estimate_kbps = -1, .var = INITIAL_VAR};
}

/* Returns a finished window's rate in kbit/s, or -1. */
static double update_window(pl_gcc_ack_rate *r, pl_time_us now, uint32_t bytes,
                            pl_time_us window) {
  if (r->prev_time != PL_TIME_NEVER && now < r->prev_time) {
    /* Receive time went backwards (a receiver clock step): start over. */
    r->prev_time = PL_TIME_NEVER;
    r->sum = 0;
    r->window = 0;
  }
  if (r->prev_time != PL_TIME_NEVER) {
    pl_time_us gap = now - r->prev_time;
    r->window += gap;
    if (gap > window) {
      /* Nothing received for a whole window: those bytes are stale. */
      r->sum = 0;
      r->window %= window;
    }
  }
  r->prev_time = now;
  double sample = -1;
  if (r->window >= window) {
    sample = 8.0 * (double)r->sum / ((double)window / 1000.0);
    r->window -= window;
    r->sum = 0;
  }
  r->sum += bytes;
  return sample;
}

void pl_gcc_ack_rate_update(pl_gcc_ack_rate *r, pl_time_us at, uint32_t bytes, bool in_alr) {
  (void)in_alr; /* upstream's ALR uncertainty scale defaults to the normal one */
  pl_time_us window = r->estimate_kbps < 0 ? INITIAL_WINDOW : WINDOW;
  double sample = update_window(r, at, bytes, window);
  if (sample < 0)
    return;
  if (r->estimate_kbps < 0) {
    r->estimate_kbps = sample;
    return;
  }
  double uncertainty = UNCERTAINTY_SCALE * fabs(r->estimate_kbps - sample) / r->estimate_kbps;
  if (!(r->estimate_kbps > 0)) /* a zero estimate: trust the sample */
    uncertainty = 0;
  double sample_var = uncertainty * uncertainty;
  double pred_var = r->var + VAR_GROWTH;
  r->estimate_kbps = (sample_var * r->estimate_kbps + pred_var * sample) / (sample_var + pred_var);
  if (r->estimate_kbps < 0)
    r->estimate_kbps = 0;
  r->var = sample_var * pred_var / (sample_var + pred_var);
}

/* After ALR the sender suddenly fills the link again; let the estimate
 * follow within a few samples. */
void pl_gcc_ack_rate_expect_fast_change(pl_gcc_ack_rate *r) { r->var += FAST_CHANGE_VAR; }

double pl_gcc_ack_rate_bps(const pl_gcc_ack_rate *r) {
  return r->estimate_kbps < 0 ? -1 : r->estimate_kbps * 1000;
}
