/* ICE checklist (RFC 8445 6.1.2-6.1.4, 7.2.5.3, 8): pair formation and
 * foundations, frozen/waiting/in-progress bookkeeping, pacing of new checks,
 * regular nomination, selection, and the connection state that follows. */
#include <string.h>

#include "net/ice/ice_internal.h"
#include "parley.h"

static uint64_t fnv(uint64_t h, const char *s) {
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
  return (h ^ '|') * 0x100000001b3ull;
}

static bool foundation_busy(const pl_ice *ice, uint64_t f, int except) {
  for (size_t i = 0; i < ice->n_pairs; i++) {
    const ice_pair *p = &ice->pairs[i];
    if ((int)i != except && p->foundation == f &&
        (p->state == PL_ICE_PAIR_WAITING || p->state == PL_ICE_PAIR_IN_PROGRESS))
      return true;
  }
  return false;
}

/* A new pair starts Waiting unless a pair of its foundation is already being
 * checked (RFC 8445 6.1.2.6, applied incrementally as RFC 8838 trickles). */
int pl_ice_add_pair_(pl_ice *ice, int local, int remote) {
  int have = pl_ice_find_pair_(ice, local, remote);
  if (have >= 0)
    return have;
  if (ice->n_pairs == ice->cfg.max_pairs) {
    ice->stats.pairs_refused++;
    return PL_EFULL;
  }
  ice_pair *p = &ice->pairs[ice->n_pairs];
  memset(p, 0, sizeof *p);
  p->local = local;
  p->remote = remote;
  p->active_tx = -1;
  uint32_t l = ice->locals[local].c.priority, r = ice->remotes[remote].priority;
  p->priority = ice->role == PL_ICE_CONTROLLING ? pl_ice_pair_priority(l, r)
                                                : pl_ice_pair_priority(r, l);
  p->foundation = fnv(fnv(0xcbf29ce484222325ull, ice->locals[local].c.foundation),
                      ice->remotes[remote].foundation);
  p->state = foundation_busy(ice, p->foundation, -1) ? PL_ICE_PAIR_FROZEN
                                                     : PL_ICE_PAIR_WAITING;
  ice->n_pairs++;
  ice->pace_idle = false;
  return (int)ice->n_pairs - 1;
}

void pl_ice_pair_remote_(pl_ice *ice, int remote) {
  const pl_ice_candidate *r = &ice->remotes[remote];
  for (size_t i = 0; i < ice->n_locals; i++)
    if (pl_ice_is_base_(&ice->locals[i]) &&
        pl_addr_family(&ice->locals[i].c.base) == pl_addr_family(&r->addr))
      pl_ice_add_pair_(ice, (int)i, remote);
}

/* ---- checklist ---- */

void pl_ice_enqueue_triggered_(pl_ice *ice, int pair) {
  ice_pair *p = &ice->pairs[pair];
  if (p->queued)
    return;
  ice->triggered[(ice->trig_head + ice->trig_count) % ice->cfg.max_pairs] = pair;
  ice->trig_count++;
  p->queued = true;
  ice->pace_idle = false;
}

static int pop_triggered(pl_ice *ice) {
  if (!ice->trig_count)
    return -1;
  int p = ice->triggered[ice->trig_head];
  ice->trig_head = (ice->trig_head + 1) % ice->cfg.max_pairs;
  ice->trig_count--;
  ice->pairs[p].queued = false;
  return p;
}

static int best_pair(const pl_ice *ice, pl_ice_pair_state st) {
  int best = -1;
  for (size_t i = 0; i < ice->n_pairs; i++)
    if (ice->pairs[i].state == st &&
        (best < 0 || ice->pairs[i].priority > ice->pairs[best].priority))
      best = (int)i;
  return best;
}

/* RFC 8445 6.1.4.2: with nothing Waiting, unfreeze the best Frozen pair of
 * every foundation that has none Waiting or In-Progress. */
static void unfreeze(pl_ice *ice) {
  for (;;) {
    int best = -1;
    for (size_t i = 0; i < ice->n_pairs; i++) {
      const ice_pair *p = &ice->pairs[i];
      if (p->state == PL_ICE_PAIR_FROZEN &&
          !foundation_busy(ice, p->foundation, (int)i) &&
          (best < 0 || p->priority > ice->pairs[best].priority))
        best = (int)i;
    }
    if (best < 0)
      return;
    ice->pairs[best].state = PL_ICE_PAIR_WAITING;
  }
}

static bool tx_slot_free(const pl_ice *ice) {
  for (size_t i = 0; i < ice->max_tx; i++)
    if (!ice->txs[i].used)
      return true;
  return false;
}

/* One new transaction per Ta (RFC 8445 14.2): gathering first, then the
 * triggered queue, then the best Waiting pair. */
