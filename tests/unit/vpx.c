/* libvpx wrappers: VP8 and VP9 real-time encode/decode of the moving test
 * pattern (sizes, PSNR, frame identity), keyframes on request, rate and
 * resolution changes mid-call, temporal layers, and a decoder that refuses
 * garbage and absurd sizes without crashing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "parley.h"
#include "video/pattern/pattern.h"
#include "video/scale/scale.h"
#include "video/vpx/vpx.h"

static pl_vpx_encoder *enc_new(pl_video_codec c, int w, int h, uint32_t bps) {
  pl_vpx_enc_config cfg = {.codec = c, .width = w, .height = h, .fps = 30,
                           .bitrate_bps = bps};
  pl_vpx_encoder *e;
  cr_assert_eq(pl_vpx_encoder_new(&e, &cfg), 0);
  return e;
}

static pl_vpx_decoder *dec_new(pl_video_codec c) {
  pl_vpx_dec_config cfg = {.codec = c};
  pl_vpx_decoder *d;
  cr_assert_eq(pl_vpx_decoder_new(&d, &cfg), 0);
  return d;
}

typedef struct {
  double psnr_sum, psnr_min;
  int decoded, keys, index_ok;
  size_t bytes;
} loop_result;

/* Encodes frames [first, first+n) of the pattern and decodes each. */
static loop_result run_loop(pl_vpx_encoder *e, pl_vpx_decoder *d,
                            pl_video_buffer *src, int64_t first, int n) {
  loop_result r = {0, 1e9, 0, 0, 0, 0};
  for (int64_t i = first; i < first + n; i++) {
    pl_pattern_draw(&src->f, i);
    src->f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    int rc = pl_vpx_encoder_encode(e, &src->f, &ef);
    cr_assert_eq(rc, 1, "frame %lld: %d", (long long)i, rc);
    r.bytes += ef.len;
    r.keys += ef.key;
    pl_video_frame out;
    rc = pl_vpx_decoder_decode(d, ef.data, ef.len, &out);
    cr_assert_eq(rc, 1, "decode %lld: %s", (long long)i, pl_strerror(rc));
    cr_assert_eq(out.width, src->f.width);
    cr_assert_eq(out.height, src->f.height);
    double p = pl_video_psnr(&src->f, &out);
    r.psnr_sum += p;
    if (p < r.psnr_min)
      r.psnr_min = p;
    r.decoded++;
    r.index_ok += pl_pattern_read_index(&out) == i;
  }
  return r;
}

static void pattern_quality(pl_video_codec c, double min_avg, double min_one) {
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 640, 360), 0);
  pl_vpx_encoder *e = enc_new(c, 640, 360, 800000);
  pl_vpx_decoder *d = dec_new(c);
  loop_result r = run_loop(e, d, &src, 0, 90);
  double avg = r.psnr_sum / r.decoded;
  printf("VP%d 640x360 800 kbit/s: PSNR avg %.2f min %.2f dB, %.0f kbit/s, "
         "%d keys\n",
         c, avg, r.psnr_min, r.bytes * 8.0 / 3.0 / 1000, r.keys);
  cr_assert_eq(r.decoded, 90);
  cr_assert_eq(r.keys, 1, "only the first frame is a keyframe");
  cr_assert_eq(r.index_ok, 90, "every decoded frame shows its own number");
  cr_assert_geq(avg, min_avg);
  cr_assert_geq(r.psnr_min, min_one);
  /* CBR: the 3 s of video land within 30% of the target. */
  double kbps = r.bytes * 8.0 / 3.0 / 1000;
  cr_assert(kbps > 560 && kbps < 1040, "%.0f kbit/s", kbps);
  pl_vpx_enc_stats es;
  pl_vpx_encoder_stats(e, &es);
  cr_assert_eq(es.frames_out, 90);
  pl_vpx_encoder_free(e);
  pl_vpx_decoder_free(d);
  pl_video_buffer_free(&src);
}

Test(vpx, vp8_pattern_roundtrip_psnr_above_32db) { pattern_quality(PL_CODEC_VP8, 32, 26); }
Test(vpx, vp9_pattern_roundtrip_psnr_above_32db) { pattern_quality(PL_CODEC_VP9, 32, 26); }

