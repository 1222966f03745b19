/* RTCP compound iteration, SR/RR/SDES/BYE, NACK/PLI/FIR/REMB and the writer.
 * TWCC has its own file, rtcp_twcc.c.
 *
 * Vectors: SR/SDES/BYE/NACK/PLI/FIR are hand-assembled from the RFC 3550 §6.4-
 * 6.6, RFC 4585 §6.2.1/§6.3.1 and RFC 5104 §4.3.1 figures (annotated below).
 * The REMB packet is a Chrome capture as published in mediasoup's test suite
 * (worker/test/src/RTC/RTCP/TestFeedbackPsRemb.cpp); its sender SSRC
 * 0xFA17FA17 is libwebrtc's default receive-only RTCP SSRC. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net/rtcp/rtcp.h"
#include "parley.h"

static const uint8_t sr_sdes_bye[] = {
    /* SR, RC=1, length 12 */
    0x81, 0xC8, 0x00, 0x0C,
    0x12, 0x34, 0x56, 0x78,                         /* SSRC */
    0xE1, 0xB3, 0xC4, 0xD5, 0x80, 0x00, 0x00, 0x00, /* NTP */
    0x00, 0x00, 0xAA, 0xAA,                         /* RTP ts */
    0x00, 0x00, 0x00, 0x64,                         /* 100 packets */
    0x00, 0x00, 0x3E, 0x80,                         /* 16000 octets */
    0x9A, 0xBC, 0xDE, 0xF0,                         /* report about */
    0x40, 0xFF, 0xFF, 0xFE,                         /* 64/256, lost -2 */
    0x00, 0x01, 0x00, 0x05,                         /* ext seq 65541 */
    0x00, 0x00, 0x00, 0x20,                         /* jitter 32 */
    0xB7, 0x05, 0x20, 0x00,                         /* LSR */
    0x00, 0x05, 0x40, 0x00,                         /* DLSR 5.25 s */
    /* SDES, SC=1, length 3: CNAME "abc", then nulls to the word */
    0x81, 0xCA, 0x00, 0x03,
    0x12, 0x34, 0x56, 0x78,
    0x01, 0x03, 'a', 'b', 'c', 0x00, 0x00, 0x00,
    /* BYE, SC=1, length 2, reason "bye" */
    0x81, 0xCB, 0x00, 0x02,
    0x12, 0x34, 0x56, 0x78,
    0x03, 'b', 'y', 'e',
};

static uint8_t *dup_exact(const uint8_t *p, size_t n) {
  uint8_t *q = malloc(n ? n : 1);
  memcpy(q, p, n);
  return q;
}

Test(rtcp_iter, compound_yields_each_packet_with_its_bounds) {
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_iter_init(&it, sr_sdes_bye, sizeof sr_sdes_bye);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pkt.pt, PL_RTCP_SR);
  cr_assert_eq(pkt.count, 1);
  cr_assert_eq(pkt.len, 52);
  cr_assert_eq(pkt.body_len, 48);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pkt.pt, PL_RTCP_SDES);
  cr_assert_eq(pkt.data, sr_sdes_bye + 52);
  cr_assert_eq(pkt.len, 16);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pkt.pt, PL_RTCP_BYE);
  cr_assert_eq(pkt.len, 12);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 0);
  cr_assert_eq(pl_rtcp_validate(sr_sdes_bye, sizeof sr_sdes_bye, false), 3);
}

Test(rtcp_iter, truncation_at_every_length) {
  const size_t ends[] = {52, 68, 80};
  for (size_t k = 0; k <= sizeof sr_sdes_bye; k++) {
    uint8_t *p = dup_exact(sr_sdes_bye, k);
    pl_rtcp_iter it;
    pl_rtcp_packet pkt;
    pl_rtcp_iter_init(&it, p, k);
    int r, got = 0;
    while ((r = pl_rtcp_iter_next(&it, &pkt)) > 0)
      got++;
    int whole = 0;
    for (int i = 0; i < 3; i++)
      whole += k >= ends[i];
    bool boundary = k == 0 || k == 52 || k == 68 || k == 80;
    cr_assert_eq(got, whole, "prefix %zu", k);
    cr_assert_eq(r, boundary ? 0 : PL_ETRUNC, "prefix %zu", k);
    free(p);
  }
}

