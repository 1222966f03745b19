/* The learned estimator as a congestion controller (bwe.h): a pl_gcc runs
 * underneath and sees every input; every 50 ms the features of the closed
 * tick go through the model (a pl_nn_seq stack: dense + PReLU, GRU, dense),
 * whose one output is ln(target / 1 Mbit/s). The target is that, clamped to
 * [min, max]; a non-finite output falls back to GCC's target for that tick.
 * Until the first feedback there is nothing to read, so the start rate and
 * GCC's initial probes stand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/bwe/bwe.h"
#include "ai/nn/seq.h"
#include "net/cc/gcc.h"

#define PACING_FACTOR 2.5 /* as GCC: the pacer drains 2.5 x the target */
#define TIME_LIMIT ((pl_time_us)1 << 52)

extern const unsigned char pl_model_bwe[];
extern const size_t pl_model_bwe_len;

struct pl_bwe {
  pl_gcc *g;
  double min_bps, max_bps;
  pl_model *own;
  pl_nn_seq seq;
  pl_nn_seq_state st;
  pl_bwe_feat f;
  pl_time_us now, next_tick;
  bool started; /* a feedback arrived */
  double out_bps;
  pl_bwe_policy policy;
  double scale;
  pl_bwe_tick log[PL_BWE_LOG];
  uint64_t nlog;
  pl_bwe_stats stats;
};

pl_bwe *pl_bwe_new(const pl_cc_config *cfg_in, pl_time_us now, const pl_model *m) {
  pl_bwe *b = calloc(1, sizeof *b);
  if (!b)
    return NULL;
  pl_cc_config cfg = *cfg_in;
  b->g = pl_gcc_new(&cfg, now);
  if (!b->g)
    goto fail;
  pl_cc_target t;
  pl_gcc_get_target(b->g, &t);
  b->out_bps = (double)t.target_bps;
  /* GCC normalised the config (defaults, clamps): use its bounds. */
  b->min_bps = cfg.min_bps ? (double)cfg.min_bps : 30000;
  b->max_bps = cfg.max_bps ? (double)cfg.max_bps : 10e6;
  if (b->max_bps < b->min_bps)
    b->max_bps = b->min_bps;
  if (!m) {
    char why[PL_MODEL_WHY_LEN];
    if (pl_model_load_static(&b->own, pl_model_bwe, pl_model_bwe_len, why, sizeof why))
      goto fail;
    m = b->own;
  }
  if (pl_nn_seq_init(&b->seq, m) || b->seq.in != PL_BWE_NFEAT || b->seq.out != 1 ||
      pl_nn_seq_state_init(&b->st, &b->seq))
    goto fail;
  pl_bwe_feat_init(&b->f, now);
  b->now = now;
  b->next_tick = PL_TIME_NEVER;
  b->scale = 1;
  return b;
fail:
  pl_bwe_free(b);
  return NULL;
}

void pl_bwe_free(pl_bwe *b) {
  if (!b)
    return;
  pl_nn_seq_state_free(&b->st);
  pl_model_free(b->own);
  pl_gcc_free(b->g);
  free(b);
}

void pl_bwe_set_policy(pl_bwe *b, pl_bwe_policy p, double scale) {
  b->policy = p;
  b->scale = scale > 0 && scale < 100 ? scale : 1;
}

static double clamp_rate(const pl_bwe *b, double bps) {
  return bps < b->min_bps ? b->min_bps : bps > b->max_bps ? b->max_bps : bps;
}

static void tick(pl_bwe *b, pl_time_us now) {
  pl_cc_target g;
  pl_gcc_get_target(b->g, &g);
  pl_bwe_tick *e = &b->log[b->nlog % PL_BWE_LOG];
  pl_bwe_feat_tick(&b->f, now, &g, b->out_bps, e->x);
  float y = 0;
  pl_nn_seq_step(&b->st, e->x, &y);
  b->stats.model_steps++;
  double model = exp((double)y) * 1e6;
  if (!isfinite(model)) {
    b->stats.nonfinite++;
    model = (double)g.target_bps;
  }
  model = clamp_rate(b, model);
  double out = b->policy == PL_BWE_GCC ? (double)g.target_bps : model;
  b->out_bps = clamp_rate(b, out * b->scale);
  e->at = now;
  e->gcc_bps = (double)g.target_bps;
  e->model_bps = model;
  e->out_bps = b->out_bps;
  b->nlog++;
  b->stats.ticks++;
}

