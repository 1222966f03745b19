/* VP8 RTP payload format (RFC 7741): the payload descriptor (§4.2), a
 * packetizer that cuts an encoded frame into balanced fragments, and a
 * depacketizer that reads the descriptor and the VP8 payload header (§4.3). */
#ifndef PL_VIDEO_PAYLOAD_VP8_H
#define PL_VIDEO_PAYLOAD_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "video/payload/payload.h"

#define PL_VP8_DESC_MAX 6 /* 1 + X + 2 PictureID + TL0PICIDX + TID/KEYIDX */

typedef struct pl_vp8_desc {
  bool n;      /* non-reference frame */
  bool s;      /* start of a VP8 partition */
  uint8_t pid; /* partition index, 0-7 */
  /* Extension fields; X is set on the wire when any of them is present. */
  bool has_picture_id;
  bool picture_id_15; /* M bit: 15-bit PictureID */
  uint16_t picture_id;
  bool has_tl0picidx;
  uint8_t tl0picidx;
  bool has_tid; /* T */
  uint8_t tid;  /* 0-3 */
  bool y;       /* layer sync */
  bool has_keyidx; /* K */
  uint8_t keyidx;  /* 0-31 */
} pl_vp8_desc;

/* Returns the descriptor length, or PL_ETRUNC when the packet ends inside
 * it or leaves no payload byte after it (§4.2: a packet carries at least
 * one). Reserved bits are ignored, as §4.2 asks of receivers. */
int pl_vp8_desc_parse(pl_vp8_desc *d, const uint8_t *p, size_t n);
/* Bytes pl_vp8_desc_write will produce. */
size_t pl_vp8_desc_len(const pl_vp8_desc *d);
/* Returns bytes written, PL_EFULL, or PL_ERANGE for a field over its width
 * (PictureID over 127 without M, TID over 3, KEYIDX over 31, PID over 7). */
int pl_vp8_desc_write(const pl_vp8_desc *d, uint8_t *out, size_t cap);

/* Descriptor plus payload header: fills info for the frame assembler.
 * Keyframe and size are read from the VP8 payload header on the first
 * packet of a frame (S = 1, PID = 0). PL_ETRUNC/PL_EPARSE on bad input. */
int pl_vp8_depacketize(pl_video_rtp_info *info, const uint8_t *p, size_t n);

/* Cuts one frame into packets of at most max_payload bytes (descriptor
 * included). Without partitions the frame is one partition, as libwebrtc
 * sends it; with them each partition is split on its own, so a packet never
 * spans two and S marks the first packet of each (PID = its index, capped
 * at 7). The frame bytes are borrowed until the last packet is taken. */
typedef struct pl_vp8_packetizer {
  pl_vp8_desc desc;
  const uint8_t *data;
  size_t max_payload;
  int nparts, part;
  size_t part_off[9], part_len[9];
  pl_payload_split split;
  size_t k, off; /* packet index and byte offset within the partition */
  size_t total, emitted;
} pl_vp8_packetizer;

/* part_off/part_len may be NULL (nparts ignored): one partition. Returns
 * the packet count, or PL_EINVAL (empty frame, partitions that do not tile
 * the frame, more than 9), PL_ERANGE (max_payload leaves no room). */
int pl_vp8_packetizer_init(pl_vp8_packetizer *pz, const pl_vp8_desc *desc,
                           const uint8_t *frame, size_t len,
                           const size_t *part_off, const size_t *part_len,
                           int nparts, size_t max_payload);
/* Writes the next packet's payload. Returns its length (*last set on the
 * frame's final packet, which takes the RTP marker), 0 when done, or
 * PL_EFULL when cap < max_payload would not hold it. */
int pl_vp8_packetizer_next(pl_vp8_packetizer *pz, uint8_t *out, size_t cap,
                           bool *last);

#endif
