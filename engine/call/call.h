/* The call core: a sans-IO two-party audio session. The network half
 * (SRTP, RTP/RTCP, stats) runs where datagrams arrive; the media half
 * (source, graph, encoder; jitter buffer, decoder, graph, sink) runs on a
 * 10 ms clock. They meet only in two SPSC rings, so in libuv mode the media
 * half runs on the engine's media thread and the network never waits on it;
 * in sans-IO mode both run in pl_call_timeout on the caller's clock. */
#ifndef PL_ENGINE_CALL_H
#define PL_ENGINE_CALL_H

#include <pthread.h>
#include <stdatomic.h>

#include "audio/jitter/jitter.h"
#include "audio/opus/opus.h"
#include "base/addr.h"
#include "base/pkt.h"
#include "base/rng.h"
#include "engine/call/webrtc.h"
#include "engine/graph/graph.h"
#include "engine/ring.h"
#include "net/cc/cc.h"
#include "net/cc/pacer.h"
#include "net/cc/twcc_recv.h"
#include "net/rtcp/rtcp.h"
#include "net/rtp/red.h"
#include "net/rtp/rtp.h"
#include "net/rtp/rtp_stats.h"
#include "net/srtp/sdes.h"
#include "net/srtp/srtp.h"
#include "parley.h"

#define PL_CALL_MAX_PAYLOAD 1276 /* largest Opus packet for one frame */
/* A RED packet: an Opus frame and up to two earlier ones with their headers
 * (what does not fit is left out by the sender, dropped by the receiver). */
#define PL_CALL_MAX_RED_PAYLOAD 1400
#define PL_CALL_RED_PT 63 /* Chromium's choice for red/48000/2 */
#define PL_CALL_TXQ 1024 /* packets of the pool: queued for the socket or held by the pacer
                            (a 720p keyframe is ~100) */
#define PL_CALL_CAPTURE_EXT_URI "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
#define PL_CALL_TWCC_EXT_URI \
  "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* net -> media: one received audio packet. */
typedef struct pl_rx_item {
  pl_time_us arrival;
  uint64_t capture_ntp; /* abs-capture-time, 0 when absent */
  uint32_t ts;
  uint16_t seq;
  uint16_t len;
  bool red; /* an RFC 2198 payload */
  uint8_t payload[PL_CALL_MAX_RED_PAYLOAD];
} pl_rx_item;

/* media -> net: one encoded packet to send. */
typedef struct pl_tx_item {
  pl_time_us capture_us;
  uint32_t ts;
  uint16_t len;
  bool marker;
  bool red; /* send with the RED payload type */
  uint8_t payload[PL_CALL_MAX_RED_PAYLOAD];
} pl_tx_item;

typedef enum {
  PL_CALL_IDLE,     /* no offer/answer yet */
  PL_CALL_OFFERED,  /* our offer is out */
  PL_CALL_CONNECTING, /* WebRTC: negotiated, ICE/DTLS still on the way */
  PL_CALL_ACTIVE,   /* keys and peer known: media flows */
  PL_CALL_CLOSED,   /* hung up or BYE received */
} pl_call_state;

/* Media-side numbers published to other threads once per tick. */
typedef struct pl_media_snapshot {
  pl_jitter_stats jb;
  double target_delay_ms;
  pl_stage_info send_stages[PL_MAX_STAGES], recv_stages[PL_MAX_STAGES];
  int n_send, n_recv;
  double voice_activity; /* send side, 1 s average; -1 without a detector */
  int extend_cutoff_hz;  /* band the receive side extends from (0: none) */
  double music_probability; /* send side, 1 s average; -1 without the classifier */
  bool opus_music;          /* the encoder is in music mode (classify stage) */
  uint64_t opus_signal_switches;
  uint64_t dtx_packets, voice_gated_packets;
  int red_distance, red_protection;
  uint64_t red_packets_sent, red_rx_bad;
} pl_media_snapshot;

struct pl_call {
  pl_engine *engine;
  pl_call *next; /* engine's list */
  pl_call_config cfg;
  pl_rng rng;
  _Atomic int state;
  bool offerer;
  bool webrtc;        /* the transport chosen for this call */
  pl_wrtc *wrtc;      /* ICE, DTLS and their state (always allocated) */
  uint64_t sess_id, sess_version;
  /* Local sockets (the driver's, or the one sans-IO address) by id; ICE
   * host candidates are these. tx_sock sends media (the selected pair's). */
  int n_socks;
  pl_addr socks[PL_CALL_MAX_SOCKETS];
  int tx_sock;

