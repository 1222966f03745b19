/* The transport half of congestion control: the receiver's TWCC recorder
 * and feedback writer, the sender's history that matches feedback to what
 * it sent (and refuses what it never sent), and the pacer's rate, bursts
 * and priorities. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net/cc/cc.h"
#include "net/cc/pacer.h"
#include "net/cc/twcc_recv.h"
#include "net/rtcp/rtcp.h"
#include "parley.h"

/* Parses one TWCC message written by the recorder. */
static int parse_fb(const uint8_t *buf, int len, pl_twcc_status *st, size_t cap) {
  pl_rtcp_iter it;
  pl_rtcp_iter_init(&it, buf, (size_t)len);
  pl_rtcp_packet pkt;
  while (pl_rtcp_iter_next(&it, &pkt) == 1) {
    if (pkt.pt == PL_RTCP_RTPFB && pkt.count == PL_RTCP_RTPFB_TWCC) {
      pl_rtcp_twcc t;
      return pl_rtcp_twcc_parse(&t, &pkt, st, cap);
    }
  }
  return -1000;
}

static int write_fb(pl_twcc_recv *r, pl_time_us now, uint8_t *buf, size_t cap) {
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, buf, cap, true);
  int rc = pl_twcc_recv_write(r, now, false, &w, 1, 2);
  if (rc <= 0)
    return rc;
  return pl_rtcp_writer_finish(&w);
}

Test(twcc_recv, feedback_reports_arrivals_and_losses_at_250_us_resolution) {
  static pl_twcc_recv r;
  pl_twcc_recv_init(&r);
  pl_time_us t0 = PL_SEC(10);
  /* 20 packets 5 ms apart, numbers 65530.. (wrapping), 3 and 7 lost. */
  for (int i = 0; i < 20; i++)
    if (i != 3 && i != 7)
      pl_twcc_recv_packet(&r, t0 + i * PL_MS(5) + 123, (uint16_t)(65530 + i), 1000);
  cr_assert_eq(pl_twcc_recv_deadline(&r), t0 + 123 + PL_MS(100));
  uint8_t buf[1500];
  cr_assert_eq(write_fb(&r, t0 + PL_MS(50), buf, sizeof buf), 0, "not due yet");
  int n = write_fb(&r, t0 + PL_MS(101), buf, sizeof buf);
  cr_assert_gt(n, 0);
  pl_twcc_status st[64];
  cr_assert_eq(parse_fb(buf, n, st, 64), 20);
  for (int i = 0; i < 20; i++) {
    cr_assert_eq(st[i].seq, (uint16_t)(65530 + i));
    cr_assert_eq(st[i].received, i != 3 && i != 7, "packet %d", i);
    if (st[i].received && i > 0 && st[i - 1].received)
      cr_assert_eq(st[i].recv_us - st[i - 1].recv_us, PL_MS(5), "i=%d", i);
  }
  /* Nothing new: nothing written; then the next one starts where this ended. */
  cr_assert_eq(pl_twcc_recv_deadline(&r), PL_TIME_NEVER);
  pl_twcc_recv_packet(&r, t0 + PL_MS(200), (uint16_t)(65530 + 20), 1000);
  n = write_fb(&r, t0 + PL_MS(400), buf, sizeof buf);
  cr_assert_eq(parse_fb(buf, n, st, 64), 1);
  cr_assert_eq(st[0].seq, (uint16_t)(65530 + 20));
  cr_assert_eq(r.stats.feedbacks, 2);
}

