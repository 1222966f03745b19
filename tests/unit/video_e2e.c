/* The sender and receiver video paths end to end on a simulated clock:
 * pattern -> encoder -> packetizer -> RTP -> send history -> emulated
 * network -> RTX unwrap -> depacketizer -> assembler -> frame buffer ->
 * decoder, with NACK/PLI going back as real RTCP (net/rtcp) over a second
 * emulated link, RTX answering NACKs and keyframes answering PLIs. Asserts
 * what a viewer would notice: frames never shown, freezes, quality, and
 * how the recovery machinery got there. Seeded: every run is identical. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "net/emu/emu.h"
#include "net/nack/history.h"
#include "net/nack/nack.h"
#include "net/rtcp/rtcp.h"
#include "net/rtp/rtp.h"
#include "parley.h"
#include "video/frame_buffer/assembler.h"
#include "video/frame_buffer/frame_buffer.h"
#include "video/pattern/pattern.h"
#include "video/payload/vp8.h"
#include "video/payload/vp9.h"
#include "video/scale/scale.h"
#include "video/vpx/vpx.h"

enum { MEDIA_SSRC = 0x1111, RTX_SSRC = 0x2222, RECV_SSRC = 0x3333 };
enum { MEDIA_PT = 96, RTX_PT = 97 };

typedef struct scenario {
  pl_video_codec codec;
  int w, h, fps;
  uint32_t bps;
  int seconds;
  size_t mtu;
  pl_emu_config fwd, back;
  uint64_t seed;
  pl_time_us rtt; /* what both ends are told (2 x one-way delay) */
} scenario;

typedef struct result {
  int frames_sent, decoded, unreadable, out_of_order;
  int64_t last_decoded_index;
  double psnr_sum, psnr_min;
  uint64_t keyframes_sent, keyframes_forced;
  uint64_t nack_seqs_sent, rtx_sent, rtx_received, plis_sent, plis_received;
  uint64_t rtcp_sent, decode_errors;
  pl_freeze_detector fd;
  pl_emu_stats fwd, back;
  pl_frame_assembler_stats as;
  pl_frame_buffer_stats fb;
  pl_nack_stats nk;
  pl_send_history_stats hist;
  pl_vpx_dec_stats dec;
  uint8_t *seen; /* per source frame: decoded */
} result;

typedef struct sim {
  const scenario *sc;
  result *r;
  /* sender */
  pl_vpx_encoder *enc;
  pl_video_buffer src, ref;
  pl_video_pic_counter pc;
  pl_send_history *hist;
  pl_rtx_sender rtx;
  uint16_t seq;
  int64_t next_index;
  pl_time_us next_frame_at;
  /* network */
  pl_emu_link *fwd, *back;
  /* receiver */
  pl_frame_assembler *as;
  pl_frame_buffer *fb;
  pl_nack_generator *nack;
  pl_keyframe_requester kr;
  pl_vpx_decoder *dec;
} sim;

static void send_rtp(sim *s, pl_time_us now, const uint8_t *payload, size_t n,
                     uint32_t ts, bool marker) {
  uint8_t pkt[1500];
  pl_rtp_header h = {.pt = MEDIA_PT, .seq = s->seq++, .ts = ts,
                     .ssrc = MEDIA_SSRC, .marker = marker, .payload = payload,
                     .payload_len = n};
  int len = pl_rtp_write(&h, NULL, pkt, sizeof pkt);
  cr_assert_gt(len, 0);
  cr_assert_eq(pl_send_history_put(s->hist, now, pkt, (size_t)len), 0);
  pl_emu_link_input(s->fwd, now, pkt, (size_t)len, NULL);
}

