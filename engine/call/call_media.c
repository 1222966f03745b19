/* The media half of a call, one 10 ms step at a time: source -> send graph
 * -> Opus encoder -> tx ring; rx ring -> jitter buffer (decoder and
 * concealment inside) -> receive graph -> sink. Nothing here allocates,
 * blocks or logs once the call runs. */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/call/call_video.h"

#define TICK_US PL_MS(PL_AUDIO_FRAME_MS)

int pl_call_media_init(pl_call *c) {
  pl_graph_init(&c->send_graph, PL_MEDIA_AUDIO);
  pl_graph_init(&c->recv_graph, PL_MEDIA_AUDIO);
  c->voice_avg = -1.0f;
  c->snap.voice_activity = -1.0;
  c->music_avg = -1.0f;
  c->snap.music_probability = -1.0;
  int rc = pl_ring_init(&c->rx_ring, sizeof(pl_rx_item), 256);
  if (!rc)
    rc = pl_ring_init(&c->tx_ring, sizeof(pl_tx_item), 64);
  if (!rc)
    rc = pl_call_video_new(c);
  if (!rc)
    rc = pl_call_ai_init(c);
  return rc;
}

/* Encoder and jitter buffer need the negotiated channel count and Opus
 * parameters, so they are made when the call becomes active. */
int pl_call_media_start(pl_call *c, const pl_opus_fmtp *remote_fmtp) {
  pl_opus_enc_config ec;
  pl_opus_enc_config_default(&ec, c->channels);
  ec.frame_ms = c->cfg.opus_frame_ms;
  ec.bitrate = c->cfg.opus_bitrate;
  ec.fec = c->cfg.opus_fec;
  ec.packet_loss_pct = c->cfg.opus_fec ? 10 : 0;
  ec.dtx = c->cfg.opus_dtx;
  if (c->cfg.opus_complexity > 0)
    ec.complexity = c->cfg.opus_complexity - 1;
  if (remote_fmtp)
    pl_opus_fmtp_apply(remote_fmtp, &ec);
  c->enc = pl_opus_enc_new(&ec);
  c->enc_bitrate = ec.bitrate;
  pl_call_red_start(c, &ec);
  c->enc_loss_q8 = -1;
  c->enc_fec = ec.fec;
  pl_jitter_config jc;
  pl_jitter_config_default(&jc);
  jc.channels = c->channels;
  jc.min_delay_ms = c->cfg.jitter_min_ms;
  jc.max_delay_ms = c->cfg.jitter_max_ms;
  jc.use_fec = true;
  /* libopus >= 1.5 (ignored on 1.3.1): deep PLC under every concealer and
   * NoLACE on SILK (0.4 % of a core at 12 kbit/s here), DRED rebuilt
   * before any concealer is asked (docs/plc.md, "Opus 1.5"). */
  jc.decoder_complexity = c->cfg.opus_neural ? PL_OPUS_DEC_COMPLEXITY_NOLACE : 0;
  jc.use_dred = c->cfg.opus_neural;
  c->dec_bwe = c->cfg.opus_neural && c->cfg.opus_bwe && pl_opus_bwe_available();
  jc.decoder_bwe = c->dec_bwe;
  c->jb = pl_jitter_new(&jc);
  if (!c->enc || !c->jb)
    return PL_ENOMEM;
  c->media_ts = (uint32_t)pl_rng_u64(&c->rng);
  c->voice_avg = -1.0f;
  c->snap.voice_activity = -1.0;
  c->music_avg = -1.0f;
  c->snap.music_probability = -1.0;
  pl_call_ai_start(c);
  return pl_call_video_start(c);
}

void pl_call_media_destroy(pl_call *c) {
  pl_graph_destroy(&c->send_graph);
  pl_graph_destroy(&c->recv_graph);
  if (c->enc)
    pl_opus_enc_free(c->enc);
  if (c->jb)
    pl_jitter_free(c->jb);
  c->enc = NULL;
  c->jb = NULL;
  pl_call_ai_destroy(c);
  if (c->has_source && c->source.close)
    c->source.close(c->source.user);
  if (c->has_sink && c->sink.close)
    c->sink.close(c->sink.user);
  c->has_source = c->has_sink = false;
  pl_ring_destroy(&c->rx_ring);
  pl_ring_destroy(&c->tx_ring);
  pl_call_video_free(c);
}

