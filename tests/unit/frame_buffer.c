/* Frame assembler (reordering, duplicates, wrap, timeouts, eviction, sizes)
 * and frame buffer (decode order, references after loss, temporal layers,
 * flexible references, jitter percentile and playout, keyframe requests),
 * plus the webrtc-stats freeze rule. Packets are built by hand. */
#include <criterion/criterion.h>
#include <string.h>

#include "parley.h"
#include "video/frame_buffer/assembler.h"
#include "video/frame_buffer/frame_buffer.h"

/* ---- assembler ---- */

static uint8_t bytes[64][8];

static pl_video_rtp_info pkt(int tag, bool begin, bool key, int32_t pid) {
  memset(bytes[tag], tag, sizeof bytes[tag]);
  return (pl_video_rtp_info){.codec = PL_CODEC_VP8, .frame_begin = begin,
                             .key = key && begin, .picture_id = begin ? pid : pid,
                             .picture_id_bits = 15, .tl0picidx = -1, .tid = -1,
                             .sid = -1, .payload = bytes[tag],
                             .payload_len = sizeof bytes[tag]};
}

static pl_frame_assembler *asm_new(size_t packets, size_t max_frame) {
  pl_frame_assembler_config c = {.packets = packets, .max_frame_bytes = max_frame,
                                 .timeout = PL_MS(500)};
  pl_frame_assembler *a;
  cr_assert_eq(pl_frame_assembler_new(&a, &c), 0);
  return a;
}

/* Frame of n packets starting at seq, tags tag..tag+n-1. */
static int put(pl_frame_assembler *a, pl_time_us now, uint16_t seq, int k,
               int n, uint32_t ts, int tag, bool key) {
  pl_video_rtp_info i = pkt(tag + k, k == 0, key, 7);
  return pl_frame_assembler_insert(a, now, (uint16_t)(seq + k), ts, k == n - 1,
                                   &i, false);
}

static void expect_frame(pl_frame_assembler *a, uint32_t ts, int tag, int n,
                         bool key) {
  pl_encoded_frame f;
  cr_assert(pl_frame_assembler_poll(a, &f), "frame ts %u", ts);
  cr_assert_eq(f.rtp_ts, ts);
  cr_assert_eq(f.len, (size_t)n * 8);
  cr_assert_eq(f.packets, (uint32_t)n);
  cr_assert_eq(f.key, key);
  for (int k = 0; k < n; k++)
    for (int b = 0; b < 8; b++)
      cr_assert_eq(f.data[k * 8 + b], tag + k, "packet %d in order", k);
}

Test(assembler, in_order_frames_come_out_whole) {
  pl_frame_assembler *a = asm_new(64, 0);
  for (int fr = 0; fr < 3; fr++) {
    for (int k = 0; k < 3; k++) {
      int rc = put(a, fr * 1000 + k, (uint16_t)(100 + fr * 3), k, 3,
                   (uint32_t)(fr * 3000), fr * 3, fr == 0);
      cr_assert_eq(rc, k == 2 ? 1 : 0);
    }
    expect_frame(a, (uint32_t)(fr * 3000), fr * 3, 3, fr == 0);
  }
  pl_encoded_frame f;
  cr_assert_not(pl_frame_assembler_poll(a, &f));
  pl_frame_assembler_stats st;
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.frames, 3);
  cr_assert_eq(st.packets, 9);
  /* The deadline may be stale (early), never late; a timeout there finds
   * nothing to drop and clears it. */
  cr_assert_leq(pl_frame_assembler_deadline(a), PL_MS(500));
  pl_frame_assembler_timeout(a, pl_frame_assembler_deadline(a));
  cr_assert_eq(pl_frame_assembler_deadline(a), PL_TIME_NEVER);
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.dropped_timeout, 0);
  pl_frame_assembler_free(a);
}

