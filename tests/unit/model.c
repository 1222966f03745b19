/* PLMD model files: byte-exact round trips, and every kind of corruption
 * refused with its own error. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ai/model/model.h"
#include "base/bytes.h"
#include "base/crc32.h"
#include "base/log.h"
#include "parley.h"

static const int W_DIMS[2] = {3, 5};
static const int B_DIMS[1] = {3};
static const int Q_DIMS[2] = {4, 6};

static void fill(float *x, int n, float k) {
  for (int i = 0; i < n; i++)
    x[i] = sinf(k * (float)(i + 1)) * (float)(i % 7 - 3);
}

/* A three-tensor model: f32 (3,5), f32 (3), int8 (4,6). */
static uint8_t *make_model(size_t *n) {
  float w[15], b[3], q[24];
  fill(w, 15, 0.7f);
  fill(b, 3, 1.3f);
  fill(q, 24, 0.37f);
  pl_model_writer *wr = pl_model_writer_new("tiny-test", "test");
  cr_assert_not_null(wr);
  cr_assert_eq(pl_model_writer_meta(wr, "git_commit", "0123abcd"), 0);
  cr_assert_eq(pl_model_writer_meta(wr, "command", "train --seed 7"), 0);
  cr_assert_eq(pl_model_writer_meta(wr, "data_seed", "7"), 0);
  cr_assert_eq(pl_model_writer_add_f32(wr, "fc.weight", 2, W_DIMS, w), 0);
  cr_assert_eq(pl_model_writer_add_f32(wr, "fc.bias", 1, B_DIMS, b), 0);
  cr_assert_eq(pl_model_writer_add_f32_as_i8(wr, "q.weight", 2, Q_DIMS, q), 0);
  uint8_t *buf;
  cr_assert_eq(pl_model_writer_finish(wr, &buf, n), 0);
  pl_model_writer_free(wr);
  return buf;
}

static void fix_crc(uint8_t *b, size_t n) {
  pl_put_le32(b + 24, pl_crc32(0, b + 64, n - 64));
}

static size_t entry(const uint8_t *b, int i) {
  return (size_t)pl_le64(b + 40) + (size_t)i * PL_MODEL_ENTRY_SIZE;
}

static int load(const uint8_t *b, size_t n, char *why) {
  pl_model *m;
  int rc = pl_model_load_bytes(&m, b, n, why, PL_MODEL_WHY_LEN);
  if (rc == 0)
    pl_model_free(m);
  else
    cr_assert_null(m);
  return rc;
}

static void quiet(void) { pl_log_set_level(PL_LOG_OFF); }

Test(model, round_trip_keeps_names_shapes_data_and_metadata) {
  size_t n;
  uint8_t *b = make_model(&n);
  pl_model *m;
  char why[PL_MODEL_WHY_LEN];
  cr_assert_eq(pl_model_load_bytes(&m, b, n, why, sizeof why), 0, "%s", why);
  cr_assert_str_eq(pl_model_name(m), "tiny-test");
  cr_assert_str_eq(pl_model_kind(m), "test");
  cr_assert_eq(pl_model_tensor_count(m), 3);
  char v[32];
  cr_assert_eq(pl_model_meta_get(m, "command", v, sizeof v), 0);
  cr_assert_str_eq(v, "train --seed 7");
  cr_assert_eq(pl_model_meta_get(m, "data_seed", v, sizeof v), 0);
  cr_assert_str_eq(v, "7");
  cr_assert_eq(pl_model_meta_get(m, "data", v, sizeof v), PL_ENOENT);
  cr_assert_eq(pl_model_meta_get(m, "git_commit", v, 4), PL_ERANGE);
  cr_assert_str_eq(v, "012");

  const pl_tensor *t;
  cr_assert_eq(pl_model_get_tensor(m, &t, "fc.weight", PL_DTYPE_F32, 2, 3, 5), 0);
  float w[15];
  fill(w, 15, 0.7f);
  cr_assert_eq(memcmp(t->data, w, sizeof w), 0);
  cr_assert_eq(t->count, 15);
  cr_assert_eq((uintptr_t)t->data % 32, 0);
  cr_assert_eq(pl_model_get_tensor(m, &t, "fc.bias", PL_DTYPE_F32, 1, -1), 0);
  cr_assert_eq(t->dims[0], 3);

  cr_assert_eq(pl_model_get_tensor(m, &t, "q.weight", PL_DTYPE_I8, 2, 4, 6), 0);
  float q[24];
  fill(q, 24, 0.37f);
  const int8_t *qd = t->data;
  for (int o = 0; o < 4; o++) {
    float mx = 0;
    for (int k = 0; k < 6; k++)
      mx = fmaxf(mx, fabsf(q[o * 6 + k]));
    cr_assert_float_eq(t->scales[o], mx / 127, 1e-9);
    for (int k = 0; k < 6; k++)
      cr_assert_float_eq(qd[o * 6 + k] * t->scales[o], q[o * 6 + k],
                         t->scales[o] * 0.5001f);
  }
  pl_model_free(m);
  free(b);
}

