/* Packets per second through one emulated link on a simulated clock, for a
 * few model mixes; the plain link (copy in, heap, copy out) is the baseline
 * the others are compared with in the same run. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "net/emu/emu.h"
#include "net/emu/scenario.h"

#define PACKETS 2000000
#define SIZE 1200

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Offers PACKETS packets every `iv` us and drains at each event; returns
 * seconds of CPU wall time. */
static double bench(const pl_emu_config *c, pl_time_us iv, uint64_t *delivered) {
  pl_emu_link *l;
  if (pl_emu_link_new(&l, c, 1) != 0)
    return -1;
  static uint8_t buf[SIZE];
  pl_time_us now = 0, next = 0;
  uint64_t sent = 0, got = 0;
  double t0 = wall();
  for (;;) {
    pl_time_us dl = pl_emu_link_deadline(l);
    pl_time_us ns = sent < PACKETS ? next : PL_TIME_NEVER;
    if (dl == PL_TIME_NEVER && ns == PL_TIME_NEVER)
      break;
    now = pl_time_min(dl, ns);
    if (sent < PACKETS && next <= now) {
      buf[0] = (uint8_t)sent;
      pl_emu_link_input(l, now, buf, SIZE, NULL);
      sent++;
      next += iv;
    }
    pl_pkt *p;
    while (pl_emu_link_poll(l, now, &p)) {
      got += p->len > 0;
      pl_emu_link_release(l, p);
    }
  }
  double dt = wall() - t0;
  *delivered = got;
  pl_emu_link_free(l);
  return dt;
}

int main(void) {
  pl_emu_trace tr;
  pl_emu_err err;
  int have_trace =
      pl_emu_trace_load(&tr, PL_FIXTURES "/traces/synthetic-4s.mahi", &err) == 0;
  pl_emu_scenario r51;
  pl_emu_scenario_find("rfc8867-5.1", &r51, NULL);

  struct {
    const char *name;
    pl_emu_config c;
    pl_time_us iv;
  } cases[] = {
      {"plain link (baseline)", {0}, 100},
      {"delay 50 ms + normal jitter 10 ms, reorder",
       {.delay = PL_MS(50), .jitter = PL_MS(10), .reorder = true}, 100},
      {"5% random loss + 1% dup + 50 ms delay",
       {.loss_model = PL_EMU_LOSS_RANDOM, .loss = 0.05, .duplicate = 0.01,
        .delay = PL_MS(50)}, 100},
      {"12 Mbps bottleneck, 300 ms queue, 1.2x offered",
       {.capacity = {.kind = PL_EMU_CAP_CONSTANT, .bps = 12000000},
        .queue_delay = PL_MS(300), .delay = PL_MS(20)}, 667},
      {"Mahimahi trace, 500 ms queue, saturated",
       {.queue_delay = PL_MS(500), .delay = PL_MS(20)}, 667},
      {"rfc8867-5.1 fwd + GE bursts, saturated",
       {0}, 2400},
  };
  if (have_trace)
    pl_emu_trace_capacity(&tr, &cases[4].c.capacity);
  cases[5].c = r51.fwd;
  cases[5].c.loss_model = PL_EMU_LOSS_GE;
  cases[5].c.ge_p = 0.01;
  cases[5].c.ge_r = 0.25;
  cases[5].c.ge_loss_bad = 1;

  printf("Command: build/bench/bench_emu (%d packets of %d bytes per row, one link, "
         "simulated clock)\n\n", PACKETS, SIZE);
  printf("| model | delivered | Mpackets/s | ns/packet | vs baseline |\n");
  printf("|---|---:|---:|---:|---:|\n");
  double base = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (i == 4 && !have_trace)
      continue;
    uint64_t got;
    double dt = bench(&cases[i].c, cases[i].iv, &got);
    if (dt < 0) {
      printf("| %s | config rejected | | | |\n", cases[i].name);
      continue;
    }
    double pps = PACKETS / dt;
    if (i == 0)
      base = pps;
    printf("| %s | %llu | %.2f | %.0f | %.2fx |\n", cases[i].name,
           (unsigned long long)got, pps / 1e6, 1e9 / pps, pps / base);
  }
  if (have_trace)
    pl_emu_trace_free(&tr);
  return 0;
}
