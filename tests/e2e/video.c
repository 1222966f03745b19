/* Two engines with a video track on one simulated clock, over the network
 * emulator: the pattern goes both ways through encoder, RTP, SRTP, NACK/
 * RTX, frame buffer and decoder. Checks what a viewer would notice (frames
 * shown, their content, freezes) and how the call got there (NACKs, RTX,
 * PLIs, keyframes), plus corrupt video payloads in a running call. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "engine/call/call.h"
#include "engine/sim.h"
#include "net/rtp/rtp.h"
#include "net/srtp/srtp.h"
#include "parley.h"
#include "video/pattern/pattern.h"
#include "video/scale/scale.h"

#define W 320
#define H 240

typedef struct vsink {
  int frames, unreadable, backwards;
  int64_t last_index, first_after; /* first index shown after `mark` */
  pl_time_us mark;
  double psnr_sum, psnr_min;
  pl_video_buffer ref;
} vsink;

static int sink_write(void *user, const pl_video_picture *pic) {
  vsink *k = user;
  pl_video_frame f = {.y = (uint8_t *)pic->y, .u = (uint8_t *)pic->u, .v = (uint8_t *)pic->v,
                      .stride_y = pic->stride_y, .stride_u = pic->stride_u,
                      .stride_v = pic->stride_v, .width = pic->width, .height = pic->height};
  int64_t idx = pl_pattern_read_index(&f);
  if (idx < 0 || pic->width != W || pic->height != H) {
    k->unreadable++;
    return 0;
  }
  if (idx <= k->last_index)
    k->backwards++;
  k->last_index = idx;
  if (k->mark && pic->render_us >= k->mark && k->first_after < 0)
    k->first_after = idx;
  k->frames++;
  pl_pattern_draw(&k->ref.f, idx);
  double p = pl_video_psnr(&k->ref.f, &f);
  k->psnr_sum += p;
  if (p < k->psnr_min)
    k->psnr_min = p;
  return 0;
}

static void sink_init(vsink *k) {
  memset(k, 0, sizeof *k);
  k->last_index = -1;
  k->first_after = -1;
  k->psnr_min = 1e9;
  cr_assert_eq(pl_video_buffer_alloc(&k->ref, W, H), 0);
}

static pl_transport g_transport = PL_TRANSPORT_AUTO;

static void finish(pl_sim *s, vsink *ka, vsink *kb) {
  pl_sim_free(s);
  pl_video_buffer_free(&ka->ref);
  pl_video_buffer_free(&kb->ref);
}

static const char *g_cc; /* congestion controller: NULL for the engine's */

static pl_sim *make(const pl_emu_config *ab, const pl_emu_config *ba, int codec, vsink *ka,
                    vsink *kb) {
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  a.cc = b.cc = g_cc;
  a.transport = b.transport = g_transport;
  a.video = b.video = true;
  a.video_codec = b.video_codec = codec;
  a.video_bitrate = b.video_bitrate = 400000;
  pl_sim *s;
  cr_assert_eq(pl_sim_new(&s, &a, &b, ab, ba, 11), 0);
  pl_video_io src;
  cr_assert_eq(pl_video_io_pattern_source(&src, W, H), 0);
  cr_assert_eq(pl_call_set_video_source(s->a, &src), 0);
  cr_assert_eq(pl_video_io_pattern_source(&src, W, H), 0);
  cr_assert_eq(pl_call_set_video_source(s->b, &src), 0);
  sink_init(ka);
  sink_init(kb);
  pl_video_io sa = {.write = sink_write, .user = ka}, sb = {.write = sink_write, .user = kb};
  cr_assert_eq(pl_call_set_video_sink(s->a, &sa), 0);
  cr_assert_eq(pl_call_set_video_sink(s->b, &sb), 0);
  cr_assert_eq(pl_sim_connect(s), 0);
  return s;
}

