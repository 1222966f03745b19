/* One direction of an emulated path. Because the capacity over time is
 * fixed by the config (constant, schedule or trace) and the bottleneck is a
 * work-conserving FIFO, a packet's departure from the bottleneck is known
 * the moment it arrives; so is its delivery time once jitter is drawn. Each
 * accepted packet therefore goes straight into one min-heap keyed by
 * delivery time, and the queue itself is only a ring of (departure, bytes)
 * for drop-tail accounting. All random draws happen in input order, so the
 * delivery sequence depends on the seed and the inputs, never on how often
 * the driver polls. */
#include "net/emu/emu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "parley.h"

typedef struct {
  pl_time_us due;
  uint64_t order; /* tie-break: equal due times leave in input order */
  uint64_t seq;   /* original packet number, shared by duplicates */
  pl_pkt *p;
} slot;

typedef struct {
  pl_time_us dep;
  size_t len;
} qent;

struct pl_emu_link {
  pl_emu_config cfg;
  pl_emu_step *steps;
  uint32_t *opps;
  pl_time_us period_us; /* Mahimahi trace period */
  pl_rng rng;
  pl_pkt_pool pool;
  bool ge_bad;
  bool started;
  pl_time_us epoch;

  /* bottleneck server */
  int64_t busy_ns;       /* CONSTANT/STEPS: busy until (ns after epoch) */
  size_t seg;            /* STEPS: segment holding busy_ns */
  uint64_t mm_k;         /* MAHIMAHI: opportunity to use next */
  uint32_t mm_used;      /* bytes of it already used */
  pl_time_us last_dep;   /* departure of the last accepted packet (relative) */
  bool any_dep;

  qent *ring;
  size_t ring_cap, ring_head, ring_n, q_bytes;

  slot *heap;
  size_t heap_n, heap_cap;
  pl_time_us last_due;
  uint64_t next_seq, next_order, max_seq;
  bool any_delivered;

  pl_emu_stats st;
  /* Queue delay of each packet through the bottleneck, 1 ms bins (the last
   * one open-ended): for percentiles over a chosen stretch of a run. */
  uint32_t qhist[PL_EMU_QHIST_BINS];
  uint64_t qhist_n;
};

static bool prob_ok(double p) { return p >= 0.0 && p <= 1.0; }

static int validate(const pl_emu_config *c) {
  if (!prob_ok(c->loss) || !prob_ok(c->duplicate) || !prob_ok(c->ge_p) ||
      !prob_ok(c->ge_r) || !prob_ok(c->ge_loss_good) || !prob_ok(c->ge_loss_bad))
    return PL_EINVAL;
  if (c->loss_model > PL_EMU_LOSS_GE || c->jitter_dist > PL_EMU_JITTER_UNIFORM)
    return PL_EINVAL;
  if (c->delay < 0 || c->jitter < 0 || c->queue_delay < 0)
    return PL_EINVAL;
  if (c->noutages > PL_EMU_MAX_OUTAGES)
    return PL_EINVAL;
  for (size_t i = 0; i < c->noutages; i++)
    if (c->outages[i].start < 0 || c->outages[i].end <= c->outages[i].start)
      return PL_EINVAL;
  const pl_emu_capacity *k = &c->capacity;
  switch (k->kind) {
  case PL_EMU_CAP_UNLIMITED:
    break;
  case PL_EMU_CAP_CONSTANT:
    if (k->bps == 0)
      return PL_EINVAL;
    break;
  case PL_EMU_CAP_STEPS:
    if (!k->steps || k->nsteps == 0)
      return PL_EINVAL;
    for (size_t i = 0; i < k->nsteps; i++)
      if (k->steps[i].at < 0 || (i && k->steps[i].at <= k->steps[i - 1].at))
        return PL_EINVAL;
    break;
  case PL_EMU_CAP_MAHIMAHI:
    if (!k->opps_ms || k->nopps == 0 || k->opps_ms[k->nopps - 1] == 0)
      return PL_EINVAL;
    for (size_t i = 1; i < k->nopps; i++)
      if (k->opps_ms[i] < k->opps_ms[i - 1])
        return PL_EINVAL;
    break;
  default:
    return PL_EINVAL;
  }
  return 0;
}