Test(twcc_recv, late_duplicate_and_absurd_numbers_are_counted_not_reported) {
  static pl_twcc_recv r;
  pl_twcc_recv_init(&r);
  pl_twcc_recv_packet(&r, PL_MS(1), 100, 500);
  pl_twcc_recv_packet(&r, PL_MS(2), 101, 500);
  pl_twcc_recv_packet(&r, PL_MS(3), 101, 500);
  cr_assert_eq(r.stats.duplicates, 1);
  uint8_t buf[1500];
  cr_assert_gt(write_fb(&r, PL_MS(200), buf, sizeof buf), 0);
  pl_twcc_recv_packet(&r, PL_MS(201), 99, 500);
  cr_assert_eq(r.stats.too_old, 1, "already reported: too late");
  /* A jump of 30000: the window moves, memory stays bounded. */
  pl_twcc_recv_packet(&r, PL_MS(202), 30101, 500);
  pl_twcc_recv_packet(&r, PL_MS(203), 30102, 500);
  pl_twcc_status st[PL_TWCC_RECV_MAX_STATUS];
  int n = write_fb(&r, PL_MS(400), buf, sizeof buf);
  cr_assert_gt(n, 0);
  int k = parse_fb(buf, n, st, PL_TWCC_RECV_MAX_STATUS);
  cr_assert_eq(k, 2, "the message starts at the first received packet");
  cr_assert_eq(st[0].seq, 30101);
}

Test(twcc_recv, more_than_a_message_of_leading_losses_makes_progress) {
  /* 600 numbers lost in a row (an outage at a high rate), then arrivals:
   * the first 512 statuses are all losses, which no message can carry.
   * Before the fix the writer returned 0 without moving base or the
   * deadline, and the simulated driver spun on the same instant for ever. */
  static pl_twcc_recv r;
  pl_twcc_recv_init(&r);
  pl_twcc_recv_packet(&r, PL_MS(1), 0, 1000);
  uint8_t buf[1500];
  cr_assert_gt(write_fb(&r, PL_MS(200), buf, sizeof buf), 0);
  for (int i = 601; i < 611; i++)
    pl_twcc_recv_packet(&r, PL_MS(300) + i, (uint16_t)i, 1000);
  pl_time_us due = pl_twcc_recv_deadline(&r);
  cr_assert_eq(write_fb(&r, due, buf, sizeof buf), 0);
  cr_assert_gt(pl_twcc_recv_deadline(&r), due, "the deadline moved on");
  cr_assert_eq(r.stats.skipped, PL_TWCC_RECV_MAX_STATUS);
  int n = write_fb(&r, pl_twcc_recv_deadline(&r), buf, sizeof buf);
  cr_assert_gt(n, 0);
  pl_twcc_status st[PL_TWCC_RECV_MAX_STATUS];
  cr_assert_eq(parse_fb(buf, n, st, PL_TWCC_RECV_MAX_STATUS), 610 - 513 + 1);
  cr_assert_eq(st[0].seq, 513);
  cr_assert(st[88].received && st[88].seq == 601);
}

Test(twcc_recv, interval_is_100_ms_up_to_300_kbit_and_shrinks_to_50_ms) {
  cr_assert_eq(pl_twcc_recv_interval(64000), PL_MS(100));
  cr_assert_eq(pl_twcc_recv_interval(300000), PL_MS(100));
  cr_assert_eq(pl_twcc_recv_interval(450000), PL_MS(66) + 666);
  cr_assert_eq(pl_twcc_recv_interval(2000000), PL_MS(50));
}

static pl_twcc_status S(uint16_t seq, bool rx, int64_t us) {
  pl_twcc_status s = {.seq = seq, .received = rx, .recv_us = us};
  return s;
}

