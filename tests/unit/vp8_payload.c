/* VP8 RTP payload (RFC 7741): descriptor known answers and limits, the
 * balanced split, byte-exact packetize/depacketize round trips at several
 * MTUs and frame sizes, partition mode, and real encoder output. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "parley.h"
#include "video/pattern/pattern.h"
#include "video/payload/vp8.h"
#include "video/vpx/vpx.h"

Test(vp8_payload, descriptor_all_extensions_known_answer) {
  /* Hand-assembled per §4.2: X=1 S=1 PID=0; I L T K all set; M=1 with
   * PictureID 0x1234; TL0PICIDX 0x56; TID 2, Y 1, KEYIDX 5; one payload
   * byte. */
  const uint8_t pkt[] = {0x90, 0xf0, 0x92, 0x34, 0x56, 0xa5, 0x9d};
  pl_vp8_desc d;
  cr_assert_eq(pl_vp8_desc_parse(&d, pkt, sizeof pkt), 6);
  cr_assert(d.s);
  cr_assert_not(d.n);
  cr_assert_eq(d.pid, 0);
  cr_assert(d.has_picture_id && d.picture_id_15);
  cr_assert_eq(d.picture_id, 0x1234);
  cr_assert(d.has_tl0picidx);
  cr_assert_eq(d.tl0picidx, 0x56);
  cr_assert(d.has_tid && d.y);
  cr_assert_eq(d.tid, 2);
  cr_assert(d.has_keyidx);
  cr_assert_eq(d.keyidx, 5);
  uint8_t out[8];
  cr_assert_eq(pl_vp8_desc_len(&d), 6);
  cr_assert_eq(pl_vp8_desc_write(&d, out, sizeof out), 6);
  cr_assert_arr_eq(out, pkt, 6);
  for (size_t n = 0; n <= 6; n++)
    cr_assert_eq(pl_vp8_desc_parse(&d, pkt, n), PL_ETRUNC, "n=%zu", n);
}

Test(vp8_payload, descriptor_short_forms) {
  /* No X: one byte. N=1, PID=3 (S=0). */
  const uint8_t a[] = {0x23, 0x00};
  pl_vp8_desc d;
  cr_assert_eq(pl_vp8_desc_parse(&d, a, sizeof a), 1);
  cr_assert(d.n);
  cr_assert_not(d.s);
  cr_assert_eq(d.pid, 3);
  cr_assert_not(d.has_picture_id);
  /* 7-bit PictureID 0x55 only. */
  const uint8_t b[] = {0x80, 0x80, 0x55, 0x01};
  cr_assert_eq(pl_vp8_desc_parse(&d, b, sizeof b), 3);
  cr_assert(d.has_picture_id);
  cr_assert_not(d.picture_id_15);
  cr_assert_eq(d.picture_id, 0x55);
  uint8_t out[8];
  cr_assert_eq(pl_vp8_desc_write(&d, out, sizeof out), 3);
  cr_assert_arr_eq(out, b, 3);
  /* K without T: the shared byte carries KEYIDX only; TID bits ignored. */
  const uint8_t c[] = {0x80, 0x10, 0xdf, 0x01};
  cr_assert_eq(pl_vp8_desc_parse(&d, c, sizeof c), 3);
  cr_assert(d.has_keyidx);
  cr_assert_eq(d.keyidx, 31);
  cr_assert_not(d.has_tid);
  cr_assert_eq(d.tid, 0);
  /* Reserved bits set: ignored, as receivers must (§4.2). */
  const uint8_t r[] = {0x48, 0x00};
  cr_assert_eq(pl_vp8_desc_parse(&d, r, sizeof r), 1);
}

Test(vp8_payload, descriptor_writer_refuses_out_of_range_fields) {
  uint8_t out[8];
  pl_vp8_desc d = {.has_picture_id = true, .picture_id = 128};
  cr_assert_eq(pl_vp8_desc_write(&d, out, sizeof out), PL_ERANGE);
  d.picture_id_15 = true;
  cr_assert_eq(pl_vp8_desc_write(&d, out, sizeof out), 4);
  d.picture_id = 0x8000;
  cr_assert_eq(pl_vp8_desc_write(&d, out, sizeof out), PL_ERANGE);
  d = (pl_vp8_desc){.has_tid = true, .tid = 4};
  cr_assert_eq(pl_vp8_desc_write(&d, out, sizeof out), PL_ERANGE);
  d = (pl_vp8_desc){.has_keyidx = true, .keyidx = 32};
  cr_assert_eq(pl_vp8_desc_write(&d, out, sizeof out), PL_ERANGE);
  d = (pl_vp8_desc){.pid = 8};
  cr_assert_eq(pl_vp8_desc_write(&d, out, sizeof out), PL_ERANGE);
  d = (pl_vp8_desc){.has_picture_id = true, .picture_id_15 = true};
  cr_assert_eq(pl_vp8_desc_write(&d, out, 3), PL_EFULL);
}

