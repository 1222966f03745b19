/* HTTP server on a libuv TCP listener: read one request, hand it to the
 * handler, write the response, close. Driver-layer code.
 *
 * Strangers can reach this port, so everything a connection can make us
 * hold is bounded (pl_http_limits, docs/http.md): its memory (one fixed
 * reader, a body of at most max_body), its time (header, body, idle and
 * write deadlines) and the number of connections (in all, and per address).
 * A connection over a bound gets a status that says which (408, 413, 414,
 * 429, 431, 503) and is closed.
 *
 * Deadlines share one uv_timer armed at the earliest of them, not a timer
 * per connection: a read only moves its connection's deadline later, so the
 * hot path is an assignment (no timer heap update, no second handle to
 * close per connection); the timer callback sweeps the list (at most
 * max_conns + max_conns entries) and re-arms. A fire that finds nothing due
 * (a deadline moved) costs one sweep. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "engine/http/http.h"
#include "parley.h"

enum conn_state {
  C_READ,   /* reading the request */
  C_WRITE,  /* writing the answer */
  C_LINGER, /* error answered: write side shut, input dropped until EOF */
};

typedef struct conn conn;

struct pl_http_server {
  uv_tcp_t listener;
  uv_timer_t timer;
  uv_loop_t *loop;
  pl_http_handler handler;
  void *user;
  pl_http_limits lim;
  int port;
  int handles; /* listener, timer and connections not yet closed */
  bool closing;
  uint64_t armed; /* when the timer is due (loop ms), 0 when stopped */
  conn *conns;    /* every connection, to sweep deadlines and close on free */
  pl_http_server_stats st;
  /* One read buffer for all connections: libuv calls alloc, reads and calls
   * back before anything else runs, so nothing outlives a read callback. */
  char rbuf[16384];
};

struct conn {
  uv_tcp_t tcp;
  conn *next, *prev;
  uv_write_t wr;
  uv_shutdown_t sd;
  uv_buf_t out;
  pl_http_server *server;
  pl_http_reader reader;
  enum conn_state state;
  bool counted;      /* in st.open (and so in the per-address count) */
  bool pooled;       /* in st.lingering */
  bool linger_after; /* after the answer: shut down and drain, not close */
  int family;        /* peer address, for the per-address cap */
  unsigned char ip[16];
  uint64_t accepted_ms, last_read_ms, deadline_ms;
};

void pl_http_limits_init(pl_http_limits *l) {
  *l = (pl_http_limits){
      .header_timeout_ms = PL_HTTP_HEADER_TIMEOUT_MS,
      .body_timeout_ms = PL_HTTP_BODY_TIMEOUT_MS,
      .idle_timeout_ms = PL_HTTP_IDLE_TIMEOUT_MS,
      .write_timeout_ms = PL_HTTP_WRITE_TIMEOUT_MS,
      .linger_ms = PL_HTTP_LINGER_MS,
      .max_conns = PL_HTTP_MAX_CONNS,
      .max_conns_per_ip = PL_HTTP_MAX_CONNS_PER_IP,
      .max_body = PL_HTTP_MAX_BODY,
  };
}

static void maybe_free_server(pl_http_server *s) {
  if (s->closing && s->handles == 0)
    free(s);
}

static void on_server_handle_closed(uv_handle_t *h) {
  pl_http_server *s = h->data;
  if (h == (uv_handle_t *)&s->listener)
    s->port = -1;
  s->handles--;
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
  if (c->counted)
    s->st.open--;
  if (c->pooled)
    s->st.lingering--;
  pl_http_reader_free(&c->reader);
  free(c->out.base);
  free(c);
  s->handles--;
  maybe_free_server(s);
}

static bool conn_closing(const conn *c) {
  return uv_is_closing((const uv_handle_t *)&c->tcp);
}

