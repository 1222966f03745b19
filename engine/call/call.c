/* Call objects: configuration, lifetime, sources and sinks, stage
 * switching, statistics, events, and the sans-IO entry points that tie the
 * network and media halves together. Offer/answer is in call_sdp.c. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/call/call_video.h"
#include "engine/engine.h"
#include "engine/whip.h"

void pl_call_config_init(pl_call_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->bind = "127.0.0.1:0";
  cfg->channels = 1;
  cfg->opus_bitrate = 32000;
  cfg->opus_frame_ms = 20;
  cfg->opus_fec = true;
  cfg->opus_neural = true;
  cfg->opus_bwe = true;
  cfg->crypto = PL_CRYPTO_AES_CM_128_HMAC_SHA1_80;
  cfg->jitter_min_ms = 20;
  cfg->jitter_max_ms = 500;
  cfg->peer_timeout_ms = 10000;
  cfg->video_codec = 8;
  cfg->video_bitrate = 800000;
  cfg->video_fps = 30;
}

static int check_config(const pl_call_config *c) {
  if (c->channels != 1 && c->channels != 2)
    return PL_EINVAL;
  if (c->opus_frame_ms != 10 && c->opus_frame_ms != 20 && c->opus_frame_ms != 40 &&
      c->opus_frame_ms != 60)
    return PL_EINVAL;
  if (c->opus_bitrate < 6000 || c->opus_bitrate > 510000)
    return PL_EINVAL;
  if (c->crypto != PL_CRYPTO_AES_CM_128_HMAC_SHA1_80 && c->crypto != PL_CRYPTO_AEAD_AES_128_GCM)
    return PL_EINVAL;
  if (c->jitter_min_ms < 0 || c->jitter_max_ms < c->jitter_min_ms || c->jitter_max_ms > 5000)
    return PL_EINVAL;
  if (c->video && ((c->video_codec != 8 && c->video_codec != 9) || c->video_bitrate < 30000 ||
                   c->video_bitrate > 20000000 || c->video_fps < 1 || c->video_fps > 60))
    return PL_EINVAL;
  if (c->peer_timeout_ms <= 0 || c->opus_complexity < 0 || c->opus_complexity > 11)
    return PL_EINVAL;
  if (c->consent_timeout_ms < 0 || (c->consent_timeout_ms && c->consent_timeout_ms < 1000))
    return PL_EINVAL; /* under a second, one lost consent check ends the call */
  if (c->red < PL_RED_AUTO || c->red > PL_RED_MAX_DISTANCE)
    return PL_EINVAL;
  if (c->transport != PL_TRANSPORT_AUTO && c->transport != PL_TRANSPORT_SDES &&
      c->transport != PL_TRANSPORT_WEBRTC)
    return PL_EINVAL;
  if (c->transport == PL_TRANSPORT_SDES && c->ice_lite)
    return PL_EINVAL;
  return 0;
}

pl_engine *pl_call_engine(const pl_call *call) { return call->engine; }

void pl_call_emit(pl_call *c, pl_event_type type, int err, const char *detail) {
  if (c->cfg.on_event) {
    pl_event ev = {.type = type, .error = err, .detail = detail};
    c->cfg.on_event(c, &ev, c->cfg.user);
  }
}

/* The call's own state; no sockets yet (pl_call_new in engine/engine.c). */
int pl_call_core_new_(pl_call **out, pl_engine *engine, const pl_call_config *cfg) {
  *out = NULL;
  int rc = check_config(cfg);
  if (rc)
    return rc;
  pl_call *c = calloc(1, sizeof *c);
  if (!c)
    return PL_ENOMEM;
  c->engine = engine;
  c->cfg = *cfg;
  c->channels = cfg->channels;
  c->media_worker = -1;
  atomic_init(&c->media_out, false);
  uint64_t seed = cfg->seed;
  if (!seed && RAND_bytes((unsigned char *)&seed, sizeof seed) != 1)
    seed = (uint64_t)time(NULL);
  pl_rng_seed(&c->rng, seed);
  c->local_ssrc = (uint32_t)pl_rng_u64(&c->rng);
  c->red_pt = -1;
  static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (int i = 0; i < 16; i++)
    c->cname[i] = alnum[pl_rng_below(&c->rng, sizeof alnum - 1)];
  c->sess_id = pl_rng_u64(&c->rng) >> 2; /* < 2^62: RFC 8829 5.2.1 wants < 2^63 */
  pthread_mutex_init(&c->snap_lock, NULL);
  atomic_init(&c->state, PL_CALL_IDLE);
  rc = pl_call_net_init(c);
  if (!rc)
    rc = pl_call_media_init(c);
  if (rc) {
    pl_call_destroy_(c);
    return rc;
  }
  *out = c;
  return 0;
}

