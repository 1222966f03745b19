/* Janus VideoRoom signaling without sockets: a scripted Janus answers the
 * core's requests as Janus 1.1.2 does (the shapes were taken from a real
 * janus 1.1.2 over curl), and the tests check the requests it sends, the
 * events it gives the app, and what it does with bad input: malformed
 * JSON, a reply to a transaction never sent, a feed that leaves mid-call,
 * a Janus that restarted (458, or the long poll's empty 404). Also the
 * JSON reader the core parses with. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/janus/janus.h"
#include "engine/janus/json.h"
#include "parley.h"

/* ---- JSON ------------------------------------------------------------------ */

static pl_json_tok toks[256];

Test(json, reads_janus_event_with_64_bit_ids_and_escapes) {
  const char *s = "{\"janus\":\"event\",\"session_id\":2227177096218709,"
                  "\"plugindata\":{\"data\":{\"publishers\":[{\"id\":18446744073709551615,"
                  "\"display\":\"caf\\u00e9 \\ud83d\\ude00\\n\"}]}}}";
  pl_json j;
  cr_assert_gt(pl_json_parse(&j, toks, 256, s, strlen(s)), 0);
  uint64_t v;
  cr_assert_eq(pl_json_u64(&j, pl_json_get(&j, 0, "session_id"), &v), 0);
  cr_assert_eq(v, 2227177096218709ull);
  int pubs = pl_json_get(&j, pl_json_get(&j, pl_json_get(&j, 0, "plugindata"), "data"), "publishers");
  int p0 = pl_json_at(&j, pubs, 0);
  cr_assert_eq(pl_json_at(&j, pubs, 1), -1);
  cr_assert_eq(pl_json_u64(&j, pl_json_get(&j, p0, "id"), &v), 0);
  cr_assert_eq(v, UINT64_MAX);
  char buf[64];
  cr_assert_eq(pl_json_str(&j, pl_json_get(&j, p0, "display"), buf, sizeof buf), 11);
  cr_assert_str_eq(buf, "caf\xc3\xa9 \xf0\x9f\x98\x80\n");
  cr_assert(pl_json_str_is(&j, pl_json_get(&j, 0, "janus"), "event"));
  cr_assert_eq(pl_json_get(&j, 0, "nope"), -1);
}

Test(json, refuses_what_rfc8259_does_not_allow) {
  const char *bad[] = {"", "{", "{\"a\":1,}", "[1,]", "01", "1.", "-", "1e", "\"\\x\"",
                       "\"a", "\"\x01\"", "{\"a\" 1}", "tru", "[1] 2", "{1:2}", "nul",
                       "\"\\u12\"", "[\"\\ud800\"]x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pl_json j;
    cr_expect_eq(pl_json_parse(&j, toks, 256, bad[i], strlen(bad[i])), PL_EPARSE, "%s", bad[i]);
  }
  /* A lone surrogate parses as a token but does not decode. */
  pl_json j;
  cr_assert_eq(pl_json_parse(&j, toks, 256, "\"\\udc00\"", 8), 1);
  char buf[16];
  cr_assert_eq(pl_json_str(&j, 0, buf, sizeof buf), PL_EPARSE);
  cr_assert_eq(pl_json_parse(&j, toks, 256, "\"a\\u0000b\"", 10), 1);
  cr_assert_eq(pl_json_str(&j, 0, buf, sizeof buf), PL_EPARSE); /* NUL inside a C string */
}

