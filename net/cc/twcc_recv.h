/* The receiver's half of transport-wide congestion control: remember when
 * each packet carrying a transport-wide sequence number arrived, and every
 * 50-100 ms (sooner at high rates) write one TWCC feedback message
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01) covering what
 * arrived since the last, losses included. Sans-IO and allocation-free. */
#ifndef PL_NET_CC_TWCC_RECV_H
#define PL_NET_CC_TWCC_RECV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"
#include "net/rtcp/rtcp.h"

#define PL_TWCC_RECV_WINDOW 2048 /* sequence numbers a feedback may span */
#define PL_TWCC_RECV_MAX_STATUS 512 /* statuses in one message */

typedef struct pl_twcc_recv_stats {
  uint64_t packets, feedbacks;
  uint64_t duplicates, too_old; /* arrivals not recorded */
  uint64_t skipped;             /* sequence numbers given up without report */
} pl_twcc_recv_stats;

typedef struct pl_twcc_recv {
  pl_time_us arrival[PL_TWCC_RECV_WINDOW]; /* by seq % window; 0: not (yet) */
  int64_t base;      /* first sequence number the next feedback reports; -1: none yet */
  int64_t max_seq;   /* highest seen */
  bool any;
  uint8_t fb_count;
  pl_time_us last_sent, rate_t0;
  uint64_t rate_bytes;
  double recv_bps;
  pl_twcc_status st[PL_TWCC_RECV_MAX_STATUS];
  pl_twcc_recv_stats stats;
} pl_twcc_recv;

void pl_twcc_recv_init(pl_twcc_recv *r);
/* A packet with transport-wide sequence number `seq` arrived at `now`. */
void pl_twcc_recv_packet(pl_twcc_recv *r, pl_time_us now, uint16_t seq, size_t bytes);
/* When the next feedback is due (PL_TIME_NEVER with nothing to report). */
pl_time_us pl_twcc_recv_deadline(const pl_twcc_recv *r);
/* Writes one feedback into w if one is due at `now` (or `force`);
 * returns 1 when written, 0 when nothing was due, or the writer's error. */
int pl_twcc_recv_write(pl_twcc_recv *r, pl_time_us now, bool force, pl_rtcp_writer *w,
                       uint32_t sender_ssrc, uint32_t media_ssrc);
/* The feedback interval for a receive rate: 100 ms at up to 300 kbit/s,
 * shorter above, never under 50 ms (libwebrtc keeps feedback near 5 % of
 * the media rate in the same way). */
pl_time_us pl_twcc_recv_interval(double recv_bps);

#endif
