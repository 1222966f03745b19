/* RTP header parse/write (RFC 3550 §5.1), RFC 8285 extensions, the WebRTC
 * extension helpers, and sequence/timestamp unwrapping.
 *
 * Vectors are hand-assembled from the RFC figures; each byte is annotated.
 * The two extension blocks are RFC 8285's §4.2 and §4.3 figures with concrete
 * IDs and data filled in. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net/rtp/rtp.h"
#include "net/rtp/unwrap.h"
#include "parley.h"

/* V=2 P=0 X=0 CC=0 | M=0 PT=111 | seq 0x1234 | ts 123456 | SSRC 0xDEADBEEF */
static const uint8_t simple[] = {
    0x80, 0x6F, 0x12, 0x34, 0x00, 0x01, 0xE2, 0x40,
    0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03,
};

/* V=2 P=1 X=1 CC=2 | M=1 PT=96 | seq 65535 | ts 0xFFFFFFFF | SSRC 0x11223344,
 * CSRCs 0xAAAAAAAA 0xBBBBBBBB, the RFC 8285 §4.2 one-byte figure (ID 1 L=0,
 * ID 2 L=1, two pad bytes, ID 3 L=3), payload CA FE, 3 bytes of padding. */
static const uint8_t full[] = {
    0xB2, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x11, 0x22, 0x33, 0x44,
    0xAA, 0xAA, 0xAA, 0xAA, 0xBB, 0xBB, 0xBB, 0xBB,
    0xBE, 0xDE, 0x00, 0x03,             /* one-byte form, 3 words */
    0x10, 0x42, 0x21, 0x01,             /* ID1 L0 [42] | ID2 L1 [01 .. */
    0x02, 0x00, 0x00, 0x33,             /* .. 02] pad pad | ID3 L3 */
    0xDE, 0xAD, 0xBE, 0xEF,             /* [DE AD BE EF] */
    0xCA, 0xFE,                         /* payload */
    0x00, 0x00, 0x03,                   /* padding, count 3 */
};

/* RFC 8285 §4.3 two-byte figure: ID 1 L=0, ID 16 L=1 [55], a pad byte,
 * ID 200 L=4 [01 02 03 04]. Profile 0x100F: appbits are ignored. */
static const uint8_t two_byte[] = {
    0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03,
    0x10, 0x0F, 0x00, 0x03,
    0x01, 0x00, 0x10, 0x01,
    0x55, 0x00, 0xC8, 0x04,
    0x01, 0x02, 0x03, 0x04,
    0x99,
};

static uint8_t *dup_exact(const uint8_t *p, size_t n) {
  /* An exact-size heap copy, so ASan catches any read past n. */
  uint8_t *q = malloc(n ? n : 1);
  memcpy(q, p, n);
  return q;
}

Test(rtp_parse, simple_packet_fields) {
  pl_rtp_header h;
  cr_assert_eq(pl_rtp_parse(&h, simple, sizeof simple), 0);
  cr_assert_eq(h.version, 2);
  cr_assert_not(h.padding);
  cr_assert_not(h.extension);
  cr_assert_not(h.marker);
  cr_assert_eq(h.pt, 111);
  cr_assert_eq(h.seq, 0x1234);
  cr_assert_eq(h.ts, 123456u);
  cr_assert_eq(h.ssrc, 0xDEADBEEFu);
  cr_assert_eq(h.csrc_count, 0);
  cr_assert_eq(h.header_len, 12);
  cr_assert_eq(h.payload_len, 3);
  cr_assert_eq(h.payload, simple + 12);
  cr_assert_eq(h.padding_len, 0);
}