/* DRED follows the loss the peer reports (RTCP): how much history each
 * packet carries, and the expected loss that sizes its share of the
 * bitrate (and LBRR's), as libwebrtc feeds OPUS_SET_PACKET_LOSS_PERC. */
static void follow_loss(pl_call *c) {
  int q8 = (int)atomic_load(&c->remote_loss_q8);
  if (q8 == c->enc_loss_q8)
    return;
  c->enc_loss_q8 = q8;
  double loss = q8 / 256.0;
  int pct = (int)(loss * 100 + 0.5);
  int dred = pl_opus_dred_ms_for_loss(loss);
  if (dred < c->cfg.opus_dred_ms)
    dred = c->cfg.opus_dred_ms;
  /* FEC's floor, as at the start; libopus gives DRED no bits without an
   * expected loss (and, with FEC on, none below about 20 % at 32 kbit/s:
   * LBRR comes first, which measured better at random loss). */
  if ((c->enc_fec || dred) && pct < 10)
    pct = 10;
  pl_opus_enc_set_fec(c->enc, c->enc_fec, pct);
  pl_opus_enc_set_dred(c->enc, dred);
}

static void capture(pl_call *c, pl_time_us now) {
  pl_audio_frame f;
  pl_audio_frame_init(&f, c->channels);
  f.capture_us = now;
  if (c->has_source && !c->source_ended) {
    int n = c->source.read(c->source.user, f.pcm, PL_AUDIO_FRAME_SAMPLES, c->channels);
    if (n < PL_AUDIO_FRAME_SAMPLES) {
      c->source_ended = true; /* the rest of this frame stays silent */
      atomic_store(&c->source_ended_flag, true);
    }
  }
  pl_graph_run(&c->send_graph, &f, now);
  /* The denoise stage's voice probability (when it is on) feeds the
   * encoder's DTX gate inside push() and the stats, as a 1 s average. */
  if (f.voice_prob < 0.0f)
    c->voice_avg = -1.0f;
  else if (c->voice_avg < 0.0f)
    c->voice_avg = f.voice_prob;
  else
    c->voice_avg += 0.01f * (f.voice_prob - c->voice_avg);
  /* The classify stage's music probability (when it is on), likewise; the
   * encoder follows the per-frame value itself (signal type, push()). */
  if (f.music_prob < 0.0f)
    c->music_avg = -1.0f;
  else if (c->music_avg < 0.0f)
    c->music_avg = f.music_prob;
  else
    c->music_avg += 0.01f * (f.music_prob - c->music_avg);
  /* The congestion controller's share for Opus (16 kbit/s up to what the
   * app configured), applied at the next frame. */
  uint32_t want = atomic_load(&c->cc_audio_bps);
  if (want) /* loss protection: RED copies are paid out of this share */
    want = (uint32_t)pl_call_red_opus_bps(c, (int)want);
  if (want && (int)want != c->enc_bitrate && pl_opus_enc_set_bitrate(c->enc, (int)want) == 0)
    c->enc_bitrate = (int)want;
  if (c->cfg.opus_neural && pl_opus_neural())
    follow_loss(c);
  uint8_t pkt[PL_CALL_MAX_PAYLOAD];
  int n = pl_opus_enc_push(c->enc, &f, pkt, sizeof pkt);
  int frame = pl_opus_enc_frame_samples(c->enc);
  if (n <= 0)
    return; /* accumulating, or an encoder error (counted by the encoder) */
  if (pl_opus_enc_last_dtx(c->enc))
    c->dtx_packets++;
  uint32_t ts = c->media_ts;
  c->media_ts += (uint32_t)frame;
  /* DTX: libopus emits 1-2 byte packets during silence; they still go out
   * (as in libwebrtc) at a reduced rate chosen by the encoder. */
  pl_tx_item *it = pl_ring_reserve(&c->tx_ring);
  if (!it)
    return;
  it->capture_us = pl_opus_enc_packet_capture_us(c->enc);
  it->ts = ts;
  it->marker = false;
  it->len = (uint16_t)pl_call_red_wrap(c, it, ts, pkt, n);
  pl_ring_commit(&c->tx_ring);
}

