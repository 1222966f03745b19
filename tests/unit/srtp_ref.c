/* An independent SRTP written here from RFC 3711 (AES-CM, HMAC-SHA1, key
 * derivation) and RFC 7714 (AEAD AES-GCM) on OpenSSL primitives. It is first
 * checked against the RFC 3711 appendix B.2 and B.3 vectors, then every
 * packet pl_srtp (libsrtp) protects must equal its output byte for byte. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "base/bytes.h"
#include "base/rng.h"
#include "net/srtp/srtp.h"

static void hex(const char *h, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    sscanf(h + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
}

static void aes_block(const uint8_t *key, size_t klen, const uint8_t in[16],
                      uint8_t out[16]) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int n = 0;
  cr_assert(EVP_EncryptInit_ex(c, klen == 32 ? EVP_aes_256_ecb() : EVP_aes_128_ecb(),
                               NULL, key, NULL));
  EVP_CIPHER_CTX_set_padding(c, 0);
  cr_assert(EVP_EncryptUpdate(c, out, &n, in, 16));
  cr_assert_eq(n, 16);
  EVP_CIPHER_CTX_free(c);
}

/* RFC 3711 4.1.1: keystream block j is AES(iv + j), j in the low 16 bits. */
static void aes_cm(const uint8_t *key, size_t klen, const uint8_t iv[16],
                   uint8_t *data, size_t n) {
  for (size_t off = 0, j = 0; off < n; off += 16, j++) {
    uint8_t ctr[16], ks[16];
    memcpy(ctr, iv, 16);
    pl_put_be16(ctr + 14, (uint16_t)(pl_be16(iv + 14) + j));
    aes_block(key, klen, ctr, ks);
    for (size_t i = 0; i < 16 && off + i < n; i++)
      data[off + i] ^= ks[i];
  }
}

/* RFC 3711 4.3.1 with key_derivation_rate 0: x = (label << 48) XOR salt,
 * output the AES-CM keystream from IV x * 2^16. A 96-bit GCM salt is the
 * high part of the 112-bit field (RFC 7714 11). */
static void kdf(const uint8_t *mkey, size_t klen, const uint8_t *msalt,
                size_t slen, uint8_t label, uint8_t *out, size_t n) {
  uint8_t iv[16] = {0};
  memcpy(iv, msalt, slen);
  iv[7] ^= label;
  memset(out, 0, n);
  aes_cm(mkey, klen, iv, out, n);
}

typedef struct ref {
  const pl_srtp_profile_info *pi;
  uint8_t rtp_key[32], rtp_auth[20], rtp_salt[14];
  uint8_t rtcp_key[32], rtcp_auth[20], rtcp_salt[14];
  uint32_t roc;
  uint16_t last_seq;
  bool started;
  uint32_t srtcp_index;
} ref;

static bool is_gcm(const ref *r) { return r->pi->salt_len == 12; }

static void ref_init(ref *r, pl_srtp_profile p, const uint8_t *master) {
  memset(r, 0, sizeof *r);
  r->pi = pl_srtp_profile_get(p);
  size_t kl = r->pi->key_len, sl = r->pi->salt_len;
  const uint8_t *salt = master + kl;
  kdf(master, kl, salt, sl, 0x00, r->rtp_key, kl);
  kdf(master, kl, salt, sl, 0x01, r->rtp_auth, 20);
  kdf(master, kl, salt, sl, 0x02, r->rtp_salt, sl);
  kdf(master, kl, salt, sl, 0x03, r->rtcp_key, kl);
  kdf(master, kl, salt, sl, 0x04, r->rtcp_auth, 20);
  kdf(master, kl, salt, sl, 0x05, r->rtcp_salt, sl);
}

/* HMAC-SHA1 over m || trailer4, truncated (RFC 3711 4.2.1). */
static void hmac_tag(const uint8_t *key, const uint8_t *m, size_t n,
                     const uint8_t *trailer4, uint8_t *tag, size_t tag_len) {
  static uint8_t msg[2048];
  uint8_t md[20];
  unsigned mdl = 0;
  cr_assert(n + 4 <= sizeof msg);
  memcpy(msg, m, n);
  memcpy(msg + n, trailer4, 4);
  HMAC(EVP_sha1(), key, 20, msg, n + 4, md, &mdl);
  memcpy(tag, md, tag_len);
}

