/* The network emulator's link model, measured over long seeded runs on a
 * simulated clock: loss rates and burst lengths, delay distributions,
 * capacity and queue limits, traces, ordering, duplication, outages and
 * determinism. Tolerances are several standard errors of each estimate. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "net/emu/emu.h"
#include "parley.h"

typedef struct {
  uint32_t id;
  pl_time_us sent, got;
  size_t len;
} rec;

typedef struct {
  rec *r;
  size_t n, cap;
  uint64_t sent;
} trace_log;

static void log_free(trace_log *lg) { free(lg->r); memset(lg, 0, sizeof *lg); }

static void log_add(trace_log *lg, const pl_pkt *p) {
  if (lg->n == lg->cap) {
    lg->cap = lg->cap ? lg->cap * 2 : 4096;
    lg->r = realloc(lg->r, lg->cap * sizeof *lg->r);
    cr_assert_not_null(lg->r);
  }
  cr_assert_geq(p->len, 12);
  rec *r = &lg->r[lg->n++];
  r->id = pl_le32(p->data);
  r->sent = (pl_time_us)pl_le64(p->data + 4);
  r->got = p->time;
  r->len = p->len;
}

/* Constant-rate sender: `count` packets of `size` bytes every `interval`
 * from t=0, then drains. tick == 0 jumps the clock from event to event;
 * tick > 0 walks it in fixed steps (a coarse real-time driver). */
static void run(pl_emu_link *l, pl_time_us interval, size_t size, uint64_t count,
                trace_log *lg, pl_time_us tick) {
  uint8_t buf[PL_PKT_CAPACITY];
  memset(buf, 0xab, sizeof buf);
  pl_time_us now = 0, next_send = 0;
  uint64_t sent = 0;
  for (;;) {
    pl_time_us dl = pl_emu_link_deadline(l);
    pl_time_us ns = sent < count ? next_send : PL_TIME_NEVER;
    if (dl == PL_TIME_NEVER && ns == PL_TIME_NEVER)
      break;
    if (tick > 0) {
      pl_time_us ev = pl_time_min(dl, ns);
      now = ev <= now ? now : ((ev + tick - 1) / tick) * tick;
    } else {
      now = pl_time_min(dl, ns);
    }
    while (sent < count && next_send <= now) {
      pl_put_le32(buf, (uint32_t)sent);
      pl_put_le64(buf + 4, (uint64_t)next_send);
      pl_emu_link_input(l, now, buf, size, NULL);
      sent++;
      next_send += interval;
    }
    pl_pkt *p;
    while (pl_emu_link_poll(l, now, &p)) {
      log_add(lg, p);
      pl_emu_link_release(l, p);
    }
  }
  lg->sent = sent;
}

static pl_emu_link *mk(const pl_emu_config *c, uint64_t seed) {
  pl_emu_link *l;
  cr_assert_eq(pl_emu_link_new(&l, c, seed), 0);
  return l;
}

Test(emu_loss, random_loss_rate_within_tolerance_over_200k_packets) {
  pl_emu_config c = {.loss_model = PL_EMU_LOSS_RANDOM, .loss = 0.10};
  pl_emu_link *l = mk(&c, 11);
  trace_log lg = {0};
  run(l, PL_MS(1), 100, 200000, &lg, 0);
  pl_emu_stats st;
  pl_emu_link_stats(l, 0, &st);
  double rate = (double)st.lost_random / (double)st.packets_in;
  /* std error sqrt(.1*.9/2e5) = 0.00067; 0.003 is 4.5 of them */
  cr_assert_lt(fabs(rate - 0.10), 0.003, "measured loss %.4f", rate);
  cr_assert_eq(st.delivered + st.lost_random, 200000);
  cr_assert_eq(lg.n, st.delivered);
  log_free(&lg);
  pl_emu_link_free(l);
}

/* Loss rate and mean length of runs of consecutive lost packets. */
static void loss_runs(const trace_log *lg, double *rate, double *mean_burst) {
  uint8_t *got = calloc(lg->sent, 1);
  for (size_t i = 0; i < lg->n; i++)
    got[lg->r[i].id] = 1;
  uint64_t lost = 0, runs = 0;
  for (uint64_t i = 0; i < lg->sent; i++) {
    if (!got[i]) {
      lost++;
      if (i == 0 || got[i - 1])
        runs++;
    }
  }
  free(got);
  *rate = (double)lost / (double)lg->sent;
  *mean_burst = runs ? (double)lost / (double)runs : 0;
}

