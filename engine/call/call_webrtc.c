/* The WebRTC transport at run time: ICE checks and consent on the call's
 * sockets, DTLS over the selected pair, SRTP keys from the exporter only
 * after the peer's certificate matched its fingerprint, and the W3C-style
 * ICE / DTLS / connection states as events. Offer/answer is call_jsep.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/call/webrtc.h"
#include "engine/engine.h"
#include "net/demux/demux.h"
#include "net/stun/stun.h"

static const char *const ice_names[] = {"new",    "checking",     "connected", "completed",
                                        "failed", "disconnected", "closed"};
static const char *const dtls_names[] = {"new", "connecting", "connected", "closed",
                                         "failed"};
static const char *const conn_names[] = {"new",    "connecting", "connected", "disconnected",
                                         "failed", "closed"};

const char *pl_ice_connection_state_name(pl_ice_connection_state s) {
  return (unsigned)s < 7 ? ice_names[s] : "?";
}
const char *pl_dtls_transport_state_name(pl_dtls_transport_state s) {
  return (unsigned)s < 5 ? dtls_names[s] : "?";
}
const char *pl_connection_state_name(pl_connection_state s) {
  return (unsigned)s < 6 ? conn_names[s] : "?";
}

static int ice_public(pl_ice_state s) {
  switch (s) {
  case PL_ICE_NEW: return PL_ICE_CONNECTION_NEW;
  case PL_ICE_CHECKING: return PL_ICE_CONNECTION_CHECKING;
  case PL_ICE_CONNECTED: return PL_ICE_CONNECTION_CONNECTED;
  case PL_ICE_COMPLETED: return PL_ICE_CONNECTION_COMPLETED;
  case PL_ICE_FAILED: return PL_ICE_CONNECTION_FAILED;
  case PL_ICE_DISCONNECTED: return PL_ICE_CONNECTION_DISCONNECTED;
  default: return PL_ICE_CONNECTION_CLOSED;
  }
}

static void emit_state(pl_call *c, pl_event_type type, int state, int err, const char *detail) {
  if (c->cfg.on_event) {
    pl_event ev = {.type = type, .error = err, .detail = detail, .state = state};
    c->cfg.on_event(c, &ev, c->cfg.user);
  }
}

int pl_wrtc_init(pl_call *c) {
  pl_wrtc *w = calloc(1, sizeof *w);
  if (!w)
    return PL_ENOMEM;
  c->wrtc = w;
  int rc = pl_ice_credentials(w->ufrag, sizeof w->ufrag, w->pwd, sizeof w->pwd);
  if (rc)
    return rc;
  if (c->cfg.stun_server) {
    if (pl_addr_parse(&w->stun, c->cfg.stun_server) != 0)
      return PL_EINVAL;
    w->has_stun = true;
  }
  return pl_call_turn_init(c);
}

void pl_wrtc_free(pl_call *c) {
  pl_wrtc *w = c->wrtc;
  if (!w)
    return;
  pl_dc_free(c);
  if (w->dtls)
    pl_dtls_free(w->dtls);
  if (w->ice)
    pl_ice_free(w->ice);
  pl_call_turn_free(c);
  free(w);
  c->wrtc = NULL;
}

static bool unspecified(const pl_addr *a) {
  if (a->ss.ss_family == AF_INET)
    return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
  return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

int pl_wrtc_prepare(pl_call *c, bool controlling) {
  pl_wrtc *w = c->wrtc;
  if (w->ice)
    return 0;
  pl_ice_config ic;
  memset(&ic, 0, sizeof ic);
  ic.lite = c->cfg.ice_lite;
  ic.role = controlling && !ic.lite ? PL_ICE_CONTROLLING : PL_ICE_CONTROLLED;
  ic.ufrag = w->ufrag;
  ic.pwd = w->pwd;
  ic.rng = &c->rng;
  ic.stun_server = w->has_stun && !ic.lite && !c->cfg.ice_relay_only ? &w->stun : NULL;
  /* A UDP TURN server that is also the STUN server maps us in its Allocate
   * answer already. Asking both at once from one socket starts two flows
   * with one 5-tuple, and a Linux NAT that sees the second before the
   * first is confirmed gives it another port: the allocation would belong
   * to a mapping the rest of our packets no longer use. */
  for (int i = 0; i < w->n_turn && ic.stun_server; i++)
    if (w->turn[i].url.transport == PL_TURN_UDP && pl_addr_equal(&w->turn[i].url.server, &w->stun))
      ic.stun_server = NULL;
  ic.relays_expected = (unsigned)w->n_turn;
  ic.consent_timeout = PL_MS(c->cfg.consent_timeout_ms); /* 0: ICE's default */
  w->ice = pl_ice_new(&ic);
  if (!w->ice)
    return PL_ENOMEM;
  /* Earlier sockets first: `bind` is the address the app asked for. A
   * wildcard socket has no address a peer could reach: not a candidate.
   * Relay-only: no host candidate at all (the sockets still carry TURN). */
  for (int i = 0; i < c->n_socks && !c->cfg.ice_relay_only; i++) {
    if (unspecified(&c->socks[i]))
      continue;
    int rc = pl_ice_add_host(w->ice, i, &c->socks[i], (unsigned)(65535 - i * 256));
    if (rc < 0)
      return rc;
  }
  w->start_pending = true;
  return 0;
}

