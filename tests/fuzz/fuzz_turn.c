/* libFuzzer: the TURN client (net/turn) against a hostile server. The
 * client is allocated first (401 challenge, then success, both built here
 * with the right key), then the input is a program of operations: raw
 * datagrams from the server (ChannelData, Data indications, anything),
 * TCP stream chunks, answers to the client's newest request carrying the
 * fuzzer's attributes but signed with the real key (so error codes,
 * lifetimes and addresses behind MESSAGE-INTEGRITY are reached), data
 * framed for peers, time passing, and close. Invariants: relayed data lies
 * inside the input or the client's stream buffer, frames fit their bound,
 * every queued request parses, and the stream framing helper agrees with
 * the ChannelData/STUN lengths. The URL parser gets the raw input too. */
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "base/bytes.h"
#include "net/stun/stun.h"
#include "net/turn/turn.h"
#include "net/turn/turn_internal.h"
#include "parley.h"

static uint8_t key[16];
static uint8_t last_txid[PL_STUN_TXID_LEN];
static uint16_t last_method;
static bool have_last;

static void drain(pl_turn *t) {
  pl_turn_output o;
  while (pl_turn_poll(t, &o)) {
    if (o.kind != PL_TURN_OUT_TRANSMIT)
      continue;
    pl_stun_msg m;
    if (pl_stun_parse(&m, o.transmit.data, o.transmit.len) != 0 || !m.fingerprint_ok)
      __builtin_trap(); /* everything the client sends must be well formed */
    memcpy(last_txid, m.txid, sizeof last_txid);
    last_method = m.method;
    have_last = true;
  }
}

/* An answer to the newest request: attributes from the fuzzer, then the
 * real key's MESSAGE-INTEGRITY when `sign`. */
static void answer(pl_turn *t, pl_time_us now, bool error, const uint8_t *attrs, size_t n,
                   bool sign) {
  if (!have_last)
    return;
  uint8_t buf[PL_STUN_MAX_MSG];
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(last_method, error ? PL_STUN_ERROR : PL_STUN_SUCCESS),
                      last_txid);
  n &= ~(size_t)3;
  if (n > sizeof buf - 80)
    n = sizeof buf - 80;
  memcpy(buf + b.len, attrs, n);
  b.len += n;
  pl_put_be16(buf + 2, (uint16_t)(b.len - PL_STUN_HEADER_LEN));
  if (sign)
    pl_stun_put_integrity(&b, key, sizeof key);
  pl_stun_put_fingerprint(&b);
  int len = pl_stun_build_end(&b);
  if (len > 0) {
    pl_turn_rx rx;
    (void)pl_turn_input(t, now, buf, (size_t)len, &rx);
  }
}

static void allocate(pl_turn *t) {
  pl_turn_start(t, 0);
  drain(t);
  uint8_t a[64];
  pl_stun_builder b;
  /* 401 with REALM and NONCE, as raw attributes. */
  pl_stun_build_begin(&b, a, sizeof a, 0, last_txid);
  pl_stun_put_error(&b, 401, "x");
  pl_stun_put_bytes(&b, PL_STUN_ATTR_REALM, "r", 1);
  pl_stun_put_bytes(&b, PL_STUN_ATTR_NONCE, "n", 1);
  answer(t, 0, true, a + PL_STUN_HEADER_LEN, b.len - PL_STUN_HEADER_LEN, false);
  drain(t);
  pl_addr relayed;
  pl_addr_parse(&relayed, "198.51.100.1:50000");
  pl_stun_build_begin(&b, a, sizeof a, 0, last_txid);
  pl_turn_put_xor_addr_(&b, PL_TURN_ATTR_XOR_RELAYED_ADDRESS, &relayed);
  answer(t, 0, false, a + PL_STUN_HEADER_LEN, b.len - PL_STUN_HEADER_LEN, true);
  drain(t);
}

static bool inside(const uint8_t *p, size_t n, const uint8_t *lo, size_t span) {
  return p >= lo && p + n <= lo + span;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool once;
  if (!once) {
    EVP_Digest("u:r:p", 5, key, NULL, EVP_md5(), NULL);
    once = true;
  }
  pl_turn_url url;
  char text[300];
  size_t tl = size < sizeof text - 1 ? size : sizeof text - 1;
  memcpy(text, data, tl);
  text[tl] = 0;
  (void)pl_turn_url_parse(&url, text);
  (void)pl_turn_frame_len(data, size);
  if (size < 1)
    return 0;
  pl_rng rng;
  pl_rng_seed(&rng, 1);
  pl_turn_config c = {.transport = (data[0] & 1) ? PL_TURN_TCP : PL_TURN_UDP,
                      .username = "u", .password = "p", .rng = &rng};
  pl_addr_parse(&c.server, "198.51.100.1:3478");
  pl_turn *t = pl_turn_new(&c);
  if (!t)
    return 0;
  have_last = false;
  allocate(t);
  pl_time_us now = 0;
  size_t i = 1;
  while (i + 2 <= size) {
    uint8_t op = data[i] % 6;
    size_t n = data[i + 1];
    i += 2;
    if (n > size - i)
      n = size - i;
    const uint8_t *p = data + i;
    i += n;
    pl_turn_rx rx;
    switch (op) {
    case 0: {
      int r = pl_turn_input(t, now, p, n, &rx);
      if (r == PL_TURN_RX_DATA && !inside(rx.data, rx.len, p, n))
        __builtin_trap();
      break;
    }
    case 1: {
      if (c.transport != PL_TURN_TCP)
        break;
      size_t off = 0;
      while (off < n) {
        int k = pl_turn_stream_input(t, now, p + off, n - off);
        if (k < 0)
          break;
        off += (size_t)k;
        int r;
        int guard = 0;
        while ((r = pl_turn_stream_next(t, now, &rx)) != PL_EAGAIN && guard++ < 4096) {
          if (r == PL_TURN_RX_DATA && rx.len > PL_TURN_STREAM_BUF)
            __builtin_trap();
          if (r < 0 && pl_turn_get_state(t) == PL_TURN_FAILED)
            break;
        }
        if (k == 0 || pl_turn_get_state(t) == PL_TURN_FAILED)
          break;
      }
      break;
    }
    case 2:
      answer(t, now, n && (p[0] & 1), n ? p + 1 : p, n ? n - 1 : 0, true);
      break;
    case 3: {
      if (n < 7)
        break;
      char ip[32];
      snprintf(ip, sizeof ip, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
      pl_addr peer;
      if (pl_addr_from_ip_port(&peer, ip, pl_be16(p + 4)) != 0)
        break;
      uint8_t out[256 + PL_TURN_OVERHEAD];
      int k = pl_turn_frame(t, now, &peer, p + 6, n - 6, out, sizeof out);
      if (k > 0 && (size_t)k > n - 6 + PL_TURN_OVERHEAD)
        __builtin_trap();
      if (k > 0 && pl_turn_frame_len(out, (size_t)k) != k &&
          !(c.transport == PL_TURN_UDP && pl_turn_is_channel_data(out, (size_t)k)))
        __builtin_trap(); /* framed output must re-frame to itself */
      break;
    }
    case 4:
      now += (pl_time_us)(n + 1) * 1000000;
      if (pl_turn_deadline(t) <= now)
        pl_turn_timeout(t, now);
      break;
    case 5:
      pl_turn_close(t, now);
      break;
    }
    drain(t);
  }
  pl_turn_free(t);
  return 0;
}
