/* libFuzzer target: the PLMD loader from memory, then every accessor on
 * whatever it accepted, and the pl_nn_seq "arch.N" metadata parser (which
 * then runs one frame through whatever stack it accepted). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ai/model/model.h"
#include "ai/nn/seq.h"
#include "base/bytes.h"
#include "base/crc32.h"
#include "base/log.h"

static void poke(const pl_model *m) {
  char v[64];
  pl_model_meta_get(m, "git_commit", v, sizeof v);
  pl_model_meta_get(m, "arch.0", v, 4);
  volatile float sink = 0;
  for (int i = 0; i < pl_model_tensor_count(m); i++) {
    const pl_tensor *t = pl_model_tensor_at(m, i), *u;
    /* Touch the first and last element: must be inside the buffer. */
    if (t->dtype == PL_DTYPE_F32) {
      const float *f = t->data;
      sink += f[0] + f[t->count - 1];
    } else {
      const int8_t *q = t->data;
      sink += q[0] + q[t->count - 1] + t->scales[t->dims[0] - 1];
    }
    pl_model_get_tensor(m, &u, t->name, t->dtype, t->ndims, t->dims[0],
                        t->dims[1], t->dims[2], t->dims[3]);
  }
  (void)sink;
  static pl_nn_seq seq;
  if (pl_nn_seq_init(&seq, m) == 0) {
    pl_nn_seq_state st;
    if (pl_nn_seq_state_init(&st, &seq) == 0) {
      float *x = calloc((size_t)seq.width, sizeof(float));
      float *y = calloc((size_t)seq.width, sizeof(float));
      pl_nn_seq_step(&st, x, y);
      free(x);
      free(y);
      pl_nn_seq_state_free(&st);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pl_log_set_level(PL_LOG_OFF);
  pl_model *m;
  char why[PL_MODEL_WHY_LEN];
  if (pl_model_load_bytes(&m, data, size, why, sizeof why) == 0) {
    poke(m);
    pl_model_free(m);
  }
  /* Most mutations die at the CRC; also try each input with its CRC
   * repaired so the fuzzer reaches the table and tensor checks. */
  if (size >= 64) {
    uint8_t *copy = malloc(size);
    memcpy(copy, data, size);
    pl_put_le32(copy + 24, pl_crc32(0, copy + 64, size - 64));
    if (pl_model_load_bytes(&m, copy, size, why, sizeof why) == 0) {
      poke(m);
      pl_model_free(m);
    }
    free(copy);
  }
  return 0;
}
