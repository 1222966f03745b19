/* ICE agent on a simulated clock: two (or more) agents and a STUN server
 * core joined by an in-test network that delays datagrams, drops chosen
 * paths, and puts private "sites" behind full-cone NATs. Signalling
 * (credentials, trickled candidates, end-of-candidates) is instantaneous. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "base/rng.h"
#include "net/ice/ice.h"
#include "net/ice/ifaces.h"
#include "net/stun/server.h"
#include "net/stun/stun.h"
#include "parley.h"

#define MAX_PKT 2048
#define NSTATES 7

typedef struct pkt {
  pl_time_us at;
  pl_addr from, to;
  size_t len;
  uint8_t data[600];
} pkt;

typedef struct agent {
  pl_ice *ice;
  pl_rng rng;
  char ufrag[9], pwd[25];
  int peer;
  pl_ice_state state;
  pl_time_us t_state[NSTATES]; /* last time each state was entered */
  unsigned entered;            /* bit per state ever entered */
  int n_selected;
  pl_ice_selected sel;
  pl_time_us t_selected;
  int n_role_events, n_gathered;
  pl_ice_candidate cands[16];
  int n_cands;
  uint64_t consent_ok;
  pl_time_us t_consent_ok;
  bool gone; /* vanished: nothing reaches it, nothing leaves it */
} agent;

typedef struct iface {
  pl_addr addr;
  int agent; /* -1: the STUN server */
  int socket;
  int site; /* 0: public internet */
} iface;

typedef struct sim {
  pl_time_us now, delay;
  agent a[3];
  int n_agents;
  pl_stun_server *srv;
  pl_addr srv_addr;
  iface ifs[16];
  int n_ifs;
  pl_addr nat_priv[4], nat_pub[4];
  int n_nats;
  pl_addr blocked[4]; /* any datagram from or to these is lost */
  int n_blocked;
  pkt q[MAX_PKT];
  int nq;
  uint64_t delivered, lost;
} sim;

static pl_addr A(const char *s) {
  pl_addr a;
  cr_assert_eq(pl_addr_parse(&a, s), 0, "bad address %s", s);
  return a;
}

static void add_if(sim *s, int agent, int socket, const char *addr, int site) {
  iface *f = &s->ifs[s->n_ifs++];
  f->addr = A(addr);
  f->agent = agent;
  f->socket = socket;
  f->site = site;
}

static const iface *if_by_addr(const sim *s, const pl_addr *a) {
  for (int i = 0; i < s->n_ifs; i++)
    if (pl_addr_equal(&s->ifs[i].addr, a))
      return &s->ifs[i];
  return NULL;
}

static const iface *if_by_socket(const sim *s, int agent, int socket) {
  for (int i = 0; i < s->n_ifs; i++)
    if (s->ifs[i].agent == agent && s->ifs[i].socket == socket)
      return &s->ifs[i];
  return NULL;
}

static bool blocked(const sim *s, const pl_addr *a) {
  for (int i = 0; i < s->n_blocked; i++)
    if (pl_addr_equal(&s->blocked[i], a))
      return true;
  return false;
}

/* Routes one datagram: private sites reach the outside only through their
 * NAT mapping, and are unreachable from outside except via it. */
static void send_pkt(sim *s, const iface *src, const pl_addr *to,
                     const uint8_t *d, size_t n) {
  if (blocked(s, &src->addr) || blocked(s, to) ||
      (src->agent >= 0 && s->a[src->agent].gone)) {
    s->lost++;
    return;
  }
  pl_addr from = src->addr, dst = *to;
  for (int i = 0; i < s->n_nats; i++)
    if (pl_addr_equal(&s->nat_pub[i], to))
      dst = s->nat_priv[i];
  const iface *d_if = if_by_addr(s, &dst);
  if (!d_if || (d_if->agent >= 0 && s->a[d_if->agent].gone)) {
    s->lost++;
    return;
  }
  if (src->site != d_if->site) {
    if (d_if->site != 0 && pl_addr_equal(&dst, to)) {
      s->lost++; /* a private address seen from another site */
      return;
    }
    if (src->site != 0) {
      int k = -1;
      for (int i = 0; i < s->n_nats; i++)
        if (pl_addr_equal(&s->nat_priv[i], &src->addr))
          k = i;
      if (k < 0) {
        s->lost++;
        return;
      }
      from = s->nat_pub[k];
    }
  }
  cr_assert_lt(s->nq, MAX_PKT);
  cr_assert_leq(n, sizeof s->q[0].data);
  pkt *p = &s->q[s->nq++];
  p->at = s->now + s->delay;
  p->from = from;
  p->to = dst;
  p->len = n;
  memcpy(p->data, d, n);
}

static void on_event(sim *s, int i, const pl_ice_output *o) {
  agent *ag = &s->a[i];
  agent *peer = ag->peer >= 0 ? &s->a[ag->peer] : NULL;
  switch (o->event.kind) {
  case PL_ICE_EV_STATE:
    ag->state = o->event.state;
    ag->t_state[o->event.state] = s->now;
    ag->entered |= 1u << o->event.state;
    break;
  case PL_ICE_EV_LOCAL_CANDIDATE:
    if (ag->n_cands < 16)
      ag->cands[ag->n_cands++] = o->event.candidate;
    if (peer && peer->ice)
      pl_ice_add_remote_candidate(peer->ice, s->now, &o->event.candidate);
    break;
  case PL_ICE_EV_GATHERING_DONE:
    ag->n_gathered++;
    if (peer && peer->ice)
      pl_ice_end_of_remote_candidates(peer->ice, s->now);
    break;
  case PL_ICE_EV_SELECTED_PAIR:
    ag->n_selected++;
    ag->sel = o->event.selected;
    ag->t_selected = s->now;
    break;
  case PL_ICE_EV_ROLE:
    ag->n_role_events++;
    break;
  }
}

static void drain(sim *s) {
  bool again = true;
  while (again) {
    again = false;
    for (int i = 0; i < s->n_agents; i++) {
      agent *ag = &s->a[i];
      pl_ice_output o;
      while (ag->ice && pl_ice_poll(ag->ice, &o)) {
        again = true;
        if (o.kind == PL_ICE_OUT_EVENT) {
          on_event(s, i, &o);
          continue;
        }
        const iface *src = if_by_socket(s, i, o.transmit.socket_id);
        cr_assert_not_null(src, "agent %d sent from unknown socket", i);
        send_pkt(s, src, &o.transmit.to, o.transmit.data, o.transmit.len);
      }
      pl_ice_stats st;
      if (ag->ice && (st = pl_ice_get_stats(ag->ice)).consent_ok != ag->consent_ok) {
        ag->consent_ok = st.consent_ok;
        ag->t_consent_ok = s->now;
      }
    }
    pl_stun_server_output so;
    while (s->srv && pl_stun_server_poll(s->srv, &so)) {
      again = true;
      send_pkt(s, if_by_addr(s, &s->srv_addr), &so.to, so.data, so.len);
    }
  }
}

