/* libopus >= 1.5's neural tools through audio/opus and audio/jitter: decoder
 * complexity (deep PLC, LACE/NoLACE), DRED on the encoder, DRED decoding,
 * and the jitter buffer rebuilding a gap from the DRED of the packet after
 * it before any concealer is asked. On a build with the system's 1.3.1 the
 * same tests check that every one of them reports itself unavailable and the
 * buffer conceals as before. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/jitter/jitter.h"
#include "audio/opus/opus.h"
#include "ai/denoise/fft.h"
#include "audio/siggen/siggen.h"
#include "parley.h"

#define SPP 960
#define NP 200 /* 4 s of 20 ms packets */
#define ENV_DRED_MAX 3.0 /* measured 2.00 dB (Opus PLC 6.83, deep PLC 5.57) */

typedef struct enc_stream {
  uint8_t pkt[NP][PL_OPUS_MAX_PACKET];
  int len[NP];
  float pcm[NP * SPP];
} enc_stream;

/* Codes s->pcm (VOIP, 20 ms, no FEC) into s's packets. */
static void encode_pcm(enc_stream *s, int bitrate, int loss_pct, int dred_ms) {
  pl_opus_enc_config ec;
  pl_opus_enc_config_default(&ec, 1);
  ec.bitrate = bitrate;
  ec.fec = false;
  ec.packet_loss_pct = loss_pct;
  ec.dred_ms = dred_ms;
  pl_opus_enc *e = pl_opus_enc_new(&ec);
  cr_assert_not_null(e);
  for (int i = 0; i < NP; i++) {
    s->len[i] = pl_opus_enc_encode(e, s->pcm + i * SPP, s->pkt[i], PL_OPUS_MAX_PACKET);
    cr_assert_gt(s->len[i], 0);
  }
  pl_opus_enc_free(e);
}

/* Speech-like audio, 24 kbit/s VOIP, 20 ms; DRED of dred_ms (0: off). */
static enc_stream *encode(int dred_ms) {
  enc_stream *s = calloc(1, sizeof *s);
  cr_assert_not_null(s);
  pl_siggen_config sc;
  pl_siggen_config_default(&sc, PL_SIG_SPEECH);
  sc.seed = 5;
  pl_siggen g;
  pl_siggen_init(&g, &sc);
  pl_siggen_fill(&g, s->pcm, NP * SPP);
  encode_pcm(s, 24000, 20, dred_ms);
  return s;
}

static double snr_db(const float *ref, const float *x, int n) {
  double s = 0, e = 0;
  for (int i = 0; i < n; i++) {
    s += (double)ref[i] * ref[i];
    e += (double)(ref[i] - x[i]) * (ref[i] - x[i]);
  }
  return 10 * log10((s + 1e-12) / (e + 1e-12));
}

/* Mean distance in dB of the 5 ms energy envelopes (frames where the
 * reference is above -50 dBFS): what a vocoder keeps of a waveform. */
static double env_err_db(const float *ref, const float *x, int n) {
  double sum = 0;
  int frames = 0;
  for (int i = 0; i + 240 <= n; i += 240) {
    double er = 0, ex = 0;
    for (int j = i; j < i + 240; j++) {
      er += (double)ref[j] * ref[j];
      ex += (double)x[j] * x[j];
    }
    if (er / 240 < 1e-5)
      continue;
    sum += fabs(10 * log10((er + 1e-9) / (ex + 1e-9)));
    frames++;
  }
  return frames ? sum / frames : 0;
}