static void keyframe_on_request(pl_video_codec c) {
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 320, 240), 0);
  pl_vpx_encoder *e = enc_new(c, 320, 240, 300000);
  for (int i = 0; i < 40; i++) {
    if (i == 17 || i == 30)
      pl_vpx_encoder_request_keyframe(e);
    pl_pattern_draw(&src.f, i);
    src.f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
    cr_assert_eq(ef.key, i == 0 || i == 17 || i == 30, "frame %d", i);
  }
  pl_vpx_enc_stats es;
  pl_vpx_encoder_stats(e, &es);
  cr_assert_eq(es.keyframes, 3);
  cr_assert_eq(es.keyframes_forced, 3);
  pl_vpx_encoder_free(e);
  pl_video_buffer_free(&src);
}

Test(vpx, vp8_keyframe_only_when_requested) { keyframe_on_request(PL_CODEC_VP8); }
Test(vpx, vp9_keyframe_only_when_requested) { keyframe_on_request(PL_CODEC_VP9); }

Test(vpx, periodic_keyframe_interval) {
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 160, 120), 0);
  pl_vpx_enc_config cfg = {.codec = PL_CODEC_VP8, .width = 160, .height = 120,
                           .keyframe_interval = 10};
  pl_vpx_encoder *e;
  cr_assert_eq(pl_vpx_encoder_new(&e, &cfg), 0);
  for (int i = 0; i < 35; i++) {
    pl_pattern_draw(&src.f, i);
    src.f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
    cr_assert_eq(ef.key, i % 10 == 0, "frame %d", i);
  }
  pl_vpx_encoder_free(e);
  pl_video_buffer_free(&src);
}

static size_t bytes_for(pl_vpx_encoder *e, pl_video_buffer *src, int first,
                        int n) {
  size_t b = 0;
  for (int i = first; i < first + n; i++) {
    pl_pattern_draw(&src->f, i);
    src->f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    cr_assert_eq(pl_vpx_encoder_encode(e, &src->f, &ef), 1);
    cr_assert_not(ef.key && i > 0, "no keyframe from a rate change");
    b += ef.len;
  }
  return b;
}

static void rate_change(pl_video_codec c) {
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 640, 360), 0);
  pl_vpx_encoder *e = enc_new(c, 640, 360, 1500000);
  bytes_for(e, &src, 0, 30);
  size_t hi = bytes_for(e, &src, 30, 60);
  cr_assert_eq(pl_vpx_encoder_set_rate(e, 300000, 0), 0);
  bytes_for(e, &src, 90, 30); /* let the buffer model settle */
  size_t lo = bytes_for(e, &src, 120, 60);
  double khi = hi * 8.0 / 2000, klo = lo * 8.0 / 2000;
  printf("VP%d rate change: %.0f -> %.0f kbit/s (targets 1500, 300)\n", c, khi, klo);
  cr_assert(khi > 1000 && khi < 1900, "%.0f", khi);
  cr_assert(klo > 200 && klo < 400, "%.0f", klo);
  cr_assert_eq(pl_vpx_encoder_set_rate(e, 0, 0), PL_EINVAL);
  pl_vpx_encoder_free(e);
  pl_video_buffer_free(&src);
}

Test(vpx, vp8_bitrate_change_mid_call_follows_target) { rate_change(PL_CODEC_VP8); }
Test(vpx, vp9_bitrate_change_mid_call_follows_target) { rate_change(PL_CODEC_VP9); }

/* Encodes one frame at the current size and decodes it; returns key. */
static bool step(pl_vpx_encoder *e, pl_vpx_decoder *d, int w, int h, int i,
                 int *ow, int *oh) {
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, w, h), 0);
  pl_pattern_draw(&src.f, i);
  src.f.rtp_ts = (uint32_t)(i * 3000);
  pl_vpx_frame ef;
  cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
  cr_assert_eq(ef.width, w);
  pl_video_frame out;
  cr_assert_eq(pl_vpx_decoder_decode(d, ef.data, ef.len, &out), 1);
  *ow = out.width;
  *oh = out.height;
  pl_video_buffer_free(&src);
  return ef.key;
}

