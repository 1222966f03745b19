/* STUN messages (RFC 8489): a zero-copy parser into a flat view of the
 * attributes ICE and a binding server use, a builder that writes them, and
 * the short-term-credential MESSAGE-INTEGRITY and FINGERPRINT checks. */
#ifndef PL_NET_STUN_H
#define PL_NET_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"

#define PL_STUN_MAGIC 0x2112A442u
#define PL_STUN_HEADER_LEN 20
#define PL_STUN_TXID_LEN 12
#define PL_STUN_FINGERPRINT_XOR 0x5354554eu
/* Longest USERNAME (RFC 8489 14.3 says < 509 bytes; ICE's is two ufrags). */
#define PL_STUN_MAX_USERNAME 513
#define PL_STUN_MAX_UNKNOWN 8

enum { PL_STUN_BINDING = 0x001 };

typedef enum {
  PL_STUN_REQUEST = 0,
  PL_STUN_INDICATION = 1,
  PL_STUN_SUCCESS = 2,
  PL_STUN_ERROR = 3,
} pl_stun_class;

enum {
  PL_STUN_ATTR_MAPPED_ADDRESS = 0x0001,
  PL_STUN_ATTR_USERNAME = 0x0006,
  PL_STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
  PL_STUN_ATTR_ERROR_CODE = 0x0009,
  PL_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
  PL_STUN_ATTR_REALM = 0x0014,
  PL_STUN_ATTR_NONCE = 0x0015,
  PL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
  PL_STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
  PL_STUN_ATTR_USERHASH = 0x001E,
  PL_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
  PL_STUN_ATTR_PRIORITY = 0x0024,
  PL_STUN_ATTR_USE_CANDIDATE = 0x0025,
  PL_STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
  PL_STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
  PL_STUN_ATTR_SOFTWARE = 0x8022,
  PL_STUN_ATTR_ALTERNATE_SERVER = 0x8023,
  PL_STUN_ATTR_FINGERPRINT = 0x8028,
  PL_STUN_ATTR_ICE_CONTROLLED = 0x8029,
  PL_STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* Error codes used here (RFC 8489 14.8, RFC 8445 7.3.1.1). */
enum {
  PL_STUN_ERR_BAD_REQUEST = 400,
  PL_STUN_ERR_UNAUTHORIZED = 401,
  PL_STUN_ERR_UNKNOWN_ATTRIBUTE = 420,
  PL_STUN_ERR_ROLE_CONFLICT = 487,
  PL_STUN_ERR_SERVER_ERROR = 500,
};

/* Which attributes a parsed message carries. */
enum {
  PL_STUN_HAS_XOR_MAPPED = 1u << 0,
  PL_STUN_HAS_MAPPED = 1u << 1,
  PL_STUN_HAS_USERNAME = 1u << 2,
  PL_STUN_HAS_INTEGRITY = 1u << 3,
  PL_STUN_HAS_INTEGRITY_SHA256 = 1u << 4,
  PL_STUN_HAS_FINGERPRINT = 1u << 5,
  PL_STUN_HAS_PRIORITY = 1u << 6,
  PL_STUN_HAS_USE_CANDIDATE = 1u << 7,
  PL_STUN_HAS_ICE_CONTROLLING = 1u << 8,
  PL_STUN_HAS_ICE_CONTROLLED = 1u << 9,
  PL_STUN_HAS_ERROR_CODE = 1u << 10,
  PL_STUN_HAS_UNKNOWN_ATTRIBUTES = 1u << 11,
  PL_STUN_HAS_SOFTWARE = 1u << 12,
};

/* A parsed message. Pointers point into the caller's buffer, which must
 * outlive the view. Only the first instance of each attribute counts. */
typedef struct pl_stun_msg {
  const uint8_t *raw; /* whole message, len bytes */
  size_t len;
  uint16_t type, method;
  pl_stun_class cls;
  uint8_t txid[PL_STUN_TXID_LEN];
  uint32_t has; /* PL_STUN_HAS_* */

  pl_addr xor_mapped, mapped;
  const uint8_t *username, *software, *error_reason;
  size_t username_len, software_len, error_reason_len;
  uint32_t priority;
  uint64_t ice_controlling, ice_controlled; /* tie breakers */
  unsigned error_code;                      /* 300..699 */
  /* Offsets of the MESSAGE-INTEGRITY(-SHA256) attribute headers in raw. */
  size_t integrity_off, integrity_sha256_off, integrity_sha256_len;
  bool fingerprint_ok; /* FINGERPRINT present and matching */
  /* Types listed in an UNKNOWN-ATTRIBUTES attribute (first 8). */
  uint16_t unknown[PL_STUN_MAX_UNKNOWN];
  size_t n_unknown;
  /* Comprehension-required attributes this parser does not know; a server
   * answers a request carrying any with 420 (RFC 8489 6.3). */
  uint16_t unknown_required[PL_STUN_MAX_UNKNOWN];
  size_t n_unknown_required;
} pl_stun_msg;

static inline uint16_t pl_stun_type(uint16_t method, pl_stun_class cls) {
  return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) |
                    ((method & 0x0F80) << 2) | ((cls & 1) << 4) |
                    ((cls & 2) << 7));
}

