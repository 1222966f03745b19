/* Two engines on one simulated clock, joined by the network emulator:
 * offer/answer with SDES-keyed SRTP, Opus both ways, and the statistics a
 * user reads, on a clean and on a lossy, jittery network. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
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
  cr_assert_eq(st.packets_send_failed, 0);
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
  /* What still arrives after the end (the caller's DTLS close_notify, RTP
   * that was in flight) is ignored, not counted as refused input. */
  pl_call_stats before, after;
  pl_call_get_stats(s->b, &before);
  pl_addr from;
  pl_addr_parse(&from, "10.0.0.1:5000");
  uint8_t alert[] = {0x15, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 2, 1, 0};
  uint8_t rtp[40] = {0x80, 111, 0, 1};
  cr_assert_eq(pl_call_input(s->b, s->now, &from.ss, alert, sizeof alert), PL_ESTATE);
  cr_assert_eq(pl_call_input(s->b, s->now, &from.ss, rtp, sizeof rtp), PL_ESTATE);
  pl_call_get_stats(s->b, &after);
  cr_assert_eq(after.packets_dropped, before.packets_dropped);
  pl_sim_free(s);
  free(ra.pcm);
  free(rb.pcm);
}

/* Hostile datagrams from the peer's own address: garbage, truncated and
 * oversized packets, a forged packet under other keys and a replayed copy
 * of a real one are all counted drops; the call goes on unharmed. */
Test(e2e, bad_datagrams_are_counted_drops_and_the_call_survives) {
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(10);
  events ea = {0}, eb = {0};
  capture ra, rb;
  cap_init(&ra, 4);
  cap_init(&rb, 4);
  pl_sim *s = make_sim(&net, &ea, &eb, &ra, &rb, 440, 1000);
  pl_sim_run_until(s, PL_SEC(1));
  pl_addr from;
  pl_addr_parse(&from, "10.0.0.1:5000");
  pl_time_us now = s->now;
  pl_call_stats before;
  pl_call_get_stats(s->b, &before);

  /* A real packet from A, captured on its way out, then replayed. */
  uint8_t real[1600];
  pl_addr to;
  int n = 0;
  for (int i = 0; i < 20 && n <= 0; i++) {
    pl_call_timeout(s->a, now + PL_MS(10) * i);
    n = pl_call_poll_transmit(s->a, real, sizeof real, &to.ss);
  }
  cr_assert_gt(n, 12);
  cr_assert_eq(pl_call_input(s->b, now, &from.ss, real, (size_t)n), 0);
  cr_assert_eq(pl_call_input(s->b, now, &from.ss, real, (size_t)n), PL_EREPLAY);

  /* The next packet with one payload bit flipped: authentication fails
   * (a replayed one would be refused as a replay before that check). */
  uint8_t next[1600];
  int m = 0;
  for (int i = 20; i < 40 && m <= 0; i++) {
    pl_call_timeout(s->a, now + PL_MS(10) * i);
    m = pl_call_poll_transmit(s->a, next, sizeof next, &to.ss);
  }
  cr_assert_gt(m, 12);
  next[m - 12] ^= 1;
  cr_assert_eq(pl_call_input(s->b, now, &from.ss, next, (size_t)m), PL_EAUTH);

  uint8_t junk[1600];
  pl_rng rng;
  pl_rng_seed(&rng, 3);
  int rejected = 0;
  for (int i = 0; i < 2000; i++) {
    size_t len = (size_t)pl_rng_below(&rng, 200);
    for (size_t k = 0; k < len; k++)
      junk[k] = (uint8_t)pl_rng_u64(&rng);
    if (i % 2)
      junk[0] = 0x80; /* looks like RTP: reaches SRTP, fails there */
    rejected += pl_call_input(s->b, now, &from.ss, junk, len) != 0;
  }
  cr_assert_eq(rejected, 2000);
  /* Truncated copies of a real packet, and one bigger than any MTU. */
  for (int len = 0; len < n; len++)
    cr_assert_neq(pl_call_input(s->b, now, &from.ss, real, (size_t)len), 0);
  static uint8_t huge[70000];
  cr_assert_eq(pl_call_input(s->b, now, &from.ss, huge, sizeof huge), PL_ETRUNC);
  /* From a stranger: ignored before any crypto. */
  pl_addr stranger;
  pl_addr_parse(&stranger, "10.9.9.9:5000");
  cr_assert_eq(pl_call_input(s->b, now, &stranger.ss, real, (size_t)n), PL_EAUTH);

  pl_call_stats after;
  pl_call_get_stats(s->b, &after);
  cr_assert_geq(after.packets_dropped - before.packets_dropped, 2000 + (uint64_t)n + 3);
  cr_assert_geq(after.srtp_replays - before.srtp_replays, 1); /* truncated copies may be too */
  cr_assert_geq(after.srtp_auth_failures - before.srtp_auth_failures, 1);
  /* The call carries on. */
  pl_sim_run_until(s, PL_SEC(3));
  pl_call_stats end;
  pl_call_get_stats(s->b, &end);
  cr_assert_gt(end.packets_received, after.packets_received + 50);
  pl_sim_free(s);
  free(ra.pcm);
  free(rb.pcm);
}

