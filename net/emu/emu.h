/* emu.h - one direction of an emulated network path, sans-IO.
 * Datagrams go in with (bytes, now), come out of poll() when due, and the
 * driver re-arms one timer at deadline(): a simulated clock runs a long call
 * in milliseconds, identically for a seed; the relay runs it on a real one. */
#ifndef PL_NET_EMU_EMU_H
#define PL_NET_EMU_EMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/pkt.h"
#include "base/time.h"

typedef enum {
  PL_EMU_LOSS_NONE,
  PL_EMU_LOSS_RANDOM, /* Bernoulli: every packet lost with probability `loss` */
  PL_EMU_LOSS_GE      /* Gilbert-Elliott two-state Markov chain */
} pl_emu_loss_model;

typedef enum {
  PL_EMU_JITTER_NORMAL, /* delay + N(0, jitter) cut at +-3 std, floor 0 */
  PL_EMU_JITTER_UNIFORM /* delay + U[0, jitter) */
} pl_emu_jitter_dist;

typedef enum {
  PL_EMU_CAP_UNLIMITED, /* no bottleneck: no queue, no serialisation */
  PL_EMU_CAP_CONSTANT,  /* `bps` */
  PL_EMU_CAP_STEPS,     /* piecewise constant schedule */
  PL_EMU_CAP_MAHIMAHI   /* delivery opportunities, repeating */
} pl_emu_cap_kind;

/* Bytes one Mahimahi delivery opportunity carries. */
#define PL_EMU_MAHIMAHI_BYTES 1500
#define PL_EMU_MAX_OUTAGES 8
#define PL_EMU_DEFAULT_POOL 2048
#define PL_EMU_QHIST_BINS 4000 /* queue delay histogram: 1 ms bins to 4 s */

/* From `at` (relative to the link's start) the capacity is `bps`, until the
 * next step; the last step holds for ever; before the first, the first's. */
typedef struct pl_emu_step {
  pl_time_us at;
  uint64_t bps;
} pl_emu_step;

/* [start, end) relative to the link's start: everything offered is dropped. */
typedef struct pl_emu_window {
  pl_time_us start, end;
} pl_emu_window;

/* Arrays are borrowed: pl_emu_link_new copies them. */
typedef struct pl_emu_capacity {
  pl_emu_cap_kind kind;
  uint64_t bps;                /* CONSTANT */
  const pl_emu_step *steps;    /* STEPS: `at` strictly ascending */
  size_t nsteps;
  const uint32_t *opps_ms;     /* MAHIMAHI: non-decreasing; the trace repeats */
  size_t nopps;                /* with period opps_ms[nopps-1] (> 0) */
} pl_emu_capacity;

/* Applied in this order: loss, outages, duplication, bottleneck queue
 * (drop-tail) served at the capacity, propagation delay, jitter. A zeroed
 * config is a perfect link. */
typedef struct pl_emu_config {
  pl_emu_loss_model loss_model;
  double loss;                       /* RANDOM: P(loss) */
  double ge_p, ge_r;                 /* GE: P(good->bad), P(bad->good) per packet */
  double ge_loss_good, ge_loss_bad;  /* GE: P(loss) in each state; the classic
                                        1-k and 1-h (k, h = P(delivery)) */
  pl_emu_window outages[PL_EMU_MAX_OUTAGES];
  size_t noutages;
  double duplicate;                  /* P(a second copy) */
  pl_emu_capacity capacity;
  size_t queue_bytes;                /* drop-tail limit on queued bytes; 0: none */
  pl_time_us queue_delay;            /* drop when the wait for service would
                                        exceed this; 0: none */
  pl_time_us delay;                  /* propagation, one way */
  pl_time_us jitter;                 /* NORMAL: std; UNIFORM: range */
  pl_emu_jitter_dist jitter_dist;
  bool reorder;                      /* false: a packet never overtakes */
  size_t pool_packets;               /* packets the link may hold; 0: default */
} pl_emu_config;

typedef struct pl_emu_stats {
  uint64_t packets_in, bytes_in;     /* offered */
  uint64_t delivered, bytes_delivered;
  uint64_t lost_random;              /* Bernoulli or Gilbert-Elliott */
  uint64_t lost_queue;               /* drop-tail overflow */
  uint64_t lost_outage;
  uint64_t lost_pool;                /* no free buffer (not a network effect) */
  uint64_t duplicated;               /* extra copies made */
  uint64_t reordered;                /* delivered after a later-sent packet */
  uint64_t queued;                   /* packets accepted by the bottleneck */
  pl_time_us queue_delay_sum;        /* arrival -> leaving the bottleneck */
  pl_time_us queue_delay_max;
  size_t queue_packets, queue_bytes; /* in the bottleneck now */
  size_t held;                       /* buffers taken from the pool now */
  uint64_t capacity_bps;             /* now; UINT64_MAX when unlimited; for a
                                        trace, the rate over the last second */
} pl_emu_stats;

