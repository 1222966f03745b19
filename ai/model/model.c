/* PLMD loader: refuses anything that is not exactly a well-formed version-1
 * file (docs/model-format.md), so the kernels can trust every pointer and
 * shape they are given. */
#include "ai/model/model.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "base/crc32.h"
#include "base/log.h"
#include "parley.h"

struct pl_model {
  uint8_t *owned; /* NULL when the bytes are borrowed */
  const uint8_t *buf;
  size_t n;
  char name[PL_MODEL_STR_MAX + 1];
  char kind[PL_MODEL_STR_MAX + 1];
  char *meta;
  int ntensors;
  pl_tensor *tensors;
};

static int fail(char *why, size_t why_len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t why_len, int code, const char *fmt, ...) {
  if (why && why_len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
  }
  return code;
}

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

static bool host_is_little_endian(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

static bool printable_name(const uint8_t *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (s[i] <= 0x20 || s[i] >= 0x7f)
      return false;
  return true;
}

/* One length-prefixed string record at *off; advances *off. */
static int read_string(const uint8_t *p, uint64_t end, uint64_t *off,
                       uint32_t min, uint32_t max, const uint8_t **s,
                       uint32_t *len) {
  if (end - *off < 4)
    return -1;
  *len = pl_le32(p + *off);
  *off += 4;
  if (*len < min || *len > max || end - *off < *len)
    return -1;
  *s = p + *off;
  if (memchr(*s, 0, *len))
    return -1;
  *off += *len;
  return 0;
}

typedef struct span {
  uint64_t lo, hi;
  int tensor;
} span;

static int cmp_span(const void *a, const void *b) {
  const span *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_name(const void *a, const void *b) {
  const pl_tensor *const *x = a, *const *y = b;
  return strcmp((*x)->name, (*y)->name);
}

static int parse_entry(pl_model *m, int i, uint64_t table_off,
                       uint64_t data_off, uint64_t size, char *why,
                       size_t why_len) {
  const uint8_t *e = m->buf + table_off + (uint64_t)i * PL_MODEL_ENTRY_SIZE;
  pl_tensor *t = &m->tensors[i];
  const uint8_t *nul = memchr(e, 0, PL_MODEL_NAME_MAX + 1);
  size_t nlen = nul ? (size_t)(nul - e) : PL_MODEL_NAME_MAX + 1;
  if (nlen == 0 || nlen > PL_MODEL_NAME_MAX || !printable_name(e, nlen))
    return fail(why, why_len, PL_EFORMAT, "tensor %d: bad name", i);
  for (size_t k = nlen; k <= PL_MODEL_NAME_MAX; k++)
    if (e[k])
      return fail(why, why_len, PL_EFORMAT, "tensor %d: name not NUL-padded",
                  i);
  memcpy(t->name, e, nlen);
  t->name[nlen] = 0;
  uint8_t dtype = e[64], ndims = e[65];
  if (dtype > PL_DTYPE_I8)
    return fail(why, why_len, PL_EFORMAT, "tensor '%s': unknown dtype %u",
                t->name, dtype);
  if (ndims < 1 || ndims > PL_MODEL_MAX_DIMS)
    return fail(why, why_len, PL_EFORMAT, "tensor '%s': %u dims", t->name,
                ndims);
  if (pl_le16(e + 66) || pl_le32(e + 84))
    return fail(why, why_len, PL_EFORMAT, "tensor '%s': reserved not zero",
                t->name);
  t->dtype = (pl_dtype)dtype;
  t->ndims = ndims;
  uint64_t count = 1;
  for (int d = 0; d < PL_MODEL_MAX_DIMS; d++) {
    uint32_t v = pl_le32(e + 68 + 4 * d);
    if (d < ndims ? (v < 1 || v > INT32_MAX) : v != 0)
      return fail(why, why_len, PL_EFORMAT, "tensor '%s': bad dim %d = %u",
                  t->name, d, v);
    t->dims[d] = d < ndims ? (int)v : 1;
    count *= d < ndims ? v : 1;
    if (count > size) /* also keeps the product from overflowing */
      return fail(why, why_len, PL_ERANGE,
                  "tensor '%s': shape larger than the file", t->name);
  }
  t->count = (size_t)count;
  uint64_t esz = dtype == PL_DTYPE_F32 ? 4 : 1;
  uint64_t doff = pl_le64(e + 88), dsize = pl_le64(e + 96),
           soff = pl_le64(e + 104);
  if (dsize != count * esz)
    return fail(why, why_len, PL_EFORMAT,
                "tensor '%s': data_size %llu, shape needs %llu", t->name,
                (unsigned long long)dsize, (unsigned long long)(count * esz));
  if (doff % PL_MODEL_ALIGN)
    return fail(why, why_len, PL_EFORMAT, "tensor '%s': data not 32-aligned",
                t->name);
  if (doff < data_off || doff > size || size - doff < dsize)
    return fail(why, why_len, PL_ERANGE,
                "tensor '%s': data [%llu+%llu) outside the data region "
                "[%llu, %llu)",
                t->name, (unsigned long long)doff, (unsigned long long)dsize,
                (unsigned long long)data_off, (unsigned long long)size);
  t->data = m->buf + doff;
  t->scales = NULL;
  if (dtype == PL_DTYPE_F32) {
    if (soff)
      return fail(why, why_len, PL_EFORMAT, "tensor '%s': f32 with scales",
                  t->name);
    return 0;
  }
  uint64_t ssize = (uint64_t)t->dims[0] * 4;
  if (soff % PL_MODEL_ALIGN)
    return fail(why, why_len, PL_EFORMAT,
                "tensor '%s': scales not 32-aligned", t->name);
  if (soff < data_off || soff > size || size - soff < ssize)
    return fail(why, why_len, PL_ERANGE,
                "tensor '%s': scales [%llu+%llu) outside the data region",
                t->name, (unsigned long long)soff, (unsigned long long)ssize);
  t->scales = (const float *)(const void *)(m->buf + soff);
  for (int o = 0; o < t->dims[0]; o++)
    if (!isfinite(t->scales[o]))
      return fail(why, why_len, PL_EFORMAT,
                  "tensor '%s': scale %d not finite", t->name, o);
  return 0;
}

static int check_overlaps(pl_model *m, char *why, size_t why_len) {
  int n = m->ntensors;
  if (n == 0)
    return 0;
  span *s = malloc(sizeof *s * 2 * (size_t)n);
  if (!s)
    return fail(why, why_len, PL_ENOMEM, "out of memory");
  int k = 0;
  for (int i = 0; i < n; i++) {
    const pl_tensor *t = &m->tensors[i];
    uint64_t lo = (uint64_t)((const uint8_t *)t->data - m->buf);
    uint64_t esz = t->dtype == PL_DTYPE_F32 ? 4 : 1;
    s[k++] = (span){lo, lo + t->count * esz, i};
    if (t->scales) {
      lo = (uint64_t)((const uint8_t *)t->scales - m->buf);
      s[k++] = (span){lo, lo + (uint64_t)t->dims[0] * 4, i};
    }
  }
  qsort(s, (size_t)k, sizeof *s, cmp_span);
  int rc = 0;
  for (int i = 1; i < k && !rc; i++)
    if (s[i].lo < s[i - 1].hi)
      rc = fail(why, why_len, PL_ERANGE, "tensors '%s' and '%s' overlap",
                m->tensors[s[i - 1].tensor].name, m->tensors[s[i].tensor].name);
  free(s);
  if (rc)
    return rc;
  const pl_tensor **byname = malloc(sizeof *byname * (size_t)n);
  if (!byname)
    return fail(why, why_len, PL_ENOMEM, "out of memory");
  for (int i = 0; i < n; i++)
    byname[i] = &m->tensors[i];
  qsort(byname, (size_t)n, sizeof *byname, cmp_name);
  for (int i = 1; i < n && !rc; i++)
    if (!strcmp(byname[i]->name, byname[i - 1]->name))
      rc = fail(why, why_len, PL_EFORMAT, "duplicate tensor name '%s'",
                byname[i]->name);
  free(byname);
  return rc;
}

static int parse(pl_model *m, char *why, size_t why_len) {
  const uint8_t *p = m->buf;
  size_t n = m->n;
  if (!host_is_little_endian())
    return fail(why, why_len, PL_ENOTSUP, "big-endian hosts not supported");
  if (n < PL_MODEL_HEADER_SIZE)
    return fail(why, why_len, PL_ETRUNC,
                "%zu bytes, shorter than the 64-byte header", n);
  if (memcmp(p, PL_MODEL_MAGIC, 4))
    return fail(why, why_len, PL_EFORMAT, "bad magic (not a PLMD file)");
  uint32_t version = pl_le32(p + 4);
  if (version != PL_MODEL_VERSION)
    return fail(why, why_len, PL_ENOTSUP,
                "format version %u, this build reads %d", version,
                PL_MODEL_VERSION);
  if (pl_le32(p + 8) != PL_MODEL_HEADER_SIZE || pl_le32(p + 12) ||
      pl_le64(p + 56))
    return fail(why, why_len, PL_EFORMAT,
                "bad header size, flags or reserved field");
  uint64_t size = pl_le64(p + 16);
  if (size > n)
    return fail(why, why_len, PL_ETRUNC,
                "truncated: header says %llu bytes, have %zu",
                (unsigned long long)size, n);
  if (size != n)
    return fail(why, why_len, PL_EFORMAT,
                "header says %llu bytes, given %zu (trailing data)",
                (unsigned long long)size, n);
  uint32_t crc = pl_le32(p + 24);
  uint32_t have = pl_crc32(0, p + PL_MODEL_HEADER_SIZE, n - PL_MODEL_HEADER_SIZE);
  if (crc != have)
    return fail(why, why_len, PL_EFORMAT,
                "CRC mismatch: stored %08x, computed %08x (corrupt file)", crc,
                have);
  uint32_t nt = pl_le32(p + 28);
  if (nt > PL_MODEL_MAX_TENSORS)
    return fail(why, why_len, PL_EFORMAT, "%u tensors, at most %d", nt,
                PL_MODEL_MAX_TENSORS);
  if (pl_le64(p + 32) != PL_MODEL_HEADER_SIZE)
    return fail(why, why_len, PL_EFORMAT, "strings_off is not 64");

  uint64_t off = PL_MODEL_HEADER_SIZE;
  const uint8_t *s[3];
  uint32_t len[3];
  static const uint32_t lim[3][2] = {
      {1, PL_MODEL_STR_MAX}, {1, PL_MODEL_STR_MAX}, {0, PL_MODEL_META_MAX}};
  static const char *const what[3] = {"model name", "model kind", "metadata"};
  for (int i = 0; i < 3; i++)
    if (read_string(p, size, &off, lim[i][0], lim[i][1], &s[i], &len[i]))
      return fail(why, why_len, PL_EFORMAT, "bad %s string", what[i]);
  if (!printable_name(s[0], len[0]) || !printable_name(s[1], len[1]))
    return fail(why, why_len, PL_EFORMAT, "model name or kind not printable");
  uint64_t table_off = align_up(off, 8);
  uint64_t table_end = table_off + (uint64_t)nt * PL_MODEL_ENTRY_SIZE;
  uint64_t data_off = align_up(table_end, PL_MODEL_ALIGN);
  if (pl_le64(p + 40) != table_off || pl_le64(p + 48) != data_off)
    return fail(why, why_len, PL_EFORMAT,
                "table/data offsets %llu/%llu, layout needs %llu/%llu",
                (unsigned long long)pl_le64(p + 40),
                (unsigned long long)pl_le64(p + 48),
                (unsigned long long)table_off, (unsigned long long)data_off);
  if (data_off > size)
    return fail(why, why_len, PL_ERANGE,
                "tensor table of %u entries runs past the end", nt);
  for (uint64_t k = off; k < table_off; k++)
    if (p[k])
      return fail(why, why_len, PL_EFORMAT, "non-zero padding");

  memcpy(m->name, s[0], len[0]);
  m->name[len[0]] = 0;
  memcpy(m->kind, s[1], len[1]);
  m->kind[len[1]] = 0;
  m->meta = malloc(len[2] + 1);
  m->tensors = calloc(nt ? nt : 1, sizeof *m->tensors);
  if (!m->meta || !m->tensors)
    return fail(why, why_len, PL_ENOMEM, "out of memory");
  memcpy(m->meta, s[2], len[2]);
  m->meta[len[2]] = 0;
  m->ntensors = (int)nt;
  for (int i = 0; i < (int)nt; i++) {
    int rc = parse_entry(m, i, table_off, data_off, size, why, why_len);
    if (rc)
      return rc;
  }
  return check_overlaps(m, why, why_len);
}

static int finish_load(pl_model **out, pl_model *m, char *why,
                       size_t why_len) {
  int rc = parse(m, why, why_len);
  if (rc) {
    pl_model_free(m);
    return rc;
  }
  if (why && why_len)
    why[0] = 0;
  *out = m;
  return 0;
}

static int load_copy(pl_model **out, const void *p, size_t n, char *why,
                     size_t why_len) {
  pl_model *m = calloc(1, sizeof *m);
  /* aligned_alloc wants a multiple of the alignment. */
  uint8_t *buf = m ? aligned_alloc(PL_MODEL_ALIGN,
                                   align_up(n ? n : 1, PL_MODEL_ALIGN))
                   : NULL;
  if (!buf) {
    free(m);
    return fail(why, why_len, PL_ENOMEM, "out of memory");
  }
  if (n)
    memcpy(buf, p, n);
  m->owned = buf;
  m->buf = buf;
  m->n = n;
  return finish_load(out, m, why, why_len);
}

int pl_model_load_bytes(pl_model **out, const void *p, size_t n, char *why,
                        size_t why_len) {
  *out = NULL;
  if (!p && n)
    return fail(why, why_len, PL_EINVAL, "NULL buffer");
  return load_copy(out, p, n, why, why_len);
}

int pl_model_load_static(pl_model **out, const void *p, size_t n, char *why,
                         size_t why_len) {
  *out = NULL;
  if (!p || (uintptr_t)p % PL_MODEL_ALIGN)
    return fail(why, why_len, PL_EINVAL,
                "static model buffer must be 32-byte aligned");
  pl_model *m = calloc(1, sizeof *m);
  if (!m)
    return fail(why, why_len, PL_ENOMEM, "out of memory");
  m->buf = p;
  m->n = n;
  return finish_load(out, m, why, why_len);
}

int pl_model_load_file(pl_model **out, const char *path, char *why,
                       size_t why_len) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(why, why_len, PL_ENOENT, "cannot open %s", path);
  long len = -1;
  if (fseek(f, 0, SEEK_END) == 0)
    len = ftell(f);
  if (len < 0 || len > (1L << 30) || fseek(f, 0, SEEK_SET)) {
    fclose(f);
    return fail(why, why_len, PL_EIO, "cannot size %s (or over 1 GiB)", path);
  }
  uint8_t *buf = malloc(len ? (size_t)len : 1);
  if (!buf) {
    fclose(f);
    return fail(why, why_len, PL_ENOMEM, "out of memory");
  }
  size_t got = fread(buf, 1, (size_t)len, f);
  fclose(f);
  if (got != (size_t)len) {
    free(buf);
    return fail(why, why_len, PL_EIO, "short read on %s", path);
  }
  int rc = load_copy(out, buf, got, why, why_len);
  free(buf);
  return rc;
}

void pl_model_free(pl_model *m) {
  if (!m)
    return;
  free(m->owned);
  free(m->meta);
  free(m->tensors);
  free(m);
}

const char *pl_model_name(const pl_model *m) { return m->name; }
const char *pl_model_kind(const pl_model *m) { return m->kind; }
const char *pl_model_meta(const pl_model *m) { return m->meta; }
int pl_model_tensor_count(const pl_model *m) { return m->ntensors; }

const pl_tensor *pl_model_tensor_at(const pl_model *m, int i) {
  return i >= 0 && i < m->ntensors ? &m->tensors[i] : NULL;
}

const pl_tensor *pl_model_find(const pl_model *m, const char *name) {
  for (int i = 0; i < m->ntensors; i++)
    if (!strcmp(m->tensors[i].name, name))
      return &m->tensors[i];
  return NULL;
}

int pl_model_meta_get(const pl_model *m, const char *key, char *val,
                      size_t len) {
  size_t klen = strlen(key);
  for (const char *line = m->meta; *line;) {
    const char *eol = strchr(line, '\n');
    size_t llen = eol ? (size_t)(eol - line) : strlen(line);
    if (llen > klen && !memcmp(line, key, klen) && line[klen] == '=') {
      size_t vlen = llen - klen - 1;
      if (len == 0)
        return PL_ERANGE;
      size_t c = vlen < len - 1 ? vlen : len - 1;
      memcpy(val, line + klen + 1, c);
      val[c] = 0;
      return vlen < len ? 0 : PL_ERANGE;
    }
    line += llen + (eol ? 1 : 0);
  }
  return PL_ENOENT;
}

static void shape_str(char *buf, size_t len, int ndims, const int *dims) {
  size_t o = (size_t)snprintf(buf, len, "(");
  for (int i = 0; i < ndims && o < len; i++)
    o += (size_t)snprintf(buf + o, len - o, i ? ",%d" : "%d", dims[i]);
  if (o < len)
    snprintf(buf + o, len - o, ")");
}

int pl_model_get_tensor(const pl_model *m, const pl_tensor **out,
                        const char *name, pl_dtype dtype, int ndims, ...) {
  *out = NULL;
  if (ndims < 1 || ndims > PL_MODEL_MAX_DIMS)
    return PL_EINVAL;
  int want[PL_MODEL_MAX_DIMS];
  va_list ap;
  va_start(ap, ndims);
  for (int i = 0; i < ndims; i++)
    want[i] = va_arg(ap, int);
  va_end(ap);
  const pl_tensor *t = pl_model_find(m, name);
  if (!t) {
    PL_WARN("model", "%s: no tensor '%s'", m->name, name);
    return PL_ENOENT;
  }
  bool ok = t->dtype == dtype && t->ndims == ndims;
  for (int i = 0; ok && i < ndims; i++)
    ok = want[i] < 0 || want[i] == t->dims[i];
  if (!ok) {
    char a[64], b[64];
    shape_str(a, sizeof a, t->ndims, t->dims);
    shape_str(b, sizeof b, ndims, want);
    PL_WARN("model", "%s: tensor '%s' is %s %s, expected %s %s", m->name, name,
            t->dtype == PL_DTYPE_F32 ? "f32" : "int8", a,
            dtype == PL_DTYPE_F32 ? "f32" : "int8", b);
    return PL_EFORMAT;
  }
  *out = t;
  return 0;
}
