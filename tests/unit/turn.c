/* TURN client core against a scripted server: the 401 challenge, stale
 * nonces (bounded), quota and capacity errors, refresh timing, permission
 * and channel refresh, ChannelData and Send/Data indication framing, TCP
 * stream reassembly, deallocation, REST credentials and URL parsing. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <string.h>

#include "base/bytes.h"
#include "net/stun/stun.h"
#include "net/turn/turn.h"
#include "net/turn/turn_internal.h"
#include "parley.h"

static pl_rng rng;
static pl_turn *t;
static const pl_addr *srv;
static pl_addr server, relayed, mapped, peer;
static uint8_t key[16];

/* What the client sent last, parsed (msg points at a copy). */
static uint8_t last[PL_STUN_MAX_MSG];
static size_t last_len;
static pl_stun_msg req;

static void setup_with(pl_turn_transport tr, uint32_t lifetime) {
  pl_rng_seed(&rng, 7);
  pl_addr_parse(&server, "198.51.100.1:3478");
  pl_addr_parse(&relayed, "198.51.100.1:50000");
  pl_addr_parse(&mapped, "203.0.113.5:40000");
  pl_addr_parse(&peer, "203.0.113.9:6000");
  pl_turn_config c = {.server = server, .transport = tr, .username = "user",
                      .password = "pass", .rng = &rng, .lifetime_s = lifetime};
  t = pl_turn_new(&c);
  cr_assert(t);
  srv = pl_turn_server(t);
  EVP_Digest("user:example.org:pass", 21, key, NULL, EVP_md5(), NULL);
}

static void teardown(void) { pl_turn_free(t); }

/* Drains the client: returns the number of datagrams, keeps the last one. */
static int drain(pl_turn_output *ev, int *n_events) {
  pl_turn_output o;
  int n = 0, e = 0;
  while (pl_turn_poll(t, &o)) {
    if (o.kind == PL_TURN_OUT_TRANSMIT) {
      memcpy(last, o.transmit.data, o.transmit.len);
      last_len = o.transmit.len;
      n++;
    } else {
      if (ev)
        *ev = o;
      e++;
    }
  }
  if (n_events)
    *n_events = e;
  if (n && !pl_turn_is_channel_data(last, last_len))
    cr_assert_eq(pl_stun_parse(&req, last, last_len), 0);
  return n;
}

typedef struct {
  unsigned error;
  const char *realm, *nonce;
  bool relayed, integrity;
  int lifetime;
} answer;

/* Answers the last request as the server would. */
static void answer_last(pl_time_us now, answer a) {
  uint8_t buf[PL_STUN_MAX_MSG];
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(req.method, a.error ? PL_STUN_ERROR : PL_STUN_SUCCESS),
                      req.txid);
  if (a.error)
    pl_stun_put_error(&b, a.error, "scripted");
  if (a.realm)
    pl_stun_put_bytes(&b, PL_STUN_ATTR_REALM, a.realm, strlen(a.realm));
  if (a.nonce)
    pl_stun_put_bytes(&b, PL_STUN_ATTR_NONCE, a.nonce, strlen(a.nonce));
  if (a.relayed) {
    pl_turn_put_xor_addr_(&b, PL_TURN_ATTR_XOR_RELAYED_ADDRESS, &relayed);
    pl_stun_put_addr(&b, PL_STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped);
  }
  if (a.lifetime)
    pl_stun_put_u32(&b, PL_TURN_ATTR_LIFETIME, (uint32_t)a.lifetime);
  if (a.integrity)
    pl_stun_put_integrity(&b, key, sizeof key);
  pl_stun_put_fingerprint(&b);
  int n = pl_stun_build_end(&b);
  cr_assert_gt(n, 0);
  pl_turn_rx rx;
  cr_assert_eq(pl_turn_input(t, now, buf, (size_t)n, &rx), PL_TURN_RX_CONTROL);
}

static void allocate(pl_time_us now, int lifetime) {
  cr_assert_eq(pl_turn_start(t, now), 0);
  cr_assert_eq(drain(NULL, NULL), 1);
  answer_last(now, (answer){.error = 401, .realm = "example.org", .nonce = "n1"});
  cr_assert_eq(drain(NULL, NULL), 1);
  answer_last(now, (answer){.relayed = true, .integrity = true, .lifetime = lifetime});
  pl_turn_output ev;
  int ne;
  drain(&ev, &ne);
  cr_assert_eq(ne, 1);
  cr_assert_eq(ev.event.kind, PL_TURN_EV_ALLOCATED);
}

