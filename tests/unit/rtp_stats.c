/* Receive statistics (RFC 3550 A.1, A.3, A.8), report blocks with LSR/DLSR,
 * sender counts, and RTT from a report block (RFC 3550 §6.4.1, Figure 2). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/rtp/rtp_stats.h"
#include "parley.h"

#define SSRC 0x5EED5EEDu

static int feed(pl_rtp_recv_stats *s, uint16_t seq, uint32_t ts,
                pl_time_us at) {
  pl_rtp_header h = {.version = 2, .pt = 111, .seq = seq, .ts = ts,
                     .ssrc = SSRC, .header_len = 12, .payload_len = 100};
  return pl_rtp_recv_stats_update(s, &h, at);
}

Test(rtp_stats, probation_then_in_order_across_seq_wrap) {
  pl_rtp_recv_stats s;
  pl_rtcp_report_block rb;
  pl_rtp_recv_stats_init(&s, SSRC, 48000);
  cr_assert_eq(pl_rtp_recv_stats_report(&s, 0, &rb), PL_EAGAIN);
  for (int i = 0; i < 20; i++) {
    int r = feed(&s, (uint16_t)(65530 + i), (uint32_t)(i * 960),
                 PL_MS(20) * i);
    cr_assert_eq(r, i == 0 ? PL_RTP_SEQ_PROBATION : PL_RTP_SEQ_OK, "i=%d", i);
  }
  cr_assert_eq(s.cycles, 65536u);
  cr_assert_eq(pl_rtp_recv_stats_ext_max(&s), 65536u + 13);
  cr_assert_eq(s.base_seq, 65531u); /* validation started at packet 2 */
  cr_assert_eq(s.received, 19u);
  cr_assert_eq(s.packets, 20u);
  cr_assert_eq(s.payload_bytes, 2000u);
  cr_assert_eq(s.header_bytes, 240u);
  cr_assert_eq(pl_rtp_recv_stats_report(&s, 0, &rb), 0);
  cr_assert_eq(rb.ssrc, SSRC);
  cr_assert_eq(rb.ext_highest_seq, 0x1000Du);
  cr_assert_eq(rb.cumulative_lost, 0);
  cr_assert_eq(rb.fraction_lost, 0);
  cr_assert_eq(rb.jitter, 0u); /* constant transit */
  cr_assert_eq(rb.lsr, 0u);
  cr_assert_eq(rb.dlsr, 0u);
}

Test(rtp_stats, loss_fraction_per_interval_for_known_drop_patterns) {
  pl_rtp_recv_stats s;
  pl_rtcp_report_block rb;
  pl_rtp_recv_stats_init(&s, SSRC, 90000);
  /* Interval 1: seqs 1000..1999, every seq ending in 5 lost (100 of the
   * 999 counted from the validated packet 1001). */
  for (int q = 1000; q < 2000; q++)
    if (q < 1002 || q % 10 != 5)
      feed(&s, (uint16_t)q, (uint32_t)q * 3000, PL_MS(q));
  cr_assert_eq(pl_rtp_recv_stats_report(&s, 0, &rb), 0);
  cr_assert_eq(rb.cumulative_lost, 100);
  cr_assert_eq(rb.fraction_lost, (100 * 256) / 999); /* 25 */
  cr_assert_eq(rb.ext_highest_seq, 1999u);
  /* Interval 2: 2000..2499, every multiple of 4 lost: exactly 1/4. */
  for (int q = 2000; q < 2500; q++)
    if (q % 4 != 0)
      feed(&s, (uint16_t)q, (uint32_t)q * 3000, PL_MS(q));
  cr_assert_eq(pl_rtp_recv_stats_report(&s, 0, &rb), 0);
  cr_assert_eq(rb.fraction_lost, 64);
  cr_assert_eq(rb.cumulative_lost, 225);
  /* Interval 3: no loss but two duplicates: RFC 3550 counts them as
   * received, so cumulative loss drops by 2 and the fraction is 0. */
  for (int q = 2500; q < 2510; q++) {
    cr_assert_eq(feed(&s, (uint16_t)q, (uint32_t)q * 3000, PL_MS(q)),
                 PL_RTP_SEQ_OK);
    if (q == 2505 || q == 2506)
      cr_assert_eq(feed(&s, (uint16_t)q, (uint32_t)q * 3000, PL_MS(q)),
                   PL_RTP_SEQ_DUPLICATE);
  }
  cr_assert_eq(pl_rtp_recv_stats_report(&s, 0, &rb), 0);
  cr_assert_eq(rb.fraction_lost, 0);
  cr_assert_eq(rb.cumulative_lost, 223);
  cr_assert_eq(s.duplicates, 2u);
  /* Interval 4: nothing arrived at all. */
  cr_assert_eq(pl_rtp_recv_stats_report(&s, 0, &rb), 0);
  cr_assert_eq(rb.fraction_lost, 0);
}

