/* Congestion control of a call, in its network half. Sending: every RTP
 * packet (audio, video, retransmissions, padding) leaves through the pacer;
 * as it leaves it gets its transport-wide sequence number (when the peer
 * negotiated the extension) and a line in the send history; TWCC feedback,
 * REMB, RTT and RR loss feed the controller (GCC by default, or none:
 * fixed rates, no pacing), whose target is split between Opus (16-64
 * kbit/s) and video and handed to the media half through atomics.
 * Receiving: each packet's transport-wide number and arrival time go into
 * the TWCC recorder, which answers with feedback every 50-100 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/log.h"
#include "engine/call/call.h"
#include "engine/call/call_video.h"

#define SRTP_OVERHEAD 10     /* the 80-bit tag: what the wire carries beyond RTP */
#define AUDIO_MIN_BPS 16000  /* issue 14: Opus 16-64 kbit/s, video the rest */
#define VIDEO_MIN_BPS 30000
#define VIDEO_MAX_BPS 2500000
#define CWND_QUEUE PL_MS(350) /* Chromium runs WebRTC-CongestionWindow with QueueSize:350 */
#define CWND_MIN 12000        /* bytes: ten packets, so a low target still moves a frame */
#define FB_MAX 1200
#define STALE_VIDEO PL_MS(400) /* dev traces: 400 / 600 / 1000 ms gave p95 145 / 176 / 188 ms */
#define PL_CC_DEFAULT "gcc"

int pl_call_cc_init(pl_call *c) {
  pl_twcc_recv_init(&c->twcc_rx);
  const char *name = c->cfg.cc && c->cfg.cc[0] ? c->cfg.cc : PL_CC_DEFAULT;
  c->cc_ops = pl_cc_controller_find(name);
  if (!c->cc_ops)
    return PL_EINVAL;
  c->cc_hist = pl_cc_history_new();
  if (!c->cc_hist)
    return PL_ENOMEM;
  /* The start: what the app configured, as every call did before. */
  uint64_t start = (uint64_t)c->cfg.opus_bitrate + (c->cfg.video ? (uint64_t)c->cfg.video_bitrate : 0);
  pl_cc_config_init(&c->cc_cfg);
  c->cc_cfg.start_bps = start;
  /* The most the encoders can use: Opus at the app's rate, and video up to
   * libwebrtc's ceiling for 720p (2.5 Mbit/s), or the app's rate if higher.
   * More would only be padding. */
  uint64_t vmax = c->cfg.video ? (c->cfg.video_bitrate > VIDEO_MAX_BPS ? (uint64_t)c->cfg.video_bitrate
                                                                       : VIDEO_MAX_BPS)
                               : 0;
  c->cc_cfg.max_bps = (uint64_t)c->cfg.opus_bitrate + vmax;
  if (c->cc_cfg.min_bps > c->cc_cfg.max_bps)
    c->cc_cfg.min_bps = c->cc_cfg.max_bps;
  c->cc_ctl = c->cc_ops->create(&c->cc_cfg, 0);
  if (!c->cc_ctl) {
    pl_cc_history_free(c->cc_hist);
    c->cc_hist = NULL;
    return PL_ENOMEM;
  }
  pl_pacer_init(&c->pacer, start * 5 / 2);
  atomic_init(&c->cc_audio_bps, (uint32_t)c->cfg.opus_bitrate);
  atomic_init(&c->cc_video_bps, (uint32_t)(c->cfg.video ? c->cfg.video_bitrate : 0));
  atomic_init(&c->cc_pacer_backlog_ms, 0);
  c->cc_paced = c->cc_ops->paced;
  return 0;
}

void pl_call_cc_destroy(pl_call *c) {
  if (c->cc_paced) {
    uint32_t size;
    int probe;
    pl_pkt *p;
    /* Drain what the pacer still holds back into the pool. */
    pl_pacer_set_rates(&c->pacer, UINT32_MAX, 0);
    while ((p = pl_pacer_pop(&c->pacer, PL_TIME_NEVER - 1, &size, &probe)))
      pl_pkt_put(&c->pool, p);
  }
  if (c->cc_ctl)
    c->cc_ops->destroy(c->cc_ctl);
  c->cc_ctl = NULL;
  pl_cc_history_free(c->cc_hist);
  c->cc_hist = NULL;
}

/* ---- sending ----------------------------------------------------------------- */

/* The transport-wide number goes in as the packet leaves, so the history's
 * send times are the pacer's, not the encoder's. */