  /* Negotiated. */
  uint32_t local_ssrc, remote_ssrc;
  bool remote_ssrc_known;
  char cname[24];
  int pt;             /* Opus payload type */
  int red_pt;         /* RED (RFC 2198) payload type carrying Opus, -1 if not negotiated */
  int ext_capture_id; /* abs-capture-time extension id, 0 if not negotiated */
  int ext_mid_id;     /* RFC 8843 mid extension id, 0 if not negotiated */
  int ext_twcc_id;    /* transport-wide sequence number extension id, 0 if not */
  int channels;
  pl_srtp_keys keys;
  pl_sdes_crypto offered[2]; /* our a=crypto lines, while the offer is out */
  int n_offered;
  pl_srtp *srtp;
  pl_addr local, remote;
  bool remote_known;

  /* Network half. */
  pl_pkt_pool pool;
  pl_pkt_queue txq;
  pl_pkt_queue early; /* WebRTC: SRTP that came before our keys */
  uint8_t pkt_sock[PL_CALL_TXQ]; /* socket id of each queued pool packet */
  uint16_t seq;
  pl_rtp_recv_stats rstats;
  pl_rtp_send_stats sstats;
  bool rstats_started;
  pl_time_us start_us, next_rtcp, last_heard, last_sr_sent_rtp_us;
  uint32_t last_tx_ts;
  pl_time_us last_tx_us;
  int64_t rtt_us;
  double remote_fraction_lost;
  uint64_t dropped;     /* incoming: malformed, unauthenticated, unexpected */
  uint64_t send_failed; /* outgoing: no buffer, protect or write failed, not active */
  uint64_t bytes_sent, bytes_received, packets_sent, packets_received;
  bool connected_event, bye_sent, timeout_event, source_end_emitted;
  /* Per-second bitrate windows. */
  pl_time_us rate_t0;
  uint64_t rate_sent0, rate_recv0;
  double send_bps, recv_bps;
  /* One-way network delay from abs-capture-time (sum, count). */
  double net_delay_sum_us;
  uint64_t net_delay_n;
  int64_t wall_offset_us; /* wall clock - monotonic clock, set by the driver */

  /* Congestion control (call_cc.c), network half. */
  const pl_cc_ctl_ops *cc_ops;
  void *cc_ctl;
  pl_cc_config cc_cfg;
  pl_cc_target cc_target;
  bool cc_paced;
  pl_cc_history *cc_hist;
  pl_pacer pacer;
  uint8_t cc_audio_flag[PL_CALL_TXQ]; /* by pool index: an audio packet */
  pl_twcc_recv twcc_rx;
  pl_twcc_status cc_status[PL_CC_FEEDBACK_MAX];
  uint64_t cc_feedback_sent, cc_feedback_received, cc_feedback_bad, cc_padding_bytes;
  uint64_t cc_flushes; /* packets flushed: the pacer counts them */
  pl_time_us cc_last_feedback;
  /* ... and the rates the media half's encoders follow. */
  _Atomic uint32_t cc_audio_bps, cc_video_bps;
  _Atomic uint32_t cc_pacer_backlog_ms; /* how long the pacer's oldest packet waited */
  _Atomic uint32_t remote_loss_q8; /* the peer's last fraction_lost (RTCP, /256): DRED */

  /* The rings between the halves. */
  pl_ring rx_ring, tx_ring;

  /* Media half. */
  pl_audio_io source, sink;
  bool has_source, has_sink, source_ended;
  _Atomic bool source_ended_flag;
  pl_graph send_graph, recv_graph;
  pl_opus_enc *enc;
  int enc_bitrate; /* what the encoder runs at now */
  int enc_loss_q8; /* the reported loss the encoder's DRED was sized for (-1: none) */
  bool enc_fec;    /* FEC as negotiated */
  bool dec_bwe;    /* the decoder extends wideband SILK itself (libopus 1.6) */
  pl_jitter *jb;
  uint32_t media_ts;
  float voice_avg;        /* send-side voice probability, 1 s average */
  float music_avg;        /* send-side music probability, 1 s average */
  uint64_t dtx_packets;   /* sent as 1-2 byte DTX frames */
  pl_red_sender red;      /* RFC 2198 history; red.distance is what we send */
  int red_protection;     /* the adaptive choice (call_red.c) */
  int red_dwell;          /* packets before the choice may change again */
  uint64_t red_packets_sent;
  uint64_t red_rx_bad;    /* RED payloads that did not parse (media half) */
  /* Loss the peer reports about our stream (network half -> media half):
   * fraction lost in 1/256 and a burstiness estimate in 1/256. */
  _Atomic uint32_t red_loss_q8, red_burst_q8;
  /* Network half: losses and loss runs seen in TWCC feedback, decayed. */
  double red_tw_losses, red_tw_runs;
  bool red_tw_last_lost;
  pl_time_us next_tick;
  bool media_started;