Test(rtp_parse, csrc_extension_padding_fields) {
  pl_rtp_header h;
  cr_assert_eq(pl_rtp_parse(&h, full, sizeof full), 0);
  cr_assert(h.padding && h.extension && h.marker);
  cr_assert_eq(h.pt, 96);
  cr_assert_eq(h.seq, 65535);
  cr_assert_eq(h.ts, 0xFFFFFFFFu);
  cr_assert_eq(h.ssrc, 0x11223344u);
  cr_assert_eq(h.csrc_count, 2);
  cr_assert_eq(h.csrc[0], 0xAAAAAAAAu);
  cr_assert_eq(h.csrc[1], 0xBBBBBBBBu);
  cr_assert_eq(h.ext_profile, 0xBEDE);
  cr_assert_eq(h.ext, full + 24);
  cr_assert_eq(h.ext_len, 12);
  cr_assert_eq(h.header_len, 36);
  cr_assert_eq(h.payload_len, 2);
  cr_assert_eq(h.payload[0], 0xCA);
  cr_assert_eq(h.padding_len, 3);
}

Test(rtp_parse, rejects_versions_other_than_2) {
  pl_rtp_header h;
  uint8_t p[sizeof simple];
  for (unsigned v = 0; v < 4; v++) {
    memcpy(p, simple, sizeof p);
    p[0] = (uint8_t)((p[0] & 0x3F) | v << 6);
    cr_assert_eq(pl_rtp_parse(&h, p, sizeof p), v == 2 ? 0 : PL_EPARSE,
                 "version %u", v);
  }
}

Test(rtp_parse, truncation_at_every_length) {
  pl_rtp_header h;
  /* Without padding, every prefix that holds the header is a shorter
   * payload; every shorter prefix is an error. */
  for (size_t k = 0; k <= sizeof two_byte; k++) {
    uint8_t *p = dup_exact(two_byte, k);
    int r = pl_rtp_parse(&h, p, k);
    if (k < 28) {
      cr_assert_lt(r, 0, "prefix %zu", k);
    } else {
      cr_assert_eq(r, 0, "prefix %zu", k);
      cr_assert_eq(h.payload_len, k - 28);
    }
    free(p);
  }
  /* With the P bit, a prefix's last byte becomes the count: it either fails
   * or accounts for every byte. */
  for (size_t k = 0; k <= sizeof full; k++) {
    uint8_t *p = dup_exact(full, k);
    int r = pl_rtp_parse(&h, p, k);
    if (k < 36)
      cr_assert_lt(r, 0, "prefix %zu", k);
    if (r == 0)
      cr_assert_eq(h.header_len + h.payload_len + h.padding_len, k);
    free(p);
  }
}

Test(rtp_parse, csrc_extension_and_padding_overflows) {
  pl_rtp_header h;
  uint8_t p[64];
  /* CC=15 promises 60 CSRC bytes after the fixed header; 8 are there. */
  memcpy(p, simple, 12);
  p[0] = 0x8F;
  cr_assert_eq(pl_rtp_parse(&h, p, 20), PL_ETRUNC);
  /* Extension header claims 0xFFFF words. */
  memcpy(p, simple, 12);
  p[0] = 0x90;
  memcpy(p + 12, (const uint8_t[]){0xBE, 0xDE, 0xFF, 0xFF, 0x10, 0x01}, 6);
  cr_assert_eq(pl_rtp_parse(&h, p, 18), PL_ETRUNC);
  /* X set but no room for the extension header itself. */
  cr_assert_eq(pl_rtp_parse(&h, p, 14), PL_ETRUNC);
  /* Padding count larger than everything after the header. */
  memcpy(p, simple, sizeof simple);
  p[0] = 0xA0;
  p[14] = 4; /* 3 bytes follow the header */
  cr_assert_eq(pl_rtp_parse(&h, p, 15), PL_EPARSE);
  p[14] = 3;
  cr_assert_eq(pl_rtp_parse(&h, p, 15), 0);
  cr_assert_eq(h.payload_len, 0);
  /* A padding count of 0 is malformed (it counts itself). */
  p[14] = 0;
  cr_assert_eq(pl_rtp_parse(&h, p, 15), PL_EPARSE);
  /* Header alone with P set: the count would be a header byte. */
  p[11] = 1;
  cr_assert_eq(pl_rtp_parse(&h, p, 12), PL_EPARSE);
}

