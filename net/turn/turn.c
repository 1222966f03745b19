/* TURN client: the allocation's life cycle (Allocate with the long-term
 * credential challenge, Refresh before expiry, deallocation), the
 * transactions behind every request (retransmitted over UDP, timed over
 * streams, re-sent once per fresh nonce up to a bound), events and the
 * poll/deadline contract. Permissions, channels and data: turn_peers.c. */
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "net/turn/turn_internal.h"
#include "parley.h"

const char *pl_turn_state_name(pl_turn_state s) {
  static const char *const n[] = {"idle",   "allocating", "allocated",
                                  "failed", "closing",    "closed"};
  return (unsigned)s < 6 ? n[s] : "?";
}

static int copy_str(char *dst, const char *src) {
  size_t n = src ? strlen(src) : 0;
  if (n == 0 || n > PL_TURN_CRED_MAX)
    return PL_EINVAL;
  memcpy(dst, src, n + 1);
  return 0;
}

pl_turn *pl_turn_new(const pl_turn_config *cfg) {
  if (!cfg || !cfg->rng ||
      (pl_addr_family(&cfg->server) != AF_INET &&
       pl_addr_family(&cfg->server) != AF_INET6))
    return NULL;
  pl_turn *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->cfg = *cfg;
  if (copy_str(t->user, cfg->username) || copy_str(t->pass, cfg->password) ||
      pl_stun_txq_init(&t->txq, 2 * TURN_MAX_TX) < 0) {
    pl_turn_free(t);
    return NULL;
  }
  t->cfg.username = t->cfg.password = NULL;
  if (!t->cfg.lifetime_s)
    t->cfg.lifetime_s = 600;
  if (!t->cfg.rto)
    t->cfg.rto = PL_MS(500);
  if (!t->cfg.max_sends)
    t->cfg.max_sends = 7;
  if (!t->cfg.stream_timeout)
    t->cfg.stream_timeout = PL_SEC(10);
  if (!t->cfg.max_stale_nonce)
    t->cfg.max_stale_nonce = 3;
  t->rng = cfg->rng;
  t->stream = cfg->transport != PL_TURN_UDP;
  t->refresh_tx = -1;
  for (int i = 0; i < PL_TURN_MAX_PEERS; i++)
    t->perms[i].tx = -1;
  for (int i = 0; i < PL_TURN_MAX_CHANNELS; i++)
    t->chans[i].tx = -1;
  return t;
}

void pl_turn_free(pl_turn *t) {
  if (!t)
    return;
  pl_stun_txq_destroy(&t->txq);
  memset(t->key, 0, sizeof t->key);
  free(t);
}

/* ---- events and output ---- */

void pl_turn_emit_(pl_turn *t, pl_turn_event_kind k, int err, unsigned code,
                   const char *reason) {
  if (t->ev_count == TURN_MAX_EVENTS)
    return; /* at most a handful per life: cannot fill up in practice */
  turn_event *e = &t->events[(t->ev_head + t->ev_count) % TURN_MAX_EVENTS];
  e->kind = k;
  e->error = err;
  e->code = code;
  e->reason = reason;
  t->ev_count++;
}

void pl_turn_queue_(pl_turn *t, const uint8_t *p, size_t n) {
  pl_stun_tx *x = pl_stun_txq_reserve(&t->txq);
  if (!x || n > sizeof x->data) {
    t->stats.tx_dropped++;
    return;
  }
  x->socket_id = 0;
  x->to = t->cfg.server;
  x->len = n;
  memcpy(x->data, p, n);
  pl_stun_txq_commit(&t->txq);
}

static void cancel_all(pl_turn *t) {
  for (int i = 0; i < TURN_MAX_TX; i++)
    t->txs[i].used = false;
  t->refresh_tx = -1;
  for (int i = 0; i < PL_TURN_MAX_PEERS; i++)
    t->perms[i].tx = -1;
  for (int i = 0; i < PL_TURN_MAX_CHANNELS; i++)
    t->chans[i].tx = -1;
}

