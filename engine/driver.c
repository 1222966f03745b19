/* The libuv driver: the only code that owns sockets, timers and threads.
 *
 * Network half, on the app's loop: one uv_udp_t per local address (the
 * bind address, then the extra ICE host addresses) and one uv_timer_t per
 * call. Every datagram goes to pl_call_net_input with its socket id;
 * afterwards the driver flushes what the call queued and re-arms the timer
 * at its deadline.
 *
 * The call core never calls the driver. What the app does to a call
 * (hang up, apply an answer, send on a data channel) only marks the call as
 * having output; a uv_prepare handle drains every marked call just before
 * the loop next waits, so nothing sits queued while the loop sleeps.
 *
 * Media half: the media threads (media_pool.c) tick calls on their own
 * clock and wake the loop through a uv_async_t; the loop never waits on
 * them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/engine.h"
#include "net/ice/ifaces.h"

/* The real clock: CLOCK_MONOTONIC, the same base as uv_hrtime and the media
 * thread's clock_nanosleep, so both halves of a call agree on `now`. */
static pl_time_us mono_now(void) { return pl_time_now_real(); }

/* ---- network half -------------------------------------------------------- */

/* A call's libuv handles, owned here. */
struct pl_driver_call {
  pl_call *call;
  uv_udp_t udp[PL_CALL_MAX_SOCKETS];
  uv_timer_t timer;
  bool open;
  int handles; /* open handles; the call is freed when the last closes */
  /* TURN over TCP or TLS: one connection per such server, opened at the
   * first service after the call's agent exists. */
  struct pl_turn_tcp *turn_tcp[4];
  bool turn_tcp_opened;
};

static void service(pl_call *c);

/* ---- TURN over TCP ------------------------------------------------------- */

/* Frames go into `pend` while `fly` is being written: one uv_write in
 * flight, two buffers sized once, no allocation per frame; a frame that
 * does not fit waits for nothing: it is dropped and counted, like a full
 * socket buffer on UDP. */
#define TCP_BUF 65536

typedef struct pl_turn_tcp {
  uv_tcp_t tcp;
  uv_connect_t conn;
  uv_write_t wreq;
  pl_call *c;
  int index;
  bool connected, writing, failed;
  /* turns: OpenSSL over two memory BIOs (in: what TCP read, out: what to
   * write), so the socket stays libuv's; `connected` waits for the
   * handshake. */
  bool tls;
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *in, *out;
  pl_addr server;
  uint8_t *fly, *pend;
  size_t flen, plen;
  uint8_t bufs[2][TCP_BUF];
  uint8_t rbuf[4096];
} pl_turn_tcp;

static void tcp_fail(pl_turn_tcp *t, const char *why) {
  if (t->failed || !t->c->drv || !t->c->drv->open)
    return; /* a call being closed: its connections go with it */
  t->failed = true;
  pl_call_turn_tcp_failed(t->c, t->index, mono_now(), why);
}

static void tcp_kick_write(pl_turn_tcp *t);

static void on_tcp_write(uv_write_t *w, int status) {
  pl_turn_tcp *t = w->data;
  t->writing = false;
  t->flen = 0;
  if (status < 0) {
    if (status != UV_ECANCELED)
      tcp_fail(t, uv_strerror(status));
    return;
  }
  tcp_kick_write(t);
}

static void tcp_kick_write(pl_turn_tcp *t) {
  if (t->writing || !t->plen || t->failed || (!t->connected && !t->tls))
    return;
  uint8_t *x = t->fly;
  t->fly = t->pend;
  t->flen = t->plen;
  t->pend = x;
  t->plen = 0;
  uv_buf_t b = uv_buf_init((char *)t->fly, (unsigned)t->flen);
  t->wreq.data = t;
  int rc = uv_write(&t->wreq, (uv_stream_t *)&t->tcp, &b, 1, on_tcp_write);
  if (rc == 0)
    t->writing = true;
  else
    tcp_fail(t, uv_strerror(rc));
}

/* Raw bytes onto the connection (after TLS, if any). */
static int tcp_queue(pl_turn_tcp *t, const uint8_t *p, size_t n) {
  if (t->plen + n > TCP_BUF)
    return UV_ENOBUFS;
  memcpy(t->pend + t->plen, p, n);
  t->plen += n;
  return 0;
}