  /* AI stages (call_ai.c): the neural concealer and its switch/cost. */
  struct pl_plc *plc;
  _Atomic bool plc_on;
  void *extend; /* the receive graph's "extend" stage (owned by the graph) */
  uint64_t plc_frames, plc_ns, plc_max_ns; /* media thread */

  /* Snapshot published by the media half once per tick. */
  pthread_mutex_t snap_lock;
  pl_media_snapshot snap;

  struct pl_call_video *video; /* NULL without cfg.video (call_video.h) */
  bool video_offered;          /* the peer's offer had an m=video */

  /* Whoever runs the call. The core never calls into it: it marks itself
   * as having output (pl_call_mark_output_) and the driver decides when to
   * drain it (engine/driver.c). */
  struct pl_driver_call *drv; /* sockets and timer; NULL in sans-IO mode */
  bool output_marked;         /* on the engine's output list (loop thread) */
  pl_call *output_next;
  int media_worker;           /* the media thread that ticks it (-1: none) */
  pl_call *media_next;        /* that thread's list */
  _Atomic bool media_out;     /* set by its media thread: the loop has work */
  void *pending_dial;
};

/* Lifetime pieces (call.c), put together by pl_call_new in engine/engine.c
 * with the driver's sockets in between. */
int pl_call_core_new_(pl_call **out, pl_engine *engine, const pl_call_config *cfg);
int pl_call_core_start_(pl_call *c); /* once the local addresses are known */
void pl_call_destroy_(pl_call *c);
/* The call has datagrams to send, events to emit or a new deadline. */
void pl_call_mark_output_(pl_call *c);

/* Network half (call_net.c). */
int pl_call_net_init(pl_call *c);
void pl_call_net_destroy(pl_call *c);
/* A datagram that arrived on local socket `sock` (0 in sans-IO mode). */
int pl_call_net_input(pl_call *c, pl_time_us now, int sock, const pl_addr *from,
                      uint8_t *data, size_t len);
void pl_call_net_timeout(pl_call *c, pl_time_us now);
pl_time_us pl_call_net_deadline(const pl_call *c);
/* Takes encoded packets from the media half and queues them as SRTP. */
void pl_call_net_flush(pl_call *c, pl_time_us now);
void pl_call_net_bye(pl_call *c, pl_time_us now);
/* Starts a feedback RTCP packet (NACK, PLI, TWCC...) in buf: an empty RR
 * from `ssrc` and our SDES, so that it is a valid compound packet. */
void pl_call_net_feedback_begin(pl_call *c, pl_rtcp_writer *w, uint8_t *buf, size_t cap,
                                uint32_t ssrc);
/* An RTCP report now (the WebRTC client's "keyed" signal to the server). */
void pl_call_net_rtcp_now(pl_call *c, pl_time_us now);
pl_pkt *pl_call_net_next_tx(pl_call *c);
/* Protects a cleartext RTP/RTCP packet in p->data and queues it to the peer. */
void pl_call_net_send_protected(pl_call *c, pl_pkt *p, bool rtcp);
uint64_t pl_call_wall_ntp(const pl_call *c, pl_time_us now);
/* Queues a ready datagram to send from socket `sock` (to p->addr). */
void pl_call_net_queue(pl_call *c, pl_pkt *p, int sock);
int pl_call_net_pkt_socket(const pl_call *c, const pl_pkt *p);
void pl_call_net_release(pl_call *c, pl_pkt *p);

/* Media half (call_media.c). */
int pl_call_media_init(pl_call *c);
/* Make the encoder and jitter buffer once the session is negotiated. */
int pl_call_media_start(pl_call *c, const pl_opus_fmtp *remote_fmtp);
void pl_call_media_destroy(pl_call *c);
/* One 10 ms step if now >= next_tick. Returns true when the network half
 * has work: packets were queued, or the source ended (an event to emit). */
bool pl_call_media_tick(pl_call *c, pl_time_us now);
void pl_call_media_snapshot(pl_call *c, pl_media_snapshot *out);

