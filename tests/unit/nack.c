/* Loss recovery cores: send history (retention, throttling, expiry), RTX
 * wrapping per RFC 4588 (hand-assembled bytes, byte-exact unwrap), the NACK
 * generator's schedule (reorder allowance, RTT-paced retries, give-up
 * rules, wrap, overflow) and the keyframe requester's rate limits and FIR
 * numbering, with the RTCP they turn into. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/bytes.h"
#include "net/nack/history.h"
#include "net/nack/nack.h"
#include "net/rtcp/rtcp.h"
#include "net/rtp/rtp.h"
#include "parley.h"

static size_t rtp(uint8_t *out, uint16_t seq, size_t payload, uint8_t pad) {
  uint8_t pl[1200];
  for (size_t i = 0; i < payload; i++)
    pl[i] = (uint8_t)(seq + i);
  pl_rtp_header h = {.pt = 96, .seq = seq, .ts = 90000u + seq, .ssrc = 0x11223344,
                     .marker = seq & 1, .payload = pl, .payload_len = payload,
                     .padding_len = pad};
  int n = pl_rtp_write(&h, NULL, out, 1500);
  cr_assert_gt(n, 0);
  return (size_t)n;
}

Test(send_history, keeps_packets_for_max_age_and_throttles_resends) {
  pl_send_history_config c = {.packets = 64, .max_age = PL_MS(1000)};
  pl_send_history *h;
  cr_assert_eq(pl_send_history_new(&h, &c), 0);
  uint8_t pkt[1500];
  for (uint16_t s = 0; s < 10; s++) {
    size_t n = rtp(pkt, s, 100 + s, 0);
    cr_assert_eq(pl_send_history_put(h, PL_MS(10) * s, pkt, n), 0);
  }
  const uint8_t *p;
  size_t len;
  cr_assert_eq(pl_send_history_get(h, PL_MS(200), 5, PL_MS(100), &p, &len), 0);
  uint8_t want[1500];
  size_t wn = rtp(want, 5, 105, 0);
  cr_assert_eq(len, wn);
  cr_assert_arr_eq(p, want, wn);
  /* Again within the RTT: the first copy may still be in flight. */
  cr_assert_eq(pl_send_history_get(h, PL_MS(299), 5, PL_MS(100), &p, &len), PL_EAGAIN);
  cr_assert_eq(pl_send_history_get(h, PL_MS(300), 5, PL_MS(100), &p, &len), 0);
  /* Sent at 90 ms: gone after 1090 ms. */
  cr_assert_eq(pl_send_history_get(h, PL_MS(1090), 9, 0, &p, &len), 0);
  cr_assert_eq(pl_send_history_get(h, PL_MS(1091), 9, 0, &p, &len), PL_ETIMEDOUT);
  cr_assert_eq(pl_send_history_get(h, PL_MS(200), 10, 0, &p, &len), PL_ENOENT);
  /* The ring holds 64: seq 64 overwrites seq 0. */
  size_t n = rtp(pkt, 64, 10, 0);
  pl_send_history_put(h, PL_MS(500), pkt, n);
  cr_assert_eq(pl_send_history_get(h, PL_MS(500), 0, 0, &p, &len), PL_ENOENT);
  cr_assert_eq(pl_send_history_put(h, 0, pkt, 11), PL_ETRUNC);
  uint8_t big[1600] = {0x80};
  cr_assert_eq(pl_send_history_put(h, 0, big, sizeof big), PL_ERANGE);
  pl_send_history_stats st;
  pl_send_history_get_stats(h, &st);
  cr_assert_eq(st.stored, 11);
  cr_assert_eq(st.resent, 3);
  cr_assert_eq(st.throttled, 1);
  cr_assert_eq(st.expired, 1);
  cr_assert_eq(st.missing, 2);
  pl_send_history_free(h);
}

