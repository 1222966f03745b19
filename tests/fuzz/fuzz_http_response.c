/* pl_http_reader fed raw bytes in random splits, as TCP would deliver them:
 * the HTTP response parser of the WHIP client (and, by the top bit of the
 * first byte, the request parser of the server). The first byte also seeds
 * the split sizes and may lower max_body. Checks: a message is accepted in
 * pieces if and only if it is in one piece, and is then the same message
 * (splitting must not change what a peer can make us accept); a complete
 * message keeps its
 * bounds (body_len <= max_body <= PL_HTTP_MAX_BODY, body NUL-terminated,
 * every header name and value NUL-terminated in its array); PL_EFULL
 * names a limit; nothing after an error or completion changes the result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/http/http.h"
#include "parley.h"

#define CHECK(x) \
  do {           \
    if (!(x))    \
      abort();   \
  } while (0)

static bool terminated(const char *s, size_t cap) { return memchr(s, 0, cap) != NULL; }

static void check_msg(const pl_http_reader *r) {
  const pl_http_msg *m = &r->msg;
  CHECK(r->max_body <= PL_HTTP_MAX_BODY);
  CHECK(m->body_len <= r->max_body);
  CHECK(!m->body || r->body_cap <= r->max_body + 1);
  if (m->body)
    CHECK(m->body[m->body_len] == 0);
  else
    CHECK(m->body_len == 0);
  CHECK(m->n_headers >= 0 && m->n_headers <= PL_HTTP_MAX_HEADERS);
  for (int i = 0; i < m->n_headers; i++) {
    CHECK(terminated(m->headers[i].name, sizeof m->headers[i].name));
    CHECK(terminated(m->headers[i].value, sizeof m->headers[i].value));
  }
  CHECK(terminated(m->url, sizeof m->url));
  CHECK(terminated(m->method, sizeof m->method));
}

/* Feeds everything, then EOF when more was wanted; the final result. */
static int run(pl_http_reader *r, const uint8_t *p, size_t n, uint32_t seed, bool split) {
  int rc = 0;
  size_t at = 0;
  while (at < n) {
    size_t len = n - at;
    if (split) {
      seed = seed * 1103515245u + 12345u;
      size_t want = 1 + (seed >> 16) % 64; /* 1..64 bytes per read */
      if (want < len)
        len = want;
    }
    int prev = rc;
    rc = pl_http_reader_feed(r, (const char *)p + at, len);
    CHECK(rc == 0 || rc == 1 || (rc < 0 && rc >= -PL_ERRIDX_COUNT_));
    if (prev != 0) /* complete or failed: sticky */
      CHECK(rc == prev);
    check_msg(r);
    at += len;
  }
  if (rc == 0)
    rc = pl_http_reader_eof(r);
  CHECK(rc == 1 || rc < 0);
  if (rc == PL_EFULL)
    CHECK(r->limit != PL_HTTP_LIMIT_NONE);
  if (rc == 1)
    check_msg(r);
  return rc;
}

static void same(const pl_http_reader *a, const pl_http_reader *b) {
  const pl_http_msg *x = &a->msg, *y = &b->msg;
  CHECK(x->status == y->status && x->n_headers == y->n_headers);
  CHECK(strcmp(x->method, y->method) == 0 && strcmp(x->url, y->url) == 0);
  for (int i = 0; i < x->n_headers; i++) {
    CHECK(strcmp(x->headers[i].name, y->headers[i].name) == 0);
    CHECK(strcmp(x->headers[i].value, y->headers[i].value) == 0);
  }
  CHECK(x->body_len == y->body_len);
  CHECK(x->body_len == 0 || memcmp(x->body, y->body, x->body_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t mode = data[0];
  bool request = mode & 0x80;
  /* Small bounds reach the body limit paths without 64 KB inputs. */
  size_t max_body = (mode & 0x40) ? 64 : PL_HTTP_MAX_BODY;
  pl_http_reader whole, split;
  pl_http_reader_init(&whole, request);
  pl_http_reader_init(&split, request);
  whole.max_body = split.max_body = max_body;
  int a = run(&whole, data + 1, size - 1, 0, false);
  int b = run(&split, data + 1, size - 1, mode & 0x3f, true);
  /* Accepted in one piece if and only if accepted in pieces, as the same
   * message. Which error a bad stream gets may differ: http_parser hands
   * a callback what it has at the end of each read, so a split can show
   * an over-long header name (PL_EFULL) before the invalid byte after it
   * that the whole input hits first (PL_EPARSE). */
  CHECK((a == 1) == (b == 1));
  if (a == 1)
    same(&whole, &split);
  pl_http_reader_free(&whole);
  pl_http_reader_free(&split);
  return 0;
}
