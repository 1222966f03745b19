/* SRTP sessions: libsrtp's published known-answer packets, round trips for
 * every profile, replay and forgery handling, buffer limits, counters, and
 * the RFC 5764 4.2 key layout. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net/srtp/srtp.h"
#include "parley.h"

/* libsrtp test/srtp_driver.c srtp_validate(): default policy (AES-CM-128,
 * HMAC-SHA1-80), SSRC 0xcafebabe, master key||salt below. */
static const uint8_t kat_key[30] = {
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
    0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
    0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
static const uint8_t kat_rtp[28] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
    0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t kat_srtp[38] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
    0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8,
    0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
    0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
static const uint8_t kat_rtcp[24] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab, 0xab,
    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t kat_srtcp[38] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28,
    0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41,
    0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e,
    0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};
/* srtp_validate_gcm(): AEAD_AES_128_GCM with a 16-byte tag. */
static const uint8_t kat_gcm_key[28] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
    0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3,
    0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
static const uint8_t kat_gcm_srtp[44] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba,
    0xbe, 0xc5, 0x00, 0x2e, 0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11,
    0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26, 0xf7,
    0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92};
static const uint8_t kat_gcm_srtcp[44] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b,
    0x5d, 0xf0, 0x39, 0x2a, 0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e,
    0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46, 0xea,
    0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01};

static pl_srtp *session(pl_srtp_profile p, const uint8_t *tx, const uint8_t *rx,
                        size_t len) {
  pl_srtp_keys k;
  memset(&k, 0, sizeof k);
  k.profile = p;
  memcpy(k.local, tx, len);
  memcpy(k.remote, rx, len);
  pl_srtp *s = NULL;
  cr_assert_eq(pl_srtp_new(&s, &k), 0);
  return s;
}

static void kat(pl_srtp_profile p, const uint8_t *key, size_t klen,
                const uint8_t *srtp, size_t srtp_len, const uint8_t *srtcp,
                size_t srtcp_len) {
  pl_srtp *s = session(p, key, key, klen);
  uint8_t buf[64];
  size_t n = sizeof kat_rtp;
  memcpy(buf, kat_rtp, n);
  cr_assert_eq(pl_srtp_protect_rtp(s, buf, &n, sizeof buf), 0);
  cr_assert_eq(n, srtp_len);
  cr_assert_arr_eq(buf, srtp, srtp_len);
  n = sizeof kat_rtcp;
  memcpy(buf, kat_rtcp, n);
  cr_assert_eq(pl_srtp_protect_rtcp(s, buf, &n, sizeof buf), 0);
  cr_assert_eq(n, srtcp_len);
  cr_assert_arr_eq(buf, srtcp, srtcp_len);
  /* and back, on the inbound side of the same session */
  n = srtp_len;
  memcpy(buf, srtp, n);
  cr_assert_eq(pl_srtp_unprotect_rtp(s, buf, &n), 0);
  cr_assert_eq(n, sizeof kat_rtp);
  cr_assert_arr_eq(buf, kat_rtp, n);
  n = srtcp_len;
  memcpy(buf, srtcp, n);
  cr_assert_eq(pl_srtp_unprotect_rtcp(s, buf, &n), 0);
  cr_assert_eq(n, sizeof kat_rtcp);
  cr_assert_arr_eq(buf, kat_rtcp, n);
  const pl_srtp_stats *st = pl_srtp_get_stats(s);
  cr_assert_eq(st->protected_rtp, 1);
  cr_assert_eq(st->protected_rtcp, 1);
  cr_assert_eq(st->unprotected_rtp, 1);
  cr_assert_eq(st->unprotected_rtcp, 1);
  cr_assert_eq(st->auth_fail + st->replay + st->other, 0);
  pl_srtp_free(s);
}

Test(srtp, libsrtp_known_answer_aes_cm_sha1_80) {
  kat(PL_SRTP_AES128_CM_SHA1_80, kat_key, sizeof kat_key, kat_srtp,
      sizeof kat_srtp, kat_srtcp, sizeof kat_srtcp);
}