Test(vp8_payload, split_is_minimal_balanced_and_exact) {
  for (size_t cf = 1; cf <= 40; cf += 13)
    for (size_t cr = cf; cr <= 60; cr += 7)
      for (size_t len = 1; len <= 700; len++) {
        pl_payload_split s;
        cr_assert_eq(pl_payload_split_init(&s, len, cf, cr), 0);
        size_t need = len <= cf ? 1 : 1 + (len - cf + cr - 1) / cr;
        cr_assert_eq(s.n, need, "len %zu caps %zu/%zu", len, cf, cr);
        size_t sum = 0, mn = SIZE_MAX, mx = 0;
        for (size_t i = 0; i < s.n; i++) {
          size_t z = pl_payload_split_size(&s, i);
          cr_assert(z >= 1 && z <= (i ? cr : cf));
          sum += z;
          if (i) {
            mn = z < mn ? z : mn;
            mx = z > mx ? z : mx;
          }
        }
        cr_assert_eq(sum, len);
        if (s.n > 1) {
          cr_assert_leq(mx - mn, 1, "balanced");
          cr_assert_leq(s.first, mx, "first never the largest");
        }
        cr_assert_eq(pl_payload_split_size(&s, s.n), 0);
      }
  pl_payload_split s;
  cr_assert_eq(pl_payload_split_init(&s, 0, 10, 10), PL_EINVAL);
  cr_assert_eq(pl_payload_split_init(&s, 5, 11, 10), PL_EINVAL);
  cr_assert_eq(pl_payload_split_init(&s, 5, 0, 10), PL_EINVAL);
}

/* Packetizes `frame`, checks every packet, depacketizes and reassembles. */
static void round_trip(const uint8_t *frame, size_t len, size_t mtu,
                       const size_t *po, const size_t *pl, int np) {
  pl_vp8_desc tmpl = {.has_picture_id = true, .picture_id_15 = true,
                      .picture_id = 0x7ffe, .has_tl0picidx = true,
                      .tl0picidx = 200, .has_tid = true, .tid = 1, .y = true};
  pl_vp8_packetizer pz;
  int total = pl_vp8_packetizer_init(&pz, &tmpl, frame, len, po, pl, np, mtu);
  cr_assert_gt(total, 0, "len %zu mtu %zu: %d", len, mtu, total);
  size_t cap = mtu - pl_vp8_desc_len(&tmpl);
  if (!po) {
    cr_assert_eq((size_t)total, (len + cap - 1) / cap, "fewest packets");
  }
  uint8_t *re = malloc(len);
  uint8_t pkt[1500];
  size_t off = 0, mn = SIZE_MAX, mx = 0;
  int got = 0, starts = 0;
  bool last = false;
  int n;
  while ((n = pl_vp8_packetizer_next(&pz, pkt, sizeof pkt, &last)) > 0) {
    cr_assert_leq((size_t)n, mtu);
    got++;
    cr_assert_eq(last, got == total, "marker only on the last packet");
    pl_video_rtp_info info;
    cr_assert_eq(pl_vp8_depacketize(&info, pkt, (size_t)n), 0);
    pl_vp8_desc d;
    cr_assert_eq(pl_vp8_desc_parse(&d, pkt, (size_t)n), 6);
    cr_assert_eq(info.picture_id, 0x7ffe);
    cr_assert_eq(info.picture_id_bits, 15);
    cr_assert_eq(info.tl0picidx, 200);
    cr_assert_eq(info.tid, 1);
    cr_assert(info.layer_sync);
    cr_assert_eq(info.frame_begin, got == 1);
    if (d.s) {
      cr_assert_eq(d.pid, starts, "PID counts partitions");
      if (po)
        cr_assert_eq(off, po[starts], "S exactly at a partition start");
      starts++;
    }
    if (po) {
      /* Never spans two partitions. */
      int p = starts - 1;
      cr_assert_leq(off + info.payload_len, po[p] + pl[p]);
    }
    memcpy(re + off, info.payload, info.payload_len);
    off += info.payload_len;
    mn = info.payload_len < mn ? info.payload_len : mn;
    mx = info.payload_len > mx ? info.payload_len : mx;
  }
  cr_assert_eq(n, 0);
  cr_assert_eq(got, total);
  cr_assert_eq(off, len);
  cr_assert_arr_eq(re, frame, len, "byte-exact");
  if (!po)
    cr_assert_leq(mx - mn, 1, "balanced fragments");
  cr_assert_eq(starts, po ? np : 1);
  cr_assert_eq(pl_vp8_packetizer_next(&pz, pkt, sizeof pkt, &last), 0);
  free(re);
}