Test(rtp_write, round_trip_is_byte_exact) {
  const uint8_t *vec[] = {simple, full, two_byte};
  size_t len[] = {sizeof simple, sizeof full, sizeof two_byte};
  for (int i = 0; i < 3; i++) {
    pl_rtp_header h;
    uint8_t out[128];
    cr_assert_eq(pl_rtp_parse(&h, vec[i], len[i]), 0);
    cr_assert_eq(pl_rtp_write(&h, NULL, out, sizeof out), (int)len[i]);
    cr_assert_eq(memcmp(out, vec[i], len[i]), 0, "vector %d", i);
  }
}

Test(rtp_write, capacity_is_checked_and_never_exceeded) {
  pl_rtp_header h;
  cr_assert_eq(pl_rtp_parse(&h, full, sizeof full), 0);
  for (size_t cap = 0; cap < sizeof full; cap++) {
    uint8_t out[sizeof full + 8];
    memset(out, 0x5A, sizeof out);
    cr_assert_eq(pl_rtp_write(&h, NULL, out, cap), PL_EFULL);
    for (size_t j = 0; j < sizeof out; j++)
      cr_assert_eq(out[j], 0x5A, "cap %zu touched byte %zu", cap, j);
  }
  h.csrc_count = 16;
  uint8_t out[128];
  cr_assert_eq(pl_rtp_write(&h, NULL, out, sizeof out), PL_EINVAL);
}

Test(rtp_write, payload_already_in_place_is_moved_not_lost) {
  /* Packetizers write the payload at its final offset, then the header. */
  uint8_t buf[64] = {0};
  memcpy(buf + 12 + 8, "opus", 4);
  pl_rtp_ext_builder b;
  pl_rtp_ext_builder_init(&b);
  cr_assert_eq(pl_rtp_ext_add_transport_seq(&b, 3, 7), 0);
  pl_rtp_header h = {.pt = 111, .seq = 1, .ts = 960, .ssrc = 5,
                     .payload = buf + 20, .payload_len = 4, .padding_len = 4};
  int n = pl_rtp_write(&h, &b, buf, sizeof buf);
  cr_assert_eq(n, 12 + 8 + 4 + 4);
  pl_rtp_header g;
  cr_assert_eq(pl_rtp_parse(&g, buf, (size_t)n), 0);
  cr_assert_eq(g.payload_len, 4);
  cr_assert_eq(memcmp(g.payload, "opus", 4), 0);
  cr_assert_eq(g.padding_len, 4);
  pl_rtp_ext e;
  uint16_t tseq;
  cr_assert_eq(pl_rtp_ext_find(&g, 3, &e), 0);
  cr_assert_eq(pl_rtp_ext_transport_seq(&e, &tseq), 0);
  cr_assert_eq(tseq, 7);
}

Test(rtp_ext, one_byte_figure_iterates_and_skips_padding) {
  pl_rtp_header h;
  pl_rtp_ext_iter it;
  pl_rtp_ext e;
  cr_assert_eq(pl_rtp_parse(&h, full, sizeof full), 0);
  cr_assert_eq(pl_rtp_ext_iter_init(&it, &h), 0);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 1);
  cr_assert_eq(e.id, 1);
  cr_assert_eq(e.len, 1);
  cr_assert_eq(e.data[0], 0x42);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 1);
  cr_assert_eq(e.id, 2);
  cr_assert_eq(e.len, 2);
  cr_assert_eq(e.data[0], 0x01);
  cr_assert_eq(e.data[1], 0x02);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 1);
  cr_assert_eq(e.id, 3);
  cr_assert_eq(e.len, 4);
  cr_assert_eq(e.data, full + 32);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 0);
  cr_assert_eq(pl_rtp_ext_find(&h, 3, &e), 0);
  cr_assert_eq(e.len, 4);
  cr_assert_eq(pl_rtp_ext_find(&h, 4, &e), PL_ENOENT);
}