Test(srtp, libsrtp_known_answer_aes_cm_sha1_32_is_the_80_packet_cut_short) {
  /* Same keystream and HMAC; only the RTP tag is 4 bytes (the SRTCP tag
   * stays 10, RFC 5764 4.1.2). */
  kat(PL_SRTP_AES128_CM_SHA1_32, kat_key, sizeof kat_key, kat_srtp, 32,
      kat_srtcp, sizeof kat_srtcp);
}

Test(srtp, libsrtp_known_answer_aead_aes_128_gcm) {
  if (!pl_srtp_profile_supported(PL_SRTP_AEAD_AES_128_GCM))
    cr_skip_test("libsrtp2 built without AES-GCM");
  kat(PL_SRTP_AEAD_AES_128_GCM, kat_gcm_key, sizeof kat_gcm_key, kat_gcm_srtp,
      sizeof kat_gcm_srtp, kat_gcm_srtcp, sizeof kat_gcm_srtcp);
}

Test(srtp, profile_table_matches_rfc_lengths) {
  const pl_srtp_profile_info *a = pl_srtp_profile_get(PL_SRTP_AES128_CM_SHA1_80);
  cr_assert_eq(a->key_len, 16);
  cr_assert_eq(a->salt_len, 14);
  cr_assert_eq(a->rtp_tag_len, 10);
  cr_assert_str_eq(a->sdes_name, "AES_CM_128_HMAC_SHA1_80");
  const pl_srtp_profile_info *b = pl_srtp_profile_get(PL_SRTP_AES128_CM_SHA1_32);
  cr_assert_eq(b->rtp_tag_len, 4);
  cr_assert_eq(b->rtcp_tag_len, 10);
  const pl_srtp_profile_info *g = pl_srtp_profile_get(PL_SRTP_AEAD_AES_128_GCM);
  cr_assert_eq(g->key_len, 16);
  cr_assert_eq(g->salt_len, 12);
  cr_assert_eq(g->rtp_tag_len, 16);
  cr_assert_eq(pl_srtp_profile_get(PL_SRTP_AEAD_AES_256_GCM)->key_len, 32);
  cr_assert_null(pl_srtp_profile_get((pl_srtp_profile)3));
  cr_assert_eq(pl_srtp_profile_by_sdes_name("AEAD_AES_128_GCM", 16), g);
  cr_assert_null(pl_srtp_profile_by_sdes_name("aead_aes_128_gcm", 16));
  /* DTLS-SRTP ids are the enum values (RFC 5764 4.1.2, RFC 7714 14.2) */
  cr_assert_eq(PL_SRTP_AES128_CM_SHA1_80, 1);
  cr_assert_eq(PL_SRTP_AEAD_AES_128_GCM, 7);
  cr_assert(pl_srtp_profile_supported(PL_SRTP_AES128_CM_SHA1_80));
  cr_assert(pl_srtp_profile_supported(PL_SRTP_AES128_CM_SHA1_32));
  cr_assert_not(pl_srtp_profile_supported((pl_srtp_profile)5));
}

static void fill_keys(uint8_t *a, uint8_t *b, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++) {
    a[i] = (uint8_t)(seed + 7 * i);
    b[i] = (uint8_t)(seed ^ (31 * i + 3));
  }
}

static size_t make_rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, size_t payload,
                       bool ext) {
  size_t h = 12;
  p[0] = ext ? 0x91 : 0x80; /* one CSRC when ext, to exercise both */
  p[1] = 111;
  p[2] = (uint8_t)(seq >> 8);
  p[3] = (uint8_t)seq;
  memset(p + 4, 0x11, 4);
  p[8] = (uint8_t)(ssrc >> 24);
  p[9] = (uint8_t)(ssrc >> 16);
  p[10] = (uint8_t)(ssrc >> 8);
  p[11] = (uint8_t)ssrc;
  if (ext) {
    memset(p + 12, 0x22, 4); /* CSRC */
    const uint8_t x[8] = {0xbe, 0xde, 0x00, 0x01, 0x10, 0x55, 0x00, 0x00};
    memcpy(p + 16, x, 8);
    h = 24;
  }
  for (size_t i = 0; i < payload; i++)
    p[h + i] = (uint8_t)(i * 13 + seq);
  return h + payload;
}

