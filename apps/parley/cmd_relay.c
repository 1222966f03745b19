/* `parley relay`: put an emulated network between two real UDP peers.
 * Runs until SIGINT/SIGTERM or --duration, then prints what each direction
 * did to the traffic; --stats-json adds a per-second series and the
 * congestion figures of `parley loopback` (utilisation, bottleneck queue
 * delay percentiles, loss after a warm-up), so a real peer on the same
 * trace is measured the way the lab measures ours. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "apps/parley/commands.h"
#include "engine/relay/relay.h"
#include "net/emu/scenario.h"
#include "parley.h"

#define MAX_SECONDS 7200

typedef struct {
  double capacity_kbps; /* -1: unlimited */
  double in_kbps, delivered_kbps;
  double queue_ms; /* mean bottleneck delay of the packets queued; -1: none */
  double loss_pct;
} relay_second;

typedef struct {
  pl_relay *relay;
  uv_signal_t sigint, sigterm;
  uv_timer_t tick;
  bool quiet;
  bool stopped;
  double duration, warmup;
  const char *stats_json, *net;
  uint64_t seed;
  /* The series: second k covers [k, k+1) s of the links' clock. */
  relay_second *sec[2];
  int n_sec;
  pl_emu_stats prev[2], warm[2];
  bool have_warm;
  double warm_at_s;
} relay_app;

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley relay --listen ADDR:PORT --forward ADDR:PORT [--net NET]\n"
          "                    [--duration SECONDS] [--start-on-first] [--warmup SECONDS]\n"
          "                    [--stats-json FILE] [--quiet]\n"
          "       parley relay --list\n\n"
          "Relays UDP between A (whoever sends to --listen) and B (--forward)\n"
          "through the network emulator. NET is a scenario name, flags, or both:\n"
          "  rfc8867-5.1    loss=0.1,delay=50,jitter=20,capacity=1000,queue_ms=300\n"
          "  loss-5,delay=30,rev.capacity=500,trace=FILE,seed=7\n"
          "fwd is A->B, rev is B->A. --start-on-first: the traces (and --duration)\n"
          "count from A's first datagram. --stats-json: both directions' totals, a\n"
          "per-second series, and utilisation, queue delay p50/p95/p99 and loss\n"
          "after --warmup (default 5 s). Exit: 0 ok, 1 runtime failure, 2 usage.\n");
}

static void list_scenarios(void) {
  size_t n;
  const pl_emu_scenario *s = pl_emu_scenario_list(&n);
  for (size_t i = 0; i < n; i++)
    printf("  %-12s %s\n", s[i].name, s[i].summary);
}

static double quantile_ms(const relay_app *app, int dir, double q) {
  pl_time_us v = pl_relay_qdelay_quantile(app->relay, dir, q);
  return v < 0 ? -1 : (double)v / 1000.0;
}

static void print_dir(const relay_app *app, int dir, const char *name, const pl_emu_stats *s) {
  double qd = s->queued ? (double)s->queue_delay_sum / (double)s->queued / 1000.0 : 0;
  printf("%s: in=%llu delivered=%llu lost_random=%llu lost_queue=%llu "
         "lost_outage=%llu lost_pool=%llu duplicated=%llu reordered=%llu "
         "queue_delay_mean_ms=%.1f queue_delay_max_ms=%.1f "
         "queue_delay_p50_ms=%.0f queue_delay_p95_ms=%.0f\n",
         name, (unsigned long long)s->packets_in, (unsigned long long)s->delivered,
         (unsigned long long)s->lost_random, (unsigned long long)s->lost_queue,
         (unsigned long long)s->lost_outage, (unsigned long long)s->lost_pool,
         (unsigned long long)s->duplicated, (unsigned long long)s->reordered, qd,
         (double)s->queue_delay_max / 1000.0, quantile_ms(app, dir, 0.5),
         quantile_ms(app, dir, 0.95));
}

static uint64_t lost_net(const pl_emu_stats *s) {
  return s->lost_random + s->lost_queue + s->lost_outage;
}