Test(vpx, vp8_resolution_change_forces_keyframe) {
  pl_vpx_encoder *e = enc_new(PL_CODEC_VP8, 640, 360, 800000);
  pl_vpx_decoder *d = dec_new(PL_CODEC_VP8);
  int w, h, i = 0;
  for (; i < 5; i++)
    step(e, d, 640, 360, i, &w, &h);
  cr_assert_eq(pl_vpx_encoder_set_resolution(e, 320, 180), 1);
  cr_assert(step(e, d, 320, 180, i++, &w, &h), "keyframe after downscale");
  cr_assert_eq(w, 320);
  cr_assert_eq(h, 180);
  cr_assert_not(step(e, d, 320, 180, i++, &w, &h));
  cr_assert_eq(pl_vpx_encoder_set_resolution(e, 640, 360), 1);
  cr_assert(step(e, d, 640, 360, i++, &w, &h));
  cr_assert_eq(w, 640);
  pl_vpx_dec_stats ds;
  pl_vpx_decoder_stats(d, &ds);
  cr_assert_eq(ds.resolution_changes, 2);
  cr_assert_eq(ds.errors + ds.corrupted, 0);
  pl_vpx_encoder_free(e);
  pl_vpx_decoder_free(d);
}

Test(vpx, vp9_downscale_continues_without_keyframe) {
  pl_vpx_encoder *e = enc_new(PL_CODEC_VP9, 640, 360, 800000);
  pl_vpx_decoder *d = dec_new(PL_CODEC_VP9);
  int w, h, i = 0;
  for (; i < 5; i++)
    step(e, d, 640, 360, i, &w, &h);
  /* VP9 predicts across sizes from scaled references (2:1 down at most). */
  cr_assert_eq(pl_vpx_encoder_set_resolution(e, 320, 180), 0);
  cr_assert_not(step(e, d, 320, 180, i++, &w, &h), "inter frame at new size");
  cr_assert_eq(w, 320);
  cr_assert_eq(h, 180);
  cr_assert_eq(pl_vpx_encoder_set_resolution(e, 640, 360), 0);
  cr_assert_not(step(e, d, 640, 360, i++, &w, &h), "back up to the first size");
  cr_assert_eq(w, 640);
  /* Past the first size libvpx must reallocate: a keyframe. */
  cr_assert_eq(pl_vpx_encoder_set_resolution(e, 800, 450), 1);
  cr_assert(step(e, d, 800, 450, i++, &w, &h));
  cr_assert_eq(w, 800);
  /* More than 2:1 down cannot be predicted: a keyframe. */
  cr_assert_eq(pl_vpx_encoder_set_resolution(e, 320, 180), 1);
  cr_assert(step(e, d, 320, 180, i++, &w, &h));
  pl_vpx_dec_stats ds;
  pl_vpx_decoder_stats(d, &ds);
  cr_assert_eq(ds.errors + ds.corrupted, 0);
  pl_vpx_encoder_free(e);
  pl_vpx_decoder_free(d);
}

