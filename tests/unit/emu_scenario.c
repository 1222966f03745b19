/* Network presets and the emulator flag parser: each preset holds the
 * published numbers and, run through the emulator, produces them. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/emu/scenario.h"
#include "parley.h"

/* Saturating sender of 1500-byte packets at `bps` for `dur`; bytes that
 * left the bottleneck per second go to out[] (delivery minus `delay`, no
 * jitter configured by the caller). Returns the link's stats. */
static pl_emu_stats saturate(const pl_emu_config *cfg, uint64_t seed, uint64_t bps,
                             pl_time_us dur, pl_time_us delay, double *out,
                             size_t nsec) {
  pl_emu_link *l;
  cr_assert_eq(pl_emu_link_new(&l, cfg, seed), 0);
  pl_time_us iv = (pl_time_us)(1500.0 * 8 * 1e6 / (double)bps);
  uint8_t buf[1500] = {0};
  memset(out, 0, nsec * sizeof *out);
  pl_time_us now = 0, next = 0;
  pl_emu_link_start(l, 0);
  for (;;) {
    pl_time_us ns = next < dur ? next : PL_TIME_NEVER;
    pl_time_us dl = pl_emu_link_deadline(l);
    if (ns == PL_TIME_NEVER && dl == PL_TIME_NEVER)
      break;
    now = pl_time_min(ns, dl);
    if (next <= now && next < dur) {
      pl_emu_link_input(l, now, buf, sizeof buf, NULL);
      next += iv;
    }
    pl_pkt *p;
    while (pl_emu_link_poll(l, now, &p)) {
      pl_time_us dep = p->time - delay;
      if (dep >= 0 && (size_t)(dep / PL_SEC(1)) < nsec)
        out[dep / PL_SEC(1)] += (double)p->len;
      pl_emu_link_release(l, p);
    }
  }
  pl_emu_stats st;
  pl_emu_link_stats(l, now, &st);
  pl_emu_link_free(l);
  return st;
}

/* Throughput must follow `steps` in every whole second away from a step. */
static void check_schedule(const pl_emu_config *cfg, const pl_emu_step *steps,
                           size_t n, pl_time_us dur, const char *what) {
  pl_emu_config c = *cfg;
  c.jitter = 0; /* measure the bottleneck alone */
  double b[128];
  size_t nsec = (size_t)(dur / PL_SEC(1));
  cr_assert_leq(nsec, 128);
  saturate(&c, 1, 4000000, dur, c.delay, b, nsec);
  for (size_t s = 0; s + 1 < nsec; s++) {
    size_t i = 0;
    while (i + 1 < n && PL_SEC(s) >= steps[i + 1].at)
      i++;
    double want = (double)steps[i].bps;
    double got = b[s] * 8;
    cr_assert_lt(fabs(got / want - 1.0), 0.02, "%s second %zu: %.0f bps, want %.0f",
                 what, s, got, want);
  }
}

Test(emu_scenario, every_preset_is_listed_found_and_builds_both_links) {
  size_t n;
  const pl_emu_scenario *all = pl_emu_scenario_list(&n);
  cr_assert_geq(n, 11);
  const char *want[] = {"clean", "loss-5", "loss-10", "loss-20", "burst-20",
                        "jitter-50", "jitter-200", "3g", "lte", "rfc8867-5.1",
                        "rfc8867-5.3"};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    pl_emu_scenario s;
    pl_emu_err e;
    cr_assert_eq(pl_emu_scenario_find(want[k], &s, &e), 0, "%s: %s", want[k], e.msg);
    cr_assert_str_eq(s.name, want[k]);
    cr_assert_str_eq(all[k].name, want[k]);
    cr_assert_not_null(s.summary);
    pl_emu_link *a, *b;
    cr_assert_eq(pl_emu_link_new(&a, &s.fwd, s.seed), 0, "%s fwd", want[k]);
    cr_assert_eq(pl_emu_link_new(&b, &s.rev, s.seed + 1), 0, "%s rev", want[k]);
    pl_emu_link_free(a);
    pl_emu_link_free(b);
    pl_emu_scenario_free(&s);
  }
}