Test(rtcp_iter, rejects_bad_version_length_and_misplaced_padding) {
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  const uint8_t v1[] = {0x41, 0xC9, 0x00, 0x01, 0, 0, 0, 1};
  pl_rtcp_iter_init(&it, v1, sizeof v1);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), PL_EPARSE);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 0); /* stays finished */

  const uint8_t long_len[] = {0x80, 0xC9, 0x00, 0x05, 0, 0, 0, 1};
  pl_rtcp_iter_init(&it, long_len, sizeof long_len);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), PL_ETRUNC);

  /* Padding on the last packet: stripped. */
  const uint8_t pad_last[] = {0xA0, 0xC9, 0x00, 0x02, 0, 0, 0, 7,
                              0, 0, 0, 4};
  pl_rtcp_iter_init(&it, pad_last, sizeof pad_last);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pkt.padding_len, 4);
  cr_assert_eq(pkt.body_len, 4);
  pl_rtcp_rr rr;
  cr_assert_eq(pl_rtcp_rr_parse(&rr, &pkt), 0);
  cr_assert_eq(rr.ssrc, 7u);

  /* The same packet followed by another: padding not on the last. */
  uint8_t pad_first[sizeof pad_last + 8];
  memcpy(pad_first, pad_last, sizeof pad_last);
  memcpy(pad_first + sizeof pad_last,
         (const uint8_t[]){0x80, 0xCA, 0x00, 0x01, 0, 0, 0, 0}, 8);
  pl_rtcp_iter_init(&it, pad_first, sizeof pad_first);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), PL_EPARSE);

  const uint8_t pad_zero[] = {0xA0, 0xC9, 0x00, 0x01, 0, 0, 0, 0};
  pl_rtcp_iter_init(&it, pad_zero, sizeof pad_zero);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), PL_EPARSE);
  const uint8_t pad_big[] = {0xA0, 0xC9, 0x00, 0x01, 0, 0, 0, 9};
  pl_rtcp_iter_init(&it, pad_big, sizeof pad_big);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), PL_EPARSE);
}

Test(rtcp_iter, validate_requires_sr_or_rr_first_unless_reduced_size) {
  const uint8_t pli[] = {0x81, 0xCE, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
  cr_assert_eq(pl_rtcp_validate(pli, sizeof pli, false), PL_EPARSE);
  cr_assert_eq(pl_rtcp_validate(pli, sizeof pli, true), 1);
  cr_assert_eq(pl_rtcp_validate(pli, 0, true), PL_ETRUNC);
}

Test(rtcp_sr, fields_of_hand_assembled_sr) {
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_sr sr;
  pl_rtcp_iter_init(&it, sr_sdes_bye, sizeof sr_sdes_bye);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_sr_parse(&sr, &pkt), 0);
  cr_assert_eq(sr.ssrc, 0x12345678u);
  cr_assert_eq(sr.ntp, 0xE1B3C4D580000000ull);
  cr_assert_eq(sr.rtp_ts, 0xAAAAu);
  cr_assert_eq(sr.packet_count, 100u);
  cr_assert_eq(sr.octet_count, 16000u);
  cr_assert_eq(sr.report_count, 1);
  const pl_rtcp_report_block *b = &sr.reports[0];
  cr_assert_eq(b->ssrc, 0x9ABCDEF0u);
  cr_assert_eq(b->fraction_lost, 64);
  cr_assert_eq(b->cumulative_lost, -2);
  cr_assert_eq(b->ext_highest_seq, 65541u);
  cr_assert_eq(b->jitter, 32u);
  cr_assert_eq(b->lsr, 0xB7052000u);
  cr_assert_eq(b->dlsr, 0x00054000u);
  pl_rtcp_rr rr;
  cr_assert_eq(pl_rtcp_rr_parse(&rr, &pkt), PL_EINVAL);
}