int pl_emu_link_new(pl_emu_link **out, const pl_emu_config *cfg, uint64_t seed) {
  *out = NULL;
  if (!cfg)
    return PL_EINVAL;
  int rc = validate(cfg);
  if (rc)
    return rc;
  pl_emu_link *l = calloc(1, sizeof *l);
  if (!l)
    return PL_ENOMEM;
  l->cfg = *cfg;
  size_t n = cfg->pool_packets ? cfg->pool_packets : PL_EMU_DEFAULT_POOL;
  l->cfg.pool_packets = n;
  pl_emu_capacity *k = &l->cfg.capacity;
  if (k->kind == PL_EMU_CAP_STEPS) {
    l->steps = malloc(k->nsteps * sizeof *l->steps);
    if (!l->steps)
      goto nomem;
    memcpy(l->steps, cfg->capacity.steps, k->nsteps * sizeof *l->steps);
    k->steps = l->steps;
  } else {
    k->steps = NULL;
    k->nsteps = 0;
  }
  if (k->kind == PL_EMU_CAP_MAHIMAHI) {
    l->opps = malloc(k->nopps * sizeof *l->opps);
    if (!l->opps)
      goto nomem;
    memcpy(l->opps, cfg->capacity.opps_ms, k->nopps * sizeof *l->opps);
    k->opps_ms = l->opps;
    l->period_us = PL_MS(l->opps[k->nopps - 1]);
  } else {
    k->opps_ms = NULL;
    k->nopps = 0;
  }
  l->ring = calloc(n, sizeof *l->ring);
  l->heap = calloc(n, sizeof *l->heap);
  if (!l->ring || !l->heap || pl_pkt_pool_init(&l->pool, n) != 0)
    goto nomem;
  l->ring_cap = l->heap_cap = n;
  pl_rng_seed(&l->rng, seed);
  *out = l;
  return 0;
nomem:
  pl_emu_link_free(l);
  return PL_ENOMEM;
}

void pl_emu_link_free(pl_emu_link *l) {
  if (!l)
    return;
  pl_pkt_pool_destroy(&l->pool);
  free(l->ring);
  free(l->heap);
  free(l->steps);
  free(l->opps);
  free(l);
}

void pl_emu_link_start(pl_emu_link *l, pl_time_us now) {
  if (l->started)
    return;
  l->started = true;
  l->epoch = now;
}

/* ---- loss ---- */

static bool draw_loss(pl_emu_link *l) {
  const pl_emu_config *c = &l->cfg;
  switch (c->loss_model) {
  case PL_EMU_LOSS_RANDOM:
    return c->loss > 0 && pl_rng_uniform(&l->rng) < c->loss;
  case PL_EMU_LOSS_GE: {
    /* Move the chain one step, then lose by the state the packet meets. */
    double u = pl_rng_uniform(&l->rng);
    if (l->ge_bad ? u < c->ge_r : u < c->ge_p)
      l->ge_bad = !l->ge_bad;
    double pl = l->ge_bad ? c->ge_loss_bad : c->ge_loss_good;
    return pl > 0 && pl_rng_uniform(&l->rng) < pl;
  }
  default:
    return false;
  }
}

int pl_emu_ge_from_rate(double rate, double mean_burst, double *p, double *r) {
  if (!(rate >= 0 && rate < 1) || !(mean_burst >= 1))
    return PL_EINVAL;
  double rr = 1.0 / mean_burst;
  double pp = rr * rate / (1.0 - rate);
  if (pp > 1.0)
    return PL_EINVAL;
  *p = pp;
  *r = rr;
  return 0;
}

double pl_emu_ge_loss_rate(double p, double r, double loss_good, double loss_bad) {
  if (p + r <= 0)
    return loss_good; /* the chain never leaves the good state */
  double pi_bad = p / (p + r);
  return (1 - pi_bad) * loss_good + pi_bad * loss_bad;
}

/* ---- bottleneck ---- */

/* Fluid service at a piecewise-constant rate: when does a packet of `bits`
 * that starts service at `start` (ns) finish? INT64_MAX if never. */