Test(rtx, wrap_known_answer_and_byte_exact_unwrap) {
  /* Original: V=2 X=1, M=1 PT 96, seq 0x1234, ts 0x01020304, SSRC
   * 0xaabbccdd, one-byte extension id 3 len 1 (0x7f), payload "VP8!",
   * 4 bytes of padding. */
  const uint8_t orig[] = {0xb0, 0xe0, 0x12, 0x34, 0x01, 0x02, 0x03, 0x04,
                          0xaa, 0xbb, 0xcc, 0xdd, 0xbe, 0xde, 0x00, 0x01,
                          0x30, 0x7f, 0x00, 0x00, 'V',  'P',  '8',  '!',
                          0x00, 0x00, 0x00, 0x04};
  /* RTX (§4): PT 97, SSRC 0x01020304, seq 0x0100, same timestamp, marker
   * and extension; payload = OSN 0x1234 then the original payload; no
   * padding. */
  const uint8_t want[] = {0x90, 0xe1, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04,
                          0x01, 0x02, 0x03, 0x04, 0xbe, 0xde, 0x00, 0x01,
                          0x30, 0x7f, 0x00, 0x00, 0x12, 0x34, 'V',  'P',
                          '8',  '!'};
  pl_rtx_sender rs;
  pl_rtx_sender_init(&rs, 0x01020304, 97, 0x0100);
  uint8_t out[64];
  int n = pl_rtx_wrap(&rs, orig, sizeof orig, out, sizeof out);
  cr_assert_eq(n, (int)sizeof want);
  cr_assert_arr_eq(out, want, sizeof want);
  cr_assert_eq(rs.seq, 0x0101);
  uint8_t back[64];
  uint16_t osn;
  n = pl_rtx_unwrap(out, (size_t)n, 0xaabbccdd, 96, back, sizeof back, &osn);
  cr_assert_eq(osn, 0x1234);
  /* The original without its padding (P bit clear, 4 bytes shorter). */
  cr_assert_eq(n, (int)sizeof orig - 4);
  cr_assert_eq(back[0], 0x90);
  cr_assert_arr_eq(back + 1, orig + 1, sizeof orig - 5);
  cr_assert_eq(pl_rtx_wrap(&rs, orig, sizeof orig, out, 25), PL_EFULL);
  cr_assert_eq(pl_rtx_wrap(&rs, orig, 5, out, sizeof out), PL_ETRUNC);
}

Test(rtx, padding_only_rtx_has_no_original) {
  uint8_t pkt[1500];
  size_t n = rtp(pkt, 7, 1, 0); /* one payload byte: no room for an OSN */
  uint8_t out[64];
  cr_assert_eq(pl_rtx_unwrap(pkt, n, 1, 96, out, sizeof out, NULL), PL_ENOENT);
  n = rtp(pkt, 7, 0, 200);
  cr_assert_eq(pl_rtx_unwrap(pkt, n, 1, 96, out, sizeof out, NULL), PL_ENOENT);
}

static pl_nack_generator *gen(void) {
  pl_nack_config c = {.reorder_wait = PL_MS(10), .max_retries = 3,
                      .max_age = PL_MS(1000), .initial_rtt = PL_MS(100)};
  pl_nack_generator *g;
  cr_assert_eq(pl_nack_generator_new(&g, &c), 0);
  return g;
}