static void round_trip(pl_srtp_profile p) {
  if (!pl_srtp_profile_supported(p))
    cr_skip_test("profile not in this libsrtp2");
  const pl_srtp_profile_info *pi = pl_srtp_profile_get(p);
  uint8_t ka[PL_SRTP_MAX_MASTER_LEN], kb[PL_SRTP_MAX_MASTER_LEN];
  size_t ml = (size_t)pi->key_len + pi->salt_len;
  fill_keys(ka, kb, ml, (uint8_t)p);
  pl_srtp *alice = session(p, ka, kb, ml), *bob = session(p, kb, ka, ml);
  cr_assert_eq(pl_srtp_get_profile(alice), p);
  uint8_t plain[1300], buf[1300 + PL_SRTP_MAX_OVERHEAD];
  /* Two SSRCs, sequence numbers across the 16-bit wrap (ROC 0 -> 1). */
  for (int i = 0; i < 300; i++) {
    uint16_t seq = (uint16_t)(65400 + i);
    uint32_t ssrc = (i & 1) ? 0x11111111u : 0x22222222u;
    size_t n = make_rtp(plain, seq, ssrc, 20 + (size_t)i * 4, i % 3 == 0);
    memcpy(buf, plain, n);
    size_t len = n;
    cr_assert_eq(pl_srtp_protect_rtp(alice, buf, &len, sizeof buf), 0);
    cr_assert_eq(len, n + pi->rtp_tag_len);
    cr_assert(memcmp(buf + 24, plain + 24, n - 24) != 0, "payload encrypted");
    cr_assert_eq(pl_srtp_unprotect_rtp(bob, buf, &len), 0, "seq %u", seq);
    cr_assert_eq(len, n);
    cr_assert_arr_eq(buf, plain, n);
  }
  /* RTCP both ways */
  for (int i = 0; i < 10; i++) {
    uint8_t rr[32] = {0x81, 201, 0, 7, 0x12, 0x34, 0x56, (uint8_t)i};
    memset(rr + 8, 0x5a + i, 24);
    size_t len = sizeof rr;
    memcpy(buf, rr, len);
    cr_assert_eq(pl_srtp_protect_rtcp(bob, buf, &len, sizeof buf), 0);
    cr_assert_eq(len, sizeof rr + 4 + pi->rtcp_tag_len);
    cr_assert_eq(pl_srtp_unprotect_rtcp(alice, buf, &len), 0);
    cr_assert_arr_eq(buf, rr, sizeof rr);
  }
  cr_assert_eq(pl_srtp_get_stats(alice)->protected_rtp, 300);
  cr_assert_eq(pl_srtp_get_stats(bob)->unprotected_rtp, 300);
  cr_assert_eq(pl_srtp_get_stats(alice)->unprotected_rtcp, 10);
  pl_srtp_free(alice);
  pl_srtp_free(bob);
}

Test(srtp, round_trip_aes_cm_sha1_80) { round_trip(PL_SRTP_AES128_CM_SHA1_80); }
Test(srtp, round_trip_aes_cm_sha1_32) { round_trip(PL_SRTP_AES128_CM_SHA1_32); }
Test(srtp, round_trip_aead_aes_128_gcm) { round_trip(PL_SRTP_AEAD_AES_128_GCM); }
Test(srtp, round_trip_aead_aes_256_gcm) { round_trip(PL_SRTP_AEAD_AES_256_GCM); }