typedef struct pl_emu_link pl_emu_link;

/* Validates the config (PL_EINVAL) and allocates everything the link will
 * ever need, pool included (PL_ENOMEM). */
int pl_emu_link_new(pl_emu_link **out, const pl_emu_config *cfg, uint64_t seed);
void pl_emu_link_free(pl_emu_link *l);

/* Schedules, traces and outages count from here. Optional: the first
 * input sets it otherwise. */
void pl_emu_link_start(pl_emu_link *l, pl_time_us now);

/* Offer one datagram for `to`. Returns 0 whether or not the emulated
 * network drops it (the stats say), PL_EFULL when no buffer was free
 * (counted in lost_pool), PL_ERANGE when len > PL_PKT_CAPACITY. */
int pl_emu_link_input(pl_emu_link *l, pl_time_us now, const uint8_t *data,
                      size_t len, const pl_addr *to);

/* 1 and *out when a packet is due by `now` (p->time is when it was due,
 * p->addr the `to` it was sent with), else 0. Drain until 0. The caller
 * owns *out until pl_emu_link_release. */
int pl_emu_link_poll(pl_emu_link *l, pl_time_us now, pl_pkt **out);
void pl_emu_link_release(pl_emu_link *l, pl_pkt *p);

/* When the next packet is due; PL_TIME_NEVER when none is held. */
pl_time_us pl_emu_link_deadline(const pl_emu_link *l);

void pl_emu_link_stats(const pl_emu_link *l, pl_time_us now, pl_emu_stats *out);

/* Gilbert (loss only in the bad state) parameters for a target loss rate
 * and mean burst length in packets: r = 1/burst, p = r*rate/(1-rate).
 * PL_EINVAL unless 0 <= rate < 1 and burst >= 1 (and p <= 1). */
int pl_emu_ge_from_rate(double rate, double mean_burst, double *p, double *r);

/* The long-run loss rate a GE config produces. */
double pl_emu_ge_loss_rate(double p, double r, double loss_good, double loss_bad);

/* ---- capacity traces (trace.c) ---- */

/* What went wrong where, for a person to read. line is 0 when not about a
 * line of text. */
typedef struct pl_emu_err {
  size_t line;
  char msg[192];
} pl_emu_err;

/* A parsed trace; owns its arrays. */
typedef struct pl_emu_trace {
  pl_emu_cap_kind kind; /* STEPS or MAHIMAHI */
  pl_emu_step *steps;
  uint32_t *opps_ms;
  size_t n;
} pl_emu_trace;

/* Mahimahi: each line one millisecond timestamp, non-decreasing, the last
 * > 0; each is one 1500-byte delivery opportunity. */
int pl_emu_trace_parse_mahimahi(pl_emu_trace *t, const char *text, size_t len,
                                pl_emu_err *err);
/* Steps: each line "time_ms capacity_kbps", times strictly ascending,
 * capacity a non-negative decimal. */
int pl_emu_trace_parse_steps(pl_emu_trace *t, const char *text, size_t len,
                             pl_emu_err *err);
/* Either, told apart by the first line's field count. Blank lines and
 * lines starting with '#' are skipped in both. All return 0 or PL_EPARSE
 * (err->line says where), PL_ENOMEM. */
int pl_emu_trace_parse(pl_emu_trace *t, const char *text, size_t len,
                       pl_emu_err *err);
/* Reads and parses a file: PL_ENOENT if missing, PL_EIO if unreadable or not
 * a regular file, PL_ERANGE if over 64 MiB, else as pl_emu_trace_parse. */
int pl_emu_trace_load(pl_emu_trace *t, const char *path, pl_emu_err *err);
void pl_emu_trace_free(pl_emu_trace *t);
/* Points a capacity at the trace's arrays (valid while t lives). */
void pl_emu_trace_capacity(const pl_emu_trace *t, pl_emu_capacity *cap);

/* Percentiles of the bottleneck queue delay (wait plus the packet's own
 * serialisation) of the packets accepted since the link started or the
 * last reset, to 1 ms; -1 when none was queued. */
void pl_emu_link_qdelay_reset(pl_emu_link *l);
pl_time_us pl_emu_link_qdelay_quantile(const pl_emu_link *l, double q);

#endif