/* ---- candidates ------------------------------------------------------------ */

static void cand_line(const pl_ice_candidate *ic, char *buf, size_t cap) {
  pl_sdp_candidate s;
  memset(&s, 0, sizeof s);
  snprintf(s.foundation, sizeof s.foundation, "%s", ic->foundation);
  s.component = 1;
  snprintf(s.transport, sizeof s.transport, "udp");
  s.priority = ic->priority;
  pl_addr_ip(&ic->addr, s.address, sizeof s.address);
  s.port = (uint16_t)pl_addr_port(&ic->addr);
  s.type = ic->type == PL_ICE_SRFLX   ? PL_SDP_CAND_SRFLX
           : ic->type == PL_ICE_PRFLX ? PL_SDP_CAND_PRFLX
           : ic->type == PL_ICE_RELAY ? PL_SDP_CAND_RELAY
                                      : PL_SDP_CAND_HOST;
  snprintf(s.type_name, sizeof s.type_name, "%s", pl_ice_cand_type_name(ic->type));
  if (ic->type != PL_ICE_HOST) {
    s.has_raddr = s.has_rport = true;
    pl_addr_ip(&ic->base, s.raddr, sizeof s.raddr);
    s.rport = (uint16_t)pl_addr_port(&ic->base);
  }
  s.generation = 0;
  s.network_id = -1;
  s.network_cost = -1;
  if (pl_sdp_candidate_write(&s, buf, cap) < 0)
    buf[0] = 0;
}

int pl_wrtc_add_candidate(pl_call *c, const pl_sdp_candidate *sc) {
  pl_wrtc *w = c->wrtc;
  if (!w || !w->ice)
    return PL_ESTATE;
  /* rtcp-mux: one component; no TCP candidates (RFC 6544 not done); an mDNS
   * name (".local") would need a resolver this sans-IO core does not own:
   * the peer's checks still reach us and make it a peer-reflexive one. */
  if (sc->component != 1 || strcasecmp(sc->transport, "udp") != 0)
    return 0;
  pl_ice_candidate ic;
  memset(&ic, 0, sizeof ic);
  if (pl_addr_from_ip_port(&ic.addr, sc->address, sc->port) != 0)
    return 0;
  ic.component = 1;
  ic.priority = sc->priority;
  snprintf(ic.foundation, sizeof ic.foundation, "%s", sc->foundation);
  switch (sc->type) {
  case PL_SDP_CAND_HOST: ic.type = PL_ICE_HOST; break;
  case PL_SDP_CAND_SRFLX: ic.type = PL_ICE_SRFLX; break;
  case PL_SDP_CAND_PRFLX: ic.type = PL_ICE_PRFLX; break;
  case PL_SDP_CAND_RELAY: ic.type = PL_ICE_RELAY; break;
  default: return 0;
  }
  int rc = pl_ice_add_remote_candidate(w->ice, w->now, &ic);
  if (rc == 0)
    w->n_remote++;
  return rc == PL_ENOTSUP ? 0 : rc;
}