void pl_turn_fail_(pl_turn *t, int err, unsigned code, const char *reason) {
  if (t->state == PL_TURN_FAILED || t->state == PL_TURN_CLOSED)
    return;
  bool closing = t->state == PL_TURN_CLOSING;
  cancel_all(t);
  memset(t->perms, 0, sizeof t->perms);
  memset(t->chans, 0, sizeof t->chans);
  for (int i = 0; i < PL_TURN_MAX_PEERS; i++)
    t->perms[i].tx = -1;
  for (int i = 0; i < PL_TURN_MAX_CHANNELS; i++)
    t->chans[i].tx = -1;
  t->state = closing ? PL_TURN_CLOSED : PL_TURN_FAILED;
  pl_turn_emit_(t, closing ? PL_TURN_EV_CLOSED : PL_TURN_EV_FAILED, err, code,
                reason);
}

/* ---- requests ---- */

static int free_tx(const pl_turn *t) {
  for (int i = 0; i < TURN_MAX_TX; i++)
    if (!t->txs[i].used)
      return i;
  return -1;
}

static uint16_t method_of(turn_req k) {
  switch (k) {
  case REQ_ALLOCATE: return PL_TURN_ALLOCATE;
  case REQ_REFRESH:
  case REQ_DEALLOCATE: return PL_TURN_REFRESH;
  case REQ_PERMISSION: return PL_TURN_CREATE_PERMISSION;
  default: return PL_TURN_CHANNEL_BIND;
  }
}

/* Writes the request for x (a fresh transaction id each time: a re-sent
 * request after 401/438 is a new transaction, RFC 8489 9.2.3.3). */
static int build(pl_turn *t, turn_tx *x) {
  uint64_t a = pl_rng_u64(t->rng), b2 = pl_rng_u64(t->rng);
  memcpy(x->txid, &a, 8);
  memcpy(x->txid + 8, &b2, 4);
  pl_stun_builder b;
  pl_stun_build_begin(&b, x->msg, sizeof x->msg,
                      pl_stun_type(method_of(x->kind), PL_STUN_REQUEST), x->txid);
  switch (x->kind) {
  case REQ_ALLOCATE: {
    uint8_t udp[4] = {17, 0, 0, 0}; /* REQUESTED-TRANSPORT: UDP */
    pl_stun_put_bytes(&b, PL_TURN_ATTR_REQUESTED_TRANSPORT, udp, 4);
    pl_stun_put_u32(&b, PL_TURN_ATTR_LIFETIME, t->cfg.lifetime_s);
    break;
  }
  case REQ_REFRESH:
    pl_stun_put_u32(&b, PL_TURN_ATTR_LIFETIME, t->cfg.lifetime_s);
    break;
  case REQ_DEALLOCATE:
    pl_stun_put_u32(&b, PL_TURN_ATTR_LIFETIME, 0);
    break;
  case REQ_PERMISSION:
    pl_turn_put_xor_addr_(&b, PL_TURN_ATTR_XOR_PEER_ADDRESS, &t->perms[x->slot].ip);
    break;
  case REQ_CHANNEL:
    pl_stun_put_u32(&b, PL_TURN_ATTR_CHANNEL_NUMBER,
                    (uint32_t)t->chans[x->slot].number << 16);
    pl_turn_put_xor_addr_(&b, PL_TURN_ATTR_XOR_PEER_ADDRESS, &t->chans[x->slot].peer);
    break;
  }
  if (t->cfg.software)
    pl_stun_put_bytes(&b, PL_STUN_ATTR_SOFTWARE, t->cfg.software,
                      strlen(t->cfg.software));
  x->authed = t->have_key;
  if (t->have_key) {
    pl_stun_put_bytes(&b, PL_STUN_ATTR_USERNAME, t->user, strlen(t->user));
    pl_stun_put_bytes(&b, PL_STUN_ATTR_REALM, t->realm, strlen(t->realm));
    pl_stun_put_bytes(&b, PL_STUN_ATTR_NONCE, t->nonce, strlen(t->nonce));
    pl_stun_put_integrity(&b, t->key, sizeof t->key);
  }
  pl_stun_put_fingerprint(&b);
  int len = pl_stun_build_end(&b);
  if (len < 0)
    return len;
  x->len = (size_t)len;
  return 0;
}

static void send_tx(pl_turn *t, turn_tx *x, pl_time_us now) {
  x->sends = 1;
  x->cur = t->cfg.rto;
  if (t->stream) {
    x->next = PL_TIME_NEVER; /* a stream delivers or breaks: no resends */
    x->expire = now + t->cfg.stream_timeout;
  } else {
    x->next = now + x->cur;
    x->expire = PL_TIME_NEVER;
  }
  t->stats.requests_sent++;
  pl_turn_queue_(t, x->msg, x->len);
}

