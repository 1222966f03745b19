/* WHIP request handling (RFC 9725) without sockets: POST, PATCH (trickle,
 * ICE restart, ETag), DELETE, OPTIONS/CORS, GET /, and the error answers,
 * on a sans-IO engine; and what a stranger on the network must not be able
 * to do: end the service with a bad offer, guess a session, call without
 * the token, call from a foreign page, or hold the slot forever. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "engine/call/call.h"
#include "engine/whip.h"
#include "parley.h"

typedef struct fixture {
  pl_engine *engine;
  pl_whip_server *s;
  pl_call *calls[8];
  int n_calls, ended;
  pl_whip_end_reason why[8]; /* reasons, in order */
  bool busy;
  pl_time_us now;
  char loc[256]; /* the last 201's Location */
} fixture;

static pl_call *on_offer(void *user) {
  fixture *f = user;
  if (f->busy || f->n_calls == 8)
    return NULL;
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = cfg.advertise = "192.0.2.10:5000";
  cfg.seed = 9;
  pl_call *c;
  cr_assert_eq(pl_call_new(&c, f->engine, &cfg), 0);
  f->calls[f->n_calls++] = c;
  return c;
}

static void on_end(void *user, pl_call *call, pl_whip_end_reason why) {
  (void)call;
  fixture *f = user;
  if (f->ended < 8)
    f->why[f->ended] = why;
  f->ended++;
}

static fixture *fx;

static void setup(void) {
  fx = calloc(1, sizeof *fx);
  cr_assert_eq(pl_engine_new(&fx->engine, NULL), 0);
  fx->s = malloc(sizeof *fx->s);
  cr_assert_eq(pl_whip_core_init(fx->s, fx->engine, NULL, on_offer, on_end, fx), 0);
  fx->now = PL_SEC(100);
}

static void reinit(const pl_whip_options *o) {
  cr_assert_eq(pl_whip_core_init(fx->s, fx->engine, o, on_offer, on_end, fx), 0);
}

static void teardown(void) {
  for (int i = 0; i < fx->n_calls; i++)
    pl_call_free(fx->calls[i]);
  free(fx->s);
  pl_engine_free(fx->engine);
  free(fx);
}

static char body_buf[65536];

static pl_http_msg *req(const char *method, const char *url, const char *ctype, const char *body) {
  static pl_http_msg m;
  memset(&m, 0, sizeof m);
  snprintf(m.method, sizeof m.method, "%s", method);
  snprintf(m.url, sizeof m.url, "%s", url);
  if (ctype) {
    snprintf(m.headers[0].name, sizeof m.headers[0].name, "Content-Type");
    snprintf(m.headers[0].value, sizeof m.headers[0].value, "%s", ctype);
    m.n_headers = 1;
  }
  if (body) {
    snprintf(body_buf, sizeof body_buf, "%s", body);
    m.body = body_buf;
    m.body_len = strlen(body_buf);
  }
  return &m;
}

static void add_header(pl_http_msg *m, const char *name, const char *value) {
  snprintf(m->headers[m->n_headers].name, sizeof m->headers[0].name, "%s", name);
  snprintf(m->headers[m->n_headers].value, sizeof m->headers[0].value, "%s", value);
  m->n_headers++;
}

static pl_http_response handle(pl_http_msg *m) {
  pl_http_response r;
  memset(&r, 0, sizeof r);
  r.status = 500;
  pl_whip_handle(fx->s, fx->now, m, &r);
  if (r.status == 201)
    snprintf(fx->loc, sizeof fx->loc, "%s", r.location);
  return r;
}

