/* HTTP server on a libuv TCP listener: read one request, hand it to the
 * handler, write the response, close. Driver-layer code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/log.h"
#include "engine/http/http.h"
#include "parley.h"

struct pl_http_server {
  uv_tcp_t listener;
  uv_loop_t *loop;
  pl_http_handler handler;
  void *user;
  int port;
  int open_conns;
  bool closing;
  struct conn *conns; /* open connections, to close them on free */
};

typedef struct conn {
  uv_tcp_t tcp;
  struct conn *next, *prev;
  uv_write_t wr;
  uv_buf_t out;
  pl_http_server *server;
  pl_http_reader reader;
  char rbuf[4096];
  bool responded;
} conn;

static void maybe_free_server(pl_http_server *s) {
  if (s->closing && s->open_conns == 0)
    free(s);
}

static void on_listener_closed(uv_handle_t *h) {
  pl_http_server *s = h->data;
  s->port = -1;
  s->open_conns--; /* the listener counted as one */
  maybe_free_server(s);
}

static void on_conn_closed(uv_handle_t *h) {
  conn *c = h->data;
  pl_http_server *s = c->server;
  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  pl_http_reader_free(&c->reader);
  free(c->out.base);
  free(c);
  s->open_conns--;
  maybe_free_server(s);
}

static void close_conn(conn *c) {
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_written(uv_write_t *w, int status) {
  (void)status;
  close_conn(w->data);
}

static void respond(conn *c, const pl_http_response *r) {
  const char *ct = r->content_type[0] ? r->content_type : "text/plain";
  size_t cap = 1024 + sizeof r->headers + r->body_len;
  char *buf = malloc(cap);
  if (!buf) {
    close_conn(c);
    return;
  }
  int n = snprintf(buf, cap,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "%s%s%s%sConnection: close\r\n\r\n",
                   r->status, pl_http_reason(r->status), ct, r->body_len,
                   r->location[0] ? "Location: " : "", r->location,
                   r->location[0] ? "\r\n" : "", r->headers);
  if (n < 0 || (size_t)n + r->body_len > cap) {
    free(buf);
    close_conn(c);
    return;
  }
  if (r->body_len)
    memcpy(buf + n, r->body, r->body_len);
  c->out = uv_buf_init(buf, (unsigned)((size_t)n + r->body_len));
  c->wr.data = c;
  c->responded = true;
  if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &c->out, 1, on_written) != 0)
    close_conn(c);
}

static void respond_error(conn *c, int status, const char *text) {
  pl_http_response r = {.status = status, .body = text, .body_len = strlen(text)};
  respond(c, &r);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  conn *c = h->data;
  *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  conn *c = st->data;
  if (c->responded)
    return;
  int rc;
  if (nread < 0)
    rc = nread == UV_EOF ? pl_http_reader_eof(&c->reader) : PL_EIO;
  else if (nread == 0)
    return;
  else
    rc = pl_http_reader_feed(&c->reader, buf->base, (size_t)nread);
  if (rc == 0)
    return;
  uv_read_stop(st);
  if (rc < 0) {
    if (rc == PL_EIO || rc == PL_ETRUNC)
      close_conn(c);
    else
      respond_error(c, rc == PL_EFULL ? 413 : 400,
                    rc == PL_EFULL ? "request too large\n" : "malformed request\n");
    return;
  }
  pl_http_response resp = {.status = 500};
  c->server->handler(c->server->user, &c->reader.msg, &resp);
  respond(c, &resp);
}

static void on_connection(uv_stream_t *server, int status) {
  pl_http_server *s = server->data;
  if (status < 0 || s->closing)
    return;
  conn *c = calloc(1, sizeof *c);
  if (!c)
    return;
  c->server = s;
  pl_http_reader_init(&c->reader, true);
  uv_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
  c->next = s->conns;
  if (s->conns)
    s->conns->prev = c;
  s->conns = c;
  s->open_conns++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
    close_conn(c);
}

int pl_http_server_new(pl_http_server **out, uv_loop_t *loop, const char *addr,
                       pl_http_handler handler, void *user) {
  pl_addr a;
  *out = NULL;
  if (pl_addr_parse(&a, addr) != 0)
    return PL_EINVAL;
  pl_http_server *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  s->loop = loop;
  s->handler = handler;
  s->user = user;
  uv_tcp_init(loop, &s->listener);
  s->listener.data = s;
  s->open_conns = 1;
  int rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&a.ss, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&s->listener, 16, on_connection);
  if (rc != 0) {
    s->closing = true;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    return rc == UV_EADDRINUSE ? PL_EADDRINUSE : PL_EIO;
  }
  struct sockaddr_storage ss;
  int len = sizeof ss;
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
  pl_addr bound = {.ss = ss};
  s->port = (int)pl_addr_port(&bound);
  *out = s;
  return 0;
}

int pl_http_server_port(const pl_http_server *s) { return s->port; }

void pl_http_server_free(pl_http_server *s) {
  if (!s)
    return;
  s->closing = true;
  for (conn *c = s->conns; c; c = c->next)
    close_conn(c);
  uv_close((uv_handle_t *)&s->listener, on_listener_closed);
}