static int64_t serve_fluid(pl_emu_link *l, int64_t start, uint64_t bits,
                           size_t *seg_io) {
  const pl_emu_capacity *k = &l->cfg.capacity;
  if (k->kind == PL_EMU_CAP_CONSTANT)
    return start + (int64_t)ceil((double)bits * 1e9 / (double)k->bps);
  size_t i = *seg_io;
  while (i > 0 && start < l->steps[i].at * 1000) /* a caller's clock went back */
    i--;
  while (i + 1 < k->nsteps && start >= l->steps[i + 1].at * 1000)
    i++;
  double left = (double)bits;
  for (;;) {
    uint64_t bps = l->steps[i].bps;
    int64_t end = i + 1 < k->nsteps ? l->steps[i + 1].at * 1000 : INT64_MAX;
    if (bps > 0) {
      double need = ceil(left * 1e9 / (double)bps);
      if (end == INT64_MAX || need <= (double)(end - start)) {
        *seg_io = i;
        return start + (int64_t)need;
      }
      left -= (double)(end - start) * (double)bps / 1e9;
    } else if (end == INT64_MAX) {
      return INT64_MAX;
    }
    start = end;
    i++;
  }
}

static pl_time_us opp_time(const pl_emu_link *l, uint64_t k) {
  size_t n = l->cfg.capacity.nopps;
  return (pl_time_us)(k / n) * l->period_us + PL_MS(l->opps[k % n]);
}

/* Index of the first opportunity at or after t (relative, >= 0). */
static uint64_t opp_at_or_after(const pl_emu_link *l, pl_time_us t) {
  size_t n = l->cfg.capacity.nopps;
  uint64_t c = (uint64_t)(t / l->period_us);
  pl_time_us within = t - (pl_time_us)c * l->period_us;
  if (within == 0 && c > 0) { /* the previous cycle's last ones are at t */
    c--;
    within = l->period_us;
  }
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (PL_MS(l->opps[mid]) < within)
      lo = mid + 1;
    else
      hi = mid;
  }
  return c * n + lo;
}

/* Opportunities with time <= t. */
static uint64_t opps_upto(const pl_emu_link *l, pl_time_us t) {
  if (t < 0)
    return 0;
  size_t n = l->cfg.capacity.nopps;
  uint64_t c = (uint64_t)(t / l->period_us);
  pl_time_us within = t - (pl_time_us)c * l->period_us;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (PL_MS(l->opps[mid]) <= within)
      lo = mid + 1;
    else
      hi = mid;
  }
  return c * n + lo;
}

/* Works out when a packet arriving at `a` (relative) would start and finish
 * service, without committing; *commit receives the server state to adopt
 * if the packet is accepted. Returns false if it would never be served. */
typedef struct {
  int64_t busy_ns;
  size_t seg;
  uint64_t mm_k;
  uint32_t mm_used;
} server_state;

static bool schedule(pl_emu_link *l, pl_time_us a, size_t len, pl_time_us *start,
                     pl_time_us *dep, server_state *commit) {
  const pl_emu_capacity *k = &l->cfg.capacity;
  commit->busy_ns = l->busy_ns;
  commit->seg = l->seg;
  commit->mm_k = l->mm_k;
  commit->mm_used = l->mm_used;
  if (k->kind == PL_EMU_CAP_MAHIMAHI) {
    uint64_t kk = l->mm_k;
    uint32_t used = l->mm_used;
    if (!l->any_dep || a > l->last_dep) { /* idle: leftovers are wasted */
      uint64_t first = opp_at_or_after(l, a);
      if (first > kk || !l->any_dep) {
        kk = first;
        used = 0;
      }
    }
    *start = opp_time(l, kk);
    size_t rem = len ? len : 1; /* an empty datagram still takes a slot */
    for (;;) {
      size_t avail = PL_EMU_MAHIMAHI_BYTES - used;
      if (rem <= avail) {
        used += (uint32_t)rem;
        break;
      }
      rem -= avail;
      kk++;
      used = 0;
    }
    *dep = opp_time(l, kk);
    if (used == PL_EMU_MAHIMAHI_BYTES) {
      kk++;
      used = 0;
    }
    commit->mm_k = kk;
    commit->mm_used = used;
    return true;
  }
  int64_t a_ns = a * 1000;
  int64_t s = a_ns > l->busy_ns ? a_ns : l->busy_ns;
  size_t seg = l->seg;
  int64_t fin = serve_fluid(l, s, (uint64_t)len * 8, &seg);
  if (fin == INT64_MAX)
    return false;
  *start = s / 1000;
  *dep = (fin + 999) / 1000;
  commit->busy_ns = fin;
  commit->seg = seg;
  return true;
}

