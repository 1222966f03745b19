/* SDES a=crypto (RFC 4568): the RFC's example line, strict base64 and key
 * lengths, lifetime/MKI forms, generation, and keys that make two pl_srtp
 * sessions talk. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/srtp/sdes.h"
#include "parley.h"

#define P(c, s) pl_sdes_parse(c, s, strlen(s))

Test(sdes, parses_rfc4568_example) {
  /* RFC 4568 section 4 example, with its lifetime and MKI */
  pl_sdes_crypto c;
  const char *line =
      "1 AES_CM_128_HMAC_SHA1_80 "
      "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";
  cr_assert_eq(P(&c, line), 0);
  cr_assert_eq(c.tag, 1);
  cr_assert_eq(c.profile, PL_SRTP_AES128_CM_SHA1_80);
  cr_assert_eq(c.key_len, 30);
  const uint8_t want[30] = {0x3d, 0x2d, 0x6e, 0x40, 0x25, 0x5e, 0x78, 0x21,
                            0x42, 0x6a, 0x75, 0x66, 0x72, 0x39, 0x29, 0x3f,
                            0x2c, 0x23, 0x35, 0x68, 0x5c, 0x60, 0x3d, 0x26,
                            0x5d, 0x7b, 0x71, 0x69, 0x50, 0x51};
  cr_assert_arr_eq(c.key, want, 30);
  cr_assert_eq(c.lifetime, 1u << 20);
  cr_assert_eq(c.mki, 1);
  cr_assert_eq(c.mki_len, 4);
  char out[200];
  cr_assert_eq(pl_sdes_write(&c, out, sizeof out), (int)strlen(line));
  cr_assert_str_eq(out, line);
  /* the a= prefix is accepted too */
  pl_sdes_crypto d;
  char with[256];
  snprintf(with, sizeof with, "a=crypto:%s", line);
  cr_assert_eq(P(&d, with), 0);
  cr_assert_arr_eq(d.key, want, 30);
}

