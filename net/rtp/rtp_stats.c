/* Receive statistics after RFC 3550 A.1 (sequence validation), A.3 (loss)
 * and A.8 (jitter); sender counts; RTT from a report block. */
#include "net/rtp/rtp_stats.h"

#include <string.h>

#include "net/rtp/unwrap.h"
#include "parley.h"

#define SEQ_MOD 65536u

static void seen_reset(pl_rtp_recv_stats *s, int64_t before) {
  memset(s->seen, 0, sizeof s->seen);
  s->seen_max = before;
}

/* A.1 init_seq, plus our own state that must restart with it. */
static void init_seq(pl_rtp_recv_stats *s, uint16_t seq) {
  s->base_seq = seq;
  s->max_seq = seq;
  s->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
  s->cycles = 0;
  s->received = 0;
  s->received_prior = 0;
  s->expected_prior = 0;
  seen_reset(s, (int64_t)seq - 1);
}

void pl_rtp_recv_stats_init(pl_rtp_recv_stats *s, uint32_t ssrc,
                            uint32_t clock_rate) {
  memset(s, 0, sizeof *s);
  s->ssrc = ssrc;
  s->clock_rate = clock_rate;
}

/* A.1 update_seq, returning why a packet was or was not counted. */
static pl_rtp_seq_status update_seq(pl_rtp_recv_stats *s, uint16_t seq) {
  uint16_t udelta = (uint16_t)(seq - s->max_seq);
  pl_rtp_seq_status st = PL_RTP_SEQ_OK;
  if (s->probation) {
    /* Only a run of MIN_SEQUENTIAL in-order packets validates a source. */
    if (seq == (uint16_t)(s->max_seq + 1)) {
      s->probation--;
      s->max_seq = seq;
      if (s->probation == 0) {
        init_seq(s, seq);
        s->received++;
        return PL_RTP_SEQ_OK;
      }
    } else {
      s->probation = PL_RTP_MIN_SEQUENTIAL - 1;
      s->max_seq = seq;
    }
    return PL_RTP_SEQ_PROBATION;
  } else if (udelta < PL_RTP_MAX_DROPOUT) {
    if (seq < s->max_seq)
      s->cycles += SEQ_MOD; /* wrapped */
    s->max_seq = seq;
  } else if (udelta <= SEQ_MOD - PL_RTP_MAX_MISORDER) {
    /* A big jump: believe it only if the next packet follows it, which is
     * what a restarted sender looks like. */
    if (seq == s->bad_seq) {
      init_seq(s, seq);
      st = PL_RTP_SEQ_RESYNC;
    } else {
      s->bad_seq = (uint32_t)(seq + 1) & (SEQ_MOD - 1);
      return PL_RTP_SEQ_BAD;
    }
  } /* else: duplicate or reordered, counted below */
  s->received++;
  return st;
}

/* Marks an extended sequence number seen; true if it already was. */
static bool seen_mark(pl_rtp_recv_stats *s, int64_t ext) {
  if (ext > s->seen_max) {
    if (ext - s->seen_max >= PL_RTP_DUP_WINDOW) {
      memset(s->seen, 0, sizeof s->seen);
    } else {
      for (int64_t e = s->seen_max + 1; e <= ext; e++) {
        uint64_t i = (uint64_t)e % PL_RTP_DUP_WINDOW;
        s->seen[i / 64] &= ~(1ull << (i % 64));
      }
    }
    s->seen_max = ext;
  } else if (s->seen_max - ext >= PL_RTP_DUP_WINDOW) {
    return false; /* older than we remember */
  }
  uint64_t i = (uint64_t)ext % PL_RTP_DUP_WINDOW;
  bool was = (s->seen[i / 64] >> (i % 64)) & 1;
  s->seen[i / 64] |= 1ull << (i % 64);
  return was;
}

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Arrival time in RTP units, split so the product cannot overflow. */
static uint32_t arrival_rtp(pl_time_us t, uint32_t rate) {
  int64_t sec = floor_div(t, 1000000);
  int64_t us = t - sec * 1000000;
  return (uint32_t)((uint64_t)sec * rate + (uint64_t)us * rate / 1000000);
}

static void update_jitter(pl_rtp_recv_stats *s, uint32_t ts,
                          pl_time_us arrival) {
  uint32_t transit = arrival_rtp(arrival, s->clock_rate) - ts;
  if (s->have_transit) {
    uint32_t u = transit - s->transit;
    double d = u < 0x80000000u ? (double)u : (double)(0x100000000ull - u);
    s->jitter += (d - s->jitter) / 16.0;
  }
  s->transit = transit;
  s->have_transit = true;
}

