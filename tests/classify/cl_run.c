/* Test helper for tests/classify: runs the classifier over raw 48 kHz
 * float32 audio and writes, per 10 ms frame, its input features, its logits
 * and its probabilities (float32, PL_DN_NFEAT + 2 * PL_CLASS_N per frame),
 * so PyTorch can be checked against the C runtime.
 *
 *   cl_run [--isa scalar|avx2] [--model FILE.plmd] IN.f32 OUT.f32
 *
 * Exit 77: the ISA is not available on this CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/classify/classify.h"
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
    fprintf(stderr, "usage: cl_run [--isa scalar|avx2] [--model FILE] IN.f32 OUT.f32\n");
    return 2;
  }
  FILE *f = fopen(argv[i], "rb");
  if (!f) {
    perror(argv[i]);
    return 1;
  }
  pl_classify_model *m = NULL;
  char why[160] = "";
  if (model && pl_classify_model_load_file(&m, model, why, sizeof why)) {
    fprintf(stderr, "cl_run: %s: %s\n", model, why);
    return 1;
  }
  pl_classify *c;
  if (pl_classify_new(&c, m)) {
    fprintf(stderr, "cl_run: no model\n");
    return 1;
  }
  FILE *o = fopen(argv[i + 1], "wb");
  if (!o) {
    perror(argv[i + 1]);
    return 1;
  }
  float in[PL_CLASSIFY_FRAME], p[PL_CLASS_N];
  while (fread(in, sizeof(float), PL_CLASSIFY_FRAME, f) == PL_CLASSIFY_FRAME) {
    pl_classify_process(c, in, p);
    if (fwrite(pl_classify_features(c), sizeof(float), PL_DN_NFEAT, o) != PL_DN_NFEAT ||
        fwrite(pl_classify_logits(c), sizeof(float), PL_CLASS_N, o) != PL_CLASS_N ||
        fwrite(p, sizeof(float), PL_CLASS_N, o) != PL_CLASS_N) {
      fprintf(stderr, "cl_run: write failed\n");
      return 1;
    }
  }
  fclose(f);
  pl_classify_free(c);
  pl_classify_model_free(m);
  return fclose(o) ? 1 : 0;
}
