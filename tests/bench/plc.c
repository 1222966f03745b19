/* Cost of the neural concealer (ai/plc) per 10 ms frame at 48 kHz, against
 * the Opus decode of the same audio in the same run: observe() alone (what
 * a loss-free call pays), the first concealed frame of a run (model warm-up
 * on 160 ms of history + analysis), later frames of a run, a gap bridged
 * into the packet after it, and whole calls at 20 % random and bursty loss. Best of 3 per row; both kernel paths.
 * With libopus >= 1.5, Opus's own tools the same way: decoding at decoder
 * complexity 5 (deep PLC armed), 6 (LACE) and 7 (NoLACE), and whole calls
 * concealed by classic or deep PLC, or rebuilt from DRED.
 * Usage: build/bench/bench_plc [seconds-of-audio] (default 20). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/nn/nn.h"
#include "ai/plc/plc.h"
#include "audio/opus/opus.h"
#include "audio/siggen/siggen.h"
#include "base/rng.h"

#define HOP 480

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void row(const char *isa, const char *what, double us, double dec_us) {
  printf("| %s | %s | %.2f | %.3f %% | %.2fx |\n", isa, what, us, 100.0 * us / 10000.0,
         us / dec_us);
}

/* Concealer time over a whole stream with 20 ms packets lost by mask.
 * bridge: the last lost packet of each run is bridged into the packet
 * after it (as the jitter buffer does when that packet is here). */
static double stream_us(const float *pcm, int frames, const bool *lost, bool bridge) {
  pl_plc *p = pl_plc_new(NULL);
  float out[2 * HOP];
  double t0 = now_s();
  for (int f = 0; f < frames; f++) {
    int k = f / 2;
    if (bridge && lost[k] && f % 2 == 0 && f + 4 <= frames && !lost[k + 1]) {
      pl_plc_bridge(p, out, 2 * HOP, pcm + (size_t)(f + 2) * HOP, 2 * HOP, 1);
      f++;
    } else if (lost[k])
      pl_plc_conceal(p, out, HOP, 1, 1);
    else
      pl_plc_observe(p, pcm + (size_t)f * HOP, HOP, 1);
  }
  double us = (now_s() - t0) * 1e6 / frames;
  pl_plc_free(p);
  return us;
}

/* Opus alone over a stream with 20 ms packets lost by mask, at a decoder
 * complexity: decode + concealment per 10 ms of call. dred: each gap is
 * rebuilt from the DRED of the packet after it (parse + decode). */
static double opus_call_us(uint8_t (*pkt)[PL_OPUS_MAX_PACKET], const int *len, int np,
                           const bool *lost, int complexity, bool dred) {
  pl_opus_dec *d = pl_opus_dec_new(1);
  pl_opus_dred *r = dred ? pl_opus_dred_new() : NULL;
  pl_opus_dec_set_complexity(d, complexity);
  float out[PL_OPUS_MAX_SAMPLES];
  double t0 = now_s();
  for (int i = 0; i < np; i++) {
    if (!lost[i]) {
      pl_opus_dec_decode(d, pkt[i], (size_t)len[i], out, PL_OPUS_MAX_SAMPLES);
      continue;
    }
    int run = 0;
    while (i + run < np && lost[i + run])
      run++;
    int cover = r && i + run < np ? pl_opus_dred_parse(r, pkt[i + run], (size_t)len[i + run]) : 0;
    for (int k = 0; k < run; k++) {
      int off = (run - k) * 960;
      if (cover >= off)
        pl_opus_dec_dred(d, r, off, out, 960);
      else
        pl_opus_dec_plc(d, out, 960);
    }
    i += run - 1;
  }
  double us = (now_s() - t0) * 1e6 / (np * 2);
  pl_opus_dred_free(r);
  pl_opus_dec_free(d);
  return us;
}

/* Opus decode of a whole stream at complexity 7 (NoLACE), with libopus
 * 1.6's bandwidth extension on or off, per 10 ms; best of 3. */
static double bwe_us(uint8_t (*pkt)[PL_OPUS_MAX_PACKET], const int *len, int np, bool bwe) {
  double best = 1e30;
  float out[PL_OPUS_MAX_SAMPLES];
  for (int r = 0; r < 3; r++) {
    pl_opus_dec *d = pl_opus_dec_new(1);
    pl_opus_dec_set_complexity(d, PL_OPUS_DEC_COMPLEXITY_NOLACE);
    pl_opus_dec_set_bwe(d, bwe);
    double t0 = now_s();
    for (int i = 0; i < np; i++)
      pl_opus_dec_decode(d, pkt[i], (size_t)len[i], out, PL_OPUS_MAX_SAMPLES);
    double us = (now_s() - t0) * 1e6 / (np * 2);
    best = us < best ? us : best;
    pl_opus_dec_free(d);
  }
  return best;
}

