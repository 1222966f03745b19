/* RED (RFC 2198) between two engines on the simulated clock: negotiated by
 * SDES offer/answer, sent with one previous frame, and under 10 % random
 * loss nearly every loss plays from the next packet's copy. With --red auto
 * the sender moves to RED once the peer reports the loss. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/sim.h"
#include "parley.h"

static int sink(void *user, const float *pcm, int samples, int channels) {
  (void)user, (void)pcm, (void)samples, (void)channels;
  return 0;
}

/* burst > 1: Gilbert-Elliott losses with that mean run, else random. */
static pl_sim *lossy_burst(double loss, double burst, int red_a, int red_b) {
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.loss_model = PL_EMU_LOSS_RANDOM;
  net.loss = loss;
  if (burst > 1) {
    net.loss_model = PL_EMU_LOSS_GE;
    cr_assert_eq(pl_emu_ge_from_rate(loss, burst, &net.ge_p, &net.ge_r), 0);
    net.ge_loss_bad = 1.0;
  }
  net.delay = PL_MS(30);
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  a.red = red_a;
  b.red = red_b;
  pl_sim *s;
  cr_assert_eq(pl_sim_new(&s, &a, &b, &net, &net, 7), 0);
  pl_audio_io ta, tb, k = {.write = sink};
  cr_assert_eq(pl_audio_io_tone_source(&ta, 440, 0.3), 0);
  cr_assert_eq(pl_audio_io_tone_source(&tb, 1000, 0.3), 0);
  pl_call_set_audio_source(s->a, &ta);
  pl_call_set_audio_source(s->b, &tb);
  pl_call_set_audio_sink(s->a, &k);
  pl_call_set_audio_sink(s->b, &k);
  cr_assert_eq(pl_sim_connect(s), 0);
  return s;
}

static pl_sim *lossy(double loss, int red_a, int red_b) { return lossy_burst(loss, 0, red_a, red_b); }

Test(e2e_red, red_one_plays_nearly_every_random_loss_from_the_next_packet) {
  pl_sim *s = lossy(0.10, 1, 0);
  cr_assert_eq(s->a->red_pt, PL_CALL_RED_PT);
  cr_assert_eq(s->b->red_pt, PL_CALL_RED_PT);
  pl_sim_run_until(s, PL_SEC(20));
  pl_call_stats sa, sb;
  pl_call_get_stats(s->a, &sa);
  pl_call_get_stats(s->b, &sb);
  cr_assert_eq(sa.red_distance, 1);
  cr_assert_geq(sa.red_packets_sent + 5, sa.packets_sent, "every packet but the first few");
  double expected = (double)sb.packets_received + (double)sb.packets_lost;
  double loss = (double)sb.packets_lost / expected;
  cr_assert_float_eq(loss, 0.10, 0.03, "loss %.3f", loss);
  /* A loss comes back unless the next packet is lost too (p = 0.1). */
  cr_assert_geq((double)sb.red_recovered, 0.8 * (double)sb.packets_lost, "%llu of %lld",
                (unsigned long long)sb.red_recovered, (long long)sb.packets_lost);
  double concealed = (double)sb.concealed_samples / (double)sb.total_samples_received;
  cr_assert_lt(concealed, 0.03, "concealed %.3f at %.3f loss", concealed, loss);
  cr_assert_gt(sb.fec_packets_received, sb.packets_received * 9 / 10);
  cr_assert_eq(sb.packets_dropped, 0);
  /* b sends plain Opus: a decodes it as before. */
  cr_assert_eq(sb.red_packets_sent, 0);
  cr_assert_eq(sa.red_recovered, 0);
  pl_sim_free(s);
}

Test(e2e_red, auto_moves_to_red_under_loss_and_stays_plain_on_a_clean_path) {
  pl_sim *s = lossy(0.15, PL_RED_AUTO, PL_RED_AUTO);
  pl_sim_run_until(s, PL_SEC(15));
  pl_call_stats sa;
  pl_call_get_stats(s->a, &sa);
  cr_assert_geq(sa.red_distance, 1, "15 %% loss reported: RED (fl %.3f prot %d cc %.0f)", sa.fraction_lost, sa.red_protection, sa.cc_audio_bps);
  cr_assert_gt(sa.red_packets_sent, 300);
  pl_sim_free(s);
  s = lossy(0.0, PL_RED_AUTO, PL_RED_AUTO);
  pl_sim_run_until(s, PL_SEC(10));
  pl_call_get_stats(s->a, &sa);
  cr_assert_eq(sa.red_distance, 0);
  cr_assert_eq(sa.red_packets_sent, 0);
  cr_assert_eq(sa.red_protection, 0, "no loss: no protection");
  pl_sim_free(s);
}

Test(e2e_red, auto_sends_two_copies_when_losses_come_in_bursts_and_one_when_random) {
  pl_sim *s = lossy_burst(0.20, 4, PL_RED_AUTO, PL_RED_AUTO);
  pl_sim_run_until(s, PL_SEC(30));
  pl_call_stats sa;
  pl_call_get_stats(s->a, &sa);
  cr_assert_eq(sa.red_distance, 2, "20 %% loss in runs of 4: RED 2 (prot %d)", sa.red_protection);
  pl_sim_free(s);
  s = lossy(0.20, PL_RED_AUTO, PL_RED_AUTO);
  pl_sim_run_until(s, PL_SEC(30));
  pl_call_get_stats(s->a, &sa);
  cr_assert_eq(sa.red_distance, 1, "20 %% random loss: RED 1 (prot %d)", sa.red_protection);
  pl_sim_free(s);
}
