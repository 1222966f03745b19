/* RED copies in the jitter buffer (audio/jitter/redundant.c): a lost frame
 * plays from the next packet's copy, bit-identical to the original; copies
 * of what is here count as discarded; an original that comes after its
 * copy is a duplicate; copies before the stream or from the future are
 * refused and counted. */
#include <stdio.h>

#include "jitter_sim.h"

#define TS0 12345u

typedef struct red_run {
  pl_jitter_stats st;
  int concealed_frames, frames;
  float *out;
  int nout;
} red_run;

/* Packets arrive BASE after sending; lost[i] never arrives; each packet
 * carries copies of the `dist` frames before it (RFC 2198, as pushed by
 * the call: primary, then copies newest first). */
static void run_red(const stream *s, const bool *lost, int dist, int min_delay_ms, red_run *r) {
  pl_jitter_config c;
  pl_jitter_config_default(&c);
  /* > 0: a fixed target, so that runs with and without loss line up. */
  c.min_delay_ms = min_delay_ms;
  c.initial_delay_ms = min_delay_ms;
  if (min_delay_ms)
    c.max_delay_ms = min_delay_ms;
  pl_jitter *jb = pl_jitter_new(&c);
  cr_assert_not_null(jb);
  memset(r, 0, sizeof *r);
  r->out = calloc((size_t)s->np * (size_t)s->spp + 48000, sizeof(float));
  int next = 0;
  for (int64_t k = 0; k < (int64_t)s->np * s->frame_ms / 10 + 30; k++) {
    pl_time_us now = T0 + PHASE + k * PL_MS(10);
    while (next < s->np && send_time(s, next) + BASE <= now) {
      int i = next++;
      if (lost[i])
        continue;
      pl_time_us at = send_time(s, i) + BASE;
      uint32_t ts = TS0 + (uint32_t)(i * s->spp);
      pl_jitter_push(jb, at, (uint16_t)(1000 + i), ts, s->pkt[i], (size_t)s->len[i]);
      for (int d = 1; d <= dist && i - d >= 0; d++) {
        int rc = pl_jitter_push_redundant(jb, at, (uint16_t)(1000 + i - d),
                                          ts - (uint32_t)(d * s->spp), s->pkt[i - d],
                                          (size_t)s->len[i - d]);
        if (getenv("PL_TEST_VERBOSE") && lost[i - d])
          fprintf(stderr, "copy of %d in %d: %d (target %d)\n", i - d, i, rc,
                  pl_jitter_target_ms(jb));
      }
    }
    pl_audio_frame f;
    if (pl_jitter_pull(jb, now, &f) != 0)
      continue;
    memcpy(r->out + 480 * r->nout++, f.pcm, sizeof(float) * 480);
    r->frames++;
    r->concealed_frames += !!(f.flags & PL_AF_CONCEALED);
  }
  pl_jitter_get_stats(jb, &r->st);
  pl_jitter_free(jb);
}

Test(jitter_red, every_fifth_packet_lost_plays_from_red_bit_identical) {
  stream *s = make_stream(10, 20, false, false, 5);
  bool *lost = calloc((size_t)s->np, sizeof(bool));
  bool *none = calloc((size_t)s->np, sizeof(bool));
  int nlost = 0;
  for (int i = 5; i < s->np - 1; i += 5) {
    lost[i] = true;
    nlost++;
  }
  red_run a, b;
  run_red(s, none, 1, 60, &a); /* the reference: nothing lost */
  run_red(s, lost, 1, 60, &b);
  cr_assert_eq(b.st.red_recovered, (uint64_t)nlost);
  /* Concealment only past the stream's end, as in the loss-free run. */
  cr_assert_eq(b.st.concealed_samples, a.st.concealed_samples);
  cr_assert_eq(b.concealed_frames, a.concealed_frames);
  /* One copy per packet after the first; of those received, all but the
   * recovered ones were copies of what was here. */
  uint64_t copies = (uint64_t)(s->np - 1 - nlost);
  cr_assert_eq(b.st.fec_packets_received, copies);
  cr_assert_eq(b.st.fec_packets_discarded, copies - (uint64_t)nlost);
  cr_assert_eq(a.st.fec_packets_discarded, a.st.fec_packets_received);
  cr_assert_eq(a.st.red_recovered, 0u);
  /* The copy is the same Opus frame: the audio is the same, bit for bit. */
  cr_assert_eq(a.nout, b.nout);
  cr_assert_eq(memcmp(a.out, b.out, sizeof(float) * 480 * (size_t)a.nout), 0);
  /* Packets lost count as lost (the copy is not a received packet). */
  cr_assert_eq(b.st.packets_lost, nlost);
  free(a.out);
  free(b.out);
  free(lost);
  free(none);
  free_stream(s);
}