/* Two calls that never agreed on keys: B's answer is applied to a third
 * call, so A's packets reach a receiver with the wrong keys. */
Test(e2e, wrong_keys_mean_no_media_and_counted_auth_failures) {
  pl_engine *e;
  cr_assert_eq(pl_engine_new(&e, NULL), 0);
  pl_call_config ca, cb;
  pl_call_config_init(&ca);
  pl_call_config_init(&cb);
  ca.bind = ca.advertise = "10.0.0.1:5000";
  cb.bind = cb.advertise = "10.0.0.2:5000";
  ca.seed = 11;
  cb.seed = 12;
  pl_call *a, *b, *b2;
  cr_assert_eq(pl_call_new(&a, e, &ca), 0);
  cr_assert_eq(pl_call_new(&b, e, &cb), 0);
  cr_assert_eq(pl_call_new(&b2, e, &cb), 0);
  pl_audio_io t;
  pl_audio_io_tone_source(&t, 300, 0.3);
  pl_call_set_audio_source(a, &t);
  static char offer[16384], answer[16384], answer2[16384];
  cr_assert_eq(pl_call_create_offer(a, offer, sizeof offer), 0);
  cr_assert_eq(pl_call_accept_offer(b, offer, answer, sizeof answer), 0);
  pl_audio_io t2;
  pl_audio_io_tone_source(&t2, 500, 0.3);
  cr_assert_eq(pl_call_set_audio_source(b2, &t2), 0);
  cr_assert_eq(pl_call_accept_offer(b2, offer, answer2, sizeof answer2), 0);
  cr_assert_eq(pl_call_accept_answer(a, answer), 0); /* a keys its receive side for b, not b2 */
  cr_assert_eq(pl_call_accept_answer(a, answer), PL_ESTATE, "an answer applies once");
  /* b2 sends with its own keys to a: a cannot authenticate any of it. */
  pl_addr from;
  pl_addr_parse(&from, "10.0.0.2:5000");
  uint8_t buf[1600];
  int got = 0;
  for (pl_time_us now = PL_SEC(1); now < PL_SEC(2); now += PL_MS(10)) {
    pl_call_timeout(b2, now);
    int n;
    while ((n = pl_call_poll_transmit(b2, buf, sizeof buf, NULL)) > 0) {
      cr_assert_neq(pl_call_input(a, now, &from.ss, buf, (size_t)n), 0);
      got++;
    }
  }
  cr_assert_gt(got, 40);
  pl_call_stats st;
  pl_call_get_stats(a, &st);
  cr_assert_eq(st.packets_received, 0);
  cr_assert_geq(st.srtp_auth_failures, (uint64_t)got - 2, "auth failures %llu of %d",
                (unsigned long long)st.srtp_auth_failures, got);
  pl_call_free(a);
  pl_call_free(b);
  pl_call_free(b2);
  pl_engine_free(e);
}

