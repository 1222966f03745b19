/* The media half of the video track, run on the media thread inside the
 * call's 10 ms tick: source -> VP8/VP9 encoder -> RTP packetizer -> tx
 * ring at the source's frame rate; rx ring -> depacketizer -> assembler ->
 * frame buffer -> decoder -> sink at each frame's playout time (to the
 * tick). Everything is sized at setup; nothing here logs or blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/call/call_video.h"
#include "engine/engine.h"
#include "video/payload/vp8.h"
#include "video/payload/vp9.h"
#include "video/scale/scale.h"

#define KEY_MIN_INTERVAL PL_MS(300) /* keyframes made for peers, at most */
#define NTP_UNIX_OFFSET_S 2208988800ULL

int pl_call_video_new(pl_call *c) {
  if (!c->cfg.video)
    return 0;
  pl_call_video *v = calloc(1, sizeof *v);
  if (!v)
    return PL_ENOMEM;
  c->video = v;
  v->local_ssrc = (uint32_t)pl_rng_u64(&c->rng);
  v->local_rtx_ssrc = (uint32_t)pl_rng_u64(&c->rng);
  if (v->local_rtx_ssrc == v->local_ssrc)
    v->local_rtx_ssrc++;
  v->seq = (uint16_t)pl_rng_u64(&c->rng);
  v->ts_base = (uint32_t)pl_rng_u64(&c->rng);
  v->bitrate = (uint32_t)c->cfg.video_bitrate;
  v->frame_iv = PL_SEC(1) / c->cfg.video_fps;
  v->codec = c->cfg.video_codec == 9 ? PL_CODEC_VP9 : PL_CODEC_VP8;
  v->frame_no = 0;
  atomic_init(&v->rtt_us, 0);
  atomic_init(&v->capture_size, 0);
  atomic_init(&v->display_size, 0);
  atomic_init(&v->upscale_mode, PL_UPSCALE_AUTO);
  pl_ladder_config lc = {.codec = v->codec == PL_CODEC_VP9 ? 9 : 8};
  pl_ladder_init(&v->ladder, &lc);
  pl_rate_adjuster_init(&v->adj);
  pl_video_pic_counter_init(&v->pc, (uint16_t)(pl_rng_u64(&c->rng) & 0x7fff));
  pl_keyframe_requester_init(&v->kr, PL_KEYFRAME_PLI, 0);
  pl_freeze_detector_init(&v->fd);
  /* 2 s of history at 4 Mbit/s in ~1100-byte packets. */
  pl_send_history_config hc = {.packets = 1024, .max_age = PL_SEC(1), .max_packet = 1600};
  pl_frame_assembler_config ac = {.max_payload = PL_VIDEO_MAX_PAYLOAD};
  int rc = pl_ring_init(&v->rx_ring, sizeof(pl_vrx_item), 1024);
  if (!rc)
    rc = pl_ring_init(&v->tx_ring, sizeof(pl_vtx_item), 512);
  if (!rc)
    rc = pl_send_history_new(&v->hist, &hc);
  if (!rc)
    rc = pl_nack_generator_new(&v->nack, NULL);
  if (!rc)
    rc = pl_frame_assembler_new(&v->as, &ac);
  if (!rc)
    rc = pl_frame_buffer_new(&v->fb, NULL);
  return rc;
}

void pl_call_video_free(pl_call *c) {
  pl_call_video *v = c->video;
  if (!v)
    return;
  if (v->has_source && v->source.close)
    v->source.close(v->source.user);
  if (v->has_sink && v->sink.close)
    v->sink.close(v->sink.user);
  if (v->enc)
    pl_vpx_encoder_free(v->enc);
  if (v->dec)
    pl_vpx_decoder_free(v->dec);
  if (v->hist)
    pl_send_history_free(v->hist);
  if (v->nack)
    pl_nack_generator_free(v->nack);
  if (v->as)
    pl_frame_assembler_free(v->as);
  if (v->fb)
    pl_frame_buffer_free(v->fb);
  pl_upscale_stage_free(v->up); /* a picture still at its worker is dropped */
  pl_video_buffer_free(&v->scaled);
  pl_ring_destroy(&v->rx_ring);
  pl_ring_destroy(&v->tx_ring);
  free(v);
  c->video = NULL;
}