static char *chromium_offer(void) {
  static char buf[65536];
  FILE *f = fopen(PL_FIXTURES "/sdp/chromium_audio.sdp", "rb");
  cr_assert_not_null(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

static pl_http_response post(void) {
  return handle(req("POST", "/whip", "application/sdp", chromium_offer()));
}

#define FRAG "application/trickle-ice-sdpfrag"

TestSuite(whip, .init = setup, .fini = teardown);

static bool is_session_url(const char *loc) {
  if (strncmp(loc, "/whip/", 6) != 0 || strlen(loc) != 6 + PL_WHIP_ID_HEX)
    return false;
  for (const char *p = loc + 6; *p; p++)
    if (!strchr("0123456789abcdef", *p))
      return false;
  return true;
}

Test(whip, post_offer_gives_201_an_unguessable_location_etag_and_a_webrtc_answer) {
  pl_http_response r = post();
  cr_assert_eq(r.status, 201);
  cr_assert(is_session_url(r.location), "128 random bits in hex: %s", r.location);
  cr_assert_str_eq(r.content_type, "application/sdp");
  cr_assert_not_null(strstr(r.headers, "ETag: \"1\"\r\n"));
  cr_assert_null(strstr(r.headers, "Access-Control-Allow-Origin"), "no CORS for non-browsers");
  char answer[16384];
  snprintf(answer, sizeof answer, "%.*s", (int)r.body_len, r.body);
  /* Opus, and RED (RFC 2198) carrying it, as the Chromium offer has them. */
  cr_assert_not_null(strstr(answer, "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\n"));
  cr_assert_not_null(strstr(answer, "a=setup:active\r\n"));
  cr_assert_not_null(strstr(answer, "a=candidate:"));
  cr_assert_not_null(strstr(answer, " 192.0.2.10 5000 typ host"));
  cr_assert_eq(fx->n_calls, 1);
  char first[256];
  snprintf(first, sizeof first, "%s", fx->loc);
  r = handle(req("POST", "/whip?x=1", "application/sdp", chromium_offer()));
  cr_assert_eq(r.status, 201);
  cr_assert(is_session_url(r.location));
  cr_assert_str_neq(r.location, first, "a second session beside the first");
}

Test(whip, wrong_requests_get_the_rfc_status_codes) {
  cr_assert_eq(handle(req("POST", "/whip", "text/plain", "v=0")).status, 415);
  cr_assert_eq(handle(req("POST", "/whip", NULL, chromium_offer())).status, 415);
  cr_assert_eq(handle(req("GET", "/whip", NULL, NULL)).status, 405);
  cr_assert_eq(handle(req("PUT", "/elsewhere", NULL, NULL)).status, 404);
  cr_assert_eq(handle(req("GET", "/", NULL, NULL)).status, 404, "no page set");
  cr_assert_eq(handle(req("DELETE", "/whip/7", NULL, NULL)).status, 404);
  cr_assert_eq(fx->n_calls, 0, "nothing above reached the app");
  cr_assert_eq(handle(req("POST", "/whip", "application/sdp", "hello")).status, 400);
  cr_assert_eq(fx->ended, 1, "the app got its call back");
  cr_assert_eq(fx->why[0], PL_WHIP_END_REFUSED, "refused, not ended: the listener goes on");
  fx->busy = true;
  pl_http_response r = post();
  cr_assert_eq(r.status, 503);
  cr_assert_not_null(strstr(r.headers, "Retry-After: 5\r\n"));
}

/* Issue 13, 1: each of these once made `parley call --listen` exit. */
Test(whip, bad_offers_are_refused_one_by_one_and_a_good_one_still_connects) {
  static char corrupt[65536], with_nul[65536];
  snprintf(corrupt, sizeof corrupt, "%s", chromium_offer());
  for (size_t i = 0; i < strlen(corrupt); i += 37)
    corrupt[i] = (char)(corrupt[i] ^ 0x5a);
  const char *bodies[] = {"hello", "", "{\"type\":\"offer\",\"sdp\":\"v=0\"}", corrupt,
                          "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"};
  int want_ended = 0;
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    pl_http_response r = handle(req("POST", "/whip", "application/sdp", bodies[i]));
    cr_assert(r.status >= 400 && r.status < 500, "body %zu: %d", i, r.status);
    cr_assert_gt(r.body_len, 0, "says what is wrong");
    if (i != 1) /* an empty body never reaches the app */
      want_ended++;
  }
  /* A NUL inside an otherwise good offer. */
  size_t n = strlen(chromium_offer());
  memcpy(with_nul, chromium_offer(), n);
  with_nul[n / 2] = 0;
  pl_http_msg *m = req("POST", "/whip", "application/sdp", "x");
  memcpy(body_buf, with_nul, n);
  m->body_len = n;
  cr_assert_eq(handle(m).status, 400);
  cr_assert_eq(fx->ended, want_ended);
  for (int i = 0; i < fx->ended; i++)
    cr_assert_eq(fx->why[i], PL_WHIP_END_REFUSED);
  cr_assert_eq(post().status, 201, "the service is still there");
}

Test(whip, guessed_session_urls_are_404_and_touch_nothing) {
  cr_assert_eq(post().status, 201);
  char guess[256];
  snprintf(guess, sizeof guess, "%s", fx->loc);
  guess[strlen(guess) - 1] = guess[strlen(guess) - 1] == '0' ? '1' : '0';
  const char *urls[] = {"/whip/1", "/whip/0", "/whip/", guess, "/whip/../whip"};
  for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
    cr_assert_eq(handle(req("DELETE", urls[i], NULL, NULL)).status, 404, "%s", urls[i]);
    cr_assert_eq(handle(req("PATCH", urls[i], FRAG,
                            "a=ice-ufrag:EVIL\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"))
                     .status,
                 404, "%s", urls[i]);
  }
  cr_assert_eq(fx->ended, 0);
  cr_assert_neq(atomic_load(&fx->calls[0]->state), PL_CALL_CLOSED);
  cr_assert_str_neq(fx->calls[0]->wrtc->remote_ufrag, "EVIL");
}