Test(rtcp_sr, report_count_beyond_length_is_truncation) {
  uint8_t p[52];
  memcpy(p, sr_sdes_bye, 52);
  p[0] = 0x82; /* RC=2 with room for one block */
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_sr sr;
  pl_rtcp_iter_init(&it, p, sizeof p);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_sr_parse(&sr, &pkt), PL_ETRUNC);
  const uint8_t rr2[] = {0x82, 0xC9, 0x00, 0x07, 0, 0, 0, 1};
  pl_rtcp_rr rr;
  pkt = (pl_rtcp_packet){.pt = PL_RTCP_RR, .count = 2, .data = rr2,
                         .len = 8, .body = rr2 + 4, .body_len = 4};
  cr_assert_eq(pl_rtcp_rr_parse(&rr, &pkt), PL_ETRUNC);
}

Test(rtcp_sdes, cname_found_other_items_skipped) {
  const uint8_t p[] = {
      0x82, 0xCA, 0x00, 0x06,
      0x00, 0x00, 0x00, 0x01,
      0x02, 0x02, 'h', 'i',                    /* NAME "hi" (skipped) */
      0x01, 0x04, 'u', '@', 'h', 'x',          /* CNAME "u@hx" */
      0x00, 0x00,                              /* end + pad */
      0x00, 0x00, 0x00, 0x02,
      0x07, 0x01, 'n', 0x00,                   /* NOTE only */
  };
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_sdes s;
  pl_rtcp_iter_init(&it, p, sizeof p);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_sdes_parse(&s, &pkt), 0);
  cr_assert_eq(s.count, 2);
  cr_assert_eq(s.chunks[0].ssrc, 1u);
  cr_assert_eq(s.chunks[0].cname_len, 4);
  cr_assert_eq(memcmp(s.chunks[0].cname, "u@hx", 4), 0);
  cr_assert_eq(s.chunks[1].ssrc, 2u);
  cr_assert_null(s.chunks[1].cname);
}

Test(rtcp_sdes, unterminated_or_overrunning_items_are_errors) {
  /* Item length runs past the packet. */
  const uint8_t a[] = {0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1,
                       0x01, 0x09, 'a', 'b'};
  /* Items fill the chunk with no null octet. */
  const uint8_t b[] = {0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1,
                       0x01, 0x02, 'a', 'b'};
  /* SC=2 but one chunk. */
  const uint8_t c[] = {0x82, 0xCA, 0x00, 0x02, 0, 0, 0, 1,
                       0x01, 0x01, 'a', 0x00};
  const uint8_t *v[] = {a, b, c};
  int want[] = {PL_EPARSE, PL_EPARSE, PL_ETRUNC};
  for (int i = 0; i < 3; i++) {
    pl_rtcp_iter it;
    pl_rtcp_packet pkt;
    pl_rtcp_sdes s;
    pl_rtcp_iter_init(&it, v[i], 12);
    cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
    cr_assert_eq(pl_rtcp_sdes_parse(&s, &pkt), want[i], "case %d", i);
  }
}

Test(rtcp_bye, reason_and_its_overflow) {
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_bye bye;
  pl_rtcp_iter_init(&it, sr_sdes_bye + 68, 12);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_bye_parse(&bye, &pkt), 0);
  cr_assert_eq(bye.count, 1);
  cr_assert_eq(bye.ssrcs[0], 0x12345678u);
  cr_assert_eq(bye.reason_len, 3);
  cr_assert_eq(memcmp(bye.reason, "bye", 3), 0);

  const uint8_t over[] = {0x82, 0xCB, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2,
                          0x0A, 'a', 'b', 'c'};
  pl_rtcp_iter_init(&it, over, sizeof over);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_bye_parse(&bye, &pkt), PL_ETRUNC);
  const uint8_t plain[] = {0x81, 0xCB, 0x00, 0x01, 0, 0, 0, 9};
  pl_rtcp_iter_init(&it, plain, sizeof plain);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_bye_parse(&bye, &pkt), 0);
  cr_assert_null(bye.reason);
  cr_assert_eq(bye.ssrcs[0], 9u);
}