int pl_wrtc_candidates_text(pl_call *c, bool only_new, char *buf, size_t cap) {
  pl_wrtc *w = c->wrtc;
  size_t n = 0;
  if (!cap)
    return PL_EFULL;
  buf[0] = 0;
  for (int i = 0; i < w->n_cands; i++) {
    if (only_new && w->cands[i].signaled)
      continue;
    int k = snprintf(buf + n, cap - n, "a=%s\r\n", w->cands[i].line);
    if (k < 0 || (size_t)k >= cap - n)
      return PL_EFULL;
    n += (size_t)k;
    w->cands[i].signaled = true;
  }
  if (w->gathering_done && (!only_new || !w->eoc_signaled)) {
    int k = snprintf(buf + n, cap - n, "a=end-of-candidates\r\n");
    if (k < 0 || (size_t)k >= cap - n)
      return PL_EFULL;
    n += (size_t)k;
    w->eoc_signaled = true;
  }
  return (int)n;
}

void pl_wrtc_candidates_to_sdp(pl_call *c, pl_sdp_media *m) {
  pl_wrtc *w = c->wrtc;
  m->n_candidates = 0;
  for (int i = 0; i < w->n_cands && m->n_candidates < PL_SDP_MAX_CANDIDATES; i++) {
    pl_sdp_candidate *sc = &m->candidates[m->n_candidates];
    if (pl_sdp_candidate_parse(sc, w->cands[i].line, strlen(w->cands[i].line)) == 0) {
      m->n_candidates++;
      w->cands[i].signaled = true;
    }
  }
  m->end_of_candidates = w->gathering_done;
  if (w->gathering_done)
    w->eoc_signaled = true;
}

/* ---- states ------------------------------------------------------------------ */

static void set_conn_state(pl_call *c, int err, const char *why) {
  pl_wrtc *w = c->wrtc;
  int s;
  if (atomic_load(&c->state) == PL_CALL_CLOSED && w->conn_state != PL_CONNECTION_FAILED)
    s = PL_CONNECTION_CLOSED;
  else if (w->ice_state == PL_ICE_CONNECTION_FAILED || w->dtls_state == PL_DTLS_TRANSPORT_FAILED)
    s = PL_CONNECTION_FAILED;
  else if (w->dtls_state == PL_DTLS_TRANSPORT_CLOSED)
    s = PL_CONNECTION_CLOSED;
  else if (w->ice_state == PL_ICE_CONNECTION_DISCONNECTED)
    s = PL_CONNECTION_DISCONNECTED;
  else if (w->dtls_state == PL_DTLS_TRANSPORT_CONNECTED &&
           (w->ice_state == PL_ICE_CONNECTION_CONNECTED ||
            w->ice_state == PL_ICE_CONNECTION_COMPLETED))
    s = PL_CONNECTION_CONNECTED;
  else if (w->ice_state != PL_ICE_CONNECTION_NEW || w->dtls_state != PL_DTLS_TRANSPORT_NEW)
    s = PL_CONNECTION_CONNECTING;
  else
    s = PL_CONNECTION_NEW;
  if (s == w->conn_state)
    return;
  w->conn_state = s;
  if (s == PL_CONNECTION_FAILED || s == PL_CONNECTION_CLOSED) {
    atomic_store(&c->state, PL_CALL_CLOSED); /* the call is over: no media */
    pl_dc_transport_closed(c);                /* nor data channels */
  }
  emit_state(c, PL_EVENT_CONNECTION_STATE, s, err, why ? why : conn_names[s]);
}

