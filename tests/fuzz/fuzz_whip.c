/* WHIP request handling fed raw bytes: the first byte picks the server's
 * options (none, a bearer token, allowed origins, one session at a time);
 * the rest is split at NUL bytes into HTTP requests, each parsed by
 * pl_http_reader and, when complete, handled by pl_whip_handle on a sans-IO
 * engine (POST offers reach the SDP parser and JSEP, PATCH fragments the
 * trickle and restart paths, with the sessions the earlier requests of the
 * same input made). Between requests the clock moves on by a few seconds
 * and the reaper ticks, so sessions are dropped mid-input as in a real
 * listener.
 *
 * The handlers are the app's own: `parley call --listen`'s session
 * ownership (apps/parley/listener.c: one call at a time, a refused or
 * abandoned caller dropped and freed on the next turn, the owner's DELETE
 * ending the listener), with a sans-IO call in place of the app's
 * configured one. A call the server still holds must never come back
 * twice or be freed under it: ASan and the checks below see to that. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apps/parley/listener.h"
#include "engine/call/call.h"
#include "engine/whip.h"
#include "parley.h"

static pl_engine *engine;
static pl_listener lis;
static bool stopped, retire_pending;

static int make_call(void *app, pl_call **out) {
  (void)app;
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = cfg.advertise = "192.0.2.10:5000";
  cfg.seed = 1;
  return pl_call_new(out, engine, &cfg);
}

static void stop(void *app, int code) {
  (void)app, (void)code;
  stopped = true; /* the app would stop serving: this input's story ends */
}

static void retire_later(void *app) {
  (void)app;
  retire_pending = true;
}

/* The loop's next turn: what the app does between two requests. */
static void next_turn(void) {
  if (retire_pending)
    pl_listener_retire(&lis);
  retire_pending = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!engine && pl_engine_new(&engine, NULL) != 0)
    return 0;
  if (size == 0)
    return 0;
  pl_whip_options o;
  pl_whip_options_init(&o);
  switch (data[0] & 3) {
  case 1: o.token = "t0k3n"; break;
  case 2: o.allow_origins = "https://a.example, *"; break;
  case 3: o.max_sessions = 1; break; /* as `parley call --listen` */
  default: break;
  }
  static pl_whip_server s;
  lis = (pl_listener){.quiet = true, .make_call = make_call, .stop = stop,
                      .retire_later = retire_later};
  stopped = retire_pending = false;
  if (pl_whip_core_init(&s, engine, &o, pl_listener_on_offer, pl_listener_on_end, &lis) != 0)
    abort();
  static const char page[] = "<!doctype html>";
  s.page = page;
  s.page_len = sizeof page - 1;
  pl_time_us now = PL_SEC(1);
  size_t at = 1;
  while (at < size && !stopped) {
    const uint8_t *end = memchr(data + at, 0, size - at);
    size_t n = end ? (size_t)(end - (data + at)) : size - at;
    pl_http_reader r;
    pl_http_reader_init(&r, true);
    int rc = pl_http_reader_feed(&r, (const char *)data + at, n);
    if (rc == 0)
      rc = pl_http_reader_eof(&r);
    if (rc == 1) {
      pl_http_response resp;
      memset(&resp, 0, sizeof resp);
      pl_whip_handle(&s, now, &r.msg, &resp);
      if ((resp.body_len && !resp.body) || resp.status < 200 || resp.status > 599)
        abort();
      /* The listener holds at most one call, and the server only that one. */
      int held = 0;
      for (int i = 0; i < PL_WHIP_MAX_SESSIONS; i++)
        if (s.sessions[i].call) {
          held++;
          if (s.sessions[i].call != lis.call)
            abort();
        }
      if (held > 1)
        abort();
    }
    pl_http_reader_free(&r);
    next_turn();
    /* The request's length moves the clock 0..7.5 s: reaping happens. */
    now += PL_MS(500) * (pl_time_us)(n % 16);
    if (lis.call)
      pl_call_timeout(lis.call, now);
    pl_whip_tick(&s, now);
    next_turn();
    at += n + 1;
  }
  /* The app's stop: the server goes, then the call it answered. */
  pl_whip_core_clear(&s);
  if (lis.call) {
    uint8_t buf[1600];
    while (pl_call_poll_transmit(lis.call, buf, sizeof buf, NULL) > 0)
      ;
    pl_call_free(lis.call);
  }
  pl_listener_retire(&lis);
  return 0;
}