Test(whip, with_a_token_post_patch_and_delete_need_it) {
  pl_whip_options o;
  pl_whip_options_init(&o);
  o.token = "s3cret-T0ken";
  reinit(&o);
  pl_http_response r = post();
  cr_assert_eq(r.status, 401);
  cr_assert_not_null(strstr(r.headers, "WWW-Authenticate: Bearer"));
  pl_http_msg *m = req("POST", "/whip", "application/sdp", chromium_offer());
  add_header(m, "Authorization", "Bearer s3cret-T0kem");
  cr_assert_eq(handle(m).status, 401, "one byte off");
  m = req("POST", "/whip", "application/sdp", chromium_offer());
  add_header(m, "Authorization", "Bearer s3cret-T0ken-and-more");
  cr_assert_eq(handle(m).status, 401, "a longer token");
  cr_assert_eq(fx->n_calls, 0);
  m = req("POST", "/whip", "application/sdp", chromium_offer());
  add_header(m, "Authorization", "Bearer s3cret-T0ken");
  cr_assert_eq(handle(m).status, 201);
  char loc[256];
  snprintf(loc, sizeof loc, "%s", fx->loc);
  cr_assert_eq(handle(req("PATCH", loc, FRAG, "a=end-of-candidates\r\n")).status, 401);
  cr_assert_eq(handle(req("DELETE", loc, NULL, NULL)).status, 401);
  cr_assert_eq(fx->ended, 0, "the session URL alone is not enough");
  m = req("PATCH", loc, FRAG, "a=end-of-candidates\r\n");
  add_header(m, "Authorization", "bearer s3cret-T0ken");
  cr_assert_eq(handle(m).status, 204, "the scheme is case-insensitive");
  m = req("DELETE", loc, NULL, NULL);
  add_header(m, "Authorization", "Bearer s3cret-T0ken");
  cr_assert_eq(handle(m).status, 200);
  cr_assert_eq(fx->why[0], PL_WHIP_END_DELETED);
  /* A token that would break the header line is refused up front. */
  o.token = "two words";
  cr_assert_eq(pl_whip_core_init(fx->s, fx->engine, &o, on_offer, on_end, fx), PL_EINVAL);
}

static pl_http_msg *from_origin(pl_http_msg *m, const char *origin) {
  add_header(m, "Host", "127.0.0.1:8000");
  add_header(m, "Origin", origin);
  return m;
}

