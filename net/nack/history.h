/* Sender side of loss recovery: a history of sent RTP packets, kept for a
 * fixed time in a ring preallocated at setup, from which NACKed packets are
 * resent, either as they were or wrapped in RTX (RFC 4588: own SSRC and
 * payload type, original sequence number in the first two payload bytes). */
#ifndef PL_NET_NACK_HISTORY_H
#define PL_NET_NACK_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"

typedef struct pl_send_history_config {
  size_t packets;     /* ring slots, rounded up to a power of two (at most
                         32768); size it for max_age at the top rate.
                         0: 1024 */
  pl_time_us max_age; /* older packets are not resent; 0: 1 s */
  size_t max_packet;  /* 0: 1500 */
} pl_send_history_config;

typedef struct pl_send_history_stats {
  uint64_t stored, requests, resent;
  uint64_t missing;   /* never stored, or overwritten by newer packets */
  uint64_t expired;   /* older than max_age */
  uint64_t throttled; /* resent less than an RTT ago */
} pl_send_history_stats;

typedef struct pl_send_history pl_send_history;

int pl_send_history_new(pl_send_history **out, const pl_send_history_config *cfg);
void pl_send_history_free(pl_send_history *h);

/* Keeps a copy of a sent RTP packet (its sequence number is read from the
 * header). PL_ETRUNC for less than an RTP header, PL_ERANGE when longer
 * than max_packet. */
int pl_send_history_put(pl_send_history *h, pl_time_us now, const uint8_t *pkt,
                        size_t len);

/* The stored packet for a NACKed sequence number, if it may be resent now:
 * 0 with *pkt and *len (valid until the next put), PL_ENOENT (not held),
 * PL_ETIMEDOUT (older than max_age) or PL_EAGAIN (resent within
 * min_interval, normally the RTT: the earlier copy may still be on its way).
 * A successful get counts as a resend at now. */
int pl_send_history_get(pl_send_history *h, pl_time_us now, uint16_t seq,
                        pl_time_us min_interval, const uint8_t **pkt,
                        size_t *len);
/* Forgets a packet that was never sent after all (the pacer dropped it):
 * a NACK for it then gets nothing, as for a packet long gone. */
void pl_send_history_forget(pl_send_history *h, uint16_t seq);

void pl_send_history_get_stats(const pl_send_history *h,
                               pl_send_history_stats *out);

/* ---- RTX (RFC 4588) ---- */

typedef struct pl_rtx_sender {
  uint32_t ssrc;
  uint8_t pt;
  uint16_t seq; /* next RTX sequence number */
  uint64_t packets;
} pl_rtx_sender;

void pl_rtx_sender_init(pl_rtx_sender *rs, uint32_t ssrc, uint8_t pt,
                        uint16_t first_seq);
/* Builds the RTX packet for an original RTP packet (§4): header kept but
 * for SSRC, payload type and sequence number; the original sequence number
 * (OSN) then the original payload; the original's padding is not carried.
 * Returns its length, a pl_rtp_parse error, or PL_EFULL. */
int pl_rtx_wrap(pl_rtx_sender *rs, const uint8_t *pkt, size_t len,
                uint8_t *out, size_t cap);
/* Receiver: rebuilds the original packet from an RTX packet, given the
 * media SSRC and payload type the RTX stream is associated with. Returns
 * the length, PL_ENOENT for an RTX packet with no OSN (padding only, sent
 * for bandwidth probing), a parse error, or PL_EFULL. *osn may be NULL. */
int pl_rtx_unwrap(const uint8_t *rtx, size_t n, uint32_t media_ssrc,
                  uint8_t media_pt, uint8_t *out, size_t cap, uint16_t *osn);

#endif
