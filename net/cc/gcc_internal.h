/* GCC's parts, one struct per idea of libwebrtc's goog_cc, so each can be
 * tested against hand-computed numbers: inter-arrival grouping and the
 * trendline detector (trendline.c), AIMD rate control and the link capacity
 * estimate (aimd.c), the classic loss-based controller (loss_based.c), the
 * acknowledged-bitrate estimator (ack_bitrate.c), ALR detection (alr.c),
 * probe control and probe results (probe.c). gcc.c wires them together.
 * Times are microseconds on the caller's clock; rates are bits per second
 * held in doubles (every input is checked finite before it gets here). */
#ifndef PL_NET_CC_GCC_INTERNAL_H
#define PL_NET_CC_GCC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/time.h"
#include "net/cc/cc.h"

/* libwebrtc's BandwidthUsage, numbered as pl_cc_target.delay_state. */
enum { PL_GCC_NORMAL = 0, PL_GCC_OVERUSING = 1, PL_GCC_UNDERUSING = 2 };

/* ---- inter-arrival grouping (inter_arrival_delta.cc) -------------------- */

typedef struct pl_gcc_group {
  bool valid;
  int64_t size;              /* bytes */
  pl_time_us first_send;     /* send time of the group's first packet */
  pl_time_us send;           /* latest send time in the group */
  pl_time_us first_arrival;
  pl_time_us complete;       /* arrival of the group's last packet */
  pl_time_us last_system;    /* our clock when the last packet's feedback came */
} pl_gcc_group;

typedef struct pl_gcc_interarrival {
  pl_gcc_group cur, prev;
  int reordered;             /* consecutive groups that arrived out of order */
  uint64_t resets;
} pl_gcc_interarrival;

void pl_gcc_interarrival_reset(pl_gcc_interarrival *ia);
/* Adds one packet (in receive order); true and the deltas between the two
 * latest complete groups when this packet closed a group. */
bool pl_gcc_interarrival_add(pl_gcc_interarrival *ia, pl_time_us send, pl_time_us arrival,
                             pl_time_us system, uint32_t size, pl_time_us *send_delta,
                             pl_time_us *arrival_delta);

/* ---- trendline estimator + adaptive threshold (trendline_estimator.cc) -- */

#define PL_GCC_TREND_WINDOW 20

typedef struct pl_gcc_trendline {
  int num_deltas;
  double first_arrival_ms;   /* < 0: none yet */
  double acc_delay, smoothed_delay;
  double hist_x[PL_GCC_TREND_WINDOW], hist_y[PL_GCC_TREND_WINDOW];
  int hist_n, hist_head;
  double prev_trend, prev_modified_trend, trend;
  double threshold;
  double last_update_ms;     /* < 0: never */
  double time_over_using;    /* ms; < 0: not over */
  int overuse_counter;
  int state;
} pl_gcc_trendline;

void pl_gcc_trendline_init(pl_gcc_trendline *t);
/* One group delta: returns the detector state after it. */
int pl_gcc_trendline_update(pl_gcc_trendline *t, double recv_delta_ms, double send_delta_ms,
                            double arrival_ms);
void pl_gcc_trendline_update_threshold(pl_gcc_trendline *t, double modified_trend,
                                       double now_ms);
/* Least-squares slope of y over x; false when x has no spread. */
bool pl_gcc_linear_fit_slope(const double *x, const double *y, int n, double *slope);

/* ---- AIMD rate control + link capacity (aimd_rate_control.cc) ---------- */

typedef struct pl_gcc_link_capacity {
  bool has;
  double estimate_kbps, deviation_kbps;
} pl_gcc_link_capacity;

typedef struct pl_gcc_aimd {
  double min_bps, max_bps;
  double current;            /* bps */
  double latest_throughput;  /* bps */
  bool initialized;
  int state;                 /* PL_GCC_RC_* */
  pl_time_us last_change, last_decrease, first_throughput; /* PL_TIME_NEVER: none */
  double last_decrease_bps;  /* < 0: none */
  pl_time_us rtt;
  bool in_alr;
  pl_gcc_link_capacity link;
} pl_gcc_aimd;

enum { PL_GCC_RC_HOLD, PL_GCC_RC_INCREASE, PL_GCC_RC_DECREASE };

void pl_gcc_aimd_init(pl_gcc_aimd *a, double start_bps, double min_bps, double max_bps);
/* acked_bps < 0: no throughput estimate yet. Returns the new estimate. */
double pl_gcc_aimd_update(pl_gcc_aimd *a, int usage, double acked_bps, pl_time_us now);
void pl_gcc_aimd_set_estimate(pl_gcc_aimd *a, double bps, pl_time_us now);
bool pl_gcc_aimd_time_to_reduce_further(const pl_gcc_aimd *a, pl_time_us now, double acked_bps);
bool pl_gcc_aimd_initial_time_to_reduce_further(const pl_gcc_aimd *a, pl_time_us now);
double pl_gcc_aimd_near_max_increase_bps_per_s(const pl_gcc_aimd *a);

/* ---- loss-based control (send_side_bandwidth_estimation.cc) ------------ */

#define PL_GCC_MIN_HISTORY 64

typedef struct pl_gcc_loss {
  double min_bps, max_bps;
  double current;            /* bps */
  double delay_limit;        /* bps; INFINITY: none */
  double receiver_limit;     /* REMB; INFINITY: none */
  int last_fraction_loss;    /* Q8, 0..255 */
  bool has_decreased_since_last_loss;
  int64_t lost_acc, expected_acc;
  pl_time_us first_report, last_loss_report, last_decrease; /* PL_TIME_NEVER: none */
  pl_time_us rtt;
  /* Sliding minimum of the target over the last second. */
  pl_time_us hist_t[PL_GCC_MIN_HISTORY];
  double hist_bps[PL_GCC_MIN_HISTORY];
  int hist_head, hist_n;
} pl_gcc_loss;

