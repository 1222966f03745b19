/* RFC 4568 section 9.1 grammar for the a=crypto value, restricted to the
 * "inline" key method with a single key parameter. */
#include "net/srtp/sdes.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "parley.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_b64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
         c == '+' || c == '/';
}

/* Parses 1..maxd decimal digits from p[0..n) into *v; returns digits used,
 * 0 on none or overflow of maxd. */
static size_t parse_uint(const char *p, size_t n, size_t maxd, uint64_t *v) {
  size_t i = 0;
  uint64_t x = 0;
  *v = 0;
  while (i < n && is_digit(p[i])) {
    if (i == maxd)
      return 0;
    x = x * 10 + (uint64_t)(p[i] - '0');
    i++;
  }
  *v = x;
  return i;
}

/* Strict base64 (RFC 4648 4) of exactly `want` bytes: the text must be the
 * canonical encoding, padding included, so "inline:" keys of the wrong size
 * or with stray characters are refused before OpenSSL sees them. */
static int decode_key(const char *b64, size_t n, uint8_t *out, size_t want) {
  size_t enc = 4 * ((want + 2) / 3);
  size_t pad = (3 - want % 3) % 3;
  if (n != enc)
    return PL_EPARSE;
  for (size_t i = 0; i < n; i++) {
    bool tail = i >= n - pad;
    if (tail ? b64[i] != '=' : !is_b64(b64[i]))
      return PL_EPARSE;
  }
  unsigned char tmp[4 * ((PL_SRTP_MAX_MASTER_LEN + 2) / 3) + 1];
  unsigned char bin[3 * ((PL_SRTP_MAX_MASTER_LEN + 2) / 3) + 3];
  memcpy(tmp, b64, n);
  tmp[n] = 0;
  int got = EVP_DecodeBlock(bin, tmp, (int)n);
  if (got < 0 || (size_t)got != enc / 4 * 3)
    return PL_EPARSE;
  memcpy(out, bin, want);
  memset(bin, 0, sizeof bin);
  return 0;
}

int pl_sdes_parse(pl_sdes_crypto *c, const char *value, size_t n) {
  if (!c || (!value && n))
    return PL_EINVAL;
  memset(c, 0, sizeof *c);
  if (n == 0)
    return PL_EPARSE;
  const char *p = value, *end = value + n;
  static const char pfx1[] = "a=crypto:", pfx2[] = "crypto:";
  if ((size_t)(end - p) >= sizeof pfx1 - 1 && memcmp(p, pfx1, sizeof pfx1 - 1) == 0)
    p += sizeof pfx1 - 1;
  else if ((size_t)(end - p) >= sizeof pfx2 - 1 &&
           memcmp(p, pfx2, sizeof pfx2 - 1) == 0)
    p += sizeof pfx2 - 1;
  /* tag */
  uint64_t v;
  size_t k = parse_uint(p, (size_t)(end - p), 9, &v);
  if (k == 0 || p + k >= end || p[k] != ' ')
    return PL_EPARSE;
  c->tag = (uint32_t)v;
  p += k + 1;
  /* crypto-suite */
  const char *suite = p;
  while (p < end && *p != ' ')
    p++;
  if (p == suite || p == end)
    return PL_EPARSE;
  const pl_srtp_profile_info *pi =
      pl_srtp_profile_by_sdes_name(suite, (size_t)(p - suite));
  p++;
  /* key-params: "inline:" key-info, up to the first space or ';' */
  const char *kp = p;
  while (p < end && *p != ' ' && *p != ';')
    p++;
  const char *kp_end = p;
  if (p < end && *p == ';')
    return pi ? PL_ENOTSUP : PL_EPARSE; /* several keys: MKI territory */
  static const char method[] = "inline:";
  if ((size_t)(kp_end - kp) < sizeof method - 1 ||
      memcmp(kp, method, sizeof method - 1) != 0)
    return PL_EPARSE;
  kp += sizeof method - 1;
  const char *b64 = kp;
  while (kp < kp_end && *kp != '|')
    kp++;
  size_t b64_len = (size_t)(kp - b64);
  /* optional "|lifetime" and "|MKI:length" */
  const char *field[2] = {NULL, NULL};
  size_t flen[2] = {0, 0};
  int nf = 0;
  while (kp < kp_end) {
    kp++; /* skip '|' */
    if (nf == 2)
      return PL_EPARSE;
    field[nf] = kp;
    while (kp < kp_end && *kp != '|')
      kp++;
    flen[nf] = (size_t)(kp - field[nf]);
    nf++;
  }
  for (int i = 0; i < nf; i++) {
    const char *f = field[i];
    size_t fl = flen[i];
    const char *colon = memchr(f, ':', fl);
    if (colon) { /* MKI:length, MKI value 1*DIGIT, length 1..128 */
      uint64_t mki, ml;
      size_t a = parse_uint(f, (size_t)(colon - f), 10, &mki);
      size_t b = parse_uint(colon + 1, (size_t)(f + fl - colon - 1), 3, &ml);
      if (a == 0 || a != (size_t)(colon - f) || b == 0 ||
          b != (size_t)(f + fl - colon - 1) || ml < 1 || ml > 128 ||
          mki > UINT32_MAX || c->mki_len || i < nf - 1)
        return PL_EPARSE;
      c->mki = (uint32_t)mki;
      c->mki_len = (uint8_t)ml;
    } else if (fl > 2 && f[0] == '2' && f[1] == '^') { /* 2^n, n <= 63 */
      uint64_t e;
      size_t a = parse_uint(f + 2, fl - 2, 2, &e);
      if (a != fl - 2 || e > 63 || c->lifetime || i != 0)
        return PL_EPARSE;
      c->lifetime = (uint64_t)1 << e;
    } else {
      uint64_t life;
      size_t a = parse_uint(f, fl, 19, &life);
      if (a == 0 || a != fl || life == 0 || c->lifetime || i != 0)
        return PL_EPARSE;
      c->lifetime = life;
    }
  }
  if (!pi)
    return PL_ENOTSUP; /* well formed, but a suite we do not run */
  c->profile = pi->profile;
  c->key_len = (size_t)pi->key_len + pi->salt_len;
  int rc = decode_key(b64, b64_len, c->key, c->key_len);
  if (rc != 0)
    return rc;
  /* session params: the rest after one space, kept verbatim */
  if (p < end) {
    p++; /* the space */
    size_t rest = (size_t)(end - p);
    if (rest == 0 || rest >= sizeof c->session_params)
      return PL_EPARSE;
    for (size_t i = 0; i < rest; i++)
      if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
        return PL_EPARSE;
    memcpy(c->session_params, p, rest);
  }
  return 0;
}

