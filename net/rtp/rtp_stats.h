/* RTP reception and sending statistics for RTCP reports: per-SSRC sequence
 * validation (RFC 3550 A.1), loss (A.3), interarrival jitter (A.8), the
 * report block with LSR/DLSR (§6.4.1), sender counts for the SR, and the
 * round-trip time a report block implies. Sans-IO: times come in as args. */
#ifndef PL_NET_RTP_STATS_H
#define PL_NET_RTP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/time.h"
#include "net/rtcp/rtcp.h"
#include "net/rtp/rtp.h"

/* RFC 3550 A.1 constants. */
#define PL_RTP_MIN_SEQUENTIAL 2
#define PL_RTP_MAX_DROPOUT 3000
#define PL_RTP_MAX_MISORDER 100
/* Recent sequence numbers remembered to spot duplicates. */
#define PL_RTP_DUP_WINDOW 1024

/* What pl_rtp_recv_stats_update made of a packet. */
typedef enum pl_rtp_seq_status {
  PL_RTP_SEQ_OK = 0,     /* valid, counted */
  PL_RTP_SEQ_PROBATION,  /* source not yet validated; not counted */
  PL_RTP_SEQ_BAD,        /* a jump beyond MAX_DROPOUT; dropped unless the
                            next packet confirms it */
  PL_RTP_SEQ_RESYNC,     /* the jump was confirmed: state restarted here */
  PL_RTP_SEQ_DUPLICATE,  /* seen before; counted in received (RFC 3550
                            §6.4.1: loss may then go negative) */
} pl_rtp_seq_status;

typedef struct pl_rtp_recv_stats {
  uint32_t ssrc;
  uint32_t clock_rate;
  /* A.1 */
  bool started;
  uint16_t max_seq;
  uint32_t cycles; /* count of wraps, shifted left 16 */
  uint32_t base_seq;
  uint32_t bad_seq;
  uint32_t probation;
  uint32_t received;
  uint32_t expected_prior;
  uint32_t received_prior;
  /* A.8 */
  double jitter; /* RTP timestamp units */
  uint32_t transit;
  bool have_transit;
  /* Totals since init, whatever the validation said. */
  uint64_t packets;
  uint64_t payload_bytes; /* payload only, as RTCP and getStats count */
  uint64_t header_bytes;  /* header, extension and padding */
  uint64_t duplicates;
  /* Duplicate window, by extended sequence number. */
  uint64_t seen[PL_RTP_DUP_WINDOW / 64];
  int64_t seen_max;
  /* Last SR from this source. */
  bool have_sr;
  uint32_t lsr;
  pl_time_us sr_arrival;
} pl_rtp_recv_stats;

void pl_rtp_recv_stats_init(pl_rtp_recv_stats *s, uint32_t ssrc,
                            uint32_t clock_rate);
/* Feeds one parsed packet that arrived at `arrival`. Returns a
 * pl_rtp_seq_status, or PL_EINVAL for a packet of another SSRC. */
int pl_rtp_recv_stats_update(pl_rtp_recv_stats *s, const pl_rtp_header *h,
                             pl_time_us arrival);
/* Remembers an SR from this source (its NTP time) for LSR/DLSR. */
void pl_rtp_recv_stats_on_sr(pl_rtp_recv_stats *s, uint64_t ntp,
                             pl_time_us arrival);
/* Highest sequence number with wraps: cycles + max_seq. */
uint32_t pl_rtp_recv_stats_ext_max(const pl_rtp_recv_stats *s);
/* Fills a report block and starts a new report interval (fraction lost is
 * per interval). PL_EAGAIN while the source is still on probation. */
int pl_rtp_recv_stats_report(pl_rtp_recv_stats *s, pl_time_us now,
                             pl_rtcp_report_block *rb);

/* Sender side: RFC 3550 §6.4.1 packet and octet counts (payload octets
 * only), 32 bits and wrapping as on the wire. */
typedef struct pl_rtp_send_stats {
  uint32_t packets;
  uint32_t octets;
} pl_rtp_send_stats;

void pl_rtp_send_stats_init(pl_rtp_send_stats *s);
void pl_rtp_send_stats_on_packet(pl_rtp_send_stats *s, size_t payload_len);
/* Fills the sender-info part of an SR; report blocks are left untouched. */
void pl_rtp_send_stats_fill_sr(const pl_rtp_send_stats *s, pl_rtcp_sr *sr,
                               uint32_t ssrc, uint64_t ntp, uint32_t rtp_ts);

/* Middle 32 bits of a 64-bit NTP time (16.16 seconds), as in LSR. */
static inline uint32_t pl_ntp_compact(uint64_t ntp) {
  return (uint32_t)(ntp >> 16);
}
/* RTT = A - LSR - DLSR (RFC 3550 §6.4.1, Fig. 2), A being the arrival time
 * of the report block in compact NTP of the clock that stamped our SRs.
 * PL_ENOENT if LSR is 0 (the peer has no SR from us yet), PL_ERANGE if the
 * result is negative (inconsistent clocks or a bogus block). */
int pl_rtcp_rtt_us(const pl_rtcp_report_block *rb, uint32_t arrival_compact,
                   pl_time_us *rtt);

#endif