void pl_gcc_loss_init(pl_gcc_loss *l, double start_bps, double min_bps, double max_bps);
void pl_gcc_loss_packets_lost(pl_gcc_loss *l, int64_t lost, int64_t packets, pl_time_us now);
void pl_gcc_loss_update(pl_gcc_loss *l, pl_time_us now);
void pl_gcc_loss_set_rtt(pl_gcc_loss *l, pl_time_us rtt);
void pl_gcc_loss_set_delay_based(pl_gcc_loss *l, double bps, pl_time_us now);
void pl_gcc_loss_set_receiver_limit(pl_gcc_loss *l, double bps, pl_time_us now);
void pl_gcc_loss_set_send_bitrate(pl_gcc_loss *l, double bps, pl_time_us now);
double pl_gcc_loss_target(const pl_gcc_loss *l);

/* ---- acknowledged bitrate (bitrate_estimator.cc) ----------------------- */

typedef struct pl_gcc_ack_rate {
  int64_t sum;               /* bytes in the current window */
  pl_time_us window;         /* time accumulated in the current window */
  pl_time_us prev_time;      /* PL_TIME_NEVER: none */
  double estimate_kbps;      /* < 0: none yet */
  double var;
} pl_gcc_ack_rate;

void pl_gcc_ack_rate_init(pl_gcc_ack_rate *r);
void pl_gcc_ack_rate_update(pl_gcc_ack_rate *r, pl_time_us at, uint32_t bytes, bool in_alr);
void pl_gcc_ack_rate_expect_fast_change(pl_gcc_ack_rate *r);
/* bps, or -1 when there is no estimate yet. */
double pl_gcc_ack_rate_bps(const pl_gcc_ack_rate *r);

/* ---- ALR detection (alr_detector.cc, interval_budget.cc) --------------- */

typedef struct pl_gcc_alr {
  double target_bps;         /* 65 % of the estimate */
  double bytes_remaining, max_bytes;
  pl_time_us last_send;      /* PL_TIME_NEVER: none */
  pl_time_us start;          /* PL_TIME_NEVER: not in ALR */
} pl_gcc_alr;

void pl_gcc_alr_init(pl_gcc_alr *a, double estimate_bps);
void pl_gcc_alr_set_estimate(pl_gcc_alr *a, double estimate_bps);
void pl_gcc_alr_on_sent(pl_gcc_alr *a, uint32_t bytes, pl_time_us now);
static inline bool pl_gcc_alr_active(const pl_gcc_alr *a) { return a->start != PL_TIME_NEVER; }

/* ---- probing (probe_controller.cc, probe_bitrate_estimator.cc) --------- */

#define PL_GCC_PROBE_QUEUE 8
#define PL_GCC_CLUSTERS 16

typedef struct pl_gcc_cluster {
  int id;                    /* -1: free */
  double bps;
  int min_packets;
  uint32_t min_bytes;
  pl_time_us created;
  /* What the pacer sent of it (pl_gcc_on_sent). */
  int sent_packets;
  uint64_t sent_bytes;
  /* What feedback said of it (the probe bitrate estimator). */
  pl_time_us first_send, last_send, first_recv, last_recv;
  uint32_t size_last_send, size_first_recv;
  uint64_t size_total;
  int num_probes;
  bool rise;                 /* a rise probe (probe.c) */
} pl_gcc_cluster;

enum { PL_GCC_PROBE_INIT, PL_GCC_PROBE_WAITING, PL_GCC_PROBE_COMPLETE };

typedef struct pl_gcc_probe {
  int state;
  double start_bps, max_bps, estimate_bps, max_allocated;
  double min_to_probe_further; /* INFINITY: none */
  pl_time_us last_probing, alr_start, alr_end;
  pl_time_us last_large_drop, last_drop_probe;
  double before_last_large_drop;
  int next_id;
  pl_cc_probe queue[PL_GCC_PROBE_QUEUE];
  int queue_n;
  uint64_t created, dropped;
  pl_gcc_cluster clusters[PL_GCC_CLUSTERS];
  double result_bps;           /* < 0: no fresh result */
  /* Rise probing (ours, not libwebrtc's: docs/congestion.md). */
  bool delay_normal;           /* the detector's state, set by gcc.c */
  pl_time_us rise_since;       /* the last decrease of the estimate */
  pl_time_us rise_interval;    /* between rise probes: grows while they find nothing */
  double rise_base;            /* the estimate when the last rise probe went */
  uint64_t rise_probes, rise_full; /* sent; came back saturated near the estimate */
  bool initiating_rise;
} pl_gcc_probe;

void pl_gcc_probe_init(pl_gcc_probe *p, double start_bps, double max_bps, pl_time_us now);
void pl_gcc_probe_start(pl_gcc_probe *p, pl_time_us now);
void pl_gcc_probe_set_estimate(pl_gcc_probe *p, double bps, pl_time_us now);
void pl_gcc_probe_process(pl_gcc_probe *p, pl_time_us now);
void pl_gcc_probe_max_allocated(pl_gcc_probe *p, double bps, pl_time_us now);
void pl_gcc_probe_request(pl_gcc_probe *p, pl_time_us now);
void pl_gcc_probe_on_sent(pl_gcc_probe *p, int id, uint32_t size);
/* One received probe packet from feedback. */
void pl_gcc_probe_on_feedback(pl_gcc_probe *p, const pl_cc_packet *pkt);
/* The rate the pacer should pad to for probing, 0 when none is due. */
double pl_gcc_probe_padding(const pl_gcc_probe *p, pl_time_us now);

#endif