int pl_call_video_start(pl_call *c) {
  pl_call_video *v = c->video;
  if (!v || !v->on)
    return 0;
  pl_rtx_sender_init(&v->rtx, v->local_rtx_ssrc, (uint8_t)v->rtx_pt,
                     (uint16_t)pl_rng_u64(&c->rng));
  if (v->use_fir)
    v->kr.method = PL_KEYFRAME_FIR;
  /* The upscale stage: a worker thread under a real clock; inline on the
   * simulated one (tests, the lab), so runs stay deterministic. Without it
   * (no memory) pictures go to the sink at their decoded size. */
  if (!v->up) {
    int urc = pl_upscale_stage_new(&v->up, pl_upscale_model_default(), c->engine->loop != NULL);
    if (urc == 0)
      pl_upscale_stage_set_mode(v->up, (pl_upscale_mode)atomic_load(&v->upscale_mode));
  }
  pl_vpx_dec_config dc = {.codec = v->codec};
  return pl_vpx_decoder_new(&v->dec, &dc);
}

int pl_call_set_video_source(pl_call *c, const pl_video_io *io) {
  if (!io || !io->read)
    return PL_EINVAL;
  if (!c->video)
    return PL_ENOTSUP;
  if (atomic_load(&c->state) == PL_CALL_ACTIVE)
    return PL_ESTATE;
  pl_call_video *v = c->video;
  if (v->has_source && v->source.close)
    v->source.close(v->source.user);
  v->source = *io;
  v->has_source = true;
  return 0;
}

int pl_call_set_video_sink(pl_call *c, const pl_video_io *io) {
  if (!io || !io->write)
    return PL_EINVAL;
  if (!c->video)
    return PL_ENOTSUP;
  if (atomic_load(&c->state) == PL_CALL_ACTIVE)
    return PL_ESTATE;
  pl_call_video *v = c->video;
  if (v->has_sink && v->sink.close)
    v->sink.close(v->sink.user);
  v->sink = *io;
  v->has_sink = true;
  return 0;
}

int pl_call_request_keyframe(pl_call *c) {
  if (!c->video || !c->video->on)
    return PL_ENOTSUP;
  atomic_store(&c->video->want_key, true);
  return 0;
}

/* ---- send ---- */

static void queue_payload(pl_call_video *v, const uint8_t *p, size_t n, uint32_t ts, bool marker,
                          pl_time_us capture) {
  pl_vtx_item *it = pl_ring_reserve(&v->tx_ring);
  if (!it)
    return; /* the network half is behind; NACK/PLI will repair */
  it->capture_us = capture;
  it->ts = ts;
  it->marker = marker;
  it->len = (uint16_t)n;
  memcpy(it->payload, p, n);
  pl_ring_commit(&v->tx_ring);
}

/* Returns how many RTP packets the frame became. */
static int packetize(pl_call_video *v, const pl_vpx_frame *ef, pl_time_us capture) {
  uint16_t pid;
  uint8_t tl0;
  pl_video_pic_counter_next(&v->pc, ef->temporal_id, &pid, &tl0);
  uint8_t pl[PL_VIDEO_SEND_PAYLOAD + 64];
  bool last = false;
  int n, count = 0;
  if (v->codec == PL_CODEC_VP8) {
    pl_vp8_desc d = {.has_picture_id = true, .picture_id_15 = true, .picture_id = pid,
                     .n = ef->droppable};
    pl_vp8_packetizer pz;
    if (pl_vp8_packetizer_init(&pz, &d, ef->data, ef->len, NULL, NULL, 0,
                               PL_VIDEO_SEND_PAYLOAD) <= 0)
      return 0;
    while ((n = pl_vp8_packetizer_next(&pz, pl, sizeof pl, &last)) > 0) {
      queue_payload(v, pl, (size_t)n, ef->rtp_ts, last, capture);
      count++;
    }
  } else {
    pl_vp9_desc d = {.i = true, .pid_15 = true, .picture_id = pid, .p = !ef->key,
                     .v = ef->key};
    if (ef->key)
      d.ss = (pl_vp9_ss){.n_s = 1, .y = true, .width = {(uint16_t)ef->width},
                         .height = {(uint16_t)ef->height}};
    pl_vp9_packetizer pz;
    if (pl_vp9_packetizer_init(&pz, &d, ef->data, ef->len, PL_VIDEO_SEND_PAYLOAD) <= 0)
      return 0;
    while ((n = pl_vp9_packetizer_next(&pz, pl, sizeof pl, &last)) > 0) {
      queue_payload(v, pl, (size_t)n, ef->rtp_ts, last, capture);
      count++;
    }
  }
  return count;
}