Test(emu_loss, gilbert_from_rate_gives_published_p_and_r) {
  double p, r;
  cr_assert_eq(pl_emu_ge_from_rate(0.20, 5.0, &p, &r), 0);
  cr_assert_float_eq(r, 0.2, 1e-12);
  cr_assert_float_eq(p, 0.05, 1e-12);
  cr_assert_float_eq(pl_emu_ge_loss_rate(p, r, 0, 1), 0.20, 1e-12);
  cr_assert_eq(pl_emu_ge_from_rate(1.0, 5.0, &p, &r), PL_EINVAL);
  cr_assert_eq(pl_emu_ge_from_rate(0.2, 0.5, &p, &r), PL_EINVAL);
  cr_assert_eq(pl_emu_ge_from_rate(0.9, 1.0, &p, &r), PL_EINVAL); /* p = 9 */
}

Test(emu_loss, gilbert_elliott_loss_rate_and_mean_burst_within_tolerance) {
  double p, r;
  cr_assert_eq(pl_emu_ge_from_rate(0.20, 5.0, &p, &r), 0);
  pl_emu_config c = {.loss_model = PL_EMU_LOSS_GE, .ge_p = p, .ge_r = r,
                     .ge_loss_good = 0, .ge_loss_bad = 1};
  pl_emu_link *l = mk(&c, 5);
  trace_log lg = {0};
  run(l, PL_MS(1), 100, 200000, &lg, 0);
  double rate, burst;
  loss_runs(&lg, &rate, &burst);
  /* bursty loss: std error ~0.0024 for the rate, ~0.05 for the burst mean */
  cr_assert_lt(fabs(rate - 0.20), 0.01, "GE loss %.4f", rate);
  cr_assert_lt(fabs(burst - 5.0), 0.25, "GE mean burst %.3f", burst);
  pl_emu_stats st;
  pl_emu_link_stats(l, 0, &st);
  cr_assert_eq(st.lost_random, lg.sent - lg.n);
  log_free(&lg);
  pl_emu_link_free(l);
}

Test(emu_loss, gilbert_elliott_with_loss_in_both_states_matches_stationary_rate) {
  pl_emu_config c = {.loss_model = PL_EMU_LOSS_GE, .ge_p = 0.02, .ge_r = 0.25,
                     .ge_loss_good = 0.01, .ge_loss_bad = 0.6};
  double want = pl_emu_ge_loss_rate(0.02, 0.25, 0.01, 0.6); /* 0.0537 */
  pl_emu_link *l = mk(&c, 99);
  trace_log lg = {0};
  run(l, PL_MS(1), 100, 200000, &lg, 0);
  double rate, burst;
  loss_runs(&lg, &rate, &burst);
  cr_assert_lt(fabs(rate - want), 0.005, "GE loss %.4f want %.4f", rate, want);
  log_free(&lg);
  pl_emu_link_free(l);
}

static void delay_moments(const trace_log *lg, double *mean_ms, double *std_ms,
                          double *min_ms, double *max_ms) {
  double s = 0, s2 = 0, mn = 1e18, mx = -1e18;
  for (size_t i = 0; i < lg->n; i++) {
    double d = (double)(lg->r[i].got - lg->r[i].sent) / 1000.0;
    s += d;
    s2 += d * d;
    mn = fmin(mn, d);
    mx = fmax(mx, d);
  }
  *mean_ms = s / (double)lg->n;
  *std_ms = sqrt(s2 / (double)lg->n - *mean_ms * *mean_ms);
  *min_ms = mn;
  *max_ms = mx;
}

Test(emu_delay, normal_jitter_mean_and_std_within_tolerance) {
  pl_emu_config c = {.delay = PL_MS(100), .jitter = PL_MS(10),
                     .jitter_dist = PL_EMU_JITTER_NORMAL, .reorder = true};
  pl_emu_link *l = mk(&c, 3);
  trace_log lg = {0};
  run(l, PL_MS(1), 100, 200000, &lg, 0);
  double mean, sd, mn, mx;
  delay_moments(&lg, &mean, &sd, &mn, &mx);
  /* Cut at +-3 std: std factor sqrt(1 - 6 phi(3) / (2 Phi(3) - 1)) = 0.98658 */
  cr_assert_lt(fabs(mean - 100.0), 0.15, "mean %.3f ms", mean);
  cr_assert_lt(fabs(sd - 9.8658), 0.15, "std %.3f ms", sd);
  cr_assert_geq(mn, 70.0);
  cr_assert_leq(mx, 130.0);
  log_free(&lg);
  pl_emu_link_free(l);
}