/* SDES offer/answer helpers (call_sdp.c) shared with JSEP. */
int pl_call_opus_fmtp_text(const pl_call *c, char *buf, size_t cap);
/* The red/48000/2 codec of section m that carries opus_pt ("111/111"), its
 * PT, or -1. */
int pl_call_red_of(const pl_sdp_media *m, int opus_pt);
/* Adds red/48000/2 (fmtp OPUS/OPUS) to m: first when we send RED (libwebrtc
 * sends RED only when it precedes Opus in the list), else after Opus. */
int pl_call_add_red(const pl_call *c, pl_sdp_media *m, int red_pt, int opus_pt);

/* RED and adaptive protection (call_red.c). */
void pl_call_red_start(pl_call *c, pl_opus_enc_config *ec);
/* Wraps an encoded Opus frame for sending: returns the length written in
 * it->payload, sets it->red. */
int pl_call_red_wrap(pl_call *c, pl_tx_item *it, uint32_t ts, const uint8_t *opus, int len);
/* A received audio payload into the jitter buffer (RED or plain Opus). */
void pl_call_red_push(pl_call *c, const pl_rx_item *it);
/* The Opus rate for this packet out of the audio share, after choosing the
 * protection (auto) and paying for the copies. */
int pl_call_red_opus_bps(pl_call *c, int share_bps);
/* Network half: a report block about our stream (fraction lost, 0..1), and
 * a TWCC feedback's statuses (how losses bunch). */
void pl_call_red_on_report(pl_call *c, double fraction_lost);
void pl_call_red_on_twcc(pl_call *c, const pl_twcc_status *st, int n);

/* AI stages (call_ai.c). */
int pl_call_ai_init(pl_call *c);           /* at call creation */
void pl_call_ai_start(pl_call *c);         /* once the jitter buffer exists */
void pl_call_ai_destroy(pl_call *c);
int pl_call_ai_set(pl_call *c, const char *name, bool on); /* "plc" */
int pl_call_ai_set_mode(pl_call *c, const char *name, int mode); /* "extend" */
/* Media thread: a received packet's Opus bandwidth for the extend stage. */
void pl_call_ai_packet(pl_call *c, const pl_rx_item *it);
void pl_call_ai_publish(pl_call *c);
void pl_call_ai_info(pl_call *c, pl_stage_info *info);

/* Events to the app (call.c). */
void pl_call_emit(pl_call *c, pl_event_type type, int err, const char *detail);
/* Emits what the media half flagged (source ended); network thread. */
void pl_call_emit_pending(pl_call *c);
void pl_call_start_clock_(pl_call *c, pl_time_us now);

/* Congestion control (call_cc.c). */
int pl_call_cc_init(pl_call *c);
void pl_call_cc_destroy(pl_call *c);
/* An RTP packet (cleartext in p) to send: paced, numbered, then protected. */
void pl_call_cc_send(pl_call *c, pl_time_us now, pl_pkt *p, pl_pace_kind kind);
/* TWCC feedback or REMB: true when the packet was one (and handled). */
bool pl_call_cc_on_rtcp(pl_call *c, pl_time_us now, const pl_rtcp_packet *pkt);
/* A report block about our stream: RTT (0 if unknown) and loss. */
void pl_call_cc_on_report(pl_call *c, pl_time_us now, pl_time_us rtt, double fraction_lost,
                          uint32_t packets);
/* An authenticated RTP packet arrived (audio, video, RTX or padding). */
void pl_call_cc_on_rtp(pl_call *c, pl_time_us now, const pl_rtp_header *h, size_t len);
void pl_call_cc_timeout(pl_call *c, pl_time_us now);
void pl_call_cc_fill_stats(const pl_call *c, pl_call_stats *s);
pl_time_us pl_call_cc_deadline(const pl_call *c);
/* A padding-only packet of about `bytes` on the video RTX stream, or NULL
 * (no video, no RTX, no buffer). */
pl_pkt *pl_call_video_padding(pl_call *c, pl_time_us now, size_t bytes);

/* Where a call's connection stands, for the WHIP server's reaper. */
typedef struct pl_call_progress {
  bool connected;        /* media path up (WebRTC: connection state CONNECTED) */
  bool ended;            /* hung up, failed or closed */
  bool ice_connected;    /* ICE found a path (DTLS may still be at work) */
  uint64_t ice_activity; /* authenticated checks and responses so far */
} pl_call_progress;
void pl_call_progress_(const pl_call *c, pl_call_progress *p);

#endif
