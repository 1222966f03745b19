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

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/driver_turn.h"
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
   * first service after the call's agent exists (driver_turn.c). */
  pl_turn_tcp *turn_tcp[4];
  bool turn_tcp_opened;
};



/* ---- datagrams ----------------------------------------------------------- */

static void send_all(pl_call *c) {
  pl_pkt *p;
  while ((p = pl_call_net_next_tx(c))) {
    uv_buf_t b = uv_buf_init((char *)p->data, (unsigned)p->len);
    int sock = pl_call_net_pkt_socket(c, p);
    int t = sock - PL_CALL_TCP_SOCK;
    int rc = sock >= PL_CALL_TCP_SOCK
                 ? pl_driver_turn_send(t < 4 ? c->drv->turn_tcp[t] : NULL, p->data, p->len)
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
void pl_driver_service_(pl_call *c) {
  if (!c->drv || !c->drv->open)
    return;
  pl_time_us now = mono_now();
  pl_call_start_clock_(c, now);
  if (!c->drv->turn_tcp_opened && c->wrtc && c->wrtc->ice) {
    c->drv->turn_tcp_opened = true;
    c->drv->handles += pl_driver_turn_open(c, c->drv->turn_tcp);
  }
  pl_call_net_flush(c, now);
  send_all(c);
  pl_call_emit_pending(c);
  rearm(c);
}

static void on_timer(uv_timer_t *t) {
  pl_call *c = t->data;
  pl_call_net_timeout(c, mono_now());
  pl_driver_service_(c);
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
  pl_driver_service_(c);
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

void pl_driver_handle_closed_(pl_call *c) {
  if (--c->drv->handles == 0) {
    free(c->drv);
    c->drv = NULL;
    pl_call_destroy_(c);
  }
}

bool pl_driver_is_open_(const pl_call *c) { return c->drv && c->drv->open; }

static void on_call_handle_closed(uv_handle_t *h) { pl_driver_handle_closed_(h->data); }


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
  pl_driver_service_(c); /* the BYE and close_notify a hangup queued go out first */
  d->open = false;
  uv_timer_stop(&d->timer);
  for (int i = 0; i < c->n_socks; i++)
    uv_close((uv_handle_t *)&d->udp[i], on_call_handle_closed);
  for (int i = 0; i < 4; i++)
    if (d->turn_tcp[i]) {
      pl_driver_turn_close(d->turn_tcp[i]);
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
    pl_driver_service_(c);
  }
}

/* A media thread ticked calls that have packets or events. */
static void on_wake(uv_async_t *a) {
  pl_engine *e = a->data;
  /* Only this thread changes the list, so walking it here needs no lock. */
  for (pl_call *c = e->calls; c; c = c->next)
    if (atomic_exchange(&c->media_out, false))
      pl_driver_service_(c);
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
