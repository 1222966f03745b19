/* `parley serve`: answers any number of concurrent WHIP callers, each POST a
 * new call with its own session URL (DELETE on it ends the call), every
 * call handled the same way:
 *
 *   parley serve --listen 127.0.0.1:8000 --echo [--stage denoise=on]
 *   parley serve --listen 0.0.0.0:8000 --record DIR
 *   parley serve --listen 127.0.0.1:8000 --play FILE.wav --record DIR --threads 2
 *
 * --echo sends each caller back what it sends (after the receive path and
 * whatever stages are switched on), --play sends a file to every caller,
 * --record writes one WAV per call (alone or with either). Each call has its own UDP socket (an
 * ephemeral port on the --listen address) and belongs to one of --threads
 * media threads. Past --max-calls a POST gets 503 with Retry-After; a caller
 * that never completes ICE is reaped, one that vanishes mid-call ends when
 * ICE consent expires (--idle-timeout). Only the public header is used: this is also the
 * example of a server on the API. */
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "apps/parley/cli.h"
#include "parley.h"

/* Echo: the call's sink hands the decoded audio to its own source. Both
 * run on the call's one media thread (playout, then the next tick's
 * capture), so a plain ring is enough; 200 ms bounds it. */
#define ECHO_CAP (48000 / 5)

typedef struct serve serve;

typedef struct slot {
  serve *srv;
  pl_call *call; /* NULL: free */
  int id;
  bool connected, ended;
  float echo[ECHO_CAP];
  int echo_r, echo_n;
  pl_audio_io rec; /* --record: the WAV sink the call's sink feeds */
} slot;

struct serve {
  uv_loop_t *loop;
  pl_engine *engine;
  pl_whip_server *whip;
  uv_timer_t tick, stop_timer, retire_timer, trim_timer;
  uv_signal_t sigint, sigterm;
  const char *listen, *record_dir, *play_path, *token, *allow_origins, *stats_json;
  bool echo; /* the source: echo, or --play, or silence */
  int max_calls, threads, next_id, max_conns_per_ip;
  bool opus_neural;
  int complexity; /* pl_call_config.opus_complexity: 0 the default, else 1 + 0..10 */
  double duration, session_timeout, idle_timeout;
  bool quiet, tty, stopping;
  char media_bind[80];
  pl_cli_stage stages[PL_MAX_STAGES];
  int n_stages;
  slot *slots;
  pl_call **retired; /* handed back by the server this turn (2 x max_calls) */
  int n_retired;
  uint64_t connected_calls, failed_setups;
  int exit_code;
};

static int echo_read(void *user, float *pcm, int samples, int channels) {
  slot *s = user;
  int want = samples * channels, n = want < s->echo_n ? want : s->echo_n;
  for (int i = 0; i < n; i++)
    pcm[i] = s->echo[(s->echo_r + i) % ECHO_CAP];
  memset(pcm + n, 0, (size_t)(want - n) * sizeof *pcm); /* nothing heard yet: silence */
  s->echo_r = (s->echo_r + n) % ECHO_CAP;
  s->echo_n -= n;
  return samples; /* an echo never ends by itself */
}

static int echo_write(void *user, const float *pcm, int samples, int channels) {
  slot *s = user;
  int n = samples * channels;
  for (int i = 0; i < n; i++) {
    if (s->echo_n == ECHO_CAP) { /* the source fell behind: drop the oldest */
      s->echo_r = (s->echo_r + 1) % ECHO_CAP;
      s->echo_n--;
    }
    s->echo[(s->echo_r + s->echo_n) % ECHO_CAP] = pcm[i];
    s->echo_n++;
  }
  return 0;
}

/* The call's sink: the echo and/or the recording. */
static int slot_write(void *user, const float *pcm, int samples, int channels) {
  slot *s = user;
  if (s->srv->echo)
    echo_write(s, pcm, samples, channels);
  return s->rec.write ? s->rec.write(s->rec.user, pcm, samples, channels) : 0;
}

