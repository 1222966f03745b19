/* The network half of a call: SRTP in and out, RTP sequencing, RTCP
 * reports (SR/RR/SDES/BYE), receive statistics and the round-trip time.
 * Runs where datagrams arrive; never touches media beyond the rings. */
#include <string.h>

#include "base/bytes.h"
#include "base/log.h"
#include "engine/call/call.h"
#include "engine/call/call_video.h"
#include "net/demux/demux.h"

#define RTCP_INTERVAL_US PL_MS(1000) /* small two-party session: fixed ~1 s */
#define RTCP_MAX 512

int pl_call_net_init(pl_call *c) {
  pl_pkt_queue_init(&c->txq);
  pl_pkt_queue_init(&c->early);
  int rc = pl_pkt_pool_init(&c->pool, PL_CALL_TXQ);
  if (rc)
    return rc;
  rc = pl_call_cc_init(c);
  if (rc)
    return rc;
  pl_rtp_send_stats_init(&c->sstats);
  c->seq = (uint16_t)pl_rng_u64(&c->rng);
  c->rtt_us = -1;
  c->next_rtcp = PL_TIME_NEVER;
  return 0;
}

void pl_call_net_destroy(pl_call *c) {
  pl_call_cc_destroy(c);
  pl_pkt *p;
  while ((p = pl_pkt_queue_pop(&c->txq)))
    pl_pkt_put(&c->pool, p);
  while ((p = pl_pkt_queue_pop(&c->early)))
    pl_pkt_put(&c->pool, p);
  pl_pkt_pool_destroy(&c->pool);
  if (c->srtp)
    pl_srtp_free(c->srtp);
  c->srtp = NULL;
}

pl_pkt *pl_call_net_next_tx(pl_call *c) { return pl_pkt_queue_pop(&c->txq); }

/* The pool is one slab, so a packet's index names its socket slot. */
void pl_call_net_queue(pl_call *c, pl_pkt *p, int sock) {
  if (pl_call_turn_is_relay(c, sock)) {
    sock = pl_call_turn_wrap(c, p, sock); /* framed for the TURN server */
    if (sock < 0) {
      c->send_failed++;
      pl_pkt_put(&c->pool, p);
      return;
    }
  }
  c->pkt_sock[p - c->pool.slab] = (uint8_t)sock;
  pl_pkt_queue_push(&c->txq, p);
}

int pl_call_net_pkt_socket(const pl_call *c, const pl_pkt *p) {
  return c->pkt_sock[p - c->pool.slab];
}
void pl_call_net_release(pl_call *c, pl_pkt *p) { pl_pkt_put(&c->pool, p); }

static uint64_t wall_ntp(const pl_call *c, pl_time_us now) {
  return pl_ntp_from_unix_us(now + c->wall_offset_us);
}

uint64_t pl_call_wall_ntp(const pl_call *c, pl_time_us now) { return wall_ntp(c, now); }

/* Queue a cleartext RTP or RTCP packet already in p->data as SRTP. */
static void queue_protected(pl_call *c, pl_pkt *p, bool rtcp) {
  int rc = rtcp ? pl_srtp_protect_rtcp(c->srtp, p->data, &p->len, pl_pkt_tailroom(p) + p->len)
                : pl_srtp_protect_rtp(c->srtp, p->data, &p->len, pl_pkt_tailroom(p) + p->len);
  if (rc) {
    c->send_failed++;
    pl_pkt_put(&c->pool, p);
    return;
  }
  p->addr = c->remote;
  pl_call_net_queue(c, p, c->tx_sock);
  c->bytes_sent += p->len;
}

void pl_call_net_send_protected(pl_call *c, pl_pkt *p, bool rtcp) { queue_protected(c, p, rtcp); }

void pl_call_net_feedback_begin(pl_call *c, pl_rtcp_writer *w, uint8_t *buf, size_t cap,
                                uint32_t ssrc) {
  /* A compound packet (RFC 4585 3.1): an empty RR and our CNAME first. */
  pl_rtcp_writer_init(w, buf, cap, false);
  pl_rtcp_rr rr;
  memset(&rr, 0, sizeof rr);
  rr.ssrc = ssrc;
  pl_rtcp_write_rr(w, &rr);
  pl_rtcp_sdes_chunk chunk = {.ssrc = ssrc, .cname = (const uint8_t *)c->cname,
                              .cname_len = (uint8_t)strlen(c->cname)};
  pl_rtcp_write_sdes(w, &chunk, 1);
}