Test(opus_neural, every_tool_reports_whether_this_build_has_it) {
  pl_opus_dec *d = pl_opus_dec_new(1);
  cr_assert_not_null(d);
  cr_expect_eq(pl_opus_dec_complexity(d), 0, "libopus's default: classic decoding");
  cr_expect_eq(pl_opus_dec_set_complexity(d, 11), PL_EINVAL);
  cr_expect_eq(pl_opus_dec_set_complexity(d, 0), 0);
  pl_opus_enc_config ec;
  pl_opus_enc_config_default(&ec, 1);
  ec.dred_ms = 100;
  pl_opus_enc *e = pl_opus_enc_new(&ec);
  pl_opus_dred *r = pl_opus_dred_new();
  cr_log_info("libopus: %s, neural tools: %d", pl_opus_version(), pl_opus_neural());
  if (pl_opus_neural()) {
    cr_expect_eq(pl_opus_dec_set_complexity(d, PL_OPUS_DEC_COMPLEXITY_NOLACE), 0);
    cr_expect_eq(pl_opus_dec_complexity(d), 7);
    cr_assert_not_null(e, "an encoder with DRED");
    cr_expect_eq(pl_opus_enc_dred_ms(e), 100);
    cr_expect_eq(pl_opus_enc_set_dred(e, 0), 0);
    cr_expect_eq(pl_opus_enc_set_dred(e, PL_OPUS_DRED_MAX_MS + 1), PL_EINVAL);
    cr_expect_not_null(r);
    cr_expect_eq(pl_opus_dred_ms_for_loss(0.0), 0, "no DRED bits on a clean link");
    cr_expect_eq(pl_opus_dred_ms_for_loss(0.02), 0, "too dear for what it gives under 5 %");
    cr_expect_eq(pl_opus_dred_ms_for_loss(0.2), 100);
    cr_expect(strstr(pl_opus_version(), "1.5") || strstr(pl_opus_version(), "1.6"));
  } else {
    cr_expect_eq(pl_opus_dec_set_complexity(d, PL_OPUS_DEC_COMPLEXITY_PLC), PL_ENOTSUP);
    cr_expect_null(e, "DRED asked of a libopus without it");
    cr_expect_null(r);
    cr_expect_eq(pl_opus_dred_ms_for_loss(0.2), 0);
    pl_opus_enc_config_default(&ec, 1);
    e = pl_opus_enc_new(&ec);
    cr_assert_not_null(e);
    cr_expect_eq(pl_opus_enc_set_dred(e, 100), PL_ENOTSUP);
    cr_expect_eq(pl_opus_enc_set_dred(e, 0), 0);
  }
  pl_opus_dred_free(r);
  pl_opus_enc_free(e);
  pl_opus_dec_free(d);
}

/* Packets k..k+2 are lost; packet k+3 carries 200 ms of DRED. Rebuilt from
 * it, the lost 60 ms follow the loss-free decode's energy envelope much more
 * closely than classic or deep PLC (which can only extrapolate). Waveform
 * SNR is near 0 dB for all three (a vocoder does not keep the phase). */
Test(opus_neural, dred_in_the_next_packet_rebuilds_three_lost_packets) {
  if (!pl_opus_neural())
    cr_skip_test("libopus < 1.5: no DRED");
  enc_stream *s = encode(200), *plain = encode(0);
  pl_opus_dred *r = pl_opus_dred_new();
  cr_assert_not_null(r);
  cr_expect_eq(pl_opus_dred_parse(r, plain->pkt[60], (size_t)plain->len[60]), 0,
               "a packet without DRED");
  double snr_dred = 0, snr_plc = 0, snr_deep = 0, env_dred = 0, env_plc = 0, env_deep = 0;
  int trials = 0;
  static float ref[3 * SPP], got[3 * SPP], plc[3 * SPP], deep[3 * SPP], tmp[PL_OPUS_MAX_SAMPLES];
  for (int k = 40; k + 4 < NP; k += 20, trials++) {
    pl_opus_dec *a = pl_opus_dec_new(1), *b = pl_opus_dec_new(1), *c = pl_opus_dec_new(1),
                *dd = pl_opus_dec_new(1);
    cr_assert_eq(pl_opus_dec_set_complexity(dd, PL_OPUS_DEC_COMPLEXITY_PLC), 0);
    for (int i = 0; i < k; i++) {
      cr_assert_eq(pl_opus_dec_decode(a, s->pkt[i], (size_t)s->len[i], tmp, SPP), SPP);
      pl_opus_dec_decode(b, s->pkt[i], (size_t)s->len[i], tmp, SPP);
      pl_opus_dec_decode(c, s->pkt[i], (size_t)s->len[i], tmp, SPP);
      pl_opus_dec_decode(dd, s->pkt[i], (size_t)s->len[i], tmp, SPP);
    }
    for (int j = 0; j < 3; j++)
      pl_opus_dec_decode(a, s->pkt[k + j], (size_t)s->len[k + j], ref + j * SPP, SPP);
    int cover = pl_opus_dred_parse(r, s->pkt[k + 3], (size_t)s->len[k + 3]);
    cr_assert_geq(cover, 3 * SPP, "DRED of packet %d reaches back %d samples", k + 3, cover);
    for (int j = 0; j < 3; j++) {
      cr_assert_eq(pl_opus_dec_dred(b, r, (3 - j) * SPP, got + j * SPP, SPP), SPP);
      cr_assert_eq(pl_opus_dec_plc(c, plc + j * SPP, SPP), SPP);
      cr_assert_eq(pl_opus_dec_plc(dd, deep + j * SPP, SPP), SPP);
    }
    snr_dred += snr_db(ref, got, 3 * SPP);
    snr_plc += snr_db(ref, plc, 3 * SPP);
    snr_deep += snr_db(ref, deep, 3 * SPP);
    env_dred += env_err_db(ref, got, 3 * SPP);
    env_plc += env_err_db(ref, plc, 3 * SPP);
    env_deep += env_err_db(ref, deep, 3 * SPP);
    pl_opus_dec_free(a);
    pl_opus_dec_free(b);
    pl_opus_dec_free(c);
    pl_opus_dec_free(dd);
  }
  snr_dred /= trials;
  snr_plc /= trials;
  snr_deep /= trials;
  env_dred /= trials;
  env_plc /= trials;
  env_deep /= trials;
  cr_log_info("60 ms lost, vs the loss-free decode: SNR DRED %.2f dB, Opus PLC %.2f dB, deep "
              "PLC %.2f dB; envelope error %.2f / %.2f / %.2f dB (%d trials)", snr_dred, snr_plc,
              snr_deep, env_dred, env_plc, env_deep, trials);
  cr_expect_lt(env_dred, ENV_DRED_MAX);
  cr_expect_lt(env_dred * 2, env_plc);
  cr_expect_lt(env_dred * 2, env_deep);
  pl_opus_dred_free(r);
  free(s);
  free(plain);
}

