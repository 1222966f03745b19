/* GCC on the sender: the parts in gcc_internal.h wired together the way
 * libwebrtc's goog_cc_network_control.cc and delay_based_bwe.cc wire them.
 *
 * Per feedback: loss counts go to the loss-based controller (once a
 * second), received packets in receive order go to the acknowledged-bitrate
 * estimator, the probe estimator and, grouped, the trendline detector; its
 * verdict drives AIMD, whose estimate caps the loss-based target. Every
 * 25 ms (the deadline): the loss-based controller grows or holds, the probe
 * controller looks at ALR. The target is the loss-based controller's,
 * capped by the delay-based estimate and REMB, clamped to [min, max].
 *
 * Inputs come from the network through the call: every time, size, rate
 * and fraction is checked before it reaches the arithmetic, and a `now`
 * earlier than one already seen is taken as the latest one seen. */
#include "net/cc/gcc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/cc/gcc_internal.h"

#define PROCESS_INTERVAL PL_MS(25)  /* GoogCC's process interval */
#define STREAM_TIMEOUT PL_SEC(2)    /* DelayBasedBwe kStreamTimeOut */
#define LOSS_UPDATE_INTERVAL PL_SEC(1) /* kLossUpdateInterval (TWCC loss) */
#define RTT_WINDOW 32               /* kMaxFeedbackRttWindow */
#define PACING_FACTOR 2.5           /* kDefaultPaceMultiplier */
#define MAX_FEEDBACK_AGE PL_SEC(60) /* results for older packets: nonsense */
#define MAX_RTT PL_SEC(60)
#define PROBE_DROP_THROUGHPUT 0.85 /* kProbeDropThroughputFraction */
/* An overuse this soon after a probe result backs off from the larger of
 * the probe's finding and the acknowledged rate (ours; docs/congestion.md). */
#define PROBE_TRUST PL_SEC(2)
#define MAX_PACKET 65535u
/* No real clock, ours or a receiver's unwrapped TWCC time, comes near
 * 2^52 us (142 years); refusing beyond it keeps every difference of two
 * times far from overflow. */
#define TIME_LIMIT ((pl_time_us)1 << 52)

struct pl_gcc {
  double min_bps, max_bps;
  pl_time_us now; /* the latest time any call told us */

  pl_gcc_interarrival ia;
  pl_gcc_trendline tl;
  pl_time_us last_seen_packet;
  pl_gcc_aimd aimd;
  pl_gcc_loss loss;
  pl_gcc_ack_rate ack;
  pl_time_us alr_ended;
  bool prev_in_alr;
  pl_gcc_alr alr;
  pl_gcc_probe probe;
  double last_probe_bps; /* the latest probe result: a throughput seen, until acked has one */
  pl_time_us last_probe_at;

  pl_time_us fb_rtt[RTT_WINDOW]; /* max feedback RTT of recent feedbacks */
  int fb_rtt_n, fb_rtt_head;
  pl_time_us ext_rtt;            /* 0: none measured elsewhere */
  int64_t lost_acc, expected_acc;
  int64_t last_seq; /* highest sequence number a feedback reported */
  bool have_seq;
  pl_time_us next_loss_update;
  bool twcc_loss;

  double target;
  pl_time_us next_process;
  pl_gcc_stats stats;
  pl_cc_packet sorted[PL_CC_FEEDBACK_MAX];
};

static bool time_ok(pl_time_us t) { return t > -TIME_LIMIT && t < TIME_LIMIT; }

/* The `now` a call may use: refused (false) when absurd, never earlier
 * than one already seen. */
static bool advance(pl_gcc *g, pl_time_us *now) {
  if (!time_ok(*now)) {
    g->stats.bad_inputs++;
    return false;
  }
  if (*now < g->now) {
    g->stats.clock_backwards++;
    *now = g->now;
  }
  g->now = *now;
  return true;
}