TestSuite(turn, .fini = teardown);

Test(turn, allocate_answers_401_with_long_term_credentials) {
  setup_with(PL_TURN_UDP, 0);
  cr_assert_eq(pl_turn_start(t, 0), 0);
  cr_assert_eq(drain(NULL, NULL), 1);
  cr_assert_eq(req.method, PL_TURN_ALLOCATE);
  cr_assert_not(req.has & PL_STUN_HAS_INTEGRITY, "first Allocate carries no credentials");
  answer_last(PL_MS(20), (answer){.error = 401, .realm = "example.org", .nonce = "n1"});
  cr_assert_eq(drain(NULL, NULL), 1);
  cr_assert_eq(req.method, PL_TURN_ALLOCATE);
  cr_assert_eq(req.username_len, 4);
  cr_assert_eq(memcmp(req.username, "user", 4), 0);
  const uint8_t *v;
  size_t n;
  cr_assert_eq(pl_stun_attr_find(&req, PL_STUN_ATTR_NONCE, &v, &n), 0);
  cr_assert_eq(n, 2);
  cr_assert_eq(memcmp(v, "n1", 2), 0);
  /* MD5("user:example.org:pass") is the key (RFC 8489 9.2.2). */
  cr_assert_eq(pl_stun_check_integrity(&req, key, sizeof key), 0);
  answer_last(PL_MS(40), (answer){.relayed = true, .integrity = true, .lifetime = 600});
  pl_turn_output ev;
  int ne;
  drain(&ev, &ne);
  cr_assert_eq(ne, 1);
  cr_assert_eq(ev.event.kind, PL_TURN_EV_ALLOCATED);
  cr_assert(pl_addr_equal(&ev.event.relayed, &relayed));
  cr_assert(pl_addr_equal(&ev.event.mapped, &mapped));
  cr_assert_eq(ev.event.lifetime_s, 600);
  pl_turn_stats s = pl_turn_get_stats(t);
  cr_assert_eq(s.allocations, 1);
  cr_assert_eq(s.auth_challenges, 1);
  cr_assert_eq(s.requests_sent, 2);
  cr_assert_eq(pl_turn_get_state(t), PL_TURN_ALLOCATED);
}

Test(turn, wrong_password_fails_after_one_authenticated_try) {
  setup_with(PL_TURN_UDP, 0);
  pl_turn_start(t, 0);
  drain(NULL, NULL);
  answer_last(0, (answer){.error = 401, .realm = "example.org", .nonce = "n1"});
  cr_assert_eq(drain(NULL, NULL), 1);
  answer_last(0, (answer){.error = 401, .realm = "example.org", .nonce = "n2"});
  pl_turn_output ev;
  int ne;
  cr_assert_eq(drain(&ev, &ne), 0, "no third Allocate");
  cr_assert_eq(ne, 1);
  cr_assert_eq(ev.event.kind, PL_TURN_EV_FAILED);
  cr_assert_eq(ev.event.error, PL_EAUTH);
  cr_assert_eq(ev.event.code, 401);
  cr_assert_eq(pl_turn_get_state(t), PL_TURN_FAILED);
}

Test(turn, challenge_without_realm_fails_cleanly) {
  setup_with(PL_TURN_UDP, 0);
  pl_turn_start(t, 0);
  drain(NULL, NULL);
  answer_last(0, (answer){.error = 401, .nonce = "n1"});
  pl_turn_output ev;
  int ne;
  cr_assert_eq(drain(&ev, &ne), 0);
  cr_assert_eq(ev.event.kind, PL_TURN_EV_FAILED);
}