Test(whip, a_page_on_another_origin_may_not_call_unless_allowed) {
  pl_http_response r = handle(from_origin(req("OPTIONS", "/whip", NULL, NULL), "http://evil.example"));
  cr_assert_eq(r.status, 403);
  cr_assert_null(strstr(r.headers, "Access-Control-Allow-Origin"));
  r = handle(from_origin(req("POST", "/whip", "application/sdp", chromium_offer()),
                         "http://evil.example"));
  cr_assert_eq(r.status, 403);
  cr_assert_eq(fx->n_calls, 0);
  r = handle(from_origin(req("POST", "/whip", "application/sdp", chromium_offer()), "null"));
  cr_assert_eq(r.status, 403, "a file:// page or sandboxed frame");
  /* The listener's own page (same host and port). */
  r = handle(from_origin(req("POST", "/whip", "application/sdp", chromium_offer()),
                         "http://127.0.0.1:8000"));
  cr_assert_eq(r.status, 201);
  cr_assert_null(strstr(r.headers, "Access-Control-Allow-Origin"), "same origin needs none");
  r = handle(from_origin(req("DELETE", fx->loc, NULL, NULL), "http://127.0.0.1:8001"));
  cr_assert_eq(r.status, 403, "another port is another origin");
  cr_assert_eq(fx->ended, 0);
  /* Configured origins, and only those. */
  pl_whip_options o;
  pl_whip_options_init(&o);
  o.allow_origins = "https://app.example, https://b.example";
  reinit(&o);
  r = handle(from_origin(req("OPTIONS", "/whip", NULL, NULL), "https://b.example"));
  cr_assert_eq(r.status, 204);
  cr_assert_not_null(strstr(r.headers, "Access-Control-Allow-Origin: https://b.example\r\n"));
  cr_assert_not_null(strstr(r.headers, "Vary: Origin\r\n"));
  cr_assert_not_null(strstr(r.headers, "Access-Control-Allow-Methods: GET, POST, PATCH, DELETE"));
  cr_assert_not_null(strstr(r.headers, "Access-Control-Allow-Headers: Content-Type, If-Match, Authorization"));
  cr_assert_not_null(strstr(r.headers, "Accept-Post: application/sdp"));
  r = handle(from_origin(req("POST", "/whip", "application/sdp", chromium_offer()),
                         "https://app.example"));
  cr_assert_eq(r.status, 201);
  cr_assert_not_null(strstr(r.headers, "Access-Control-Expose-Headers: Location, ETag"));
  r = handle(from_origin(req("OPTIONS", "/whip", NULL, NULL), "https://app.example.evil"));
  cr_assert_eq(r.status, 403, "a prefix is not a match");
  o.allow_origins = "*";
  reinit(&o);
  r = handle(from_origin(req("OPTIONS", "/whip", NULL, NULL), "https://any.example"));
  cr_assert_eq(r.status, 204);
}

Test(whip, one_session_at_a_time_when_so_configured) {
  pl_whip_options o;
  pl_whip_options_init(&o);
  o.max_sessions = 1;
  reinit(&o);
  cr_assert_eq(post().status, 201);
  pl_http_response r = post();
  cr_assert_eq(r.status, 503);
  cr_assert_eq(fx->n_calls, 1, "the app was not even asked");
}

Test(whip, patch_trickles_candidates_and_end_of_candidates) {
  cr_assert_eq(post().status, 201);
  char loc[256];
  snprintf(loc, sizeof loc, "%s", fx->loc);
  pl_call *c = fx->calls[0];
  pl_http_msg *m = req("PATCH", loc, FRAG,
                       "a=ice-ufrag:J8/4\r\na=ice-pwd:A97FIEHMqcDEm4IyqdpYUEYh\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                       "a=candidate:1 1 udp 2122260223 192.0.2.7 40000 typ host\r\n"
                       "a=candidate:2 1 udp 2122260223 198.51.100.3 40002 typ host\r\n"
                       "a=end-of-candidates\r\n");
  pl_http_response r = handle(m);
  /* Everything of ours went out in the answer already: 204. */
  cr_assert_eq(r.status, 204, "%d %.*s", r.status, (int)r.body_len, r.body);
  cr_assert_not_null(strstr(r.headers, "ETag: \"1\""));
  pl_call_stats st;
  pl_call_get_stats(c, &st);
  cr_assert_eq(st.remote_candidates, 2);
  /* Fragment without credentials (RFC 8840 allows it) and bad lines. */
  r = handle(req("PATCH", loc, FRAG, "a=candidate:zz\r\n"));
  cr_assert_eq(r.status, 400);
  r = handle(req("PATCH", loc, "application/sdp", "a=end-of-candidates\r\n"));
  cr_assert_eq(r.status, 415);
  m = req("PATCH", loc, FRAG, "a=end-of-candidates\r\n");
  add_header(m, "If-Match", "\"7\"");
  cr_assert_eq(handle(m).status, 412);
  m = req("PATCH", loc, FRAG, "a=end-of-candidates\r\n");
  add_header(m, "If-Match", "\"1\"");
  cr_assert_eq(handle(m).status, 204);
}

