/* ICE agent, STUN side: connectivity and consent checks out, their
 * retransmissions, and the answers to checks in (RFC 8445 7.2, 7.3). */
#include <stdio.h>
#include <string.h>

#include "net/ice/ice_internal.h"
#include "parley.h"

static int alloc_tx(pl_ice *ice) {
  for (size_t i = 0; i < ice->max_tx; i++)
    if (!ice->txs[i].used)
      return (int)i;
  return -1;
}

static void new_txid(pl_ice *ice, uint8_t *txid) {
  uint64_t a = pl_rng_u64(ice->rng), b = pl_rng_u64(ice->rng);
  memcpy(txid, &a, 8);
  memcpy(txid + 8, &b, 4);
}

static void queue_tx(pl_ice *ice, int socket_id, const pl_addr *to,
                     const uint8_t *msg, size_t len) {
  pl_stun_tx *t = pl_stun_txq_reserve(&ice->txq);
  if (!t)
    return; /* counted by the queue: a lost datagram, like on the wire */
  t->socket_id = socket_id;
  t->to = *to;
  t->len = len;
  memcpy(t->data, msg, len);
  pl_stun_txq_commit(&ice->txq);
}

static void tx_arm(ice_tx *t, pl_time_us now, unsigned max_sends, unsigned rm) {
  if (t->sends >= max_sends) {
    t->next = PL_TIME_NEVER;
    t->expire = now + (pl_time_us)rm * t->rto;
  } else {
    t->next = now + t->cur;
    t->cur *= 2;
  }
}

static size_t active_checks(const pl_ice *ice) {
  size_t n = 0;
  for (size_t i = 0; i < ice->n_pairs; i++)
    n += ice->pairs[i].state == PL_ICE_PAIR_WAITING ||
         ice->pairs[i].state == PL_ICE_PAIR_IN_PROGRESS;
  return n;
}

int pl_ice_send_check_(pl_ice *ice, pl_time_us now, int pair,
                       ice_tx_kind kind) {
  int ti = alloc_tx(ice);
  if (ti < 0)
    return PL_EFULL;
  ice_pair *p = &ice->pairs[pair];
  const ice_local *l = &ice->locals[p->local];
  ice_tx *t = &ice->txs[ti];
  memset(t, 0, sizeof *t);
  t->used = t->retransmit = true;
  t->kind = kind;
  t->pair = pair;
  t->local = p->local;
  t->role = ice->role;
  t->nominate = kind == TX_CHECK && p->nominate && ice->role == PL_ICE_CONTROLLING;
  t->priority = pl_ice_candidate_priority(PL_ICE_PRFLX, l->local_pref, 1);
  t->socket_id = l->c.socket_id;
  t->to = ice->remotes[p->remote].addr;
  new_txid(ice, t->txid);

  char user[2 * PL_ICE_UFRAG_MAX + 2];
  int ul = snprintf(user, sizeof user, "%s:%s", ice->rufrag, ice->lufrag);
  pl_stun_builder b;
  pl_stun_build_begin(&b, t->msg, sizeof t->msg,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), t->txid);
  pl_stun_put_bytes(&b, PL_STUN_ATTR_USERNAME, user, (size_t)ul);
  pl_stun_put_u32(&b, PL_STUN_ATTR_PRIORITY, t->priority);
  pl_stun_put_u64(&b, ice->role == PL_ICE_CONTROLLING
                          ? PL_STUN_ATTR_ICE_CONTROLLING
                          : PL_STUN_ATTR_ICE_CONTROLLED,
                  ice->tie_breaker);
  if (t->nominate)
    pl_stun_put_flag(&b, PL_STUN_ATTR_USE_CANDIDATE);
  pl_stun_put_integrity(&b, (const uint8_t *)ice->rpwd, strlen(ice->rpwd));
  pl_stun_put_fingerprint(&b);
  int len = pl_stun_build_end(&b);
  if (len < 0) {
    t->used = false;
    return len;
  }
  t->len = (size_t)len;
  /* RFC 8445 14.3: RTO = MAX(500 ms, Ta * (Waiting + In-Progress pairs)). */
  t->rto = ice->cfg.rto;
  if (kind == TX_CHECK) {
    pl_time_us r = ice->cfg.ta * (pl_time_us)active_checks(ice);
    if (r > t->rto)
      t->rto = r;
  }
  t->cur = t->rto;
  t->sends = 1;
  t->expire = PL_TIME_NEVER;
  tx_arm(t, now, ice->cfg.max_sends, ice->cfg.rm);

  if (kind == TX_CHECK) {
    /* A newer check for the pair stops the older one's retransmissions; a
     * late answer to it still counts (RFC 8445 7.3.1.4). */
    if (p->active_tx >= 0 && p->active_tx != ti) {
      ice_tx *old = &ice->txs[p->active_tx];
      old->retransmit = false;
      old->next = PL_TIME_NEVER;
      pl_time_us e = now + (pl_time_us)ice->cfg.rm * old->rto;
      if (old->expire > e)
        old->expire = e;
    }
    p->active_tx = ti;
    if (p->state != PL_ICE_PAIR_SUCCEEDED)
      p->state = PL_ICE_PAIR_IN_PROGRESS;
    ice->stats.checks_sent++;
    if (ice->state == PL_ICE_NEW)
      pl_ice_set_state_(ice, PL_ICE_CHECKING);
  } else {
    /* Only one consent check in flight: the newest decides. */
    for (size_t i = 0; i < ice->max_tx; i++)
      if ((int)i != ti && ice->txs[i].used && ice->txs[i].kind == TX_CONSENT)
        ice->txs[i].used = false;
    ice->stats.consent_sent++;
  }
  queue_tx(ice, t->socket_id, &t->to, t->msg, t->len);
  return 0;
}

