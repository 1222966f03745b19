/* RFC 2198 redundant audio for Opus: the sender's packets byte for byte,
 * timestamp offsets to the 14-bit limit, block lengths to the 10-bit limit,
 * the primary-only packet, the room rule, and the parser on hostile input. */
#include <criterion/criterion.h>
#include <string.h>

#include "net/rtp/red.h"
#include "parley.h"

#define OPUS 111

/* Hand-built from RFC 2198 §3: two redundant blocks (offsets 1920 and 960,
 * lengths 3 and 2), then the primary (PT 111, 4 bytes).
 *   1920 = 0b00011110 000000 -> bytes 0x1E, (0x00 << 2) | (3 >> 8) = 0x00, 0x03
 *    960 = 0b00001111 000000 -> bytes 0x0F, 0x00, 0x02 */
static const uint8_t two_red[] = {
    0xEF, 0x1E, 0x00, 0x03, /* F=1 PT=111 | offset 1920 | len 3 */
    0xEF, 0x0F, 0x00, 0x02, /* F=1 PT=111 | offset 960  | len 2 */
    0x6F,                   /* F=0 PT=111: the primary */
    0xA1, 0xA2, 0xA3,       /* frame at ts - 1920 */
    0xB1, 0xB2,             /* frame at ts - 960 */
    0xC1, 0xC2, 0xC3, 0xC4, /* primary, at ts */
};

Test(red, sender_writes_rfc2198_packet_byte_exact) {
  pl_red_sender s;
  pl_red_sender_init(&s, OPUS, 2);
  const uint8_t a[] = {0xA1, 0xA2, 0xA3}, b[] = {0xB1, 0xB2}, c[] = {0xC1, 0xC2, 0xC3, 0xC4};
  uint8_t out[64];
  pl_red_sender_note(&s, 10000, a, sizeof a);
  pl_red_sender_note(&s, 10960, b, sizeof b);
  int n = pl_red_sender_wrap(&s, 11920, c, sizeof c, out, sizeof out);
  cr_assert_eq(n, (int)sizeof two_red);
  cr_assert_arr_eq(out, two_red, sizeof two_red);
}

Test(red, parser_returns_blocks_with_offsets_and_lengths) {
  pl_red_packet p;
  cr_assert_eq(pl_red_parse(&p, two_red, sizeof two_red), 0);
  cr_assert_eq(p.n, 3);
  cr_assert_eq(p.blocks[0].ts_offset, 1920u);
  cr_assert_eq(p.blocks[0].len, 3u);
  cr_assert_eq(p.blocks[0].data, two_red + 9);
  cr_assert_eq(p.blocks[1].ts_offset, 960u);
  cr_assert_eq(p.blocks[1].len, 2u);
  cr_assert_eq(p.blocks[1].data[0], 0xB1);
  cr_assert_eq(p.blocks[2].ts_offset, 0u);
  cr_assert_eq(p.blocks[2].len, 4u);
  cr_assert_eq(p.blocks[2].data[3], 0xC4);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(p.blocks[i].pt, OPUS);
}

Test(red, first_packet_and_distance_zero_are_primary_only) {
  pl_red_sender s;
  pl_red_sender_init(&s, OPUS, 2);
  const uint8_t f[] = {1, 2, 3};
  uint8_t out[16];
  /* Nothing before the first frame: a 1-byte header and the frame. */
  cr_assert_eq(pl_red_sender_wrap(&s, 0, f, 3, out, sizeof out), 4);
  cr_assert_eq(out[0], OPUS);
  cr_assert_arr_eq(out + 1, f, 3);
  pl_red_sender_set_distance(&s, 0);
  cr_assert_eq(pl_red_sender_wrap(&s, 960, f, 3, out, sizeof out), 4);
  pl_red_packet p;
  cr_assert_eq(pl_red_parse(&p, out, 4), 0);
  cr_assert_eq(p.n, 1);
  cr_assert_eq(p.blocks[0].len, 3u);
  cr_assert_eq(s.left_out, 0u);
}