Test(json, bounds_depth_tokens_and_integers) {
  char deep[80];
  memset(deep, '[', 33);
  memset(deep + 33, ']', 33);
  pl_json j;
  cr_assert_eq(pl_json_parse(&j, toks, 256, deep, 66), PL_EPARSE);
  cr_assert_eq(pl_json_parse(&j, toks, 256, deep + 1, 64), 32); /* 32 deep is fine */
  cr_assert_eq(pl_json_parse(&j, toks, 3, "[1,2,3]", 7), PL_EFULL);
  uint64_t v;
  int64_t i;
  const char *nums = "[18446744073709551616,-1,1.5,-9223372036854775808]";
  cr_assert_eq(pl_json_parse(&j, toks, 256, nums, strlen(nums)), 5);
  cr_assert_eq(pl_json_u64(&j, 1, &v), PL_ERANGE);
  cr_assert_eq(pl_json_u64(&j, 2, &v), PL_ERANGE);
  cr_assert_eq(pl_json_i64(&j, 2, &i), 0);
  cr_assert_eq(i, -1);
  cr_assert_eq(pl_json_u64(&j, 3, &v), PL_ERANGE);
  cr_assert_eq(pl_json_i64(&j, 4, &i), 0);
  cr_assert_eq(i, INT64_MIN);
}

Test(json, escape_round_trips_an_sdp) {
  const char *sdp = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\na=x:\"q\"\\\t\x01\r\n";
  char out[256], back[256];
  int n = pl_json_escape(out, sizeof out, sdp);
  cr_assert_gt(n, 0);
  cr_assert_null(strchr(out, '\r'));
  pl_json j;
  cr_assert_eq(pl_json_parse(&j, toks, 256, out, (size_t)n), 1);
  cr_assert_eq(pl_json_str(&j, 0, back, sizeof back), (int)strlen(sdp));
  cr_assert_str_eq(back, sdp);
  cr_assert_eq(pl_json_escape(out, 8, sdp), PL_EFULL);
}

/* ---- the core against a scripted Janus -------------------------------------- */

#define SESSION 2227177096218709ull
#define HANDLE 3686660764890561ull
#define MY_ID 1045658685693586ull
#define FEED_A 8152611963691915ull
#define FEED_B 5756722490064080ull
#define SUB_A 111ull
#define SUB_B 222ull

typedef struct sent {
  pl_janus_request rq;
  char body[8192];
  char tx[48];
  char janus[24];
} sent;

static pl_janus_core *core;
static pl_time_us now;
static sent out[64];
static int n_out;
static pl_janus_event evs[64];
static char ev_sdp[64][256];
static int n_ev;

static void setup(void) {
  core = calloc(1, sizeof *core);
  cr_assert_eq(pl_janus_core_init(core, "/janus", 1234, "ana", false, 7), 0);
  now = PL_SEC(10);
  n_out = n_ev = 0;
}

static void teardown(void) {
  pl_janus_core_free(core);
  free(core);
}

/* Drains the core into out[] and evs[]. */
static void drain(void) {
  pl_janus_request rq;
  while (pl_janus_core_poll_request(core, &rq)) {
    cr_assert_lt(n_out, 64);
    sent *s = &out[n_out++];
    s->rq = rq;
    s->body[0] = s->tx[0] = s->janus[0] = 0;
    if (!rq.get) {
      cr_assert_lt(rq.body_len, sizeof s->body);
      memcpy(s->body, rq.body, rq.body_len);
      s->body[rq.body_len] = 0;
      pl_json j;
      cr_assert_gt(pl_json_parse(&j, toks, 256, s->body, rq.body_len), 0, "%s", s->body);
      pl_json_str(&j, pl_json_get(&j, 0, "transaction"), s->tx, sizeof s->tx);
      pl_json_str(&j, pl_json_get(&j, 0, "janus"), s->janus, sizeof s->janus);
    }
  }
  pl_janus_event e;
  while (pl_janus_core_poll_event(core, &e)) {
    cr_assert_lt(n_ev, 64);
    evs[n_ev] = e;
    snprintf(ev_sdp[n_ev], sizeof ev_sdp[0], "%s", e.sdp ? e.sdp : "");
    n_ev++;
  }
}

/* The last POST whose body contains `what`. */
static sent *find_sent(const char *what) {
  for (int i = n_out - 1; i >= 0; i--)
    if (!out[i].rq.get && strstr(out[i].body, what))
      return &out[i];
  return NULL;
}

static int count_ev(pl_janus_event_type t) {
  int k = 0;
  for (int i = 0; i < n_ev; i++)
    k += evs[i].type == t;
  return k;
}

