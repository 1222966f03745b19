/* Probing, after libwebrtc's probe_controller.cc (when to probe) and
 * probe_bitrate_estimator.cc (what a probe measured).
 *
 * The delay signal only says "too much" or "not too much" about the rate we
 * send; it cannot say how much more the path would take. A probe cluster is
 * a short burst at a chosen rate (at least 5 packets over 15 ms); if the
 * receiver got it at the rate it was sent, the path has at least that
 * capacity and the estimate jumps there at once instead of climbing 8 %
 * per second. When it came in slower, the receive rate is the capacity.
 * Probes go out at the start (3x and 6x the start rate), further while each
 * result shows more room (2x the result, when above 70 % of what was
 * probed), every 5 s while application-limited, when the encoders' maximum
 * rises, and once after a large drop that ALR may have caused.
 *
 * One addition of ours, rise probing: while the encoders fill the estimate
 * (no ALR) and the delay detector is calm, a probe at 2x the estimate goes
 * out RISE_MIN after the last decrease or probe. libwebrtc has no such
 * probe: after a drop its estimate climbs back at 8 % per second (18 s
 * from 0.6 to 1.5 Mbit/s on issue 14's trace, measured in Chromium), which
 * is what issue 14's 5 s step-up target asks to beat. A probe that finds
 * room raises the estimate at once (and probes further, 2x again); one that
 * finds none doubles the wait before the next, up to RISE_MAX, so a call
 * at capacity pays a 15 ms burst every few seconds. A large drop (a third
 * or more) starts over at RISE_MIN. Chosen on the development traces
 * (scripts/cc-table.sh --dev). */
#include <math.h>

#include "net/cc/gcc_internal.h"

#define FIRST_SCALE 3.0            /* first_exponential_probe_scale */
#define SECOND_SCALE 6.0           /* second_exponential_probe_scale */
#define FURTHER_SCALE 2.0          /* further_exponential_probe_scale */
#define FURTHER_THRESHOLD 0.7      /* further_probe_threshold */
#define ALR_PROBE_INTERVAL PL_SEC(5) /* alr_probing_interval */
#define ALR_PROBE_SCALE 2.0        /* alr_probe_scale */
#define PROBE_DURATION PL_MS(15)   /* min_probe_duration */
#define PROBE_PACKETS 5            /* min_probe_packets_sent */
#define MAX_WAIT_RESULT PL_SEC(1)  /* kMaxWaitingTimeForProbingResult */
#define DROP_THRESHOLD 0.66        /* kBitrateDropThreshold */
#define DROP_TIMEOUT PL_SEC(5)     /* kBitrateDropTimeout */
#define FRACTION_AFTER_DROP 0.85   /* kProbeFractionAfterDrop */
#define PROBE_UNCERTAINTY 0.05     /* kProbeUncertainty */
#define ALR_ENDED_TIMEOUT PL_SEC(3) /* kAlrEndedTimeout */
#define MIN_BETWEEN_DROP_PROBES PL_SEC(5) /* kMinTimeBetweenAlrProbes */
#define ALLOC_SCALE_1 1.0          /* first_allocation_probe_scale */
#define ALLOC_SCALE_2 2.0          /* second_allocation_probe_scale */

#define RISE_MIN PL_SEC(2)
#define RISE_MAX PL_SEC(4) /* 8 s: the dev traces' step-ups took 12 s, not 7 */
#define RISE_SCALE 2.0     /* 1.5 on the dev traces: the same within noise */
#define RISE_FOUND 1.25 /* the estimate grew this much since the last rise probe: it found room */
#define DECREASE 0.97   /* under this x the estimate: a decrease */

/* probe_bitrate_estimator.cc */
#define MIN_RECEIVED_PROBES 0.80
#define MIN_RECEIVED_BYTES 0.80
#define MAX_VALID_RATIO 2.0
#define MIN_RATIO_UNSATURATED 0.9
#define TARGET_UTILIZATION 0.95
#define MAX_PROBE_INTERVAL PL_SEC(1)

