/* libFuzzer: DTLS after the handshake, in both roles (issue #13). Each input
 * gets a fresh client/server pair that completes a handshake on a simulated
 * clock (so every input starts from the same state and a crash reproduces),
 * then one side is fed the input's datagrams as if from its peer.
 *
 * Input: byte 0 picks the side (bit 0: 0 client, 1 server) and how the
 * datagrams are made (bit 1: as given, or XORed onto a genuine application
 * data record from the peer, so headers, epochs and sequence numbers are
 * right and only what the fuzzer changes is wrong), bits 2-3 the cipher suite
 * (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305, AES-128-CBC-SHA: their
 * shortest records differ). Then datagrams, each a
 * 2-byte big-endian length and its bytes.
 *
 * Traps: the side leaves CONNECTED, reports an event, sends anything in
 * answer (an alert above all), or delivers data nobody sent; afterwards a
 * genuine record each way must still be delivered (the SSL objects live). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/dtls/dtls.h"
#include "net/dtls/dtls_internal.h"

#define GEN_LEN 100 /* application bytes in the genuine record */

static pl_dtls_cert *cert_c, *cert_s;

/* Moves every datagram one side sent to the other, until both are quiet. */
static bool pump(pl_dtls *d[2], pl_time_us now, int *events) {
  bool moved = true;
  for (int rounds = 0; moved && rounds < 64; rounds++) {
    moved = false;
    for (int i = 0; i < 2; i++) {
      pl_dtls_output o;
      static uint8_t q[64][PL_DTLS_MAX_MTU];
      static size_t qn[64];
      int n = 0;
      while (pl_dtls_poll(d[i], &o)) {
        if (o.kind == PL_DTLS_OUT_TRANSMIT && n < 64) {
          memcpy(q[n], o.data, o.len);
          qn[n++] = o.len;
        } else if (o.kind == PL_DTLS_OUT_EVENT) {
          (*events)++;
        }
      }
      for (int k = 0; k < n; k++) {
        pl_dtls_input(d[1 - i], now, q[k], qn[k]);
        moved = true;
      }
    }
  }
  return pl_dtls_get_state(d[0]) == PL_DTLS_CONNECTED &&
         pl_dtls_get_state(d[1]) == PL_DTLS_CONNECTED;
}

/* `from` sends n bytes; returns the record it emitted (len in *out_len). */
static bool genuine(pl_dtls *from, const uint8_t *msg, size_t n, uint8_t *out,
                    size_t *out_len) {
  if (pl_dtls_send(from, msg, n) != 0)
    return false;
  pl_dtls_output o;
  if (!pl_dtls_poll(from, &o) || o.kind != PL_DTLS_OUT_TRANSMIT)
    return false;
  memcpy(out, o.data, o.len);
  *out_len = o.len;
  return !pl_dtls_poll(from, &o);
}

/* What `to` puts out after an input: nothing but `want`, which may come
 * once in all (*got counts it). */
static void expect_quiet(pl_dtls *to, const uint8_t *want, size_t want_len, int *got) {
  pl_dtls_output o;
  while (pl_dtls_poll(to, &o)) {
    if (o.kind == PL_DTLS_OUT_DATA && want && *got == 0 && o.len == want_len &&
        memcmp(o.data, want, want_len) == 0) {
      (*got)++;
      continue;
    }
    __builtin_trap(); /* an answer, an event, or data nobody sent (a replay) */
  }
  if (pl_dtls_get_state(to) != PL_DTLS_CONNECTED)
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!cert_c && (pl_dtls_cert_generate(&cert_c) || pl_dtls_cert_generate(&cert_s)))
    return 0;
  if (size < 1)
    return 0;
  int who = data[0] & 1;
  bool overlay = data[0] & 2;
  pl_dtls_config cc = {.role = PL_DTLS_CLIENT,
                       .cert = cert_c,
                       .remote_fingerprint = pl_dtls_cert_fingerprint(cert_s)};
  pl_dtls_config sc = {.role = PL_DTLS_SERVER,
                       .cert = cert_s,
                       .remote_fingerprint = pl_dtls_cert_fingerprint(cert_c)};
  pl_dtls *d[2] = {pl_dtls_new(&cc), pl_dtls_new(&sc)};
  if (!d[0] || !d[1])
    __builtin_trap();
  static const char *const suites[] = {
      "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
      "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-SHA"};
  if (SSL_set_cipher_list(pl_dtls_ssl_(d[0]), suites[data[0] >> 2 & 3]) != 1)
    __builtin_trap();
  pl_time_us now = 0;
  int events = 0;
  pl_dtls_start(d[1], now);
  pl_dtls_start(d[0], now);
  if (!pump(d, now, &events) || events != 2)
    __builtin_trap(); /* the handshake itself must work */
  pl_dtls *to = d[who], *peer = d[1 - who];

  static const uint8_t msg[GEN_LEN] = "genuine application data from the peer";
  uint8_t gen[PL_DTLS_MAX_MTU];
  size_t gen_len = 0;
  if (overlay && !genuine(peer, msg, sizeof msg, gen, &gen_len))
    __builtin_trap();

  size_t off = 1;
  int got = 0;
  while (off + 2 <= size) {
    size_t n = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (n > size - off)
      n = size - off;
    if (n == 0 || n > PL_DTLS_MAX_MTU)
      break;
    uint8_t dg[PL_DTLS_MAX_MTU];
    for (size_t i = 0; i < n; i++)
      dg[i] = data[off + i] ^ (overlay && i < gen_len ? gen[i] : 0);
    off += n;
    now += 10000;
    pl_dtls_input(to, now, dg, n);
    /* The genuine record itself, left unchanged, may be delivered once;
     * after that it is a replay. */
    expect_quiet(to, overlay ? msg : NULL, sizeof msg, &got);
  }

  /* Both SSL objects still work: a genuine record each way. */
  uint8_t rec[PL_DTLS_MAX_MTU];
  size_t rec_len;
  static const uint8_t ok[] = "after";
  if (!genuine(peer, ok, sizeof ok, rec, &rec_len))
    __builtin_trap();
  for (int i = 0; i < 2; i++) {
    int n = 0;
    pl_dtls_input(i ? peer : to, now, rec, rec_len);
    expect_quiet(i ? peer : to, ok, sizeof ok, &n);
    if (n != 1)
      __builtin_trap();
    if (!i && !genuine(to, ok, sizeof ok, rec, &rec_len))
      __builtin_trap();
  }
  pl_dtls_free(d[0]);
  pl_dtls_free(d[1]);
  return 0;
}