void pl_ice_gather_finished_(pl_ice *ice) {
  if (ice->gather_outstanding && --ice->gather_outstanding == 0 &&
      !ice->gathering_done) {
    ice->gathering_done = true;
    ice_event e;
    memset(&e, 0, sizeof e);
    e.kind = PL_ICE_EV_GATHERING_DONE;
    pl_ice_emit_(ice, &e);
  }
}

int pl_ice_send_gather_(pl_ice *ice, pl_time_us now, int host) {
  int ti = alloc_tx(ice);
  if (ti < 0) {
    pl_ice_gather_finished_(ice);
    return PL_EFULL;
  }
  ice_tx *t = &ice->txs[ti];
  memset(t, 0, sizeof *t);
  t->used = t->retransmit = true;
  t->kind = TX_GATHER;
  t->pair = -1;
  t->local = host;
  t->socket_id = ice->locals[host].c.socket_id;
  t->to = ice->stun_server;
  new_txid(ice, t->txid);
  pl_stun_builder b;
  pl_stun_build_begin(&b, t->msg, sizeof t->msg,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), t->txid);
  pl_stun_put_fingerprint(&b);
  t->len = (size_t)pl_stun_build_end(&b);
  t->rto = t->cur = ice->cfg.rto;
  t->sends = 1;
  t->expire = PL_TIME_NEVER;
  tx_arm(t, now, ice->cfg.max_sends, ice->cfg.rm);
  queue_tx(ice, t->socket_id, &t->to, t->msg, t->len);
  return 0;
}

static void tx_done(pl_ice *ice, int ti) {
  ice_tx *t = &ice->txs[ti];
  if (t->kind == TX_CHECK && t->pair >= 0 && ice->pairs[t->pair].active_tx == ti)
    ice->pairs[t->pair].active_tx = -1;
  t->used = false;
  ice->pace_idle = false;
}

