/* The WebRTC transport of a call: one ICE agent over the call's sockets,
 * DTLS on the selected pair, SRTP keyed from the DTLS exporter once the
 * peer's certificate matched its a=fingerprint, RFC 7983 demultiplexing on
 * one port, and the JSEP offer/answer that configures them (call_jsep.c).
 * Sans-IO like the rest of the call: the driver feeds (socket, bytes, now). */
#ifndef PL_ENGINE_CALL_WEBRTC_H
#define PL_ENGINE_CALL_WEBRTC_H

#include "base/addr.h"
#include "net/dtls/dtls.h"
#include "net/ice/ice.h"
#include "net/sdp/sdp.h"
#include "engine/call/call_turn.h"
#include "parley.h"

#define PL_CALL_MAX_SOCKETS 8
#define PL_WRTC_MAX_CANDS 24
#define PL_WRTC_CAND_LEN 200
#define PL_WRTC_MAX_EARLY 32 /* SRTP held while our DTLS finishes (640 ms of audio) */
/* The DTLS server is keyed one flight before the client; it starts media on
 * the client's first authenticated packet, or after this. */
#define PL_WRTC_AWAIT_PEER PL_MS(250)

typedef struct pl_wrtc_cand {
  char line[PL_WRTC_CAND_LEN]; /* "candidate:..." */
  bool signaled;               /* already in an SDP or a trickle fragment */
} pl_wrtc_cand;

typedef struct pl_wrtc {
  pl_ice *ice;
  pl_dtls *dtls;
  pl_dtls_role dtls_role;
  char ufrag[PL_ICE_UFRAG_MAX], pwd[PL_ICE_PWD_MAX];
  char remote_ufrag[PL_SDP_ICE_LEN];
  char remote_fp[PL_DTLS_FINGERPRINT_MAX];
  bool remote_lite, remote_desc, start_pending, started, restart_pending;
  bool closing; /* we closed it: a CLOSED from DTLS is ours, not the peer's */
  pl_time_us now, t_negotiated, t_dtls_connected;
  pl_time_us last_probe; /* media went quiet: consent checked then (NAT rebinding) */
  bool await_peer; /* keyed DTLS server waiting for the client's first packet */
  pl_time_us await_until;
  int ice_state, dtls_state, conn_state; /* public enums */
  bool have_sel;
  pl_ice_selected sel;
  char sel_local[64], sel_remote[64]; /* "type addr", kept after ICE closes */
  /* Where the DTLS server answers before its own ICE agent selected a
   * pair: the validated source of the peer's last DTLS datagram. */
  bool have_dtls_peer;
  int dtls_peer_sock;
  pl_addr dtls_peer;
  pl_addr stun;
  bool has_stun;
  char stun_mapped[PL_ADDR_STRLEN];
  pl_call_turn turn[4]; /* cfg.turn_servers, in order (call_turn.c) */
  int n_turn, n_relay;
  char turn_ca[512]; /* cfg.turn_ca_file, copied: the driver reads it later */
  pl_wrtc_cand cands[PL_WRTC_MAX_CANDS];
  int n_cands, n_srflx, n_remote;
  bool gathering_done, eoc_signaled;
  char mid[PL_SDP_TOKEN_LEN];
  char detail[PL_WRTC_CAND_LEN + 32];
  /* Data channels (call_dc.c): the SCTP association over DTLS, made with
   * the first channel or when a data section is negotiated. */
  struct pl_sctp *sctp;
  bool dc_negotiated, dc_started, dc_in_pump;
  uint16_t dc_remote_port;
  uint64_t dc_remote_max;
  uint64_t ice_restarts; /* ours and the peer's (pl_call_stats.ice_restarts) */
  char dc_mid[PL_SDP_TOKEN_LEN];
} pl_wrtc;

struct pl_call;

/* Lifetime (call_webrtc.c). init needs the call's sockets (c->socks). */
int pl_wrtc_init(struct pl_call *c);
void pl_wrtc_free(struct pl_call *c);
/* Makes the agent for our role and adds a host candidate per socket. */
int pl_wrtc_prepare(struct pl_call *c, bool controlling);
/* Remote description applied: DTLS role, fingerprint and ICE parameters set.
 * Creates the DTLS connection and schedules the agent's start. */