int pl_turn_request_(pl_turn *t, pl_time_us now, turn_req kind, int slot) {
  int i = free_tx(t);
  if (i < 0) {
    t->stats.tx_dropped++;
    return PL_EFULL;
  }
  turn_tx *x = &t->txs[i];
  memset(x, 0, sizeof *x);
  x->used = true;
  x->kind = kind;
  x->slot = slot;
  int rc = build(t, x);
  if (rc) {
    x->used = false;
    return rc;
  }
  send_tx(t, x, now);
  return i;
}

int pl_turn_start(pl_turn *t, pl_time_us now) {
  if (t->state != PL_TURN_IDLE)
    return t->state == PL_TURN_ALLOCATING || t->state == PL_TURN_ALLOCATED ? 0
                                                                           : PL_ESTATE;
  t->state = PL_TURN_ALLOCATING;
  int rc = pl_turn_request_(t, now, REQ_ALLOCATE, -1);
  return rc < 0 ? rc : 0;
}

void pl_turn_close(pl_turn *t, pl_time_us now) {
  if (t->state == PL_TURN_ALLOCATED) {
    cancel_all(t);
    t->state = PL_TURN_CLOSING;
    if (pl_turn_request_(t, now, REQ_DEALLOCATE, -1) >= 0)
      return;
  }
  if (t->state == PL_TURN_CLOSED || t->state == PL_TURN_FAILED)
    return;
  cancel_all(t);
  t->state = PL_TURN_CLOSED;
  pl_turn_emit_(t, PL_TURN_EV_CLOSED, 0, 0, "closed");
}

/* ---- answers ---- */

static int find_tx(const pl_turn *t, const uint8_t *txid) {
  for (int i = 0; i < TURN_MAX_TX; i++)
    if (t->txs[i].used && !memcmp(t->txs[i].txid, txid, PL_STUN_TXID_LEN))
      return i;
  return -1;
}

/* Takes REALM and NONCE from a 401/438; the key follows the realm. */
static int take_challenge(pl_turn *t, const pl_stun_msg *m) {
  const uint8_t *v;
  size_t n;
  if (pl_stun_attr_find(m, PL_STUN_ATTR_NONCE, &v, &n) || n == 0 ||
      n > PL_TURN_CRED_MAX || memchr(v, 0, n))
    return PL_EPARSE;
  memcpy(t->nonce, v, n);
  t->nonce[n] = 0;
  if (pl_stun_attr_find(m, PL_STUN_ATTR_REALM, &v, &n) == 0) {
    if (n == 0 || n > PL_TURN_CRED_MAX || memchr(v, 0, n))
      return PL_EPARSE;
    if (!t->have_key || strlen(t->realm) != n || memcmp(t->realm, v, n)) {
      memcpy(t->realm, v, n);
      t->realm[n] = 0;
      t->have_key = false;
    }
  } else if (!t->have_key) {
    return PL_EPARSE; /* a first challenge must name the realm */
  }
  if (!t->have_key) {
    int rc = pl_turn_long_term_key_(t->user, t->realm, t->pass, t->key);
    if (rc)
      return rc;
    t->have_key = true;
  }
  return 0;
}

static void tx_done(pl_turn *t, int i) {
  t->txs[i].used = false;
  if (t->refresh_tx == i)
    t->refresh_tx = -1;
}

static const char *error_text(unsigned code) {
  switch (code) {
  case PL_STUN_ERR_UNAUTHORIZED: return "TURN 401: credentials refused";
  case PL_TURN_ERR_FORBIDDEN: return "TURN 403: forbidden";
  case PL_TURN_ERR_MISMATCH: return "TURN 437: allocation mismatch";
  case PL_TURN_ERR_STALE_NONCE: return "TURN 438: stale nonce, retries spent";
  case PL_TURN_ERR_QUOTA: return "TURN 486: allocation quota reached";
  case PL_TURN_ERR_CAPACITY: return "TURN 508: server out of capacity";
  case 420: return "TURN 420: unknown attribute";
  case 440: return "TURN 440: address family not supported";
  case 442: return "TURN 442: unsupported transport protocol";
  default: return "TURN error response";
  }
}

static int error_errno(unsigned code) {
  switch (code) {
  case PL_STUN_ERR_UNAUTHORIZED:
  case PL_TURN_ERR_STALE_NONCE: return PL_EAUTH;
  case PL_TURN_ERR_FORBIDDEN: return PL_EDENIED;
  case PL_TURN_ERR_QUOTA:
  case PL_TURN_ERR_CAPACITY: return PL_EBUSY;
  default: return PL_ENOTSUP;
  }
}

