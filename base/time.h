/* Time as the sans-IO cores see it: monotonic microseconds handed in by the
 * caller. Cores never read a system clock; the driver owns a pl_clock, real
 * (libuv/monotonic) or simulated (tests, loopback lab), and passes `now`. */
#ifndef PL_BASE_TIME_H
#define PL_BASE_TIME_H

#include <stdint.h>

typedef int64_t pl_time_us;

#define PL_TIME_NEVER INT64_MAX /* deadline of a component with no timer */
#define PL_MS(x) ((pl_time_us)(x) * 1000)
#define PL_SEC(x) ((pl_time_us)(x) * 1000000)

static inline pl_time_us pl_time_min(pl_time_us a, pl_time_us b) {
  return a < b ? a : b;
}

/* A clock the driver reads. Simulated clocks only move when told to, so a
 * whole call can run as fast as the CPU allows and identically every run. */
typedef struct pl_clock {
  pl_time_us (*now)(struct pl_clock *c);
  pl_time_us sim_now; /* used by the simulated clock */
} pl_clock;

void pl_clock_init_real(pl_clock *c);
/* CLOCK_MONOTONIC now: for drivers only (the same base as uv_hrtime). */
pl_time_us pl_time_now_real(void);
void pl_clock_init_sim(pl_clock *c, pl_time_us start);
/* Simulated clocks only: jump to t (never backwards). */
void pl_clock_advance_to(pl_clock *c, pl_time_us t);

static inline pl_time_us pl_clock_now(pl_clock *c) { return c->now(c); }

/* Wall-clock time in NTP format (RFC 3550 SR), for the driver only. */
uint64_t pl_ntp_from_unix_us(int64_t unix_us);

#endif