Test(emu_scenario, unknown_name_lists_valid_ones) {
  pl_emu_scenario s;
  pl_emu_err e;
  cr_assert_eq(pl_emu_scenario_find("loss-7", &s, &e), PL_ENOENT);
  cr_assert(strstr(e.msg, "'loss-7'"), "%s", e.msg);
  cr_assert(strstr(e.msg, "clean"), "%s", e.msg);
  cr_assert(strstr(e.msg, "rfc8867-5.3"), "%s", e.msg);
  cr_assert_eq(pl_emu_scenario_parse(&s, "wifi", &e), PL_ENOENT);
  cr_assert(strstr(e.msg, "burst-20"), "%s", e.msg);
}

Test(emu_scenario, rfc8867_5_1_has_published_schedule_and_path) {
  pl_emu_scenario s;
  cr_assert_eq(pl_emu_scenario_find("rfc8867-5.1", &s, NULL), 0);
  const pl_emu_capacity *k = &s.fwd.capacity;
  cr_assert_eq(k->kind, PL_EMU_CAP_STEPS);
  cr_assert_eq(k->nsteps, 4);
  const pl_time_us at[] = {0, PL_SEC(40), PL_SEC(60), PL_SEC(80)};
  const uint64_t bps[] = {1000000, 2500000, 600000, 1000000};
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(k->steps[i].at, at[i]);
    cr_assert_eq(k->steps[i].bps, bps[i]);
  }
  cr_assert_eq(s.duration, PL_SEC(100));
  cr_assert_eq(s.fwd.delay, PL_MS(50));
  cr_assert_eq(s.fwd.jitter, PL_MS(30));
  cr_assert_eq(s.fwd.queue_delay, PL_MS(300));
  cr_assert_not(s.fwd.reorder);
  cr_assert_eq(s.fwd.loss_model, PL_EMU_LOSS_NONE);
  cr_assert_eq(s.rev.capacity.kind, PL_EMU_CAP_UNLIMITED);
  check_schedule(&s.fwd, k->steps, k->nsteps, s.duration, "5.1 fwd");
}

Test(emu_scenario, rfc8867_5_3_both_directions_follow_their_schedules) {
  pl_emu_scenario s;
  cr_assert_eq(pl_emu_scenario_find("rfc8867-5.3", &s, NULL), 0);
  const pl_emu_capacity *f = &s.fwd.capacity, *r = &s.rev.capacity;
  cr_assert_eq(f->nsteps, 4);
  cr_assert_eq(r->nsteps, 3);
  cr_assert_eq(f->steps[2].at, PL_SEC(40));
  cr_assert_eq(f->steps[2].bps, 500000);
  cr_assert_eq(r->steps[1].at, PL_SEC(35));
  cr_assert_eq(r->steps[1].bps, 800000);
  cr_assert_eq(r->steps[2].at, PL_SEC(70));
  cr_assert_eq(s.rev.queue_delay, PL_MS(300));
  check_schedule(&s.fwd, f->steps, f->nsteps, s.duration, "5.3 fwd");
  check_schedule(&s.rev, r->steps, r->nsteps, s.duration, "5.3 rev");
}

