/* The sans-IO half of HTTP: bytes in, one bounded message out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/http/http.h"
#include "parley.h"

static pl_http_reader *R(http_parser *p) { return p->data; }

static int append(char *dst, size_t cap, const char *at, size_t len) {
  size_t cur = strlen(dst);
  if (cur + len >= cap)
    return -1;
  memcpy(dst + cur, at, len);
  dst[cur + len] = 0;
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  return append(R(p)->msg.url, sizeof R(p)->msg.url, at, len);
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  pl_http_reader *r = R(p);
  pl_http_msg *m = &r->msg;
  if (r->in_value || m->n_headers == 0) {
    if (m->n_headers == PL_HTTP_MAX_HEADERS)
      return -1;
    m->n_headers++;
    r->in_value = false;
  }
  pl_http_header *h = &m->headers[m->n_headers - 1];
  return append(h->name, sizeof h->name, at, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  pl_http_reader *r = R(p);
  if (r->msg.n_headers == 0)
    return -1;
  r->in_value = true;
  pl_http_header *h = &r->msg.headers[r->msg.n_headers - 1];
  return append(h->value, sizeof h->value, at, len);
}

static int on_body(http_parser *p, const char *at, size_t len) {
  pl_http_reader *r = R(p);
  pl_http_msg *m = &r->msg;
  if (m->body_len + len > PL_HTTP_MAX_BODY)
    return -1;
  if (m->body_len + len + 1 > r->body_cap) {
    size_t cap = r->body_cap ? r->body_cap : 4096;
    while (cap < m->body_len + len + 1)
      cap *= 2;
    char *nb = realloc(m->body, cap);
    if (!nb)
      return -1;
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
  http_parser_settings_init(&r->settings);
  r->settings.on_url = on_url;
  r->settings.on_header_field = on_header_field;
  r->settings.on_header_value = on_header_value;
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
  if (e != HPE_OK || used != len) {
    r->error = (e == HPE_CB_body || e == HPE_CB_header_field ||
                e == HPE_CB_header_value || e == HPE_CB_url)
                   ? PL_EFULL
                   : PL_EPARSE;
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
  return r->complete ? 1 : (r->error = PL_ETRUNC);
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
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 409: return "Conflict";
  case 412: return "Precondition Failed";
  case 422: return "Unprocessable Content";
  case 413: return "Payload Too Large";
  case 415: return "Unsupported Media Type";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Unknown";
  }
}