static void set_dtls_state(pl_call *c, int s, int err, const char *why) {
  pl_wrtc *w = c->wrtc;
  if (w->dtls_state == s)
    return;
  w->dtls_state = s;
  emit_state(c, PL_EVENT_DTLS_STATE, s, err, why ? why : dtls_names[s]);
  set_conn_state(c, err, why);
}

static void activate(pl_call *c, pl_time_us now) {
  c->wrtc->await_peer = false;
  if (atomic_load(&c->state) != PL_CALL_CONNECTING)
    return;
  atomic_store(&c->state, PL_CALL_ACTIVE);
  c->start_us = now ? now : 1;
  c->last_heard = now;
  c->next_rtcp = now + PL_MS(500);
}

/* Keys only now: the handshake finished and the certificate matched the
 * fingerprint (pl_dtls reports CONNECTED for nothing less). */
static void dtls_connected(pl_call *c, pl_time_us now) {
  pl_wrtc *w = c->wrtc;
  pl_dtls_srtp x;
  int rc = pl_dtls_export_srtp(w->dtls, &x);
  if (!rc)
    rc = pl_srtp_keys_from_dtls((pl_srtp_profile)x.profile, x.material, x.len, x.is_client,
                                &c->keys);
  if (!rc && !c->srtp)
    rc = pl_srtp_new(&c->srtp, &c->keys);
  if (rc) {
    set_dtls_state(c, PL_DTLS_TRANSPORT_FAILED, rc, "no SRTP keys from DTLS");
    return;
  }
  w->t_dtls_connected = now;
  if (w->dtls_role == PL_DTLS_SERVER) {
    /* Media sent now would reach a client that has no keys yet. */
    w->await_peer = true;
    w->await_until = now + PL_WRTC_AWAIT_PEER;
  } else {
    activate(c, now);
    pl_call_net_rtcp_now(c, now); /* tells the server we are keyed */
  }
  set_dtls_state(c, PL_DTLS_TRANSPORT_CONNECTED, 0, NULL);
  pl_dc_dtls_connected(c, now);
}

void pl_wrtc_peer_keyed(pl_call *c, pl_time_us now) {
  if (c->wrtc->await_peer)
    activate(c, now);
}

/* ---- output pumps -------------------------------------------------------- */

void pl_wrtc_queue_raw(pl_call *c, int sock, const pl_addr *to, const uint8_t *p, size_t n) {
  pl_pkt *pkt = pl_pkt_from(&c->pool, p, n);
  if (!pkt) {
    c->dropped++;
    return;
  }
  pkt->addr = *to;
  pl_call_net_queue(c, pkt, sock);
}

static void dtls_pump(pl_call *c, pl_time_us now) {
  pl_wrtc *w = c->wrtc;
  pl_dtls_output o;
  while (w->dtls && pl_dtls_poll(w->dtls, &o)) {
    if (o.kind == PL_DTLS_OUT_TRANSMIT) {
      if (w->have_sel)
        pl_wrtc_queue_raw(c, w->sel.socket_id, &w->sel.remote, o.data, o.len);
      else if (w->have_dtls_peer)
        pl_wrtc_queue_raw(c, w->dtls_peer_sock, &w->dtls_peer, o.data, o.len);
      else
        c->dropped++;
    } else if (o.kind == PL_DTLS_OUT_DATA) {
      pl_dc_input(c, now, o.data, o.len); /* an SCTP packet */
    } else if (o.event == PL_DTLS_EV_CONNECTED) {
      dtls_connected(c, now);
    } else if (o.event == PL_DTLS_EV_FAILED) {
      /* After the handshake only the peer's own fatal alert ends DTLS
       * (forged or broken records are discarded and counted). */
      const char *alert;
      char why[96];
      if (pl_dtls_peer_alert(w->dtls, &alert) < 0)
        snprintf(why, sizeof why, "%s",
                 o.error == PL_ETIMEDOUT ? "DTLS handshake timed out" : "DTLS handshake failed");
      else if (o.error == PL_ECLOSED)
        snprintf(why, sizeof why, "DTLS fatal alert from peer: %s", alert);
      else
        snprintf(why, sizeof why, "DTLS handshake failed: peer sent %s", alert);
      set_dtls_state(c, PL_DTLS_TRANSPORT_FAILED, o.error,
                     o.error == PL_EAUTH ? "peer certificate does not match a=fingerprint" : why);
    } else if (o.event == PL_DTLS_EV_CLOSED) {
      bool theirs = !w->closing;
      set_dtls_state(c, PL_DTLS_TRANSPORT_CLOSED, 0, theirs ? "close_notify from peer" : NULL);
      if (theirs && atomic_load(&c->state) != PL_CALL_CLOSED) {
        atomic_store(&c->state, PL_CALL_CLOSED);
        pl_call_emit(c, PL_EVENT_REMOTE_BYE, 0, "DTLS close_notify");
      }
    }
  }
}

