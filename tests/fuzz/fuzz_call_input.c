/* libFuzzer target for a whole call's datagram input path: pl_call_input
 * behind which the demultiplexer, ICE (STUN), DTLS, SRTP/SRTCP, RTP, RTCP,
 * the jitter buffer, Opus and the video receiver all sit.
 *
 * Two calls, a and b, are joined on the simulated clock (engine/sim.c)
 * until media flows both ways; the input is then a program of operations
 * on b: raw datagrams from a's address or a stranger's, a's own recent
 * datagrams replayed with a few bytes flipped, time advancing (real
 * traffic keeps flowing), and, so the fuzzer reaches what lies behind the
 * cryptography, RTP and RTCP protected with a's SRTP keys and STUN checks
 * signed with the ICE passwords. The first byte picks the transport:
 * WebRTC (ICE + DTLS-SRTP) with audio and video, or SDES with audio, or
 * the handshake: a fresh WebRTC pair that gets the input while its ICE
 * checks and DTLS flights are still crossing.
 *
 * Setting a pair up costs ~100 times one input, so each pair is kept
 * across inputs and rebuilt every REBUILD inputs and whenever its call is
 * no longer healthy. A crash therefore may need the inputs before it; the
 * reproducer libFuzzer saves replays on a fresh fixture, which is what
 * most bugs here need (the datagrams carry their own state).
 *
 * Invariants (abort on violation): an input made only of unauthenticated
 * datagrams (raw, stranger, replayed or mutated) must not end or fail the
 * call, nor move its selected pair, and b must still be receiving a's
 * media afterwards; during the handshake, datagrams from strangers must
 * not keep the pair from connecting on its own candidates; whatever the
 * input, every datagram b sends fits the buffer and has an IPv4 or IPv6
 * destination. ASan/UBSan catch the rest. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/call/call_video.h"
#include "engine/call/webrtc.h"
#include "engine/sim.h"
#include "net/demux/demux.h"
#include "net/srtp/srtp.h"
#include "net/stun/stun.h"
#include "parley.h"

#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      fprintf(stderr, "fuzz_call_input: check failed: %s (line %d)\n", #c, __LINE__);             \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

#define REBUILD 256    /* inputs per fixture */
#define MAX_OPS 48     /* operations per input */
#define KEEP 16        /* a's recent datagrams kept for replays */
#define MAX_ADVANCE PL_SEC(2)

typedef struct fixture {
  pl_sim *s;
  pl_srtp *fz; /* a's keys: what b takes as coming from a */
  bool webrtc;
  int inputs;
  /* a -> b datagrams seen by the tap, newest last */
  uint8_t kept[KEEP][PL_PKT_CAPACITY];
  size_t kept_len[KEEP];
  int n_kept, next_kept;
  /* the transaction id of b's last STUN request, for forged answers */
  uint8_t b_txid[PL_STUN_TXID_LEN];
  bool have_b_txid;
} fixture;

static int discard_audio(void *user, const float *pcm, int samples, int channels) {
  (void)user, (void)pcm, (void)samples, (void)channels;
  return 0;
}

static int discard_video(void *user, const pl_video_picture *pic) {
  (void)user, (void)pic;
  return 0;
}

static bool tap(void *user, int dir, pl_time_us now, uint8_t *buf, size_t *len) {
  (void)now;
  fixture *f = user;
  if (dir == 0) {
    memcpy(f->kept[f->next_kept], buf, *len);
    f->kept_len[f->next_kept] = *len;
    f->next_kept = (f->next_kept + 1) % KEEP;
    if (f->n_kept < KEEP)
      f->n_kept++;
  } else if (*len >= 20 && pl_demux_classify(buf, *len) == PL_DEMUX_STUN &&
             buf[0] == 0x00 && buf[1] == 0x01) { /* a Binding request from b */
    memcpy(f->b_txid, buf + 8, PL_STUN_TXID_LEN);
    f->have_b_txid = true;
  }
  return true;
}

static void fixture_free(fixture *f) {
  pl_srtp_free(f->fz);
  pl_sim_free(f->s);
  memset(f, 0, sizeof *f);
}

