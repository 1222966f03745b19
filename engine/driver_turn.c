/* TURN over TCP and TLS for the libuv driver (driver.c): one connection per
 * such server of a call, frames written through two fixed buffers, turns:
 * as OpenSSL over memory BIOs on the same connection; what is read goes to
 * the call's TURN client (engine/call/call_turn.c). docs/reach.md. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/driver_turn.h"
#include "engine/engine.h"

static pl_time_us mono_now(void) { return pl_time_now_real(); }

/* Frames go into `pend` while `fly` is being written: one uv_write in
 * flight, two buffers sized once, no allocation per frame; a frame that
 * does not fit waits for nothing: it is dropped and counted, like a full
 * socket buffer on UDP. */
#define TCP_BUF 65536

struct pl_turn_tcp {
  uv_tcp_t tcp;
  uv_connect_t conn;
  uv_write_t wreq;
  pl_call *c;
  int index;
  bool connected, writing, failed;
  /* turns: OpenSSL over two memory BIOs (in: what TCP read, out: what to
   * write), so the socket stays libuv's; `connected` waits for the
   * handshake. */
  bool tls;
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *in, *out;
  pl_addr server;
  uint8_t *fly, *pend;
  size_t flen, plen;
  uint8_t bufs[2][TCP_BUF];
  uint8_t rbuf[4096];
};

static void tcp_fail(pl_turn_tcp *t, const char *why) {
  if (t->failed || !pl_driver_is_open_(t->c))
    return; /* a call being closed: its connections go with it */
  t->failed = true;
  pl_call_turn_tcp_failed(t->c, t->index, mono_now(), why);
}

static void tcp_kick_write(pl_turn_tcp *t);

static void on_tcp_write(uv_write_t *w, int status) {
  pl_turn_tcp *t = w->data;
  t->writing = false;
  t->flen = 0;
  if (status < 0) {
    if (status != UV_ECANCELED)
      tcp_fail(t, uv_strerror(status));
    return;
  }
  tcp_kick_write(t);
}

static void tcp_kick_write(pl_turn_tcp *t) {
  if (t->writing || !t->plen || t->failed || (!t->connected && !t->tls))
    return;
  uint8_t *x = t->fly;
  t->fly = t->pend;
  t->flen = t->plen;
  t->pend = x;
  t->plen = 0;
  uv_buf_t b = uv_buf_init((char *)t->fly, (unsigned)t->flen);
  t->wreq.data = t;
  int rc = uv_write(&t->wreq, (uv_stream_t *)&t->tcp, &b, 1, on_tcp_write);
  if (rc == 0)
    t->writing = true;
  else
    tcp_fail(t, uv_strerror(rc));
}

/* Raw bytes onto the connection (after TLS, if any). */
static int tcp_queue(pl_turn_tcp *t, const uint8_t *p, size_t n) {
  if (t->plen + n > TCP_BUF)
    return UV_ENOBUFS;
  memcpy(t->pend + t->plen, p, n);
  t->plen += n;
  return 0;
}

/* What OpenSSL wrote into its out BIO goes onto the connection. */
static int tls_flush(pl_turn_tcp *t) {
  int rc = 0;
  size_t pending;
  while ((pending = BIO_ctrl_pending(t->out)) > 0) {
    size_t room = TCP_BUF - t->plen;
    if (!room) {
      rc = UV_ENOBUFS;
      break;
    }
    int k = BIO_read(t->out, t->pend + t->plen, (int)(pending < room ? pending : room));
    if (k <= 0)
      break;
    t->plen += (size_t)k;
  }
  tcp_kick_write(t);
  return rc;
}

int pl_driver_turn_send(pl_turn_tcp *t, const uint8_t *p, size_t n) {
  if (!t || !t->connected || t->failed)
    return UV_ENOBUFS;
  if (t->tls) {
    /* A frame that would not fit once encrypted is refused whole, never
     * cut: a cut frame would break the stream's framing for good. */
    if (t->plen + n + 64 > TCP_BUF || SSL_write(t->ssl, p, (int)n) != (int)n)
      return UV_ENOBUFS;
    return tls_flush(t);
  }
  int rc = tcp_queue(t, p, n);
  tcp_kick_write(t);
  return rc;
}

static void tls_fail(pl_turn_tcp *t, const char *what) {
  char why[160];
  unsigned long e = ERR_get_error();
  long v = t->ssl ? SSL_get_verify_result(t->ssl) : X509_V_OK;
  if (v != X509_V_OK)
    snprintf(why, sizeof why, "TLS %s: %s", what, X509_verify_cert_error_string(v));
  else
    snprintf(why, sizeof why, "TLS %s: %s", what, e ? ERR_reason_error_string(e) : "failed");
  ERR_clear_error();
  tcp_fail(t, why);
}

/* Bytes read from a turns: connection: the handshake first, then the
 * plaintext stream for the TURN client. */