Test(red, distance_one_carries_only_the_previous_frame) {
  pl_red_sender s;
  pl_red_sender_init(&s, OPUS, 1);
  uint8_t f[3] = {0}, out[32];
  pl_red_packet p;
  for (uint32_t i = 0; i < 4; i++) {
    f[0] = (uint8_t)i;
    int n = pl_red_sender_wrap(&s, 960 * i, f, 3, out, sizeof out);
    cr_assert_eq(n, i == 0 ? 4 : 4 + 4 + 3);
    cr_assert_eq(pl_red_parse(&p, out, (size_t)n), 0);
    cr_assert_eq(p.n, i == 0 ? 1 : 2);
    if (i) {
      cr_assert_eq(p.blocks[0].ts_offset, 960u);
      cr_assert_eq(p.blocks[0].data[0], i - 1); /* the frame before */
    }
  }
}

Test(red, offsets_up_to_14_bits_and_no_further) {
  pl_red_sender s;
  pl_red_sender_init(&s, OPUS, 1);
  uint8_t f[2] = {7, 7}, out[32];
  pl_red_packet p;
  pl_red_sender_note(&s, 5, f, 2);
  int n = pl_red_sender_wrap(&s, 5 + 16383, f, 2, out, sizeof out); /* 0x3FFF */
  cr_assert_eq(n, 4 + 1 + 2 + 2);
  cr_assert_eq(pl_red_parse(&p, out, (size_t)n), 0);
  cr_assert_eq(p.blocks[0].ts_offset, 16383u);
  cr_assert_eq(s.left_out, 0u);
  /* One tick more (e.g. a DTX pause of 341 ms) cannot be said in 14 bits. */
  n = pl_red_sender_wrap(&s, 5 + 16383 + 16384, f, 2, out, sizeof out);
  cr_assert_eq(n, 1 + 2);
  cr_assert_eq(s.left_out, 1u);
  /* Across the 32-bit timestamp wrap the offset is still small. */
  pl_red_sender_note(&s, 0xFFFFFE00u, f, 2);
  n = pl_red_sender_wrap(&s, 0x000001C0u, f, 2, out, sizeof out);
  cr_assert_eq(pl_red_parse(&p, out, (size_t)n), 0);
  cr_assert_eq(p.n, 2);
  cr_assert_eq(p.blocks[0].ts_offset, 0x3C0u);
  /* A writer asked for 2^14 refuses rather than truncating. */
  pl_red_block b[2] = {{OPUS, 16384, f, 2}, {OPUS, 0, f, 2}};
  cr_assert_eq(pl_red_write(b, 2, out, sizeof out), PL_ERANGE);
}

Test(red, block_lengths_up_to_10_bits_and_no_further) {
  static uint8_t big[1024], out[4096];
  memset(big, 0x55, sizeof big);
  pl_red_sender s;
  pl_red_sender_init(&s, OPUS, 1);
  pl_red_sender_note(&s, 0, big, 1023);
  int n = pl_red_sender_wrap(&s, 960, big, 10, out, sizeof out);
  cr_assert_eq(n, 4 + 1 + 1023 + 10);
  pl_red_packet p;
  cr_assert_eq(pl_red_parse(&p, out, (size_t)n), 0);
  cr_assert_eq(p.blocks[0].len, 1023u);
  cr_assert_eq(out[2] & 3, 3); /* the length's top two bits */
  cr_assert_eq(out[3], 0xFF);
  cr_assert_eq(p.blocks[1].len, 10u);
  /* 1024 bytes do not fit the 10-bit field: that frame is never redundant
   * (it still goes out as a primary). */
  n = pl_red_sender_wrap(&s, 1920, big, 1024, out, sizeof out);
  cr_assert_eq(n, 4 + 1 + 10 + 1024);
  n = pl_red_sender_wrap(&s, 2880, big, 10, out, sizeof out);
  cr_assert_eq(n, 1 + 10);
  pl_red_block b[2] = {{OPUS, 960, big, 1024}, {OPUS, 0, big, 2}};
  cr_assert_eq(pl_red_write(b, 2, out, sizeof out), PL_ERANGE);
}