Test(rtp_ext, two_byte_figure_with_zero_length_and_high_ids) {
  pl_rtp_header h;
  pl_rtp_ext_iter it;
  pl_rtp_ext e;
  cr_assert_eq(pl_rtp_parse(&h, two_byte, sizeof two_byte), 0);
  cr_assert_eq(h.ext_profile, 0x100F);
  cr_assert_eq(pl_rtp_ext_iter_init(&it, &h), 0);
  cr_assert(it.two_byte);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 1);
  cr_assert_eq(e.id, 1);
  cr_assert_eq(e.len, 0);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 1);
  cr_assert_eq(e.id, 16);
  cr_assert_eq(e.len, 1);
  cr_assert_eq(e.data[0], 0x55);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 1);
  cr_assert_eq(e.id, 200);
  cr_assert_eq(e.len, 4);
  cr_assert_eq(e.data[3], 0x04);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 0);
}

Test(rtp_ext, id_15_ends_one_byte_processing) {
  /* RFC 8285 §4.2: stop at ID 15, keep the elements before it. */
  const uint8_t p[] = {0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
                       0xBE, 0xDE, 0x00, 0x02,
                       0x10, 0xAA, 0xF3, 0x20, 0x01, 0x02, 0x03, 0x00};
  pl_rtp_header h;
  pl_rtp_ext_iter it;
  pl_rtp_ext e;
  cr_assert_eq(pl_rtp_parse(&h, p, sizeof p), 0);
  cr_assert_eq(pl_rtp_ext_iter_init(&it, &h), 0);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 1);
  cr_assert_eq(e.id, 1);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 0);
  cr_assert_eq(pl_rtp_ext_find(&h, 2, &e), PL_ENOENT);
}

Test(rtp_ext, element_overrunning_block_is_an_error) {
  /* One-byte ID 1 L=15 (16 bytes) in a one-word block; then a two-byte
   * element claiming 9 bytes in a two-word block. */
  const uint8_t a[] = {0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
                       0xBE, 0xDE, 0x00, 0x01, 0x1F, 1, 2, 3};
  const uint8_t b[] = {0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
                       0x10, 0x00, 0x00, 0x02, 0x05, 0x09, 1, 2, 3, 4, 5, 6};
  pl_rtp_header h;
  pl_rtp_ext_iter it;
  pl_rtp_ext e;
  cr_assert_eq(pl_rtp_parse(&h, a, sizeof a), 0);
  cr_assert_eq(pl_rtp_ext_iter_init(&it, &h), 0);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), PL_EPARSE);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 0);
  cr_assert_eq(pl_rtp_parse(&h, b, sizeof b), 0);
  cr_assert_eq(pl_rtp_ext_find(&h, 5, &e), PL_EPARSE);
}

Test(rtp_ext, other_profiles_and_absent_extensions) {
  const uint8_t p[] = {0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
                       0x12, 0x34, 0x00, 0x01, 0x10, 0xAA, 0, 0};
  pl_rtp_header h;
  pl_rtp_ext_iter it;
  pl_rtp_ext e;
  cr_assert_eq(pl_rtp_parse(&h, p, sizeof p), 0);
  cr_assert_eq(pl_rtp_ext_iter_init(&it, &h), PL_ENOTSUP);
  cr_assert_eq(pl_rtp_ext_next(&it, &e), 0);
  cr_assert_eq(pl_rtp_parse(&h, simple, sizeof simple), 0);
  cr_assert_eq(pl_rtp_ext_find(&h, 1, &e), PL_ENOENT);
}

