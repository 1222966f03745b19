/* VP9 RTP payload (RFC 9628): descriptor known answers in flexible and
 * non-flexible mode with a scalability structure, malformed descriptors,
 * byte-exact packetize/depacketize round trips at several MTUs and sizes,
 * and real encoder output. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "parley.h"
#include "video/pattern/pattern.h"
#include "video/payload/vp9.h"
#include "video/vpx/vpx.h"

Test(vp9_payload, flexible_descriptor_known_answer) {
  /* Hand-assembled per §4.2: I P L F B set (0xf8); M=1 PictureID 0x0123;
   * TID 1, U 1, SID 0, D 0 (0x30); P_DIFF 1 with N (0x03), P_DIFF 3 (0x06);
   * one payload byte. */
  const uint8_t pkt[] = {0xf8, 0x81, 0x23, 0x30, 0x03, 0x06, 0xaa};
  pl_vp9_desc d;
  cr_assert_eq(pl_vp9_desc_parse(&d, pkt, sizeof pkt), 6);
  cr_assert(d.i && d.p && d.l && d.f && d.b);
  cr_assert_not(d.e || d.v || d.z);
  cr_assert(d.pid_15);
  cr_assert_eq(d.picture_id, 0x123);
  cr_assert_eq(d.tid, 1);
  cr_assert(d.u);
  cr_assert_eq(d.sid, 0);
  cr_assert_eq(d.nrefs, 2);
  cr_assert_eq(d.pdiff[0], 1);
  cr_assert_eq(d.pdiff[1], 3);
  uint8_t out[16];
  cr_assert_eq(pl_vp9_desc_len(&d), 6);
  cr_assert_eq(pl_vp9_desc_write(&d, out, sizeof out), 6);
  cr_assert_arr_eq(out, pkt, 6);
  for (size_t n = 0; n <= 6; n++)
    cr_assert_eq(pl_vp9_desc_parse(&d, pkt, n), PL_ETRUNC, "n=%zu", n);
  pl_video_rtp_info info;
  cr_assert_eq(pl_vp9_depacketize(&info, pkt, sizeof pkt), 0);
  cr_assert(info.flexible && info.inter_predicted && info.frame_begin);
  cr_assert_not(info.key);
  cr_assert_eq(info.nrefs, 2);
  cr_assert_eq(info.picture_id, 0x123);
  cr_assert_eq(info.tid, 1);
  cr_assert_eq(info.sid, 0);
}

Test(vp9_payload, non_flexible_with_scalability_structure_known_answer) {
  /* I L B E V set (0xae); 7-bit PictureID 0x22; TID 0 SID 0 (0x00);
   * TL0PICIDX 7; SS: N_S 0, Y, G (0x18); 640 x 360; N_G 2: {TID 0, R 1,
   * P_DIFF 2}, {TID 1, U, R 1, P_DIFF 1}; then the start of a VP9 key
   * frame: marker/profile/key/show (0x82), sync code, colour config 0,
   * width-1 = 639, height-1 = 359 (16 bits each), more header bits. */
  const uint8_t pkt[] = {0xae, 0x22, 0x00, 0x07, 0x18, 0x02, 0x80,
                         0x01, 0x68, 0x02, 0x04, 0x02, 0x34, 0x01,
                         0x82, 0x49, 0x83, 0x42, 0x00, 0x27, 0xf0, 0x16, 0x70};
  pl_vp9_desc d;
  cr_assert_eq(pl_vp9_desc_parse(&d, pkt, sizeof pkt), 14);
  cr_assert(d.i && d.l && d.b && d.e && d.v);
  cr_assert_not(d.p || d.f);
  cr_assert_not(d.pid_15);
  cr_assert_eq(d.picture_id, 0x22);
  cr_assert_eq(d.tl0picidx, 7);
  cr_assert_eq(d.ss.n_s, 1);
  cr_assert(d.ss.y && d.ss.g);
  cr_assert_eq(d.ss.width[0], 640);
  cr_assert_eq(d.ss.height[0], 360);
  cr_assert_eq(d.ss.n_g, 2);
  cr_assert_eq(d.ss.pg[0].tid, 0);
  cr_assert_eq(d.ss.pg[0].r, 1);
  cr_assert_eq(d.ss.pg[0].pdiff[0], 2);
  cr_assert_eq(d.ss.pg[1].tid, 1);
  cr_assert(d.ss.pg[1].u);
  cr_assert_eq(d.ss.pg[1].pdiff[0], 1);
  uint8_t out[32];
  cr_assert_eq(pl_vp9_desc_write(&d, out, sizeof out), 14);
  cr_assert_arr_eq(out, pkt, 14);
  for (size_t n = 0; n <= 14; n++)
    cr_assert_eq(pl_vp9_desc_parse(&d, pkt, n), PL_ETRUNC, "n=%zu", n);
  pl_video_rtp_info info;
  cr_assert_eq(pl_vp9_depacketize(&info, pkt, sizeof pkt), 0);
  cr_assert_eq(info.tl0picidx, 7);
  cr_assert(info.key);
  cr_assert_eq(info.width, 640);
  cr_assert_eq(info.height, 360);
  cr_assert(info.frame_end); /* E in the only spatial layer */
}