static double clampd(double v, double lo, double hi) {
  if (!(v >= lo)) /* NaN included */
    return lo;
  return v > hi ? hi : v;
}

static void sync_probe_stats(pl_gcc *g) {
  g->stats.probes = g->probe.created;
  g->stats.probes_dropped = g->probe.dropped;
}

/* MaybeTriggerOnNetworkChanged: a new target reaches ALR and probing. */
static void target_changed(pl_gcc *g, pl_time_us now) {
  double t = clampd(pl_gcc_loss_target(&g->loss), g->min_bps, g->max_bps);
  if (t != g->target) {
    g->target = t;
    pl_gcc_alr_set_estimate(&g->alr, t);
    pl_gcc_probe_set_estimate(&g->probe, t, now);
    sync_probe_stats(g);
  }
}

pl_gcc *pl_gcc_new(const pl_cc_config *cfg_in, pl_time_us now) {
  pl_cc_config cfg, def;
  pl_cc_config_init(&def);
  cfg = cfg_in ? *cfg_in : def;
  if (!cfg.min_bps)
    cfg.min_bps = def.min_bps;
  if (!cfg.max_bps)
    cfg.max_bps = def.max_bps;
  if (cfg.max_bps < cfg.min_bps)
    cfg.max_bps = cfg.min_bps;
  if (!cfg.start_bps)
    cfg.start_bps = def.start_bps;
  if (!time_ok(now))
    now = 0;
  pl_gcc *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->min_bps = (double)cfg.min_bps;
  g->max_bps = (double)cfg.max_bps;
  double start = clampd((double)cfg.start_bps, g->min_bps, g->max_bps);
  g->now = now;
  pl_gcc_interarrival_reset(&g->ia);
  pl_gcc_trendline_init(&g->tl);
  g->last_seen_packet = PL_TIME_NEVER;
  pl_gcc_aimd_init(&g->aimd, start, g->min_bps, g->max_bps);
  pl_gcc_loss_init(&g->loss, start, g->min_bps, g->max_bps);
  pl_gcc_ack_rate_init(&g->ack);
  g->alr_ended = PL_TIME_NEVER;
  pl_gcc_alr_init(&g->alr, start);
  pl_gcc_probe_init(&g->probe, start, g->max_bps, now);
  g->next_loss_update = PL_TIME_NEVER;
  g->target = start;
  g->next_process = now + PROCESS_INTERVAL;
  sync_probe_stats(g);
  return g;
}

void pl_gcc_free(pl_gcc *g) { free(g); }