static void slot_sink_close(void *user) {
  slot *s = user;
  if (s->rec.close)
    s->rec.close(s->rec.user);
  s->rec = (pl_audio_io){0};
}

static slot *slot_of(serve *v, const pl_call *call) {
  for (int i = 0; i < v->max_calls; i++)
    if (v->slots[i].call == call)
      return &v->slots[i];
  return NULL;
}

static void on_event(pl_call *call, const pl_event *ev, void *user) {
  serve *v = user;
  slot *s = slot_of(v, call);
  if (!s)
    return;
  if (ev->type == PL_EVENT_CONNECTED && !s->connected) {
    s->connected = true;
    v->connected_calls++;
    if (!v->quiet)
      fprintf(stderr, "parley serve: call %d connected\n", s->id);
  } else if (ev->type == PL_EVENT_CONNECTION_STATE && ev->state == PL_CONNECTION_FAILED &&
             !v->quiet) {
    fprintf(stderr, "parley serve: call %d failed%s%s\n", s->id, ev->detail ? ": " : "",
            ev->detail ? ev->detail : "");
  }
  /* A call that ended (BYE, consent expired) is let go by the WHIP
   * server's reaper, which calls on_end. */
}

/* The per-call handler: a call on its own ephemeral port, set up for the
 * mode. NULL answers the POST with 503 (no slot, or the setup failed). */
static pl_call *on_offer(void *user) {
  serve *v = user;
  if (v->stopping)
    return NULL;
  slot *s = slot_of(v, NULL);
  if (!s)
    return NULL; /* the server counts max_calls too; this is the backstop */
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = v->media_bind;
  cfg.transport = PL_TRANSPORT_WEBRTC;
  cfg.ice_all_interfaces = !strncmp(v->media_bind, "0.0.0.0:", 8) ||
                           !strncmp(v->media_bind, "[::]:", 5);
  cfg.on_event = on_event;
  cfg.user = v;
  cfg.consent_timeout_ms = (int)(v->idle_timeout * 1000);
  cfg.opus_neural = v->opus_neural;
  cfg.opus_complexity = v->complexity;
  pl_call *c;
  int rc = pl_call_new(&c, v->engine, &cfg);
  if (rc) {
    v->failed_setups++;
    fprintf(stderr, "parley serve: cannot make a call on %s: %s\n", v->media_bind,
            pl_strerror(rc));
    return NULL;
  }
  memset(s, 0, sizeof *s);
  s->srv = v;
  s->call = c;
  s->id = ++v->next_id;
  pl_audio_io src = {0};
  if (v->echo)
    src = (pl_audio_io){.read = echo_read, .user = s};
  else if (v->play_path)
    rc = pl_audio_io_wav_source(&src, v->play_path, true);
  if (!rc && v->record_dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/call-%d.wav", v->record_dir, s->id);
    rc = pl_audio_io_wav_sink(&s->rec, path, 1);
    if (rc)
      fprintf(stderr, "parley serve: cannot write %s: %s\n", path, pl_strerror(rc));
  }
  if (!rc && src.read)
    rc = pl_call_set_audio_source(c, &src);
  if (!rc && (v->echo || s->rec.write)) {
    pl_audio_io sink = {.write = slot_write, .close = slot_sink_close, .user = s};
    rc = pl_call_set_audio_sink(c, &sink);
  }
  for (int i = 0; !rc && i < v->n_stages; i++)
    rc = pl_cli_set_stage(c, &v->stages[i]);
  if (rc) {
    v->failed_setups++;
    pl_call_free(c);
    s->call = NULL;
    return NULL;
  }
  if (!v->quiet)
    fprintf(stderr, "parley serve: answering call %d\n", s->id);
  return c;
}

static void on_retire_timer(uv_timer_t *t) {
  serve *v = t->data;
  for (int i = 0; i < v->n_retired; i++)
    pl_call_free(v->retired[i]);
  v->n_retired = 0;
}