static int build_rtcp(pl_call *c, pl_time_us now, uint8_t *buf, size_t cap, bool bye) {
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, buf, cap, false);
  static const pl_rtcp_report_block empty;
  pl_rtcp_report_block rb = empty;
  bool have_rb = c->rstats_started && pl_rtp_recv_stats_report(&c->rstats, now, &rb) == 0;
  if (c->sstats.packets > 0) {
    pl_rtcp_sr sr;
    memset(&sr, 0, sizeof sr);
    /* RTP time of `now`, extrapolated from the last packet sent. */
    uint32_t ts = c->last_tx_ts + (uint32_t)((now - c->last_tx_us) * PL_OPUS_RTP_CLOCK / 1000000);
    pl_rtp_send_stats_fill_sr(&c->sstats, &sr, c->local_ssrc, wall_ntp(c, now), ts);
    if (have_rb)
      sr.reports[sr.report_count++] = rb;
    if (pl_call_video_report_block(c, now, &sr.reports[sr.report_count]))
      sr.report_count++;
    pl_rtcp_write_sr(&w, &sr);
  } else {
    pl_rtcp_rr rr;
    memset(&rr, 0, sizeof rr);
    rr.ssrc = c->local_ssrc;
    if (have_rb)
      rr.reports[rr.report_count++] = rb;
    if (pl_call_video_report_block(c, now, &rr.reports[rr.report_count]))
      rr.report_count++;
    pl_rtcp_write_rr(&w, &rr);
  }
  pl_rtcp_sr vsr;
  if (pl_call_video_sender_report(c, now, &vsr))
    pl_rtcp_write_sr(&w, &vsr);
  pl_rtcp_sdes_chunk chunk = {.ssrc = c->local_ssrc, .cname = (const uint8_t *)c->cname,
                              .cname_len = (uint8_t)strlen(c->cname)};
  pl_rtcp_write_sdes(&w, &chunk, 1);
  if (!bye)
    pl_call_video_write_capture_app(c, &w);
  if (bye)
    pl_rtcp_write_bye(&w, &c->local_ssrc, 1, "hangup");
  return pl_rtcp_writer_finish(&w);
}

static void send_rtcp(pl_call *c, pl_time_us now, bool bye) {
  pl_pkt *p = pl_pkt_get(&c->pool);
  if (!p) {
    c->send_failed++;
    return;
  }
  int n = build_rtcp(c, now, p->data, RTCP_MAX, bye);
  if (n <= 0) {
    pl_pkt_put(&c->pool, p);
    return;
  }
  p->len = (size_t)n;
  queue_protected(c, p, true);
}

void pl_call_net_rtcp_now(pl_call *c, pl_time_us now) {
  if (c->srtp && c->remote_known)
    send_rtcp(c, now, false);
}

void pl_call_net_bye(pl_call *c, pl_time_us now) {
  if (c->bye_sent || !c->srtp || !c->remote_known)
    return;
  c->bye_sent = true;
  send_rtcp(c, now, true);
}

static void update_rates(pl_call *c, pl_time_us now) {
  if (c->rate_t0 == 0) {
    c->rate_t0 = now;
    return;
  }
  pl_time_us dt = now - c->rate_t0;
  if (dt < PL_MS(1000))
    return;
  c->send_bps = (double)(c->bytes_sent - c->rate_sent0) * 8e6 / (double)dt;
  c->recv_bps = (double)(c->bytes_received - c->rate_recv0) * 8e6 / (double)dt;
  c->rate_sent0 = c->bytes_sent;
  c->rate_recv0 = c->bytes_received;
  c->rate_t0 = now;
}

