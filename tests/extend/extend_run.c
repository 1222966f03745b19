/* Pieces of ai/extend on raw float32 files, for tests/extend/test_extend_parity.py:
 *   extend_run logE IN.f32 OUT.f32            48 kHz mono -> [T][49] band log-energies
 *   extend_run predict MODEL|- IN.f32 OUT.f32 FC   [T][49] -> [T][33] predicted log10 energies
 *   extend_run process MODEL|- IN.f32 OUT.f32 FC   48 kHz mono through the stream (ON at FC)
 * MODEL "-" is the compiled-in model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/denoise/fft.h"
#include "ai/extend/dsp.h"
#include "ai/extend/extend.h"
#include "parley.h"

static float *readf(const char *p, size_t *n) {
  FILE *f = fopen(p, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long l = ftell(f);
  fseek(f, 0, SEEK_SET);
  *n = (size_t)l / 4;
  float *x = malloc((*n ? *n : 1) * 4);
  if (x && fread(x, 4, *n, f) != *n) {
    free(x);
    x = NULL;
  }
  fclose(f);
  return x;
}

static int writef(const char *p, const float *x, size_t n) {
  FILE *f = fopen(p, "wb");
  if (!f)
    return 1;
  size_t w = fwrite(x, 4, n, f);
  return fclose(f) || w != n;
}

int main(int argc, char **argv) {
  if (argc < 3)
    return 2;
  const char *mode = argv[1];
  if (!strcmp(mode, "logE")) {
    size_t n;
    float *x = readf(argv[2], &n);
    if (!x)
      return 1;
    size_t T = n / PL_EXT_HOP;
    float *out = malloc(sizeof(float) * (T ? T : 1) * PL_EXT_NB);
    float buf[PL_EXT_WIN] = {0}, tmp[PL_EXT_WIN];
    pl_dn_cpx X[PL_EXT_NBIN];
    pl_dn_fft *fft = pl_dn_fft_new(PL_EXT_WIN);
    const float *w = pl_ext_window();
    for (size_t t = 0; t < T; t++) {
      memmove(buf, buf + PL_EXT_HOP, sizeof(float) * PL_EXT_HOP);
      memcpy(buf + PL_EXT_HOP, x + t * PL_EXT_HOP, sizeof(float) * PL_EXT_HOP);
      for (int i = 0; i < PL_EXT_WIN; i++)
        tmp[i] = buf[i] * w[i];
      pl_dn_fft_forward(fft, tmp, X);
      pl_ext_log_energy(X, out + t * PL_EXT_NB);
    }
    pl_dn_fft_free(fft);
    int rc = writef(argv[3], out, T * PL_EXT_NB);
    free(x);
    free(out);
    return rc;
  }
  if (argc < 6)
    return 2;
  pl_model *m = NULL;
  char why[160];
  if (strcmp(argv[2], "-") && pl_model_load_file(&m, argv[2], why, sizeof why)) {
    fprintf(stderr, "extend_run: %s: %s\n", argv[2], why);
    return 1;
  }
  pl_extend *e;
  if (pl_extend_new(&e, m))
    return 1;
  int fc = atoi(argv[5]);
  size_t n;
  float *x = readf(argv[3], &n);
  if (!x)
    return 1;
  int rc = 1;
  if (!strcmp(mode, "predict")) {
    size_t T = n / PL_EXT_NB;
    float *out = malloc(sizeof(float) * (T ? T : 1) * PL_EXT_OUT_BANDS);
    for (size_t t = 0; t < T; t++)
      pl_extend_debug_predict(e, x + t * PL_EXT_NB, fc, out + t * PL_EXT_OUT_BANDS);
    rc = writef(argv[4], out, T * PL_EXT_OUT_BANDS);
    free(out);
  } else if (!strcmp(mode, "process")) {
    pl_extend_set_mode(e, PL_EXTEND_ON);
    pl_extend_set_cutoff(e, fc);
    pl_extend_set_fixed_delay(e, true); /* output sample i is input i - 480 */
    size_t T = n / PL_EXT_HOP;
    float *pr = malloc(sizeof(float) * (T ? T : 1) * PL_EXT_OUT_BANDS);
    float *sp = malloc(sizeof(float) * (T ? T : 1) * 2 * PL_EXT_NBIN);
    for (size_t t = 0; t < T; t++) {
      pl_extend_process(e, x + t * PL_EXT_HOP, PL_EXT_HOP, 1);
      pl_extend_debug_last(e, pr + t * PL_EXT_OUT_BANDS, sp + t * 2 * PL_EXT_NBIN);
    }
    if (argc > 6)
      writef(argv[6], pr, T * PL_EXT_OUT_BANDS);
    if (argc > 7)
      writef(argv[7], sp, T * 2 * PL_EXT_NBIN);
    free(pr);
    free(sp);
    rc = writef(argv[4], x, T * PL_EXT_HOP);
    pl_extend_stats st;
    pl_extend_get_stats(e, &st);
    fprintf(stderr, "extend_run: %llu frames, %llu model steps, %llu switches, gain %.3f\n",
            (unsigned long long)st.frames, (unsigned long long)st.model_steps,
            (unsigned long long)st.switches, st.gain);
  }
  pl_extend_free(e);
  pl_model_free(m);
  free(x);
  return rc;
}
