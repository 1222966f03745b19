/* WHIP request handling (RFC 9725) without sockets: POST, PATCH (trickle,
 * ICE restart, ETag), DELETE, OPTIONS/CORS, GET /, and the error answers,
 * on a sans-IO engine. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/whip.h"
#include "parley.h"

typedef struct fixture {
  pl_engine *engine;
  pl_whip_server *s;
  pl_call *calls[4];
  int n_calls, ended;
  bool busy;
} fixture;

static pl_call *on_offer(void *user) {
  fixture *f = user;
  if (f->busy || f->n_calls == 4)
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

static void on_end(void *user, pl_call *call) {
  (void)call;
  ((fixture *)user)->ended++;
}

static fixture *fx;

static void setup(void) {
  fx = calloc(1, sizeof *fx);
  cr_assert_eq(pl_engine_new(&fx->engine, NULL), 0);
  fx->s = malloc(sizeof *fx->s);
  cr_assert_eq(pl_whip_core_init(fx->s, fx->engine, on_offer, on_end, fx), 0);
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
  pl_whip_handle(fx->s, m, &r);
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

Test(whip, post_offer_gives_201_location_etag_and_a_webrtc_answer) {
  pl_http_response r = post();
  cr_assert_eq(r.status, 201);
  cr_assert_str_eq(r.location, "/whip/1");
  cr_assert_str_eq(r.content_type, "application/sdp");
  cr_assert_not_null(strstr(r.headers, "ETag: \"1-1\"\r\n"));
  char answer[16384];
  snprintf(answer, sizeof answer, "%.*s", (int)r.body_len, r.body);
  cr_assert_not_null(strstr(answer, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
  cr_assert_not_null(strstr(answer, "a=setup:active\r\n"));
  cr_assert_not_null(strstr(answer, "a=candidate:"));
  cr_assert_not_null(strstr(answer, " 192.0.2.10 5000 typ host"));
  cr_assert_eq(fx->n_calls, 1);
  r = handle(req("POST", "/whip?x=1", "application/sdp", chromium_offer()));
  cr_assert_eq(r.status, 201);
  cr_assert_str_eq(r.location, "/whip/2", "a second session beside the first");
}

Test(whip, wrong_requests_get_the_rfc_status_codes) {
  cr_assert_eq(handle(req("POST", "/whip", "text/plain", "v=0")).status, 415);
  cr_assert_eq(handle(req("POST", "/whip", NULL, chromium_offer())).status, 415);
  cr_assert_eq(handle(req("GET", "/whip", NULL, NULL)).status, 405);
  cr_assert_eq(handle(req("PUT", "/elsewhere", NULL, NULL)).status, 404);
  cr_assert_eq(handle(req("GET", "/", NULL, NULL)).status, 404, "no page set");
  cr_assert_eq(handle(req("DELETE", "/whip/7", NULL, NULL)).status, 404);
  /* Not SDP at all, then SDP with nothing we can take: the offer's fault. */
  cr_assert_eq(handle(req("POST", "/whip", "application/sdp", "hello")).status, 400);
  cr_assert_eq(fx->ended, 1, "the app got its call back");
  fx->busy = true;
  cr_assert_eq(post().status, 503);
}