static void playout(pl_call *c, pl_time_us now) {
  pl_rx_item *it;
  while ((it = pl_ring_peek(&c->rx_ring))) {
    pl_call_ai_packet(c, it);
    pl_call_red_push(c, it);
    pl_ring_release(&c->rx_ring);
  }
  pl_audio_frame f;
  pl_audio_frame_init(&f, c->channels);
  if (pl_jitter_pull(c->jb, now, &f) < 0)
    pl_audio_frame_init(&f, c->channels); /* nothing playable yet: silence */
  pl_graph_run(&c->recv_graph, &f, now);
  if (c->has_sink)
    c->sink.write(c->sink.user, f.pcm, f.samples, c->channels);
}

static void stage_infos(const pl_graph *g, pl_stage_info *out, int *n) {
  *n = g->n;
  for (int i = 0; i < g->n; i++) {
    const pl_stage *s = &g->stages[i];
    snprintf(out[i].name, sizeof out[i].name, "%s", s->ops->name);
    out[i].enabled = s->on;
    out[i].frames = s->stats.frames;
    out[i].avg_us = s->stats.frames ? (double)s->stats.total_ns / (double)s->stats.frames / 1e3 : 0;
    out[i].max_us = (double)s->stats.max_ns / 1e3;
    out[i].errors = s->stats.errors;
  }
}

/* The media thread never waits for a reader: if the app is copying the
 * snapshot right now, this tick's numbers are skipped, the next ones land. */
static void publish(pl_call *c) {
  if (pthread_mutex_trylock(&c->snap_lock) != 0)
    return;
  pl_jitter_get_stats(c->jb, &c->snap.jb);
  c->snap.target_delay_ms = pl_jitter_target_ms(c->jb);
  stage_infos(&c->send_graph, c->snap.send_stages, &c->snap.n_send);
  stage_infos(&c->recv_graph, c->snap.recv_stages, &c->snap.n_recv);
  c->snap.voice_activity = c->voice_avg;
  pl_call_ai_publish(c);
  c->snap.music_probability = c->music_avg;
  c->snap.opus_music = pl_opus_enc_music_mode(c->enc);
  c->snap.opus_signal_switches = pl_opus_enc_signal_switches(c->enc);
  c->snap.dtx_packets = c->dtx_packets;
  c->snap.red_distance = c->red_pt >= 0 ? c->red.distance : 0;
  c->snap.red_protection = c->red_protection;
  c->snap.red_packets_sent = c->red_packets_sent;
  c->snap.red_rx_bad = c->red_rx_bad;
  c->snap.voice_gated_packets = pl_opus_enc_gated_packets(c->enc);
  if (c->plc && c->snap.n_recv < PL_MAX_STAGES)
    pl_call_ai_info(c, &c->snap.recv_stages[c->snap.n_recv++]);
  if (c->video && c->video->up && c->snap.n_recv < PL_MAX_STAGES)
    pl_call_video_stage_info(c, &c->snap.recv_stages[c->snap.n_recv++]);
  pl_call_video_publish(c);
  pthread_mutex_unlock(&c->snap_lock);
}

void pl_call_media_snapshot(pl_call *c, pl_media_snapshot *out) {
  pthread_mutex_lock(&c->snap_lock);
  memcpy(out, &c->snap, sizeof *out);
  pthread_mutex_unlock(&c->snap_lock);
}

bool pl_call_media_tick(pl_call *c, pl_time_us now) {
  if (atomic_load(&c->state) != PL_CALL_ACTIVE || !c->enc)
    return false;
  if (!c->media_started) {
    c->media_started = true;
    c->next_tick = now;
  }
  bool sent = false;
  /* Catch up one step at a time if the caller was late (never skip audio). */
  int steps = 0;
  while (now >= c->next_tick && steps++ < 10) {
    size_t before = pl_ring_size(&c->tx_ring);
    bool was_ended = c->source_ended;
    capture(c, c->next_tick);
    playout(c, c->next_tick);
    sent |= pl_ring_size(&c->tx_ring) != before;
    sent |= c->source_ended && !was_ended; /* PL_EVENT_SOURCE_ENDED to emit */
    sent |= pl_call_video_media_tick(c, c->next_tick);
    c->next_tick += TICK_US;
  }
  if (now >= c->next_tick)
    c->next_tick = now + TICK_US; /* hopelessly behind: resynchronise */
  publish(c);
  return sent;
}
