/* HTTP signaling: the sans-IO reader on split, oversized and malformed input,
 * a real server/client round trip on loopback through libuv, and the
 * server's limits against raw sockets that misbehave (slow, idle, too many,
 * too large, not reading), with small limits so each runs in well under a
 * second of wall time. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

Test(http_reader, oversized_content_length_is_refused_at_the_headers) {
  char hdr[128];
  snprintf(hdr, sizeof hdr, "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
           PL_HTTP_MAX_BODY + 1);
  pl_http_reader r;
  pl_http_reader_init(&r, true);
  /* No body byte sent yet: the promise alone is refused. */
  cr_assert_eq(pl_http_reader_feed(&r, hdr, strlen(hdr)), PL_EFULL);
  cr_assert_eq(r.limit, PL_HTTP_LIMIT_BODY);
  cr_assert_null(r.msg.body);
  pl_http_reader_free(&r);
}

Test(http_reader, body_of_exactly_max_is_taken_in_max_plus_one_bytes) {
  static char req[PL_HTTP_MAX_BODY + 128];
  int n = snprintf(req, sizeof req, "POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n",
                   PL_HTTP_MAX_BODY);
  memset(req + n, 'a', PL_HTTP_MAX_BODY);
  pl_http_reader r;
  pl_http_reader_init(&r, true);
  /* In 1000-byte pieces, so the buffer grows by doubling. */
  int rc = 0;
  for (size_t at = 0; at < (size_t)n + PL_HTTP_MAX_BODY && rc == 0; at += 1000) {
    size_t len = (size_t)n + PL_HTTP_MAX_BODY - at;
    rc = pl_http_reader_feed(&r, req + at, len < 1000 ? len : 1000);
  }
  cr_assert_eq(rc, 1);
  cr_assert_eq(r.msg.body_len, PL_HTTP_MAX_BODY);
  cr_assert_eq(r.body_cap, PL_HTTP_MAX_BODY + 1); /* not doubled to 128 KB */
  cr_assert_eq(r.msg.body[PL_HTTP_MAX_BODY], 0);
  pl_http_reader_free(&r);
}

Test(http_reader, lowered_max_body_refuses_one_byte_more) {
  const char *ok = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
  const char *big = "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n";
  pl_http_reader r;
  pl_http_reader_init(&r, true);
  r.max_body = 10;
  cr_assert_eq(pl_http_reader_feed(&r, ok, strlen(ok)), 1);
  pl_http_reader_free(&r);
  pl_http_reader_init(&r, true);
  r.max_body = 10;
  cr_assert_eq(pl_http_reader_feed(&r, big, strlen(big)), PL_EFULL);
  pl_http_reader_free(&r);
}

Test(http_reader, chunk_over_max_is_refused_when_its_size_is_announced) {
  /* 0x10001 = 65537: refused on the size line, before any chunk data. */
  const char *req = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n";
  pl_http_reader r;
  pl_http_reader_init(&r, true);
  cr_assert_eq(pl_http_reader_feed(&r, req, strlen(req)), PL_EFULL);
  cr_assert_eq(r.limit, PL_HTTP_LIMIT_BODY);
  cr_assert_null(r.msg.body);
  pl_http_reader_free(&r);
}

Test(http_reader, chunks_summing_over_max_are_refused) {
  const char *hdr = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  static char chunk[0x8000 + 16];
  int n = snprintf(chunk, sizeof chunk, "8000\r\n");
  memset(chunk + n, 'b', 0x8000);
  memcpy(chunk + n + 0x8000, "\r\n", 2);
  size_t clen = (size_t)n + 0x8000 + 2;
  pl_http_reader r;
  pl_http_reader_init(&r, true);
  cr_assert_eq(pl_http_reader_feed(&r, hdr, strlen(hdr)), 0);
  cr_assert_eq(pl_http_reader_feed(&r, chunk, clen), 0);
  cr_assert_eq(pl_http_reader_feed(&r, chunk, clen), 0); /* 64 KB: at the bound */
  cr_assert_eq(pl_http_reader_feed(&r, "1\r\n", 3), PL_EFULL);
  cr_assert_eq(r.msg.body_len, PL_HTTP_MAX_BODY);
  pl_http_reader_free(&r);
}