Test(red, a_full_packet_drops_the_oldest_copy_first) {
  pl_red_sender s;
  pl_red_sender_init(&s, OPUS, 2);
  uint8_t f[100] = {0}, out[1 + 100 + 4 + 100 + 50];
  pl_red_sender_note(&s, 0, f, 100);
  pl_red_sender_note(&s, 960, f, 100);
  int n = pl_red_sender_wrap(&s, 1920, f, 100, out, sizeof out);
  cr_assert_eq(n, 205);
  pl_red_packet p;
  cr_assert_eq(pl_red_parse(&p, out, (size_t)n), 0);
  cr_assert_eq(p.n, 2);
  cr_assert_eq(p.blocks[0].ts_offset, 960u); /* the newer copy stayed */
  cr_assert_eq(s.left_out, 1u);
  cr_assert_eq(pl_red_sender_wrap(&s, 2880, f, 100, out, 100), PL_EFULL);
}

Test(red, parser_refuses_lengths_past_the_packet_and_too_many_blocks) {
  pl_red_packet p;
  /* Block length 4 but only 3 bytes follow the headers. */
  const uint8_t past[] = {0xEF, 0x0F, 0x00, 0x04, 0x6F, 1, 2, 3};
  cr_assert_eq(pl_red_parse(&p, past, sizeof past), PL_ETRUNC);
  cr_assert_eq(p.n, 0);
  /* Exactly enough: the primary is empty, which is the receiver's to refuse. */
  const uint8_t exact[] = {0xEF, 0x0F, 0x00, 0x03, 0x6F, 1, 2, 3};
  cr_assert_eq(pl_red_parse(&p, exact, sizeof exact), 0);
  cr_assert_eq(p.blocks[1].len, 0u);
  /* Headers cut short, no primary header, empty payload. */
  cr_assert_eq(pl_red_parse(&p, past, 3), PL_ETRUNC);
  cr_assert_eq(pl_red_parse(&p, past, 4), PL_ETRUNC);
  cr_assert_eq(pl_red_parse(&p, past, 0), PL_ETRUNC);
  /* Eight redundant headers: one more block than we take. */
  uint8_t many[8 * 4 + 1];
  for (int i = 0; i < 8; i++) {
    many[4 * i] = 0xEF;
    many[4 * i + 1] = many[4 * i + 2] = many[4 * i + 3] = 0;
  }
  many[32] = 0x6F;
  cr_assert_eq(pl_red_parse(&p, many, sizeof many), PL_EPARSE);
  /* Seven are fine (all empty, the primary empty too). */
  cr_assert_eq(pl_red_parse(&p, many + 4, sizeof many - 4), 0);
  cr_assert_eq(p.n, 8);
}

Test(red, fmtp_names_one_payload_type) {
  cr_assert_eq(pl_red_fmtp_pt("111/111", 7), 111);
  cr_assert_eq(pl_red_fmtp_pt("111/111/111", 11), 111);
  cr_assert_eq(pl_red_fmtp_pt("96", 2), 96);
  cr_assert_eq(pl_red_fmtp_pt("111/0", 5), PL_EPARSE); /* two codecs: not WebRTC's */
  cr_assert_eq(pl_red_fmtp_pt("", 0), PL_EPARSE);
  cr_assert_eq(pl_red_fmtp_pt("128/128", 7), PL_EPARSE);
  cr_assert_eq(pl_red_fmtp_pt("111/", 4), PL_EPARSE);
  cr_assert_eq(pl_red_fmtp_pt("1111111/1", 9), PL_EPARSE);
}