static const pl_janus_event *last_ev(pl_janus_event_type t) {
  for (int i = n_ev - 1; i >= 0; i--)
    if (evs[i].type == t)
      return &evs[i];
  return NULL;
}

static void feed(int tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void feed(int tag, const char *fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  pl_janus_core_input(core, now, tag, buf, strlen(buf));
  drain();
}

/* Up to our offer: create, attach, join; A is already publishing. */
static void join_room(void) {
  cr_assert_eq(pl_janus_core_start(core, now), 0);
  drain();
  sent *s = find_sent("\"create\"");
  cr_assert_not_null(s);
  cr_assert_str_eq(s->rq.path, "/janus");
  feed(s->rq.tag, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":%llu}}", s->tx,
       SESSION);
  s = find_sent("\"attach\"");
  cr_assert_not_null(s);
  cr_assert_str_eq(s->rq.path, "/janus/2227177096218709");
  cr_assert(strstr(s->body, "\"plugin\":\"janus.plugin.videoroom\""));
  feed(s->rq.tag, "{\"janus\":\"success\",\"session_id\":%llu,\"transaction\":\"%s\",\"data\":{\"id\":%llu}}",
       SESSION, s->tx, HANDLE);
  s = find_sent("\"ptype\":\"publisher\"");
  cr_assert_not_null(s);
  cr_assert_str_eq(s->rq.path, "/janus/2227177096218709/3686660764890561");
  cr_assert(strstr(s->body, "\"room\":1234"), "%s", s->body);
  cr_assert(strstr(s->body, "\"display\":\"ana\""), "%s", s->body);
  /* A long poll is open from the moment there is a session. */
  bool poll = false;
  for (int i = 0; i < n_out; i++)
    if (out[i].rq.get && strstr(out[i].rq.path, "/janus/2227177096218709?maxev="))
      poll = true;
  cr_assert(poll);
  feed(s->rq.tag, "{\"janus\":\"ack\",\"session_id\":%llu,\"transaction\":\"%s\"}", SESSION, s->tx);
  feed(-1, "[{\"janus\":\"event\",\"session_id\":%llu,\"transaction\":\"%s\",\"sender\":%llu,"
           "\"plugindata\":{\"plugin\":\"janus.plugin.videoroom\",\"data\":{\"videoroom\":\"joined\","
           "\"room\":1234,\"id\":%llu,\"private_id\":2659971773,\"publishers\":[{\"id\":%llu,"
           "\"display\":\"bo\",\"audio_codec\":\"opus\"},{\"id\":%llu,\"display\":\"me again\"}]}}}]",
       SESSION, s->tx, HANDLE, MY_ID, FEED_A, MY_ID);
  cr_assert_eq(count_ev(PL_JANUS_EV_NEED_OFFER), 1);
  cr_assert_eq(count_ev(PL_JANUS_EV_FEED), 1); /* our own id is no feed */
  cr_assert_eq(last_ev(PL_JANUS_EV_FEED)->feed, FEED_A);
  cr_assert_str_eq(last_ev(PL_JANUS_EV_FEED)->display, "bo");
}

static void publish(void) {
  cr_assert_eq(pl_janus_core_publish(core, now, "v=0\r\na=x\r\n"), 0);
  drain();
  sent *s = find_sent("\"configure\"");
  cr_assert_not_null(s);
  cr_assert(strstr(s->body, "\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\na=x\\r\\n\"}"), "%s",
            s->body);
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"transaction\":\"%s\",\"sender\":%llu,"
           "\"plugindata\":{\"data\":{\"videoroom\":\"event\",\"configured\":\"ok\"}},"
           "\"jsep\":{\"type\":\"answer\",\"sdp\":\"v=0\\r\\nanswer\\r\\n\"}}",
       SESSION, s->tx, HANDLE);
  /* Janus sent the event on the long poll before the POST's ack came back:
   * the late ack is no stranger. */
  feed(s->rq.tag, "{\"janus\":\"ack\",\"session_id\":%llu,\"transaction\":\"%s\"}", SESSION, s->tx);
  cr_assert_eq(count_ev(PL_JANUS_EV_ERROR), 0);
  cr_assert_eq(core->count.late, 1);
  const pl_janus_event *e = last_ev(PL_JANUS_EV_PUBLISHED);
  cr_assert_not_null(e);
  cr_assert_str_eq(ev_sdp[e - evs], "v=0\r\nanswer\r\n");
}