static void describe_selected(pl_wrtc *w) {
  size_t n = pl_ice_pair_count(w->ice);
  pl_ice_pair_info p;
  char a[PL_ADDR_STRLEN];
  for (size_t i = 0; i < n; i++) {
    if (pl_ice_get_pair(w->ice, i, &p) != 0 || !p.selected)
      continue;
    snprintf(w->sel_local, sizeof w->sel_local, "%s %s", pl_ice_cand_type_name(p.local.type),
             pl_addr_format(&p.local.addr, a, sizeof a));
    snprintf(w->sel_remote, sizeof w->sel_remote, "%s %s", pl_ice_cand_type_name(p.remote.type),
             pl_addr_format(&p.remote.addr, a, sizeof a));
    return;
  }
}

static void on_selected(pl_call *c, pl_time_us now, const pl_ice_selected *sel) {
  pl_wrtc *w = c->wrtc;
  w->sel = *sel;
  w->have_sel = true;
  describe_selected(w);
  c->remote = sel->remote;
  c->remote_known = true;
  c->tx_sock = sel->socket_id;
  if (w->dtls && w->dtls_role == PL_DTLS_CLIENT && pl_dtls_get_state(w->dtls) == PL_DTLS_NEW)
    pl_dtls_start(w->dtls, now);
  if (w->dtls && w->dtls_state == PL_DTLS_TRANSPORT_NEW)
    set_dtls_state(c, PL_DTLS_TRANSPORT_CONNECTING, 0, NULL);
}

static void ice_event(pl_call *c, pl_time_us now, const pl_ice_output *o) {
  pl_wrtc *w = c->wrtc;
  switch (o->event.kind) {
  case PL_ICE_EV_STATE: {
    int s = ice_public(o->event.state);
    if (s == w->ice_state)
      break;
    w->ice_state = s;
    const char *why = s == PL_ICE_CONNECTION_FAILED && w->have_sel ? "consent expired" : NULL;
    emit_state(c, PL_EVENT_ICE_STATE, s, s == PL_ICE_CONNECTION_FAILED ? PL_ETIMEDOUT : 0,
               why ? why : ice_names[s]);
    set_conn_state(c, s == PL_ICE_CONNECTION_FAILED ? PL_ETIMEDOUT : 0, why);
    break;
  }
  case PL_ICE_EV_LOCAL_CANDIDATE: {
    if (w->n_cands == PL_WRTC_MAX_CANDS)
      break;
    pl_wrtc_cand *k = &w->cands[w->n_cands];
    cand_line(&o->event.candidate, k->line, sizeof k->line);
    if (!k->line[0])
      break;
    k->signaled = false;
    w->n_cands++;
    if (o->event.candidate.type == PL_ICE_SRFLX)
      w->n_srflx++;
    pl_call_emit(c, PL_EVENT_LOCAL_CANDIDATE, 0, k->line);
    break;
  }
  case PL_ICE_EV_GATHERING_DONE:
    w->gathering_done = true;
    pl_call_emit(c, PL_EVENT_GATHERING_DONE, 0, "end-of-candidates");
    break;
  case PL_ICE_EV_SELECTED_PAIR:
    on_selected(c, now, &o->event.selected);
    break;
  case PL_ICE_EV_ROLE:
    break;
  }
}

