/* A closed loop for pl_gcc: a sender that produces media at the target rate
 * and sends the probe clusters GCC asks for, one bottleneck (a FIFO that
 * drains at the link capacity, drop-tail once 300 ms is queued, 40 ms
 * propagation each way) and a receiver that reports every packet it got
 * (and every gap) every 50 ms, on a clock 1 hour ahead of ours. Time moves
 * in 1 ms steps; packets leave at their exact microsecond. */
#ifndef PL_TESTS_GCC_SIM_H
#define PL_TESTS_GCC_SIM_H

#include <stdlib.h>

#include "net/cc/gcc.h"

#define SIM_PACKET 1200
#define SIM_BASE PL_MS(40)
#define SIM_DROP_DELAY PL_MS(300)
#define SIM_FEEDBACK PL_MS(50)
#define SIM_RX_OFFSET PL_SEC(3600)
#define SIM_PENDING 65536

typedef struct sim_pkt {
  pl_cc_packet p;
  pl_time_us arrival; /* our clock; PL_TIME_NEVER: dropped */
} sim_pkt;

typedef struct sim {
  pl_gcc *g;
  pl_time_us now;
  double capacity;          /* bps */
  double queue_bytes;
  pl_time_us queue_time;
  pl_time_us next_media;
  pl_cc_probe probe;        /* the cluster being sent; id < 0: none */
  int probe_left_packets;
  int64_t probe_left_bytes;
  pl_time_us next_probe;
  pl_cc_probe probe_queue[16];
  int probe_queue_n;
  sim_pkt *pend;            /* sent, not yet reported: [head, tail) */
  int64_t head, tail;
  int64_t seq;
  pl_cc_packet fb[PL_CC_FEEDBACK_MAX];
  double queue_delay_ms;    /* of the last packet through */
  uint64_t sent_bytes, dropped;
  bool ignore_probes;        /* drain GCC's probes and send none */
  double random_loss;       /* dropped before the bottleneck, not congestion */
  uint64_t rng;
} sim;

static void sim_init(sim *s, double capacity, uint64_t start_bps) {
  *s = (sim){.capacity = capacity, .probe = {.id = -1}, .rng = 0x243F6A8885A308D3u};
  pl_cc_config cfg;
  pl_cc_config_init(&cfg);
  cfg.start_bps = start_bps;
  s->g = pl_gcc_new(&cfg, 0);
  s->pend = calloc(SIM_PENDING, sizeof *s->pend);
}

static void sim_free(sim *s) {
  pl_gcc_free(s->g);
  free(s->pend);
}

static void sim_send(sim *s, pl_time_us t, uint32_t size, int cluster) {
  pl_gcc_on_sent(s->g, t, size, cluster);
  s->sent_bytes += size;
  double drained = s->capacity / 8 * (double)(t - s->queue_time) / 1e6;
  s->queue_bytes = s->queue_bytes > drained ? s->queue_bytes - drained : 0;
  s->queue_time = t;
  sim_pkt *k = &s->pend[s->tail++ % SIM_PENDING];
  k->p = (pl_cc_packet){.seq = s->seq++, .send_time = t, .size = size,
                        .probe_cluster = (int16_t)cluster};
  double qdelay = s->queue_bytes * 8 / s->capacity;
  s->rng ^= s->rng << 13, s->rng ^= s->rng >> 7, s->rng ^= s->rng << 17;
  bool unlucky = (double)(s->rng >> 11) / 9007199254740992.0 < s->random_loss;
  if (unlucky || qdelay > (double)SIM_DROP_DELAY / 1e6) {
    k->arrival = PL_TIME_NEVER;
    k->p.recv_time = PL_TIME_NEVER;
    s->dropped++;
    return;
  }
  s->queue_bytes += size;
  qdelay = s->queue_bytes * 8 / s->capacity;
  s->queue_delay_ms = qdelay * 1000;
  k->arrival = t + SIM_BASE + (pl_time_us)(qdelay * 1e6);
  k->p.recv_time = k->arrival + SIM_RX_OFFSET;
}

/* The receiver reports at `t` (our clock) what reached it by then. */
static void sim_feedback(sim *s, pl_time_us report_time, pl_time_us arrives) {
  int64_t last = -1;
  for (int64_t i = s->head; i < s->tail; i++) {
    sim_pkt *k = &s->pend[i % SIM_PENDING];
    if (k->arrival == PL_TIME_NEVER)
      continue;
    if (k->arrival > report_time)
      break;
    last = i;
  }
  if (last < 0)
    return;
  while (s->head <= last) {
    size_t n = 0;
    for (; s->head <= last && n < PL_CC_FEEDBACK_MAX; s->head++)
      s->fb[n++] = s->pend[s->head % SIM_PENDING].p;
    pl_cc_feedback fb = {.feedback_time = arrives, .packets = s->fb, .n = n};
    pl_gcc_on_feedback(s->g, &fb);
  }
}

static void sim_step(sim *s) {
  s->now += PL_MS(1);
  pl_time_us now = s->now;
  pl_cc_target t;
  pl_gcc_get_target(s->g, &t);
  if (s->next_media == 0)
    s->next_media = now;
  while (s->next_media <= now) {
    sim_send(s, s->next_media, SIM_PACKET, -1);
    s->next_media += (pl_time_us)(SIM_PACKET * 8 * 1e6 / (double)t.target_bps);
  }
  pl_cc_probe pr;
  while (pl_gcc_poll_probe(s->g, &pr))
    if (s->probe_queue_n < 16 && !s->ignore_probes)
      s->probe_queue[s->probe_queue_n++] = pr;
  if (s->probe.id < 0 && s->probe_queue_n) {
    s->probe = s->probe_queue[0];
    for (int i = 1; i < s->probe_queue_n; i++)
      s->probe_queue[i - 1] = s->probe_queue[i];
    s->probe_queue_n--;
    s->probe_left_packets = s->probe.min_packets;
    s->probe_left_bytes = s->probe.min_bytes;
    s->next_probe = now;
  }
  while (s->probe.id >= 0 && s->next_probe <= now) {
    sim_send(s, s->next_probe, SIM_PACKET, s->probe.id);
    s->probe_left_packets--;
    s->probe_left_bytes -= SIM_PACKET;
    s->next_probe += (pl_time_us)(SIM_PACKET * 8 * 1e6 / (double)s->probe.bps);
    if (s->probe_left_packets <= 0 && s->probe_left_bytes <= 0)
      s->probe.id = -1;
  }
  if (now % SIM_FEEDBACK == 0 && now > SIM_BASE)
    sim_feedback(s, now - SIM_BASE, now);
  if (now % PL_SEC(1) == 0)
    pl_gcc_on_rtt(s->g, now, 2 * SIM_BASE + (pl_time_us)(s->queue_delay_ms * 1000));
  if (pl_gcc_deadline(s->g) <= now)
    pl_gcc_timeout(s->g, now);
}

#endif