static void close_conn(conn *c) {
  if (!conn_closing(c))
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_timer(uv_timer_t *t);

/* Arms the shared timer for `due` unless it already fires earlier. */
static void arm(pl_http_server *s, uint64_t due) {
  if (s->closing || (s->armed && s->armed <= due))
    return;
  uint64_t now = uv_now(s->loop);
  uv_timer_start(&s->timer, on_timer, due > now ? due - now : 0, 0);
  s->armed = due;
}

static void set_deadline(conn *c, uint64_t due) {
  c->deadline_ms = due;
  arm(c->server, due);
}

/* While reading: the header or body deadline from accept, or the idle
 * deadline from the last read, whichever comes first. */
static uint64_t read_deadline(const conn *c) {
  const pl_http_limits *l = &c->server->lim;
  uint64_t whole = c->accepted_ms + (uint64_t)(c->reader.headers_done ? l->body_timeout_ms
                                                                      : l->header_timeout_ms);
  uint64_t idle = c->last_read_ms + (uint64_t)l->idle_timeout_ms;
  return whole < idle ? whole : idle;
}

/* Takes a connection out of the in-progress count and into the bounded
 * pool of those draining before close; false when the pool is full. */
static bool enter_pool(conn *c) {
  pl_http_server *s = c->server;
  if (c->counted) {
    c->counted = false;
    s->st.open--;
  }
  if (c->pooled)
    return true;
  if (s->st.lingering >= s->lim.max_conns)
    return false;
  c->pooled = true;
  s->st.lingering++;
  return true;
}

static void on_shutdown(uv_shutdown_t *sd, int status) {
  if (status < 0)
    close_conn(sd->data);
}

static void on_read_drop(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  (void)buf;
  if (nread < 0) /* EOF: the peer has our answer and closed */
    close_conn(st->data);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  conn *c = h->data;
  *buf = uv_buf_init(c->server->rbuf, sizeof c->server->rbuf);
}

/* Closing a socket with unread input makes the kernel send RST, which can
 * destroy our answer before the peer reads it (a client still sending a
 * body we refused, or its request we never read before a 503). So after an
 * error answer: FIN, then read and drop until the peer closes, for at most
 * linger_ms. */
static void start_linger(conn *c) {
  pl_http_server *s = c->server;
  if (!enter_pool(c)) {
    close_conn(c);
    return;
  }
  c->state = C_LINGER;
  set_deadline(c, uv_now(s->loop) + (uint64_t)s->lim.linger_ms);
  c->sd.data = c;
  if (uv_shutdown(&c->sd, (uv_stream_t *)&c->tcp, on_shutdown) != 0 ||
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read_drop) != 0)
    close_conn(c);
}

static void on_written(uv_write_t *w, int status) {
  conn *c = w->data;
  if (status < 0 || conn_closing(c) || !c->linger_after)
    close_conn(c);
  else
    start_linger(c);
}

static void respond(conn *c, const pl_http_response *r, bool linger_after) {
  pl_http_server *s = c->server;
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
  free(c->out.base);
  c->out = uv_buf_init(buf, (unsigned)((size_t)n + r->body_len));
  c->wr.data = c;
  c->state = C_WRITE;
  c->linger_after = linger_after;
  set_deadline(c, uv_now(s->loop) + (uint64_t)s->lim.write_timeout_ms);
  if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &c->out, 1, on_written) != 0)
    close_conn(c);
}

