/* The sans-IO half of HTTP: bytes in, one bounded message out. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/http/http.h"
#include "parley.h"

static pl_http_reader *R(http_parser *p) { return p->data; }

/* 1: over the bound; -1: a NUL byte, which RFC 9110 forbids in a field and
 * which would cut the C string (a value sent in two reads would then not be
 * the value sent in one: the second read would overwrite from the NUL). */
static int append(char *dst, size_t cap, const char *at, size_t len) {
  if (memchr(at, 0, len))
    return -1;
  size_t cur = strlen(dst);
  if (cur + len >= cap)
    return 1;
  memcpy(dst + cur, at, len);
  dst[cur + len] = 0;
  return 0;
}

/* A callback that refuses input says which bound it hit, so the server can
 * answer 413, 414 or 431 rather than a bare 400. */
static int refuse(pl_http_reader *r, pl_http_limit limit) {
  r->limit = limit;
  return -1;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  int rc = append(R(p)->msg.url, sizeof R(p)->msg.url, at, len);
  return rc > 0 ? refuse(R(p), PL_HTTP_LIMIT_URL) : rc;
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  pl_http_reader *r = R(p);
  pl_http_msg *m = &r->msg;
  if (r->in_value || m->n_headers == 0) {
    if (m->n_headers == PL_HTTP_MAX_HEADERS)
      return refuse(r, PL_HTTP_LIMIT_HEADERS);
    m->n_headers++;
    r->in_value = false;
  }
  pl_http_header *h = &m->headers[m->n_headers - 1];
  int rc = append(h->name, sizeof h->name, at, len);
  return rc > 0 ? refuse(r, PL_HTTP_LIMIT_HEADERS) : rc;
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  pl_http_reader *r = R(p);
  if (r->msg.n_headers == 0)
    return -1;
  r->in_value = true;
  pl_http_header *h = &r->msg.headers[r->msg.n_headers - 1];
  int rc = append(h->value, sizeof h->value, at, len);
  return rc > 0 ? refuse(r, PL_HTTP_LIMIT_HEADERS) : rc;
}

/* http_parser keeps the announced Content-Length (ULLONG_MAX when there is
 * none) and, in a chunked body, the size of the chunk that follows. Refusing
 * here answers 413 at once: reading a body only to throw it away would let
 * a peer hold the connection for as long as it promises bytes. */
static int on_headers_complete(http_parser *p) {
  pl_http_reader *r = R(p);
  r->headers_done = true;
  if (p->content_length != ULLONG_MAX && p->content_length > r->max_body)
    return refuse(r, PL_HTTP_LIMIT_BODY);
  return 0;
}

static int on_chunk_header(http_parser *p) {
  pl_http_reader *r = R(p);
  if (p->content_length > r->max_body - r->msg.body_len)
    return refuse(r, PL_HTTP_LIMIT_BODY);
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  pl_http_reader *r = R(p);
  pl_http_msg *m = &r->msg;
  if (len > r->max_body - m->body_len)
    return refuse(r, PL_HTTP_LIMIT_BODY);
  if (m->body_len + len + 1 > r->body_cap) {
    size_t cap = r->body_cap ? r->body_cap : 4096;
    while (cap < m->body_len + len + 1)
      cap *= 2;
    if (cap > r->max_body + 1) /* not 128 KB for a 64 KB bound */
      cap = r->max_body + 1;
    char *nb = realloc(m->body, cap);
    if (!nb) {
      r->error = PL_ENOMEM;
      return -1;
    }
    m->body = nb;
    r->body_cap = cap;
  }
  memcpy(m->body + m->body_len, at, len);
  m->body_len += len;
  m->body[m->body_len] = 0;
  return 0;
}

static int on_complete(http_parser *p) {
  pl_http_reader *r = R(p);
  r->complete = true;
  r->msg.status = (int)p->status_code;
  if (p->type == HTTP_REQUEST)
    snprintf(r->msg.method, sizeof r->msg.method, "%s",
             http_method_str((enum http_method)p->method));
  http_parser_pause(p, 1); /* one message per connection */
  return 0;
}

void pl_http_reader_init(pl_http_reader *r, bool request) {
  memset(r, 0, sizeof *r);
  http_parser_init(&r->parser, request ? HTTP_REQUEST : HTTP_RESPONSE);
  r->parser.data = r;
  r->max_body = PL_HTTP_MAX_BODY;
  http_parser_settings_init(&r->settings);
  r->settings.on_url = on_url;
  r->settings.on_header_field = on_header_field;
  r->settings.on_header_value = on_header_value;
  r->settings.on_headers_complete = on_headers_complete;
  r->settings.on_chunk_header = on_chunk_header;
  r->settings.on_body = on_body;
  r->settings.on_message_complete = on_complete;
}

void pl_http_reader_free(pl_http_reader *r) {
  free(r->msg.body);
  r->msg.body = NULL;
}

int pl_http_reader_feed(pl_http_reader *r, const char *data, size_t len) {
  if (r->error)
    return r->error;
  if (r->complete)
    return 1;
  size_t used = http_parser_execute(&r->parser, &r->settings, data, len);
  enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
  if (r->complete)
    return 1;
  if (r->error) /* set by a callback (PL_ENOMEM) */
    return r->error;
  if (e != HPE_OK || used != len) {
    if (e == HPE_HEADER_OVERFLOW) /* http_parser's own 80 KB bound */
      r->limit = PL_HTTP_LIMIT_HEADERS;
    r->error = r->limit != PL_HTTP_LIMIT_NONE ? PL_EFULL : PL_EPARSE;
    return r->error;
  }
  return 0;
}

int pl_http_reader_eof(pl_http_reader *r) {
  if (r->complete)
    return 1;
  if (r->error)
    return r->error;
  http_parser_execute(&r->parser, &r->settings, NULL, 0);
  if (r->complete)
    return 1;
  return r->error = r->limit != PL_HTTP_LIMIT_NONE ? PL_EFULL : PL_ETRUNC;
}

const char *pl_http_msg_header(const pl_http_msg *m, const char *name) {
  for (int i = 0; i < m->n_headers; i++)
    if (strcasecmp(m->headers[i].name, name) == 0)
      return m->headers[i].value;
  return NULL;
}

const char *pl_http_reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 204: return "No Content";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 412: return "Precondition Failed";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Unknown";
  }
}
