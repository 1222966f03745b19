/* The Data Channel Establishment Protocol (RFC 8832): the DATA_CHANNEL_OPEN
 * and DATA_CHANNEL_ACK messages that open an in-band data channel on an SCTP
 * stream (PPID 50). A parser and a builder, nothing else: the association
 * core (sctp.c) decides what a message means for its channels. */
#ifndef PL_NET_SCTP_DCEP_H
#define PL_NET_SCTP_DCEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_DCEP_PPID 50
#define PL_DCEP_OPEN 0x03
#define PL_DCEP_ACK 0x02
#define PL_DCEP_OPEN_HEADER 12 /* fixed part of DATA_CHANNEL_OPEN */

/* Channel types (RFC 8832 5.1): bit 0x80 is "unordered". */
enum {
  PL_DCEP_RELIABLE = 0x00,
  PL_DCEP_PARTIAL_RELIABLE_REXMIT = 0x01,
  PL_DCEP_PARTIAL_RELIABLE_TIMED = 0x02,
  PL_DCEP_UNORDERED = 0x80,
};

typedef struct pl_dcep_open {
  uint8_t channel_type;  /* PL_DCEP_* (with PL_DCEP_UNORDERED or not) */
  uint16_t priority;
  uint32_t reliability;  /* retransmissions or lifetime in ms, by type */
  const uint8_t *label;  /* points into the parsed message, not terminated */
  uint16_t label_len;
  const uint8_t *protocol;
  uint16_t protocol_len;
} pl_dcep_open;

/* The message type of a DCEP message (its first byte), PL_ETRUNC if empty. */
int pl_dcep_type(const uint8_t *p, size_t n);
/* Parses a DATA_CHANNEL_OPEN. Returns the bytes consumed (header + label +
 * protocol), PL_ETRUNC if n is short of what the lengths say, PL_EPARSE for
 * another message type or an unknown channel type. */
int pl_dcep_parse_open(pl_dcep_open *o, const uint8_t *p, size_t n);
/* Writes a DATA_CHANNEL_OPEN; returns its length or PL_EFULL. */
int pl_dcep_build_open(uint8_t *buf, size_t cap, const pl_dcep_open *o);
/* Writes a DATA_CHANNEL_ACK (one byte); returns 1 or PL_EFULL. */
int pl_dcep_build_ack(uint8_t *buf, size_t cap);

#endif