Test(assembler, reordered_and_duplicated_packets_complete_once) {
  pl_frame_assembler *a = asm_new(64, 0);
  /* 4 packets arriving 3, 0, 3 (dup), 2, 1. */
  cr_assert_eq(put(a, 10, 500, 3, 4, 9000, 0, false), 0);
  cr_assert_eq(put(a, 11, 500, 0, 4, 9000, 0, false), 0);
  cr_assert_eq(put(a, 12, 500, 3, 4, 9000, 0, false), 0);
  cr_assert_eq(put(a, 13, 500, 2, 4, 9000, 0, false), 0);
  cr_assert_eq(put(a, 14, 500, 1, 4, 9000, 0, false), 1);
  pl_encoded_frame f;
  cr_assert(pl_frame_assembler_poll(a, &f));
  cr_assert_eq(f.first_arrival, 10);
  cr_assert_eq(f.complete_at, 14);
  cr_assert_eq(f.len, 32);
  for (int k = 0; k < 4; k++)
    cr_assert_eq(f.data[k * 8], k);
  /* A late duplicate of a delivered packet is not a new frame. */
  cr_assert_eq(put(a, 15, 500, 3, 4, 9000, 0, false), 0);
  cr_assert_not(pl_frame_assembler_poll(a, &f));
  pl_frame_assembler_stats st;
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.duplicates, 2);
  cr_assert_eq(st.frames, 1);
  pl_frame_assembler_free(a);
}

Test(assembler, frame_across_sequence_wrap) {
  pl_frame_assembler *a = asm_new(64, 0);
  /* 65534, 65535, 0, 1, fed backwards. */
  for (int k = 3; k >= 0; k--)
    cr_assert_eq(put(a, 0, 65534, k, 4, 1234, 10, true), k == 0 ? 1 : 0);
  pl_encoded_frame f;
  cr_assert(pl_frame_assembler_poll(a, &f));
  cr_assert_eq(f.last_seq - f.first_seq, 3);
  cr_assert_eq((uint16_t)f.first_seq, 65534);
  cr_assert(f.key);
  for (int k = 0; k < 4; k++)
    cr_assert_eq(f.data[k * 8], 10 + k);
  /* And the next frame after the wrap. */
  for (int k = 0; k < 2; k++)
    put(a, 1, 2, k, 2, 4234, 20, false);
  expect_frame(a, 4234, 20, 2, false);
  pl_frame_assembler_free(a);
}

Test(assembler, frame_that_never_completes_is_dropped_after_timeout) {
  pl_frame_assembler *a = asm_new(64, 0);
  put(a, PL_MS(100), 10, 0, 3, 3000, 0, false);
  put(a, PL_MS(120), 10, 2, 3, 3000, 0, false); /* packet 1 lost */
  cr_assert_eq(pl_frame_assembler_deadline(a), PL_MS(600));
  pl_frame_assembler_timeout(a, PL_MS(599));
  pl_frame_assembler_stats st;
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.dropped_timeout, 0);
  pl_frame_assembler_timeout(a, PL_MS(600));
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.dropped_timeout, 1);
  cr_assert_eq(pl_frame_assembler_deadline(a), PL_TIME_NEVER);
  /* The retransmission arrives too late: counted, no frame. */
  cr_assert_eq(put(a, PL_MS(700), 10, 1, 3, 3000, 0, false), 0);
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.late, 1);
  pl_encoded_frame f;
  cr_assert_not(pl_frame_assembler_poll(a, &f));
  pl_frame_assembler_free(a);
}

Test(assembler, keyframe_supersedes_older_partial_frames) {
  pl_frame_assembler *a = asm_new(64, 0);
  put(a, 0, 10, 0, 2, 3000, 0, false); /* frame 1: second packet lost */
  put(a, 2, 12, 1, 2, 6000, 2, false); /* frame 2: first packet lost */
  cr_assert_eq(put(a, 3, 14, 0, 1, 9000, 4, true), 1);
  expect_frame(a, 9000, 4, 1, true);
  pl_frame_assembler_stats st;
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.dropped_superseded, 2);
  pl_frame_assembler_timeout(a, PL_SEC(10));
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.dropped_timeout, 0, "nothing left to time out");
  pl_frame_assembler_free(a);
}

Test(assembler, old_partial_frame_evicted_by_newer_packets) {
  pl_frame_assembler *a = asm_new(16, 0);
  put(a, 0, 0, 0, 2, 3000, 0, false); /* incomplete */
  for (int fr = 0; fr < 16; fr++)
    put(a, 1, (uint16_t)(2 + fr), 0, 1, (uint32_t)(6000 + fr), 1, false);
  pl_frame_assembler_stats st;
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.dropped_evicted, 1);
  cr_assert_eq(st.frames, 0, "not polled yet");
  int n = 0;
  pl_encoded_frame f;
  while (pl_frame_assembler_poll(a, &f))
    n++;
  cr_assert_eq(n, 16);
  /* A packet older than its slot's occupant is refused. */
  put(a, 2, 1, 0, 1, 100, 0, false);
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.too_old, 1);
  pl_frame_assembler_free(a);
}

