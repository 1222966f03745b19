/* Training data for the learned bandwidth estimator (ai/bwe, docs/congestion.md
 * "Learned estimator"): whole calls through the simulated engine (the same
 * code `parley loopback` runs: Opus, VP8 640x360 pattern video both ways,
 * TWCC, pacer, the emulated bottleneck) over random synthetic capacity
 * traces, with the "learned" controller on both ends, whose rate decision
 * comes from GCC (the behaviour policy) or from the model under training
 * (DAgger), perturbed now and then so the data covers states neither
 * would reach. Every 50 ms tick of every sender is logged with what the
 * link really did, for the trainer to label.
 *
 *   bench_bwe_gen --out FILE.f32 [--runs N] [--seed S] [--duration S]
 *                 [--policy gcc|model] [--model FILE.plmd] [--explore P] [--long P]
 *
 * FILE.f32: little-endian float32 records of PL_BWE_GEN_COLS values:
 * run, dir, t (s), the 16 features, gcc_bps, model_bps, out_bps,
 * capacity now, mean capacity over the next 500 ms, bottleneck queue (ms).
 * Never commit its output: it is regenerated in minutes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/bwe/bwe.h"
#include "engine/call/call.h"
#include "engine/sim.h"
#include "parley.h"

#define COLS (3 + PL_BWE_NFEAT + 6)
#define STEP_MS 100 /* trace resolution */
#define MAX_STEPS 4096