__attribute__((format(printf, 3, 4))) static void respond_error(conn *c, int status,
                                                                const char *fmt, ...) {
  pl_http_response r = {.status = status};
  char text[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  r.body = text;
  r.body_len = strlen(text);
  if (status == 503 || status == 429)
    snprintf(r.headers, sizeof r.headers, "Retry-After: %d\r\n", PL_HTTP_RETRY_AFTER_S);
  respond(c, &r, true);
}

static void refuse_too_large(conn *c) {
  pl_http_server *s = c->server;
  s->st.too_large++;
  switch (c->reader.limit) {
  case PL_HTTP_LIMIT_URL:
    respond_error(c, 414, "request target over %d bytes\n", PL_HTTP_MAX_URL - 1);
    break;
  case PL_HTTP_LIMIT_BODY:
    respond_error(c, 413, "request body over %zu bytes\n", s->lim.max_body);
    break;
  default:
    respond_error(c, 431, "request headers over their bounds (%d headers, "
                  "63-byte names, 511-byte values, 80 KB in all)\n",
                  PL_HTTP_MAX_HEADERS);
    break;
  }
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  conn *c = st->data;
  pl_http_server *s = c->server;
  if (c->state != C_READ || nread == 0)
    return;
  int rc;
  if (nread < 0) {
    rc = nread == UV_EOF ? pl_http_reader_eof(&c->reader) : PL_EIO;
  } else {
    c->last_read_ms = uv_now(s->loop);
    rc = pl_http_reader_feed(&c->reader, buf->base, (size_t)nread);
  }
  if (rc == 0) {
    set_deadline(c, read_deadline(c));
    return;
  }
  uv_read_stop(st);
  if (rc == PL_EIO || rc == PL_ETRUNC) { /* the peer went away mid-request */
    s->st.dropped++;
    close_conn(c);
  } else if (rc == PL_EFULL) {
    refuse_too_large(c);
  } else if (rc == PL_ENOMEM) {
    respond_error(c, 503, "out of memory\n");
  } else if (rc < 0) {
    s->st.malformed++;
    respond_error(c, 400, "malformed request\n");
  } else {
    s->st.answered++;
    pl_http_response resp = {.status = 500};
    s->handler(s->user, &c->reader.msg, &resp);
    respond(c, &resp, false);
  }
}

static void expire(conn *c, uint64_t now) {
  pl_http_server *s = c->server;
  const pl_http_limits *l = &s->lim;
  switch (c->state) {
  case C_READ:
    s->st.timeouts++;
    uv_read_stop((uv_stream_t *)&c->tcp);
    if (c->last_read_ms + (uint64_t)l->idle_timeout_ms <= now)
      respond_error(c, 408, "request timeout: no bytes for %d ms\n", l->idle_timeout_ms);
    else if (!c->reader.headers_done)
      respond_error(c, 408, "request timeout: headers not complete within %d ms\n",
                    l->header_timeout_ms);
    else
      respond_error(c, 408, "request timeout: body not complete within %d ms\n",
                    l->body_timeout_ms);
    break;
  case C_WRITE: /* the peer does not read its answer */
    s->st.write_timeouts++;
    close_conn(c);
    break;
  case C_LINGER:
    close_conn(c);
    break;
  }
}

static void on_timer(uv_timer_t *t) {
  pl_http_server *s = t->data;
  s->armed = 0;
  uint64_t now = uv_now(s->loop), next = 0;
  /* Closing only starts here (the list changes in on_conn_closed, later),
   * so walking it while expiring is safe. */
  for (conn *c = s->conns; c; c = c->next) {
    if (conn_closing(c))
      continue;
    if (c->deadline_ms <= now)
      expire(c, now);
    if (!conn_closing(c) && (!next || c->deadline_ms < next))
      next = c->deadline_ms;
  }
  if (next)
    arm(s, next);
}

static int same_ip_count(const pl_http_server *s, const conn *n) {
  int count = 0;
  for (const conn *c = s->conns; c; c = c->next)
    if (c != n && c->counted && c->family == n->family &&
        memcmp(c->ip, n->ip, sizeof c->ip) == 0)
      count++;
  return count;
}

static void peer_ip(conn *c) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
    return;
  c->family = ss.ss_family;
  if (ss.ss_family == AF_INET)
    memcpy(c->ip, &((struct sockaddr_in *)&ss)->sin_addr, 4);
  else if (ss.ss_family == AF_INET6)
    memcpy(c->ip, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
}

/* Over a cap: answer at once (the answer is small and a fresh socket's
 * send buffer empty) and drain, from the bounded pool; when the pool is
 * full too, close without a word. */
static void reject(conn *c, int status) {
  pl_http_server *s = c->server;
  if (!enter_pool(c)) {
    s->st.dropped++;
    close_conn(c);
    return;
  }
  if (status == 429) {
    s->st.over_ip++;
    respond_error(c, 429, "too many connections from your address (limit %d)\n",
                  s->lim.max_conns_per_ip);
  } else {
    s->st.over_cap++;
    respond_error(c, 503, "server busy (limit %d connections)\n", s->lim.max_conns);
  }
}

static void on_connection(uv_stream_t *server, int status) {
  pl_http_server *s = server->data;
  if (status < 0 || s->closing)
    return;
  conn *c = calloc(1, sizeof *c);
  if (!c)
    return;
  c->server = s;
  uv_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
  c->next = s->conns;
  if (s->conns)
    s->conns->prev = c;
  s->conns = c;
  s->handles++;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    close_conn(c);
    return;
  }
  s->st.accepted++;
  peer_ip(c);
  if (c->family && same_ip_count(s, c) >= s->lim.max_conns_per_ip) {
    reject(c, 429);
    return;
  }
  if (s->st.open >= s->lim.max_conns) {
    reject(c, 503);
    return;
  }
  c->counted = true;
  s->st.open++;
  pl_http_reader_init(&c->reader, true);
  c->reader.max_body = s->lim.max_body;
  c->state = C_READ;
  c->accepted_ms = c->last_read_ms = uv_now(s->loop);
  set_deadline(c, read_deadline(c));
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
    close_conn(c);
}

