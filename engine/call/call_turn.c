/* A call's TURN allocations: the glue between net/turn clients, the ICE
 * agent and the call's sockets (see call_turn.h). ICE sees each allocation
 * as one more socket id carrying a relayed candidate; only this file knows
 * that datagrams on that id are framed for a server. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/call/webrtc.h"
#include "engine/engine.h"

#define N_TURN 4

static bool unspecified(const pl_addr *a) {
  if (a->ss.ss_family == AF_INET)
    return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
  return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

static bool is_sock_family(const pl_call *c, int k, const pl_addr *a) {
  return pl_addr_family(&c->socks[k]) == pl_addr_family(a);
}

int pl_call_turn_init(pl_call *c) {
  pl_wrtc *w = c->wrtc;
  if (c->cfg.turn_ca_file &&
      snprintf(w->turn_ca, sizeof w->turn_ca, "%s", c->cfg.turn_ca_file) >= (int)sizeof w->turn_ca)
    return PL_ERANGE;
  for (int i = 0; i < N_TURN; i++) {
    const char *url = c->cfg.turn_servers[i];
    if (!url)
      continue;
    pl_call_turn *ct = &w->turn[w->n_turn];
    memset(ct, 0, sizeof *ct);
    int rc = pl_turn_url_parse(&ct->url, url);
    if (rc)
      return PL_EINVAL;
    if (ct->url.transport != PL_TURN_UDP) { /* TCP, or TLS over it (the driver's) */
      if (!c->engine->loop)
        return PL_ENOTSUP; /* a sans-IO engine has datagrams only */
      ct->sock = PL_CALL_TCP_SOCK + w->n_turn;
    } else {
      /* A host candidate's socket, so the server's XOR-MAPPED-ADDRESS is
       * that candidate's server-reflexive one; a wildcard one if none. */
      ct->sock = -1;
      for (int pass = 0; pass < 2 && ct->sock < 0; pass++)
        for (int k = 0; k < c->n_socks && ct->sock < 0; k++)
          if (is_sock_family(c, k, &ct->url.server) && (pass || !unspecified(&c->socks[k])))
            ct->sock = k;
      if (ct->sock < 0) {
        PL_WARN("turn", "no local socket of the server's family: server %d left out", i);
        continue;
      }
    }
    pl_turn_config tc = {.server = ct->url.server,
                         .transport = ct->url.transport,
                         .username = ct->url.username,
                         .password = ct->url.password,
                         .rng = &c->rng,
                         .software = "parley"};
    ct->t = pl_turn_new(&tc);
    if (!ct->t)
      return PL_ENOMEM;
    w->n_turn++;
  }
  if (c->cfg.ice_relay_only && !w->n_turn)
    PL_WARN("turn", "relay-only ICE without a TURN server: no candidates at all");
  return 0;
}

void pl_call_turn_free(pl_call *c) {
  pl_wrtc *w = c->wrtc;
  for (int i = 0; i < w->n_turn; i++)
    pl_turn_free(w->turn[i].t);
  w->n_turn = 0;
}

int pl_call_turn_count(const pl_call *c) { return c->wrtc ? c->wrtc->n_turn : 0; }

bool pl_call_turn_is_relay(const pl_call *c, int sock) {
  return c->wrtc && sock >= PL_CALL_RELAY_SOCK && sock < PL_CALL_RELAY_SOCK + c->wrtc->n_turn;
}

