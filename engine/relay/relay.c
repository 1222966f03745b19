/* The relay is a driver, so it reads the clock (uv_hrtime) and owns the
 * sockets; the emulator cores stay sans-IO. Receive buffers are fixed in
 * the struct and sends use uv_udp_try_send, so relaying a datagram copies it
 * into the link's pool once and allocates nothing. */
#include "engine/relay/relay.h"

#include <stdlib.h>
#include <string.h>

#include "parley.h"

#define RECV_BUF 65536

struct pl_relay {
  uv_loop_t *loop;
  uv_udp_t a_sock; /* bound to `listen`, faces A */
  uv_udp_t b_sock; /* ephemeral, faces B */
  uv_timer_t timer;
  int open_handles;
  bool closing;
  pl_emu_link *fwd, *rev;
  pl_addr listen, forward, toward_b, peer_a;
  bool have_a;
  bool start_on_first; /* links not started yet: A's first datagram does it */
  pl_relay_stats st;
  char a_buf[RECV_BUF];
  char b_buf[RECV_BUF];
};

static pl_time_us now_us(void) { return (pl_time_us)(uv_hrtime() / 1000); }

static void on_close(uv_handle_t *h) {
  pl_relay *r = h->data;
  if (--r->open_handles > 0)
    return;
  pl_emu_link_free(r->fwd);
  pl_emu_link_free(r->rev);
  free(r);
}

static void send_one(pl_relay *r, uv_udp_t *sock, const pl_addr *to, pl_pkt *p) {
  uv_buf_t b = uv_buf_init((char *)p->data, (unsigned)p->len);
  int rc = uv_udp_try_send(sock, &b, 1, (const struct sockaddr *)&to->ss);
  if (rc < 0)
    r->st.send_errors++;
}

static void on_timer(uv_timer_t *t);

/* Deliver whatever is due, then sleep until the next deadline. */
static void pump(pl_relay *r) {
  if (r->closing)
    return;
  pl_time_us now = now_us();
  pl_pkt *p;
  while (pl_emu_link_poll(r->fwd, now, &p)) {
    send_one(r, &r->b_sock, &r->forward, p);
    pl_emu_link_release(r->fwd, p);
  }
  while (pl_emu_link_poll(r->rev, now, &p)) {
    if (r->have_a)
      send_one(r, &r->a_sock, &r->peer_a, p);
    else
      r->st.no_peer++;
    pl_emu_link_release(r->rev, p);
  }
  pl_time_us dl = pl_time_min(pl_emu_link_deadline(r->fwd), pl_emu_link_deadline(r->rev));
  if (dl == PL_TIME_NEVER) {
    uv_timer_stop(&r->timer);
    return;
  }
  /* libuv timers count whole milliseconds; round up so we never wake early
   * and spin. */
  pl_time_us wait = dl > now ? dl - now : 0;
  uv_timer_start(&r->timer, on_timer, (uint64_t)((wait + 999) / 1000), 0);
}

static void on_timer(uv_timer_t *t) { pump(t->data); }

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  pl_relay *r = h->data;
  char *mem = h == (uv_handle_t *)&r->a_sock ? r->a_buf : r->b_buf;
  *buf = uv_buf_init(mem, RECV_BUF);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *from, unsigned flags) {
  pl_relay *r = h->data;
  if (nread < 0) {
    r->st.recv_errors++;
    return;
  }
  if (!from) /* nothing more to read for now */
    return;
  if ((flags & UV_UDP_PARTIAL) || (size_t)nread > PL_PKT_CAPACITY) {
    r->st.too_big++;
    return;
  }
  pl_addr src;
  memset(&src, 0, sizeof src);
  memcpy(&src.ss, from,
         from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                     : sizeof(struct sockaddr_in));
  pl_time_us now = now_us();
  if (h == &r->a_sock) {
    if (r->start_on_first) {
      r->start_on_first = false;
      pl_emu_link_start(r->fwd, now);
      pl_emu_link_start(r->rev, now);
      r->st.started = now;
    }
    r->peer_a = src; /* A is whoever spoke last, as a symmetric RTP relay */
    r->have_a = true;
    pl_emu_link_input(r->fwd, now, (const uint8_t *)buf->base, (size_t)nread,
                      &r->forward);
  } else {
    if (!pl_addr_equal(&src, &r->forward)) {
      r->st.from_unknown++;
      return;
    }
    pl_emu_link_input(r->rev, now, (const uint8_t *)buf->base, (size_t)nread, NULL);
  }
  pump(r);
}

static int uv_to_pl(int rc) {
  switch (rc) {
  case UV_EADDRINUSE:
    return PL_EADDRINUSE;
  case UV_ENOMEM:
    return PL_ENOMEM;
  case UV_EINVAL:
  case UV_EAFNOSUPPORT:
  case UV_EADDRNOTAVAIL:
    return PL_EINVAL;
  default:
    return PL_EIO;
  }
}

