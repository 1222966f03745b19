/* The network half of the video track: RTP out with a send history, RTX
 * answers to NACKs, keyframe requests in and out (PLI, FIR), the NACK
 * generator and receive statistics. No codec work happens here. */
#include <string.h>

#include "base/bytes.h"
#include "engine/call/call.h"
#include "engine/call/call_video.h"
#include "video/payload/vp8.h"
#include "video/payload/vp9.h"

#define RTX_SHARE 1.0 /* of the target, a second of it in hand: libwebrtc's cap */
#define FB_MAX 600 /* one feedback compound: RR + SDES + NACK/PLI/FIR */

bool pl_call_video_owns_rtp(const pl_call *c, const pl_rtp_header *h) {
  const pl_call_video *v = c->video;
  if (!v || !v->on)
    return false;
  return h->pt == v->rx_pt || h->pt == v->rx_rtx_pt;
}

void pl_call_video_set_rtt(pl_call *c, pl_time_us rtt) {
  pl_call_video *v = c->video;
  if (!v || !v->on || rtt <= 0)
    return;
  pl_nack_set_rtt(v->nack, rtt);
  pl_keyframe_set_rtt(&v->kr, rtt);
  atomic_store(&v->rtt_us, rtt);
}

static void keyframe_seen(pl_call_video *v, const pl_rtp_header *h) {
  pl_video_rtp_info info;
  int rc = v->codec == PL_CODEC_VP8 ? pl_vp8_depacketize(&info, h->payload, h->payload_len)
                                    : pl_vp9_depacketize(&info, h->payload, h->payload_len);
  if (rc == 0 && info.frame_begin && info.key)
    pl_nack_on_keyframe(v->nack, h->seq);
}

void pl_call_video_net_rtp(pl_call *c, pl_time_us now, const pl_rtp_header *hin,
                           const uint8_t *pkt, size_t len) {
  pl_call_video *v = c->video;
  pl_rtp_header h = *hin;
  uint8_t restored[PL_VIDEO_MAX_PAYLOAD + 64];
  bool retx = false;
  if (h.pt == v->rx_rtx_pt && v->rx_rtx_pt != v->rx_pt) {
    if (v->remote_rtx_known && h.ssrc != v->remote_rtx_ssrc) {
      v->dropped++;
      return;
    }
    int n = pl_rtx_unwrap(pkt, len, v->remote_ssrc, (uint8_t)v->rx_pt, restored,
                          sizeof restored, NULL);
    if (n < 0 || !v->remote_ssrc_known || pl_rtp_parse(&h, restored, (size_t)n) != 0) {
      if (n != PL_ENOENT) /* padding-only probes are normal */
        v->dropped++;
      return;
    }
    v->rtx_received++;
    retx = true;
  } else if (v->remote_ssrc_known && h.ssrc != v->remote_ssrc) {
    v->dropped++;
    return;
  }
  if (h.payload_len > PL_VIDEO_MAX_PAYLOAD || h.payload_len == 0) {
    v->dropped++;
    return;
  }
  if (!v->rstats_started) {
    v->remote_ssrc = h.ssrc;
    v->remote_ssrc_known = true;
    pl_rtp_recv_stats_init(&v->rstats, h.ssrc, PL_VIDEO_CLOCK);
    v->rstats_started = true;
  }
  if (!retx)
    pl_rtp_recv_stats_update(&v->rstats, &h, now);
  v->packets_received++;
  v->bytes_received += h.payload_len;
  pl_nack_on_packet(v->nack, now, h.seq);
  keyframe_seen(v, &h);
  pl_vrx_item *it = pl_ring_reserve(&v->rx_ring);
  if (!it) {
    v->dropped++; /* the media half is behind: counted, never waited on */
    return;
  }
  it->arrival = now;
  it->seq = h.seq;
  it->ts = h.ts;
  it->marker = h.marker;
  it->retx = retx;
  it->capture_ntp = 0;
  pl_rtp_ext e;
  if (c->ext_capture_id && pl_rtp_ext_find(&h, (uint8_t)c->ext_capture_id, &e) == 0 &&
      e.len >= 8)
    it->capture_ntp = pl_be64(e.data);
  it->len = (uint16_t)h.payload_len;
  memcpy(it->payload, h.payload, h.payload_len);
  pl_ring_commit(&v->rx_ring);
}

