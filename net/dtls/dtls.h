/* DTLS 1.2 for WebRTC (RFC 6347, RFC 5763/5764) on OpenSSL, sans-IO: a
 * per-engine self-signed certificate and its SDP fingerprint, and a
 * connection per peer that runs the handshake through memory BIOs on the
 * caller's clock, checks the peer's certificate against the fingerprint from
 * its SDP, exports DTLS-SRTP keying material and carries application data. */
#ifndef PL_NET_DTLS_H
#define PL_NET_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"

/* DTLS-SRTP protection profiles (IANA ids, RFC 5764 4.1.2, RFC 7714). */
enum {
  PL_DTLS_SRTP_AES128_CM_SHA1_80 = 0x0001,
  PL_DTLS_SRTP_AES128_CM_SHA1_32 = 0x0002,
  PL_DTLS_SRTP_AEAD_AES_128_GCM = 0x0007,
  PL_DTLS_SRTP_AEAD_AES_256_GCM = 0x0008,
};

#define PL_DTLS_FINGERPRINT_MAX 200 /* "sha-512 " + 64 hex pairs */
#define PL_DTLS_MAX_MTU 1500
#define PL_DTLS_SRTP_MATERIAL_MAX 88 /* 2 * (32 + 12) for AEAD_AES_256_GCM */

/* ---- identity ---- */

typedef struct pl_dtls_cert pl_dtls_cert;

/* A fresh ECDSA P-256 key and a self-signed certificate (CN=parley, valid
 * from a day ago for 30 days by the system clock: set-up, not a core). */
int pl_dtls_cert_generate(pl_dtls_cert **out);
/* An application-supplied certificate and private key, each NUL-terminated
 * PEM. Errors say which part is wrong: PL_EFORMAT the certificate (no PEM
 * CERTIFICATE that parses), PL_EPARSE the private key (none that parses;
 * encrypted keys are refused, never prompted for), PL_EAUTH the key does not
 * belong to the certificate. */
int pl_dtls_cert_from_pem(pl_dtls_cert **out, const char *cert_pem,
                          const char *key_pem);
/* Writes both as NUL-terminated PEM; PL_EFULL if a buffer is too small. */
int pl_dtls_cert_to_pem(const pl_dtls_cert *c, char *cert_pem, size_t cert_cap,
                        char *key_pem, size_t key_cap);
/* "sha-256 AB:CD:..." as an SDP a=fingerprint value (RFC 8122). */
const char *pl_dtls_cert_fingerprint(const pl_dtls_cert *c);
void pl_dtls_cert_free(pl_dtls_cert *c);

/* ---- connection ---- */

typedef enum {
  PL_DTLS_CLIENT, /* a=setup:active */
  PL_DTLS_SERVER, /* a=setup:passive */
} pl_dtls_role;

typedef enum {
  PL_DTLS_NEW,
  PL_DTLS_CONNECTING,
  PL_DTLS_CONNECTED, /* handshake done and peer fingerprint verified */
  PL_DTLS_FAILED,
  PL_DTLS_CLOSED,
} pl_dtls_state;

typedef struct pl_dtls_config {
  pl_dtls_role role;
  const pl_dtls_cert *cert; /* referenced; may be freed after pl_dtls_new */
  /* The peer's "sha-256 AB:..." from its SDP; NULL to set it later with
   * pl_dtls_set_remote_fingerprint (the handshake may finish first, but the
   * connection is not reported, nor keys exported, until it matches). */
  const char *remote_fingerprint;
  size_t mtu;                    /* UDP payload bytes; 0 = 1200 */
  const uint16_t *srtp_profiles; /* preference order; NULL = AEAD_AES_128_GCM,
                                    AES128_CM_SHA1_80 */
  size_t n_srtp_profiles;
  pl_time_us initial_rto;        /* first retransmission; 0 = 1 s (RFC 6347) */
  pl_time_us handshake_timeout;  /* give up after this; 0 = 30 s */
} pl_dtls_config;

typedef enum {
  PL_DTLS_OUT_TRANSMIT, /* send data/len to the peer (over the ICE path) */
  PL_DTLS_OUT_DATA,     /* application data received */
  PL_DTLS_OUT_EVENT,
} pl_dtls_output_kind;