static void sockname(uv_udp_t *s, pl_addr *out) {
  int len = sizeof out->ss;
  memset(out, 0, sizeof *out);
  uv_udp_getsockname(s, (struct sockaddr *)&out->ss, &len);
}

static void close_all(pl_relay *r) {
  r->closing = true;
  uv_handle_t *hs[] = {(uv_handle_t *)&r->a_sock, (uv_handle_t *)&r->b_sock,
                       (uv_handle_t *)&r->timer};
  for (int i = 0; i < 3; i++)
    if (hs[i]->loop && !uv_is_closing(hs[i]))
      uv_close(hs[i], on_close);
}

int pl_relay_new(pl_relay **out, uv_loop_t *loop, const pl_relay_config *cfg) {
  *out = NULL;
  if (!loop || !cfg)
    return PL_EINVAL;
  int fam_l = pl_addr_family(&cfg->listen), fam_f = pl_addr_family(&cfg->forward);
  if ((fam_l != AF_INET && fam_l != AF_INET6) || (fam_f != AF_INET && fam_f != AF_INET6))
    return PL_EINVAL;
  pl_relay *r = calloc(1, sizeof *r);
  if (!r)
    return PL_ENOMEM;
  r->loop = loop;
  r->listen = cfg->listen;
  r->forward = cfg->forward;
  pl_emu_scenario clean = {.seed = 1};
  const pl_emu_scenario *net = cfg->net ? cfg->net : &clean;
  int rc = pl_emu_link_new(&r->fwd, &net->fwd, net->seed);
  if (!rc)
    rc = pl_emu_link_new(&r->rev, &net->rev, net->seed + 1);
  if (rc) {
    pl_emu_link_free(r->fwd);
    free(r);
    return rc;
  }
  /* From here on failures close handles asynchronously. */
  if ((rc = uv_udp_init(loop, &r->a_sock)) != 0) {
    pl_emu_link_free(r->fwd);
    pl_emu_link_free(r->rev);
    free(r);
    return uv_to_pl(rc);
  }
  r->a_sock.data = r;
  r->open_handles = 1;
  if ((rc = uv_udp_init(loop, &r->b_sock)) == 0) {
    r->b_sock.data = r;
    r->open_handles++;
  }
  if (rc == 0 && (rc = uv_timer_init(loop, &r->timer)) == 0) {
    r->timer.data = r;
    r->open_handles++;
  }
  if (rc == 0)
    rc = uv_udp_bind(&r->a_sock, (const struct sockaddr *)&r->listen.ss, 0);
  if (rc == 0) {
    /* B's side stays on loopback when B is there, else any interface. */
    pl_addr bside;
    char ip[64];
    pl_addr_ip(&r->forward, ip, sizeof ip);
    bool lo = fam_f == AF_INET ? strncmp(ip, "127.", 4) == 0 : strcmp(ip, "::1") == 0;
    pl_addr_from_ip_port(&bside, lo ? ip : (fam_f == AF_INET6 ? "::" : "0.0.0.0"), 0);
    rc = uv_udp_bind(&r->b_sock, (const struct sockaddr *)&bside.ss, 0);
  }
  if (rc == 0)
    rc = uv_udp_recv_start(&r->a_sock, on_alloc, on_recv);
  if (rc == 0)
    rc = uv_udp_recv_start(&r->b_sock, on_alloc, on_recv);
  if (rc != 0) {
    close_all(r);
    return uv_to_pl(rc);
  }
  sockname(&r->a_sock, &r->listen);
  sockname(&r->b_sock, &r->toward_b);
  /* Schedules run from the relay's start, or from A's first datagram. A
   * datagram from B before that starts nothing: B answers A. */
  r->start_on_first = cfg->start_on_first;
  if (!r->start_on_first) {
    pl_time_us now = now_us();
    pl_emu_link_start(r->fwd, now);
    pl_emu_link_start(r->rev, now);
    r->st.started = now;
  }
  *out = r;
  return 0;
}

void pl_relay_addrs(const pl_relay *r, pl_addr *listen, pl_addr *toward_b) {
  if (listen)
    *listen = r->listen;
  if (toward_b)
    *toward_b = r->toward_b;
}

void pl_relay_get_stats(const pl_relay *r, pl_relay_stats *out) {
  *out = r->st;
  pl_time_us now = now_us();
  pl_emu_link_stats(r->fwd, now, &out->fwd);
  pl_emu_link_stats(r->rev, now, &out->rev);
  out->now = now;
}

pl_time_us pl_relay_qdelay_quantile(const pl_relay *r, int dir, double q) {
  return pl_emu_link_qdelay_quantile(dir ? r->rev : r->fwd, q);
}

void pl_relay_qdelay_reset(pl_relay *r) {
  pl_emu_link_qdelay_reset(r->fwd);
  pl_emu_link_qdelay_reset(r->rev);
}

void pl_relay_close(pl_relay *r) {
  if (!r || r->closing)
    return;
  uv_udp_recv_stop(&r->a_sock);
  uv_udp_recv_stop(&r->b_sock);
  uv_timer_stop(&r->timer);
  close_all(r);
}