Test(rtp_stats, late_packets_fill_losses_and_are_not_duplicates) {
  pl_rtp_recv_stats s;
  pl_rtcp_report_block rb;
  pl_rtp_recv_stats_init(&s, SSRC, 8000);
  const uint16_t order[] = {65533, 65534, 0, 1, 65535, 3, 2, 65535};
  const int want[] = {PL_RTP_SEQ_PROBATION, PL_RTP_SEQ_OK, PL_RTP_SEQ_OK,
                      PL_RTP_SEQ_OK,        PL_RTP_SEQ_OK, PL_RTP_SEQ_OK,
                      PL_RTP_SEQ_OK,        PL_RTP_SEQ_DUPLICATE};
  for (int i = 0; i < 8; i++)
    cr_assert_eq(feed(&s, order[i], 0, 0), want[i], "i=%d", i);
  cr_assert_eq(pl_rtp_recv_stats_report(&s, 0, &rb), 0);
  /* 65534..3 is 6 packets expected; 7 counted (one duplicate). */
  cr_assert_eq(rb.ext_highest_seq, 65536u + 3);
  cr_assert_eq(rb.cumulative_lost, -1);
  cr_assert_eq(rb.fraction_lost, 0);
}

Test(rtp_stats, sequence_jump_needs_confirmation_then_resyncs) {
  pl_rtp_recv_stats s;
  pl_rtcp_report_block rb;
  pl_rtp_recv_stats_init(&s, SSRC, 48000);
  cr_assert_eq(feed(&s, 100, 0, 0), PL_RTP_SEQ_PROBATION);
  cr_assert_eq(feed(&s, 102, 0, 0), PL_RTP_SEQ_PROBATION); /* not in order */
  cr_assert_eq(feed(&s, 103, 0, 0), PL_RTP_SEQ_OK);
  cr_assert_eq(feed(&s, 104, 0, 0), PL_RTP_SEQ_OK);
  cr_assert_eq(s.base_seq, 103u);
  cr_assert_eq(feed(&s, 20000, 0, 0), PL_RTP_SEQ_BAD);
  cr_assert_eq(feed(&s, 30000, 0, 0), PL_RTP_SEQ_BAD);
  cr_assert_eq(feed(&s, 30001, 0, 0), PL_RTP_SEQ_RESYNC);
  cr_assert_eq(feed(&s, 30002, 0, 0), PL_RTP_SEQ_OK);
  cr_assert_eq(s.base_seq, 30001u);
  cr_assert_eq(s.received, 2u);
  cr_assert_eq(s.packets, 8u);
  cr_assert_eq(pl_rtp_recv_stats_report(&s, 0, &rb), 0);
  cr_assert_eq(rb.cumulative_lost, 0);
  cr_assert_eq(rb.ext_highest_seq, 30002u);
  pl_rtp_header other = {.ssrc = 1};
  cr_assert_eq(pl_rtp_recv_stats_update(&s, &other, 0), PL_EINVAL);
}

Test(rtp_stats, jitter_converges_for_constant_jitter_arrivals) {
  /* 20 ms Opus packets at 48 kHz; every odd packet arrives 5 ms late, so
   * |D| is 240 timestamp units for every pair. A.8 gives, after k pairs,
   * J_k = 240 * (1 - (15/16)^k). The first packet only sets the transit. */
  pl_rtp_recv_stats s;
  pl_rtcp_report_block rb;
  pl_rtp_recv_stats_init(&s, SSRC, 48000);
  for (int i = 0; i < 200; i++) {
    pl_time_us at = PL_MS(20) * i + (i % 2 ? PL_MS(5) : 0) + PL_SEC(3600);
    feed(&s, (uint16_t)(40000 + i), 0xFFFFF000u + (uint32_t)(960 * i), at);
    double want = 240.0 * (1.0 - pow(15.0 / 16.0, i));
    cr_assert_float_eq(s.jitter, want, 1e-9, "i=%d: %f vs %f", i, s.jitter,
                       want);
  }
  cr_assert_eq(pl_rtp_recv_stats_report(&s, 0, &rb), 0);
  cr_assert_eq(rb.jitter, 240u);
}