/* ---- the jitter buffer ---- */

typedef struct hook {
  int conceal_calls, bridge_calls;
  long observed;
} hook;

static int h_conceal(void *self, float *out, int samples, int channels, int nth) {
  (void)nth;
  ((hook *)self)->conceal_calls++;
  memset(out, 0, sizeof(float) * (size_t)(samples * channels));
  return 0;
}

static void h_observe(void *self, const float *pcm, int samples, int channels) {
  (void)pcm;
  (void)channels;
  ((hook *)self)->observed += samples;
}

static int h_bridge(void *self, float *out, int samples, const float *next, int next_samples,
                    int channels) {
  (void)next;
  (void)next_samples;
  ((hook *)self)->bridge_calls++;
  memset(out, 0, sizeof(float) * (size_t)(samples * channels));
  return 0;
}

static const pl_concealer_ops hook_ops = {
    .conceal = h_conceal, .observe = h_observe, .bridge = h_bridge};

/* Plays s through a buffer held at 40 ms; packets with lost[i] never come. */
static void play(const enc_stream *s, const bool *lost, bool use_dred, hook *h,
                 pl_jitter_stats *st) {
  pl_jitter_config jc;
  pl_jitter_config_default(&jc);
  jc.min_delay_ms = 40;
  jc.initial_delay_ms = 0;
  jc.use_fec = false;
  jc.use_dred = use_dred;
  pl_jitter *jb = pl_jitter_new(&jc);
  cr_assert_not_null(jb);
  pl_jitter_set_concealer(jb, &hook_ops, h);
  int next = 0;
  for (int k = 0; k < NP * 2 + 20; k++) {
    pl_time_us now = PL_SEC(1) + k * PL_MS(10) + PL_MS(3);
    for (; next < NP && PL_SEC(1) + next * PL_MS(20) + PL_MS(20) <= now; next++)
      if (!lost[next])
        pl_jitter_push(jb, PL_SEC(1) + next * PL_MS(20) + PL_MS(20), (uint16_t)next,
                       (uint32_t)(next * SPP), s->pkt[next], (size_t)s->len[next]);
    pl_audio_frame f;
    pl_jitter_pull(jb, now, &f);
  }
  pl_jitter_get_stats(jb, st);
  pl_jitter_free(jb);
}

static int lose(bool *lost, int every, int burst) {
  int n = 0;
  memset(lost, 0, NP);
  for (int i = 10; i < NP - 10; i++)
    if (i % every < burst) {
      lost[i] = true;
      n++;
    }
  return n;
}

/* Single losses: the packet after each is here in time (40 ms buffer), so
 * DRED rebuilds every lost sample and the concealer is never asked. */
