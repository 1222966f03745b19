/* Capacity traces for the emulator: Mahimahi delivery-opportunity files and
 * "time_ms capacity_kbps" step files. Text comes as (ptr, len), not a C
 * string, so each line is copied into a small bounded buffer before any
 * number is read; garbage gives PL_EPARSE with the line it was on. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net/emu/emu.h"
#include "parley.h"

#define LINE_MAX_CHARS 128
#define TRACE_MAX_FILE (64u << 20)
#define TRACE_MAX_MS 0x7fffffffu

static int fail(pl_emu_err *err, size_t line, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(pl_emu_err *err, size_t line, int code, const char *fmt, ...) {
  if (err) {
    err->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

typedef struct {
  const char *p;
  size_t n, off, lineno;
} liner;

/* Next line without its newline (and a trailing '\r'), trimmed of spaces
 * and tabs. Returns 0 at the end, 1 with a line, -1 when a line is over
 * LINE_MAX_CHARS. */
static int next_line(liner *lr, char *buf) {
  if (lr->off >= lr->n)
    return 0;
  const char *s = lr->p + lr->off;
  size_t left = lr->n - lr->off;
  const char *nl = memchr(s, '\n', left);
  size_t len = nl ? (size_t)(nl - s) : left;
  lr->off += nl ? len + 1 : len;
  lr->lineno++;
  while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
    len--;
  while (len && (*s == ' ' || *s == '\t')) {
    s++;
    len--;
  }
  if (len >= LINE_MAX_CHARS)
    return -1;
  memcpy(buf, s, len);
  buf[len] = 0;
  return 1;
}

static bool skip_line(const char *buf) { return buf[0] == 0 || buf[0] == '#'; }

/* Unsigned decimal integer, whole token; false on anything else or if it
 * exceeds max. */
static bool parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out) {
  if (len == 0)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (uint64_t)(s[i] - '0');
    if (v > max)
      return false;
  }
  *out = v;
  return true;
}

/* Non-negative decimal "123", "1.5", ".5"; false on anything else. */
static bool parse_decimal(const char *s, size_t len, double max, double *out) {
  double v = 0, scale = 1;
  bool dot = false, digit = false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '.' && !dot) {
      dot = true;
    } else if (c >= '0' && c <= '9') {
      digit = true;
      if (dot) {
        scale /= 10;
        v += (c - '0') * scale;
      } else {
        v = v * 10 + (c - '0');
      }
      if (v > max)
        return false;
    } else {
      return false;
    }
  }
  if (!digit)
    return false;
  *out = v;
  return true;
}

/* Splits on spaces/tabs into at most 3 tokens; returns how many. */
static int split(const char *buf, const char **tok, size_t *tlen) {
  int n = 0;
  const char *s = buf;
  while (*s) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (!*s)
      break;
    const char *b = s;
    while (*s && *s != ' ' && *s != '\t')
      s++;
    if (n == 3)
      return 4;
    tok[n] = b;
    tlen[n] = (size_t)(s - b);
    n++;
  }
  return n;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return 0;
  size_t nc = *cap ? *cap * 2 : 256;
  while (nc < need)
    nc *= 2;
  void *na = realloc(*arr, nc * elem);
  if (!na)
    return PL_ENOMEM;
  *arr = na;
  *cap = nc;
  return 0;
}

void pl_emu_trace_free(pl_emu_trace *t) {
  if (!t)
    return;
  free(t->steps);
  free(t->opps_ms);
  memset(t, 0, sizeof *t);
}

int pl_emu_trace_parse_mahimahi(pl_emu_trace *t, const char *text, size_t len,
                                pl_emu_err *err) {
  memset(t, 0, sizeof *t);
  t->kind = PL_EMU_CAP_MAHIMAHI;
  liner lr = {text, text ? len : 0, 0, 0};
  char buf[LINE_MAX_CHARS];
  size_t cap = 0;
  int r;
  while ((r = next_line(&lr, buf)) != 0) {
    if (r < 0) {
      pl_emu_trace_free(t);
      return fail(err, lr.lineno, PL_EPARSE, "line %zu: line too long", lr.lineno);
    }
    if (skip_line(buf))
      continue;
    uint64_t ms;
    if (!parse_uint(buf, strlen(buf), TRACE_MAX_MS, &ms)) {
      pl_emu_trace_free(t);
      return fail(err, lr.lineno, PL_EPARSE,
                  "line %zu: expected one millisecond timestamp per line "
                  "(Mahimahi format), got '%.40s'", lr.lineno, buf);
    }
    if (t->n && ms < t->opps_ms[t->n - 1]) {
      pl_emu_trace_free(t);
      return fail(err, lr.lineno, PL_EPARSE,
                  "line %zu: timestamp %llu goes back in time", lr.lineno,
                  (unsigned long long)ms);
    }
    if (grow((void **)&t->opps_ms, &cap, t->n + 1, sizeof *t->opps_ms)) {
      pl_emu_trace_free(t);
      return fail(err, lr.lineno, PL_ENOMEM, "out of memory");
    }
    t->opps_ms[t->n++] = (uint32_t)ms;
  }
  if (t->n == 0) {
    pl_emu_trace_free(t);
    return fail(err, lr.lineno, PL_EPARSE, "empty trace: no timestamps");
  }
  if (t->opps_ms[t->n - 1] == 0) {
    pl_emu_trace_free(t);
    return fail(err, lr.lineno, PL_EPARSE,
                "last timestamp is 0: a repeating trace needs a period > 0 ms");
  }
  t->kind = PL_EMU_CAP_MAHIMAHI;
  return 0;
}

