/* bench_serve: a load generator for a WHIP echo server, on the public API.
 *
 *   bench_serve --connect 127.0.0.1:8000 --calls 32 [--seconds 20] [--threads 1]
 *               [--server-pid PID]
 *
 * Opens --calls two-way Opus calls (32 kbit/s, 20 ms, a tone each) to the
 * server, 50 ms apart, waits until all are connected and 3 s more, then
 * measures --seconds: what each call got back (the server's echo) is
 * checked for concealment (on 127.0.0.1 nothing is lost, so concealment
 * means something ran late: the server or this generator) and for a steady
 * jitter buffer. Prints one JSON line, with the server's CPU over the same
 * window when --server-pid names it (scripts/serve-bench.sh runs both). This process's own media
 * threads report late ticks too: a run where the generator itself fell
 * behind says so instead of blaming the server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "parley.h"

#define MAX_CALLS 512

typedef struct gen {
  uv_loop_t *loop;
  pl_engine *engine;
  const char *addr;
  int n, dialed, answered, failed, connected;
  double seconds;
  pl_call *calls[MAX_CALLS];
  bool up[MAX_CALLS];
  pl_call_stats a[MAX_CALLS], b[MAX_CALLS];
  uv_timer_t dial_timer, phase_timer;
  int phase; /* 0 dialing/connecting, 1 warm-up, 2 measuring, 3 done */
  double t0, t_connect;
  uint64_t late0, ticks0;
  struct rusage ru0;
  int server_pid; /* --server-pid: its CPU over the same window */
  double server_cpu0;
} gen;

static double now_s(void) { return (double)uv_hrtime() / 1e9; }

static void on_event(pl_call *call, const pl_event *ev, void *user) {
  gen *g = user;
  if (ev->type != PL_EVENT_CONNECTED)
    return;
  for (int i = 0; i < g->n; i++)
    if (g->calls[i] == call && !g->up[i]) {
      g->up[i] = true;
      g->connected++;
    }
}

static void on_dialed(pl_call *call, int err, int status, void *user) {
  (void)call;
  gen *g = user;
  if (err) {
    g->failed++;
    fprintf(stderr, "bench_serve: a call was refused: %s (HTTP %d)\n", pl_strerror(err), status);
  } else {
    g->answered++;
  }
}

static void engine_late(gen *g, uint64_t *late, uint64_t *ticks) {
  pl_engine_stats es;
  *late = *ticks = 0;
  if (pl_engine_get_stats(g->engine, &es))
    return;
  for (int i = 0; i < es.media_threads && i < PL_ENGINE_STATS_THREADS; i++) {
    *late += es.thread_late_ticks[i];
    *ticks += es.thread_ticks[i];
  }
}

static double cpu_s(const struct rusage *r) {
  return (double)r->ru_utime.tv_sec + r->ru_utime.tv_usec / 1e6 + (double)r->ru_stime.tv_sec +
         r->ru_stime.tv_usec / 1e6;
}