Test(assembler, oversized_packets_and_frames_are_counted_drops) {
  pl_frame_assembler *a = asm_new(64, 20);
  for (int k = 0; k < 3; k++) /* 24 bytes > 20 */
    put(a, 0, 0, k, 3, 3000, 0, false);
  pl_encoded_frame f;
  cr_assert_not(pl_frame_assembler_poll(a, &f));
  pl_frame_assembler_stats st;
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.dropped_too_big, 1);
  uint8_t big[2000] = {0};
  pl_video_rtp_info i = {.frame_begin = true, .payload = big, .payload_len = 2000};
  cr_assert_eq(pl_frame_assembler_insert(a, 0, 9, 1, true, &i, false), 0);
  pl_frame_assembler_get_stats(a, &st);
  cr_assert_eq(st.too_big, 1);
  pl_video_rtp_info bad = {.payload = NULL, .payload_len = 3};
  cr_assert_eq(pl_frame_assembler_insert(a, 0, 9, 1, true, &bad, false), PL_EINVAL);
  pl_frame_assembler_free(a);
}

Test(assembler, vp9_end_bit_completes_without_marker) {
  pl_frame_assembler *a = asm_new(64, 0);
  pl_video_rtp_info i = pkt(0, true, true, 1);
  i.codec = PL_CODEC_VP9;
  cr_assert_eq(pl_frame_assembler_insert(a, 0, 40, 90, false, &i, false), 0);
  i = pkt(1, false, false, 1);
  i.frame_end = true;
  cr_assert_eq(pl_frame_assembler_insert(a, 0, 41, 90, false, &i, true), 1);
  pl_encoded_frame f;
  cr_assert(pl_frame_assembler_poll(a, &f));
  cr_assert(f.retransmitted);
  pl_frame_assembler_free(a);
}

/* ---- frame buffer ---- */

static uint8_t payload[16];

static pl_encoded_frame fr(int32_t pid, bool key, pl_time_us arrival) {
  return (pl_encoded_frame){.codec = PL_CODEC_VP8, .data = payload,
                            .len = sizeof payload, .rtp_ts = (uint32_t)(pid * 3000),
                            .first_seq = pid * 2, .last_seq = pid * 2 + 1,
                            .key = key, .picture_id = pid & 0x7fff,
                            .picture_id_bits = 15, .tl0picidx = -1, .tid = -1,
                            .first_arrival = arrival, .complete_at = arrival};
}

static pl_frame_buffer *fb_new(void) {
  pl_frame_buffer_config c = {.missing_wait = PL_MS(200)};
  pl_frame_buffer *fb;
  cr_assert_eq(pl_frame_buffer_new(&fb, &c), 0);
  return fb;
}

/* Polls everything due by `now`; returns the picture IDs released. */
static int drain(pl_frame_buffer *fb, pl_time_us now, int32_t *ids, int cap) {
  int n = 0;
  pl_encoded_frame f;
  pl_time_us at;
  while (pl_frame_buffer_poll(fb, now, &f, &at)) {
    cr_assert_lt(n, cap);
    cr_assert_leq(at, now);
    ids[n++] = f.picture_id;
  }
  return n;
}

/* Frames arrive exactly 33.333 ms apart (transit constant), so the jitter
 * estimate is zero and each frame plays as it arrives. */
static pl_time_us arr(int pid) { return (pl_time_us)pid * 100000 / 3 + PL_MS(40); }

