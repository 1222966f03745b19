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
 * The handlers keep the same ownership rules as `parley call --listen`
 * (apps/parley/cmd_call.c): on_offer hands out a new call, on_end gives it
 * back (refused, deleted, abandoned or closed) and the app frees it only
 * after the server has returned; a call the server still holds must never
 * be handed back twice or freed under it, which the bookkeeping below
 * checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/whip.h"
#include "parley.h"

#define MAX_CALLS 8

static pl_engine *engine;
static pl_call *live[MAX_CALLS];    /* handed to the server, not yet back */
static pl_call *retired[MAX_CALLS]; /* back from the server, freed after */
static int n_live, n_retired;

static pl_call *on_offer(void *user) {
  (void)user;
  if (n_live + n_retired >= MAX_CALLS)
    return NULL;
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = cfg.advertise = "192.0.2.10:5000";
  cfg.seed = 1;
  pl_call *c;
  if (pl_call_new(&c, engine, &cfg) != 0)
    return NULL;
  live[n_live++] = c;
  return c;
}

static void on_end(void *user, pl_call *call, pl_whip_end_reason why) {
  (void)user;
  if (why < PL_WHIP_END_REFUSED || why > PL_WHIP_END_CLOSED)
    abort();
  for (int i = 0; i < n_live; i++)
    if (live[i] == call) {
      live[i] = live[--n_live];
      retired[n_retired++] = call;
      return;
    }
  abort(); /* handed back a call it did not hold, or twice */
}

static void free_retired(void) {
  for (int i = 0; i < n_retired; i++)
    pl_call_free(retired[i]);
  n_retired = 0;
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
  case 3: o.max_sessions = 1; break;
  default: break;
  }
  static pl_whip_server s;
  if (pl_whip_core_init(&s, engine, &o, on_offer, on_end, NULL) != 0)
    abort();
  static const char page[] = "<!doctype html>";
  s.page = page;
  s.page_len = sizeof page - 1;
  pl_time_us now = PL_SEC(1);
  size_t at = 1;
  while (at < size) {
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
      free_retired();
    }
    pl_http_reader_free(&r);
    /* The request's length moves the clock 0..7.5 s: reaping happens. */
    now += PL_MS(500) * (pl_time_us)(n % 16);
    for (int i = 0; i < n_live; i++)
      pl_call_timeout(live[i], now);
    pl_whip_tick(&s, now);
    free_retired();
    at += n + 1;
  }
  for (int i = 0; i < n_live; i++) {
    uint8_t buf[1600];
    while (pl_call_poll_transmit(live[i], buf, sizeof buf, NULL) > 0)
      ;
    pl_call_free(live[i]);
  }
  n_live = 0;
  pl_whip_core_clear(&s);
  return 0;
}