/* utime + stime of a process, in seconds (/proc/PID/stat fields 14, 15). */
static double proc_cpu_s(int pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces */
  unsigned long long ut = 0, st = 0;
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void report(gen *g) {
  uint64_t late, ticks;
  engine_late(g, &late, &ticks);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double concealed = 0, total = 0, worst = 0, jb_sum = 0, jb_max = 0, discarded = 0;
  int measured = 0;
  for (int i = 0; i < g->n; i++) {
    if (!g->up[i])
      continue;
    pl_call_get_stats(g->calls[i], &g->b[i]);
    const pl_call_stats *a = &g->a[i], *b = &g->b[i];
    double tot = (double)(b->total_samples_received - a->total_samples_received);
    double con = (double)(b->concealed_samples - a->concealed_samples);
    if (tot <= 0)
      continue;
    measured++;
    concealed += con;
    total += tot;
    if (con / tot > worst)
      worst = con / tot;
    discarded += (double)(b->packets_discarded - a->packets_discarded);
    jb_sum += b->jitter_buffer_delay_s;
    if (b->jitter_buffer_delay_s > jb_max)
      jb_max = b->jitter_buffer_delay_s;
  }
  printf("{\"calls\": %d, \"connected\": %d, \"measured\": %d, \"seconds\": %.1f,"
         " \"concealedShare\": %.5f, \"worstCallConcealedShare\": %.5f,"
         " \"packetsDiscarded\": %.0f, \"jitterBufferDelayMeanMs\": %.1f,"
         " \"jitterBufferDelayMaxMs\": %.1f, \"generatorLateTicks\": %llu,"
         " \"generatorTicks\": %llu, \"generatorCpuShare\": %.3f, \"connectSeconds\": %.2f,"
         " \"serverCpuShare\": %.3f}\n",
         g->n, g->connected, measured, g->seconds, total > 0 ? concealed / total : 1.0, worst,
         discarded, measured ? 1000 * jb_sum / measured : 0, 1000 * jb_max,
         (unsigned long long)(late - g->late0), (unsigned long long)(ticks - g->ticks0),
         (cpu_s(&ru) - cpu_s(&g->ru0)) / g->seconds, g->t_connect - g->t0,
         g->server_pid ? (proc_cpu_s(g->server_pid) - g->server_cpu0) / g->seconds : -1.0);
  fflush(stdout);
}

static void on_phase(uv_timer_t *t) {
  gen *g = t->data;
  if (g->phase == 0) {
    if (g->connected + g->failed < g->n && now_s() - g->t0 < 60)
      return; /* polled every 100 ms */
    g->t_connect = now_s();
    g->phase = 1;
    uv_timer_stop(t);
    uv_timer_start(t, on_phase, 3000, 0);
  } else if (g->phase == 1) {
    for (int i = 0; i < g->n; i++)
      if (g->up[i])
        pl_call_get_stats(g->calls[i], &g->a[i]);
    engine_late(g, &g->late0, &g->ticks0);
    getrusage(RUSAGE_SELF, &g->ru0);
    if (g->server_pid)
      g->server_cpu0 = proc_cpu_s(g->server_pid);
    g->phase = 2;
    uv_timer_start(t, on_phase, (uint64_t)(g->seconds * 1000), 0);
  } else if (g->phase == 2) {
    report(g);
    g->phase = 3;
    for (int i = 0; i < g->n; i++)
      pl_call_free(g->calls[i]);
    uv_close((uv_handle_t *)&g->dial_timer, NULL);
    uv_close((uv_handle_t *)&g->phase_timer, NULL);
  }
}

static void on_dial(uv_timer_t *t) {
  gen *g = t->data;
  if (g->dialed == g->n) {
    uv_timer_stop(t);
    return;
  }
  int i = g->dialed++;
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = "127.0.0.1:0";
  cfg.transport = PL_TRANSPORT_WEBRTC;
  cfg.on_event = on_event;
  cfg.user = g;
  /* The generator must outlast the server on a core of its own: its
   * encoders at complexity 0 and plain Opus decoding (no neural PLC or
   * NoLACE) cost it a fraction of what the server spends per call. */
  cfg.opus_complexity = 1;
  cfg.opus_neural = false;
  if (pl_call_new(&g->calls[i], g->engine, &cfg) != 0) {
    fprintf(stderr, "bench_serve: cannot make call %d\n", i);
    g->failed++;
    return;
  }
  pl_audio_io src;
  pl_audio_io_tone_source(&src, 300 + 10 * (i % 100), 0.3);
  pl_call_set_audio_source(g->calls[i], &src);
  if (pl_call_dial_whip(g->calls[i], g->addr, NULL, on_dialed, g) != 0)
    g->failed++;
}

int main(int argc, char **argv) {
  gen g = {.seconds = 20};
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--connect"))
      g.addr = argv[i + 1];
    else if (!strcmp(argv[i], "--calls"))
      g.n = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seconds"))
      g.seconds = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--server-pid"))
      g.server_pid = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--threads"))
      threads = atoi(argv[i + 1]);
    else {
      fprintf(stderr, "bench_serve: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!g.addr || g.n < 1 || g.n > MAX_CALLS || g.seconds <= 0 || threads < 1) {
    fprintf(stderr, "usage: bench_serve --connect IP:PORT --calls N (1..%d) [--seconds S]"
                    " [--threads T]\n", MAX_CALLS);
    return 2;
  }
  g.loop = uv_default_loop();
  pl_engine_config ec;
  pl_engine_config_init(&ec);
  ec.media_threads = threads;
  if (pl_engine_new_with(&g.engine, g.loop, &ec) != 0)
    return 1;
  uv_timer_init(g.loop, &g.dial_timer);
  uv_timer_init(g.loop, &g.phase_timer);
  g.dial_timer.data = g.phase_timer.data = &g;
  g.t0 = now_s();
  uv_timer_start(&g.dial_timer, on_dial, 0, 50);
  uv_timer_start(&g.phase_timer, on_phase, 100, 100);
  uv_run(g.loop, UV_RUN_DEFAULT);
  pl_engine_free(g.engine);
  uv_run(g.loop, UV_RUN_DEFAULT);
  uv_loop_close(g.loop);
  return g.connected == g.n ? 0 : 1;
}