Test(frame_buffer, gap_waits_for_retransmission_then_continues_in_order) {
  pl_frame_buffer *fb = fb_new();
  int32_t ids[16];
  for (int p = 0; p <= 5; p++) {
    if (p == 3)
      continue; /* lost, comes later */
    pl_encoded_frame f = fr(p, p == 0, arr(p));
    cr_assert_eq(pl_frame_buffer_insert(fb, arr(p), &f), 0);
    int n = drain(fb, arr(p), ids, 16);
    cr_assert_eq(n, p < 3 ? 1 : 0, "pid %d", p);
    if (n)
      cr_assert_eq(ids[0], p);
  }
  /* Nothing decodable: the deadline is the missing-reference wait. */
  cr_assert_eq(pl_frame_buffer_deadline(fb), arr(4) + PL_MS(200));
  pl_time_us t = arr(5) + PL_MS(60);
  pl_encoded_frame f3 = fr(3, false, t);
  f3.retransmitted = true;
  cr_assert_eq(pl_frame_buffer_insert(fb, t, &f3), 0);
  /* The late arrival also raised the render delay, so give it time. */
  cr_assert_eq(drain(fb, t + PL_MS(200), ids, 16), 3);
  cr_assert_eq(ids[0], 3);
  cr_assert_eq(ids[1], 4);
  cr_assert_eq(ids[2], 5);
  pl_frame_buffer_stats st;
  pl_frame_buffer_get_stats(fb, &st);
  cr_assert_eq(st.released, 6);
  cr_assert_eq(st.keyframe_needed, 0);
  cr_assert_not(pl_frame_buffer_keyframe_needed(fb));
  pl_frame_buffer_free(fb);
}

Test(frame_buffer, unfilled_gap_asks_for_keyframe_and_drops_until_one) {
  pl_frame_buffer *fb = fb_new();
  int32_t ids[16];
  for (int p = 0; p <= 5; p++) {
    if (p == 3)
      continue;
    pl_encoded_frame f = fr(p, p == 0, arr(p));
    pl_frame_buffer_insert(fb, arr(p), &f);
    drain(fb, arr(p), ids, 16);
  }
  pl_time_us dl = pl_frame_buffer_deadline(fb);
  cr_assert_eq(dl, arr(4) + PL_MS(200));
  pl_frame_buffer_timeout(fb, dl - 1);
  cr_assert_not(pl_frame_buffer_keyframe_needed(fb));
  pl_frame_buffer_timeout(fb, dl);
  cr_assert(pl_frame_buffer_keyframe_needed(fb));
  pl_frame_buffer_stats st;
  pl_frame_buffer_get_stats(fb, &st);
  cr_assert_eq(st.dropped_undecodable, 2); /* 4 and 5 */
  cr_assert_eq(st.keyframe_needed, 1);
  pl_encoded_frame f6 = fr(6, false, arr(6));
  cr_assert_eq(pl_frame_buffer_insert(fb, arr(6), &f6), PL_ESTATE);
  /* The missing frame turning up now is useless too. */
  pl_encoded_frame f3 = fr(3, false, arr(6));
  cr_assert_eq(pl_frame_buffer_insert(fb, arr(6), &f3), PL_ESTATE);
  pl_encoded_frame f7 = fr(7, true, arr(7));
  cr_assert_eq(pl_frame_buffer_insert(fb, arr(7), &f7), 0);
  cr_assert_not(pl_frame_buffer_keyframe_needed(fb), "a keyframe is in hand");
  /* (The very late copy of pid 3 raised the render delay.) */
  cr_assert_eq(drain(fb, arr(7) + PL_MS(200), ids, 16), 1);
  cr_assert_eq(ids[0], 7);
  pl_encoded_frame f8 = fr(8, false, arr(8));
  cr_assert_eq(pl_frame_buffer_insert(fb, arr(8), &f8), 0);
  cr_assert_eq(drain(fb, arr(8) + PL_MS(200), ids, 16), 1);
  pl_frame_buffer_get_stats(fb, &st);
  cr_assert_eq(st.dropped_undecodable, 4);
  cr_assert_eq(st.keyframes_released, 2);
  pl_frame_buffer_free(fb);
}

Test(frame_buffer, first_frame_must_be_a_keyframe) {
  pl_frame_buffer *fb = fb_new();
  cr_assert_not(pl_frame_buffer_keyframe_needed(fb), "nothing seen yet");
  pl_encoded_frame f = fr(10, false, 0);
  cr_assert_eq(pl_frame_buffer_insert(fb, 0, &f), PL_ESTATE);
  cr_assert(pl_frame_buffer_keyframe_needed(fb));
  pl_frame_buffer_free(fb);
}