static void send_frame(sim *s, pl_time_us now) {
  int64_t i = s->next_index++;
  pl_pattern_draw(&s->src.f, i);
  s->src.f.rtp_ts = (uint32_t)(i * (90000 / s->sc->fps));
  s->src.f.capture_us = now;
  pl_vpx_frame ef;
  int rc = pl_vpx_encoder_encode(s->enc, &s->src.f, &ef);
  cr_assert_geq(rc, 0);
  if (rc == 0)
    return;
  s->r->frames_sent++;
  uint16_t pid;
  uint8_t tl0;
  pl_video_pic_counter_next(&s->pc, ef.temporal_id, &pid, &tl0);
  uint8_t pl[1500];
  bool last = false;
  int n;
  if (s->sc->codec == PL_CODEC_VP8) {
    pl_vp8_desc d = {.has_picture_id = true, .picture_id_15 = true,
                     .picture_id = pid, .n = ef.droppable};
    pl_vp8_packetizer pz;
    cr_assert_gt(pl_vp8_packetizer_init(&pz, &d, ef.data, ef.len, NULL, NULL,
                                        0, s->sc->mtu),
                 0);
    while ((n = pl_vp8_packetizer_next(&pz, pl, sizeof pl, &last)) > 0)
      send_rtp(s, now, pl, (size_t)n, ef.rtp_ts, last);
  } else {
    pl_vp9_desc d = {.i = true, .pid_15 = true, .picture_id = pid,
                     .p = !ef.key, .v = ef.key};
    if (ef.key)
      d.ss = (pl_vp9_ss){.n_s = 1, .y = true, .width = {(uint16_t)ef.width},
                         .height = {(uint16_t)ef.height}};
    pl_vp9_packetizer pz;
    cr_assert_gt(pl_vp9_packetizer_init(&pz, &d, ef.data, ef.len, s->sc->mtu), 0);
    while ((n = pl_vp9_packetizer_next(&pz, pl, sizeof pl, &last)) > 0)
      send_rtp(s, now, pl, (size_t)n, ef.rtp_ts, last);
  }
  cr_assert_eq(n, 0);
}

/* Sender gets RTCP: NACK -> RTX from the history, PLI -> keyframe. */
static void sender_rtcp(sim *s, pl_time_us now, const uint8_t *p, size_t n) {
  pl_rtcp_iter it;
  pl_rtcp_iter_init(&it, p, n);
  pl_rtcp_packet pkt;
  while (pl_rtcp_iter_next(&it, &pkt) == 1) {
    if (pkt.pt == PL_RTCP_RTPFB && pkt.count == PL_RTCP_RTPFB_NACK) {
      pl_rtcp_nack nk;
      cr_assert_eq(pl_rtcp_nack_parse(&nk, &pkt), 0);
      uint16_t seqs[512];
      size_t cnt = pl_rtcp_nack_seqs(&nk, seqs, 512);
      for (size_t i = 0; i < cnt && i < 512; i++) {
        const uint8_t *orig;
        size_t olen;
        /* Throttle at half the RTT: the receiver itself waits an RTT
         * before asking again, and jitter can bring that retry early. */
        if (pl_send_history_get(s->hist, now, seqs[i], s->sc->rtt / 2, &orig,
                                &olen))
          continue;
        uint8_t out[1600];
        int len = pl_rtx_wrap(&s->rtx, orig, olen, out, sizeof out);
        cr_assert_gt(len, 0);
        pl_emu_link_input(s->fwd, now, out, (size_t)len, NULL);
        s->r->rtx_sent++;
      }
    } else if (pkt.pt == PL_RTCP_PSFB && pkt.count == PL_RTCP_PSFB_PLI) {
      pl_rtcp_fb fb;
      cr_assert_eq(pl_rtcp_pli_parse(&fb, &pkt), 0);
      cr_assert_eq(fb.media_ssrc, MEDIA_SSRC);
      pl_vpx_encoder_request_keyframe(s->enc);
      s->r->plis_received++;
    }
  }
}

static void send_rtcp(sim *s, pl_time_us now, const uint16_t *seqs, size_t n,
                      bool pli) {
  uint8_t buf[1200];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, buf, sizeof buf, true); /* RFC 5506 reduced size */
  if (n)
    pl_rtcp_write_nack(&w, RECV_SSRC, MEDIA_SSRC, seqs, n);
  if (pli)
    pl_rtcp_write_pli(&w, RECV_SSRC, MEDIA_SSRC);
  int len = pl_rtcp_writer_finish(&w);
  cr_assert_gt(len, 0);
  pl_emu_link_input(s->back, now, buf, (size_t)len, NULL);
  s->r->rtcp_sent++;
}

