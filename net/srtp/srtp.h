/* SRTP and SRTCP protection (RFC 3711, RFC 7714 AEAD) over libsrtp2, behind
 * one key interface whatever negotiated the keys: SDES (sdes.h) fills a
 * pl_srtp_keys from a=crypto lines, DTLS-SRTP from exported keying material
 * (RFC 5764 4.2) through pl_srtp_keys_from_dtls. */
#ifndef PL_NET_SRTP_H
#define PL_NET_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The values are the IANA DTLS-SRTP protection profile ids (RFC 5764 4.1.2,
 * RFC 7714 14.2), so a profile negotiated by DTLS maps by value. */
typedef enum pl_srtp_profile {
  PL_SRTP_AES128_CM_SHA1_80 = 0x0001,
  PL_SRTP_AES128_CM_SHA1_32 = 0x0002,
  PL_SRTP_AEAD_AES_128_GCM = 0x0007,
  PL_SRTP_AEAD_AES_256_GCM = 0x0008,
} pl_srtp_profile;

#define PL_SRTP_MAX_KEY_LEN 32
#define PL_SRTP_MAX_SALT_LEN 14
#define PL_SRTP_MAX_MASTER_LEN (PL_SRTP_MAX_KEY_LEN + PL_SRTP_MAX_SALT_LEN)
/* Most bytes protect adds: a 16-byte GCM tag, plus the 4-byte SRTCP index. */
#define PL_SRTP_MAX_OVERHEAD 20

typedef struct pl_srtp_profile_info {
  pl_srtp_profile profile;
  const char *name;      /* DTLS-SRTP name, "SRTP_AES128_CM_SHA1_80" */
  const char *sdes_name; /* RFC 4568 / RFC 7714 crypto-suite */
  uint8_t key_len, salt_len;
  uint8_t rtp_tag_len;  /* bytes protect_rtp appends */
  uint8_t rtcp_tag_len; /* bytes protect_rtcp appends after the 4-byte index */
} pl_srtp_profile_info;

/* NULL for a value that is not one of the profiles above. */
const pl_srtp_profile_info *pl_srtp_profile_get(pl_srtp_profile p);
/* By SDES crypto-suite name (exact, case-sensitive per RFC 4568). */
const pl_srtp_profile_info *pl_srtp_profile_by_sdes_name(const char *name,
                                                         size_t len);
/* Whether this process's libsrtp2 can run the profile (Debian 12's is built
 * against NSS and runs all four; a build without a crypto library has no
 * GCM). Probed once by creating a session. */
bool pl_srtp_profile_supported(pl_srtp_profile p);

/* Master key || master salt for each direction: `local` protects what we
 * send, `remote` unprotects what we receive. */
typedef struct pl_srtp_keys {
  pl_srtp_profile profile;
  uint8_t local[PL_SRTP_MAX_MASTER_LEN];
  uint8_t remote[PL_SRTP_MAX_MASTER_LEN];
} pl_srtp_keys;

/* RFC 5764 4.2: `exported` is the "EXTRACTOR-dtls_srtp" output laid out as
 * client key, server key, client salt, server salt; `len` must be exactly
 * 2 * (key_len + salt_len). The DTLS client sends with the client keys. */
int pl_srtp_keys_from_dtls(pl_srtp_profile profile, const uint8_t *exported,
                           size_t len, bool is_client, pl_srtp_keys *keys);

typedef struct pl_srtp_stats {
  uint64_t protected_rtp, protected_rtcp;
  uint64_t unprotected_rtp, unprotected_rtcp;
  uint64_t auth_fail; /* bad tag: forged, corrupted or wrong key */
  uint64_t replay;    /* duplicate or older than the replay window */
  uint64_t other;     /* truncated, malformed, no room, library errors */
} pl_srtp_stats;

/* Replay window for SRTP (libsrtp's SRTCP window is fixed at 128). */
#define PL_SRTP_REPLAY_WINDOW 1024

typedef struct pl_srtp pl_srtp;

/* One outbound context for every SSRC we send and one inbound context for
 * every SSRC we receive (libsrtp ssrc_any_outbound / ssrc_any_inbound).
 * Replay protection is on both ways; resending a sequence number we already
 * protected is refused (PL_EREPLAY), so retransmissions need RTX. Returns
 * PL_EINVAL, PL_ENOTSUP (profile not in this libsrtp), PL_ENOMEM or
 * PL_ECRYPTO. */
int pl_srtp_new(pl_srtp **out, const pl_srtp_keys *keys);
void pl_srtp_free(pl_srtp *s);

/* All four work in place on buf[0..*len), with cap the bytes buf can hold.
 * protect grows *len by the trailer, unprotect shrinks it. Errors:
 * PL_ETRUNC (shorter than its header, or than header + tag), PL_EFULL (no
 * room for the trailer), PL_EAUTH, PL_EREPLAY, PL_EPARSE, PL_ECRYPTO. On
 * error the packet must be dropped; the buffer content is unspecified. The
 * first packet of a new SSRC makes libsrtp allocate that SSRC's context
 * (inbound only after its tag verified); nothing else allocates. */
int pl_srtp_protect_rtp(pl_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int pl_srtp_unprotect_rtp(pl_srtp *s, uint8_t *buf, size_t *len);
int pl_srtp_protect_rtcp(pl_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int pl_srtp_unprotect_rtcp(pl_srtp *s, uint8_t *buf, size_t *len);

const pl_srtp_stats *pl_srtp_get_stats(const pl_srtp *s);
pl_srtp_profile pl_srtp_get_profile(const pl_srtp *s);

#endif