static void answer_nack(pl_call *c, pl_time_us now, const pl_rtcp_packet *pkt) {
  pl_call_video *v = c->video;
  pl_rtcp_nack nk;
  if (pl_rtcp_nack_parse(&nk, pkt) != 0 || nk.fb.media_ssrc != v->local_ssrc)
    return;
  v->nack_received++;
  uint16_t seqs[256];
  size_t n = pl_rtcp_nack_seqs(&nk, seqs, 256);
  if (n > 256)
    n = 256;
  /* The receiver repeats a NACK an RTT later; a copy sent within half an
   * RTT may still be on its way. */
  pl_time_us min_iv = c->rtt_us > 0 ? c->rtt_us / 2 : PL_MS(20);
  /* Retransmissions share the path with the media the controller already
   * gave it all to: after a sharp drop in capacity the receiver NACKs
   * hundreds of packets the queue threw away, and resending them all at
   * once would double what the path gets. RTX may spend RTX_SHARE of the
   * target, with a second of it in hand (libwebrtc's RateLimiter on
   * retransmissions). A quarter of the target measured the same within
   * noise on the dev traces (docs/congestion.md), so libwebrtc's bound stays. */
  uint64_t target = c->cc_target.target_bps;
  if (target) {
    double rate = (double)target * RTX_SHARE / 8;
    v->rtx_budget += rate * (double)(now - v->rtx_budget_at) / 1e6;
    if (v->rtx_budget > rate || v->rtx_budget_at == 0)
      v->rtx_budget = rate;
    v->rtx_budget_at = now;
  }
  for (size_t i = 0; i < n; i++) {
    const uint8_t *orig;
    size_t olen;
    if (target && v->rtx_budget <= 0) {
      v->rtx_limited += n - i;
      break;
    }
    if (pl_send_history_get(v->hist, now, seqs[i], min_iv, &orig, &olen))
      continue;
    pl_pkt *p = pl_pkt_get(&c->pool);
    if (!p) {
      c->send_failed++;
      return;
    }
    int len;
    if (v->rtx_pt < 0) { /* no RTX negotiated: the packet again, as it was */
      memcpy(p->data, orig, olen);
      len = (int)olen;
    } else {
      len = pl_rtx_wrap(&v->rtx, orig, olen, p->data, PL_PKT_CAPACITY - 64);
    }
    if (len < 0) {
      pl_pkt_put(&c->pool, p);
      continue;
    }
    p->len = (size_t)len;
    v->rtx_sent++;
    v->rtx_budget -= (double)len;
    pl_call_cc_send(c, now, p, PL_PACE_RTX);
  }
}

/* The capture size rides in an RTCP APP packet (RFC 3550 6.7: APP is for
 * exactly this, an application's own message that others skip): subtype 0,
 * the video SSRC, name "PLCS", then width and height as 16-bit words. No
 * RTP header extension carries the source size (video-layers-allocation
 * gives the encoded layers' sizes, which the receiver sees anyway), and the
 * SDP is too early: the source's size is known at its first frame. */
static const char capture_app_name[4] = {'P', 'L', 'C', 'S'};

bool pl_call_video_write_capture_app(pl_call *c, pl_rtcp_writer *w) {
  pl_call_video *v = c->video;
  if (!v || !v->on || v->sstats.packets == 0)
    return false;
  uint32_t cs = atomic_load(&v->capture_size);
  if (!cs || w->cap - w->len < 16)
    return false; /* never let it cost the report its room (the error sticks) */
  uint8_t d[4];
  pl_put_be16(d, (uint16_t)(cs >> 16));
  pl_put_be16(d + 2, (uint16_t)cs);
  return pl_rtcp_write_app(w, 0, v->local_ssrc, capture_app_name, d, sizeof d) == 0;
}

static void on_app(pl_call_video *v, const pl_rtcp_packet *pkt) {
  pl_rtcp_app a;
  if (pl_rtcp_app_parse(&a, pkt) != 0 || memcmp(a.name, capture_app_name, 4) != 0 ||
      a.subtype != 0 || a.len < 4)
    return; /* someone else's APP, or not one we can read: ignored */
  if (!v->remote_ssrc_known || a.ssrc != v->remote_ssrc)
    return;
  int w = pl_be16(a.data), h = pl_be16(a.data + 2);
  if (w < 1 || h < 1 || w > PL_VIDEO_MAX_DIM || h > PL_VIDEO_MAX_DIM)
    return;
  v->remote_capture_w = w;
  v->remote_capture_h = h;
}

