/* HTTP signaling: the sans-IO reader on split, oversized and malformed input,
 * and a real server/client round trip on loopback through libuv. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/http/http.h"
#include "parley.h"

Test(http_reader, request_split_at_every_byte_gives_same_message) {
  const char *req = "POST /whip HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    "application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n";
  size_t n = strlen(req);
  for (size_t cut = 1; cut < n; cut++) {
    pl_http_reader r;
    pl_http_reader_init(&r, true);
    cr_assert_eq(pl_http_reader_feed(&r, req, cut), cut == n ? 1 : 0);
    cr_assert_eq(pl_http_reader_feed(&r, req + cut, n - cut), 1);
    cr_assert_str_eq(r.msg.method, "POST");
    cr_assert_str_eq(r.msg.url, "/whip");
    cr_assert_str_eq(pl_http_msg_header(&r.msg, "content-type"), "application/sdp");
    cr_assert_eq(r.msg.body_len, 5);
    cr_assert_str_eq(r.msg.body, "v=0\r\n");
    pl_http_reader_free(&r);
  }
}

Test(http_reader, garbage_is_a_parse_error) {
  pl_http_reader r;
  pl_http_reader_init(&r, true);
  cr_assert_eq(pl_http_reader_feed(&r, "\x01\x02 nonsense\r\n\r\n", 15), PL_EPARSE);
  pl_http_reader_free(&r);
}

Test(http_reader, oversized_body_is_refused_not_buffered) {
  char hdr[128];
  snprintf(hdr, sizeof hdr, "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
           PL_HTTP_MAX_BODY + 10);
  pl_http_reader r;
  pl_http_reader_init(&r, true);
  cr_assert_eq(pl_http_reader_feed(&r, hdr, strlen(hdr)), 0);
  static char chunk[PL_HTTP_MAX_BODY + 10];
  memset(chunk, 'a', sizeof chunk);
  cr_assert_eq(pl_http_reader_feed(&r, chunk, sizeof chunk), PL_EFULL);
  pl_http_reader_free(&r);
}

Test(http_reader, too_many_headers_refused) {
  char buf[4096] = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < PL_HTTP_MAX_HEADERS + 2; i++) {
    char h[32];
    snprintf(h, sizeof h, "X-%d: y\r\n", i);
    strcat(buf, h);
  }
  strcat(buf, "\r\n");
  pl_http_reader r;
  pl_http_reader_init(&r, true);
  cr_assert_eq(pl_http_reader_feed(&r, buf, strlen(buf)), PL_EFULL);
  pl_http_reader_free(&r);
}

typedef struct {
  int status;
  char location[64];
  char body[64];
  int done;
} result;

static void handler(void *user, const pl_http_msg *req, pl_http_response *resp) {
  (void)user;
  if (strcmp(req->method, "POST") || strcmp(req->url, "/whip")) {
    resp->status = 404;
    return;
  }
  static char answer[128];
  snprintf(answer, sizeof answer, "answer to %s", req->body);
  resp->status = 201;
  snprintf(resp->location, sizeof resp->location, "/whip/1");
  snprintf(resp->content_type, sizeof resp->content_type, "application/sdp");
  resp->body = answer;
  resp->body_len = strlen(answer);
}

static void on_done(void *user, int err, const pl_http_msg *resp) {
  result *r = user;
  r->done = 1;
  cr_assert_eq(err, 0, "%s", pl_strerror(err));
  r->status = resp->status;
  snprintf(r->location, sizeof r->location, "%s",
           pl_http_msg_header(resp, "Location"));
  snprintf(r->body, sizeof r->body, "%s", resp->body ? resp->body : "");
}

Test(http, post_round_trip_on_loopback) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  pl_http_server *s;
  cr_assert_eq(pl_http_server_new(&s, &loop, "127.0.0.1:0", handler, NULL), 0);
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", pl_http_server_port(s));
  result res = {0};
  cr_assert_eq(pl_http_request(&loop, addr, "POST", "/whip", "application/sdp",
                               "offer", 5, on_done, &res), 0);
  while (!res.done)
    uv_run(&loop, UV_RUN_ONCE);
  cr_assert_eq(res.status, 201);
  cr_assert_str_eq(res.location, "/whip/1");
  cr_assert_str_eq(res.body, "answer to offer");
  pl_http_server_free(s);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0);
}

Test(http, second_server_on_same_port_is_addr_in_use) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  pl_http_server *a, *b;
  cr_assert_eq(pl_http_server_new(&a, &loop, "127.0.0.1:0", handler, NULL), 0);
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", pl_http_server_port(a));
  cr_assert_eq(pl_http_server_new(&b, &loop, addr, handler, NULL), PL_EADDRINUSE);
  pl_http_server_free(a);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0);
}

static void on_refused(void *user, int err, const pl_http_msg *resp) {
  (void)resp;
  *(int *)user = err;
}

Test(http, connection_refused_reports_error) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int err = 1;
  cr_assert_eq(pl_http_request(&loop, "127.0.0.1:1", "POST", "/whip", NULL, "x",
                               1, on_refused, &err), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(err, PL_ECLOSED);
  cr_assert_eq(uv_loop_close(&loop), 0);
}
