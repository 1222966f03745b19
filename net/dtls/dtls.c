/* DTLS connection over memory BIOs, driven by the caller's clock.
 *
 * Timers: OpenSSL 3.0 times DTLS retransmissions with gettimeofday() and
 * offers no way to pass `now` in. So the timer callback (DTLS_set_timer_cb)
 * gives OpenSSL the same durations this layer uses (initial_rto, doubling to
 * 60 s) and this layer keeps its own deadline on the caller's clock. When it
 * passes, DTLSv1_handle_timeout is asked first: on a real-time driver both
 * clocks agree (within OpenSSL's 15 ms slack) and OpenSSL retransmits the
 * flight with fresh record numbers. If OpenSSL declines because real time
 * has not moved (a simulated clock running ahead), this layer re-sends the
 * flight it captured when OpenSSL wrote it, byte for byte. A byte-identical
 * copy is dropped by a peer that already has it (replay window), which
 * matters for one case only: the peer's answer was the final flight and was
 * lost. The final-flight sender here therefore re-sends its own final flight
 * when a datagram of nothing but already-seen handshake records arrives.
 *
 * After the handshake, anyone who can spoof the peer's address can send us
 * records, and RFC 6347 4.1.2.7 says invalid ones are silently discarded.
 * OpenSSL 3.0 does that for most, but treats some (an epoch-1 record shorter
 * than the AEAD nonce and tag, for one) as fatal: it writes an alert and
 * the SSL object is dead for good. So every record is checked here first
 * (header, version, epoch, length for the negotiated cipher) and handed to
 * OpenSSL alone; only an authenticated alert from the peer ends the session.
 * See docs/webrtc-cores.md. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "net/dtls/dtls_internal.h"
#include "parley.h"

#define TXQ 64
#define RXQ 8
#define RX_MAX 16384
#define FLIGHT_MAX 16384
#define FLIGHT_DGRAMS 24
#define SEEN 64
#define MAX_RTO PL_SEC(60)
#define REC_HDR ((size_t)13)
/* Renegotiation is off (SSL_OP_NO_RENEGOTIATION), so once the handshake is
 * done every genuine record from the peer is in epoch 1. */
#define APP_EPOCH 1

typedef struct tx_slot {
  size_t len;
  uint8_t data[PL_DTLS_MAX_MTU];
} tx_slot;

typedef struct rx_slot {
  size_t len;
  uint8_t data[RX_MAX];
} rx_slot;

struct pl_dtls {
  SSL_CTX *ctx;
  SSL *ssl;
  BIO *rbio, *wbio;
  pl_dtls_role role;
  size_t mtu;
  pl_time_us initial_rto, hs_timeout;
  pl_dtls_state state;
  bool hs_done, final_sender;

  bool have_fp, fp_mismatch;
  char fp_alg[16];
  uint8_t fp[64];
  size_t fp_len;

  pl_time_us t_start, rtx_at, rto;
  bool cb_new_flight, cb_ossl_timeout;
  bool cb_msg_in;      /* OpenSSL read an alert, CCS or handshake message */
  int cb_alert;        /* level << 8 | description of the last alert read */
  int peer_alert;      /* description of the peer's fatal alert, or -1 */
  size_t rec_min, rec_block; /* record body bounds for the cipher in use */

  /* The last flight as datagrams, for re-sending on the caller's clock. */
  uint8_t flight[FLIGHT_MAX];
  size_t flight_len, fl_n, fl_len[FLIGHT_DGRAMS];
  bool flight_ok;
  pl_time_us flight_at;

  uint64_t seen[SEEN]; /* hashes of the handshake's records received */
  size_t seen_n, seen_pos;

  tx_slot *tx;
  size_t tx_head, tx_n;
  rx_slot *rx;
  size_t rx_head, rx_n;
  struct {
    pl_dtls_event ev;
    int err;
  } evq[8];
  size_t ev_head, ev_n;
  pl_dtls_stats stats;
  uint8_t sink[RX_MAX]; /* data that cannot be delivered, discarded */
};