static void allocated(pl_turn *t, const pl_stun_msg *m) {
  pl_addr relayed, mapped;
  if (pl_turn_get_xor_addr_(m, PL_TURN_ATTR_XOR_RELAYED_ADDRESS, &relayed)) {
    pl_turn_fail_(t, PL_EPARSE, 0, "TURN Allocate answer without a relayed address");
    return;
  }
  memset(&mapped, 0, sizeof mapped);
  if (m->has & PL_STUN_HAS_XOR_MAPPED)
    mapped = m->xor_mapped;
  const uint8_t *v;
  size_t n;
  uint32_t life = t->cfg.lifetime_s;
  if (pl_stun_attr_find(m, PL_TURN_ATTR_LIFETIME, &v, &n) == 0 && n == 4)
    life = pl_be32(v);
  t->relayed = relayed;
  t->mapped = mapped;
  t->lifetime_s = life;
  t->state = PL_TURN_ALLOCATED;
  t->stats.allocations++;
  pl_turn_emit_(t, PL_TURN_EV_ALLOCATED, 0, 0, "allocated");
}

/* Refresh a minute before expiry, or halfway through a short lifetime. */
static void schedule_refresh(pl_turn *t, pl_time_us now) {
  pl_time_us life = PL_SEC(t->lifetime_s);
  pl_time_us margin = life / 2 < PL_SEC(60) ? life / 2 : PL_SEC(60);
  t->refresh_at = now + life - margin;
}

static void on_success(pl_turn *t, pl_time_us now, int i, const pl_stun_msg *m) {
  turn_tx x = t->txs[i];
  tx_done(t, i);
  switch (x.kind) {
  case REQ_ALLOCATE:
    allocated(t, m);
    schedule_refresh(t, now);
    break;
  case REQ_REFRESH: {
    const uint8_t *v;
    size_t n;
    if (pl_stun_attr_find(m, PL_TURN_ATTR_LIFETIME, &v, &n) == 0 && n == 4)
      t->lifetime_s = pl_be32(v);
    t->stats.refreshes++;
    schedule_refresh(t, now);
    break;
  }
  case REQ_DEALLOCATE:
    t->state = PL_TURN_CLOSED;
    pl_turn_emit_(t, PL_TURN_EV_CLOSED, 0, 0, "deallocated");
    break;
  default:
    pl_turn_peer_answer_(t, now, &x, true);
  }
}

static void request_failed(pl_turn *t, pl_time_us now, const turn_tx *x, int err,
                           unsigned code, const char *why) {
  t->stats.errors++;
  switch (x->kind) {
  case REQ_ALLOCATE:
  case REQ_REFRESH: /* the allocation is gone or going: nothing relays */
  case REQ_DEALLOCATE:
    pl_turn_fail_(t, err, code, why);
    break;
  default:
    pl_turn_peer_answer_(t, now, x, false);
  }
}

static void on_error(pl_turn *t, pl_time_us now, int i, const pl_stun_msg *m) {
  turn_tx *x = &t->txs[i];
  unsigned code = m->error_code;
  bool challenge = code == PL_STUN_ERR_UNAUTHORIZED && !x->authed;
  if (code == PL_TURN_ERR_STALE_NONCE ||
      (code == PL_STUN_ERR_UNAUTHORIZED && x->authed && x->kind != REQ_ALLOCATE))
    t->stats.stale_nonces++;
  /* 401 to a request without credentials is the challenge; 438 (and, after
   * the allocation, a 401 that only means a new nonce) is answered with the
   * new nonce, at most max_stale_nonce times in a row per request, so a
   * server that keeps saying "stale" cannot keep us busy forever. */
  bool retry = challenge || code == PL_TURN_ERR_STALE_NONCE ||
               (code == PL_STUN_ERR_UNAUTHORIZED && x->authed && x->kind != REQ_ALLOCATE);
  if (retry && !challenge && ++x->stale > t->cfg.max_stale_nonce)
    retry = false;
  if (retry && take_challenge(t, m) == 0) {
    if (challenge)
      t->stats.auth_challenges++;
    unsigned stale = x->stale;
    if (build(t, x) == 0) {
      x->stale = stale;
      send_tx(t, x, now);
      return;
    }
  }
  turn_tx copy = *x;
  tx_done(t, i);
  request_failed(t, now, &copy, error_errno(code), code, error_text(code));
}

