/* Cost of the bandwidth extender (ai/extend) per 10 ms frame at 48 kHz,
 * against the Opus decode of the same audio in the same run (wideband, 12
 * kbit/s, 20 ms packets: the case it exists for): the stream extending
 * wideband audio (analysis, detector, network, synthesis), narrowband,
 * stereo, and auto mode on full-band audio (analysis and detector only,
 * bit-exact pass-through). Best of 3 per row; both kernel paths.
 * Usage: build/bench/bench_extend [seconds-of-audio] (default 20). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ai/extend/extend.h"
#include "ai/nn/nn.h"
#include "audio/opus/opus.h"
#include "audio/siggen/siggen.h"

#define HOP 480

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* us per 10 ms of the stream over pcm (frames of HOP x ch), best of 3. */
static unsigned long long g_steps; /* model steps of the last run, for the row's label */

static double stream_us(const float *pcm, int frames, int ch, pl_extend_mode mode, int fc) {
  float *buf = malloc(sizeof(float) * HOP * (size_t)ch);
  double best = 1e30;
  for (int r = 0; r < 3; r++) {
    pl_extend *e;
    if (pl_extend_new(&e, NULL))
      return -1;
    pl_extend_set_mode(e, mode);
    if (fc)
      pl_extend_set_cutoff(e, fc);
    double t0 = now_s();
    for (int f = 0; f < frames; f++) {
      memcpy(buf, pcm + (size_t)f * HOP * ch, sizeof(float) * HOP * (size_t)ch);
      pl_extend_process(e, buf, HOP, ch);
    }
    double us = (now_s() - t0) * 1e6 / frames;
    best = us < best ? us : best;
    pl_extend_stats st;
    pl_extend_get_stats(e, &st);
    g_steps = (unsigned long long)st.model_steps;
    pl_extend_free(e);
  }
  free(buf);
  return best;
}

static void row(const char *isa, const char *what, double us, double dec_us) {
  printf("| %s | %s | %.2f | %.3f %% | %.2fx |\n", isa, what, us, 100.0 * us / 10000.0, us / dec_us);
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

  /* Opus at 12 kbit/s (libopus picks wideband), decoded: the baseline and
   * the band-limited audio the extender gets. */
  pl_opus_enc_config ec;
  pl_opus_enc_config_default(&ec, 1);
  ec.bitrate = 12000;
  ec.fec = false;
  pl_opus_enc *enc = pl_opus_enc_new(&ec);
  int np = frames / 2;
  uint8_t(*pkt)[PL_OPUS_MAX_PACKET] = malloc(sizeof *pkt * (size_t)np);
  int *len = malloc(sizeof(int) * (size_t)np);
  for (int i = 0; i < np; i++)
    len[i] = pl_opus_enc_encode(enc, pcm + (size_t)i * 960, pkt[i], PL_OPUS_MAX_PACKET);
  pl_opus_enc_free(enc);
  float *wb = calloc((size_t)frames * HOP, sizeof(float));
  float dec[PL_OPUS_MAX_SAMPLES];
  double dec_us = 1e30;
  for (int r = 0; r < 3; r++) {
    pl_opus_dec *d = pl_opus_dec_new(1);
    double t0 = now_s();
    for (int i = 0; i < np; i++) {
      int n = pl_opus_dec_decode(d, pkt[i], (size_t)len[i], dec, PL_OPUS_MAX_SAMPLES);
      if (r == 0 && n == 960)
        memcpy(wb + (size_t)i * 960, dec, sizeof(float) * 960);
    }
    double us = (now_s() - t0) * 1e6 / frames;
    dec_us = us < dec_us ? us : dec_us;
    pl_opus_dec_free(d);
  }
  /* Full band: the test speech plus white noise 30 dB under it. */
  float *fb = malloc(sizeof(float) * (size_t)frames * HOP);
  unsigned s = 1;
  for (size_t i = 0; i < (size_t)frames * HOP; i++) {
    s = s * 1103515245u + 12345u;
    fb[i] = pcm[i] + 0.003f * ((float)(s >> 8) / 8388608.0f - 1.0f);
  }
  float *st = malloc(sizeof(float) * (size_t)frames * HOP * 2);
  for (size_t i = 0; i < (size_t)frames * HOP; i++)
    st[2 * i] = st[2 * i + 1] = wb[i];

  printf("| path | what | us per 10 ms | %% of one core | x Opus decode |\n");
  printf("|---|---|---|---|---|\n");
  printf("| - | Opus decode 12 kbit/s wideband (baseline) | %.2f | %.3f %% | 1.00x |\n", dec_us,
         100.0 * dec_us / 10000.0);
  for (int isa = 1; isa >= 0; isa--) {
    if (pl_nn_isa_set((pl_nn_isa)isa))
      continue;
    const char *name = pl_nn_isa_name((pl_nn_isa)isa);
    row(name, "extend, Opus wideband decode, auto (detected 8 kHz)",
        stream_us(wb, frames, 1, PL_EXTEND_AUTO, 0), dec_us);
    row(name, "extend from 4 kHz (on)", stream_us(wb, frames, 1, PL_EXTEND_ON, 4000), dec_us);
    row(name, "extend, stereo (one band for both)", stream_us(st, frames, 2, PL_EXTEND_ON, 8000),
        dec_us);
    double us = stream_us(fb, frames, 1, PL_EXTEND_AUTO, 0);
    char what[96];
    snprintf(what, sizeof what, "auto on full-band audio (pass-through: %llu model steps)", g_steps);
    row(name, what, us, dec_us);
  }
  free(pcm);
  free(fb);
  free(wb);
  free(st);
  free(pkt);
  free(len);
  return 0;
}