void pl_ice_tx_timers_(pl_ice *ice, pl_time_us now) {
  for (size_t i = 0; i < ice->max_tx; i++) {
    ice_tx *t = &ice->txs[i];
    if (!t->used)
      continue;
    if (t->retransmit && t->next <= now) {
      t->sends++;
      ice->stats.retransmits++;
      tx_arm(t, now, ice->cfg.max_sends, ice->cfg.rm);
      queue_tx(ice, t->socket_id, &t->to, t->msg, t->len);
    }
    if (t->expire <= now) {
      ice_tx_kind kind = t->kind;
      int pair = t->pair;
      bool active = kind == TX_CHECK && ice->pairs[pair].active_tx == (int)i;
      tx_done(ice, (int)i);
      if (kind == TX_GATHER)
        pl_ice_gather_finished_(ice);
      else if (active)
        pl_ice_pair_failed_(ice, now, pair);
    }
  }
}

pl_time_us pl_ice_tx_deadline_(const pl_ice *ice) {
  pl_time_us d = PL_TIME_NEVER;
  for (size_t i = 0; i < ice->max_tx; i++) {
    const ice_tx *t = &ice->txs[i];
    if (!t->used)
      continue;
    if (t->retransmit)
      d = pl_time_min(d, t->next);
    d = pl_time_min(d, t->expire);
  }
  return d;
}

void pl_ice_cancel_txs_(pl_ice *ice) {
  for (size_t i = 0; i < ice->max_tx; i++) {
    if (ice->txs[i].used && ice->txs[i].kind == TX_GATHER)
      pl_ice_gather_finished_(ice);
    ice->txs[i].used = false;
  }
  for (size_t i = 0; i < ice->n_pairs; i++)
    ice->pairs[i].active_tx = -1;
  ice->gather_outstanding = 0;
}

/* ---- answering checks ---- */

static void respond(pl_ice *ice, int socket_id, const pl_addr *to,
                    const pl_stun_msg *req, unsigned error) {
  uint8_t buf[PL_STUN_MAX_MSG];
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(PL_STUN_BINDING,
                                   error ? PL_STUN_ERROR : PL_STUN_SUCCESS),
                      req->txid);
  if (error)
    pl_stun_put_error(&b, error, error == PL_STUN_ERR_ROLE_CONFLICT
                                     ? "Role Conflict"
                                     : "Bad Request");
  else
    pl_stun_put_addr(&b, PL_STUN_ATTR_XOR_MAPPED_ADDRESS, to);
  pl_stun_put_integrity(&b, (const uint8_t *)ice->lpwd, strlen(ice->lpwd));
  pl_stun_put_fingerprint(&b);
  int len = pl_stun_build_end(&b);
  if (len > 0)
    queue_tx(ice, socket_id, to, buf, (size_t)len);
}

static bool username_ok(const pl_ice *ice, const pl_stun_msg *m) {
  size_t lu = strlen(ice->lufrag);
  if (!(m->has & PL_STUN_HAS_USERNAME) || m->username_len <= lu ||
      memcmp(m->username, ice->lufrag, lu) != 0 || m->username[lu] != ':')
    return false;
  if (!ice->have_remote_creds)
    return true; /* the answer may not have arrived yet */
  size_t ru = strlen(ice->rufrag);
  return m->username_len == lu + 1 + ru &&
         memcmp(m->username + lu + 1, ice->rufrag, ru) == 0;
}