Test(emu_delay, uniform_jitter_mean_std_and_bounds) {
  pl_emu_config c = {.delay = PL_MS(50), .jitter = PL_MS(30),
                     .jitter_dist = PL_EMU_JITTER_UNIFORM, .reorder = true};
  pl_emu_link *l = mk(&c, 4);
  trace_log lg = {0};
  run(l, PL_MS(1), 100, 200000, &lg, 0);
  double mean, sd, mn, mx;
  delay_moments(&lg, &mean, &sd, &mn, &mx);
  cr_assert_lt(fabs(mean - 65.0), 0.1, "mean %.3f ms", mean);
  cr_assert_lt(fabs(sd - 30.0 / sqrt(12.0)), 0.1, "std %.3f ms", sd);
  cr_assert_geq(mn, 50.0);
  cr_assert_leq(mx, 80.0);
  log_free(&lg);
  pl_emu_link_free(l);
}

Test(emu_delay, fixed_delay_is_exact) {
  pl_emu_config c = {.delay = PL_MS(42)};
  pl_emu_link *l = mk(&c, 1);
  trace_log lg = {0};
  run(l, PL_MS(20), 200, 1000, &lg, 0);
  cr_assert_eq(lg.n, 1000);
  for (size_t i = 0; i < lg.n; i++)
    cr_assert_eq(lg.r[i].got - lg.r[i].sent, PL_MS(42));
  log_free(&lg);
  pl_emu_link_free(l);
}

/* Bytes leaving the bottleneck per whole second (delivery minus the fixed
 * delay), for seconds [0, nsec). */
static void per_second_bytes(const trace_log *lg, pl_time_us delay, double *bytes,
                             size_t nsec) {
  memset(bytes, 0, nsec * sizeof *bytes);
  for (size_t i = 0; i < lg->n; i++) {
    pl_time_us dep = lg->r[i].got - delay;
    size_t s = (size_t)(dep / PL_SEC(1));
    if (dep >= 0 && s < nsec)
      bytes[s] += (double)lg->r[i].len;
  }
}

Test(emu_capacity, saturating_sender_gets_constant_capacity_within_2pct) {
  uint64_t caps[] = {1000000, 2500000, 12000000};
  for (size_t k = 0; k < 3; k++) {
    pl_emu_config c = {.capacity = {.kind = PL_EMU_CAP_CONSTANT, .bps = caps[k]},
                       .queue_delay = PL_MS(300), .delay = PL_MS(20)};
    pl_emu_link *l = mk(&c, 1);
    trace_log lg = {0};
    /* 1200-byte packets at 1.5x capacity for 30 s */
    pl_time_us iv = (pl_time_us)(1200.0 * 8 * 1e6 / (1.5 * (double)caps[k]));
    run(l, iv, 1200, (uint64_t)(PL_SEC(30) / iv), &lg, 0);
    double b[30];
    per_second_bytes(&lg, PL_MS(20), b, 30);
    for (size_t s = 0; s < 29; s++) {
      double bps = b[s] * 8;
      cr_assert_lt(fabs(bps / (double)caps[k] - 1.0), 0.02,
                   "cap %llu second %zu: %.0f bps", (unsigned long long)caps[k], s, bps);
    }
    pl_emu_stats st;
    pl_emu_link_stats(l, 0, &st);
    cr_assert_gt(st.lost_queue, 0);
    cr_assert_eq(st.capacity_bps, caps[k]);
    log_free(&lg);
    pl_emu_link_free(l);
  }
}

Test(emu_capacity, queue_delay_limit_respected_within_one_packet) {
  pl_emu_config c = {.capacity = {.kind = PL_EMU_CAP_CONSTANT, .bps = 1000000},
                     .queue_delay = PL_MS(100)};
  pl_emu_link *l = mk(&c, 1);
  trace_log lg = {0};
  run(l, PL_MS(5), 1200, 20000, &lg, 0); /* 1.92 Mbps offered */
  pl_emu_stats st;
  pl_emu_link_stats(l, 0, &st);
  pl_time_us one_pkt = 9600; /* 1200 bytes at 1 Mbps */
  cr_assert_leq(st.queue_delay_max, PL_MS(100) + one_pkt);
  cr_assert_geq(st.queue_delay_max, PL_MS(100) - one_pkt, "queue never filled");
  pl_time_us worst = 0;
  for (size_t i = 0; i < lg.n; i++)
    if (lg.r[i].got - lg.r[i].sent > worst)
      worst = lg.r[i].got - lg.r[i].sent;
  cr_assert_eq(worst, st.queue_delay_max);
  cr_assert_gt(st.lost_queue, 8000);
  log_free(&lg);
  pl_emu_link_free(l);
}