static void gcm_seal(const uint8_t *key, size_t klen, const uint8_t iv[12],
                     const uint8_t *aad, size_t aad_len, uint8_t *data,
                     size_t n, uint8_t tag[16]) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  int out = 0;
  cr_assert(EVP_EncryptInit_ex(c, klen == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(),
                               NULL, key, iv));
  cr_assert(EVP_EncryptUpdate(c, NULL, &out, aad, (int)aad_len));
  if (n)
    cr_assert(EVP_EncryptUpdate(c, data, &out, data, (int)n));
  cr_assert(EVP_EncryptFinal_ex(c, data + n, &out));
  cr_assert(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag));
  EVP_CIPHER_CTX_free(c);
}

/* Sender-side index estimate: sequence numbers only go up in these tests. */
static size_t ref_protect_rtp(ref *r, uint8_t *p, size_t n) {
  uint16_t seq = pl_be16(p + 2);
  if (r->started && seq < r->last_seq)
    r->roc++;
  r->started = true;
  r->last_seq = seq;
  uint32_t ssrc = pl_be32(p + 8);
  size_t h = 12 + 4u * (p[0] & 15);
  if (p[0] & 0x10)
    h += 4 + 4u * pl_be16(p + h + 2);
  if (is_gcm(r)) { /* RFC 7714 8.1 */
    uint8_t iv[12] = {0};
    pl_put_be32(iv + 2, ssrc);
    pl_put_be32(iv + 6, r->roc);
    pl_put_be16(iv + 10, seq);
    for (int i = 0; i < 12; i++)
      iv[i] ^= r->rtp_salt[i];
    gcm_seal(r->rtp_key, r->pi->key_len, iv, p, h, p + h, n - h, p + n);
    return n + 16;
  }
  uint8_t iv[16] = {0}; /* RFC 3711 4.1.1 */
  memcpy(iv, r->rtp_salt, 14);
  uint8_t idx[8];
  pl_put_be64(idx, ((uint64_t)r->roc << 16) | seq);
  for (int i = 0; i < 4; i++)
    iv[4 + i] ^= p[8 + i];
  for (int i = 0; i < 6; i++)
    iv[8 + i] ^= idx[2 + i];
  aes_cm(r->rtp_key, r->pi->key_len, iv, p + h, n - h);
  uint8_t roc[4];
  pl_put_be32(roc, r->roc);
  hmac_tag(r->rtp_auth, p, n, roc, p + n, r->pi->rtp_tag_len);
  return n + r->pi->rtp_tag_len;
}

static size_t ref_protect_rtcp(ref *r, uint8_t *p, size_t n) {
  uint32_t index = ++r->srtcp_index; /* libsrtp's first SRTCP index is 1 */
  uint8_t e[4];
  pl_put_be32(e, 0x80000000u | index);
  if (is_gcm(r)) { /* RFC 7714 9.1 */
    uint8_t iv[12] = {0};
    memcpy(iv + 2, p + 4, 4);
    pl_put_be32(iv + 8, index);
    for (int i = 0; i < 12; i++)
      iv[i] ^= r->rtcp_salt[i];
    uint8_t aad[12];
    memcpy(aad, p, 8);
    memcpy(aad + 8, e, 4);
    gcm_seal(r->rtcp_key, r->pi->key_len, iv, aad, 12, p + 8, n - 8, p + n);
    memcpy(p + n + 16, e, 4);
    return n + 20;
  }
  uint8_t iv[16] = {0}; /* RFC 3711 4.1.1 with the SRTCP index */
  memcpy(iv, r->rtcp_salt, 14);
  for (int i = 0; i < 4; i++)
    iv[4 + i] ^= p[4 + i];
  uint8_t ib[4];
  pl_put_be32(ib, index);
  for (int i = 0; i < 4; i++)
    iv[10 + i] ^= ib[i];
  aes_cm(r->rtcp_key, r->pi->key_len, iv, p + 8, n - 8);
  memcpy(p + n, e, 4);
  hmac_tag(r->rtcp_auth, p, n, e, p + n + 4, r->pi->rtcp_tag_len);
  return n + 4 + r->pi->rtcp_tag_len;
}

Test(srtp_ref, reference_matches_rfc3711_b2_keystream) {
  uint8_t key[16], iv[16], ks[48] = {0}, want[48];
  hex("2B7E151628AED2A6ABF7158809CF4F3C", key, 16);
  hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, 16);
  hex("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
      "41E95B3BB0A2E8DD477901E4FCA894C0",
      want, 48);
  aes_cm(key, 16, iv, ks, 48);
  cr_assert_arr_eq(ks, want, 48);
}