/* Feed A: attach, join as subscriber, Janus's offer, our answer, started. */
static void subscribe(uint64_t feed_id, uint64_t sub) {
  char want[64];
  sent *s = find_sent("\"attach\"");
  cr_assert_not_null(s);
  feed(s->rq.tag, "{\"janus\":\"success\",\"session_id\":%llu,\"transaction\":\"%s\",\"data\":{\"id\":%llu}}",
       SESSION, s->tx, (unsigned long long)sub);
  snprintf(want, sizeof want, "\"streams\":[{\"feed\":%llu}]", (unsigned long long)feed_id);
  s = find_sent(want);
  cr_assert_not_null(s, "%s", want);
  cr_assert(strstr(s->body, "\"ptype\":\"subscriber\""));
  cr_assert(strstr(s->body, "\"private_id\":2659971773"), "%s", s->body);
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"transaction\":\"%s\",\"sender\":%llu,"
           "\"plugindata\":{\"data\":{\"videoroom\":\"attached\",\"room\":1234}},"
           "\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\noffer %llu\\r\\n\"}}",
       SESSION, s->tx, (unsigned long long)sub, (unsigned long long)feed_id);
  const pl_janus_event *e = last_ev(PL_JANUS_EV_FEED_OFFER);
  cr_assert_not_null(e);
  cr_assert_eq(e->feed, feed_id);
  char sdp[64];
  snprintf(sdp, sizeof sdp, "v=0\r\noffer %llu\r\n", (unsigned long long)feed_id);
  cr_assert_str_eq(ev_sdp[e - evs], sdp);
  cr_assert_eq(pl_janus_core_answer(core, now, feed_id, "v=0\r\nmine\r\n"), 0);
  drain();
  s = find_sent("\"start\"");
  cr_assert_not_null(s);
  char path[96];
  snprintf(path, sizeof path, "/janus/%llu/%llu", SESSION, (unsigned long long)sub);
  cr_assert_str_eq(s->rq.path, path);
  cr_assert(strstr(s->body, "\"type\":\"answer\""));
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"transaction\":\"%s\",\"sender\":%llu,"
           "\"plugindata\":{\"data\":{\"videoroom\":\"event\",\"started\":\"ok\"}}}",
       SESSION, s->tx, (unsigned long long)sub);
  cr_assert_eq(last_ev(PL_JANUS_EV_FEED_STARTED)->feed, feed_id);
}

TestSuite(janus, .init = setup, .fini = teardown);

Test(janus, joins_publishes_and_subscribes_to_each_publisher) {
  join_room();
  publish();
  subscribe(FEED_A, SUB_A);
  /* B arrives later, announced on the publisher's handle. */
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"sender\":%llu,\"plugindata\":{\"data\":"
           "{\"videoroom\":\"event\",\"room\":1234,\"publishers\":[{\"id\":%llu,\"display\":\"cy\"}]}}}",
       SESSION, HANDLE, FEED_B);
  cr_assert_eq(last_ev(PL_JANUS_EV_FEED)->feed, FEED_B);
  subscribe(FEED_B, SUB_B);
  cr_assert_eq(count_ev(PL_JANUS_EV_FEED_STARTED), 2);
  cr_assert_eq(count_ev(PL_JANUS_EV_ERROR), 0);
  cr_assert_eq(count_ev(PL_JANUS_EV_FAILED), 0);
  cr_assert_eq(core->state, PL_JANUS_JOINED);
}