/* One second of both directions, from the difference of two snapshots. */
static void sample(relay_app *app, const pl_relay_stats *st) {
  const pl_emu_stats *now[2] = {&st->fwd, &st->rev};
  for (int d = 0; d < 2; d++) {
    const pl_emu_stats *a = &app->prev[d], *b = now[d];
    relay_second *s = &app->sec[d][app->n_sec];
    uint64_t queued = b->queued - a->queued;
    s->queue_ms =
        queued ? (double)(b->queue_delay_sum - a->queue_delay_sum) / (double)queued / 1000 : -1;
    s->in_kbps = (double)(b->bytes_in - a->bytes_in) * 8 / 1000;
    s->delivered_kbps = (double)(b->bytes_delivered - a->bytes_delivered) * 8 / 1000;
    s->capacity_kbps = b->capacity_bps == UINT64_MAX ? -1 : (double)b->capacity_bps / 1000;
    uint64_t in = b->packets_in - a->packets_in;
    s->loss_pct = in ? 100.0 * (double)(lost_net(b) - lost_net(a)) / (double)in : 0;
    app->prev[d] = *b;
  }
  app->n_sec++;
}

static void json_num(FILE *f, double v) {
  if (isfinite(v))
    fprintf(f, "%.6g", v);
  else
    fputs("null", f);
}

/* The lab's definitions (lab_congestion.c): utilisation is delivered over
 * capacity summed over the seconds after the warm-up (-1 when a second is
 * unlimited), loss counts the network's drops over what was offered. */
static void json_dir(FILE *f, const relay_app *app, int d, const pl_emu_stats *end) {
  const relay_second *sec = app->sec[d];
  double del = 0, cap = 0;
  bool unlimited = false;
  for (int k = (int)app->warmup; k < app->n_sec; k++) {
    unlimited = unlimited || sec[k].capacity_kbps < 0;
    del += sec[k].delivered_kbps;
    cap += sec[k].capacity_kbps;
  }
  const pl_emu_stats *w = app->have_warm ? &app->warm[d] : NULL;
  uint64_t offered = end->packets_in - (w ? w->packets_in : 0);
  uint64_t lost = lost_net(end) - (w ? lost_net(w) : 0);
  fprintf(f, "  {\"name\": \"%s\", \"packets_in\": %llu, \"bytes_in\": %llu, "
             "\"delivered\": %llu, \"bytes_delivered\": %llu, \"lost_random\": %llu, "
             "\"lost_queue\": %llu, \"lost_outage\": %llu, \"lost_pool\": %llu,\n",
          d ? "rev" : "fwd", (unsigned long long)end->packets_in,
          (unsigned long long)end->bytes_in, (unsigned long long)end->delivered,
          (unsigned long long)end->bytes_delivered, (unsigned long long)end->lost_random,
          (unsigned long long)end->lost_queue, (unsigned long long)end->lost_outage,
          (unsigned long long)end->lost_pool);
  fputs("   \"utilisation\": ", f);
  json_num(f, unlimited || cap <= 0 ? -1 : del / cap);
  fputs(", \"queue_delay_p50_ms\": ", f);
  json_num(f, quantile_ms(app, d, 0.5));
  fputs(", \"queue_delay_p95_ms\": ", f);
  json_num(f, quantile_ms(app, d, 0.95));
  fputs(", \"queue_delay_p99_ms\": ", f);
  json_num(f, quantile_ms(app, d, 0.99));
  fputs(", \"loss\": ", f);
  json_num(f, offered ? (double)lost / (double)offered : 0);
  fputs(",\n   \"seconds\": {", f);
  static const char *names[] = {"capacity_kbps", "in_kbps", "delivered_kbps", "queue_ms",
                                "loss_pct"};
  for (int n = 0; n < 5; n++) {
    fprintf(f, "%s\"%s\": [", n ? ", " : "", names[n]);
    for (int k = 0; k < app->n_sec; k++) {
      const relay_second *s = &sec[k];
      double v[] = {s->capacity_kbps, s->in_kbps, s->delivered_kbps, s->queue_ms, s->loss_pct};
      if (k)
        fputc(',', f);
      json_num(f, v[n]);
    }
    fputc(']', f);
  }
  fputs("}}", f);
}