Test(turn, stale_nonce_loop_is_bounded) {
  setup_with(PL_TURN_UDP, 600);
  allocate(0, 600);
  pl_time_us now = PL_SEC(540);
  cr_assert_eq(pl_turn_deadline(t), now);
  pl_turn_timeout(t, now);
  cr_assert_eq(drain(NULL, NULL), 1);
  cr_assert_eq(req.method, PL_TURN_REFRESH);
  int refreshes = 1;
  char nonce[16];
  for (int i = 0; i < 10; i++) {
    snprintf(nonce, sizeof nonce, "stale%d", i);
    answer_last(now, (answer){.error = 438, .realm = "example.org", .nonce = nonce});
    pl_turn_output ev;
    int ne;
    int sent = drain(&ev, &ne);
    if (!sent) {
      cr_assert_eq(ne, 1);
      cr_assert_eq(ev.event.kind, PL_TURN_EV_FAILED);
      cr_assert_eq(ev.event.code, 438);
      cr_assert_eq(ev.event.error, PL_EAUTH);
      break;
    }
    refreshes++;
    /* Each retry carries the nonce just given. */
    const uint8_t *v;
    size_t n;
    cr_assert_eq(pl_stun_attr_find(&req, PL_STUN_ATTR_NONCE, &v, &n), 0);
    cr_assert_eq(n, strlen(nonce));
    cr_assert_eq(memcmp(v, nonce, n), 0);
  }
  cr_assert_eq(refreshes, 4, "the first Refresh and 3 retries, got %d", refreshes);
  cr_assert_eq(pl_turn_get_stats(t).stale_nonces, 4);
  cr_assert_eq(pl_turn_get_state(t), PL_TURN_FAILED);
}

Test(turn, stale_nonce_once_then_success_keeps_the_allocation) {
  setup_with(PL_TURN_UDP, 600);
  allocate(0, 600);
  pl_turn_timeout(t, PL_SEC(540));
  drain(NULL, NULL);
  answer_last(PL_SEC(540), (answer){.error = 438, .realm = "example.org", .nonce = "n9"});
  cr_assert_eq(drain(NULL, NULL), 1);
  answer_last(PL_SEC(540), (answer){.integrity = true, .lifetime = 600});
  cr_assert_eq(pl_turn_get_state(t), PL_TURN_ALLOCATED);
  cr_assert_eq(pl_turn_get_stats(t).refreshes, 1);
  cr_assert_eq(pl_turn_deadline(t), PL_SEC(540 + 540));
}

static void quota_case(unsigned code) {
  setup_with(PL_TURN_UDP, 0);
  pl_turn_start(t, 0);
  drain(NULL, NULL);
  answer_last(0, (answer){.error = 401, .realm = "example.org", .nonce = "n1"});
  drain(NULL, NULL);
  answer_last(0, (answer){.error = code, .integrity = true});
  pl_turn_output ev;
  int ne;
  cr_assert_eq(drain(&ev, &ne), 0, "no retry on %u", code);
  cr_assert_eq(ne, 1);
  cr_assert_eq(ev.event.kind, PL_TURN_EV_FAILED);
  cr_assert_eq(ev.event.code, code);
  cr_assert_eq(ev.event.error, PL_EBUSY);
  char want[8];
  snprintf(want, sizeof want, "%u", code);
  cr_assert(strstr(ev.event.reason, want), "reason names the code: %s", ev.event.reason);
  cr_assert_eq(pl_turn_get_stats(t).errors, 1);
}

Test(turn, capacity_508_is_a_clear_failure) { quota_case(508); }
Test(turn, quota_486_is_a_clear_failure) { quota_case(486); }

Test(turn, forged_success_without_integrity_is_dropped) {
  setup_with(PL_TURN_UDP, 0);
  pl_turn_start(t, 0);
  drain(NULL, NULL);
  answer_last(0, (answer){.error = 401, .realm = "example.org", .nonce = "n1"});
  drain(NULL, NULL);
  uint8_t buf[PL_STUN_MAX_MSG];
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf, pl_stun_type(PL_TURN_ALLOCATE, PL_STUN_SUCCESS),
                      req.txid);
  pl_turn_put_xor_addr_(&b, PL_TURN_ATTR_XOR_RELAYED_ADDRESS, &relayed);
  int n = pl_stun_build_end(&b);
  pl_turn_rx rx;
  cr_assert_eq(pl_turn_input(t, 0, buf, (size_t)n, &rx), PL_EAUTH);
  cr_assert_eq(pl_turn_get_state(t), PL_TURN_ALLOCATING);
  cr_assert_eq(pl_turn_get_stats(t).dropped, 1);
}