static int handle_request(pl_ice *ice, pl_time_us now, int socket_id,
                          const pl_addr *from, const pl_stun_msg *m) {
  if (!username_ok(ice, m)) {
    ice->stats.bad_username++;
    return PL_EAUTH;
  }
  if (pl_stun_check_integrity(m, (const uint8_t *)ice->lpwd,
                              strlen(ice->lpwd)) != 0) {
    ice->stats.bad_integrity++;
    return PL_EAUTH;
  }
  bool ctl = m->has & PL_STUN_HAS_ICE_CONTROLLING;
  bool ctd = m->has & PL_STUN_HAS_ICE_CONTROLLED;
  if (!(m->has & PL_STUN_HAS_PRIORITY) || ctl == ctd) {
    ice->stats.malformed++;
    respond(ice, socket_id, from, m, PL_STUN_ERR_BAD_REQUEST);
    return PL_EPARSE;
  }
  ice->stats.checks_received++;
  /* RFC 8445 7.3.1.1: the larger tie breaker keeps (or takes) control. */
  if (ice->lite && ctd) {
    ice->stats.role_conflicts++;
    respond(ice, socket_id, from, m, PL_STUN_ERR_ROLE_CONFLICT);
    return 0;
  }
  if (!ice->lite && ice->role == PL_ICE_CONTROLLING && ctl) {
    ice->stats.role_conflicts++;
    if (ice->tie_breaker >= m->ice_controlling) {
      respond(ice, socket_id, from, m, PL_STUN_ERR_ROLE_CONFLICT);
      return 0;
    }
    pl_ice_switch_role_(ice, PL_ICE_CONTROLLED);
  } else if (!ice->lite && ice->role == PL_ICE_CONTROLLED && ctd) {
    ice->stats.role_conflicts++;
    if (ice->tie_breaker < m->ice_controlled) {
      respond(ice, socket_id, from, m, PL_STUN_ERR_ROLE_CONFLICT);
      return 0;
    }
    pl_ice_switch_role_(ice, PL_ICE_CONTROLLING);
  }
  respond(ice, socket_id, from, m, 0);
  if (ice->state == PL_ICE_NEW)
    pl_ice_set_state_(ice, PL_ICE_CHECKING);

  int local = pl_ice_host_by_socket_(ice, socket_id, from);
  if (local < 0)
    return 0;
  int remote = pl_ice_find_remote_(ice, from);
  if (remote < 0) {
    /* RFC 8445 7.3.1.3: a peer-reflexive remote candidate. */
    pl_ice_candidate c;
    memset(&c, 0, sizeof c);
    c.type = PL_ICE_PRFLX;
    c.component = 1;
    c.addr = c.base = *from;
    c.priority = m->priority;
    snprintf(c.foundation, sizeof c.foundation, "~p%u", ++ice->next_prflx);
    c.socket_id = -1;
    remote = pl_ice_add_remote_(ice, &c);
    if (remote < 0)
      return 0;
    ice->stats.prflx_remote++;
  }
  int pi = pl_ice_find_pair_(ice, local, remote);
  if (pi < 0) {
    pi = pl_ice_add_pair_(ice, local, remote);
    if (pi < 0)
      return 0;
  }
  ice_pair *p = &ice->pairs[pi];
  bool use = (m->has & PL_STUN_HAS_USE_CANDIDATE) != 0;
  if (ice->lite) {
    /* A lite agent's pairs are valid once checked by the peer (RFC 8445
     * 7.3.1.5 with no checks of its own); liveness is the peer's checks. */
    p->state = PL_ICE_PAIR_SUCCEEDED;
    p->valid = true;
    if (pi == ice->selected)
      ice->lite_last = now;
    if (use)
      pl_ice_select_(ice, now, pi);
    pl_ice_update_state_(ice, now);
    return 0;
  }
  if (use && ice->role == PL_ICE_CONTROLLED) {
    if (p->state == PL_ICE_PAIR_SUCCEEDED)
      pl_ice_select_(ice, now, pi);
    else
      p->use_cand_rx = true;
  }
  switch (p->state) {
  case PL_ICE_PAIR_SUCCEEDED:
    break;
  case PL_ICE_PAIR_FROZEN:
  case PL_ICE_PAIR_WAITING:
  case PL_ICE_PAIR_FAILED:
    if (ice->selected >= 0 && pi != ice->selected &&
        ice->pairs[ice->selected].priority > p->priority)
      break; /* pruned: a better pair is already nominated */
    p->state = PL_ICE_PAIR_WAITING;
    pl_ice_enqueue_triggered_(ice, pi);
    break;
  case PL_ICE_PAIR_IN_PROGRESS:
    pl_ice_enqueue_triggered_(ice, pi);
    break;
  }
  pl_ice_update_state_(ice, now);
  return 0;
}