Test(http_reader, long_url_and_long_header_say_which_limit) {
  char buf[2048];
  memset(buf, 'u', sizeof buf);
  memcpy(buf, "GET /", 5);
  pl_http_reader r;
  pl_http_reader_init(&r, true);
  cr_assert_eq(pl_http_reader_feed(&r, buf, PL_HTTP_MAX_URL + 8), PL_EFULL);
  cr_assert_eq(r.limit, PL_HTTP_LIMIT_URL);
  pl_http_reader_free(&r);
  int n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nX-Long: ");
  memset(buf + n, 'v', PL_HTTP_MAX_HEADER_LEN);
  pl_http_reader_init(&r, true);
  cr_assert_eq(pl_http_reader_feed(&r, buf, (size_t)n + PL_HTTP_MAX_HEADER_LEN), PL_EFULL);
  cr_assert_eq(r.limit, PL_HTTP_LIMIT_HEADERS);
  pl_http_reader_free(&r);
}

Test(http_reader, nul_in_a_header_value_is_malformed_however_split) {
  /* Found by fuzz_http_response: http_parser checks the bytes of a value
   * but not its first, so a NUL there reached us and cut the C string: the
   * value read in two pieces differed from the same value read in one. */
  const char req[] = "GET / HTTP/1.1\r\nContent-Type: \0application/sdp\r\n\r\n";
  size_t n = sizeof req - 1;
  for (size_t cut = 1; cut < n; cut++) {
    pl_http_reader r;
    pl_http_reader_init(&r, true);
    int rc = pl_http_reader_feed(&r, req, cut);
    if (rc == 0)
      rc = pl_http_reader_feed(&r, req + cut, n - cut);
    cr_assert_eq(rc, PL_EPARSE, "cut at %zu: %d", cut, rc);
    pl_http_reader_free(&r);
  }
}

Test(http_reader, response_until_eof_is_bounded) {
  const char *hdr = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n";
  static char body[PL_HTTP_MAX_BODY + 1];
  memset(body, 'r', sizeof body);
  pl_http_reader r;
  pl_http_reader_init(&r, false);
  cr_assert_eq(pl_http_reader_feed(&r, hdr, strlen(hdr)), 0);
  cr_assert_eq(pl_http_reader_feed(&r, body, PL_HTTP_MAX_BODY), 0);
  cr_assert_eq(pl_http_reader_feed(&r, body, 1), PL_EFULL);
  cr_assert_eq(r.limit, PL_HTTP_LIMIT_BODY);
  pl_http_reader_free(&r);
  /* ... and complete at EOF when within the bound. */
  pl_http_reader_init(&r, false);
  cr_assert_eq(pl_http_reader_feed(&r, hdr, strlen(hdr)), 0);
  cr_assert_eq(pl_http_reader_feed(&r, "done", 4), 0);
  cr_assert_eq(pl_http_reader_eof(&r), 1);
  cr_assert_eq(r.msg.status, 200);
  cr_assert_str_eq(r.msg.body, "done");
  pl_http_reader_free(&r);
}

Test(http_reader, response_promising_10_mb_is_refused_at_the_headers) {
  const char *hdr = "HTTP/1.1 201 Created\r\nContent-Length: 10485760\r\n\r\nv=0";
  pl_http_reader r;
  pl_http_reader_init(&r, false);
  cr_assert_eq(pl_http_reader_feed(&r, hdr, strlen(hdr)), PL_EFULL);
  cr_assert_null(r.msg.body);
  pl_http_reader_free(&r);
}