Test(rtcp_writer, rebuilds_sr_sdes_bye_byte_exact) {
  pl_rtcp_sr sr = {.ssrc = 0x12345678, .ntp = 0xE1B3C4D580000000ull,
                   .rtp_ts = 0xAAAA, .packet_count = 100,
                   .octet_count = 16000, .report_count = 1};
  sr.reports[0] = (pl_rtcp_report_block){
      .ssrc = 0x9ABCDEF0, .fraction_lost = 64, .cumulative_lost = -2,
      .ext_highest_seq = 65541, .jitter = 32, .lsr = 0xB7052000,
      .dlsr = 0x00054000};
  pl_rtcp_sdes_chunk ch = {.ssrc = 0x12345678,
                           .cname = (const uint8_t *)"abc", .cname_len = 3};
  const uint32_t ssrc = 0x12345678;
  uint8_t out[128];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, sizeof out, false);
  cr_assert_eq(pl_rtcp_write_sr(&w, &sr), 0);
  cr_assert_eq(pl_rtcp_write_sdes(&w, &ch, 1), 0);
  cr_assert_eq(pl_rtcp_write_bye(&w, &ssrc, 1, "bye"), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), (int)sizeof sr_sdes_bye);
  cr_assert_eq(memcmp(out, sr_sdes_bye, sizeof sr_sdes_bye), 0);
}

Test(rtcp_writer, compound_rules_and_reduced_size) {
  uint8_t out[256];
  pl_rtcp_writer w;
  /* Feedback cannot open a compound packet... */
  pl_rtcp_writer_init(&w, out, sizeof out, false);
  cr_assert_eq(pl_rtcp_write_pli(&w, 1, 2), PL_ESTATE);
  cr_assert_eq(pl_rtcp_writer_finish(&w), PL_ESTATE);
  /* ...and a compound packet needs a CNAME. */
  pl_rtcp_rr rr = {.ssrc = 1};
  pl_rtcp_writer_init(&w, out, sizeof out, false);
  cr_assert_eq(pl_rtcp_write_rr(&w, &rr), 0);
  cr_assert_eq(pl_rtcp_write_pli(&w, 1, 2), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), PL_ESTATE);
  pl_rtcp_sdes_chunk ch = {.ssrc = 1, .cname = (const uint8_t *)"x",
                           .cname_len = 1};
  pl_rtcp_writer_init(&w, out, sizeof out, false);
  cr_assert_eq(pl_rtcp_write_rr(&w, &rr), 0);
  cr_assert_eq(pl_rtcp_write_sdes(&w, &ch, 1), 0);
  cr_assert_eq(pl_rtcp_write_pli(&w, 1, 2), 0);
  int n = pl_rtcp_writer_finish(&w);
  cr_assert_eq(n, 8 + 12 + 12);
  cr_assert_eq(pl_rtcp_validate(out, (size_t)n, false), 3);
  /* Reduced-size: a lone PLI is a whole packet (RFC 5506). */
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  cr_assert_eq(pl_rtcp_write_pli(&w, 1, 2), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), 12);
  const uint8_t pli[] = {0x81, 0xCE, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
  cr_assert_eq(memcmp(out, pli, sizeof pli), 0);
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  cr_assert_eq(pl_rtcp_writer_finish(&w), PL_ESTATE); /* empty */
}

Test(rtcp_writer, capacity_errors_are_sticky_and_bounded) {
  uint8_t out[64];
  memset(out, 0x5A, sizeof out);
  pl_rtcp_writer w;
  pl_rtcp_rr rr = {.ssrc = 1, .report_count = 2};
  pl_rtcp_writer_init(&w, out, 40, false);
  cr_assert_eq(pl_rtcp_write_rr(&w, &rr), PL_EFULL); /* needs 56 */
  for (size_t i = 0; i < sizeof out; i++)
    cr_assert_eq(out[i], 0x5A);
  rr.report_count = 0;
  cr_assert_eq(pl_rtcp_write_rr(&w, &rr), PL_EFULL);
  cr_assert_eq(pl_rtcp_writer_finish(&w), PL_EFULL);
  pl_rtcp_writer_init(&w, out, sizeof out, false);
  rr.report_count = 32;
  cr_assert_eq(pl_rtcp_write_rr(&w, &rr), PL_EINVAL);
}

