/* Two engines on one simulated clock, joined by the network emulator:
 * offer/answer with SDES-keyed SRTP, Opus both ways, and the statistics a
 * user reads, on a clean and on a lossy, jittery network. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sim.h"
#include "parley.h"

typedef struct capture {
  float *pcm;
  size_t n, cap;
} capture;

static int cap_write(void *user, const float *pcm, int samples, int channels) {
  capture *c = user;
  for (int i = 0; i < samples && c->n < c->cap; i++)
    c->pcm[c->n++] = pcm[i * channels];
  return 0;
}

static void cap_init(capture *c, double seconds) {
  c->cap = (size_t)(seconds * 48000);
  c->pcm = calloc(c->cap, sizeof(float));
  c->n = 0;
}

static pl_audio_io cap_io(capture *c) {
  pl_audio_io io = {.write = cap_write, .user = c};
  return io;
}

static double tone_freq(const float *x, size_t n) {
  size_t crossings = 0;
  for (size_t i = 1; i < n; i++)
    if ((x[i - 1] < 0) != (x[i] < 0))
      crossings++;
  return crossings * 48000.0 / 2.0 / (double)n;
}

static double rms(const float *x, size_t n) {
  double e = 0;
  for (size_t i = 0; i < n; i++)
    e += (double)x[i] * x[i];
  return sqrt(e / (double)n);
}

typedef struct events {
  int connected, bye;
} events;

static void on_event(pl_call *call, const pl_event *ev, void *user) {
  (void)call;
  events *e = user;
  if (ev->type == PL_EVENT_CONNECTED)
    e->connected++;
  if (ev->type == PL_EVENT_REMOTE_BYE)
    e->bye++;
}

static pl_sim *make_sim(const pl_emu_config *net, events *ea, events *eb,
                        capture *ra, capture *rb, double hz_a, double hz_b) {
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  a.on_event = b.on_event = on_event;
  a.user = ea;
  b.user = eb;
  pl_sim *s;
  cr_assert_eq(pl_sim_new(&s, &a, &b, net, net, 7), 0);
  pl_audio_io ta, tb, sa = cap_io(ra), sb = cap_io(rb);
  cr_assert_eq(pl_audio_io_tone_source(&ta, hz_a, 0.3), 0);
  cr_assert_eq(pl_audio_io_tone_source(&tb, hz_b, 0.3), 0);
  pl_call_set_audio_source(s->a, &ta);
  pl_call_set_audio_source(s->b, &tb);
  pl_call_set_audio_sink(s->a, &sa);
  pl_call_set_audio_sink(s->b, &sb);
  cr_assert_eq(pl_sim_connect(s), 0);
  return s;
}

Test(e2e, clean_network_carries_each_tone_to_the_other_side) {
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(20);
  events ea = {0}, eb = {0};
  capture ra, rb;
  cap_init(&ra, 6);
  cap_init(&rb, 6);
  pl_sim *s = make_sim(&net, &ea, &eb, &ra, &rb, 440, 1000);
  pl_sim_run_until(s, PL_SEC(5));
  cr_assert_eq(ea.connected, 1);
  cr_assert_eq(eb.connected, 1);
  /* Skip the first second (jitter buffer filling), look at the rest. */
  cr_assert_gt(ra.n, 48000 * 4);
  cr_assert_float_eq(tone_freq(rb.pcm + 48000, 48000 * 3), 440.0, 5.0);
  cr_assert_float_eq(tone_freq(ra.pcm + 48000, 48000 * 3), 1000.0, 5.0);
  cr_assert_float_eq(rms(rb.pcm + 48000, 48000 * 3), 0.3 / sqrt(2), 0.03);
  pl_call_stats st;
  pl_call_get_stats(s->b, &st);
  cr_assert_eq(st.packets_lost, 0);
  cr_assert_eq(st.concealed_samples, 0, "no loss, no concealment");
  cr_assert_gt(st.packets_received, 230); /* 5 s of 20 ms packets, less start-up */
  cr_assert_eq(st.packets_dropped, 0);
  cr_assert_eq(st.srtp_auth_failures, 0);
  /* RTT is two 20 ms links; RTCP every ~1 s gives it within a few seconds. */
  cr_assert_float_eq(st.rtt_s, 0.040, 0.003);
  cr_assert_geq(st.mouth_to_ear_s, 0.020);
  cr_assert_lt(st.mouth_to_ear_s, 0.200);
  pl_sim_free(s);
  free(ra.pcm);
  free(rb.pcm);
}

Test(e2e, ten_percent_loss_and_40ms_jitter_are_counted_and_concealed) {
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.loss_model = PL_EMU_LOSS_RANDOM;
  net.loss = 0.10;
  net.delay = PL_MS(30);
  net.jitter = PL_MS(40);
  net.jitter_dist = PL_EMU_JITTER_UNIFORM;
  net.reorder = true;
  events ea = {0}, eb = {0};
  capture ra, rb;
  cap_init(&ra, 31);
  cap_init(&rb, 31);
  pl_sim *s = make_sim(&net, &ea, &eb, &ra, &rb, 440, 1000);
  pl_sim_run_until(s, PL_SEC(30));
  pl_call_stats st;
  pl_call_get_stats(s->b, &st);
  double expected = (double)st.packets_received + (double)st.packets_lost;
  double loss = (double)st.packets_lost / expected;
  /* 1500 packets at p = 0.1: std of the rate is 0.8%; allow 3 std. */
  cr_assert_float_eq(loss, 0.10, 0.025, "measured loss %.3f", loss);
  cr_assert_gt(st.concealed_samples, 0);
  cr_assert_gt(st.concealment_events, 50);
  /* Concealed share tracks the loss (FEC and late packets shift it a bit). */
  double concealed = (double)st.concealed_samples / (double)st.total_samples_received;
  cr_assert_gt(concealed, 0.03, "concealed %.3f", concealed);
  cr_assert_lt(concealed, 0.16, "concealed %.3f", concealed);
  /* Uniform 0..40 ms jitter has an RFC 3550 jitter of about 13 ms. */
  cr_assert_gt(st.jitter_s, 0.005, "jitter %.4f", st.jitter_s);
  cr_assert_lt(st.jitter_s, 0.030, "jitter %.4f", st.jitter_s);
  /* The buffer must hold at least most of the jitter span. */
  cr_assert_gt(st.jitter_buffer_target_delay_s, 0.030, "target %.3f",
               st.jitter_buffer_target_delay_s);
  cr_assert_gt(st.jitter_buffer_delay_s, 0.020);
  cr_assert_lt(st.jitter_buffer_delay_s, 0.300);
  cr_assert_eq(st.srtp_auth_failures, 0);
  /* The tone still comes through at the right pitch. */
  cr_assert_float_eq(tone_freq(rb.pcm + 48000 * 5, 48000 * 20), 440.0, 15.0);
  pl_sim_free(s);
  free(ra.pcm);
  free(rb.pcm);
}

Test(e2e, hangup_sends_bye_that_the_peer_reports) {
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(10);
  events ea = {0}, eb = {0};
  capture ra, rb;
  cap_init(&ra, 2);
  cap_init(&rb, 2);
  pl_sim *s = make_sim(&net, &ea, &eb, &ra, &rb, 440, 1000);
  pl_sim_run_until(s, PL_SEC(1));
  pl_call_hangup(s->a);
  pl_sim_run_until(s, PL_SEC(2) / 2 * 3);
  cr_assert_eq(eb.bye, 1);
  pl_sim_free(s);
  free(ra.pcm);
  free(rb.pcm);
}