Test(http_reader, reasons_for_the_limit_statuses) {
  cr_assert_str_eq(pl_http_reason(401), "Unauthorized");
  cr_assert_str_eq(pl_http_reason(403), "Forbidden");
  cr_assert_str_eq(pl_http_reason(408), "Request Timeout");
  cr_assert_str_eq(pl_http_reason(413), "Content Too Large");
  cr_assert_str_eq(pl_http_reason(414), "URI Too Long");
  cr_assert_str_eq(pl_http_reason(429), "Too Many Requests");
  cr_assert_str_eq(pl_http_reason(431), "Request Header Fields Too Large");
  cr_assert_str_eq(pl_http_reason(503), "Service Unavailable");
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

#define BIG_BODY (32u << 20) /* more than loopback's socket buffers hold */

static void handler(void *user, const pl_http_msg *req, pl_http_response *resp) {
  (void)user;
  if (strcmp(req->url, "/big") == 0) { /* for a client that does not read */
    static char *big;
    if (!big)
      big = calloc(1, BIG_BODY);
    resp->status = 200;
    resp->body = big;
    resp->body_len = BIG_BODY;
    return;
  }
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

/* ---- limits, against raw sockets ----------------------------------------- */

static uint64_t now_ms(void) { return uv_hrtime() / 1000000; }

/* Runs the loop for `ms` of wall time, as the raw sockets' other end. */
static void pump(uv_loop_t *loop, int ms) {
  uint64_t end = now_ms() + (uint64_t)ms;
  while (now_ms() < end) {
    uv_run(loop, UV_RUN_NOWAIT);
    usleep(1000);
  }
}

static int raw_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(fd, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  /* Blocking: the kernel completes it from the backlog, without the loop. */
  cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static void raw_send(int fd, const char *data, size_t len) {
  cr_assert_eq(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

typedef struct answer {
  char text[2048];
  size_t len;
  int status;        /* from the status line, 0 until one came */
  bool closed;       /* EOF or reset seen */
  uint64_t at_ms;    /* when the status line came, from t0 */
  uint64_t closed_ms;
} answer;

/* One non-blocking look at the socket; true once it is closed. */
static bool raw_poll(int fd, answer *a, uint64_t t0) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      size_t keep = sizeof a->text - 1 - a->len;
      memcpy(a->text + a->len, buf, (size_t)n < keep ? (size_t)n : keep);
      a->len += (size_t)n < keep ? (size_t)n : keep;
      a->text[a->len] = 0;
      if (!a->status && strstr(a->text, "\r\n")) {
        sscanf(a->text, "HTTP/1.1 %d", &a->status);
        a->at_ms = now_ms() - t0;
      }
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return false;
    a->closed = true; /* 0: EOF; ECONNRESET also ends it */
    a->closed_ms = now_ms() - t0;
    return true;
  }
}

/* Pumps the loop until the server closed the socket or `ms` passed. */
static void raw_wait_close(uv_loop_t *loop, int fd, answer *a, uint64_t t0, int ms) {
  uint64_t end = now_ms() + (uint64_t)ms;
  while (!raw_poll(fd, a, t0) && now_ms() < end) {
    uv_run(loop, UV_RUN_NOWAIT);
    usleep(1000);
  }
}

static const char WHIP_POST[] = "POST /whip HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                "application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n";

static pl_http_server *start(uv_loop_t *loop, const pl_http_limits *lim, int *port) {
  uv_loop_init(loop);
  pl_http_server *s;
  cr_assert_eq(pl_http_server_new_limited(&s, loop, "127.0.0.1:0", lim, handler, NULL), 0);
  *port = pl_http_server_port(s);
  return s;
}

/* A real client still gets its answer: the limits did not wedge the server. */
static void assert_still_answers(uv_loop_t *loop, int port) {
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  result res = {0};
  cr_assert_eq(pl_http_request_timeout(loop, addr, "POST", "/whip", "application/sdp",
                                       "offer", 5, 2000, on_done, &res), 0);
  while (!res.done)
    uv_run(loop, UV_RUN_ONCE);
  cr_assert_eq(res.status, 201);
}

static void stop(uv_loop_t *loop, pl_http_server *s) {
  pl_http_server_free(s);
  uv_run(loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(loop), 0, "a handle outlived the server");
}

static pl_http_limits small_limits(void) {
  pl_http_limits l;
  pl_http_limits_init(&l);
  l.linger_ms = 100;
  return l;
}

Test(http_limits, slow_loris_gets_408_at_the_header_deadline_and_is_closed) {
  pl_http_limits l = small_limits();
  l.header_timeout_ms = 600; /* a byte every 200 ms keeps it under idle... */
  l.idle_timeout_ms = 500;   /* ...but not under the header deadline */
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  int fd = raw_connect(port);
  uint64_t t0 = now_ms();
  answer a = {0};
  size_t sent = 0;
  while (!a.closed && now_ms() - t0 < 3000) {
    if (!a.status && sent < sizeof WHIP_POST - 1)
      send(fd, WHIP_POST + sent++, 1, MSG_NOSIGNAL);
    uint64_t next = now_ms() + 200;
    while (!a.closed && now_ms() < next) {
      uv_run(&loop, UV_RUN_NOWAIT);
      raw_poll(fd, &a, t0);
      usleep(1000);
    }
  }
  cr_assert_eq(a.status, 408, "%s", a.text);
  cr_assert(strstr(a.text, "headers not complete within 600 ms"), "%s", a.text);
  cr_assert_geq(a.at_ms, 600);
  cr_assert_lt(a.at_ms, 750, "408 came %llu ms after connect", (unsigned long long)a.at_ms);
  cr_assert(a.closed);
  cr_assert_lt(a.closed_ms, 600 + 100 + 150); /* deadline + linger + slack */
  cr_assert_lt(sent, 6); /* 1 byte per 200 ms: it never finished */
  close(fd);
  pl_http_server_stats st;
  pl_http_server_stats_get(s, &st);
  cr_assert_eq(st.timeouts, 1);
  cr_assert_eq(st.answered, 0);
  assert_still_answers(&loop, port);
  stop(&loop, s);
}

Test(http_limits, silent_client_gets_408_at_the_idle_deadline) {
  pl_http_limits l = small_limits();
  l.idle_timeout_ms = 200;
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  int fd = raw_connect(port);
  uint64_t t0 = now_ms();
  raw_send(fd, "POST /whip HT", 13);
  answer a = {0};
  raw_wait_close(&loop, fd, &a, t0, 2000);
  cr_assert_eq(a.status, 408, "%s", a.text);
  cr_assert(strstr(a.text, "no bytes for 200 ms"), "%s", a.text);
  cr_assert_geq(a.at_ms, 200);
  cr_assert_lt(a.at_ms, 350);
  cr_assert(a.closed);
  close(fd);
  stop(&loop, s);
}

Test(http_limits, body_that_stalls_gets_408_at_the_body_deadline) {
  pl_http_limits l = small_limits();
  l.header_timeout_ms = 100;
  l.body_timeout_ms = 300; /* from accept: the headers came in time */
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  int fd = raw_connect(port);
  uint64_t t0 = now_ms();
  raw_send(fd, WHIP_POST, sizeof WHIP_POST - 3); /* 2 body bytes short */
  answer a = {0};
  raw_wait_close(&loop, fd, &a, t0, 2000);
  cr_assert_eq(a.status, 408, "%s", a.text);
  cr_assert(strstr(a.text, "body not complete within 300 ms"), "%s", a.text);
  cr_assert_geq(a.at_ms, 300);
  cr_assert_lt(a.at_ms, 450);
  close(fd);
  stop(&loop, s);
}

Test(http_limits, connections_over_the_per_ip_cap_get_429_and_earlier_ones_work) {
  pl_http_limits l = small_limits();
  l.max_conns_per_ip = 2;
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  int a1 = raw_connect(port), a2 = raw_connect(port);
  pump(&loop, 20);
  int a3 = raw_connect(port);
  uint64_t t0 = now_ms();
  answer over = {0};
  raw_wait_close(&loop, a3, &over, t0, 1000);
  cr_assert_eq(over.status, 429, "%s", over.text);
  cr_assert(strstr(over.text, "Retry-After: 1\r\n"), "%s", over.text);
  cr_assert(strstr(over.text, "(limit 2)"), "%s", over.text);
  cr_assert_lt(over.at_ms, 100);
  cr_assert(over.closed);
  /* The first connection, held open all along, is still served. */
  raw_send(a1, WHIP_POST, sizeof WHIP_POST - 1);
  answer first = {0};
  raw_wait_close(&loop, a1, &first, t0, 1000);
  cr_assert_eq(first.status, 201, "%s", first.text);
  cr_assert(strstr(first.text, "answer to v=0"), "%s", first.text);
  pl_http_server_stats st;
  pl_http_server_stats_get(s, &st);
  cr_assert_eq(st.over_ip, 1);
  cr_assert_eq(st.open, 1); /* a2 */
  close(a1), close(a2), close(a3);
  assert_still_answers(&loop, port);
  stop(&loop, s);
}

Test(http_limits, connections_over_the_cap_get_503_with_retry_after) {
  pl_http_limits l = small_limits();
  l.max_conns = 2;
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  int a1 = raw_connect(port), a2 = raw_connect(port);
  pump(&loop, 20);
  int a3 = raw_connect(port);
  uint64_t t0 = now_ms();
  answer over = {0};
  raw_wait_close(&loop, a3, &over, t0, 1000);
  cr_assert_eq(over.status, 503, "%s", over.text);
  cr_assert(strstr(over.text, "Retry-After: 1\r\n"), "%s", over.text);
  cr_assert_lt(over.at_ms, 100);
  cr_assert(over.closed);
  pl_http_server_stats st;
  pl_http_server_stats_get(s, &st);
  cr_assert_eq(st.over_cap, 1);
  cr_assert_eq(st.open, 2);
  /* One of the two leaves: its slot is free again. */
  close(a1);
  pump(&loop, 20);
  pl_http_server_stats_get(s, &st);
  cr_assert_eq(st.open, 1);
  assert_still_answers(&loop, port);
  close(a2), close(a3);
  stop(&loop, s);
}

Test(http_limits, content_length_of_10_mb_gets_413_before_any_body_is_read) {
  pl_http_limits l; /* the defaults: every timeout is seconds away */
  pl_http_limits_init(&l);
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  int fd = raw_connect(port);
  uint64_t t0 = now_ms();
  char req[256];
  int n = snprintf(req, sizeof req, "POST /whip HTTP/1.1\r\nHost: x\r\n"
                                    "Content-Length: 10485760\r\n\r\n");
  memset(req + n, 'x', 100);
  raw_send(fd, req, (size_t)n + 100);
  answer a = {0};
  while (!a.status && now_ms() - t0 < 3000) {
    uv_run(&loop, UV_RUN_NOWAIT);
    raw_poll(fd, &a, t0);
    usleep(1000);
  }
  cr_assert_eq(a.status, 413, "%s", a.text);
  cr_assert(strstr(a.text, "request body over 65536 bytes"), "%s", a.text);
  cr_assert_lt(a.at_ms, 100, "413 came after %llu ms", (unsigned long long)a.at_ms);
  /* The server shut its side: EOF follows the answer. */
  raw_wait_close(&loop, fd, &a, t0, 1000);
  cr_assert(a.closed);
  close(fd);
  pl_http_server_stats st;
  pl_http_server_stats_get(s, &st);
  cr_assert_eq(st.too_large, 1);
  cr_assert_eq(st.timeouts, 0);
  assert_still_answers(&loop, port);
  stop(&loop, s);
}

Test(http_limits, oversized_chunk_gets_413) {
  pl_http_limits l = small_limits();
  l.max_body = 1000;
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  int fd = raw_connect(port);
  uint64_t t0 = now_ms();
  const char req[] = "POST /whip HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n";
  raw_send(fd, req, sizeof req - 1); /* 0x3e9 = 1001 */
  answer a = {0};
  raw_wait_close(&loop, fd, &a, t0, 1000);
  cr_assert_eq(a.status, 413, "%s", a.text);
  cr_assert(strstr(a.text, "over 1000 bytes"), "%s", a.text);
  close(fd);
  stop(&loop, s);
}

Test(http_limits, long_url_gets_414_and_many_headers_431) {
  pl_http_limits l = small_limits();
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  char req[4096];
  memset(req, 'u', 600);
  memcpy(req, "GET /", 5);
  int fd = raw_connect(port);
  uint64_t t0 = now_ms();
  raw_send(fd, req, 600);
  answer a = {0};
  raw_wait_close(&loop, fd, &a, t0, 1000);
  cr_assert_eq(a.status, 414, "%s", a.text);
  close(fd);
  int n = snprintf(req, sizeof req, "GET / HTTP/1.1\r\n");
  for (int i = 0; i <= PL_HTTP_MAX_HEADERS; i++)
    n += snprintf(req + n, sizeof req - (size_t)n, "X-%d: y\r\n", i);
  fd = raw_connect(port);
  raw_send(fd, req, (size_t)n);
  answer b = {0};
  raw_wait_close(&loop, fd, &b, t0, 1000);
  cr_assert_eq(b.status, 431, "%s", b.text);
  close(fd);
  stop(&loop, s);
}

Test(http_limits, answer_the_client_does_not_read_is_closed_at_the_write_deadline) {
  pl_http_limits l = small_limits();
  l.write_timeout_ms = 200;
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  int fd = raw_connect(port);
  const char req[] = "GET /big HTTP/1.1\r\n\r\n";
  raw_send(fd, req, sizeof req - 1);
  pump(&loop, 100);
  pl_http_server_stats st;
  pl_http_server_stats_get(s, &st);
  cr_assert_eq(st.open, 1); /* 32 MB do not fit the socket buffers */
  cr_assert_eq(st.write_timeouts, 0);
  pump(&loop, 200);
  pl_http_server_stats_get(s, &st);
  cr_assert_eq(st.write_timeouts, 1);
  cr_assert_eq(st.open, 0);
  close(fd);
  assert_still_answers(&loop, port);
  stop(&loop, s);
}

Test(http_limits, freeing_the_server_mid_read_write_and_linger_is_clean) {
  pl_http_limits l = small_limits();
  l.max_conns = 2;
  l.linger_ms = 10000;
  uv_loop_t loop;
  int port;
  pl_http_server *s = start(&loop, &l, &port);
  int lingering = raw_connect(port);
  raw_send(lingering, "\x01\x02\r\n\r\n", 6); /* 400, then drained */
  pump(&loop, 50);
  int reading = raw_connect(port);
  raw_send(reading, "POST /whip HT", 13);
  int writing = raw_connect(port);
  raw_send(writing, "GET /big HTTP/1.1\r\n\r\n", 21);
  pump(&loop, 50);
  int rejected = raw_connect(port); /* 503, then drained */
  pump(&loop, 50);
  pl_http_server_stats st;
  pl_http_server_stats_get(s, &st);
  cr_assert_eq(st.open, 2);
  cr_assert_eq(st.lingering, 2);
  cr_assert_eq(st.malformed, 1);
  cr_assert_eq(st.over_cap, 1);
  /* Timer armed, a 32 MB write and two shutdowns pending: stop() checks
   * that every handle closes; valgrind/ASan that nothing leaks. */
  stop(&loop, s);
  close(reading), close(writing), close(lingering), close(rejected);
}

Test(http_limits, invalid_limits_are_refused) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  pl_http_limits l;
  pl_http_limits_init(&l);
  l.max_body = PL_HTTP_MAX_BODY + 1;
  pl_http_server *s;
  cr_assert_eq(pl_http_server_new_limited(&s, &loop, "127.0.0.1:0", &l, handler, NULL),
               PL_EINVAL);
  pl_http_limits_init(&l);
  l.idle_timeout_ms = 0;
  cr_assert_eq(pl_http_server_new_limited(&s, &loop, "127.0.0.1:0", &l, handler, NULL),
               PL_EINVAL);
  cr_assert_eq(uv_loop_close(&loop), 0);
}

/* ---- client bounds ----------------------------------------------------------- */

static void on_err(void *user, int err, const pl_http_msg *resp) {
  (void)resp;
  *(int *)user = err;
}

/* A listening socket that never accepts: connect succeeds from the backlog,
 * and nothing ever answers. */
static int raw_listener(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  cr_assert_eq(listen(fd, 4), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  *port = ntohs(sa.sin_port);
  return fd;
}

Test(http_client, server_that_never_answers_times_out) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port, lfd = raw_listener(&port);
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  int err = 1;
  uint64_t t0 = now_ms();
  cr_assert_eq(pl_http_request_timeout(&loop, addr, "POST", "/whip", NULL, "x", 1, 150,
                                       on_err, &err), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  uint64_t took = now_ms() - t0;
  cr_assert_eq(err, PL_ETIMEDOUT, "%s", pl_strerror(err));
  cr_assert_geq(took, 150);
  cr_assert_lt(took, 300);
  cr_assert_eq(uv_loop_close(&loop), 0);
  close(lfd);
}

Test(http_client, response_promising_10_mb_is_refused) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port, lfd = raw_listener(&port);
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  int err = 1;
  cr_assert_eq(pl_http_request_timeout(&loop, addr, "POST", "/whip", NULL, "x", 1, 2000,
                                       on_err, &err), 0);
  pump(&loop, 20);
  int fd = accept(lfd, NULL, NULL);
  cr_assert_geq(fd, 0);
  const char resp[] = "HTTP/1.1 201 Created\r\nContent-Length: 10485760\r\n\r\nv=0\r\n";
  raw_send(fd, resp, sizeof resp - 1);
  uint64_t t0 = now_ms();
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(err, PL_EFULL, "%s", pl_strerror(err));
  cr_assert_lt(now_ms() - t0, 100);
  cr_assert_eq(uv_loop_close(&loop), 0);
  close(fd), close(lfd);
}

/* A long poll (Janus holds one 30 s, even after its session is gone) must
 * not hold the app's loop when the app is leaving: cancel ends it at once,
 * with done called once, inside the cancel. */
Test(http_client, cancel_ends_a_request_the_server_holds) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port, lfd = raw_listener(&port);
  char addr[64];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  int err = 1;
  pl_http_req *h = NULL;
  cr_assert_eq(pl_http_request_h(&loop, addr, "GET", "/janus/1?maxev=1", NULL, NULL, NULL, 0,
                                 30000, on_err, &err, &h), 0);
  cr_assert_not_null(h);
  pump(&loop, 20);
  cr_assert_eq(err, 1, "no answer yet");
  uint64_t t0 = now_ms();
  pl_http_request_cancel(h);
  cr_assert_eq(err, PL_ECLOSED, "%s", pl_strerror(err));
  err = 1;
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(err, 1, "done runs once");
  cr_assert_lt(now_ms() - t0, 100);
  cr_assert_eq(uv_loop_close(&loop), 0);
  close(lfd);
}
