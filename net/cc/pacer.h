/* The pacer: what leaves the call goes out at the congestion controller's
 * pacing rate in bursts of at most 5 ms, not in the encoder's bursts (a
 * keyframe is tens of packets at once). Audio is never paced behind video:
 * it leaves at once and only counts against the budget. Probe clusters are
 * sent at their own rate, with padding when there is no media to send, and
 * padding fills up to the padding rate when the encoders undershoot. A
 * queue that would take over 2 s to drain raises the rate to drain it in
 * 2 s (libwebrtc's kMaxExpectedQueueLength). Holds opaque packet pointers;
 * sans-IO and allocation-free. */
#ifndef PL_NET_CC_PACER_H
#define PL_NET_CC_PACER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/time.h"
#include "net/cc/cc.h"

#define PL_PACER_QUEUE 1024
#define PL_PACER_BURST PL_MS(5)
#define PL_PACER_MAX_QUEUE_TIME PL_SEC(2)
#define PL_PACER_PADDING_MAX 224 /* bytes of one padding packet's payload */

typedef enum { PL_PACE_AUDIO, PL_PACE_VIDEO, PL_PACE_RTX } pl_pace_kind;

typedef struct pl_pacer_stats {
  uint64_t packets, bytes, padding_bytes, probe_packets;
  uint64_t dropped;          /* queue full */
  uint64_t flushed;          /* emptied by pl_pacer_flush_one */
  uint64_t blocked_pops;     /* times video waited for the congestion window */
  pl_time_us max_queue_time; /* longest a packet waited */
  uint32_t queue_packets, queue_bytes;
} pl_pacer_stats;

typedef struct pl_pacer_item {
  void *pkt;
  uint32_t size;
  pl_pace_kind kind;
  pl_time_us enqueued;
} pl_pacer_item;

typedef struct pl_pacer {
  pl_pacer_item q[PL_PACER_QUEUE];
  uint32_t head, n;
  uint64_t queue_bytes;
  void *audio[64]; /* audio goes out first, in order */
  uint32_t audio_size[64];
  uint32_t a_head, a_n;
  uint64_t pacing_bps, padding_bps;
  double debt;     /* bytes sent beyond what the rate allowed so far */
  double pad_debt;
  pl_time_us last; /* when debt was last paid down */
  bool probing, can_pad;
  bool blocked;    /* congestion window full: only audio leaves */
  pl_cc_probe probe;
  int probe_packets;
  uint32_t probe_bytes;
  pl_pacer_stats stats;
} pl_pacer;

void pl_pacer_init(pl_pacer *p, uint64_t pacing_bps);
void pl_pacer_set_rates(pl_pacer *p, uint64_t pacing_bps, uint64_t padding_bps);
/* Whether the sender can make padding packets at all (it needs a stream to
 * put them on, e.g. video RTX). Without, a probe ends with its media. */
void pl_pacer_set_can_pad(pl_pacer *p, bool can);
void pl_pacer_start_probe(pl_pacer *p, const pl_cc_probe *probe);
/* Congestion window pushback (libwebrtc's CongestionWindowPushback): while
 * the data in flight exceeds the window, only audio leaves; video, RTX and
 * padding wait for feedback to shrink what is in flight. */
void pl_pacer_set_blocked(pl_pacer *p, bool blocked);
/* Queues a packet; PL_EFULL (counted) when the queue is full. */
int pl_pacer_push(pl_pacer *p, pl_time_us now, void *pkt, uint32_t size, pl_pace_kind kind);
/* The next packet that may leave at `now`, or NULL. *probe_cluster is the
 * probe it belongs to, or -1. */
void *pl_pacer_pop(pl_pacer *p, pl_time_us now, uint32_t *size, int *probe_cluster);
/* Padding bytes to send now (one packet's worth at most), 0 for none, and
 * the probe they belong to. Call after pop returned NULL. */
uint32_t pl_pacer_padding(pl_pacer *p, pl_time_us now, int *probe_cluster);
/* Tells the pacer a padding packet of `size` bytes went out. */
void pl_pacer_padding_sent(pl_pacer *p, pl_time_us now, uint32_t size, int probe_cluster);
pl_time_us pl_pacer_deadline(const pl_pacer *p);
/* How long the oldest queued packet has waited. */
pl_time_us pl_pacer_queue_time(const pl_pacer *p, pl_time_us now);
/* Empties the video/RTX queue (audio stays): the next queued packet, oldest
 * first, or NULL when empty; call until NULL and dispose of each. For a
 * sender whose queue has gone stale (after a sharp drop in capacity the
 * video made at the old rate would take seconds to leave, and be too old
 * to show when it arrived). Counted in stats.flushed. */
void *pl_pacer_flush_one(pl_pacer *p, pl_pace_kind *kind);

#endif