Test(emu_scenario, rfc8867_delay_varies_by_at_most_the_published_30ms) {
  pl_emu_scenario s;
  cr_assert_eq(pl_emu_scenario_find("rfc8867-5.1", &s, NULL), 0);
  pl_emu_link *l;
  cr_assert_eq(pl_emu_link_new(&l, &s.rev, 2), 0); /* unshaped: delay + jitter */
  uint8_t buf[200] = {0};
  pl_time_us mn = PL_TIME_NEVER, mx = 0;
  /* 100 ms apart, so keeping order never holds a packet back */
  for (pl_time_us t = 0; t < PL_SEC(2000); t += PL_MS(100)) {
    pl_emu_link_input(l, t, buf, sizeof buf, NULL);
    pl_pkt *p;
    pl_time_us dl = pl_emu_link_deadline(l);
    cr_assert_eq(pl_emu_link_poll(l, dl, &p), 1);
    pl_time_us d = p->time - t;
    mn = d < mn ? d : mn;
    mx = d > mx ? d : mx;
    pl_emu_link_release(l, p);
  }
  cr_assert_geq(mn, PL_MS(50));
  cr_assert_lt(mx, PL_MS(80));
  cr_assert_gt(mx - mn, PL_MS(29), "spread %lld us", (long long)(mx - mn));
  pl_emu_link_free(l);
}

static double loss_of(const pl_emu_config *c, uint64_t seed) {
  double b[1];
  pl_emu_stats st = saturate(c, seed, 12000000, PL_SEC(200), 0, b, 0);
  return (double)st.lost_random / (double)st.packets_in;
}

Test(emu_scenario, loss_presets_measure_their_rate_in_both_directions) {
  const char *names[] = {"loss-5", "loss-10", "loss-20"};
  const double want[] = {0.05, 0.10, 0.20};
  for (int i = 0; i < 3; i++) {
    pl_emu_scenario s;
    cr_assert_eq(pl_emu_scenario_find(names[i], &s, NULL), 0);
    double f = loss_of(&s.fwd, s.seed), r = loss_of(&s.rev, s.seed + 1);
    cr_assert_lt(fabs(f - want[i]), 0.004, "%s fwd %.4f", names[i], f);
    cr_assert_lt(fabs(r - want[i]), 0.004, "%s rev %.4f", names[i], r);
  }
  pl_emu_scenario s;
  cr_assert_eq(pl_emu_scenario_find("burst-20", &s, NULL), 0);
  cr_assert_eq(s.fwd.loss_model, PL_EMU_LOSS_GE);
  double f = loss_of(&s.fwd, s.seed);
  cr_assert_lt(fabs(f - 0.20), 0.01, "burst-20 fwd %.4f", f);
}

static size_t reordered_of(const pl_emu_config *c) {
  pl_emu_link *l;
  cr_assert_eq(pl_emu_link_new(&l, c, 3), 0);
  uint8_t buf[100] = {0};
  for (pl_time_us t = 0; t < PL_SEC(60); t += PL_MS(20)) {
    pl_emu_link_input(l, t, buf, sizeof buf, NULL);
    pl_pkt *p;
    while (pl_emu_link_poll(l, t, &p))
      pl_emu_link_release(l, p);
  }
  pl_pkt *p;
  while (pl_emu_link_poll(l, PL_SEC(100), &p))
    pl_emu_link_release(l, p);
  pl_emu_stats st;
  pl_emu_link_stats(l, PL_SEC(100), &st);
  cr_assert_eq(st.delivered, 3000);
  pl_emu_link_free(l);
  return st.reordered;
}

Test(emu_scenario, jitter_200_reorders_and_jitter_50_does_not) {
  pl_emu_scenario a, b;
  cr_assert_eq(pl_emu_scenario_find("jitter-50", &a, NULL), 0);
  cr_assert_eq(pl_emu_scenario_find("jitter-200", &b, NULL), 0);
  cr_assert_eq(b.fwd.jitter, PL_MS(200));
  cr_assert_eq(reordered_of(&a.fwd), 0);
  cr_assert_gt(reordered_of(&b.fwd), 300);
  cr_assert_gt(reordered_of(&b.rev), 300);
}

