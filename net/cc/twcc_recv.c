/* TWCC feedback on the receiver: arrivals in a ring indexed by unwrapped
 * sequence number, one message per interval covering [base, max seen]. */
#include <string.h>

#include "net/cc/twcc_recv.h"
#include "parley.h"

void pl_twcc_recv_init(pl_twcc_recv *r) {
  memset(r, 0, sizeof *r);
  r->base = -1;
}

pl_time_us pl_twcc_recv_interval(double recv_bps) {
  if (recv_bps <= 300000)
    return PL_MS(100);
  pl_time_us t = (pl_time_us)(PL_MS(100) * 300000.0 / recv_bps);
  return t < PL_MS(50) ? PL_MS(50) : t;
}

static int64_t unwrap(const pl_twcc_recv *r, uint16_t s) {
  if (!r->any)
    return s;
  int64_t d = (int16_t)(uint16_t)(s - (uint16_t)r->max_seq);
  return r->max_seq + d;
}

void pl_twcc_recv_packet(pl_twcc_recv *r, pl_time_us now, uint16_t s, size_t bytes) {
  int64_t seq = unwrap(r, s);
  if (r->rate_t0 == 0)
    r->rate_t0 = now;
  r->rate_bytes += bytes;
  if (now - r->rate_t0 >= PL_MS(500)) {
    r->recv_bps = (double)r->rate_bytes * 8e6 / (double)(now - r->rate_t0);
    r->rate_t0 = now;
    r->rate_bytes = 0;
  }
  if (seq < 0) {
    r->stats.too_old++;
    return;
  }
  if (!r->any) {
    r->any = true;
    r->base = r->max_seq = seq;
    r->last_sent = now; /* the first feedback one interval after the first packet */
  }
  if (seq < r->base) {
    r->stats.too_old++; /* already reported (as lost): too late for feedback */
    return;
  }
  if (seq > r->max_seq) {
    /* A jump past the window (a burst of loss, or a sender that restarted
     * its numbering): give up the oldest unreported part. */
    if (seq - r->base >= PL_TWCC_RECV_WINDOW) {
      /* Thousands of "lost" statuses would tell the sender nothing true:
       * start over at this packet. */
      memset(r->arrival, 0, sizeof r->arrival);
      r->stats.skipped += (uint64_t)(seq - r->base);
      r->base = r->max_seq = seq;
    }
    for (int64_t q = r->max_seq + 1; q < seq; q++)
      r->arrival[q % PL_TWCC_RECV_WINDOW] = 0;
    r->max_seq = seq;
    r->arrival[seq % PL_TWCC_RECV_WINDOW] = 0;
  }
  pl_time_us *a = &r->arrival[seq % PL_TWCC_RECV_WINDOW];
  if (*a) {
    r->stats.duplicates++;
    return;
  }
  *a = now > 0 ? now : 1;
  r->stats.packets++;
}

pl_time_us pl_twcc_recv_deadline(const pl_twcc_recv *r) {
  if (!r->any || r->base > r->max_seq)
    return PL_TIME_NEVER;
  return r->last_sent + pl_twcc_recv_interval(r->recv_bps);
}

int pl_twcc_recv_write(pl_twcc_recv *r, pl_time_us now, bool force, pl_rtcp_writer *w,
                       uint32_t sender_ssrc, uint32_t media_ssrc) {
  if (!r->any || r->base > r->max_seq)
    return 0;
  if (!force && now < pl_twcc_recv_deadline(r))
    return 0;
  /* Leading losses are reported as such (the reference time is the first
   * received packet's); a range with no arrival at all waits. */
  bool any = false;
  for (int64_t q = r->base; q <= r->max_seq && !any; q++)
    any = r->arrival[q % PL_TWCC_RECV_WINDOW] != 0;
  if (!any)
    return 0;
  size_t n = 0;
  int64_t q = r->base;
  pl_time_us first = 0; /* the first arrival in this message */
  for (; q <= r->max_seq && n < PL_TWCC_RECV_MAX_STATUS; q++) {
    pl_time_us a = r->arrival[q % PL_TWCC_RECV_WINDOW];
    pl_twcc_status *s = &r->st[n];
    /* Receive deltas are 16-bit multiples of 250 us: a gap over 8 s ends
     * the message; the rest goes in the next. */
    if (a && first && a - first > PL_MS(8000))
      break;
    if (a && !first)
      first = a;
    s->seq = (uint16_t)q;
    s->received = a != 0;
    s->recv_us = a;
    s->delta_us = 0;
    n++;
  }
  size_t scanned = n;
  int64_t q_end = q;
  /* Trailing losses are not reported yet: they may still arrive. */
  while (n && !r->st[n - 1].received) {
    n--;
    q--;
  }
  if (n == 0) {
    /* A message's worth of numbers, all lost, with arrivals beyond them (a
     * long outage at a high rate): nothing to anchor a message on. Skip
     * them and wait an interval; retrying the same range at the same
     * deadline spun the driver for ever. */
    if (scanned == PL_TWCC_RECV_MAX_STATUS) {
      for (int64_t x = r->base; x < q_end; x++)
        r->arrival[x % PL_TWCC_RECV_WINDOW] = 0;
      r->base = q_end;
      r->stats.skipped += (uint64_t)scanned;
    }
    r->last_sent = now;
    return 0;
  }
  pl_rtcp_twcc t;
  memset(&t, 0, sizeof t);
  t.fb.sender_ssrc = sender_ssrc;
  t.fb.media_ssrc = media_ssrc;
  t.base_seq = (uint16_t)r->base;
  t.fb_count = r->fb_count;
  t.pad_with_p_bit = true;
  int rc = pl_twcc_set_deltas(&t, r->st, n);
  if (rc == 0)
    rc = pl_rtcp_write_twcc(w, &t, r->st, n);
  if (rc)
    return rc;
  for (int64_t x = r->base; x < q; x++)
    r->arrival[x % PL_TWCC_RECV_WINDOW] = 0;
  r->base = q;
  r->fb_count++;
  r->last_sent = now;
  r->stats.feedbacks++;
  return 1;
}