static int on_response(pl_turn *t, pl_time_us now, const pl_stun_msg *m) {
  int i = find_tx(t, m->txid);
  if (i < 0) {
    t->stats.dropped++; /* a late answer to a request already settled */
    return PL_ESTATE;
  }
  turn_tx *x = &t->txs[i];
  if (m->method != method_of(x->kind)) {
    t->stats.dropped++;
    return PL_EPARSE;
  }
  /* An answer to an authenticated request proves itself with the same key
   * (RFC 8489 9.2.5); 401 and 438 carry none and are taken as challenges. */
  bool unauth_ok = m->cls == PL_STUN_ERROR &&
                   (m->error_code == PL_STUN_ERR_UNAUTHORIZED ||
                    m->error_code == PL_TURN_ERR_STALE_NONCE);
  if (x->authed && !unauth_ok &&
      pl_stun_check_integrity(m, t->key, sizeof t->key) != 0) {
    t->stats.dropped++;
    return PL_EAUTH;
  }
  if (m->cls == PL_STUN_SUCCESS)
    on_success(t, now, i, m);
  else
    on_error(t, now, i, m);
  return PL_TURN_RX_CONTROL;
}

static int input_one(pl_turn *t, pl_time_us now, const uint8_t *p, size_t n,
                     pl_turn_rx *rx) {
  if (t->state == PL_TURN_IDLE || t->state == PL_TURN_CLOSED ||
      t->state == PL_TURN_FAILED) {
    t->stats.dropped++;
    return PL_ESTATE;
  }
  if (pl_turn_is_channel_data(p, n))
    return pl_turn_channel_input_(t, p, n, rx);
  pl_stun_msg m;
  int rc = pl_stun_parse(&m, p, n);
  if (rc) {
    t->stats.dropped++;
    return rc;
  }
  if ((m.has & PL_STUN_HAS_FINGERPRINT) && !m.fingerprint_ok) {
    t->stats.dropped++;
    return PL_EPARSE;
  }
  switch (m.method) {
  case PL_TURN_ALLOCATE:
  case PL_TURN_REFRESH:
  case PL_TURN_CREATE_PERMISSION:
  case PL_TURN_CHANNEL_BIND:
    if (m.cls != PL_STUN_SUCCESS && m.cls != PL_STUN_ERROR) {
      t->stats.dropped++;
      return PL_EPARSE;
    }
    return on_response(t, now, &m);
  case PL_TURN_DATA:
    if (m.cls != PL_STUN_INDICATION) {
      t->stats.dropped++;
      return PL_EPARSE;
    }
    return pl_turn_data_input_(t, &m, rx);
  default:
    return PL_ENOENT; /* not TURN (a Binding answer for ICE): not ours */
  }
}

int pl_turn_input(pl_turn *t, pl_time_us now, const uint8_t *p, size_t n,
                  pl_turn_rx *rx) {
  if (!p || !rx)
    return PL_EINVAL;
  return input_one(t, now, p, n, rx);
}

int pl_turn_stream_input(pl_turn *t, pl_time_us now, const uint8_t *p, size_t n) {
  (void)now;
  if (!t->stream || t->state == PL_TURN_FAILED || t->state == PL_TURN_CLOSED)
    return PL_ESTATE;
  if (t->soff) {
    memmove(t->sbuf, t->sbuf + t->soff, t->slen - t->soff);
    t->slen -= t->soff;
    t->soff = 0;
  }
  size_t room = sizeof t->sbuf - t->slen;
  size_t k = n < room ? n : room;
  memcpy(t->sbuf + t->slen, p, k);
  t->slen += k;
  return (int)k;
}

int pl_turn_stream_next(pl_turn *t, pl_time_us now, pl_turn_rx *rx) {
  if (!t->stream)
    return PL_ESTATE;
  size_t have = t->slen - t->soff;
  const uint8_t *p = t->sbuf + t->soff;
  int len = pl_turn_frame_len(p, have);
  if (len == PL_EAGAIN || (len > 0 && (size_t)len > have)) {
    if (len > 0 && (size_t)len > sizeof t->sbuf) {
      len = PL_EFULL; /* can never be completed here */
    } else {
      return PL_EAGAIN;
    }
  }
  if (len < 0) {
    /* Out of step with the stream: nothing after this can be trusted. */
    t->stats.dropped++;
    t->soff = t->slen = 0;
    pl_turn_fail_(t, len, 0, "TURN stream framing lost");
    return len;
  }
  t->soff += (size_t)len;
  size_t n = (size_t)len;
  if (!pl_turn_is_channel_data(p, n))
    n = PL_STUN_HEADER_LEN + pl_be16(p + 2);
  return input_one(t, now, p, n, rx);
}