static void deliver(sim *s, pkt *p) {
  const iface *d = if_by_addr(s, &p->to);
  s->delivered++;
  if (d->agent < 0) {
    pl_stun_server_input(s->srv, s->now, 0, &p->from, p->data, p->len);
    return;
  }
  agent *ag = &s->a[d->agent];
  if (ag->ice && !ag->gone)
    pl_ice_input(ag->ice, s->now, d->socket, &p->from, p->data, p->len);
}

/* Runs the simulation until `until`, jumping from deadline to deadline. */
static void run(sim *s, pl_time_us until) {
  drain(s);
  for (;;) {
    pl_time_us next = PL_TIME_NEVER;
    for (int i = 0; i < s->nq; i++)
      next = pl_time_min(next, s->q[i].at);
    for (int i = 0; i < s->n_agents; i++)
      if (s->a[i].ice && !s->a[i].gone)
        next = pl_time_min(next, pl_ice_deadline(s->a[i].ice));
    if (next > until) {
      s->now = until;
      return;
    }
    /* A deadline already passed means "call timeout now". */
    if (next > s->now)
      s->now = next;
    for (int i = 0; i < s->nq;) {
      if (s->q[i].at <= s->now) {
        pkt p = s->q[i];
        s->q[i] = s->q[--s->nq];
        deliver(s, &p);
        drain(s);
      } else {
        i++;
      }
    }
    for (int i = 0; i < s->n_agents; i++)
      if (s->a[i].ice && !s->a[i].gone && pl_ice_deadline(s->a[i].ice) <= s->now) {
        pl_ice_timeout(s->a[i].ice, s->now);
        drain(s);
      }
  }
}

static void sim_init(sim *s) {
  memset(s, 0, sizeof *s);
  s->delay = PL_MS(10);
}

static void agent_new(sim *s, int i, int peer, pl_ice_role role, bool lite,
                      const char *stun, uint64_t tie, uint64_t seed) {
  agent *ag = &s->a[i];
  memset(ag, 0, sizeof *ag);
  pl_rng_seed(&ag->rng, seed);
  snprintf(ag->ufrag, sizeof ag->ufrag, "ufr%c%04u", 'A' + i, (unsigned)seed % 10000);
  snprintf(ag->pwd, sizeof ag->pwd, "password-of-agent-%c-%04u", 'A' + i,
           (unsigned)seed % 10000);
  ag->peer = peer;
  pl_addr srv;
  if (stun)
    srv = A(stun);
  pl_ice_config cfg = {.role = role,
                       .lite = lite,
                       .ufrag = ag->ufrag,
                       .pwd = ag->pwd,
                       .rng = &ag->rng,
                       .tie_breaker = tie,
                       .stun_server = stun ? &srv : NULL};
  ag->ice = pl_ice_new(&cfg);
  cr_assert_not_null(ag->ice);
  if (i >= s->n_agents)
    s->n_agents = i + 1;
}

static void host(sim *s, int i, int socket, const char *addr, int site,
                 unsigned pref) {
  add_if(s, i, socket, addr, site);
  cr_assert_geq(pl_ice_add_host(s->a[i].ice, socket, &s->ifs[s->n_ifs - 1].addr,
                                pref), 0);
}

static void exchange_credentials(sim *s, int i, int j) {
  cr_assert_eq(pl_ice_set_remote_credentials(s->a[i].ice, s->a[j].ufrag,
                                             s->a[j].pwd), 0);
  cr_assert_eq(pl_ice_set_remote_credentials(s->a[j].ice, s->a[i].ufrag,
                                             s->a[i].pwd), 0);
}

static void start_pair(sim *s, int i, int j) {
  exchange_credentials(s, i, j);
  cr_assert_eq(pl_ice_start(s->a[i].ice, s->now), 0);
  cr_assert_eq(pl_ice_start(s->a[j].ice, s->now), 0);
}

static void free_agents(sim *s) {
  for (int i = 0; i < s->n_agents; i++)
    pl_ice_free(s->a[i].ice);
  pl_stun_server_free(s->srv);
}

static bool up(const agent *a) {
  return a->state == PL_ICE_CONNECTED || a->state == PL_ICE_COMPLETED;
}

/* Both ends selected the same path, seen from each side. */
static void assert_paths_agree(sim *s, int i, int j) {
  const agent *a = &s->a[i], *b = &s->a[j];
  cr_assert_geq(a->n_selected, 1);
  cr_assert_geq(b->n_selected, 1);
  const iface *ai = if_by_socket(s, i, a->sel.socket_id);
  const iface *bi = if_by_socket(s, j, b->sel.socket_id);
  cr_assert(pl_addr_equal(&ai->addr, &a->sel.local));
  cr_assert(pl_addr_equal(&bi->addr, &b->sel.local));
  /* With no NAT in between each side's remote is the other's local. */
  if (ai->site == bi->site || (ai->site == 0 && bi->site == 0)) {
    cr_assert(pl_addr_equal(&a->sel.remote, &bi->addr));
    cr_assert(pl_addr_equal(&b->sel.remote, &ai->addr));
  }
}

static void lan_pair(sim *s, pl_ice_role ra, pl_ice_role rb) {
  sim_init(s);
  agent_new(s, 0, 1, ra, false, NULL, 0, 11);
  agent_new(s, 1, 0, rb, false, NULL, 0, 22);
  host(s, 0, 1, "10.0.0.1:5000", 0, 65535);
  host(s, 1, 7, "10.0.0.2:6000", 0, 65535);
  start_pair(s, 0, 1);
}

Test(ice_formula, candidate_and_pair_priorities) {
  cr_assert_eq(pl_ice_candidate_priority(PL_ICE_HOST, 65535, 1), 2130706431u);
  cr_assert_eq(pl_ice_candidate_priority(PL_ICE_SRFLX, 65535, 1), 1694498815u);
  cr_assert_eq(pl_ice_candidate_priority(PL_ICE_PRFLX, 0, 2), (110u << 24) + 254);
  cr_assert_eq(pl_ice_candidate_priority(PL_ICE_RELAY, 1, 1), 256u + 255);
  /* G > D adds one; the formula is symmetric otherwise. */
  cr_assert_eq(pl_ice_pair_priority(10, 7), (7ull << 32) + 20 + 1);
  cr_assert_eq(pl_ice_pair_priority(7, 10), (7ull << 32) + 20);
}