static void receiver_packet(sim *s, pl_time_us now, const uint8_t *p, size_t n) {
  uint8_t restored[1600];
  bool retx = false;
  pl_rtp_header h;
  if (pl_rtp_parse(&h, p, n) < 0)
    return;
  if (h.ssrc == RTX_SSRC) {
    int len = pl_rtx_unwrap(p, n, MEDIA_SSRC, MEDIA_PT, restored, sizeof restored, NULL);
    if (len < 0)
      return;
    s->r->rtx_received++;
    retx = true;
    cr_assert_eq(pl_rtp_parse(&h, restored, (size_t)len), 0);
  }
  pl_nack_on_packet(s->nack, now, h.seq);
  pl_video_rtp_info info;
  int rc = s->sc->codec == PL_CODEC_VP8
               ? pl_vp8_depacketize(&info, h.payload, h.payload_len)
               : pl_vp9_depacketize(&info, h.payload, h.payload_len);
  cr_assert_eq(rc, 0);
  if (pl_frame_assembler_insert(s->as, now, h.seq, h.ts, h.marker, &info, retx) > 0) {
    pl_encoded_frame f;
    while (pl_frame_assembler_poll(s->as, &f)) {
      if (f.key)
        pl_nack_on_keyframe(s->nack, (uint16_t)f.first_seq);
      pl_frame_buffer_insert(s->fb, now, &f);
    }
  }
}

static void decode_due(sim *s, pl_time_us now) {
  pl_encoded_frame f;
  pl_time_us render_at;
  while (pl_frame_buffer_poll(s->fb, now, &f, &render_at)) {
    pl_video_frame out;
    int rc = pl_vpx_decoder_decode(s->dec, f.data, f.len, &out);
    if (rc < 0) {
      s->r->decode_errors++;
      pl_frame_buffer_need_keyframe(s->fb);
      continue;
    }
    if (rc == 0)
      continue;
    if (out.flags & PL_VF_KEY)
      pl_keyframe_received(&s->kr);
    pl_freeze_detector_frame(&s->r->fd, now);
    int64_t idx = pl_pattern_read_index(&out);
    if (idx < 0) {
      s->r->unreadable++;
      continue;
    }
    if (idx <= s->r->last_decoded_index)
      s->r->out_of_order++;
    s->r->last_decoded_index = idx;
    s->r->decoded++;
    if (idx < s->next_index)
      s->r->seen[idx] = 1;
    pl_pattern_draw(&s->ref.f, idx);
    double p = pl_video_psnr(&s->ref.f, &out);
    s->r->psnr_sum += p;
    if (p < s->r->psnr_min)
      s->r->psnr_min = p;
  }
}

static void receiver_timers(sim *s, pl_time_us now) {
  pl_frame_assembler_timeout(s->as, now);
  pl_frame_buffer_timeout(s->fb, now);
  decode_due(s, now);
  uint16_t seqs[256];
  size_t n = pl_nack_poll(s->nack, now, seqs, 256);
  s->r->nack_seqs_sent += n;
  if (pl_nack_take_loss(s->nack))
    pl_frame_buffer_need_keyframe(s->fb);
  /* A decoder that has seen nothing yet "needs" a keyframe too, but the
   * first one is on its way: only ask once frames have been refused. */
  pl_vpx_dec_stats ds;
  pl_vpx_decoder_stats(s->dec, &ds);
  if (pl_frame_buffer_keyframe_needed(s->fb) ||
      (pl_vpx_decoder_needs_keyframe(s->dec) && ds.frames_in > 0))
    pl_keyframe_request(&s->kr);
  bool pli = pl_keyframe_poll(&s->kr, now, NULL, NULL);
  s->r->plis_sent += pli;
  if (n || pli)
    send_rtcp(s, now, seqs, n, pli);
}

