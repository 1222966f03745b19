/* RTP payload for redundant audio (RFC 2198), as WebRTC uses it for Opus
 * (`red/48000/2`, `a=fmtp:RED OPUS/OPUS`): each packet carries the current
 * Opus frame (the primary) after copies of the one or two before it, so a
 * lost packet comes back whole from the next one. Sans-IO: the parser
 * points into the caller's packet, the sender keeps its history in fixed
 * buffers and writes into a caller buffer. */
#ifndef PL_NET_RTP_RED_H
#define PL_NET_RTP_RED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_RED_MAX_BLOCKS 8        /* primary included; more is malformed here */
#define PL_RED_MAX_DISTANCE 2      /* previous frames a packet carries */
#define PL_RED_MAX_OFFSET 0x3FFF   /* 14-bit timestamp offset */
#define PL_RED_MAX_BLOCK_LEN 0x3FF /* 10-bit block length */

typedef struct pl_red_block {
  uint8_t pt;
  uint32_t ts_offset; /* subtract from the RTP timestamp; 0 for the primary */
  const uint8_t *data; /* into the parsed packet */
  size_t len;
} pl_red_block;

/* Blocks in packet order: redundant ones oldest first, the primary last. */
typedef struct pl_red_packet {
  int n;
  pl_red_block blocks[PL_RED_MAX_BLOCKS];
} pl_red_packet;

/* Parses an RFC 2198 payload (the RTP payload, header already removed).
 * 0, or PL_ETRUNC (a header or a block length runs past the packet),
 * PL_EPARSE (more than PL_RED_MAX_BLOCKS blocks). Never reads past n. */
int pl_red_parse(pl_red_packet *out, const uint8_t *p, size_t n);

/* Parses the fmtp of a red codec ("111/111"): every listed payload type
 * must be the same one (WebRTC sends one codec, repeated); that PT, or
 * PL_EPARSE. */
int pl_red_fmtp_pt(const char *s, size_t n);

/* The sending side: remembers the last PL_RED_MAX_DISTANCE frames. */
typedef struct pl_red_sender {
  uint8_t pt;   /* payload type of the frames inside (Opus) */
  int distance; /* 0..PL_RED_MAX_DISTANCE previous frames per packet */
  struct {
    bool valid;
    uint32_t ts;
    uint16_t len;
    uint8_t data[PL_RED_MAX_BLOCK_LEN];
  } hist[PL_RED_MAX_DISTANCE]; /* [0] the newest */
  uint64_t left_out; /* redundant frames that did not fit (offset, length, room) */
} pl_red_sender;

void pl_red_sender_init(pl_red_sender *s, uint8_t pt, int distance);
void pl_red_sender_set_distance(pl_red_sender *s, int distance);
/* Records frame (ts, data, len) and writes the RED payload for it into out:
 * up to `distance` previous frames, then this one. A previous frame is left
 * out when its offset does not fit 14 bits (or is not positive), its length
 * does not fit 10 bits, or out has no room for it (oldest left out first).
 * Returns the payload length, or PL_EFULL when even the primary does not
 * fit, PL_EINVAL for bad arguments. */
int pl_red_sender_wrap(pl_red_sender *s, uint32_t ts, const uint8_t *data, size_t len,
                       uint8_t *out, size_t cap);
/* Only records the frame (sent without RED): history stays current so that
 * switching RED on protects the very next packet. */
void pl_red_sender_note(pl_red_sender *s, uint32_t ts, const uint8_t *data, size_t len);

/* Writes a RED payload from explicit blocks (the primary last, its
 * ts_offset ignored). Lengths/offsets must fit; PL_ERANGE if not, PL_EFULL
 * without room. Used by the sender and by tests. */
int pl_red_write(const pl_red_block *blocks, int n, uint8_t *out, size_t cap);

#endif
