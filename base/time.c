#include "base/time.h"

#include <time.h>

pl_time_us pl_time_now_real(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (pl_time_us)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static pl_time_us real_now(pl_clock *c) {
  (void)c;
  return pl_time_now_real();
}

static pl_time_us sim_now(pl_clock *c) { return c->sim_now; }

void pl_clock_init_real(pl_clock *c) {
  c->now = real_now;
  c->sim_now = 0;
}

void pl_clock_init_sim(pl_clock *c, pl_time_us start) {
  c->now = sim_now;
  c->sim_now = start;
}

void pl_clock_advance_to(pl_clock *c, pl_time_us t) {
  if (c->now == sim_now && t > c->sim_now)
    c->sim_now = t;
}

uint64_t pl_ntp_from_unix_us(int64_t unix_us) {
  /* 70 years (1900 -> 1970) including 17 leap days. */
  const uint64_t ntp_epoch_offset = 2208988800ULL;
  uint64_t sec = (uint64_t)(unix_us / 1000000) + ntp_epoch_offset;
  uint64_t frac = ((uint64_t)(unix_us % 1000000) << 32) / 1000000;
  return (sec << 32) | frac;
}
