/* One-shot HTTP client on libuv: connect, send one request, read the
 * response to EOF or Content-Length, call back once. Driver-layer code.
 * The whole exchange has one deadline (a server that accepts and never
 * answers must not hold a call's setup forever), and the response is read
 * by the same bounded reader as requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "engine/http/http.h"
#include "parley.h"

typedef struct pl_http_req {
  uv_tcp_t tcp;
  uv_timer_t timer;
  int open_handles; /* tcp and timer: freed when both are closed */
  uv_connect_t conn;
  uv_write_t wr;
  uv_buf_t out;
  pl_http_reader reader;
  pl_http_done done;
  void *user;
  char rbuf[4096];
  bool finished;
} req;

static void on_closed(uv_handle_t *h) {
  req *r = h->data;
  if (--r->open_handles > 0)
    return;
  pl_http_reader_free(&r->reader);
  free(r->out.base);
  free(r);
}

static void finish(req *r, int err) {
  if (r->finished)
    return;
  r->finished = true;
  r->done(r->user, err, err ? NULL : &r->reader.msg);
  /* Closing the TCP handle cancels a pending connect or write; their
   * callbacks run (UV_ECANCELED) and see `finished`. */
  uv_close((uv_handle_t *)&r->tcp, on_closed);
  uv_close((uv_handle_t *)&r->timer, on_closed);
}

static void on_timeout(uv_timer_t *t) { finish(t->data, PL_ETIMEDOUT); }

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  req *r = h->data;
  *buf = uv_buf_init(r->rbuf, sizeof r->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  req *r = st->data;
  int rc;
  if (nread == 0 || r->finished)
    return;
  if (nread < 0)
    rc = nread == UV_EOF ? pl_http_reader_eof(&r->reader) : PL_EIO;
  else
    rc = pl_http_reader_feed(&r->reader, buf->base, (size_t)nread);
  if (rc != 0)
    finish(r, rc < 0 ? rc : 0);
}

static void on_written(uv_write_t *w, int status) {
  req *r = w->data;
  if (status < 0)
    finish(r, PL_EIO);
}

static void on_connect(uv_connect_t *c, int status) {
  req *r = c->data;
  if (status < 0) {
    finish(r, status == UV_ECONNREFUSED ? PL_ECLOSED : PL_EIO);
    return;
  }
  r->wr.data = r;
  if (uv_write(&r->wr, (uv_stream_t *)&r->tcp, &r->out, 1, on_written) != 0 ||
      uv_read_start((uv_stream_t *)&r->tcp, on_alloc, on_read) != 0)
    finish(r, PL_EIO);
}

int pl_http_request(uv_loop_t *loop, const char *addr, const char *method,
                    const char *path, const char *content_type,
                    const char *body, size_t body_len, pl_http_done done,
                    void *user) {
  return pl_http_request_ex(loop, addr, method, path, NULL, content_type, body, body_len,
                            PL_HTTP_CLIENT_TIMEOUT_MS, done, user);
}

int pl_http_request_timeout(uv_loop_t *loop, const char *addr, const char *method,
                            const char *path, const char *content_type, const char *body,
                            size_t body_len, int timeout_ms, pl_http_done done, void *user) {
  return pl_http_request_ex(loop, addr, method, path, NULL, content_type, body, body_len,
                            timeout_ms, done, user);
}

int pl_http_request2(uv_loop_t *loop, const char *addr, const char *method, const char *path,
                     const char *headers, const char *content_type, const char *body,
                     size_t body_len, pl_http_done done, void *user) {
  return pl_http_request_ex(loop, addr, method, path, headers, content_type, body, body_len,
                            PL_HTTP_CLIENT_TIMEOUT_MS, done, user);
}

int pl_http_request_ex(uv_loop_t *loop, const char *addr, const char *method, const char *path,
                       const char *headers, const char *content_type, const char *body,
                       size_t body_len, int timeout_ms, pl_http_done done, void *user) {
  return pl_http_request_h(loop, addr, method, path, headers, content_type, body, body_len,
                           timeout_ms, done, user, NULL);
}

void pl_http_request_cancel(pl_http_req *r) {
  if (r)
    finish(r, PL_ECLOSED);
}

int pl_http_request_h(uv_loop_t *loop, const char *addr, const char *method, const char *path,
                      const char *headers, const char *content_type, const char *body,
                      size_t body_len, int timeout_ms, pl_http_done done, void *user,
                      pl_http_req **handle) {
  pl_addr a;
  if (handle)
    *handle = NULL;
  if (timeout_ms <= 0 || !done || (headers && strlen(headers) > 1024) ||
      pl_addr_parse(&a, addr) != 0)
    return PL_EINVAL;
  req *r = calloc(1, sizeof *r);
  if (!r)
    return PL_ENOMEM;
  size_t cap = 512 + strlen(path) + (headers ? strlen(headers) : 0) + body_len;
  char *buf = malloc(cap);
  if (!buf) {
    free(r);
    return PL_ENOMEM;
  }
  char host[PL_ADDR_STRLEN];
  pl_addr_format(&a, host, sizeof host);
  int n = snprintf(buf, cap,
                   "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s%s%s"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   method, path, host, headers ? headers : "",
                   content_type ? "Content-Type: " : "", content_type ? content_type : "",
                   content_type ? "\r\n" : "", body_len);
  if (n < 0 || (size_t)n + body_len > cap) {
    free(buf);
    free(r);
    return PL_EINVAL;
  }
  if (body_len)
    memcpy(buf + n, body, body_len);
  r->out = uv_buf_init(buf, (unsigned)((size_t)n + body_len));
  r->done = done;
  r->user = user;
  pl_http_reader_init(&r->reader, false);
  uv_tcp_init(loop, &r->tcp);
  r->tcp.data = r;
  uv_timer_init(loop, &r->timer);
  r->timer.data = r;
  r->open_handles = 2;
  r->conn.data = r;
  int rc = uv_tcp_connect(&r->conn, &r->tcp, (const struct sockaddr *)&a.ss,
                          on_connect);
  if (rc != 0) {
    r->finished = true;
    uv_close((uv_handle_t *)&r->tcp, on_closed);
    uv_close((uv_handle_t *)&r->timer, on_closed);
    return PL_EIO;
  }
  /* Timers count from the loop's cached time, which may be stale when this
   * runs outside a callback: refresh it so the deadline is never early. */
  uv_update_time(loop);
  uv_timer_start(&r->timer, on_timeout, (uint64_t)timeout_ms, 0);
  if (handle)
    *handle = r;
  return 0;
}