/* What OpenSSL wrote into its out BIO goes onto the connection. */
static int tls_flush(pl_turn_tcp *t) {
  int rc = 0;
  size_t pending;
  while ((pending = BIO_ctrl_pending(t->out)) > 0) {
    size_t room = TCP_BUF - t->plen;
    if (!room) {
      rc = UV_ENOBUFS;
      break;
    }
    int k = BIO_read(t->out, t->pend + t->plen, (int)(pending < room ? pending : room));
    if (k <= 0)
      break;
    t->plen += (size_t)k;
  }
  tcp_kick_write(t);
  return rc;
}

static int tcp_send(pl_call *c, int i, const uint8_t *p, size_t n) {
  pl_turn_tcp *t = i >= 0 && i < 4 ? c->drv->turn_tcp[i] : NULL;
  if (!t || !t->connected || t->failed)
    return UV_ENOBUFS;
  if (t->tls) {
    /* A frame that would not fit once encrypted is refused whole, never
     * cut: a cut frame would break the stream's framing for good. */
    if (t->plen + n + 64 > TCP_BUF || SSL_write(t->ssl, p, (int)n) != (int)n)
      return UV_ENOBUFS;
    return tls_flush(t);
  }
  int rc = tcp_queue(t, p, n);
  tcp_kick_write(t);
  return rc;
}

static void tls_fail(pl_turn_tcp *t, const char *what) {
  char why[160];
  unsigned long e = ERR_get_error();
  long v = t->ssl ? SSL_get_verify_result(t->ssl) : X509_V_OK;
  if (v != X509_V_OK)
    snprintf(why, sizeof why, "TLS %s: %s", what, X509_verify_cert_error_string(v));
  else
    snprintf(why, sizeof why, "TLS %s: %s", what, e ? ERR_reason_error_string(e) : "failed");
  ERR_clear_error();
  tcp_fail(t, why);
}

/* Bytes read from a turns: connection: the handshake first, then the
 * plaintext stream for the TURN client. */
static void tls_input(pl_turn_tcp *t, pl_time_us now, const uint8_t *p, size_t n) {
  BIO_write(t->in, p, (int)n);
  if (!t->connected) {
    int r = SSL_do_handshake(t->ssl);
    tls_flush(t);
    if (r != 1) {
      int e = SSL_get_error(t->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        tls_fail(t, "handshake");
      return;
    }
    t->connected = true;
    pl_call_turn_tcp_connected(t->c, t->index, now);
  }
  uint8_t plain[4096];
  for (;;) {
    int k = SSL_read(t->ssl, plain, sizeof plain);
    if (k <= 0) {
      int e = SSL_get_error(t->ssl, k);
      if (e == SSL_ERROR_ZERO_RETURN)
        tcp_fail(t, "closed by the server (TLS)");
      else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        tls_fail(t, "read");
      break;
    }
    pl_call_turn_tcp_input(t->c, t->index, now, plain, (size_t)k);
  }
  tls_flush(t);
}

static int tls_start(pl_turn_tcp *t, const char *ca_file) {
  t->ctx = SSL_CTX_new(TLS_client_method());
  if (!t->ctx)
    return -1;
  SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
  if (ca_file && ca_file[0] ? SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1
                            : SSL_CTX_set_default_verify_paths(t->ctx) != 1)
    return -1;
  SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
  t->ssl = SSL_new(t->ctx);
  t->in = BIO_new(BIO_s_mem());
  t->out = BIO_new(BIO_s_mem());
  if (!t->ssl || !t->in || !t->out) {
    BIO_free(t->in);
    BIO_free(t->out);
    t->in = t->out = NULL;
    return -1;
  }
  SSL_set_bio(t->ssl, t->in, t->out); /* the SSL owns both now */
  /* A numeric server: its certificate must name that IP (a SAN). */
  char ip[PL_ADDR_STRLEN];
  pl_addr_ip(&t->server, ip, sizeof ip);
  if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), ip) != 1)
    return -1;
  SSL_set_connect_state(t->ssl);
  SSL_do_handshake(t->ssl); /* the ClientHello into the out BIO */
  tls_flush(t);
  return 0;
}

static void on_tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  pl_turn_tcp *t = h->data;
  *buf = uv_buf_init((char *)t->rbuf, sizeof t->rbuf);
}

static void on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  pl_turn_tcp *t = s->data;
  if (nread < 0) {
    tcp_fail(t, nread == UV_EOF ? "closed by the server" : uv_strerror((int)nread));
    uv_read_stop(s);
    return;
  }
  if (nread == 0 || !t->c->drv || !t->c->drv->open)
    return;
  pl_time_us now = mono_now();
  if (t->tls)
    tls_input(t, now, (const uint8_t *)buf->base, (size_t)nread);
  else
    pl_call_turn_tcp_input(t->c, t->index, now, (const uint8_t *)buf->base, (size_t)nread);
  service(t->c);
}

