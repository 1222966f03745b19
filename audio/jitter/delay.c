/* The histogram forgets by time, not by packet: lambda = 0.99 per 20 ms of
 * audio (a 2 s time constant), whatever the packet duration. With the 95th
 * percentile that gives: up in about 5 packets' worth (0.1 s) after a jump
 * in jitter, since 5 % of new mass above the old level is enough; down in
 * ln(0.05)/ln(0.99) = 300 x 20 ms = 6 s after the jitter falls, when the old
 * mass has decayed below 5 %. The first packets are averaged plainly (lambda
 * = 1 - 1/(n+1) while that is smaller) so the prior does not linger. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "audio/jitter/delay.h"
#include "parley.h"

#define FORGET_PER_20MS 0.99
#define ATTACK 0.9           /* weight kept by the old mass on a repeated late packet */
#define ATTACK_WINDOW PL_SEC(2)
#define QUANTILE 0.95
#define WINDOW_US PL_SEC(2)

static void prior(pl_jdelay *d) {
  for (int i = 0; i < d->nbins; i++)
    d->hist[i] = 0.0;
  int b = (int)(d->initial_us / PL_JDELAY_BIN_US);
  if (b >= d->nbins)
    b = d->nbins - 1;
  if (b > 0)
    b--; /* the bin's upper edge is the target */
  d->hist[b] = 1.0;
  d->n = 1;
  d->jitter_us = (int64_t)(b + 1) * PL_JDELAY_BIN_US;
}

int pl_jdelay_init(pl_jdelay *d, int max_ms, int initial_ms) {
  d->initial_us = (int64_t)initial_ms * 1000;
  d->nbins = max_ms * 1000 / PL_JDELAY_BIN_US + 1;
  d->hist = calloc((size_t)d->nbins, sizeof *d->hist);
  if (!d->hist)
    return PL_ENOMEM;
  prior(d);
  pl_jdelay_restart(d);
  return 0;
}

void pl_jdelay_free(pl_jdelay *d) {
  free(d->hist);
  d->hist = NULL;
}

void pl_jdelay_restart(pl_jdelay *d) {
  d->dq_head = d->dq_size = 0;
  d->fastest = 0;
}

static void dq_push(pl_jdelay *d, pl_time_us t, int64_t v) {
  while (d->dq_size > 0) {
    int back = (d->dq_head + d->dq_size - 1) % PL_JDELAY_DQ;
    if (d->dq_v[back] < v)
      break;
    d->dq_size--;
  }
  if (d->dq_size == PL_JDELAY_DQ) {
    d->dq_head = (d->dq_head + 1) % PL_JDELAY_DQ;
    d->dq_size--;
  }
  int at = (d->dq_head + d->dq_size) % PL_JDELAY_DQ;
  d->dq_t[at] = t;
  d->dq_v[at] = v;
  d->dq_size++;
  while (d->dq_size > 1 && d->dq_t[d->dq_head] < t - WINDOW_US) {
    d->dq_head = (d->dq_head + 1) % PL_JDELAY_DQ;
    d->dq_size--;
  }
  d->fastest = d->dq_v[d->dq_head];
}

static void percentile(pl_jdelay *d) {
  double tail = 1.0 - QUANTILE, acc = 0;
  int b = d->nbins - 1;
  for (; b > 0; b--) {
    acc += d->hist[b];
    if (acc > tail)
      break;
  }
  d->jitter_us = (int64_t)(b + 1) * PL_JDELAY_BIN_US;
}

int64_t pl_jdelay_update(pl_jdelay *d, pl_time_us now, int64_t transit_us, int64_t dur_us) {
  dq_push(d, now, transit_us);
  int64_t rel = transit_us - d->fastest;
  int b = (int)(rel / PL_JDELAY_BIN_US);
  if (b >= d->nbins)
    b = d->nbins - 1;
  if (dur_us < 2500)
    dur_us = 2500;
  double lam = pow(FORGET_PER_20MS, (double)dur_us / 20000.0);
  double plain = 1.0 - 1.0 / (double)(d->n + 1);
  if (plain < lam)
    lam = plain;
  /* Peak following: a packet later than the target right after another
   * one (within 2 s) is a change in the network, not a fluke: it takes 10 %
   * of the mass at once, so the percentile moves to it now, not after the
   * five-odd packets plain forgetting needs. A lone late packet does not. */
  if (rel > d->jitter_us) {
    if (d->late_at && now - d->late_at <= ATTACK_WINDOW && lam > ATTACK)
      lam = ATTACK;
    d->late_at = now;
  }
  double total = 0;
  for (int i = 0; i < d->nbins; i++) {
    d->hist[i] *= lam;
    total += d->hist[i];
  }
  d->hist[b] += 1.0 - lam;
  total += 1.0 - lam;
  /* Keep the mass at exactly 1 against rounding drift over hours. */
  if (fabs(total - 1.0) > 1e-9)
    for (int i = 0; i < d->nbins; i++)
      d->hist[i] /= total;
  d->n++;
  percentile(d);
  return rel;
}