/* Memory a server freed goes back to the system (glibc keeps the top of
 * its heap otherwise; a burst of abandoned offers would pin its peak). */
static void on_trim_timer(uv_timer_t *t) {
  (void)t;
  malloc_trim(0);
}

/* The server let go of a call: freed on the loop's next turn (not from
 * inside the server's handler or reaper). */
static void on_end(void *user, pl_call *call, pl_whip_end_reason why) {
  serve *v = user;
  slot *s = slot_of(v, call);
  if (s) {
    if (!v->quiet)
      fprintf(stderr, "parley serve: call %d ended: %s\n", s->id, pl_whip_end_reason_name(why));
    s->call = NULL;
  }
  /* At most max_calls calls exist at once, and a turn makes no more than
   * max_calls new ones: 2 x max_calls cannot fill up. */
  if (v->n_retired < 2 * v->max_calls)
    v->retired[v->n_retired++] = call;
  uv_timer_start(&v->retire_timer, on_retire_timer, 0, 0);
}

static void print_status(serve *v, FILE *f, bool final) {
  pl_whip_stats ws;
  pl_engine_stats es;
  if (!v->whip || pl_whip_server_stats(v->whip, &ws) || pl_engine_get_stats(v->engine, &es))
    return;
  uint64_t late = 0;
  for (int i = 0; i < es.media_threads && i < PL_ENGINE_STATS_THREADS; i++)
    late += es.thread_late_ticks[i];
  fprintf(f,
          "%scalls %d  answered %llu  connected %llu  busy %llu  refused %llu  reaped %llu"
          "  deleted %llu  late ticks %llu%s",
          final ? "" : "\r", ws.sessions, (unsigned long long)ws.answered,
          (unsigned long long)v->connected_calls, (unsigned long long)ws.busy,
          (unsigned long long)ws.refused, (unsigned long long)ws.reaped,
          (unsigned long long)ws.deleted, (unsigned long long)late, final ? "\n" : "   ");
  fflush(f);
  if (final && v->stats_json) {
    FILE *j = fopen(v->stats_json, "w");
    if (!j) {
      fprintf(stderr, "parley serve: cannot write %s\n", v->stats_json);
      return;
    }
    fprintf(j,
            "{\"calls\": %d, \"answered\": %llu, \"connected\": %llu, \"busy\": %llu,"
            " \"refused\": %llu, \"reaped\": %llu, \"deleted\": %llu,"
            " \"unknownSession\": %llu, \"unauthorized\": %llu, \"setupFailed\": %llu,"
            " \"mediaThreads\": %d, \"lateTicks\": %llu}\n",
            ws.sessions, (unsigned long long)ws.answered,
            (unsigned long long)v->connected_calls, (unsigned long long)ws.busy,
            (unsigned long long)ws.refused, (unsigned long long)ws.reaped,
            (unsigned long long)ws.deleted, (unsigned long long)ws.unknown_session,
            (unsigned long long)ws.unauthorized, (unsigned long long)v->failed_setups,
            es.media_threads, (unsigned long long)late);
    fclose(j);
  }
}

static void on_tick(uv_timer_t *t) {
  serve *v = t->data;
  if (!v->quiet && v->tty)
    print_status(v, stderr, false);
}

static void close_cb(uv_handle_t *h) { (void)h; }

static void stop(serve *v) {
  if (v->stopping)
    return;
  v->stopping = true;
  if (!v->quiet && v->tty)
    fprintf(stderr, "\n");
  print_status(v, stdout, true);
  if (v->whip) {
    pl_whip_server_free(v->whip); /* lets go of every session, no on_end */
    v->whip = NULL;
  }
  on_retire_timer(&v->retire_timer);
  for (int i = 0; i < v->max_calls; i++)
    if (v->slots[i].call) {
      pl_call_free(v->slots[i].call); /* BYE to each caller */
      v->slots[i].call = NULL;
    }
  uv_close((uv_handle_t *)&v->tick, close_cb);
  uv_close((uv_handle_t *)&v->stop_timer, close_cb);
  uv_close((uv_handle_t *)&v->retire_timer, close_cb);
  uv_close((uv_handle_t *)&v->trim_timer, close_cb);
  uv_close((uv_handle_t *)&v->sigint, close_cb);
  uv_close((uv_handle_t *)&v->sigterm, close_cb);
}

