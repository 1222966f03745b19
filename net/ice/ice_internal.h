/* Shared state of the ICE agent, split across ice.c (candidates, pairs,
 * states, timers) and ice_stun.c (building and answering STUN). Not part of
 * the public API. */
#ifndef PL_NET_ICE_INTERNAL_H
#define PL_NET_ICE_INTERNAL_H

#include "net/ice/ice.h"
#include "net/stun/stun.h"
#include "net/stun/txq.h"

typedef struct ice_local {
  pl_ice_candidate c;
  unsigned local_pref;
  int host;          /* srflx/prflx: index of the host it was learned on */
} ice_local;

typedef struct ice_pair {
  int local, remote; /* indices into locals / remotes */
  uint64_t priority;
  uint64_t foundation; /* hash of the two candidate foundations */
  pl_ice_pair_state state;
  bool valid, nominated;
  bool use_cand_rx;   /* controlled: peer nominated it before it succeeded */
  bool nominate;      /* controlling: next check carries USE-CANDIDATE */
  bool queued;        /* sits in the triggered-check queue */
  int active_tx;      /* newest transaction for this pair, -1 none */
  bool have_mapped;   /* what the peer saw our checks come from */
  pl_addr mapped;
} ice_pair;

typedef enum { TX_CHECK, TX_GATHER, TX_CONSENT } ice_tx_kind;

typedef struct ice_tx {
  bool used, retransmit;
  ice_tx_kind kind;
  uint8_t txid[PL_STUN_TXID_LEN];
  int pair;          /* CHECK/CONSENT */
  int local;         /* GATHER: host index */
  bool nominate;     /* carried USE-CANDIDATE */
  pl_ice_role role;  /* role it was sent in */
  uint32_t priority; /* PRIORITY it carried */
  unsigned sends;
  pl_time_us rto, cur, next, expire; /* initial and current RTO */
  int socket_id;
  pl_addr to;
  size_t len;
  uint8_t msg[PL_STUN_MAX_MSG];
} ice_tx;

typedef struct ice_event {
  pl_ice_event_kind kind;
  pl_ice_state state;
  pl_ice_role role;
  pl_ice_candidate candidate;
  pl_ice_selected selected;
} ice_event;

struct pl_ice {
  pl_ice_config cfg;
  pl_rng *rng;
  pl_ice_role role;
  uint64_t tie_breaker;
  bool lite, remote_lite, started, closed;
  char lufrag[PL_ICE_UFRAG_MAX + 1], lpwd[PL_ICE_PWD_MAX + 1];
  char rufrag[PL_ICE_UFRAG_MAX + 1], rpwd[PL_ICE_PWD_MAX + 1];
  bool have_remote_creds;
  bool has_stun_server;
  pl_addr stun_server;

  ice_local *locals;
  size_t n_locals, n_hosts; /* hosts first, then learned ones */
  unsigned next_foundation;
  pl_ice_candidate *remotes;
  size_t n_remotes;
  unsigned next_prflx;
  ice_pair *pairs;
  size_t n_pairs;
  int *triggered; /* FIFO of pair indices */
  size_t trig_head, trig_count;
  ice_tx *txs;
  size_t max_tx;

  /* Gathering: hosts whose srflx request is still to be sent. */
  bool *gather_pending;
  size_t gather_outstanding;
  bool gathering_done, remote_eoc;
  unsigned relay_pending; /* TURN allocations not yet ended */

  pl_ice_state state;
  int selected;          /* pair index, -1 none */
  bool have_prev;        /* previous selected path kept over a restart */
  pl_ice_selected prev;
  pl_time_us last_paced;  /* when the last new transaction went out */
  bool pace_idle;         /* nothing to pace until something changes */
  pl_time_us first_valid; /* controlling: when the first pair succeeded */
  int nominating;         /* controlling: pair whose USE-CANDIDATE is out */
  pl_time_us nomination_since; /* controlled: checks done, valid pair, no
                                  nomination yet since then; NEVER if not */
  bool disconnected, consent_failed;
  pl_time_us consent_next, consent_last; /* next check; last reply */
  pl_time_us lite_last;   /* lite: last valid check on the selected pair */
  pl_time_us last_probe;  /* pl_ice_probe's last consent check */

  ice_event *events;
  size_t ev_cap, ev_head, ev_count;
  pl_stun_txq txq;
  pl_ice_stats stats;
};

/* Host and relayed candidates are bases (RFC 8445 5.1.1.3): checks are
 * sent from them and pairs formed with them; reflexive ones are not. */
static inline bool pl_ice_is_base_(const ice_local *l) {
  return l->c.type == PL_ICE_HOST || l->c.type == PL_ICE_RELAY;
}

/* ice.c */
void pl_ice_emit_(pl_ice *ice, const ice_event *e);
void pl_ice_set_state_(pl_ice *ice, pl_ice_state s);
void pl_ice_assign_foundation_(pl_ice *ice, pl_ice_candidate *c);
int pl_ice_find_remote_(const pl_ice *ice, const pl_addr *a);
int pl_ice_add_remote_(pl_ice *ice, const pl_ice_candidate *c);
int pl_ice_find_pair_(const pl_ice *ice, int local, int remote);
int pl_ice_host_by_socket_(const pl_ice *ice, int socket_id,
                           const pl_addr *from);
void pl_ice_switch_role_(pl_ice *ice, pl_ice_role role);

/* ice_checklist.c */
int pl_ice_add_pair_(pl_ice *ice, int local, int remote);
void pl_ice_pair_remote_(pl_ice *ice, int remote);
void pl_ice_enqueue_triggered_(pl_ice *ice, int pair);
bool pl_ice_paced_step_(pl_ice *ice, pl_time_us now);
void pl_ice_maybe_nominate_(pl_ice *ice, pl_time_us now);
void pl_ice_pair_succeeded_(pl_ice *ice, pl_time_us now, int pair,
                            bool nominated);
void pl_ice_pair_failed_(pl_ice *ice, pl_time_us now, int pair);
void pl_ice_select_(pl_ice *ice, pl_time_us now, int pair);
void pl_ice_update_state_(pl_ice *ice, pl_time_us now);
bool pl_ice_have_valid_(const pl_ice *ice);
pl_time_us pl_ice_consent_jitter_(pl_ice *ice);
void pl_ice_fill_selected_(const pl_ice *ice, int pair, pl_ice_selected *s);

/* ice_stun.c */
int pl_ice_send_check_(pl_ice *ice, pl_time_us now, int pair,
                       ice_tx_kind kind);
int pl_ice_send_gather_(pl_ice *ice, pl_time_us now, int host);
void pl_ice_gather_finished_(pl_ice *ice);
void pl_ice_learn_srflx_(pl_ice *ice, int host, const pl_addr *mapped);
int pl_ice_handle_stun_(pl_ice *ice, pl_time_us now, int socket_id,
                        const pl_addr *from, const pl_stun_msg *m);
void pl_ice_tx_timers_(pl_ice *ice, pl_time_us now);
pl_time_us pl_ice_tx_deadline_(const pl_ice *ice);
void pl_ice_cancel_txs_(pl_ice *ice);

#endif
