/* An ICE agent (RFC 8445 full or lite, RFC 8838 trickle, RFC 7675 consent)
 * for one component, sans-IO: the driver adds candidates and feeds
 * datagrams and timeouts; the agent queues STUN datagrams to send and
 * events (state, trickled local candidates, selected pair) for poll. */
#ifndef PL_NET_ICE_H
#define PL_NET_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/rng.h"
#include "base/time.h"

#define PL_ICE_UFRAG_MAX 64  /* RFC 8839 allows 4..256; browsers use 4..32 */
#define PL_ICE_PWD_MAX 128   /* RFC 8839 allows 22..256 */
#define PL_ICE_FOUNDATION_MAX 33

typedef enum { PL_ICE_CONTROLLING, PL_ICE_CONTROLLED } pl_ice_role;

typedef enum {
  PL_ICE_HOST,
  PL_ICE_SRFLX,
  PL_ICE_PRFLX,
  PL_ICE_RELAY,
} pl_ice_cand_type;

/* Connection state, in the W3C RTCIceConnectionState sense. */
typedef enum {
  PL_ICE_NEW,
  PL_ICE_CHECKING,
  PL_ICE_CONNECTED,    /* a pair is selected; checks may still run */
  PL_ICE_COMPLETED,    /* selected, checks done, both sides' candidates done */
  PL_ICE_FAILED,       /* every pair failed, or consent expired, or
                        * (controlled) no nomination came within the
                        * consent timeout of the checks finishing */
  PL_ICE_DISCONNECTED, /* consent responses missing for a while */
  PL_ICE_CLOSED,
} pl_ice_state;

typedef enum {
  PL_ICE_PAIR_FROZEN,
  PL_ICE_PAIR_WAITING,
  PL_ICE_PAIR_IN_PROGRESS,
  PL_ICE_PAIR_SUCCEEDED,
  PL_ICE_PAIR_FAILED,
} pl_ice_pair_state;

typedef struct pl_ice_candidate {
  pl_ice_cand_type type;
  unsigned component; /* 1; the agent runs one component (rtcp-mux) */
  pl_addr addr;
  pl_addr base;       /* local: address the socket is bound to */
  uint32_t priority;
  char foundation[PL_ICE_FOUNDATION_MAX];
  int socket_id;      /* local candidates: the driver's socket */
} pl_ice_candidate;

typedef struct pl_ice_config {
  pl_ice_role role; /* offerer controlling, answerer controlled */
  bool lite;        /* answer checks only (RFC 8445 2.5); always controlled */
  const char *ufrag, *pwd; /* local credentials, copied (see pl_ice_credentials) */
  pl_rng *rng; /* caller-owned: transaction ids, tie breaker, consent jitter */
  uint64_t tie_breaker;    /* 0: drawn from rng */
  const pl_addr *stun_server; /* server-reflexive gathering; NULL for none */
  pl_time_us ta;           /* pacing of new transactions; 0 = 50 ms */
  pl_time_us rto;          /* minimum RTO; 0 = 500 ms (RFC 8445 14.3) */
  unsigned max_sends;      /* Rc: sends per transaction; 0 = 7 (RFC 8489) */
  unsigned rm;             /* Rm: final wait in RTOs; 0 = 16 */
  pl_time_us consent_interval; /* 0 = 5 s, sent at 0.8..1.2 of it */
  pl_time_us consent_timeout;  /* 0 = 30 s (RFC 7675); also how long a
                                  controlled agent waits for a nomination */
  pl_time_us disconnect_after; /* no consent reply this long; 0 = 10 s */
  /* Controlling side: how long after the first valid pair to wait for a
   * better one before nominating the best valid pair; 0 = 1 s. */
  pl_time_us nomination_wait;
  size_t max_local, max_remote, max_pairs; /* 0 = 16, 32, 64 */
  /* TURN allocations under way (the driver's): gathering is done only once
   * each has ended in pl_ice_add_relay or pl_ice_relay_failed. */
  unsigned relays_expected;
} pl_ice_config;

typedef struct pl_ice_selected {
  int socket_id;   /* send application data from this socket */
  pl_addr local;   /* its address (the base of the local candidate) */
  pl_addr remote;  /* to this address */
} pl_ice_selected;

typedef enum { PL_ICE_OUT_TRANSMIT, PL_ICE_OUT_EVENT } pl_ice_output_kind;

typedef enum {
  PL_ICE_EV_STATE,           /* state changed to event.state */
  PL_ICE_EV_LOCAL_CANDIDATE, /* event.candidate: signal it to the peer */
  PL_ICE_EV_GATHERING_DONE,  /* no more local candidates this generation */
  PL_ICE_EV_SELECTED_PAIR,   /* event.selected: the application data path */
  PL_ICE_EV_ROLE,            /* role switched by a conflict: event.role */
} pl_ice_event_kind;

typedef struct pl_ice_output {
  pl_ice_output_kind kind;
  struct {
    int socket_id;
    pl_addr to;
    const uint8_t *data; /* valid until the next call into the agent */
    size_t len;
  } transmit;
  struct {
    pl_ice_event_kind kind;
    pl_ice_state state;
    pl_ice_role role;
    pl_ice_candidate candidate;
    pl_ice_selected selected;
  } event;
} pl_ice_output;

typedef struct pl_ice_stats {
  uint64_t checks_sent, retransmits, checks_received, responses_received;
  uint64_t bad_integrity;   /* requests/responses whose MESSAGE-INTEGRITY failed */
  uint64_t bad_username, bad_fingerprint, malformed;
  uint64_t role_conflicts;  /* 487s sent or received */
  uint64_t prflx_remote, prflx_local;
  uint64_t consent_sent, consent_ok;
  uint64_t rebinds;         /* our NAT mapping of the selected pair changed */
  uint64_t pairs_refused;   /* pairs beyond max_pairs */
  uint64_t tx_dropped;      /* outgoing datagrams lost to a full queue */
  uint64_t events_dropped;  /* events lost to a full queue */
} pl_ice_stats;