Test(opus_neural, jitter_buffer_rebuilds_single_losses_from_dred_before_any_concealer) {
  enc_stream *s = pl_opus_neural() ? encode(200) : encode(0);
  bool lost[NP];
  int nlost = lose(lost, 7, 1);
  hook h = {0}, h_off = {0};
  pl_jitter_stats st, st_off;
  play(s, lost, true, &h, &st);
  play(s, lost, false, &h_off, &st_off);
  cr_log_info("%d single losses; DRED on: rebuilt %llu samples, concealed %llu, hook calls "
              "%d+%d; off: concealed %llu, hook calls %d+%d", nlost,
              (unsigned long long)st.dred_recovered_samples,
              (unsigned long long)st.concealed_samples, h.conceal_calls, h.bridge_calls,
              (unsigned long long)st_off.concealed_samples, h_off.conceal_calls,
              h_off.bridge_calls);
  /* Without DRED every gap goes to the concealer (bridged at 40 ms). */
  cr_expect_eq(st_off.dred_recovered_samples, 0);
  cr_expect_geq(st_off.concealed_samples, (uint64_t)nlost * SPP);
  cr_expect_eq(h_off.bridge_calls, nlost);
  /* After the stream's last packet the buffer conceals on (both runs). */
  uint64_t tail = st_off.concealed_samples - (uint64_t)nlost * SPP;
  if (pl_opus_neural()) {
    cr_expect_eq(st.dred_recovered_samples, (uint64_t)nlost * SPP);
    cr_expect_eq(h.bridge_calls, 0);
    cr_expect_eq(h.conceal_calls, h_off.conceal_calls, "only the tail");
    cr_expect_eq(st.concealed_samples, tail);
    cr_expect_eq(st.jitter_buffer_emitted_count, st.total_samples_received - tail);
    /* The rebuilt audio is the concealer's history too (what is unplayed at
     * the end, or removed by accelerate, is observed but not emitted). */
    cr_expect_geq((uint64_t)h.observed, st.jitter_buffer_emitted_count);
    cr_expect_leq((uint64_t)h.observed,
                  st.jitter_buffer_emitted_count + st.removed_samples_for_acceleration + 2 * SPP);
  } else {
    /* 1.3.1: the switch does nothing; concealment as before. */
    cr_expect_eq(st.dred_recovered_samples, 0);
    cr_expect_eq(st.concealed_samples, st_off.concealed_samples);
    cr_expect_eq(h.bridge_calls, h_off.bridge_calls);
  }
  free(s);
}

/* Bursts of 3 (60 ms): the 40 ms buffer must play the start of the gap
 * before the packet after it arrives, so the concealer fills that start and
 * DRED the rest, from where the packet came: less is concealed than without. */
Test(opus_neural, jitter_buffer_conceals_only_what_comes_before_the_dred_packet) {
  if (!pl_opus_neural())
    cr_skip_test("libopus < 1.5: no DRED");
  enc_stream *s = encode(200);
  bool lost[NP];
  int nlost = lose(lost, 25, 3), bursts = nlost / 3;
  hook h = {0}, h_off = {0};
  pl_jitter_stats st, st_off;
  play(s, lost, true, &h, &st);
  play(s, lost, false, &h_off, &st_off);
  cr_log_info("%d bursts of 3; DRED on: rebuilt %llu samples, concealed %llu, hook calls "
              "%d+%d; off: concealed %llu, hook calls %d+%d", bursts,
              (unsigned long long)st.dred_recovered_samples,
              (unsigned long long)st.concealed_samples, h.conceal_calls, h.bridge_calls,
              (unsigned long long)st_off.concealed_samples, h_off.conceal_calls,
              h_off.bridge_calls);
  cr_expect_eq(h.bridge_calls, 0, "a concealer cannot bridge into audio DRED rebuilds");
  cr_expect_gt(h.conceal_calls, 0);
  cr_expect_geq(st.dred_recovered_samples, (uint64_t)bursts * SPP);
  uint64_t tail = st_off.concealed_samples - (uint64_t)nlost * SPP; /* after the stream */
  cr_expect_eq(st.dred_recovered_samples + st.concealed_samples - tail, (uint64_t)nlost * SPP);
  cr_expect_lt(st.concealed_samples, st_off.concealed_samples);
  free(s);
}

/* Energy of the band [lo, hi) Hz in dB: 20 ms Hann-windowed frames at
 * 48 kHz, summed power of the bins in the band. */
static double band_db(const float *x, int n, double lo, double hi) {
  pl_dn_fft *f = pl_dn_fft_new(SPP);
  cr_assert_not_null(f);
  float w[SPP];
  pl_dn_cpx X[SPP / 2 + 1];
  double e = 0;
  for (int i = 0; i + SPP <= n; i += SPP) {
    for (int j = 0; j < SPP; j++)
      w[j] = x[i + j] * (float)(0.5 - 0.5 * cos(2 * M_PI * j / SPP));
    pl_dn_fft_forward(f, w, X);
    for (int k = 0; k <= SPP / 2; k++) {
      double hz = k * 48000.0 / SPP;
      if (hz >= lo && hz < hi)
        e += (double)X[k].r * X[k].r + (double)X[k].i * X[k].i;
    }
  }
  pl_dn_fft_free(f);
  return 10 * log10(e + 1e-20);
}

