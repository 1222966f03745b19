/* Transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-
 * extensions-01 §3.1): parsing, the libwebrtc-compatible chunk encoder, and
 * delta quantization.
 *
 * Where the vectors come from:
 *  - chrome_padded_1 / chrome_padded_3: Chrome feedback packets as published
 *    in pion/rtcp's transport_layer_cc_test.go (TestTransportLayerCC_
 *    Unmarshal "example1" and "example4"). Sender SSRC 0xFA17FA17 is
 *    libwebrtc's default receive-only RTCP SSRC, and the P-bit padding
 *    ending in a count byte is how libwebrtc pads this message.
 *  - chrome_one_bit: a Chrome packet as published in mediasoup's
 *    worker/test/src/RTC/RTCP/TestFeedbackRtpTransport.cpp ("one bit vector
 *    chunk"), again from sender 0xFA17FA17.
 *  - The chunk words 0x00DD and 0x9F1C are the draft's own examples in
 *    §3.1.3 and §3.1.4, placed in hand-assembled packets. The draft's other
 *    two examples (0x6018, 0xCD50) use status symbol 11, which the same
 *    draft lists as reserved; libwebrtc rejects it and so do we. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net/rtcp/rtcp.h"
#include "parley.h"

static const uint8_t chrome_padded_1[] = {
    0xAF, 0xCD, 0x00, 0x05,             /* P=1, FMT=15, PT=205, 6 words */
    0xFA, 0x17, 0xFA, 0x17,             /* sender */
    0x43, 0x03, 0x2F, 0xA0,             /* media */
    0x00, 0x99, 0x00, 0x01,             /* base 153, 1 status */
    0x3D, 0xE8, 0x02, 0x17,             /* ref 4057090, fb count 23 */
    0x20, 0x01,                         /* run: 1 x small */
    0x94,                               /* 148 * 250 us */
    0x01,                               /* padding count */
};

static const uint8_t chrome_padded_3[] = {
    0xAF, 0xCD, 0x00, 0x07, 0xFA, 0x17, 0xFA, 0x17, 0x19, 0x3D, 0xD8, 0xBB,
    0x00, 0x04, 0x00, 0x07,             /* base 4, 7 statuses */
    0x10, 0x63, 0x6E, 0x01,             /* ref 1074030, fb count 1 */
    0x20, 0x07,                         /* run: 7 x small */
    0x4C, 0x24, 0x24, 0x10, 0x0C, 0x0C, 0x10,
    0x00, 0x00, 0x03,                   /* padding, count 3 */
};

static const uint8_t chrome_one_bit[] = {
    0x8F, 0xCD, 0x00, 0x07, 0xFA, 0x17, 0xFA, 0x17, 0x09, 0xFA, 0xFF, 0x67,
    0x00, 0x27, 0x00, 0x0D,             /* base 39, 13 statuses */
    0x5F, 0xC2, 0xF1, 0x03,             /* ref 6275825, fb count 3 */
    0xBF, 0x8E,                         /* 1-bit vector 1111111 000 111 (0) */
    0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1C, 0x04, 0x00,
};

static int parse_one(const uint8_t *p, size_t n, pl_rtcp_twcc *t,
                     pl_twcc_status *st, size_t cap) {
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_iter_init(&it, p, n);
  int r = pl_rtcp_iter_next(&it, &pkt);
  if (r != 1)
    return r < 0 ? r : PL_ETRUNC;
  return pl_rtcp_twcc_parse(t, &pkt, st, cap);
}

static void assert_round_trip(const uint8_t *p, size_t n) {
  pl_rtcp_twcc t;
  pl_twcc_status st[256];
  int count = parse_one(p, n, &t, st, 256);
  cr_assert_geq(count, 0);
  uint8_t out[128];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  cr_assert_eq(pl_rtcp_write_twcc(&w, &t, st, (size_t)count), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), (int)n);
  cr_assert_eq(memcmp(out, p, n), 0);
}

Test(twcc, chrome_run_length_packet_fields) {
  pl_rtcp_twcc t;
  pl_twcc_status st[4];
  cr_assert_eq(parse_one(chrome_padded_1, sizeof chrome_padded_1, &t, st, 4),
               1);
  cr_assert_eq(t.fb.sender_ssrc, 0xFA17FA17u);
  cr_assert_eq(t.fb.media_ssrc, 0x43032FA0u);
  cr_assert_eq(t.base_seq, 153);
  cr_assert_eq(t.status_count, 1);
  cr_assert_eq(t.ref_time, 4057090);
  cr_assert_eq(t.fb_count, 23);
  cr_assert(t.pad_with_p_bit);
  cr_assert_eq(st[0].seq, 153);
  cr_assert(st[0].received);
  cr_assert_eq(st[0].delta_us, 37000);
  cr_assert_eq(st[0].recv_us, 4057090ll * 64000 + 37000);
  assert_round_trip(chrome_padded_1, sizeof chrome_padded_1);
}