static uint64_t rng_s;
static double urand(void) {
  rng_s ^= rng_s << 13, rng_s ^= rng_s >> 7, rng_s ^= rng_s << 17;
  return (double)(rng_s >> 11) / 9007199254740992.0;
}
static double lurand(double lo, double hi) { return exp(log(lo) + urand() * (log(hi) - log(lo))); }
static double nrand(void) {
  double u = urand() + 1e-12, v = urand();
  return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

typedef struct trace {
  double kbps[MAX_STEPS]; /* per STEP_MS; 0 in an outage */
  int n;
  pl_emu_step steps[MAX_STEPS];
  pl_emu_window out[PL_EMU_MAX_OUTAGES];
  int nout;
  const char *kind;
} trace;

/* One of: steps, ramps, an LTE-like log random walk, steps with outages,
 * a constant link with cross-traffic bursts taking part of it. */
static double long_p; /* --long: share of traces that hold each level 20-60 s */

static void make_trace(trace *t, double seconds) {
  t->n = (int)(seconds * 1000 / STEP_MS) + 1;
  if (t->n > MAX_STEPS)
    t->n = MAX_STEPS;
  int kind = long_p > 0 && urand() < long_p ? 5 : (int)(urand() * 5); /* the draw only when asked: old seeds give old traces */
  static const char *names[] = {"steps", "ramps", "lte", "outage", "cross", "long"};
  t->kind = names[kind];
  t->nout = 0;
  double level = lurand(250, 4000);
  if (kind == 0 || kind == 3 || kind == 5) {
    for (int i = 0; i < t->n;) {
      int hold = (int)((kind == 5 ? lurand(20, 60) : lurand(4, 20)) * 1000 / STEP_MS);
      for (int k = 0; k < hold && i < t->n; k++)
        t->kbps[i++] = level;
      level = lurand(250, 4000);
    }
  } else if (kind == 1) {
    double a = level;
    for (int i = 0; i < t->n;) {
      double b = lurand(250, 4000);
      int len = (int)(lurand(3, 15) * 1000 / STEP_MS), hold = (int)(lurand(1, 8) * 1000 / STEP_MS);
      for (int k = 0; k < len && i < t->n; k++)
        t->kbps[i++] = a + (b - a) * (k + 1) / len;
      for (int k = 0; k < hold && i < t->n; k++)
        t->kbps[i++] = b;
      a = b;
    }
  } else if (kind == 2) {
    double mean = log(level), x = mean, sd = lurand(0.03, 0.15);
    for (int i = 0; i < t->n; i++) {
      x += 0.02 * (mean - x) + sd * nrand();
      if (urand() < 0.002) /* a handover: a short deep dip */
        x -= 1.5;
      x = x < log(150) ? log(150) : x > log(6000) ? log(6000) : x;
      t->kbps[i] = exp(x);
    }
  } else {
    for (int i = 0; i < t->n; i++)
      t->kbps[i] = level;
    int bursts = 1 + (int)(urand() * 4);
    for (int j = 0; j < bursts; j++) {
      int at = (int)(urand() * t->n), len = (int)(lurand(2, 12) * 1000 / STEP_MS);
      double take = 0.3 + 0.5 * urand();
      for (int k = at; k < at + len && k < t->n; k++)
        t->kbps[k] = level * (1 - take);
    }
  }
  if (kind == 3) {
    int n = 1 + (int)(urand() * 3);
    for (int j = 0; j < n; j++) {
      double s = 5 + urand() * (seconds - 8), len = lurand(0.3, 3);
      t->out[t->nout].start = (pl_time_us)(s * 1e6);
      t->out[t->nout].end = (pl_time_us)((s + len) * 1e6);
      t->nout++;
    }
  }
  for (int i = 0; i < t->n; i++) {
    t->steps[i].at = PL_MS((int64_t)i * STEP_MS);
    t->steps[i].bps = (uint64_t)(t->kbps[i] * 1000);
  }
}

static bool in_outage(const trace *t, pl_time_us at) {
  for (int j = 0; j < t->nout; j++)
    if (at >= t->out[j].start && at < t->out[j].end)
      return true;
  return false;
}

static double cap_at(const trace *t, pl_time_us at) {
  if (in_outage(t, at))
    return 0;
  int i = (int)(at / PL_MS(STEP_MS));
  i = i < 0 ? 0 : i >= t->n ? t->n - 1 : i;
  return t->kbps[i] * 1000;
}

static double cap_next(const trace *t, pl_time_us at) {
  double s = 0;
  for (int k = 0; k < 10; k++)
    s += cap_at(t, at + PL_MS(50) * k);
  return s / 10;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static trace tr[2];

int main(int argc, char **argv) {
  const char *out = NULL, *model_path = NULL, *policy = "gcc";
  int runs = 4;
  uint64_t seed = 1;
  double duration = 60, explore = 0.5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--out")) out = argv[i + 1];
    else if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed")) seed = strtoull(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--duration")) duration = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--policy")) policy = argv[i + 1];
    else if (!strcmp(argv[i], "--model")) model_path = argv[i + 1];
    else if (!strcmp(argv[i], "--explore")) explore = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--long")) long_p = atof(argv[i + 1]);
    else {
      fprintf(stderr, "bwe_gen: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!out || duration < 5 || duration > 300) {
    fprintf(stderr, "usage: bench_bwe_gen --out FILE.f32 [--runs N] [--seed S] [--duration S]"
                    " [--policy gcc|model] [--model FILE.plmd] [--explore P]\n");
    return 2;
  }
  pl_model *model = NULL;
  if (model_path) {
    char why[PL_MODEL_WHY_LEN];
    if (pl_model_load_file(&model, model_path, why, sizeof why)) {
      fprintf(stderr, "bwe_gen: %s: %s\n", model_path, why);
      return 1;
    }
  }
  FILE *f = fopen(out, "wb");
  if (!f) {
    perror(out);
    return 1;
  }
  pl_bwe_policy pol = !strcmp(policy, "model") ? PL_BWE_MODEL : PL_BWE_GCC;
  double t0 = now_s();
  uint64_t rows = 0;
  for (int r = 0; r < runs; r++) {
    rng_s = (seed * 1000003ull + (uint64_t)r) * 0x9E3779B97F4A7C15ull | 1;
    for (int k = 0; k < 10; k++)
      urand();
    pl_emu_config ec[2];
    for (int d = 0; d < 2; d++) {
      make_trace(&tr[d], duration);
      memset(&ec[d], 0, sizeof ec[d]);
      ec[d].capacity.kind = PL_EMU_CAP_STEPS;
      ec[d].capacity.steps = tr[d].steps;
      ec[d].capacity.nsteps = (size_t)tr[d].n;
      ec[d].queue_delay = PL_MS((int)lurand(150, 500));
      ec[d].delay = PL_MS((int)(10 + urand() * 50));
      ec[d].jitter = urand() < 0.3 ? PL_MS((int)(urand() * 5)) : 0;
      if (urand() < 0.3) {
        ec[d].loss_model = PL_EMU_LOSS_RANDOM;
        ec[d].loss = lurand(0.002, 0.05);
      }
      for (int j = 0; j < tr[d].nout; j++)
        ec[d].outages[j] = tr[d].out[j];
      ec[d].noutages = (size_t)tr[d].nout;
    }
    pl_call_config ca, cb;
    pl_call_config_init(&ca);
    pl_call_config_init(&cb);
    ca.cc = cb.cc = "learned";
    ca.video = cb.video = true;
    /* where the call starts: the lab's default or the cc table's */
    ca.video_bitrate = cb.video_bitrate = urand() < 0.5 ? 800000 : 1500000;
    pl_sim *sim = NULL;
    if (pl_sim_new(&sim, &ca, &cb, &ec[0], &ec[1], seed * 7919 + (uint64_t)r)) {
      fprintf(stderr, "bwe_gen: pl_sim_new failed\n");
      return 1;
    }
    pl_call *calls[2] = {sim->a, sim->b};
    for (int d = 0; d < 2; d++) {
      pl_audio_io a;
      pl_video_io v;
      pl_audio_io_tone_source(&a, 220 + 110 * d, 0.3);
      pl_call_set_audio_source(calls[d], &a);
      pl_video_io_pattern_source(&v, 640, 360);
      pl_call_set_video_source(calls[d], &v);
    }
    if (pl_sim_connect(sim)) {
      fprintf(stderr, "bwe_gen: connect failed\n");
      return 1;
    }
    for (int d = 0; model && d < 2; d++) {
      /* The model under test in the same controller: swapped in before
       * the first packet leaves, so GCC's initial probing is intact. */
      pl_bwe *nb = pl_bwe_new(&calls[d]->cc_cfg, sim->now, model);
      if (!nb || !pl_bwe_from_ctl(calls[d]->cc_ops, calls[d]->cc_ctl))
        return 1;
      calls[d]->cc_ops->destroy(calls[d]->cc_ctl);
      calls[d]->cc_ctl = nb;
    }
    uint64_t next[2] = {0, 0};
    pl_time_us next_explore[2] = {0, 0};
    pl_time_us link_start = -1;
    for (pl_time_us t = PL_MS(25); t <= (pl_time_us)(duration * 1e6); t += PL_MS(25)) {
      pl_sim_run_until(sim, t);
      for (int d = 0; d < 2; d++) {
        pl_bwe *b = pl_bwe_from_ctl(calls[d]->cc_ops, calls[d]->cc_ctl);
        if (!b)
          continue;
        if (t >= next_explore[d]) {
          double scale = urand() < explore ? lurand(0.5, 1.8) : 1.0;
          pl_bwe_set_policy(b, pol, scale);
          next_explore[d] = t + PL_MS((int)lurand(1000, 6000));
        }
        pl_bwe_tick tk[PL_BWE_LOG];
        size_t n = pl_bwe_ticks(b, &next[d], tk, PL_BWE_LOG);
        pl_emu_link *link = d ? sim->ba : sim->ab;
        pl_emu_stats ls;
        pl_emu_link_stats(link, sim->now, &ls);
        if (link_start < 0)
          link_start = PL_SIM_START_US; /* links start with the sim's clock */
        for (size_t i = 0; i < n; i++) {
          pl_time_us rel = tk[i].at - link_start;
          double capn = cap_at(&tr[d], rel);
          double qms = capn > 0 ? (double)ls.queue_bytes * 8e3 / capn : (ls.queue_bytes ? 1000 : 0);
          float row[COLS];
          int c = 0;
          row[c++] = (float)r;
          row[c++] = (float)d;
          row[c++] = (float)((double)rel / 1e6);
          for (int k = 0; k < PL_BWE_NFEAT; k++)
            row[c++] = tk[i].x[k];
          row[c++] = (float)tk[i].gcc_bps;
          row[c++] = (float)tk[i].model_bps;
          row[c++] = (float)tk[i].out_bps;
          row[c++] = (float)capn;
          row[c++] = (float)cap_next(&tr[d], rel);
          row[c++] = (float)qms;
          fwrite(row, sizeof row, 1, f);
          rows++;
        }
      }
    }
    fprintf(stderr, "run %d: %s / %s, %llu rows, %.1f s\n", r, tr[0].kind, tr[1].kind,
            (unsigned long long)rows, now_s() - t0);
    pl_sim_free(sim);
  }
  fclose(f);
  pl_model_free(model);
  fprintf(stderr, "bwe_gen: %d runs, %llu rows, %.1f s\n", runs, (unsigned long long)rows,
          now_s() - t0);
  return 0;
}