/* The scratch picture at w x h, laid out tightly in the buffer that was
 * allocated for the ladder's top rung; a bigger source (rare) regrows it. */
static pl_video_frame *scaled_frame(pl_call_video *v, int w, int h) {
  const pl_ladder_rung *r;
  pl_ladder_rungs(&v->ladder, &r);
  size_t need = (size_t)w * (size_t)h + 2 * (size_t)((w + 1) / 2) * (size_t)((h + 1) / 2);
  if (need > v->scaled.size) {
    pl_video_buffer_free(&v->scaled);
    if (pl_video_buffer_alloc(&v->scaled, r[0].width, r[0].height) != 0 ||
        need > v->scaled.size)
      return NULL;
  }
  pl_video_frame *f = &v->scaled.f;
  f->width = w;
  f->height = h;
  f->stride_y = w;
  f->stride_u = f->stride_v = (w + 1) / 2;
  f->y = v->scaled.mem;
  f->u = f->y + (size_t)w * (size_t)h;
  f->v = f->u + (size_t)f->stride_u * (size_t)((h + 1) / 2);
  return f;
}

/* The encoder at the ladder's size and rate. It is made at the top rung
 * (so VP9 can come back up to it predicting from scaled references, with
 * no keyframe) and moved to the rung at once. */
#define PACER_BACKLOG_MS 400 /* of queued video before a frame is skipped */

static int encoder_for(pl_call_video *v, const pl_ladder_out *lo, uint32_t want) {
  if (!v->enc) {
    const pl_ladder_rung *r;
    pl_ladder_rungs(&v->ladder, &r);
    /* Frame dropping on (libwebrtc's 30 for camera video): at its highest
     * quantizer libvpx can only meet a rate the path just cut by skipping
     * frames, and a skipped frame costs less than a queue that grows. */
    pl_vpx_enc_config ec = {.codec = v->codec, .width = r[0].width, .height = r[0].height,
                            .fps = lo->fps, .bitrate_bps = want,
                            .frame_drop_threshold = 30};
    if (pl_vpx_encoder_new(&v->enc, &ec) != 0)
      return PL_ECODEC;
    v->bitrate = want;
    v->enc_fps = lo->fps;
    v->m.width_sent = r[0].width;
    v->m.height_sent = r[0].height;
  }
  if (lo->width != v->m.width_sent || lo->height != v->m.height_sent) {
    /* At most one keyframe per switch: VP8 needs one for any new size,
     * VP9 only past what its scaled references allow (the return says). */
    int rc = pl_vpx_encoder_set_resolution(v->enc, lo->width, lo->height);
    if (rc < 0)
      return rc;
    v->m.width_sent = lo->width;
    v->m.height_sent = lo->height;
  }
  /* The target follows the congestion controller every frame; a change
   * under 5 % is not worth reconfiguring libvpx for. A new frame rate is
   * always passed on: rate control spends per frame. */
  bool moved = want > v->bitrate + v->bitrate / 20 || want + v->bitrate / 20 < v->bitrate;
  if ((moved || lo->fps != v->enc_fps) && pl_vpx_encoder_set_rate(v->enc, want, lo->fps) == 0) {
    v->m.rate_changes += moved;
    v->bitrate = want;
    v->enc_fps = lo->fps;
  }
  v->m.fps_sent = lo->fps;
  return 0;
}