Test(twcc, chrome_seven_deltas_round_trip) {
  pl_rtcp_twcc t;
  pl_twcc_status st[8];
  cr_assert_eq(parse_one(chrome_padded_3, sizeof chrome_padded_3, &t, st, 8),
               7);
  const int32_t want[] = {19000, 9000, 9000, 4000, 3000, 3000, 4000};
  int64_t at = 1074030ll * 64000;
  for (int i = 0; i < 7; i++) {
    at += want[i];
    cr_assert_eq(st[i].seq, 4 + i);
    cr_assert(st[i].received);
    cr_assert_eq(st[i].delta_us, want[i]);
    cr_assert_eq(st[i].recv_us, at);
  }
  assert_round_trip(chrome_padded_3, sizeof chrome_padded_3);
}

Test(twcc, chrome_one_bit_vector_round_trip) {
  pl_rtcp_twcc t;
  pl_twcc_status st[16];
  cr_assert_eq(parse_one(chrome_one_bit, sizeof chrome_one_bit, &t, st, 16),
               13);
  cr_assert_not(t.pad_with_p_bit);
  cr_assert_eq(t.ref_time, 6275825);
  cr_assert_eq(t.fb_count, 3);
  const bool rx[] = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1};
  const int32_t d[] = {4000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7000, 1000, 0};
  for (int i = 0; i < 13; i++) {
    cr_assert_eq(st[i].seq, 39 + i);
    cr_assert_eq(st[i].received, rx[i], "status %d", i);
    cr_assert_eq(st[i].delta_us, d[i], "status %d", i);
  }
  assert_round_trip(chrome_one_bit, sizeof chrome_one_bit);
}

Test(twcc, draft_chunk_examples) {
  /* §3.1.3 example 1: a run of 221 "not received". */
  const uint8_t run[] = {0x8F, 0xCD, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2,
                         0x00, 0x00, 0x00, 0xDD, 0, 0, 0, 0,
                         0x00, 0xDD, 0x00, 0x00};
  pl_rtcp_twcc t;
  pl_twcc_status st[256];
  cr_assert_eq(parse_one(run, sizeof run, &t, st, 256), 221);
  for (int i = 0; i < 221; i++)
    cr_assert_not(st[i].received);
  assert_round_trip(run, sizeof run);
  /* §3.1.4 example 1: 1-bit vector 0 11111 000 111 00, 8 small deltas. */
  const uint8_t vec[] = {0x8F, 0xCD, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0, 2,
                         0x00, 0x0A, 0x00, 0x0E, 0, 0, 1, 0,
                         0x9F, 0x1C,
                         1, 2, 3, 4, 5, 6, 7, 8, 0, 0};
  const bool rx[] = {0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0};
  cr_assert_eq(parse_one(vec, sizeof vec, &t, st, 256), 14);
  int k = 0;
  int64_t at = 64000;
  for (int i = 0; i < 14; i++) {
    cr_assert_eq(st[i].received, rx[i]);
    if (rx[i]) {
      k++;
      at += k * 250;
      cr_assert_eq(st[i].delta_us, k * 250);
      cr_assert_eq(st[i].recv_us, at);
    }
  }
  assert_round_trip(vec, sizeof vec);
}