static void pump(pl_call *c, pl_time_us now) {
  pl_wrtc *w = c->wrtc;
  pl_ice_output o;
  for (int round = 0; round < 4; round++) {
    bool any = false;
    while (w->ice && pl_ice_poll(w->ice, &o)) {
      any = true;
      if (o.kind == PL_ICE_OUT_TRANSMIT)
        pl_wrtc_queue_raw(c, o.transmit.socket_id, &o.transmit.to, o.transmit.data, o.transmit.len);
      else
        ice_event(c, now, &o);
    }
    /* SCTP's packets go into DTLS, and DTLS may hand SCTP more. */
    for (int k = 0; k < 8; k++) {
      dtls_pump(c, now);
      if (!pl_dc_pump(c, now))
        break;
    }
    if (!any)
      break;
  }
}

void pl_wrtc_pump(pl_call *c) { pump(c, c->wrtc->now); }

/* ---- remote description ---------------------------------------------------- */

int pl_wrtc_remote(pl_call *c, const pl_sdp *s, const pl_sdp_media *m, pl_dtls_role role) {
  pl_wrtc *w = c->wrtc;
  pl_sdp_transport t;
  pl_sdp_media_transport(s, m, &t);
  if (!t.ice_ufrag[0] || !t.ice_pwd[0] || t.n_fingerprints == 0)
    return PL_EPARSE;
  if (pl_sdp_fingerprint_write(&t.fingerprints[0], w->remote_fp, sizeof w->remote_fp) < 0)
    return PL_EPARSE;
  int rc = pl_ice_set_remote_credentials(w->ice, t.ice_ufrag, t.ice_pwd);
  if (rc)
    return rc;
  snprintf(w->remote_ufrag, sizeof w->remote_ufrag, "%s", t.ice_ufrag);
  w->remote_lite = s->ice_lite;
  if (s->ice_lite)
    pl_ice_set_remote_lite(w->ice, true);
  w->dtls_role = role;
  pl_dtls_config dc;
  memset(&dc, 0, sizeof dc);
  dc.role = role;
  dc.cert = pl_engine_cert(c->engine);
  dc.remote_fingerprint = w->remote_fp;
  uint16_t prefs[2] = {PL_DTLS_SRTP_AES128_CM_SHA1_80, PL_DTLS_SRTP_AEAD_AES_128_GCM};
  if (c->cfg.crypto == PL_CRYPTO_AEAD_AES_128_GCM) {
    prefs[0] = PL_DTLS_SRTP_AEAD_AES_128_GCM;
    prefs[1] = PL_DTLS_SRTP_AES128_CM_SHA1_80;
  }
  dc.srtp_profiles = prefs;
  dc.n_srtp_profiles = 2;
  if (!dc.cert)
    return PL_ECRYPTO;
  w->dtls = pl_dtls_new(&dc);
  if (!w->dtls)
    return PL_ECRYPTO;
  for (int i = 0; i < m->n_candidates; i++) {
    rc = pl_wrtc_add_candidate(c, &m->candidates[i]);
    if (rc)
      PL_WARN("webrtc", "remote candidate %d refused: %s", i, pl_strerror(rc));
  }
  if (m->end_of_candidates)
    pl_ice_end_of_remote_candidates(w->ice, w->now);
  w->remote_desc = true;
  w->t_negotiated = w->now;
  if (c->engine->loop)
    w->t_negotiated = 0; /* set at the first timeout, on the driver's clock */
  return 0;
}

/* ---- input, timers ------------------------------------------------------------ */

static bool from_valid_pair(const pl_wrtc *w, int sock, const pl_addr *from) {
  if (pl_ice_classify(w->ice, sock, from))
    return true;
  /* The DTLS client may start as soon as its agent selected, before our
   * agent saw the nomination succeed: a valid pair is enough (RFC 8445 12). */
  size_t n = pl_ice_pair_count(w->ice);
  pl_ice_pair_info p;
  for (size_t i = 0; i < n; i++)
    if (pl_ice_get_pair(w->ice, i, &p) == 0 && p.valid && p.local.socket_id == sock &&
        pl_addr_equal(&p.remote.addr, from))
      return true;
  return false;
}

