/* The sender's memory of what it sent, for transport-wide feedback: a ring
 * of the last PL_CC_HISTORY packets by transport-wide sequence number, and
 * the matching of a feedback message's statuses against it. Feedback is
 * input from the network, so everything in it is checked: sequence numbers
 * we never sent (or long forgot) are counted and skipped, a packet reported
 * received twice counts once, and a message whose receive times span more
 * than any real feedback could is refused whole. */
#include <stdlib.h>
#include <string.h>

#include "net/cc/cc.h"
#include "net/rtcp/rtcp.h"
#include "parley.h"

/* One feedback covers at most a few hundred ms; Chromium's RTP timestamps
 * are 24-bit 64 ms units, so its receive times can wrap but never spread
 * over more than this inside one message. */
#define MAX_SPREAD PL_SEC(30)

typedef struct slot {
  int64_t seq; /* -1: empty */
  pl_time_us send;
  uint32_t size;
  int16_t probe;
  bool audio, received, lost_counted;
  bool flying; /* counted in in_flight */
} slot;

struct pl_cc_history {
  slot ring[PL_CC_HISTORY];
  int64_t next_seq;
  uint64_t in_flight;
  int64_t flight_base; /* below this, nothing is in flight any more */
  pl_cc_packet out[PL_CC_FEEDBACK_MAX];
  pl_cc_history_stats stats;
};

void pl_cc_config_init(pl_cc_config *cfg) {
  cfg->start_bps = 300000;
  cfg->min_bps = 30000;
  cfg->max_bps = 10000000;
}

pl_cc_history *pl_cc_history_new(void) {
  pl_cc_history *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  for (size_t i = 0; i < PL_CC_HISTORY; i++)
    h->ring[i].seq = -1;
  return h;
}

void pl_cc_history_free(pl_cc_history *h) { free(h); }

uint16_t pl_cc_history_sent(pl_cc_history *h, pl_time_us now, uint32_t size, int probe_cluster,
                            bool audio) {
  int64_t seq = h->next_seq++;
  slot *s = &h->ring[seq % PL_CC_HISTORY];
  if (s->seq >= 0 && s->flying && h->in_flight >= s->size)
    h->in_flight -= s->size; /* forgotten unreported: no longer in flight for us */
  s->seq = seq;
  s->send = now;
  s->size = size;
  s->probe = (int16_t)(probe_cluster >= 0 && probe_cluster < 32768 ? probe_cluster : -1);
  s->audio = audio;
  s->received = s->lost_counted = false;
  s->flying = true;
  h->in_flight += size;
  h->stats.sent++;
  return (uint16_t)seq;
}

/* The 16-bit number as the latest send at or before it: feedback can only
 * be about packets already sent. */
static int64_t unwrap(const pl_cc_history *h, uint16_t s) {
  int64_t last = h->next_seq - 1;
  return last - (int64_t)(uint16_t)((uint16_t)last - s);
}

int pl_cc_history_feedback(pl_cc_history *h, pl_time_us now, const pl_twcc_status *st, size_t n,
                           pl_cc_feedback *fb) {
  memset(fb, 0, sizeof *fb);
  fb->feedback_time = now;
  fb->packets = h->out;
  if (!st && n)
    return PL_EINVAL;
  if (h->next_seq == 0 || n == 0) {
    h->stats.unknown += n;
    fb->data_in_flight = h->in_flight;
    return 0;
  }
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (size_t i = 0; i < n; i++)
    if (st[i].received) {
      lo = st[i].recv_us < lo ? st[i].recv_us : lo;
      hi = st[i].recv_us > hi ? st[i].recv_us : hi;
    }
  if (lo != INT64_MAX && hi - lo > MAX_SPREAD) {
    h->stats.bad_feedback++;
    fb->data_in_flight = h->in_flight;
    return 0;
  }
  size_t k = 0;
  for (size_t i = 0; i < n && k < PL_CC_FEEDBACK_MAX; i++) {
    int64_t seq = unwrap(h, st[i].seq);
    slot *s = seq >= 0 && h->next_seq - seq <= PL_CC_HISTORY ? &h->ring[seq % PL_CC_HISTORY] : NULL;
    if (!s || s->seq != seq) {
      h->stats.unknown++;
      continue;
    }
    if (s->received) {
      h->stats.duplicate++;
      continue;
    }
    if (s->flying) {
      s->flying = false;
      h->in_flight = h->in_flight >= s->size ? h->in_flight - s->size : 0;
    }
    if (st[i].received) {
      s->received = true;
      if (s->lost_counted && h->stats.lost)
        h->stats.lost--; /* reported lost before, late after all */
    } else if (!s->lost_counted) {
      h->stats.lost++;
    }
    if (!st[i].received)
      s->lost_counted = true;
    h->stats.reported++;
    pl_cc_packet *p = &h->out[k++];
    p->seq = seq;
    p->send_time = s->send;
    p->recv_time = st[i].received ? st[i].recv_us : PL_TIME_NEVER;
    p->size = s->size;
    p->probe_cluster = s->probe;
    p->audio = s->audio;
  }
  fb->n = k;
  /* A message covers a contiguous range: whatever before it was never
   * reported went with a lost feedback message and is not in flight any
   * more (else the congestion window would fill with ghosts). */
  if (k) {
    int64_t first = h->out[0].seq, last = h->out[k - 1].seq;
    int64_t from = h->flight_base > h->next_seq - PL_CC_HISTORY ? h->flight_base
                                                                 : h->next_seq - PL_CC_HISTORY;
    for (int64_t q = from < 0 ? 0 : from; q < first; q++) {
      slot *s = &h->ring[q % PL_CC_HISTORY];
      if (s->seq == q && s->flying) {
        s->flying = false; /* its fate is unknown: not counted as lost */
        h->in_flight = h->in_flight >= s->size ? h->in_flight - s->size : 0;
      }
    }
    if (last + 1 > h->flight_base)
      h->flight_base = last + 1;
  }
  fb->data_in_flight = h->in_flight;
  return (int)k;
}

pl_cc_history_stats pl_cc_history_get_stats(const pl_cc_history *h) { return h->stats; }

uint64_t pl_cc_history_in_flight(const pl_cc_history *h) { return h->in_flight; }
