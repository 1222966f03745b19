/* ICE with relayed candidates (the agent side of TURN): gathering waits
 * for the allocations it was told to expect, a relayed candidate has type
 * preference 0 and pairs with the peer's candidates (and checks leave from
 * its socket id), remote relay candidates are accepted, a failed
 * allocation ends the wait, and an ICE restart keeps relayed candidates. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "base/rng.h"
#include "net/ice/ice.h"
#include "parley.h"

static pl_rng rng;
static pl_ice *ice;

static void make(unsigned relays) {
  pl_rng_seed(&rng, 3);
  pl_ice_config c;
  memset(&c, 0, sizeof c);
  c.role = PL_ICE_CONTROLLING;
  c.ufrag = "abcd";
  c.pwd = "0123456789012345678901";
  c.rng = &rng;
  c.relays_expected = relays;
  ice = pl_ice_new(&c);
  cr_assert(ice);
  cr_assert_eq(pl_ice_set_remote_credentials(ice, "wxyz", "abcdefghijabcdefghij12"), 0);
}

static void fini(void) { pl_ice_free(ice); }

/* Drains the agent: counts events of a kind, keeps the last candidate. */
static int drain(pl_ice_event_kind kind, pl_ice_candidate *cand, int *checks_from_sock) {
  pl_ice_output o;
  int n = 0;
  while (pl_ice_poll(ice, &o)) {
    if (o.kind == PL_ICE_OUT_EVENT && o.event.kind == kind) {
      n++;
      if (cand && kind == PL_ICE_EV_LOCAL_CANDIDATE)
        *cand = o.event.candidate;
    }
    if (o.kind == PL_ICE_OUT_TRANSMIT && checks_from_sock &&
        o.transmit.socket_id == *checks_from_sock)
      checks_from_sock[1]++;
  }
  return n;
}

TestSuite(ice_relay, .fini = fini);

Test(ice_relay, gathering_waits_for_the_expected_allocation) {
  make(1);
  pl_addr host, relayed;
  pl_addr_parse(&host, "10.0.0.2:5000");
  pl_addr_parse(&relayed, "198.51.100.1:50000");
  pl_ice_add_host(ice, 0, &host, 65535);
  pl_ice_start(ice, 0);
  pl_ice_timeout(ice, 0);
  cr_assert_eq(drain(PL_ICE_EV_GATHERING_DONE, NULL, NULL), 0, "no STUN, but a relay to wait for");
  cr_assert_geq(pl_ice_add_relay(ice, 32, &relayed, 65535), 0);
  pl_ice_output o;
  int cands = 0, done = 0;
  pl_ice_candidate c;
  while (pl_ice_poll(ice, &o)) {
    if (o.kind != PL_ICE_OUT_EVENT)
      continue;
    if (o.event.kind == PL_ICE_EV_LOCAL_CANDIDATE) {
      cands++;
      c = o.event.candidate;
    }
    if (o.event.kind == PL_ICE_EV_GATHERING_DONE) {
      cr_assert_eq(cands, 1, "the candidate comes before end-of-candidates");
      done++;
    }
  }
  cr_assert_eq(done, 1);
  cr_assert_eq(c.type, PL_ICE_RELAY);
  cr_assert(pl_addr_equal(&c.addr, &relayed));
  cr_assert(pl_addr_equal(&c.base, &relayed), "a relayed candidate is its own base");
  cr_assert_eq(c.socket_id, 32);
  cr_assert_eq(c.priority >> 24, 0, "type preference 0 (RFC 8445 5.1.2.2)");
  cr_assert_eq(c.priority, pl_ice_candidate_priority(PL_ICE_RELAY, 65535, 1));
}

Test(ice_relay, a_failed_allocation_ends_the_wait) {
  make(2);
  pl_addr host, relayed;
  pl_addr_parse(&host, "10.0.0.2:5000");
  pl_addr_parse(&relayed, "198.51.100.1:50000");
  pl_ice_add_host(ice, 0, &host, 65535);
  pl_ice_start(ice, 0);
  pl_ice_timeout(ice, 0);
  pl_ice_add_relay(ice, 32, &relayed, 65535);
  cr_assert_eq(drain(PL_ICE_EV_GATHERING_DONE, NULL, NULL), 0, "one of two still out");
  pl_ice_relay_failed(ice);
  cr_assert_eq(drain(PL_ICE_EV_GATHERING_DONE, NULL, NULL), 1);
}

Test(ice_relay, relayed_candidate_pairs_and_checks_leave_from_its_socket) {
  make(1);
  pl_addr relayed;
  pl_addr_parse(&relayed, "198.51.100.1:50000");
  pl_ice_start(ice, 0);
  /* The peer's candidates, one a relay on the same server. */
  pl_ice_candidate r;
  memset(&r, 0, sizeof r);
  r.component = 1;
  r.type = PL_ICE_SRFLX;
  r.priority = pl_ice_candidate_priority(PL_ICE_SRFLX, 65535, 1);
  snprintf(r.foundation, sizeof r.foundation, "s1");
  pl_addr_parse(&r.addr, "203.0.113.9:6000");
  cr_assert_eq(pl_ice_add_remote_candidate(ice, 0, &r), 0);
  r.type = PL_ICE_RELAY;
  r.priority = pl_ice_candidate_priority(PL_ICE_RELAY, 65535, 1);
  snprintf(r.foundation, sizeof r.foundation, "r1");
  pl_addr_parse(&r.addr, "198.51.100.1:50002");
  cr_assert_eq(pl_ice_add_remote_candidate(ice, 0, &r), 0, "remote relay candidates are taken");
  cr_assert_eq(pl_ice_pair_count(ice), 0, "no local base yet");
  cr_assert_geq(pl_ice_add_relay(ice, 33, &relayed, 65535), 0);
  cr_assert_eq(pl_ice_pair_count(ice), 2);
  int from[2] = {33, 0};
  for (pl_time_us t = 0; t <= PL_MS(200); t += PL_MS(50)) {
    pl_ice_timeout(ice, t);
    drain(PL_ICE_EV_STATE, NULL, from);
  }
  cr_assert_geq(from[1], 2, "a check per pair, from the relayed socket id");
}

Test(ice_relay, restart_keeps_relayed_candidates) {
  make(1);
  pl_addr host, relayed;
  pl_addr_parse(&host, "10.0.0.2:5000");
  pl_addr_parse(&relayed, "198.51.100.1:50000");
  pl_ice_add_host(ice, 0, &host, 65535);
  pl_ice_start(ice, 0);
  pl_ice_add_relay(ice, 32, &relayed, 65535);
  drain(PL_ICE_EV_LOCAL_CANDIDATE, NULL, NULL);
  cr_assert_eq(pl_ice_restart(ice, PL_SEC(1), "efgh", "abcdefghij0123456789ab"), 0);
  pl_ice_output o;
  int host_n = 0, relay_n = 0, done = 0;
  while (pl_ice_poll(ice, &o))
    if (o.kind == PL_ICE_OUT_EVENT && o.event.kind == PL_ICE_EV_LOCAL_CANDIDATE) {
      host_n += o.event.candidate.type == PL_ICE_HOST;
      relay_n += o.event.candidate.type == PL_ICE_RELAY;
    } else if (o.kind == PL_ICE_OUT_EVENT && o.event.kind == PL_ICE_EV_GATHERING_DONE) {
      done++;
    }
  cr_assert_eq(host_n, 1);
  cr_assert_eq(relay_n, 1, "the allocation lives on: re-announced");
  cr_assert_eq(done, 1, "nothing left to wait for");
}