Test(twcc, reserved_symbol_truncation_and_capacity) {
  pl_rtcp_twcc t;
  pl_twcc_status st[32];
  /* The draft's 0x6018: a run of symbol 11. */
  uint8_t p[] = {0x8F, 0xCD, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 2,
                 0x00, 0x00, 0x00, 0x18, 0, 0, 0, 0, 0x60, 0x18, 0, 0};
  cr_assert_eq(parse_one(p, sizeof p, &t, st, 32), PL_EPARSE);
  /* The draft's 0xCD50: a 2-bit vector with an 11 in it. */
  p[15] = 7;
  p[20] = 0xCD;
  p[21] = 0x50;
  cr_assert_eq(parse_one(p, sizeof p, &t, st, 32), PL_EPARSE);
  /* 24 statuses announced, chunks for 7 only. */
  p[15] = 24;
  p[20] = 0x00;
  p[21] = 0x07;
  cr_assert_eq(parse_one(p, sizeof p, &t, st, 32), PL_ETRUNC);
  cr_assert_eq(parse_one(p, sizeof p, &t, st, 8), PL_EFULL);
  /* Deltas cut short: seven small deltas promised, one present. */
  uint8_t q[sizeof chrome_padded_3];
  memcpy(q, chrome_padded_3, sizeof q);
  q[0] = 0x8F; /* P bit cleared */
  q[3] = 0x05; /* 24 bytes: fixed part, the run chunk, 2 of 7 deltas */
  cr_assert_eq(parse_one(q, 24, &t, st, 32), PL_ETRUNC);
  /* Every prefix of a real packet fails cleanly. */
  for (size_t k = 0; k < sizeof chrome_one_bit; k++) {
    uint8_t *c = malloc(k ? k : 1);
    memcpy(c, chrome_one_bit, k);
    pl_rtcp_packet pkt = {.pt = 205, .count = 15, .data = c, .len = k,
                          .body = c + 4, .body_len = k > 4 ? k - 4 : 0};
    if (k >= 4)
      cr_assert_lt(pl_rtcp_twcc_parse(&t, &pkt, st, 32), 0, "prefix %zu", k);
    free(c);
  }
}

static void build(pl_twcc_status *st, size_t n, uint16_t base,
                  const int32_t *delta, const bool *rx) {
  for (size_t i = 0; i < n; i++) {
    st[i].seq = (uint16_t)(base + i);
    st[i].received = rx ? rx[i] : true;
    st[i].delta_us = st[i].received ? delta[i] : 0;
    st[i].recv_us = 0;
  }
}

static int write_twcc(const pl_rtcp_twcc *t, const pl_twcc_status *st,
                      size_t n, uint8_t *out, size_t cap) {
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, cap, true);
  int r = pl_rtcp_write_twcc(&w, t, st, n);
  return r < 0 ? r : pl_rtcp_writer_finish(&w);
}

Test(twcc_writer, two_bit_vector_then_run_when_large_delta_mixed_in) {
  /* small, LARGE, then 7 small: the first 7 go out as a 2-bit vector
   * (01 10 01 01 01 01 01 = 0xD955), the last two as a run (0x2002). */
  int32_t d[9] = {250, 64000, 250, 250, 250, 250, 250, 250, 250};
  pl_twcc_status st[9];
  build(st, 9, 65530, d, NULL);
  pl_rtcp_twcc t = {.fb = {1, 2}, .base_seq = 65530, .ref_time = -2,
                    .fb_count = 9};
  uint8_t out[64];
  int n = write_twcc(&t, st, 9, out, sizeof out);
  /* 20 fixed + 4 chunk bytes + 8 small + 2 large = 34 -> 36 */
  cr_assert_eq(n, 36);
  cr_assert_eq(out[0], 0x8F); /* zero padding, no P bit */
  cr_assert_eq(out[20], 0xD9);
  cr_assert_eq(out[21], 0x55);
  cr_assert_eq(out[22], 0x20);
  cr_assert_eq(out[23], 0x02);
  cr_assert_eq(out[24], 1);    /* 250 us */
  cr_assert_eq(out[25], 0x01); /* 64000 us = 256 ticks, large */
  cr_assert_eq(out[26], 0x00);
  cr_assert_eq(out[16], 0xFF); /* ref -2 as 24 bits */
  cr_assert_eq(out[18], 0xFE);
  pl_rtcp_twcc back;
  pl_twcc_status got[9];
  cr_assert_eq(parse_one(out, (size_t)n, &back, got, 9), 9);
  cr_assert_eq(back.ref_time, -2);
  cr_assert_eq(back.base_seq, 65530);
  for (int i = 0; i < 9; i++) {
    cr_assert_eq(got[i].seq, (uint16_t)(65530 + i)); /* wraps past 65535 */
    cr_assert_eq(got[i].delta_us, d[i]);
  }
}