static void capture_frame(pl_call *c, pl_call_video *v, pl_time_us now) {
  pl_video_picture pic;
  memset(&pic, 0, sizeof pic);
  int rc = v->source.read(v->source.user, &pic);
  if (rc <= 0) {
    v->source_ended = true;
    return;
  }
  atomic_store(&v->capture_size, (uint32_t)pic.width << 16 | (uint32_t)pic.height);
  uint32_t want = atomic_load(&c->cc_video_bps);
  if (!want)
    want = v->bitrate;
  pl_ladder_out lo;
  if (pl_ladder_update(&v->ladder, now, want, pic.width, pic.height, c->cfg.video_fps, &lo) < 0) {
    v->source_ended = true; /* a size nobody can encode: stop sending */
    return;
  }
  v->m.resolution_switches = v->ladder.resolution_switches;
  /* Under the source's rate: a frame goes through once a whole frame time
   * of the ladder's rate has passed (half a source frame of slack). */
  if (lo.fps < c->cfg.video_fps && v->last_enc_at &&
      now - v->last_enc_at < PL_SEC(1) / lo.fps - v->frame_iv / 2)
    return;
  /* The pacer holds more than PACER_BACKLOG of video: this frame would
   * only wait behind it (libwebrtc's encoder likewise pauses while the
   * pacer is congested). Skipped frames are counted, the next one goes. */
  if (atomic_load(&c->cc_pacer_backlog_ms) > PACER_BACKLOG_MS && v->enc) {
    v->m.frames_sent_dropped++;
    v->m.frames_paced_out++;
    return;
  }
  v->last_enc_at = now;
  /* The ladder reads the wire rate; libvpx gets what makes that rate on
   * the wire given how far it has been overshooting (video/ladder/adjust.h). */
  if (encoder_for(v, &lo, pl_rate_adjuster_target(&v->adj, want)) != 0) {
    if (!v->enc)
      v->source_ended = true; /* a size the codec refuses */
    v->m.frames_sent_dropped++;
    return;
  }
  if (atomic_load(&v->key_for_peer) && now - v->last_forced_key >= KEY_MIN_INTERVAL) {
    atomic_store(&v->key_for_peer, false);
    pl_vpx_encoder_request_keyframe(v->enc);
    v->last_forced_key = now;
    v->m.keyframes_for_peer++;
  }
  pl_video_frame src = {.y = (uint8_t *)pic.y, .u = (uint8_t *)pic.u, .v = (uint8_t *)pic.v,
                        .stride_y = pic.stride_y, .stride_u = pic.stride_u,
                        .stride_v = pic.stride_v, .width = pic.width, .height = pic.height};
  pl_video_frame *f = &src;
  if (lo.width != pic.width || lo.height != pic.height) {
    f = scaled_frame(v, lo.width, lo.height);
    /* Box filtering: the right one for the 2-4x steps down of the ladder
     * (libwebrtc's default for its own downscales too). */
    if (!f || pl_video_scale(&src, f, PL_SCALE_BOX) != 0) {
      v->m.frames_sent_dropped++;
      return;
    }
  }
  f->capture_us = now;
  f->index = v->frame_no++;
  f->flags = 0;
  if (!v->ts_t0)
    v->ts_t0 = now; /* media-thread time only: start_us belongs to the network half */
  f->rtp_ts = v->ts_base + (uint32_t)((now - v->ts_t0) * 9 / 100);
  pl_vpx_frame ef;
  rc = pl_vpx_encoder_encode(v->enc, f, &ef);
  if (rc <= 0) {
    if (rc == 0) /* rate control dropped it: its time still counts */
      pl_rate_adjuster_frame(&v->adj, now, v->bitrate, 0, false);
    v->m.frames_sent_dropped++;
    return;
  }
  v->m.frames_encoded++;
  v->m.key_frames_encoded += ef.key;
  int pkts = packetize(v, &ef, now);
  pl_rate_adjuster_frame(&v->adj, now, v->bitrate,
                         ef.len + (uint64_t)pkts * PL_VIDEO_PKT_OVERHEAD, ef.key);
}

/* ---- receive ---- */

static pl_time_us capture_of(const pl_call_video *v, uint32_t ts) {
  for (int i = 0; i < 64; i++)
    if (v->cap_ts[i] == ts && v->cap_us[i])
      return v->cap_us[i];
  return 0;
}