Test(vp9_payload, malformed_descriptors_are_errors) {
  pl_vp9_desc d;
  const uint8_t f_without_i[] = {0x10, 0x00};
  cr_assert_eq(pl_vp9_desc_parse(&d, f_without_i, sizeof f_without_i), PL_EPARSE);
  const uint8_t four_refs[] = {0xd0, 0x01, 0x03, 0x03, 0x03, 0x02, 0x00};
  cr_assert_eq(pl_vp9_desc_parse(&d, four_refs, sizeof four_refs), PL_EPARSE);
  const uint8_t zero_diff[] = {0xd0, 0x01, 0x00, 0x00};
  cr_assert_eq(pl_vp9_desc_parse(&d, zero_diff, sizeof zero_diff), PL_EPARSE);
  /* SS promising 8 resolutions in 4 bytes. */
  const uint8_t short_ss[] = {0x02, 0xf0, 0x00, 0x10, 0x00, 0x10};
  cr_assert_eq(pl_vp9_desc_parse(&d, short_ss, sizeof short_ss), PL_ETRUNC);
  /* Keyframe start whose VP9 header is not VP9 (frame marker 0). */
  const uint8_t bad_hdr[] = {0x0c, 0x00, 0x49, 0x83, 0x42, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00};
  pl_video_rtp_info info;
  cr_assert_eq(pl_vp9_depacketize(&info, bad_hdr, sizeof bad_hdr), PL_EPARSE);
  uint8_t out[32];
  pl_vp9_desc w = {.f = true};
  cr_assert_eq(pl_vp9_desc_write(&w, out, sizeof out), PL_EINVAL);
  w = (pl_vp9_desc){.i = true, .f = true, .p = true, .nrefs = 0};
  cr_assert_eq(pl_vp9_desc_write(&w, out, sizeof out), PL_ERANGE);
  w.nrefs = 1;
  w.pdiff[0] = 128;
  cr_assert_eq(pl_vp9_desc_write(&w, out, sizeof out), PL_ERANGE);
  w.pdiff[0] = 5;
  cr_assert_eq(pl_vp9_desc_write(&w, out, sizeof out), 3);
  cr_assert_eq(pl_vp9_desc_write(&w, out, 2), PL_EFULL);
}