Test(jitter_red, distance_two_recovers_pairs_distance_one_only_the_second) {
  stream *s = make_stream(10, 20, false, false, 6);
  bool *lost = calloc((size_t)s->np, sizeof(bool));
  int pairs = 0;
  for (int i = 10; i < s->np - 2; i += 10) {
    lost[i] = lost[i + 1] = true;
    pairs++;
  }
  bool *none = calloc((size_t)s->np, sizeof(bool));
  red_run one, two, ref;
  run_red(s, none, 2, 60, &ref);
  run_red(s, lost, 1, 60, &one);
  run_red(s, lost, 2, 60, &two);
  cr_assert_eq(two.st.red_recovered, (uint64_t)(2 * pairs));
  cr_assert_eq(two.st.concealed_samples, ref.st.concealed_samples);
  cr_assert_eq(one.st.red_recovered, (uint64_t)pairs, "the second of each pair");
  cr_assert_geq(one.st.concealed_samples, ref.st.concealed_samples + (uint64_t)pairs * 960 - 480);
  free(ref.out);
  free(none);
  free(one.out);
  free(two.out);
  free(lost);
  free_stream(s);
}

Test(jitter_red, wait_for_copies_grows_the_target_only_after_a_loss) {
  stream *s = make_stream(6, 20, false, false, 7);
  bool *lost = calloc((size_t)s->np, sizeof(bool));
  lost[50] = lost[150] = true;
  red_run r;
  /* No floor: on a clean path the target is a few ms, so the first loss
   * is concealed before its copy comes (the copy is then too late, and
   * counted discarded); the loss starts the wait for copies (20 ms), and
   * the second loss plays from its copy. */
  run_red(s, lost, 1, 0, &r);
  cr_assert_eq(r.st.red_recovered, 1u);
  cr_assert_eq(r.st.fec_packets_discarded, r.st.fec_packets_received - 1);
  cr_assert_geq(r.st.jitter_buffer_target_delay / (double)r.st.jitter_buffer_emitted_count,
                0.010, "the 20 ms wait for most of the run");
  free(r.out);
  free(lost);
  free_stream(s);
}

Test(jitter_red, original_after_its_copy_is_a_duplicate_and_bad_copies_are_counted) {
  stream *s = make_stream(1, 20, false, false, 8);
  pl_jitter_config c;
  pl_jitter_config_default(&c);
  c.min_delay_ms = 60;
  pl_jitter *jb = pl_jitter_new(&c);
  uint32_t spp = (uint32_t)s->spp;
  /* A copy before any packet has no stream to go in. */
  cr_assert_eq(pl_jitter_push_redundant(jb, T0, 999, TS0, s->pkt[0], (size_t)s->len[0]),
               PL_ERANGE);
  cr_assert_eq(pl_jitter_push(jb, T0, 1000, TS0, s->pkt[0], (size_t)s->len[0]), 0);
  /* Packet 2 comes before 1 and carries 1's copy; then 1 itself. */
  cr_assert_eq(pl_jitter_push(jb, T0 + PL_MS(40), 1002, TS0 + 2 * spp, s->pkt[2],
                              (size_t)s->len[2]), 0);
  cr_assert_eq(pl_jitter_push_redundant(jb, T0 + PL_MS(40), 1001, TS0 + spp, s->pkt[1],
                                        (size_t)s->len[1]), 0);
  cr_assert_eq(pl_jitter_push(jb, T0 + PL_MS(41), 1001, TS0 + spp, s->pkt[1],
                              (size_t)s->len[1]), PL_EAGAIN);
  /* A copy of what is stored, one pointing before the stream's start, one
   * from the future (an offset that wrapped), one that is not Opus. */
  cr_assert_eq(pl_jitter_push_redundant(jb, T0 + PL_MS(42), 1000, TS0, s->pkt[0],
                                        (size_t)s->len[0]), PL_EAGAIN);
  cr_assert_eq(pl_jitter_push_redundant(jb, T0 + PL_MS(42), 999, TS0 - spp, s->pkt[0],
                                        (size_t)s->len[0]), PL_ERANGE);
  cr_assert_eq(pl_jitter_push_redundant(jb, T0 + PL_MS(42), 1003, TS0 + 3 * spp, s->pkt[0],
                                        (size_t)s->len[0]), PL_ERANGE);
  const uint8_t junk[1] = {0x03}; /* code 3 without its count byte */
  cr_assert_eq(pl_jitter_push_redundant(jb, T0 + PL_MS(42), 1001, TS0 + spp, junk, 1),
               PL_ECODEC);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_assert_eq(st.packets_received, 3u);
  cr_assert_eq(st.packets_duplicated, 1u);
  cr_assert_eq(st.packets_lost, 0); /* three expected, three pushes */
  cr_assert_eq(st.fec_packets_received, 6u);
  cr_assert_eq(st.fec_packets_discarded, 5u);
  cr_assert_eq(pl_jitter_packets(jb), 3);
  pl_jitter_free(jb);
  free_stream(s);
}