Test(turn, refresh_a_minute_before_expiry_or_halfway) {
  setup_with(PL_TURN_UDP, 600);
  allocate(PL_SEC(1), 600);
  cr_assert_eq(pl_turn_deadline(t), PL_SEC(541));
  pl_turn_timeout(t, PL_SEC(540));
  cr_assert_eq(drain(NULL, NULL), 0, "nothing before the refresh time");
  pl_turn_timeout(t, PL_SEC(541));
  cr_assert_eq(drain(NULL, NULL), 1);
  cr_assert_eq(req.method, PL_TURN_REFRESH);
  const uint8_t *v;
  size_t n;
  cr_assert_eq(pl_stun_attr_find(&req, PL_TURN_ATTR_LIFETIME, &v, &n), 0);
  cr_assert_eq(pl_be32(v), 600);
  /* The server grants only 60 s: the next refresh comes after 30. */
  answer_last(PL_SEC(541), (answer){.integrity = true, .lifetime = 60});
  cr_assert_eq(pl_turn_deadline(t), PL_SEC(571));
}

Test(turn, unanswered_allocate_retransmits_then_times_out) {
  setup_with(PL_TURN_UDP, 0);
  pl_turn_start(t, 0);
  cr_assert_eq(drain(NULL, NULL), 1);
  pl_time_us now = 0;
  int sends = 1;
  pl_turn_output ev;
  int ne = 0;
  while (pl_turn_deadline(t) != PL_TIME_NEVER && now < PL_SEC(100)) {
    now = pl_turn_deadline(t);
    pl_turn_timeout(t, now);
    sends += drain(&ev, &ne);
    if (ne)
      break;
  }
  cr_assert_eq(sends, 7, "RFC 8489 Rc = 7, got %d", sends);
  cr_assert_eq(ne, 1);
  cr_assert_eq(ev.event.kind, PL_TURN_EV_FAILED);
  cr_assert_eq(ev.event.error, PL_ETIMEDOUT);
  /* Sends at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s, then 16 x 500 ms. */
  cr_assert_eq(now, PL_MS(39500));
}

Test(turn, tcp_sends_once_and_times_out_without_resends) {
  setup_with(PL_TURN_TCP, 0);
  pl_turn_start(t, 0);
  cr_assert_eq(drain(NULL, NULL), 1);
  cr_assert_eq(pl_turn_deadline(t), PL_SEC(10));
  pl_turn_timeout(t, PL_SEC(10));
  pl_turn_output ev;
  int ne;
  cr_assert_eq(drain(&ev, &ne), 0);
  cr_assert_eq(ev.event.error, PL_ETIMEDOUT);
}

/* Frames a payload for `peer` and returns its length (the frame in out). */
static int frame(pl_time_us now, const char *payload, uint8_t *out, size_t cap) {
  return pl_turn_frame(t, now, &peer, (const uint8_t *)payload, strlen(payload), out, cap);
}

static void answer_requests(pl_time_us now, int *perm, int *chan) {
  /* Both requests went out in one drain; answer each by re-parsing. */
  pl_turn_output o;
  uint8_t msgs[4][PL_STUN_MAX_MSG];
  size_t lens[4];
  int k = 0;
  while (pl_turn_poll(t, &o))
    if (o.kind == PL_TURN_OUT_TRANSMIT && k < 4) {
      memcpy(msgs[k], o.transmit.data, o.transmit.len);
      lens[k++] = o.transmit.len;
    }
  *perm = *chan = 0;
  for (int i = 0; i < k; i++) {
    memcpy(last, msgs[i], lens[i]);
    cr_assert_eq(pl_stun_parse(&req, last, lens[i]), 0);
    cr_assert_eq(pl_stun_check_integrity(&req, key, sizeof key), 0);
    pl_addr a;
    cr_assert_eq(pl_turn_get_xor_addr_(&req, PL_TURN_ATTR_XOR_PEER_ADDRESS, &a), 0);
    if (req.method == PL_TURN_CREATE_PERMISSION) {
      (*perm)++;
      pl_addr ip = peer;
      pl_addr_set_port(&ip, 0);
      cr_assert(pl_addr_equal(&a, &ip), "permission for the peer's IP");
    } else {
      cr_assert_eq(req.method, PL_TURN_CHANNEL_BIND);
      (*chan)++;
      cr_assert(pl_addr_equal(&a, &peer));
      const uint8_t *v;
      size_t n;
      cr_assert_eq(pl_stun_attr_find(&req, PL_TURN_ATTR_CHANNEL_NUMBER, &v, &n), 0);
      cr_assert_eq(pl_be16(v), 0x4000);
    }
    answer_last(now, (answer){.integrity = true});
  }
}