/* Cheap test used by demultiplexers: top bits zero, magic cookie, length a
 * multiple of 4 that matches n. */
bool pl_stun_is_stun(const uint8_t *p, size_t n);

/* Parses a whole datagram. PL_ETRUNC when n is shorter than the header
 * says, PL_EPARSE for anything malformed (including attributes after
 * FINGERPRINT). Attributes after MESSAGE-INTEGRITY other than
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are skipped (RFC 8489 14.5). */
int pl_stun_parse(pl_stun_msg *m, const uint8_t *p, size_t n);

/* Checks MESSAGE-INTEGRITY (HMAC-SHA1) with a short-term key (for ICE the
 * password itself). Constant-time compare. 0, PL_ENOENT if the message has
 * none, PL_EAUTH if it does not match. */
int pl_stun_check_integrity(const pl_stun_msg *m, const uint8_t *key,
                            size_t key_len);
/* Same for MESSAGE-INTEGRITY-SHA256 (truncation to 16..32 bytes allowed). */
int pl_stun_check_integrity_sha256(const pl_stun_msg *m, const uint8_t *key,
                                   size_t key_len);

/* The value of the first attribute of `type` in a parsed message (any
 * attribute, including those the view above does not keep: TURN's). 0, or
 * PL_ENOENT. Attributes after MESSAGE-INTEGRITY are not looked at. */
int pl_stun_attr_find(const pl_stun_msg *m, uint16_t type, const uint8_t **v,
                      size_t *n);
/* Decodes a (XOR-)MAPPED-ADDRESS-style value; txid is the message's. */
int pl_stun_decode_addr(pl_addr *a, const uint8_t *v, size_t n, bool xored,
                        const uint8_t txid[PL_STUN_TXID_LEN]);

/* Writes one message into a caller buffer. Every put after an error is a
 * no-op; pl_stun_build_end reports the first error. The header length is
 * kept current so integrity and fingerprint cover what precedes them. */
typedef struct pl_stun_builder {
  uint8_t *buf;
  size_t cap, len;
  int err;
  uint8_t pad; /* padding byte value; RFC 5769 vectors use 0x20 */
} pl_stun_builder;

void pl_stun_build_begin(pl_stun_builder *b, uint8_t *buf, size_t cap,
                         uint16_t type, const uint8_t txid[PL_STUN_TXID_LEN]);
void pl_stun_put_bytes(pl_stun_builder *b, uint16_t attr, const void *v,
                       size_t n);
void pl_stun_put_u32(pl_stun_builder *b, uint16_t attr, uint32_t v);
void pl_stun_put_u64(pl_stun_builder *b, uint16_t attr, uint64_t v);
void pl_stun_put_flag(pl_stun_builder *b, uint16_t attr);
/* attr is PL_STUN_ATTR_XOR_MAPPED_ADDRESS or any plain address attribute. */
void pl_stun_put_addr(pl_stun_builder *b, uint16_t attr, const pl_addr *a);
void pl_stun_put_error(pl_stun_builder *b, unsigned code, const char *reason);
void pl_stun_put_unknown(pl_stun_builder *b, const uint16_t *types, size_t n);
void pl_stun_put_integrity(pl_stun_builder *b, const uint8_t *key,
                           size_t key_len);
void pl_stun_put_integrity_sha256(pl_stun_builder *b, const uint8_t *key,
                                  size_t key_len);
void pl_stun_put_fingerprint(pl_stun_builder *b);
/* Message length, or the first error (PL_EFULL when cap was too small). */
int pl_stun_build_end(const pl_stun_builder *b);

#endif