static void on_stop_timer(uv_timer_t *t) { stop(t->data); }
static void on_signal(uv_signal_t *s, int signum) {
  (void)signum;
  stop(s->data);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley serve --listen IP:PORT [--echo | --play FILE.wav] [--record DIR] [options]\n"
          "  --listen IP:PORT     serve WHIP (HTTP) here; each call gets its own UDP port\n"
          "  --echo               send every caller back what it sends (the default when\n"
          "                       neither --play nor --record is given)\n"
          "  --play FILE.wav      send FILE (looped) to every caller\n"
          "  --record DIR         write what each caller sends to DIR/call-N.wav (with\n"
          "                       --echo or --play, or alone: callers then hear silence)\n"
          "  --stage NAME=on|off  switch a media-graph stage on every call (e.g. denoise=on)\n"
          "  --opus-neural on|off libopus's NoLACE, deep PLC, DRED (1.6: BWE) on every call\n"
          "                       (default on; off saves ~15 %% of a call's CPU)\n"
          "  --complexity N       Opus encoder complexity 0..10 (default 9; lower is cheaper)\n"
          "  --max-calls N        concurrent calls, 1..1024 (default 64); more get 503\n"
          "  --threads N          media threads, 1..64 (default 1): calls are spread over\n"
          "                       them, each call on one thread\n"
          "  --max-conns-per-ip N HTTP requests in progress from one address (default 8;\n"
          "                       more get 429): raise it when callers share an address\n"
          "  --token TOKEN        WHIP bearer token required of callers\n"
          "  --allow-origin LIST  origins whose pages may call (comma-separated, or *)\n"
          "  --session-timeout S  drop a caller not connected after S seconds (default 30)\n"
          "  --idle-timeout S     end a connected call whose caller stopped answering ICE\n"
          "                       consent checks for S seconds (default 15; RFC 7675 has 30)\n"
          "  --duration SECONDS   stop after this long (default: until Ctrl-C)\n"
          "  --stats-json FILE    write the server's counters as JSON when it stops\n"
          "  --quiet              no per-call lines or live status\n");
}