/* ---- timers ---- */

int pl_turn_timeout(pl_turn *t, pl_time_us now) {
  for (int i = 0; i < TURN_MAX_TX; i++) {
    turn_tx *x = &t->txs[i];
    if (!x->used)
      continue;
    if (x->next <= now) {
      x->sends++;
      x->cur *= 2;
      t->stats.retransmits++;
      pl_turn_queue_(t, x->msg, x->len);
      if (x->sends >= t->cfg.max_sends) {
        /* RFC 8489 6.2.1: after the last send wait Rm (16) x RTO: 39.5 s
         * in all with the defaults. */
        x->next = PL_TIME_NEVER;
        x->expire = now + 16 * t->cfg.rto;
      } else {
        x->next = now + x->cur;
      }
    }
    if (x->expire <= now) {
      turn_tx copy = *x;
      tx_done(t, i);
      if (copy.kind == REQ_DEALLOCATE) {
        t->state = PL_TURN_CLOSED; /* the server will expire it anyway */
        pl_turn_emit_(t, PL_TURN_EV_CLOSED, PL_ETIMEDOUT, 0,
                      "TURN deallocation unanswered");
      } else {
        request_failed(t, now, &copy, PL_ETIMEDOUT, 0,
                       copy.kind == REQ_ALLOCATE ? "TURN server did not answer Allocate"
                                                 : "TURN server stopped answering");
      }
    }
  }
  if (t->state == PL_TURN_ALLOCATED) {
    if (t->refresh_tx < 0 && now >= t->refresh_at) {
      int i = pl_turn_request_(t, now, REQ_REFRESH, -1);
      if (i >= 0)
        t->refresh_tx = i;
    }
    pl_turn_peer_timers_(t, now);
  }
  return 0;
}

pl_time_us pl_turn_deadline(const pl_turn *t) {
  pl_time_us d = PL_TIME_NEVER;
  for (int i = 0; i < TURN_MAX_TX; i++) {
    const turn_tx *x = &t->txs[i];
    if (x->used)
      d = pl_time_min(d, pl_time_min(x->next, x->expire));
  }
  if (t->state == PL_TURN_ALLOCATED) {
    if (t->refresh_tx < 0)
      d = pl_time_min(d, t->refresh_at);
    d = pl_time_min(d, pl_turn_peer_deadline_(t));
  }
  return d;
}

bool pl_turn_poll(pl_turn *t, pl_turn_output *out) {
  if (t->ev_count) {
    const turn_event *e = &t->events[t->ev_head];
    memset(out, 0, sizeof *out);
    out->kind = PL_TURN_OUT_EVENT;
    out->event.kind = e->kind;
    out->event.error = e->error;
    out->event.code = e->code;
    out->event.reason = e->reason;
    out->event.relayed = t->relayed;
    out->event.mapped = t->mapped;
    out->event.lifetime_s = t->lifetime_s;
    t->ev_head = (t->ev_head + 1) % TURN_MAX_EVENTS;
    t->ev_count--;
    return true;
  }
  const pl_stun_tx *x = pl_stun_txq_pop(&t->txq);
  if (!x)
    return false;
  out->kind = PL_TURN_OUT_TRANSMIT;
  out->transmit.data = x->data;
  out->transmit.len = x->len;
  return true;
}

pl_turn_state pl_turn_get_state(const pl_turn *t) { return t->state; }

bool pl_turn_relayed(const pl_turn *t, pl_addr *relayed, pl_addr *mapped) {
  if (t->state != PL_TURN_ALLOCATED)
    return false;
  if (relayed)
    *relayed = t->relayed;
  if (mapped)
    *mapped = t->mapped;
  return true;
}

pl_turn_stats pl_turn_get_stats(const pl_turn *t) {
  pl_turn_stats s = t->stats;
  s.tx_dropped += t->txq.dropped;
  return s;
}

const pl_addr *pl_turn_server(const pl_turn *t) { return &t->cfg.server; }
pl_turn_transport pl_turn_get_transport(const pl_turn *t) { return t->cfg.transport; }