int pl_emu_trace_parse_steps(pl_emu_trace *t, const char *text, size_t len,
                             pl_emu_err *err) {
  memset(t, 0, sizeof *t);
  t->kind = PL_EMU_CAP_STEPS;
  liner lr = {text, text ? len : 0, 0, 0};
  char buf[LINE_MAX_CHARS];
  size_t cap = 0;
  int r;
  while ((r = next_line(&lr, buf)) != 0) {
    if (r < 0) {
      pl_emu_trace_free(t);
      return fail(err, lr.lineno, PL_EPARSE, "line %zu: line too long", lr.lineno);
    }
    if (skip_line(buf))
      continue;
    const char *tok[3];
    size_t tl[3];
    uint64_t ms;
    double kbps;
    if (split(buf, tok, tl) != 2 || !parse_uint(tok[0], tl[0], TRACE_MAX_MS, &ms) ||
        !parse_decimal(tok[1], tl[1], 1e9, &kbps)) {
      pl_emu_trace_free(t);
      return fail(err, lr.lineno, PL_EPARSE,
                  "line %zu: expected 'time_ms capacity_kbps', got '%.40s'",
                  lr.lineno, buf);
    }
    if (t->n && (pl_time_us)PL_MS(ms) <= t->steps[t->n - 1].at) {
      pl_emu_trace_free(t);
      return fail(err, lr.lineno, PL_EPARSE,
                  "line %zu: time %llu ms is not after the previous step",
                  lr.lineno, (unsigned long long)ms);
    }
    if (grow((void **)&t->steps, &cap, t->n + 1, sizeof *t->steps)) {
      pl_emu_trace_free(t);
      return fail(err, lr.lineno, PL_ENOMEM, "out of memory");
    }
    t->steps[t->n].at = PL_MS(ms);
    t->steps[t->n].bps = (uint64_t)(kbps * 1000.0 + 0.5);
    t->n++;
  }
  if (t->n == 0) {
    pl_emu_trace_free(t);
    return fail(err, lr.lineno, PL_EPARSE, "empty trace: no steps");
  }
  t->kind = PL_EMU_CAP_STEPS;
  return 0;
}

int pl_emu_trace_parse(pl_emu_trace *t, const char *text, size_t len,
                       pl_emu_err *err) {
  memset(t, 0, sizeof *t);
  liner lr = {text, text ? len : 0, 0, 0};
  char buf[LINE_MAX_CHARS];
  int r;
  while ((r = next_line(&lr, buf)) != 0) {
    if (r < 0)
      return fail(err, lr.lineno, PL_EPARSE, "line %zu: line too long", lr.lineno);
    if (skip_line(buf))
      continue;
    const char *tok[3];
    size_t tl[3];
    int n = split(buf, tok, tl);
    if (n == 1)
      return pl_emu_trace_parse_mahimahi(t, text, len, err);
    if (n == 2)
      return pl_emu_trace_parse_steps(t, text, len, err);
    return fail(err, lr.lineno, PL_EPARSE,
                "line %zu: neither a Mahimahi trace (one timestamp per line) "
                "nor a step trace ('time_ms capacity_kbps')", lr.lineno);
  }
  return fail(err, lr.lineno, PL_EPARSE, "empty trace");
}

int pl_emu_trace_load(pl_emu_trace *t, const char *path, pl_emu_err *err) {
  memset(t, 0, sizeof *t);
  if (!path)
    return fail(err, 0, PL_EINVAL, "no trace file named");
  FILE *f = fopen(path, "rb");
  if (!f)
    return fail(err, 0, errno == ENOENT ? PL_ENOENT : PL_EIO,
                "cannot read trace '%s': %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    fclose(f);
    return fail(err, 0, PL_EIO, "cannot read trace '%s': not a regular file", path);
  }
  if ((unsigned long long)sb.st_size > TRACE_MAX_FILE) {
    fclose(f);
    return fail(err, 0, PL_ERANGE, "trace '%s' is over 64 MiB", path);
  }
  size_t size = (size_t)sb.st_size;
  char *text = malloc(size ? size : 1);
  if (!text) {
    fclose(f);
    return fail(err, 0, PL_ENOMEM, "out of memory reading '%s'", path);
  }
  size_t got = fread(text, 1, size, f);
  int rd_err = ferror(f);
  fclose(f);
  if (rd_err || got != size) {
    free(text);
    return fail(err, 0, PL_EIO, "cannot read trace '%s': read error", path);
  }
  int rc = pl_emu_trace_parse(t, text, size, err);
  free(text);
  if (rc && err) { /* say which file the line is in */
    /* Keep the line's message whole; the path gets what room is left. */
    char msg[sizeof err->msg];
    size_t keep = strlen(err->msg);
    int room = (int)(sizeof msg - keep - 3);
    if (room < 0)
      room = 0;
    snprintf(msg, sizeof msg, "%.*s: ", room, path);
    strncat(msg, err->msg, sizeof msg - strlen(msg) - 1);
    memcpy(err->msg, msg, sizeof msg);
  }
  return rc;
}

void pl_emu_trace_capacity(const pl_emu_trace *t, pl_emu_capacity *cap) {
  memset(cap, 0, sizeof *cap);
  cap->kind = t->kind;
  if (t->kind == PL_EMU_CAP_STEPS) {
    cap->steps = t->steps;
    cap->nsteps = t->n;
  } else if (t->kind == PL_EMU_CAP_MAHIMAHI) {
    cap->opps_ms = t->opps_ms;
    cap->nopps = t->n;
  }
}