static int write_json(const relay_app *app, const pl_relay_stats *st) {
  FILE *f = fopen(app->stats_json, "w");
  if (!f)
    return -1;
  double elapsed = st->started ? (double)(st->now - st->started) / 1e6 : 0;
  fputs("{\"net\": \"", f);
  for (const char *c = app->net; *c; c++) /* a path may hold anything */
    fprintf(f, (*c == '"' || *c == '\\') ? "\\%c" : (unsigned char)*c < 0x20 ? "?" : "%c", *c);
  fprintf(f, "\", \"seed\": %llu, \"warmup_s\": ", (unsigned long long)app->seed);
  json_num(f, app->warmup);
  fputs(", \"elapsed_s\": ", f);
  json_num(f, elapsed);
  fprintf(f, ", \"seconds\": %d,\n \"dropped\": {\"from_unknown\": %llu, \"too_big\": %llu, "
             "\"no_peer\": %llu, \"send_errors\": %llu},\n \"directions\": [\n",
          app->n_sec, (unsigned long long)st->from_unknown, (unsigned long long)st->too_big,
          (unsigned long long)st->no_peer, (unsigned long long)st->send_errors);
  json_dir(f, app, 0, &st->fwd);
  fputs(",\n", f);
  json_dir(f, app, 1, &st->rev);
  fputs("]}\n", f);
  return fclose(f) == 0 ? 0 : -1;
}

static void stop(relay_app *app) {
  if (app->stopped)
    return;
  app->stopped = true;
  pl_relay_stats st;
  pl_relay_get_stats(app->relay, &st);
  if (app->stats_json && write_json(app, &st) != 0)
    fprintf(stderr, "parley relay: cannot write %s\n", app->stats_json);
  if (!app->quiet) {
    print_dir(app, 0, "fwd (A->B)", &st.fwd);
    print_dir(app, 1, "rev (B->A)", &st.rev);
    printf("dropped: from_unknown=%llu too_big=%llu no_peer=%llu send_errors=%llu\n",
           (unsigned long long)st.from_unknown, (unsigned long long)st.too_big,
           (unsigned long long)st.no_peer, (unsigned long long)st.send_errors);
    fflush(stdout);
  }
  pl_relay_close(app->relay);
  uv_close((uv_handle_t *)&app->sigint, NULL);
  uv_close((uv_handle_t *)&app->sigterm, NULL);
  uv_close((uv_handle_t *)&app->tick, NULL);
}

static void on_signal(uv_signal_t *s, int signum) {
  (void)signum;
  stop(s->data);
}

/* Wakes at each whole second of the links' clock (every 10 ms until they
 * start): samples the series, leaves the warm-up out of the queue-delay
 * percentiles, and stops at --duration. */
static void on_tick(uv_timer_t *t) {
  relay_app *app = t->data;
  pl_relay_stats st;
  pl_relay_get_stats(app->relay, &st);
  if (!st.started) {
    uv_timer_start(t, on_tick, 10, 0);
    return;
  }
  double el = (double)(st.now - st.started) / 1e6;
  if (el >= app->n_sec + 1 && app->n_sec < MAX_SECONDS) {
    sample(app, &st);
    if (!app->have_warm && app->n_sec >= app->warmup) {
      app->warm[0] = st.fwd;
      app->warm[1] = st.rev;
      app->have_warm = true;
      app->warm_at_s = el;
      pl_relay_qdelay_reset(app->relay);
    }
  }
  if (app->duration > 0 && el >= app->duration) {
    stop(app);
    return;
  }
  double next = app->n_sec + 1;
  if (app->duration > 0 && app->duration < next)
    next = app->duration;
  uv_timer_start(t, on_tick, (uint64_t)ceil((next - el) * 1000), 0);
}