Test(ice_formula, credentials_are_ice_chars_of_rfc_length) {
  char u[9], p[25], u2[9], p2[25];
  cr_assert_eq(pl_ice_credentials(u, sizeof u, p, sizeof p), 0);
  cr_assert_eq(pl_ice_credentials(u2, sizeof u2, p2, sizeof p2), 0);
  cr_assert_eq(strlen(u), 8);
  cr_assert_eq(strlen(p), 24);
  cr_assert_str_neq(p, p2);
  for (int i = 0; i < 24; i++)
    cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                     p[i]));
  cr_assert_eq(pl_ice_credentials(u, 8, p, sizeof p), PL_EINVAL);
}

Test(ice_ifaces, loopback_listed_only_when_asked) {
  pl_addr a[32];
  pl_ice_iface_opts with = {.loopback = true, .ipv6 = false};
  pl_ice_iface_opts without = {.loopback = false, .ipv6 = true};
  int n = pl_ice_list_interfaces(&with, a, 32);
  cr_assert_gt(n, 0);
  bool lo = false;
  for (int i = 0; i < n; i++) {
    char t[PL_ADDR_STRLEN];
    lo = lo || !strcmp(pl_addr_format(&a[i], t, sizeof t), "127.0.0.1:0");
    cr_assert_eq(pl_addr_family(&a[i]), AF_INET);
  }
  cr_assert(lo);
  n = pl_ice_list_interfaces(&without, a, 32);
  cr_assert_geq(n, 0);
  for (int i = 0; i < n; i++) {
    char t[PL_ADDR_STRLEN];
    cr_assert_str_neq(pl_addr_format(&a[i], t, sizeof t), "127.0.0.1:0");
  }
}

static void connect_roles(pl_ice_role ra, pl_ice_role rb) {
  static sim s;
  lan_pair(&s, ra, rb);
  run(&s, PL_SEC(3));
  agent *a = &s.a[0], *b = &s.a[1];
  cr_assert(up(a), "A is %s", pl_ice_state_name(a->state));
  cr_assert(up(b), "B is %s", pl_ice_state_name(b->state));
  cr_assert_eq(a->state, PL_ICE_COMPLETED);
  cr_assert_eq(b->state, PL_ICE_COMPLETED);
  /* One round trip per check plus pacing: well under 200 ms. */
  cr_assert_lt(a->t_selected, PL_MS(200));
  cr_assert_lt(b->t_selected, PL_MS(200));
  cr_assert_eq(a->n_selected, 1);
  cr_assert_eq(b->n_selected, 1);
  /* Both sides knew every candidate from the start: between the first
   * success and the nomination neither may call the connection failed. */
  cr_assert_not(a->entered & (1u << PL_ICE_FAILED), "A went through failed");
  cr_assert_not(b->entered & (1u << PL_ICE_FAILED), "B went through failed");
  assert_paths_agree(&s, 0, 1);
  cr_assert_eq(a->sel.socket_id, 1);
  cr_assert_eq(b->sel.socket_id, 7);
  cr_assert_eq(pl_ice_get_role(a->ice), ra);
  cr_assert_eq(pl_ice_get_role(b->ice), rb);
  /* Application data: accepted from the selected remote only. */
  const uint8_t rtp[4] = {0x80, 0x60, 0, 1};
  pl_addr bad = A("10.0.0.9:6000");
  cr_assert_eq(pl_ice_input(a->ice, s.now, 1, &a->sel.remote, rtp, 4),
               PL_ICE_RX_DATA);
  cr_assert_eq(pl_ice_input(a->ice, s.now, 1, &bad, rtp, 4), PL_ENOENT);
  cr_assert_eq(pl_ice_input(a->ice, s.now, 2, &a->sel.remote, rtp, 4), PL_ENOENT);
  pl_ice_stats st = pl_ice_get_stats(a->ice);
  cr_assert_eq(st.bad_integrity, 0);
  cr_assert_eq(st.role_conflicts, 0);
  free_agents(&s);
}

Test(ice_connect, controlling_offerer_and_controlled_answerer) {
  connect_roles(PL_ICE_CONTROLLING, PL_ICE_CONTROLLED);
}

Test(ice_connect, controlled_offerer_and_controlling_answerer) {
  connect_roles(PL_ICE_CONTROLLED, PL_ICE_CONTROLLING);
}

static void conflict(pl_ice_role both) {
  static sim s;
  sim_init(&s);
  agent_new(&s, 0, 1, both, false, NULL, 1000, 11);
  agent_new(&s, 1, 0, both, false, NULL, 5, 22);
  host(&s, 0, 1, "10.0.0.1:5000", 0, 65535);
  host(&s, 1, 7, "10.0.0.2:6000", 0, 65535);
  start_pair(&s, 0, 1);
  run(&s, PL_SEC(3));
  agent *a = &s.a[0], *b = &s.a[1];
  cr_assert(up(a) && up(b), "A %s B %s", pl_ice_state_name(a->state),
            pl_ice_state_name(b->state));
  /* The larger tie breaker (A) ends up controlling, the other controlled. */
  cr_assert_eq(pl_ice_get_role(a->ice), PL_ICE_CONTROLLING);
  cr_assert_eq(pl_ice_get_role(b->ice), PL_ICE_CONTROLLED);
  cr_assert_eq(a->n_role_events + b->n_role_events, 1);
  cr_assert_gt(pl_ice_get_stats(a->ice).role_conflicts +
                   pl_ice_get_stats(b->ice).role_conflicts, 0);
  assert_paths_agree(&s, 0, 1);
  free_agents(&s);
}

Test(ice_conflict, both_controlling_resolved_by_tie_breaker) {
  conflict(PL_ICE_CONTROLLING);
}

Test(ice_conflict, both_controlled_resolved_by_tie_breaker) {
  conflict(PL_ICE_CONTROLLED);
}

