/* Test helper for the tests/ai scripts: runs one ai/nn layer (or a whole pl_nn_seq
 * stack) from a PLMD model on the input tensor "x" of a second PLMD file
 * and writes the output as raw little-endian float32.
 *
 *   nn_run [--isa scalar|avx2] MODEL.plmd IO.plmd OUT.f32
 *
 * The model's metadata says what to run: test.op=dense|rnn|conv1d|conv2d|
 * pixel_shuffle|act|layernorm|seq plus that op's test.* parameters; a model
 * without test.op but with arch.N lines runs as seq. Exit 77: the ISA is
 * not available on this CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/model/model.h"
#include "ai/nn/nn.h"
#include "ai/nn/seq.h"
#include "parley.h"

static const pl_model *M;

static int meta_int(const char *key, int dflt) {
  char k[64], v[64];
  snprintf(k, sizeof k, "test.%s", key);
  return pl_model_meta_get(M, k, v, sizeof v) ? dflt : atoi(v);
}
static float meta_float(const char *key, float dflt) {
  char k[64], v[64];
  snprintf(k, sizeof k, "test.%s", key);
  return pl_model_meta_get(M, k, v, sizeof v) ? dflt : strtof(v, NULL);
}
static const char *meta_str(const char *key, const char *dflt) {
  static char v[4][128];
  static int i;
  char k[64];
  snprintf(k, sizeof k, "test.%s", key);
  i = (i + 1) % 4;
  return pl_model_meta_get(M, k, v[i], sizeof v[i]) ? dflt : v[i];
}

static int die(const char *what, int rc) {
  fprintf(stderr, "nn_run: %s: %s\n", what, pl_strerror(rc));
  exit(1);
}

static pl_nn_act act_from_meta(void) {
  const char *k = meta_str("act", "none");
  pl_nn_act a = pl_nn_act_make(PL_NN_ACT_NONE, 0, 0);
  if (!strcmp(k, "relu"))
    a.kind = PL_NN_ACT_RELU;
  else if (!strcmp(k, "sigmoid"))
    a.kind = PL_NN_ACT_SIGMOID;
  else if (!strcmp(k, "tanh"))
    a.kind = PL_NN_ACT_TANH;
  else if (!strcmp(k, "leaky_relu"))
    a = pl_nn_act_make(PL_NN_ACT_LEAKY_RELU, meta_float("a", 0.01f), 0);
  else if (!strcmp(k, "hardtanh"))
    a = pl_nn_act_make(PL_NN_ACT_HARDTANH, meta_float("a", -1), meta_float("b", 1));
  else if (!strcmp(k, "prelu")) {
    int rc = pl_nn_act_prelu(&a, M, meta_str("slope", "act.weight"),
                             meta_int("channels", 1));
    if (rc)
      die("prelu", rc);
  } else if (strcmp(k, "none")) {
    fprintf(stderr, "nn_run: unknown act %s\n", k);
    exit(1);
  }
  return a;
}

/* Runs the op; returns the output (malloc'd) and its element count. */
static float *run(const pl_tensor *xt, size_t *ny) {
  const float *x = xt->data;
  const char *op = meta_str("op", "seq");
  const char *name = meta_str("name", "layer");
  float *y = NULL;
  int rc = 0;
  if (!strcmp(op, "dense")) {
    pl_nn_dense l;
    if ((rc = pl_nn_dense_init(&l, M, name, -1, -1, act_from_meta())))
      die("dense", rc);
    int n = xt->dims[0];
    *ny = (size_t)n * l.out;
    y = malloc(sizeof(float) * *ny);
    if (n == 1)
      pl_nn_dense_forward(&l, x, y);
    else
      pl_nn_dense_forward_batch(&l, x, n, y);
  } else if (!strcmp(op, "rnn")) {
    const char *c = meta_str("cell", "gru");
    pl_nn_cell cell = !strcmp(c, "lstm") ? PL_NN_LSTM : !strcmp(c, "sru") ? PL_NN_SRU : PL_NN_GRU;
    int layers = meta_int("layers", 1), T = xt->dims[0];
    const float *in = x;
    float *buf = NULL;
    for (int L = 0; L < layers; L++) {
      pl_nn_rnn l;
      pl_nn_rnn_state s;
      if ((rc = pl_nn_rnn_init(&l, M, cell, name, cell == PL_NN_SRU ? -1 : L, -1, -1)) ||
          (rc = pl_nn_rnn_state_init(&s, &l)))
        die("rnn", rc);
      float *out = malloc(sizeof(float) * T * l.hidden);
      /* One frame per call, as a stage streams. */
      for (int t = 0; t < T; t++)
        pl_nn_rnn_forward(&s, in + (size_t)t * l.in, 1, out + (size_t)t * l.hidden);
      pl_nn_rnn_state_free(&s);
      free(buf);
      buf = out;
      in = out;
      *ny = (size_t)T * l.hidden;
    }
    y = buf;
  } else if (!strcmp(op, "conv1d")) {
    pl_nn_conv1d l;
    pl_nn_conv1d_state s;
    int T = xt->dims[0];
    if ((rc = pl_nn_conv1d_init(&l, M, name, xt->dims[1], meta_int("out", 1),
                                meta_int("k", 1), meta_int("dilation", 1),
                                meta_int("groups", 1), act_from_meta())) ||
        (rc = pl_nn_conv1d_state_init(&s, &l)))
      die("conv1d", rc);
    *ny = (size_t)T * l.out;
    y = malloc(sizeof(float) * *ny);
    for (int t = 0; t < T; t++)
      pl_nn_conv1d_forward(&s, x + (size_t)t * l.in, 1, y + (size_t)t * l.out);
    pl_nn_conv1d_state_free(&s);
  } else if (!strcmp(op, "conv2d")) {
    pl_nn_conv2d_cfg c = {
        .in = xt->dims[0], .out = meta_int("out", 1), .kh = meta_int("kh", 1),
        .kw = meta_int("kw", 1), .sh = meta_int("sh", 1), .sw = meta_int("sw", 1),
        .ph = meta_int("ph", 0), .pw = meta_int("pw", 0), .dh = meta_int("dh", 1),
        .dw = meta_int("dw", 1), .groups = meta_int("groups", 1),
        .transposed = meta_int("transposed", 0) != 0, .oph = meta_int("oph", 0),
        .opw = meta_int("opw", 0)};
    pl_nn_conv2d l;
    int H = xt->dims[1], W = xt->dims[2], OH, OW;
    if ((rc = pl_nn_conv2d_init(&l, M, name, &c, act_from_meta())) ||
        (rc = pl_nn_conv2d_out_size(&l, H, W, &OH, &OW)))
      die("conv2d", rc);
    *ny = (size_t)c.out * OH * OW;
    y = malloc(sizeof(float) * *ny);
    float *scratch = malloc(sizeof(float) * pl_nn_conv2d_scratch_floats(&l, H, W));
    if ((rc = pl_nn_conv2d_forward(&l, x, H, W, y, scratch)))
      die("conv2d forward", rc);
    free(scratch);
  } else if (!strcmp(op, "pixel_shuffle")) {
    int r = meta_int("r", 2);
    *ny = xt->count;
    y = malloc(sizeof(float) * *ny);
    pl_nn_pixel_shuffle(x, xt->dims[0] / (r * r), xt->dims[1], xt->dims[2], r, y);
  } else if (!strcmp(op, "act")) {
    *ny = xt->count;
    y = malloc(sizeof(float) * *ny);
    memcpy(y, x, sizeof(float) * *ny);
    pl_nn_act a = act_from_meta();
    pl_nn_act_apply(&a, y, xt->dims[0], (int)(xt->count / xt->dims[0]));
  } else if (!strcmp(op, "layernorm")) {
    pl_nn_layernorm l;
    if ((rc = pl_nn_layernorm_init(&l, M, name, xt->dims[1], meta_float("eps", 1e-5f))))
      die("layernorm", rc);
    *ny = xt->count;
    y = malloc(sizeof(float) * *ny);
    pl_nn_layernorm_forward(&l, x, xt->dims[0], y);
  } else if (!strcmp(op, "seq")) {
    static pl_nn_seq s;
    pl_nn_seq_state st;
    if ((rc = pl_nn_seq_init(&s, M)) || (rc = pl_nn_seq_state_init(&st, &s)))
      die("seq", rc);
    if (xt->ndims != 2 || xt->dims[1] != s.in) {
      fprintf(stderr, "nn_run: seq wants x (T, %d)\n", s.in);
      exit(1);
    }
    int T = xt->dims[0];
    *ny = (size_t)T * s.out;
    y = malloc(sizeof(float) * *ny);
    for (int t = 0; t < T; t++)
      pl_nn_seq_step(&st, x + (size_t)t * s.in, y + (size_t)t * s.out);
    pl_nn_seq_state_free(&st);
  } else {
    fprintf(stderr, "nn_run: unknown op %s\n", op);
    exit(1);
  }
  return y;
}

