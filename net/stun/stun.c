/* STUN codec (RFC 8489). HMACs use OpenSSL's low-level SHA contexts, which
 * live on the stack: the EVP route allocates a provider context on every
 * call, and integrity is checked on every ICE packet. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "net/stun/stun.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#include "base/bytes.h"
#include "base/crc32.h"
#include "parley.h"

typedef struct span {
  const uint8_t *p;
  size_t n;
} span;

/* HMAC (RFC 2104) over the concatenation of parts, so the integrity input
 * (header with an adjusted length, then the body) needs no copy. */
static void hmac(bool sha256, const uint8_t *key, size_t key_len,
                 const span *parts, size_t np, uint8_t *out) {
  uint8_t k[64] = {0}, pad[64], inner[SHA256_DIGEST_LENGTH];
  size_t dlen = sha256 ? SHA256_DIGEST_LENGTH : SHA_DIGEST_LENGTH;
  if (key_len > 64) {
    if (sha256)
      SHA256(key, key_len, k);
    else
      SHA1(key, key_len, k);
  } else if (key_len) {
    memcpy(k, key, key_len);
  }
  SHA_CTX c1;
  SHA256_CTX c2;
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < 64; i++)
      pad[i] = k[i] ^ (pass ? 0x5c : 0x36);
    if (sha256) {
      SHA256_Init(&c2);
      SHA256_Update(&c2, pad, 64);
    } else {
      SHA1_Init(&c1);
      SHA1_Update(&c1, pad, 64);
    }
    if (pass == 0) {
      for (size_t i = 0; i < np; i++) {
        if (sha256)
          SHA256_Update(&c2, parts[i].p, parts[i].n);
        else
          SHA1_Update(&c1, parts[i].p, parts[i].n);
      }
      if (sha256)
        SHA256_Final(inner, &c2);
      else
        SHA1_Final(inner, &c1);
    } else {
      if (sha256) {
        SHA256_Update(&c2, inner, dlen);
        SHA256_Final(out, &c2);
      } else {
        SHA1_Update(&c1, inner, dlen);
        SHA1_Final(out, &c1);
      }
    }
  }
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
}

/* HMAC of raw[0..off) as if the header length ended right after an
 * attribute of attr_len value bytes placed at off. */
static void integrity_of(bool sha256, const uint8_t *raw, size_t off,
                         size_t attr_len, const uint8_t *key, size_t key_len,
                         uint8_t *out) {
  uint8_t hdr[PL_STUN_HEADER_LEN];
  memcpy(hdr, raw, sizeof hdr);
  pl_put_be16(hdr + 2, (uint16_t)(off - PL_STUN_HEADER_LEN + 4 + attr_len));
  span parts[2] = {{hdr, sizeof hdr},
                   {raw + PL_STUN_HEADER_LEN, off - PL_STUN_HEADER_LEN}};
  hmac(sha256, key, key_len, parts, 2, out);
}

bool pl_stun_is_stun(const uint8_t *p, size_t n) {
  if (n < PL_STUN_HEADER_LEN || (p[0] & 0xC0) != 0)
    return false;
  size_t len = pl_be16(p + 2);
  return (len & 3) == 0 && len + PL_STUN_HEADER_LEN == n &&
         pl_be32(p + 4) == PL_STUN_MAGIC;
}

static int parse_addr(pl_addr *a, const uint8_t *v, size_t n, bool xored,
                      const uint8_t *txid) {
  if (n < 4)
    return PL_EPARSE;
  uint8_t family = v[1];
  uint16_t port = pl_be16(v + 2);
  memset(a, 0, sizeof *a);
  if (xored)
    port ^= (uint16_t)(PL_STUN_MAGIC >> 16);
  if (family == 0x01) {
    if (n != 8)
      return PL_EPARSE;
    struct sockaddr_in *s = (struct sockaddr_in *)&a->ss;
    uint32_t ip = pl_be32(v + 4);
    if (xored)
      ip ^= PL_STUN_MAGIC;
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    s->sin_addr.s_addr = htonl(ip);
    return 0;
  }
  if (family == 0x02) {
    if (n != 20)
      return PL_EPARSE;
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a->ss;
    uint8_t ip[16], mask[16];
    memcpy(ip, v + 4, 16);
    if (xored) {
      pl_put_be32(mask, PL_STUN_MAGIC);
      memcpy(mask + 4, txid, PL_STUN_TXID_LEN);
      for (int i = 0; i < 16; i++)
        ip[i] ^= mask[i];
    }
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    memcpy(&s->sin6_addr, ip, 16);
    return 0;
  }
  return PL_EPARSE;
}