Test(janus, feed_that_leaves_mid_call_is_dropped_and_detached) {
  join_room();
  publish();
  subscribe(FEED_A, SUB_A);
  int before = n_out;
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"sender\":%llu,\"plugindata\":{\"data\":"
           "{\"videoroom\":\"event\",\"room\":1234,\"unpublished\":%llu}}}",
       SESSION, HANDLE, FEED_A);
  const pl_janus_event *e = last_ev(PL_JANUS_EV_FEED_GONE);
  cr_assert_not_null(e);
  cr_assert_eq(e->feed, FEED_A);
  cr_assert_str_eq(e->detail, "unpublished");
  int detach = -1;
  for (int i = before; i < n_out; i++)
    if (!out[i].rq.get) {
      cr_assert_eq(detach, -1, "one request besides the long poll");
      detach = i;
    }
  cr_assert_geq(detach, 0);
  cr_assert_str_eq(out[detach].janus, "detach");
  cr_assert_str_eq(out[detach].rq.path, "/janus/2227177096218709/111");
  /* Its "leaving" right after and the subscriber's hangup change nothing. */
  feed(-1, "[{\"janus\":\"event\",\"session_id\":%llu,\"sender\":%llu,\"plugindata\":{\"data\":"
           "{\"videoroom\":\"event\",\"leaving\":%llu}}},{\"janus\":\"hangup\",\"session_id\":%llu,"
           "\"sender\":%llu,\"reason\":\"Close PC\"}]",
       SESSION, HANDLE, FEED_A, SESSION, SUB_A);
  cr_assert_eq(count_ev(PL_JANUS_EV_FEED_GONE), 1);
  cr_assert_eq(count_ev(PL_JANUS_EV_ERROR), 0);
}

Test(janus, feed_leaving_before_its_offer_is_answered_refuses_the_late_answer) {
  join_room();
  sent *s = find_sent("\"attach\"");
  feed(s->rq.tag, "{\"janus\":\"success\",\"session_id\":%llu,\"transaction\":\"%s\",\"data\":{\"id\":%llu}}",
       SESSION, s->tx, SUB_A);
  s = find_sent("\"ptype\":\"subscriber\"");
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"transaction\":\"%s\",\"sender\":%llu,"
           "\"plugindata\":{\"data\":{\"videoroom\":\"attached\"}},"
           "\"jsep\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}",
       SESSION, s->tx, SUB_A);
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"sender\":%llu,\"plugindata\":{\"data\":"
           "{\"videoroom\":\"event\",\"leaving\":%llu}}}",
       SESSION, HANDLE, FEED_A);
  cr_assert_eq(last_ev(PL_JANUS_EV_FEED_GONE)->feed, FEED_A);
  cr_assert_eq(pl_janus_core_answer(core, now, FEED_A, "v=0\r\n"), PL_ESTATE);
}

Test(janus, malformed_json_and_strangers_replies_are_reported_not_trusted) {
  join_room();
  publish();
  int errors = count_ev(PL_JANUS_EV_ERROR);
  feed(-1, "{\"janus\":\"event\",");
  cr_assert_eq(count_ev(PL_JANUS_EV_ERROR), errors + 1);
  cr_assert_eq(last_ev(PL_JANUS_EV_ERROR)->error, PL_EPARSE);
  cr_assert_eq(core->count.malformed, 1);
  /* A success for a transaction we never sent. */
  feed(-1, "{\"janus\":\"success\",\"session_id\":%llu,\"transaction\":\"%s-9999\",\"data\":{\"id\":5}}",
       SESSION, core->tx_prefix);
  feed(-1, "{\"janus\":\"ack\",\"transaction\":\"guess\"}");
  cr_assert_eq(core->count.unknown_tx, 2);
  cr_assert_eq(count_ev(PL_JANUS_EV_ERROR), errors + 3);
  /* No kind, no object, another session's event, an event for a handle we
   * never had: counted, nothing else. */
  feed(-1, "[{\"transaction\":1},42,{\"janus\":\"event\",\"session_id\":1,\"sender\":%llu,"
           "\"plugindata\":{\"data\":{\"videoroom\":\"destroyed\"}}},{\"janus\":\"event\","
           "\"session_id\":%llu,\"sender\":999,\"plugindata\":{\"data\":{\"unpublished\":1}}}]",
       HANDLE, SESSION);
  cr_assert_eq(core->count.malformed, 3);
  cr_assert_eq(core->state, PL_JANUS_JOINED);
  cr_assert_eq(count_ev(PL_JANUS_EV_FAILED), 0);
  /* A subscriber offer that is no offer drops that feed only. */
  sent *s = find_sent("\"attach\"");
  feed(s->rq.tag, "{\"janus\":\"success\",\"session_id\":%llu,\"transaction\":\"%s\",\"data\":{\"id\":%llu}}",
       SESSION, s->tx, SUB_A);
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"sender\":%llu,\"plugindata\":{\"data\":{}},"
           "\"jsep\":{\"type\":\"answer\",\"sdp\":7}}",
       SESSION, SUB_A);
  cr_assert_eq(last_ev(PL_JANUS_EV_FEED_GONE)->error, PL_EPARSE);
  cr_assert_eq(core->state, PL_JANUS_JOINED);
}