static void initiate(pl_gcc_probe *p, pl_time_us now, const double *rates, int n,
                     bool further);

void pl_gcc_probe_init(pl_gcc_probe *p, double start_bps, double max_bps, pl_time_us now) {
  *p = (pl_gcc_probe){
      .state = PL_GCC_PROBE_INIT,
      .start_bps = start_bps,
      .max_bps = max_bps,
      .estimate_bps = start_bps,
      .min_to_probe_further = INFINITY,
      .last_probing = PL_TIME_NEVER,
      .alr_start = PL_TIME_NEVER,
      .alr_end = PL_TIME_NEVER,
      .last_large_drop = PL_TIME_NEVER,
      .last_drop_probe = PL_TIME_NEVER,
      .result_bps = -1,
      .rise_since = now,
      .rise_interval = RISE_MIN,
  };
  for (int i = 0; i < PL_GCC_CLUSTERS; i++)
    p->clusters[i].id = -1;
}

/* The transport is up (upstream: OnNetworkAvailability): exponential
 * probing from the start rate. */
void pl_gcc_probe_start(pl_gcc_probe *p, pl_time_us now) {
  if (p->state != PL_GCC_PROBE_INIT)
    return;
  double rates[2] = {FIRST_SCALE * p->start_bps, SECOND_SCALE * p->start_bps};
  initiate(p, now, rates, 2, true);
}

static pl_gcc_cluster *cluster_slot(pl_gcc_probe *p) {
  pl_gcc_cluster *oldest = &p->clusters[0];
  for (int i = 0; i < PL_GCC_CLUSTERS; i++) {
    if (p->clusters[i].id < 0)
      return &p->clusters[i];
    if (p->clusters[i].created < oldest->created)
      oldest = &p->clusters[i];
  }
  return oldest;
}

static pl_gcc_cluster *cluster_find(pl_gcc_probe *p, int id) {
  for (int i = 0; i < PL_GCC_CLUSTERS; i++)
    if (id >= 0 && p->clusters[i].id == id)
      return &p->clusters[i];
  return NULL;
}

static void initiate(pl_gcc_probe *p, pl_time_us now, const double *rates, int n,
                     bool further) {
  double max_probe = p->max_bps;
  /* Up to twice what the encoders can use: room for bursty streams, and a
   * probe is often received a little under its rate. */
  if (p->max_allocated > 0 && 2 * p->max_allocated < max_probe)
    max_probe = 2 * p->max_allocated;
  double last = 0;
  for (int i = 0; i < n; i++) {
    double bps = rates[i];
    if (bps > max_probe) {
      bps = max_probe;
      further = false;
    }
    last = bps;
    if (p->queue_n == PL_GCC_PROBE_QUEUE) {
      p->dropped++; /* the pacer is not draining probes */
      continue;
    }
    p->created++;
    int id = p->next_id;
    p->next_id = (p->next_id + 1) & 0x7fff;
    uint32_t min_bytes = (uint32_t)(bps * ((double)PROBE_DURATION / 1e6) / 8);
    p->queue[p->queue_n++] =
        (pl_cc_probe){.id = id, .bps = (uint64_t)bps, .min_packets = PROBE_PACKETS,
                      .min_bytes = min_bytes};
    pl_gcc_cluster *c = cluster_slot(p);
    *c = (pl_gcc_cluster){.id = id, .bps = bps, .min_packets = PROBE_PACKETS,
                          .min_bytes = min_bytes, .created = now,
                          .first_send = PL_TIME_NEVER, .first_recv = PL_TIME_NEVER,
                          .last_send = -PL_TIME_NEVER, .last_recv = -PL_TIME_NEVER,
                          .rise = p->initiating_rise};
  }
  p->last_probing = now;
  if (further && n > 0) {
    p->state = PL_GCC_PROBE_WAITING;
    p->min_to_probe_further = last * FURTHER_THRESHOLD;
  } else {
    p->state = PL_GCC_PROBE_COMPLETE;
    p->min_to_probe_further = INFINITY;
  }
}