static int find_tx(const pl_ice *ice, const uint8_t *txid) {
  for (size_t i = 0; i < ice->max_tx; i++)
    if (ice->txs[i].used && memcmp(ice->txs[i].txid, txid, PL_STUN_TXID_LEN) == 0)
      return (int)i;
  return -1;
}

void pl_ice_learn_srflx_(pl_ice *ice, int host, const pl_addr *mapped) {
  for (size_t i = 0; i < ice->n_locals; i++)
    if (pl_addr_equal(&ice->locals[i].c.addr, mapped))
      return; /* a host behind no NAT, or already known */
  if (ice->n_locals == ice->cfg.max_local)
    return;
  const ice_local *h = &ice->locals[host];
  ice_local *l = &ice->locals[ice->n_locals];
  memset(l, 0, sizeof *l);
  l->c.type = PL_ICE_SRFLX;
  l->c.component = 1;
  l->c.addr = *mapped;
  l->c.base = h->c.base;
  l->c.socket_id = h->c.socket_id;
  l->c.priority = pl_ice_candidate_priority(PL_ICE_SRFLX, h->local_pref, 1);
  l->local_pref = h->local_pref;
  l->host = host;
  pl_ice_assign_foundation_(ice, &l->c);
  ice->n_locals++;
  ice_event e;
  memset(&e, 0, sizeof e);
  e.kind = PL_ICE_EV_LOCAL_CANDIDATE;
  e.candidate = l->c;
  pl_ice_emit_(ice, &e);
}

static void learn_prflx_local(pl_ice *ice, const ice_tx *t,
                              const pl_addr *mapped) {
  for (size_t i = 0; i < ice->n_locals; i++)
    if (pl_addr_equal(&ice->locals[i].c.addr, mapped))
      return;
  if (ice->n_locals == ice->cfg.max_local)
    return;
  const ice_local *h = &ice->locals[t->local];
  ice_local *l = &ice->locals[ice->n_locals];
  memset(l, 0, sizeof *l);
  l->c.type = PL_ICE_PRFLX;
  l->c.component = 1;
  l->c.addr = *mapped;
  l->c.base = h->c.base;
  l->c.socket_id = h->c.socket_id;
  l->c.priority = t->priority;
  l->local_pref = h->local_pref;
  l->host = t->local;
  pl_ice_assign_foundation_(ice, &l->c);
  ice->n_locals++;
  ice->stats.prflx_local++;
}