static double best3_opus(uint8_t (*pkt)[PL_OPUS_MAX_PACKET], const int *len, int np,
                         const bool *lost, int complexity, bool dred) {
  double best = 1e30;
  for (int r = 0; r < 3; r++) {
    double us = opus_call_us(pkt, len, np, lost, complexity, dred);
    best = us < best ? us : best;
  }
  return best;
}

int main(int argc, char **argv) {
  int secs = argc > 1 ? atoi(argv[1]) : 20;
  if (secs < 2)
    secs = 2;
  int frames = secs * 100;
  pl_siggen_config sc;
  pl_siggen_config_default(&sc, PL_SIG_SPEECH);
  pl_siggen g;
  pl_siggen_init(&g, &sc);
  float *pcm = malloc(sizeof(float) * (size_t)frames * HOP);
  pl_siggen_fill(&g, pcm, frames * HOP);

  /* Baseline: Opus decode at 24 kbit/s, 20 ms packets, per 10 ms. */
  pl_opus_enc_config ec;
  pl_opus_enc_config_default(&ec, 1);
  ec.bitrate = 24000;
  ec.fec = false;
  pl_opus_enc *e = pl_opus_enc_new(&ec);
  int np = frames / 2;
  uint8_t(*pkt)[PL_OPUS_MAX_PACKET] = malloc(sizeof *pkt * (size_t)np);
  int *len = malloc(sizeof(int) * (size_t)np);
  for (int i = 0; i < np; i++)
    len[i] = pl_opus_enc_encode(e, pcm + (size_t)i * 960, pkt[i], PL_OPUS_MAX_PACKET);
  pl_opus_enc_free(e);
  float dec[PL_OPUS_MAX_SAMPLES];
  double dec_us = 1e30;
  for (int r = 0; r < 3; r++) {
    pl_opus_dec *d = pl_opus_dec_new(1);
    double t0 = now_s();
    for (int i = 0; i < np; i++)
      pl_opus_dec_decode(d, pkt[i], (size_t)len[i], dec, PL_OPUS_MAX_SAMPLES);
    double us = (now_s() - t0) * 1e6 / frames;
    dec_us = us < dec_us ? us : dec_us;
    pl_opus_dec_free(d);
  }

  bool *rnd = calloc((size_t)np, 1), *bur = calloc((size_t)np, 1);
  pl_rng rng;
  pl_rng_seed(&rng, 1);
  for (int i = 0; i < np; i++)
    rnd[i] = pl_rng_uniform(&rng) < 0.2;
  bool bad = false; /* Gilbert-Elliott, 20 %, mean burst 5 packets */
  for (int i = 0; i < np; i++) {
    bur[i] = bad;
    bad = bad ? pl_rng_uniform(&rng) >= 0.2 : pl_rng_uniform(&rng) < 0.05;
  }

  printf("| path | what | us per 10 ms | %% of one core | x Opus decode |\n");
  printf("|---|---|---|---|---|\n");
  printf("| - | Opus decode 24 kbit/s (baseline) | %.2f | %.3f %% | 1.00x |\n", dec_us,
         100.0 * dec_us / 10000.0);
  for (int isa = 1; isa >= 0; isa--) {
    if (pl_nn_isa_set((pl_nn_isa)isa))
      continue;
    const char *name = pl_nn_isa_name((pl_nn_isa)isa);
    double obs = 1e30, first = 1e30, later = 1e30, sr = 1e30, sb = 1e30, br = 1e30, srb = 1e30;
    for (int r = 0; r < 3; r++) {
      pl_plc *p = pl_plc_new(NULL);
      double t0 = now_s();
      for (int f = 0; f < frames; f++)
        pl_plc_observe(p, pcm + (size_t)f * HOP, HOP, 1);
      double us = (now_s() - t0) * 1e6 / frames;
      obs = us < obs ? us : obs;
      /* Runs of 10 frames every 50 frames of audio. */
      float out[HOP];
      double tf = 0, tl = 0;
      int nf = 0, nl = 0;
      for (int f = 50; f + 10 <= frames; f += 50) {
        for (int k = 0; k < 40; k++)
          pl_plc_observe(p, pcm + (size_t)(f - 40 + k) * HOP, HOP, 1);
        for (int k = 0; k < 10; k++) {
          double t1 = now_s();
          pl_plc_conceal(p, out, HOP, 1, k + 1);
          double dt = now_s() - t1;
          if (k == 0) {
            tf += dt;
            nf++;
          } else {
            tl += dt;
            nl++;
          }
        }
      }
      /* A 20 ms gap bridged into the packet after it, every 50 frames. */
      double tb = 0;
      int nb = 0;
      for (int f = 50; f + 4 <= frames; f += 50) {
        for (int k = 0; k < 40; k++)
          pl_plc_observe(p, pcm + (size_t)(f - 40 + k) * HOP, HOP, 1);
        float gap[2 * HOP];
        double t1 = now_s();
        pl_plc_bridge(p, gap, 2 * HOP, pcm + (size_t)(f + 2) * HOP, 2 * HOP, 1);
        tb += now_s() - t1;
        nb += 2;
      }
      br = tb * 1e6 / nb < br ? tb * 1e6 / nb : br;
      first = tf * 1e6 / nf < first ? tf * 1e6 / nf : first;
      later = tl * 1e6 / nl < later ? tl * 1e6 / nl : later;
      pl_plc_free(p);
      us = stream_us(pcm, frames, rnd, false);
      sr = us < sr ? us : sr;
      us = stream_us(pcm, frames, bur, false);
      sb = us < sb ? us : sb;
      us = stream_us(pcm, frames, rnd, true);
      srb = us < srb ? us : srb;
    }
    row(name, "observe only (no loss)", obs, dec_us);
    row(name, "first concealed frame of a run (warm-up + analysis + synthesis)", first, dec_us);
    row(name, "each later concealed frame", later, dec_us);
    row(name, "a 20 ms gap bridged into the next packet (per 10 ms of gap)", br, dec_us);
    row(name, "whole call, 20 % random loss (per 10 ms of call)", sr, dec_us);
    row(name, "the same, each run's last packet bridged (per 10 ms of call)", srb, dec_us);
    row(name, "whole call, 20 % bursty loss, mean burst 5 (per 10 ms of call)", sb, dec_us);
  }
  if (pl_opus_neural()) {
    /* DRED stream: 100 ms of history, sized for 20 % loss (as a call sets it). */
    ec.dred_ms = 100;
    ec.packet_loss_pct = 20;
    e = pl_opus_enc_new(&ec);
    uint8_t(*dpkt)[PL_OPUS_MAX_PACKET] = malloc(sizeof *dpkt * (size_t)np);
    int *dlen = malloc(sizeof(int) * (size_t)np);
    for (int i = 0; i < np; i++)
      dlen[i] = pl_opus_enc_encode(e, pcm + (size_t)i * 960, dpkt[i], PL_OPUS_MAX_PACKET);
    pl_opus_enc_free(e);
    bool *none = calloc((size_t)np, 1);
    static const char *what[] = {"classic", "", "", "", "", "deep PLC", "LACE + deep PLC",
                                 "NoLACE + deep PLC"};
    for (int c = 5; c <= 7; c++) {
      char label[96];
      snprintf(label, sizeof label, "Opus decode, decoder complexity %d (%s), no loss", c, what[c]);
      row(pl_opus_version(), label, best3_opus(pkt, len, np, none, c, false), dec_us);
    }
    const struct { const char *name; const bool *mask; } conds[] = {{"20 % random", rnd},
                                                                    {"20 % bursty", bur}};
    for (int k = 0; k < 2; k++) {
      char label[128];
      snprintf(label, sizeof label, "whole call, %s: Opus decode + classic PLC", conds[k].name);
      row(pl_opus_version(), label, best3_opus(pkt, len, np, conds[k].mask, 0, false), dec_us);
      snprintf(label, sizeof label, "the same, deep PLC (complexity 5)");
      row(pl_opus_version(), label, best3_opus(pkt, len, np, conds[k].mask, 5, false), dec_us);
      snprintf(label, sizeof label, "the same, NoLACE + deep PLC (complexity 7)");
      row(pl_opus_version(), label, best3_opus(pkt, len, np, conds[k].mask, 7, false), dec_us);
      snprintf(label, sizeof label, "the same, DRED 100 ms rebuilding gaps (complexity 5)");
      row(pl_opus_version(), label, best3_opus(dpkt, dlen, np, conds[k].mask, 5, true), dec_us);
    }
    free(none);
    if (pl_opus_bwe_available()) {
      /* 12 kbit/s: Opus codes wideband SILK, where the extension runs. */
      ec.dred_ms = 0;
      ec.bitrate = 12000;
      e = pl_opus_enc_new(&ec);
      for (int i = 0; i < np; i++)
        dlen[i] = pl_opus_enc_encode(e, pcm + (size_t)i * 960, dpkt[i], PL_OPUS_MAX_PACKET);
      pl_opus_enc_free(e);
      row(pl_opus_version(), "12 kbit/s (wideband SILK): Opus decode, NoLACE (complexity 7), no loss",
          bwe_us(dpkt, dlen, np, false), dec_us);
      row(pl_opus_version(), "the same + bandwidth extension (OSCE BWE) to full band",
          bwe_us(dpkt, dlen, np, true), dec_us);
    }
    free(dpkt);
    free(dlen);
  }
  printf("\n`build/bench/bench_plc %d`\n", secs);
  free(pcm);
  free(pkt);
  free(len);
  free(rnd);
  free(bur);
  return 0;
}