static void on_tcp_connect(uv_connect_t *req, int status) {
  pl_turn_tcp *t = req->data;
  if (status < 0) {
    if (status != UV_ECANCELED)
      tcp_fail(t, uv_strerror(status));
    return;
  }
  uv_read_start((uv_stream_t *)&t->tcp, on_tcp_alloc, on_tcp_read);
  if (t->tls) {
    /* Writes go out before `connected`: the handshake's own. */
    t->connected = false;
    if (tls_start(t, t->c->wrtc->turn_ca) != 0)
      tls_fail(t, "set-up");
    return;
  }
  t->connected = true;
  pl_call_turn_tcp_connected(t->c, t->index, mono_now());
  service(t->c);
}

static void open_turn_tcp(pl_call *c) {
  c->drv->turn_tcp_opened = true;
  for (int i = 0; i < 4; i++) {
    pl_addr server;
    bool tls = false;
    if (!pl_call_turn_tcp(c, i, &server, &tls))
      continue;
    pl_turn_tcp *t = calloc(1, sizeof *t); /* once per call and server */
    if (!t) {
      pl_call_turn_tcp_failed(c, i, mono_now(), "out of memory");
      continue;
    }
    t->c = c;
    t->index = i;
    t->tls = tls;
    t->server = server;
    t->fly = t->bufs[0];
    t->pend = t->bufs[1];
    uv_tcp_init(c->engine->loop, &t->tcp);
    t->tcp.data = t;
    uv_tcp_nodelay(&t->tcp, 1); /* media frames: no Nagle delay */
    c->drv->turn_tcp[i] = t;
    c->drv->handles++;
    t->conn.data = t;
    int rc = uv_tcp_connect(&t->conn, &t->tcp, (const struct sockaddr *)&server.ss, on_tcp_connect);
    if (rc)
      tcp_fail(t, uv_strerror(rc));
  }
}

/* ---- datagrams ----------------------------------------------------------- */

static void send_all(pl_call *c) {
  pl_pkt *p;
  while ((p = pl_call_net_next_tx(c))) {
    uv_buf_t b = uv_buf_init((char *)p->data, (unsigned)p->len);
    int sock = pl_call_net_pkt_socket(c, p);
    int rc = sock >= PL_CALL_TCP_SOCK ? tcp_send(c, sock - PL_CALL_TCP_SOCK, p->data, p->len)
             : sock < c->n_socks
                 ? uv_udp_try_send(&c->drv->udp[sock], &b, 1,
                                   (const struct sockaddr *)&p->addr.ss)
                 : UV_EBADF;
    if (rc < 0)
      c->dropped++; /* socket buffer full or unreachable: a counted loss */
    pl_call_net_release(c, p);
  }
}

static void on_timer(uv_timer_t *t);

static void rearm(pl_call *c) {
  pl_time_us d = pl_call_net_deadline(c);
  if (d == PL_TIME_NEVER) {
    uv_timer_stop(&c->drv->timer);
    return;
  }
  pl_time_us now = mono_now();
  uint64_t ms = d > now ? (uint64_t)((d - now + 999) / 1000) : 0;
  uv_timer_start(&c->drv->timer, on_timer, ms, 0);
}

/* Drains one call: what it queued goes out, its events reach the app, its
 * timer follows its deadline. */
static void service(pl_call *c) {
  if (!c->drv || !c->drv->open)
    return;
  pl_time_us now = mono_now();
  pl_call_start_clock_(c, now);
  if (!c->drv->turn_tcp_opened && c->wrtc && c->wrtc->ice)
    open_turn_tcp(c);
  pl_call_net_flush(c, now);
  send_all(c);
  pl_call_emit_pending(c);
  rearm(c);
}

