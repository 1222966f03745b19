/* echo_whip: answers browser calls over WHIP and sends each caller's own
 * voice back, half a second late.
 *
 *   cc echo_whip.c $(pkg-config --cflags --libs parley) -o echo_whip
 *   ./echo_whip 127.0.0.1:8000 [CALLS]    then open http://127.0.0.1:8000/
 *
 * Stops after CALLS calls have ended (default: never). The audio sink and
 * source run on the engine's media thread, both on the same one, so the
 * echo's ring needs no lock; everything else runs on this program's loop. */
#include <parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define ECHO_SAMPLES 48000 /* 1 s at 48 kHz, mono */

typedef struct echo {
  float ring[ECHO_SAMPLES];
  size_t w, r; /* w runs 0.5 s ahead of r; both move 10 ms per tick */
} echo;

/* The sink stores what arrives; the source plays what was stored 0.5 s
 * earlier (the ring starts silent), whichever of the two runs first. */
static int echo_write(void *user, const float *pcm, int samples, int channels) {
  echo *e = user;
  for (int i = 0; i < samples; i++, e->w = (e->w + 1) % ECHO_SAMPLES)
    e->ring[e->w] = pcm[i * channels];
  return 0;
}
static int echo_read(void *user, float *pcm, int samples, int channels) {
  echo *e = user;
  for (int i = 0; i < samples; i++, e->r = (e->r + 1) % ECHO_SAMPLES)
    for (int c = 0; c < channels; c++)
      pcm[i * channels + c] = e->ring[e->r];
  return samples; /* never ends */
}
static void echo_close(void *user) { free(user); }

typedef struct server {
  uv_loop_t *loop;
  pl_engine *engine;
  pl_whip_server *whip;
  uv_timer_t reaper;
  pl_call *ended[64]; /* handed back by the server: freed on the next turn */
  int n_ended, calls_done, max_calls;
} server;

static const char page[] =
    "<!doctype html><title>Parley echo</title><button id=b>Call</button><pre id=s></pre>\n"
    "<script>b.onclick = async () => {\n"
    "  const pc = new RTCPeerConnection();\n"
    "  const mic = await navigator.mediaDevices.getUserMedia({audio: true});\n"
    "  mic.getTracks().forEach(t => pc.addTrack(t, mic));\n"
    "  pc.ontrack = e => { const a = new Audio(); a.srcObject = e.streams[0]; a.play(); };\n"
    "  await pc.setLocalDescription(await pc.createOffer());\n"
    "  await new Promise(r => setTimeout(r, 300));\n"
    "  const r = await fetch('/whip', {method: 'POST', body: pc.localDescription.sdp,\n"
    "    headers: {'Content-Type': 'application/sdp'}});\n"
    "  await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});\n"
    "  pc.onconnectionstatechange = () => s.textContent = pc.connectionState;\n"
    "};</script>\n";

static void on_event(pl_call *call, const pl_event *ev, void *user) {
  (void)call;
  (void)user;
  if (ev->type == PL_EVENT_CONNECTION_STATE)
    printf("echo: call %s\n", pl_connection_state_name(ev->state));
  fflush(stdout);
}

static pl_call *on_offer(void *user) {
  server *s = user;
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.on_event = on_event;
  cfg.user = s;
  pl_call *call;
  echo *e = calloc(1, sizeof *e);
  if (e)
    e->w = ECHO_SAMPLES / 2;
  if (!e || pl_call_new(&call, s->engine, &cfg) != 0) {
    free(e);
    return NULL; /* answered 503 */
  }
  pl_audio_io sink = {.write = echo_write, .user = e};
  pl_audio_io source = {.read = echo_read, .close = echo_close, .user = e};
  pl_call_set_audio_sink(call, &sink);
  pl_call_set_audio_source(call, &source); /* the source owns e */
  return call;
}

/* The server is done with a call: free it, but not from inside the
 * callback (parley.h): a zero timer does it on the loop's next turn. */
static void on_reap(uv_timer_t *t) {
  server *s = t->data;
  for (int i = 0; i < s->n_ended; i++)
    pl_call_free(s->ended[i]);
  s->n_ended = 0;
  if (s->max_calls && s->calls_done >= s->max_calls) {
    pl_whip_server_free(s->whip);
    s->whip = NULL;
    uv_close((uv_handle_t *)&s->reaper, NULL);
  }
}
static void on_end(void *user, pl_call *call, pl_whip_end_reason why) {
  server *s = user;
  printf("echo: call ended (%s)\n", pl_whip_end_reason_name(why));
  fflush(stdout);
  if (why != PL_WHIP_END_REFUSED)
    s->calls_done++;
  if (s->n_ended < 64)
    s->ended[s->n_ended++] = call;
  uv_timer_start(&s->reaper, on_reap, 0, 0);
}

int main(int argc, char **argv) {
  server s = {.loop = uv_default_loop()};
  const char *addr = argc > 1 ? argv[1] : "127.0.0.1:8000";
  s.max_calls = argc > 2 ? atoi(argv[2]) : 0;
  int rc = pl_engine_new(&s.engine, s.loop);
  if (!rc)
    rc = pl_whip_server_new(&s.whip, s.engine, addr, NULL, on_offer, on_end, &s);
  if (rc) {
    fprintf(stderr, "echo: cannot serve on %s: %s\n", addr, pl_strerror(rc));
    return 1;
  }
  pl_whip_server_set_page(s.whip, page, strlen(page));
  uv_timer_init(s.loop, &s.reaper);
  s.reaper.data = &s;
  printf("echo: listening on http://%s/ (WHIP at /whip)\n", addr);
  fflush(stdout);
  uv_run(s.loop, UV_RUN_DEFAULT);
  pl_engine_free(s.engine);
  uv_loop_close(s.loop);
  return 0;
}
