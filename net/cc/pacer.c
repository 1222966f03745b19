/* Leaky-bucket pacing: `debt` is what was sent beyond the rate so far; it
 * drains at the current rate, and a packet may leave while debt is under
 * one burst (5 ms at the rate). */
#include <string.h>

#include "net/cc/pacer.h"
#include "parley.h"

void pl_pacer_init(pl_pacer *p, uint64_t pacing_bps) {
  memset(p, 0, sizeof *p);
  p->pacing_bps = pacing_bps ? pacing_bps : 300000;
  p->last = -1;
  p->can_pad = true;
}

void pl_pacer_set_can_pad(pl_pacer *p, bool can) { p->can_pad = can; }

void pl_pacer_set_blocked(pl_pacer *p, bool blocked) { p->blocked = blocked; }

void pl_pacer_set_rates(pl_pacer *p, uint64_t pacing_bps, uint64_t padding_bps) {
  if (pacing_bps)
    p->pacing_bps = pacing_bps;
  p->padding_bps = padding_bps;
}

void pl_pacer_start_probe(pl_pacer *p, const pl_cc_probe *probe) {
  if (!probe || probe->bps == 0)
    return;
  p->probing = true;
  p->probe = *probe;
  p->probe_packets = 0;
  p->probe_bytes = 0;
}

/* The rate packets leave at now: the probe's, or the pacing rate raised so
 * the queue drains within 2 s. */
static double rate_bps(const pl_pacer *p, pl_time_us now) {
  double r = (double)p->pacing_bps;
  if (p->probing && (double)p->probe.bps > r)
    r = (double)p->probe.bps;
  if (p->n) {
    pl_time_us waited = now - p->q[p->head].enqueued;
    pl_time_us left = PL_PACER_MAX_QUEUE_TIME - waited;
    if (left < PL_MS(100))
      left = PL_MS(100);
    double need = (double)p->queue_bytes * 8e6 / (double)left;
    if (need > r)
      r = need;
  }
  return r;
}

static void pay(pl_pacer *p, pl_time_us now) {
  if (p->last < 0 || now < p->last) {
    p->last = now;
    return;
  }
  double dt = (double)(now - p->last) / 1e6;
  p->debt -= rate_bps(p, now) * dt / 8;
  if (p->debt < 0)
    p->debt = 0;
  p->pad_debt -= (double)p->padding_bps * dt / 8;
  if (p->pad_debt < 0)
    p->pad_debt = 0;
  p->last = now;
}

static double burst_bytes(const pl_pacer *p, pl_time_us now) {
  return rate_bps(p, now) * ((double)PL_PACER_BURST / 1e6) / 8;
}

int pl_pacer_push(pl_pacer *p, pl_time_us now, void *pkt, uint32_t size, pl_pace_kind kind) {
  pay(p, now); /* the budget runs from the first packet, not from time zero */
  if (kind == PL_PACE_AUDIO) {
    if (p->a_n == sizeof p->audio / sizeof p->audio[0]) {
      p->stats.dropped++;
      return PL_EFULL;
    }
    uint32_t i = (p->a_head + p->a_n++) % (sizeof p->audio / sizeof p->audio[0]);
    p->audio[i] = pkt;
    p->audio_size[i] = size;
    return 0;
  }
  if (p->n == PL_PACER_QUEUE) {
    p->stats.dropped++;
    return PL_EFULL;
  }
  pl_pacer_item *it = &p->q[(p->head + p->n++) % PL_PACER_QUEUE];
  it->pkt = pkt;
  it->size = size;
  it->kind = kind;
  it->enqueued = now;
  p->queue_bytes += size;
  return 0;
}

static void count_probe(pl_pacer *p, uint32_t size, int *probe_cluster) {
  *probe_cluster = -1;
  if (!p->probing)
    return;
  *probe_cluster = p->probe.id;
  p->probe_packets++;
  p->probe_bytes += size;
  p->stats.probe_packets++;
  if (p->probe_packets >= p->probe.min_packets && p->probe_bytes >= p->probe.min_bytes)
    p->probing = false;
}

