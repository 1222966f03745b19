/* `parley relay`: put an emulated network between two real UDP peers.
 * Runs until SIGINT/SIGTERM or --duration, then prints what each direction
 * did to the traffic. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "apps/parley/commands.h"
#include "engine/relay/relay.h"
#include "net/emu/scenario.h"
#include "parley.h"

typedef struct {
  pl_relay *relay;
  uv_signal_t sigint, sigterm;
  uv_timer_t stop_timer;
  bool has_stop_timer;
  bool quiet;
  bool stopped;
} relay_app;

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley relay --listen ADDR:PORT --forward ADDR:PORT [--net NET]\n"
          "                    [--duration SECONDS] [--quiet]\n"
          "       parley relay --list\n\n"
          "Relays UDP between A (whoever sends to --listen) and B (--forward)\n"
          "through the network emulator. NET is a scenario name, flags, or both:\n"
          "  rfc8867-5.1    loss=0.1,delay=50,jitter=20,capacity=1000,queue_ms=300\n"
          "  loss-5,delay=30,rev.capacity=500,trace=FILE,seed=7\n"
          "fwd is A->B, rev is B->A. Exit: 0 ok, 1 runtime failure, 2 usage.\n");
}

static void list_scenarios(void) {
  size_t n;
  const pl_emu_scenario *s = pl_emu_scenario_list(&n);
  for (size_t i = 0; i < n; i++)
    printf("  %-12s %s\n", s[i].name, s[i].summary);
}

static void print_dir(const char *name, const pl_emu_stats *s) {
  double qd = s->queued ? (double)s->queue_delay_sum / (double)s->queued / 1000.0 : 0;
  printf("%s: in=%llu delivered=%llu lost_random=%llu lost_queue=%llu "
         "lost_outage=%llu lost_pool=%llu duplicated=%llu reordered=%llu "
         "queue_delay_mean_ms=%.1f queue_delay_max_ms=%.1f\n",
         name, (unsigned long long)s->packets_in, (unsigned long long)s->delivered,
         (unsigned long long)s->lost_random, (unsigned long long)s->lost_queue,
         (unsigned long long)s->lost_outage, (unsigned long long)s->lost_pool,
         (unsigned long long)s->duplicated, (unsigned long long)s->reordered, qd,
         (double)s->queue_delay_max / 1000.0);
}

static void stop(relay_app *app) {
  if (app->stopped)
    return;
  app->stopped = true;
  pl_relay_stats st;
  pl_relay_get_stats(app->relay, &st);
  if (!app->quiet) {
    print_dir("fwd (A->B)", &st.fwd);
    print_dir("rev (B->A)", &st.rev);
    printf("dropped: from_unknown=%llu too_big=%llu no_peer=%llu send_errors=%llu\n",
           (unsigned long long)st.from_unknown, (unsigned long long)st.too_big,
           (unsigned long long)st.no_peer, (unsigned long long)st.send_errors);
    fflush(stdout);
  }
  pl_relay_close(app->relay);
  uv_close((uv_handle_t *)&app->sigint, NULL);
  uv_close((uv_handle_t *)&app->sigterm, NULL);
  if (app->has_stop_timer)
    uv_close((uv_handle_t *)&app->stop_timer, NULL);
}

static void on_signal(uv_signal_t *s, int signum) {
  (void)signum;
  stop(s->data);
}

static void on_stop_timer(uv_timer_t *t) { stop(t->data); }

int pl_cmd_relay(int argc, char **argv) {
  const char *listen = NULL, *forward = NULL, *net = "clean";
  double duration = 0;
  bool quiet = false;
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

  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) {
    fprintf(stderr, "parley relay: cannot start the event loop\n");
    pl_emu_scenario_free(&sc);
    return 1;
  }
  relay_app app;
  memset(&app, 0, sizeof app);
  app.quiet = quiet;
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
    return 1;
  }
  uv_signal_init(&loop, &app.sigint);
  uv_signal_init(&loop, &app.sigterm);
  app.sigint.data = app.sigterm.data = &app;
  uv_signal_start(&app.sigint, on_signal, SIGINT);
  uv_signal_start(&app.sigterm, on_signal, SIGTERM);
  if (duration > 0) {
    uv_timer_init(&loop, &app.stop_timer);
    app.stop_timer.data = &app;
    app.has_stop_timer = true;
    uv_timer_start(&app.stop_timer, on_stop_timer, (uint64_t)(duration * 1000), 0);
  }
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
  return 0;
}