Test(ice_paths, dropping_path_fails_while_other_succeeds) {
  static sim s;
  sim_init(&s);
  agent_new(&s, 0, 1, PL_ICE_CONTROLLING, false, NULL, 0, 31);
  agent_new(&s, 1, 0, PL_ICE_CONTROLLED, false, NULL, 0, 32);
  /* A's preferred interface (wifi) loses everything. */
  host(&s, 0, 1, "10.0.0.1:5000", 0, 65535);
  host(&s, 0, 2, "192.168.1.1:5000", 0, 100);
  host(&s, 1, 7, "10.0.0.2:6000", 0, 65535);
  s.blocked[s.n_blocked++] = A("10.0.0.1:5000");
  start_pair(&s, 0, 1);
  run(&s, PL_SEC(3));
  agent *a = &s.a[0], *b = &s.a[1];
  cr_assert(up(a) && up(b));
  cr_assert_eq(a->sel.socket_id, 2);
  cr_assert_str_eq(pl_addr_format(&b->sel.remote, (char[64]){0}, 64),
                   "192.168.1.1:5000");
  /* It nominated after nomination_wait, not after the bad pair timed out. */
  cr_assert_lt(a->t_selected, PL_MS(1500));
  run(&s, PL_SEC(45));
  int failed = 0, succeeded = 0;
  for (size_t i = 0; i < pl_ice_pair_count(a->ice); i++) {
    pl_ice_pair_info pi;
    cr_assert_eq(pl_ice_get_pair(a->ice, i, &pi), 0);
    if (pi.local.socket_id == 1) {
      cr_assert_eq(pi.state, PL_ICE_PAIR_FAILED);
      failed++;
    } else {
      cr_assert_eq(pi.state, PL_ICE_PAIR_SUCCEEDED);
      cr_assert(pi.selected && pi.nominated && pi.valid);
      succeeded++;
    }
  }
  cr_assert_eq(failed, 1);
  cr_assert_eq(succeeded, 1);
  /* The bad pair used all Rc = 7 sends before failing. */
  cr_assert_geq(pl_ice_get_stats(a->ice).retransmits, 6);
  cr_assert_eq(a->state, PL_ICE_COMPLETED);
  free_agents(&s);
}

Test(ice_paths, srflx_learned_through_stun_server_behind_nat) {
  static sim s;
  sim_init(&s);
  s.srv = pl_stun_server_new(NULL);
  s.srv_addr = A("198.51.100.1:3478");
  add_if(&s, -1, 0, "198.51.100.1:3478", 0);
  agent_new(&s, 0, 1, PL_ICE_CONTROLLING, false, "198.51.100.1:3478", 0, 41);
  agent_new(&s, 1, 0, PL_ICE_CONTROLLED, false, NULL, 0, 42);
  host(&s, 0, 1, "10.0.0.1:5000", 1, 65535); /* site 1, behind a NAT */
  s.nat_priv[0] = A("10.0.0.1:5000");
  s.nat_pub[0] = A("203.0.113.1:40000");
  s.n_nats = 1;
  host(&s, 1, 7, "198.51.100.2:6000", 0, 65535);
  start_pair(&s, 0, 1);
  run(&s, PL_SEC(5));
  agent *a = &s.a[0], *b = &s.a[1];
  int srflx = -1;
  for (int i = 0; i < a->n_cands; i++)
    if (a->cands[i].type == PL_ICE_SRFLX)
      srflx = i;
  cr_assert_geq(srflx, 0, "no srflx candidate gathered");
  char t[PL_ADDR_STRLEN];
  cr_assert_str_eq(pl_addr_format(&a->cands[srflx].addr, t, sizeof t),
                   "203.0.113.1:40000");
  cr_assert_str_eq(pl_addr_format(&a->cands[srflx].base, t, sizeof t),
                   "10.0.0.1:5000");
  cr_assert_eq(a->cands[srflx].priority, 1694498815u);
  cr_assert_eq(a->n_gathered, 1);
  cr_assert_eq(pl_stun_server_get_stats(s.srv).requests, 1);
  cr_assert(up(a) && up(b));
  /* B talks to the NAT's public side; A sends from its host socket. */
  cr_assert_str_eq(pl_addr_format(&b->sel.remote, t, sizeof t),
                   "203.0.113.1:40000");
  cr_assert_eq(a->sel.socket_id, 1);
  cr_assert_str_eq(pl_addr_format(&a->sel.remote, t, sizeof t),
                   "198.51.100.2:6000");
  /* B's check to A's private host address cannot arrive. */
  bool host_pair_failed_or_pruned = false;
  for (size_t i = 0; i < pl_ice_pair_count(b->ice); i++) {
    pl_ice_pair_info pi;
    pl_ice_get_pair(b->ice, i, &pi);
    if (!strcmp(pl_addr_format(&pi.remote.addr, t, sizeof t), "10.0.0.1:5000"))
      host_pair_failed_or_pruned = pi.state == PL_ICE_PAIR_FAILED ||
                                   pi.state == PL_ICE_PAIR_IN_PROGRESS;
  }
  cr_assert(host_pair_failed_or_pruned);
  free_agents(&s);
}

Test(ice_security, bad_message_integrity_is_ignored_and_counted) {
  static sim s;
  lan_pair(&s, PL_ICE_CONTROLLING, PL_ICE_CONTROLLED);
  agent *a = &s.a[0];
  /* A check with the right USERNAME but keyed with a wrong password. */
  uint8_t buf[256], txid[12] = {7, 7, 7};
  char user[64];
  snprintf(user, sizeof user, "%s:%s", a->ufrag, s.a[1].ufrag);
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
  pl_stun_put_bytes(&b, PL_STUN_ATTR_USERNAME, user, strlen(user));
  pl_stun_put_u32(&b, PL_STUN_ATTR_PRIORITY, 1);
  pl_stun_put_u64(&b, PL_STUN_ATTR_ICE_CONTROLLED, 1);
  pl_stun_put_flag(&b, PL_STUN_ATTR_USE_CANDIDATE);
  pl_stun_put_integrity(&b, (const uint8_t *)"not-the-password-at-all", 23);
  pl_stun_put_fingerprint(&b);
  int n = pl_stun_build_end(&b);
  pl_addr evil = A("10.6.6.6:666");
  cr_assert_eq(pl_ice_input(a->ice, 0, 1, &evil, buf, (size_t)n), PL_EAUTH);
  pl_ice_output o;
  cr_assert_not(pl_ice_poll(a->ice, &o) && o.kind == PL_ICE_OUT_TRANSMIT &&
                pl_addr_equal(&o.transmit.to, &evil));
  pl_ice_stats st = pl_ice_get_stats(a->ice);
  cr_assert_eq(st.bad_integrity, 1);
  cr_assert_eq(st.prflx_remote, 0);
  cr_assert_eq(st.checks_received, 0);
  /* Wrong USERNAME is counted apart. */
  snprintf(user, sizeof user, "nobody:%s", s.a[1].ufrag);
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
  pl_stun_put_bytes(&b, PL_STUN_ATTR_USERNAME, user, strlen(user));
  pl_stun_put_integrity(&b, (const uint8_t *)a->pwd, strlen(a->pwd));
  n = pl_stun_build_end(&b);
  cr_assert_eq(pl_ice_input(a->ice, 0, 1, &evil, buf, (size_t)n), PL_EAUTH);
  cr_assert_eq(pl_ice_get_stats(a->ice).bad_username, 1);
  /* The real peer still connects, and a forged answer to its checks (right
   * transaction id, wrong key) is dropped too. */
  run(&s, PL_MS(5)); /* A's first check is now on the wire */
  cr_assert_gt(s.nq, 0);
  pl_stun_msg req;
  int forged = 0;
  for (int i = 0; i < s.nq; i++) {
    if (pl_stun_parse(&req, s.q[i].data, s.q[i].len) < 0 ||
        req.cls != PL_STUN_REQUEST || !pl_addr_equal(&s.q[i].from, &s.ifs[0].addr))
      continue;
    pl_stun_build_begin(&b, buf, sizeof buf,
                        pl_stun_type(PL_STUN_BINDING, PL_STUN_SUCCESS), req.txid);
    pl_stun_put_addr(&b, PL_STUN_ATTR_XOR_MAPPED_ADDRESS, &s.ifs[0].addr);
    pl_stun_put_integrity(&b, (const uint8_t *)"wrong-key-wrong-key-wrong", 25);
    pl_stun_put_fingerprint(&b);
    n = pl_stun_build_end(&b);
    cr_assert_eq(pl_ice_input(a->ice, s.now, 1, &s.q[i].to, buf, (size_t)n),
                 PL_EAUTH);
    forged++;
  }
  cr_assert_gt(forged, 0);
  cr_assert_eq(pl_ice_get_stats(a->ice).bad_integrity, 1 + (uint64_t)forged);
  cr_assert_eq(s.a[0].n_selected, 0);
  run(&s, PL_SEC(2));
  cr_assert(up(&s.a[0]) && up(&s.a[1]));
  free_agents(&s);
}