Test(rtp_stats, lsr_and_dlsr_from_last_sender_report) {
  pl_rtp_recv_stats s;
  pl_rtcp_report_block rb;
  pl_rtp_recv_stats_init(&s, SSRC, 48000);
  feed(&s, 1, 0, 0);
  feed(&s, 2, 960, PL_MS(20));
  pl_rtp_recv_stats_on_sr(&s, 0x0000123456789ABCull, PL_SEC(1));
  cr_assert_eq(pl_rtp_recv_stats_report(&s, PL_MS(2500), &rb), 0);
  cr_assert_eq(rb.lsr, 0x12345678u); /* middle 32 bits */
  cr_assert_eq(rb.dlsr, 98304u);     /* 1.5 s in 1/65536 s */
}

Test(rtcp_rtt, rfc3550_figure_2_example) {
  /* A = 0xb710:8000 (46864.500 s), LSR = 0xb705:2000 (46853.125 s),
   * DLSR = 0x0005:4000 (5.250 s): RTT = 6.125 s. */
  pl_rtcp_report_block rb = {.lsr = 0xB7052000, .dlsr = 0x00054000};
  pl_time_us rtt;
  cr_assert_eq(pl_rtcp_rtt_us(&rb, 0xB7108000, &rtt), 0);
  cr_assert_eq(rtt, 6125000);
  /* Across the 18-hour wrap of compact NTP. */
  rb = (pl_rtcp_report_block){.lsr = 0xFFFFF000, .dlsr = 0x1000};
  cr_assert_eq(pl_rtcp_rtt_us(&rb, 0x00001000, &rtt), 0);
  cr_assert_eq(rtt, 62500);
  rb.lsr = 0;
  cr_assert_eq(pl_rtcp_rtt_us(&rb, 0x00001000, &rtt), PL_ENOENT);
  rb = (pl_rtcp_report_block){.lsr = 0x10000, .dlsr = 0x20000};
  cr_assert_eq(pl_rtcp_rtt_us(&rb, 0x20000, &rtt), PL_ERANGE);
}

Test(rtcp_rtt, sr_rr_exchange_through_the_writers) {
  /* A sends an SR at unix time T; B gets it 40 ms later, holds it 250 ms,
   * and answers with an RR that takes 40 ms back. RTT must be 80 ms, to
   * within the 1/65536 s resolution of the three compact values. */
  const int64_t t0 = 1700000000ll * 1000000 + 123456;
  pl_rtp_send_stats tx;
  pl_rtp_send_stats_init(&tx);
  for (int i = 0; i < 3; i++)
    pl_rtp_send_stats_on_packet(&tx, 160);
  pl_rtcp_sr sr = {.report_count = 0};
  pl_rtp_send_stats_fill_sr(&tx, &sr, SSRC, pl_ntp_from_unix_us(t0), 48000);
  cr_assert_eq(sr.packet_count, 3u);
  cr_assert_eq(sr.octet_count, 480u);
  uint8_t wire[128];
  pl_rtcp_writer w;
  pl_rtcp_sdes_chunk cname = {.ssrc = SSRC, .cname = (const uint8_t *)"a",
                              .cname_len = 1};
  pl_rtcp_writer_init(&w, wire, sizeof wire, false);
  pl_rtcp_write_sr(&w, &sr);
  pl_rtcp_write_sdes(&w, &cname, 1);
  int n = pl_rtcp_writer_finish(&w);
  cr_assert_gt(n, 0);

  /* B: a monotonic clock unrelated to unix time. */
  pl_rtp_recv_stats rx;
  pl_rtp_recv_stats_init(&rx, SSRC, 48000);
  feed(&rx, 7, 0, PL_SEC(5));
  feed(&rx, 8, 960, PL_SEC(5) + PL_MS(20));
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_sr got;
  pl_rtcp_iter_init(&it, wire, (size_t)n);
  cr_assert_eq(pl_rtcp_iter_next(&it, &pkt), 1);
  cr_assert_eq(pl_rtcp_sr_parse(&got, &pkt), 0);
  pl_time_us b_now = PL_SEC(10);
  pl_rtp_recv_stats_on_sr(&rx, got.ntp, b_now);
  pl_rtcp_rr rr = {.ssrc = 99, .report_count = 1};
  cr_assert_eq(pl_rtp_recv_stats_report(&rx, b_now + PL_MS(250),
                                        &rr.reports[0]),
               0);

  uint64_t a_ntp = pl_ntp_from_unix_us(t0 + PL_MS(40 + 250 + 40));
  pl_time_us rtt;
  cr_assert_eq(pl_rtcp_rtt_us(&rr.reports[0], pl_ntp_compact(a_ntp), &rtt),
               0);
  cr_assert_leq(llabs(rtt - PL_MS(80)), 46, "rtt %lld", (long long)rtt);
}