void pl_call_net_flush(pl_call *c, pl_time_us now) {
  pl_tx_item *it;
  while ((it = pl_ring_peek(&c->tx_ring))) {
    if (atomic_load(&c->state) != PL_CALL_ACTIVE || !c->srtp) {
      pl_ring_release(&c->tx_ring);
      continue;
    }
    pl_pkt *p = pl_pkt_get(&c->pool);
    if (!p) {
      c->send_failed++;
      pl_ring_release(&c->tx_ring);
      continue;
    }
    pl_rtp_header h;
    memset(&h, 0, sizeof h);
    h.marker = it->marker;
    h.pt = (uint8_t)(it->red ? c->red_pt : c->pt);
    h.seq = c->seq++;
    h.ts = it->ts;
    h.ssrc = c->local_ssrc;
    pl_rtp_ext_builder ext;
    pl_rtp_ext_builder_init(&ext);
    if (c->ext_mid_id && c->wrtc->mid[0])
      pl_rtp_ext_add_mid(&ext, (uint8_t)c->ext_mid_id, c->wrtc->mid);
    if (c->ext_capture_id) {
      uint8_t ntp[8];
      pl_put_be64(ntp, wall_ntp(c, it->capture_us));
      pl_rtp_ext_add(&ext, (uint8_t)c->ext_capture_id, ntp, 8);
    }
    /* The transport-wide number is written as the packet leaves the pacer. */
    if (c->ext_twcc_id)
      pl_rtp_ext_add_transport_seq(&ext, (uint8_t)c->ext_twcc_id, 0);
    bool any_ext = c->ext_capture_id || c->ext_twcc_id || (c->ext_mid_id && c->wrtc->mid[0]);
    /* The payload goes after the largest header we could write: 12 fixed,
     * 4 extension header, mid (up to 16 + 1), abs-capture-time (9) and the
     * transport-wide number (3), padded to a word. */
    size_t hdr_room = 12 + 4 + 32;
    memcpy(p->data + hdr_room, it->payload, it->len);
    h.payload = p->data + hdr_room;
    h.payload_len = it->len;
    int n = pl_rtp_write(&h, any_ext ? &ext : NULL, p->data,
                         PL_PKT_CAPACITY - 64);
    pl_ring_release(&c->tx_ring);
    if (n < 0) {
      c->send_failed++;
      pl_pkt_put(&c->pool, p);
      continue;
    }
    p->len = (size_t)n;
    pl_rtp_send_stats_on_packet(&c->sstats, h.payload_len);
    c->packets_sent++;
    c->last_tx_ts = h.ts;
    c->last_tx_us = now;
    pl_call_cc_send(c, now, p, PL_PACE_AUDIO);
  }
  pl_call_video_net_flush(c, now);
  update_rates(c, now);
}

static void handle_rtcp(pl_call *c, pl_time_us now, const uint8_t *data, size_t len) {
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_iter_init(&it, data, len);
  int rc;
  while ((rc = pl_rtcp_iter_next(&it, &pkt)) == 1) {
    const pl_rtcp_report_block *rbs = NULL;
    int nrb = 0;
    pl_rtcp_sr sr;
    pl_rtcp_rr rr;
    if (pkt.pt == 200 && pl_rtcp_sr_parse(&sr, &pkt) == 0) {
      if (c->rstats_started && sr.ssrc == c->remote_ssrc)
        pl_rtp_recv_stats_on_sr(&c->rstats, sr.ntp, now);
      else
        pl_call_video_on_sr(c, &sr, now);
      rbs = sr.reports;
      nrb = sr.report_count;
    } else if (pkt.pt == 201 && pl_rtcp_rr_parse(&rr, &pkt) == 0) {
      rbs = rr.reports;
      nrb = rr.report_count;
    } else if (pl_call_cc_on_rtcp(c, now, &pkt) || pl_call_video_net_rtcp(c, now, &pkt)) {
      continue;
    } else if (pkt.pt == 203) {
      pl_rtcp_bye bye;
      if (pl_rtcp_bye_parse(&bye, &pkt) == 0 && atomic_load(&c->state) != PL_CALL_CLOSED) {
        atomic_store(&c->state, PL_CALL_CLOSED);
        pl_call_emit(c, PL_EVENT_REMOTE_BYE, 0, "RTCP BYE");
        if (c->webrtc)
          pl_dc_call_ended(c, now); /* the call is over: its data channels too */
        return;
      }
    }
    for (int i = 0; i < nrb; i++) {
      if (rbs[i].ssrc != c->local_ssrc)
        continue;
      c->remote_fraction_lost = rbs[i].fraction_lost / 256.0;
      atomic_store(&c->remote_loss_q8, rbs[i].fraction_lost);
      pl_time_us rtt = 0;
      if (pl_rtcp_rtt_us(&rbs[i], pl_ntp_compact(wall_ntp(c, now)), &rtt) == 0) {
        c->rtt_us = rtt;
        pl_call_video_set_rtt(c, rtt);
      } else {
        rtt = 0;
      }
      pl_call_cc_on_report(c, now, rtt, c->remote_fraction_lost, 0);
      pl_call_red_on_report(c, c->remote_fraction_lost);
    }
  }
  if (rc < 0)
    c->dropped++;
}