Test(ice_consent, expiry_fails_30_to_31_s_after_peer_vanishes) {
  static sim s;
  lan_pair(&s, PL_ICE_CONTROLLING, PL_ICE_CONTROLLED);
  run(&s, PL_SEC(20));
  agent *a = &s.a[0];
  cr_assert_eq(a->state, PL_ICE_COMPLETED);
  /* Consent checks every 4..6 s kept it alive. */
  uint64_t ok = pl_ice_get_stats(a->ice).consent_ok;
  cr_assert_geq(ok, 3);
  cr_assert_leq(ok, 5);
  /* The peer vanishes right after answering a consent check (within the
   * millisecond), the worst case for how long consent can outlive it. */
  while (pl_ice_get_stats(a->ice).consent_ok == ok)
    run(&s, s.now + PL_MS(1));
  pl_time_us vanish = s.now;
  cr_assert_leq(vanish - a->t_consent_ok, PL_MS(1));
  s.a[1].gone = true;
  run(&s, vanish + PL_SEC(40));
  cr_assert_eq(a->state, PL_ICE_FAILED);
  pl_time_us failed = a->t_state[PL_ICE_FAILED];
  /* RFC 7675 5.1: consent is lost 30 s after the last answer. */
  cr_assert_eq(failed - a->t_consent_ok, PL_SEC(30));
  cr_assert_geq(failed - vanish, PL_SEC(30) - PL_MS(1));
  cr_assert_leq(failed - vanish, PL_SEC(31));
  /* It went through "disconnected" first, 10 s after the last answer. */
  cr_assert_eq(a->t_state[PL_ICE_DISCONNECTED] - a->t_consent_ok, PL_SEC(10));
  /* Checks kept going out (5 s +-20%) while waiting. */
  cr_assert_geq(pl_ice_get_stats(a->ice).consent_sent - ok, 5);
  pl_ice_selected sel;
  cr_assert_not(pl_ice_get_selected(a->ice, &sel));
  const uint8_t rtp[4] = {0x80, 0x60, 0, 1};
  cr_assert_eq(pl_ice_input(a->ice, s.now, 1, &a->sel.remote, rtp, 4), PL_ENOENT);
  cr_assert_eq(pl_ice_deadline(a->ice), PL_TIME_NEVER);
  free_agents(&s);
}

Test(ice_consent, peer_that_comes_back_recovers_from_disconnected) {
  static sim s;
  lan_pair(&s, PL_ICE_CONTROLLING, PL_ICE_CONTROLLED);
  run(&s, PL_SEC(10));
  s.n_blocked = 1;
  s.blocked[0] = A("10.0.0.2:6000");
  run(&s, PL_SEC(26));
  cr_assert_eq(s.a[0].state, PL_ICE_DISCONNECTED);
  s.n_blocked = 0;
  run(&s, PL_SEC(40));
  cr_assert(up(&s.a[0]), "A is %s", pl_ice_state_name(s.a[0].state));
  cr_assert_eq(s.a[0].n_selected, 1);
  free_agents(&s);
}