Test(cc_history, feedback_matches_sent_packets_across_the_16_bit_wrap) {
  pl_cc_history *h = pl_cc_history_new();
  cr_assert_not_null(h);
  uint16_t first = 0;
  for (int i = 0; i < 70000; i++) {
    uint16_t s = pl_cc_history_sent(h, PL_MS(i), 1000 + (uint32_t)(i % 7), i % 50 == 0 ? 3 : -1,
                                    i % 3 == 0);
    if (i == 69990)
      first = s;
    cr_assert_eq(s, (uint16_t)i);
  }
  pl_twcc_status st[10];
  for (int i = 0; i < 10; i++)
    st[i] = S((uint16_t)(first + i), i != 4, 5000000 + i * 1000);
  pl_cc_feedback fb;
  cr_assert_eq(pl_cc_history_feedback(h, PL_MS(70100), st, 10, &fb), 10);
  cr_assert_eq(fb.n, 10);
  for (int i = 0; i < 10; i++) {
    const pl_cc_packet *p = &fb.packets[i];
    cr_assert_eq(p->seq, 69990 + i, "unwrapped to the send, not to 4454");
    cr_assert_eq(p->send_time, PL_MS(69990 + i));
    cr_assert_eq(p->size, 1000u + (uint32_t)((69990 + i) % 7));
    cr_assert_eq(p->audio, (69990 + i) % 3 == 0);
    cr_assert_eq(p->recv_time, i == 4 ? PL_TIME_NEVER : 5000000 + i * 1000);
  }
  cr_assert_eq(fb.packets[0].probe_cluster, -1);
  cr_assert_eq(fb.packets[0].probe_cluster, (69990 % 50 == 0) ? 3 : -1);
  pl_cc_history_stats hs = pl_cc_history_get_stats(h);
  cr_assert_eq(hs.lost, 1);
  cr_assert_eq(hs.reported, 10);
  pl_cc_history_free(h);
}

Test(cc_history, never_sent_forgotten_duplicate_and_absurd_feedback_is_refused_and_counted) {
  pl_cc_history *h = pl_cc_history_new();
  pl_cc_feedback fb;
  pl_twcc_status one = S(0, true, 1000);
  cr_assert_eq(pl_cc_history_feedback(h, 1, &one, 1, &fb), 0, "nothing sent yet");
  for (int i = 0; i < 100; i++)
    pl_cc_history_sent(h, PL_MS(i), 1200, -1, false);
  cr_assert_eq(fb.data_in_flight, 0);
  pl_twcc_status st[4] = {S(98, true, 1000), S(99, true, 2000), S(100, true, 3000), S(5000, true, 4000)};
  cr_assert_eq(pl_cc_history_feedback(h, PL_MS(200), st, 4, &fb), 2, "100 and 5000 never sent");
  /* 0..97 were never reported: a feedback covers a contiguous range, so
   * theirs was lost and they are not in flight any more (else the
   * congestion window would fill with them for ever). */
  cr_assert_eq(fb.data_in_flight, 0);
  pl_cc_history_sent(h, PL_MS(150), 1200, -1, false); /* 100 */
  pl_cc_history_sent(h, PL_MS(151), 1200, -1, false); /* 101 */
  cr_assert_eq(pl_cc_history_in_flight(h), 2400u, "sent after the last report: in flight");
  cr_assert_eq(pl_cc_history_feedback(h, PL_MS(201), st, 2, &fb), 0, "reported twice");
  pl_cc_history_stats hs = pl_cc_history_get_stats(h);
  cr_assert_eq(hs.unknown, 2 + 1);
  cr_assert_eq(hs.duplicate, 2);
  /* Receive times 40 s apart in one message: no real feedback looks so. */
  pl_twcc_status bad[2] = {S(10, true, 0), S(11, true, PL_SEC(40))};
  cr_assert_eq(pl_cc_history_feedback(h, PL_MS(300), bad, 2, &fb), 0);
  cr_assert_eq(pl_cc_history_get_stats(h).bad_feedback, 1);
  /* A packet reported lost, then received after all, counts as received. */
  pl_twcc_status lost = S(20, false, 0), late = S(20, true, 9000);
  cr_assert_eq(pl_cc_history_feedback(h, PL_MS(301), &lost, 1, &fb), 1);
  cr_assert_eq(pl_cc_history_get_stats(h).lost, 1);
  cr_assert_eq(pl_cc_history_feedback(h, PL_MS(302), &late, 1, &fb), 1);
  cr_assert_eq(fb.packets[0].recv_time, 9000);
  cr_assert_eq(pl_cc_history_get_stats(h).lost, 0);
  /* Beyond the history window: forgotten. */
  for (int i = 0; i < PL_CC_HISTORY; i++)
    pl_cc_history_sent(h, PL_MS(1000 + i), 1200, -1, false);
  pl_twcc_status old = S(30, true, 1);
  cr_assert_eq(pl_cc_history_feedback(h, PL_SEC(20), &old, 1, &fb), 0);
  pl_cc_history_free(h);
}