static void note_capture(pl_call *c, pl_call_video *v, const pl_vrx_item *it) {
  if (!it->capture_ntp)
    return;
  size_t slot = it->ts % 64;
  if (v->cap_ts[slot] == it->ts && v->cap_us[slot])
    return;
  /* NTP -> the call's monotonic clock via the driver's wall offset. */
  uint64_t secs = it->capture_ntp >> 32;
  uint64_t frac = it->capture_ntp & 0xffffffffu;
  if (secs < NTP_UNIX_OFFSET_S)
    return;
  int64_t unix_us = (int64_t)(secs - NTP_UNIX_OFFSET_S) * 1000000 +
                    (int64_t)((frac * 1000000) >> 32);
  v->cap_ts[slot] = it->ts;
  v->cap_us[slot] = unix_us - c->wall_offset_us;
}

static void ingest(pl_call *c, pl_call_video *v) {
  pl_vrx_item *it;
  while ((it = pl_ring_peek(&v->rx_ring))) {
    pl_video_rtp_info info;
    int rc = v->codec == PL_CODEC_VP8 ? pl_vp8_depacketize(&info, it->payload, it->len)
                                      : pl_vp9_depacketize(&info, it->payload, it->len);
    if (rc != 0) {
      /* Its frame can never complete: waiting for the assembler's timeout
       * would freeze for a second, so go for the next keyframe now. */
      v->m.bad_payloads++;
      pl_frame_buffer_need_keyframe(v->fb);
    } else {
      note_capture(c, v, it);
      if (pl_frame_assembler_insert(v->as, it->arrival, it->seq, it->ts, it->marker, &info,
                                    it->retx) > 0) {
        pl_encoded_frame f;
        while (pl_frame_assembler_poll(v->as, &f)) {
          v->m.frames_received++;
          pl_frame_buffer_insert(v->fb, it->arrival, &f);
        }
      }
    }
    pl_ring_release(&v->rx_ring);
  }
}

typedef struct emit_ctx {
  pl_call_video *v;
  pl_time_us now;
} emit_ctx;

typedef struct emit_meta {
  uint32_t ts;
  pl_time_us cap;
} emit_meta;

/* A picture to the sink: straight from the decoder, or out of the upscale
 * stage (then possibly a tick later, at its display size). */
static void emit(void *ctx, const pl_video_frame *out, void *user) {
  const emit_ctx *e = ctx;
  const emit_meta *m = user;
  pl_call_video *v = e->v;
  if (!v->has_sink)
    return;
  pl_video_picture pic = {.y = out->y, .u = out->u, .v = out->v, .stride_y = out->stride_y,
                          .stride_u = out->stride_u, .stride_v = out->stride_v,
                          .width = out->width, .height = out->height, .capture_us = m->cap,
                          .render_us = e->now, .rtp_ts = m->ts};
  v->sink.write(v->sink.user, &pic);
}

static void render(pl_call_video *v, pl_time_us now, const pl_video_frame *out, uint32_t ts) {
  v->m.frames_decoded++;
  if (out->flags & PL_VF_KEY)
    v->m.key_frames_decoded++;
  v->m.width = out->width;
  v->m.height = out->height;
  pl_freeze_detector_frame(&v->fd, now);
  pl_time_us cap = capture_of(v, ts);
  if (cap && now >= cap) {
    v->m.delay_sum_us += (double)(now - cap);
    v->m.delay_n++;
  }
  if (!v->has_sink)
    return;
  emit_ctx e = {v, now};
  emit_meta m = {ts, cap};
  if (v->up)
    pl_upscale_stage_push(v->up, out, &m, sizeof m, emit, &e);
  else
    emit(&e, out, &m);
}

/* Where the upscale stage enlarges to: the app's display size, else the
 * sender's capture size (its RTCP APP "PLCS"); then collect a picture its
 * worker finished. */
static void upscale_tick(pl_call_video *v, pl_time_us now) {
  if (!v->up)
    return;
  uint32_t d = atomic_load(&v->display_size);
  if (d)
    pl_upscale_stage_set_display(v->up, (int)(d >> 16), (int)(d & 0xffff));
  else
    pl_upscale_stage_set_display(v->up, v->remote_capture_w, v->remote_capture_h);
  emit_ctx e = {v, now};
  pl_upscale_stage_pump(v->up, emit, &e);
}