static pl_encoded_frame tl(int32_t pid, int tid, int tl0, bool sync, bool key) {
  pl_encoded_frame f = fr(pid, key, arr(pid));
  f.tid = (int8_t)tid;
  f.tl0picidx = (int16_t)(tl0 & 0xff);
  f.layer_sync = sync;
  return f;
}

Test(frame_buffer, lost_top_layer_frame_skipped_without_keyframe) {
  /* Three layers, pattern TL 0 2 1 2 (the encoder's): pid 1 (TL2) lost.
   * pid 2 (TL1, sync) needs only its TL0 base; pid 3 (TL2, not sync)
   * might reference pid 1, so it waits and is passed over when TL0 pid 4
   * goes out. */
  pl_frame_buffer *fb = fb_new();
  int32_t ids[16];
  const int tids[] = {0, 2, 1, 2, 0, 2};
  const bool sync[] = {false, true, true, false, false, true};
  int got[8], ng = 0;
  for (int p = 0; p < 6; p++) {
    if (p == 1)
      continue;
    pl_encoded_frame f = tl(p, tids[p], 250 + p / 4, sync[p], p == 0);
    cr_assert_eq(pl_frame_buffer_insert(fb, arr(p), &f), 0);
    int n = drain(fb, arr(p), ids, 16);
    for (int i = 0; i < n; i++)
      got[ng++] = ids[i];
  }
  cr_assert_eq(ng, 4);
  cr_assert_eq(got[0], 0);
  cr_assert_eq(got[1], 2);
  cr_assert_eq(got[2], 4, "TL0 continues (TL0PICIDX 250 -> 251 wraps fine)");
  cr_assert_eq(got[3], 5);
  pl_frame_buffer_stats st;
  pl_frame_buffer_get_stats(fb, &st);
  cr_assert_eq(st.dropped_skipped, 1, "pid 3 passed over");
  cr_assert_eq(st.keyframe_needed, 0);
  pl_frame_buffer_free(fb);
}

Test(frame_buffer, lost_base_layer_frame_blocks_until_keyframe) {
  pl_frame_buffer *fb = fb_new();
  int32_t ids[16];
  pl_encoded_frame f0 = tl(0, 0, 5, false, true);
  pl_frame_buffer_insert(fb, arr(0), &f0);
  cr_assert_eq(drain(fb, arr(0), ids, 16), 1);
  /* TL0 pid 2 (TL0PICIDX 6) lost; pid 4 has TL0PICIDX 7: not decodable. */
  pl_encoded_frame f4 = tl(4, 0, 7, false, false);
  pl_frame_buffer_insert(fb, arr(4), &f4);
  cr_assert_eq(drain(fb, arr(4), ids, 16), 0);
  pl_frame_buffer_free(fb);
}

Test(frame_buffer, flexible_references_decide_decodability) {
  pl_frame_buffer *fb = fb_new();
  int32_t ids[16];
  pl_encoded_frame k = fr(0, true, arr(0));
  k.flexible = true;
  pl_frame_buffer_insert(fb, arr(0), &k);
  drain(fb, arr(0), ids, 16);
  /* pid 1 lost; pid 2 refers to pid 0, pid 3 to pids 2 and 0: fine; pid 4
   * refers to pid 1: not decodable. */
  pl_encoded_frame f2 = fr(2, false, arr(2));
  f2.flexible = true;
  f2.nrefs = 1;
  f2.pdiff[0] = 2;
  pl_encoded_frame f3 = fr(3, false, arr(3));
  f3.flexible = true;
  f3.nrefs = 2;
  f3.pdiff[0] = 1;
  f3.pdiff[1] = 3;
  pl_encoded_frame f4 = fr(4, false, arr(4));
  f4.flexible = true;
  f4.nrefs = 1;
  f4.pdiff[0] = 3; /* pid 1 */
  pl_frame_buffer_insert(fb, arr(2), &f2);
  pl_frame_buffer_insert(fb, arr(4), &f4);
  pl_frame_buffer_insert(fb, arr(3), &f3);
  cr_assert_eq(drain(fb, arr(4), ids, 16), 2);
  cr_assert_eq(ids[0], 2);
  cr_assert_eq(ids[1], 3);
  pl_frame_buffer_stats st;
  pl_frame_buffer_get_stats(fb, &st);
  cr_assert_eq(st.stored, 1, "pid 4 waits for pid 1");
  pl_frame_buffer_free(fb);
}