void *pl_pacer_pop(pl_pacer *p, pl_time_us now, uint32_t *size, int *probe_cluster) {
  pay(p, now);
  *probe_cluster = -1;
  if (p->a_n) {
    /* Audio first and at once: it only adds to the debt video waits on. */
    void *pkt = p->audio[p->a_head];
    *size = p->audio_size[p->a_head];
    p->a_head = (p->a_head + 1) % (sizeof p->audio / sizeof p->audio[0]);
    p->a_n--;
    p->debt += *size;
    p->stats.packets++;
    p->stats.bytes += *size;
    return pkt;
  }
  if (!p->n || p->debt > burst_bytes(p, now))
    return NULL;
  if (p->blocked) {
    p->stats.blocked_pops++;
    return NULL;
  }
  pl_pacer_item *it = &p->q[p->head];
  p->head = (p->head + 1) % PL_PACER_QUEUE;
  p->n--;
  p->queue_bytes -= it->size;
  pl_time_us waited = now - it->enqueued;
  if (waited > p->stats.max_queue_time)
    p->stats.max_queue_time = waited;
  p->debt += it->size;
  p->stats.packets++;
  p->stats.bytes += it->size;
  *size = it->size;
  count_probe(p, it->size, probe_cluster);
  return it->pkt;
}

uint32_t pl_pacer_padding(pl_pacer *p, pl_time_us now, int *probe_cluster) {
  pay(p, now);
  *probe_cluster = p->probing ? p->probe.id : -1;
  if (p->n || p->a_n || p->blocked)
    return 0;
  if (!p->can_pad) {
    p->probing = false; /* nothing left to probe with */
    *probe_cluster = -1;
    return 0;
  }
  if (p->debt > burst_bytes(p, now))
    return 0;
  if (!p->probing && (p->padding_bps == 0 || p->pad_debt > (double)p->padding_bps * 0.005 / 8))
    return 0;
  return PL_PACER_PADDING_MAX;
}

void pl_pacer_padding_sent(pl_pacer *p, pl_time_us now, uint32_t size, int probe_cluster) {
  pay(p, now);
  p->debt += size;
  p->pad_debt += size;
  p->stats.padding_bytes += size;
  p->stats.bytes += size;
  int dummy;
  if (probe_cluster >= 0 && p->probing && probe_cluster == p->probe.id)
    count_probe(p, size, &dummy);
}

pl_time_us pl_pacer_deadline(const pl_pacer *p) {
  if (p->a_n)
    return p->last < 0 ? 0 : p->last;
  /* Blocked by the window: the next feedback (not a time) unblocks it. */
  bool want = !p->blocked && (p->n || (p->can_pad && (p->probing || p->padding_bps)));
  if (!want)
    return PL_TIME_NEVER;
  pl_time_us now = p->last < 0 ? 0 : p->last;
  double burst = burst_bytes(p, now);
  double over = p->debt - burst;
  if (!p->n && !p->probing) {
    double pover = p->pad_debt - (double)p->padding_bps * 0.005 / 8;
    over = over > pover ? over : pover;
  }
  if (over <= 0)
    return now;
  double r = rate_bps(p, now);
  if (!p->n && !p->probing && p->padding_bps)
    r = (double)p->padding_bps < r ? (double)p->padding_bps : r;
  pl_time_us wait = (pl_time_us)(over * 8e6 / r) + 1;
  return now + (wait < PL_MS(1) ? PL_MS(1) : wait);
}

pl_time_us pl_pacer_queue_time(const pl_pacer *p, pl_time_us now) {
  return p->n ? now - p->q[p->head].enqueued : 0;
}

void *pl_pacer_flush_one(pl_pacer *p, pl_pace_kind *kind) {
  if (!p->n)
    return NULL;
  pl_pacer_item *it = &p->q[p->head];
  p->head = (p->head + 1) % PL_PACER_QUEUE;
  p->n--;
  p->queue_bytes -= it->size;
  p->stats.flushed++;
  *kind = it->kind;
  return it->pkt;
}