Test(nack_generator, holes_nacked_after_reorder_wait_then_every_rtt) {
  pl_nack_generator *g = gen();
  uint16_t s[16];
  pl_nack_on_packet(g, 0, 100);
  pl_nack_on_packet(g, PL_MS(1), 101);
  cr_assert_eq(pl_nack_deadline(g), PL_TIME_NEVER);
  pl_nack_on_packet(g, PL_MS(2), 105); /* 102-104 missing */
  cr_assert_eq(pl_nack_deadline(g), PL_MS(12));
  cr_assert_eq(pl_nack_poll(g, PL_MS(11), s, 16), 0);
  cr_assert_eq(pl_nack_poll(g, PL_MS(12), s, 16), 3);
  cr_assert_eq(s[0], 102);
  cr_assert_eq(s[2], 104);
  cr_assert_eq(pl_nack_deadline(g), PL_MS(112));
  pl_nack_set_rtt(g, PL_MS(50));
  cr_assert_eq(pl_nack_deadline(g), PL_MS(62));
  pl_nack_on_packet(g, PL_MS(40), 103); /* recovered */
  cr_assert_eq(pl_nack_poll(g, PL_MS(62), s, 16), 2);
  cr_assert_eq(s[0], 102);
  cr_assert_eq(s[1], 104);
  cr_assert_eq(pl_nack_poll(g, PL_MS(112), s, 1), 1, "cap respected");
  cr_assert_eq(pl_nack_poll(g, PL_MS(112), s, 16), 1, "the rest stays due");
  cr_assert_eq(s[0], 104);
  /* Three tries each: given up one RTT after the last. */
  cr_assert_not(pl_nack_take_loss(g));
  cr_assert_eq(pl_nack_poll(g, PL_MS(161), s, 16), 0);
  cr_assert_eq(pl_nack_poll(g, PL_MS(162), s, 16), 0);
  pl_nack_stats st;
  pl_nack_get_stats(g, &st);
  cr_assert_eq(st.gave_up, 2);
  cr_assert_eq(st.pending, 0);
  cr_assert_eq(st.nacked, 3 + 2 + 2);
  cr_assert_eq(st.recovered, 1);
  cr_assert_eq(st.missing, 3);
  cr_assert(pl_nack_take_loss(g));
  cr_assert_not(pl_nack_take_loss(g), "reported once");
  pl_nack_generator_free(g);
}

Test(nack_generator, reordered_packet_is_never_nacked) {
  pl_nack_generator *g = gen();
  uint16_t s[4];
  pl_nack_on_packet(g, 0, 10);
  pl_nack_on_packet(g, PL_MS(1), 12);
  pl_nack_on_packet(g, PL_MS(5), 11);
  cr_assert_eq(pl_nack_poll(g, PL_MS(50), s, 4), 0);
  pl_nack_stats st;
  pl_nack_get_stats(g, &st);
  cr_assert_eq(st.reordered, 1);
  cr_assert_eq(st.nacked, 0);
  pl_nack_generator_free(g);
}

Test(nack_generator, sequence_wrap_and_keyframe_clear) {
  pl_nack_generator *g = gen();
  uint16_t s[8];
  pl_nack_on_packet(g, 0, 65533);
  pl_nack_on_packet(g, 0, 1); /* 65534, 65535, 0 missing */
  cr_assert_eq(pl_nack_poll(g, PL_MS(10), s, 8), 3);
  cr_assert_eq(s[0], 65534);
  cr_assert_eq(s[1], 65535);
  cr_assert_eq(s[2], 0);
  pl_nack_on_packet(g, PL_MS(20), 10); /* 2-9 missing */
  pl_nack_on_keyframe(g, 5);           /* only 5.. matter now */
  pl_nack_stats st;
  pl_nack_get_stats(g, &st);
  cr_assert_eq(st.pending, 5); /* 5, 6, 7, 8, 9 */
  pl_nack_generator_free(g);
}

Test(nack_generator, too_old_or_too_big_gives_up_and_reports_loss) {
  pl_nack_generator *g = gen();
  uint16_t s[8];
  pl_nack_on_packet(g, 0, 0);
  pl_nack_on_packet(g, 0, 2);
  pl_nack_set_rtt(g, PL_SEC(2)); /* retries would be far apart */
  cr_assert_eq(pl_nack_poll(g, PL_MS(10), s, 8), 1);
  cr_assert_eq(pl_nack_deadline(g), PL_MS(1000) + 1, "max age, then give up");
  cr_assert_eq(pl_nack_poll(g, PL_MS(1001), s, 8), 0);
  cr_assert(pl_nack_take_loss(g));
  /* A hole bigger than the list (500) cannot be repaired by NACK. */
  pl_nack_on_packet(g, PL_MS(1100), 1000);
  pl_nack_stats st;
  pl_nack_get_stats(g, &st);
  cr_assert_eq(st.overflows, 1);
  cr_assert_eq(st.pending, 0);
  cr_assert(pl_nack_take_loss(g));
  pl_nack_generator_free(g);
}

