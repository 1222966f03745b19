#include "engine/sim.h"

#include <stdlib.h>
#include <string.h>

#define SDP_CAP 16384
#define START_US PL_SIM_START_US /* not 0: 0 means "now" to a fresh call */

int pl_sim_new(pl_sim **out, const pl_call_config *ca, const pl_call_config *cb,
               const pl_emu_config *ab, const pl_emu_config *ba, uint64_t seed) {
  *out = NULL;
  pl_sim *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  pl_clock_init_sim(&s->clock, START_US);
  s->now = pl_clock_now(&s->clock);
  int rc = pl_engine_new(&s->engine, NULL);
  pl_call_config a = *ca, b = *cb;
  a.bind = a.advertise = "10.0.0.1:5000";
  b.bind = b.advertise = "10.0.0.2:5000";
  if (!a.seed)
    a.seed = seed * 2 + 1;
  if (!b.seed)
    b.seed = seed * 2 + 2;
  if (!rc)
    rc = pl_call_new(&s->a, s->engine, &a);
  if (!rc)
    rc = pl_call_new(&s->b, s->engine, &b);
  if (!rc)
    rc = pl_emu_link_new(&s->ab, ab, seed * 3 + 1);
  if (!rc)
    rc = pl_emu_link_new(&s->ba, ba, seed * 3 + 2);
  if (rc) {
    pl_sim_free(s);
    return rc;
  }
  pl_emu_link_start(s->ab, s->now);
  pl_emu_link_start(s->ba, s->now);
  *out = s;
  return 0;
}

int pl_sim_connect(pl_sim *s) {
  char *offer = malloc(SDP_CAP), *answer = malloc(SDP_CAP);
  int rc = offer && answer ? 0 : PL_ENOMEM;
  if (!rc)
    rc = pl_call_create_offer(s->a, offer, SDP_CAP);
  if (!rc)
    rc = pl_call_accept_offer(s->b, offer, answer, SDP_CAP);
  if (!rc)
    rc = pl_call_accept_answer(s->a, answer);
  free(offer);
  free(answer);
  return rc;
}

static void drain(pl_sim *s, pl_call *from, pl_emu_link *link, uint64_t *count) {
  uint8_t buf[PL_PKT_CAPACITY];
  pl_addr to;
  int n;
  while ((n = pl_call_poll_transmit(from, buf, sizeof buf, &to.ss)) > 0) {
    size_t len = (size_t)n;
    if (s->tap && !s->tap(s->tap_user, from == s->a ? 0 : 1, s->now, buf, &len))
      continue;
    pl_emu_link_input(link, s->now, buf, len, &to);
    (*count)++;
  }
}

static void deliver(pl_sim *s, pl_emu_link *link, pl_call *to, const char *from_addr) {
  pl_addr from;
  pl_addr_parse(&from, from_addr);
  pl_pkt *p;
  while (pl_emu_link_poll(link, s->now, &p) > 0) {
    pl_call_input(to, s->now, &from.ss, p->data, p->len);
    pl_emu_link_release(link, p);
  }
}

int pl_sim_run_until(pl_sim *s, pl_time_us until) {
  until += START_US;
  for (;;) {
    pl_time_us t = pl_call_deadline(s->a);
    t = pl_time_min(t, pl_call_deadline(s->b));
    t = pl_time_min(t, pl_emu_link_deadline(s->ab));
    t = pl_time_min(t, pl_emu_link_deadline(s->ba));
    if (t > until)
      break;
    pl_clock_advance_to(&s->clock, t);
    s->now = pl_clock_now(&s->clock);
    if (pl_call_deadline(s->a) <= s->now)
      pl_call_timeout(s->a, s->now);
    if (pl_call_deadline(s->b) <= s->now)
      pl_call_timeout(s->b, s->now);
    drain(s, s->a, s->ab, &s->datagrams_ab);
    drain(s, s->b, s->ba, &s->datagrams_ba);
    deliver(s, s->ab, s->b, "10.0.0.1:5000");
    deliver(s, s->ba, s->a, "10.0.0.2:5000");
    drain(s, s->a, s->ab, &s->datagrams_ab);
    drain(s, s->b, s->ba, &s->datagrams_ba);
  }
  pl_clock_advance_to(&s->clock, until);
  s->now = pl_clock_now(&s->clock);
  return 0;
}

void pl_sim_free(pl_sim *s) {
  if (!s)
    return;
  if (s->a)
    pl_call_free(s->a);
  if (s->b)
    pl_call_free(s->b);
  if (s->ab)
    pl_emu_link_free(s->ab);
  if (s->ba)
    pl_emu_link_free(s->ba);
  if (s->engine)
    pl_engine_free(s->engine);
  free(s);
}
