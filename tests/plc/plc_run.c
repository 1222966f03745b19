/* Runs pieces of ai/plc on raw float32 files for the Python parity test
 * (tests/plc/test_plc_parity.py):
 *   plc_run net MODEL.plmd|- IN.f32 OUT.f32   T steps of [25] -> [23]
 *   plc_run bands IN.f32 OUT.f32              48 kHz signal -> [T][22]
 *   plc_run conceal MODEL|- IN.f32 MASK OUT.f32
 *       plays IN in 10 ms frames, concealing where MASK (one char per
 *       frame) has '1', observing otherwise (the concealer's output only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/plc/dsp.h"
#include "ai/plc/net.h"
#include "ai/plc/plc.h"
#include "parley.h"

static float *read_f32(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  float *x = malloc((size_t)len + sizeof(float));
  *n = fread(x, sizeof(float), (size_t)len / sizeof(float), f);
  fclose(f);
  return x;
}

static int write_f32(const char *path, const float *x, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(x, sizeof(float), n, f) != n)
    return 1;
  return fclose(f) != 0;
}

static pl_model *load(const char *path) {
  if (!strcmp(path, "-"))
    return NULL;
  pl_model *m = NULL;
  char why[PL_MODEL_WHY_LEN];
  if (pl_model_load_file(&m, path, why, sizeof why)) {
    fprintf(stderr, "plc_run: %s: %s\n", path, why);
    exit(1);
  }
  return m;
}

int main(int argc, char **argv) {
  if (argc >= 5 && !strcmp(argv[1], "net")) {
    pl_model *m = load(argv[2]);
    extern const unsigned char pl_model_plc[];
    extern const size_t pl_model_plc_len;
    char why[PL_MODEL_WHY_LEN];
    if (!m && pl_model_load_static(&m, pl_model_plc, pl_model_plc_len, why, sizeof why))
      return 1;
    pl_plc_net net;
    pl_plc_net_state st;
    if (pl_plc_net_init(&net, m) || pl_plc_net_state_init(&st, &net))
      return 1;
    size_t n;
    float *x = read_f32(argv[3], &n);
    size_t T = n / PL_PLC_NET_IN;
    float *y = malloc(T * PL_PLC_NET_OUT * sizeof *y);
    for (size_t t = 0; t < T; t++)
      pl_plc_net_step(&st, x + t * PL_PLC_NET_IN, y + t * PL_PLC_NET_OUT,
                      y + t * PL_PLC_NET_OUT + PL_PLC_NB);
    int rc = write_f32(argv[4], y, T * PL_PLC_NET_OUT);
    pl_plc_net_state_free(&st);
    pl_model_free(m);
    free(x);
    free(y);
    return rc;
  }
  if (argc >= 4 && !strcmp(argv[1], "bands")) {
    pl_plc_dsp d;
    if (pl_plc_dsp_init(&d))
      return 1;
    size_t n;
    float *x = read_f32(argv[2], &n);
    size_t T = n / PL_PLC_HOP;
    /* Row t: the window ending at (t + 1) * HOP, zeros before the start. */
    float *pad = calloc(n + PL_PLC_WIN, sizeof *pad);
    memcpy(pad + PL_PLC_WIN - PL_PLC_HOP, x, n * sizeof *x);
    float *y = malloc(T * PL_PLC_NB * sizeof *y);
    for (size_t t = 0; t < T; t++)
      pl_plc_bands(&d, pad + t * PL_PLC_HOP, y + t * PL_PLC_NB);
    int rc = write_f32(argv[3], y, T * PL_PLC_NB);
    pl_plc_dsp_free(&d);
    free(x);
    free(pad);
    free(y);
    return rc;
  }
  if (argc >= 6 && !strcmp(argv[1], "conceal")) {
    pl_model *m = load(argv[2]);
    pl_plc *p = pl_plc_new(m);
    if (!p)
      return 1;
    size_t n;
    float *x = read_f32(argv[3], &n);
    FILE *f = fopen(argv[4], "rb");
    if (!f)
      return 1;
    size_t T = n / PL_PLC_HOP;
    float *y = malloc(T * PL_PLC_HOP * sizeof *y);
    for (size_t t = 0; t < T; t++) {
      int c = fgetc(f);
      float *o = y + t * PL_PLC_HOP;
      if (c == '1') {
        if (pl_plc_conceal(p, o, PL_PLC_HOP, 1, 1))
          return 1;
      } else {
        memcpy(o, x + t * PL_PLC_HOP, PL_PLC_HOP * sizeof *o);
        pl_plc_observe(p, o, PL_PLC_HOP, 1);
      }
    }
    fclose(f);
    int rc = write_f32(argv[5], y, T * PL_PLC_HOP);
    pl_plc_free(p);
    pl_model_free(m);
    free(x);
    free(y);
    return rc;
  }
  fprintf(stderr, "usage: plc_run net|bands|conceal ...\n");
  return 2;
}