int main(int argc, char **argv) {
  int a = 1;
  if (argc > 2 && !strcmp(argv[1], "--isa")) {
    pl_nn_isa isa = !strcmp(argv[2], "avx2") ? PL_NN_ISA_AVX2 : PL_NN_ISA_SCALAR;
    if (pl_nn_isa_set(isa))
      return 77;
    a = 3;
  }
  if (argc - a != 3) {
    fprintf(stderr, "usage: nn_run [--isa scalar|avx2] MODEL IO OUT\n");
    return 2;
  }
  pl_model *m, *io;
  char why[PL_MODEL_WHY_LEN];
  int rc;
  if ((rc = pl_model_load_file(&m, argv[a], why, sizeof why))) {
    fprintf(stderr, "nn_run: %s: %s\n", argv[a], why);
    return 1;
  }
  if ((rc = pl_model_load_file(&io, argv[a + 1], why, sizeof why))) {
    fprintf(stderr, "nn_run: %s: %s\n", argv[a + 1], why);
    return 1;
  }
  M = m;
  const pl_tensor *xt = pl_model_find(io, "x");
  if (!xt || xt->dtype != PL_DTYPE_F32) {
    fprintf(stderr, "nn_run: no f32 tensor x in %s\n", argv[a + 1]);
    return 1;
  }
  size_t ny = 0;
  float *y = run(xt, &ny);
  FILE *f = fopen(argv[a + 2], "wb");
  if (!f || fwrite(y, sizeof(float), ny, f) != ny || fclose(f)) {
    fprintf(stderr, "nn_run: cannot write %s\n", argv[a + 2]);
    return 1;
  }
  printf("%s %zu outputs (%s)\n", meta_str("op", "seq"), ny,
         pl_nn_isa_name(pl_nn_isa_get()));
  free(y);
  pl_model_free(io);
  pl_model_free(m);
  return 0;
}