static void advance(pl_bwe *b, pl_time_us now) {
  if (now <= -TIME_LIMIT || now >= TIME_LIMIT)
    return; /* GCC counts it; a tick schedule must not overflow on it */
  if (now > b->now)
    b->now = now;
  while (b->started && b->now >= b->next_tick) {
    tick(b, b->next_tick);
    /* After a long silence (no timeouts), one tick for the gap, not one
     * per 50 ms of it. */
    b->next_tick = b->now - b->next_tick > PL_SEC(1) ? b->now + PL_BWE_TICK
                                                      : b->next_tick + PL_BWE_TICK;
  }
}

size_t pl_bwe_ticks(const pl_bwe *b, uint64_t *next, pl_bwe_tick *out, size_t max) {
  uint64_t from = *next;
  if (from + PL_BWE_LOG < b->nlog)
    from = b->nlog - PL_BWE_LOG;
  size_t n = 0;
  for (; from < b->nlog && n < max; from++)
    out[n++] = b->log[from % PL_BWE_LOG];
  *next = from;
  return n;
}

void pl_bwe_get_stats(const pl_bwe *b, pl_bwe_stats *out) { *out = b->stats; }

/* ---- pl_cc_ctl_ops --------------------------------------------------------- */

static void *ops_create(const pl_cc_config *cfg, pl_time_us now) { return pl_bwe_new(cfg, now, NULL); }
static void ops_destroy(void *ctl) { pl_bwe_free(ctl); }

static void ops_feedback(void *ctl, const pl_cc_feedback *fb) {
  pl_bwe *b = ctl;
  pl_gcc_on_feedback(b->g, fb);
  if (!fb)
    return;
  advance(b, fb->feedback_time);
  pl_bwe_feat_on_feedback(&b->f, fb);
  if (!b->started && fb->n) {
    b->started = true;
    b->next_tick = b->now + PL_BWE_TICK;
  }
}

static void ops_rtt(void *ctl, pl_time_us now, pl_time_us rtt) {
  pl_bwe *b = ctl;
  pl_gcc_on_rtt(b->g, now, rtt);
  pl_bwe_feat_on_rtt(&b->f, rtt);
}

static void ops_loss(void *ctl, pl_time_us now, double fraction_lost, uint32_t packets) {
  pl_gcc_on_loss_report(((pl_bwe *)ctl)->g, now, fraction_lost, packets);
}

static void ops_remb(void *ctl, pl_time_us now, uint64_t bps) {
  pl_gcc_on_remb(((pl_bwe *)ctl)->g, now, bps);
}

static void ops_sent(void *ctl, pl_time_us now, uint32_t size, int probe_cluster) {
  pl_bwe *b = ctl;
  pl_gcc_on_sent(b->g, now, size, probe_cluster);
  advance(b, now);
  pl_bwe_feat_on_sent(&b->f, size);
}

static void ops_timeout(void *ctl, pl_time_us now) {
  pl_bwe *b = ctl;
  if (now >= pl_gcc_deadline(b->g))
    pl_gcc_timeout(b->g, now);
  advance(b, now);
}

static pl_time_us ops_deadline(const void *ctl) {
  const pl_bwe *b = ctl;
  return pl_time_min(pl_gcc_deadline(b->g), b->next_tick);
}

static void ops_target(const void *ctl, pl_cc_target *out) {
  const pl_bwe *b = ctl;
  pl_gcc_get_target(b->g, out);
  if (!b->started)
    return; /* GCC's start and initial probes */
  /* The behaviour policy "GCC" follows GCC live, between ticks too. */
  double bps = b->policy == PL_BWE_GCC ? clamp_rate(b, (double)out->target_bps * b->scale)
                                       : b->out_bps;
  out->target_bps = (uint64_t)bps;
  out->pacing_bps = (uint64_t)(bps * PACING_FACTOR);
}

static int ops_probe(void *ctl, pl_cc_probe *out) { return pl_gcc_poll_probe(((pl_bwe *)ctl)->g, out); }

const pl_cc_ctl_ops pl_bwe_ops = {
    .name = "learned", .paced = true, .create = ops_create, .destroy = ops_destroy,
    .on_feedback = ops_feedback, .on_rtt = ops_rtt, .on_loss_report = ops_loss,
    .on_remb = ops_remb, .on_sent = ops_sent, .timeout = ops_timeout,
    .deadline = ops_deadline, .get_target = ops_target, .poll_probe = ops_probe,
};

pl_bwe *pl_bwe_from_ctl(const pl_cc_ctl_ops *ops, void *ctl) { return ops == &pl_bwe_ops ? ctl : NULL; }