Test(emu_capacity, queue_byte_limit_never_exceeded) {
  pl_emu_config c = {.capacity = {.kind = PL_EMU_CAP_CONSTANT, .bps = 1000000},
                     .queue_bytes = 30000};
  pl_emu_link *l = mk(&c, 1);
  uint8_t buf[1200] = {0};
  size_t maxq = 0;
  for (pl_time_us now = 0; now < PL_SEC(10); now += PL_MS(4)) {
    pl_emu_link_input(l, now, buf, sizeof buf, NULL);
    pl_emu_stats st;
    pl_emu_link_stats(l, now, &st);
    if (st.queue_bytes > maxq)
      maxq = st.queue_bytes;
    pl_pkt *p;
    while (pl_emu_link_poll(l, now, &p))
      pl_emu_link_release(l, p);
  }
  cr_assert_leq(maxq, 30000);
  cr_assert_geq(maxq, 30000 - 1200, "queue never filled: %zu", maxq);
  pl_emu_stats st;
  pl_emu_link_stats(l, PL_SEC(10), &st);
  /* 30000 bytes at 1 Mbps is 240 ms */
  cr_assert_leq(st.queue_delay_max, PL_MS(240));
  pl_emu_link_free(l);
}

Test(emu_capacity, step_trace_followed_second_by_second) {
  const char *text = "# time_ms kbps\n0 1000\n10000 2500\n20000 600\n30000 1000\n";
  pl_emu_trace tr;
  pl_emu_err err;
  cr_assert_eq(pl_emu_trace_parse(&tr, text, strlen(text), &err), 0, "%s", err.msg);
  cr_assert_eq(tr.kind, PL_EMU_CAP_STEPS);
  cr_assert_eq(tr.n, 4);
  cr_assert_eq(tr.steps[1].at, PL_SEC(10));
  cr_assert_eq(tr.steps[2].bps, 600000);
  pl_emu_config c = {.queue_delay = PL_MS(300), .delay = PL_MS(10)};
  pl_emu_trace_capacity(&tr, &c.capacity);
  pl_emu_link *l = mk(&c, 1);
  pl_emu_trace_free(&tr); /* the link keeps its own copy */
  trace_log lg = {0};
  run(l, PL_MS(3), 1500, PL_SEC(40) / PL_MS(3), &lg, 0); /* 4 Mbps offered */
  double b[40];
  per_second_bytes(&lg, PL_MS(10), b, 40);
  const double want[4] = {1e6, 2.5e6, 0.6e6, 1e6};
  for (size_t s = 0; s < 39; s++) {
    double bps = b[s] * 8;
    cr_assert_lt(fabs(bps / want[s / 10] - 1.0), 0.02, "second %zu: %.0f bps", s, bps);
  }
  pl_emu_stats st;
  pl_emu_link_stats(l, PL_SEC(25), &st);
  cr_assert_eq(st.capacity_bps, 600000);
  log_free(&lg);
  pl_emu_link_free(l);
}

