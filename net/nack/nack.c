/* The missing list is kept sorted by unwrapped sequence number: holes are
 * only ever found above the newest number, so they are appended in order,
 * and a late arrival is found by binary search. */
#include "net/nack/nack.h"

#include <stdlib.h>
#include <string.h>

#include "net/rtp/unwrap.h"
#include "parley.h"

typedef struct miss {
  int64_t seq;
  pl_time_us found, sent;
  int tries;
} miss;

struct pl_nack_generator {
  pl_nack_config cfg;
  miss *list;
  size_t n;
  pl_seq_unwrapper unwrap;
  bool started;
  int64_t newest;
  pl_time_us rtt;
  bool loss;
  pl_nack_stats st;
};

int pl_nack_generator_new(pl_nack_generator **out, const pl_nack_config *cfg) {
  *out = NULL;
  pl_nack_config c = cfg ? *cfg : (pl_nack_config){0};
  if (!c.max_list)
    c.max_list = 500;
  if (!c.reorder_wait)
    c.reorder_wait = PL_MS(10);
  if (c.reorder_wait < 0)
    c.reorder_wait = 0;
  if (!c.max_retries)
    c.max_retries = 10;
  if (!c.max_age)
    c.max_age = PL_SEC(1);
  if (!c.max_seq_age)
    c.max_seq_age = 10000;
  if (!c.initial_rtt)
    c.initial_rtt = PL_MS(100);
  if (c.max_list > 32768 || c.max_retries < 0 || c.max_age < 0 ||
      c.initial_rtt < 0)
    return PL_EINVAL;
  pl_nack_generator *g = calloc(1, sizeof *g);
  if (!g)
    return PL_ENOMEM;
  g->list = calloc(c.max_list, sizeof *g->list);
  if (!g->list) {
    free(g);
    return PL_ENOMEM;
  }
  g->cfg = c;
  g->rtt = c.initial_rtt;
  pl_seq_unwrapper_init(&g->unwrap);
  *out = g;
  return 0;
}

void pl_nack_generator_free(pl_nack_generator *g) {
  if (!g)
    return;
  free(g->list);
  free(g);
}

void pl_nack_set_rtt(pl_nack_generator *g, pl_time_us rtt) {
  if (rtt > 0)
    g->rtt = rtt;
}

static void give_up(pl_nack_generator *g, size_t count) {
  g->st.gave_up += count;
  if (count)
    g->loss = true;
}