Test(rtp_ext_builder, webrtc_elements_in_one_byte_form_byte_exact) {
  pl_rtp_ext_builder b;
  pl_rtp_ext_builder_init(&b);
  cr_assert_eq(pl_rtp_ext_add_audio_level(&b, 1, true, 42), 0);
  cr_assert_eq(pl_rtp_ext_add_transport_seq(&b, 3, 0x1234), 0);
  cr_assert_eq(pl_rtp_ext_add_abs_send_time(&b, 2, 0x123456), 0);
  cr_assert_eq(pl_rtp_ext_add_mid(&b, 4, "0"), 0);
  cr_assert_not(pl_rtp_ext_builder_two_byte(&b));
  cr_assert_eq(pl_rtp_ext_builder_len(&b), 12);
  const uint8_t want[] = {0x10, 0xAA,                   /* V=1, 42 dBov */
                          0x31, 0x12, 0x34,             /* seq 0x1234 */
                          0x22, 0x12, 0x34, 0x56,       /* 6.18 time */
                          0x40, '0',                    /* mid "0" */
                          0x00};                        /* pad */
  uint8_t out[16];
  uint16_t profile = 0;
  cr_assert_eq(pl_rtp_ext_build(&b, out, sizeof out, &profile), 12);
  cr_assert_eq(profile, 0xBEDE);
  cr_assert_eq(memcmp(out, want, sizeof want), 0);
  cr_assert_eq(pl_rtp_ext_build(&b, out, 11, &profile), PL_EFULL);

  /* And the readers get the values back out of a written packet. */
  uint8_t pkt[64];
  pl_rtp_header h = {.pt = 111, .seq = 9, .ssrc = 1};
  int n = pl_rtp_write(&h, &b, pkt, sizeof pkt);
  cr_assert_eq(n, 12 + 4 + 12);
  pl_rtp_header g;
  pl_rtp_ext e;
  cr_assert_eq(pl_rtp_parse(&g, pkt, (size_t)n), 0);
  bool voice;
  uint8_t level;
  uint32_t ast;
  uint16_t tseq;
  char mid[8];
  cr_assert_eq(pl_rtp_ext_find(&g, 1, &e), 0);
  cr_assert_eq(pl_rtp_ext_audio_level(&e, &voice, &level), 0);
  cr_assert(voice);
  cr_assert_eq(level, 42);
  cr_assert_eq(pl_rtp_ext_find(&g, 2, &e), 0);
  cr_assert_eq(pl_rtp_ext_abs_send_time(&e, &ast), 0);
  cr_assert_eq(ast, 0x123456u);
  cr_assert_eq(pl_rtp_ext_transport_seq(&e, &tseq), PL_EPARSE); /* 3 bytes */
  cr_assert_eq(pl_rtp_ext_find(&g, 3, &e), 0);
  cr_assert_eq(pl_rtp_ext_transport_seq(&e, &tseq), 0);
  cr_assert_eq(tseq, 0x1234);
  cr_assert_eq(pl_rtp_ext_find(&g, 4, &e), 0);
  cr_assert_eq(pl_rtp_ext_mid(&e, mid, sizeof mid), 0);
  cr_assert_str_eq(mid, "0");
  cr_assert_eq(pl_rtp_ext_mid(&e, mid, 1), PL_EFULL);
}

Test(rtp_ext_builder, picks_two_byte_form_for_id_15_len_17_or_len_0) {
  uint8_t out[64], data[17];
  uint16_t profile;
  for (unsigned i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)i;
  pl_rtp_ext_builder b;

  pl_rtp_ext_builder_init(&b);
  cr_assert_eq(pl_rtp_ext_add(&b, 14, data, 16), 0);
  cr_assert_not(pl_rtp_ext_builder_two_byte(&b)); /* 14 and 16 still fit */

  pl_rtp_ext_builder_init(&b);
  cr_assert_eq(pl_rtp_ext_add(&b, 1, "\xAA", 1), 0);
  cr_assert_eq(pl_rtp_ext_add(&b, 15, "\x01\x02", 2), 0);
  cr_assert(pl_rtp_ext_builder_two_byte(&b));
  cr_assert_eq(pl_rtp_ext_build(&b, out, sizeof out, &profile), 8);
  cr_assert_eq(profile, 0x1000);
  const uint8_t want15[] = {0x01, 0x01, 0xAA, 0x0F, 0x02, 0x01, 0x02, 0x00};
  cr_assert_eq(memcmp(out, want15, 8), 0);

  pl_rtp_ext_builder_init(&b);
  cr_assert_eq(pl_rtp_ext_add(&b, 2, data, 17), 0);
  cr_assert(pl_rtp_ext_builder_two_byte(&b));
  cr_assert_eq(pl_rtp_ext_build(&b, out, sizeof out, &profile), 20);
  cr_assert_eq(out[0], 2);
  cr_assert_eq(out[1], 17);
  cr_assert_eq(out[18], 16);
  cr_assert_eq(out[19], 0);

  pl_rtp_ext_builder_init(&b);
  cr_assert_eq(pl_rtp_ext_add(&b, 7, NULL, 0), 0);
  cr_assert(pl_rtp_ext_builder_two_byte(&b));
  cr_assert_eq(pl_rtp_ext_build(&b, out, sizeof out, &profile), 4);
  const uint8_t want0[] = {0x07, 0x00, 0x00, 0x00};
  cr_assert_eq(memcmp(out, want0, 4), 0);
}