static const struct {
  uint16_t id;
  const char *name;
  size_t key, salt;
} profiles[] = {
    {PL_DTLS_SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", 16, 14},
    {PL_DTLS_SRTP_AES128_CM_SHA1_32, "SRTP_AES128_CM_SHA1_32", 16, 14},
    {PL_DTLS_SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", 16, 12},
    {PL_DTLS_SRTP_AEAD_AES_256_GCM, "SRTP_AEAD_AES_256_GCM", 32, 12},
};

static int profile_index(uint16_t id) {
  for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
    if (profiles[i].id == id)
      return (int)i;
  return -1;
}

const char *pl_dtls_profile_name(uint16_t id) {
  int i = profile_index(id);
  return i < 0 ? "?" : profiles[i].name;
}

/* ---- output queues ---- */

static void push_event(pl_dtls *d, pl_dtls_event ev, int err) {
  if (d->ev_n == sizeof d->evq / sizeof d->evq[0])
    return; /* at most a handful per connection: cannot fill */
  size_t i = (d->ev_head + d->ev_n++) % (sizeof d->evq / sizeof d->evq[0]);
  d->evq[i].ev = ev;
  d->evq[i].err = err;
}

static void push_tx(pl_dtls *d, const uint8_t *p, size_t n) {
  if (d->tx_n == TXQ || n > PL_DTLS_MAX_MTU) {
    d->stats.out_dropped++;
    return;
  }
  tx_slot *s = &d->tx[(d->tx_head + d->tx_n++) % TXQ];
  memcpy(s->data, p, n);
  s->len = n;
  d->stats.datagrams_out++;
}

static void fail(pl_dtls *d, int err) {
  if (d->state == PL_DTLS_FAILED || d->state == PL_DTLS_CLOSED)
    return;
  d->state = PL_DTLS_FAILED;
  d->rtx_at = PL_TIME_NEVER;
  push_event(d, PL_DTLS_EV_FAILED, err);
  ERR_clear_error();
}

/* Moves what OpenSSL wrote into datagrams of whole records, packed up to
 * the MTU. With `capture`, they also become the flight to re-send. */
static void flush_out(pl_dtls *d, pl_time_us now, bool capture) {
  char *buf;
  long total = BIO_get_mem_data(d->wbio, &buf);
  if (total <= 0)
    return;
  const uint8_t *p = (const uint8_t *)buf;
  size_t n = (size_t)total, off = 0, start = 0;
  if (capture) {
    d->flight_len = d->fl_n = 0;
    d->flight_ok = true;
    d->flight_at = now;
  }
  while (off < n) {
    size_t rl = n - off >= REC_HDR ? REC_HDR + pl_be16(p + off + 11) : n - off;
    if (off + rl > n)
      rl = n - off;
    if (off > start && off + rl - start > d->mtu) {
      push_tx(d, p + start, off - start);
      if (capture) {
        if (d->fl_n < FLIGHT_DGRAMS && d->flight_len + (off - start) <= FLIGHT_MAX) {
          memcpy(d->flight + d->flight_len, p + start, off - start);
          d->flight_len += off - start;
          d->fl_len[d->fl_n++] = off - start;
        } else {
          d->flight_ok = false;
        }
      }
      start = off;
    }
    off += rl;
  }
  push_tx(d, p + start, n - start);
  if (capture) {
    if (d->fl_n < FLIGHT_DGRAMS && d->flight_len + (n - start) <= FLIGHT_MAX) {
      memcpy(d->flight + d->flight_len, p + start, n - start);
      d->flight_len += n - start;
      d->fl_len[d->fl_n++] = n - start;
    } else {
      d->flight_ok = false;
    }
  }
  (void)BIO_reset(d->wbio);
}

static void resend_flight(pl_dtls *d, pl_time_us now) {
  if (!d->flight_ok)
    return;
  size_t off = 0;
  for (size_t i = 0; i < d->fl_n; i++) {
    push_tx(d, d->flight + off, d->fl_len[i]);
    off += d->fl_len[i];
  }
  d->flight_at = now;
}

/* ---- OpenSSL callbacks ---- */

static unsigned timer_cb(SSL *ssl, unsigned prev_us) {
  pl_dtls *d = SSL_get_app_data(ssl);
  if (prev_us == 0) {
    d->cb_new_flight = true;
    d->rto = d->initial_rto;
  } else {
    d->cb_ossl_timeout = true;
    d->rto = d->rto * 2 > MAX_RTO ? MAX_RTO : d->rto * 2;
    d->stats.openssl_resent++;
  }
  return (unsigned)d->rto;
}

/* Only records read (write_p == 0) matter: did the one just handed to
 * OpenSSL carry anything, and was it an alert. */
static void msg_cb(int write_p, int version, int content_type, const void *buf,
                   size_t len, SSL *ssl, void *arg) {
  (void)version;
  (void)ssl;
  pl_dtls *d = arg;
  if (write_p || content_type == SSL3_RT_HEADER)
    return;
  if (content_type == SSL3_RT_ALERT && len == 2) {
    const uint8_t *a = buf;
    d->cb_alert = a[0] << 8 | a[1];
  }
  if (content_type == SSL3_RT_ALERT || content_type == SSL3_RT_HANDSHAKE ||
      content_type == SSL3_RT_CHANGE_CIPHER_SPEC)
    d->cb_msg_in = true;
}

static bool cert_matches(const pl_dtls *d, X509 *x) {
  const EVP_MD *md = pl_dtls_md_(d->fp_alg);
  uint8_t dg[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  return md && X509_digest(x, md, dg, &n) == 1 && n == d->fp_len &&
         CRYPTO_memcmp(dg, d->fp, n) == 0;
}

/* Self-signed certificates are the norm (RFC 8827 6.5): chain errors are
 * accepted, and the identity check is the SDP fingerprint, done here during
 * the handshake when it is already known, else before CONNECTED. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *st) {
  (void)preverify_ok;
  SSL *ssl = X509_STORE_CTX_get_ex_data(st, SSL_get_ex_data_X509_STORE_CTX_idx());
  pl_dtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
  if (!d || X509_STORE_CTX_get_error_depth(st) != 0 || !d->have_fp)
    return 1;
  X509 *x = X509_STORE_CTX_get_current_cert(st);
  if (x && cert_matches(d, x))
    return 1;
  d->fp_mismatch = true;
  return 0;
}

/* ---- life cycle ---- */

static const char ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA";

pl_dtls *pl_dtls_new(const pl_dtls_config *cfg) {
  if (!cfg || !cfg->cert || cfg->mtu > PL_DTLS_MAX_MTU ||
      (cfg->mtu && cfg->mtu < 256))
    return NULL;
  pl_dtls *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  d->role = cfg->role;
  d->mtu = cfg->mtu ? cfg->mtu : 1200;
  d->initial_rto = cfg->initial_rto ? cfg->initial_rto : PL_SEC(1);
  d->hs_timeout = cfg->handshake_timeout ? cfg->handshake_timeout : PL_SEC(30);
  d->rto = d->initial_rto;
  d->rtx_at = PL_TIME_NEVER;
  d->cb_alert = d->peer_alert = -1;
  d->tx = calloc(TXQ, sizeof *d->tx);
  d->rx = calloc(RXQ, sizeof *d->rx);
  if (!d->tx || !d->rx)
    goto fail;
  if (cfg->remote_fingerprint &&
      pl_dtls_set_remote_fingerprint(d, 0, cfg->remote_fingerprint) < 0)
    goto fail;

  char plist[160] = "";
  uint16_t defaults[2] = {PL_DTLS_SRTP_AEAD_AES_128_GCM,
                          PL_DTLS_SRTP_AES128_CM_SHA1_80};
  const uint16_t *ids = cfg->srtp_profiles ? cfg->srtp_profiles : defaults;
  size_t nid = cfg->srtp_profiles ? cfg->n_srtp_profiles : 2;
  for (size_t i = 0; i < nid; i++) {
    int k = profile_index(ids[i]);
    if (k < 0)
      goto fail;
    if (plist[0])
      strcat(plist, ":");
    strcat(plist, profiles[k].name);
  }
  if (!plist[0])
    goto fail;

  ERR_clear_error();
  d->ctx = SSL_CTX_new(DTLS_method());
  if (!d->ctx ||
      SSL_CTX_set_min_proto_version(d->ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(d->ctx, DTLS1_2_VERSION) != 1 ||
      SSL_CTX_use_certificate(d->ctx, cfg->cert->x509) != 1 ||
      SSL_CTX_use_PrivateKey(d->ctx, cfg->cert->key) != 1 ||
      SSL_CTX_set_cipher_list(d->ctx, ciphers) != 1 ||
      SSL_CTX_set_tlsext_use_srtp(d->ctx, plist) != 0) /* 0 is success */
    goto fail;
  SSL_CTX_set_verify(d->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     verify_cb);
  SSL_CTX_set_session_cache_mode(d->ctx, SSL_SESS_CACHE_OFF);
  /* No Encrypt-then-MAC (RFC 7366): OpenSSL 3.0 DTLS fails the connection
   * on an EtM record whose MAC is wrong, so one forged record of any length
   * would end a CBC session. The CBC suites are for peers without AEAD,
   * which predate EtM anyway; with MAC-then-encrypt a bad record is dropped. */
  SSL_CTX_set_options(d->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_NO_QUERY_MTU | SSL_OP_NO_ENCRYPT_THEN_MAC);
  d->ssl = SSL_new(d->ctx);
  d->rbio = BIO_new(BIO_s_mem());
  d->wbio = BIO_new(BIO_s_mem());
  if (!d->ssl || !d->rbio || !d->wbio) {
    BIO_free(d->rbio);
    BIO_free(d->wbio);
    goto fail;
  }
  /* An empty memory BIO means "try again", not end of file. */
  BIO_set_mem_eof_return(d->rbio, -1);
  BIO_set_mem_eof_return(d->wbio, -1);
  SSL_set_bio(d->ssl, d->rbio, d->wbio);
  SSL_set_app_data(d->ssl, d);
  if (SSL_set_mtu(d->ssl, (long)d->mtu) <= 0) /* returns the MTU set */
    goto fail;
  DTLS_set_timer_cb(d->ssl, timer_cb);
  SSL_set_msg_callback(d->ssl, msg_cb);
  SSL_set_msg_callback_arg(d->ssl, d);
  if (d->role == PL_DTLS_CLIENT)
    SSL_set_connect_state(d->ssl);
  else
    SSL_set_accept_state(d->ssl);
  ERR_clear_error();
  return d;
fail:
  ERR_clear_error();
  pl_dtls_free(d);
  return NULL;
}

void pl_dtls_free(pl_dtls *d) {
  if (!d)
    return;
  SSL_free(d->ssl); /* frees the BIOs it owns */
  SSL_CTX_free(d->ctx);
  free(d->tx);
  free(d->rx);
  free(d);
}

/* ---- handshake ---- */

static void verify_peer(pl_dtls *d) {
  if (!d->have_fp)
    return; /* wait for pl_dtls_set_remote_fingerprint */
  X509 *peer = SSL_get1_peer_certificate(d->ssl);
  bool ok = peer && cert_matches(d, peer);
  X509_free(peer);
  if (!ok) {
    fail(d, PL_EAUTH);
    return;
  }
  d->state = PL_DTLS_CONNECTED;
  push_event(d, PL_DTLS_EV_CONNECTED, 0);
}

static void arm_timer(pl_dtls *d, pl_time_us now, bool new_flight,
                      bool ossl_rtx) {
  struct timeval tv;
  if (d->hs_done || !DTLSv1_get_timeout(d->ssl, &tv)) {
    d->rtx_at = PL_TIME_NEVER;
    return;
  }
  if (new_flight || ossl_rtx || d->rtx_at == PL_TIME_NEVER)
    d->rtx_at = now + d->rto;
}

/* The smallest record body a genuine peer can send with the cipher in use
 * (even an empty plaintext carries the explicit nonce or IV, and the tag or
 * MAC): OpenSSL 3.0 fails the whole connection on some shorter ones. */
static void record_bounds(pl_dtls *d) {
  const SSL_CIPHER *c = SSL_get_current_cipher(d->ssl);
  int nid = c ? SSL_CIPHER_get_cipher_nid(c) : NID_undef;
  d->rec_block = 0;
  if (nid == NID_aes_128_gcm || nid == NID_aes_256_gcm) {
    d->rec_min = 8 + 16; /* explicit nonce, tag (RFC 5288 3) */
  } else if (nid == NID_chacha20_poly1305) {
    d->rec_min = 16; /* tag; the nonce is implicit (RFC 7905 2) */
  } else {
    /* CBC with HMAC (Encrypt-then-MAC turned off in pl_dtls_new): explicit
     * IV, then whole blocks holding at least the MAC and the pad length. */
    const EVP_MD *md = c ? EVP_get_digestbynid(SSL_CIPHER_get_digest_nid(c)) : NULL;
    int mac = md ? EVP_MD_get_size(md) : 0;
    d->rec_block = 16;
    d->rec_min = 16 + ((size_t)(mac > 0 ? mac : EVP_MAX_MD_SIZE) / 16 + 1) * 16;
  }
}

static void handshake_step(pl_dtls *d, pl_time_us now) {
  ERR_clear_error();
  d->cb_alert = -1;
  int r = SSL_do_handshake(d->ssl);
  bool nf = d->cb_new_flight, ort = d->cb_ossl_timeout;
  d->cb_new_flight = d->cb_ossl_timeout = false;
  if (r != 1) {
    int e = SSL_get_error(d->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      if (d->cb_alert >> 8 == SSL3_AL_FATAL)
        d->peer_alert = d->cb_alert & 0xff;
      flush_out(d, now, false); /* the alert, if any */
      fail(d, d->fp_mismatch ? PL_EAUTH : PL_ECRYPTO);
      return;
    }
    flush_out(d, now, nf || ort);
    arm_timer(d, now, nf, ort);
    return;
  }
  /* Done. Whoever wrote in this call sent the final flight and must
   * answer the peer's repeats of its own last flight. */
  char *pending;
  d->final_sender = BIO_get_mem_data(d->wbio, &pending) > 0;
  flush_out(d, now, d->final_sender);
  d->hs_done = true;
  d->rtx_at = PL_TIME_NEVER;
  record_bounds(d);
  verify_peer(d);
}

int pl_dtls_start(pl_dtls *d, pl_time_us now) {
  if (d->state != PL_DTLS_NEW)
    return d->state == PL_DTLS_CONNECTING ? 0 : PL_ESTATE;
  d->state = PL_DTLS_CONNECTING;
  d->t_start = now;
  if (d->role == PL_DTLS_CLIENT)
    handshake_step(d, now);
  return 0;
}

int pl_dtls_set_remote_fingerprint(pl_dtls *d, pl_time_us now, const char *fp) {
  (void)now;
  char alg[16];
  uint8_t dg[64];
  int n = pl_dtls_parse_fingerprint(fp, alg, sizeof alg, dg, sizeof dg);
  if (n < 0)
    return n;
  if (d->state == PL_DTLS_CONNECTED || d->state == PL_DTLS_FAILED ||
      d->state == PL_DTLS_CLOSED)
    return PL_ESTATE;
  memcpy(d->fp_alg, alg, sizeof alg);
  memcpy(d->fp, dg, (size_t)n);
  d->fp_len = (size_t)n;
  d->have_fp = true;
  if (d->hs_done && d->state == PL_DTLS_CONNECTING)
    verify_peer(d);
  return 0;
}

/* True when every record in the datagram is a handshake or CCS record
 * already received: the peer repeating a flight we answered. */
static bool repeat_of_seen(pl_dtls *d, const uint8_t *p, size_t n) {
  uint64_t keys[16];
  size_t nk = 0, off = 0;
  bool all = true;
  while (off + REC_HDR <= n) {
    size_t rl = REC_HDR + pl_be16(p + off + 11);
    if (off + rl > n)
      return false;
    /* The whole record, not just epoch and sequence number: a repeat is a
     * byte-identical copy, which an off-path forger cannot make. */
    uint64_t k = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < rl; i++)
      k = (k ^ p[off + i]) * 0x100000001b3ULL;
    bool seen = false;
    for (size_t i = 0; i < d->seen_n; i++)
      seen = seen || d->seen[i] == k;
    all = all && seen && (p[off] == 20 || p[off] == 22);
    if (nk < 16)
      keys[nk++] = k;
    off += rl;
  }
  if (off != n || nk == 0)
    return false;
  /* Only the handshake's records are remembered: after it, a forger could
   * otherwise name the same record twice and draw our final flight. */
  for (size_t i = 0; i < nk && !d->hs_done; i++) {
    d->seen[d->seen_pos] = keys[i];
    d->seen_pos = (d->seen_pos + 1) % SEEN;
    if (d->seen_n < SEEN)
      d->seen_n++;
  }
  return all;
}

/* Drains what OpenSSL can read from the record(s) in rbio. Returns whether
 * anything came of it: data, an alert, a handshake message, the end. */
static bool read_app(pl_dtls *d, pl_time_us now) {
  bool effect = false;
  d->cb_msg_in = false;
  d->cb_alert = -1;
  for (;;) {
    bool keep = d->state == PL_DTLS_CONNECTED && d->rx_n < RXQ;
    rx_slot *s = keep ? &d->rx[(d->rx_head + d->rx_n) % RXQ] : NULL;
    ERR_clear_error();
    int r = SSL_read(d->ssl, s ? s->data : d->sink, RX_MAX);
    if (r > 0) {
      effect = true;
      if (s) {
        s->len = (size_t)r;
        d->rx_n++;
      } else {
        d->stats.data_dropped++;
      }
      continue;
    }
    int e = SSL_get_error(d->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      break;
    if (e == SSL_ERROR_ZERO_RETURN) {
      /* close_notify from the peer: answer in kind (RFC 5246 7.2.1). */
      SSL_shutdown(d->ssl);
      flush_out(d, now, false);
      d->state = PL_DTLS_CLOSED;
      push_event(d, PL_DTLS_EV_CLOSED, 0);
      ERR_clear_error();
      return true;
    }
    if (d->cb_alert >> 8 == SSL3_AL_FATAL) {
      /* An authenticated fatal alert from the peer: the session is over,
       * and nothing is owed in answer. */
      (void)BIO_reset(d->wbio);
      d->peer_alert = d->cb_alert & 0xff;
      fail(d, PL_ECLOSED);
      return true;
    }
    /* Anything else OpenSSL refused after the handshake is unauthenticated
     * input (record_ok should have stopped it): never answer it with an
     * alert the peer would take as the end of the call. */
    (void)BIO_reset(d->wbio);
    ERR_clear_error();
    return effect || d->cb_msg_in;
  }
  flush_out(d, now, false);
  return effect || d->cb_msg_in;
}

/* Whether a record (header and body, rl bytes, within the datagram) after
 * the handshake could be genuine; OpenSSL then checks that it is. */
static bool record_ok(const pl_dtls *d, const uint8_t *p, size_t rl) {
  size_t body = rl - REC_HDR;
  if (p[0] != SSL3_RT_ALERT && p[0] != SSL3_RT_HANDSHAKE &&
      p[0] != SSL3_RT_APPLICATION_DATA)
    return false; /* CCS only in a handshake; nothing else exists */
  if (p[1] != 0xfe || p[2] != 0xfd || pl_be16(p + 3) != APP_EPOCH)
    return false; /* epoch 0 is the handshake's plaintext: unauthenticated */
  if (body < d->rec_min || body > SSL3_RT_MAX_ENCRYPTED_LENGTH)
    return false;
  return !d->rec_block || (body - d->rec_block) % d->rec_block == 0;
}

/* After the handshake: each record on its own, checked first. OpenSSL reads
 * a memory BIO as one datagram, so a record alone is one read. */
static void input_records(pl_dtls *d, pl_time_us now, const uint8_t *p, size_t n) {
  size_t off = 0;
  while (off < n) {
    size_t rl = n - off >= REC_HDR ? REC_HDR + pl_be16(p + off + 11) : 0;
    if (rl == 0 || rl > n - off) {
      d->stats.records_discarded++; /* the rest cannot be framed */
      return;
    }
    bool effect = false;
    if (record_ok(d, p + off, rl)) {
      if (BIO_write(d->rbio, p + off, (int)rl) != (int)rl)
        return;
      effect = read_app(d, now);
      (void)BIO_reset(d->rbio);
    }
    if (!effect)
      d->stats.records_discarded++;
    if (d->state != PL_DTLS_CONNECTED && d->state != PL_DTLS_CONNECTING)
      return;
    off += rl;
  }
}

int pl_dtls_input(pl_dtls *d, pl_time_us now, const uint8_t *p, size_t n) {
  if (!p || n == 0)
    return PL_EINVAL;
  if (d->state == PL_DTLS_FAILED || d->state == PL_DTLS_CLOSED)
    return PL_ESTATE;
  if (d->state == PL_DTLS_NEW) {
    if (d->role == PL_DTLS_CLIENT)
      return PL_ESTATE;
    pl_dtls_start(d, now);
  }
  d->stats.datagrams_in++;
  if (repeat_of_seen(d, p, n) && d->hs_done && d->final_sender &&
      now - d->flight_at >= d->initial_rto / 2) {
    resend_flight(d, now);
    d->stats.dup_flight_replies++;
  }
  if (d->hs_done) {
    input_records(d, now, p, n);
    return 0;
  }
  if (BIO_write(d->rbio, p, (int)n) != (int)n)
    return PL_ENOMEM;
  handshake_step(d, now);
  /* The rest of the datagram that finished the handshake (it came with the
   * peer's Finished, so from whoever we just authenticated). */
  if (d->hs_done && (d->state == PL_DTLS_CONNECTED || d->state == PL_DTLS_CONNECTING))
    read_app(d, now);
  (void)BIO_reset(d->rbio); /* one datagram per call, nothing carried over */
  return 0;
}

int pl_dtls_timeout(pl_dtls *d, pl_time_us now) {
  if (d->state != PL_DTLS_CONNECTING)
    return 0;
  if (now >= d->t_start + d->hs_timeout) {
    fail(d, PL_ETIMEDOUT);
    return 0;
  }
  if (d->hs_done || now < d->rtx_at)
    return 0;
  ERR_clear_error();
  int r = DTLSv1_handle_timeout(d->ssl);
  if (r < 0) {
    flush_out(d, now, false);
    fail(d, PL_ETIMEDOUT);
    return 0;
  }
  if (r > 0) {
    bool ort = d->cb_ossl_timeout;
    d->cb_new_flight = d->cb_ossl_timeout = false;
    flush_out(d, now, true);
    arm_timer(d, now, false, ort);
    return 0;
  }
  /* OpenSSL's real-time timer has not run out: the caller's clock is
   * ahead of it. Re-send the captured flight ourselves. */
  resend_flight(d, now);
  d->stats.flights_resent++;
  d->rto = d->rto * 2 > MAX_RTO ? MAX_RTO : d->rto * 2;
  d->rtx_at = now + d->rto;
  return 0;
}

pl_time_us pl_dtls_deadline(const pl_dtls *d) {
  if (d->state != PL_DTLS_CONNECTING)
    return PL_TIME_NEVER;
  return pl_time_min(d->rtx_at, d->t_start + d->hs_timeout);
}

bool pl_dtls_poll(pl_dtls *d, pl_dtls_output *out) {
  memset(out, 0, sizeof *out);
  if (d->tx_n) {
    const tx_slot *s = &d->tx[d->tx_head];
    d->tx_head = (d->tx_head + 1) % TXQ;
    d->tx_n--;
    out->kind = PL_DTLS_OUT_TRANSMIT;
    out->data = s->data;
    out->len = s->len;
    return true;
  }
  if (d->rx_n) {
    const rx_slot *s = &d->rx[d->rx_head];
    d->rx_head = (d->rx_head + 1) % RXQ;
    d->rx_n--;
    out->kind = PL_DTLS_OUT_DATA;
    out->data = s->data;
    out->len = s->len;
    return true;
  }
  if (d->ev_n) {
    size_t cap = sizeof d->evq / sizeof d->evq[0];
    out->kind = PL_DTLS_OUT_EVENT;
    out->event = d->evq[d->ev_head].ev;
    out->error = d->evq[d->ev_head].err;
    d->ev_head = (d->ev_head + 1) % cap;
    d->ev_n--;
    return true;
  }
  return false;
}

int pl_dtls_send(pl_dtls *d, const uint8_t *p, size_t n) {
  if (!p || n == 0)
    return PL_EINVAL;
  if (d->state != PL_DTLS_CONNECTED)
    return PL_ESTATE;
  size_t max = DTLS_get_data_mtu(d->ssl);
  if (max && n > max)
    return PL_ERANGE;
  ERR_clear_error();
  int r = SSL_write(d->ssl, p, (int)n);
  flush_out(d, 0, false);
  if (r != (int)n) {
    ERR_clear_error();
    return PL_ECRYPTO;
  }
  return 0;
}

int pl_dtls_close(pl_dtls *d) {
  if (d->state == PL_DTLS_CLOSED)
    return 0;
  if (d->state == PL_DTLS_CONNECTED) {
    ERR_clear_error();
    SSL_shutdown(d->ssl);
    flush_out(d, 0, false);
    ERR_clear_error();
  }
  d->state = PL_DTLS_CLOSED;
  d->rtx_at = PL_TIME_NEVER;
  push_event(d, PL_DTLS_EV_CLOSED, 0);
  return 0;
}

pl_dtls_state pl_dtls_get_state(const pl_dtls *d) { return d->state; }
SSL *pl_dtls_ssl_(pl_dtls *d) { return d->ssl; }

int pl_dtls_peer_alert(const pl_dtls *d, const char **name) {
  if (name)
    *name = d->peer_alert < 0 ? "" : SSL_alert_desc_string_long(d->peer_alert);
  return d->peer_alert;
}
pl_dtls_stats pl_dtls_get_stats(const pl_dtls *d) { return d->stats; }

int pl_dtls_export_srtp(pl_dtls *d, pl_dtls_srtp *out) {
  if (d->state != PL_DTLS_CONNECTED)
    return PL_ESTATE;
  SRTP_PROTECTION_PROFILE *sp = SSL_get_selected_srtp_profile(d->ssl);
  int k = sp ? profile_index((uint16_t)sp->id) : -1;
  if (k < 0)
    return PL_ENOTSUP; /* the peer offered no profile we share */
  memset(out, 0, sizeof *out);
  out->profile = profiles[k].id;
  out->is_client = d->role == PL_DTLS_CLIENT;
  out->key_len = profiles[k].key;
  out->salt_len = profiles[k].salt;
  out->len = 2 * (out->key_len + out->salt_len);
  static const char label[] = "EXTRACTOR-dtls_srtp"; /* RFC 5764 4.2 */
  ERR_clear_error();
  if (SSL_export_keying_material(d->ssl, out->material, out->len, label,
                                 sizeof label - 1, NULL, 0, 0) != 1) {
    ERR_clear_error();
    return PL_ECRYPTO;
  }
  return 0;
}