Test(janus, keepalive_every_25_s_and_restart_458_ends_the_session) {
  join_room();
  publish();
  pl_time_us d = pl_janus_core_deadline(core);
  cr_assert_leq(d, now + PL_MS(PL_JANUS_KEEPALIVE_MS));
  cr_assert_lt(PL_JANUS_KEEPALIVE_MS, 60000);
  now += PL_MS(PL_JANUS_KEEPALIVE_MS);
  pl_janus_core_timeout(core, now);
  drain();
  sent *s = find_sent("\"keepalive\"");
  cr_assert_not_null(s);
  cr_assert_str_eq(s->rq.path, "/janus/2227177096218709");
  feed(s->rq.tag, "{\"janus\":\"ack\",\"session_id\":%llu,\"transaction\":\"%s\"}", SESSION, s->tx);
  cr_assert_eq(pl_janus_core_deadline(core), now + PL_MS(PL_JANUS_KEEPALIVE_MS));
  /* Janus restarted: the next keepalive meets a server without our session. */
  now += PL_MS(PL_JANUS_KEEPALIVE_MS);
  pl_janus_core_timeout(core, now);
  drain();
  s = find_sent("\"keepalive\"");
  feed(s->rq.tag, "{\"janus\":\"error\",\"session_id\":%llu,\"transaction\":\"%s\",\"error\":"
                  "{\"code\":458,\"reason\":\"No such session %llu\"}}",
       SESSION, s->tx, SESSION);
  const pl_janus_event *e = last_ev(PL_JANUS_EV_FAILED);
  cr_assert_not_null(e);
  cr_assert_eq(e->code, 458);
  cr_assert_eq(e->error, PL_ECLOSED);
  cr_assert_eq(core->state, PL_JANUS_FAILED);
  /* Over: no more requests, no more timers, later input ignored. */
  int before = n_out;
  feed(-1, "{\"janus\":\"event\"}");
  cr_assert_eq(n_out, before);
  cr_assert_eq(pl_janus_core_deadline(core), PL_TIME_NEVER);
}

Test(janus, long_poll_404_after_a_restart_ends_the_session) {
  join_room();
  int poll_tag = -1;
  for (int i = 0; i < n_out; i++)
    if (out[i].rq.get)
      poll_tag = out[i].rq.tag;
  pl_janus_core_http_failed(core, now, poll_tag, 0, 404);
  drain();
  cr_assert_eq(last_ev(PL_JANUS_EV_FAILED)->code, 458);
}

Test(janus, long_poll_retries_then_gives_up_on_a_dead_server) {
  join_room();
  for (int k = 0; k < PL_JANUS_POLL_FAILS; k++) {
    cr_assert_eq(count_ev(PL_JANUS_EV_FAILED), 0);
    int before = n_out;
    pl_janus_core_http_failed(core, now, -1, PL_ECLOSED, 0);
    drain();
    if (k + 1 == PL_JANUS_POLL_FAILS)
      break;
    cr_assert_eq(n_out, before, "no retry before the pause");
    now = pl_janus_core_deadline(core);
    pl_janus_core_timeout(core, now);
    drain();
    cr_assert(out[n_out - 1].rq.get, "the long poll is asked again");
  }
  cr_assert_eq(last_ev(PL_JANUS_EV_FAILED)->error, PL_ECLOSED);
}