Test(e2e, hostile_sdp_is_refused_with_a_clear_error) {
  pl_engine *e;
  cr_assert_eq(pl_engine_new(&e, NULL), 0);
  pl_call_config c;
  pl_call_config_init(&c);
  c.advertise = "10.0.0.2:5000";
  static char answer[16384];
  const char *bad[] = {
      "",
      "garbage",
      "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=video 5000 RTP/SAVP 96\r\n"
      "c=IN IP4 1.2.3.4\r\na=rtpmap:96 VP8/90000\r\n",
      "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/SAVP 111\r\n"
      "c=IN IP4 1.2.3.4\r\na=rtpmap:111 opus/48000/2\r\n", /* no keys */
      "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/SAVP 111\r\n"
      "c=IN IP4 1.2.3.4\r\na=rtpmap:111 opus/48000/2\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:tooshort\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    pl_call *b;
    cr_assert_eq(pl_call_new(&b, e, &c), 0);
    int rc = pl_call_accept_offer(b, bad[i], answer, sizeof answer);
    cr_assert(rc == PL_EPARSE || rc == PL_ENOTSUP, "case %zu: %s", i, pl_strerror(rc));
    pl_call_free(b);
  }
  /* A huge SDP (megabytes of repeated lines) is refused by size, fast. */
  size_t big = 4 << 20;
  char *huge = malloc(big + 1);
  for (size_t i = 0; i < big; i++)
    huge[i] = "a=x:y\r\n"[i % 7];
  huge[big] = 0;
  pl_call *b;
  cr_assert_eq(pl_call_new(&b, e, &c), 0);
  cr_assert_neq(pl_call_accept_offer(b, huge, answer, sizeof answer), 0);
  pl_call_free(b);
  free(huge);
  pl_engine_free(e);
}

/* A fan-like noise source: white noise through a one-pole low-pass. */
typedef struct noise_src {
  pl_rng rng;
  float lp;
} noise_src;

static int noise_read(void *user, float *pcm, int samples, int channels) {
  noise_src *n = user;
  for (int i = 0; i < samples; i++) {
    n->lp += 0.3f * ((float)pl_rng_normal(&n->rng) * 0.05f - n->lp);
    for (int c = 0; c < channels; c++)
      pcm[i * channels + c] = n->lp;
  }
  return samples;
}

static const pl_stage_info *send_stage(const pl_call_stats *st, const char *name) {
  for (int i = 0; i < st->n_send_stages; i++)
    if (!strcmp(st->send_stages[i].name, name))
      return &st->send_stages[i];
  return NULL;
}

Test(e2e, denoise_switched_on_mid_call_quiets_noise_and_gates_dtx) {
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(20);
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  a.opus_dtx = b.opus_dtx = true;
  pl_sim *s;
  cr_assert_eq(pl_sim_new(&s, &a, &b, &net, &net, 11), 0);
  noise_src ns = {.lp = 0};
  pl_rng_seed(&ns.rng, 5);
  capture rb;
  cap_init(&rb, 13);
  pl_audio_io src = {.read = noise_read, .user = &ns}, sink = cap_io(&rb);
  pl_call_set_audio_source(s->a, &src);
  pl_call_set_audio_sink(s->b, &sink);
  cr_assert_eq(pl_sim_connect(s), 0);

  pl_sim_run_until(s, PL_SEC(4));
  pl_call_stats st;
  pl_call_get_stats(s->a, &st);
  const pl_stage_info *dn = send_stage(&st, "denoise");
  cr_assert_not_null(dn, "every call has the denoise stage");
  cr_assert(!dn->enabled);
  cr_assert_eq(dn->frames, 0);
  cr_assert_lt(st.voice_activity, 0, "no detector runs while denoise is off");
  uint64_t gated_off = st.voice_gated_packets;
  cr_assert_eq(gated_off, 0);
  double before = rms(rb.pcm + 48000 * 2, 48000 * 2);

  cr_assert_eq(pl_call_set_stage(s->a, "denoise", true), 0);
  pl_sim_run_until(s, PL_SEC(9));
  pl_call_get_stats(s->a, &st);
  dn = send_stage(&st, "denoise");
  cr_assert(dn->enabled);
  cr_assert_gt(dn->frames, 400, "~5 s of 10 ms frames");
  cr_assert_gt(dn->avg_us, 0);
  cr_assert_geq(st.voice_activity, 0);
  cr_assert_lt(st.voice_activity, 0.2, "noise alone is not voice: %f", st.voice_activity);
  cr_assert_gt(st.voice_gated_packets, 100, "the detector's silence reaches the encoder");
  cr_assert_gt(st.dtx_packets_sent, 100);
  double after = rms(rb.pcm + 48000 * 7, 48000 * 2);
  cr_assert_lt(after, before * 0.3, "noise %.4f -> %.4f", before, after);

  cr_assert_eq(pl_call_set_stage(s->a, "denoise", false), 0);
  pl_sim_run_until(s, PL_SEC(10));
  pl_call_get_stats(s->a, &st);
  uint64_t frames = send_stage(&st, "denoise")->frames;
  pl_sim_run_until(s, PL_SEC(11));
  pl_call_get_stats(s->a, &st);
  cr_assert_eq(send_stage(&st, "denoise")->frames, frames, "off means off");
  cr_assert_lt(st.voice_activity, 0);
  pl_sim_free(s);
  free(rb.pcm);
}