static void round_trip(const uint8_t *frame, size_t len, size_t mtu, bool ss) {
  pl_vp9_desc t = {.i = true, .pid_15 = true, .picture_id = 0x4321,
                   .l = true, .tid = 2, .sid = 0, .tl0picidx = 9, .p = !ss};
  if (ss) {
    t.v = true;
    t.ss = (pl_vp9_ss){.n_s = 1, .y = true, .width = {1280},
                       .height = {720}, .g = true, .n_g = 1};
    t.ss.pg[0].tid = 0;
    t.ss.pg[0].r = 1;
    t.ss.pg[0].pdiff[0] = 1;
  }
  pl_vp9_packetizer pz;
  int total = pl_vp9_packetizer_init(&pz, &t, frame, len, mtu);
  cr_assert_gt(total, 0);
  uint8_t *re = malloc(len);
  uint8_t pkt[1500];
  size_t off = 0, mn = SIZE_MAX, mx = 0, first = 0;
  int got = 0;
  bool last;
  int n;
  while ((n = pl_vp9_packetizer_next(&pz, pkt, sizeof pkt, &last)) > 0) {
    cr_assert_leq((size_t)n, mtu);
    got++;
    pl_vp9_desc d;
    int dl = pl_vp9_desc_parse(&d, pkt, (size_t)n);
    cr_assert_gt(dl, 0);
    cr_assert_eq(d.b, got == 1);
    cr_assert_eq(d.e, got == total);
    cr_assert_eq(last, got == total);
    cr_assert_eq(d.v, ss && got == 1, "SS in the first packet only");
    cr_assert_eq(d.picture_id, 0x4321);
    cr_assert_eq(d.tl0picidx, 9);
    size_t pl = (size_t)n - (size_t)dl;
    memcpy(re + off, pkt + dl, pl);
    off += pl;
    if (got == 1)
      first = pl;
    else {
      mn = pl < mn ? pl : mn;
      mx = pl > mx ? pl : mx;
    }
  }
  cr_assert_eq(got, total);
  cr_assert_eq(off, len);
  cr_assert_arr_eq(re, frame, len, "byte-exact");
  if (total > 1) {
    cr_assert_leq(mx - mn, 1, "balanced");
    cr_assert_leq(first, mx);
  }
  free(re);
}

Test(vp9_payload, round_trip_byte_exact_at_several_mtus_and_sizes) {
  static const size_t sizes[] = {1, 2, 290, 295, 1190, 1195, 5000, 64000, 250001};
  static const size_t mtus[] = {300, 1200, 1400};
  pl_rng rng;
  pl_rng_seed(&rng, 2);
  uint8_t *frame = malloc(250001);
  for (size_t i = 0; i < 250001; i++)
    frame[i] = (uint8_t)pl_rng_u64(&rng);
  for (size_t m = 0; m < 3; m++)
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
      round_trip(frame, sizes[s], mtus[m], false);
      round_trip(frame, sizes[s], mtus[m], true);
    }
  free(frame);
}

Test(vp9_payload, keyframe_with_ss_fewest_packets) {
  /* 2370 bytes at MTU 1200: packet 1 carries a 5-byte descriptor plus a
   * 5-byte SS (1190 bytes left), the others 1195: two packets do. */
  uint8_t frame[2370];
  memset(frame, 0x5a, sizeof frame);
  pl_vp9_desc t = {.i = true, .pid_15 = true, .l = true, .v = true};
  t.ss = (pl_vp9_ss){.n_s = 1, .y = true, .width = {320}, .height = {240}};
  pl_vp9_packetizer pz;
  cr_assert_eq(pl_vp9_packetizer_init(&pz, &t, frame, sizeof frame, 1200), 2);
  cr_assert_eq(pl_vp9_packetizer_init(&pz, &t, frame, sizeof frame, 10), PL_ERANGE);
}

Test(vp9_payload, encoder_frames_depacketize_to_key_and_size) {
  pl_vpx_enc_config cfg = {.codec = PL_CODEC_VP9, .width = 480, .height = 270};
  pl_vpx_encoder *e;
  cr_assert_eq(pl_vpx_encoder_new(&e, &cfg), 0);
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 480, 270), 0);
  for (int i = 0; i < 3; i++) {
    pl_pattern_draw(&src.f, i);
    src.f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
    pl_vp9_desc d = {.i = true, .pid_15 = true, .picture_id = (uint16_t)i,
                     .p = !ef.key};
    pl_vp9_packetizer pz;
    cr_assert_gt(pl_vp9_packetizer_init(&pz, &d, ef.data, ef.len, 1200), 0);
    uint8_t pkt[1500];
    bool last;
    int n = pl_vp9_packetizer_next(&pz, pkt, sizeof pkt, &last);
    pl_video_rtp_info info;
    cr_assert_eq(pl_vp9_depacketize(&info, pkt, (size_t)n), 0);
    cr_assert(info.frame_begin);
    cr_assert_eq(info.key, i == 0);
    cr_assert_eq(info.width, i == 0 ? 480 : 0);
    cr_assert_eq(info.height, i == 0 ? 270 : 0);
  }
  pl_vpx_encoder_free(e);
  pl_video_buffer_free(&src);
}
