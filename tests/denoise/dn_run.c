/* Test helper for tests/denoise: runs the noise suppressor over raw 48 kHz
 * float32 audio and writes, per 10 ms frame, the network's input features
 * and its outputs (raw little-endian float32, PL_DN_NFEAT + PL_DN_NOUT per
 * frame), so PyTorch can be checked against the C runtime.
 *
 *   dn_run [--isa scalar|avx2] [--model FILE.plmd] IN.f32 OUT.f32
 *
 * Without --model the built-in (compiled-in) model runs. Exit 77: the ISA
 * is not available on this CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/denoise/denoise.h"
#include "ai/denoise/dsp.h"
#include "ai/nn/nn.h"
#include "parley.h"

int main(int argc, char **argv) {
  const char *model = NULL;
  int i = 1;
  for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
    if (!strcmp(argv[i], "--isa")) {
      pl_nn_isa isa = strcmp(argv[i + 1], "avx2") ? PL_NN_ISA_SCALAR : PL_NN_ISA_AVX2;
      if (!pl_nn_isa_available(isa))
        return 77;
      pl_nn_isa_set(isa);
    } else if (!strcmp(argv[i], "--model")) {
      model = argv[i + 1];
    } else {
      break;
    }
  }
  if (argc - i != 2) {
    fprintf(stderr, "usage: dn_run [--isa scalar|avx2] [--model FILE] IN.f32 OUT.f32\n");
    return 2;
  }
  FILE *f = fopen(argv[i], "rb");
  if (!f) {
    perror(argv[i]);
    return 1;
  }
  pl_denoise_model *m = NULL;
  char why[160] = "";
  if (model && pl_denoise_model_load_file(&m, model, why, sizeof why)) {
    fprintf(stderr, "dn_run: %s: %s\n", model, why);
    return 1;
  }
  pl_denoise *d;
  if (pl_denoise_new(&d, m)) {
    fprintf(stderr, "dn_run: no model\n");
    return 1;
  }
  FILE *o = fopen(argv[i + 1], "wb");
  if (!o) {
    perror(argv[i + 1]);
    return 1;
  }
  float in[PL_DENOISE_FRAME], out[PL_DENOISE_FRAME];
  while (fread(in, sizeof(float), PL_DENOISE_FRAME, f) == PL_DENOISE_FRAME) {
    pl_denoise_process(d, in, out);
    if (fwrite(pl_denoise_features(d), sizeof(float), PL_DN_NFEAT, o) != PL_DN_NFEAT ||
        fwrite(pl_denoise_outputs(d), sizeof(float), PL_DN_NOUT, o) != PL_DN_NOUT) {
      fprintf(stderr, "dn_run: write failed\n");
      return 1;
    }
  }
  fclose(f);
  pl_denoise_free(d);
  pl_denoise_model_free(m);
  return fclose(o) ? 1 : 0;
}
