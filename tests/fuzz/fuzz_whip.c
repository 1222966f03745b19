/* WHIP request handling fed raw bytes: the input is split at NUL bytes into
 * HTTP requests, each parsed by pl_http_reader and, when complete, handled
 * by pl_whip_handle on a sans-IO engine (POST offers reach the SDP parser
 * and JSEP, PATCH fragments the trickle and restart paths, with the
 * sessions the earlier requests of the same input made). The calls then
 * run their timers once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/whip.h"
#include "parley.h"

#define MAX_CALLS 8

static pl_engine *engine;
static pl_call *calls[MAX_CALLS];
static int n_calls;

static pl_call *on_offer(void *user) {
  (void)user;
  if (n_calls == MAX_CALLS)
    return NULL;
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = cfg.advertise = "192.0.2.10:5000";
  cfg.seed = 1;
  pl_call *c;
  if (pl_call_new(&c, engine, &cfg) != 0)
    return NULL;
  calls[n_calls++] = c;
  return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!engine && pl_engine_new(&engine, NULL) != 0)
    return 0;
  static pl_whip_server s;
  pl_whip_core_init(&s, engine, on_offer, NULL, NULL);
  static const char page[] = "<!doctype html>";
  s.page = page;
  s.page_len = sizeof page - 1;
  size_t at = 0;
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
      pl_whip_handle(&s, &r.msg, &resp);
      if (resp.body_len && !resp.body)
        abort();
    }
    pl_http_reader_free(&r);
    at += n + 1;
  }
  for (int i = 0; i < n_calls; i++) {
    pl_call_timeout(calls[i], 1000000);
    uint8_t buf[1600];
    while (pl_call_poll_transmit(calls[i], buf, sizeof buf, NULL) > 0)
      ;
    pl_call_free(calls[i]);
  }
  n_calls = 0;
  return 0;
}