Test(twcc_writer, long_runs_and_one_bit_vectors) {
  /* 100 received, 1 lost, 100 received: run(100), a 1-bit vector holding
   * the loss and the next 13, then run(87). */
  pl_twcc_status st[201];
  int32_t d[201];
  bool rx[201];
  for (int i = 0; i < 201; i++) {
    d[i] = 20000;
    rx[i] = i != 100;
  }
  build(st, 201, 1000, d, rx);
  pl_rtcp_twcc t = {.fb = {1, 2}, .base_seq = 1000, .pad_with_p_bit = true};
  uint8_t out[512];
  int n = write_twcc(&t, st, 201, out, sizeof out);
  cr_assert_eq(n, 20 + 6 + 200 + 2); /* 226 -> 228 with P-bit padding */
  cr_assert_eq(out[0], 0xAF);
  cr_assert_eq(out[n - 1], 2);
  cr_assert_eq(out[20], 0x20);
  cr_assert_eq(out[21], 100);
  cr_assert_eq(out[22], 0x9F);
  cr_assert_eq(out[23], 0xFF);
  cr_assert_eq(out[24], 0x20);
  cr_assert_eq(out[25], 87);
  pl_rtcp_twcc back;
  pl_twcc_status got[201];
  cr_assert_eq(parse_one(out, (size_t)n, &back, got, 201), 201);
  for (int i = 0; i < 201; i++)
    cr_assert_eq(got[i].received, rx[i]);
}

Test(twcc_writer, rejects_unencodable_input) {
  pl_twcc_status st[2];
  int32_t d[2] = {100, 250}; /* 100 us is not a multiple of 250 */
  build(st, 2, 5, d, NULL);
  pl_rtcp_twcc t = {.base_seq = 5};
  uint8_t out[64];
  cr_assert_eq(write_twcc(&t, st, 2, out, sizeof out), PL_EINVAL);
  st[0].delta_us = 8192000; /* one tick past the largest large delta */
  cr_assert_eq(write_twcc(&t, st, 2, out, sizeof out), PL_ERANGE);
  st[0].delta_us = -8192000; /* the most negative one is fine */
  cr_assert_gt(write_twcc(&t, st, 2, out, sizeof out), 0);
  st[1].seq = 9; /* not base + 1 */
  cr_assert_eq(write_twcc(&t, st, 2, out, sizeof out), PL_EINVAL);
}

Test(twcc_writer, p_bit_padded_packet_must_be_last) {
  pl_twcc_status st[1];
  int32_t d[1] = {250};
  build(st, 1, 0, d, NULL);
  pl_rtcp_twcc t = {.pad_with_p_bit = true};
  uint8_t out[64];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  cr_assert_eq(pl_rtcp_write_twcc(&w, &t, st, 1), 0);
  cr_assert_eq(pl_rtcp_write_pli(&w, 1, 2), PL_ESTATE);
}

Test(twcc_deltas, quantized_without_drift_and_reconstructed) {
  const int64_t arrivals[] = {1000100, 0, 1020300, 1019000, 1100000};
  const bool rx[] = {1, 0, 1, 1, 1};
  pl_twcc_status st[5];
  for (int i = 0; i < 5; i++)
    st[i] = (pl_twcc_status){.seq = (uint16_t)(7 + i), .received = rx[i],
                             .recv_us = arrivals[i]};
  pl_rtcp_twcc t = {.base_seq = 7, .pad_with_p_bit = true};
  cr_assert_eq(pl_twcc_set_deltas(&t, st, 5), 0);
  cr_assert_eq(t.ref_time, 15); /* floor(1000100 / 64000) */
  cr_assert_eq(st[0].delta_us, 40000);
  cr_assert_eq(st[2].delta_us, 20250);
  cr_assert_eq(st[3].delta_us, -1250); /* reordered arrival: negative */
  cr_assert_eq(st[4].delta_us, 81000);
  for (int i = 0; i < 5; i++)
    if (rx[i])
      cr_assert_leq(llabs(st[i].recv_us - arrivals[i]), 125);
  uint8_t out[64];
  int n = write_twcc(&t, st, 5, out, sizeof out);
  cr_assert_gt(n, 0);
  pl_rtcp_twcc back;
  pl_twcc_status got[5];
  cr_assert_eq(parse_one(out, (size_t)n, &back, got, 5), 5);
  for (int i = 0; i < 5; i++) {
    cr_assert_eq(got[i].received, rx[i]);
    cr_assert_eq(got[i].recv_us, st[i].recv_us);
  }
  /* Ten thousand 20.1 ms gaps: rounding never accumulates. */
  static pl_twcc_status many[10000];
  for (int i = 0; i < 10000; i++)
    many[i] = (pl_twcc_status){.seq = (uint16_t)i, .received = true,
                               .recv_us = 5000000 + i * 20100ll};
  cr_assert_eq(pl_twcc_set_deltas(&t, many, 10000), 0);
  for (int i = 0; i < 10000; i++)
    cr_assert_leq(llabs(many[i].recv_us - (5000000 + i * 20100ll)), 125);
  /* A gap too long for 16 bits of 250 us. */
  many[1].recv_us = many[0].recv_us + 9000000;
  cr_assert_eq(pl_twcc_set_deltas(&t, many, 2), PL_ERANGE);
}