static void release(pl_call *c, pl_time_us now, pl_pkt *p, int probe, bool audio) {
  uint32_t wire = (uint32_t)p->len + SRTP_OVERHEAD;
  if (c->ext_twcc_id) {
    pl_rtp_header h;
    pl_rtp_ext e;
    if (pl_rtp_parse(&h, p->data, p->len) == 0 &&
        pl_rtp_ext_find(&h, (uint8_t)c->ext_twcc_id, &e) == 0 && e.len == 2) {
      uint16_t s = pl_cc_history_sent(c->cc_hist, now, wire, probe, audio);
      pl_put_be16(p->data + (e.data - p->data), s);
    }
  }
  c->cc_ops->on_sent(c->cc_ctl, now, wire, probe);
  pl_call_net_send_protected(c, p, false);
}

/* The congestion window (libwebrtc's pushback): what may be in flight is
 * the target for one RTT plus CWND_QUEUE of queue. Only while feedback
 * flows: without it nothing would ever leave the window again (audio keeps
 * flowing, and its feedback reopens it). */
static bool window_full(const pl_call *c, pl_time_us now) {
  if (!c->ext_twcc_id || !c->cc_feedback_received || now - c->cc_last_feedback > PL_SEC(1))
    return false;
  pl_time_us rtt = c->cc_target.rtt > 0 ? c->cc_target.rtt : c->rtt_us > 0 ? c->rtt_us : PL_MS(100);
  /* A packet stays "in flight" until the feedback after it comes back: an
   * RTT plus the receiver's feedback interval, plus the queue we accept. */
  pl_time_us hold = rtt + pl_twcc_recv_interval((double)c->cc_target.target_bps) + CWND_QUEUE;
  double window = (double)c->cc_target.target_bps / 8 * (double)hold / 1e6;
  if (window < CWND_MIN)
    window = CWND_MIN;
  return (double)pl_cc_history_in_flight(c->cc_hist) > window;
}

static void pace_out(pl_call *c, pl_time_us now) {
  uint32_t size;
  int probe;
  pl_pkt *p;
  for (;;) {
    pl_pacer_set_blocked(&c->pacer, window_full(c, now));
    while ((p = pl_pacer_pop(&c->pacer, now, &size, &probe))) {
      release(c, now, p, probe, c->cc_audio_flag[p - c->pool.slab]);
      pl_pacer_set_blocked(&c->pacer, window_full(c, now));
    }
    uint32_t pad = pl_pacer_padding(&c->pacer, now, &probe);
    if (!pad)
      return;
    p = pl_call_video_padding(c, now, pad);
    if (!p) {
      pl_pacer_set_can_pad(&c->pacer, false);
      return;
    }
    pl_pacer_padding_sent(&c->pacer, now, (uint32_t)p->len + SRTP_OVERHEAD, probe);
    c->cc_padding_bytes += p->len;
    release(c, now, p, probe, false);
  }
}

/* Video that has waited STALE_VIDEO in the pacer is dropped, all of it,
 * and the encoder asked for a keyframe. After a sharp drop in capacity the
 * video made at the old rate in the second before the controller saw it
 * (a second of 2.5 Mbit/s on a 0.8 Mbit/s path) would hold the bottleneck
 * queue full for seconds more and arrive too late to show; a keyframe at
 * the new rate costs a fraction of that. The frames behind the dropped
 * ones cannot be decoded without it anyway. The dropped packets leave the
 * RTX history too, so the peer's NACKs for the gap bring nothing back. */
static void flush_stale(pl_call *c, pl_time_us now) {
  if (!c->cc_paced || !c->video || pl_pacer_queue_time(&c->pacer, now) < STALE_VIDEO)
    return;
  pl_pace_kind kind;
  pl_pkt *p;
  while ((p = pl_pacer_flush_one(&c->pacer, &kind))) {
    if (kind == PL_PACE_VIDEO && p->len >= 4)
      pl_send_history_forget(c->video->hist, pl_be16(p->data + 2));
    pl_pkt_put(&c->pool, p);
  }
  c->cc_flushes++;
  atomic_store(&c->video->key_for_peer, true);
}

/* Sends what the pacer lets go now, and tells the media half how long the
 * oldest packet it still holds has waited (its encoders skip frames then). */
static void pace(pl_call *c, pl_time_us now) {
  pace_out(c, now);
  flush_stale(c, now);
  atomic_store(&c->cc_pacer_backlog_ms, (uint32_t)(pl_pacer_queue_time(&c->pacer, now) / 1000));
}

void pl_call_cc_send(pl_call *c, pl_time_us now, pl_pkt *p, pl_pace_kind kind) {
  if (!c->cc_paced) {
    release(c, now, p, -1, kind == PL_PACE_AUDIO);
    return;
  }
  c->cc_audio_flag[p - c->pool.slab] = kind == PL_PACE_AUDIO;
  if (pl_pacer_push(&c->pacer, now, p, (uint32_t)p->len, kind) != 0) {
    c->send_failed++;
    pl_pkt_put(&c->pool, p);
    return;
  }
  pace(c, now);
}