static bool healthy(const fixture *f) {
  pl_call *b = f->s->b;
  if (atomic_load(&b->state) != PL_CALL_ACTIVE || atomic_load(&f->s->a->state) != PL_CALL_ACTIVE)
    return false;
  if (f->webrtc && (b->wrtc->conn_state != PL_CONNECTION_CONNECTED ||
                    f->s->a->wrtc->conn_state != PL_CONNECTION_CONNECTED))
    return false;
  return true;
}

/* A pair with media flowing or, with `handshake`, a WebRTC pair (audio
 * only) just past offer/answer: ICE and DTLS still to come. */
static int fixture_new(fixture *f, bool webrtc, bool handshake) {
  memset(f, 0, sizeof *f);
  f->webrtc = webrtc;
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  a.transport = b.transport = webrtc ? PL_TRANSPORT_WEBRTC : PL_TRANSPORT_SDES;
  a.video = b.video = webrtc && !handshake;
  a.video_bitrate = b.video_bitrate = 100000;
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(5);
  if (pl_sim_new(&f->s, &a, &b, &net, &net, 7) != 0)
    return -1;
  f->s->tap = tap;
  f->s->tap_user = f;
  pl_call *calls[2] = {f->s->a, f->s->b};
  for (int i = 0; i < 2 && !handshake; i++) { /* media costs, ICE and DTLS do not */
    pl_audio_io src, sink = {.write = discard_audio};
    pl_audio_io_tone_source(&src, 440 + 300 * i, 0.3);
    pl_call_set_audio_source(calls[i], &src);
    pl_call_set_audio_sink(calls[i], &sink);
    if (a.video) {
      pl_video_io vsrc, vsink = {.write = discard_video};
      pl_video_io_pattern_source(&vsrc, 64, 48);
      pl_call_set_video_source(calls[i], &vsrc);
      pl_call_set_video_sink(calls[i], &vsink);
    }
  }
  if (pl_sim_connect(f->s) != 0)
    return -1;
  if (handshake)
    return 0;
  pl_sim_run_until(f->s, PL_MS(600));
  CHECK(healthy(f));
  CHECK(f->s->a->srtp);
  if (pl_srtp_new(&f->fz, &f->s->a->keys) != 0)
    return -1;
  return 0;
}

/* Runs the pair for `us` more simulated time. */
static void advance(fixture *f, pl_time_us us) {
  pl_sim_run_until(f->s, f->s->now - PL_SIM_START_US + us);
}

/* What b sends in answer: must fit; what goes to a crosses the link, what
 * goes elsewhere (back to a stranger that wrote to it) is dropped here. */
static void drain_b(fixture *f) {
  uint8_t buf[PL_PKT_CAPACITY];
  pl_addr to, peer;
  pl_addr_parse(&peer, "10.0.0.1:5000");
  int n;
  while ((n = pl_call_poll_transmit(f->s->b, buf, sizeof buf, &to.ss)) != 0) {
    CHECK(n > 0);
    CHECK(pl_addr_family(&to) == AF_INET || pl_addr_family(&to) == AF_INET6);
    if (pl_addr_equal(&to, &peer)) {
      size_t len = (size_t)n;
      if (tap(f, 1, f->s->now, buf, &len))
        pl_emu_link_input(f->s->ba, f->s->now, buf, len, &to);
    }
  }
}

static void input_from(fixture *f, const char *addr, const uint8_t *p, size_t n) {
  pl_addr from;
  CHECK(pl_addr_parse(&from, addr) == 0);
  pl_call_input(f->s->b, f->s->now, &from.ss, p, n);
  drain_b(f);
}

typedef struct reader {
  const uint8_t *p;
  size_t n;
} reader;

static uint8_t u8(reader *r) {
  if (!r->n)
    return 0;
  r->n--;
  return *r->p++;
}

static uint16_t u16(reader *r) { return (uint16_t)(u8(r) << 8 | u8(r)); }