static void replay_and_forgery(pl_srtp_profile p) {
  if (!pl_srtp_profile_supported(p))
    cr_skip_test("profile not in this libsrtp2");
  const pl_srtp_profile_info *pi = pl_srtp_profile_get(p);
  size_t ml = (size_t)pi->key_len + pi->salt_len;
  uint8_t ka[PL_SRTP_MAX_MASTER_LEN], kb[PL_SRTP_MAX_MASTER_LEN];
  fill_keys(ka, kb, ml, 9);
  pl_srtp *tx = session(p, ka, kb, ml), *rx = session(p, kb, ka, ml);
  static uint8_t wire[1200][200];
  size_t wl[1200];
  for (int i = 0; i < 1200; i++) {
    wl[i] = make_rtp(wire[i], (uint16_t)(1000 + i), 0xabcdef01u, 100, false);
    cr_assert_eq(pl_srtp_protect_rtp(tx, wire[i], &wl[i], sizeof wire[i]), 0);
  }
  uint8_t buf[200];
  size_t n;
#define RX(i) (memcpy(buf, wire[i], wl[i]), n = wl[i], pl_srtp_unprotect_rtp(rx, buf, &n))
  cr_assert_eq(RX(0), 0);
  cr_assert_eq(RX(0), PL_EREPLAY, "duplicate");
  cr_assert_eq(RX(1100), 0);
  cr_assert_eq(RX(500), 0, "600 behind, inside the 1024 window");
  cr_assert_eq(RX(500), PL_EREPLAY);
  cr_assert_eq(RX(50), PL_EREPLAY, "1050 behind: older than the window");
  /* flip one payload bit, then one tag bit */
  memcpy(buf, wire[1101], wl[1101]);
  n = wl[1101];
  buf[40] ^= 1;
  cr_assert_eq(pl_srtp_unprotect_rtp(rx, buf, &n), PL_EAUTH);
  memcpy(buf, wire[1101], wl[1101]);
  n = wl[1101];
  buf[n - 1] ^= 0x80;
  cr_assert_eq(pl_srtp_unprotect_rtp(rx, buf, &n), PL_EAUTH);
  cr_assert_eq(RX(1101), 0, "the genuine packet still passes after forgeries");
#undef RX
  const pl_srtp_stats *st = pl_srtp_get_stats(rx);
  cr_assert_eq(st->unprotected_rtp, 4);
  cr_assert_eq(st->replay, 3);
  cr_assert_eq(st->auth_fail, 2);
  cr_assert_eq(st->other, 0);
  /* Sending the same sequence number again is refused (no allow_repeat_tx). */
  n = make_rtp(buf, 1000, 0xabcdef01u, 100, false);
  cr_assert_eq(pl_srtp_protect_rtp(tx, buf, &n, sizeof buf), PL_EREPLAY);
  cr_assert_eq(pl_srtp_get_stats(tx)->replay, 1);
  /* SRTCP replay: same packet twice */
  uint8_t rr[16] = {0x80, 201, 0, 3, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9};
  uint8_t w[64];
  size_t wlen = sizeof rr;
  memcpy(w, rr, wlen);
  cr_assert_eq(pl_srtp_protect_rtcp(tx, w, &wlen, sizeof w), 0);
  memcpy(buf, w, wlen);
  n = wlen;
  cr_assert_eq(pl_srtp_unprotect_rtcp(rx, buf, &n), 0);
  memcpy(buf, w, wlen);
  n = wlen;
  cr_assert_eq(pl_srtp_unprotect_rtcp(rx, buf, &n), PL_EREPLAY);
  /* libsrtp checks the SRTCP index before the tag, so forge a fresh one */
  wlen = sizeof rr;
  memcpy(w, rr, wlen);
  cr_assert_eq(pl_srtp_protect_rtcp(tx, w, &wlen, sizeof w), 0);
  w[9] ^= 4;
  cr_assert_eq(pl_srtp_unprotect_rtcp(rx, w, &wlen), PL_EAUTH);
  cr_assert_eq(pl_srtp_get_stats(rx)->auth_fail, 3);
  cr_assert_eq(pl_srtp_get_stats(rx)->replay, 4);
  pl_srtp_free(tx);
  pl_srtp_free(rx);
}

Test(srtp, replay_window_and_forgery_aes_cm) {
  replay_and_forgery(PL_SRTP_AES128_CM_SHA1_80);
}
Test(srtp, replay_window_and_forgery_gcm) {
  replay_and_forgery(PL_SRTP_AEAD_AES_128_GCM);
}