Test(emu_scenario, cellular_presets_are_asymmetric_as_published) {
  pl_emu_scenario s;
  cr_assert_eq(pl_emu_scenario_find("3g", &s, NULL), 0);
  cr_assert_eq(s.fwd.capacity.bps, 768000);
  cr_assert_eq(s.rev.capacity.bps, 1600000);
  cr_assert_eq(s.fwd.delay + s.rev.delay, PL_MS(300));
  double b[10];
  saturate(&s.rev, 1, 3000000, PL_SEC(10), s.rev.delay, b, 10);
  cr_assert_lt(fabs(b[5] * 8 / 1600000 - 1), 0.02);
  cr_assert_eq(pl_emu_scenario_find("lte", &s, NULL), 0);
  cr_assert_eq(s.fwd.capacity.bps, 12000000);
  cr_assert_eq(s.fwd.delay + s.rev.delay, PL_MS(70));
}

/* ---- flags ---- */

Test(emu_flags, full_flag_set_parses_into_both_directions) {
  pl_emu_scenario s;
  pl_emu_err e;
  int rc = pl_emu_scenario_parse(
      &s, "loss=0.1,delay=50,jitter=20,capacity=1000,queue_ms=300,burst=5,seed=42", &e);
  cr_assert_eq(rc, 0, "%s", e.msg);
  for (int d = 0; d < 2; d++) {
    const pl_emu_config *c = d ? &s.rev : &s.fwd;
    cr_assert_eq(c->loss_model, PL_EMU_LOSS_GE);
    cr_assert_float_eq(c->ge_r, 0.2, 1e-12);
    cr_assert_float_eq(c->ge_p, 0.2 * 0.1 / 0.9, 1e-12);
    cr_assert_eq(c->delay, PL_MS(50));
    cr_assert_eq(c->jitter, PL_MS(20));
    cr_assert_eq(c->jitter_dist, PL_EMU_JITTER_NORMAL);
    cr_assert_eq(c->capacity.kind, PL_EMU_CAP_CONSTANT);
    cr_assert_eq(c->capacity.bps, 1000000);
    cr_assert_eq(c->queue_delay, PL_MS(300));
  }
  cr_assert_eq(s.seed, 42);
  cr_assert_str_eq(s.name, "custom");
  pl_emu_scenario_free(&s);
}

Test(emu_flags, preset_with_overrides_and_one_direction_keys) {
  pl_emu_scenario s;
  pl_emu_err e;
  cr_assert_eq(pl_emu_scenario_parse(&s, "loss-5,delay=30,rev.capacity=500,fwd.loss=2%,"
                                         "outage=1000-1500,dup=0.01,reorder=1,"
                                         "jitter=5,jitter_dist=uniform,duration=20",
                                     &e), 0, "%s", e.msg);
  cr_assert_str_eq(s.name, "loss-5");
  cr_assert_float_eq(s.fwd.loss, 0.02, 1e-12);
  cr_assert_float_eq(s.rev.loss, 0.05, 1e-12);
  cr_assert_eq(s.fwd.capacity.kind, PL_EMU_CAP_UNLIMITED);
  cr_assert_eq(s.rev.capacity.bps, 500000);
  cr_assert_eq(s.fwd.delay, PL_MS(30));
  cr_assert_eq(s.rev.noutages, 1);
  cr_assert_eq(s.rev.outages[0].start, PL_SEC(1));
  cr_assert_eq(s.rev.outages[0].end, PL_MS(1500));
  cr_assert_float_eq(s.fwd.duplicate, 0.01, 1e-12);
  cr_assert(s.fwd.reorder);
  cr_assert_eq(s.fwd.jitter_dist, PL_EMU_JITTER_UNIFORM);
  cr_assert_eq(s.duration, PL_SEC(20));
  pl_emu_scenario_free(&s);
  /* burst on a preset's loss rate */
  cr_assert_eq(pl_emu_scenario_parse(&s, "loss-20,burst=5", &e), 0, "%s", e.msg);
  cr_assert_eq(s.fwd.loss_model, PL_EMU_LOSS_GE);
  cr_assert_float_eq(s.fwd.ge_p, 0.05, 1e-12);
  cr_assert_eq(pl_emu_scenario_parse(&s, "ge=0.01/0.3/0.001/0.5", &e), 0, "%s", e.msg);
  cr_assert_float_eq(s.rev.ge_loss_bad, 0.5, 1e-12);
  cr_assert_float_eq(s.rev.ge_p, 0.01, 1e-12);
}