int pl_cmd_serve(int argc, char **argv) {
  serve v = {.max_calls = 64, .threads = 1, .idle_timeout = 15, .opus_neural = true};
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    const char *a = i + 1 < argc ? argv[i + 1] : NULL;
    double d;
#define NEED_ARG() PL_CLI_NEED_ARG("serve", a)
    if (!strcmp(o, "--listen")) { NEED_ARG(); v.listen = a; }
    else if (!strcmp(o, "--echo")) v.echo = true;
    else if (!strcmp(o, "--record")) { NEED_ARG(); v.record_dir = a; }
    else if (!strcmp(o, "--play")) { NEED_ARG(); v.play_path = a; }
    else if (!strcmp(o, "--token")) { NEED_ARG(); v.token = a; }
    else if (!strcmp(o, "--allow-origin")) { NEED_ARG(); v.allow_origins = a; }
    else if (!strcmp(o, "--stats-json")) { NEED_ARG(); v.stats_json = a; }
    else if (!strcmp(o, "--max-calls")) {
      NEED_ARG();
      if (pl_cli_parse_double(a, 1, 1024, &d) || d != (int)d) {
        fprintf(stderr, "parley serve: --max-calls takes a whole number 1..1024\n");
        return 2;
      }
      v.max_calls = (int)d;
    } else if (!strcmp(o, "--max-conns-per-ip")) {
      NEED_ARG();
      if (pl_cli_parse_double(a, 1, 4096, &d) || d != (int)d) {
        fprintf(stderr, "parley serve: --max-conns-per-ip takes a whole number 1..4096\n");
        return 2;
      }
      v.max_conns_per_ip = (int)d;
    } else if (!strcmp(o, "--threads")) {
      NEED_ARG();
      if (pl_cli_parse_double(a, 1, 64, &d) || d != (int)d) {
        fprintf(stderr, "parley serve: --threads takes a whole number 1..64\n");
        return 2;
      }
      v.threads = (int)d;
    } else if (!strcmp(o, "--duration")) {
      NEED_ARG();
      if (pl_cli_parse_double(a, 0.01, 1e7, &v.duration)) return 2;
    } else if (!strcmp(o, "--idle-timeout")) {
      NEED_ARG();
      if (pl_cli_parse_double(a, 2, 3600, &v.idle_timeout)) return 2;
    } else if (!strcmp(o, "--session-timeout")) {
      NEED_ARG();
      if (pl_cli_parse_double(a, 1, 3600, &v.session_timeout)) return 2;
    } else if (!strcmp(o, "--opus-neural")) {
      NEED_ARG();
      if (strcmp(a, "on") && strcmp(a, "off")) {
        fprintf(stderr, "parley serve: --opus-neural on|off\n");
        return 2;
      }
      v.opus_neural = !strcmp(a, "on");
    } else if (!strcmp(o, "--complexity")) {
      NEED_ARG();
      if (pl_cli_parse_double(a, 0, 10, &d) || d != (int)d) {
        fprintf(stderr, "parley serve: --complexity takes a whole number 0..10\n");
        return 2;
      }
      v.complexity = (int)d + 1;
    } else if (!strcmp(o, "--stage")) {
      NEED_ARG();
      if (v.n_stages == PL_MAX_STAGES || pl_cli_parse_stage(a, &v.stages[v.n_stages]))
        return 2;
      v.n_stages++;
    } else if (!strcmp(o, "--quiet")) v.quiet = true;
    else if (!strcmp(o, "--help") || !strcmp(o, "-h")) { usage(stdout); return 0; }
    else {
      fprintf(stderr, "parley serve: unknown option '%s'\n", o);
      usage(stderr);
      return 2;
    }
#undef NEED_ARG
  }
  if (!v.listen) {
    fprintf(stderr, "parley serve: --listen IP:PORT is required\n");
    usage(stderr);
    return 2;
  }
  if (v.echo && v.play_path) {
    fprintf(stderr, "parley serve: --echo and --play both choose what callers hear: give one\n");
    return 2;
  }
  if (!v.play_path && !v.record_dir)
    v.echo = true; /* the default handler */
  if (v.play_path && access(v.play_path, R_OK) != 0) {
    fprintf(stderr, "parley serve: cannot read %s\n", v.play_path);
    return 2;
  }
  if (v.record_dir && access(v.record_dir, W_OK) != 0) {
    fprintf(stderr, "parley serve: %s is no writable directory\n", v.record_dir);
    return 2;
  }
  /* Media on the --listen address, an ephemeral port per call. */
  const char *colon = strrchr(v.listen, ':');
  if (!colon || colon == v.listen) {
    fprintf(stderr, "parley serve: --listen wants IP:PORT, not '%s'\n", v.listen);
    return 2;
  }
  snprintf(v.media_bind, sizeof v.media_bind, "%.*s:0", (int)(colon - v.listen), v.listen);
  v.slots = calloc((size_t)v.max_calls, sizeof *v.slots);
  v.retired = calloc(2 * (size_t)v.max_calls, sizeof *v.retired);
  if (!v.slots || !v.retired) {
    free(v.slots);
    free(v.retired);
    fprintf(stderr, "parley serve: no memory for %d calls\n", v.max_calls);
    return 1;
  }
  v.tty = isatty(2);
  v.loop = uv_default_loop();
  pl_engine_config ec;
  pl_engine_config_init(&ec);
  ec.media_threads = v.threads;
  int rc = pl_engine_new_with(&v.engine, v.loop, &ec);
  if (rc) {
    fprintf(stderr, "parley serve: cannot start the engine: %s\n", pl_strerror(rc));
    free(v.slots);
    return 1;
  }
  /* A stage name is checked on a call that is never used, so a typo is a
   * usage error now rather than a 503 to every caller. */
  if (v.n_stages) {
    pl_call_config cc;
    pl_call_config_init(&cc);
    cc.bind = v.media_bind;
    pl_call *probe;
    rc = pl_call_new(&probe, v.engine, &cc);
    for (int i = 0; !rc && i < v.n_stages; i++)
      if (pl_cli_set_stage(probe, &v.stages[i]) != 0) {
        fprintf(stderr, "parley serve: no stage '%s' in this build\n", v.stages[i].name);
        v.exit_code = 2;
      }
    if (rc) {
      fprintf(stderr, "parley serve: cannot bind %s: %s\n", v.media_bind, pl_strerror(rc));
      v.exit_code = 1;
    } else {
      pl_call_free(probe);
    }
  }
  uv_timer_init(v.loop, &v.tick);
  uv_timer_init(v.loop, &v.stop_timer);
  uv_timer_init(v.loop, &v.retire_timer);
  uv_timer_init(v.loop, &v.trim_timer);
  uv_timer_start(&v.trim_timer, on_trim_timer, 5000, 5000);
  /* Each call's larger blocks are mapped, not carved from the heap, so
   * freeing a call returns them (glibc would otherwise raise this threshold
   * after the first free and keep later calls' memory in its heap). */
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  uv_signal_init(v.loop, &v.sigint);
  uv_signal_init(v.loop, &v.sigterm);
  v.tick.data = v.stop_timer.data = v.retire_timer.data = &v;
  v.sigint.data = v.sigterm.data = &v;
  uv_signal_start(&v.sigint, on_signal, SIGINT);
  uv_signal_start(&v.sigterm, on_signal, SIGTERM);
  uv_timer_start(&v.tick, on_tick, 1000, 1000);
  if (v.duration > 0)
    uv_timer_start(&v.stop_timer, on_stop_timer, (uint64_t)(v.duration * 1000), 0);
  pl_whip_options wo;
  pl_whip_options_init(&wo);
  wo.max_sessions = v.max_calls;
  wo.token = v.token;
  wo.allow_origins = v.allow_origins;
  wo.max_conns_per_ip = v.max_conns_per_ip;
  if (v.session_timeout > 0) {
    wo.connect_timeout_ms = (int)(v.session_timeout * 1000);
    if (wo.check_idle_ms > wo.connect_timeout_ms)
      wo.check_idle_ms = wo.connect_timeout_ms;
  }
  if (!v.exit_code) {
    rc = pl_whip_server_new(&v.whip, v.engine, v.listen, &wo, on_offer, on_end, &v);
    if (rc) {
      fprintf(stderr, "parley serve: cannot listen on %s: %s\n", v.listen,
              rc == PL_EINVAL && v.token ? "bad address or --token" : pl_strerror(rc));
      v.exit_code = rc == PL_EINVAL ? 2 : 1;
    } else if (!v.quiet) {
      fprintf(stderr, "parley serve: %s on %s (WHIP POST /whip), up to %d calls on %d media "
                      "thread%s\n",
              v.echo ? "echoing" : v.play_path ? "playing" : "recording", v.listen,
              v.max_calls, v.threads, v.threads > 1 ? "s" : "");
    }
  }
  if (v.exit_code)
    stop(&v);
  uv_run(v.loop, UV_RUN_DEFAULT);
  pl_engine_free(v.engine);
  uv_run(v.loop, UV_RUN_DEFAULT); /* the engine's handles close */
  uv_loop_close(v.loop);
  free(v.slots);
  free(v.retired);
  return v.exit_code;
}