Test(turn, send_indication_until_the_channel_is_bound_then_channel_data) {
  setup_with(PL_TURN_UDP, 600);
  uint8_t out[256];
  cr_assert_eq(frame(0, "hello", out, sizeof out), PL_ESTATE);
  allocate(0, 600);
  int n = frame(PL_MS(10), "hello", out, sizeof out);
  cr_assert_gt(n, 0);
  pl_stun_msg m;
  cr_assert_eq(pl_stun_parse(&m, out, (size_t)n), 0);
  cr_assert_eq(m.method, PL_TURN_SEND);
  cr_assert_eq(m.cls, PL_STUN_INDICATION);
  pl_addr a;
  cr_assert_eq(pl_turn_get_xor_addr_(&m, PL_TURN_ATTR_XOR_PEER_ADDRESS, &a), 0);
  cr_assert(pl_addr_equal(&a, &peer));
  const uint8_t *v;
  size_t vl;
  cr_assert_eq(pl_stun_attr_find(&m, PL_TURN_ATTR_DATA, &v, &vl), 0);
  cr_assert_eq(vl, 5);
  cr_assert_eq(memcmp(v, "hello", 5), 0);
  int perm, chan;
  answer_requests(PL_MS(30), &perm, &chan);
  cr_assert_eq(perm, 1);
  cr_assert_eq(chan, 1);
  n = frame(PL_MS(40), "hello", out, sizeof out);
  cr_assert_eq(n, 9, "ChannelData: 4 bytes of header, no padding over UDP");
  cr_assert_eq(pl_be16(out), 0x4000);
  cr_assert_eq(pl_be16(out + 2), 5);
  cr_assert_eq(memcmp(out + 4, "hello", 5), 0);
  pl_turn_stats s = pl_turn_get_stats(t);
  cr_assert_eq(s.send_indications, 1);
  cr_assert_eq(s.channel_data_sent, 1);
  cr_assert_eq(s.bytes_sent, 10);
  cr_assert_eq(s.permissions, 1);
  cr_assert_eq(s.channel_binds, 1);
}

Test(turn, permissions_and_channels_are_refreshed_before_they_lapse) {
  setup_with(PL_TURN_UDP, 3600);
  allocate(0, 3600);
  uint8_t out[64];
  frame(0, "x", out, sizeof out);
  int perm, chan;
  answer_requests(0, &perm, &chan);
  /* Permission: 300 s of life, refreshed at 240; channel: 600, at 540. */
  cr_assert_eq(pl_turn_deadline(t), PL_SEC(240));
  pl_turn_timeout(t, PL_SEC(240));
  answer_requests(PL_SEC(240), &perm, &chan);
  cr_assert_eq(perm, 1);
  cr_assert_eq(chan, 0);
  cr_assert_eq(pl_turn_deadline(t), PL_SEC(480));
  pl_turn_timeout(t, PL_SEC(480));
  answer_requests(PL_SEC(480), &perm, &chan);
  cr_assert_eq(perm, 1);
  cr_assert_eq(pl_turn_deadline(t), PL_SEC(540));
  pl_turn_timeout(t, PL_SEC(540));
  answer_requests(PL_SEC(540), &perm, &chan);
  cr_assert_eq(chan, 1);
  cr_assert_eq(pl_turn_get_stats(t).permissions, 3);
  cr_assert_eq(pl_turn_get_stats(t).channel_binds, 2);
}

Test(turn, channel_data_from_the_server_with_bad_lengths_is_dropped) {
  setup_with(PL_TURN_UDP, 600);
  allocate(0, 600);
  uint8_t out[64];
  frame(0, "x", out, sizeof out);
  int perm, chan;
  answer_requests(0, &perm, &chan);
  pl_turn_rx rx;
  uint8_t good[] = {0x40, 0x00, 0x00, 0x03, 'a', 'b', 'c', 0};
  cr_assert_eq(pl_turn_input(t, 0, good, 7, &rx), PL_TURN_RX_DATA);
  cr_assert(pl_addr_equal(&rx.peer, &peer));
  cr_assert_eq(rx.len, 3);
  cr_assert_eq(memcmp(rx.data, "abc", 3), 0);
  cr_assert_eq(pl_turn_input(t, 0, good, 8, &rx), PL_TURN_RX_DATA, "padded is fine");
  uint8_t longer[] = {0x40, 0x00, 0x00, 0x09, 'a', 'b', 'c'};
  cr_assert_eq(pl_turn_input(t, 0, longer, sizeof longer, &rx), PL_EPARSE);
  uint8_t trailing[12] = {0x40, 0x00, 0x00, 0x03, 'a', 'b', 'c'};
  cr_assert_eq(pl_turn_input(t, 0, trailing, sizeof trailing, &rx), PL_EPARSE);
  uint8_t unknown[] = {0x40, 0x07, 0x00, 0x01, 'a'};
  cr_assert_eq(pl_turn_input(t, 0, unknown, sizeof unknown, &rx), PL_EAUTH);
  uint8_t reserved[] = {0x50, 0x00, 0x00, 0x01, 'a'};
  cr_assert_eq(pl_turn_input(t, 0, reserved, sizeof reserved, &rx), PL_EPARSE);
  cr_assert_eq(pl_turn_get_stats(t).dropped, 4);
  cr_assert_eq(pl_turn_get_stats(t).packets_received, 2);
}