Test(frame_buffer, picture_id_wraps_at_15_bits) {
  pl_frame_buffer *fb = fb_new();
  int32_t ids[16];
  for (int i = 0; i < 5; i++) {
    int pid = 32766 + i;
    pl_encoded_frame f = fr(pid, i == 0, arr(i));
    f.rtp_ts = (uint32_t)(i * 3000);
    cr_assert_eq(pl_frame_buffer_insert(fb, arr(i), &f), 0);
    cr_assert_eq(drain(fb, arr(i), ids, 16), 1, "i %d", i);
    cr_assert_eq(ids[0], pid & 0x7fff);
  }
  /* An old picture (pid 32767 again) is late, not new. */
  pl_encoded_frame old = fr(32767, false, arr(6));
  old.rtp_ts = 3000;
  cr_assert_eq(pl_frame_buffer_insert(fb, arr(6), &old), PL_ESTATE);
  pl_frame_buffer_stats st;
  pl_frame_buffer_get_stats(fb, &st);
  cr_assert_eq(st.dropped_old, 1);
  pl_frame_buffer_free(fb);
}

Test(frame_buffer, without_picture_ids_sequence_numbers_give_continuity) {
  pl_frame_buffer *fb = fb_new();
  int32_t ids[16];
  pl_encoded_frame f = fr(0, true, arr(0));
  f.picture_id = -1;
  pl_frame_buffer_insert(fb, arr(0), &f);
  cr_assert_eq(drain(fb, arr(0), ids, 16), 1);
  pl_encoded_frame g = fr(2, false, arr(2)); /* seqs 4-5: 2-3 missing */
  g.picture_id = -1;
  pl_frame_buffer_insert(fb, arr(2), &g);
  cr_assert_eq(drain(fb, arr(2), ids, 16), 0);
  pl_encoded_frame h = fr(1, false, arr(2));
  h.picture_id = -1;
  pl_frame_buffer_insert(fb, arr(2), &h);
  cr_assert_eq(drain(fb, arr(2) + PL_MS(100), ids, 16), 2);
  pl_frame_buffer_free(fb);
}

Test(frame_buffer, render_delay_is_95th_percentile_of_frame_jitter) {
  pl_frame_buffer *fb = fb_new();
  int32_t ids[4];
  /* Transit 50 ms + 5 ms for 9 frames in 10, + 60 ms for every tenth:
   * jitter (transit - minimum) is 0 or 55 ms and 10% of frames are late,
   * so the 95th percentile is 55 ms. */
  pl_time_us base = PL_MS(50);
  for (int p = 0; p < 300; p++) {
    pl_time_us ts_us = (pl_time_us)p * 3000 * 1000000 / 90000;
    pl_time_us a = ts_us + base + (p % 10 == 0 ? PL_MS(60) : PL_MS(5));
    pl_encoded_frame f = fr(p, p == 0, a);
    cr_assert_eq(pl_frame_buffer_insert(fb, a, &f), 0);
    pl_encoded_frame o;
    pl_time_us at;
    pl_time_us due = pl_frame_buffer_deadline(fb);
    if (p >= 20) {
      /* Plays at media time + minimum transit + 55 ms, never before. */
      cr_assert_eq(due, ts_us + base + PL_MS(5) + PL_MS(55), "p %d", p);
      cr_assert_not(pl_frame_buffer_poll(fb, due - 1, &o, &at));
    }
    cr_assert(pl_frame_buffer_poll(fb, due > a ? due : a, &o, &at));
    (void)ids;
  }
  pl_frame_buffer_stats st;
  pl_frame_buffer_get_stats(fb, &st);
  cr_assert_eq(st.jitter_p95, PL_MS(55));
  cr_assert_eq(st.render_delay, PL_MS(55));
  pl_frame_buffer_free(fb);
}