/* Issue 13, 3: "a PATCH adding 32 candidates is taken". */
Test(whip, a_patch_adds_at_most_16_candidates_and_a_session_at_most_what_ice_keeps) {
  cr_assert_eq(post().status, 201);
  char loc[256];
  snprintf(loc, sizeof loc, "%s", fx->loc);
  static char frag[8192];
  int n = 0;
  for (int i = 0; i < 17; i++)
    n += snprintf(frag + n, sizeof frag - (size_t)n,
                  "a=candidate:%d 1 udp 2122260223 192.0.2.%d 40000 typ host\r\n", i, i + 1);
  cr_assert_eq(handle(req("PATCH", loc, FRAG, frag)).status, 400);
  pl_call_stats st;
  pl_call_get_stats(fx->calls[0], &st);
  cr_assert_eq(st.remote_candidates, 0, "nothing of a refused PATCH is taken");
  int taken = 0, refused = 0;
  for (int round = 0; round < 4; round++) {
    n = 0;
    for (int i = 0; i < 16; i++)
      n += snprintf(frag + n, sizeof frag - (size_t)n,
                    "a=candidate:%d 1 udp 2122260223 198.51.%d.%d 40000 typ host\r\n",
                    round * 16 + i, round, i + 1);
    int status = handle(req("PATCH", loc, FRAG, frag)).status;
    if (status == 204 || status == 200)
      taken++;
    else {
      refused++;
      cr_assert_eq(status, 400);
    }
  }
  pl_call_get_stats(fx->calls[0], &st);
  cr_assert_leq(st.remote_candidates, 32, "bounded: %d", st.remote_candidates);
  cr_assert_gt(refused, 0, "64 candidates are more than a session keeps");
  cr_assert_gt(taken, 0);
}

Test(whip, delete_ends_the_session_for_its_owner) {
  cr_assert_eq(post().status, 201);
  char loc[256];
  snprintf(loc, sizeof loc, "%s", fx->loc);
  pl_http_response r = handle(req("OPTIONS", loc, NULL, NULL));
  cr_assert_eq(r.status, 204);
  cr_assert_null(strstr(r.headers, "Accept-Post"));
  cr_assert_eq(handle(req("GET", loc, NULL, NULL)).status, 405);
  cr_assert_eq(handle(req("DELETE", loc, NULL, NULL)).status, 200);
  cr_assert_eq(fx->ended, 1);
  cr_assert_eq(fx->why[0], PL_WHIP_END_DELETED);
  cr_assert_eq(atomic_load(&fx->calls[0]->state), PL_CALL_CLOSED);
  cr_assert_eq(handle(req("DELETE", loc, NULL, NULL)).status, 404);
}

/* Issue 13, 2: an offer that never connects held the only slot forever. */
Test(whip, a_session_that_never_connects_is_reaped_30_s_after_the_post) {
  pl_whip_options o;
  pl_whip_options_init(&o);
  o.max_sessions = 1;
  reinit(&o);
  pl_time_us t0 = fx->now;
  cr_assert_eq(post().status, 201);
  for (pl_time_us t = t0; t < t0 + PL_SEC(30); t += PL_MS(500))
    pl_whip_tick(fx->s, t);
  cr_assert_eq(fx->ended, 0, "not before 30 s");
  cr_assert_eq(post().status, 503);
  pl_whip_tick(fx->s, t0 + PL_SEC(30));
  cr_assert_eq(fx->ended, 1);
  cr_assert_eq(fx->why[0], PL_WHIP_END_ABANDONED);
  cr_assert_eq(atomic_load(&fx->calls[0]->state), PL_CALL_CLOSED);
  fx->now = t0 + PL_SEC(31);
  cr_assert_eq(post().status, 201, "the slot is free again");
}

Test(whip, a_session_whose_call_ended_by_itself_frees_its_slot) {
  cr_assert_eq(post().status, 201);
  pl_call_hangup(fx->calls[0]);
  pl_whip_tick(fx->s, fx->now + PL_MS(500));
  cr_assert_eq(fx->ended, 1);
  cr_assert_eq(fx->why[0], PL_WHIP_END_CLOSED);
}

/* The caller sends ICE checks, then vanishes before ICE finds a path (only
 * its checks reach us; our answers are lost): reaped a few seconds after
 * its last check, long before the 30 s deadline. */