Test(emu_flags, trace_file_loads_and_is_shared_or_per_direction) {
  pl_emu_scenario s;
  pl_emu_err e;
  int rc = pl_emu_scenario_parse(&s, "trace=" PL_FIXTURES "/traces/synthetic-4s.mahi,"
                                     "queue_ms=200", &e);
  cr_assert_eq(rc, 0, "%s", e.msg);
  cr_assert_eq(s.fwd.capacity.kind, PL_EMU_CAP_MAHIMAHI);
  cr_assert_eq(s.rev.capacity.nopps, 2350);
  cr_assert_eq(s.trace[0], s.trace[1]);
  pl_emu_link *l;
  cr_assert_eq(pl_emu_link_new(&l, &s.rev, 1), 0);
  pl_emu_link_free(l);
  pl_emu_scenario_free(&s);
  rc = pl_emu_scenario_parse(&s, "trace=" PL_FIXTURES "/traces/synthetic-4s.mahi,"
                                 "rev.trace=" PL_FIXTURES "/traces/steps-example.txt,"
                                 "trace=" PL_FIXTURES "/traces/steps-example.txt", &e);
  cr_assert_eq(rc, 0, "%s", e.msg);
  cr_assert_eq(s.fwd.capacity.kind, PL_EMU_CAP_STEPS);
  cr_assert_eq(s.rev.capacity.nsteps, 4);
  pl_emu_scenario_free(&s); /* ASan checks nothing leaks or is freed twice */
}

Test(emu_flags, bad_flags_say_what_is_wrong) {
  pl_emu_scenario s;
  pl_emu_err e;
  cr_assert_eq(pl_emu_scenario_parse(&s, "loss=2", &e), PL_EINVAL);
  cr_assert(strstr(e.msg, "loss=2"), "%s", e.msg);
  cr_assert_eq(pl_emu_scenario_parse(&s, "lossy=0.1", &e), PL_ENOENT);
  cr_assert(strstr(e.msg, "lossy"), "%s", e.msg);
  cr_assert_eq(pl_emu_scenario_parse(&s, "delay=abc", &e), PL_EINVAL);
  cr_assert_eq(pl_emu_scenario_parse(&s, "burst=5", &e), PL_EINVAL);
  cr_assert(strstr(e.msg, "loss="), "%s", e.msg);
  cr_assert_eq(pl_emu_scenario_parse(&s, "loss=0.9,burst=2", &e), PL_EINVAL);
  cr_assert_eq(pl_emu_scenario_parse(&s, "clean,loss-5", &e), PL_EINVAL);
  cr_assert_eq(pl_emu_scenario_parse(&s, "outage=5-1", &e), PL_EINVAL);
  cr_assert_eq(pl_emu_scenario_parse(&s, "fwd.seed=3", &e), PL_EINVAL);
  cr_assert_eq(pl_emu_scenario_parse(&s, "seed=1e3", &e), PL_EINVAL);
  cr_assert_eq(pl_emu_scenario_parse(&s, "", &e), PL_EINVAL);
  cr_assert_eq(pl_emu_scenario_parse(&s, "trace=/no/such/trace.txt", &e), PL_ENOENT);
  cr_assert(strstr(e.msg, "/no/such/trace.txt"), "%s", e.msg);
  cr_assert_eq(pl_emu_scenario_parse(&s, "trace=" PL_FIXTURES "/traces/README.md", &e),
               PL_EPARSE);
  cr_assert(strstr(e.msg, "line"), "%s", e.msg);
}