/* The controller's target, split between the encoders. */
static void allocate(pl_call *c) {
  pl_cc_target t;
  c->cc_ops->get_target(c->cc_ctl, &t);
  c->cc_target = t;
  if (c->cc_paced)
    pl_pacer_set_rates(&c->pacer, t.pacing_bps, t.padding_bps);
  /* Audio keeps what the app configured while the target allows, giving
   * way down to 16 kbit/s before video goes under its floor; video gets the
   * rest. (The app's Opus rate is at most 64 kbit/s unless it asked for
   * more: an explicit wish is not capped.) */
  uint64_t want_audio = (uint64_t)c->cfg.opus_bitrate;
  bool video = c->video && c->video->on;
  uint64_t audio = want_audio;
  uint64_t room = t.target_bps > (video ? VIDEO_MIN_BPS : 0) ? t.target_bps - (video ? VIDEO_MIN_BPS : 0) : 0;
  if (audio > room)
    audio = room > AUDIO_MIN_BPS ? room : AUDIO_MIN_BPS;
  if (audio < AUDIO_MIN_BPS && want_audio >= AUDIO_MIN_BPS)
    audio = AUDIO_MIN_BPS;
  uint64_t vbps = t.target_bps > audio ? t.target_bps - audio : 0;
  if (video && vbps < VIDEO_MIN_BPS)
    vbps = VIDEO_MIN_BPS;
  atomic_store(&c->cc_audio_bps, (uint32_t)audio);
  atomic_store(&c->cc_video_bps, (uint32_t)(video ? vbps : 0));
}

/* ---- feedback in -------------------------------------------------------------- */

bool pl_call_cc_on_rtcp(pl_call *c, pl_time_us now, const pl_rtcp_packet *pkt) {
  if (pkt->pt == PL_RTCP_RTPFB && pkt->count == PL_RTCP_RTPFB_TWCC) {
    pl_rtcp_twcc t;
    int n = pl_rtcp_twcc_parse(&t, pkt, c->cc_status, PL_CC_FEEDBACK_MAX);
    if (n < 0 || t.fb.sender_ssrc == c->local_ssrc) {
      c->cc_feedback_bad++;
      return true;
    }
    pl_call_red_on_twcc(c, c->cc_status, n); /* how losses bunch (call_red.c) */
    pl_cc_feedback fb;
    if (pl_cc_history_feedback(c->cc_hist, now, c->cc_status, (size_t)n, &fb) > 0) {
      c->cc_feedback_received++;
      c->cc_last_feedback = now;
      c->cc_ops->on_feedback(c->cc_ctl, &fb);
      allocate(c);
      if (c->cc_paced)
        pace(c, now); /* the window may have reopened */
    } else {
      c->cc_feedback_bad++;
    }
    return true;
  }
  if (pkt->pt == PL_RTCP_PSFB && pkt->count == PL_RTCP_PSFB_AFB) {
    pl_rtcp_remb r;
    if (pl_rtcp_remb_parse(&r, pkt) != 0)
      return false; /* another application message: not ours */
    c->cc_ops->on_remb(c->cc_ctl, now, r.bitrate_bps);
    allocate(c);
    return true;
  }
  return false;
}

void pl_call_cc_on_report(pl_call *c, pl_time_us now, pl_time_us rtt, double fraction_lost,
                          uint32_t packets) {
  if (rtt > 0)
    c->cc_ops->on_rtt(c->cc_ctl, now, rtt);
  c->cc_ops->on_loss_report(c->cc_ctl, now, fraction_lost, packets);
  allocate(c);
}

/* ---- receiving ---------------------------------------------------------------- */

void pl_call_cc_on_rtp(pl_call *c, pl_time_us now, const pl_rtp_header *h, size_t len) {
  pl_rtp_ext e;
  uint16_t seq;
  if (c->ext_twcc_id && pl_rtp_ext_find(h, (uint8_t)c->ext_twcc_id, &e) == 0 &&
      pl_rtp_ext_transport_seq(&e, &seq) == 0)
    pl_twcc_recv_packet(&c->twcc_rx, now, seq, len);
}

static void send_twcc(pl_call *c, pl_time_us now) {
  pl_pkt *p = pl_pkt_get(&c->pool);
  if (!p) {
    c->send_failed++;
    return;
  }
  pl_rtcp_writer w;
  pl_call_net_feedback_begin(c, &w, p->data, FB_MAX, c->local_ssrc);
  uint32_t media = c->remote_ssrc_known ? c->remote_ssrc
                   : c->video && c->video->remote_ssrc_known ? c->video->remote_ssrc : 0;
  int rc = pl_twcc_recv_write(&c->twcc_rx, now, true, &w, c->local_ssrc, media);
  int len = rc == 1 ? pl_rtcp_writer_finish(&w) : -1;
  if (len <= 0) {
    pl_pkt_put(&c->pool, p);
    return;
  }
  p->len = (size_t)len;
  c->cc_feedback_sent++;
  pl_call_net_send_protected(c, p, true);
}