Test(rtp_ext_builder, rejects_bad_ids_duplicates_and_overflow) {
  pl_rtp_ext_builder b;
  pl_rtp_ext_builder_init(&b);
  uint8_t big[300] = {0};
  cr_assert_eq(pl_rtp_ext_add(&b, 0, "x", 1), PL_EINVAL);
  cr_assert_eq(pl_rtp_ext_add(&b, 1, "x", 1), 0);
  cr_assert_eq(pl_rtp_ext_add(&b, 1, "y", 1), PL_EINVAL);
  cr_assert_eq(pl_rtp_ext_add(&b, 2, big, 256), PL_ERANGE);
  cr_assert_eq(pl_rtp_ext_add_audio_level(&b, 3, false, 128), PL_ERANGE);
  cr_assert_eq(pl_rtp_ext_add_mid(&b, 3, ""), PL_EINVAL);
  cr_assert_eq(pl_rtp_ext_add(&b, 2, big, 255), 0);
  cr_assert_eq(pl_rtp_ext_add(&b, 3, big, 255), 0);         /* 511 bytes */
  cr_assert_eq(pl_rtp_ext_add(&b, 4, "zz", 2), PL_EFULL);   /* 513 > 512 */
  cr_assert_eq(pl_rtp_ext_add(&b, 4, "z", 1), 0);
  for (uint8_t id = 5; id <= 16; id++)
    cr_assert_eq(pl_rtp_ext_add(&b, id, NULL, 0), 0);
  cr_assert_eq(pl_rtp_ext_add(&b, 20, NULL, 0), PL_EFULL);  /* 16 elements */
  /* Full: 16 two-byte element headers + 512 data bytes. */
  cr_assert_eq(pl_rtp_ext_builder_len(&b), 544);
}

Test(rtp_ext_helpers, abs_send_time_is_6_18_fixed_point_mod_64s) {
  cr_assert_eq(pl_abs_send_time_from_us(0), 0u);
  cr_assert_eq(pl_abs_send_time_from_us(1000000), 0x040000u);
  cr_assert_eq(pl_abs_send_time_from_us(500000), 0x020000u);
  cr_assert_eq(pl_abs_send_time_from_us(PL_SEC(64)), 0u);
  cr_assert_eq(pl_abs_send_time_from_us(PL_SEC(65)), 0x040000u);
  cr_assert_eq(pl_abs_send_time_from_us(-PL_SEC(1)), 0xFC0000u);
  /* 1 unit is 3.814697 us: 4 us rounds to 1, 1 us to 0. */
  cr_assert_eq(pl_abs_send_time_from_us(4), 1u);
  cr_assert_eq(pl_abs_send_time_from_us(1), 0u);
  cr_assert_eq(pl_abs_send_time_to_us(0x040000), 1000000);
  cr_assert_eq(pl_abs_send_time_to_us(0xFFFFFF), 63999996);
  for (pl_time_us t = 0; t < PL_SEC(64); t += 997331) {
    pl_time_us back = pl_abs_send_time_to_us(pl_abs_send_time_from_us(t));
    cr_assert_leq(llabs(back - t), 3, "t=%lld back=%lld", (long long)t,
                  (long long)back);
  }
}