int pl_call_core_start_(pl_call *c) { return pl_wrtc_init(c); }

/* Frees what the call owns (safe on a call that only got part way through
 * pl_call_core_new_/start_); the driver calls it once libuv let go. */
void pl_call_destroy_(pl_call *c) {
  pl_wrtc_free(c);
  pl_call_media_destroy(c);
  pl_call_net_destroy(c);
  pthread_mutex_destroy(&c->snap_lock);
  free(c);
}

void pl_call_mark_output_(pl_call *c) {
  pl_engine *e = c->engine;
  if (!e->loop || c->output_marked)
    return; /* sans-IO: the app polls after every call anyway */
  c->output_marked = true;
  c->output_next = e->output;
  e->output = c;
}

int pl_call_set_audio_source(pl_call *c, const pl_audio_io *io) {
  if (!io || !io->read)
    return PL_EINVAL;
  if (atomic_load(&c->state) == PL_CALL_ACTIVE)
    return PL_ESTATE;
  if (c->has_source && c->source.close)
    c->source.close(c->source.user);
  c->source = *io;
  c->has_source = true;
  return 0;
}

int pl_call_set_audio_sink(pl_call *c, const pl_audio_io *io) {
  if (!io || !io->write)
    return PL_EINVAL;
  if (atomic_load(&c->state) == PL_CALL_ACTIVE)
    return PL_ESTATE;
  if (c->has_sink && c->sink.close)
    c->sink.close(c->sink.user);
  c->sink = *io;
  c->has_sink = true;
  return 0;
}

int pl_call_set_stage(pl_call *c, const char *name, bool on) {
  if (!name)
    return PL_EINVAL;
  if (!strcmp(name, "upscale"))
    return pl_call_video_set_upscale(c, on ? PL_UPSCALE_ON : PL_UPSCALE_OFF);
  int a = pl_graph_request(&c->send_graph, name, on);
  int b = pl_graph_request(&c->recv_graph, name, on);
  int d = pl_call_ai_set(c, name, on);
  return a == 0 || b == 0 || d == 0 ? 0 : PL_ENOENT;
}

int pl_call_set_stage_mode(pl_call *c, const char *name, pl_stage_mode mode) {
  if (!c || !name || mode < PL_STAGE_OFF || mode > PL_STAGE_AUTO)
    return PL_EINVAL;
  if (!strcmp(name, "upscale"))
    return pl_call_video_set_upscale(c, (int)mode); /* same numbering */
  int rc = pl_call_ai_set_mode(c, name, (int)mode);
  if (rc != PL_ENOENT)
    return rc;
  if (mode == PL_STAGE_AUTO)
    return pl_call_set_stage(c, name, true) == 0 ? PL_ENOTSUP : PL_ENOENT;
  return pl_call_set_stage(c, name, mode == PL_STAGE_ON);
}

int pl_call_hangup(pl_call *c) {
  int st = atomic_load(&c->state);
  if (st == PL_CALL_ACTIVE || (c->webrtc && st != PL_CALL_CLOSED && st != PL_CALL_IDLE)) {
    pl_time_us now = c->last_tx_us > c->last_heard ? c->last_tx_us : c->last_heard;
    if (c->webrtc && c->wrtc->now > now)
      now = c->wrtc->now;
    if (c->engine->loop)
      now = pl_time_now_real();
    if (st == PL_CALL_ACTIVE)
      pl_call_net_bye(c, now);
    if (c->webrtc) {
      c->wrtc->now = now;
      pl_wrtc_close(c); /* DTLS close_notify after the BYE */
    }
    pl_call_mark_output_(c); /* the BYE, sent before the loop next waits */
  }
  atomic_store(&c->state, PL_CALL_CLOSED);
  return 0;
}

void pl_call_progress_(const pl_call *c, pl_call_progress *p) {
  memset(p, 0, sizeof *p);
  int st = atomic_load(&c->state);
  if (c->webrtc) {
    const pl_wrtc *w = c->wrtc;
    p->connected = w->conn_state == PL_CONNECTION_CONNECTED;
    p->ended = st == PL_CALL_CLOSED || w->conn_state == PL_CONNECTION_FAILED ||
               w->conn_state == PL_CONNECTION_CLOSED;
    p->ice_connected = w->ice_state == PL_ICE_CONNECTION_CONNECTED ||
                       w->ice_state == PL_ICE_CONNECTION_COMPLETED;
    if (w->ice) {
      pl_ice_stats is = pl_ice_get_stats(w->ice);
      p->ice_activity = is.checks_received + is.responses_received;
    }
  } else {
    /* SDES: no handshake; the first authenticated packet is the proof. */
    p->connected = st == PL_CALL_ACTIVE && c->last_heard != 0;
    p->ended = st == PL_CALL_CLOSED;
  }
}