static void temporal_layers(pl_video_codec c, int layers, const uint8_t *pattern,
                            int period) {
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 320, 240), 0);
  pl_vpx_enc_config cfg = {.codec = c, .width = 320, .height = 240,
                           .bitrate_bps = 500000, .temporal_layers = layers};
  pl_vpx_encoder *e;
  cr_assert_eq(pl_vpx_encoder_new(&e, &cfg), 0);
  /* A decoder that sees every frame and one that sees the base layer only. */
  pl_vpx_decoder *all = dec_new(c), *base = dec_new(c);
  int base_frames = 0;
  for (int i = 0; i < 48; i++) {
    pl_pattern_draw(&src.f, i);
    src.f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
    cr_assert_eq(ef.temporal_id, pattern[i % period], "frame %d tid %d", i,
                 ef.temporal_id);
    /* libvpx flags VP8 frames that update no reference; its VP9 SVC mode
     * does not say. */
    if (c == PL_CODEC_VP8 && ef.temporal_id == layers - 1 && i > 0)
      cr_assert(ef.droppable, "top layer frame %d is droppable", i);
    pl_video_frame out;
    cr_assert_eq(pl_vpx_decoder_decode(all, ef.data, ef.len, &out), 1);
    if (ef.temporal_id == 0) {
      cr_assert_eq(pl_vpx_decoder_decode(base, ef.data, ef.len, &out), 1);
      cr_assert_eq(pl_video_psnr(&src.f, &out) > 28, 1, "base frame %d", i);
      base_frames++;
    }
  }
  cr_assert_eq(base_frames, 48 / period);
  pl_vpx_dec_stats ds;
  pl_vpx_decoder_stats(base, &ds);
  cr_assert_eq(ds.errors + ds.corrupted, 0);
  pl_vpx_encoder_free(e);
  pl_vpx_decoder_free(all);
  pl_vpx_decoder_free(base);
  pl_video_buffer_free(&src);
}

Test(vpx, vp8_three_temporal_layers_base_decodes_alone) {
  static const uint8_t p[] = {0, 2, 1, 2};
  temporal_layers(PL_CODEC_VP8, 3, p, 4);
}
Test(vpx, vp8_two_temporal_layers_base_decodes_alone) {
  static const uint8_t p[] = {0, 1};
  temporal_layers(PL_CODEC_VP8, 2, p, 2);
}
Test(vpx, vp9_two_temporal_layers_base_decodes_alone) {
  static const uint8_t p[] = {0, 1};
  temporal_layers(PL_CODEC_VP9, 2, p, 2);
}

Test(vpx, encoder_rejects_bad_configs_and_mismatched_frames) {
  pl_vpx_encoder *e;
  pl_vpx_enc_config c = {.codec = PL_CODEC_VP8, .width = 0, .height = 10};
  cr_assert_eq(pl_vpx_encoder_new(&e, &c), PL_ERANGE);
  c = (pl_vpx_enc_config){.codec = 3, .width = 16, .height = 16};
  cr_assert_eq(pl_vpx_encoder_new(&e, &c), PL_EINVAL);
  c = (pl_vpx_enc_config){.codec = PL_CODEC_VP9, .width = 16, .height = 16,
                          .temporal_layers = 4};
  cr_assert_eq(pl_vpx_encoder_new(&e, &c), PL_EINVAL);
  c = (pl_vpx_enc_config){.codec = PL_CODEC_VP8, .width = 9000, .height = 16};
  cr_assert_eq(pl_vpx_encoder_new(&e, &c), PL_ERANGE);
  e = enc_new(PL_CODEC_VP8, 64, 64, 100000);
  pl_video_buffer b;
  cr_assert_eq(pl_video_buffer_alloc(&b, 32, 32), 0);
  pl_vpx_frame ef;
  cr_assert_eq(pl_vpx_encoder_encode(e, &b.f, &ef), PL_EINVAL);
  cr_assert_eq(pl_vpx_encoder_set_resolution(e, -1, 5), PL_ERANGE);
  pl_video_buffer_free(&b);
  pl_vpx_encoder_free(e);
}

/* ---- bitstream headers ---- */

Test(vpx_bitstream, vp8_keyframe_header_known_answer) {
  /* RFC 6386 §9.1: frame tag 0x9d012a start code, then 14-bit sizes with
   * 2-bit scale. Tag: key (bit 0 = 0), version 0, show 1, first partition
   * 0x123 bytes -> 0x123 << 5 | 0x10 = 0x2470. */
  uint8_t f[0x140] = {0x70, 0x24, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x41};
  pl_vpx_header h;
  cr_assert_eq(pl_vp8_header_parse(&h, f, sizeof f), 0);
  cr_assert(h.key);
  cr_assert(h.show);
  cr_assert_eq(h.first_part_size, 0x123);
  cr_assert_eq(h.width, 640);  /* 0x0280 */
  cr_assert_eq(h.height, 360); /* 0x4168: scale 1 in the top bits, 0x168 */
  for (size_t n = 0; n < 10; n++)
    cr_assert_eq(pl_vp8_header_parse(&h, f, n), PL_ETRUNC, "n=%zu", n);
  f[4] = 0x02;
  cr_assert_eq(pl_vp8_header_parse(&h, f, sizeof f), PL_EPARSE);
  /* Inter frame: only the tag; a first partition past the end is bad. */
  uint8_t g[8] = {0x71, 0x00, 0x00};
  cr_assert_eq(pl_vp8_header_parse(&h, g, sizeof g), 0);
  cr_assert_not(h.key);
  cr_assert_not(h.has_size);
  g[0] = 0xf1;
  g[1] = 0x01; /* first_part_size 15 > 5 bytes left */
  cr_assert_eq(pl_vp8_header_parse(&h, g, sizeof g), PL_EPARSE);
}

