/* ICE agent: candidates, the checklist and its states, pacing, nomination,
 * consent timers and restart. The STUN side is in ice_stun.c. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ice/ice_internal.h"
#include "parley.h"

int pl_ice_credentials(char *ufrag, size_t ufrag_size, char *pwd,
                       size_t pwd_size) {
  /* ice-char = ALPHA / DIGIT / "+" / "/": 64 symbols, so 6 bits each. */
  static const char ice_chars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint8_t r[32];
  if (!ufrag || !pwd || ufrag_size < 9 || pwd_size < 25)
    return PL_EINVAL;
  if (RAND_bytes(r, sizeof r) != 1)
    return PL_ECRYPTO;
  for (int i = 0; i < 8; i++)
    ufrag[i] = ice_chars[r[i] & 63];
  ufrag[8] = 0;
  for (int i = 0; i < 24; i++)
    pwd[i] = ice_chars[r[8 + i] & 63];
  pwd[24] = 0;
  return 0;
}

uint32_t pl_ice_candidate_priority(pl_ice_cand_type t, unsigned local_pref,
                                   unsigned component) {
  unsigned tp = t == PL_ICE_HOST    ? 126
                : t == PL_ICE_PRFLX ? 110
                : t == PL_ICE_SRFLX ? 100
                                    : 0;
  if (component < 1)
    component = 1;
  if (component > 256)
    component = 256;
  return (tp << 24) | ((local_pref & 0xFFFF) << 8) | (256 - component);
}

uint64_t pl_ice_pair_priority(uint32_t g, uint32_t d) {
  uint64_t lo = g < d ? g : d, hi = g < d ? d : g;
  return (lo << 32) + 2 * hi + (g > d ? 1 : 0);
}