int pl_sdes_write(const pl_sdes_crypto *c, char *buf, size_t cap) {
  if (!c || !buf)
    return PL_EINVAL;
  const pl_srtp_profile_info *pi = pl_srtp_profile_get(c->profile);
  if (!pi || c->key_len != (size_t)pi->key_len + pi->salt_len ||
      c->tag > 999999999u || c->mki_len > 128)
    return PL_EINVAL;
  char b64[4 * ((PL_SRTP_MAX_MASTER_LEN + 2) / 3) + 1];
  EVP_EncodeBlock((unsigned char *)b64, c->key, (int)c->key_len);
  char opt[64] = "";
  int o = 0;
  if (c->lifetime) {
    uint64_t l = c->lifetime;
    if ((l & (l - 1)) == 0) {
      int e = 0;
      while ((l >>= 1) != 0)
        e++;
      o = snprintf(opt, sizeof opt, "|2^%d", e);
    } else {
      o = snprintf(opt, sizeof opt, "|%llu", (unsigned long long)l);
    }
  }
  if (c->mki_len)
    snprintf(opt + o, sizeof opt - (size_t)o, "|%u:%u", (unsigned)c->mki,
             (unsigned)c->mki_len);
  int w = snprintf(buf, cap, "%u %s inline:%s%s%s%s", (unsigned)c->tag,
                   pi->sdes_name, b64, opt, c->session_params[0] ? " " : "",
                   c->session_params);
  memset(b64, 0, sizeof b64);
  if (w < 0 || (size_t)w >= cap)
    return PL_EFULL;
  return w;
}

int pl_sdes_generate(pl_sdes_crypto *c, uint32_t tag, pl_srtp_profile profile) {
  const pl_srtp_profile_info *pi = pl_srtp_profile_get(profile);
  if (!c || !pi || tag > 999999999u)
    return PL_EINVAL;
  memset(c, 0, sizeof *c);
  c->tag = tag;
  c->profile = profile;
  c->key_len = (size_t)pi->key_len + pi->salt_len;
  if (RAND_bytes(c->key, (int)c->key_len) != 1)
    return PL_ECRYPTO;
  return 0;
}

int pl_sdes_keys(pl_srtp_keys *keys, const pl_sdes_crypto *local,
                 const pl_sdes_crypto *remote) {
  if (!keys || !local || !remote)
    return PL_EINVAL;
  const pl_srtp_profile_info *pi = pl_srtp_profile_get(local->profile);
  if (!pi || local->profile != remote->profile)
    return PL_EINVAL;
  size_t ml = (size_t)pi->key_len + pi->salt_len;
  if (local->key_len != ml || remote->key_len != ml)
    return PL_EINVAL;
  if (local->mki_len || remote->mki_len || local->session_params[0] ||
      remote->session_params[0])
    return PL_ENOTSUP;
  memset(keys, 0, sizeof *keys);
  keys->profile = local->profile;
  memcpy(keys->local, local->key, ml);
  memcpy(keys->remote, remote->key, ml);
  return 0;
}