Test(vpx_bitstream, vp9_headers_of_encoder_output) {
  pl_vpx_encoder *e = enc_new(PL_CODEC_VP9, 352, 288, 300000);
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 352, 288), 0);
  for (int i = 0; i < 3; i++) {
    pl_pattern_draw(&src.f, i);
    src.f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
    pl_vpx_header h;
    cr_assert_eq(pl_vp9_header_parse(&h, ef.data, ef.len), 0);
    cr_assert_eq(h.key, i == 0);
    cr_assert(h.show);
    cr_assert_eq(h.profile, 0);
    if (i == 0) {
      cr_assert(h.has_size);
      cr_assert_eq(h.width, 352);
      cr_assert_eq(h.height, 288);
      /* 8 + 24 (sync) + 4 (colour) + 32 (size) bits: 9 bytes are needed,
       * and any fewer is reported as truncation, never a wrong size. */
      for (size_t n = 0; n < 9; n++) {
        int rc = pl_vp9_header_parse(&h, ef.data, n);
        cr_assert(rc == PL_ETRUNC, "n=%zu rc=%d", n, rc);
      }
      cr_assert_eq(pl_vp9_header_parse(&h, ef.data, 9), 0);
      cr_assert_eq(h.width, 352);
    }
  }
  pl_vpx_encoder_free(e);
  pl_video_buffer_free(&src);
}

Test(vpx_bitstream, vp9_superframe_index_split) {
  /* Two frames of 3 and 2 bytes, 1-byte sizes: marker 0b11000001. */
  uint8_t sf[] = {0x82, 1, 2, 0x82, 4, 0xc1, 3, 2, 0xc1};
  size_t off[PL_VP9_MAX_SUPERFRAME], sz[PL_VP9_MAX_SUPERFRAME];
  cr_assert_eq(pl_vp9_superframe_split(sf, sizeof sf, off, sz), 2);
  cr_assert_eq(off[0], 0);
  cr_assert_eq(sz[0], 3);
  cr_assert_eq(off[1], 3);
  cr_assert_eq(sz[1], 2);
  sf[6] = 9; /* sizes overrun the data */
  cr_assert_eq(pl_vp9_superframe_split(sf, sizeof sf, off, sz), PL_EPARSE);
  uint8_t plain[] = {0x82, 0x49, 0x83, 0x42, 0x00};
  cr_assert_eq(pl_vp9_superframe_split(plain, sizeof plain, off, sz), 1);
  cr_assert_eq(sz[0], sizeof plain);
}

/* ---- decoder robustness ---- */