Test(srtp, wrong_key_fails_authentication) {
  uint8_t ka[30], kb[30];
  fill_keys(ka, kb, 30, 1);
  pl_srtp *tx = session(PL_SRTP_AES128_CM_SHA1_80, ka, kb, 30);
  pl_srtp *rx = session(PL_SRTP_AES128_CM_SHA1_80, kb, kb, 30);
  uint8_t buf[100];
  size_t n = make_rtp(buf, 1, 2, 40, false);
  cr_assert_eq(pl_srtp_protect_rtp(tx, buf, &n, sizeof buf), 0);
  cr_assert_eq(pl_srtp_unprotect_rtp(rx, buf, &n), PL_EAUTH);
  cr_assert_eq(pl_srtp_get_stats(rx)->auth_fail, 1);
  pl_srtp_free(tx);
  pl_srtp_free(rx);
}

/* Buffers sized exactly: ASan proves libsrtp writes no more than the tag. */
static void exact_capacity(pl_srtp_profile p) {
  if (!pl_srtp_profile_supported(p))
    cr_skip_test("profile not in this libsrtp2");
  const pl_srtp_profile_info *pi = pl_srtp_profile_get(p);
  size_t ml = (size_t)pi->key_len + pi->salt_len;
  uint8_t ka[PL_SRTP_MAX_MASTER_LEN], kb[PL_SRTP_MAX_MASTER_LEN];
  fill_keys(ka, kb, ml, 3);
  pl_srtp *s = session(p, ka, kb, ml), *r = session(p, kb, ka, ml);
  uint8_t tmp[200];
  size_t n = make_rtp(tmp, 7, 8, 77, true);
  size_t cap = n + pi->rtp_tag_len;
  uint8_t *b = malloc(cap);
  memcpy(b, tmp, n);
  size_t len = n;
  cr_assert_eq(pl_srtp_protect_rtp(s, b, &len, cap - 1), PL_EFULL);
  cr_assert_eq(pl_srtp_protect_rtp(s, b, &len, cap), 0);
  cr_assert_eq(len, cap);
  cr_assert_eq(pl_srtp_unprotect_rtp(r, b, &len), 0);
  cr_assert_arr_eq(b, tmp, n);
  free(b);
  uint8_t rr[8] = {0x80, 201, 0, 1, 0xde, 0xad, 0xbe, 0xef};
  cap = 8 + 4 + pi->rtcp_tag_len;
  b = malloc(cap);
  memcpy(b, rr, 8);
  len = 8;
  cr_assert_eq(pl_srtp_protect_rtcp(s, b, &len, cap - 1), PL_EFULL);
  cr_assert_eq(pl_srtp_protect_rtcp(s, b, &len, cap), 0);
  cr_assert_eq(len, cap);
  cr_assert_eq(pl_srtp_unprotect_rtcp(r, b, &len), 0);
  cr_assert_eq(len, 8);
  cr_assert_arr_eq(b, rr, 8);
  free(b);
  cr_assert_eq(pl_srtp_get_stats(s)->other, 2);
  pl_srtp_free(s);
  pl_srtp_free(r);
}

Test(srtp, trailer_fits_exact_buffer_aes_cm) {
  exact_capacity(PL_SRTP_AES128_CM_SHA1_80);
}
Test(srtp, trailer_fits_exact_buffer_gcm) {
  exact_capacity(PL_SRTP_AEAD_AES_128_GCM);
}

Test(srtp, truncated_and_malformed_packets_are_refused) {
  uint8_t k[30] = {1};
  pl_srtp *s = session(PL_SRTP_AES128_CM_SHA1_80, k, k, 30);
  uint8_t buf[64] = {0x80, 0x60, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4};
  size_t n = 11;
  cr_assert_eq(pl_srtp_protect_rtp(s, buf, &n, sizeof buf), PL_ETRUNC);
  /* CSRC count 15 needs 72 header bytes */
  buf[0] = 0x8f;
  n = 40;
  cr_assert_eq(pl_srtp_protect_rtp(s, buf, &n, sizeof buf), PL_ETRUNC);
  /* extension length running past the end */
  buf[0] = 0x90;
  buf[12] = 0xbe;
  buf[13] = 0xde;
  buf[14] = 0x00;
  buf[15] = 0x20;
  n = 40;
  cr_assert_eq(pl_srtp_unprotect_rtp(s, buf, &n), PL_ETRUNC);
  /* header alone, no room for the tag inside the packet */
  buf[0] = 0x80;
  n = 12 + 9;
  cr_assert_eq(pl_srtp_unprotect_rtp(s, buf, &n), PL_ETRUNC);
  n = 7;
  cr_assert_eq(pl_srtp_protect_rtcp(s, buf, &n, sizeof buf), PL_ETRUNC);
  n = 8 + 4 + 9;
  cr_assert_eq(pl_srtp_unprotect_rtcp(s, buf, &n), PL_ETRUNC);
  n = 30;
  cr_assert_eq(pl_srtp_protect_rtp(s, buf, &n, 20), PL_EINVAL);
  cr_assert_eq(pl_srtp_get_stats(s)->other, 6);
  pl_srtp_free(s);
}

