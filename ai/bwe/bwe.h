/* The learned bandwidth estimator (issue 14, part 4): a small GRU that reads
 * per-interval features of the transport feedback (what GCC reads: receive
 * and send rates, one-way delay over its running minimum, its slope, loss,
 * RTT) plus GCC's own verdicts (target, delay-based estimate, acknowledged
 * rate, over/under-use, ALR) and its own last output, and every 50 ms sets
 * the target rate. It wraps a pl_gcc, which keeps doing what it does well
 * and what a rate decision does not replace: probing, ALR detection,
 * padding for probes and the per-packet input checks. Only target_bps (and
 * pacing at 2.5 x it) are the model's. docs/congestion.md ("Learned
 * estimator") says how it was trained and what it measured.
 *
 * Sans-IO: time is an argument; everything is allocated by pl_bwe_new. */
#ifndef PL_AI_BWE_BWE_H
#define PL_AI_BWE_BWE_H

#include "ai/model/model.h"
#include "net/cc/cc.h"

#define PL_BWE_NFEAT 16
#define PL_BWE_TICK PL_MS(50)
#define PL_BWE_RING 4 /* ticks in the short (200 ms) windows */
#define PL_BWE_LONG 20 /* ticks in the 1 s send-rate window */

/* ---- features (features.c) ---------------------------------------------- */

/* What the feature extractor remembers: per-tick sums in small rings and a
 * windowed minimum of the one-way delay. */
typedef struct pl_bwe_feat {
  /* the tick being filled */
  double recv_bytes, sent_bytes;
  uint32_t recv_n, lost_n;
  pl_time_us recv_first, recv_last; /* receiver clock, this tick */
  pl_time_us owd_min, owd_max;      /* send -> receive, offset included */
  bool have_owd;
  /* closed ticks */
  double r_recv_bytes[PL_BWE_RING], r_span[PL_BWE_RING];
  uint32_t r_recv_n[PL_BWE_RING], r_lost_n[PL_BWE_RING];
  double r_sent[PL_BWE_LONG];
  int head, long_head, ticks;
  pl_time_us last_recv_time;        /* last receive time closing a span */
  /* base one-way delay: minimum over two 5 s buckets */
  pl_time_us base_cur, base_prev, bucket_start;
  bool have_base;
  double q_min_ms, q_max_ms, q_prev_ms;
  pl_time_us rtt_ext, rtt_fb;
  pl_time_us last_feedback;
} pl_bwe_feat;

void pl_bwe_feat_init(pl_bwe_feat *f, pl_time_us now);
void pl_bwe_feat_on_feedback(pl_bwe_feat *f, const pl_cc_feedback *fb);
void pl_bwe_feat_on_sent(pl_bwe_feat *f, uint32_t size);
void pl_bwe_feat_on_rtt(pl_bwe_feat *f, pl_time_us rtt);
/* Closes the tick at `now` and writes PL_BWE_NFEAT finite values, each in
 * [-8, 8]: GCC's target `g` and the controller's last output are inputs. */
void pl_bwe_feat_tick(pl_bwe_feat *f, pl_time_us now, const pl_cc_target *g, double last_bps,
                      float *x);

/* ---- the controller (learned.c) ----------------------------------------- */

typedef struct pl_bwe pl_bwe;

/* m: the model to run (borrowed; must outlive the controller); NULL: the
 * one compiled in (ai/models/bwe.plmd). NULL on no memory or a bad model. */
pl_bwe *pl_bwe_new(const pl_cc_config *cfg, pl_time_us now, const pl_model *m);
void pl_bwe_free(pl_bwe *b);

/* Who decides the rate, for training-data generation: the model (default)
 * or GCC's own target (the behaviour policy of the first data set); either
 * times `scale` (exploration: the generator perturbs the rate it sends). */
typedef enum { PL_BWE_MODEL = 0, PL_BWE_GCC = 1 } pl_bwe_policy;
void pl_bwe_set_policy(pl_bwe *b, pl_bwe_policy p, double scale);

/* One closed tick, as the generator logs it. */
typedef struct pl_bwe_tick {
  pl_time_us at;
  float x[PL_BWE_NFEAT];
  double gcc_bps, model_bps, out_bps;
} pl_bwe_tick;
/* Copies ticks with index >= *next (a running count) into out[max], sets
 * *next past them, returns how many (the last PL_BWE_LOG are kept). */
#define PL_BWE_LOG 16
size_t pl_bwe_ticks(const pl_bwe *b, uint64_t *next, pl_bwe_tick *out, size_t max);

typedef struct pl_bwe_stats {
  uint64_t ticks, model_steps;
  uint64_t nonfinite; /* model outputs that were not finite: GCC's used */
} pl_bwe_stats;
void pl_bwe_get_stats(const pl_bwe *b, pl_bwe_stats *out);

/* controller.c's entry: "learned", paced. */
extern const pl_cc_ctl_ops pl_bwe_ops;
/* The controller a call runs, when it is the learned one; else NULL. */
pl_bwe *pl_bwe_from_ctl(const pl_cc_ctl_ops *ops, void *ctl);

#endif