Test(vpx_decoder, garbage_is_refused_and_counted_never_crashes) {
  pl_rng rng;
  pl_rng_seed(&rng, 7);
  uint8_t buf[2000];
  for (int c = 0; c < 2; c++) {
    pl_video_codec codec = c ? PL_CODEC_VP9 : PL_CODEC_VP8;
    pl_vpx_decoder *d = dec_new(codec);
    int shown = 0;
    for (int i = 0; i < 600; i++) {
      size_t n = 1 + pl_rng_below(&rng, sizeof buf);
      for (size_t k = 0; k < n; k++)
        buf[k] = (uint8_t)pl_rng_u64(&rng);
      if (i % 3 == 0) { /* make some look like keyframes to reach libvpx */
        if (codec == PL_CODEC_VP8 && n >= 10) {
          buf[0] &= 0xfe;
          buf[3] = 0x9d, buf[4] = 0x01, buf[5] = 0x2a;
          buf[6] = 64, buf[7] = 0, buf[8] = 48, buf[9] = 0;
          buf[2] = buf[1] = 0;
        } else if (codec == PL_CODEC_VP9 && n >= 10) {
          buf[0] = 0x80; /* marker 2, profile 0, key, show 0 */
          buf[1] = 0x49, buf[2] = 0x83, buf[3] = 0x42;
        }
      }
      pl_video_frame out;
      int rc = pl_vpx_decoder_decode(d, buf, n, &out);
      cr_assert(rc == 0 || rc == 1 || rc == PL_EPARSE || rc == PL_ECODEC ||
                    rc == PL_ESTATE || rc == PL_ERANGE,
                "rc %d", rc);
      if (rc == 1) {
        shown++;
        cr_assert(out.width > 0 && out.width <= 3840);
      }
    }
    pl_vpx_dec_stats ds;
    pl_vpx_decoder_stats(d, &ds);
    printf("VP%d garbage: %llu in, %llu header, %llu errors, %llu corrupt, "
           "%llu need-key, %llu dims, %d shown\n",
           codec, (unsigned long long)ds.frames_in,
           (unsigned long long)ds.rejected_header,
           (unsigned long long)ds.errors, (unsigned long long)ds.corrupted,
           (unsigned long long)ds.skipped_need_key,
           (unsigned long long)ds.rejected_dims, shown);
    cr_assert_eq(ds.frames_in, 600);
    cr_assert_gt(ds.rejected_header + ds.errors + ds.corrupted +
                     ds.skipped_need_key + ds.rejected_dims,
                 550);
    pl_vpx_decoder_free(d);
  }
}

Test(vpx_decoder, absurd_dimensions_refused_before_libvpx) {
  pl_vpx_decoder *d = dec_new(PL_CODEC_VP8);
  uint8_t f[64] = {0x50, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0xff, 0x3f, 0xff, 0x3f};
  pl_video_frame out;
  cr_assert_eq(pl_vpx_decoder_decode(d, f, sizeof f, &out), PL_ERANGE);
  pl_vpx_dec_stats ds;
  pl_vpx_decoder_stats(d, &ds);
  cr_assert_eq(ds.rejected_dims, 1);
  cr_assert(pl_vpx_decoder_needs_keyframe(d));
  pl_vpx_decoder_free(d);

  /* VP9 key frame header claiming 65536 x 65536: marker 10, profile 0,
   * show_existing 0, key 0, show 1, error_res 0 -> 0x82; sync code;
   * color space 0 + range 0 (4 bits), then 16-bit sizes minus one. */
  d = dec_new(PL_CODEC_VP9);
  uint8_t g[32] = {0x82, 0x49, 0x83, 0x42, 0x0f, 0xff, 0xff, 0xff, 0xf0};
  pl_vpx_header h;
  cr_assert_eq(pl_vp9_header_parse(&h, g, sizeof g), 0);
  cr_assert_eq(h.width, 65536);
  cr_assert_eq(h.height, 65536);
  cr_assert_eq(pl_vpx_decoder_decode(d, g, sizeof g, &out), PL_ERANGE);
  /* Configurable limit: 640 x 480 max refuses a 1280 x 720 keyframe. */
  pl_vpx_decoder_free(d);
  pl_vpx_dec_config dc = {.codec = PL_CODEC_VP8, .max_width = 640,
                          .max_height = 480};
  cr_assert_eq(pl_vpx_decoder_new(&d, &dc), 0);
  pl_vpx_encoder *e = enc_new(PL_CODEC_VP8, 1280, 720, 500000);
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 1280, 720), 0);
  pl_pattern_draw(&src.f, 0);
  pl_vpx_frame ef;
  cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
  cr_assert_eq(pl_vpx_decoder_decode(d, ef.data, ef.len, &out), PL_ERANGE);
  pl_vpx_encoder_free(e);
  pl_vpx_decoder_free(d);
  pl_video_buffer_free(&src);
}