bool pl_call_video_net_rtcp(pl_call *c, pl_time_us now, const pl_rtcp_packet *pkt) {
  pl_call_video *v = c->video;
  if (!v || !v->on)
    return false;
  if (pkt->pt == PL_RTCP_APP) {
    on_app(v, pkt);
    return true;
  }
  if (pkt->pt == PL_RTCP_RTPFB && pkt->count == PL_RTCP_RTPFB_NACK) {
    answer_nack(c, now, pkt);
    return true;
  }
  if (pkt->pt == PL_RTCP_PSFB && pkt->count == PL_RTCP_PSFB_PLI) {
    pl_rtcp_fb fb;
    if (pl_rtcp_pli_parse(&fb, pkt) == 0 && fb.media_ssrc == v->local_ssrc) {
      v->pli_received++;
      atomic_store(&v->key_for_peer, true);
    }
    return true;
  }
  if (pkt->pt == PL_RTCP_PSFB && pkt->count == PL_RTCP_PSFB_FIR) {
    pl_rtcp_fir fir;
    if (pl_rtcp_fir_parse(&fir, pkt) != 0)
      return true;
    for (size_t i = 0; i < fir.count; i++) {
      uint32_t ssrc;
      uint8_t seq;
      pl_rtcp_fir_entry(&fir, i, &ssrc, &seq);
      if (ssrc == v->local_ssrc && pl_fir_filter_is_new(&v->fir_filter, seq)) {
        v->fir_received++;
        atomic_store(&v->key_for_peer, true);
      }
    }
    return true;
  }
  return false;
}

/* Takes packetized frames from the media half: RTP, history, SRTP. */
/* The header extensions of a video packet: mid, abs-capture-time (not on
 * padding: capture_us < 0) and a transport-wide number, written as the
 * packet leaves the pacer. False when there are none. */
static bool video_extensions(pl_call *c, pl_rtp_ext_builder *ext, pl_time_us capture_us) {
  pl_call_video *v = c->video;
  pl_rtp_ext_builder_init(ext);
  bool any = false;
  if (c->ext_mid_id && v->mid[0]) {
    pl_rtp_ext_add_mid(ext, (uint8_t)c->ext_mid_id, v->mid);
    any = true;
  }
  if (c->ext_capture_id && capture_us >= 0) {
    uint8_t ntp[8];
    pl_put_be64(ntp, pl_call_wall_ntp(c, capture_us));
    pl_rtp_ext_add(ext, (uint8_t)c->ext_capture_id, ntp, 8);
    any = true;
  }
  if (c->ext_twcc_id) {
    pl_rtp_ext_add_transport_seq(ext, (uint8_t)c->ext_twcc_id, 0);
    any = true;
  }
  return any;
}

void pl_call_video_net_flush(pl_call *c, pl_time_us now) {
  pl_call_video *v = c->video;
  if (!v || !v->on)
    return;
  pl_vtx_item *it;
  while ((it = pl_ring_peek(&v->tx_ring))) {
    pl_pkt *p = atomic_load(&c->state) == PL_CALL_ACTIVE && c->srtp ? pl_pkt_get(&c->pool) : NULL;
    if (!p) {
      c->send_failed++;
      pl_ring_release(&v->tx_ring);
      continue;
    }
    pl_rtp_header h;
    memset(&h, 0, sizeof h);
    h.marker = it->marker;
    h.pt = (uint8_t)v->pt;
    h.seq = v->seq++;
    h.ts = it->ts;
    h.ssrc = v->local_ssrc;
    pl_rtp_ext_builder ext;
    bool any = video_extensions(c, &ext, it->capture_us);
    size_t room = 12 + 4 + 32;
    memcpy(p->data + room, it->payload, it->len);
    h.payload = p->data + room;
    h.payload_len = it->len;
    int n = pl_rtp_write(&h, any ? &ext : NULL, p->data, PL_PKT_CAPACITY - 64);
    pl_ring_release(&v->tx_ring);
    if (n < 0) {
      c->send_failed++;
      pl_pkt_put(&c->pool, p);
      continue;
    }
    p->len = (size_t)n;
    pl_rtp_send_stats_on_packet(&v->sstats, h.payload_len);
    v->last_tx_ts = h.ts;
    v->last_tx_capture = it->capture_us;
    pl_send_history_put(v->hist, now, p->data, p->len);
    v->packets_sent++;
    c->packets_sent++;
    pl_call_cc_send(c, now, p, PL_PACE_VIDEO);
  }
  if (atomic_exchange(&v->got_key, false))
    pl_keyframe_received(&v->kr);
  if (atomic_exchange(&v->want_key, false))
    pl_keyframe_request(&v->kr);
  if (v->kr.wanted)
    pl_call_video_net_timeout(c, now);
}

