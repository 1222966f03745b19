/* Minimal HTTP/1.1 for signaling (WHIP-style offer/answer), on Debian's
 * http-parser. pl_http_reader is the sans-IO half: feed bytes, get one
 * complete message. The server and client wrap it with libuv TCP handles
 * and live only in the driver layer. One request per connection
 * (Connection: close); bodies are bounded, since SDP is small and a peer
 * must not make us buffer without limit. */
#ifndef PL_ENGINE_HTTP_H
#define PL_ENGINE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include <http_parser.h>

#define PL_HTTP_MAX_BODY (64 * 1024)
#define PL_HTTP_MAX_URL 512
#define PL_HTTP_MAX_HEADERS 24
#define PL_HTTP_MAX_HEADER_LEN 512

typedef struct pl_http_header {
  char name[64];
  char value[PL_HTTP_MAX_HEADER_LEN];
} pl_http_header;

typedef struct pl_http_msg {
  /* request */
  char method[16];
  char url[PL_HTTP_MAX_URL];
  /* response */
  int status;
  pl_http_header headers[PL_HTTP_MAX_HEADERS];
  int n_headers;
  char *body; /* NUL-terminated, owned by the reader */
  size_t body_len;
} pl_http_msg;

typedef struct pl_http_reader {
  http_parser parser;
  http_parser_settings settings;
  pl_http_msg msg;
  size_t body_cap;
  bool in_value, complete;
  int error; /* PL_E* once the stream is bad */
} pl_http_reader;

void pl_http_reader_init(pl_http_reader *r, bool request);
void pl_http_reader_free(pl_http_reader *r);
/* Returns 1 when a whole message is in r->msg, 0 when more bytes are
 * needed, or a PL_E* error (malformed, too large). */
int pl_http_reader_feed(pl_http_reader *r, const char *data, size_t len);
/* Call when the peer closed: completes messages delimited by EOF. */
int pl_http_reader_eof(pl_http_reader *r);
/* Case-insensitive header lookup; NULL when absent. */
const char *pl_http_msg_header(const pl_http_msg *m, const char *name);

/* --- libuv server: one handler per request; the handler fills `resp`. --- */
typedef struct pl_http_response {
  int status;
  char content_type[64];
  char location[256];
  char headers[512]; /* more header lines, each ending in CRLF, or empty */
  const char *body; /* borrowed until the handler returns (copied) */
  size_t body_len;
} pl_http_response;

typedef void (*pl_http_handler)(void *user, const pl_http_msg *req,
                                pl_http_response *resp);

typedef struct pl_http_server pl_http_server;

/* Listens on addr ("127.0.0.1:8000"). PL_EADDRINUSE when taken. */
int pl_http_server_new(pl_http_server **out, uv_loop_t *loop,
                       const char *addr, pl_http_handler handler, void *user);
/* Port actually bound (useful with port 0). */
int pl_http_server_port(const pl_http_server *s);
/* Closes the listener and open connections; frees once libuv is done. */
void pl_http_server_free(pl_http_server *s);

/* --- libuv client: one request, callback with the response or an error. */
typedef void (*pl_http_done)(void *user, int err, const pl_http_msg *resp);

int pl_http_request(uv_loop_t *loop, const char *addr, const char *method,
                    const char *path, const char *content_type,
                    const char *body, size_t body_len, pl_http_done done,
                    void *user);

/* The same with extra header lines (each ending in CRLF; NULL for none)
 * and no Content-Type when content_type is NULL. */
int pl_http_request2(uv_loop_t *loop, const char *addr, const char *method,
                     const char *path, const char *headers, const char *content_type,
                     const char *body, size_t body_len, pl_http_done done,
                     void *user);

const char *pl_http_reason(int status);

#endif