/* Decodes NP packets of `s` at 48 kHz with the BWE on or off. */
static void decode_all(const enc_stream *s, bool bwe, float *out) {
  pl_opus_dec *d = pl_opus_dec_new(1);
  cr_assert_not_null(d);
  cr_assert_eq(pl_opus_dec_set_complexity(d, PL_OPUS_DEC_COMPLEXITY_NOLACE), 0);
  cr_assert_eq(pl_opus_dec_set_bwe(d, bwe), 0);
  cr_assert_eq(pl_opus_dec_bwe(d), bwe);
  for (int i = 0; i < NP; i++)
    cr_assert_eq(pl_opus_dec_decode(d, s->pkt[i], (size_t)s->len[i], out + i * SPP, SPP), SPP);
  pl_opus_dec_free(d);
}

/* A voiced buzz with a full-band spectrum (a sawtooth's 1/k harmonics:
 * the synthetic speech of audio/siggen has almost nothing above 8 kHz, so
 * it cannot show a band being restored): f0 gliding 110-180 Hz, 4 Hz
 * syllables. */
static enc_stream *encode_at(int bitrate) {
  enc_stream *s = calloc(1, sizeof *s);
  cr_assert_not_null(s);
  double ph = 0;
  for (int i = 0; i < NP * SPP; i++) {
    double t = i / 48000.0, f0 = 145 + 35 * sin(2 * M_PI * 0.7 * t);
    ph += f0 / 48000.0;
    ph -= floor(ph);
    double env = 0.5 + 0.5 * sin(2 * M_PI * 4 * t);
    s->pcm[i] = (float)(0.25 * env * (2 * ph - 1));
  }
  encode_pcm(s, bitrate, 10, 0);
  return s;
}

/* libopus 1.6's bandwidth extension: at 12 kbit/s Opus codes wideband SILK
 * (nothing above 8 kHz); with the extension the decoder puts back a high
 * band at a plausible level while the band Opus coded keeps its level, and
 * at 64 kbit/s (full-band CELT/hybrid) it changes nothing, bit for bit.
 * Without 1.6 the switch reports itself unavailable. */
Test(opus_neural, bandwidth_extension_restores_a_high_band_only_where_opus_cut_it) {
  pl_opus_dec *d = pl_opus_dec_new(1);
  cr_assert_not_null(d);
  cr_expect_eq(pl_opus_dec_set_bwe(NULL, true), PL_EINVAL);
  cr_expect_eq(pl_opus_dec_set_bwe(d, false), 0, "off is always accepted");
  if (!pl_opus_bwe_available()) {
    cr_expect_eq(pl_opus_dec_set_bwe(d, true), PL_ENOTSUP);
    cr_expect_not(pl_opus_dec_bwe(d));
    pl_opus_dec_free(d);
    return;
  }
  pl_opus_dec_free(d);
  enc_stream *wb = encode_at(12000);
  float *off = malloc(sizeof(float) * NP * SPP), *on = malloc(sizeof(float) * NP * SPP);
  cr_assert(off && on);
  decode_all(wb, false, off);
  decode_all(wb, true, on);
  /* Skip the first 200 ms (encoder start-up, BWE warm-up). */
  const int k = 10 * SPP, n = NP * SPP - k;
  double src_hi = band_db(wb->pcm + k, n, 11000, 16000), off_hi = band_db(off + k, n, 11000, 16000);
  double on_hi = band_db(on + k, n, 11000, 16000);
  double lo_off = band_db(off + k, n, 0, 7000), lo_on = band_db(on + k, n, 0, 7000);
  cr_log_info("12 kbit/s, 11-16 kHz: source %.1f dB, decoded %.1f dB, with BWE %.1f dB; "
              "0-7 kHz %.2f / %.2f dB", src_hi, off_hi, on_hi, lo_off, lo_on);
  cr_expect_lt(off_hi, src_hi - 40, "wideband SILK has no high band");
  cr_expect_gt(on_hi, off_hi + 30, "the extension puts one back");
  cr_expect_lt(on_hi, src_hi + 6, "at no more than the source's level");
  cr_expect_lt(fabs(lo_on - lo_off), 0.5, "the coded band keeps its level");
  free(wb);
  enc_stream *fb = encode_at(64000);
  decode_all(fb, false, off);
  decode_all(fb, true, on);
  cr_expect_eq(memcmp(off, on, sizeof(float) * NP * SPP), 0,
               "full-band packets decode bit for bit the same");
  free(fb);
  free(off);
  free(on);
}