Test(rtcp_writer, bye_and_sdes_pad_to_words) {
  uint8_t out[128];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  const uint32_t ssrcs[] = {1, 2};
  cr_assert_eq(pl_rtcp_write_bye(&w, ssrcs, 2, "gone"), 0); /* 1+4 -> 8 */
  pl_rtcp_sdes_chunk ch[2] = {
      {.ssrc = 3, .cname = (const uint8_t *)"ab", .cname_len = 2},
      {.ssrc = 4, .cname = NULL},
  };
  cr_assert_eq(pl_rtcp_write_sdes(&w, ch, 2), 0);
  int n = pl_rtcp_writer_finish(&w);
  /* BYE 4+8+8; SDES 4 + (4+4+4) + (4+4): "ab" + 2 header bytes = 4, then a
   * whole word of nulls, since the list must end in at least one. */
  cr_assert_eq(n, 20 + 24);
  const uint8_t want_bye[] = {0x82, 0xCB, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2,
                              0x04, 'g', 'o', 'n', 'e', 0, 0, 0};
  cr_assert_eq(memcmp(out, want_bye, sizeof want_bye), 0);
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_sdes s;
  pl_rtcp_bye bye;
  pl_rtcp_iter_init(&it, out, (size_t)n);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_bye_parse(&bye, &pkt), 0);
  cr_assert_eq(bye.reason_len, 4);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pkt.len, 24);
  cr_assert_eq(pl_rtcp_sdes_parse(&s, &pkt), 0);
  cr_assert_eq(s.count, 2);
  cr_assert_eq(s.chunks[0].cname_len, 2);
  cr_assert_null(s.chunks[1].cname);
}

Test(rtcp_nack, pid_blp_expand_including_wrap) {
  const uint8_t p[] = {
      0x81, 0xCD, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
      0x00, 0x64, 0x80, 0x05, /* PID 100, BLP bits 0, 2, 15 */
      0xFF, 0xFF, 0x00, 0x03, /* PID 65535, BLP bits 0, 1 */
  };
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_nack nack;
  pl_rtcp_iter_init(&it, p, sizeof p);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_nack_parse(&nack, &pkt), 0);
  cr_assert_eq(nack.fb.sender_ssrc, 1u);
  cr_assert_eq(nack.fb.media_ssrc, 2u);
  cr_assert_eq(nack.count, 2);
  uint16_t pid, blp;
  pl_rtcp_nack_item(&nack, 0, &pid, &blp);
  cr_assert_eq(pid, 100);
  cr_assert_eq(blp, 0x8005);
  uint16_t seqs[16];
  cr_assert_eq(pl_rtcp_nack_seqs(&nack, seqs, 16), 7);
  const uint16_t want[] = {100, 101, 103, 116, 65535, 0, 1};
  cr_assert_eq(memcmp(seqs, want, sizeof want), 0);
  cr_assert_eq(pl_rtcp_nack_seqs(&nack, seqs, 3), 7); /* count beyond cap */
  /* Not a NACK, and a NACK with no FCI. */
  pl_rtcp_fb fb;
  cr_assert_eq(pl_rtcp_pli_parse(&fb, &pkt), PL_EINVAL);
  pkt.body_len = 8;
  cr_assert_eq(pl_rtcp_nack_parse(&nack, &pkt), PL_EPARSE);
  pkt.body_len = 6;
  cr_assert_eq(pl_rtcp_nack_parse(&nack, &pkt), PL_ETRUNC);
}

Test(rtcp_nack, writer_packs_sequence_numbers) {
  uint8_t out[64];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  const uint16_t seqs[] = {100, 101, 103, 116, 117};
  cr_assert_eq(pl_rtcp_write_nack(&w, 1, 2, seqs, 5), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), 20);
  const uint8_t want[] = {0x81, 0xCD, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2,
                          0x00, 0x64, 0x80, 0x05, 0x00, 0x75, 0x00, 0x00};
  cr_assert_eq(memcmp(out, want, sizeof want), 0);

  pl_rtcp_writer_init(&w, out, sizeof out, true);
  const uint16_t wrap[] = {65534, 65535, 0, 5};
  cr_assert_eq(pl_rtcp_write_nack(&w, 1, 2, wrap, 4), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), 16);
  cr_assert_eq(out[12], 0xFF);
  cr_assert_eq(out[13], 0xFE);
  cr_assert_eq(out[14], 0x00);
  cr_assert_eq(out[15], 0x43); /* 65535, 0, 5 -> bits 0, 1, 6 */
}