bool pl_ice_paced_step_(pl_ice *ice, pl_time_us now) {
  if (!tx_slot_free(ice))
    return false;
  for (size_t i = 0; i < ice->n_hosts; i++) {
    if (ice->gather_pending[i]) {
      ice->gather_pending[i] = false;
      pl_ice_send_gather_(ice, now, (int)i);
      return true;
    }
  }
  if (ice->lite || !ice->have_remote_creds || !ice->started)
    return false;
  int p;
  while ((p = pop_triggered(ice)) >= 0) {
    ice_pair *pp = &ice->pairs[p];
    if (pp->state == PL_ICE_PAIR_SUCCEEDED && !pp->nominate)
      continue;
    if (pp->state == PL_ICE_PAIR_FAILED)
      continue;
    pl_ice_send_check_(ice, now, p, TX_CHECK);
    return true;
  }
  if (ice->selected >= 0)
    return false; /* nominated: the rest were pruned (RFC 8445 8.1.2) */
  p = best_pair(ice, PL_ICE_PAIR_WAITING);
  if (p < 0) {
    unfreeze(ice);
    p = best_pair(ice, PL_ICE_PAIR_WAITING);
  }
  if (p < 0)
    return false;
  pl_ice_send_check_(ice, now, p, TX_CHECK);
  return true;
}

/* Controlling, regular nomination (RFC 8445 8.1.1): nominate the best valid
 * pair once nothing better can still succeed, or nomination_wait after the
 * first pair became valid. */
void pl_ice_maybe_nominate_(pl_ice *ice, pl_time_us now) {
  if (ice->role != PL_ICE_CONTROLLING || ice->lite || ice->selected >= 0 ||
      ice->nominating >= 0)
    return;
  int best = -1;
  for (size_t i = 0; i < ice->n_pairs; i++)
    if (ice->pairs[i].valid &&
        (best < 0 || ice->pairs[i].priority > ice->pairs[best].priority))
      best = (int)i;
  if (best < 0)
    return;
  bool better_pending = false;
  for (size_t i = 0; i < ice->n_pairs; i++) {
    const ice_pair *p = &ice->pairs[i];
    if (p->priority > ice->pairs[best].priority &&
        (p->state == PL_ICE_PAIR_FROZEN || p->state == PL_ICE_PAIR_WAITING ||
         p->state == PL_ICE_PAIR_IN_PROGRESS))
      better_pending = true;
  }
  if (better_pending && now < ice->first_valid + ice->cfg.nomination_wait)
    return;
  ice->pairs[best].nominate = true;
  ice->nominating = best;
  pl_ice_enqueue_triggered_(ice, best);
}

void pl_ice_pair_succeeded_(pl_ice *ice, pl_time_us now, int pair,
                            bool nominated) {
  ice_pair *p = &ice->pairs[pair];
  p->state = PL_ICE_PAIR_SUCCEEDED;
  p->valid = true;
  for (size_t i = 0; i < ice->n_pairs; i++)
    if (ice->pairs[i].state == PL_ICE_PAIR_FROZEN &&
        ice->pairs[i].foundation == p->foundation)
      ice->pairs[i].state = PL_ICE_PAIR_WAITING;
  if (ice->first_valid == PL_TIME_NEVER)
    ice->first_valid = now;
  if (pair == ice->selected)
    ice->consent_last = now;
  if (nominated || (ice->role == PL_ICE_CONTROLLED && p->use_cand_rx))
    pl_ice_select_(ice, now, pair);
  ice->pace_idle = false;
  pl_ice_maybe_nominate_(ice, now);
  pl_ice_update_state_(ice, now);
}

void pl_ice_pair_failed_(pl_ice *ice, pl_time_us now, int pair) {
  ice_pair *p = &ice->pairs[pair];
  p->state = PL_ICE_PAIR_FAILED;
  p->valid = false;
  p->nominate = false;
  if (ice->nominating == pair)
    ice->nominating = -1;
  ice->pace_idle = false;
  pl_ice_maybe_nominate_(ice, now);
  pl_ice_update_state_(ice, now);
}

pl_time_us pl_ice_consent_jitter_(pl_ice *ice) {
  /* RFC 7675 5.1: uniformly 0.8..1.2 of the interval. */
  double f = 0.8 + 0.4 * pl_rng_uniform(ice->rng);
  return (pl_time_us)((double)ice->cfg.consent_interval * f);
}

void pl_ice_fill_selected_(const pl_ice *ice, int pair, pl_ice_selected *s) {
  const ice_pair *p = &ice->pairs[pair];
  s->socket_id = ice->locals[p->local].c.socket_id;
  s->local = ice->locals[p->local].c.base;
  s->remote = ice->remotes[p->remote].addr;
}

