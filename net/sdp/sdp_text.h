/* Internal to net/sdp: bounded spans over SDP text and an appender for the
 * writer. Nothing here reads past a span's end or writes past a buffer. */
#ifndef PL_NET_SDP_TEXT_H
#define PL_NET_SDP_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct sdp_span {
  const char *p;
  size_t n;
} sdp_span;

static inline sdp_span sdp_span_of(const char *p, size_t n) {
  sdp_span s = {p, n};
  return s;
}

static inline bool sdp_span_eq(sdp_span s, const char *lit) {
  size_t l = strlen(lit);
  return s.n == l && memcmp(s.p, lit, l) == 0;
}

static inline char sdp_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static inline bool sdp_span_ieq(sdp_span s, const char *lit) {
  size_t l = strlen(lit);
  if (s.n != l)
    return false;
  for (size_t i = 0; i < l; i++)
    if (sdp_lower(s.p[i]) != sdp_lower(lit[i]))
      return false;
  return true;
}

static inline bool sdp_streq_i(const char *a, const char *b) {
  return sdp_span_ieq(sdp_span_of(a, strlen(a)), b);
}

/* Next space-separated token; skips runs of spaces and tabs. False at the
 * end of the span. */
static inline bool sdp_next(sdp_span *s, sdp_span *tok) {
  while (s->n && (*s->p == ' ' || *s->p == '\t')) {
    s->p++;
    s->n--;
  }
  if (!s->n)
    return false;
  tok->p = s->p;
  while (s->n && *s->p != ' ' && *s->p != '\t') {
    s->p++;
    s->n--;
  }
  tok->n = (size_t)(s->p - tok->p);
  return true;
}

/* The rest of the span after leading blanks (may be empty). */
static inline sdp_span sdp_rest(sdp_span s) {
  while (s.n && (*s.p == ' ' || *s.p == '\t')) {
    s.p++;
    s.n--;
  }
  return s;
}

/* Splits at the first `c`: head before it, *tail after it. False (and the
 * whole span in head) when absent. */
static inline bool sdp_split(sdp_span s, char c, sdp_span *head, sdp_span *tail) {
  const char *q = s.n ? memchr(s.p, c, s.n) : NULL;
  if (!q) {
    *head = s;
    tail->p = s.p + s.n;
    tail->n = 0;
    return false;
  }
  head->p = s.p;
  head->n = (size_t)(q - s.p);
  tail->p = q + 1;
  tail->n = s.n - head->n - 1;
  return true;
}

/* Decimal without sign, at most `max`. */
static inline bool sdp_u64(sdp_span s, uint64_t max, uint64_t *out) {
  if (s.n == 0 || s.n > 20)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < s.n; i++) {
    if (s.p[i] < '0' || s.p[i] > '9')
      return false;
    uint64_t d = (uint64_t)(s.p[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  if (v > max)
    return false;
  *out = v;
  return true;
}

/* Copies into a NUL-terminated field of `cap` bytes; false if it does not fit. */
static inline bool sdp_copy(char *dst, size_t cap, sdp_span s) {
  if (s.n >= cap)
    return false;
  memcpy(dst, s.p, s.n);
  dst[s.n] = 0;
  return true;
}
#define SDP_COPY(field, span) sdp_copy((field), sizeof(field), (span))

/* Appender for the writer: stops writing at the first overflow and says so. */
typedef struct sdp_out {
  char *buf;
  size_t cap, len;
  bool full;
} sdp_out;

__attribute__((format(printf, 2, 3))) static inline void
sdp_printf(sdp_out *o, const char *fmt, ...) {
  if (o->full)
    return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
  va_end(ap);
  if (w < 0 || (size_t)w >= o->cap - o->len) {
    o->full = true;
    if (o->cap)
      o->buf[o->len] = 0;
    return;
  }
  o->len += (size_t)w;
}

#endif