typedef enum {
  PL_DTLS_EV_CONNECTED, /* keys may be exported now */
  PL_DTLS_EV_FAILED,    /* error: PL_EAUTH fingerprint, PL_ETIMEDOUT,
                           PL_ECRYPTO handshake, PL_ECLOSED the peer's
                           (authenticated) fatal alert after the handshake */
  PL_DTLS_EV_CLOSED,    /* close_notify sent or received */
} pl_dtls_event;

typedef struct pl_dtls_output {
  pl_dtls_output_kind kind;
  const uint8_t *data; /* valid until the next call into the connection */
  size_t len;
  pl_dtls_event event;
  int error;
} pl_dtls_output;

/* Raw DTLS-SRTP keying material, in the RFC 5764 4.2 layout
 * (client key, server key, client salt, server salt). */
typedef struct pl_dtls_srtp {
  uint16_t profile; /* PL_DTLS_SRTP_* */
  bool is_client;
  size_t key_len, salt_len, len; /* len = 2 * (key_len + salt_len) */
  uint8_t material[PL_DTLS_SRTP_MATERIAL_MAX];
} pl_dtls_srtp;

typedef struct pl_dtls_stats {
  uint64_t flights_resent;    /* by this layer on the caller's clock */
  uint64_t openssl_resent;    /* by OpenSSL's own (real-time) timer */
  uint64_t dup_flight_replies; /* final flight resent on a peer's repeat */
  uint64_t datagrams_in, datagrams_out;
  uint64_t data_dropped;      /* app data lost: not verified yet, queue full */
  uint64_t out_dropped;       /* datagrams lost to a full output queue */
  /* After the handshake: records dropped without effect (RFC 6347 4.1.2.7):
   * malformed or truncated, wrong version or epoch, too short for the
   * cipher, failed authentication, replayed, or stale retransmissions. */
  uint64_t records_discarded;
} pl_dtls_stats;

typedef struct pl_dtls pl_dtls;

pl_dtls *pl_dtls_new(const pl_dtls_config *cfg);
void pl_dtls_free(pl_dtls *d);
int pl_dtls_set_remote_fingerprint(pl_dtls *d, pl_time_us now, const char *fp);
/* Begins the handshake (the client sends its ClientHello). */
int pl_dtls_start(pl_dtls *d, pl_time_us now);
/* One datagram from the peer. Garbage is discarded (DTLS drops bad records);
 * during the handshake a fatal alert or failed verification ends in a FAILED
 * event; after it, nothing but an authenticated alert from the peer ends the
 * session (records that fail are counted in records_discarded). */
int pl_dtls_input(pl_dtls *d, pl_time_us now, const uint8_t *p, size_t n);
int pl_dtls_timeout(pl_dtls *d, pl_time_us now);
bool pl_dtls_poll(pl_dtls *d, pl_dtls_output *out);
pl_time_us pl_dtls_deadline(const pl_dtls *d);
/* Application data in one record; PL_ERANGE if it cannot fit the MTU. */
int pl_dtls_send(pl_dtls *d, const uint8_t *p, size_t n);
/* Sends close_notify; the connection is CLOSED afterwards. */
int pl_dtls_close(pl_dtls *d);

pl_dtls_state pl_dtls_get_state(const pl_dtls *d);
/* PL_ESTATE until CONNECTED: nothing is exported for an unverified peer. */
int pl_dtls_export_srtp(pl_dtls *d, pl_dtls_srtp *out);
pl_dtls_stats pl_dtls_get_stats(const pl_dtls *d);
/* The fatal alert the peer sent (RFC 5246 7.2 description), or -1 if none;
 * its name ("bad record mac") in *name unless name is NULL. */
int pl_dtls_peer_alert(const pl_dtls *d, const char **name);
const char *pl_dtls_profile_name(uint16_t profile);

/* Parses "sha-256 AB:CD:..." (RFC 8122 hash names sha-1..sha-512, any hex
 * case) into its digest. Returns the digest length or a PL_E* code. */
int pl_dtls_parse_fingerprint(const char *fp, char *alg, size_t alg_cap,
                              uint8_t *digest, size_t digest_cap);

#endif