const char *pl_ice_state_name(pl_ice_state s) {
  static const char *const names[] = {"new",    "checking",     "connected",
                                      "completed", "failed", "disconnected",
                                      "closed"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *pl_ice_cand_type_name(pl_ice_cand_type t) {
  static const char *const names[] = {"host", "srflx", "prflx", "relay"};
  return (unsigned)t < 4 ? names[t] : "?";
}

/* ---- events ---- */

void pl_ice_emit_(pl_ice *ice, const ice_event *e) {
  if (ice->ev_count == ice->ev_cap) {
    ice->stats.events_dropped++;
    return;
  }
  ice->events[(ice->ev_head + ice->ev_count) % ice->ev_cap] = *e;
  ice->ev_count++;
}

static void emit_kind(pl_ice *ice, pl_ice_event_kind k) {
  ice_event e;
  memset(&e, 0, sizeof e);
  e.kind = k;
  e.state = ice->state;
  e.role = ice->role;
  pl_ice_emit_(ice, &e);
}

static void emit_candidate(pl_ice *ice, const pl_ice_candidate *c) {
  ice_event e;
  memset(&e, 0, sizeof e);
  e.kind = PL_ICE_EV_LOCAL_CANDIDATE;
  e.candidate = *c;
  pl_ice_emit_(ice, &e);
}

void pl_ice_set_state_(pl_ice *ice, pl_ice_state s) {
  if (ice->state == s)
    return;
  ice->state = s;
  emit_kind(ice, PL_ICE_EV_STATE);
}

/* ---- life cycle ---- */

static int copy_cred(char *dst, size_t cap, const char *src, size_t min) {
  size_t n = src ? strlen(src) : 0;
  if (n < min || n >= cap || memchr(src, ':', n))
    return PL_EINVAL;
  memcpy(dst, src, n + 1);
  return 0;
}

pl_ice *pl_ice_new(const pl_ice_config *cfg) {
  if (!cfg || !cfg->rng)
    return NULL;
  pl_ice *ice = calloc(1, sizeof *ice);
  if (!ice)
    return NULL;
  ice->cfg = *cfg;
  pl_ice_config *c = &ice->cfg;
  if (!c->ta)
    c->ta = PL_MS(50);
  if (!c->rto)
    c->rto = PL_MS(500);
  if (!c->max_sends)
    c->max_sends = 7;
  if (!c->rm)
    c->rm = 16;
  if (!c->consent_interval)
    c->consent_interval = PL_SEC(5);
  if (!c->consent_timeout)
    c->consent_timeout = PL_SEC(30);
  if (!c->disconnect_after)
    c->disconnect_after = PL_SEC(10);
  if (!c->nomination_wait)
    c->nomination_wait = PL_SEC(1);
  if (!c->max_local)
    c->max_local = 16;
  if (!c->max_remote)
    c->max_remote = 32;
  if (!c->max_pairs)
    c->max_pairs = 64;
  c->ufrag = c->pwd = NULL;
  c->stun_server = NULL;
  ice->rng = cfg->rng;
  ice->lite = cfg->lite;
  ice->role = cfg->lite ? PL_ICE_CONTROLLED : cfg->role;
  ice->tie_breaker = cfg->tie_breaker ? cfg->tie_breaker : pl_rng_u64(ice->rng);
  if (cfg->stun_server && !cfg->lite) {
    ice->has_stun_server = true;
    ice->stun_server = *cfg->stun_server;
  }
  ice->selected = ice->nominating = -1;
  ice->first_valid = ice->nomination_since = PL_TIME_NEVER;
  ice->pace_idle = true;
  ice->last_paced = -c->ta;
  ice->last_probe = -PL_SEC(3600);
  ice->relay_pending = cfg->lite ? 0 : cfg->relays_expected;
  ice->max_tx = c->max_pairs + c->max_local + 8;
  ice->ev_cap = 64 + 4 * c->max_local;
  ice->locals = calloc(c->max_local, sizeof *ice->locals);
  ice->gather_pending = calloc(c->max_local, sizeof *ice->gather_pending);
  ice->remotes = calloc(c->max_remote, sizeof *ice->remotes);
  ice->pairs = calloc(c->max_pairs, sizeof *ice->pairs);
  ice->triggered = calloc(c->max_pairs, sizeof *ice->triggered);
  ice->txs = calloc(ice->max_tx, sizeof *ice->txs);
  ice->events = calloc(ice->ev_cap, sizeof *ice->events);
  if (!ice->locals || !ice->gather_pending || !ice->remotes || !ice->pairs ||
      !ice->triggered || !ice->txs || !ice->events ||
      pl_stun_txq_init(&ice->txq, 64) < 0 ||
      copy_cred(ice->lufrag, sizeof ice->lufrag, cfg->ufrag, 4) < 0 ||
      copy_cred(ice->lpwd, sizeof ice->lpwd, cfg->pwd, 22) < 0) {
    pl_ice_free(ice);
    return NULL;
  }
  return ice;
}

void pl_ice_free(pl_ice *ice) {
  if (!ice)
    return;
  free(ice->locals);
  free(ice->gather_pending);
  free(ice->remotes);
  free(ice->pairs);
  free(ice->triggered);
  free(ice->txs);
  free(ice->events);
  pl_stun_txq_destroy(&ice->txq);
  free(ice);
}

/* ---- candidates ---- */

static bool same_ip(const pl_addr *a, const pl_addr *b) {
  pl_addr x = *a, y = *b;
  pl_addr_set_port(&x, 0);
  pl_addr_set_port(&y, 0);
  return pl_addr_equal(&x, &y);
}

/* RFC 8445 5.1.1.3: same type, same base IP (and same STUN server, of which
 * there is one) share a foundation. */
void pl_ice_assign_foundation_(pl_ice *ice, pl_ice_candidate *c) {
  for (size_t i = 0; i < ice->n_locals; i++) {
    const pl_ice_candidate *o = &ice->locals[i].c;
    if (o->type == c->type && same_ip(&o->base, &c->base)) {
      memcpy(c->foundation, o->foundation, sizeof c->foundation);
      return;
    }
  }
  snprintf(c->foundation, sizeof c->foundation, "%u", ++ice->next_foundation);
}

int pl_ice_add_host(pl_ice *ice, int socket_id, const pl_addr *addr,
                    unsigned local_pref) {
  if (!addr || (pl_addr_family(addr) != AF_INET &&
                pl_addr_family(addr) != AF_INET6) ||
      local_pref > 0xFFFF)
    return PL_EINVAL;
  if (ice->started)
    return PL_ESTATE;
  if (ice->n_locals == ice->cfg.max_local)
    return PL_EFULL;
  ice_local *l = &ice->locals[ice->n_locals];
  memset(l, 0, sizeof *l);
  l->c.type = PL_ICE_HOST;
  l->c.component = 1;
  l->c.addr = l->c.base = *addr;
  l->c.priority = pl_ice_candidate_priority(PL_ICE_HOST, local_pref, 1);
  l->c.socket_id = socket_id;
  l->local_pref = local_pref;
  l->host = (int)ice->n_locals;
  pl_ice_assign_foundation_(ice, &l->c);
  ice->n_locals++;
  ice->n_hosts = ice->n_locals;
  emit_candidate(ice, &l->c);
  /* Remote candidates may have been trickled in before this host. */
  for (size_t r = 0; r < ice->n_remotes; r++)
    if (pl_addr_family(&ice->remotes[r].addr) == pl_addr_family(addr))
      pl_ice_add_pair_(ice, (int)ice->n_locals - 1, (int)r);
  return (int)ice->n_locals - 1;
}

int pl_ice_add_relay(pl_ice *ice, int socket_id, const pl_addr *relayed,
                     unsigned local_pref) {
  if (!relayed || (pl_addr_family(relayed) != AF_INET &&
                   pl_addr_family(relayed) != AF_INET6) ||
      local_pref > 0xFFFF)
    return PL_EINVAL;
  if (ice->closed)
    return PL_ESTATE;
  if (ice->n_locals == ice->cfg.max_local)
    return PL_EFULL;
  ice_local *l = &ice->locals[ice->n_locals];
  memset(l, 0, sizeof *l);
  l->c.type = PL_ICE_RELAY;
  l->c.component = 1;
  l->c.addr = l->c.base = *relayed;
  l->c.priority = pl_ice_candidate_priority(PL_ICE_RELAY, local_pref, 1);
  l->c.socket_id = socket_id;
  l->local_pref = local_pref;
  l->host = (int)ice->n_locals;
  pl_ice_assign_foundation_(ice, &l->c);
  ice->n_locals++;
  emit_candidate(ice, &l->c);
  for (size_t r = 0; r < ice->n_remotes; r++)
    if (pl_addr_family(&ice->remotes[r].addr) == pl_addr_family(relayed))
      pl_ice_add_pair_(ice, (int)ice->n_locals - 1, (int)r);
  if (ice->relay_pending) {
    ice->relay_pending--;
    pl_ice_gather_finished_(ice);
  }
  ice->pace_idle = false;
  return (int)ice->n_locals - 1;
}

void pl_ice_relay_failed(pl_ice *ice) {
  if (ice->relay_pending) {
    ice->relay_pending--;
    pl_ice_gather_finished_(ice);
  }
}

int pl_ice_add_server_reflexive(pl_ice *ice, int socket_id,
                                const pl_addr *mapped) {
  if (!mapped || ice->closed)
    return PL_EINVAL;
  for (size_t i = 0; i < ice->n_locals; i++)
    if (ice->locals[i].c.type == PL_ICE_HOST && ice->locals[i].c.socket_id == socket_id &&
        pl_addr_family(&ice->locals[i].c.base) == pl_addr_family(mapped)) {
      pl_ice_learn_srflx_(ice, (int)i, mapped);
      return 0;
    }
  return PL_ENOENT;
}

static void begin_gathering(pl_ice *ice) {
  ice->gather_outstanding = 0;
  ice->gathering_done = false;
  for (size_t i = 0; i < ice->n_hosts; i++) {
    bool want = ice->has_stun_server && ice->locals[i].c.type == PL_ICE_HOST &&
                pl_addr_family(&ice->locals[i].c.base) ==
                    pl_addr_family(&ice->stun_server);
    ice->gather_pending[i] = want;
    ice->gather_outstanding += want;
  }
  ice->gather_outstanding += ice->relay_pending;
  if (!ice->gather_outstanding) {
    ice->gathering_done = true;
    emit_kind(ice, PL_ICE_EV_GATHERING_DONE);
  }
  ice->pace_idle = false;
}

int pl_ice_start(pl_ice *ice, pl_time_us now) {
  if (ice->closed)
    return PL_ESTATE;
  if (ice->started)
    return 0;
  ice->started = true;
  ice->last_paced = now - ice->cfg.ta;
  begin_gathering(ice);
  return 0;
}

int pl_ice_set_remote_credentials(pl_ice *ice, const char *ufrag,
                                  const char *pwd) {
  /* Lengths as RFC 8839 requires; ':' would break USERNAME. */
  if (copy_cred(ice->rufrag, sizeof ice->rufrag, ufrag, 4) < 0 ||
      copy_cred(ice->rpwd, sizeof ice->rpwd, pwd, 22) < 0) {
    ice->have_remote_creds = false;
    return PL_EINVAL;
  }
  ice->have_remote_creds = true;
  ice->pace_idle = false;
  return 0;
}

void pl_ice_switch_role_(pl_ice *ice, pl_ice_role role) {
  if (ice->role == role)
    return;
  ice->role = role;
  for (size_t i = 0; i < ice->n_pairs; i++) {
    ice_pair *p = &ice->pairs[i];
    uint32_t l = ice->locals[p->local].c.priority;
    uint32_t r = ice->remotes[p->remote].priority;
    p->priority = role == PL_ICE_CONTROLLING ? pl_ice_pair_priority(l, r)
                                             : pl_ice_pair_priority(r, l);
    if (role == PL_ICE_CONTROLLED)
      p->nominate = false;
  }
  if (role == PL_ICE_CONTROLLED)
    ice->nominating = -1;
  emit_kind(ice, PL_ICE_EV_ROLE);
}

void pl_ice_set_remote_lite(pl_ice *ice, bool lite) {
  ice->remote_lite = lite;
  if (lite && !ice->lite)
    pl_ice_switch_role_(ice, PL_ICE_CONTROLLING);
}

int pl_ice_find_remote_(const pl_ice *ice, const pl_addr *a) {
  for (size_t i = 0; i < ice->n_remotes; i++)
    if (pl_addr_equal(&ice->remotes[i].addr, a))
      return (int)i;
  return -1;
}

int pl_ice_find_pair_(const pl_ice *ice, int local, int remote) {
  for (size_t i = 0; i < ice->n_pairs; i++)
    if (ice->pairs[i].local == local && ice->pairs[i].remote == remote)
      return (int)i;
  return -1;
}

int pl_ice_host_by_socket_(const pl_ice *ice, int socket_id,
                           const pl_addr *from) {
  for (size_t i = 0; i < ice->n_locals; i++)
    if (pl_ice_is_base_(&ice->locals[i]) && ice->locals[i].c.socket_id == socket_id &&
        pl_addr_family(&ice->locals[i].c.base) == pl_addr_family(from))
      return (int)i;
  return -1;
}

int pl_ice_add_remote_(pl_ice *ice, const pl_ice_candidate *c) {
  if (ice->n_remotes == ice->cfg.max_remote)
    return PL_EFULL;
  ice->remotes[ice->n_remotes] = *c;
  ice->remotes[ice->n_remotes].component = 1;
  return (int)ice->n_remotes++;
}

int pl_ice_add_remote_candidate(pl_ice *ice, pl_time_us now,
                                const pl_ice_candidate *c) {
  (void)now;
  if (!c || (pl_addr_family(&c->addr) != AF_INET &&
             pl_addr_family(&c->addr) != AF_INET6) ||
      pl_addr_port(&c->addr) == 0)
    return PL_EINVAL;
  if (c->component != 1)
    return PL_ENOTSUP;
  if (ice->closed)
    return PL_ESTATE;
  int i = pl_ice_find_remote_(ice, &c->addr);
  if (i >= 0) {
    /* A signalled candidate replaces the peer-reflexive guess for the same
     * address; the pair keeps its state but re-sorts. */
    pl_ice_candidate *r = &ice->remotes[i];
    if (r->type == PL_ICE_PRFLX && c->type != PL_ICE_PRFLX) {
      r->type = c->type;
      memcpy(r->foundation, c->foundation, sizeof r->foundation);
      r->foundation[sizeof r->foundation - 1] = 0;
    }
    return 0;
  }
  i = pl_ice_add_remote_(ice, c);
  if (i < 0)
    return i;
  ice->remotes[i].foundation[PL_ICE_FOUNDATION_MAX - 1] = 0;
  pl_ice_pair_remote_(ice, i);
  return 0;
}

void pl_ice_end_of_remote_candidates(pl_ice *ice, pl_time_us now) {
  ice->remote_eoc = true;
  pl_ice_update_state_(ice, now);
}

/* ---- driver calls ---- */

bool pl_ice_classify(const pl_ice *ice, int socket_id, const pl_addr *from) {
  if (ice->closed || ice->consent_failed)
    return false;
  if (ice->have_prev && ice->prev.socket_id == socket_id &&
      pl_addr_equal(&ice->prev.remote, from))
    return true;
  for (size_t i = 0; i < ice->n_pairs; i++) {
    const ice_pair *p = &ice->pairs[i];
    if (p->valid && ice->locals[p->local].c.socket_id == socket_id &&
        pl_addr_equal(&ice->remotes[p->remote].addr, from))
      return true;
  }
  return false;
}

int pl_ice_input(pl_ice *ice, pl_time_us now, int socket_id,
                 const pl_addr *from, const uint8_t *p, size_t n) {
  if (ice->closed)
    return PL_ESTATE;
  if (!p || !from)
    return PL_EINVAL;
  if (!pl_stun_is_stun(p, n))
    return pl_ice_classify(ice, socket_id, from) ? PL_ICE_RX_DATA : PL_ENOENT;
  pl_stun_msg m;
  int rc = pl_stun_parse(&m, p, n);
  if (rc < 0) {
    ice->stats.malformed++;
    return rc;
  }
  return pl_ice_handle_stun_(ice, now, socket_id, from, &m);
}

static void consent_timers(pl_ice *ice, pl_time_us now) {
  if (ice->selected < 0 && !ice->have_prev)
    return;
  pl_time_us last = ice->lite ? ice->lite_last : ice->consent_last;
  if (now >= last + ice->cfg.consent_timeout) {
    /* RFC 7675 5.1: consent lost; stop using the path. */
    ice->consent_failed = true;
    ice->selected = -1;
    ice->have_prev = false;
    pl_ice_cancel_txs_(ice);
    return;
  }
  if (ice->lite)
    return;
  ice->disconnected = now >= last + ice->cfg.disconnect_after;
  if (ice->selected >= 0 && now >= ice->consent_next) {
    pl_ice_send_check_(ice, now, ice->selected, TX_CONSENT);
    ice->consent_next = now + pl_ice_consent_jitter_(ice);
  }
}

int pl_ice_timeout(pl_ice *ice, pl_time_us now) {
  if (ice->closed)
    return 0;
  pl_ice_tx_timers_(ice, now);
  if (!ice->pace_idle && now >= ice->last_paced + ice->cfg.ta) {
    if (pl_ice_paced_step_(ice, now))
      ice->last_paced = now;
    else
      ice->pace_idle = true;
  }
  pl_ice_maybe_nominate_(ice, now);
  consent_timers(ice, now);
  pl_ice_update_state_(ice, now);
  return 0;
}

pl_time_us pl_ice_deadline(const pl_ice *ice) {
  if (ice->closed || ice->consent_failed)
    return PL_TIME_NEVER;
  pl_time_us d = pl_ice_tx_deadline_(ice);
  if (!ice->pace_idle)
    d = pl_time_min(d, ice->last_paced + ice->cfg.ta);
  /* The nomination timer matters only while there is a valid pair to
   * nominate: once all of them failed it lies in the past for good and
   * would ask for a timeout on every turn of the loop. */
  if (ice->role == PL_ICE_CONTROLLING && !ice->lite && ice->selected < 0 &&
      ice->nominating < 0 && ice->first_valid != PL_TIME_NEVER &&
      pl_ice_have_valid_(ice))
    d = pl_time_min(d, ice->first_valid + ice->cfg.nomination_wait);
  if (ice->nomination_since != PL_TIME_NEVER && ice->state != PL_ICE_FAILED)
    d = pl_time_min(d, ice->nomination_since + ice->cfg.consent_timeout);
  if (ice->selected >= 0 || ice->have_prev) {
    pl_time_us last = ice->lite ? ice->lite_last : ice->consent_last;
    d = pl_time_min(d, last + ice->cfg.consent_timeout);
    if (!ice->lite) {
      if (!ice->disconnected)
        d = pl_time_min(d, last + ice->cfg.disconnect_after);
      if (ice->selected >= 0)
        d = pl_time_min(d, ice->consent_next);
    }
  }
  return d;
}

bool pl_ice_poll(pl_ice *ice, pl_ice_output *out) {
  if (ice->ev_count) {
    const ice_event *e = &ice->events[ice->ev_head];
    memset(out, 0, sizeof *out);
    out->kind = PL_ICE_OUT_EVENT;
    out->event.kind = e->kind;
    out->event.state = e->state;
    out->event.role = e->role;
    out->event.candidate = e->candidate;
    out->event.selected = e->selected;
    ice->ev_head = (ice->ev_head + 1) % ice->ev_cap;
    ice->ev_count--;
    return true;
  }
  const pl_stun_tx *t = pl_stun_txq_pop(&ice->txq);
  if (!t)
    return false;
  out->kind = PL_ICE_OUT_TRANSMIT;
  out->transmit.socket_id = t->socket_id;
  out->transmit.to = t->to;
  out->transmit.data = t->data;
  out->transmit.len = t->len;
  return true;
}

void pl_ice_probe(pl_ice *ice, pl_time_us now) {
  if (ice->closed || ice->lite || ice->selected < 0 || now < ice->last_probe + PL_MS(500))
    return;
  ice->last_probe = now;
  pl_ice_send_check_(ice, now, ice->selected, TX_CONSENT);
  ice->consent_next = now + pl_ice_consent_jitter_(ice);
}

int pl_ice_restart(pl_ice *ice, pl_time_us now, const char *ufrag,
                   const char *pwd) {
  char u[sizeof ice->lufrag], p[sizeof ice->lpwd];
  if (ice->closed)
    return PL_ESTATE;
  if (copy_cred(u, sizeof u, ufrag, 4) < 0 || copy_cred(p, sizeof p, pwd, 22) < 0)
    return PL_EINVAL;
  memcpy(ice->lufrag, u, sizeof u);
  memcpy(ice->lpwd, p, sizeof p);
  if (ice->selected >= 0) {
    ice->have_prev = true;
    pl_ice_fill_selected_(ice, ice->selected, &ice->prev);
  }
  pl_ice_cancel_txs_(ice);
  ice->have_remote_creds = false;
  ice->n_remotes = ice->n_pairs = 0;
  /* Bases survive (host and relayed: the allocation lives on); reflexive
   * ones are learned again. */
  size_t keep = 0;
  for (size_t i = 0; i < ice->n_locals; i++)
    if (pl_ice_is_base_(&ice->locals[i])) {
      ice->locals[keep] = ice->locals[i];
      ice->locals[keep].host = (int)keep;
      keep++;
    }
  ice->n_locals = ice->n_hosts = keep;
  ice->trig_head = ice->trig_count = 0;
  ice->selected = ice->nominating = -1;
  ice->first_valid = ice->nomination_since = PL_TIME_NEVER;
  ice->remote_eoc = false;
  ice->consent_failed = false;
  ice->disconnected = false;
  for (size_t i = 0; i < ice->n_hosts; i++)
    emit_candidate(ice, &ice->locals[i].c);
  if (ice->started)
    begin_gathering(ice);
  pl_ice_set_state_(ice, PL_ICE_CHECKING);
  pl_ice_update_state_(ice, now);
  return 0;
}

void pl_ice_close(pl_ice *ice) {
  if (ice->closed)
    return;
  pl_ice_cancel_txs_(ice);
  ice->closed = true;
  ice->selected = -1;
  ice->have_prev = false;
  pl_ice_set_state_(ice, PL_ICE_CLOSED);
}

pl_ice_state pl_ice_get_state(const pl_ice *ice) { return ice->state; }
pl_ice_role pl_ice_get_role(const pl_ice *ice) { return ice->role; }
pl_ice_stats pl_ice_get_stats(const pl_ice *ice) {
  pl_ice_stats s = ice->stats;
  s.tx_dropped = ice->txq.dropped;
  return s;
}

bool pl_ice_get_selected(const pl_ice *ice, pl_ice_selected *out) {
  if (ice->selected >= 0) {
    pl_ice_fill_selected_(ice, ice->selected, out);
    return true;
  }
  if (ice->have_prev) {
    *out = ice->prev;
    return true;
  }
  return false;
}

size_t pl_ice_pair_count(const pl_ice *ice) { return ice->n_pairs; }

int pl_ice_get_pair(const pl_ice *ice, size_t i, pl_ice_pair_info *out) {
  if (i >= ice->n_pairs)
    return PL_ERANGE;
  const ice_pair *p = &ice->pairs[i];
  out->local = ice->locals[p->local].c;
  out->remote = ice->remotes[p->remote];
  out->state = p->state;
  out->priority = p->priority;
  out->valid = p->valid;
  out->nominated = p->nominated;
  out->selected = (int)i == ice->selected;
  return 0;
}