Test(janus, long_poll_answered_at_once_with_nothing_is_paced) {
  join_room();
  publish();
  int polls = 0;
  n_out = 0;
  for (int k = 0; k < 20; k++) {
    feed(-1, k % 2 ? "[]" : "{\"janus\":\"keepalive\"}");
    for (int i = 0; i < n_out; i++)
      polls += out[i].rq.get;
    n_out = 0;
    now += PL_MS(10);
    pl_janus_core_timeout(core, now);
    drain();
  }
  cr_assert_eq(polls, 0, "no poll before the pause is over");
  cr_assert_leq(pl_janus_core_deadline(core), now + PL_MS(PL_JANUS_POLL_RETRY_MS));
  now = pl_janus_core_deadline(core);
  pl_janus_core_timeout(core, now);
  drain();
  cr_assert(n_out >= 1 && out[n_out - 1].rq.get, "then it polls again");
  /* A poll that waited its 30 s for a keepalive goes again at once. */
  now += PL_SEC(30);
  feed(-1, "{\"janus\":\"keepalive\"}");
  cr_assert(out[n_out - 1].rq.get);
}

Test(janus, unanswered_create_times_out) {
  cr_assert_eq(pl_janus_core_start(core, now), 0);
  drain();
  cr_assert_eq(pl_janus_core_deadline(core), now + PL_MS(PL_JANUS_TX_TIMEOUT_MS));
  now += PL_MS(PL_JANUS_TX_TIMEOUT_MS);
  pl_janus_core_timeout(core, now);
  drain();
  cr_assert_eq(last_ev(PL_JANUS_EV_FAILED)->error, PL_ETIMEDOUT);
}

Test(janus, leave_then_destroy_then_closed) {
  join_room();
  publish();
  subscribe(FEED_A, SUB_A);
  pl_janus_core_leave(core, now);
  drain();
  sent *s = find_sent("\"leave\"");
  cr_assert_not_null(s);
  cr_assert_str_eq(s->rq.path, "/janus/2227177096218709/3686660764890561");
  cr_assert_null(find_sent("\"destroy\""));
  feed(s->rq.tag, "{\"janus\":\"ack\",\"session_id\":%llu,\"transaction\":\"%s\"}", SESSION, s->tx);
  s = find_sent("\"destroy\"");
  cr_assert_not_null(s);
  cr_assert_str_eq(s->rq.path, "/janus/2227177096218709");
  feed(s->rq.tag, "{\"janus\":\"success\",\"session_id\":%llu,\"transaction\":\"%s\"}", SESSION, s->tx);
  cr_assert_eq(count_ev(PL_JANUS_EV_CLOSED), 1);
  cr_assert_eq(last_ev(PL_JANUS_EV_CLOSED)->error, 0);
  cr_assert_eq(core->state, PL_JANUS_CLOSED);
  pl_janus_request rq;
  cr_assert_not(pl_janus_core_poll_request(core, &rq), "no long poll after the end");
}

Test(janus, leave_answered_on_the_long_poll_before_its_ack_still_destroys) {
  join_room();
  publish();
  pl_janus_core_leave(core, now);
  drain();
  sent *s = find_sent("\"leave\"");
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"transaction\":\"%s\",\"sender\":%llu,"
           "\"plugindata\":{\"data\":{\"videoroom\":\"event\",\"leaving\":\"ok\"}}}",
       SESSION, s->tx, HANDLE);
  feed(s->rq.tag, "{\"janus\":\"ack\",\"session_id\":%llu,\"transaction\":\"%s\"}", SESSION, s->tx);
  int destroys = 0;
  for (int i = 0; i < n_out; i++)
    destroys += !strcmp(out[i].janus, "destroy");
  cr_assert_eq(destroys, 1);
  s = find_sent("\"destroy\"");
  feed(s->rq.tag, "{\"janus\":\"success\",\"session_id\":%llu,\"transaction\":\"%s\"}", SESSION, s->tx);
  cr_assert_eq(count_ev(PL_JANUS_EV_CLOSED), 1);
}