Test(emu_capacity, mahimahi_trace_followed_and_repeated) {
  pl_emu_trace tr;
  pl_emu_err err;
  int rc = pl_emu_trace_load(&tr, PL_FIXTURES "/traces/synthetic-4s.mahi", &err);
  cr_assert_eq(rc, 0, "%s", err.msg);
  cr_assert_eq(tr.kind, PL_EMU_CAP_MAHIMAHI);
  cr_assert_eq(tr.n, 2350);
  cr_assert_eq(tr.opps_ms[tr.n - 1], 4000);
  /* Expected opportunities per second over three periods. */
  double want[12] = {0};
  for (int cyc = 0; cyc < 3; cyc++)
    for (size_t i = 0; i < tr.n; i++) {
      pl_time_us t = PL_MS(4000) * cyc + PL_MS(tr.opps_ms[i]);
      if (t < PL_SEC(12))
        want[t / PL_SEC(1)] += 1;
    }
  pl_emu_config c = {.queue_delay = PL_MS(500), .delay = PL_MS(5)};
  pl_emu_trace_capacity(&tr, &c.capacity);
  pl_emu_link *l = mk(&c, 1);
  trace_log lg = {0};
  run(l, 500, 1500, PL_SEC(12) / 500, &lg, 0); /* 24 Mbps of full-size packets */
  double b[12];
  per_second_bytes(&lg, PL_MS(5), b, 12);
  for (size_t s = 0; s < 12; s++)
    cr_assert_eq(b[s] / 1500, want[s], "second %zu: %.0f deliveries, want %.0f", s,
                 b[s] / 1500, want[s]);
  cr_assert_eq(want[1], 500);
  cr_assert_eq(want[5], want[1]); /* the repeat */
  pl_emu_stats st;
  pl_emu_link_stats(l, PL_MS(2000), &st); /* (1 s, 2 s]: one every 2 ms */
  cr_assert_eq(st.capacity_bps, 500ull * 1500 * 8, "%llu",
               (unsigned long long)st.capacity_bps);
  pl_emu_trace_free(&tr);
  log_free(&lg);
  pl_emu_link_free(l);
}

Test(emu_capacity, mahimahi_small_packets_share_an_opportunity) {
  const uint32_t opps[] = {10, 20};
  pl_emu_config c = {.capacity = {.kind = PL_EMU_CAP_MAHIMAHI, .opps_ms = opps, .nopps = 2}};
  pl_emu_link *l = mk(&c, 1);
  uint8_t buf[500] = {0};
  for (int i = 0; i < 4; i++) /* 2000 bytes at t=0: 3 fit the 10 ms slot */
    cr_assert_eq(pl_emu_link_input(l, 0, buf, sizeof buf, NULL), 0);
  pl_time_us due[4];
  for (int i = 0; i < 4; i++) {
    pl_pkt *p;
    pl_time_us t = pl_emu_link_deadline(l);
    cr_assert_eq(pl_emu_link_poll(l, t, &p), 1);
    due[i] = p->time;
    pl_emu_link_release(l, p);
  }
  cr_assert_eq(due[0], PL_MS(10));
  cr_assert_eq(due[2], PL_MS(10));
  cr_assert_eq(due[3], PL_MS(20));
  pl_emu_link_free(l);
}

static size_t count_reordered(const trace_log *lg) {
  size_t n = 0;
  uint32_t mx = 0;
  for (size_t i = 0; i < lg->n; i++) {
    if (i && lg->r[i].id < mx)
      n++;
    else
      mx = lg->r[i].id;
  }
  return n;
}

Test(emu_order, no_reordering_when_disallowed_even_with_200ms_jitter) {
  pl_emu_config c = {.delay = PL_MS(50), .jitter = PL_MS(200),
                     .jitter_dist = PL_EMU_JITTER_UNIFORM, .reorder = false};
  pl_emu_link *l = mk(&c, 8);
  trace_log lg = {0};
  run(l, PL_MS(20), 200, 20000, &lg, 0);
  cr_assert_eq(lg.n, 20000);
  for (size_t i = 0; i < lg.n; i++) {
    cr_assert_eq(lg.r[i].id, i);
    if (i)
      cr_assert_geq(lg.r[i].got, lg.r[i - 1].got);
  }
  pl_emu_stats st;
  pl_emu_link_stats(l, 0, &st);
  cr_assert_eq(st.reordered, 0);
  log_free(&lg);
  pl_emu_link_free(l);
}

Test(emu_order, reordering_present_when_allowed_and_counted) {
  pl_emu_config c = {.delay = PL_MS(50), .jitter = PL_MS(200),
                     .jitter_dist = PL_EMU_JITTER_UNIFORM, .reorder = true};
  pl_emu_link *l = mk(&c, 8);
  trace_log lg = {0};
  run(l, PL_MS(20), 200, 20000, &lg, 0);
  size_t re = count_reordered(&lg);
  pl_emu_stats st;
  pl_emu_link_stats(l, 0, &st);
  cr_assert_eq(st.reordered, re);
  cr_assert_gt(re, lg.n / 5, "only %zu of %zu reordered", re, lg.n);
  log_free(&lg);
  pl_emu_link_free(l);
}