/* A length-prefixed byte string (at most `cap`, and what is left). */
static size_t bytes(reader *r, uint8_t *out, size_t cap) {
  size_t want = u16(r) % (cap + 1);
  if (want > r->n)
    want = r->n;
  memcpy(out, r->p, want);
  r->p += want;
  r->n -= want;
  return want;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static const char *strangers[] = {"10.0.0.1:5001", "10.0.0.9:5000", "10.0.0.2:5000",
                                  "[::1]:5000",    "0.0.0.0:0",     "255.255.255.255:65535"};

/* RTP with a's keys: the fuzzer picks the bytes, optionally with a's SSRCs
 * and the payload types b expects, so it does not have to guess them. */
static void op_rtp(fixture *f, reader *r) {
  uint8_t sel = u8(r), near_byte = u8(r);
  uint8_t pkt[PL_PKT_CAPACITY];
  size_t n = bytes(r, pkt, 1400);
  if (n < 12) {
    memset(pkt + n, 0, 12 - n);
    n = 12;
  }
  if (!f)
    return;
  pl_call *a = f->s->a, *b = f->s->b;
  struct pl_call_video *av = a->video, *bv = b->video;
  if (sel & 0x10)
    pkt[0] = (uint8_t)(0x80 | (pkt[0] & 0x3f));
  /* Near a's next sequence number, or b's SRTP takes it for one from the
   * previous roll-over (too old: a replay) half the time. */
  int8_t near = (int8_t)near_byte;
  if (sel & 0x20) {
    uint16_t base = (sel & 3) == 1 && av ? av->seq : (sel & 3) == 2 && av ? av->rtx.seq : a->seq;
    uint16_t seq = (uint16_t)(base + near);
    pkt[2] = (uint8_t)(seq >> 8), pkt[3] = (uint8_t)seq;
  }
  switch (sel & 3) {
  case 0: put32(pkt + 8, a->local_ssrc); break;
  case 1: if (av) put32(pkt + 8, av->local_ssrc); break;
  case 2: if (av) put32(pkt + 8, av->local_rtx_ssrc); break;
  default: break;
  }
  switch ((sel >> 2) & 3) {
  case 0: pkt[1] = (uint8_t)((pkt[1] & 0x80) | b->pt); break;
  case 1: if (bv) pkt[1] = (uint8_t)((pkt[1] & 0x80) | bv->rx_pt); break;
  case 2: if (bv) pkt[1] = (uint8_t)((pkt[1] & 0x80) | bv->rx_rtx_pt); break;
  default: break;
  }
  if (f->fz && pl_srtp_protect_rtp(f->fz, pkt, &n, sizeof pkt) == 0)
    input_from(f, "10.0.0.1:5000", pkt, n);
}

static void op_rtcp(fixture *f, reader *r) {
  uint8_t sel = u8(r);
  uint8_t pkt[PL_PKT_CAPACITY];
  size_t n = bytes(r, pkt, 1400);
  if (n < 12) {
    memset(pkt + n, 0, 12 - n);
    n = 12;
  }
  if (!f)
    return;
  pl_call *a = f->s->a, *b = f->s->b;
  if (sel & 8)
    pkt[0] = (uint8_t)(0x80 | (pkt[0] & 0x3f));
  if (sel & 1)
    put32(pkt + 4, a->local_ssrc);
  if (sel & 2) /* the media source of feedback, or a report block's SSRC */
    put32(pkt + 8, (sel & 4) && b->video ? b->video->local_ssrc : b->local_ssrc);
  /* With a's own context: SRTCP indexes count on from a's, where a second
   * context's would repeat ones b has seen (replays). */
  if (a->srtp && pl_srtp_protect_rtcp(a->srtp, pkt, &n, sizeof pkt) == 0)
    input_from(f, "10.0.0.1:5000", pkt, n);
}

/* A STUN message signed with the right password: checks from a (or from
 * a stranger who knows it: a peer-reflexive candidate), or answers to b's
 * own last check. */
static void op_stun(fixture *f, reader *r) {
  uint8_t cls = u8(r), txid[PL_STUN_TXID_LEN];
  for (int i = 0; i < PL_STUN_TXID_LEN; i++)
    txid[i] = u8(r);
  int n_attrs = u8(r) % 8;
  if (!f || !f->webrtc) {
    for (int i = 0; i < n_attrs; i++) {
      u16(r);
      size_t len = u8(r) % 65;
      len = len > r->n ? r->n : len;
      r->p += len, r->n -= len;
    }
    return;
  }
  pl_call *a = f->s->a, *b = f->s->b;
  bool answer = cls & 1;
  if (answer && (cls & 2) && f->have_b_txid)
    memcpy(txid, f->b_txid, sizeof txid);
  uint16_t type = answer ? pl_stun_type(PL_STUN_BINDING, (cls & 4) ? 3 : 2)
                         : pl_stun_type(PL_STUN_BINDING, (cls & 4) ? 1 : 0);
  uint8_t msg[1200];
  pl_stun_builder sb;
  pl_stun_build_begin(&sb, msg, sizeof msg, type, txid);
  if (!answer) {
    char user[160];
    snprintf(user, sizeof user, "%s:%s", b->wrtc->ufrag, a->wrtc->ufrag);
    pl_stun_put_bytes(&sb, PL_STUN_ATTR_USERNAME, user, strlen(user));
  }
  for (int i = 0; i < n_attrs; i++) {
    uint16_t t = u16(r);
    uint8_t v[64];
    size_t len = u8(r) % (sizeof v + 1);
    if (len > r->n)
      len = r->n;
    memcpy(v, r->p, len);
    r->p += len, r->n -= len;
    if (t == PL_STUN_ATTR_XOR_MAPPED_ADDRESS && len >= 2) {
      pl_addr m;
      pl_addr_parse(&m, strangers[v[0] % 6]);
      pl_addr_set_port(&m, 1024u + v[1]);
      pl_stun_put_addr(&sb, t, &m);
    } else {
      pl_stun_put_bytes(&sb, t, v, len);
    }
  }
  /* A request is signed with b's password, an answer with a's. */
  const char *key = answer ? a->wrtc->pwd : b->wrtc->pwd;
  pl_stun_put_integrity(&sb, (const uint8_t *)key, strlen(key));
  pl_stun_put_fingerprint(&sb);
  int n = pl_stun_build_end(&sb);
  if (n > 0)
    input_from(f, (cls & 8) ? strangers[(cls >> 4) % 6] : "10.0.0.1:5000", msg, (size_t)n);
}

/* One of a's recent datagrams again, a few bytes flipped and maybe cut:
 * the genuine framing of STUN, DTLS and SRTP with the wrong contents. */
static void op_replay(fixture *f, reader *r) {
  uint8_t which = u8(r), flips = u8(r) % 4, cut = u8(r);
  uint16_t pos[4];
  uint8_t x[4];
  for (int k = 0; k < flips; k++) {
    pos[k] = u16(r);
    x[k] = u8(r);
  }
  if (!f || !f->n_kept)
    return;
  int i = (f->next_kept - 1 - which % f->n_kept + KEEP) % KEEP;
  uint8_t pkt[PL_PKT_CAPACITY];
  size_t n = f->kept_len[i];
  memcpy(pkt, f->kept[i], n);
  for (int k = 0; k < flips && n; k++)
    pkt[pos[k] % n] ^= x[k];
  if (cut && n)
    n -= cut % n;
  input_from(f, "10.0.0.1:5000", pkt, n);
}

typedef struct snap {
  uint64_t received, video_received;
  char remote[64];
} snap;

static void take(fixture *f, snap *s) {
  pl_call_stats st;
  pl_call_get_stats(f->s->b, &st);
  s->received = st.packets_received;
  s->video_received = st.video_packets_received;
  snprintf(s->remote, sizeof s->remote, "%s", st.remote_candidate);
}

enum { AUTHED = 1, FROM_PEER = 2 };

/* Runs the input's operations on f, or with f NULL only reads them;
 * returns AUTHED if any carried keys (SRTP or an ICE password), FROM_PEER
 * if any datagram came from a's address. */
static int run_ops(fixture *f, reader r) {
  int flags = 0;
  pl_time_us advanced = 0;
  for (int ops = 0; r.n && ops < MAX_OPS; ops++) {
    uint8_t op = u8(&r);
    uint8_t pkt[PL_PKT_CAPACITY];
    switch (op % 8) {
    case 0: {
      size_t n = bytes(&r, pkt, sizeof pkt);
      if (f)
        input_from(f, "10.0.0.1:5000", pkt, n);
      flags |= FROM_PEER;
      break;
    }
    case 1: {
      const char *from = strangers[(op >> 3) % 6];
      size_t n = bytes(&r, pkt, sizeof pkt);
      if (f)
        input_from(f, from, pkt, n);
      break;
    }
    case 2: {
      pl_time_us us = PL_MS(1 + (op >> 3)) * (1 + u8(&r) % 4);
      if (f && advanced + us <= MAX_ADVANCE) {
        advance(f, us);
        advanced += us;
      }
      break;
    }
    case 3: op_rtp(f, &r); flags |= AUTHED | FROM_PEER; break;
    case 4: op_rtcp(f, &r); flags |= AUTHED | FROM_PEER; break;
    case 5: op_replay(f, &r); flags |= FROM_PEER; break;
    case 6: op_stun(f, &r); flags |= AUTHED | FROM_PEER; break;
    default:
      if (f) {
        pl_call_timeout(f->s->b, f->s->now);
        drain_b(f);
      }
      break;
    }
  }
  return flags;
}

/* fixtures[transport][authed]: inputs that carry keys may leave the pair
 * in any state an authenticated peer can cause (a hijacked SSRC, a BYE),
 * so they get their own pair and the invariants are checked on the pair
 * that has only ever seen unauthenticated input. */
static fixture fixtures[2][2];

/* The handshake: a fresh WebRTC pair (no media sources: they cost time
 * and ICE and DTLS do not need them) per input, the operations run from
 * the moment offer and answer are applied, while ICE checks and DTLS
 * flights cross. Datagrams from strangers (unsigned) must not keep the
 * pair from connecting on its own host candidates within 500 ms (10 ms
 * links: it takes ~60 ms). */
static fixture handshake_pair;

static void handshake(reader r, int flags) {
  fixture *f = &handshake_pair;
  if (fixture_new(f, true, true) != 0) {
    fixture_free(f);
    return;
  }
  run_ops(f, r);
  pl_time_us t = f->s->now - PL_SIM_START_US;
  if (t < PL_MS(500))
    advance(f, PL_MS(500) - t);
  if (!flags) {
    CHECK(healthy(f));
    pl_call_stats st;
    pl_call_get_stats(f->s->b, &st);
    CHECK(!strcmp(st.remote_candidate, "host 10.0.0.1:5000"));
    CHECK(st.dtls_state == PL_DTLS_TRANSPORT_CONNECTED);
  }
  fixture_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  reader r = {data + 1, size - 1};
  int flags = run_ops(NULL, r);
  if (data[0] & 2) {
    handshake(r, flags);
    return 0;
  }
  bool webrtc = !(data[0] & 1), authed = flags & AUTHED;
  fixture *f = &fixtures[webrtc ? 0 : 1][authed];
  if (f->s && (f->inputs >= REBUILD || !healthy(f)))
    fixture_free(f);
  if (!f->s && fixture_new(f, webrtc, false) != 0) {
    fixture_free(f);
    return 0;
  }
  f->inputs++;
  snap before, after;
  take(f, &before);
  run_ops(f, r);
  if (!authed) {
    /* Nothing the fuzzer sent could be authenticated: the call goes on,
     * on the same path, and a's media still arrives. */
    CHECK(healthy(f));
    advance(f, PL_MS(40)); /* two 20 ms audio packets at least */
    CHECK(healthy(f));
    take(f, &after);
    CHECK(after.received > before.received);
    CHECK(!strcmp(after.remote, before.remote));
  }
  return 0;
}