static void on_event(pl_call *c, int i, const pl_turn_output *o) {
  pl_wrtc *w = c->wrtc;
  pl_call_turn *ct = &w->turn[i];
  char a[PL_ADDR_STRLEN], b[PL_ADDR_STRLEN], m[PL_ADDR_STRLEN];
  switch (o->event.kind) {
  case PL_TURN_EV_ALLOCATED:
    PL_INFO("turn", "%s: relayed %s, mapped %s, %u s",
            pl_addr_format(&ct->url.server, a, sizeof a),
            pl_addr_format(&o->event.relayed, b, sizeof b),
            pl_addr_format(&o->event.mapped, m, sizeof m), o->event.lifetime_s);
    if (ct->ended || !w->ice)
      break;
    ct->ended = true;
    /* Relayed candidates rank among themselves by server order. */
    if (pl_ice_add_relay(w->ice, PL_CALL_RELAY_SOCK + i, &o->event.relayed,
                         (unsigned)(65535 - i * 256)) >= 0)
      w->n_relay++;
    if (ct->url.transport == PL_TURN_UDP && !c->cfg.ice_relay_only &&
        pl_addr_family(&o->event.mapped) != 0)
      pl_ice_add_server_reflexive(w->ice, ct->sock, &o->event.mapped);
    break;
  case PL_TURN_EV_FAILED:
    snprintf(ct->error, sizeof ct->error, "%s", o->event.reason ? o->event.reason : "failed");
    PL_WARN("turn", "%s: %s", pl_addr_format(&ct->url.server, a, sizeof a), ct->error);
    if (!ct->ended && w->ice)
      pl_ice_relay_failed(w->ice);
    ct->ended = true;
    break;
  case PL_TURN_EV_CLOSED:
    break;
  }
}

static void drain(pl_call *c, int i) {
  pl_call_turn *ct = &c->wrtc->turn[i];
  pl_turn_output o;
  while (pl_turn_poll(ct->t, &o)) {
    if (o.kind == PL_TURN_OUT_TRANSMIT)
      pl_wrtc_queue_raw(c, ct->sock, &ct->url.server, o.transmit.data, o.transmit.len);
    else
      on_event(c, i, &o);
  }
}

void pl_call_turn_pump(pl_call *c, pl_time_us now) {
  (void)now;
  for (int i = 0; c->wrtc && i < c->wrtc->n_turn; i++)
    drain(c, i);
}

void pl_call_turn_start(pl_call *c, pl_time_us now) {
  pl_wrtc *w = c->wrtc;
  for (int i = 0; i < w->n_turn; i++) {
    pl_call_turn *ct = &w->turn[i];
    if (ct->url.transport != PL_TURN_UDP || ct->started)
      continue;
    ct->started = true;
    pl_turn_start(ct->t, now);
  }
  pl_call_turn_pump(c, now);
}

void pl_call_turn_close(pl_call *c, pl_time_us now) {
  pl_wrtc *w = c->wrtc;
  for (int i = 0; w && i < w->n_turn; i++)
    if (w->turn[i].started)
      pl_turn_close(w->turn[i].t, now); /* deallocation: Refresh, lifetime 0 */
  if (w)
    pl_call_turn_pump(c, now);
}

int pl_call_turn_input(pl_call *c, pl_time_us now, int sock, const pl_addr *from,
                       const uint8_t *data, size_t len, int *relay_sock, pl_turn_rx *rx) {
  pl_wrtc *w = c->wrtc;
  for (int i = 0; w && i < w->n_turn; i++) {
    pl_call_turn *ct = &w->turn[i];
    if (ct->sock != sock || ct->url.transport != PL_TURN_UDP ||
        !pl_addr_equal(from, &ct->url.server))
      continue;
    int r = pl_turn_input(ct->t, now, data, len, rx);
    drain(c, i);
    if (r == PL_ENOENT)
      return PL_ENOENT; /* a Binding answer from the same server: ICE's */
    if (r == PL_TURN_RX_DATA) {
      *relay_sock = PL_CALL_RELAY_SOCK + i;
      return 1;
    }
    return 0; /* control, or a counted drop */
  }
  return PL_ENOENT;
}

int pl_call_turn_wrap(pl_call *c, pl_pkt *p, int relay_sock) {
  int i = relay_sock - PL_CALL_RELAY_SOCK;
  pl_call_turn *ct = &c->wrtc->turn[i];
  int n = pl_turn_frame(ct->t, c->wrtc->now, &p->addr, p->data, p->len, p->buf, sizeof p->buf);
  if (n < 0)
    return n;
  p->data = p->buf;
  p->len = (size_t)n;
  p->addr = ct->url.server;
  /* A new peer's CreatePermission and ChannelBind go out behind it. */
  drain(c, i);
  return ct->sock;
}