Test(janus, late_candidates_trickle_on_the_handle_that_sent_the_sdp) {
  join_room();
  cr_assert_eq(pl_janus_core_trickle(core, now, 0, "0", "a=candidate:1 1 udp 1 192.0.2.1 5000 typ host\r\n"),
               PL_ESTATE, "nothing to trickle for before our offer went");
  publish();
  cr_assert_eq(pl_janus_core_trickle(core, now, 0, "0",
                                     "a=candidate:2 1 udp 1686052607 203.0.113.7 40000 typ srflx "
                                     "raddr 10.0.0.2 rport 5000\r\n"), 0);
  drain();
  sent *s = find_sent("\"trickle\"");
  cr_assert_not_null(s);
  cr_assert_str_eq(s->rq.path, "/janus/2227177096218709/3686660764890561");
  cr_assert(strstr(s->body, "\"candidate\":{\"candidate\":\"candidate:2 1 udp 1686052607 203.0.113.7 "
                            "40000 typ srflx raddr 10.0.0.2 rport 5000\",\"sdpMid\":\"0\","
                            "\"sdpMLineIndex\":0}"), "%s", s->body);
  feed(s->rq.tag, "{\"janus\":\"ack\",\"session_id\":%llu,\"transaction\":\"%s\"}", SESSION, s->tx);
  subscribe(FEED_A, SUB_A);
  cr_assert_eq(pl_janus_core_trickle(core, now, FEED_A, "a", NULL), 0);
  drain();
  s = find_sent("\"completed\":true");
  cr_assert_not_null(s);
  cr_assert_str_eq(s->rq.path, "/janus/2227177096218709/111");
  cr_assert_eq(pl_janus_core_trickle(core, now, 0, "0", "candidate\"}]"), PL_EINVAL);
  cr_assert_eq(pl_janus_core_trickle(core, now, FEED_B, "0", NULL), PL_ESTATE);
  cr_assert_eq(count_ev(PL_JANUS_EV_ERROR), 0);
}

Test(janus, videoroom_error_on_join_fails_with_its_code) {
  cr_assert_eq(pl_janus_core_start(core, now), 0);
  drain();
  sent *s = find_sent("\"create\"");
  feed(s->rq.tag, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":%llu}}", s->tx, SESSION);
  s = find_sent("\"attach\"");
  feed(s->rq.tag, "{\"janus\":\"success\",\"transaction\":\"%s\",\"data\":{\"id\":%llu}}", s->tx, HANDLE);
  s = find_sent("\"join\"");
  feed(-1, "{\"janus\":\"event\",\"session_id\":%llu,\"transaction\":\"%s\",\"sender\":%llu,"
           "\"plugindata\":{\"data\":{\"videoroom\":\"event\",\"error_code\":426,"
           "\"error\":\"No such room (1234)\"}}}",
       SESSION, s->tx, HANDLE);
  const pl_janus_event *e = last_ev(PL_JANUS_EV_FAILED);
  cr_assert_not_null(e);
  cr_assert(strstr(e->detail, "426"), "%s", e->detail);
  cr_assert(strstr(e->detail, "No such room"), "%s", e->detail);
}

Test(janus, init_refuses_bad_paths_and_rooms) {
  pl_janus_core c;
  cr_assert_eq(pl_janus_core_init(&c, "janus", 1, NULL, false, 1), PL_EINVAL);
  cr_assert_eq(pl_janus_core_init(&c, "/janus?x", 1, NULL, false, 1), PL_EINVAL);
  cr_assert_eq(pl_janus_core_init(&c, "/janus", 0, NULL, false, 1), PL_EINVAL);
  cr_assert_eq(pl_janus_core_init(&c, "/janus/", 5, NULL, false, 1), 0);
  cr_assert_str_eq(c.base, "/janus");
}