/* Receiver recorder -> feedback bytes -> parser -> sender history: the
 * loop a real call closes. */
Test(cc_history, a_twcc_round_trip_gives_the_sender_each_packets_arrival) {
  pl_cc_history *h = pl_cc_history_new();
  static pl_twcc_recv r;
  pl_twcc_recv_init(&r);
  pl_time_us offset = PL_SEC(3600); /* the receiver's clock is elsewhere */
  for (int i = 0; i < 50; i++) {
    pl_time_us sent = PL_SEC(1) + i * PL_MS(2);
    uint16_t s = pl_cc_history_sent(h, sent, 1100, -1, false);
    if (i % 10 != 9)
      pl_twcc_recv_packet(&r, offset + sent + PL_MS(30) + (i % 4) * PL_MS(1), s, 1100);
  }
  uint8_t buf[1500];
  int n = write_fb(&r, offset + PL_SEC(2), buf, sizeof buf);
  pl_twcc_status st[64];
  int k = parse_fb(buf, n, st, 64);
  cr_assert_eq(k, 49, "the last packet (lost) is not reported yet");
  pl_cc_feedback fb;
  cr_assert_eq(pl_cc_history_feedback(h, PL_SEC(2), st, (size_t)k, &fb), 49);
  for (size_t i = 1; i < fb.n; i++) {
    const pl_cc_packet *a = &fb.packets[i - 1], *b = &fb.packets[i];
    if (a->recv_time == PL_TIME_NEVER || b->recv_time == PL_TIME_NEVER)
      continue;
    pl_time_us d_recv = b->recv_time - a->recv_time, d_send = b->send_time - a->send_time;
    pl_time_us want = d_send + ((int)(i % 4) - (int)((i - 1) % 4)) * PL_MS(1);
    cr_assert(llabs(d_recv - want) <= 250, "i=%zu: %lld vs %lld", i, (long long)d_recv,
              (long long)want);
  }
  pl_cc_history_free(h);
}

/* ---- pacer --------------------------------------------------------------- */

static int tag[4096];

Test(pacer, drains_at_the_pacing_rate_in_bursts_of_5_ms) {
  static pl_pacer p;
  pl_pacer_init(&p, 1000000); /* 1 Mbit/s = 125 bytes/ms */
  pl_time_us t = PL_SEC(1);
  for (int i = 0; i < 200; i++) /* a 240 kB keyframe at once */
    cr_assert_eq(pl_pacer_push(&p, t, &tag[i], 1200, PL_PACE_VIDEO), 0);
  uint64_t bytes = 0;
  int max_burst = 0;
  pl_time_us last_pop = t;
  while (p.n) {
    pl_time_us d = pl_pacer_deadline(&p);
    cr_assert_geq(d, t);
    t = d > t ? d : t;
    int burst = 0;
    uint32_t size;
    int probe;
    void *pkt;
    while ((pkt = pl_pacer_pop(&p, t, &size, &probe))) {
      bytes += size;
      burst++;
      last_pop = t;
      cr_assert_eq(probe, -1);
    }
    max_burst = burst > max_burst ? burst : max_burst;
    if (!p.n)
      break;
  }
  double secs = (double)(last_pop - PL_SEC(1)) / 1e6;
  double rate = (double)(bytes - 1200) * 8 / secs; /* the first leaves at once */
  cr_assert(rate > 0.95e6 && rate < 1.05e6, "%.0f bit/s", rate);
  /* 5 ms at 1 Mbit/s is 625 bytes: at most one packet over the line. */
  cr_assert_leq(max_burst, 2, "%d packets in one burst", max_burst);
}