Test(vp8_payload, round_trip_byte_exact_at_several_mtus_and_sizes) {
  static const size_t sizes[] = {1, 2, 293, 294, 295, 1193, 1194, 1195, 5000,
                                 64000, 250001};
  static const size_t mtus[] = {300, 1200, 1400};
  pl_rng rng;
  pl_rng_seed(&rng, 1);
  uint8_t *frame = malloc(250001);
  for (size_t i = 0; i < 250001; i++)
    frame[i] = (uint8_t)pl_rng_u64(&rng);
  frame[0] |= 1; /* an inter frame: no keyframe header to validate */
  for (size_t m = 0; m < 3; m++)
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
      round_trip(frame, sizes[s], mtus[m], NULL, NULL, 0);
  free(frame);
}

Test(vp8_payload, partitions_start_packets_and_never_share_one) {
  uint8_t frame[7000];
  for (size_t i = 0; i < sizeof frame; i++)
    frame[i] = (uint8_t)(i * 7 + 1);
  size_t po[] = {0, 1000, 1001, 4000, 6500}, pl[] = {1000, 1, 2999, 2500, 500};
  round_trip(frame, sizeof frame, 300, po, pl, 5);
  round_trip(frame, sizeof frame, 1200, po, pl, 5);
  pl_vp8_packetizer pz;
  pl_vp8_desc d = {0};
  size_t bad_len[] = {1000, 1, 2999, 2500, 499}; /* leaves a gap */
  cr_assert_eq(pl_vp8_packetizer_init(&pz, &d, frame, sizeof frame, po,
                                      bad_len, 5, 1200),
               PL_EINVAL);
  cr_assert_eq(pl_vp8_packetizer_init(&pz, &d, frame, 0, NULL, NULL, 0, 1200),
               PL_EINVAL);
  cr_assert_eq(pl_vp8_packetizer_init(&pz, &d, frame, 10, NULL, NULL, 0, 1),
               PL_ERANGE);
}

Test(vp8_payload, encoder_frames_depacketize_to_key_and_size) {
  pl_vpx_enc_config cfg = {.codec = PL_CODEC_VP8, .width = 640, .height = 360};
  pl_vpx_encoder *e;
  cr_assert_eq(pl_vpx_encoder_new(&e, &cfg), 0);
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 640, 360), 0);
  pl_video_pic_counter pc;
  pl_video_pic_counter_init(&pc, 0x7ffe);
  for (int i = 0; i < 4; i++) {
    pl_pattern_draw(&src.f, i);
    src.f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
    pl_vp8_desc d = {.has_picture_id = true, .picture_id_15 = true};
    uint8_t tl0;
    pl_video_pic_counter_next(&pc, 0, &d.picture_id, &tl0);
    pl_vp8_packetizer pz;
    cr_assert_gt(pl_vp8_packetizer_init(&pz, &d, ef.data, ef.len, NULL, NULL,
                                        0, 1200),
                 0);
    uint8_t pkt[1500];
    bool last;
    int n = pl_vp8_packetizer_next(&pz, pkt, sizeof pkt, &last);
    pl_video_rtp_info info;
    cr_assert_eq(pl_vp8_depacketize(&info, pkt, (size_t)n), 0);
    cr_assert(info.frame_begin);
    cr_assert_eq(info.key, i == 0);
    cr_assert_eq(info.width, i == 0 ? 640 : 0);
    cr_assert_eq(info.height, i == 0 ? 360 : 0);
    /* 0x7ffe, 0x7fff, then the 15-bit wrap to 0. */
    cr_assert_eq(info.picture_id, (0x7ffe + i) & 0x7fff);
  }
  pl_vpx_encoder_free(e);
  pl_video_buffer_free(&src);
}

Test(vp8_payload, corrupt_descriptors_and_headers_are_errors) {
  pl_video_rtp_info info;
  /* Start of frame claiming a keyframe with a bad start code. */
  const uint8_t bad_start[] = {0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2b,
                               0x10, 0x00, 0x10, 0x00};
  cr_assert_eq(pl_vp8_depacketize(&info, bad_start, sizeof bad_start), PL_EPARSE);
  /* Keyframe with a zero width. */
  const uint8_t zero[] = {0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a,
                          0x00, 0x00, 0x10, 0x00};
  cr_assert_eq(pl_vp8_depacketize(&info, zero, sizeof zero), PL_EPARSE);
  /* Descriptor only, no payload. */
  const uint8_t empty[] = {0x90, 0x80, 0x12};
  cr_assert_eq(pl_vp8_depacketize(&info, empty, sizeof empty), PL_ETRUNC);
  cr_assert_eq(pl_vp8_depacketize(&info, empty, 0), PL_ETRUNC);
  /* A tiny first fragment: keyframe known, size not yet. */
  const uint8_t tiny[] = {0x10, 0x50, 0x00, 0x00, 0x9d};
  cr_assert_eq(pl_vp8_depacketize(&info, tiny, sizeof tiny), 0);
  cr_assert(info.key);
  cr_assert_eq(info.width, 0);
}