Test(whip, patch_trickles_candidates_and_end_of_candidates) {
  cr_assert_eq(post().status, 201);
  pl_call *c = fx->calls[0];
  pl_http_msg *m = req("PATCH", "/whip/1", FRAG,
                       "a=ice-ufrag:J8/4\r\na=ice-pwd:A97FIEHMqcDEm4IyqdpYUEYh\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                       "a=candidate:1 1 udp 2122260223 192.0.2.7 40000 typ host\r\n"
                       "a=candidate:2 1 udp 2122260223 198.51.100.3 40002 typ host\r\n"
                       "a=end-of-candidates\r\n");
  pl_http_response r = handle(m);
  /* Everything of ours went out in the answer already: 204. */
  cr_assert_eq(r.status, 204, "%d %.*s", r.status, (int)r.body_len, r.body);
  cr_assert_not_null(strstr(r.headers, "ETag: \"1-1\""));
  pl_call_stats st;
  pl_call_get_stats(c, &st);
  cr_assert_eq(st.remote_candidates, 2);
  /* Fragment without credentials (RFC 8840 allows it) and bad lines. */
  r = handle(req("PATCH", "/whip/1", FRAG, "a=candidate:zz\r\n"));
  cr_assert_eq(r.status, 400);
  r = handle(req("PATCH", "/whip/1", "application/sdp", "a=end-of-candidates\r\n"));
  cr_assert_eq(r.status, 415);
  r = handle(req("PATCH", "/whip/2", FRAG, "a=end-of-candidates\r\n"));
  cr_assert_eq(r.status, 404);
  m = req("PATCH", "/whip/1", FRAG, "a=end-of-candidates\r\n");
  add_header(m, "If-Match", "\"1-7\"");
  cr_assert_eq(handle(m).status, 412);
  m = req("PATCH", "/whip/1", FRAG, "a=end-of-candidates\r\n");
  add_header(m, "If-Match", "\"1-1\"");
  cr_assert_eq(handle(m).status, 204);
}

Test(whip, patch_with_new_credentials_restarts_ice_and_answers_ours) {
  cr_assert_eq(post().status, 201);
  pl_call *c = fx->calls[0];
  char old_ufrag[64];
  snprintf(old_ufrag, sizeof old_ufrag, "%s", c->wrtc->ufrag);
  pl_http_msg *m = req("PATCH", "/whip/1", FRAG,
                       "a=ice-ufrag:NEWU\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                       "a=candidate:1 1 udp 2122260223 192.0.2.7 40000 typ host\r\n");
  add_header(m, "If-Match", "*");
  pl_http_response r = handle(m);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.content_type, FRAG);
  cr_assert_not_null(strstr(r.headers, "ETag: \"1-2\""), "a restart is a new ETag");
  char body[4096];
  snprintf(body, sizeof body, "%.*s", (int)r.body_len, r.body);
  cr_assert_null(strstr(body, old_ufrag));
  char want[128];
  snprintf(want, sizeof want, "a=ice-ufrag:%s\r\n", c->wrtc->ufrag);
  cr_assert_not_null(strstr(body, want));
  cr_assert_not_null(strstr(body, "a=candidate:"), "our candidates, announced again");
  cr_assert_str_eq(c->wrtc->remote_ufrag, "NEWU");
}

Test(whip, options_answers_cors_preflight_and_delete_ends_the_session) {
  pl_http_response r = handle(req("OPTIONS", "/whip", NULL, NULL));
  cr_assert_eq(r.status, 204);
  cr_assert_not_null(strstr(r.headers, "Access-Control-Allow-Methods: GET, POST, PATCH, DELETE"));
  cr_assert_not_null(strstr(r.headers, "Access-Control-Allow-Headers: Content-Type, If-Match"));
  cr_assert_not_null(strstr(r.headers, "Accept-Post: application/sdp"));
  cr_assert_eq(post().status, 201);
  r = handle(req("OPTIONS", "/whip/1", NULL, NULL));
  cr_assert_eq(r.status, 204);
  cr_assert_null(strstr(r.headers, "Accept-Post"));
  cr_assert_eq(handle(req("GET", "/whip/1", NULL, NULL)).status, 405);
  cr_assert_eq(handle(req("DELETE", "/whip/1", NULL, NULL)).status, 200);
  cr_assert_eq(fx->ended, 1);
  cr_assert_eq(atomic_load(&fx->calls[0]->state), PL_CALL_CLOSED);
  cr_assert_eq(handle(req("DELETE", "/whip/1", NULL, NULL)).status, 404);
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
