/* serve_many: a server answering many WHIP callers at once, its calls
 * spread over several media threads. Each caller hears a tone of its own
 * (call 1: 300 Hz, call 2: 400 Hz, ...); a line a second says how the
 * server is doing.
 *
 *   cc serve_many.c $(pkg-config --cflags --libs parley) -o serve_many
 *   ./serve_many 127.0.0.1:8000 [THREADS] [MAX_CALLS] [STOP_AFTER]
 *
 * Past MAX_CALLS a caller gets 503 with Retry-After; the program exits once
 * STOP_AFTER calls have ended (default: never). `parley serve` is the same
 * idea with more options. */
#include <parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

typedef struct server {
  uv_loop_t *loop;
  pl_engine *engine;
  pl_whip_server *whip;
  uv_timer_t reaper, status;
  pl_call **ended; /* handed back by the server: freed on the loop's next turn */
  int n_ended, made, done, stop_after;
} server;

/* Each call gets its own source from the library's tone generator. */
static pl_call *on_offer(void *user) {
  server *s = user;
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.consent_timeout_ms = 10000; /* a vanished caller frees its slot in 10 s */
  pl_call *call;
  if (pl_call_new(&call, s->engine, &cfg) != 0)
    return NULL; /* answered 503 */
  pl_audio_io tone;
  pl_audio_io_tone_source(&tone, 300 + 100 * (s->made++ % 10), 0.3);
  pl_call_set_audio_source(call, &tone);
  return call;
}

static void on_reap(uv_timer_t *t) {
  server *s = t->data;
  for (int i = 0; i < s->n_ended; i++)
    pl_call_free(s->ended[i]);
  s->n_ended = 0;
  if (s->stop_after && s->done >= s->stop_after && s->whip) {
    pl_whip_server_free(s->whip); /* no more calls: the loop runs dry */
    s->whip = NULL;
    uv_close((uv_handle_t *)&s->reaper, NULL);
    uv_close((uv_handle_t *)&s->status, NULL);
  }
}

static void on_end(void *user, pl_call *call, pl_whip_end_reason why) {
  server *s = user;
  if (why != PL_WHIP_END_REFUSED)
    s->done++;
  s->ended[s->n_ended++] = call; /* at most max_sessions + made this turn */
  uv_timer_start(&s->reaper, on_reap, 0, 0);
}

static void on_status(uv_timer_t *t) {
  server *s = t->data;
  pl_whip_stats ws;
  pl_engine_stats es;
  if (!s->whip || pl_whip_server_stats(s->whip, &ws) || pl_engine_get_stats(s->engine, &es))
    return;
  printf("serve_many: %d calls now, %llu answered, %llu busy; per thread:", ws.sessions,
         (unsigned long long)ws.answered, (unsigned long long)ws.busy);
  for (int i = 0; i < es.media_threads && i < PL_ENGINE_STATS_THREADS; i++)
    printf(" %d calls (%llu late ticks)", es.thread_calls[i],
           (unsigned long long)es.thread_late_ticks[i]);
  printf("\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  server s = {.loop = uv_default_loop()};
  const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8000";
  pl_engine_config ec;
  pl_engine_config_init(&ec);
  ec.media_threads = argc > 2 ? atoi(argv[2]) : 2;
  pl_whip_options wo;
  pl_whip_options_init(&wo);
  wo.max_sessions = argc > 3 ? atoi(argv[3]) : 100;
  wo.max_conns_per_ip = 64; /* the demo's callers all come from one address */
  s.stop_after = argc > 4 ? atoi(argv[4]) : 0;
  s.ended = calloc(2 * (size_t)(wo.max_sessions > 0 ? wo.max_sessions : 1), sizeof *s.ended);
  int rc = s.ended ? pl_engine_new_with(&s.engine, s.loop, &ec) : PL_ENOMEM;
  if (!rc)
    rc = pl_whip_server_new(&s.whip, s.engine, addr, &wo, on_offer, on_end, &s);
  if (rc) {
    fprintf(stderr, "serve_many: cannot serve on %s: %s\n", addr, pl_strerror(rc));
    return 1;
  }
  uv_timer_init(s.loop, &s.reaper);
  uv_timer_init(s.loop, &s.status);
  s.reaper.data = s.status.data = &s;
  uv_timer_start(&s.status, on_status, 1000, 1000);
  printf("serve_many: listening on %s (WHIP at /whip), %d media threads, up to %d calls\n", addr,
         ec.media_threads, wo.max_sessions);
  fflush(stdout);
  uv_run(s.loop, UV_RUN_DEFAULT);
  pl_engine_free(s.engine);
  uv_run(s.loop, UV_RUN_DEFAULT); /* the engine's handles close */
  uv_loop_close(s.loop);
  free(s.ended);
  return 0;
}