static void note_stun_server(pl_wrtc *w, const pl_addr *from, const uint8_t *p, size_t n) {
  if (!w->has_stun || !pl_addr_equal(from, &w->stun))
    return;
  pl_stun_msg m;
  if (pl_stun_parse(&m, p, n) == 0 && m.cls == PL_STUN_SUCCESS &&
      (m.has & PL_STUN_HAS_XOR_MAPPED))
    pl_addr_format(&m.xor_mapped, w->stun_mapped, sizeof w->stun_mapped);
}

/* The DTLS client is keyed one flight after the server, which may already
 * send media: its first packets wait here (a few, from the pool) instead of
 * being lost, and go through SRTP once the keys exist. */
static int hold_early(pl_call *c, int sock, const pl_addr *from, const uint8_t *data,
                      size_t len) {
  if (c->early.count >= PL_WRTC_MAX_EARLY)
    return PL_EFULL;
  pl_pkt *p = pl_pkt_from(&c->pool, data, len);
  if (!p)
    return PL_EFULL;
  p->addr = *from;
  c->pkt_sock[p - c->pool.slab] = (uint8_t)sock;
  pl_pkt_queue_push(&c->early, p);
  return 0;
}

int pl_wrtc_input(pl_call *c, pl_time_us now, int sock, const pl_addr *from,
                  const uint8_t *data, size_t len) {
  pl_wrtc *w = c->wrtc;
  w->now = now;
  if (!w->ice)
    return PL_ESTATE;
  pl_demux_kind k = pl_demux_classify(data, len);
  int rc = 0;
  switch (k) {
  case PL_DEMUX_STUN:
    note_stun_server(w, from, data, len);
    rc = pl_ice_input(w->ice, now, sock, from, data, len);
    rc = rc < 0 ? rc : 0;
    break;
  case PL_DEMUX_DTLS:
    if (!w->dtls || !from_valid_pair(w, sock, from)) {
      rc = PL_EAUTH;
      break;
    }
    if (!w->have_sel) {
      w->have_dtls_peer = true;
      w->dtls_peer_sock = sock;
      w->dtls_peer = *from;
    }
    if (pl_dtls_get_state(w->dtls) == PL_DTLS_NEW && w->dtls_state == PL_DTLS_TRANSPORT_NEW)
      set_dtls_state(c, PL_DTLS_TRANSPORT_CONNECTING, 0, NULL);
    rc = pl_dtls_input(w->dtls, now, data, len);
    break;
  case PL_DEMUX_RTP:
  case PL_DEMUX_RTCP:
    if (c->srtp)
      rc = pl_ice_classify(w->ice, sock, from) ? 1 : PL_EAUTH;
    else if (w->dtls_state == PL_DTLS_TRANSPORT_CONNECTING && from_valid_pair(w, sock, from))
      rc = hold_early(c, sock, from, data, len);
    else
      rc = PL_ESTATE;
    break;
  default:
    rc = PL_EPARSE;
  }
  pump(c, now);
  return rc;
}

#define PROBE_QUIET PL_MS(500)

static pl_time_us probe_at(const pl_call *c) {
  const pl_wrtc *w = c->wrtc;
  if (atomic_load(&c->state) != PL_CALL_ACTIVE || !w->have_sel || !c->last_heard)
    return PL_TIME_NEVER;
  pl_time_us a = c->last_heard + PROBE_QUIET, b = w->last_probe + PROBE_QUIET;
  return a > b ? a : b;
}