static void run(const scenario *sc, result *r) {
  memset(r, 0, sizeof *r);
  r->psnr_min = 1e9;
  r->last_decoded_index = -1;
  pl_freeze_detector_init(&r->fd);
  sim s = {.sc = sc, .r = r};
  int total_frames = sc->seconds * sc->fps;
  r->seen = calloc((size_t)total_frames + 1, 1);
  pl_vpx_enc_config ec = {.codec = sc->codec, .width = sc->w, .height = sc->h,
                          .fps = sc->fps, .bitrate_bps = sc->bps};
  cr_assert_eq(pl_vpx_encoder_new(&s.enc, &ec), 0);
  cr_assert_eq(pl_video_buffer_alloc(&s.src, sc->w, sc->h), 0);
  cr_assert_eq(pl_video_buffer_alloc(&s.ref, sc->w, sc->h), 0);
  pl_video_pic_counter_init(&s.pc, 0x7f00); /* wraps 15 bits mid-run */
  pl_send_history_config hc = {.packets = 2048, .max_age = PL_SEC(1)};
  cr_assert_eq(pl_send_history_new(&s.hist, &hc), 0);
  pl_rtx_sender_init(&s.rtx, RTX_SSRC, RTX_PT, 40000);
  s.seq = 65000; /* sequence numbers wrap early on */
  cr_assert_eq(pl_emu_link_new(&s.fwd, &sc->fwd, sc->seed), 0);
  cr_assert_eq(pl_emu_link_new(&s.back, &sc->back, sc->seed + 1), 0);
  pl_emu_link_start(s.fwd, 0);
  pl_emu_link_start(s.back, 0);
  cr_assert_eq(pl_frame_assembler_new(&s.as, NULL), 0);
  cr_assert_eq(pl_frame_buffer_new(&s.fb, NULL), 0);
  pl_frame_buffer_set_rtt(s.fb, sc->rtt);
  cr_assert_eq(pl_nack_generator_new(&s.nack, NULL), 0);
  pl_nack_set_rtt(s.nack, sc->rtt);
  pl_keyframe_requester_init(&s.kr, PL_KEYFRAME_PLI, 0);
  pl_keyframe_set_rtt(&s.kr, sc->rtt);
  pl_vpx_dec_config dc = {.codec = sc->codec};
  cr_assert_eq(pl_vpx_decoder_new(&s.dec, &dc), 0);

  pl_time_us frame_iv = PL_SEC(1) / sc->fps;
  pl_time_us end = PL_SEC(sc->seconds) + PL_SEC(2); /* let the tail drain */
  pl_time_us now = 0;
  while (now <= end) {
    if (now >= s.next_frame_at && s.next_index < total_frames) {
      send_frame(&s, now);
      s.next_frame_at += frame_iv;
    }
    pl_pkt *p;
    while (pl_emu_link_poll(s.fwd, now, &p) == 1) {
      receiver_packet(&s, now, p->data, p->len);
      pl_emu_link_release(s.fwd, p);
    }
    receiver_timers(&s, now);
    while (pl_emu_link_poll(s.back, now, &p) == 1) {
      sender_rtcp(&s, now, p->data, p->len);
      pl_emu_link_release(s.back, p);
    }
    pl_time_us next = s.next_index < total_frames ? s.next_frame_at : PL_TIME_NEVER;
    next = pl_time_min(next, pl_emu_link_deadline(s.fwd));
    next = pl_time_min(next, pl_emu_link_deadline(s.back));
    next = pl_time_min(next, pl_frame_assembler_deadline(s.as));
    next = pl_time_min(next, pl_frame_buffer_deadline(s.fb));
    next = pl_time_min(next, pl_nack_deadline(s.nack));
    if (s.kr.wanted)
      next = pl_time_min(next, pl_keyframe_deadline(&s.kr));
    if (next == PL_TIME_NEVER)
      break;
    now = next > now ? next : now + 1;
  }
  pl_vpx_enc_stats es;
  pl_vpx_encoder_stats(s.enc, &es);
  r->keyframes_sent = es.keyframes;
  r->keyframes_forced = es.keyframes_forced;
  pl_emu_link_stats(s.fwd, now, &r->fwd);
  pl_emu_link_stats(s.back, now, &r->back);
  pl_frame_assembler_get_stats(s.as, &r->as);
  pl_frame_buffer_get_stats(s.fb, &r->fb);
  pl_nack_get_stats(s.nack, &r->nk);
  pl_send_history_get_stats(s.hist, &r->hist);
  pl_vpx_decoder_stats(s.dec, &r->dec);

  pl_vpx_encoder_free(s.enc);
  pl_video_buffer_free(&s.src);
  pl_video_buffer_free(&s.ref);
  pl_send_history_free(s.hist);
  pl_emu_link_free(s.fwd);
  pl_emu_link_free(s.back);
  pl_frame_assembler_free(s.as);
  pl_frame_buffer_free(s.fb);
  pl_nack_generator_free(s.nack);
  pl_vpx_decoder_free(s.dec);
}

static int never_decoded(const result *r, int total) {
  int n = 0;
  for (int i = 0; i < total; i++)
    n += !r->seen[i];
  return n;
}