int pl_wrtc_remote(struct pl_call *c, const pl_sdp *s, const pl_sdp_media *m,
                   pl_dtls_role role);
int pl_wrtc_add_candidate(struct pl_call *c, const pl_sdp_candidate *sc);

/* Drains the agent and DTLS outputs (candidates, states, datagrams). */
void pl_wrtc_pump(struct pl_call *c);
/* `now` for an API call (call_jsep.c): the real clock on a loop, else the
 * time the sans-IO driver last gave the call. */
pl_time_us pl_wrtc_api_now(struct pl_call *c);
/* Copies a datagram into the call's pool and queues it on socket `sock`
 * (a full pool is a counted drop). */
void pl_wrtc_queue_raw(struct pl_call *c, int sock, const pl_addr *to, const uint8_t *p,
                       size_t n);
/* A datagram on socket `sock`. Returns 1 when it is SRTP/SRTCP from the
 * selected path (the caller unprotects it), 0 when consumed, or a negative
 * PL_E* code for a drop. */
int pl_wrtc_input(struct pl_call *c, pl_time_us now, int sock,
                  const pl_addr *from, const uint8_t *data, size_t len);
void pl_wrtc_timeout(struct pl_call *c, pl_time_us now);
/* SRTP from the peer authenticated while we wait for it: media starts. */
void pl_wrtc_peer_keyed(struct pl_call *c, pl_time_us now);
pl_time_us pl_wrtc_deadline(const struct pl_call *c);
/* Sends close_notify, closes the agent. */
void pl_wrtc_close(struct pl_call *c);

/* Candidate lines: appends "a=candidate:...\r\n" lines to buf (and
 * end-of-candidates when gathering is done); marks them signaled. */
int pl_wrtc_candidates_text(struct pl_call *c, bool only_new, char *buf,
                            size_t cap);
/* Copies our candidates into an SDP section; marks them signaled. */
void pl_wrtc_candidates_to_sdp(struct pl_call *c, pl_sdp_media *m);
void pl_wrtc_fill_stats(struct pl_call *c, pl_call_stats *s);

/* Data channels (call_dc.c). */
bool pl_dc_wanted(const struct pl_call *c); /* offer / accept m=application */
/* Our m=application section (an offer) beside audio section `aa`. */
void pl_dc_offer_section(struct pl_call *c, pl_sdp *s, pl_sdp_media *m,
                         const pl_sdp_media *aa, const char *mid);
/* The peer's accepted m=application: its port and maximum message size. */
int pl_dc_negotiated(struct pl_call *c, const pl_sdp_media *remote, const char *mid);
void pl_dc_dtls_connected(struct pl_call *c, pl_time_us now);
/* The connection closed or failed: every channel closes. */
void pl_dc_transport_closed(struct pl_call *c);
/* The peer hung up (RTCP BYE): channels close and their events go out. */
void pl_dc_call_ended(struct pl_call *c, pl_time_us now);
void pl_dc_input(struct pl_call *c, pl_time_us now, const uint8_t *p, size_t n);
/* Drains SCTP: packets into DTLS, events to the app. True when DTLS was
 * handed something (its output needs draining). */
bool pl_dc_pump(struct pl_call *c, pl_time_us now);
void pl_dc_timeout(struct pl_call *c, pl_time_us now);
pl_time_us pl_dc_deadline(const struct pl_call *c);
void pl_dc_free(struct pl_call *c);

/* JSEP (call_jsep.c). */
bool pl_jsep_is_webrtc_offer(const pl_sdp *s);
int pl_jsep_create_offer(struct pl_call *c, char *sdp, size_t cap, bool restart);
int pl_jsep_accept_offer(struct pl_call *c, const pl_sdp *offer, char *answer,
                         size_t cap);
int pl_jsep_accept_answer(struct pl_call *c, const pl_sdp *answer);
/* The peer restarted ICE with these credentials (a re-offer, or a WHIP
 * PATCH): restart ours too; remote candidates follow. */
int pl_jsep_restart_remote(struct pl_call *c, const char *ufrag, const char *pwd);
/* Our answer to `o` in `a` with the given DTLS setup; *audio (may be NULL)
 * is the index of the one accepted audio section. */
int pl_jsep_answer_struct(struct pl_call *c, const pl_sdp *o, pl_sdp *a,
                          pl_sdp_setup setup, int *audio);

#endif
