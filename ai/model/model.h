/* Model files (PLMD, docs/model-format.md): named f32/int8 tensors with
 * training metadata, checked by CRC and bounds on load. One loaded model is
 * read-only and shared by every stream; kernels point straight into it. */
#ifndef PL_AI_MODEL_H
#define PL_AI_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define PL_MODEL_VERSION 1
#define PL_MODEL_MAGIC "PLMD"
#define PL_MODEL_HEADER_SIZE 64
#define PL_MODEL_ENTRY_SIZE 112
#define PL_MODEL_ALIGN 32
#define PL_MODEL_MAX_DIMS 4
#define PL_MODEL_NAME_MAX 63 /* tensor names */
#define PL_MODEL_STR_MAX 255 /* model name and kind */
#define PL_MODEL_META_MAX 65536
#define PL_MODEL_MAX_TENSORS 4096
#define PL_MODEL_WHY_LEN 160 /* room for a load error's detail */

typedef enum pl_dtype { PL_DTYPE_F32 = 0, PL_DTYPE_I8 = 1 } pl_dtype;

typedef struct pl_tensor {
  char name[PL_MODEL_NAME_MAX + 1];
  pl_dtype dtype;
  int ndims;
  int dims[PL_MODEL_MAX_DIMS]; /* 1 beyond ndims, so products are easy */
  size_t count;                /* elements */
  const void *data;            /* const float * or const int8_t *, 32-aligned */
  const float *scales;         /* int8: dims[0] per-output-channel scales */
} pl_tensor;

typedef struct pl_model pl_model;

/* Load and verify. On failure *out is NULL, the return is a PL_E* code and,
 * when why is given, it holds a one-line reason. */
int pl_model_load_file(pl_model **out, const char *path, char *why,
                       size_t why_len);
/* Copies p (any alignment). */
int pl_model_load_bytes(pl_model **out, const void *p, size_t n, char *why,
                        size_t why_len);
/* Borrows p, which must be 32-byte aligned and outlive the model. */
int pl_model_load_static(pl_model **out, const void *p, size_t n, char *why,
                         size_t why_len);
void pl_model_free(pl_model *m);

const char *pl_model_name(const pl_model *m);
const char *pl_model_kind(const pl_model *m);
/* The whole metadata text (key=value lines), NUL-terminated. */
const char *pl_model_meta(const pl_model *m);
/* Copies the value of key (truncated to len-1) into val. PL_ENOENT if the key
 * is absent, PL_ERANGE if the value did not fit. */
int pl_model_meta_get(const pl_model *m, const char *key, char *val,
                      size_t len);

int pl_model_tensor_count(const pl_model *m);
const pl_tensor *pl_model_tensor_at(const pl_model *m, int i);
const pl_tensor *pl_model_find(const pl_model *m, const char *name);

/* The tensor `name` if it has this dtype, rank and shape; the shape follows
 * as ndims int arguments, where -1 accepts any size. PL_ENOENT if absent,
 * PL_EFORMAT (logged with both shapes) on a mismatch. */
int pl_model_get_tensor(const pl_model *m, const pl_tensor **out,
                        const char *name, pl_dtype dtype, int ndims, ...);

/* Builds a model file in memory (tests, tools, C-side exporters). */
typedef struct pl_model_writer pl_model_writer;

pl_model_writer *pl_model_writer_new(const char *name, const char *kind);
void pl_model_writer_free(pl_model_writer *w);
/* Appends one "key=value" line; key is [A-Za-z0-9_.-]+, value has no '\n'. */
int pl_model_writer_meta(pl_model_writer *w, const char *key,
                         const char *value);
int pl_model_writer_add_f32(pl_model_writer *w, const char *name, int ndims,
                            const int *dims, const float *data);
int pl_model_writer_add_i8(pl_model_writer *w, const char *name, int ndims,
                           const int *dims, const int8_t *data,
                           const float *scales);
/* Symmetric per-output-channel quantisation: scale = max|slice| / 127. */
int pl_model_writer_add_f32_as_i8(pl_model_writer *w, const char *name,
                                  int ndims, const int *dims,
                                  const float *data);
/* The finished file in a malloc'd buffer (caller frees). */
int pl_model_writer_finish(pl_model_writer *w, uint8_t **out, size_t *n);

#endif