typedef struct pl_ice_pair_info {
  pl_ice_candidate local, remote;
  pl_ice_pair_state state;
  uint64_t priority;
  bool valid, nominated, selected;
} pl_ice_pair_info;

typedef struct pl_ice pl_ice;

/* Random credentials (RFC 8839 5.4): 8-char ufrag, 24-char password from
 * OpenSSL's RAND_bytes. Buffers need 9 and 25 bytes. */
int pl_ice_credentials(char *ufrag, size_t ufrag_size, char *pwd,
                       size_t pwd_size);

pl_ice *pl_ice_new(const pl_ice_config *cfg);
void pl_ice_free(pl_ice *ice);

/* A host candidate on the driver's socket (added before pl_ice_start).
 * local_pref 0..65535 orders interfaces (higher preferred). Queues a
 * LOCAL_CANDIDATE event with the computed priority and foundation. */
int pl_ice_add_host(pl_ice *ice, int socket_id, const pl_addr *addr,
                    unsigned local_pref);
/* A relayed candidate (RFC 8445 5.1.1.2) from a TURN allocation: its own
 * base, on a socket id the driver maps to the allocation (datagrams to and
 * from peers through it are the driver's to wrap and unwrap). May come
 * after pl_ice_start; pairs with every remote candidate of its family. */
int pl_ice_add_relay(pl_ice *ice, int socket_id, const pl_addr *relayed,
                     unsigned local_pref);
/* An expected allocation failed: gathering need not wait for it. */
void pl_ice_relay_failed(pl_ice *ice);
/* A server-reflexive address learned outside the agent (a TURN server's
 * XOR-MAPPED-ADDRESS) for the host candidate on socket_id. */
int pl_ice_add_server_reflexive(pl_ice *ice, int socket_id,
                                const pl_addr *mapped);
/* Starts gathering (server-reflexive through the STUN server) and, once
 * remote credentials are known, connectivity checks. */
int pl_ice_start(pl_ice *ice, pl_time_us now);
int pl_ice_set_remote_credentials(pl_ice *ice, const char *ufrag,
                                  const char *pwd);
/* The peer is ICE-lite: this agent becomes controlling (RFC 8445 6.1.1). */
void pl_ice_set_remote_lite(pl_ice *ice, bool lite);
/* A trickled remote candidate; pairs are formed at once. */
int pl_ice_add_remote_candidate(pl_ice *ice, pl_time_us now,
                                const pl_ice_candidate *c);
void pl_ice_end_of_remote_candidates(pl_ice *ice, pl_time_us now);

/* Results of pl_ice_input for datagrams that are not failures. */
enum {
  PL_ICE_RX_STUN = 0, /* consumed by the agent */
  PL_ICE_RX_DATA = 1, /* not STUN, from a valid pair: application data */
};
/* A datagram arrived on socket_id from `from`. Negative: dropped (not STUN
 * and not from a valid pair, or a STUN message that failed checks). */
int pl_ice_input(pl_ice *ice, pl_time_us now, int socket_id,
                 const pl_addr *from, const uint8_t *p, size_t n);
/* Whether a non-STUN datagram from (socket_id, from) belongs to a valid
 * pair (the selected one, or the previous one during a restart). */
bool pl_ice_classify(const pl_ice *ice, int socket_id, const pl_addr *from);
int pl_ice_timeout(pl_ice *ice, pl_time_us now);
bool pl_ice_poll(pl_ice *ice, pl_ice_output *out);
pl_time_us pl_ice_deadline(const pl_ice *ice);

/* The application stopped hearing the peer: check consent on the selected
 * pair now (at most every 500 ms) rather than at the next 5 s tick, so a
 * NAT that rebound our port is noticed from the answer's mapped address;
 * a controlling agent then nominates the pair again, which moves the
 * controlled peer onto our new address (it selects the prflx pair). */
void pl_ice_probe(pl_ice *ice, pl_time_us now);

/* ICE restart (RFC 8445 9): new local credentials; remote candidates and
 * pairs are dropped (set the new remote credentials and trickle again), host
 * candidates are re-announced and re-gathered. The old selected pair stays
 * usable for data until a new one is selected. */
int pl_ice_restart(pl_ice *ice, pl_time_us now, const char *ufrag,
                   const char *pwd);
void pl_ice_close(pl_ice *ice);

pl_ice_state pl_ice_get_state(const pl_ice *ice);
pl_ice_role pl_ice_get_role(const pl_ice *ice);
bool pl_ice_get_selected(const pl_ice *ice, pl_ice_selected *out);
pl_ice_stats pl_ice_get_stats(const pl_ice *ice);
size_t pl_ice_pair_count(const pl_ice *ice);
int pl_ice_get_pair(const pl_ice *ice, size_t i, pl_ice_pair_info *out);

const char *pl_ice_state_name(pl_ice_state s);
const char *pl_ice_cand_type_name(pl_ice_cand_type t);
/* RFC 8445 5.1.2.1: (2^24)type_pref + (2^8)local_pref + (256 - component),
 * type preferences host 126, prflx 110, srflx 100, relay 0. */
uint32_t pl_ice_candidate_priority(pl_ice_cand_type t, unsigned local_pref,
                                   unsigned component);
/* RFC 8445 6.1.2.3: 2^32 MIN(G,D) + 2 MAX(G,D) + (G>D ? 1 : 0). */
uint64_t pl_ice_pair_priority(uint32_t controlling, uint32_t controlled);

#endif
