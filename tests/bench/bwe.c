/* What the learned bandwidth estimator costs (issue 14: "under 0.1 % of a
 * core"): the model step alone (features -> GRU -> rate, per 50 ms tick),
 * and the whole learned controller (GCC underneath, features, model) fed a
 * 2.5 Mbit/s call's worth of packets and feedback, against GCC alone on the
 * same input; reported as ns per tick and as a share of one core.
 *   build/bench/bench_bwe [seconds]   (simulated call length, default 600) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/bwe/bwe.h"
#include "ai/nn/seq.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1200-byte packets at 2.5 Mbit/s (one per 3.84 ms), feedback every 50 ms,
 * 40 ms one way with a slow queue sawtooth, every 100th packet lost. */
static double run(const pl_cc_ctl_ops *o, double seconds) {
  void *c = o->create(&(pl_cc_config){.start_bps = 800000, .max_bps = 2532000}, 0);
  static pl_cc_packet p[64];
  size_t n = 0;
  int64_t seq = 0;
  pl_time_us next_fb = PL_MS(50);
  double t0 = now_s();
  for (pl_time_us t = 0; t < (pl_time_us)(seconds * 1e6); t += 3840) {
    o->on_sent(c, t, 1200, -1);
    pl_time_us q = (t / 1000) % 2000 * 20; /* 0..40 ms over 2 s */
    p[n++] = (pl_cc_packet){.seq = seq, .send_time = t, .size = 1200, .probe_cluster = -1,
                            .recv_time = seq % 100 == 99 ? PL_TIME_NEVER
                                                         : t + PL_MS(40) + q + PL_SEC(3600)};
    seq++;
    if (t >= next_fb || n == 64) {
      o->on_feedback(c, &(pl_cc_feedback){.feedback_time = t + PL_MS(80), .packets = p, .n = n});
      n = 0;
      next_fb += PL_MS(50);
    }
    if (t >= o->deadline(c))
      o->timeout(c, t);
    pl_cc_target tg;
    o->get_target(c, &tg);
  }
  double dt = now_s() - t0;
  o->destroy(c);
  return dt;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 600;
  if (seconds <= 0)
    seconds = 600;
  /* The model step alone, on a fixed feature vector. */
  char why[PL_MODEL_WHY_LEN];
  extern const unsigned char pl_model_bwe[];
  extern const size_t pl_model_bwe_len;
  pl_model *m;
  if (pl_model_load_static(&m, pl_model_bwe, pl_model_bwe_len, why, sizeof why)) {
    fprintf(stderr, "bench_bwe: %s\n", why);
    return 1;
  }
  static pl_nn_seq s;
  pl_nn_seq_state st;
  if (pl_nn_seq_init(&s, m) || pl_nn_seq_state_init(&st, &s))
    return 1;
  float x[PL_BWE_NFEAT] = {0.1f, 0.2f, 0.2f, -0.1f, 0.3f, 0.1f, 0.0f, 0.05f, 0.1f, 0.01f, 0, 0.8f, 0, 0, 1, 0.02f};
  float y = 0, acc = 0;
  int steps = 200000;
  double t0 = now_s();
  for (int i = 0; i < steps; i++) {
    x[0] = (float)(i & 7) * 0.01f;
    pl_nn_seq_step(&st, x, &y);
    acc += y;
  }
  double per_step = (now_s() - t0) / steps;
  pl_nn_seq_state_free(&st);
  pl_model_free(m);
  printf("model step (16 -> 32 GRU -> 1): %.0f ns; at 20 ticks/s %.5f %% of a core (sum %g)\n",
         per_step * 1e9, per_step * 20 * 100, (double)acc);

  const pl_cc_ctl_ops *gcc = pl_cc_controller_find("gcc"), *learned = pl_cc_controller_find("learned");
  double tg = run(gcc, seconds), tl = run(learned, seconds);
  printf("%.0f s of a 2.5 Mbit/s call (651 packets/s, feedback every 50 ms):\n", seconds);
  printf("  gcc      %.3f s: %.4f %% of a core\n", tg, tg / seconds * 100);
  printf("  learned  %.3f s: %.4f %% of a core (%.4f %% more than gcc: features + model)\n", tl,
         tl / seconds * 100, (tl - tg) / seconds * 100);
  return 0;
}