Test(rtp_ext_helpers, audio_level_parses_v_bit_and_level) {
  const uint8_t v[] = {0x7F, 0x80, 0x00};
  pl_rtp_ext e = {.id = 1, .len = 1, .data = v};
  bool voice;
  uint8_t level;
  cr_assert_eq(pl_rtp_ext_audio_level(&e, &voice, &level), 0);
  cr_assert_not(voice);
  cr_assert_eq(level, 127);
  e.data = v + 1;
  cr_assert_eq(pl_rtp_ext_audio_level(&e, &voice, &level), 0);
  cr_assert(voice);
  cr_assert_eq(level, 0);
  e.len = 2;
  cr_assert_eq(pl_rtp_ext_audio_level(&e, &voice, &level), PL_EPARSE);
}

Test(seq, newer_than_across_the_wrap) {
  cr_assert(pl_seq_newer(0, 65535));
  cr_assert_not(pl_seq_newer(65535, 0));
  cr_assert(pl_seq_newer(100, 65500));
  cr_assert_not(pl_seq_newer(5, 5));
  /* Exactly half-way: decided by value, and never both ways. */
  cr_assert(pl_seq_newer(0x8000, 0));
  cr_assert_not(pl_seq_newer(0, 0x8000));
  cr_assert_eq(pl_seq_diff(2, 65534), 4);
  cr_assert_eq(pl_seq_diff(65534, 2), -4);
  cr_assert(pl_ts_newer(10, 0xFFFFFFF0u));
  cr_assert_eq(pl_ts_diff(10, 0xFFFFFFF0u), 26);
  for (uint32_t a = 0; a < 65536; a += 257)
    for (uint32_t b = 0; b < 65536; b += 263)
      if (a != b)
        cr_assert_neq(pl_seq_newer((uint16_t)a, (uint16_t)b),
                      pl_seq_newer((uint16_t)b, (uint16_t)a));
}

Test(seq, unwrap_counts_through_65535_and_handles_reordering) {
  pl_seq_unwrapper u;
  pl_seq_unwrapper_init(&u);
  cr_assert_eq(pl_seq_unwrap(&u, 65534), 65534);
  cr_assert_eq(pl_seq_unwrap(&u, 65535), 65535);
  cr_assert_eq(pl_seq_unwrap(&u, 1), 65537); /* 0 is late */
  cr_assert_eq(pl_seq_unwrap(&u, 0), 65536);
  cr_assert_eq(pl_seq_unwrap(&u, 65533), 65533); /* very late, old cycle */
  cr_assert_eq(pl_seq_unwrap(&u, 2), 65538);
  cr_assert_eq(pl_seq_unwrap_peek(&u, 3), 65539);
  cr_assert_eq(u.highest, 65538);
  /* Ten full cycles in steps of 1000 stay monotone. */
  int64_t prev = pl_seq_unwrap(&u, 2);
  uint16_t s = 2;
  for (int i = 0; i < 700; i++) {
    s = (uint16_t)(s + 1000);
    int64_t v = pl_seq_unwrap(&u, s);
    cr_assert_eq(v, prev + 1000);
    prev = v;
  }
  /* A first value before the start goes negative rather than wrapping. */
  pl_seq_unwrapper_init(&u);
  cr_assert_eq(pl_seq_unwrap(&u, 3), 3);
  cr_assert_eq(pl_seq_unwrap(&u, 65535), -1);
}

Test(seq, timestamp_unwrap_32_bit) {
  pl_ts_unwrapper u;
  pl_ts_unwrapper_init(&u);
  cr_assert_eq(pl_ts_unwrap(&u, 0xFFFFFC40u), 0xFFFFFC40ll);
  cr_assert_eq(pl_ts_unwrap(&u, 0x00000000u), 0x100000000ll); /* +960 */
  cr_assert_eq(pl_ts_unwrap(&u, 0xFFFFFFF0u), 0xFFFFFFF0ll);  /* reordered */
  cr_assert_eq(pl_ts_unwrap(&u, 0x000003C0u), 0x1000003C0ll);
  cr_assert_eq(pl_ts_unwrap_peek(&u, 0x80000000u), 0x180000000ll);
}