static void show(const char *name, const pl_call_stats *st, const vsink *k) {
  printf("%s: enc %llu (key %llu) dec %llu (key %llu) shown %d unreadable %d PSNR %.1f min "
         "%.1f | freezes %llu %.0f ms | lost %lld NACK %llu (%llu seqs) RTX in %llu | PLI %llu "
         "FIR %llu | dropped frames %llu dec err %llu bad pkts %llu | %dx%d %.1f fps delay "
         "%.0f ms\n",
         name, (unsigned long long)st->frames_encoded, (unsigned long long)st->key_frames_encoded,
         (unsigned long long)st->frames_decoded, (unsigned long long)st->key_frames_decoded,
         k->frames, k->unreadable, k->frames ? k->psnr_sum / k->frames : 0, k->psnr_min,
         (unsigned long long)st->freeze_count, st->total_freezes_duration_s * 1e3,
         (long long)st->video_packets_lost, (unsigned long long)st->nack_count,
         (unsigned long long)st->nacked_packets,
         (unsigned long long)st->retransmitted_packets_received,
         (unsigned long long)st->pli_count, (unsigned long long)st->fir_count,
         (unsigned long long)st->frames_dropped, (unsigned long long)st->decode_errors,
         (unsigned long long)st->video_packets_dropped, st->frame_width, st->frame_height,
         st->frames_per_second, st->video_delay_s * 1e3);
  fflush(stdout);
}

static void clean(int codec) {
  pl_emu_config net = {.delay = PL_MS(20)};
  vsink ka, kb;
  pl_sim *s = make(&net, &net, codec, &ka, &kb);
  cr_assert_eq(pl_sim_run_until(s, PL_SEC(5)), 0);
  pl_call_stats sa, sb;
  pl_call_get_stats(s->a, &sa);
  pl_call_get_stats(s->b, &sb);
  show("a", &sa, &ka);
  show("b", &sb, &kb);
  for (int i = 0; i < 2; i++) {
    const pl_call_stats *st = i ? &sb : &sa;
    const vsink *k = i ? &kb : &ka;
    cr_assert(st->video);
    cr_assert_eq(st->video_codec, codec);
    cr_assert_geq(st->frames_encoded, 148); /* 30 fps x 5 s */
    cr_assert_eq(st->key_frames_encoded, 1);
    cr_assert_geq(k->frames, 140, "shown %d", k->frames);
    cr_assert_eq(k->unreadable, 0);
    cr_assert_eq(k->backwards, 0);
    cr_assert_gt(k->psnr_sum / k->frames, 30.0);
    cr_assert_eq(st->freeze_count, 0);
    cr_assert_eq(st->frame_width, W);
    cr_assert_eq(st->frame_height, H);
    cr_assert_float_eq(st->frames_per_second, 30.0, 2.0);
    cr_assert_eq(st->pli_count, 0);
    cr_assert_eq(st->nack_count, 0);
    cr_assert_eq(st->video_packets_lost, 0);
    /* 20 ms network + up to a 10 ms tick each side + the frame buffer. */
    cr_assert(st->video_delay_s > 0.020 && st->video_delay_s < 0.150, "delay %f",
              st->video_delay_s);
  }
  /* Audio still flows beside it. */
  cr_assert_gt(sa.total_samples_received, 48000 * 4);
  finish(s, &ka, &kb);
}

Test(e2e_video, vp8_both_ways_on_a_clean_network) { clean(8); }
Test(e2e_video, vp9_both_ways_on_a_clean_network) { clean(9); }

/* The same over ICE + DTLS-SRTP with BUNDLE: the JSEP m=video section. */
Test(e2e_video, vp8_over_webrtc_bundle) {
  g_transport = PL_TRANSPORT_WEBRTC;
  pl_emu_config net = {.delay = PL_MS(20)};
  vsink ka, kb;
  pl_sim *s = make(&net, &net, 8, &ka, &kb);
  cr_assert_eq(pl_sim_run_until(s, PL_SEC(4)), 0);
  pl_call_stats sa, sb;
  pl_call_get_stats(s->a, &sa);
  pl_call_get_stats(s->b, &sb);
  show("a", &sa, &ka);
  show("b", &sb, &kb);
  cr_assert_neq(sa.srtp_profile[0], 0); /* keyed by DTLS */
  cr_assert_geq(ka.frames, 90);
  cr_assert_geq(kb.frames, 90);
  cr_assert_eq(ka.unreadable + kb.unreadable, 0);
  cr_assert_gt(sa.total_samples_received, 48000 * 2);
  finish(s, &ka, &kb);
}