static void handle_rtp(pl_call *c, pl_time_us now, const uint8_t *data, size_t len) {
  pl_rtp_header h;
  bool parsed = pl_rtp_parse(&h, data, len) == 0; /* once per packet */
  /* Authenticated (SRTP) and well formed: the congestion controller's
   * feedback counts it, whatever stream it belongs to (padding too). */
  if (parsed)
    pl_call_cc_on_rtp(c, now, &h, len);
  if (parsed && pl_call_video_owns_rtp(c, &h)) {
    pl_call_video_net_rtp(c, now, &h, data, len);
    return;
  }
  bool red = parsed && c->red_pt >= 0 && h.pt == c->red_pt;
  if (!parsed || (h.pt != c->pt && !red) ||
      (c->remote_ssrc_known && h.ssrc != c->remote_ssrc) ||
      h.payload_len > (red ? PL_CALL_MAX_RED_PAYLOAD : PL_CALL_MAX_PAYLOAD)) {
    c->dropped++;
    return;
  }
  if (!c->rstats_started) {
    c->remote_ssrc = h.ssrc;
    c->remote_ssrc_known = true;
    pl_rtp_recv_stats_init(&c->rstats, h.ssrc, PL_OPUS_RTP_CLOCK);
    c->rstats_started = true;
  }
  pl_rtp_recv_stats_update(&c->rstats, &h, now);
  c->packets_received++;
  /* Padding only (libwebrtc probes the path with these on the audio stream
   * once RED is negotiated): counted above for RTP loss, no media to play. */
  if (h.payload_len == 0)
    return;
  pl_rx_item *it = pl_ring_reserve(&c->rx_ring);
  if (!it) {
    c->dropped++; /* media half is not keeping up: counted, never waited on */
    return;
  }
  it->arrival = now;
  it->seq = h.seq;
  it->ts = h.ts;
  it->len = (uint16_t)h.payload_len;
  it->red = red;
  it->capture_ntp = 0;
  pl_rtp_ext e;
  if (c->ext_capture_id && pl_rtp_ext_find(&h, (uint8_t)c->ext_capture_id, &e) == 0 &&
      e.len >= 8) {
    it->capture_ntp = pl_be64(e.data);
    /* One-way delay on the wall clock: exact in the lab (one clock), as good
     * as the hosts' clock sync between machines. */
    uint64_t now_ntp = wall_ntp(c, now);
    double d = ((double)(int64_t)(now_ntp - it->capture_ntp)) * 1e6 / 4294967296.0;
    if (d > -1e6 && d < 1e7) {
      c->net_delay_sum_us += d;
      c->net_delay_n++;
    }
  }
  memcpy(it->payload, h.payload, h.payload_len);
  pl_ring_commit(&c->rx_ring);
}

static int net_input(pl_call *c, pl_time_us now, int sock, const pl_addr *from, uint8_t *data,
                     size_t len);

/* Media held back before our DTLS finished, handed over as arriving now. */
static void drain_early(pl_call *c, pl_time_us now) {
  pl_pkt *p;
  while ((p = pl_pkt_queue_pop(&c->early))) {
    if (atomic_load(&c->state) == PL_CALL_ACTIVE)
      net_input(c, now, c->pkt_sock[p - c->pool.slab], &p->addr, p->data, p->len);
    else
      c->dropped++;
    pl_pkt_put(&c->pool, p);
  }
}

int pl_call_net_input(pl_call *c, pl_time_us now, int sock, const pl_addr *from,
                      uint8_t *data, size_t len) {
  int rc = net_input(c, now, sock, from, data, len);
  if (c->early.count && atomic_load(&c->state) != PL_CALL_CONNECTING)
    drain_early(c, now);
  return rc;
}