Test(model, get_tensor_refuses_wrong_shape_dtype_rank_and_missing_name,
     .init = quiet) {
  size_t n;
  uint8_t *b = make_model(&n);
  pl_model *m;
  cr_assert_eq(pl_model_load_bytes(&m, b, n, NULL, 0), 0);
  const pl_tensor *t = (const pl_tensor *)1;
  cr_assert_eq(pl_model_get_tensor(m, &t, "fc.weight", PL_DTYPE_F32, 2, 5, 3),
               PL_EFORMAT);
  cr_assert_null(t);
  cr_assert_eq(pl_model_get_tensor(m, &t, "fc.weight", PL_DTYPE_I8, 2, 3, 5),
               PL_EFORMAT);
  cr_assert_eq(pl_model_get_tensor(m, &t, "fc.weight", PL_DTYPE_F32, 1, 15),
               PL_EFORMAT);
  cr_assert_eq(pl_model_get_tensor(m, &t, "fc.w", PL_DTYPE_F32, 2, 3, 5),
               PL_ENOENT);
  cr_assert_eq(pl_model_get_tensor(m, &t, "fc.weight", PL_DTYPE_F32, 2, -1, 5),
               0);
  pl_model_free(m);
  free(b);
}

Test(model, every_single_byte_corruption_is_refused) {
  size_t n;
  uint8_t *b = make_model(&n);
  char why[PL_MODEL_WHY_LEN];
  for (size_t i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit += 3) {
      b[i] ^= (uint8_t)(1 << bit);
      int rc = load(b, n, why);
      cr_assert_lt(rc, 0, "flip of byte %zu bit %d accepted", i, bit);
      if (i >= 64)
        cr_assert(strstr(why, "CRC"), "byte %zu: %s", i, why);
      b[i] ^= (uint8_t)(1 << bit);
    }
  }
  cr_assert_eq(load(b, n, why), 0);
  free(b);
}

Test(model, every_truncation_is_refused_as_truncated) {
  size_t n;
  uint8_t *b = make_model(&n);
  char why[PL_MODEL_WHY_LEN];
  for (size_t len = 0; len < n; len++)
    cr_assert_eq(load(b, len, why), PL_ETRUNC, "length %zu: %s", len, why);
  free(b);
}

Test(model, bad_magic_version_and_trailing_bytes_are_refused) {
  size_t n;
  uint8_t *b = make_model(&n);
  char why[PL_MODEL_WHY_LEN];
  b[0] = 'X';
  cr_assert_eq(load(b, n, why), PL_EFORMAT);
  cr_assert(strstr(why, "magic"), "%s", why);
  b[0] = 'P';
  pl_put_le32(b + 4, 2);
  cr_assert_eq(load(b, n, why), PL_ENOTSUP);
  cr_assert(strstr(why, "version 2"), "%s", why);
  pl_put_le32(b + 4, 1);
  uint8_t *longer = calloc(1, n + 8);
  memcpy(longer, b, n);
  cr_assert_eq(load(longer, n + 8, why), PL_EFORMAT);
  cr_assert(strstr(why, "trailing"), "%s", why);
  free(longer);
  free(b);
}

Test(model, tensor_data_outside_the_file_is_refused_even_with_valid_crc) {
  size_t n;
  uint8_t *b = make_model(&n);
  char why[PL_MODEL_WHY_LEN];
  size_t e = entry(b, 1);
  uint64_t keep = pl_le64(b + e + 88);
  pl_put_le64(b + e + 88, (n + 32) / 32 * 32);
  fix_crc(b, n);
  cr_assert_eq(load(b, n, why), PL_ERANGE, "%s", why);
  cr_assert(strstr(why, "fc.bias"), "%s", why);
  /* An offset so large that offset + size wraps around. */
  pl_put_le64(b + e + 88, UINT64_MAX - 31);
  fix_crc(b, n);
  cr_assert_eq(load(b, n, why), PL_ERANGE, "%s", why);
  /* Inside the header/table, before the data region. */
  pl_put_le64(b + e + 88, 64);
  fix_crc(b, n);
  cr_assert_eq(load(b, n, why), PL_ERANGE, "%s", why);
  pl_put_le64(b + e + 88, keep);
  fix_crc(b, n);
  cr_assert_eq(load(b, n, why), 0, "%s", why);
  free(b);
}