Test(srtp_ref, reference_matches_rfc3711_b3_key_derivation) {
  uint8_t mk[16], ms[14], ck[16], cs[14], ak[20], want_ck[16], want_cs[14],
      want_ak[20];
  hex("E1F97A0D3E018BE0D64FA32C06DE4139", mk, 16);
  hex("0EC675AD498AFEEBB6960B3AABE6", ms, 14);
  hex("C61E7A93744F39EE10734AFE3FF7A087", want_ck, 16);
  hex("30CBBC08863D8C85D49DB34A9AE1", want_cs, 14);
  hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want_ak, 20);
  kdf(mk, 16, ms, 14, 0x00, ck, 16);
  kdf(mk, 16, ms, 14, 0x02, cs, 14);
  kdf(mk, 16, ms, 14, 0x01, ak, 20);
  cr_assert_arr_eq(ck, want_ck, 16);
  cr_assert_arr_eq(cs, want_cs, 14);
  cr_assert_arr_eq(ak, want_ak, 20);
}

static void compare_with_reference(pl_srtp_profile p, uint64_t seed) {
  if (!pl_srtp_profile_supported(p))
    cr_skip_test("profile not in this libsrtp2");
  pl_rng rng;
  pl_rng_seed(&rng, seed);
  const pl_srtp_profile_info *pi = pl_srtp_profile_get(p);
  pl_srtp_keys k;
  memset(&k, 0, sizeof k);
  k.profile = p;
  for (size_t i = 0; i < sizeof k.local; i++) {
    k.local[i] = (uint8_t)pl_rng_u64(&rng);
    k.remote[i] = (uint8_t)pl_rng_u64(&rng);
  }
  pl_srtp *s = NULL;
  cr_assert_eq(pl_srtp_new(&s, &k), 0);
  ref r;
  ref_init(&r, p, k.local);
  uint16_t seq = (uint16_t)(65536 - 40); /* crosses a rollover */
  uint8_t a[1500], b[1500];
  for (int i = 0; i < 100; i++, seq++) {
    size_t n = 12 + (size_t)pl_rng_below(&rng, 1200);
    for (size_t j = 0; j < n; j++)
      a[j] = (uint8_t)pl_rng_u64(&rng);
    a[0] = 0x80 | (uint8_t)(i % 3 == 0 ? 0x10 : 0);
    a[1] = 96;
    pl_put_be16(a + 2, seq);
    pl_put_be32(a + 8, 0x5eed0001u);
    if (a[0] & 0x10) { /* a one-word RFC 8285 extension */
      if (n < 20)
        n = 20;
      a[12] = 0xbe;
      a[13] = 0xde;
      a[14] = 0;
      a[15] = 1;
    }
    memcpy(b, a, n);
    size_t la = n;
    cr_assert_eq(pl_srtp_protect_rtp(s, a, &la, sizeof a), 0);
    size_t lb = ref_protect_rtp(&r, b, n);
    cr_assert_eq(la, lb);
    cr_assert_arr_eq(a, b, la, "RTP packet %d (seq %u, %zu bytes) differs", i,
                     (unsigned)seq, n);
  }
  for (int i = 0; i < 20; i++) {
    size_t n = 8 + 4 * (size_t)pl_rng_below(&rng, 60);
    for (size_t j = 0; j < n; j++)
      a[j] = (uint8_t)pl_rng_u64(&rng);
    a[0] = 0x81;
    a[1] = 201;
    pl_put_be16(a + 2, (uint16_t)(n / 4 - 1));
    pl_put_be32(a + 4, 0x5eed0001u); /* SRTCP indices count per SSRC */
    memcpy(b, a, n);
    size_t la = n;
    cr_assert_eq(pl_srtp_protect_rtcp(s, a, &la, sizeof a), 0);
    size_t lb = ref_protect_rtcp(&r, b, n);
    cr_assert_eq(la, lb);
    cr_assert_arr_eq(a, b, la, "RTCP packet %d differs", i);
  }
  (void)pi;
  pl_srtp_free(s);
}

Test(srtp_ref, libsrtp_equals_reference_aes_cm_sha1_80) {
  compare_with_reference(PL_SRTP_AES128_CM_SHA1_80, 1);
}
Test(srtp_ref, libsrtp_equals_reference_aes_cm_sha1_32) {
  compare_with_reference(PL_SRTP_AES128_CM_SHA1_32, 2);
}
Test(srtp_ref, libsrtp_equals_reference_aead_aes_128_gcm) {
  compare_with_reference(PL_SRTP_AEAD_AES_128_GCM, 3);
}
Test(srtp_ref, libsrtp_equals_reference_aead_aes_256_gcm) {
  compare_with_reference(PL_SRTP_AEAD_AES_256_GCM, 4);
}