static void report(const char *name, const scenario *sc, const result *r) {
  int total = sc->seconds * sc->fps;
  printf("%s: sent %d decoded %d never %d | freezes %llu (%.0f ms, longest "
         "%.0f ms) | PSNR avg %.2f min %.2f | fwd lost %llu of %llu | NACKed "
         "%llu, RTX %llu sent %llu got, recovered %llu, gave up %llu | PLI "
         "%llu, keys %llu | fb delay %.0f ms p95 %.0f ms, skipped %llu "
         "undecodable %llu | asm timeout %llu superseded %llu | dec err %llu\n",
         name, r->frames_sent, r->decoded, never_decoded(r, total),
         (unsigned long long)r->fd.freeze_count, r->fd.total_freeze / 1e3,
         r->fd.longest_interval / 1e3, r->decoded ? r->psnr_sum / r->decoded : 0,
         r->psnr_min, (unsigned long long)(r->fwd.lost_random + r->fwd.lost_outage),
         (unsigned long long)r->fwd.packets_in,
         (unsigned long long)r->nk.nacked, (unsigned long long)r->rtx_sent,
         (unsigned long long)r->rtx_received, (unsigned long long)r->nk.recovered,
         (unsigned long long)r->nk.gave_up, (unsigned long long)r->plis_sent,
         (unsigned long long)r->keyframes_sent, r->fb.render_delay / 1e3,
         r->fb.jitter_p95 / 1e3, (unsigned long long)r->fb.dropped_skipped,
         (unsigned long long)r->fb.dropped_undecodable,
         (unsigned long long)r->as.dropped_timeout,
         (unsigned long long)r->as.dropped_superseded,
         (unsigned long long)r->decode_errors);
}

static scenario base(pl_video_codec c) {
  scenario sc = {.codec = c, .w = 640, .h = 360, .fps = 30, .bps = 800000,
                 .seconds = 20, .mtu = 1200, .seed = 42, .rtt = PL_MS(100)};
  sc.fwd.delay = sc.back.delay = PL_MS(50);
  return sc;
}

static void clean_path(pl_video_codec c) {
  scenario sc = base(c);
  sc.seconds = 5;
  result r;
  run(&sc, &r);
  report(c == PL_CODEC_VP8 ? "VP8 clean" : "VP9 clean", &sc, &r);
  cr_assert_eq(r.frames_sent, 150);
  cr_assert_eq(r.decoded, 150);
  cr_assert_eq(never_decoded(&r, 150), 0);
  cr_assert_eq(r.fd.freeze_count, 0);
  cr_assert_eq(r.out_of_order, 0);
  cr_assert_eq(r.nk.nacked + r.plis_sent + r.rtx_sent, 0);
  cr_assert_eq(r.keyframes_sent, 1);
  cr_assert_gt(r.psnr_sum / r.decoded, 34);
  /* No jitter: frames play as they complete, one frame interval apart
   * (the 90 kHz clock and the 33333 us frame timer drift by microseconds). */
  cr_assert_lt(r.fb.render_delay, PL_MS(1));
  cr_assert_leq(r.fd.longest_interval, PL_MS(34));
  free(r.seen);
}

Test(video_e2e, vp8_clean_path_every_frame_on_time) { clean_path(PL_CODEC_VP8); }
Test(video_e2e, vp9_clean_path_every_frame_on_time) { clean_path(PL_CODEC_VP9); }

static void lossy(pl_video_codec c) {
  scenario sc = base(c);
  /* 5% random loss both ways, 50 ms one-way delay with 50 ms (std) normal
   * jitter; packets keep their order, as on one path. */
  sc.fwd.loss_model = sc.back.loss_model = PL_EMU_LOSS_RANDOM;
  sc.fwd.loss = sc.back.loss = 0.05;
  sc.fwd.jitter = sc.back.jitter = PL_MS(50);
  sc.fwd.jitter_dist = sc.back.jitter_dist = PL_EMU_JITTER_NORMAL;
  sc.rtt = PL_MS(200);
  result r;
  run(&sc, &r);
  int total = sc.seconds * sc.fps;
  report(c == PL_CODEC_VP8 ? "VP8 5% loss + 50 ms jitter" : "VP9 5% loss + 50 ms jitter",
         &sc, &r);
  double lost = (double)r.fwd.lost_random / (double)r.fwd.packets_in;
  cr_assert(lost > 0.035 && lost < 0.065, "the link lost %.3f", lost);
  /* NACK/RTX repairs the losses: every frame reaches the screen, in order,
   * without a freeze and without asking for a keyframe. */
  cr_assert_gt(r.rtx_sent, 50);
  cr_assert_gt(r.nk.recovered, 50);
  cr_assert_eq(r.nk.gave_up, 0);
  cr_assert_eq(never_decoded(&r, total), 0);
  cr_assert_eq(r.keyframes_sent, 1);
  /* Two freezes in 20 s: one early, when the render delay first jumps from
   * 0 to jitter + RTT, and one from a packet whose NACK and RTX were both
   * unlucky (two rounds). Together well under a second. */
  cr_assert_leq(r.fd.freeze_count, 2);
  cr_assert_lt(r.fd.total_freeze, PL_MS(800));
  cr_assert_eq(r.out_of_order, 0);
  cr_assert_eq(r.decode_errors, 0);
  cr_assert_eq(r.unreadable, 0);
  cr_assert_gt(r.psnr_sum / r.decoded, 34);
  /* The render delay covers jitter and a retransmission round trip. */
  cr_assert(r.fb.render_delay > PL_MS(100) && r.fb.render_delay < PL_MS(600),
            "%lld", (long long)r.fb.render_delay);
  free(r.seen);
}