Test(emu_dup, duplication_rate_within_tolerance) {
  pl_emu_config c = {.duplicate = 0.05, .delay = PL_MS(10)};
  pl_emu_link *l = mk(&c, 21);
  trace_log lg = {0};
  run(l, PL_MS(1), 100, 200000, &lg, 0);
  pl_emu_stats st;
  pl_emu_link_stats(l, 0, &st);
  double rate = (double)st.duplicated / (double)st.packets_in;
  cr_assert_lt(fabs(rate - 0.05), 0.002, "dup rate %.4f", rate);
  cr_assert_eq(st.delivered, 200000 + st.duplicated);
  cr_assert_eq(lg.n, st.delivered);
  size_t twins = 0;
  for (size_t i = 1; i < lg.n; i++)
    twins += lg.r[i].id == lg.r[i - 1].id;
  cr_assert_eq(twins, st.duplicated);
  cr_assert_eq(st.reordered, 0);
  log_free(&lg);
  pl_emu_link_free(l);
}

Test(emu_outage, outages_drop_everything_inside_and_nothing_outside) {
  pl_emu_config c = {.noutages = 2, .delay = PL_MS(30)};
  c.outages[0] = (pl_emu_window){PL_SEC(2), PL_SEC(3)};
  c.outages[1] = (pl_emu_window){PL_MS(5000), PL_MS(5500)};
  pl_emu_link *l = mk(&c, 1);
  trace_log lg = {0};
  run(l, PL_MS(10), 100, 1000, &lg, 0); /* 10 s */
  pl_emu_stats st;
  pl_emu_link_stats(l, 0, &st);
  cr_assert_eq(st.lost_outage, 150);
  cr_assert_eq(lg.n, 850);
  for (size_t i = 0; i < lg.n; i++) {
    pl_time_us s = lg.r[i].sent;
    cr_assert(!(s >= PL_SEC(2) && s < PL_SEC(3)) && !(s >= PL_MS(5000) && s < PL_MS(5500)));
  }
  log_free(&lg);
  pl_emu_link_free(l);
}

static pl_emu_config busy_config(void) {
  pl_emu_config c = {.loss_model = PL_EMU_LOSS_GE, .ge_p = 0.02, .ge_r = 0.3,
                     .ge_loss_good = 0.001, .ge_loss_bad = 0.7, .duplicate = 0.01,
                     .capacity = {.kind = PL_EMU_CAP_CONSTANT, .bps = 800000},
                     .queue_delay = PL_MS(150), .delay = PL_MS(40),
                     .jitter = PL_MS(15), .reorder = true};
  return c;
}

static uint64_t run_hash(uint64_t seed, pl_time_us tick, size_t *n) {
  pl_emu_config c = busy_config();
  pl_emu_link *l = mk(&c, seed);
  trace_log lg = {0};
  run(l, PL_MS(10), 1000, 30000, &lg, tick);
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < lg.n; i++) {
    h = (h ^ lg.r[i].id) * 1099511628211ull;
    h = (h ^ (uint64_t)lg.r[i].got) * 1099511628211ull;
  }
  *n = lg.n;
  log_free(&lg);
  pl_emu_link_free(l);
  return h;
}

Test(emu_determinism, same_seed_same_delivery_sequence_whatever_the_poll_rate) {
  size_t n1, n2, n3, n4;
  uint64_t a = run_hash(7, 0, &n1);
  uint64_t b = run_hash(7, 0, &n2);
  uint64_t c = run_hash(7, PL_MS(1), &n3); /* polled on a 1 ms tick instead */
  uint64_t d = run_hash(8, 0, &n4);
  cr_assert_eq(a, b);
  cr_assert_eq(n1, n2);
  cr_assert_eq(a, c);
  cr_assert_eq(n1, n3);
  cr_assert_neq(a, d);
  cr_assert_gt(n1, 20000);
}