int pl_cmd_relay(int argc, char **argv) {
  const char *listen = NULL, *forward = NULL, *net = "clean";
  const char *stats_json = NULL;
  double duration = 0, warmup = 5;
  bool quiet = false, start_on_first = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_val = i + 1 < argc;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--list")) {
      list_scenarios();
      return 0;
    } else if (!strcmp(a, "--quiet")) {
      quiet = true;
    } else if (!strcmp(a, "--start-on-first")) {
      start_on_first = true;
    } else if (!strcmp(a, "--stats-json") && has_val) {
      stats_json = argv[++i];
    } else if (!strcmp(a, "--warmup") && has_val) {
      char *end;
      warmup = strtod(argv[++i], &end);
      if (*end || !(warmup >= 0 && warmup < MAX_SECONDS) || warmup != floor(warmup)) {
        fprintf(stderr, "parley relay: --warmup wants whole seconds >= 0\n");
        return 2;
      }
    } else if (!strcmp(a, "--listen") && has_val) {
      listen = argv[++i];
    } else if (!strcmp(a, "--forward") && has_val) {
      forward = argv[++i];
    } else if (!strcmp(a, "--net") && has_val) {
      net = argv[++i];
    } else if (!strcmp(a, "--duration") && has_val) {
      char *end;
      duration = strtod(argv[++i], &end);
      if (*end || !(duration > 0)) {
        fprintf(stderr, "parley relay: --duration wants seconds > 0\n");
        return 2;
      }
    } else {
      fprintf(stderr, "parley relay: unknown or incomplete option '%s'\n\n", a);
      usage(stderr);
      return 2;
    }
  }
  if (!listen || !forward) {
    fprintf(stderr, "parley relay: --listen and --forward are required\n\n");
    usage(stderr);
    return 2;
  }
  pl_relay_config cfg;
  memset(&cfg, 0, sizeof cfg);
  if (pl_addr_parse(&cfg.listen, listen) != 0) {
    fprintf(stderr, "parley relay: --listen '%s' is not ADDR:PORT\n", listen);
    return 2;
  }
  if (pl_addr_parse(&cfg.forward, forward) != 0 || pl_addr_port(&cfg.forward) == 0) {
    fprintf(stderr, "parley relay: --forward '%s' is not ADDR:PORT\n", forward);
    return 2;
  }
  pl_emu_scenario sc;
  pl_emu_err err;
  if (pl_emu_scenario_parse(&sc, net, &err) != 0) {
    fprintf(stderr, "parley relay: --net: %s\n", err.msg);
    return 2;
  }
  cfg.net = &sc;
  cfg.start_on_first = start_on_first;

  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) {
    fprintf(stderr, "parley relay: cannot start the event loop\n");
    pl_emu_scenario_free(&sc);
    return 1;
  }
  relay_app app;
  memset(&app, 0, sizeof app);
  app.quiet = quiet;
  app.duration = duration;
  app.warmup = warmup;
  app.have_warm = warmup == 0; /* nothing to leave out: the zero snapshot */
  app.stats_json = stats_json;
  app.net = net;
  app.seed = sc.seed;
  app.sec[0] = calloc(2 * MAX_SECONDS, sizeof(relay_second));
  if (!app.sec[0]) {
    fprintf(stderr, "parley relay: out of memory\n");
    uv_loop_close(&loop);
    pl_emu_scenario_free(&sc);
    return 1;
  }
  app.sec[1] = app.sec[0] + MAX_SECONDS;
  int rc = pl_relay_new(&app.relay, &loop, &cfg);
  if (rc != 0) {
    char where[PL_ADDR_STRLEN];
    pl_addr_format(&cfg.listen, where, sizeof where);
    if (rc == PL_EADDRINUSE)
      fprintf(stderr, "parley relay: cannot listen on %s: address already in use\n", where);
    else
      fprintf(stderr, "parley relay: cannot listen on %s: %s\n", where, pl_strerror(rc));
    uv_run(&loop, UV_RUN_DEFAULT); /* let half-open handles close */
    uv_loop_close(&loop);
    pl_emu_scenario_free(&sc);
    free(app.sec[0]);
    return 1;
  }
  uv_signal_init(&loop, &app.sigint);
  uv_signal_init(&loop, &app.sigterm);
  app.sigint.data = app.sigterm.data = &app;
  uv_signal_start(&app.sigint, on_signal, SIGINT);
  uv_signal_start(&app.sigterm, on_signal, SIGTERM);
  uv_timer_init(&loop, &app.tick);
  app.tick.data = &app;
  uv_timer_start(&app.tick, on_tick, 0, 0);
  if (!quiet) {
    char l[PL_ADDR_STRLEN], f[PL_ADDR_STRLEN];
    pl_addr bound;
    pl_relay_addrs(app.relay, &bound, NULL);
    fprintf(stderr, "parley relay: %s -> %s through '%s' (seed %llu)\n",
            pl_addr_format(&bound, l, sizeof l), pl_addr_format(&cfg.forward, f, sizeof f),
            sc.name, (unsigned long long)sc.seed);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  pl_emu_scenario_free(&sc);
  free(app.sec[0]);
  return 0;
}