Test(e2e_video, nack_and_rtx_recover_5pct_loss_with_50ms_jitter) {
  pl_emu_config net = {.loss_model = PL_EMU_LOSS_RANDOM, .loss = 0.05, .delay = PL_MS(50), .jitter = PL_MS(50),
                       .jitter_dist = PL_EMU_JITTER_UNIFORM};
  vsink ka, kb;
  pl_sim *s = make(&net, &net, 8, &ka, &kb);
  cr_assert_eq(pl_sim_run_until(s, PL_SEC(10)), 0);
  pl_call_stats sa, sb;
  pl_call_get_stats(s->a, &sa);
  pl_call_get_stats(s->b, &sb);
  show("a", &sa, &ka);
  show("b", &sb, &kb);
  for (int i = 0; i < 2; i++) {
    const pl_call_stats *st = i ? &sb : &sa;
    const pl_call_stats *peer = i ? &sa : &sb;
    const vsink *k = i ? &kb : &ka;
    cr_assert_gt(st->video_packets_lost, 20);
    cr_assert_gt(st->nack_count, 10);
    cr_assert_gt(st->retransmitted_packets_received, 20);
    cr_assert_eq(peer->retransmitted_packets_sent >= st->retransmitted_packets_received, 1);
    cr_assert_geq(k->frames, 270, "shown %d of ~300", k->frames); /* 90% */
    cr_assert_eq(k->unreadable, 0);
    /* Most holes are repaired by the first NACK; one whose NACK or RTX is
     * lost too (~10% at 5% each way) costs another RTT and then a freeze. */
    cr_assert_geq(st->retransmitted_packets_received * 10, (uint64_t)st->video_packets_lost * 8);
    cr_assert_leq(st->freeze_count, 8);
    cr_assert_lt(st->total_freezes_duration_s, 2.5);
    cr_assert_eq(st->pli_count, 0); /* NACK alone was enough */
    cr_assert_gt(k->psnr_sum / k->frames, 28.0);
  }
  finish(s, &ka, &kb);
}

Test(e2e_video, outage_pli_keyframe_and_decoding_resumes) {
  pl_emu_config ab = {.delay = PL_MS(30)}, ba = {.delay = PL_MS(30)};
  /* 3 s into the call (the sim starts at 1 s) a -> b goes dark for 2 s. */
  ab.outages[0] = (pl_emu_window){.start = PL_SEC(3), .end = PL_SEC(5)};
  ab.noutages = 1;
  vsink ka, kb;
  pl_sim *s = make(&ab, &ba, 8, &ka, &kb);
  kb.mark = PL_SIM_START_US + PL_SEC(5) + PL_MS(200);
  cr_assert_eq(pl_sim_run_until(s, PL_SEC(9)), 0);
  pl_call_stats sa, sb;
  pl_call_get_stats(s->a, &sa);
  pl_call_get_stats(s->b, &sb);
  show("a", &sa, &ka);
  show("b", &sb, &kb);
  cr_assert_geq(sb.pli_count, 1);
  cr_assert_geq(sa.plis_received, 1);
  cr_assert_geq(sa.keyframes_requested_by_peer, 1);
  cr_assert_geq(sa.key_frames_encoded, 2);
  cr_assert_geq(sb.key_frames_decoded, 2);
  cr_assert_geq(sb.freeze_count, 1);
  /* Shown again within a few frames of the outage's end, up to the end. */
  cr_assert_geq(kb.first_after, 0);
  cr_assert_leq(kb.first_after, 5 * 30 + 30, "first after %lld", (long long)kb.first_after);
  cr_assert_geq(kb.last_index, 9 * 30 - 10);
  finish(s, &ka, &kb);
}