static void send_feedback(pl_call *c, const uint16_t *seqs, size_t n, bool key,
                          pl_keyframe_method method, uint8_t fir_seq) {
  pl_call_video *v = c->video;
  pl_pkt *p = pl_pkt_get(&c->pool);
  if (!p) {
    c->dropped++;
    return;
  }
  pl_rtcp_writer w;
  pl_call_net_feedback_begin(c, &w, p->data, FB_MAX, v->local_ssrc);
  if (n) {
    pl_rtcp_write_nack(&w, v->local_ssrc, v->remote_ssrc, seqs, n);
    v->nack_sent++;
    v->nacked_seqs += n;
  }
  if (key && method == PL_KEYFRAME_FIR) {
    pl_rtcp_write_fir(&w, v->local_ssrc, &v->remote_ssrc, &fir_seq, 1);
    v->fir_sent++;
  } else if (key) {
    pl_rtcp_write_pli(&w, v->local_ssrc, v->remote_ssrc);
    v->pli_sent++;
  }
  int len = pl_rtcp_writer_finish(&w);
  if (len <= 0) {
    pl_pkt_put(&c->pool, p);
    return;
  }
  p->len = (size_t)len;
  pl_call_net_send_protected(c, p, true);
}

void pl_call_video_net_timeout(pl_call *c, pl_time_us now) {
  pl_call_video *v = c->video;
  if (!v || !v->on || !v->remote_ssrc_known || !c->srtp || !c->remote_known)
    return;
  uint16_t seqs[128];
  size_t n = pl_nack_poll(v->nack, now, seqs, 128);
  if (pl_nack_take_loss(v->nack))
    atomic_store(&v->loss, true);
  pl_keyframe_method method = PL_KEYFRAME_PLI;
  uint8_t fir_seq = 0;
  bool key = pl_keyframe_poll(&v->kr, now, &method, &fir_seq);
  if (n || key)
    send_feedback(c, seqs, n, key, method, fir_seq);
}

pl_time_us pl_call_video_net_deadline(const pl_call *c) {
  const pl_call_video *v = c->video;
  if (!v || !v->on || !v->remote_ssrc_known)
    return PL_TIME_NEVER;
  pl_time_us d = pl_nack_deadline(v->nack);
  if (v->kr.wanted)
    d = pl_time_min(d, pl_keyframe_deadline(&v->kr));
  return d;
}

bool pl_call_video_sender_report(pl_call *c, pl_time_us now, pl_rtcp_sr *sr) {
  pl_call_video *v = c->video;
  if (!v || !v->on || v->sstats.packets == 0)
    return false;
  memset(sr, 0, sizeof *sr);
  /* RTP time of `now`: the last frame's timestamp is its capture time. */
  uint32_t ts = v->last_tx_ts + (uint32_t)((now - v->last_tx_capture) * 9 / 100);
  pl_rtp_send_stats_fill_sr(&v->sstats, sr, v->local_ssrc, pl_call_wall_ntp(c, now), ts);
  return true;
}

void pl_call_video_on_sr(pl_call *c, const pl_rtcp_sr *sr, pl_time_us now) {
  pl_call_video *v = c->video;
  if (v && v->on && v->rstats_started && sr->ssrc == v->remote_ssrc)
    pl_rtp_recv_stats_on_sr(&v->rstats, sr->ntp, now);
}

bool pl_call_video_report_block(pl_call *c, pl_time_us now, pl_rtcp_report_block *rb) {
  pl_call_video *v = c->video;
  return v && v->on && v->rstats_started && pl_rtp_recv_stats_report(&v->rstats, now, rb) == 0;
}

/* Padding for probes and for an encoder that undershoots: an RTX packet
 * with no payload and only padding (what libwebrtc sends too), numbered in
 * the RTX stream, so the receiver's video sequence space is untouched and
 * its RTX unwrapping drops it as padding. */
pl_pkt *pl_call_video_padding(pl_call *c, pl_time_us now, size_t bytes) {
  (void)now;
  pl_call_video *v = c->video;
  if (!v || !v->on || v->rtx_pt < 0 || !c->srtp)
    return NULL;
  pl_pkt *p = pl_pkt_get(&c->pool);
  if (!p)
    return NULL;
  pl_rtp_header h;
  memset(&h, 0, sizeof h);
  h.pt = (uint8_t)v->rtx_pt;
  h.seq = v->rtx.seq++;
  h.ts = v->last_tx_ts;
  h.ssrc = v->local_rtx_ssrc;
  h.padding_len = (uint8_t)(bytes > 255 ? 255 : bytes < 1 ? 1 : bytes);
  pl_rtp_ext_builder ext;
  bool any = video_extensions(c, &ext, -1);
  int n = pl_rtp_write(&h, any ? &ext : NULL, p->data, PL_PKT_CAPACITY - 64);
  if (n < 0) {
    pl_pkt_put(&c->pool, p);
    return NULL;
  }
  p->len = (size_t)n;
  return p;
}