void pl_gcc_probe_set_estimate(pl_gcc_probe *p, double bps, pl_time_us now) {
  if (bps < DROP_THRESHOLD * p->estimate_bps) {
    p->last_large_drop = now;
    p->before_last_large_drop = p->estimate_bps;
    p->rise_interval = RISE_MIN;
    p->rise_base = 0;
  }
  if (bps < DECREASE * p->estimate_bps)
    p->rise_since = now;
  p->estimate_bps = bps;
  if (p->state == PL_GCC_PROBE_WAITING && bps > p->min_to_probe_further) {
    double r = FURTHER_SCALE * bps;
    initiate(p, now, &r, 1, true);
  }
}

void pl_gcc_probe_process(pl_gcc_probe *p, pl_time_us now) {
  if (p->last_probing != PL_TIME_NEVER && now - p->last_probing > MAX_WAIT_RESULT &&
      p->state == PL_GCC_PROBE_WAITING) {
    p->state = PL_GCC_PROBE_COMPLETE; /* no result in time: give up on it */
    p->min_to_probe_further = INFINITY;
  }
  if (p->estimate_bps <= 0 || p->state != PL_GCC_PROBE_COMPLETE)
    return;
  if (p->alr_start != PL_TIME_NEVER) {
    pl_time_us base = p->alr_start;
    if (p->last_probing != PL_TIME_NEVER && p->last_probing > base)
      base = p->last_probing;
    if (now >= base + ALR_PROBE_INTERVAL) {
      double r = ALR_PROBE_SCALE * p->estimate_bps;
      initiate(p, now, &r, 1, true);
    }
    return;
  }
  pl_time_us base = p->rise_since;
  if (p->last_probing != PL_TIME_NEVER && p->last_probing > base)
    base = p->last_probing;
  if (!p->delay_normal || p->estimate_bps >= 0.95 * p->max_bps || now < base + p->rise_interval)
    return;
  if (p->rise_base > 0 && p->estimate_bps < RISE_FOUND * p->rise_base) {
    p->rise_interval *= 2; /* the last one found no room */
    if (p->rise_interval > RISE_MAX)
      p->rise_interval = RISE_MAX;
  } else {
    p->rise_interval = RISE_MIN;
  }
  if (now < base + p->rise_interval)
    return;
  p->rise_base = p->estimate_bps;
  p->rise_probes++;
  double r = RISE_SCALE * p->estimate_bps;
  p->initiating_rise = true;
  initiate(p, now, &r, 1, true);
  p->initiating_rise = false;
}

void pl_gcc_probe_max_allocated(pl_gcc_probe *p, double bps, pl_time_us now) {
  /* Only in ALR: otherwise the encoders already fill the estimate and the
   * delay signal will find any room above it. */
  bool in_alr = p->alr_start != PL_TIME_NEVER;
  if (p->state == PL_GCC_PROBE_COMPLETE && bps != p->max_allocated &&
      p->estimate_bps < p->max_bps && p->estimate_bps < bps && in_alr) {
    p->max_allocated = bps;
    double rates[2] = {bps * ALLOC_SCALE_1, bps * ALLOC_SCALE_2};
    initiate(p, now, rates, 2, false);
    return;
  }
  p->max_allocated = bps;
}

/* After recovering from an overuse: if the estimate fell by a third within
 * the last 5 s while we were (or had just been) application-limited, the
 * drop may be an artefact of sending too little to measure; one probe at
 * 85 % of the rate before the drop tells. */