/* ---- time ----------------------------------------------------------------------- */

void pl_call_cc_timeout(pl_call *c, pl_time_us now) {
  if (atomic_load(&c->state) != PL_CALL_ACTIVE || !c->srtp)
    return;
  if (now >= c->cc_ops->deadline(c->cc_ctl)) {
    c->cc_ops->timeout(c->cc_ctl, now);
    pl_cc_probe pr;
    while (c->cc_ops->poll_probe(c->cc_ctl, &pr) == 1)
      if (c->cc_paced)
        pl_pacer_start_probe(&c->pacer, &pr);
    allocate(c);
  }
  if (c->cc_paced)
    pace(c, now);
  if (c->remote_known && pl_twcc_recv_deadline(&c->twcc_rx) <= now)
    send_twcc(c, now);
}

pl_time_us pl_call_cc_deadline(const pl_call *c) {
  if (atomic_load(&c->state) != PL_CALL_ACTIVE || !c->srtp)
    return PL_TIME_NEVER;
  pl_time_us d = c->cc_ops->deadline(c->cc_ctl);
  if (c->cc_paced)
    d = pl_time_min(d, pl_pacer_deadline(&c->pacer));
  return pl_time_min(d, pl_twcc_recv_deadline(&c->twcc_rx));
}

int pl_call_set_cc(pl_call *c, const char *name) {
  const pl_cc_ctl_ops *ops = name ? pl_cc_controller_find(name) : NULL;
  if (!ops)
    return PL_ENOENT;
  if (ops == c->cc_ops)
    return 0;
  pl_cc_config cfg = c->cc_cfg;
  if (c->cc_target.target_bps)
    cfg.start_bps = c->cc_target.target_bps; /* take over where the last one was */
  void *ctl = ops->create(&cfg, c->wrtc ? c->wrtc->now : 0);
  if (!ctl)
    return PL_ENOMEM;
  if (c->cc_paced && !ops->paced) {
    /* Unpaced from now on: what the pacer holds leaves at once. */
    pl_time_us now = c->wrtc ? c->wrtc->now : 0;
    pl_pacer_set_rates(&c->pacer, UINT32_MAX, 0);
    uint32_t size;
    int probe;
    pl_pkt *p;
    while ((p = pl_pacer_pop(&c->pacer, now, &size, &probe)))
      release(c, now, p, -1, c->cc_audio_flag[p - c->pool.slab]);
  }
  c->cc_ops->destroy(c->cc_ctl);
  c->cc_ops = ops;
  c->cc_ctl = ctl;
  if (ops->paced && !c->cc_paced)
    pl_pacer_init(&c->pacer, cfg.start_bps * 5 / 2);
  c->cc_paced = ops->paced;
  allocate(c);
  return 0;
}

const char *pl_call_get_cc(const pl_call *c) { return c->cc_ops ? c->cc_ops->name : ""; }

void pl_call_cc_fill_stats(const pl_call *c, pl_call_stats *s) {
  snprintf(s->cc, sizeof s->cc, "%s", c->cc_ops ? c->cc_ops->name : "");
  s->cc_target_bps = (double)c->cc_target.target_bps;
  s->cc_pacing_bps = c->cc_paced ? (double)c->pacer.pacing_bps : 0;
  s->cc_audio_bps = atomic_load(&c->cc_audio_bps);
  s->cc_video_bps = atomic_load(&c->cc_video_bps);
  s->cc_delay_state = c->cc_target.delay_state;
  s->cc_in_alr = c->cc_target.in_alr;
  s->twcc_feedback_sent = c->cc_feedback_sent;
  s->twcc_feedback_received = c->cc_feedback_received;
  s->twcc_feedback_refused = c->cc_feedback_bad;
  if (c->cc_hist) {
    pl_cc_history_stats hs = pl_cc_history_get_stats(c->cc_hist);
    s->twcc_packets_reported = hs.reported;
    s->twcc_packets_lost = hs.lost;
  }
  s->pacer_queue_max_s = (double)c->pacer.stats.max_queue_time / 1e6;
  s->padding_bytes_sent = c->cc_padding_bytes;
  s->pacer_flushes = c->cc_flushes;
  s->pacer_packets_flushed = c->pacer.stats.flushed;
}

bool pl_cc_known(const char *name) { return pl_cc_controller_find(name) != NULL; }
const char *pl_cc_names(void) { return pl_cc_controller_names(); }
