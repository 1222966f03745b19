/* Cost of the noise suppressor per 10 ms frame at 48 kHz mono, as % of one
 * core (10 ms of CPU per 10 ms of audio = 100 %), on the scalar and AVX2
 * paths, split into signal processing (analysis + pitch + synthesis) and
 * network; the Speex preprocessor (denoise only, 480-sample frames at
 * 48 kHz) is the baseline in the same run. Prints Markdown rows.
 *   build/bench/bench_denoise [--quick]
 * One thread, CPU time of the thread; input: a speech-like signal in pink
 * noise at 5 dB SNR, 20 s; best of 5 passes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <speex/speex_preprocess.h>

#include "ai/denoise/denoise.h"
#include "ai/denoise/dsp.h"
#include "ai/nn/nn.h"
#include "audio/siggen/siggen.h"

#define FRAME PL_DENOISE_FRAME

static double cpu_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *input(size_t n) {
  pl_siggen g;
  pl_siggen_config c;
  pl_siggen_config_default(&c, PL_SIG_SPEECH);
  c.amplitude = 0.3;
  float *s = malloc(sizeof(float) * n), *w = malloc(sizeof(float) * n);
  pl_siggen_init(&g, &c);
  pl_siggen_fill(&g, s, (int)n);
  pl_siggen_config_default(&c, PL_SIG_PINK);
  c.amplitude = 0.3 * pow(10, -5 / 20.0) / 2;
  pl_siggen_init(&g, &c);
  pl_siggen_fill(&g, w, (int)n);
  for (size_t i = 0; i < n; i++)
    s[i] += w[i];
  free(w);
  return s;
}

typedef struct pass {
  double full, dsp, net, speex; /* seconds per frame */
} pass;

static void one_pass(const float *x, size_t frames, pass *p) {
  float out[FRAME];
  pl_denoise *d;
  if (pl_denoise_new(&d, NULL)) {
    fprintf(stderr, "bench_denoise: no model\n");
    exit(1);
  }
  double t0 = cpu_s();
  for (size_t t = 0; t < frames; t++)
    pl_denoise_process(d, x + t * FRAME, out);
  p->full = (cpu_s() - t0) / (double)frames;
  pl_denoise_free(d);

  /* The signal processing alone, with the gains of a constant network. */
  static pl_dn_dsp dsp;
  pl_dn_dsp_init(&dsp);
  float feat[PL_DN_NFEAT], g[PL_DN_BANDS], c[PL_DN_BANDS];
  for (int b = 0; b < PL_DN_BANDS; b++) {
    g[b] = 0.5f;
    c[b] = 0.2f;
  }
  t0 = cpu_s();
  for (size_t t = 0; t < frames; t++) {
    pl_dn_dsp_analyze(&dsp, x + t * FRAME, feat);
    pl_dn_dsp_synthesize(&dsp, g, c, out);
  }
  p->dsp = (cpu_s() - t0) / (double)frames;
  pl_dn_dsp_free(&dsp);

  /* The network alone on features of the same input. */
  const pl_denoise_model *m;
  pl_denoise_model_builtin(&m);
  pl_nn_seq_state st;
  pl_nn_seq_state_init(&st, pl_denoise_model_net(m));
  float y[PL_DN_NOUT];
  t0 = cpu_s();
  for (size_t t = 0; t < frames; t++) {
    feat[t % PL_DN_NFEAT] += 1e-3f; /* vary the input a little */
    pl_nn_seq_step(&st, feat, y);
  }
  p->net = (cpu_s() - t0) / (double)frames;
  pl_nn_seq_state_free(&st);

  SpeexPreprocessState *sp = speex_preprocess_state_init(FRAME, 48000);
  int on = 1, off = 0;
  speex_preprocess_ctl(sp, SPEEX_PREPROCESS_SET_DENOISE, &on);
  speex_preprocess_ctl(sp, SPEEX_PREPROCESS_SET_AGC, &off);
  spx_int16_t buf[FRAME];
  t0 = cpu_s();
  for (size_t t = 0; t < frames; t++) {
    for (int i = 0; i < FRAME; i++)
      buf[i] = (spx_int16_t)lrintf(x[t * FRAME + i] * 32000.0f);
    speex_preprocess_run(sp, buf);
  }
  p->speex = (cpu_s() - t0) / (double)frames;
  speex_preprocess_state_destroy(sp);
}

int main(int argc, char **argv) {
  int quick = argc > 1 && !strcmp(argv[1], "--quick");
  size_t frames = quick ? 300 : 2000;
  float *x = input(frames * FRAME);
  printf("command: %s%s\n\n", argv[0], quick ? " --quick" : "");
  printf("| path | full stage (%% of a core) | us / frame | DSP us | network us "
         "| Speex us (%% of a core) | model / Speex |\n");
  printf("|---|---|---|---|---|---|---|\n");
  for (int isa = 0; isa < 2; isa++) {
    pl_nn_isa want = isa ? PL_NN_ISA_AVX2 : PL_NN_ISA_SCALAR;
    if (!pl_nn_isa_available(want))
      continue;
    pl_nn_isa_set(want);
    pass best = {1e9, 1e9, 1e9, 1e9}, p;
    for (int r = 0; r < 5; r++) {
      one_pass(x, frames, &p);
      best.full = fmin(best.full, p.full);
      best.dsp = fmin(best.dsp, p.dsp);
      best.net = fmin(best.net, p.net);
      best.speex = fmin(best.speex, p.speex);
    }
    printf("| %s | %.2f %% | %.1f | %.1f | %.1f | %.1f (%.2f %%) | %.2f |\n",
           pl_nn_isa_name(want), 100 * best.full / 0.01, 1e6 * best.full,
           1e6 * best.dsp, 1e6 * best.net, 1e6 * best.speex,
           100 * best.speex / 0.01, best.full / best.speex);
  }
  free(x);
  return 0;
}