void pl_call_turn_timeout(pl_call *c, pl_time_us now) {
  pl_wrtc *w = c->wrtc;
  for (int i = 0; i < w->n_turn; i++)
    if (pl_turn_deadline(w->turn[i].t) <= now)
      pl_turn_timeout(w->turn[i].t, now);
  pl_call_turn_pump(c, now);
}

pl_time_us pl_call_turn_deadline(const pl_call *c) {
  pl_time_us d = PL_TIME_NEVER;
  for (int i = 0; c->wrtc && i < c->wrtc->n_turn; i++)
    d = pl_time_min(d, pl_turn_deadline(c->wrtc->turn[i].t));
  return d;
}

void pl_call_turn_fill_stats(const pl_call *c, pl_call_stats *s) {
  const pl_wrtc *w = c->wrtc;
  s->relay_candidates = w->n_relay;
  for (int i = 0; i < w->n_turn; i++) {
    pl_turn_stats ts = pl_turn_get_stats(w->turn[i].t);
    s->turn_allocations += ts.allocations;
    s->turn_bytes_sent += ts.bytes_sent;
    s->turn_bytes_received += ts.bytes_received;
    s->turn_errors += ts.errors;
    if (w->turn[i].error[0])
      snprintf(s->turn_error, sizeof s->turn_error, "%s", w->turn[i].error);
  }
}

/* ---- TCP, for the driver ---- */

bool pl_call_turn_tcp(const pl_call *c, int i, pl_addr *server, bool *tls) {
  const pl_wrtc *w = c->wrtc;
  if (!w || i >= w->n_turn || w->turn[i].url.transport == PL_TURN_UDP)
    return false;
  *server = w->turn[i].url.server;
  *tls = w->turn[i].url.transport == PL_TURN_TLS;
  return true;
}

void pl_call_turn_tcp_connected(pl_call *c, int i, pl_time_us now) {
  pl_call_turn *ct = &c->wrtc->turn[i];
  if (ct->started)
    return;
  ct->started = true;
  c->wrtc->now = now;
  pl_turn_start(ct->t, now);
  drain(c, i);
}

void pl_call_turn_tcp_input(pl_call *c, int i, pl_time_us now, const uint8_t *p, size_t n) {
  pl_call_turn *ct = &c->wrtc->turn[i];
  while (n > 0) {
    int k = pl_turn_stream_input(ct->t, now, p, n);
    if (k < 0)
      break;
    p += k;
    n -= (size_t)k;
    pl_turn_rx rx;
    int r;
    while ((r = pl_turn_stream_next(ct->t, now, &rx)) != PL_EAGAIN) {
      if (r == PL_TURN_RX_DATA)
        /* The frame sits in the client's buffer, which SRTP may decrypt in
         * place: it is consumed, nothing reads it again. */
        pl_call_net_input(c, now, PL_CALL_RELAY_SOCK + i, &rx.peer, (uint8_t *)rx.data, rx.len);
      if (pl_turn_get_state(ct->t) == PL_TURN_FAILED)
        break;
    }
    drain(c, i);
    if (k == 0 || pl_turn_get_state(ct->t) == PL_TURN_FAILED)
      break;
  }
  drain(c, i);
}

void pl_call_turn_tcp_failed(pl_call *c, int i, pl_time_us now, const char *why) {
  (void)now;
  pl_call_turn *ct = &c->wrtc->turn[i];
  char a[PL_ADDR_STRLEN];
  if (ct->ended && ct->error[0])
    return;
  snprintf(ct->error, sizeof ct->error, "TCP to TURN server: %s", why);
  PL_WARN("turn", "%s: %s", pl_addr_format(&ct->url.server, a, sizeof a), ct->error);
  if (!ct->ended && c->wrtc->ice)
    pl_ice_relay_failed(c->wrtc->ice);
  ct->ended = true;
}