int pl_call_get_stats(pl_call *c, pl_call_stats *s) {
  memset(s, 0, sizeof *s);
  pl_media_snapshot m;
  pl_call_media_snapshot(c, &m);
  pl_time_us last = c->last_heard > c->last_tx_us ? c->last_heard : c->last_tx_us;
  s->duration_s = c->start_us && last > c->start_us ? (double)(last - c->start_us) / 1e6 : 0;
  s->packets_sent = c->packets_sent;
  s->bytes_sent = c->sstats.octets;
  s->send_bitrate_bps = c->send_bps;
  s->packets_received = c->rstats_started ? c->rstats.packets : 0;
  s->bytes_received = c->rstats_started ? c->rstats.payload_bytes : 0;
  s->recv_bitrate_bps = c->recv_bps;
  if (c->rstats_started) {
    int64_t expected = (int64_t)pl_rtp_recv_stats_ext_max(&c->rstats) - c->rstats.base_seq + 1;
    s->packets_lost = expected - (int64_t)c->rstats.received;
    s->jitter_s = c->rstats.jitter / PL_OPUS_RTP_CLOCK;
  }
  s->packets_discarded = m.jb.packets_discarded + m.jb.packets_duplicated;
  s->packets_dropped = c->dropped + m.red_rx_bad;
  pl_call_cc_fill_stats(c, s);
  s->packets_send_failed = c->send_failed;
  if (c->srtp) {
    const pl_srtp_stats *ss = pl_srtp_get_stats(c->srtp);
    s->srtp_auth_failures = ss->auth_fail;
    s->srtp_replays = ss->replay;
  }
  s->fraction_lost = c->remote_fraction_lost;
  s->rtt_s = c->rtt_us >= 0 ? (double)c->rtt_us / 1e6 : -1;
  double emitted = (double)m.jb.jitter_buffer_emitted_count;
  s->jitter_buffer_delay_s = emitted > 0 ? m.jb.jitter_buffer_delay / emitted : 0;
  s->jitter_buffer_target_delay_s =
      emitted > 0 ? m.jb.jitter_buffer_target_delay / emitted : m.target_delay_ms / 1000.0;
  s->total_samples_received = m.jb.total_samples_received;
  s->concealed_samples = m.jb.concealed_samples;
  s->silent_concealed_samples = m.jb.silent_concealed_samples;
  s->concealment_events = m.jb.concealment_events;
  s->dred_recovered_samples = m.jb.dred_recovered_samples;
  s->inserted_samples_for_deceleration = m.jb.inserted_samples_for_deceleration;
  s->removed_samples_for_acceleration = m.jb.removed_samples_for_acceleration;
  /* Capture -> playout. A packet's capture stamp is the tick its first
   * 10 ms frame entered the engine, and the jitter buffer counts each
   * sample from its packet's arrival to the tick that emits its 10 ms
   * frame, so its average runs (frame_ms/2 - 5 ms) above what the first
   * frame waits. Add the codec's look-ahead: */
  if (c->net_delay_n && emitted > 0) {
    double net = c->net_delay_sum_us / (double)c->net_delay_n / 1e6;
    s->mouth_to_ear_s = net + s->jitter_buffer_delay_s -
                        (c->cfg.opus_frame_ms / 2.0 - PL_AUDIO_FRAME_MS / 2.0) / 1000.0 +
                        PL_OPUS_LOOKAHEAD / (double)PL_AUDIO_RATE;
  } else {
    s->mouth_to_ear_s = -1;
  }
  s->dtls_connected_s = -1;
  pl_wrtc_fill_stats(c, s);
  pl_call_video_fill_stats(c, s);
  s->voice_activity = m.voice_activity;
  s->extend_cutoff_hz = m.extend_cutoff_hz;
  s->music_probability = m.music_probability;
  s->opus_music = m.opus_music;
  s->opus_signal_switches = m.opus_signal_switches;
  s->dtx_packets_sent = m.dtx_packets;
  s->fec_packets_received = m.jb.fec_packets_received;
  s->fec_packets_discarded = m.jb.fec_packets_discarded;
  s->red_recovered = m.jb.red_recovered;
  s->red_distance = m.red_distance;
  s->red_protection = m.red_protection;
  s->red_packets_sent = m.red_packets_sent;
  s->voice_gated_packets = m.voice_gated_packets;
  s->n_send_stages = m.n_send;
  s->n_recv_stages = m.n_recv;
  memcpy(s->send_stages, m.send_stages, sizeof s->send_stages);
  memcpy(s->recv_stages, m.recv_stages, sizeof s->recv_stages);
  return 0;
}