Test(srtp, new_rejects_unknown_profile) {
  pl_srtp_keys k;
  memset(&k, 0, sizeof k);
  k.profile = (pl_srtp_profile)42;
  pl_srtp *s = (pl_srtp *)1;
  cr_assert_eq(pl_srtp_new(&s, &k), PL_EINVAL);
  cr_assert_null(s);
  cr_assert_eq(pl_srtp_new(NULL, &k), PL_EINVAL);
  pl_srtp_free(NULL);
}

Test(srtp, dtls_export_layout_rfc5764) {
  /* 2 * (16 + 14) = 60 bytes: ck | sk | cs | ss */
  uint8_t ex[60];
  for (int i = 0; i < 60; i++)
    ex[i] = (uint8_t)i;
  pl_srtp_keys c, s;
  cr_assert_eq(pl_srtp_keys_from_dtls(PL_SRTP_AES128_CM_SHA1_80, ex, 60, true, &c), 0);
  cr_assert_eq(pl_srtp_keys_from_dtls(PL_SRTP_AES128_CM_SHA1_80, ex, 60, false, &s), 0);
  uint8_t want_c[30], want_s[30];
  for (int i = 0; i < 16; i++) {
    want_c[i] = (uint8_t)i;
    want_s[i] = (uint8_t)(16 + i);
  }
  for (int i = 0; i < 14; i++) {
    want_c[16 + i] = (uint8_t)(32 + i);
    want_s[16 + i] = (uint8_t)(46 + i);
  }
  cr_assert_arr_eq(c.local, want_c, 30);
  cr_assert_arr_eq(c.remote, want_s, 30);
  cr_assert_arr_eq(s.local, want_s, 30);
  cr_assert_arr_eq(s.remote, want_c, 30);
  cr_assert_eq(c.profile, PL_SRTP_AES128_CM_SHA1_80);
  cr_assert_eq(pl_srtp_keys_from_dtls(PL_SRTP_AES128_CM_SHA1_80, ex, 59, true, &c),
               PL_EINVAL);
  /* GCM-128: 2 * (16 + 12) = 56 */
  cr_assert_eq(pl_srtp_keys_from_dtls(PL_SRTP_AEAD_AES_128_GCM, ex, 56, true, &c), 0);
  cr_assert_eq(c.local[16], 32); /* client salt starts after both keys */
  cr_assert_eq(c.remote[16], 44);
  cr_assert_eq(pl_srtp_keys_from_dtls(PL_SRTP_AEAD_AES_128_GCM, ex, 60, true, &c),
               PL_EINVAL);
  /* both ends of a DTLS association talk */
  pl_srtp_keys_from_dtls(PL_SRTP_AES128_CM_SHA1_80, ex, 60, true, &c);
  pl_srtp *cli = NULL, *srv = NULL;
  cr_assert_eq(pl_srtp_new(&cli, &c), 0);
  cr_assert_eq(pl_srtp_new(&srv, &s), 0);
  uint8_t buf[100];
  size_t n = make_rtp(buf, 5, 6, 30, false);
  cr_assert_eq(pl_srtp_protect_rtp(cli, buf, &n, sizeof buf), 0);
  cr_assert_eq(pl_srtp_unprotect_rtp(srv, buf, &n), 0);
  n = make_rtp(buf, 5, 7, 30, false);
  cr_assert_eq(pl_srtp_protect_rtp(srv, buf, &n, sizeof buf), 0);
  cr_assert_eq(pl_srtp_unprotect_rtp(cli, buf, &n), 0);
  pl_srtp_free(cli);
  pl_srtp_free(srv);
}