Test(ice_restart, both_sides_restart_and_reconnect) {
  static sim s;
  lan_pair(&s, PL_ICE_CONTROLLING, PL_ICE_CONTROLLED);
  run(&s, PL_SEC(2));
  agent *a = &s.a[0], *b = &s.a[1];
  cr_assert(up(a) && up(b));
  char old_a[9];
  memcpy(old_a, a->ufrag, sizeof old_a);
  /* New credentials on both sides, as an offer/answer with ice restart. */
  memcpy(a->ufrag, "rsA1", 5);
  memcpy(a->pwd, "restarted-password-A-0001", 25);
  memcpy(b->ufrag, "rsB1", 5);
  memcpy(b->pwd, "restarted-password-B-0001", 25);
  pl_time_us t0 = s.now;
  cr_assert_eq(pl_ice_restart(a->ice, s.now, a->ufrag, a->pwd), 0);
  cr_assert_eq(pl_ice_restart(b->ice, s.now, b->ufrag, b->pwd), 0);
  /* The old path keeps carrying media until the new one is selected. */
  pl_ice_selected sel;
  cr_assert(pl_ice_get_selected(a->ice, &sel));
  cr_assert(pl_ice_classify(a->ice, sel.socket_id, &sel.remote));
  exchange_credentials(&s, 0, 1);
  run(&s, s.now + PL_SEC(2));
  cr_assert(up(a) && up(b));
  cr_assert_eq(a->n_selected, 2);
  cr_assert_eq(b->n_selected, 2);
  cr_assert_gt(a->t_selected, t0);
  cr_assert_lt(a->t_selected - t0, PL_MS(300));
  assert_paths_agree(&s, 0, 1);
  /* A check keyed for the old generation is no longer accepted. */
  uint8_t buf[256], txid[12] = {1};
  char user[64];
  snprintf(user, sizeof user, "%s:%s", old_a, "ufrB0022");
  pl_stun_builder bb;
  pl_stun_build_begin(&bb, buf, sizeof buf,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
  pl_stun_put_bytes(&bb, PL_STUN_ATTR_USERNAME, user, strlen(user));
  pl_stun_put_integrity(&bb, (const uint8_t *)"password-of-agent-A-0011", 24);
  int n = pl_stun_build_end(&bb);
  cr_assert_eq(pl_ice_input(a->ice, s.now, 1, &sel.remote, buf, (size_t)n),
               PL_EAUTH);
  free_agents(&s);
}

Test(ice_lite, full_agent_connects_to_lite_agent) {
  static sim s;
  sim_init(&s);
  /* The full agent was told "controlled" but must control a lite peer. */
  agent_new(&s, 0, 1, PL_ICE_CONTROLLED, false, NULL, 0, 51);
  agent_new(&s, 1, 0, PL_ICE_CONTROLLED, true, NULL, 0, 52);
  host(&s, 0, 1, "10.0.0.1:5000", 0, 65535);
  host(&s, 1, 7, "198.51.100.9:3479", 0, 65535);
  pl_ice_set_remote_lite(s.a[0].ice, true);
  start_pair(&s, 0, 1);
  run(&s, PL_SEC(3));
  agent *a = &s.a[0], *b = &s.a[1];
  cr_assert_eq(pl_ice_get_role(a->ice), PL_ICE_CONTROLLING);
  cr_assert_eq(pl_ice_get_role(b->ice), PL_ICE_CONTROLLED);
  cr_assert(up(a) && up(b), "A %s B %s", pl_ice_state_name(a->state),
            pl_ice_state_name(b->state));
  cr_assert_eq(b->state, PL_ICE_COMPLETED);
  assert_paths_agree(&s, 0, 1);
  pl_ice_stats lst = pl_ice_get_stats(b->ice);
  cr_assert_eq(lst.checks_sent, 0);
  cr_assert_eq(lst.consent_sent, 0);
  cr_assert_gt(lst.checks_received, 0);
  /* The full side's consent checks keep the lite side alive... */
  run(&s, PL_SEC(60));
  cr_assert(up(b));
  /* ...and without them it gives up after the consent timeout. */
  a->gone = true;
  pl_time_us t = s.now;
  run(&s, t + PL_SEC(40));
  cr_assert_eq(b->state, PL_ICE_FAILED);
  cr_assert_leq(b->t_state[PL_ICE_FAILED] - t, PL_SEC(31));
  free_agents(&s);
}

Test(ice_trickle, peer_reflexive_remote_learned_before_its_candidate_arrives) {
  static sim s;
  sim_init(&s);
  agent_new(&s, 0, 1, PL_ICE_CONTROLLING, false, NULL, 0, 61);
  agent_new(&s, 1, -1, PL_ICE_CONTROLLED, false, NULL, 0, 62); /* B's trickle held */
  host(&s, 0, 1, "10.0.0.1:5000", 0, 65535);
  host(&s, 1, 7, "10.0.0.2:6000", 0, 65535);
  start_pair(&s, 0, 1);
  run(&s, PL_MS(300));
  agent *a = &s.a[0], *b = &s.a[1];
  /* A learned B only from B's checks, and that was enough. */
  cr_assert(up(a) && up(b));
  cr_assert_eq(pl_ice_get_stats(a->ice).prflx_remote, 1);
  pl_ice_pair_info pi;
  cr_assert_eq(pl_ice_pair_count(a->ice), 1);
  pl_ice_get_pair(a->ice, 0, &pi);
  cr_assert_eq(pi.remote.type, PL_ICE_PRFLX);
  cr_assert_eq(pi.remote.priority, pl_ice_candidate_priority(PL_ICE_PRFLX, 65535, 1));
  /* The late signalled candidate for the same address replaces the guess. */
  cr_assert_eq(b->n_cands, 1);
  cr_assert_eq(pl_ice_add_remote_candidate(a->ice, s.now, &b->cands[0]), 0);
  pl_ice_end_of_remote_candidates(a->ice, s.now);
  cr_assert_eq(pl_ice_pair_count(a->ice), 1);
  pl_ice_get_pair(a->ice, 0, &pi);
  cr_assert_eq(pi.remote.type, PL_ICE_HOST);
  run(&s, PL_SEC(2));
  cr_assert_eq(a->state, PL_ICE_COMPLETED);
  cr_assert_eq(a->n_selected, 1);
  free_agents(&s);
}

Test(ice_trickle, remote_candidates_before_hosts_are_paired) {
  pl_rng r;
  pl_rng_seed(&r, 3);
  pl_ice_config cfg = {.ufrag = "abcd", .pwd = "0123456789012345678901", .rng = &r};
  pl_ice *ice = pl_ice_new(&cfg);
  pl_ice_candidate c = {.type = PL_ICE_HOST, .component = 1,
                        .addr = A("10.1.1.2:2"), .priority = 100, .foundation = "x"};
  pl_ice_candidate c6 = c;
  c6.addr = A("[2001:db8::2]:2");
  cr_assert_eq(pl_ice_add_remote_candidate(ice, 0, &c), 0);
  cr_assert_eq(pl_ice_add_remote_candidate(ice, 0, &c6), 0);
  cr_assert_eq(pl_ice_pair_count(ice), 0);
  pl_addr h = A("10.1.1.1:1"), h6 = A("[2001:db8::1]:1");
  cr_assert_eq(pl_ice_add_host(ice, 1, &h, 10), 0);
  cr_assert_eq(pl_ice_add_host(ice, 2, &h6, 10), 1);
  /* One pair per family: no IPv4-to-IPv6 pairs. */
  cr_assert_eq(pl_ice_pair_count(ice), 2);
  pl_ice_pair_info pi;
  pl_ice_get_pair(ice, 1, &pi);
  cr_assert_eq(pl_addr_family(&pi.local.addr), AF_INET6);
  cr_assert_eq(pl_addr_family(&pi.remote.addr), AF_INET6);
  cr_assert_eq(pi.state, PL_ICE_PAIR_WAITING);
  pl_ice_free(ice);
}

Test(ice_api, rejects_bad_configuration_and_late_hosts) {
  pl_rng r;
  pl_rng_seed(&r, 1);
  pl_ice_config cfg = {.ufrag = "abc", .pwd = "0123456789012345678901", .rng = &r};
  cr_assert_null(pl_ice_new(&cfg)); /* ufrag too short */
  cfg.ufrag = "abcd";
  cfg.rng = NULL;
  cr_assert_null(pl_ice_new(&cfg));
  cfg.rng = &r;
  pl_ice *ice = pl_ice_new(&cfg);
  cr_assert_not_null(ice);
  pl_addr h = A("10.1.1.1:1");
  cr_assert_eq(pl_ice_add_host(ice, 1, &h, 70000), PL_EINVAL);
  cr_assert_eq(pl_ice_add_host(ice, 1, &h, 10), 0);
  cr_assert_eq(pl_ice_set_remote_credentials(ice, "a:bc", "0123456789012345678901"),
               PL_EINVAL);
  cr_assert_eq(pl_ice_start(ice, 0), 0);
  cr_assert_eq(pl_ice_add_host(ice, 2, &h, 10), PL_ESTATE);
  pl_ice_candidate c = {.type = PL_ICE_HOST, .component = 2, .addr = A("10.1.1.2:2")};
  cr_assert_eq(pl_ice_add_remote_candidate(ice, 0, &c), PL_ENOTSUP);
  /* No STUN server: gathering is done at once, with the host announced. */
  pl_ice_output o;
  int cands = 0, done = 0;
  while (pl_ice_poll(ice, &o)) {
    cands += o.kind == PL_ICE_OUT_EVENT && o.event.kind == PL_ICE_EV_LOCAL_CANDIDATE;
    done += o.kind == PL_ICE_OUT_EVENT && o.event.kind == PL_ICE_EV_GATHERING_DONE;
  }
  cr_assert_eq(cands, 1);
  cr_assert_eq(done, 1);
  /* No remote candidates and end-of-candidates: nothing can work. */
  pl_ice_end_of_remote_candidates(ice, 0);
  cr_assert_eq(pl_ice_get_state(ice), PL_ICE_FAILED);
  pl_ice_close(ice);
  cr_assert_eq(pl_ice_get_state(ice), PL_ICE_CLOSED);
  cr_assert_eq(pl_ice_deadline(ice), PL_TIME_NEVER);
  pl_ice_free(ice);
}

/* ---- nomination after end-of-candidates, against a scripted peer ----
 * The peer is played by hand, the way aiortc (aggressive nomination, its
 * checks paced behind ours) or libnice (regular nomination) behave: its
 * SDP carried a=end-of-candidates, so the agent knows every remote
 * candidate before the first check, and the nomination comes later, or its
 * answer does. */

#define PEER_UFRAG "peer"
#define PEER_PWD "peer-password-0123456789"
#define AGENT_UFRAG "agnt"
#define AGENT_PWD "agent-password-012345678"

typedef struct held {
  pl_time_us at;
  size_t len;
  uint8_t d[300];
} held;

typedef struct hand {
  pl_ice *ice;
  pl_rng rng;
  pl_time_us now;
  pl_addr me, peer;       /* the agent's host; the scripted peer */
  pl_ice_state state;
  unsigned entered;       /* bit per state the agent entered */
  pl_time_us t_state[NSTATES];
  int n_selected;
  int use_cand_seen;      /* agent's checks carrying USE-CANDIDATE */
  /* How late the peer answers a check carrying USE-CANDIDATE;
   * PL_TIME_NEVER: never (plain checks are answered at once). */
  pl_time_us nominated_answer_delay;
  held q[32];
  int nq;
} hand;

static void hand_new(hand *h, pl_ice_role role) {
  memset(h, 0, sizeof *h);
  pl_rng_seed(&h->rng, 77);
  h->me = A("10.0.0.2:6000");
  h->peer = A("10.0.0.1:5000");
  pl_ice_config cfg = {.role = role, .ufrag = AGENT_UFRAG, .pwd = AGENT_PWD,
                       .rng = &h->rng, .tie_breaker = 1000};
  h->ice = pl_ice_new(&cfg);
  cr_assert_not_null(h->ice);
  cr_assert_geq(pl_ice_add_host(h->ice, 1, &h->me, 65535), 0);
  cr_assert_eq(pl_ice_set_remote_credentials(h->ice, PEER_UFRAG, PEER_PWD), 0);
  pl_ice_candidate c = {.type = PL_ICE_HOST, .component = 1, .addr = h->peer,
                        .priority = pl_ice_candidate_priority(PL_ICE_HOST, 65535, 1),
                        .foundation = "p1"};
  cr_assert_eq(pl_ice_add_remote_candidate(h->ice, 0, &c), 0);
  pl_ice_end_of_remote_candidates(h->ice, 0);
  cr_assert_eq(pl_ice_start(h->ice, 0), 0);
}

static void hand_queue(hand *h, pl_time_us at, const uint8_t *d, size_t n) {
  cr_assert_lt(h->nq, 32);
  cr_assert_leq(n, sizeof h->q[0].d);
  held *m = &h->q[h->nq++];
  m->at = at;
  m->len = n;
  memcpy(m->d, d, n);
}

/* The agent's outputs: events recorded, its checks answered (or held). */
static void hand_pump(hand *h) {
  pl_ice_output o;
  while (pl_ice_poll(h->ice, &o)) {
    if (o.kind == PL_ICE_OUT_EVENT) {
      if (o.event.kind == PL_ICE_EV_STATE) {
        h->state = o.event.state;
        h->entered |= 1u << o.event.state;
        h->t_state[o.event.state] = h->now;
      } else if (o.event.kind == PL_ICE_EV_SELECTED_PAIR) {
        h->n_selected++;
      }
      continue;
    }
    pl_stun_msg m;
    cr_assert(pl_addr_equal(&o.transmit.to, &h->peer));
    cr_assert_eq(pl_stun_parse(&m, o.transmit.data, o.transmit.len), 0);
    if (m.cls != PL_STUN_REQUEST)
      continue; /* its answers to the peer's checks */
    bool use = m.has & PL_STUN_HAS_USE_CANDIDATE;
    h->use_cand_seen += use;
    if (use && h->nominated_answer_delay == PL_TIME_NEVER)
      continue;
    uint8_t buf[300];
    pl_stun_builder b;
    pl_stun_build_begin(&b, buf, sizeof buf,
                        pl_stun_type(PL_STUN_BINDING, PL_STUN_SUCCESS), m.txid);
    pl_stun_put_addr(&b, PL_STUN_ATTR_XOR_MAPPED_ADDRESS, &h->me);
    pl_stun_put_integrity(&b, (const uint8_t *)PEER_PWD, strlen(PEER_PWD));
    pl_stun_put_fingerprint(&b);
    int n = pl_stun_build_end(&b);
    cr_assert_gt(n, 0);
    hand_queue(h, h->now + (use ? h->nominated_answer_delay : 0), buf, (size_t)n);
  }
}

/* The peer's own check, as the controlling (or controlled) side. */
static void hand_check(hand *h, bool peer_controlling, bool use_candidate) {
  uint8_t buf[300], txid[PL_STUN_TXID_LEN] = {9, 9, (uint8_t)h->now};
  const char *user = AGENT_UFRAG ":" PEER_UFRAG;
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
  pl_stun_put_bytes(&b, PL_STUN_ATTR_USERNAME, user, strlen(user));
  pl_stun_put_u32(&b, PL_STUN_ATTR_PRIORITY,
                  pl_ice_candidate_priority(PL_ICE_PRFLX, 65535, 1));
  pl_stun_put_u64(&b, peer_controlling ? PL_STUN_ATTR_ICE_CONTROLLING
                                       : PL_STUN_ATTR_ICE_CONTROLLED, 5);
  if (use_candidate)
    pl_stun_put_flag(&b, PL_STUN_ATTR_USE_CANDIDATE);
  pl_stun_put_integrity(&b, (const uint8_t *)AGENT_PWD, strlen(AGENT_PWD));
  pl_stun_put_fingerprint(&b);
  int n = pl_stun_build_end(&b);
  cr_assert_gt(n, 0);
  cr_assert_eq(pl_ice_input(h->ice, h->now, 1, &h->peer, buf, (size_t)n), 0);
  hand_pump(h);
}

static void hand_run(hand *h, pl_time_us until) {
  for (;;) {
    hand_pump(h);
    pl_time_us next = pl_ice_deadline(h->ice);
    for (int i = 0; i < h->nq; i++)
      next = pl_time_min(next, h->q[i].at);
    if (next > until) {
      h->now = until;
      return;
    }
    if (next > h->now)
      h->now = next;
    for (int i = 0; i < h->nq;) {
      if (h->q[i].at <= h->now) {
        held m = h->q[i];
        h->q[i] = h->q[--h->nq];
        pl_ice_input(h->ice, h->now, 1, &h->peer, m.d, m.len);
        hand_pump(h);
      } else {
        i++;
      }
    }
    if (pl_ice_deadline(h->ice) <= h->now)
      pl_ice_timeout(h->ice, h->now);
  }
}

static bool went_through(const hand *h, pl_ice_state s) {
  return h->entered & (1u << s);
}

Test(ice_nomination, controlled_waits_for_a_late_nomination_after_end_of_candidates) {
  static hand h;
  hand_new(&h, PL_ICE_CONTROLLED);
  hand_check(&h, true, false); /* an ordinary check first, no nomination */
  hand_run(&h, PL_SEC(2));
  /* Its own check succeeded long ago, every candidate is known and every
   * check done: what is left is the peer's nomination, not a failure. */
  pl_ice_pair_info pi;
  cr_assert_eq(pl_ice_pair_count(h.ice), 1);
  cr_assert_eq(pl_ice_get_pair(h.ice, 0, &pi), 0);
  cr_assert_eq(pi.state, PL_ICE_PAIR_SUCCEEDED);
  cr_assert(pi.valid);
  cr_assert_not(went_through(&h, PL_ICE_FAILED), "failed at %.3f s",
                (double)h.t_state[PL_ICE_FAILED] / 1e6);
  cr_assert_eq(h.state, PL_ICE_CHECKING);
  cr_assert_eq(h.n_selected, 0);
  /* The nomination, 2 s late, selects the pair at once. */
  hand_check(&h, true, true);
  cr_assert_eq(h.n_selected, 1);
  cr_assert_eq(h.state, PL_ICE_COMPLETED);
  hand_run(&h, PL_SEC(4));
  cr_assert_eq(h.state, PL_ICE_COMPLETED);
  cr_assert_not(went_through(&h, PL_ICE_FAILED));
  pl_ice_free(h.ice);
}

Test(ice_nomination, controlled_gives_up_on_a_nomination_after_the_consent_timeout) {
  static hand h;
  hand_new(&h, PL_ICE_CONTROLLED);
  hand_check(&h, true, false);
  hand_run(&h, PL_SEC(29));
  cr_assert_eq(h.state, PL_ICE_CHECKING);
  /* A peer that never nominates is as dead as one that stopped answering:
   * the same 30 s as consent (RFC 7675), not forever. */
  hand_run(&h, PL_SEC(40));
  cr_assert_eq(h.state, PL_ICE_FAILED);
  /* Its last check was answered at 0 s. */
  cr_assert_eq(h.t_state[PL_ICE_FAILED], PL_SEC(30));
  cr_assert_eq(pl_ice_deadline(h.ice), PL_TIME_NEVER);
  /* A nomination after that still connects (the driver decides whether a
   * failed call is over). */
  hand_check(&h, true, true);
  cr_assert_eq(h.n_selected, 1);
  cr_assert_eq(h.state, PL_ICE_COMPLETED);
  pl_ice_free(h.ice);
}

Test(ice_nomination, controlling_does_not_fail_while_its_nomination_is_in_flight) {
  static hand h;
  hand_new(&h, PL_ICE_CONTROLLING);
  h.nominated_answer_delay = PL_MS(400); /* a slow peer, or a lost first try */
  hand_run(&h, PL_MS(300));
  cr_assert_eq(h.use_cand_seen, 1);
  cr_assert_eq(h.n_selected, 0);
  cr_assert_not(went_through(&h, PL_ICE_FAILED), "failed at %.3f s",
                (double)h.t_state[PL_ICE_FAILED] / 1e6);
  cr_assert_eq(h.state, PL_ICE_CHECKING);
  hand_run(&h, PL_SEC(2));
  cr_assert_eq(h.n_selected, 1);
  cr_assert_eq(h.state, PL_ICE_COMPLETED);
  cr_assert_not(went_through(&h, PL_ICE_FAILED));
  pl_ice_free(h.ice);
}

Test(ice_nomination, controlling_fails_when_its_nomination_is_never_answered) {
  static hand h;
  hand_new(&h, PL_ICE_CONTROLLING);
  h.nominated_answer_delay = PL_TIME_NEVER;
  hand_run(&h, PL_SEC(30));
  cr_assert_eq(h.state, PL_ICE_CHECKING);
  cr_assert_geq(h.use_cand_seen, 6); /* retransmitted, RFC 8489 Rc = 7 */
  /* 7 sends 0.5..32 s apart, then Rm x RTO: the pair fails, nothing is
   * left to nominate, and with end-of-candidates that is the end. */
  hand_run(&h, PL_SEC(60));
  cr_assert_eq(h.state, PL_ICE_FAILED);
  cr_assert_eq(h.use_cand_seen, 7);
  cr_assert_gt(h.t_state[PL_ICE_FAILED], PL_SEC(39));
  cr_assert_lt(h.t_state[PL_ICE_FAILED], PL_SEC(41));
  /* Nothing left to time: no deadline in the past asking for a timeout on
   * every turn of the driver's loop. */
  cr_assert_eq(pl_ice_deadline(h.ice), PL_TIME_NEVER);
  pl_ice_free(h.ice);
}