static void ring_advance(pl_emu_link *l, pl_time_us rel) {
  while (l->ring_n && l->ring[l->ring_head].dep <= rel) {
    l->q_bytes -= l->ring[l->ring_head].len;
    l->ring_head = (l->ring_head + 1) % l->ring_cap;
    l->ring_n--;
  }
}

/* ---- delay line: binary min-heap on (due, order) ---- */

static bool slot_before(const slot *a, const slot *b) {
  return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void heap_push(pl_emu_link *l, slot s) {
  size_t i = l->heap_n++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!slot_before(&s, &l->heap[parent]))
      break;
    l->heap[i] = l->heap[parent];
    i = parent;
  }
  l->heap[i] = s;
}

static slot heap_pop(pl_emu_link *l) {
  slot top = l->heap[0];
  slot last = l->heap[--l->heap_n];
  size_t i = 0, n = l->heap_n;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n && slot_before(&l->heap[c + 1], &l->heap[c]))
      c++;
    if (!slot_before(&l->heap[c], &last))
      break;
    l->heap[i] = l->heap[c];
    i = c;
  }
  if (n)
    l->heap[i] = last;
  return top;
}

static pl_time_us draw_delay(pl_emu_link *l) {
  const pl_emu_config *c = &l->cfg;
  if (c->jitter <= 0)
    return c->delay;
  double extra;
  if (c->jitter_dist == PL_EMU_JITTER_UNIFORM) {
    extra = pl_rng_uniform(&l->rng) * (double)c->jitter;
  } else {
    double z;
    do /* truncated at 3 std so one draw cannot stall the link */
      z = pl_rng_normal(&l->rng);
    while (z < -3.0 || z > 3.0);
    extra = z * (double)c->jitter;
  }
  pl_time_us d = c->delay + (pl_time_us)llround(extra);
  return d < 0 ? 0 : d;
}

/* One copy through the bottleneck and into the delay line. */
static int enqueue(pl_emu_link *l, pl_time_us now, const uint8_t *data,
                   size_t len, const pl_addr *to, uint64_t seq) {
  pl_time_us rel = now - l->epoch;
  if (rel < 0) /* before pl_emu_link_start: schedules begin at zero */
    rel = 0;
  pl_time_us dep_rel = rel;
  server_state next = {0};
  bool limited = l->cfg.capacity.kind != PL_EMU_CAP_UNLIMITED;
  if (limited) {
    pl_time_us start;
    if (!schedule(l, rel, len, &start, &dep_rel, &next) ||
        (l->cfg.queue_delay > 0 && start - rel > l->cfg.queue_delay) ||
        (l->cfg.queue_bytes > 0 && l->q_bytes + len > l->cfg.queue_bytes) ||
        l->ring_n == l->ring_cap) {
      l->st.lost_queue++;
      return 0;
    }
  }
  pl_pkt *p = pl_pkt_from(&l->pool, data, len);
  if (!p) {
    l->st.lost_pool++;
    return PL_EFULL;
  }
  if (to)
    p->addr = *to;
  else
    memset(&p->addr, 0, sizeof p->addr);
  if (limited) {
    l->busy_ns = next.busy_ns;
    l->seg = next.seg;
    l->mm_k = next.mm_k;
    l->mm_used = next.mm_used;
    l->last_dep = dep_rel;
    l->any_dep = true;
    size_t tail = (l->ring_head + l->ring_n) % l->ring_cap;
    l->ring[tail].dep = dep_rel;
    l->ring[tail].len = len;
    l->ring_n++;
    l->q_bytes += len;
    pl_time_us qd = dep_rel - rel;
    l->st.queued++;
    l->st.queue_delay_sum += qd;
    if (qd > l->st.queue_delay_max)
      l->st.queue_delay_max = qd;
    int64_t bin = qd / 1000;
    l->qhist[bin < PL_EMU_QHIST_BINS - 1 ? bin : PL_EMU_QHIST_BINS - 1]++;
    l->qhist_n++;
  }
  pl_time_us due = l->epoch + dep_rel + draw_delay(l);
  if (!l->cfg.reorder) {
    if (due < l->last_due)
      due = l->last_due;
    l->last_due = due;
  }
  slot s = {due, l->next_order++, seq, p};
  heap_push(l, s);
  return 0;
}

static bool in_outage(const pl_emu_link *l, pl_time_us rel) {
  for (size_t i = 0; i < l->cfg.noutages; i++)
    if (rel >= l->cfg.outages[i].start && rel < l->cfg.outages[i].end)
      return true;
  return false;
}