Test(pacer, audio_is_never_paced_behind_video) {
  static pl_pacer p;
  pl_pacer_init(&p, 300000);
  pl_time_us t = PL_SEC(1);
  for (int i = 0; i < 100; i++)
    pl_pacer_push(&p, t, &tag[i], 1200, PL_PACE_VIDEO);
  uint32_t size;
  int probe;
  while (pl_pacer_pop(&p, t, &size, &probe))
    ;
  cr_assert_gt(p.n, 90, "video waits");
  pl_pacer_push(&p, t + PL_MS(1), &tag[1000], 100, PL_PACE_AUDIO);
  cr_assert_eq(pl_pacer_deadline(&p), t + PL_MS(1), "audio is due as it comes");
  cr_assert_eq(pl_pacer_pop(&p, t + PL_MS(1), &size, &probe), &tag[1000]);
}

Test(pacer, a_queue_longer_than_2_s_drains_faster) {
  static pl_pacer p;
  pl_pacer_init(&p, 100000); /* 100 kbit/s: 500 x 1200 B would take 48 s */
  pl_time_us t0 = PL_SEC(1), t = t0;
  for (int i = 0; i < 500; i++)
    pl_pacer_push(&p, t, &tag[i], 1200, PL_PACE_VIDEO);
  uint32_t size;
  int probe;
  while (p.n && t < t0 + PL_SEC(10)) {
    t = pl_pacer_deadline(&p);
    while (pl_pacer_pop(&p, t, &size, &probe))
      ;
  }
  cr_assert_eq(p.n, 0);
  /* The rate is recomputed as the head packet ages, so the last ones leave
   * a little after the 2 s mark (measured 2.25 s), never at 48 s. */
  cr_assert_leq(t - t0, PL_MS(2300), "drained in %lld ms", (long long)((t - t0) / 1000));
}

Test(pacer, a_probe_cluster_goes_at_its_rate_and_pads_when_media_runs_out) {
  static pl_pacer p;
  pl_pacer_init(&p, 300000);
  pl_time_us t = PL_SEC(1);
  pl_cc_probe pr = {.id = 7, .bps = 3000000, .min_packets = 5, .min_bytes = 6000};
  for (int i = 0; i < 3; i++)
    pl_pacer_push(&p, t, &tag[i], 1000, PL_PACE_VIDEO);
  pl_pacer_start_probe(&p, &pr);
  int probe_pkts = 0, pad_pkts = 0;
  uint32_t probe_bytes = 0;
  pl_time_us start = t;
  for (int guard = 0; p.probing && guard < 1000; guard++) {
    t = pl_pacer_deadline(&p) > t ? pl_pacer_deadline(&p) : t;
    uint32_t size;
    int probe;
    void *pkt;
    while ((pkt = pl_pacer_pop(&p, t, &size, &probe))) {
      cr_assert_eq(probe, 7);
      probe_pkts++;
      probe_bytes += size;
    }
    uint32_t pad = pl_pacer_padding(&p, t, &probe);
    if (pad) {
      cr_assert_eq(probe, 7);
      pl_pacer_padding_sent(&p, t, pad, probe);
      pad_pkts++;
      probe_bytes += pad;
    }
  }
  cr_assert_not(p.probing);
  cr_assert_eq(probe_pkts, 3);
  cr_assert_gt(pad_pkts, 0);
  cr_assert_geq(probe_bytes, 6000u);
  /* 6 kB at 3 Mbit/s is 16 ms, far faster than the 160 ms at 300 kbit/s. */
  cr_assert_lt(t - start, PL_MS(40), "%lld us", (long long)(t - start));
  /* Without a probe or a padding rate: no padding. */
  int probe;
  cr_assert_eq(pl_pacer_padding(&p, t + PL_SEC(1), &probe), 0);
  cr_assert_eq(pl_pacer_deadline(&p), PL_TIME_NEVER);
}