Test(model, overlapping_misaligned_and_duplicate_tensors_are_refused) {
  size_t n;
  uint8_t *b = make_model(&n);
  uint8_t *orig = malloc(n);
  memcpy(orig, b, n);
  char why[PL_MODEL_WHY_LEN];
  /* fc.bias pointed at fc.weight's bytes. */
  pl_put_le64(b + entry(b, 1) + 88, pl_le64(b + entry(b, 0) + 88));
  fix_crc(b, n);
  cr_assert_eq(load(b, n, why), PL_ERANGE, "%s", why);
  cr_assert(strstr(why, "overlap"), "%s", why);
  memcpy(b, orig, n);
  pl_put_le64(b + entry(b, 1) + 88, pl_le64(b + entry(b, 1) + 88) + 4);
  fix_crc(b, n);
  cr_assert_eq(load(b, n, why), PL_EFORMAT, "%s", why);
  cr_assert(strstr(why, "aligned"), "%s", why);
  memcpy(b, orig, n);
  memcpy(b + entry(b, 1), "fc.weight\0", 10);
  fix_crc(b, n);
  cr_assert_eq(load(b, n, why), PL_EFORMAT, "%s", why);
  cr_assert(strstr(why, "duplicate"), "%s", why);
  /* A shape that disagrees with data_size. */
  memcpy(b, orig, n);
  pl_put_le32(b + entry(b, 0) + 72, 6);
  fix_crc(b, n);
  cr_assert_eq(load(b, n, why), PL_EFORMAT, "%s", why);
  cr_assert(strstr(why, "data_size"), "%s", why);
  /* Too many tensors for the table that is there. */
  memcpy(b, orig, n);
  pl_put_le32(b + 28, 40);
  cr_assert_eq(load(b, n, why), PL_EFORMAT, "%s", why);
  free(orig);
  free(b);
}

Test(model, static_load_borrows_aligned_bytes_and_refuses_misaligned) {
  size_t n;
  uint8_t *b = make_model(&n);
  uint8_t *al = aligned_alloc(32, (n + 64) / 32 * 32);
  memcpy(al, b, n);
  pl_model *m;
  char why[PL_MODEL_WHY_LEN];
  cr_assert_eq(pl_model_load_static(&m, al, n, why, sizeof why), 0, "%s", why);
  const pl_tensor *t = pl_model_find(m, "fc.bias");
  cr_assert((const uint8_t *)t->data > al && (const uint8_t *)t->data < al + n);
  pl_model_free(m);
  memmove(al + 4, al, n);
  cr_assert_eq(pl_model_load_static(&m, al + 4, n, why, sizeof why), PL_EINVAL);
  free(al);
  free(b);
}

Test(model, file_round_trip_and_missing_file) {
  size_t n;
  uint8_t *b = make_model(&n);
  char path[] = "/tmp/pl_model_test_XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, b, n), (ssize_t)n);
  close(fd);
  pl_model *m;
  char why[PL_MODEL_WHY_LEN];
  cr_assert_eq(pl_model_load_file(&m, path, why, sizeof why), 0, "%s", why);
  cr_assert_eq(pl_model_tensor_count(m), 3);
  cr_assert_str_eq(pl_model_tensor_at(m, 2)->name, "q.weight");
  cr_assert_null(pl_model_tensor_at(m, 3));
  pl_model_free(m);
  unlink(path);
  cr_assert_eq(pl_model_load_file(&m, path, why, sizeof why), PL_ENOENT);
  cr_assert_null(m);
  free(b);
}

Test(model, writer_rejects_bad_names_keys_and_duplicates) {
  cr_assert_null(pl_model_writer_new("", "test"));
  cr_assert_null(pl_model_writer_new("has space", "test"));
  pl_model_writer *w = pl_model_writer_new("m", "k");
  float x[3] = {1, 2, 3};
  int d[1] = {3};
  cr_assert_eq(pl_model_writer_meta(w, "bad key", "v"), PL_EINVAL);
  cr_assert_eq(pl_model_writer_meta(w, "k", "two\nlines"), PL_EINVAL);
  cr_assert_eq(pl_model_writer_add_f32(w, "a", 1, d, x), 0);
  cr_assert_eq(pl_model_writer_add_f32(w, "a", 1, d, x), PL_EINVAL);
  cr_assert_eq(pl_model_writer_add_f32(w, "", 1, d, x), PL_EINVAL);
  cr_assert_eq(pl_model_writer_add_f32(w, "b", 5, d, x), PL_EINVAL);
  char longname[80];
  memset(longname, 'x', 64);
  longname[64] = 0;
  cr_assert_eq(pl_model_writer_add_f32(w, longname, 1, d, x), PL_EINVAL);
  uint8_t *b;
  size_t n;
  cr_assert_eq(pl_model_writer_finish(w, &b, &n), 0);
  pl_model *m;
  cr_assert_eq(pl_model_load_bytes(&m, b, n, NULL, 0), 0);
  cr_assert_eq(pl_model_tensor_count(m), 1);
  cr_assert_str_eq(pl_model_meta(m), "");
  pl_model_free(m);
  free(b);
  pl_model_writer_free(w);
}