static int by_receive_time(const void *a, const void *b) {
  const pl_cc_packet *x = a, *y = b;
  if (x->recv_time != y->recv_time)
    return x->recv_time < y->recv_time ? -1 : 1;
  if (x->send_time != y->send_time)
    return x->send_time < y->send_time ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

static pl_time_us feedback_rtt_mean(const pl_gcc *g) {
  if (!g->fb_rtt_n)
    return 0;
  pl_time_us sum = 0;
  for (int i = 0; i < g->fb_rtt_n; i++)
    sum += g->fb_rtt[i];
  return sum / g->fb_rtt_n;
}

/* RTTs from the feedback itself, for peers that send no RTCP RTT: the
 * mean of recent per-feedback maxima for AIMD (as upstream's
 * packet_feedback_only mode), the minimum less queueing for the loss-based
 * controller's decrease interval. */
static void feedback_rtts(pl_gcc *g, pl_time_us now, int n) {
  if (!n)
    return;
  pl_time_us max_recv = g->sorted[n - 1].recv_time, max_rtt = 0, min_rtt = MAX_RTT;
  for (int i = 0; i < n; i++) {
    pl_time_us rtt = now - g->sorted[i].send_time; /* 0..60 s, checked */
    pl_time_us pending = max_recv - g->sorted[i].recv_time;
    if (rtt > max_rtt)
      max_rtt = rtt;
    if (rtt - pending > 0 && rtt - pending < min_rtt)
      min_rtt = rtt - pending;
  }
  if (max_rtt <= 0)
    return;
  g->fb_rtt[g->fb_rtt_head] = max_rtt;
  g->fb_rtt_head = (g->fb_rtt_head + 1) % RTT_WINDOW;
  if (g->fb_rtt_n < RTT_WINDOW)
    g->fb_rtt_n++;
  if (!g->ext_rtt) {
    g->aimd.rtt = feedback_rtt_mean(g);
    pl_gcc_loss_set_rtt(&g->loss, min_rtt);
  }
}

/* DelayBasedBwe::IncomingPacketFeedbackVector and MaybeUpdateEstimate, on
 * the received packets of one feedback (g->sorted, in receive order). */
static void delay_based(pl_gcc *g, pl_time_us now, int received, double acked,
                        double probe_bps, bool in_alr) {
  if (g->last_seen_packet == PL_TIME_NEVER || now - g->last_seen_packet > STREAM_TIMEOUT) {
    /* Nothing for 2 s: old groups say nothing about the path now. */
    pl_gcc_interarrival_reset(&g->ia);
    pl_gcc_trendline_init(&g->tl);
  }
  g->last_seen_packet = now;
  uint64_t resets_before = g->ia.resets;
  int prev_state = g->tl.state;
  bool recovered = false;
  for (int i = 0; i < received; i++) {
    const pl_cc_packet *p = &g->sorted[i];
    pl_time_us sd, ad;
    if (pl_gcc_interarrival_add(&g->ia, p->send_time, p->recv_time, now, p->size, &sd, &ad)) {
      int before = g->tl.state;
      pl_gcc_trendline_update(&g->tl, (double)ad / 1000, (double)sd / 1000,
                              (double)p->recv_time / 1000);
      if (g->tl.state == PL_GCC_OVERUSING && before != PL_GCC_OVERUSING)
        g->stats.overuses++;
    }
    if (prev_state == PL_GCC_UNDERUSING && g->tl.state == PL_GCC_NORMAL)
      recovered = true;
    prev_state = g->tl.state;
  }
  if (g->ia.resets != resets_before) {
    /* The receiver's clock jumped: the trend across it is meaningless. */
    g->stats.detector_resets += g->ia.resets - resets_before;
    pl_gcc_trendline_init(&g->tl);
  }
  g->aimd.in_alr = in_alr;

  bool updated = false, probe = false;
  if (g->tl.state == PL_GCC_OVERUSING) {
    /* Right after a probe found room, the acknowledged rate is still the
     * old, lower rate (it averages the last second or more), and the
     * encoder's first frames at the new rate (often a keyframe at a larger
     * size) make the overuse: libwebrtc backs off to 0.85 x that old rate
     * and throws the probe's finding away (the dev traces: 1.14 Mbit/s
     * found on a 1.2 Mbit/s path, 456 kbit/s a second later). For
     * PROBE_TRUST the probe's rate is the base instead, when larger. */
    double base = acked;
    if (acked >= 0 && g->last_probe_bps > acked && now - g->last_probe_at < PROBE_TRUST)
      base = g->last_probe_bps;
    if (acked >= 0 && pl_gcc_aimd_time_to_reduce_further(&g->aimd, now, base)) {
      pl_gcc_aimd_update(&g->aimd, g->tl.state, base, now);
      updated = g->aimd.initialized;
    } else if (acked < 0 && g->last_probe_bps > 0) {
      /* Overuse before the acknowledged rate has its first estimate (500 ms
       * of feedback), but after a probe measured what gets through: back
       * off from that, as from an acknowledged rate. libwebrtc halves here;
       * at a call's start, whose initial probe just found the path, that
       * threw away the probe's finding three times in 300 ms (a 2.5 Mbit/s
       * path ended the first second at 295 kbit/s). */
      if (pl_gcc_aimd_time_to_reduce_further(&g->aimd, now, g->last_probe_bps)) {
        pl_gcc_aimd_update(&g->aimd, g->tl.state, g->last_probe_bps, now);
        updated = true;
      }
    } else if (acked < 0 && pl_gcc_aimd_initial_time_to_reduce_further(&g->aimd, now)) {
      /* Overuse before anything was measured: halve every 200 ms. */
      pl_gcc_aimd_set_estimate(&g->aimd, g->aimd.current / 2, now);
      updated = true;
    }
  } else if (probe_bps > 0) {
    pl_gcc_aimd_set_estimate(&g->aimd, probe_bps, now);
    updated = probe = true;
  } else {
    pl_gcc_aimd_update(&g->aimd, g->tl.state, acked, now);
    updated = g->aimd.initialized;
  }
  if (updated) {
    if (probe)
      pl_gcc_loss_set_send_bitrate(&g->loss, g->aimd.current, now);
    pl_gcc_loss_set_delay_based(&g->loss, g->aimd.current, now);
  }
  if (recovered) {
    g->probe.alr_start = g->alr.start;
    pl_gcc_probe_request(&g->probe, now);
  }
}

void pl_gcc_on_feedback(pl_gcc *g, const pl_cc_feedback *fb) {
  if (!g || !fb)
    return;
  pl_time_us now = fb->feedback_time;
  if ((fb->n && !fb->packets) || !advance(g, &now)) {
    if (fb->n && !fb->packets)
      g->stats.bad_inputs++;
    return;
  }
  if (!fb->n)
    return;
  g->stats.feedbacks++;
  size_t n = fb->n < PL_CC_FEEDBACK_MAX ? fb->n : PL_CC_FEEDBACK_MAX;
  int received = 0;
  int64_t with_feedback = 0, lost = 0;
  for (size_t i = 0; i < n; i++) {
    const pl_cc_packet *p = &fb->packets[i];
    bool sane = time_ok(p->send_time) && p->send_time <= now &&
                now - p->send_time <= MAX_FEEDBACK_AGE && p->size > 0 && p->size <= MAX_PACKET;
    bool got = p->recv_time != PL_TIME_NEVER;
    if (!sane || (got && !time_ok(p->recv_time))) {
      g->stats.bad_packets++;
      continue;
    }
    /* Each packet counts once: a duplicate feedback (or a late report for a
     * packet already reported lost) would count its bytes twice in the
     * acknowledged and probe rates. */
    if (g->have_seq && p->seq <= g->last_seq) {
      g->stats.stale++;
      continue;
    }
    g->have_seq = true;
    g->last_seq = p->seq;
    with_feedback++;
    if (!got) {
      lost++;
      continue;
    }
    g->sorted[received++] = *p;
  }
  g->stats.bad_packets += fb->n - n; /* beyond what one feedback can carry */
  g->stats.packets += (uint64_t)with_feedback;
  g->stats.lost += (uint64_t)lost;
  qsort(g->sorted, (size_t)received, sizeof g->sorted[0], by_receive_time);
  feedback_rtts(g, now, received);

  /* Loss from the feedback itself, handed on once a second like an RTCP
   * report would be (upstream's packet_feedback_only path). */
  if (with_feedback) {
    g->twcc_loss = true;
    g->expected_acc += with_feedback;
    g->lost_acc += lost;
    if (g->next_loss_update == PL_TIME_NEVER || now > g->next_loss_update) {
      g->next_loss_update = now + LOSS_UPDATE_INTERVAL;
      pl_gcc_loss_packets_lost(&g->loss, g->lost_acc, g->expected_acc, now);
      g->lost_acc = g->expected_acc = 0;
    }
  }

  bool in_alr = pl_gcc_alr_active(&g->alr);
  if (g->prev_in_alr && !in_alr) {
    g->alr_ended = now;
    g->probe.alr_end = now;
  }
  g->prev_in_alr = in_alr;

  for (int i = 0; i < received; i++) {
    const pl_cc_packet *p = &g->sorted[i];
    if (g->alr_ended != PL_TIME_NEVER && p->send_time > g->alr_ended) {
      pl_gcc_ack_rate_expect_fast_change(&g->ack);
      g->alr_ended = PL_TIME_NEVER;
    }
    pl_gcc_ack_rate_update(&g->ack, p->recv_time, p->size, in_alr);
  }
  double acked = pl_gcc_ack_rate_bps(&g->ack);

  for (int i = 0; i < received; i++)
    if (g->sorted[i].probe_cluster >= 0)
      pl_gcc_probe_on_feedback(&g->probe, &g->sorted[i]);
  double probe_bps = g->probe.result_bps;
  g->probe.result_bps = -1;
  if (probe_bps > 0) {
    g->stats.probe_results++;
    /* A probe that came back slow (cross traffic during its few ms) may
     * not drag the estimate under 0.85 x what is demonstrably getting
     * through (upstream's LimitProbesLowerThanThroughputEstimate). */
    if (acked >= 0) {
      double limit = PROBE_DROP_THROUGHPUT * acked;
      if (limit > g->aimd.current)
        limit = g->aimd.current;
      if (probe_bps < limit)
        probe_bps = limit;
    }
  }

  if (probe_bps > 0) {
    g->last_probe_bps = probe_bps;
    g->last_probe_at = now;
  }
  if (received)
    delay_based(g, now, received, acked, probe_bps, in_alr);
  /* With every packet lost there is nothing to say about delay. */
  target_changed(g, now);
}

void pl_gcc_on_rtt(pl_gcc *g, pl_time_us now, pl_time_us rtt) {
  if (!g || !advance(g, &now))
    return;
  if (rtt <= 0 || rtt > MAX_RTT) {
    g->stats.bad_inputs++;
    return;
  }
  g->ext_rtt = rtt;
  g->aimd.rtt = rtt;
  pl_gcc_loss_set_rtt(&g->loss, rtt);
}

void pl_gcc_on_loss_report(pl_gcc *g, pl_time_us now, double fraction_lost, uint32_t packets) {
  if (!g || !advance(g, &now))
    return;
  if (!(fraction_lost >= 0 && fraction_lost <= 1)) {
    g->stats.bad_inputs++;
    return;
  }
  if (g->twcc_loss) {
    /* Transport feedback already counts every loss; counting the RTCP
     * report too would count each twice. */
    g->stats.loss_reports_ignored++;
    return;
  }
  if (!packets)
    return;
  int64_t lost = llround(fraction_lost * packets);
  pl_gcc_loss_packets_lost(&g->loss, lost, packets, now);
  target_changed(g, now);
}

void pl_gcc_on_remb(pl_gcc *g, pl_time_us now, uint64_t bps) {
  if (!g || !advance(g, &now))
    return;
  pl_gcc_loss_set_receiver_limit(&g->loss, (double)bps, now);
  target_changed(g, now);
}

void pl_gcc_on_sent(pl_gcc *g, pl_time_us now, uint32_t size, int probe_cluster) {
  if (!g || !advance(g, &now))
    return;
  /* The first packet out means the transport is up: start probing. */
  pl_gcc_probe_start(&g->probe, now);
  sync_probe_stats(g);
  pl_gcc_alr_on_sent(&g->alr, size, now);
  if (probe_cluster >= 0)
    pl_gcc_probe_on_sent(&g->probe, probe_cluster, size);
}

void pl_gcc_set_max_rate(pl_gcc *g, uint64_t bps) {
  if (!g)
    return;
  g->probe.alr_start = g->alr.start;
  pl_gcc_probe_max_allocated(&g->probe, (double)bps, g->now);
  sync_probe_stats(g);
}

void pl_gcc_timeout(pl_gcc *g, pl_time_us now) {
  if (!g || !advance(g, &now) || now < g->next_process)
    return;
  pl_gcc_loss_update(&g->loss, now);
  g->probe.alr_start = g->alr.start;
  g->probe.delay_normal = g->tl.state == PL_GCC_NORMAL;
  pl_gcc_probe_process(&g->probe, now);
  sync_probe_stats(g);
  target_changed(g, now);
  g->next_process = now + PROCESS_INTERVAL;
}

pl_time_us pl_gcc_deadline(const pl_gcc *g) { return g ? g->next_process : PL_TIME_NEVER; }

void pl_gcc_get_target(const pl_gcc *g, pl_cc_target *out) {
  memset(out, 0, sizeof *out);
  if (!g)
    return;
  out->target_bps = (uint64_t)g->target;
  out->pacing_bps = (uint64_t)(g->target * PACING_FACTOR);
  out->padding_bps = (uint64_t)pl_gcc_probe_padding(&g->probe, g->now);
  out->rtt = g->ext_rtt ? g->ext_rtt : feedback_rtt_mean(g);
  out->loss = g->loss.last_fraction_loss / 256.0;
  out->delay_state = g->tl.state;
  out->delay_based_bps = (uint64_t)g->aimd.current;
  out->loss_based_bps = (uint64_t)clampd(g->loss.current, g->min_bps, g->max_bps);
  double acked = pl_gcc_ack_rate_bps(&g->ack);
  out->acked_bps = acked > 0 ? (uint64_t)acked : 0;
  out->in_alr = pl_gcc_alr_active(&g->alr);
}

int pl_gcc_poll_probe(pl_gcc *g, pl_cc_probe *out) {
  if (!g || !g->probe.queue_n)
    return 0;
  *out = g->probe.queue[0];
  g->probe.queue_n--;
  memmove(g->probe.queue, g->probe.queue + 1, (size_t)g->probe.queue_n * sizeof *out);
  return 1;
}

void pl_gcc_get_stats(const pl_gcc *g, pl_gcc_stats *out) {
  if (g)
    *out = g->stats;
  else
    memset(out, 0, sizeof *out);
}

/* ---- as a pl_cc_ctl_ops controller (controller.c's table) ---------------- */

static void *ops_create(const pl_cc_config *cfg, pl_time_us now) { return pl_gcc_new(cfg, now); }
static void ops_destroy(void *ctl) { pl_gcc_free(ctl); }
static void ops_feedback(void *ctl, const pl_cc_feedback *fb) { pl_gcc_on_feedback(ctl, fb); }
static void ops_rtt(void *ctl, pl_time_us now, pl_time_us rtt) { pl_gcc_on_rtt(ctl, now, rtt); }
static void ops_loss(void *ctl, pl_time_us now, double fraction_lost, uint32_t packets) {
  pl_gcc_on_loss_report(ctl, now, fraction_lost, packets);
}
static void ops_remb(void *ctl, pl_time_us now, uint64_t bps) { pl_gcc_on_remb(ctl, now, bps); }
static void ops_sent(void *ctl, pl_time_us now, uint32_t size, int probe_cluster) {
  pl_gcc_on_sent(ctl, now, size, probe_cluster);
}
static void ops_timeout(void *ctl, pl_time_us now) { pl_gcc_timeout(ctl, now); }
static pl_time_us ops_deadline(const void *ctl) { return pl_gcc_deadline(ctl); }
static void ops_target(const void *ctl, pl_cc_target *out) { pl_gcc_get_target(ctl, out); }
static int ops_probe(void *ctl, pl_cc_probe *out) { return pl_gcc_poll_probe(ctl, out); }

const pl_cc_ctl_ops pl_gcc_ops = {
    .name = "gcc", .paced = true, .create = ops_create, .destroy = ops_destroy,
    .on_feedback = ops_feedback, .on_rtt = ops_rtt, .on_loss_report = ops_loss,
    .on_remb = ops_remb, .on_sent = ops_sent, .timeout = ops_timeout,
    .deadline = ops_deadline, .get_target = ops_target, .poll_probe = ops_probe,
};