Test(twcc_recv, a_message_may_start_with_lost_packets) {
  static pl_twcc_recv r;
  pl_twcc_recv_init(&r);
  pl_twcc_recv_packet(&r, PL_MS(1000), 100, 500);
  uint8_t buf[1500];
  cr_assert_gt(write_fb(&r, PL_MS(1200), buf, sizeof buf), 0);
  /* 101 and 102 lost, 103 arrives. */
  pl_twcc_recv_packet(&r, PL_MS(1250), 103, 500);
  int n = write_fb(&r, PL_MS(1400), buf, sizeof buf);
  cr_assert_gt(n, 0);
  pl_twcc_status st[8];
  int k = parse_fb(buf, n, st, 8);
  cr_assert_eq(k, 3, "parse gave %d", k);
  cr_assert_eq(st[0].seq, 101);
  cr_assert_not(st[0].received);
  cr_assert_not(st[1].received);
  cr_assert(st[2].received);
}

/* A message whose first packets were lost, with the next arrival seconds
 * later, once wrote an empty message for ever (the gap rule measured from
 * the lost first packet's time, zero). */
Test(twcc_recv, leading_losses_before_a_late_arrival_still_advance) {
  static pl_twcc_recv r;
  pl_twcc_recv_init(&r);
  pl_twcc_recv_packet(&r, PL_SEC(100), 10, 500);
  uint8_t buf[1500];
  cr_assert_gt(write_fb(&r, PL_SEC(100) + PL_MS(100), buf, sizeof buf), 0);
  pl_twcc_recv_packet(&r, PL_SEC(100) + PL_MS(200), 12, 500);
  int n = write_fb(&r, PL_SEC(100) + PL_MS(300), buf, sizeof buf);
  pl_twcc_status st[8];
  cr_assert_eq(parse_fb(buf, n, st, 8), 2);
  cr_assert_eq(r.base, 13);
}

/* Congestion window pushback: while the window is full only audio leaves,
 * and the pacer asks for no timer (feedback, not time, reopens it). */
Test(pacer, a_full_congestion_window_holds_video_but_not_audio) {
  static pl_pacer p;
  pl_pacer_init(&p, 1000000);
  pl_time_us t = PL_SEC(1);
  pl_pacer_push(&p, t, &tag[0], 1200, PL_PACE_VIDEO);
  pl_pacer_set_blocked(&p, true);
  uint32_t size;
  int probe;
  cr_assert_null(pl_pacer_pop(&p, t, &size, &probe));
  cr_assert_eq(pl_pacer_deadline(&p), PL_TIME_NEVER);
  pl_pacer_push(&p, t, &tag[1], 100, PL_PACE_AUDIO);
  cr_assert_eq(pl_pacer_pop(&p, t, &size, &probe), &tag[1]);
  cr_assert_null(pl_pacer_pop(&p, t + PL_MS(50), &size, &probe));
  pl_pacer_set_blocked(&p, false);
  cr_assert_eq(pl_pacer_pop(&p, t + PL_MS(50), &size, &probe), &tag[0]);
  cr_assert_gt(p.stats.blocked_pops, 0);
}

Test(pacer, a_flush_empties_video_and_rtx_but_keeps_audio) {
  static pl_pacer p;
  pl_pacer_init(&p, 100000);
  pl_time_us t = PL_SEC(1);
  for (int i = 0; i < 10; i++)
    pl_pacer_push(&p, t, &tag[i], 1200, i == 3 ? PL_PACE_RTX : PL_PACE_VIDEO);
  pl_pacer_push(&p, t, &tag[100], 100, PL_PACE_AUDIO);
  cr_assert_eq(pl_pacer_queue_time(&p, t + PL_MS(500)), PL_MS(500));
  pl_pace_kind kind;
  int n = 0, rtx = 0;
  void *pkt;
  while ((pkt = pl_pacer_flush_one(&p, &kind))) {
    cr_assert_eq(pkt, &tag[n], "oldest first");
    rtx += kind == PL_PACE_RTX;
    n++;
  }
  cr_assert_eq(n, 10);
  cr_assert_eq(rtx, 1);
  cr_assert_eq(p.stats.flushed, 10);
  cr_assert_eq(p.queue_bytes, 0);
  cr_assert_eq(pl_pacer_queue_time(&p, t + PL_MS(500)), 0);
  uint32_t size;
  int probe;
  cr_assert_eq(pl_pacer_pop(&p, t + PL_MS(500), &size, &probe), &tag[100], "audio stays");
}