void pl_wrtc_timeout(pl_call *c, pl_time_us now) {
  pl_wrtc *w = c->wrtc;
  w->now = now;
  if (!w->ice)
    return;
  if (w->start_pending) {
    w->start_pending = false;
    w->started = true;
    pl_ice_start(w->ice, now);
    pl_call_turn_start(c, now);
  }
  pl_call_turn_timeout(c, now);
  if (w->remote_desc && !w->t_negotiated)
    w->t_negotiated = now;
  if (w->await_peer && now >= w->await_until)
    activate(c, now); /* a peer that sends nothing still hears us */
  if (pl_ice_deadline(w->ice) <= now)
    pl_ice_timeout(w->ice, now);
  /* Half a second without the peer's media: ask for consent now. If our
   * NAT rebound, the answer shows it and the agent moves the path. */
  pl_time_us quiet = probe_at(c);
  if (quiet <= now) {
    w->last_probe = now;
    pl_ice_probe(w->ice, now);
  }
  if (w->dtls && pl_dtls_deadline(w->dtls) <= now)
    pl_dtls_timeout(w->dtls, now);
  pl_dc_timeout(c, now);
  pump(c, now);
}

pl_time_us pl_wrtc_deadline(const pl_call *c) {
  const pl_wrtc *w = c->wrtc;
  if (!w || !w->ice || w->conn_state == PL_CONNECTION_FAILED ||
      w->conn_state == PL_CONNECTION_CLOSED)
    return PL_TIME_NEVER;
  if (w->start_pending || (w->remote_desc && !w->t_negotiated))
    return 0;
  pl_time_us d = pl_ice_deadline(w->ice);
  if (w->await_peer)
    d = pl_time_min(d, w->await_until);
  if (w->dtls)
    d = pl_time_min(d, pl_dtls_deadline(w->dtls));
  d = pl_time_min(d, pl_call_turn_deadline(c));
  d = pl_time_min(d, probe_at(c));
  return pl_time_min(d, pl_dc_deadline(c));
}

void pl_wrtc_close(pl_call *c) {
  pl_wrtc *w = c->wrtc;
  if (!w || w->closing)
    return;
  w->closing = true;
  if (w->dtls && pl_dtls_get_state(w->dtls) == PL_DTLS_CONNECTED) {
    pl_dtls_close(w->dtls);
    dtls_pump(c, w->now);
  }
  if (w->ice) {
    pl_ice_close(w->ice);
    pump(c, w->now);
  }
  pl_call_turn_close(c, w->now); /* after DTLS's close_notify went through it */
}

void pl_wrtc_fill_stats(pl_call *c, pl_call_stats *s) {
  pl_wrtc *w = c->wrtc;
  if (!w || !c->webrtc)
    return;
  s->ice_state = w->ice_state;
  s->dtls_state = w->dtls_state;
  s->connection_state = w->conn_state;
  if (w->ice) {
    pl_ice_stats is = pl_ice_get_stats(w->ice);
    s->stun_bad_integrity = is.bad_integrity;
    s->ice_checks_sent = is.checks_sent;
    s->ice_checks_received = is.checks_received;
    s->consent_ok = is.consent_ok;
    s->ice_rebinds = is.rebinds;
  }
  s->ice_restarts = w->ice_restarts;
  if (w->dtls)
    s->dtls_records_discarded = pl_dtls_get_stats(w->dtls).records_discarded;
  snprintf(s->local_candidate, sizeof s->local_candidate, "%s", w->sel_local);
  snprintf(s->remote_candidate, sizeof s->remote_candidate, "%s", w->sel_remote);
  if (c->srtp) {
    const pl_srtp_profile_info *pi = pl_srtp_profile_get(pl_srtp_get_profile(c->srtp));
    snprintf(s->srtp_profile, sizeof s->srtp_profile, "%s", pi ? pi->name : "?");
  }
  s->dtls_connected_s = w->t_dtls_connected && w->t_negotiated
                            ? (double)(w->t_dtls_connected - w->t_negotiated) / 1e6
                            : -1;
  s->local_candidates = w->n_cands;
  s->srflx_candidates = w->n_srflx;
  s->remote_candidates = w->n_remote;
  snprintf(s->stun_mapped, sizeof s->stun_mapped, "%s", w->stun_mapped);
  pl_call_turn_fill_stats(c, s);
}