void pl_ice_select_(pl_ice *ice, pl_time_us now, int pair) {
  ice_pair *p = &ice->pairs[pair];
  p->nominated = true;
  p->nominate = false;
  if (ice->nominating == pair)
    ice->nominating = -1;
  if (ice->selected >= 0 && ice->pairs[ice->selected].priority >= p->priority)
    return;
  ice->selected = pair;
  ice->have_prev = false;
  ice->consent_last = ice->lite_last = now;
  ice->consent_next = now + pl_ice_consent_jitter_(ice);
  ice->disconnected = false;
  /* RFC 8445 8.1.2: drop what is not started; stop lower in-progress ones. */
  for (size_t i = 0; i < ice->n_pairs; i++) {
    ice_pair *o = &ice->pairs[i];
    if ((int)i == pair)
      continue;
    if (o->state == PL_ICE_PAIR_FROZEN || o->state == PL_ICE_PAIR_WAITING ||
        (o->state == PL_ICE_PAIR_IN_PROGRESS && o->priority < p->priority)) {
      o->state = PL_ICE_PAIR_FAILED;
      if (o->active_tx >= 0)
        ice->txs[o->active_tx].used = false;
      o->active_tx = -1;
    }
  }
  ice_event e;
  memset(&e, 0, sizeof e);
  e.kind = PL_ICE_EV_SELECTED_PAIR;
  pl_ice_fill_selected_(ice, pair, &e.selected);
  pl_ice_emit_(ice, &e);
}

static bool checks_done(const pl_ice *ice) {
  if (ice->trig_count)
    return false;
  for (size_t i = 0; i < ice->n_pairs; i++) {
    pl_ice_pair_state s = ice->pairs[i].state;
    if (s == PL_ICE_PAIR_FROZEN || s == PL_ICE_PAIR_WAITING ||
        s == PL_ICE_PAIR_IN_PROGRESS)
      return false;
  }
  return true;
}

bool pl_ice_have_valid_(const pl_ice *ice) {
  for (size_t i = 0; i < ice->n_pairs; i++)
    if (ice->pairs[i].valid)
      return true;
  return false;
}

/* Every check is done and both sides' candidates are in, but nothing is
 * selected. That is failure only with an empty valid list (RFC 8445
 * 7.2.5.3.3): a valid pair is one the controlling side is nominating (its
 * USE-CANDIDATE check, a pair still Succeeded, is out, or queued behind
 * Ta) or one the controlled side waits for the peer to nominate; aiortc's
 * and libnice's nominations routinely land after our own checks finished,
 * and once the offer carried a=end-of-candidates that used to be read as
 * "failed". (A nominating pair is valid: its check failing clears both.) */
static bool checks_exhausted(const pl_ice *ice) {
  return !ice->lite && ice->started && ice->remote_eoc && ice->gathering_done &&
         checks_done(ice) && ice->selected < 0 && !ice->have_prev;
}

void pl_ice_update_state_(pl_ice *ice, pl_time_us now) {
  bool exhausted = checks_exhausted(ice), valid = pl_ice_have_valid_(ice);
  /* Controlled, a valid pair, nothing left to check: only the peer's
   * nomination is missing. A peer that never sends it is as gone as one
   * that stopped answering consent checks, so the wait is bounded by the
   * same timeout (RFC 7675) rather than lasting forever; a nomination that
   * comes later still selects the pair. */
  if (exhausted && valid && ice->role == PL_ICE_CONTROLLED) {
    if (ice->nomination_since == PL_TIME_NEVER)
      ice->nomination_since = now;
  } else {
    ice->nomination_since = PL_TIME_NEVER;
  }
  bool overdue = ice->nomination_since != PL_TIME_NEVER &&
                 now >= ice->nomination_since + ice->cfg.consent_timeout;
  pl_ice_state s;
  if (ice->closed)
    s = PL_ICE_CLOSED;
  else if (ice->consent_failed)
    s = PL_ICE_FAILED;
  else if (ice->selected >= 0 || ice->have_prev)
    s = ice->disconnected ? PL_ICE_DISCONNECTED
        : (ice->selected >= 0 && (ice->lite || (checks_done(ice) &&
                                                ice->remote_eoc &&
                                                ice->gathering_done)))
            ? PL_ICE_COMPLETED
            : PL_ICE_CONNECTED;
  else if (exhausted && (!valid || overdue))
    s = PL_ICE_FAILED; /* every pair failed (or there were none) */
  else if (ice->state == PL_ICE_NEW && !ice->stats.checks_sent &&
           !ice->stats.checks_received)
    s = PL_ICE_NEW;
  else
    s = PL_ICE_CHECKING;
  pl_ice_set_state_(ice, s);
}