Test(frame_buffer, need_keyframe_from_outside_and_duplicates) {
  pl_frame_buffer *fb = fb_new();
  int32_t ids[4];
  pl_encoded_frame k = fr(0, true, 0), f1 = fr(1, false, 0);
  pl_frame_buffer_insert(fb, 0, &k);
  pl_frame_buffer_insert(fb, 0, &f1);
  cr_assert_eq(pl_frame_buffer_insert(fb, 0, &f1), PL_EAGAIN);
  cr_assert_eq(drain(fb, 0, ids, 4), 1);
  pl_frame_buffer_need_keyframe(fb); /* the decoder failed */
  cr_assert(pl_frame_buffer_keyframe_needed(fb));
  cr_assert_eq(drain(fb, PL_SEC(5), ids, 4), 0);
  pl_frame_buffer_stats st;
  pl_frame_buffer_get_stats(fb, &st);
  cr_assert_eq(st.duplicates, 1);
  cr_assert_eq(st.dropped_undecodable, 1);
  pl_frame_buffer_set_rtt(fb, PL_MS(300));
  pl_frame_buffer_free(fb);
}

Test(frame_buffer, too_big_and_full_are_counted) {
  pl_frame_buffer_config c = {.frames = 2, .max_frame_bytes = 8};
  pl_frame_buffer *fb;
  cr_assert_eq(pl_frame_buffer_new(&fb, &c), 0);
  pl_encoded_frame f = fr(0, true, 0);
  cr_assert_eq(pl_frame_buffer_insert(fb, 0, &f), PL_ERANGE);
  f.len = 8;
  cr_assert_eq(pl_frame_buffer_insert(fb, 0, &f), 0);
  pl_encoded_frame g = fr(2, false, 0);
  g.len = 8;
  cr_assert_eq(pl_frame_buffer_insert(fb, 0, &g), 0);
  pl_encoded_frame h = fr(3, false, 0);
  h.len = 8;
  cr_assert_eq(pl_frame_buffer_insert(fb, 0, &h), PL_EFULL);
  /* A keyframe makes room by throwing out what is older. */
  pl_encoded_frame k = fr(4, true, 0);
  k.len = 8;
  cr_assert_eq(pl_frame_buffer_insert(fb, 0, &k), 0);
  pl_frame_buffer_stats st;
  pl_frame_buffer_get_stats(fb, &st);
  cr_assert_eq(st.dropped_too_big, 1);
  cr_assert_eq(st.dropped_full, 3);
  pl_frame_buffer_free(fb);
  pl_frame_buffer_config bad = {.jitter_percentile = 2};
  cr_assert_eq(pl_frame_buffer_new(&fb, &bad), PL_EINVAL);
}

/* ---- freezes ---- */

Test(freeze, webrtc_stats_rule_max_of_3x_avg_and_avg_plus_150ms) {
  pl_freeze_detector fd;
  pl_freeze_detector_init(&fd);
  pl_time_us t = 0;
  for (int i = 0; i < 11; i++, t += PL_MS(30))
    cr_assert_not(pl_freeze_detector_frame(&fd, t));
  t -= PL_MS(30);
  /* avg 30 ms: threshold max(90, 180) = 180 ms. 179 is not a freeze. */
  t += PL_MS(179);
  cr_assert_not(pl_freeze_detector_frame(&fd, t));
  /* 11 intervals now: 10 x 30 + 179 -> avg 43.5 ms, threshold 193.5 ms. */
  t += PL_MS(195);
  cr_assert(pl_freeze_detector_frame(&fd, t));
  cr_assert_eq(fd.freeze_count, 1);
  cr_assert_eq(fd.total_freeze, PL_MS(195));
  /* At a low frame rate 3 x avg dominates: after 30 intervals of 100 ms
   * the threshold is max(300, 250) = 300 ms. */
  pl_freeze_detector_init(&fd);
  t = 0;
  for (int i = 0; i < 31; i++, t += PL_MS(100))
    pl_freeze_detector_frame(&fd, t);
  t -= PL_MS(100);
  t += PL_MS(299);
  cr_assert_not(pl_freeze_detector_frame(&fd, t), "299 < 3 x 100");
  pl_freeze_detector_init(&fd);
  t = 0;
  for (int i = 0; i < 31; i++, t += PL_MS(100))
    pl_freeze_detector_frame(&fd, t);
  t -= PL_MS(100);
  t += PL_MS(300);
  cr_assert(pl_freeze_detector_frame(&fd, t), "equal counts (webrtc-stats)");
  /* Fewer than 5 intervals known: no verdict. */
  pl_freeze_detector_init(&fd);
  pl_freeze_detector_frame(&fd, 0);
  pl_freeze_detector_frame(&fd, PL_MS(30));
  cr_assert_not(pl_freeze_detector_frame(&fd, PL_SEC(2)));
}