/* First index with seq >= s. */
static size_t lower_bound(const pl_nack_generator *g, int64_t s) {
  size_t lo = 0, hi = g->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (g->list[mid].seq < s)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static void remove_before(pl_nack_generator *g, size_t k) {
  memmove(g->list, g->list + k, (g->n - k) * sizeof *g->list);
  g->n -= k;
}

void pl_nack_on_packet(pl_nack_generator *g, pl_time_us now, uint16_t seq) {
  int64_t s = pl_seq_unwrap(&g->unwrap, seq);
  if (!g->started) {
    g->started = true;
    g->newest = s;
    return;
  }
  if (s <= g->newest) {
    size_t i = lower_bound(g, s);
    if (i < g->n && g->list[i].seq == s) {
      if (g->list[i].tries > 0)
        g->st.recovered++;
      else
        g->st.reordered++;
      memmove(g->list + i, g->list + i + 1, (g->n - i - 1) * sizeof *g->list);
      g->n--;
    }
    return;
  }
  int64_t gap = s - g->newest - 1;
  g->newest = s;
  if (gap == 0)
    return;
  g->st.missing += (uint64_t)gap;
  if ((uint64_t)gap > g->cfg.max_list) {
    /* Beyond what NACK can repair: only a keyframe will. */
    give_up(g, g->n + (size_t)gap);
    g->n = 0;
    g->st.overflows++;
    return;
  }
  if (g->n + (size_t)gap > g->cfg.max_list) {
    size_t k = g->n + (size_t)gap - g->cfg.max_list;
    give_up(g, k);
    remove_before(g, k);
  }
  for (int64_t q = s - gap; q < s; q++)
    g->list[g->n++] = (miss){q, now, 0, 0};
}

void pl_nack_on_keyframe(pl_nack_generator *g, uint16_t first_seq) {
  if (!g->started)
    return;
  remove_before(g, lower_bound(g, pl_seq_unwrap_peek(&g->unwrap, first_seq)));
}

static bool expired(const pl_nack_generator *g, const miss *m, pl_time_us now) {
  return now - m->found > g->cfg.max_age ||
         g->newest - m->seq > g->cfg.max_seq_age ||
         (m->tries >= g->cfg.max_retries && now >= m->sent + g->rtt);
}

static pl_time_us due(const pl_nack_generator *g, const miss *m) {
  return m->tries == 0 ? m->found + g->cfg.reorder_wait : m->sent + g->rtt;
}

size_t pl_nack_poll(pl_nack_generator *g, pl_time_us now, uint16_t *seqs,
                    size_t cap) {
  size_t out = 0, w = 0;
  for (size_t i = 0; i < g->n; i++) {
    miss m = g->list[i];
    if (expired(g, &m, now)) {
      give_up(g, 1);
      continue;
    }
    if (m.tries < g->cfg.max_retries && now >= due(g, &m) && out < cap) {
      seqs[out++] = (uint16_t)m.seq;
      m.tries++;
      m.sent = now;
      g->st.nacked++;
    }
    g->list[w++] = m;
  }
  g->n = w;
  return out;
}

pl_time_us pl_nack_deadline(const pl_nack_generator *g) {
  pl_time_us t = PL_TIME_NEVER;
  for (size_t i = 0; i < g->n; i++) {
    const miss *m = &g->list[i];
    pl_time_us d = m->tries < g->cfg.max_retries ? due(g, m) : m->sent + g->rtt;
    t = pl_time_min(t, pl_time_min(d, m->found + g->cfg.max_age + 1));
  }
  return t;
}

bool pl_nack_take_loss(pl_nack_generator *g) {
  bool l = g->loss;
  g->loss = false;
  return l;
}

void pl_nack_get_stats(const pl_nack_generator *g, pl_nack_stats *out) {
  *out = g->st;
  out->pending = g->n;
}

void pl_keyframe_requester_init(pl_keyframe_requester *k,
                                pl_keyframe_method method,
                                pl_time_us min_interval) {
  memset(k, 0, sizeof *k);
  k->method = method;
  k->min_interval = min_interval > 0 ? min_interval : PL_MS(300);
}

void pl_keyframe_set_rtt(pl_keyframe_requester *k, pl_time_us rtt) {
  if (rtt > 0)
    k->rtt = rtt;
}

void pl_keyframe_request(pl_keyframe_requester *k) {
  if (k->wanted)
    return;
  k->wanted = true;
  k->requests++;
  k->fir_seq++;
}

void pl_keyframe_received(pl_keyframe_requester *k) { k->wanted = false; }

static pl_time_us interval(const pl_keyframe_requester *k) {
  return k->rtt > k->min_interval ? k->rtt : k->min_interval;
}

bool pl_keyframe_poll(pl_keyframe_requester *k, pl_time_us now,
                      pl_keyframe_method *method, uint8_t *fir_seq) {
  if (!k->wanted || (k->sent_any && now - k->last_sent < interval(k)))
    return false;
  k->sent_any = true;
  k->last_sent = now;
  k->sent++;
  if (method)
    *method = k->method;
  if (fir_seq)
    *fir_seq = k->fir_seq;
  return true;
}

pl_time_us pl_keyframe_deadline(const pl_keyframe_requester *k) {
  if (!k->wanted)
    return PL_TIME_NEVER;
  return k->sent_any ? k->last_sent + interval(k) : 0; /* due now */
}

bool pl_fir_filter_is_new(pl_fir_filter *f, uint8_t seq_nr) {
  if (f->have && f->last == seq_nr)
    return false;
  f->have = true;
  f->last = seq_nr;
  return true;
}
