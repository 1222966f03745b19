/* Whole-buffer runs of the extender and of the folding baseline (extend.h),
 * shared by `parley extend` and tests/extend/extend_eval so that the table
 * measures exactly what the command writes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/extend/dsp.h"
#include "ai/extend/extend.h"
#include "parley.h"

/* Chosen on the training corpus's development split (docs/bwe.md). */
#define FOLD_DB_NB (-42.0)
#define FOLD_DB_WB (-12.0)

double pl_extend_fold_db_default(int fc) { return fc <= 6000 ? FOLD_DB_NB : FOLD_DB_WB; }

int pl_extend_buffer(const float *x48, float *y, size_t m, int channels, const char *method,
                     int fc, double fold_db, bool auto_mode, const pl_model *model,
                     pl_extend_stats *st) {
  if (!method || channels < 1 || channels > 2 || (m && (!x48 || !y)))
    return PL_EINVAL;
  if (!strcmp(method, "model") && y == x48 && m) /* the delay needs the input intact */
    return PL_EINVAL;
  size_t total = m * (size_t)channels;
  if (st)
    memset(st, 0, sizeof *st);
  if (!strcmp(method, "none")) {
    if (y != x48 && total)
      memmove(y, x48, total * sizeof *y);
    return 0;
  }
  if (!strcmp(method, "fold")) {
    if (!fc)
      return PL_EINVAL;
    double db = isnan(fold_db) ? pl_extend_fold_db_default(fc) : fold_db;
    for (int c = 0; c < channels; c++) {
      long n0 = 0;
      for (size_t i = 0; i < m; i++) {
        float v = x48[i * (size_t)channels + (size_t)c], w;
        n0 = pl_ext_fold(&v, &w, 1, fc, (float)db, n0);
        y[i * (size_t)channels + (size_t)c] = isfinite(v) ? fmaxf(-1.0f, fminf(1.0f, w)) : v;
      }
    }
    return 0;
  }
  if (strcmp(method, "model"))
    return PL_EINVAL;
  pl_extend *e;
  int rc = pl_extend_new(&e, model);
  if (rc)
    return rc;
  pl_extend_set_mode(e, auto_mode || !fc ? PL_EXTEND_AUTO : PL_EXTEND_ON);
  if (fc && !auto_mode && (rc = pl_extend_set_cutoff(e, fc))) {
    pl_extend_free(e);
    return rc;
  }
  /* A constant 10 ms delay, taken out here: y lines up with x. One more
   * frame of silence flushes the last one. */
  pl_extend_set_fixed_delay(e, true);
  float frame[PL_EXTEND_FRAME * 2];
  size_t fs = PL_EXTEND_FRAME * (size_t)channels;
  size_t d = PL_EXTEND_DELAY * (size_t)channels;
  for (size_t t = 0; t < total + d; t += fs) {
    size_t k = t < total ? (total - t < fs ? total - t : fs) : 0;
    memset(frame, 0, sizeof frame);
    if (k)
      memcpy(frame, x48 + t, k * sizeof *frame);
    pl_extend_process(e, frame, PL_EXTEND_FRAME, channels);
    for (size_t i = 0; i < fs; i++) /* output sample t + i is input t + i - d */
      if (t + i >= d && t + i - d < total)
        y[t + i - d] = frame[i];
  }
  if (st)
    pl_extend_get_stats(e, st);
  pl_extend_free(e);
  return 0;
}