/* Transport-wide congestion control feedback (issue 14): every packet
 * carries a transport-wide number, the receiver reports arrivals every
 * 100 ms, and the sender matches each report to what it sent; a 10 %
 * lossy link shows up in the reports as 10 % lost. */
Test(e2e, twcc_feedback_reports_every_packet_and_the_loss_the_link_made) {
  for (int lossy = 0; lossy < 2; lossy++) {
    pl_emu_config net;
    memset(&net, 0, sizeof net);
    net.delay = PL_MS(25);
    if (lossy) {
      net.loss_model = PL_EMU_LOSS_RANDOM;
      net.loss = 0.10;
    }
    events ea = {0}, eb = {0};
    capture ra, rb;
    cap_init(&ra, 11);
    cap_init(&rb, 11);
    pl_sim *s = make_sim(&net, &ea, &eb, &ra, &rb, 440, 1000);
    pl_sim_run_until(s, PL_SEC(10));
    pl_call_stats a, b;
    pl_call_get_stats(s->a, &a);
    pl_call_get_stats(s->b, &b);
    /* ~10 s / 100 ms, less start-up; and the other way round likewise. */
    cr_assert_geq(b.twcc_feedback_sent, 85, "%llu", (unsigned long long)b.twcc_feedback_sent);
    cr_assert_leq(b.twcc_feedback_sent, 105);
    /* One may still be on the way (25 ms). */
    cr_assert_geq(a.twcc_feedback_received + 1, b.twcc_feedback_sent * (lossy ? 8 : 10) / 10, "lossy %d: %llu of %llu", lossy, (unsigned long long)a.twcc_feedback_received, (unsigned long long)b.twcc_feedback_sent);
    cr_assert_eq(a.twcc_feedback_refused, 0);
    /* Reported: all but the last feedback interval's packets; on the lossy
     * link a lost feedback takes its packets' reports with it (TWCC does
     * not repeat itself), about 10 % of them. */
    uint64_t want = lossy ? a.packets_sent * 8 / 10 : a.packets_sent - 15;
    cr_assert_geq(a.twcc_packets_reported, want, "%llu of %llu reported",
                  (unsigned long long)a.twcc_packets_reported,
                  (unsigned long long)a.packets_sent);
    double lost = (double)a.twcc_packets_lost / (double)a.twcc_packets_reported;
    if (lossy)
      cr_assert(lost > 0.07 && lost < 0.13, "%.3f reported lost", lost);
    else
      cr_assert_eq(a.twcc_packets_lost, 0);
    cr_assert_eq(b.twcc_feedback_refused, 0);
    pl_sim_free(s);
    free(ra.pcm);
    free(rb.pcm);
  }
}