Test(turn, data_indication_carries_the_peer_and_payload) {
  setup_with(PL_TURN_UDP, 600);
  allocate(0, 600);
  uint8_t buf[128], txid[12] = {1, 2, 3};
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf, pl_stun_type(PL_TURN_DATA, PL_STUN_INDICATION), txid);
  pl_turn_put_xor_addr_(&b, PL_TURN_ATTR_XOR_PEER_ADDRESS, &peer);
  pl_stun_put_bytes(&b, PL_TURN_ATTR_DATA, "media", 5);
  int n = pl_stun_build_end(&b);
  pl_turn_rx rx;
  cr_assert_eq(pl_turn_input(t, 0, buf, (size_t)n, &rx), PL_TURN_RX_DATA);
  cr_assert(pl_addr_equal(&rx.peer, &peer));
  cr_assert_eq(rx.len, 5);
  cr_assert_eq(memcmp(rx.data, "media", 5), 0);
  /* A Binding answer from the same server is ICE's, not ours. */
  pl_stun_build_begin(&b, buf, sizeof buf, pl_stun_type(PL_STUN_BINDING, PL_STUN_SUCCESS), txid);
  n = pl_stun_build_end(&b);
  cr_assert_eq(pl_turn_input(t, 0, buf, (size_t)n, &rx), PL_ENOENT);
}

Test(turn, tcp_stream_is_reassembled_across_reads_and_padded) {
  setup_with(PL_TURN_TCP, 600);
  allocate(0, 600);
  uint8_t out[64];
  frame(0, "x", out, sizeof out);
  int perm, chan;
  answer_requests(0, &perm, &chan);
  int n = frame(0, "hello", out, sizeof out);
  cr_assert_eq(n, 12, "ChannelData padded to 4 over TCP");
  /* Two ChannelData frames (one padded) and one split across three reads. */
  uint8_t s[] = {0x40, 0x00, 0x00, 0x02, 'h', 'i', 0, 0,
                 0x40, 0x00, 0x00, 0x04, 'a', 'b', 'c', 'd'};
  pl_turn_rx rx;
  cr_assert_eq(pl_turn_stream_input(t, 0, s, 3), 3);
  cr_assert_eq(pl_turn_stream_next(t, 0, &rx), PL_EAGAIN);
  cr_assert_eq(pl_turn_stream_input(t, 0, s + 3, 7), 7);
  cr_assert_eq(pl_turn_stream_next(t, 0, &rx), PL_TURN_RX_DATA);
  cr_assert_eq(rx.len, 2);
  cr_assert_eq(memcmp(rx.data, "hi", 2), 0);
  cr_assert_eq(pl_turn_stream_next(t, 0, &rx), PL_EAGAIN);
  cr_assert_eq(pl_turn_stream_input(t, 0, s + 10, sizeof s - 10), (int)sizeof s - 10);
  cr_assert_eq(pl_turn_stream_next(t, 0, &rx), PL_TURN_RX_DATA);
  cr_assert_eq(rx.len, 4);
  cr_assert_eq(memcmp(rx.data, "abcd", 4), 0);
  cr_assert_eq(pl_turn_stream_next(t, 0, &rx), PL_EAGAIN);
  /* Garbage: the stream cannot be resynchronised, the client fails. */
  uint8_t junk[] = {0xC0, 0, 0, 0};
  pl_turn_stream_input(t, 0, junk, 4);
  cr_assert_eq(pl_turn_stream_next(t, 0, &rx), PL_EPARSE);
  cr_assert_eq(pl_turn_get_state(t), PL_TURN_FAILED);
}