Test(rtcp_psfb, pli_and_fir_fields) {
  const uint8_t pli[] = {0x81, 0xCE, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
  const uint8_t fir[] = {0x84, 0xCE, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 0,
                         0x02, 0xD0, 0x37, 0x02, 0x07, 0x00, 0x00, 0x00};
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_fb fb;
  pl_rtcp_iter_init(&it, pli, sizeof pli);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_pli_parse(&fb, &pkt), 0);
  cr_assert_eq(fb.sender_ssrc, 1u);
  cr_assert_eq(fb.media_ssrc, 2u);

  pl_rtcp_fir f;
  pl_rtcp_iter_init(&it, fir, sizeof fir);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_pli_parse(&fb, &pkt), PL_EINVAL);
  cr_assert_eq(pl_rtcp_fir_parse(&f, &pkt), 0);
  cr_assert_eq(f.count, 1);
  uint32_t ssrc;
  uint8_t seq;
  pl_rtcp_fir_entry(&f, 0, &ssrc, &seq);
  cr_assert_eq(ssrc, 0x02D03702u);
  cr_assert_eq(seq, 7);

  uint8_t out[64];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  const uint32_t ssrcs[] = {0x02D03702};
  const uint8_t seqs[] = {7};
  cr_assert_eq(pl_rtcp_write_fir(&w, 1, ssrcs, seqs, 1), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), (int)sizeof fir);
  cr_assert_eq(memcmp(out, fir, sizeof fir), 0);

  /* PLI has no FCI (RFC 4585 §6.3.1: length is 2). */
  const uint8_t pli_fci[] = {0x81, 0xCE, 0x00, 0x03, 0, 0, 0, 1,
                             0, 0, 0, 2, 0, 0, 0, 0};
  pl_rtcp_iter_init(&it, pli_fci, sizeof pli_fci);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_pli_parse(&fb, &pkt), PL_EPARSE);
}

/* Chrome capture (see top of file). */
static const uint8_t chrome_remb[] = {
    0x8F, 0xCE, 0x00, 0x06, 0xFA, 0x17, 0xFA, 0x17, 0x00, 0x00, 0x00, 0x00,
    0x52, 0x45, 0x4D, 0x42, /* "REMB" */
    0x02, 0x01, 0xDF, 0x82, /* 2 SSRCs, exp 0, mantissa 122754 */
    0x02, 0xD0, 0x37, 0x02, 0x04, 0xA7, 0x67, 0x47,
};

Test(rtcp_remb, chrome_capture_parses_and_round_trips) {
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_remb r;
  pl_rtcp_iter_init(&it, chrome_remb, sizeof chrome_remb);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_remb_parse(&r, &pkt), 0);
  cr_assert_eq(r.fb.sender_ssrc, 0xFA17FA17u);
  cr_assert_eq(r.fb.media_ssrc, 0u);
  cr_assert_eq(r.bitrate_bps, 122754u);
  cr_assert_eq(r.ssrc_count, 2);
  cr_assert_eq(pl_rtcp_remb_ssrc(&r, 0), 0x02D03702u);
  cr_assert_eq(pl_rtcp_remb_ssrc(&r, 1), 0x04A76747u);

  uint8_t out[64];
  pl_rtcp_writer w;
  const uint32_t ssrcs[] = {0x02D03702, 0x04A76747};
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  cr_assert_eq(pl_rtcp_write_remb(&w, 0xFA17FA17, 122754, ssrcs, 2), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), (int)sizeof chrome_remb);
  cr_assert_eq(memcmp(out, chrome_remb, sizeof chrome_remb), 0);
}