static void playout(pl_call *c, pl_call_video *v, pl_time_us now) {
  upscale_tick(v, now);
  ingest(c, v);
  pl_frame_assembler_timeout(v->as, now);
  pl_time_us rtt = atomic_load(&v->rtt_us);
  if (rtt > 0)
    pl_frame_buffer_set_rtt(v->fb, rtt);
  if (atomic_exchange(&v->loss, false))
    pl_frame_buffer_need_keyframe(v->fb);
  pl_frame_buffer_timeout(v->fb, now);
  pl_encoded_frame f;
  pl_time_us render_at;
  while (pl_frame_buffer_poll(v->fb, now, &f, &render_at)) {
    pl_video_frame out;
    int rc = pl_vpx_decoder_decode(v->dec, f.data, f.len, &out);
    if (rc < 0) {
      v->m.decode_errors++;
      pl_frame_buffer_need_keyframe(v->fb);
      continue;
    }
    if (rc == 1) {
      if (out.flags & PL_VF_KEY)
        atomic_store(&v->got_key, true);
      render(v, now, &out, f.rtp_ts);
    }
  }
  /* A decoder that saw nothing yet waits for the first keyframe, which is
   * on its way: ask only once frames were refused or lost. */
  pl_vpx_dec_stats ds;
  pl_vpx_decoder_stats(v->dec, &ds);
  if (pl_frame_buffer_keyframe_needed(v->fb) ||
      (pl_vpx_decoder_needs_keyframe(v->dec) && ds.frames_in > 0))
    atomic_store(&v->want_key, true);
  if (v->up)
    pl_upscale_stage_get_stats(v->up, &v->m.up);
  if (!v->fps_t0)
    v->fps_t0 = now;
  if (now - v->fps_t0 >= PL_SEC(1)) {
    v->m.fps = (double)(v->m.frames_decoded - v->fps_frames0) * 1e6 / (double)(now - v->fps_t0);
    v->fps_frames0 = v->m.frames_decoded;
    v->fps_t0 = now;
  }
}

bool pl_call_video_media_tick(pl_call *c, pl_time_us now) {
  pl_call_video *v = c->video;
  if (!v || !v->on || !v->dec)
    return false;
  size_t before = pl_ring_size(&v->tx_ring);
  playout(c, v, now);
  if (v->has_source && !v->source_ended) {
    if (!v->next_frame)
      v->next_frame = now;
    if (now >= v->next_frame) {
      capture_frame(c, v, now);
      v->next_frame += v->frame_iv;
      if (v->next_frame <= now)
        v->next_frame = now + v->frame_iv; /* late: skip, never burst */
    }
  }
  return pl_ring_size(&v->tx_ring) != before || atomic_load(&v->want_key) ||
         atomic_load(&v->got_key);
}

/* Under the call's snapshot lock (call_media.c publish). */
void pl_call_video_publish(pl_call *c) {
  pl_call_video *v = c->video;
  if (!v)
    return;
  pl_frame_assembler_stats as;
  pl_frame_assembler_get_stats(v->as, &as);
  pl_frame_buffer_stats fs;
  pl_frame_buffer_get_stats(v->fb, &fs);
  v->m.frames_dropped = as.dropped_timeout + as.dropped_evicted + as.dropped_superseded +
                        as.dropped_too_big + fs.dropped_old + fs.dropped_skipped +
                        fs.dropped_undecodable + fs.dropped_full + fs.dropped_too_big;
  v->m.render_delay = fs.render_delay;
  v->m.freeze_count = v->fd.freeze_count;
  v->m.total_freeze = v->fd.total_freeze;
  v->snap = v->m;
}

