/* Congestion control, sans-IO: the types every controller shares. The call
 * records each packet it sends (transport-wide sequence number, size, send
 * time) in a pl_cc_history; TWCC feedback from the receiver is matched
 * against it into pl_cc_feedback (one result per reported packet, in
 * sequence order, lost ones included); a controller (GCC in gcc.h, later a
 * learned one) turns feedback, RTT and loss reports into a pl_cc_target:
 * what the encoders may produce and how fast the pacer sends. Time is an
 * argument everywhere; nothing here allocates after _new. */
#ifndef PL_NET_CC_CC_H
#define PL_NET_CC_CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"

/* One packet's fate as feedback reported it. */
typedef struct pl_cc_packet {
  int64_t seq;           /* unwrapped transport-wide sequence number */
  pl_time_us send_time;  /* our clock, when it left the pacer */
  pl_time_us recv_time;  /* the receiver's clock (its own offset); PL_TIME_NEVER: lost */
  uint32_t size;         /* bytes on the wire (RTP with SRTP overhead) */
  int16_t probe_cluster; /* -1: not part of a probe */
  bool audio;
} pl_cc_packet;

/* What one feedback message taught us, in sequence order. */
typedef struct pl_cc_feedback {
  pl_time_us feedback_time; /* when it arrived (our clock) */
  const pl_cc_packet *packets;
  size_t n;
  uint64_t data_in_flight;  /* bytes sent and not yet reported, after this feedback */
} pl_cc_feedback;

typedef struct pl_cc_config {
  uint64_t start_bps; /* default 300 kbit/s */
  uint64_t min_bps;   /* default 30 kbit/s */
  uint64_t max_bps;   /* default 10 Mbit/s */
} pl_cc_config;

void pl_cc_config_init(pl_cc_config *cfg);

/* A probe cluster the pacer should send now: `bps` for at least
 * min_packets packets and min_bytes bytes, tagged with `id`. */
typedef struct pl_cc_probe {
  int id;        /* >= 0; 0 .. 32767 */
  uint64_t bps;
  int min_packets;
  uint32_t min_bytes;
} pl_cc_probe;

typedef struct pl_cc_target {
  uint64_t target_bps;  /* what all encoders together may produce */
  uint64_t pacing_bps;  /* the pacer's drain rate */
  uint64_t padding_bps; /* pad up to this when the encoders undershoot */
  pl_time_us rtt;       /* smoothed; 0 when unknown */
  double loss;          /* fraction lost over the last reports, 0..1 */
  /* Why the target is what it is (for stats and the lab): */
  int delay_state;      /* 0 normal, 1 overusing, 2 underusing */
  uint64_t delay_based_bps, loss_based_bps, acked_bps;
  bool in_alr;          /* application-limited: sending well under target */
} pl_cc_target;

/* ---- controllers (controller.c) ----------------------------------------- */

/* What the call needs of a congestion controller; `paced` says whether its
 * packets go through the pacer. Every call is on the caller's clock. */
typedef struct pl_cc_ctl_ops {
  const char *name;
  bool paced;
  void *(*create)(const pl_cc_config *cfg, pl_time_us now);
  void (*destroy)(void *ctl);
  void (*on_feedback)(void *ctl, const pl_cc_feedback *fb);
  void (*on_rtt)(void *ctl, pl_time_us now, pl_time_us rtt);
  void (*on_loss_report)(void *ctl, pl_time_us now, double fraction_lost, uint32_t packets);
  void (*on_remb)(void *ctl, pl_time_us now, uint64_t bps);
  void (*on_sent)(void *ctl, pl_time_us now, uint32_t size, int probe_cluster);
  void (*timeout)(void *ctl, pl_time_us now);
  pl_time_us (*deadline)(const void *ctl);
  void (*get_target)(const void *ctl, pl_cc_target *out);
  int (*poll_probe)(void *ctl, pl_cc_probe *out);
} pl_cc_ctl_ops;

/* "none" (fixed rates, the app's, unpaced), "gcc" or "learned"; NULL when unknown. */
const pl_cc_ctl_ops *pl_cc_controller_find(const char *name);
/* The names, for help texts: "none, gcc, learned". */
const char *pl_cc_controller_names(void);

/* ---- send history and feedback matching (history.c) ------------------- */

#define PL_CC_HISTORY 8192  /* packets remembered: ~10 s at 800 packets/s */
#define PL_CC_FEEDBACK_MAX 1024 /* results one feedback can carry */

typedef struct pl_cc_history pl_cc_history;

typedef struct pl_cc_history_stats {
  uint64_t sent, reported, lost;
  uint64_t unknown;     /* reported but never sent (or forgotten): ignored */
  uint64_t duplicate;   /* reported twice */
  uint64_t bad_feedback; /* refused whole: absurd times, out of window */
} pl_cc_history_stats;

pl_cc_history *pl_cc_history_new(void);
void pl_cc_history_free(pl_cc_history *h);
/* Records a packet as it leaves; returns the 16-bit transport-wide sequence
 * number to write into its header extension. */
uint16_t pl_cc_history_sent(pl_cc_history *h, pl_time_us now, uint32_t size,
                            int probe_cluster, bool audio);
/* Feedback for seq[i] (16-bit, as on the wire), received[i], recv_us[i]
 * (receiver clock, any offset). Fills fb (whose packets point into the
 * history's own buffer, valid until the next call) and returns the number
 * of packets matched, 0 when nothing usable was in it, or a PL_E* code. */
typedef struct pl_twcc_status pl_twcc_status;
int pl_cc_history_feedback(pl_cc_history *h, pl_time_us now, const pl_twcc_status *st,
                           size_t n, pl_cc_feedback *fb);
pl_cc_history_stats pl_cc_history_get_stats(const pl_cc_history *h);
/* Bytes sent and not yet reported (received or lost) by feedback. */
uint64_t pl_cc_history_in_flight(const pl_cc_history *h);

#endif