Test(rtcp_remb, exponent_mantissa_and_errors) {
  uint8_t out[64];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  /* 2.5 Mb/s = 156250 << 4. */
  cr_assert_eq(pl_rtcp_write_remb(&w, 1, 2500000, NULL, 0), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), 20);
  cr_assert_eq(out[16], 0);
  cr_assert_eq(out[17], 0x12);
  cr_assert_eq(out[18], 0x62);
  cr_assert_eq(out[19], 0x5A);
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_remb r;
  pl_rtcp_iter_init(&it, out, 20);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_remb_parse(&r, &pkt), 0);
  cr_assert_eq(r.bitrate_bps, 2500000u);
  /* An odd rate is rounded down to 18 significant bits. */
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  cr_assert_eq(pl_rtcp_write_remb(&w, 1, 1000001, NULL, 0), 0);
  pl_rtcp_iter_init(&it, out, 20);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_remb_parse(&r, &pkt), 0);
  cr_assert_eq(r.bitrate_bps, (1000001u >> 2) << 2);

  /* exp 63 with mantissa 2 overflows 64 bits. */
  uint8_t bad[sizeof chrome_remb];
  memcpy(bad, chrome_remb, sizeof bad);
  bad[17] = 63 << 2;
  bad[18] = 0x00;
  bad[19] = 0x02;
  pl_rtcp_iter_init(&it, bad, sizeof bad);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_remb_parse(&r, &pkt), PL_ERANGE);
  /* Another AFB message, and a REMB whose SSRC list is cut short. */
  memcpy(bad, chrome_remb, sizeof bad);
  bad[12] = 'X';
  pl_rtcp_iter_init(&it, bad, sizeof bad);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_remb_parse(&r, &pkt), PL_ENOENT);
  memcpy(bad, chrome_remb, sizeof bad);
  bad[16] = 3;
  pl_rtcp_iter_init(&it, bad, sizeof bad);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_remb_parse(&r, &pkt), PL_ETRUNC);
}

/* RFC 3550 §6.7 by hand: V=2 subtype 3, PT 204, length 3 (16 bytes), SSRC,
 * "PLCS", one data word. */
static const uint8_t app_pkt[] = {0x83, 0xcc, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44,
                                  'P',  'L',  'C',  'S',  0x05, 0x00, 0x02, 0xd0};

Test(rtcp_app, hand_assembled_app_parses_and_rebuilds_byte_exact) {
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_iter_init(&it, app_pkt, sizeof app_pkt);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  pl_rtcp_app a;
  cr_assert_eq(pl_rtcp_app_parse(&a, &pkt), 0);
  cr_assert_eq(a.subtype, 3);
  cr_assert_eq(a.ssrc, 0x11223344u);
  cr_assert_eq(memcmp(a.name, "PLCS", 4), 0);
  cr_assert_eq(a.len, 4);
  cr_assert_eq(a.data[0], 0x05);
  uint8_t out[64];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  cr_assert_eq(pl_rtcp_write_app(&w, a.subtype, a.ssrc, a.name, a.data, a.len), 0);
  cr_assert_eq(pl_rtcp_writer_finish(&w), (int)sizeof app_pkt);
  cr_assert_eq(memcmp(out, app_pkt, sizeof app_pkt), 0);
}

Test(rtcp_app, short_or_unaligned_app_and_bad_writes_are_errors) {
  pl_rtcp_packet pkt = {.pt = PL_RTCP_APP, .body = app_pkt + 4, .body_len = 7};
  pl_rtcp_app a;
  cr_assert_eq(pl_rtcp_app_parse(&a, &pkt), PL_ETRUNC);
  pkt.body_len = 10; /* data of 2 bytes: not a whole word (padding excluded) */
  cr_assert_eq(pl_rtcp_app_parse(&a, &pkt), PL_EPARSE);
  pkt.pt = PL_RTCP_BYE;
  cr_assert_eq(pl_rtcp_app_parse(&a, &pkt), PL_EINVAL);
  uint8_t out[64], d[3] = {0};
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  cr_assert_eq(pl_rtcp_write_app(&w, 0, 1, "ABCD", d, 3), PL_ERANGE);
  pl_rtcp_writer_init(&w, out, sizeof out, true);
  cr_assert_eq(pl_rtcp_write_app(&w, 32, 1, "ABCD", NULL, 0), PL_ERANGE);
}