Test(emu_pool, full_pool_counts_drops_and_recovers) {
  pl_emu_config c = {.delay = PL_MS(100), .pool_packets = 8};
  pl_emu_link *l = mk(&c, 1);
  uint8_t buf[64] = {0};
  int full = 0;
  for (int i = 0; i < 20; i++)
    full += pl_emu_link_input(l, 0, buf, sizeof buf, NULL) == PL_EFULL;
  cr_assert_eq(full, 12);
  pl_emu_stats st;
  pl_emu_link_stats(l, 0, &st);
  cr_assert_eq(st.lost_pool, 12);
  cr_assert_eq(st.held, 8);
  pl_pkt *p;
  cr_assert_eq(pl_emu_link_poll(l, PL_MS(99), &p), 0);
  cr_assert_eq(pl_emu_link_deadline(l), PL_MS(100));
  int got = 0;
  while (pl_emu_link_poll(l, PL_MS(100), &p)) {
    got++;
    pl_emu_link_release(l, p);
  }
  cr_assert_eq(got, 8);
  cr_assert_eq(pl_emu_link_input(l, PL_MS(100), buf, sizeof buf, NULL), 0);
  cr_assert_eq(pl_emu_link_input(l, 0, buf, PL_PKT_CAPACITY + 1, NULL), PL_ERANGE);
  pl_emu_link_free(l);
}

Test(emu_pool, destination_address_rides_with_the_packet) {
  pl_emu_config c = {.delay = PL_MS(1)};
  pl_emu_link *l = mk(&c, 1);
  pl_addr to;
  cr_assert_eq(pl_addr_parse(&to, "10.1.2.3:4000"), 0);
  const uint8_t msg[] = "hello";
  pl_emu_link_input(l, PL_SEC(5), msg, sizeof msg, &to);
  pl_pkt *p;
  cr_assert_eq(pl_emu_link_poll(l, PL_SEC(5) + PL_MS(1), &p), 1);
  cr_assert(pl_addr_equal(&p->addr, &to));
  cr_assert_eq(p->len, sizeof msg);
  cr_assert_eq(memcmp(p->data, msg, sizeof msg), 0);
  cr_assert_eq(p->time, PL_SEC(5) + PL_MS(1));
  pl_emu_link_release(l, p);
  pl_emu_link_free(l);
}

Test(emu_config, invalid_configs_rejected) {
  pl_emu_link *l;
  pl_emu_config c = {.loss_model = PL_EMU_LOSS_RANDOM, .loss = 1.5};
  cr_assert_eq(pl_emu_link_new(&l, &c, 1), PL_EINVAL);
  c = (pl_emu_config){.delay = -1};
  cr_assert_eq(pl_emu_link_new(&l, &c, 1), PL_EINVAL);
  c = (pl_emu_config){.capacity = {.kind = PL_EMU_CAP_CONSTANT, .bps = 0}};
  cr_assert_eq(pl_emu_link_new(&l, &c, 1), PL_EINVAL);
  const pl_emu_step bad[] = {{PL_SEC(1), 1000}, {PL_SEC(1), 2000}};
  c = (pl_emu_config){.capacity = {.kind = PL_EMU_CAP_STEPS, .steps = bad, .nsteps = 2}};
  cr_assert_eq(pl_emu_link_new(&l, &c, 1), PL_EINVAL);
  const uint32_t zero[] = {0, 0};
  c = (pl_emu_config){.capacity = {.kind = PL_EMU_CAP_MAHIMAHI, .opps_ms = zero, .nopps = 2}};
  cr_assert_eq(pl_emu_link_new(&l, &c, 1), PL_EINVAL);
  c = (pl_emu_config){.noutages = 1};
  c.outages[0] = (pl_emu_window){PL_SEC(2), PL_SEC(1)};
  cr_assert_eq(pl_emu_link_new(&l, &c, 1), PL_EINVAL);
  cr_assert_null(l);
}

Test(emu_capacity, zero_capacity_forever_drops_as_queue_loss) {
  const pl_emu_step s[] = {{0, 1000000}, {PL_SEC(1), 0}};
  pl_emu_config c = {.capacity = {.kind = PL_EMU_CAP_STEPS, .steps = s, .nsteps = 2}};
  pl_emu_link *l = mk(&c, 1);
  uint8_t buf[1250] = {0}; /* 10 ms each at 1 Mbps */
  pl_emu_link_start(l, 0);  /* else the first input would be time zero */
  pl_emu_link_input(l, PL_MS(995), buf, sizeof buf, NULL);
  pl_emu_link_input(l, PL_MS(2000), buf, sizeof buf, NULL);
  pl_emu_stats st;
  pl_emu_link_stats(l, PL_MS(2000), &st);
  cr_assert_eq(st.lost_queue, 2);
  cr_assert_eq(st.capacity_bps, 0);
  pl_emu_link_free(l);
}

/* ---- trace parsers ---- */