Test(turn, close_deallocates_with_lifetime_zero) {
  setup_with(PL_TURN_UDP, 600);
  allocate(0, 600);
  pl_turn_close(t, PL_SEC(5));
  cr_assert_eq(drain(NULL, NULL), 1);
  cr_assert_eq(req.method, PL_TURN_REFRESH);
  const uint8_t *v;
  size_t n;
  cr_assert_eq(pl_stun_attr_find(&req, PL_TURN_ATTR_LIFETIME, &v, &n), 0);
  cr_assert_eq(pl_be32(v), 0);
  answer_last(PL_SEC(5), (answer){.integrity = true});
  pl_turn_output ev;
  int ne;
  drain(&ev, &ne);
  cr_assert_eq(ev.event.kind, PL_TURN_EV_CLOSED);
  cr_assert_eq(pl_turn_get_state(t), PL_TURN_CLOSED);
  cr_assert_eq(pl_turn_deadline(t), PL_TIME_NEVER);
}

Test(turn, rest_credentials_match_coturns_formula) {
  t = NULL;
  char u[64], p[64];
  cr_assert_eq(pl_turn_rest_credentials("s3cret", "alice", 1700000000, u, sizeof u, p, sizeof p), 0);
  cr_assert_str_eq(u, "1700000000:alice");
  /* base64(HMAC-SHA1("s3cret", "1700000000:alice")), from Python's hmac. */
  cr_assert_str_eq(p, "TtElzSjT0GdnTQ9xdcRNxx96yQs=");
  cr_assert_eq(pl_turn_rest_credentials("s", "a", 1, u, 3, p, sizeof p), PL_EFULL);
}

Test(turn, urls_name_credentials_server_and_transport) {
  t = NULL;
  pl_turn_url u;
  char a[PL_ADDR_STRLEN];
  cr_assert_eq(pl_turn_url_parse(&u, "turn:alice:pw@10.0.0.1:3479"), 0);
  cr_assert_str_eq(u.username, "alice");
  cr_assert_str_eq(u.password, "pw");
  cr_assert_str_eq(pl_addr_format(&u.server, a, sizeof a), "10.0.0.1:3479");
  cr_assert_eq(u.transport, PL_TURN_UDP);
  cr_assert_eq(pl_turn_url_parse(&u, "turn:a:p@w@10.0.0.1?transport=tcp"), 0);
  cr_assert_str_eq(u.password, "p@w");
  cr_assert_eq(pl_addr_port(&u.server), 3478);
  cr_assert_eq(u.transport, PL_TURN_TCP);
  cr_assert_eq(pl_turn_url_parse(&u, "turns:a:p@[::1]"), 0);
  cr_assert_eq(u.transport, PL_TURN_TLS);
  cr_assert_eq(pl_addr_port(&u.server), 5349);
  cr_assert_eq(pl_turn_url_parse(&u, "turn:a:p@[::1]:9"), 0);
  cr_assert_eq(pl_addr_port(&u.server), 9);
  cr_assert_eq(pl_turn_url_parse(&u, "turn:1700000000:alice:TtElzSjT0GdnTQ9xdcRNxx96yQs=@10.0.0.1"), 0);
  cr_assert_str_eq(u.username, "1700000000:alice", "REST usernames keep their ':'");
  cr_assert_str_eq(u.password, "TtElzSjT0GdnTQ9xdcRNxx96yQs=");
  cr_assert_eq(pl_turn_url_parse(&u, "turn:bob:a%3Ab%40c@10.0.0.1"), 0);
  cr_assert_str_eq(u.password, "a:b@c", "escaped ':' and '@'");
  cr_assert_eq(pl_turn_url_parse(&u, "turn:bob:a%00@10.0.0.1"), PL_EPARSE);
  cr_assert_eq(pl_turn_url_parse(&u, "turn:bob:a%4@10.0.0.1"), PL_EPARSE);
  cr_assert_eq(pl_turn_url_parse(&u, "stun:a:p@10.0.0.1"), PL_EPARSE);
  cr_assert_eq(pl_turn_url_parse(&u, "turn:10.0.0.1:3478"), PL_EPARSE);
  cr_assert_eq(pl_turn_url_parse(&u, "turn:a:p@host.example:3478"), PL_EPARSE);
  cr_assert_eq(pl_turn_url_parse(&u, "turn:a:p@10.0.0.1?transport=sctp"), PL_EPARSE);
}