int pl_emu_link_input(pl_emu_link *l, pl_time_us now, const uint8_t *data,
                      size_t len, const pl_addr *to) {
  if (len > PL_PKT_CAPACITY)
    return PL_ERANGE;
  if (!data && len)
    return PL_EINVAL;
  pl_emu_link_start(l, now);
  pl_time_us rel = now - l->epoch;
  ring_advance(l, rel);
  l->st.packets_in++;
  l->st.bytes_in += len;
  if (draw_loss(l)) {
    l->st.lost_random++;
    return 0;
  }
  if (in_outage(l, rel)) {
    l->st.lost_outage++;
    return 0;
  }
  bool dup = l->cfg.duplicate > 0 && pl_rng_uniform(&l->rng) < l->cfg.duplicate;
  uint64_t seq = l->next_seq++;
  int rc = enqueue(l, now, data, len, to, seq);
  if (dup) {
    l->st.duplicated++;
    int rc2 = enqueue(l, now, data, len, to, seq);
    if (rc == 0)
      rc = rc2;
  }
  return rc;
}

int pl_emu_link_poll(pl_emu_link *l, pl_time_us now, pl_pkt **out) {
  *out = NULL;
  if (l->started)
    ring_advance(l, now - l->epoch);
  if (!l->heap_n || l->heap[0].due > now)
    return 0;
  slot s = heap_pop(l);
  if (l->any_delivered && s.seq < l->max_seq) {
    l->st.reordered++;
  } else {
    l->max_seq = s.seq;
    l->any_delivered = true;
  }
  l->st.delivered++;
  l->st.bytes_delivered += s.p->len;
  s.p->time = s.due;
  *out = s.p;
  return 1;
}

void pl_emu_link_release(pl_emu_link *l, pl_pkt *p) {
  if (p)
    pl_pkt_put(&l->pool, p);
}

pl_time_us pl_emu_link_deadline(const pl_emu_link *l) {
  return l->heap_n ? l->heap[0].due : PL_TIME_NEVER;
}

static uint64_t capacity_now(const pl_emu_link *l, pl_time_us rel) {
  const pl_emu_capacity *k = &l->cfg.capacity;
  switch (k->kind) {
  case PL_EMU_CAP_CONSTANT:
    return k->bps;
  case PL_EMU_CAP_STEPS: {
    size_t i = 0;
    while (i + 1 < k->nsteps && rel >= l->steps[i + 1].at)
      i++;
    return l->steps[i].bps;
  }
  case PL_EMU_CAP_MAHIMAHI: {
    pl_time_us hi = rel < PL_SEC(1) ? PL_SEC(1) : rel;
    uint64_t n = opps_upto(l, hi) - opps_upto(l, hi - PL_SEC(1));
    return n * PL_EMU_MAHIMAHI_BYTES * 8;
  }
  default:
    return UINT64_MAX;
  }
}

void pl_emu_link_stats(const pl_emu_link *l, pl_time_us now, pl_emu_stats *out) {
  *out = l->st;
  pl_time_us rel = l->started ? now - l->epoch : 0;
  /* Count what is still in the bottleneck at `now` without mutating. */
  size_t qn = 0, qb = 0;
  for (size_t i = 0; i < l->ring_n; i++) {
    const qent *e = &l->ring[(l->ring_head + i) % l->ring_cap];
    if (e->dep > rel) {
      qn++;
      qb += e->len;
    }
  }
  out->queue_packets = qn;
  out->queue_bytes = qb;
  out->held = l->pool.in_use;
  out->capacity_bps = capacity_now(l, rel);
}

void pl_emu_link_qdelay_reset(pl_emu_link *l) {
  memset(l->qhist, 0, sizeof l->qhist);
  l->qhist_n = 0;
}

pl_time_us pl_emu_link_qdelay_quantile(const pl_emu_link *l, double q) {
  if (l->qhist_n == 0 || !(q >= 0 && q <= 1))
    return -1;
  uint64_t want = (uint64_t)ceil(q * (double)l->qhist_n), seen = 0;
  if (want == 0)
    want = 1;
  for (int i = 0; i < PL_EMU_QHIST_BINS; i++) {
    seen += l->qhist[i];
    if (seen >= want)
      return PL_MS(i) + 500; /* the middle of the bin */
  }
  return PL_MS(PL_EMU_QHIST_BINS);
}