static void corruption(pl_video_codec c) {
  pl_vpx_encoder *e = enc_new(c, 320, 240, 400000);
  pl_vpx_decoder *d = dec_new(c);
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 320, 240), 0);
  uint8_t copy[200000];
  int refused = 0;
  for (int i = 0; i < 12; i++) {
    pl_pattern_draw(&src.f, i);
    src.f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
    size_t n = ef.len;
    memcpy(copy, ef.data, n);
    if (i == 4)
      n = n / 3; /* truncated: a lost tail of packets */
    pl_video_frame out;
    int rc = pl_vpx_decoder_decode(d, copy, n, &out);
    if (i < 4)
      cr_assert_eq(rc, 1);
    if (i == 4)
      cr_assert_eq(rc, PL_ECODEC, "truncated frame detected (rc %d)", rc);
    if (i > 4) {
      cr_assert_eq(rc, PL_ESTATE, "inter frames refused until a keyframe");
      refused++;
    }
  }
  cr_assert(pl_vpx_decoder_needs_keyframe(d));
  pl_vpx_encoder_request_keyframe(e);
  pl_pattern_draw(&src.f, 12);
  src.f.rtp_ts = 12 * 3000;
  pl_vpx_frame ef;
  cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
  cr_assert(ef.key);
  pl_video_frame out;
  cr_assert_eq(pl_vpx_decoder_decode(d, ef.data, ef.len, &out), 1);
  cr_assert_not(pl_vpx_decoder_needs_keyframe(d));
  pl_vpx_dec_stats ds;
  pl_vpx_decoder_stats(d, &ds);
  cr_assert_eq(ds.errors + ds.corrupted, 1);
  cr_assert_eq(ds.skipped_need_key, (uint64_t)refused);
  pl_vpx_encoder_free(e);
  pl_vpx_decoder_free(d);
  pl_video_buffer_free(&src);
}

Test(vpx_decoder, vp8_truncated_frame_reported_then_waits_for_keyframe) {
  corruption(PL_CODEC_VP8);
}
Test(vpx_decoder, vp9_truncated_frame_reported_then_waits_for_keyframe) {
  corruption(PL_CODEC_VP9);
}

Test(vpx, vp8_output_partitions_tile_the_frame) {
  pl_vpx_enc_config cfg = {.codec = PL_CODEC_VP8, .width = 640, .height = 360,
                           .output_partitions = true, .token_partitions = 2};
  pl_vpx_encoder *e;
  cr_assert_eq(pl_vpx_encoder_new(&e, &cfg), 0);
  pl_vpx_decoder *d = dec_new(PL_CODEC_VP8);
  pl_video_buffer src;
  cr_assert_eq(pl_video_buffer_alloc(&src, 640, 360), 0);
  for (int i = 0; i < 3; i++) {
    pl_pattern_draw(&src.f, i);
    src.f.rtp_ts = (uint32_t)(i * 3000);
    pl_vpx_frame ef;
    cr_assert_eq(pl_vpx_encoder_encode(e, &src.f, &ef), 1);
    /* First partition plus 4 token partitions, back to back. */
    cr_assert_eq(ef.nparts, 5);
    size_t at = 0;
    for (int p = 0; p < ef.nparts; p++) {
      cr_assert_eq(ef.part_off[p], at);
      at += ef.part_len[p];
    }
    cr_assert_eq(at, ef.len);
    pl_vpx_header h;
    cr_assert_eq(pl_vp8_header_parse(&h, ef.data, ef.len), 0);
    /* Partition 0 is the frame header (10 or 3 bytes), first partition, and
     * the 3-byte sizes of the other token partitions. */
    cr_assert_eq(ef.part_len[0], (i == 0 ? 10 : 3) + h.first_part_size + 3 * 3);
    pl_video_frame out;
    cr_assert_eq(pl_vpx_decoder_decode(d, ef.data, ef.len, &out), 1);
  }
  pl_vpx_encoder_free(e);
  pl_vpx_decoder_free(d);
  pl_video_buffer_free(&src);
}