void pl_call_video_fill_stats(pl_call *c, pl_call_stats *s) {
  pl_call_video *v = c->video;
  if (!v || !v->on)
    return;
  pl_video_snapshot m;
  pthread_mutex_lock(&c->snap_lock);
  m = v->snap;
  pthread_mutex_unlock(&c->snap_lock);
  s->video = true;
  s->video_codec = v->codec;
  s->video_packets_sent = v->packets_sent;
  s->video_packets_received = v->packets_received;
  s->video_bytes_received = v->bytes_received;
  if (v->rstats_started) {
    int64_t expected = (int64_t)pl_rtp_recv_stats_ext_max(&v->rstats) - v->rstats.base_seq + 1;
    s->video_packets_lost = expected - (int64_t)v->rstats.received;
  }
  s->frames_encoded = m.frames_encoded;
  s->key_frames_encoded = m.key_frames_encoded;
  s->frames_sent_dropped = m.frames_sent_dropped;
  s->frame_width_sent = m.width_sent;
  s->frame_height_sent = m.height_sent;
  s->frames_received = m.frames_received;
  s->frames_decoded = m.frames_decoded;
  s->key_frames_decoded = m.key_frames_decoded;
  s->frames_dropped = m.frames_dropped;
  s->decode_errors = m.decode_errors;
  s->video_packets_dropped = v->dropped + m.bad_payloads;
  s->frame_width = m.width;
  s->frame_height = m.height;
  s->frames_per_second = m.fps;
  s->freeze_count = m.freeze_count;
  s->total_freezes_duration_s = (double)m.total_freeze / 1e6;
  s->nack_count = v->nack_sent;
  s->nacked_packets = v->nacked_seqs;
  s->pli_count = v->pli_sent;
  s->fir_count = v->fir_sent;
  s->nacks_received = v->nack_received;
  s->plis_received = v->pli_received;
  s->firs_received = v->fir_received;
  s->retransmitted_packets_sent = v->rtx_sent;
  s->retransmissions_limited = v->rtx_limited;
  s->retransmitted_packets_received = v->rtx_received;
  s->keyframes_requested_by_peer = m.keyframes_for_peer;
  s->video_rate_changes = m.rate_changes;
  s->resolution_switches = m.resolution_switches;
  s->frames_per_second_sent = m.fps_sent;
  s->frame_width_capture = v->remote_capture_w;
  s->frame_height_capture = v->remote_capture_h;
  s->frames_upscaled = m.up.frames;
  s->frames_upscaled_model = m.up.model_frames;
  s->upscale_fallbacks = m.up.fallback_frames;
  s->frames_upscaled_bicubic = m.up.bicubic_frames;
  s->frame_width_upscaled = m.up.out_width;
  s->frame_height_upscaled = m.up.out_height;
  s->video_delay_s = m.delay_n ? m.delay_sum_us / (double)m.delay_n / 1e6 : -1;
  s->video_jitter_buffer_delay_s = (double)m.render_delay / 1e6;
}

/* ---- the upscale stage's switches and report ---- */

int pl_call_video_set_upscale(pl_call *c, int mode) {
  pl_call_video *v = c->video;
  if (!v)
    return PL_ENOENT;
  atomic_store(&v->upscale_mode, mode);
  if (v->up)
    pl_upscale_stage_set_mode(v->up, (pl_upscale_mode)mode);
  return 0;
}

int pl_call_set_video_display(pl_call *c, int width, int height) {
  if (!c || width < 0 || height < 0 || width > PL_VIDEO_CALL_MAX_WIDTH ||
      height > PL_VIDEO_CALL_MAX_HEIGHT || (!width) != (!height))
    return PL_EINVAL;
  if (!c->video)
    return PL_ENOTSUP;
  atomic_store(&c->video->display_size, (uint32_t)width << 16 | (uint32_t)height);
  return 0;
}

/* Media thread (publish): the stage's cost in the receive stages' list. */
void pl_call_video_stage_info(pl_call *c, pl_stage_info *info) {
  pl_call_video *v = c->video;
  const pl_upscale_stats *u = &v->m.up;
  memset(info, 0, sizeof *info);
  snprintf(info->name, sizeof info->name, "upscale");
  info->enabled = atomic_load(&v->upscale_mode) != PL_UPSCALE_OFF;
  info->frames = u->frames;
  info->avg_us = u->frames ? (double)u->total_ns / (double)u->frames / 1e3 : 0;
  info->max_us = (double)u->max_ns / 1e3;
  info->errors = u->errors;
}
