/* Jitter buffer on a simulated clock, fed a real Opus stream made from the
 * speech-like generator: ordering, duplicates, late packets, loss, FEC, DTX,
 * delay adaptation, the concealer hook, and the W3C counters. The NetEq
 * behaviours (jitter steps, clock drift, comfort noise, merges) are in
 * jitter_neteq.c. */
#include "jitter_sim.h"

Test(jitter, pull_before_any_packet_is_silence_and_eagain) {
  pl_jitter *jb = new_jb(0, 40, 1000, true);
  pl_audio_frame f;
  f.pcm[0] = 1.0f;
  cr_expect_eq(pl_jitter_pull(jb, PL_SEC(1), &f), PL_EAGAIN);
  cr_expect_eq(f.pcm[0], 0.0f);
  cr_expect_eq(f.channels, 1);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(st.total_samples_received, 0);
  cr_expect_eq(st.packets_lost, 0);
  pl_jitter_free(jb);
}

Test(jitter, in_order_stream_plays_bit_exact_without_concealment) {
  stream *s = make_stream(10, 20, false, false, 1);
  pl_jitter *jb = new_jb(20, 20, 1000, true);
  sim *m = sim_new(jb, s, 0);
  for (int i = 0; i < s->np; i++)
    sim_add(m, i, send_time(s, i) + BASE);
  sim_sort(m);
  sim_drain(m, 0, 5000);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(st.packets_received, (uint64_t)s->np);
  cr_expect_eq(st.packets_lost, 0);
  cr_expect_eq(st.packets_discarded, 0);
  cr_expect_eq(st.concealed_samples, 0);
  cr_expect_eq(st.concealment_events, 0);
  cr_expect_eq(st.removed_samples_for_acceleration, 0);
  cr_expect_eq(st.inserted_samples_for_deceleration, 0);
  cr_expect_eq(st.jitter_buffer_emitted_count, (uint64_t)s->np * s->spp);
  cr_expect_eq(st.total_samples_received, (uint64_t)s->np * s->spp);
  cr_expect_eq(m->concealed_frames, 0);
  /* Played from 20 ms after the first arrival; the target is the 20 ms
   * floor (no jitter), and each packet waits 20..30 ms plus 10 ms for its
   * second half: mean buffer time 25..35 ms. */
  double avg = st.jitter_buffer_delay / (double)st.jitter_buffer_emitted_count;
  cr_expect(avg >= 0.025 && avg <= 0.035, "mean delay %.4f s", avg);
  double tgt = st.jitter_buffer_target_delay / (double)st.jitter_buffer_emitted_count;
  cr_expect_float_eq(tgt, 0.020, 1e-9);
  double mn = st.jitter_buffer_minimum_delay / (double)st.jitter_buffer_emitted_count;
  cr_expect_lt(mn, 0.0041, "minimum %.4f", mn); /* no jitter: one 2 ms bin */
  float *ref = direct_decode(s);
  cr_assert_eq(m->nout * 480, s->np * s->spp);
  cr_expect_eq(memcmp(ref, m->out, sizeof(float) * (size_t)(m->nout * 480)), 0);
  free(ref);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

Test(jitter, adjacent_reordering_within_target_needs_no_concealment) {
  stream *s = make_stream(10, 20, false, false, 2);
  pl_jitter *jb = new_jb(40, 40, 1000, true);
  sim *m = sim_new(jb, s, 0);
  int swapped = 0;
  for (int i = 0; i < s->np; i++) {
    /* Every 7th packet is overtaken by the next one (25 ms late). */
    pl_time_us extra = (i % 7 == 3) ? PL_MS(25) : 0;
    swapped += extra > 0;
    sim_add(m, i, send_time(s, i) + BASE + extra);
  }
  sim_sort(m);
  int overtaken = 0;
  for (int i = 1; i < m->narr; i++)
    overtaken += m->arr[i].idx < m->arr[i - 1].idx;
  cr_assert_eq(overtaken, swapped);
  sim_drain(m, 0, 5000);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(st.concealed_samples, 0);
  cr_expect_eq(st.packets_discarded, 0);
  cr_expect_eq(st.packets_lost, 0);
  float *ref = direct_decode(s);
  cr_assert_eq(m->nout * 480, s->np * s->spp);
  cr_expect_eq(memcmp(ref, m->out, sizeof(float) * (size_t)(m->nout * 480)), 0);
  free(ref);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

Test(jitter, duplicates_are_counted_and_ignored) {
  stream *s = make_stream(5, 20, false, false, 3);
  pl_jitter *jb = new_jb(20, 20, 1000, true);
  sim *m = sim_new(jb, s, s->np);
  int dups = 0;
  for (int i = 0; i < s->np; i++) {
    sim_add(m, i, send_time(s, i) + BASE);
    if (i % 5 == 2) {
      sim_add(m, i, send_time(s, i) + BASE + PL_MS(7));
      dups++;
    }
  }
  sim_sort(m);
  sim_drain(m, 0, 5000);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(st.packets_duplicated, (uint64_t)dups);
  cr_expect_eq(m->push_rc[-PL_EAGAIN], dups);
  /* RFC 3550: received counts duplicates, so "lost" goes negative. */
  cr_expect_eq(st.packets_received, (uint64_t)(s->np + dups));
  cr_expect_eq(st.packets_lost, -dups);
  cr_expect_eq(st.packets_discarded, 0);
  cr_expect_eq(st.concealed_samples, 0);
  float *ref = direct_decode(s);
  cr_expect_eq(memcmp(ref, m->out, sizeof(float) * (size_t)(m->nout * 480)), 0);
  free(ref);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

Test(jitter, packet_after_its_playout_is_discarded_and_concealed) {
  stream *s = make_stream(5, 20, false, false, 4);
  pl_jitter *jb = new_jb(20, 20, 1000, true);
  sim *m = sim_new(jb, s, 0);
  for (int i = 0; i < s->np; i++)
    sim_add(m, i, send_time(s, i) + BASE + (i == 100 ? PL_MS(300) : 0));
  sim_sort(m);
  sim_drain(m, 1, 5000);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(m->push_rc[-PL_ERANGE], 1);
  cr_expect_eq(st.packets_discarded, 1);
  cr_expect_eq(st.packets_lost, 0); /* it did arrive */
  cr_expect_eq(st.concealed_samples, (uint64_t)s->spp);
  cr_expect_eq(st.concealment_events, 1);
  cr_expect_eq(m->concealed_frames, 2);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

Test(jitter, random_loss_is_concealed_sample_for_sample) {
  stream *s = make_stream(30, 20, false, false, 5);
  pl_jitter *jb = new_jb(0, 40, 1000, true);
  sim *m = sim_new(jb, s, 0);
  pl_rng rng;
  pl_rng_seed(&rng, 99);
  int lost = 0, bursts = 0;
  bool prev_lost = false;
  for (int i = 0; i < s->np; i++) {
    bool drop = i > 0 && i < s->np - 1 && pl_rng_uniform(&rng) < 0.10;
    lost += drop;
    bursts += drop && !prev_lost;
    prev_lost = drop;
    if (!drop)
      sim_add(m, i, send_time(s, i) + BASE);
  }
  sim_sort(m);
  sim_drain(m, lost, 10000);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect(lost > 120 && lost < 180, "lost %d", lost);
  cr_expect_eq(st.packets_lost, lost);
  int64_t want = (int64_t)lost * s->spp;
  cr_expect(llabs((int64_t)st.concealed_samples - want) <= 480,
            "concealed %lu, want %ld", (unsigned long)st.concealed_samples, (long)want);
  /* The stream's end is concealed too when the last frame runs past it
   * (stretching leaves the play point off the packet grid). */
  bool tail = m->flags[m->nout - 1] & PL_AF_CONCEALED;
  cr_expect_eq(st.concealment_events, (uint64_t)bursts + tail, "events %lu, bursts %d",
               (unsigned long)st.concealment_events, bursts);
  /* Losses in the pauses of the speech conceal to silence: counted as
   * silent, the rest not. */
  cr_expect_gt(st.silent_concealed_samples, 0);
  cr_expect_lt(st.silent_concealed_samples, st.concealed_samples / 2);
  cr_expect_eq(st.packets_discarded, 0);
  cr_expect_eq(st.fec_recovered, 0);
  cr_expect_eq(st.total_samples_received, st.jitter_buffer_emitted_count +
                                              st.concealed_samples +
                                              st.inserted_samples_for_deceleration);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

Test(jitter, fec_recovers_single_losses) {
  stream *s = make_stream(20, 20, true, false, 6);
  pl_jitter *jb = new_jb(0, 40, 1000, true);
  sim *m = sim_new(jb, s, 0);
  int lost = 0, coverable = 0, lbrr_received = 0;
  for (int i = 0; i < s->np; i++) {
    bool drop = i % 10 == 5;
    if (drop) {
      lost++;
      coverable += s->lbrr[i + 1];
    } else {
      sim_add(m, i, send_time(s, i) + BASE);
      lbrr_received += s->lbrr[i];
    }
  }
  sim_sort(m);
  sim_drain(m, lost, 10000);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(st.packets_lost, lost);
  cr_expect_eq(st.fec_packets_received, (uint64_t)lbrr_received);
  cr_expect_gt(coverable, lost / 2);
  /* The first loss finds the buffer at its jitter-only target (the next
   * packet not yet there) and is concealed; from then on the buffer waits
   * one packet more while it sees losses, and every coverable loss is
   * rebuilt from LBRR. */
  cr_expect_geq(st.fec_recovered, (uint64_t)(coverable - 1), "recovered %lu of %d",
                (unsigned long)st.fec_recovered, coverable);
  cr_expect_leq(st.fec_recovered, (uint64_t)coverable);
  /* 20 ms of FEC audio spans 2 frames, or 3 off the frame grid (or a
   * little more when a period was inserted into it). */
  cr_expect(m->fec_frames >= 2 * (int)st.fec_recovered &&
                m->fec_frames <= 3 * (int)st.fec_recovered + 2,
            "fec frames %d, recovered %lu", m->fec_frames, (unsigned long)st.fec_recovered);
  cr_expect_eq(st.fec_packets_discarded, st.fec_packets_received - st.fec_recovered);
  int64_t want = (int64_t)(lost - (int)st.fec_recovered) * s->spp;
  cr_expect(llabs((int64_t)st.concealed_samples - want) <= 480, "concealed %lu want %ld",
            (unsigned long)st.concealed_samples, (long)want);
  cr_expect_gt(st.inserted_samples_for_deceleration, 0);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);

  /* With use_fec off the same stream is concealed instead. */
  s = make_stream(5, 20, true, false, 6);
  jb = new_jb(40, 40, 1000, false);
  m = sim_new(jb, s, 0);
  for (int i = 0; i < s->np; i++)
    if (i % 10 != 5)
      sim_add(m, i, send_time(s, i) + BASE);
  sim_sort(m);
  sim_drain(m, s->np / 10, 10000);
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(st.fec_recovered, 0);
  cr_expect_eq(st.concealed_samples, (uint64_t)(s->np / 10) * (uint64_t)s->spp);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

Test(jitter, target_follows_jitter_up_and_back_down) {
  stream *s = make_stream(60, 20, false, false, 7);
  pl_jitter *jb = new_jb(0, 40, 1000, true);
  sim *m = sim_new(jb, s, 0);
  pl_rng rng;
  pl_rng_seed(&rng, 5);
  /* 0-10 s calm, 10-30 s uniform 0..40 ms jitter, 30-60 s calm. */
  for (int i = 0; i < s->np; i++) {
    pl_time_us t = send_time(s, i) - T0;
    pl_time_us j = 0;
    if (t >= PL_SEC(10) && t < PL_SEC(30))
      j = (pl_time_us)pl_rng_below(&rng, 40001);
    sim_add(m, i, send_time(s, i) + BASE + j);
  }
  sim_sort(m);
  pl_jitter_stats st;
  int t_calm = 0, t_jit = 0, t_after = 0, d_jit = 0, d_after = 0;
  uint64_t disc_before = 0, ev_calm = 0, ev_half = 0, ev_jit = 0;
  while (m->pulls < 6000) {
    sim_pull(m);
    pl_time_us now = T0 + PHASE + m->pulls * PL_MS(10);
    if (m->pulls == 1000) {
      t_calm = pl_jitter_target_ms(jb);
      pl_jitter_get_stats(jb, &st);
      ev_calm = st.concealment_events;
    }
    if (m->pulls == 2000) {
      pl_jitter_get_stats(jb, &st);
      disc_before = st.packets_discarded;
      ev_half = st.concealment_events;
    }
    if (m->pulls == 3000) {
      t_jit = pl_jitter_target_ms(jb);
      d_jit = pl_jitter_delay_ms(jb, now);
      pl_jitter_get_stats(jb, &st);
      ev_jit = st.concealment_events;
    }
    if (m->pulls == 5900) {
      t_after = pl_jitter_target_ms(jb);
      d_after = pl_jitter_delay_ms(jb, now);
    }
  }
  pl_jitter_get_stats(jb, &st);
  cr_expect_leq(t_calm, 6, "calm target %d ms", t_calm);
  /* 95th percentile of U(0, 40 ms) is 38 ms. */
  cr_expect(t_jit >= 32 && t_jit <= 44, "jitter target %d ms", t_jit);
  cr_expect(d_jit >= t_jit && d_jit <= t_jit + 20, "jitter delay %d ms", d_jit);
  cr_expect_leq(t_after, 6, "target after %d ms", t_after);
  /* Back down to within the accelerate band (20 ms) of the target. */
  cr_expect_leq(d_after, t_after + 20, "delay after %d ms", d_after);
  /* Late packets are waited for (the stream is delayed, not cut): the
   * onset costs a few concealment events, the adapted half none, and no
   * packet is thrown away for being late. */
  cr_expect_eq(ev_calm, 0);
  cr_expect_leq(ev_jit - ev_calm, 8, "%lu events in the jitter phase",
                (unsigned long)(ev_jit - ev_calm));
  cr_expect_leq(ev_jit - ev_half, 1, "%lu events in its adapted half",
                (unsigned long)(ev_jit - ev_half));
  cr_expect_eq(st.packets_discarded - disc_before, 0);
  cr_expect_gt(st.removed_samples_for_acceleration, 0);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

typedef struct fake_plc {
  int calls, last_nth, max_nth, observed;
} fake_plc;

static int fake_conceal(void *self, float *out, int samples, int channels, int nth) {
  fake_plc *p = self;
  p->calls++;
  p->last_nth = nth;
  if (nth > p->max_nth)
    p->max_nth = nth;
  for (int i = 0; i < samples * channels; i++)
    out[i] = 0.25f;
  return 0;
}

static void fake_observe(void *self, const float *pcm, int samples, int channels) {
  fake_plc *p = self;
  (void)pcm;
  cr_assert_eq(channels, 1);
  p->observed += samples;
}

Test(jitter, concealer_hook_replaces_plc_and_sees_decoded_history) {
  stream *s = make_stream(5, 20, false, false, 8);
  pl_jitter *jb = new_jb(20, 20, 1000, false);
  fake_plc plc = {0};
  static const pl_concealer_ops ops = {.conceal = fake_conceal, .observe = fake_observe};
  pl_jitter_set_concealer(jb, &ops, &plc);
  sim *m = sim_new(jb, s, 0);
  for (int i = 0; i < s->np; i++)
    if (i != 50 && i != 51) /* one 40 ms burst */
      sim_add(m, i, send_time(s, i) + BASE);
  sim_sort(m);
  sim_drain(m, 2, 5000);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(plc.calls, 4);
  cr_expect_eq(plc.max_nth, 4);
  cr_expect_eq(st.concealed_samples, 4 * 480);
  cr_expect_eq((uint64_t)plc.observed, st.jitter_buffer_emitted_count);
  int hits = 0;
  for (int f = 0; f < m->nout; f++)
    hits += m->out[480 * f] == 0.25f && m->out[480 * f + 479] == 0.25f;
  cr_expect_eq(hits, 4);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

Test(jitter, dtx_gaps_count_as_silent_concealment_not_loss) {
  stream *s = make_stream(20, 20, false, true, 9);
  pl_jitter *jb = new_jb(0, 40, 1000, true);
  sim *m = sim_new(jb, s, 0);
  /* Like WebRTC, the sender does not send TOC-only DTX packets; sequence
   * numbers stay contiguous over what it does send. */
  int sent = 0, gaps = 0;
  uint16_t seq = 1000;
  for (int i = 0; i < s->np; i++) {
    if (s->len[i] <= 2) {
      gaps++;
      continue;
    }
    pl_time_us at = send_time(s, i) + BASE;
    /* Pushed directly, with our own contiguous sequence numbers. */
    while (m->pulls * PL_MS(10) + T0 + PHASE <= at)
      sim_pull(m);
    cr_assert_eq(pl_jitter_push(jb, at, seq++, 12345u + (uint32_t)(i * s->spp), s->pkt[i],
                                (size_t)s->len[i]),
                 0);
    sent++;
  }
  for (int k = 0; k < 20; k++)
    sim_pull(m);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_gt(gaps, 50, "%d DTX frames", gaps);
  cr_expect_eq(st.packets_lost, 0);
  cr_expect_eq(st.packets_received, (uint64_t)sent);
  /* Every gap inside the stream is DTX; only the 200 ms after the last
   * packet (nothing follows) can stay unclassified. */
  cr_expect_gt(st.silent_concealed_samples, (uint64_t)(gaps - 20) * (uint64_t)s->spp);
  cr_expect_leq(st.concealed_samples - st.silent_concealed_samples, 20u * 480u);
  cr_expect_geq(m->silent_frames, gaps);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

Test(jitter, full_buffer_refuses_with_efull) {
  stream *s = make_stream(1, 20, false, false, 10);
  pl_jitter_config c;
  pl_jitter_config_default(&c);
  c.capacity = 4;
  pl_jitter *jb = pl_jitter_new(&c);
  for (int i = 0; i < 10; i++) {
    int r = pl_jitter_push(jb, T0, (uint16_t)i, (uint32_t)(i * 960), s->pkt[i],
                           (size_t)s->len[i]);
    cr_expect_eq(r, i < 4 ? 0 : PL_EFULL, "packet %d", i);
  }
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(st.packets_discarded, 6);
  cr_expect_eq(pl_jitter_packets(jb), 4);
  /* Not Opus: refused. */
  const uint8_t junk[] = {0x03, 0x00};
  cr_expect_eq(pl_jitter_push(jb, T0, 50, 0, junk, sizeof junk), PL_ECODEC);
  cr_expect_eq(pl_jitter_push(jb, T0, 51, 0, junk, 0), PL_ECODEC);
  pl_jitter_free(jb);
  free_stream(s);
  c.min_delay_ms = 100;
  c.max_delay_ms = 50;
  cr_expect_null(pl_jitter_new(&c));
}

Test(jitter, timestamp_jump_resyncs_the_stream) {
  stream *s = make_stream(10, 20, false, false, 11);
  pl_jitter *jb = new_jb(0, 40, 1000, true);
  sim *m = sim_new(jb, s, 0);
  (void)m;
  pl_time_us now = T0 + PHASE;
  int64_t pulls = 0;
  for (int i = 0; i < s->np; i++) {
    pl_time_us at = send_time(s, i) + BASE;
    while (now + pulls * PL_MS(10) <= at) {
      pl_audio_frame f;
      pl_jitter_pull(jb, now + pulls * PL_MS(10), &f);
      pulls++;
    }
    /* Halfway the sender restarts its RTP clock 100 s ahead. */
    uint32_t ts = (uint32_t)(i * 960) + (i >= 250 ? 4800000u : 0u);
    pl_jitter_push(jb, at, (uint16_t)i, ts, s->pkt[i], (size_t)s->len[i]);
  }
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(st.resyncs, 1);
  /* The two packets before the restart is believed are dropped; playout
   * goes on within a buffer fill, not 100 s of concealment. */
  cr_expect_eq(st.packets_discarded, 2);
  cr_expect_lt(st.concealed_samples, 48000u / 5, "concealed %lu",
               (unsigned long)st.concealed_samples);
  cr_expect_eq(st.packets_lost, 0);
  sim_free(m);
  pl_jitter_free(jb);
  free_stream(s);
}

Test(jitter, every_packet_duration_is_split_into_10ms_frames) {
  static const int sizes[] = {10, 40, 60};
  for (int k = 0; k < 3; k++) {
    stream *s = make_stream(6, sizes[k], false, false, 12);
    pl_jitter *jb = new_jb(sizes[k], sizes[k], 1000, false);
    sim *m = sim_new(jb, s, 0);
    int lost = s->np / 2;
    for (int i = 0; i < s->np; i++)
      if (i != lost)
        sim_add(m, i, send_time(s, i) + BASE);
    sim_sort(m);
    sim_drain(m, 1, 5000);
    pl_jitter_stats st;
    pl_jitter_get_stats(jb, &st);
    cr_expect_eq(st.packets_lost, 1, "%d ms", sizes[k]);
    cr_expect_eq(st.concealed_samples, (uint64_t)s->spp, "%d ms: %lu", sizes[k],
                 (unsigned long)st.concealed_samples);
    cr_expect_eq(st.jitter_buffer_emitted_count, (uint64_t)(s->np - 1) * (uint64_t)s->spp);
    cr_expect_eq(st.removed_samples_for_acceleration, 0);
    /* Up to the loss the output is the plain decode, 10 ms at a time. */
    float *ref = direct_decode(s);
    cr_expect_eq(memcmp(ref, m->out, sizeof(float) * (size_t)(lost * s->spp)), 0, "%d ms",
                 sizes[k]);
    free(ref);
    sim_free(m);
    pl_jitter_free(jb);
    free_stream(s);
  }
}

Test(jitter, stereo_output_from_a_mono_stream) {
  stream *s = make_stream(2, 20, false, false, 13);
  pl_jitter_config c;
  pl_jitter_config_default(&c);
  c.channels = 2;
  c.min_delay_ms = c.initial_delay_ms = 20;
  pl_jitter *jb = pl_jitter_new(&c);
  pl_time_us t = T0 + PHASE;
  int played = 0;
  for (int i = 0; i < s->np; i++) {
    pl_jitter_push(jb, send_time(s, i) + BASE, (uint16_t)i, (uint32_t)(i * 960), s->pkt[i],
                   (size_t)s->len[i]);
    for (; t <= send_time(s, i) + BASE + PL_MS(20); t += PL_MS(10)) {
      pl_audio_frame f;
      if (pl_jitter_pull(jb, t, &f) == 0) {
        played++;
        cr_assert_eq(f.channels, 2);
        for (int j = 0; j < 480; j++)
          cr_assert_eq(f.pcm[2 * j], f.pcm[2 * j + 1]);
      }
    }
  }
  cr_expect_gt(played, 150);
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  cr_expect_eq(st.concealed_samples, 0);
  pl_jitter_free(jb);
  free_stream(s);
}
