/* RTP packets (RFC 3550 §5.1) and their header extensions (RFC 8285): parsed
 * in place, without copying, and written into caller buffers. A parsed header
 * points into the packet it came from, so the packet must outlive it. */
#ifndef PL_NET_RTP_H
#define PL_NET_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"

#define PL_RTP_VERSION 2
#define PL_RTP_MIN_HEADER 12
#define PL_RTP_MAX_CSRC 15

/* "Defined by profile" values of the two RFC 8285 forms. The two-byte form
 * keeps 4 "appbits" in the low nibble, which a receiver ignores. */
#define PL_RTP_EXT_ONE_BYTE 0xBEDE
#define PL_RTP_EXT_TWO_BYTE 0x1000
#define PL_RTP_EXT_TWO_BYTE_MASK 0xFFF0

typedef struct pl_rtp_header {
  uint8_t version; /* 2 after a successful parse; ignored by pl_rtp_write */
  bool padding;    /* P bit; pl_rtp_write sets it from padding_len */
  bool extension;  /* X bit */
  bool marker;
  uint8_t pt; /* 7 bits */
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
  uint8_t csrc_count;
  uint32_t csrc[PL_RTP_MAX_CSRC];
  uint16_t ext_profile; /* 0xBEDE, 0x100x or another profile's value */
  const uint8_t *ext;   /* extension data, after its 4-byte header */
  size_t ext_len;       /* bytes; always a multiple of 4 */
  size_t header_len;    /* fixed header + CSRCs + extension */
  const uint8_t *payload;
  size_t payload_len;
  uint8_t padding_len; /* padding bytes including the count byte; 0 if none */
} pl_rtp_header;

/* Parses one RTP packet of exactly n bytes. Returns 0, PL_ETRUNC when a CSRC
 * list or extension runs past n, or PL_EPARSE for a version other than 2 or
 * a padding count of 0 or larger than what follows the header. */
int pl_rtp_parse(pl_rtp_header *h, const uint8_t *p, size_t n);

typedef struct pl_rtp_ext_builder pl_rtp_ext_builder;

/* Writes header, extension, payload and padding (padding_len bytes, zeros
 * ending in the count) into out. The extension comes from `ext` when it is
 * not NULL and holds elements, else from h->ext/ext_len/ext_profile when
 * h->extension is set (forwarding a parsed packet unchanged). The payload may
 * already sit anywhere in out (it is moved, not copied). Returns the bytes
 * written, PL_EFULL if cap is too small (nothing past cap is touched), or
 * PL_EINVAL for more than 15 CSRCs or an extension that is not whole words. */
int pl_rtp_write(const pl_rtp_header *h, const pl_rtp_ext_builder *ext,
                 uint8_t *out, size_t cap);

/* ---- RFC 8285 header extensions ---------------------------------------- */

typedef struct pl_rtp_ext {
  uint8_t id;  /* 1-14 in the one-byte form, 1-255 in the two-byte form */
  uint8_t len; /* data bytes: 1-16 one-byte, 0-255 two-byte */
  const uint8_t *data;
} pl_rtp_ext;

typedef struct pl_rtp_ext_iter {
  const uint8_t *p;
  size_t n, off;
  bool two_byte;
} pl_rtp_ext_iter;

/* Returns 0, PL_ENOENT if the packet has no extension, or PL_ENOTSUP if its
 * profile is neither RFC 8285 form. */
int pl_rtp_ext_iter_init(pl_rtp_ext_iter *it, const pl_rtp_header *h);
/* Returns 1 with *e filled, 0 at the end (or at a one-byte ID 15, which per
 * RFC 8285 §4.2 ends processing), or PL_EPARSE if an element overruns. */
int pl_rtp_ext_next(pl_rtp_ext_iter *it, pl_rtp_ext *e);
/* First element with this id: 0, PL_ENOENT, or an iteration error. */
int pl_rtp_ext_find(const pl_rtp_header *h, uint8_t id, pl_rtp_ext *e);

/* Element readers for the extensions WebRTC negotiates. Each checks the
 * length and returns 0 or PL_EPARSE. */
/* abs-send-time: 24-bit 6.18 fixed-point seconds (wraps every 64 s). */
int pl_rtp_ext_abs_send_time(const pl_rtp_ext *e, uint32_t *ast24);
/* transport-wide-cc-01: 16-bit transport-wide sequence number. */
int pl_rtp_ext_transport_seq(const pl_rtp_ext *e, uint16_t *seq);
/* RFC 6464: V (voice activity) bit and level in -dBov, 0-127. */
int pl_rtp_ext_audio_level(const pl_rtp_ext *e, bool *voice, uint8_t *level);
/* sdes:mid (RFC 9143): copies the id with a NUL; PL_EFULL if cap is short. */
int pl_rtp_ext_mid(const pl_rtp_ext *e, char *out, size_t cap);

/* abs-send-time <-> microseconds. The 24-bit value keeps only t mod 64 s,
 * rounded to the nearest 1/262144 s; to_us returns a time in [0, 64 s). */
uint32_t pl_abs_send_time_from_us(pl_time_us t);
pl_time_us pl_abs_send_time_to_us(uint32_t ast24);

/* Builder: collects (id, data) elements, then serializes them in the one-byte
 * form unless an id > 14, a length > 16 or a length 0 needs the two-byte
 * form. Caller-owned, no allocation; data is copied in. */
#define PL_RTP_EXT_MAX_ELEMS 16
#define PL_RTP_EXT_MAX_DATA 512

struct pl_rtp_ext_builder {
  uint8_t count;
  uint16_t used;
  struct {
    uint8_t id, len;
    uint16_t off;
  } el[PL_RTP_EXT_MAX_ELEMS];
  uint8_t data[PL_RTP_EXT_MAX_DATA];
};

void pl_rtp_ext_builder_init(pl_rtp_ext_builder *b);
/* PL_EINVAL for id 0 or an id already added, PL_ERANGE for len > 255,
 * PL_EFULL when the builder is full. */
int pl_rtp_ext_add(pl_rtp_ext_builder *b, uint8_t id, const void *data,
                   size_t len);
int pl_rtp_ext_add_abs_send_time(pl_rtp_ext_builder *b, uint8_t id,
                                 uint32_t ast24);
int pl_rtp_ext_add_transport_seq(pl_rtp_ext_builder *b, uint8_t id,
                                 uint16_t seq);
/* PL_ERANGE for a level above 127. */
int pl_rtp_ext_add_audio_level(pl_rtp_ext_builder *b, uint8_t id, bool voice,
                               uint8_t level);
/* PL_EINVAL for an empty mid, PL_ERANGE for one over 255 bytes. */
int pl_rtp_ext_add_mid(pl_rtp_ext_builder *b, uint8_t id, const char *mid);
bool pl_rtp_ext_builder_two_byte(const pl_rtp_ext_builder *b);
/* Bytes of the extension data block (padded to a word), without the 4-byte
 * extension header; 0 when the builder is empty. */
size_t pl_rtp_ext_builder_len(const pl_rtp_ext_builder *b);
/* Writes the data block and sets *profile. Returns the bytes written (a
 * multiple of 4) or PL_EFULL. */
int pl_rtp_ext_build(const pl_rtp_ext_builder *b, uint8_t *out, size_t cap,
                     uint16_t *profile);

#endif