static void on_timer(uv_timer_t *t) {
  pl_call *c = t->data;
  pl_call_net_timeout(c, mono_now());
  service(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  /* One receive buffer per thread: libuv reads one datagram at a time and
   * the call consumes it before the next read. */
  static _Thread_local char rbuf[PL_PKT_CAPACITY];
  *buf = uv_buf_init(rbuf, sizeof rbuf);
}

static void on_recv(uv_udp_t *u, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags) {
  pl_call *c = u->data;
  int sock = (int)(u - c->drv->udp);
  if (nread <= 0 || !addr)
    return;
  if (flags & UV_UDP_PARTIAL) {
    c->dropped++;
    return;
  }
  pl_addr from;
  memset(&from, 0, sizeof from);
  memcpy(&from.ss, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                     : sizeof(struct sockaddr_in));
  pl_time_us now = mono_now();
  pl_call_start_clock_(c, now);
  pl_call_net_input(c, now, sock, &from, (uint8_t *)buf->base, (size_t)nread);
  service(c);
}

/* Sockets are made and bound before libuv sees them, so a port in use is a
 * plain error with nothing to close (pl_call_new may run inside a libuv
 * callback, where spinning the loop to close a handle is not allowed). */
static int bind_socket(const pl_addr *a, int *fd_out, pl_addr *bound) {
  int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return PL_EIO;
  if (a->ss.ss_family == AF_INET6) {
    int on = 1; /* an IPv6 host candidate is IPv6 only */
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  }
  if (bind(fd, (const struct sockaddr *)&a->ss, pl_addr_len(a)) != 0) {
    int err = errno;
    close(fd);
    return err == EADDRINUSE ? PL_EADDRINUSE : PL_EIO;
  }
  socklen_t len = sizeof bound->ss;
  memset(bound, 0, sizeof *bound);
  getsockname(fd, (struct sockaddr *)&bound->ss, &len);
  *fd_out = fd;
  return 0;
}

static bool have_ip(const pl_call *c, int n, const pl_addr *a) {
  char x[PL_ADDR_STRLEN], y[PL_ADDR_STRLEN];
  pl_addr_ip(a, x, sizeof x);
  for (int i = 0; i < n; i++)
    if (!strcmp(pl_addr_ip(&c->socks[i], y, sizeof y), x))
      return true;
  return false;
}

/* An extra host address: bind's port when free (one port to open in a
 * firewall), else any. Failures only cost that candidate. */
static void add_host(pl_call *c, int *fds, const char *ip, unsigned port) {
  pl_addr a;
  if (c->n_socks == PL_CALL_MAX_SOCKETS || pl_addr_from_ip_port(&a, ip, port) != 0 ||
      have_ip(c, c->n_socks, &a)) {
    if (c->n_socks == PL_CALL_MAX_SOCKETS)
      PL_WARN("driver", "host %s left out: %d sockets at most", ip, PL_CALL_MAX_SOCKETS);
    return;
  }
  int rc = bind_socket(&a, &fds[c->n_socks], &c->socks[c->n_socks]);
  if (rc == PL_EADDRINUSE && port) {
    pl_addr_set_port(&a, 0);
    rc = bind_socket(&a, &fds[c->n_socks], &c->socks[c->n_socks]);
  }
  if (rc) {
    PL_WARN("driver", "cannot bind host %s: %s", ip, pl_strerror(rc));
    return;
  }
  c->n_socks++;
}

int pl_driver_call_open(pl_call *c) {
  pl_addr a;
  if (pl_addr_parse(&a, c->cfg.bind) != 0)
    return PL_EINVAL;
  /* The real clock's wall time, for RTCP sender reports. */
  struct timespec rt, mono;
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  c->wall_offset_us =
      ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000 + (rt.tv_nsec - mono.tv_nsec) / 1000;
  int fds[PL_CALL_MAX_SOCKETS];
  int rc = bind_socket(&a, &fds[0], &c->local);
  if (rc) {
    PL_WARN("driver", "cannot bind %s: %s", c->cfg.bind, pl_strerror(rc));
    return rc;
  }
  struct pl_driver_call *d = calloc(1, sizeof *d);
  if (!d) {
    close(fds[0]);
    return PL_ENOMEM;
  }
  d->call = c;
  c->socks[0] = c->local;
  c->n_socks = 1;
  unsigned port = pl_addr_port(&c->local);
  if (c->cfg.ice_hosts) {
    char list[512];
    snprintf(list, sizeof list, "%s", c->cfg.ice_hosts);
    char *save = NULL;
    for (char *ip = strtok_r(list, ", ", &save); ip; ip = strtok_r(NULL, ", ", &save))
      add_host(c, fds, ip, port);
  }
  if (c->cfg.ice_all_interfaces) {
    pl_ice_iface_opts o = {.loopback = c->cfg.ice_loopback, .ipv6 = true};
    pl_addr ifs[PL_CALL_MAX_SOCKETS];
    int n = pl_ice_list_interfaces(&o, ifs, PL_CALL_MAX_SOCKETS);
    for (int i = 0; i < n; i++) {
      char ip[PL_ADDR_STRLEN];
      add_host(c, fds, pl_addr_ip(&ifs[i], ip, sizeof ip), port);
    }
  }
  uv_loop_t *loop = c->engine->loop;
  uv_timer_init(loop, &d->timer);
  d->timer.data = c;
  d->handles = 1 + c->n_socks;
  d->open = true;
  c->drv = d;
  for (int i = 0; i < c->n_socks; i++) {
    uv_udp_init(loop, &d->udp[i]);
    d->udp[i].data = c;
    if (uv_udp_open(&d->udp[i], fds[i]) != 0 ||
        uv_udp_recv_start(&d->udp[i], on_alloc, on_recv) != 0)
      PL_ERROR("driver", "libuv refused a bound UDP socket");
  }
  return 0;
}

static void on_call_handle_closed(uv_handle_t *h) {
  pl_call *c = h->data;
  if (--c->drv->handles == 0) {
    free(c->drv);
    c->drv = NULL;
    pl_call_destroy_(c);
  }
}

static void on_tcp_closed(uv_handle_t *h) {
  pl_turn_tcp *t = h->data;
  pl_call *c = t->c;
  if (t->ssl)
    SSL_free(t->ssl); /* and its BIOs */
  else {
    BIO_free(t->in);
    BIO_free(t->out);
  }
  SSL_CTX_free(t->ctx);
  free(t);
  if (--c->drv->handles == 0) {
    free(c->drv);
    c->drv = NULL;
    pl_call_destroy_(c);
  }
}

static void unmark(pl_call *c) {
  pl_engine *e = c->engine;
  if (!c->output_marked)
    return;
  for (pl_call **pp = &e->output; *pp; pp = &(*pp)->output_next)
    if (*pp == c) {
      *pp = c->output_next;
      break;
    }
  c->output_marked = false;
}

void pl_driver_call_close(pl_call *c) {
  struct pl_driver_call *d = c->drv;
  unmark(c);
  if (!d || !d->open) {
    if (!d)
      pl_call_destroy_(c);
    return; /* already closing */
  }
  service(c); /* the BYE and close_notify a hangup queued go out first */
  d->open = false;
  uv_timer_stop(&d->timer);
  for (int i = 0; i < c->n_socks; i++)
    uv_close((uv_handle_t *)&d->udp[i], on_call_handle_closed);
  for (int i = 0; i < 4; i++)
    if (d->turn_tcp[i]) {
      /* Closing the connection ends its allocation too (RFC 8656 3.1). */
      uv_close((uv_handle_t *)&d->turn_tcp[i]->tcp, on_tcp_closed);
      d->turn_tcp[i] = NULL;
    }
  uv_close((uv_handle_t *)&d->timer, on_call_handle_closed);
}

/* ---- output and wake-ups --------------------------------------------------- */

/* Before the loop waits: every call the app (or an event handler) gave
 * output drains now. A call marked while draining joins the list and is
 * drained in the same pass. */
static void on_drain(uv_prepare_t *p) {
  pl_engine *e = p->data;
  while (e->output) {
    pl_call *c = e->output;
    e->output = c->output_next;
    c->output_marked = false;
    service(c);
  }
}

/* A media thread ticked calls that have packets or events. */
static void on_wake(uv_async_t *a) {
  pl_engine *e = a->data;
  /* Only this thread changes the list, so walking it here needs no lock. */
  for (pl_call *c = e->calls; c; c = c->next)
    if (atomic_exchange(&c->media_out, false))
      service(c);
}

int pl_driver_engine_start(pl_engine *e) {
  /* The threads send wake-ups only for calls, and none exist yet, so they
   * may start before `wake` is initialised; that order leaves nothing to
   * undo when a thread cannot be made. */
  int rc = pl_media_pool_start(e, e->cfg.media_threads);
  if (rc)
    return rc;
  uv_async_init(e->loop, &e->wake, on_wake);
  e->wake.data = e;
  uv_unref((uv_handle_t *)&e->wake); /* calls keep the loop alive, not these */
  uv_prepare_init(e->loop, &e->drain);
  e->drain.data = e;
  uv_prepare_start(&e->drain, on_drain);
  uv_unref((uv_handle_t *)&e->drain);
  return 0;
}

static void on_engine_handle_closed(uv_handle_t *h) {
  pl_engine *e = h->data;
  if (h == (uv_handle_t *)&e->wake)
    e->wake.data = NULL;
  else
    e->drain.data = NULL;
  if (e->wake.data || e->drain.data)
    return;
  pthread_mutex_destroy(&e->calls_lock);
  free(e);
}

void pl_driver_engine_stop(pl_engine *e) {
  pl_media_pool_stop(e);
  uv_prepare_stop(&e->drain);
  uv_close((uv_handle_t *)&e->wake, on_engine_handle_closed);
  uv_close((uv_handle_t *)&e->drain, on_engine_handle_closed);
}