Test(sdes, gcm_keys_use_padded_base64) {
  pl_sdes_crypto c;
  cr_assert_eq(P(&c, "7 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="), 0);
  cr_assert_eq(c.profile, PL_SRTP_AEAD_AES_128_GCM);
  cr_assert_eq(c.key_len, 28);
  for (int i = 0; i < 28; i++)
    cr_assert_eq(c.key[i], i);
  cr_assert_eq(P(&c, "2 AEAD_AES_256_GCM "
                     "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis="),
               0);
  cr_assert_eq(c.key_len, 44);
  cr_assert_eq(c.key[43], 43);
  char out[200];
  cr_assert_gt(pl_sdes_write(&c, out, sizeof out), 0);
  cr_assert_str_eq(out, "2 AEAD_AES_256_GCM "
                        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis=");
}

Test(sdes, lifetime_decimal_and_session_params_are_kept) {
  pl_sdes_crypto c;
  cr_assert_eq(P(&c, "3 AES_CM_128_HMAC_SHA1_32 "
                     "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1000 KDR=1 UNENCRYPTED_SRTCP"),
               0);
  cr_assert_eq(c.profile, PL_SRTP_AES128_CM_SHA1_32);
  cr_assert_eq(c.lifetime, 1000);
  cr_assert_eq(c.mki_len, 0);
  cr_assert_str_eq(c.session_params, "KDR=1 UNENCRYPTED_SRTCP");
  char out[200];
  cr_assert_gt(pl_sdes_write(&c, out, sizeof out), 0);
  cr_assert_str_eq(out, "3 AES_CM_128_HMAC_SHA1_32 "
                        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|1000 KDR=1 "
                        "UNENCRYPTED_SRTCP");
  /* pl_srtp cannot honour session parameters */
  pl_srtp_keys k;
  cr_assert_eq(pl_sdes_keys(&k, &c, &c), PL_ENOTSUP);
}

Test(sdes, rejects_bad_lines) {
  pl_sdes_crypto c;
  const char *k30 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd";
  char line[256];
  static const char *bad[] = {
      "",
      "1",
      "1 AES_CM_128_HMAC_SHA1_80",
      "1 AES_CM_128_HMAC_SHA1_80 ",
      "x AES_CM_128_HMAC_SHA1_80 inline:%s",
      "1234567890 AES_CM_128_HMAC_SHA1_80 inline:%s", /* tag > 9 digits */
      "1 AES_CM_128_HMAC_SHA1_80 inlin:%s",
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s|",
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^64",
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^",
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s|0",
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s|1:0",
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s|1:129",
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s|1:4|2^20", /* MKI before lifetime */
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^20|1:4|9",
      "1 AES_CM_128_HMAC_SHA1_80 inline:%sAAAA", /* 33 bytes */
      "1 AES_CM_128_HMAC_SHA1_80 inline:%.36s",  /* 27 bytes */
      "1 AES_CM_128_HMAC_SHA1_80 inline:%.39s!", /* bad character */
      "1 AES_CM_128_HMAC_SHA1_80 inline:%.38s==", /* padding where 30 bytes has none */
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s ",     /* empty session params */
      "1 AES_CM_128_HMAC_SHA1_80 inline:%s \x01",
      "1  AES_CM_128_HMAC_SHA1_80 inline:%s",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(line, sizeof line, bad[i], k30);
    cr_assert_eq(P(&c, line), PL_EPARSE, "accepted \"%s\"", line);
  }
  /* GCM-128 needs 28 bytes: a 30-byte key is the wrong length */
  snprintf(line, sizeof line, "1 AEAD_AES_128_GCM inline:%s", k30);
  cr_assert_eq(P(&c, line), PL_EPARSE);
  cr_assert_eq(P(&c, "1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaG==="),
               PL_EPARSE);
  /* well formed but not ours: the answerer skips it */
  snprintf(line, sizeof line, "1 AES_256_CM_HMAC_SHA1_80 inline:%s", k30);
  cr_assert_eq(P(&c, line), PL_ENOTSUP);
  snprintf(line, sizeof line, "1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^20|1:4;inline:%s|2^20|2:4",
           k30, k30);
  cr_assert_eq(P(&c, line), PL_ENOTSUP);
  cr_assert_eq(pl_sdes_parse(NULL, "x", 1), PL_EINVAL);
}

Test(sdes, generated_keys_make_two_sessions_talk) {
  pl_sdes_crypto offer, answer, a2, b2;
  cr_assert_eq(pl_sdes_generate(&offer, 1, PL_SRTP_AES128_CM_SHA1_80), 0);
  cr_assert_eq(pl_sdes_generate(&answer, 1, PL_SRTP_AES128_CM_SHA1_80), 0);
  cr_assert(memcmp(offer.key, answer.key, 30) != 0, "fresh random keys");
  /* through text, as SDP would carry them */
  char t1[128], t2[128];
  cr_assert_eq(pl_sdes_write(&offer, t1, sizeof t1), 73);
  cr_assert_gt(pl_sdes_write(&answer, t2, sizeof t2), 0);
  cr_assert_eq(P(&a2, t1), 0);
  cr_assert_eq(P(&b2, t2), 0);
  cr_assert_arr_eq(a2.key, offer.key, 30);
  pl_srtp_keys ko, ka;
  cr_assert_eq(pl_sdes_keys(&ko, &offer, &b2), 0);
  cr_assert_eq(pl_sdes_keys(&ka, &answer, &a2), 0);
  pl_srtp *so = NULL, *sa = NULL;
  cr_assert_eq(pl_srtp_new(&so, &ko), 0);
  cr_assert_eq(pl_srtp_new(&sa, &ka), 0);
  uint8_t pkt[64] = {0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 'h', 'i'};
  size_t n = 14;
  cr_assert_eq(pl_srtp_protect_rtp(so, pkt, &n, sizeof pkt), 0);
  cr_assert_eq(pl_srtp_unprotect_rtp(sa, pkt, &n), 0);
  cr_assert_eq(n, 14);
  cr_assert_eq(pkt[13], 'i');
  pl_srtp_free(so);
  pl_srtp_free(sa);
  /* profile mismatch and MKI are refused */
  cr_assert_eq(pl_sdes_generate(&a2, 2, PL_SRTP_AEAD_AES_128_GCM), 0);
  cr_assert_eq(pl_sdes_keys(&ko, &offer, &a2), PL_EINVAL);
  b2.mki_len = 1;
  cr_assert_eq(pl_sdes_keys(&ko, &offer, &b2), PL_ENOTSUP);
  cr_assert_eq(pl_sdes_generate(&a2, 1000000000u, PL_SRTP_AEAD_AES_128_GCM), PL_EINVAL);
}

Test(sdes, write_reports_short_buffer) {
  pl_sdes_crypto c;
  cr_assert_eq(pl_sdes_generate(&c, 12, PL_SRTP_AES128_CM_SHA1_80), 0);
  char out[200];
  int n = pl_sdes_write(&c, out, sizeof out);
  cr_assert_eq(n, 74); /* "12 AES_CM_128_HMAC_SHA1_80 inline:" + 40 */
  cr_assert_eq(pl_sdes_write(&c, out, (size_t)n), PL_EFULL);
  cr_assert_eq(pl_sdes_write(&c, out, (size_t)n + 1), n);
}
