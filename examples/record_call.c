/* record_call: calls a WHIP endpoint (a browser-facing server such as
 * echo_whip or `parley call --listen`), sends a WAV file and records what
 * comes back to another WAV file.
 *
 *   cc record_call.c $(pkg-config --cflags --libs parley) -o record_call
 *   ./record_call 127.0.0.1:8000 speech.wav received.wav 10
 *
 * Prints the call's summary at the end; exits 1 when the call failed. */
#include <parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

typedef struct app {
  uv_loop_t *loop;
  pl_engine *engine;
  pl_call *call;
  uv_timer_t timer;
  int failed;
} app;

static void finish(app *a) {
  if (!a->call)
    return;
  pl_call_stats st;
  if (pl_call_get_stats(a->call, &st) == 0)
    printf("record: %.1f s, %llu packets received, %lld lost, %.2f%% concealed, "
           "jitter buffer %.0f ms\n",
           st.duration_s, (unsigned long long)st.packets_received, (long long)st.packets_lost,
           st.total_samples_received
               ? 100.0 * (double)st.concealed_samples / (double)st.total_samples_received
               : 0.0,
           st.jitter_buffer_delay_s * 1000);
  /* BYE now; freeing closes the WAV sink (its header is written then) and
   * sends DELETE on the session's Location, which the loop completes. */
  pl_call_hangup(a->call);
  pl_call_free(a->call);
  a->call = NULL;
  uv_close((uv_handle_t *)&a->timer, NULL);
}

static void on_timer(uv_timer_t *t) { finish(t->data); }

/* Events run on the loop, inside the engine: end the call on the next
 * turn rather than free it from here. */
static void on_event(pl_call *call, const pl_event *ev, void *user) {
  app *a = user;
  (void)call;
  if (ev->type == PL_EVENT_CONNECTION_STATE) {
    printf("record: connection %s\n", pl_connection_state_name(ev->state));
    if (ev->state == PL_CONNECTION_FAILED || ev->state == PL_CONNECTION_CLOSED) {
      a->failed = ev->state == PL_CONNECTION_FAILED;
      uv_timer_start(&a->timer, on_timer, 0, 0);
    }
  } else if (ev->type == PL_EVENT_REMOTE_BYE) {
    uv_timer_start(&a->timer, on_timer, 0, 0);
  }
  fflush(stdout);
}

static void on_dialed(pl_call *call, int err, int http_status, void *user) {
  app *a = user;
  (void)call;
  if (err) {
    fprintf(stderr, "record: the server refused the call: %s (HTTP %d)\n", pl_strerror(err),
            http_status);
    a->failed = 1;
    uv_timer_start(&a->timer, on_timer, 0, 0);
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: record_call IP:PORT SEND.wav RECORD.wav SECONDS\n");
    return 2;
  }
  app a = {.loop = uv_default_loop()};
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.on_event = on_event;
  cfg.user = &a;
  pl_audio_io source, sink;
  int rc = pl_engine_new(&a.engine, a.loop);
  if (!rc)
    rc = pl_call_new(&a.call, a.engine, &cfg);
  if (!rc && (rc = pl_audio_io_wav_source(&source, argv[2], true)) != 0)
    fprintf(stderr, "record: %s: ", argv[2]);
  if (!rc)
    pl_call_set_audio_source(a.call, &source);
  if (!rc && (rc = pl_audio_io_wav_sink(&sink, argv[3], 1)) != 0)
    fprintf(stderr, "record: %s: ", argv[3]);
  if (!rc)
    pl_call_set_audio_sink(a.call, &sink);
  if (!rc)
    rc = pl_call_dial_whip(a.call, argv[1], NULL, on_dialed, &a);
  if (rc) {
    fprintf(stderr, "%s\n", pl_strerror(rc));
    return 1;
  }
  uv_timer_init(a.loop, &a.timer);
  a.timer.data = &a;
  uv_timer_start(&a.timer, on_timer, (uint64_t)(atof(argv[4]) * 1000), 0);
  uv_run(a.loop, UV_RUN_DEFAULT);
  pl_engine_free(a.engine);
  uv_loop_close(a.loop);
  return a.failed;
}