static int net_input(pl_call *c, pl_time_us now, int sock, const pl_addr *from, uint8_t *data,
                     size_t len) {
  int st = atomic_load(&c->state);
  if (c->webrtc && c->wrtc->n_turn && sock < PL_CALL_RELAY_SOCK) {
    /* A TURN server's datagram: its control, or a peer's datagram relayed,
     * which goes on as if it came in on the relayed candidate's socket. */
    pl_turn_rx rx;
    int relay = -1;
    int r = pl_call_turn_input(c, now, sock, from, data, len, &relay, &rx);
    if (r == 1)
      return net_input(c, now, relay, &rx.peer, (uint8_t *)rx.data, rx.len);
    if (r == 0)
      return 0;
  }
  if (c->webrtc && c->cfg.ice_relay_only && sock < PL_CALL_RELAY_SOCK) {
    c->dropped++; /* relay-only: nothing but the servers on real sockets */
    return PL_EAUTH;
  }
  if (c->webrtc && st != PL_CALL_IDLE && st != PL_CALL_CLOSED) {
    /* ICE and DTLS first; what comes back is SRTP from the selected path. */
    int r = pl_wrtc_input(c, now, sock, from, data, len);
    if (r <= 0) {
      if (r < 0)
        c->dropped++;
      return r;
    }
    st = atomic_load(&c->state);
  }
  /* A keyed DTLS server waiting for the client's first packet. */
  bool awaiting = c->webrtc && st == PL_CALL_CONNECTING && c->wrtc->await_peer;
  /* After the call has ended, what still arrives is the tail of the other
   * side's closing (its DTLS close_notify follows its RTCP BYE) or packets
   * that were in flight: ignored, not counted as refused input. */
  if (st == PL_CALL_CLOSED)
    return PL_ESTATE;
  if ((st != PL_CALL_ACTIVE && !awaiting) || !c->srtp) {
    c->dropped++;
    return PL_ESTATE;
  }
  if (!c->webrtc && c->remote_known && !pl_addr_equal(from, &c->remote)) {
    c->dropped++; /* not our peer: no latching onto strangers */
    return PL_EAUTH;
  }
  pl_demux_kind k = pl_demux_classify(data, len);
  int rc;
  if (k == PL_DEMUX_RTCP) {
    rc = pl_srtp_unprotect_rtcp(c->srtp, data, &len);
    if (rc == 0 && awaiting)
      pl_wrtc_peer_keyed(c, now);
    if (rc == 0)
      handle_rtcp(c, now, data, len);
  } else if (k == PL_DEMUX_RTP) {
    rc = pl_srtp_unprotect_rtp(c->srtp, data, &len);
    if (rc == 0 && awaiting)
      pl_wrtc_peer_keyed(c, now);
    if (rc == 0)
      handle_rtp(c, now, data, len);
  } else {
    rc = PL_EPARSE;
  }
  if (rc) {
    c->dropped++;
    return rc;
  }
  c->bytes_received += len;
  c->last_heard = now;
  if (!c->connected_event) {
    c->connected_event = true;
    pl_call_emit(c, PL_EVENT_CONNECTED, 0, "media from peer");
  }
  return 0;
}

void pl_call_net_timeout(pl_call *c, pl_time_us now) {
  int st = atomic_load(&c->state);
  if (c->webrtc && st != PL_CALL_IDLE && st != PL_CALL_CLOSED)
    pl_wrtc_timeout(c, now);
  if (c->early.count && atomic_load(&c->state) != PL_CALL_CONNECTING)
    drain_early(c, now);
  if (atomic_load(&c->state) != PL_CALL_ACTIVE)
    return;
  if (now >= c->next_rtcp) {
    send_rtcp(c, now, false);
    /* RFC 3550 6.3.1: randomise to [0.5, 1.5] x interval against sync. */
    c->next_rtcp = now + RTCP_INTERVAL_US / 2 +
                   (pl_time_us)pl_rng_below(&c->rng, (uint64_t)RTCP_INTERVAL_US);
  }
  pl_call_video_net_timeout(c, now);
  pl_call_cc_timeout(c, now);
  pl_time_us quiet = PL_MS(c->cfg.peer_timeout_ms);
  if (!c->timeout_event && now - c->last_heard > quiet) {
    c->timeout_event = true;
    pl_call_emit(c, PL_EVENT_TIMEOUT, PL_ETIMEDOUT,
                 c->connected_event ? "peer went silent" : "no media ever arrived");
  }
  update_rates(c, now);
}

pl_time_us pl_call_net_deadline(const pl_call *c) {
  int st = atomic_load(&c->state);
  pl_time_us w = c->webrtc && st != PL_CALL_IDLE && st != PL_CALL_CLOSED ? pl_wrtc_deadline(c)
                                                                         : PL_TIME_NEVER;
  if (st != PL_CALL_ACTIVE)
    return w;
  pl_time_us d = pl_time_min(c->next_rtcp, w);
  d = pl_time_min(d, pl_call_video_net_deadline(c));
  d = pl_time_min(d, pl_call_cc_deadline(c));
  if (!c->timeout_event)
    d = pl_time_min(d, c->last_heard + PL_MS(c->cfg.peer_timeout_ms) + 1);
  return d;
}