int pl_rtp_recv_stats_update(pl_rtp_recv_stats *s, const pl_rtp_header *h,
                             pl_time_us arrival) {
  if (h->ssrc != s->ssrc)
    return PL_EINVAL;
  s->packets++;
  s->payload_bytes += h->payload_len;
  s->header_bytes += h->header_len + h->padding_len;
  if (!s->started) {
    init_seq(s, h->seq);
    s->max_seq = (uint16_t)(h->seq - 1);
    s->probation = PL_RTP_MIN_SEQUENTIAL;
    s->started = true;
  }
  pl_rtp_seq_status st = update_seq(s, h->seq);
  if (st == PL_RTP_SEQ_BAD)
    return st;
  if (st == PL_RTP_SEQ_RESYNC) {
    /* The timestamps restarted with the sequence numbers. */
    s->have_transit = false;
  }
  if (st != PL_RTP_SEQ_PROBATION) {
    int64_t ext = (int64_t)pl_rtp_recv_stats_ext_max(s) +
                  pl_seq_diff(h->seq, s->max_seq);
    if (seen_mark(s, ext)) {
      s->duplicates++;
      return PL_RTP_SEQ_DUPLICATE;
    }
  }
  update_jitter(s, h->ts, arrival);
  return st;
}

void pl_rtp_recv_stats_on_sr(pl_rtp_recv_stats *s, uint64_t ntp,
                             pl_time_us arrival) {
  s->have_sr = true;
  s->lsr = pl_ntp_compact(ntp);
  s->sr_arrival = arrival;
}

uint32_t pl_rtp_recv_stats_ext_max(const pl_rtp_recv_stats *s) {
  return s->cycles + s->max_seq;
}

int pl_rtp_recv_stats_report(pl_rtp_recv_stats *s, pl_time_us now,
                             pl_rtcp_report_block *rb) {
  if (!s->started || s->probation)
    return PL_EAGAIN;
  uint32_t ext_max = pl_rtp_recv_stats_ext_max(s);
  /* A.3, in 64 bits so nothing wraps before the clamp. */
  int64_t expected = (int64_t)ext_max - s->base_seq + 1;
  int64_t lost = expected - s->received;
  if (lost > 0x7FFFFF)
    lost = 0x7FFFFF;
  if (lost < -0x800000)
    lost = -0x800000;
  int64_t expected_interval = expected - s->expected_prior;
  int64_t received_interval = (int64_t)s->received - s->received_prior;
  int64_t lost_interval = expected_interval - received_interval;
  s->expected_prior = (uint32_t)expected;
  s->received_prior = s->received;

  rb->ssrc = s->ssrc;
  rb->fraction_lost =
      (expected_interval <= 0 || lost_interval <= 0)
          ? 0
          : (uint8_t)((lost_interval << 8) / expected_interval);
  rb->cumulative_lost = (int32_t)lost;
  rb->ext_highest_seq = ext_max;
  rb->jitter = (uint32_t)(s->jitter + 0.5);
  rb->lsr = 0;
  rb->dlsr = 0;
  if (s->have_sr) {
    rb->lsr = s->lsr;
    int64_t d = now - s->sr_arrival;
    if (d < 0)
      d = 0;
    uint64_t dlsr = ((uint64_t)d << 16) / 1000000;
    rb->dlsr = dlsr > UINT32_MAX ? UINT32_MAX : (uint32_t)dlsr;
  }
  return 0;
}

void pl_rtp_send_stats_init(pl_rtp_send_stats *s) {
  s->packets = 0;
  s->octets = 0;
}

void pl_rtp_send_stats_on_packet(pl_rtp_send_stats *s, size_t payload_len) {
  s->packets++;
  s->octets += (uint32_t)payload_len;
}

void pl_rtp_send_stats_fill_sr(const pl_rtp_send_stats *s, pl_rtcp_sr *sr,
                               uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts) {
  sr->ssrc = ssrc;
  sr->ntp = ntp;
  sr->rtp_ts = rtp_ts;
  sr->packet_count = s->packets;
  sr->octet_count = s->octets;
}

int pl_rtcp_rtt_us(const pl_rtcp_report_block *rb, uint32_t arrival_compact,
                   pl_time_us *rtt) {
  if (rb->lsr == 0)
    return PL_ENOENT;
  uint32_t v = arrival_compact - rb->lsr - rb->dlsr; /* wraps like NTP */
  if (v & 0x80000000u)
    return PL_ERANGE;
  *rtt = (pl_time_us)(((uint64_t)v * 1000000 + 32768) >> 16);
  return 0;
}
