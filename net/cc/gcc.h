/* Google Congestion Control on the sender, after libwebrtc's GoogCC
 * (modules/congestion_controller/goog_cc) and draft-ietf-rmcat-gcc-02:
 * inter-arrival grouping, trendline estimator, adaptive threshold, overuse
 * detector, AIMD rate control, loss-based control, acknowledged bitrate,
 * ALR detection and probing. docs/congestion.md cites each constant. */
#ifndef PL_NET_CC_GCC_H
#define PL_NET_CC_GCC_H

#include "net/cc/cc.h"

typedef struct pl_gcc pl_gcc;

pl_gcc *pl_gcc_new(const pl_cc_config *cfg, pl_time_us now);
void pl_gcc_free(pl_gcc *g);

/* Transport feedback matched by pl_cc_history_feedback. */
void pl_gcc_on_feedback(pl_gcc *g, const pl_cc_feedback *fb);
/* A round-trip time measured elsewhere (RTCP SR/RR, STUN). */
void pl_gcc_on_rtt(pl_gcc *g, pl_time_us now, pl_time_us rtt);
/* An RTCP receiver report's loss for peers without TWCC. */
void pl_gcc_on_loss_report(pl_gcc *g, pl_time_us now, double fraction_lost, uint32_t packets);
/* REMB from a peer that estimates on its side: a cap on the target. */
void pl_gcc_on_remb(pl_gcc *g, pl_time_us now, uint64_t bps);
/* Every packet as it leaves the pacer (ALR detection needs what we send).
 * The first one also starts the initial probing: the transport is up. */
void pl_gcc_on_sent(pl_gcc *g, pl_time_us now, uint32_t size, int probe_cluster);
/* The encoders' wishes: the most they can use (0: no limit). */
void pl_gcc_set_max_rate(pl_gcc *g, uint64_t bps);

/* Periodic work (loss-based update, probing, ALR); call at the deadline. */
void pl_gcc_timeout(pl_gcc *g, pl_time_us now);
pl_time_us pl_gcc_deadline(const pl_gcc *g);

void pl_gcc_get_target(const pl_gcc *g, pl_cc_target *out);
/* 1 and a cluster the pacer should send now, else 0. Drain until 0. */
int pl_gcc_poll_probe(pl_gcc *g, pl_cc_probe *out);

/* What the controller refused or dropped, and what it did. */
typedef struct pl_gcc_stats {
  uint64_t feedbacks, packets, lost;
  uint64_t bad_packets;   /* refused results: send time in the future or over
                           * 60 s old, absurd receive time, size 0 or > 64 KiB */
  uint64_t stale;         /* results for a sequence number at or below one
                           * already reported: duplicates, late reports */
  uint64_t bad_inputs;    /* whole calls refused: NaN, absurd times or RTTs */
  uint64_t clock_backwards; /* calls whose `now` was earlier than one before */
  uint64_t loss_reports_ignored; /* RTCP loss while TWCC feedback reports it */
  uint64_t overuses, detector_resets;
  uint64_t probes, probes_dropped, probe_results;
} pl_gcc_stats;
void pl_gcc_get_stats(const pl_gcc *g, pl_gcc_stats *out);

/* The same, as an entry for controller.c's table ("gcc", paced). */
extern const pl_cc_ctl_ops pl_gcc_ops;

#endif