void pl_gcc_probe_request(pl_gcc_probe *p, pl_time_us now) {
  bool in_alr = p->alr_start != PL_TIME_NEVER;
  bool alr_ended_recently = p->alr_end != PL_TIME_NEVER && now - p->alr_end < ALR_ENDED_TIMEOUT;
  if (!(in_alr || alr_ended_recently) || p->state != PL_GCC_PROBE_COMPLETE)
    return;
  double suggested = FRACTION_AFTER_DROP * p->before_last_large_drop;
  double min_expected = (1 - PROBE_UNCERTAINTY) * suggested;
  bool drop_recent = p->last_large_drop != PL_TIME_NEVER && now - p->last_large_drop < DROP_TIMEOUT;
  bool probe_old = p->last_drop_probe == PL_TIME_NEVER ||
                   now - p->last_drop_probe > MIN_BETWEEN_DROP_PROBES;
  if (min_expected > p->estimate_bps && drop_recent && probe_old) {
    p->last_drop_probe = now;
    initiate(p, now, &suggested, 1, false);
  }
}

void pl_gcc_probe_on_sent(pl_gcc_probe *p, int id, uint32_t size) {
  pl_gcc_cluster *c = cluster_find(p, id);
  if (!c)
    return;
  c->sent_packets++;
  c->sent_bytes += size;
}

double pl_gcc_probe_padding(const pl_gcc_probe *p, pl_time_us now) {
  double pad = 0;
  for (int i = 0; i < PL_GCC_CLUSTERS; i++) {
    const pl_gcc_cluster *c = &p->clusters[i];
    if (c->id < 0 || now - c->created > MAX_WAIT_RESULT)
      continue;
    if ((c->sent_packets < c->min_packets || c->sent_bytes < c->min_bytes) && c->bps > pad)
      pad = c->bps;
  }
  return pad;
}

/* One received packet of a cluster: once at least 80 % of the cluster's
 * packets and bytes are in, the send rate is its bytes (less the last one
 * sent: the interval ends when it starts) over the send interval, the
 * receive rate likewise (less the first one received). */
void pl_gcc_probe_on_feedback(pl_gcc_probe *p, const pl_cc_packet *pkt) {
  pl_gcc_cluster *c = cluster_find(p, pkt->probe_cluster);
  if (!c)
    return; /* not ours, or long forgotten */
  if (pkt->send_time < c->first_send)
    c->first_send = pkt->send_time;
  if (pkt->send_time > c->last_send) {
    c->last_send = pkt->send_time;
    c->size_last_send = pkt->size;
  }
  if (pkt->recv_time < c->first_recv) {
    c->first_recv = pkt->recv_time;
    c->size_first_recv = pkt->size;
  }
  if (pkt->recv_time > c->last_recv)
    c->last_recv = pkt->recv_time;
  c->size_total += pkt->size;
  c->num_probes++;
  if (c->num_probes < (int)(c->min_packets * MIN_RECEIVED_PROBES) ||
      (double)c->size_total < c->min_bytes * MIN_RECEIVED_BYTES)
    return;
  pl_time_us send_iv = c->last_send - c->first_send;
  pl_time_us recv_iv = c->last_recv - c->first_recv;
  if (send_iv <= 0 || send_iv > MAX_PROBE_INTERVAL || recv_iv <= 0 || recv_iv > MAX_PROBE_INTERVAL)
    return;
  double send_rate = (double)(c->size_total - c->size_last_send) * 8 / ((double)send_iv / 1e6);
  double recv_rate = (double)(c->size_total - c->size_first_recv) * 8 / ((double)recv_iv / 1e6);
  if (!(send_rate > 0) || recv_rate / send_rate > MAX_VALID_RATIO)
    return; /* received far faster than sent: the timing is broken */
  double res = send_rate < recv_rate ? send_rate : recv_rate;
  /* Received clearly slower than sent: the probe found the capacity; aim a
   * little under it so as not to overuse at once. */
  if (recv_rate < MIN_RATIO_UNSATURATED * send_rate) {
    res = TARGET_UTILIZATION * recv_rate;
    /* A rise probe that found the path full at about the rate we send
     * says only that we are near capacity: taken as a result, it would
     * lift the estimate into the queue it just made. */
    if (c->rise && res < RISE_FOUND * p->estimate_bps) {
      p->rise_full++;
      c->id = -1;
      return;
    }
  }
  p->result_bps = res;
}