static void tls_input(pl_turn_tcp *t, pl_time_us now, const uint8_t *p, size_t n) {
  BIO_write(t->in, p, (int)n);
  if (!t->connected) {
    int r = SSL_do_handshake(t->ssl);
    tls_flush(t);
    if (r != 1) {
      int e = SSL_get_error(t->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        tls_fail(t, "handshake");
      return;
    }
    t->connected = true;
    pl_call_turn_tcp_connected(t->c, t->index, now);
  }
  uint8_t plain[4096];
  for (;;) {
    int k = SSL_read(t->ssl, plain, sizeof plain);
    if (k <= 0) {
      int e = SSL_get_error(t->ssl, k);
      if (e == SSL_ERROR_ZERO_RETURN)
        tcp_fail(t, "closed by the server (TLS)");
      else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        tls_fail(t, "read");
      break;
    }
    pl_call_turn_tcp_input(t->c, t->index, now, plain, (size_t)k);
  }
  tls_flush(t);
}

static int tls_start(pl_turn_tcp *t, const char *ca_file) {
  t->ctx = SSL_CTX_new(TLS_client_method());
  if (!t->ctx)
    return -1;
  SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
  if (ca_file && ca_file[0] ? SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1
                            : SSL_CTX_set_default_verify_paths(t->ctx) != 1)
    return -1;
  SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
  t->ssl = SSL_new(t->ctx);
  t->in = BIO_new(BIO_s_mem());
  t->out = BIO_new(BIO_s_mem());
  if (!t->ssl || !t->in || !t->out) {
    BIO_free(t->in);
    BIO_free(t->out);
    t->in = t->out = NULL;
    return -1;
  }
  SSL_set_bio(t->ssl, t->in, t->out); /* the SSL owns both now */
  /* A numeric server: its certificate must name that IP (a SAN). */
  char ip[PL_ADDR_STRLEN];
  pl_addr_ip(&t->server, ip, sizeof ip);
  if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), ip) != 1)
    return -1;
  SSL_set_connect_state(t->ssl);
  SSL_do_handshake(t->ssl); /* the ClientHello into the out BIO */
  tls_flush(t);
  return 0;
}

static void on_tcp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  pl_turn_tcp *t = h->data;
  *buf = uv_buf_init((char *)t->rbuf, sizeof t->rbuf);
}

static void on_tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  pl_turn_tcp *t = s->data;
  if (nread < 0) {
    tcp_fail(t, nread == UV_EOF ? "closed by the server" : uv_strerror((int)nread));
    uv_read_stop(s);
    return;
  }
  if (nread == 0 || !pl_driver_is_open_(t->c))
    return;
  pl_time_us now = mono_now();
  if (t->tls)
    tls_input(t, now, (const uint8_t *)buf->base, (size_t)nread);
  else
    pl_call_turn_tcp_input(t->c, t->index, now, (const uint8_t *)buf->base, (size_t)nread);
  pl_driver_service_(t->c);
}

static void on_tcp_connect(uv_connect_t *req, int status) {
  pl_turn_tcp *t = req->data;
  if (status < 0) {
    if (status != UV_ECANCELED)
      tcp_fail(t, uv_strerror(status));
    return;
  }
  uv_read_start((uv_stream_t *)&t->tcp, on_tcp_alloc, on_tcp_read);
  if (t->tls) {
    /* Writes go out before `connected`: the handshake's own. */
    t->connected = false;
    if (tls_start(t, t->c->wrtc->turn_ca) != 0)
      tls_fail(t, "set-up");
    return;
  }
  t->connected = true;
  pl_call_turn_tcp_connected(t->c, t->index, mono_now());
  pl_driver_service_(t->c);
}

int pl_driver_turn_open(pl_call *c, pl_turn_tcp **slots) {
  int opened = 0;
  for (int i = 0; i < 4; i++) {
    pl_addr server;
    bool tls = false;
    if (!pl_call_turn_tcp(c, i, &server, &tls))
      continue;
    pl_turn_tcp *t = calloc(1, sizeof *t); /* once per call and server */
    if (!t) {
      pl_call_turn_tcp_failed(c, i, mono_now(), "out of memory");
      continue;
    }
    t->c = c;
    t->index = i;
    t->tls = tls;
    t->server = server;
    t->fly = t->bufs[0];
    t->pend = t->bufs[1];
    uv_tcp_init(c->engine->loop, &t->tcp);
    t->tcp.data = t;
    uv_tcp_nodelay(&t->tcp, 1); /* media frames: no Nagle delay */
    slots[i] = t;
    opened++;
    t->conn.data = t;
    int rc = uv_tcp_connect(&t->conn, &t->tcp, (const struct sockaddr *)&server.ss, on_tcp_connect);
    if (rc)
      tcp_fail(t, uv_strerror(rc));
  }
  return opened;
}

static void on_tcp_closed(uv_handle_t *h) {
  pl_turn_tcp *t = h->data;
  pl_call *c = t->c;
  if (t->ssl)
    SSL_free(t->ssl); /* and its BIOs */
  else {
    BIO_free(t->in);
    BIO_free(t->out);
  }
  SSL_CTX_free(t->ctx);
  free(t);
  pl_driver_handle_closed_(c);
}

void pl_driver_turn_close(pl_turn_tcp *t) {
  /* Closing the connection ends its allocation too (RFC 8656 3.1). */
  uv_close((uv_handle_t *)&t->tcp, on_tcp_closed);
}