static int handle_response(pl_ice *ice, pl_time_us now, int socket_id,
                           const pl_addr *from, const pl_stun_msg *m) {
  int ti = find_tx(ice, m->txid);
  if (ti < 0)
    return PL_ENOENT;
  ice_tx *t = &ice->txs[ti];
  const pl_addr *mapped = (m->has & PL_STUN_HAS_XOR_MAPPED) ? &m->xor_mapped
                          : (m->has & PL_STUN_HAS_MAPPED)   ? &m->mapped
                                                            : NULL;
  if (t->kind == TX_GATHER) {
    if (!pl_addr_equal(from, &t->to) || socket_id != t->socket_id)
      return PL_ENOENT;
    if (m->cls == PL_STUN_SUCCESS && mapped)
      pl_ice_learn_srflx_(ice, t->local, mapped);
    tx_done(ice, ti);
    pl_ice_gather_finished_(ice);
    return 0;
  }
  if (pl_stun_check_integrity(m, (const uint8_t *)ice->rpwd,
                              strlen(ice->rpwd)) != 0) {
    ice->stats.bad_integrity++;
    return PL_EAUTH;
  }
  ice->stats.responses_received++;
  int pair = t->pair;
  ice_tx_kind kind = t->kind;
  bool active = kind == TX_CHECK && ice->pairs[pair].active_tx == ti;
  /* RFC 8445 7.2.5.2.1: the answer must come back on the same path. */
  if (!pl_addr_equal(from, &t->to) || socket_id != t->socket_id) {
    tx_done(ice, ti);
    if (active)
      pl_ice_pair_failed_(ice, now, pair);
    return 0;
  }
  if (m->cls == PL_STUN_ERROR) {
    if (m->error_code == PL_STUN_ERR_ROLE_CONFLICT && kind == TX_CHECK) {
      /* RFC 8445 7.2.5.1: take the role opposite to the one we claimed
       * and check again. */
      ice->stats.role_conflicts++;
      pl_ice_role sent = t->role;
      tx_done(ice, ti);
      if (sent == ice->role)
        pl_ice_switch_role_(ice, sent == PL_ICE_CONTROLLING
                                     ? PL_ICE_CONTROLLED
                                     : PL_ICE_CONTROLLING);
      if (ice->pairs[pair].state != PL_ICE_PAIR_SUCCEEDED)
        ice->pairs[pair].state = PL_ICE_PAIR_WAITING;
      pl_ice_enqueue_triggered_(ice, pair);
      return 0;
    }
    tx_done(ice, ti);
    if (active)
      pl_ice_pair_failed_(ice, now, pair);
    return 0;
  }
  if (m->cls != PL_STUN_SUCCESS)
    return PL_EPARSE;
  if (kind == TX_CONSENT) {
    tx_done(ice, ti);
    if (pair == ice->selected) {
      ice_pair *p = &ice->pairs[pair];
      if (mapped && p->have_mapped && !pl_addr_equal(mapped, &p->mapped)) {
        /* Our NAT rebound: the peer answers a new address, but sends its
         * media to the old one until it selects a pair with the new one.
         * Nominating again makes our next check carry USE-CANDIDATE from
         * there: a controlled peer selects that (peer-reflexive) pair. */
        ice->stats.rebinds++;
        if (ice->role == PL_ICE_CONTROLLING && !ice->lite) {
          p->nominate = true;
          pl_ice_enqueue_triggered_(ice, pair);
        }
      }
      if (mapped) {
        p->mapped = *mapped;
        p->have_mapped = true;
      }
      ice->consent_last = now;
      ice->disconnected = false;
      ice->stats.consent_ok++;
      pl_ice_update_state_(ice, now);
    }
    return 0;
  }
  bool nominated = t->nominate && t->role == PL_ICE_CONTROLLING &&
                   ice->role == PL_ICE_CONTROLLING;
  if (mapped) {
    learn_prflx_local(ice, t, mapped);
    ice->pairs[pair].mapped = *mapped;
    ice->pairs[pair].have_mapped = true;
  }
  tx_done(ice, ti);
  pl_ice_pair_succeeded_(ice, now, pair, nominated);
  return 0;
}

int pl_ice_handle_stun_(pl_ice *ice, pl_time_us now, int socket_id,
                        const pl_addr *from, const pl_stun_msg *m) {
  if ((m->has & PL_STUN_HAS_FINGERPRINT) && !m->fingerprint_ok) {
    ice->stats.bad_fingerprint++;
    return PL_EPARSE;
  }
  if (m->method != PL_STUN_BINDING) {
    ice->stats.malformed++;
    return PL_ENOTSUP;
  }
  switch (m->cls) {
  case PL_STUN_REQUEST:
    return handle_request(ice, now, socket_id, from, m);
  case PL_STUN_SUCCESS:
  case PL_STUN_ERROR:
    return handle_response(ice, now, socket_id, from, m);
  default:
    return PL_ICE_RX_STUN; /* Binding indication: keepalive, nothing to do */
  }
}