Test(whip, a_session_is_reaped_a_few_seconds_after_its_last_ice_check) {
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = cfg.advertise = "192.0.2.20:6000";
  cfg.transport = PL_TRANSPORT_WEBRTC;
  cfg.seed = 5;
  pl_call *caller;
  cr_assert_eq(pl_call_new(&caller, fx->engine, &cfg), 0);
  static char offer[16384];
  cr_assert_eq(pl_call_create_offer(caller, offer, sizeof offer), 0);
  pl_time_us t0 = fx->now;
  pl_http_response r = handle(req("POST", "/whip", "application/sdp", offer));
  cr_assert_eq(r.status, 201);
  static char answer[16384];
  snprintf(answer, sizeof answer, "%.*s", (int)r.body_len, r.body);
  cr_assert_eq(pl_call_accept_answer(caller, answer), 0);
  pl_call *callee = fx->calls[0];
  pl_addr from;
  cr_assert_eq(pl_addr_parse(&from, "192.0.2.20:6000"), 0);
  uint8_t buf[2048];
  int delivered = 0;
  pl_time_us t = t0;
  for (; t < t0 + PL_SEC(2); t += PL_MS(10)) {
    pl_call_timeout(caller, t);
    pl_call_timeout(callee, t);
    int n;
    while ((n = pl_call_poll_transmit(caller, buf, sizeof buf, NULL)) > 0)
      if (pl_call_input(callee, t, &from.ss, buf, (size_t)n) >= 0)
        delivered++;
    while (pl_call_poll_transmit(callee, buf, sizeof buf, NULL) > 0)
      ; /* lost */
    if ((t - t0) % PL_MS(500) == 0)
      pl_whip_tick(fx->s, t);
  }
  pl_call_stats st;
  pl_call_get_stats(callee, &st);
  cr_assert_gt(st.ice_checks_received, 0, "the caller's checks arrived (%d datagrams)", delivered);
  cr_assert_eq(fx->ended, 0);
  pl_time_us last = t; /* the caller goes silent now */
  for (; t < last + PL_SEC(4); t += PL_MS(500))
    pl_whip_tick(fx->s, t);
  cr_assert_eq(fx->ended, 0, "not within 4 s of the last check");
  for (; t <= last + PL_SEC(6); t += PL_MS(500))
    pl_whip_tick(fx->s, t);
  cr_assert_eq(fx->ended, 1, "reaped about 5 s after the last check");
  cr_assert_eq(fx->why[0], PL_WHIP_END_ABANDONED);
  cr_assert_lt(t - t0, PL_SEC(10));
  pl_call_free(caller);
}

Test(whip, patch_with_new_credentials_restarts_ice_and_answers_ours) {
  cr_assert_eq(post().status, 201);
  pl_call *c = fx->calls[0];
  char old_ufrag[64];
  snprintf(old_ufrag, sizeof old_ufrag, "%s", c->wrtc->ufrag);
  pl_http_msg *m = req("PATCH", fx->loc, FRAG,
                       "a=ice-ufrag:NEWU\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                       "a=candidate:1 1 udp 2122260223 192.0.2.7 40000 typ host\r\n");
  add_header(m, "If-Match", "*");
  pl_http_response r = handle(m);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.content_type, FRAG);
  cr_assert_not_null(strstr(r.headers, "ETag: \"2\""), "a restart is a new ETag");
  char body[4096];
  snprintf(body, sizeof body, "%.*s", (int)r.body_len, r.body);
  cr_assert_null(strstr(body, old_ufrag));
  char want[128];
  snprintf(want, sizeof want, "a=ice-ufrag:%s\r\n", c->wrtc->ufrag);
  cr_assert_not_null(strstr(body, want));
  cr_assert_not_null(strstr(body, "a=candidate:"), "our candidates, announced again");
  cr_assert_str_eq(c->wrtc->remote_ufrag, "NEWU");
}

Test(whip, get_root_serves_the_page) {
  static const char page[] = "<!doctype html><title>x</title>";
  fx->s->page = page;
  fx->s->page_len = sizeof page - 1;
  pl_http_response r = handle(req("GET", "/", NULL, NULL));
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.content_type, "text/html; charset=utf-8");
  cr_assert_eq(r.body_len, sizeof page - 1);
  cr_assert_eq(handle(req("GET", "/index.html?v=2", NULL, NULL)).status, 200);
  cr_assert_eq(handle(req("POST", "/", "text/html", "x")).status, 404);
}
