/* SDES keying (RFC 4568): the value of an SDP a=crypto attribute,
 *   "<tag> <crypto-suite> inline:<base64 key||salt>[|lifetime][|MKI:len]"
 * parsed, generated with fresh keys, and turned into pl_srtp_keys. */
#ifndef PL_NET_SDES_H
#define PL_NET_SDES_H

#include <stddef.h>
#include <stdint.h>

#include "net/srtp/srtp.h"

#define PL_SDES_MAX_SESSION_PARAMS 128

typedef struct pl_sdes_crypto {
  uint32_t tag; /* 0..999999999 (RFC 4568 9.1: 1*9DIGIT) */
  pl_srtp_profile profile;
  uint8_t key[PL_SRTP_MAX_MASTER_LEN]; /* master key || master salt */
  size_t key_len;                      /* key_len + salt_len of the profile */
  uint64_t lifetime;                   /* packets; 0 when absent */
  uint32_t mki;                        /* valid when mki_len != 0 */
  uint8_t mki_len;                     /* 0 when absent, else 1..128 */
  /* Session parameters (KDR=, UNENCRYPTED_SRTP, ...) as written, after the
   * key parameter; empty when none. */
  char session_params[PL_SDES_MAX_SESSION_PARAMS];
} pl_sdes_crypto;

/* Parses an attribute value (text after "a=crypto:"; a leading "a=crypto:"
 * or "crypto:" is also accepted). Only one key-param is supported (more
 * than one needs MKI, which pl_srtp does not run: PL_ENOTSUP). An unknown
 * crypto-suite gives PL_ENOTSUP so an answerer can skip that line; every
 * syntax error, wrong key length or bad base64 gives PL_EPARSE. */
int pl_sdes_parse(pl_sdes_crypto *c, const char *value, size_t n);

/* Writes the attribute value (no "a=crypto:" and no line end), NUL
 * terminated. Returns its length, or PL_EFULL / PL_EINVAL. */
int pl_sdes_write(const pl_sdes_crypto *c, char *buf, size_t cap);

/* A fresh crypto line: key and salt from OpenSSL RAND_bytes. PL_ECRYPTO if
 * the generator fails. */
int pl_sdes_generate(pl_sdes_crypto *c, uint32_t tag, pl_srtp_profile profile);

/* Keys for pl_srtp_new: ours protect, theirs unprotect. The two must name
 * the same profile; lifetimes are ignored, and an MKI or any session
 * parameter makes this PL_ENOTSUP because pl_srtp cannot honour them. */
int pl_sdes_keys(pl_srtp_keys *keys, const pl_sdes_crypto *local,
                 const pl_sdes_crypto *remote);

#endif
