/* PLMD writer: lays out a version-1 file exactly as the loader demands
 * (docs/model-format.md). Used by tests and C tools; the trainer has its
 * twin in ai/train/plmd.py. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/model/model.h"
#include "base/bytes.h"
#include "base/crc32.h"
#include "parley.h"

typedef struct wtensor {
  char name[PL_MODEL_NAME_MAX + 1];
  pl_dtype dtype;
  int ndims;
  int dims[PL_MODEL_MAX_DIMS];
  size_t count;
  void *data;
  float *scales;
} wtensor;

struct pl_model_writer {
  char name[PL_MODEL_STR_MAX + 1];
  char kind[PL_MODEL_STR_MAX + 1];
  char *meta;
  size_t meta_len;
  wtensor *t;
  int n, cap;
};

static size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

static int valid_str(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n < 1 || n > max)
    return 0;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
      return 0;
  return 1;
}

pl_model_writer *pl_model_writer_new(const char *name, const char *kind) {
  if (!valid_str(name, PL_MODEL_STR_MAX) || !valid_str(kind, PL_MODEL_STR_MAX))
    return NULL;
  pl_model_writer *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  strcpy(w->name, name);
  strcpy(w->kind, kind);
  return w;
}

void pl_model_writer_free(pl_model_writer *w) {
  if (!w)
    return;
  for (int i = 0; i < w->n; i++) {
    free(w->t[i].data);
    free(w->t[i].scales);
  }
  free(w->t);
  free(w->meta);
  free(w);
}

int pl_model_writer_meta(pl_model_writer *w, const char *key,
                         const char *value) {
  size_t kl = strlen(key), vl = strlen(value);
  if (kl == 0 || strchr(value, '\n'))
    return PL_EINVAL;
  for (size_t i = 0; i < kl; i++) {
    char c = key[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return PL_EINVAL;
  }
  size_t add = kl + 1 + vl + 1;
  if (w->meta_len + add > PL_MODEL_META_MAX)
    return PL_ERANGE;
  char *m = realloc(w->meta, w->meta_len + add + 1);
  if (!m)
    return PL_ENOMEM;
  w->meta = m;
  memcpy(m + w->meta_len, key, kl);
  m[w->meta_len + kl] = '=';
  memcpy(m + w->meta_len + kl + 1, value, vl);
  m[w->meta_len + add - 1] = '\n';
  w->meta_len += add;
  m[w->meta_len] = 0;
  return 0;
}

static wtensor *add_entry(pl_model_writer *w, const char *name, pl_dtype dt,
                          int ndims, const int *dims) {
  if (!valid_str(name, PL_MODEL_NAME_MAX) || ndims < 1 ||
      ndims > PL_MODEL_MAX_DIMS || w->n >= PL_MODEL_MAX_TENSORS)
    return NULL;
  for (int i = 0; i < w->n; i++)
    if (!strcmp(w->t[i].name, name))
      return NULL;
  size_t count = 1;
  for (int i = 0; i < ndims; i++) {
    if (dims[i] < 1)
      return NULL;
    count *= (size_t)dims[i];
  }
  if (w->n == w->cap) {
    int cap = w->cap ? 2 * w->cap : 16;
    wtensor *t = realloc(w->t, sizeof *t * (size_t)cap);
    if (!t)
      return NULL;
    w->t = t;
    w->cap = cap;
  }
  wtensor *t = &w->t[w->n];
  memset(t, 0, sizeof *t);
  strcpy(t->name, name);
  t->dtype = dt;
  t->ndims = ndims;
  for (int i = 0; i < PL_MODEL_MAX_DIMS; i++)
    t->dims[i] = i < ndims ? dims[i] : 0;
  t->count = count;
  t->data = malloc(count * (dt == PL_DTYPE_F32 ? 4 : 1));
  if (dt == PL_DTYPE_I8)
    t->scales = malloc(sizeof(float) * (size_t)dims[0]);
  if (!t->data || (dt == PL_DTYPE_I8 && !t->scales)) {
    free(t->data);
    free(t->scales);
    return NULL;
  }
  w->n++;
  return t;
}

int pl_model_writer_add_f32(pl_model_writer *w, const char *name, int ndims,
                            const int *dims, const float *data) {
  wtensor *t = add_entry(w, name, PL_DTYPE_F32, ndims, dims);
  if (!t)
    return PL_EINVAL;
  memcpy(t->data, data, t->count * 4);
  return 0;
}

int pl_model_writer_add_i8(pl_model_writer *w, const char *name, int ndims,
                           const int *dims, const int8_t *data,
                           const float *scales) {
  for (int o = 0; ndims >= 1 && o < dims[0]; o++)
    if (!isfinite(scales[o]))
      return PL_EINVAL;
  wtensor *t = add_entry(w, name, PL_DTYPE_I8, ndims, dims);
  if (!t)
    return PL_EINVAL;
  memcpy(t->data, data, t->count);
  memcpy(t->scales, scales, sizeof(float) * (size_t)dims[0]);
  return 0;
}

int pl_model_writer_add_f32_as_i8(pl_model_writer *w, const char *name,
                                  int ndims, const int *dims,
                                  const float *data) {
  wtensor *t = add_entry(w, name, PL_DTYPE_I8, ndims, dims);
  if (!t)
    return PL_EINVAL;
  size_t row = t->count / (size_t)dims[0];
  int8_t *q = t->data;
  for (int o = 0; o < dims[0]; o++) {
    const float *r = data + (size_t)o * row;
    float mx = 0;
    for (size_t k = 0; k < row; k++)
      mx = fmaxf(mx, fabsf(r[k]));
    float s = mx > 0 ? mx / 127.0f : 1.0f;
    t->scales[o] = s;
    for (size_t k = 0; k < row; k++) {
      long v = lrintf(r[k] / s);
      q[(size_t)o * row + k] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
    }
  }
  return 0;
}

int pl_model_writer_finish(pl_model_writer *w, uint8_t **out, size_t *n) {
  size_t nl = strlen(w->name), kl = strlen(w->kind);
  size_t off = PL_MODEL_HEADER_SIZE + 4 + nl + 4 + kl + 4 + w->meta_len;
  size_t table_off = align_up(off, 8);
  size_t data_off =
      align_up(table_off + (size_t)w->n * PL_MODEL_ENTRY_SIZE, PL_MODEL_ALIGN);
  size_t size = data_off;
  for (int i = 0; i < w->n; i++) {
    const wtensor *t = &w->t[i];
    size = align_up(size + t->count * (t->dtype == PL_DTYPE_F32 ? 4 : 1),
                    PL_MODEL_ALIGN);
    if (t->scales)
      size = align_up(size + (size_t)t->dims[0] * 4, PL_MODEL_ALIGN);
  }
  uint8_t *b = calloc(1, size);
  if (!b)
    return PL_ENOMEM;
  memcpy(b, PL_MODEL_MAGIC, 4);
  pl_put_le32(b + 4, PL_MODEL_VERSION);
  pl_put_le32(b + 8, PL_MODEL_HEADER_SIZE);
  pl_put_le64(b + 16, size);
  pl_put_le32(b + 28, (uint32_t)w->n);
  pl_put_le64(b + 32, PL_MODEL_HEADER_SIZE);
  pl_put_le64(b + 40, table_off);
  pl_put_le64(b + 48, data_off);
  size_t o = PL_MODEL_HEADER_SIZE;
  const char *strs[3] = {w->name, w->kind, w->meta ? w->meta : ""};
  size_t lens[3] = {nl, kl, w->meta_len};
  for (int i = 0; i < 3; i++) {
    pl_put_le32(b + o, (uint32_t)lens[i]);
    memcpy(b + o + 4, strs[i], lens[i]);
    o += 4 + lens[i];
  }
  size_t d = data_off;
  for (int i = 0; i < w->n; i++) {
    const wtensor *t = &w->t[i];
    uint8_t *e = b + table_off + (size_t)i * PL_MODEL_ENTRY_SIZE;
    size_t bytes = t->count * (t->dtype == PL_DTYPE_F32 ? 4 : 1);
    memcpy(e, t->name, strlen(t->name));
    e[64] = (uint8_t)t->dtype;
    e[65] = (uint8_t)t->ndims;
    for (int k = 0; k < PL_MODEL_MAX_DIMS; k++)
      pl_put_le32(e + 68 + 4 * k, (uint32_t)t->dims[k]);
    pl_put_le64(e + 88, d);
    pl_put_le64(e + 96, bytes);
    memcpy(b + d, t->data, bytes);
    d = align_up(d + bytes, PL_MODEL_ALIGN);
    if (t->scales) {
      pl_put_le64(e + 104, d);
      memcpy(b + d, t->scales, (size_t)t->dims[0] * 4);
      d = align_up(d + (size_t)t->dims[0] * 4, PL_MODEL_ALIGN);
    }
  }
  pl_put_le32(b + 24, pl_crc32(0, b + PL_MODEL_HEADER_SIZE,
                               size - PL_MODEL_HEADER_SIZE));
  *out = b;
  *n = size;
  return 0;
}