Test(nack_generator, list_of_seqs_becomes_a_parsable_rtcp_nack) {
  pl_nack_generator *g = gen();
  uint16_t s[64];
  pl_nack_on_packet(g, 0, 65530);
  pl_nack_on_packet(g, 0, 65535); /* 65531-65534 */
  pl_nack_on_packet(g, 0, 40);    /* 0-39 */
  size_t n = pl_nack_poll(g, PL_MS(10), s, 64);
  cr_assert_eq(n, 44);
  uint8_t buf[256];
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, buf, sizeof buf, true);
  cr_assert_eq(pl_rtcp_write_nack(&w, 1, 2, s, n), 0);
  int len = pl_rtcp_writer_finish(&w);
  cr_assert_gt(len, 0);
  pl_rtcp_iter it;
  pl_rtcp_iter_init(&it, buf, (size_t)len);
  pl_rtcp_packet p;
  cr_assert_eq(pl_rtcp_iter_next(&it, &p), 1);
  pl_rtcp_nack nk;
  cr_assert_eq(pl_rtcp_nack_parse(&nk, &p), 0);
  uint16_t back[64];
  cr_assert_eq(pl_rtcp_nack_seqs(&nk, back, 64), n);
  cr_assert_arr_eq(back, s, n * sizeof *s);
  /* 44 numbers over the wrap need 3 PID/BLP pairs. */
  cr_assert_eq(nk.count, 3);
  pl_nack_generator_free(g);
}

Test(keyframe_requester, rate_limited_repeats_and_fir_numbering) {
  pl_keyframe_requester k;
  pl_keyframe_requester_init(&k, PL_KEYFRAME_FIR, 0);
  pl_keyframe_method m;
  uint8_t seq;
  cr_assert_eq(pl_keyframe_deadline(&k), PL_TIME_NEVER);
  cr_assert_not(pl_keyframe_poll(&k, 0, &m, &seq));
  pl_keyframe_request(&k);
  pl_keyframe_request(&k); /* still the same request */
  cr_assert(pl_keyframe_poll(&k, PL_MS(5), &m, &seq));
  cr_assert_eq(m, PL_KEYFRAME_FIR);
  cr_assert_eq(seq, 1);
  cr_assert_eq(pl_keyframe_deadline(&k), PL_MS(305));
  cr_assert_not(pl_keyframe_poll(&k, PL_MS(304), &m, &seq));
  cr_assert(pl_keyframe_poll(&k, PL_MS(305), &m, &seq));
  cr_assert_eq(seq, 1, "a repeat keeps its number (RFC 5104 4.3.1.2)");
  pl_keyframe_received(&k);
  cr_assert_not(pl_keyframe_poll(&k, PL_SEC(5), &m, &seq));
  /* A new request right after a sent one still waits out the interval,
   * which grows with the RTT. */
  pl_keyframe_set_rtt(&k, PL_MS(500));
  pl_keyframe_request(&k);
  cr_assert_not(pl_keyframe_poll(&k, PL_MS(700), &m, &seq));
  cr_assert(pl_keyframe_poll(&k, PL_MS(805), &m, &seq));
  cr_assert_eq(seq, 2);
  cr_assert_eq(k.requests, 2);
  cr_assert_eq(k.sent, 3);
  pl_fir_filter ff = {0};
  cr_assert(pl_fir_filter_is_new(&ff, 1));
  cr_assert_not(pl_fir_filter_is_new(&ff, 1));
  cr_assert(pl_fir_filter_is_new(&ff, 2));
}