static bool known_attr(uint16_t t) {
  switch (t) {
  case PL_STUN_ATTR_MAPPED_ADDRESS:
  case PL_STUN_ATTR_USERNAME:
  case PL_STUN_ATTR_MESSAGE_INTEGRITY:
  case PL_STUN_ATTR_ERROR_CODE:
  case PL_STUN_ATTR_UNKNOWN_ATTRIBUTES:
  case PL_STUN_ATTR_REALM:
  case PL_STUN_ATTR_NONCE:
  case PL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
  case PL_STUN_ATTR_PASSWORD_ALGORITHM:
  case PL_STUN_ATTR_USERHASH:
  case PL_STUN_ATTR_XOR_MAPPED_ADDRESS:
  case PL_STUN_ATTR_PRIORITY:
  case PL_STUN_ATTR_USE_CANDIDATE:
    return true;
  default:
    return false;
  }
}

/* One attribute of a message that is still before MESSAGE-INTEGRITY. */
static int parse_attr(pl_stun_msg *m, uint16_t t, const uint8_t *v, size_t n,
                      size_t off) {
  uint32_t bit = 0;
  switch (t) {
  case PL_STUN_ATTR_XOR_MAPPED_ADDRESS:
    bit = PL_STUN_HAS_XOR_MAPPED;
    break;
  case PL_STUN_ATTR_MAPPED_ADDRESS:
    bit = PL_STUN_HAS_MAPPED;
    break;
  case PL_STUN_ATTR_USERNAME:
    bit = PL_STUN_HAS_USERNAME;
    break;
  case PL_STUN_ATTR_SOFTWARE:
    bit = PL_STUN_HAS_SOFTWARE;
    break;
  case PL_STUN_ATTR_PRIORITY:
    bit = PL_STUN_HAS_PRIORITY;
    break;
  case PL_STUN_ATTR_USE_CANDIDATE:
    bit = PL_STUN_HAS_USE_CANDIDATE;
    break;
  case PL_STUN_ATTR_ICE_CONTROLLING:
    bit = PL_STUN_HAS_ICE_CONTROLLING;
    break;
  case PL_STUN_ATTR_ICE_CONTROLLED:
    bit = PL_STUN_HAS_ICE_CONTROLLED;
    break;
  case PL_STUN_ATTR_ERROR_CODE:
    bit = PL_STUN_HAS_ERROR_CODE;
    break;
  case PL_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    bit = PL_STUN_HAS_UNKNOWN_ATTRIBUTES;
    break;
  case PL_STUN_ATTR_MESSAGE_INTEGRITY:
    if (n != 20)
      return PL_EPARSE;
    m->integrity_off = off;
    m->has |= PL_STUN_HAS_INTEGRITY;
    return 0;
  case PL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    if (n < 16 || n > 32 || (n & 3))
      return PL_EPARSE;
    m->integrity_sha256_off = off;
    m->integrity_sha256_len = n;
    m->has |= PL_STUN_HAS_INTEGRITY_SHA256;
    return 0;
  default:
    if (t < 0x8000 && !known_attr(t) &&
        m->n_unknown_required < PL_STUN_MAX_UNKNOWN)
      m->unknown_required[m->n_unknown_required++] = t;
    return 0;
  }
  if (m->has & bit)
    return 0; /* only the first instance counts */
  switch (t) {
  case PL_STUN_ATTR_XOR_MAPPED_ADDRESS:
  case PL_STUN_ATTR_MAPPED_ADDRESS: {
    pl_addr *a = t == PL_STUN_ATTR_XOR_MAPPED_ADDRESS ? &m->xor_mapped
                                                       : &m->mapped;
    int r = parse_addr(a, v, n, t == PL_STUN_ATTR_XOR_MAPPED_ADDRESS, m->txid);
    if (r < 0)
      return r;
    break;
  }
  case PL_STUN_ATTR_USERNAME:
    if (n > PL_STUN_MAX_USERNAME)
      return PL_EPARSE;
    m->username = v;
    m->username_len = n;
    break;
  case PL_STUN_ATTR_SOFTWARE:
    if (n > 763)
      return PL_EPARSE;
    m->software = v;
    m->software_len = n;
    break;
  case PL_STUN_ATTR_PRIORITY:
    if (n != 4)
      return PL_EPARSE;
    m->priority = pl_be32(v);
    break;
  case PL_STUN_ATTR_USE_CANDIDATE:
    if (n != 0)
      return PL_EPARSE;
    break;
  case PL_STUN_ATTR_ICE_CONTROLLING:
  case PL_STUN_ATTR_ICE_CONTROLLED:
    if (n != 8)
      return PL_EPARSE;
    if (t == PL_STUN_ATTR_ICE_CONTROLLING)
      m->ice_controlling = pl_be64(v);
    else
      m->ice_controlled = pl_be64(v);
    break;
  case PL_STUN_ATTR_ERROR_CODE: {
    if (n < 4 || n > 4 + 763)
      return PL_EPARSE;
    unsigned cls = v[2] & 7, num = v[3];
    if (cls < 3 || cls > 6 || num > 99)
      return PL_EPARSE;
    m->error_code = cls * 100 + num;
    m->error_reason = v + 4;
    m->error_reason_len = n - 4;
    break;
  }
  case PL_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    if (n & 1)
      return PL_EPARSE;
    for (size_t i = 0; i + 1 < n && m->n_unknown < PL_STUN_MAX_UNKNOWN; i += 2)
      m->unknown[m->n_unknown++] = pl_be16(v + i);
    break;
  }
  m->has |= bit;
  return 0;
}