Test(video_e2e, vp8_nack_rtx_recovers_5pct_loss_with_jitter, .timeout = 240) {
  lossy(PL_CODEC_VP8);
}
Test(video_e2e, vp9_nack_rtx_recovers_5pct_loss_with_jitter, .timeout = 240) {
  lossy(PL_CODEC_VP9);
}

static result outage_run(pl_video_codec c, pl_time_us len, const char *name) {
  scenario sc = base(c);
  sc.seconds = 8;
  sc.fwd.noutages = 1;
  sc.fwd.outages[0] = (pl_emu_window){PL_SEC(3), PL_SEC(3) + len};
  result r;
  run(&sc, &r);
  report(name, &sc, &r);
  cr_assert_gt(r.fwd.lost_outage, len / PL_MS(25), "%llu",
               (unsigned long long)r.fwd.lost_outage);
  cr_assert_eq(r.last_decoded_index, sc.seconds * sc.fps - 1, "decoding resumed");
  cr_assert_eq(r.out_of_order, 0);
  cr_assert_eq(r.decode_errors, 0);
  cr_assert_eq(r.fd.freeze_count, 1, "one freeze: the outage");
  cr_assert_geq(r.fd.total_freeze, len);
  return r;
}

/* 500 ms is within the 1 s send history: NACK/RTX brings every packet back
 * and no frame is lost, only late. */
static void short_outage(pl_video_codec c) {
  result r = outage_run(c, PL_MS(500), c == PL_CODEC_VP8 ? "VP8 500 ms outage"
                                                         : "VP9 500 ms outage");
  cr_assert_eq(never_decoded(&r, 240), 0);
  cr_assert_eq(r.plis_sent, 0);
  cr_assert_eq(r.keyframes_sent, 1);
  cr_assert_geq(r.nk.recovered, r.fwd.lost_outage);
  cr_assert_lt(r.fd.total_freeze, PL_MS(500) + PL_MS(400));
  free(r.seen);
}

/* 2 s outlasts the history: the holes cannot be repaired, the receiver
 * gives up on them, a PLI brings a keyframe and decoding resumes. */
static void long_outage(pl_video_codec c) {
  result r = outage_run(c, PL_SEC(2), c == PL_CODEC_VP8 ? "VP8 2 s outage"
                                                        : "VP9 2 s outage");
  cr_assert_geq(r.plis_sent, 1);
  cr_assert_geq(r.plis_received, 1);
  cr_assert_geq(r.keyframes_forced, 2, "the first and the PLI's");
  cr_assert_geq(r.hist.expired + r.hist.missing, 1);
  int lost = never_decoded(&r, 240);
  cr_assert_geq(lost, 60, "the outage's frames are gone");
  cr_assert_lt(r.fd.total_freeze, PL_SEC(2) + PL_MS(1500));
  cr_assert_lt(lost, (int)((PL_SEC(2) + PL_MS(1500)) / PL_MS(33)));
  free(r.seen);
}

Test(video_e2e, vp8_500ms_outage_repaired_by_nack, .timeout = 240) {
  short_outage(PL_CODEC_VP8);
}
Test(video_e2e, vp9_500ms_outage_repaired_by_nack, .timeout = 240) {
  short_outage(PL_CODEC_VP9);
}
Test(video_e2e, vp8_2s_outage_pli_keyframe_resumes, .timeout = 240) {
  long_outage(PL_CODEC_VP8);
}
Test(video_e2e, vp9_2s_outage_pli_keyframe_resumes, .timeout = 240) {
  long_outage(PL_CODEC_VP9);
}
