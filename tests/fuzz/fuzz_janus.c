/* Janus signaling fed what a hostile or broken server could send: the
 * input is split at NUL bytes into HTTP bodies, each handed to the core as
 * the answer to one of its requests (the chunk's first byte picks which:
 * the long poll, the last POST, an HTTP failure with some status, a timer
 * tick, a leave). In a body, "$T" stands for the transaction id of the
 * last request sent and "$S"/"$H" for the session and handle the core
 * holds, so the fuzzer can walk past create/attach/join into the feeds.
 * The app's side is played in between: our offer when asked, an answer
 * for every feed offer, a trickled candidate after each. Every chunk is also parsed by the JSON reader
 * alone, and every token read back. Checks: no crash or leak, events are
 * well formed (terminated detail, an SDP only where one belongs), at most
 * PL_JANUS_MAX_FEEDS feeds live, and nothing is sent after the end. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/janus/janus.h"
#include "engine/janus/json.h"
#include "parley.h"

#define CHECK(x) \
  do {           \
    if (!(x))    \
      abort();   \
  } while (0)

static pl_janus_core core;
static pl_json_tok toks[1024];
static char last_tx[48];
static int last_tag = -1;

static void walk_json(const char *s, size_t n) {
  pl_json j;
  int k = pl_json_parse(&j, toks, 1024, s, n);
  if (k < 0)
    return;
  CHECK(k <= 1024 && j.n == k);
  char buf[256];
  for (int t = 0; t < k; t++) {
    CHECK(j.tok[t].next > (uint32_t)t && j.tok[t].next <= (uint32_t)k);
    CHECK(j.tok[t].start + j.tok[t].len <= n);
    uint64_t u;
    int64_t i;
    pl_json_u64(&j, t, &u);
    pl_json_i64(&j, t, &i);
    int r = pl_json_str(&j, t, buf, sizeof buf);
    CHECK(r < 0 || (size_t)r == strlen(buf));
    if (j.tok[t].type == PL_JSON_OBJECT)
      pl_json_get(&j, t, "janus");
    if (j.tok[t].type == PL_JSON_ARRAY)
      CHECK(pl_json_at(&j, t, j.tok[t].n) == -1);
  }
}

static void drain(pl_time_us now) {
  pl_janus_request rq;
  bool over = core.state == PL_JANUS_CLOSED || core.state == PL_JANUS_FAILED;
  while (pl_janus_core_poll_request(&core, &rq)) {
    CHECK(!over || !rq.get);
    CHECK(rq.get || (rq.body && rq.body_len == strlen(rq.body)));
    if (!rq.get) {
      last_tag = rq.tag;
      const char *t = strstr(rq.body, "\"transaction\":\"");
      CHECK(t);
      t += 15;
      size_t n = strcspn(t, "\"");
      CHECK(n < sizeof last_tx);
      memcpy(last_tx, t, n);
      last_tx[n] = 0;
    }
  }
  pl_janus_event e;
  while (pl_janus_core_poll_event(&core, &e)) {
    CHECK(memchr(e.detail, 0, sizeof e.detail) && memchr(e.display, 0, sizeof e.display));
    CHECK(!e.sdp || e.type == PL_JANUS_EV_PUBLISHED || e.type == PL_JANUS_EV_FEED_OFFER);
    if (e.type == PL_JANUS_EV_NEED_OFFER &&
        pl_janus_core_publish(&core, now, "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n") == 0)
      pl_janus_core_trickle(&core, now, 0, "0", "a=candidate:1 1 udp 1 192.0.2.1 9 typ host\r\n");
    if (e.type == PL_JANUS_EV_FEED_OFFER &&
        pl_janus_core_answer(&core, now, e.feed, (e.feed & 1) ? NULL : "v=0\r\nanswer\r\n") == 0)
      pl_janus_core_trickle(&core, now, e.feed, "0", NULL);
  }
  int live = 0;
  for (int i = 0; i < PL_JANUS_MAX_FEEDS; i++)
    live += core.feeds[i].state != FEED_FREE;
  CHECK(live <= PL_JANUS_MAX_FEEDS);
}

/* "$T", "$S", "$H" expanded; the result is at most 4x the chunk. */
static size_t expand(const uint8_t *p, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '$' && i + 1 < n && (p[i + 1] == 'T' || p[i + 1] == 'S' || p[i + 1] == 'H')) {
      char v[48];
      if (p[i + 1] == 'T')
        snprintf(v, sizeof v, "%s", last_tx);
      else
        snprintf(v, sizeof v, "%" PRIu64, p[i + 1] == 'S' ? core.session : core.handle);
      size_t k = strlen(v);
      memcpy(out + o, v, k);
      o += k;
      i++;
    } else {
      out[o++] = (char)p[i];
    }
  }
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536)
    return 0;
  if (pl_janus_core_init(&core, "/janus", 1234, "fuzz", size && (data[0] & 1), 42) != 0)
    abort();
  last_tx[0] = 0;
  last_tag = -1;
  pl_time_us now = PL_SEC(1);
  pl_janus_core_start(&core, now);
  drain(now);
  char *buf = malloc(size * 24 + 64);
  if (!buf)
    abort();
  size_t i = 0;
  while (i < size) {
    const uint8_t *c = data + i;
    size_t n = strnlen((const char *)c, size - i);
    i += n + 1;
    if (!n)
      continue;
    uint8_t op = c[0];
    c++, n--;
    now += PL_MS(op & 0x0f) * 300;
    walk_json((const char *)c, n);
    switch (op >> 4) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6:
      pl_janus_core_input(&core, now, last_tag, buf, expand(c, n, buf));
      break;
    case 7: case 8: case 9: case 10: case 11:
      pl_janus_core_input(&core, now, -1, buf, expand(c, n, buf));
      break;
    case 12:
      pl_janus_core_http_failed(&core, now, (op & 1) ? -1 : last_tag, PL_EIO,
                                (op & 2) ? 404 : (op & 4) ? 500 : 0);
      break;
    case 13:
      now = pl_janus_core_deadline(&core);
      if (now == PL_TIME_NEVER)
        now = PL_SEC(1000000);
      pl_janus_core_timeout(&core, now);
      break;
    case 14:
      pl_janus_core_leave(&core, now);
      break;
    default:
      pl_janus_core_input(&core, now, (int)(op & 0x3f) - 1, buf, expand(c, n, buf));
      break;
    }
    drain(now);
  }
  free(buf);
  pl_janus_core_free(&core);
  return 0;
}