int pl_stun_parse(pl_stun_msg *m, const uint8_t *p, size_t n) {
  memset(m, 0, sizeof *m);
  if (!p || n < PL_STUN_HEADER_LEN)
    return PL_ETRUNC;
  if ((p[0] & 0xC0) != 0 || pl_be32(p + 4) != PL_STUN_MAGIC)
    return PL_EPARSE;
  size_t body = pl_be16(p + 2);
  if (body & 3)
    return PL_EPARSE;
  if (PL_STUN_HEADER_LEN + body > n)
    return PL_ETRUNC;
  if (PL_STUN_HEADER_LEN + body < n)
    return PL_EPARSE; /* STUN over UDP fills the datagram exactly */
  m->raw = p;
  m->len = n;
  m->type = pl_be16(p);
  m->method = (uint16_t)((m->type & 0x000F) | ((m->type & 0x00E0) >> 1) |
                         ((m->type & 0x3E00) >> 2));
  m->cls = (pl_stun_class)(((m->type >> 4) & 1) | ((m->type >> 7) & 2));
  memcpy(m->txid, p + 8, PL_STUN_TXID_LEN);

  pl_reader r;
  pl_reader_init(&r, p + PL_STUN_HEADER_LEN, body);
  bool after_mi = false, after_mi256 = false;
  while (pl_reader_left(&r) > 0) {
    size_t off = PL_STUN_HEADER_LEN + r.off;
    uint16_t t = pl_reader_be16(&r);
    uint16_t alen = pl_reader_be16(&r);
    const uint8_t *v = pl_reader_take(&r, alen);
    pl_reader_take(&r, (4 - (alen & 3)) & 3);
    if (r.bad)
      return PL_EPARSE;
    if (t == PL_STUN_ATTR_FINGERPRINT) {
      if (alen != 4 || pl_reader_left(&r) != 0)
        return PL_EPARSE; /* must be 4 bytes and last */
      uint32_t want = pl_crc32(0, p, off) ^ PL_STUN_FINGERPRINT_XOR;
      m->has |= PL_STUN_HAS_FINGERPRINT;
      m->fingerprint_ok = pl_be32(v) == want;
      break;
    }
    if (after_mi256)
      continue;
    if (after_mi) {
      if (t != PL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
        continue;
      after_mi256 = true;
    }
    int rc = parse_attr(m, t, v, alen, off);
    if (rc < 0)
      return rc;
    if (t == PL_STUN_ATTR_MESSAGE_INTEGRITY)
      after_mi = true;
    else if (t == PL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
      after_mi = after_mi256 = true;
  }
  return 0;
}

int pl_stun_decode_addr(pl_addr *a, const uint8_t *v, size_t n, bool xored,
                        const uint8_t txid[PL_STUN_TXID_LEN]) {
  return parse_addr(a, v, n, xored, txid);
}

int pl_stun_attr_find(const pl_stun_msg *m, uint16_t type, const uint8_t **v,
                      size_t *n) {
  if (!m->raw || m->len < PL_STUN_HEADER_LEN)
    return PL_ENOENT;
  pl_reader r;
  pl_reader_init(&r, m->raw + PL_STUN_HEADER_LEN, m->len - PL_STUN_HEADER_LEN);
  while (pl_reader_left(&r) >= 4) {
    uint16_t t = pl_reader_be16(&r);
    uint16_t alen = pl_reader_be16(&r);
    const uint8_t *val = pl_reader_take(&r, alen);
    pl_reader_take(&r, (4 - (alen & 3)) & 3);
    if (r.bad)
      return PL_ENOENT;
    if (t == type) {
      *v = val;
      *n = alen;
      return 0;
    }
    if (t == PL_STUN_ATTR_MESSAGE_INTEGRITY ||
        t == PL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
      break; /* what follows is not covered by the integrity check */
  }
  return PL_ENOENT;
}

int pl_stun_check_integrity(const pl_stun_msg *m, const uint8_t *key,
                            size_t key_len) {
  if (!(m->has & PL_STUN_HAS_INTEGRITY))
    return PL_ENOENT;
  uint8_t mac[SHA_DIGEST_LENGTH];
  integrity_of(false, m->raw, m->integrity_off, 20, key, key_len, mac);
  return CRYPTO_memcmp(mac, m->raw + m->integrity_off + 4, sizeof mac) == 0
             ? 0
             : PL_EAUTH;
}

int pl_stun_check_integrity_sha256(const pl_stun_msg *m, const uint8_t *key,
                                   size_t key_len) {
  if (!(m->has & PL_STUN_HAS_INTEGRITY_SHA256))
    return PL_ENOENT;
  uint8_t mac[SHA256_DIGEST_LENGTH];
  size_t n = m->integrity_sha256_len;
  integrity_of(true, m->raw, m->integrity_sha256_off, n, key, key_len, mac);
  return CRYPTO_memcmp(mac, m->raw + m->integrity_sha256_off + 4, n) == 0
             ? 0
             : PL_EAUTH;
}

/* ---- builder ---- */

void pl_stun_build_begin(pl_stun_builder *b, uint8_t *buf, size_t cap,
                         uint16_t type, const uint8_t txid[PL_STUN_TXID_LEN]) {
  b->buf = buf;
  b->cap = cap;
  b->len = 0;
  b->err = 0;
  b->pad = 0;
  if (!buf || cap < PL_STUN_HEADER_LEN) {
    b->err = PL_EFULL;
    return;
  }
  pl_put_be16(buf, type & 0x3FFF);
  pl_put_be16(buf + 2, 0);
  pl_put_be32(buf + 4, PL_STUN_MAGIC);
  memcpy(buf + 8, txid, PL_STUN_TXID_LEN);
  b->len = PL_STUN_HEADER_LEN;
}

/* Reserves an attribute of n value bytes (padded) and returns its value. */
static uint8_t *reserve(pl_stun_builder *b, uint16_t attr, size_t n) {
  if (b->err)
    return NULL;
  size_t padded = (n + 3) & ~(size_t)3;
  if (n > 0xFFFF || b->cap - b->len < 4 + padded ||
      b->len + 4 + padded - PL_STUN_HEADER_LEN > 0xFFFF) {
    b->err = PL_EFULL;
    return NULL;
  }
  uint8_t *h = b->buf + b->len;
  pl_put_be16(h, attr);
  pl_put_be16(h + 2, (uint16_t)n);
  memset(h + 4 + n, b->pad, padded - n);
  b->len += 4 + padded;
  pl_put_be16(b->buf + 2, (uint16_t)(b->len - PL_STUN_HEADER_LEN));
  return h + 4;
}

void pl_stun_put_bytes(pl_stun_builder *b, uint16_t attr, const void *v,
                       size_t n) {
  uint8_t *d = reserve(b, attr, n);
  if (d && n)
    memcpy(d, v, n);
}

void pl_stun_put_u32(pl_stun_builder *b, uint16_t attr, uint32_t v) {
  uint8_t *d = reserve(b, attr, 4);
  if (d)
    pl_put_be32(d, v);
}

void pl_stun_put_u64(pl_stun_builder *b, uint16_t attr, uint64_t v) {
  uint8_t *d = reserve(b, attr, 8);
  if (d)
    pl_put_be64(d, v);
}

void pl_stun_put_flag(pl_stun_builder *b, uint16_t attr) {
  reserve(b, attr, 0);
}

void pl_stun_put_addr(pl_stun_builder *b, uint16_t attr, const pl_addr *a) {
  bool x = attr == PL_STUN_ATTR_XOR_MAPPED_ADDRESS;
  uint16_t port = (uint16_t)pl_addr_port(a);
  if (x)
    port ^= (uint16_t)(PL_STUN_MAGIC >> 16);
  if (pl_addr_family(a) == AF_INET) {
    uint8_t *d = reserve(b, attr, 8);
    if (!d)
      return;
    const struct sockaddr_in *s = (const struct sockaddr_in *)&a->ss;
    uint32_t ip = ntohl(s->sin_addr.s_addr);
    d[0] = 0;
    d[1] = 0x01;
    pl_put_be16(d + 2, port);
    pl_put_be32(d + 4, x ? ip ^ PL_STUN_MAGIC : ip);
  } else if (pl_addr_family(a) == AF_INET6) {
    uint8_t *d = reserve(b, attr, 20);
    if (!d)
      return;
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&a->ss;
    d[0] = 0;
    d[1] = 0x02;
    pl_put_be16(d + 2, port);
    memcpy(d + 4, &s->sin6_addr, 16);
    if (x) {
      uint8_t mask[16];
      pl_put_be32(mask, PL_STUN_MAGIC);
      memcpy(mask + 4, b->buf + 8, PL_STUN_TXID_LEN);
      for (int i = 0; i < 16; i++)
        d[4 + i] ^= mask[i];
    }
  } else if (!b->err) {
    b->err = PL_EINVAL;
  }
}

void pl_stun_put_error(pl_stun_builder *b, unsigned code, const char *reason) {
  if (code < 300 || code > 699) {
    if (!b->err)
      b->err = PL_EINVAL;
    return;
  }
  size_t rl = reason ? strlen(reason) : 0;
  if (rl > 763)
    rl = 763;
  uint8_t *d = reserve(b, PL_STUN_ATTR_ERROR_CODE, 4 + rl);
  if (!d)
    return;
  d[0] = d[1] = 0;
  d[2] = (uint8_t)(code / 100);
  d[3] = (uint8_t)(code % 100);
  if (rl)
    memcpy(d + 4, reason, rl);
}

void pl_stun_put_unknown(pl_stun_builder *b, const uint16_t *types, size_t n) {
  uint8_t *d = reserve(b, PL_STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * n);
  for (size_t i = 0; d && i < n; i++)
    pl_put_be16(d + 2 * i, types[i]);
}

void pl_stun_put_integrity(pl_stun_builder *b, const uint8_t *key,
                           size_t key_len) {
  size_t off = b->len;
  uint8_t *d = reserve(b, PL_STUN_ATTR_MESSAGE_INTEGRITY, 20);
  if (d)
    integrity_of(false, b->buf, off, 20, key, key_len, d);
}

void pl_stun_put_integrity_sha256(pl_stun_builder *b, const uint8_t *key,
                                  size_t key_len) {
  size_t off = b->len;
  uint8_t *d = reserve(b, PL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 32);
  if (d)
    integrity_of(true, b->buf, off, 32, key, key_len, d);
}

void pl_stun_put_fingerprint(pl_stun_builder *b) {
  size_t off = b->len;
  uint8_t *d = reserve(b, PL_STUN_ATTR_FINGERPRINT, 4);
  if (d)
    pl_put_be32(d, pl_crc32(0, b->buf, off) ^ PL_STUN_FINGERPRINT_XOR);
}

int pl_stun_build_end(const pl_stun_builder *b) {
  return b->err ? b->err : (int)b->len;
}