/* ---- corrupt payloads: a tap that decrypts a -> b video, damages it and
 * encrypts it again with copies of the two ends' SRTP contexts. */
typedef struct corrupter {
  pl_srtp *as_a, *as_b;
  pl_rng rng;
  int video_pt;
  uint64_t damaged;
} corrupter;

static bool corrupt_tap(void *user, int dir, pl_time_us now, uint8_t *buf, size_t *len) {
  (void)now;
  corrupter *k = user;
  if (dir != 0 || *len < 12)
    return true;
  /* RTCP's second byte is 200-206: never the video payload type. */
  if ((buf[1] & 0x7f) != k->video_pt || pl_rng_below(&k->rng, 12) != 0)
    return true;
  size_t n = *len;
  if (pl_srtp_unprotect_rtp(k->as_b, buf, &n) != 0)
    return true;
  pl_rtp_header h;
  if (pl_rtp_parse(&h, buf, n) != 0 || h.payload_len < 2)
    return true;
  size_t off = (size_t)(h.payload - buf);
  switch (pl_rng_below(&k->rng, 3)) {
  case 0: /* garbage over the whole payload, descriptor included */
    for (size_t i = off; i < n; i++)
      buf[i] = (uint8_t)pl_rng_u64(&k->rng);
    break;
  case 1: /* just the descriptor and the first codec bytes */
    for (size_t i = off; i < off + 6 && i < n; i++)
      buf[i] ^= (uint8_t)(1 + pl_rng_below(&k->rng, 255));
    break;
  default: /* cut short: the descriptor alone, or less */
    n = off + 1;
    break;
  }
  k->damaged++;
  *len = n;
  return pl_srtp_protect_rtp(k->as_a, buf, len, PL_PKT_CAPACITY) == 0;
}

Test(e2e_video, corrupt_video_payloads_are_counted_and_the_call_goes_on) {
  pl_emu_config net = {.delay = PL_MS(20)};
  vsink ka, kb;
  /* At a fixed 400 kbit/s: the share of frames a 1-in-12 packet damage
   * hits depends on packets per frame, which congestion control (here on
   * a clean, unlimited link, climbing past 2 Mbit/s) would change. */
  g_cc = "none";
  pl_sim *s = make(&net, &net, 8, &ka, &kb);
  g_cc = NULL;
  corrupter k = {.video_pt = 96};
  pl_rng_seed(&k.rng, 5);
  cr_assert_eq(pl_srtp_new(&k.as_a, &s->a->keys), 0);
  cr_assert_eq(pl_srtp_new(&k.as_b, &s->b->keys), 0);
  s->tap = corrupt_tap;
  s->tap_user = &k;
  cr_assert_eq(pl_sim_run_until(s, PL_SEC(8)), 0);
  pl_call_stats sa, sb;
  pl_call_get_stats(s->a, &sa);
  pl_call_get_stats(s->b, &sb);
  show("a", &sa, &ka);
  show("b", &sb, &kb);
  printf("damaged %llu packets\n", (unsigned long long)k.damaged);
  cr_assert_gt(k.damaged, 10);
  cr_assert_eq(sb.srtp_auth_failures, 0); /* the damage is inside valid SRTP */
  cr_assert_gt(sb.video_packets_dropped + sb.decode_errors + sb.frames_dropped, 10);
  cr_assert_geq(sb.pli_count, 1);
  /* VP8 has no checksum: a flipped bit inside the codec data can decode
   * "fine" into a damaged picture until the next keyframe, so a few may be
   * unreadable; most are shown intact. */
  cr_assert_lt(kb.unreadable * 3, kb.frames);
  cr_assert_gt(kb.frames, 60);
  /* The other direction never noticed. */
  cr_assert_geq(ka.frames, 8 * 30 - 20);
  pl_srtp_free(k.as_a);
  pl_srtp_free(k.as_b);
  finish(s, &ka, &kb);
}