Test(emu_trace, mahimahi_errors_name_the_line) {
  pl_emu_trace t;
  pl_emu_err e;
  const char *bad = "1\n2\nx3\n";
  cr_assert_eq(pl_emu_trace_parse_mahimahi(&t, bad, strlen(bad), &e), PL_EPARSE);
  cr_assert_eq(e.line, 3);
  cr_assert(strstr(e.msg, "line 3"), "%s", e.msg);
  const char *back = "5\n7\n6\n";
  cr_assert_eq(pl_emu_trace_parse_mahimahi(&t, back, strlen(back), &e), PL_EPARSE);
  cr_assert_eq(e.line, 3);
  cr_assert_eq(pl_emu_trace_parse_mahimahi(&t, "", 0, &e), PL_EPARSE);
  cr_assert_eq(pl_emu_trace_parse_mahimahi(&t, "0\n0\n", 4, &e), PL_EPARSE);
  const char *two = "1 2\n";
  cr_assert_eq(pl_emu_trace_parse_mahimahi(&t, two, strlen(two), &e), PL_EPARSE);
  cr_assert_eq(pl_emu_trace_parse_mahimahi(&t, "99999999999\n", 12, &e), PL_EPARSE);
  /* CRLF, blank lines and a missing final newline are fine; the text is
   * not NUL-terminated past len. */
  const char ok[] = {'1', '\r', '\n', '\n', '3', '3', 'X'};
  cr_assert_eq(pl_emu_trace_parse_mahimahi(&t, ok, 6, &e), 0, "%s", e.msg);
  cr_assert_eq(t.n, 2);
  cr_assert_eq(t.opps_ms[1], 33);
  pl_emu_trace_free(&t);
}

Test(emu_trace, step_errors_name_the_line) {
  pl_emu_trace t;
  pl_emu_err e;
  const char *bad = "0 1000\n100 abc\n";
  cr_assert_eq(pl_emu_trace_parse_steps(&t, bad, strlen(bad), &e), PL_EPARSE);
  cr_assert_eq(e.line, 2);
  const char *order = "0 1000\n# c\n100 5\n100 6\n";
  cr_assert_eq(pl_emu_trace_parse_steps(&t, order, strlen(order), &e), PL_EPARSE);
  cr_assert_eq(e.line, 4);
  const char *three = "0 1 2\n";
  cr_assert_eq(pl_emu_trace_parse_steps(&t, three, strlen(three), &e), PL_EPARSE);
  const char *neg = "0 -5\n";
  cr_assert_eq(pl_emu_trace_parse_steps(&t, neg, strlen(neg), &e), PL_EPARSE);
  const char *ok = "0\t1500.5\n  2000 0\n";
  cr_assert_eq(pl_emu_trace_parse_steps(&t, ok, strlen(ok), &e), 0, "%s", e.msg);
  cr_assert_eq(t.steps[0].bps, 1500500);
  cr_assert_eq(t.steps[1].at, PL_SEC(2));
  cr_assert_eq(t.steps[1].bps, 0);
  pl_emu_trace_free(&t);
  const char *odd = "1 2 3\n";
  cr_assert_eq(pl_emu_trace_parse(&t, odd, strlen(odd), &e), PL_EPARSE);
  cr_assert_eq(e.line, 1);
}

Test(emu_trace, unreadable_files_give_clear_errors) {
  pl_emu_trace t;
  pl_emu_err e;
  cr_assert_eq(pl_emu_trace_load(&t, "/nonexistent/dir/x.trace", &e), PL_ENOENT);
  cr_assert(strstr(e.msg, "/nonexistent/dir/x.trace"), "%s", e.msg);
  cr_assert(strstr(e.msg, "No such file"), "%s", e.msg);
  cr_assert_eq(pl_emu_trace_load(&t, PL_FIXTURES, &e), PL_EIO);
  cr_assert(strstr(e.msg, "not a regular file"), "%s", e.msg);
  cr_assert_eq(pl_emu_trace_load(&t, PL_FIXTURES "/traces/README.md", &e), PL_EPARSE);
  cr_assert(strstr(e.msg, "README.md"), "%s", e.msg);
  cr_assert_gt(e.line, 0);
  cr_assert_eq(pl_emu_trace_load(&t, PL_FIXTURES "/traces/steps-example.txt", &e), 0,
               "%s", e.msg);
  cr_assert_eq(t.kind, PL_EMU_CAP_STEPS);
  cr_assert_eq(t.n, 4);
  cr_assert_eq(t.steps[1].bps, 2500000);
  pl_emu_trace_free(&t);
}