static bool limits_valid(const pl_http_limits *l) {
  return l->header_timeout_ms > 0 && l->body_timeout_ms > 0 && l->idle_timeout_ms > 0 &&
         l->write_timeout_ms > 0 && l->linger_ms > 0 && l->max_conns > 0 &&
         l->max_conns_per_ip > 0 && l->max_body > 0 && l->max_body <= PL_HTTP_MAX_BODY;
}

int pl_http_server_new_limited(pl_http_server **out, uv_loop_t *loop, const char *addr,
                               const pl_http_limits *limits, pl_http_handler handler,
                               void *user) {
  pl_addr a;
  *out = NULL;
  pl_http_limits defaults;
  pl_http_limits_init(&defaults);
  if (!limits)
    limits = &defaults;
  if (!limits_valid(limits) || pl_addr_parse(&a, addr) != 0)
    return PL_EINVAL;
  pl_http_server *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  s->loop = loop;
  s->handler = handler;
  s->user = user;
  s->lim = *limits;
  uv_tcp_init(loop, &s->listener);
  s->listener.data = s;
  uv_timer_init(loop, &s->timer);
  s->timer.data = s;
  s->handles = 2;
  int rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&a.ss, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&s->listener, PL_HTTP_LISTEN_BACKLOG, on_connection);
  if (rc != 0) {
    s->closing = true;
    uv_close((uv_handle_t *)&s->timer, on_server_handle_closed);
    uv_close((uv_handle_t *)&s->listener, on_server_handle_closed);
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

int pl_http_server_new(pl_http_server **out, uv_loop_t *loop, const char *addr,
                       pl_http_handler handler, void *user) {
  return pl_http_server_new_limited(out, loop, addr, NULL, handler, user);
}

int pl_http_server_port(const pl_http_server *s) { return s->port; }

void pl_http_server_stats_get(const pl_http_server *s, pl_http_server_stats *out) {
  *out = s->st;
}

void pl_http_server_free(pl_http_server *s) {
  if (!s)
    return;
  s->closing = true;
  /* uv_close cancels pending writes and shutdowns: their callbacks run
   * (UV_ECANCELED) before on_conn_closed frees the connection. */
  for (conn *c = s->conns; c; c = c->next)
    close_conn(c);
  uv_timer_stop(&s->timer);
  uv_close((uv_handle_t *)&s->timer, on_server_handle_closed);
  uv_close((uv_handle_t *)&s->listener, on_server_handle_closed);
}
