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

/* Server defaults (pl_http_limits_init); docs/http.md explains each. The
 * server is signaling for a handful of calls, so the numbers are small: a
 * stranger must not be able to hold its memory, its file descriptors or
 * its attention for longer than a real WHIP exchange needs. */
#define PL_HTTP_HEADER_TIMEOUT_MS 5000  /* accept -> end of headers: 408 */
#define PL_HTTP_BODY_TIMEOUT_MS 10000   /* accept -> end of body: 408 */
#define PL_HTTP_IDLE_TIMEOUT_MS 5000    /* longest gap between reads: 408 */
#define PL_HTTP_WRITE_TIMEOUT_MS 5000   /* response must drain, else close */
#define PL_HTTP_LINGER_MS 1000          /* after an error answer, see server.c */
#define PL_HTTP_MAX_CONNS 64            /* requests in progress: then 503 */
#define PL_HTTP_MAX_CONNS_PER_IP 8      /* from one address: then 429 */
#define PL_HTTP_RETRY_AFTER_S 1         /* Retry-After on 503 and 429 */
/* Handshaken connections the kernel queues for accept. When the queue is
 * full the kernel drops SYNs and the caller retries after 1 s, 3 s, ...:
 * with 16, a burst (or a busy loop) delayed honest callers by seconds;
 * accepting and answering 503/429 at once is the better refusal. */
#define PL_HTTP_LISTEN_BACKLOG 128
/* Client: connect + request + response, else PL_ETIMEDOUT. */
#define PL_HTTP_CLIENT_TIMEOUT_MS 10000

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

/* Which bound a message hit (PL_EFULL from the reader). */
typedef enum pl_http_limit {
  PL_HTTP_LIMIT_NONE = 0,
  PL_HTTP_LIMIT_URL,          /* request target over PL_HTTP_MAX_URL: 414 */
  PL_HTTP_LIMIT_HEADERS,      /* too many, too long, or over the parser's
                                 80 KB header block: 431 */
  PL_HTTP_LIMIT_BODY,         /* body over max_body: 413 */
} pl_http_limit;

typedef struct pl_http_reader {
  http_parser parser;
  http_parser_settings settings;
  pl_http_msg msg;
  size_t body_cap;
  size_t max_body; /* PL_HTTP_MAX_BODY after init; may be lowered */
  bool in_value, complete;
  bool headers_done; /* the header block is in; the body may follow */
  pl_http_limit limit; /* set with PL_EFULL */
  int error; /* PL_E* once the stream is bad */
} pl_http_reader;

/* Memory is bounded for any input: msg is fixed-size and the body grows to
 * at most max_body + 1 bytes. A Content-Length or chunk size that would
 * pass max_body is refused when it is announced, before any of it is read. */
void pl_http_reader_init(pl_http_reader *r, bool request);
void pl_http_reader_free(pl_http_reader *r);
/* Returns 1 when a whole message is in r->msg, 0 when more bytes are
 * needed, or a PL_E* error (PL_EPARSE malformed, PL_EFULL too large: then
 * r->limit says which bound). */
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

/* Bounds on what strangers can make the server hold. Timeouts in ms. */
typedef struct pl_http_limits {
  int header_timeout_ms; /* from accept to the end of the headers */
  int body_timeout_ms;   /* from accept to the end of the body */
  int idle_timeout_ms;   /* longest gap between two reads of a request */
  int write_timeout_ms;  /* from the start of a response to its last byte */
  int linger_ms;         /* reading and dropping after an error answer */
  int max_conns;         /* requests being read or answered; more: 503 */
  int max_conns_per_ip;  /* of those, from one address; more: 429 */
  size_t max_body;       /* at most PL_HTTP_MAX_BODY */
} pl_http_limits;

void pl_http_limits_init(pl_http_limits *l);

typedef struct pl_http_server_stats {
  int open;      /* connections reading a request or writing its answer */
  int lingering; /* answered with an error, draining before close */
  unsigned long accepted, answered; /* answered: the handler ran */
  unsigned long timeouts;       /* 408: header, body or idle deadline */
  unsigned long write_timeouts; /* answer not drained in time: closed */
  unsigned long too_large;      /* 413, 414, 431 */
  unsigned long malformed;      /* 400 */
  unsigned long over_cap;       /* 503 */
  unsigned long over_ip;        /* 429 */
  unsigned long dropped; /* closed without an answer: too many waiting to
                            close, or the peer vanished mid-request */
} pl_http_server_stats;

/* Listens on addr ("127.0.0.1:8000") with the default limits.
 * PL_EADDRINUSE when taken. */
int pl_http_server_new(pl_http_server **out, uv_loop_t *loop,
                       const char *addr, pl_http_handler handler, void *user);
/* The same with explicit limits (NULL: defaults); PL_EINVAL for a limit
 * that is zero, negative, or a max_body over PL_HTTP_MAX_BODY. */
int pl_http_server_new_limited(pl_http_server **out, uv_loop_t *loop,
                               const char *addr, const pl_http_limits *limits,
                               pl_http_handler handler, void *user);
/* Port actually bound (useful with port 0). */
int pl_http_server_port(const pl_http_server *s);
void pl_http_server_stats_get(const pl_http_server *s, pl_http_server_stats *out);
/* Closes the listener and open connections; frees once libuv is done. */
void pl_http_server_free(pl_http_server *s);

/* --- libuv client: one request, callback with the response or an error. */
typedef void (*pl_http_done)(void *user, int err, const pl_http_msg *resp);

/* `done` runs exactly once: with the response, or PL_ECLOSED (refused),
 * PL_EIO, PL_EPARSE, PL_EFULL (response over PL_HTTP_MAX_BODY or its
 * header bounds), PL_ETRUNC (closed mid-response), or PL_ETIMEDOUT when
 * connect + request + response took longer than PL_HTTP_CLIENT_TIMEOUT_MS. */
int pl_http_request(uv_loop_t *loop, const char *addr, const char *method,
                    const char *path, const char *content_type,
                    const char *body, size_t body_len, pl_http_done done,
                    void *user);
/* The same with its own deadline (ms, > 0). */
int pl_http_request_timeout(uv_loop_t *loop, const char *addr,
                            const char *method, const char *path,
                            const char *content_type, const char *body,
                            size_t body_len, int timeout_ms, pl_http_done done,
                            void *user);

/* The same with extra header lines (each ending in CRLF; NULL for none)
 * and no Content-Type when content_type is NULL; _ex with both. */
int pl_http_request2(uv_loop_t *loop, const char *addr, const char *method,
                     const char *path, const char *headers, const char *content_type,
                     const char *body, size_t body_len, pl_http_done done,
                     void *user);

int pl_http_request_ex(uv_loop_t *loop, const char *addr, const char *method,
                       const char *path, const char *headers, const char *content_type,
                       const char *body, size_t body_len, int timeout_ms,
                       pl_http_done done, void *user);

/* The same, with a handle for pl_http_request_cancel, valid until done
 * runs: a long poll (Janus's event channel) must not hold the app's loop
 * for its 30 s when the app is leaving. */
typedef struct pl_http_req pl_http_req;
int pl_http_request_h(uv_loop_t *loop, const char *addr, const char *method,
                      const char *path, const char *headers, const char *content_type,
                      const char *body, size_t body_len, int timeout_ms,
                      pl_http_done done, void *user, pl_http_req **handle);
/* Ends the request now: done runs (inside this call) with PL_ECLOSED. */
void pl_http_request_cancel(pl_http_req *r);

const char *pl_http_reason(int status);

#endif