/* First contact with a clock after activation: start the timers. */
static void start_clock(pl_call *c, pl_time_us now) {
  if (c->start_us || atomic_load(&c->state) != PL_CALL_ACTIVE)
    return;
  c->start_us = now ? now : 1;
  c->last_heard = now;
  c->next_rtcp = now + PL_MS(500);
}

void pl_call_start_clock_(pl_call *c, pl_time_us now) { start_clock(c, now); }

int pl_call_input(pl_call *c, int64_t now, const void *from, const uint8_t *data, size_t len) {
  if (!from || !data)
    return PL_EINVAL;
  if (len > PL_PKT_CAPACITY) {
    c->dropped++;
    return PL_ETRUNC;
  }
  start_clock(c, now);
  pl_addr a;
  memcpy(&a.ss, from, sizeof a.ss);
  uint8_t buf[PL_PKT_CAPACITY];
  memcpy(buf, data, len); /* SRTP decrypts in place; the caller's bytes are const */
  return pl_call_net_input(c, now, 0, &a, buf, len);
}

int pl_call_timeout(pl_call *c, int64_t now) {
  start_clock(c, now);
  pl_call_net_timeout(c, now);
  pl_call_media_tick(c, now);
  pl_call_net_flush(c, now);
  pl_call_emit_pending(c);
  return 0;
}

void pl_call_emit_pending(pl_call *c) {
  if (!c->source_end_emitted && atomic_load(&c->source_ended_flag)) {
    c->source_end_emitted = true;
    pl_call_emit(c, PL_EVENT_SOURCE_ENDED, 0, "source ended");
  }
}

int pl_call_poll_transmit(pl_call *c, uint8_t *buf, size_t cap, void *to) {
  pl_pkt *p = pl_call_net_next_tx(c);
  if (!p)
    return 0;
  int n = (int)p->len;
  if (p->len > cap) {
    n = PL_EFULL;
  } else {
    memcpy(buf, p->data, p->len);
    if (to)
      memcpy(to, &p->addr.ss, sizeof p->addr.ss);
  }
  pl_call_net_release(c, p);
  return n;
}

int64_t pl_call_deadline(pl_call *c) {
  if (atomic_load(&c->state) != PL_CALL_ACTIVE)
    return c->webrtc ? pl_call_net_deadline(c) : PL_TIME_NEVER;
  if (!c->start_us)
    return 0;
  pl_time_us d = pl_call_net_deadline(c);
  if (c->enc)
    d = pl_time_min(d, c->media_started ? c->next_tick : 0);
  return d;
}

/* ---- WebRTC signaling helpers ------------------------------------------- */

int pl_call_add_remote_candidate(pl_call *c, const char *cand) {
  if (!c)
    return PL_EINVAL;
  pl_wrtc *w = c->wrtc;
  if (!c->webrtc || !w->ice || !w->remote_desc)
    return PL_ESTATE;
  if (c->engine->loop)
    w->now = pl_time_now_real();
  while (cand && (*cand == ' ' || *cand == '\t'))
    cand++;
  if (!cand || !*cand || !strncmp(cand, "end-of-candidates", 17) ||
      !strncmp(cand, "a=end-of-candidates", 19)) {
    pl_ice_end_of_remote_candidates(w->ice, w->now);
  } else {
    size_t n = strcspn(cand, "\r\n");
    pl_sdp_candidate sc;
    int rc = pl_sdp_candidate_parse(&sc, cand, n);
    if (!rc)
      rc = pl_wrtc_add_candidate(c, &sc);
    if (rc)
      return rc;
  }
  pl_wrtc_pump(c);
  pl_call_mark_output_(c);
  return 0;
}

int pl_call_local_candidates(pl_call *c, bool only_new, char *buf, size_t cap) {
  if (!c || !buf)
    return PL_EINVAL;
  if (!c->webrtc)
    return PL_ESTATE;
  return pl_wrtc_candidates_text(c, only_new, buf, cap);
}

int pl_call_ice_credentials(pl_call *c, char *ufrag, size_t ucap, char *pwd, size_t pcap) {
  if (!c || !ufrag || !pwd)
    return PL_EINVAL;
  if (!c->webrtc)
    return PL_ESTATE;
  int a = snprintf(ufrag, ucap, "%s", c->wrtc->ufrag);
  int b = snprintf(pwd, pcap, "%s", c->wrtc->pwd);
  return a < 0 || (size_t)a >= ucap || b < 0 || (size_t)b >= pcap ? PL_EFULL : 0;
}
